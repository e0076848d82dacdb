/**
 * The backups capability: its config slice (`platform:velero`) and the function that builds
 * components/velero with a Schedule per organization namespace. docs/backups.md explains it.
 */
import type { Organization } from "../components/tenancy";
import type * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { clusterTagKey } from "../components/storage";
import { namespaceName } from "../components/tenancy";
import { Velero, type VeleroSchedule } from "../components/velero";
import type { CoreConfig } from "./core";
import type { Foundation } from "./foundation";
import type { SectionOf } from "./schema";
import type { tenancySchema } from "./tenancy";
import { boolean, integer, structured } from "./schema";

/** A cron expression Velero's scheduler accepts: five fields (UTC) or a descriptor such as `@daily`. */
const CRON =
  /^(@(yearly|annually|monthly|weekly|daily|midnight|hourly)|@every (\d+[smh])+|[\d*/,-]+ [\d*/,-]+ [\d*/,?LW-]+ [\d*/,A-Za-z-]+ [\d*/,?A-Za-z#L-]+)$/;

/** The `platform:velero` object. */
const veleroConfigSchema = z
  .object({
    /** Install Velero with a Schedule per organization namespace. @default true in production, false otherwise */
    enabled: boolean().optional(),
    /** When each namespace is backed up: cron (5 fields, UTC) or `@daily`. @default "0 2 * * *" */
    schedule: z
      .string()
      .regex(CRON, { error: "a cron expression of five fields such as 0 2 * * * (UTC), or @daily" })
      .default("0 2 * * *"),
    /** Days a backup (its objects and volume snapshots) is kept. @default 30 */
    retentionDays: integer(1, 3650).default(30),
    /** Days a deleted or overwritten object stays in the bucket as a noncurrent version. @default 7 */
    noncurrentVersionDays: integer(1, 3650).default(7),
  })
  .strict();

/** Config key of the capability (merged into the `platform` namespace by stacks/config.ts). */
export const veleroSchema = {
  /** Velero backups per organization namespace (object, see docs/backups.md). @default on in production */
  velero: structured(veleroConfigSchema).prefault({}),
};

/** What this capability reads of a stack's configuration: the core keys, tenancy and its own. */
type StackConfig = CoreConfig & SectionOf<typeof veleroSchema> & SectionOf<typeof tenancySchema>;

/** True when the stack runs Velero. */
export function veleroEnabled(config: Pick<StackConfig, "velero" | "production">): boolean {
  return config.velero.enabled ?? config.production;
}

/** One Schedule per organization environment namespace, at the configured time and retention. */
export function veleroSchedules(config: Pick<StackConfig, "velero" | "organizations">): VeleroSchedule[] {
  return config.organizations.flatMap((org) =>
    org.environments.map((env) => {
      const namespace = namespaceName(org.name, env.name, env.namespace);
      return {
        name: `${namespace}-daily`,
        namespace,
        schedule: config.velero.schedule,
        retentionDays: config.velero.retentionDays,
      };
    }),
  );
}

/**
 * Builds Velero on the stack's cluster when enabled.
 * @param keyArn The storage KMS key (the cluster's volumes; also the bucket's key).
 * @param organizations The tenant organizations: each Schedule waits for its namespace.
 * @param prometheusStack The cluster's kube-prometheus-stack release: Velero's ServiceMonitor waits for its CRDs.
 */
export function buildVelero(
  config: StackConfig,
  foundation: Foundation,
  keyArn: pulumi.Input<string>,
  organizations: readonly Organization[],
  prometheusStack?: pulumi.Resource,
): Velero | undefined {
  if (!veleroEnabled(config)) return undefined;
  return new Velero(config.stack, {
    clusterName: config.clusterName,
    eksClusterName: foundation.cluster.clusterName,
    kubernetesVersion: config.kubernetesVersion,
    region: config.region,
    keyArn,
    volumeTag: { key: clusterTagKey, value: config.clusterName },
    schedules: veleroSchedules(config),
    noncurrentVersionDays: config.velero.noncurrentVersionDays,
    namespaceResources: new Map(organizations.flatMap((org) => [...org.namespaceResources])),
    provider: foundation.provider,
    protect: config.production,
    tags: foundation.tags,
    prometheusStack,
  });
}
