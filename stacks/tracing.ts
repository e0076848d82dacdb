/**
 * The tracing capability: its config slice (`platform:tracing`) and the functions that build
 * components/tracing from it: Tempo, its bucket and a collector on the hub; a collector shipping to
 * the hub's Tempo on each spoke. docs/tracing.md explains it.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { TracingHub, TracingSpoke, tracingDefaults } from "../components/tracing";
import type { CoreConfig } from "./core";
import type { SectionOf } from "./schema";
import type { Foundation } from "./foundation";
import { ConfigError, NAMESPACE, boolean, integer, structured } from "./schema";

/** The `platform:tracing` object. */
const tracingConfigSchema = z
  .object({
    /** Run the OpenTelemetry Collector (every cluster) and Tempo (hub). @default true in production, false otherwise */
    enabled: boolean().optional(),
    /** Hub: days a trace is kept (Tempo block retention; S3 expires blocks a day later). @default 14 */
    retentionDays: integer(1, 365).optional(),
    /** Hub: Tempo's write-ahead log volume (gp3), GiB. @default 10 */
    walStorageGiB: integer(5, 1024).optional(),
  })
  .strict();

/** Config key of the capability (merged into the `platform` namespace by stacks/config.ts). */
export const tracingSchema = {
  /** Tracing: OpenTelemetry Collector on every cluster, Tempo on the hub (object, see docs/tracing.md). @default on in production */
  tracing: structured(tracingConfigSchema).prefault({}),
};

/** What this capability reads of a stack's configuration: the core keys, its own and the hub account role. */
type TracingStackConfig = CoreConfig &
  SectionOf<typeof tracingSchema> & { readonly hubAccountRoleArn?: string | undefined };

/** True when the stack runs tracing. */
export function tracingEnabled(config: Pick<TracingStackConfig, "tracing" | "production">): boolean {
  return config.tracing.enabled ?? config.production;
}

/** Hub-only fields of `platform:tracing` set on a spoke are refused (Tempo and its bucket live on the hub). */
export function tracingChecks(config: Pick<TracingStackConfig, "tracing" | "role">): void {
  if (config.role !== "spoke") return;
  for (const field of ["retentionDays", "walStorageGiB"] as const) {
    if (config.tracing[field] !== undefined)
      throw new ConfigError(
        `${NAMESPACE}:tracing.${field}`,
        config.tracing[field],
        "no value on a spoke (a hub-only field: Tempo stores every cluster's traces on the hub)",
      );
  }
}

/** Hub output the capability adds (absent when tracing is off on the hub). */
export interface TracingHubOutputs {
  /** Tempo's OTLP/HTTP endpoint for spokes (`http://<internal-nlb>:4318`). */
  tempoOtlpUrl?: pulumi.Output<string>;
}

/** Builds the hub's Tempo, trace bucket, endpoint, Grafana data source and collector when enabled. */
export function buildTracingHub(
  config: TracingStackConfig,
  foundation: Pick<Foundation, "cluster" | "provider" | "tags">,
  endpointsSecurityGroupId: pulumi.Input<string>,
  storageDependsOn: pulumi.Resource[] = [],
): TracingHubOutputs {
  if (!tracingEnabled(config)) return {};
  const hub = new TracingHub(config.stack, {
    clusterName: config.clusterName,
    eksClusterName: foundation.cluster.clusterName,
    region: config.region,
    vpcCidr: config.vpcCidr,
    endpointsSecurityGroupId,
    retentionDays: config.tracing.retentionDays ?? tracingDefaults.retentionDays,
    walStorageGiB: config.tracing.walStorageGiB ?? tracingDefaults.walStorageGiB,
    provider: foundation.provider,
    production: config.production,
    storageDependsOn,
    tags: foundation.tags,
  });
  return { tempoOtlpUrl: hub.tempoOtlpUrl };
}

/** What a spoke's tracing needs of the hub, read before anything is created. */
export interface TracingHubView {
  readonly tempoOtlpUrl: pulumi.Output<string>;
}

/**
 * Reads the hub's Tempo endpoint when the spoke runs tracing.
 * @throws ConfigError when tracing is on here but the hub exports no `tempoOtlpUrl` (tracing off there).
 */
export async function readTracingHub(
  config: TracingStackConfig,
  hubRef: pulumi.StackReference,
): Promise<TracingHubView | undefined> {
  if (!tracingEnabled(config)) return undefined;
  const key = "tempoOtlpUrl" satisfies keyof TracingHubOutputs;
  if (typeof (await hubRef.getOutputValue(key)) !== "string")
    throw new ConfigError(
      `${NAMESPACE}:tracing.enabled`,
      config.tracing.enabled ?? `${config.production} (production default)`,
      "false, or a hub with tracing on (the hub exports no tempoOtlpUrl: turn platform:tracing on there first)",
    );
  return { tempoOtlpUrl: hubRef.requireOutput(key) as pulumi.Output<string> };
}

/** Builds a spoke's collector and its rule into the hub's endpoints when the spoke runs tracing. */
export function buildTracingSpoke(
  config: TracingStackConfig,
  foundation: Pick<Foundation, "provider" | "tags">,
  hub: { readonly hubEndpointsSecurityGroupId: pulumi.Input<string> },
  tracingHub: TracingHubView | undefined,
): TracingSpoke | undefined {
  if (!tracingHub) return undefined;
  const hubAwsProvider =
    config.hubAccountRoleArn === undefined
      ? undefined
      : new aws.Provider(`${config.stack}-hub-account-tracing`, {
          region: config.region as aws.Region,
          assumeRoles: [
            { roleArn: config.hubAccountRoleArn, sessionName: `platform-${config.stack}-tracing` },
          ],
        });
  return new TracingSpoke(config.stack, {
    clusterName: config.clusterName,
    tempoUrl: tracingHub.tempoOtlpUrl,
    hubEndpointsSecurityGroupId: hub.hubEndpointsSecurityGroupId,
    vpcCidr: config.vpcCidr,
    provider: foundation.provider,
    hubAwsProvider,
    production: config.production,
    tags: foundation.tags,
  });
}
