/**
 * The ExternalDNS capability: its config slice (`platform:externalDns`) and the function that
 * builds components/external-dns from it. docs/external-dns.md explains it.
 */
import { z } from "zod";
import { ExternalDns } from "../components/external-dns";
import { hostedZoneSchema } from "./cert-manager";
import type { CoreConfig } from "./core";
import type { SectionOf } from "./schema";
import type { Foundation } from "./foundation";
import { boolean, structured } from "./schema";

/** The `platform:externalDns` object. */
const externalDnsConfigSchema = z
  .object({
    /** Install ExternalDNS. @default true in production when hostedZones is set, false otherwise */
    enabled: boolean().optional(),
    /** Route 53 hosted zones it manages (required when enabled). @default [] */
    hostedZones: z.array(hostedZoneSchema).default([]),
    /** TXT registry owner id, unique per cluster. @default the cluster name */
    txtOwnerId: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/, {
        error: "an owner id of letters, digits, '.', '_' and '-'",
      })
      .optional(),
    /** `upsert-only` (never deletes records) or `sync`. @default "upsert-only" */
    policy: z.enum(["upsert-only", "sync"], { error: "upsert-only or sync" }).default("upsert-only"),
  })
  .strict()
  .superRefine((settings, ctx) => {
    if (settings.enabled === true && settings.hostedZones.length === 0)
      ctx.addIssue({
        code: "custom",
        path: ["hostedZones"],
        message: "at least one hosted zone when ExternalDNS is enabled",
      });
  });

/** Config key of the capability (merged into the `platform` namespace by stacks/config.ts). */
export const externalDnsSchema = {
  /** ExternalDNS on Route 53 (object, see docs/external-dns.md). @default on in production with hosted zones */
  externalDns: structured(externalDnsConfigSchema)
    .prefault({})
    .describe(
      "ExternalDNS in Route 53 hosted zones (object, docs/external-dns.md); on in production with hosted zones by default.",
    ),
};

/** What this capability reads of a stack's configuration: the core keys and its own. */
type StackConfig = CoreConfig & SectionOf<typeof externalDnsSchema>;

/** True when the stack runs ExternalDNS. */
export function externalDnsEnabled(config: Pick<StackConfig, "externalDns" | "production">): boolean {
  return config.externalDns.enabled ?? (config.production && config.externalDns.hostedZones.length > 0);
}

/** Builds ExternalDNS on the stack's cluster when enabled. */
export function buildExternalDns(config: StackConfig, foundation: Foundation): ExternalDns | undefined {
  if (!externalDnsEnabled(config)) return undefined;
  const settings = config.externalDns;
  return new ExternalDns(config.stack, {
    clusterName: config.clusterName,
    eksClusterName: foundation.cluster.clusterName,
    kubernetesVersion: config.kubernetesVersion,
    region: config.region,
    hostedZones: settings.hostedZones,
    txtOwnerId: settings.txtOwnerId ?? config.clusterName,
    policy: settings.policy,
    provider: foundation.provider,
    tags: foundation.tags,
  });
}
