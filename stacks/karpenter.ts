/**
 * The Karpenter capability: its config slice (`platform:karpenter`) and the function that builds
 * components/karpenter from it and the stack's foundation. docs/karpenter.md explains it.
 */
import { z } from "zod";
import { clusterDefaults } from "../components/cluster";
import { Karpenter } from "../components/karpenter";
import type * as k8s from "@pulumi/kubernetes";
import type { Cluster } from "../components/cluster";
import type { CoreConfig } from "./core";
import type { SectionOf } from "./schema";
import { karpenterNodePoolSchema } from "./karpenter-schema";
import { boolean, structured } from "./schema";

/** The `platform:karpenter` object. */
export const karpenterConfigSchema = z
  .object({
    /** Install Karpenter. @default true in production, false otherwise */
    enabled: boolean().optional(),
    /** AMI family of Karpenter's nodes. @default "AL2023" */
    amiFamily: z.enum(["AL2023", "Bottlerocket"], { error: "AL2023 or Bottlerocket" }).default("AL2023"),
    /** AMI release: `latest`, or a release to pin (`v20250101` for AL2023, `v1.30.0` for Bottlerocket). @default "latest" */
    amiVersion: z
      .string()
      .regex(/^(latest|v\d+(\.\d+)*)$/, { error: "latest or an AMI release such as v20250101" })
      .default("latest"),
    /** Root (AL2023) or data (Bottlerocket) volume, GiB. @default 50 */
    diskSizeGiB: z.number().int().min(20).max(16384).default(50),
    /** NodePools. @default one pool `default` (on-demand amd64 c/m/r, generation 5+) */
    nodePools: z
      .array(karpenterNodePoolSchema)
      .min(1, { error: "at least one NodePool" })
      .prefault([{ name: "default" }]),
  })
  .strict()
  .superRefine((settings, ctx) => {
    const names = new Set<string>();
    settings.nodePools.forEach((pool, i) => {
      if (names.has(pool.name))
        ctx.addIssue({
          code: "custom",
          path: ["nodePools", i, "name"],
          input: pool.name,
          message: "a NodePool name used once",
        });
      names.add(pool.name);
    });
  });

/** Config key of the capability (merged into the `platform` namespace by stacks/config.ts). */
export const karpenterSchema = {
  /** Karpenter node autoscaling (object, see docs/karpenter.md). @default on in production */
  karpenter: structured(karpenterConfigSchema)
    .prefault({})
    .describe("Karpenter node autoscaling (object, docs/karpenter.md); on in production by default."),
};

/** What the Karpenter capability reads of a stack's configuration: the core keys and its own. */
type KarpenterStackConfig = CoreConfig & SectionOf<typeof karpenterSchema>;

/** True when the stack runs Karpenter. */
export function karpenterEnabled(config: Pick<KarpenterStackConfig, "karpenter" | "production">): boolean {
  return config.karpenter.enabled ?? config.production;
}

/** Builds Karpenter on the stack's cluster when enabled. */
export function buildKarpenter(
  config: KarpenterStackConfig,
  foundation: {
    readonly cluster: Cluster;
    readonly provider: k8s.Provider;
    readonly tags: Record<string, string>;
  },
): Karpenter | undefined {
  if (!karpenterEnabled(config)) return undefined;
  const settings = config.karpenter;
  return new Karpenter(config.stack, {
    clusterName: config.clusterName,
    eksClusterName: foundation.cluster.clusterName,
    kubernetesVersion: config.kubernetesVersion,
    region: config.region,
    keyArn: foundation.cluster.key.arn,
    amiFamily: settings.amiFamily,
    amiVersion: settings.amiVersion,
    diskSizeGiB: settings.diskSizeGiB,
    metadataHopLimit: clusterDefaults.metadataHopLimit,
    nodePools: settings.nodePools,
    provider: foundation.provider,
    production: config.production,
    tags: foundation.tags,
  });
}
