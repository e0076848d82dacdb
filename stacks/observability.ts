/**
 * The observability capability: its config slice (`platform:observability`) and the functions that
 * build the hub's metrics and log stores (with the load balancer controller that exposes them) and
 * each spoke's shippers. Reference: docs/observability.md.
 */
import { z } from "zod";
import { ConfigError, NAMESPACE, group, integer, type RoleOnly, type SectionOf } from "./schema";
import type { CoreConfig } from "./core";
import * as pulumi from "@pulumi/pulumi";
import { ObservabilityHub, ObservabilitySpoke } from "../components/observability";
import { SpokeTelemetryIdentity } from "../components/observability/spoke-identity";
import { kubernetesProvider } from "../components/cluster";
import { eksKubeconfig } from "../components/gitops";
import type { Foundation } from "./foundation";
import { logsToTracesDataLink } from "../components/tracing/values";
import { tracingEnabled, type tracingSchema } from "./tracing";
import type { alertingSchema } from "./alerting";

/** What the offline plan passes for a `secure:` value it cannot decrypt (tools/plan). */
const PLAN_SECRET_PLACEHOLDER = "[secret]";

const password = (min: number) =>
  z.string().refine((v) => v === PLAN_SECRET_PLACEHOLDER || v.length >= min, {
    error: `a password of at least ${min} characters (set it with pulumi config set --secret)`,
  });

/** The `platform:observability` object: the hub's metrics and log stores, a spoke's shippers. */
const observabilitySettingsSchema = z.strictObject({
  prometheusRetention: z
    .string()
    .regex(/^[1-9]\d*(ms|s|m|h|d|w|y)$/, { error: "a Prometheus duration such as 15d or 720h" })
    .default("15d")
    .describe(
      "Hub: Prometheus retention, a Prometheus duration such as 15d or 720h. https://prometheus.io/docs/prometheus/latest/storage/",
    ),
  prometheusStorageGiB: integer(10, 16384)
    .default(100)
    .describe("Hub: size of the Prometheus volume (StorageClass gp3), GiB."),
  grafanaAdminPassword: password(12)
    .optional()
    .describe(
      "Hub: Grafana admin password (set with --secret, >= 12 characters). Not set means generated on the first up and kept in the cluster Secret monitoring/grafana-admin.",
    ),
  logShipperPassword: password(16)
    .optional()
    .describe(
      "Hub: password of the Elasticsearch log-shipper user spokes ship logs with (set with --secret, >= 16 characters). Not set means generated on the first up and kept.",
    ),
  elasticsearchNodeCount: integer(1, 15)
    .default(3)
    .describe("Hub: Elasticsearch nodes (master+data), at least 3 in production."),
  elasticsearchStorageGiB: integer(10, 65536)
    .default(100)
    .describe("Hub: Elasticsearch volume per node (gp3), GiB."),
  elasticsearchMemoryGiB: integer(2, 64)
    .default(4)
    .describe("Hub: memory per Elasticsearch node, GiB (request = limit; the JVM heap is half)."),
  logRetentionDays: integer(1, 3650)
    .default(30)
    .describe("Hub: days an index of shipped logs is kept (ILM delete phase)."),
});

/** Config key of the capability (merged into the `platform` namespace by stacks/config.ts). */
export const observabilitySchema = {
  observability: group(
    observabilitySettingsSchema,
    "Observability: metrics and log stores on the hub, shippers on every cluster (docs/observability.md).",
  ),
};

/** Fields only one role reads (the central stores live on the hub; spokes ship to them). */
export const observabilityRoles: RoleOnly<typeof observabilitySettingsSchema.shape> = {
  prometheusRetention: "hub",
  prometheusStorageGiB: "hub",
  grafanaAdminPassword: "hub",
  logShipperPassword: "hub",
  elasticsearchNodeCount: "hub",
  elasticsearchStorageGiB: "hub",
  elasticsearchMemoryGiB: "hub",
  logRetentionDays: "hub",
};

/** What the observability capability reads of a stack's configuration: the core keys and its own. */
type ObservabilityStackConfig = CoreConfig & SectionOf<typeof observabilitySchema>;

/** Rules that relate the observability settings to the stack; throws ConfigError on bad input. */
export function observabilityChecks(config: ObservabilityStackConfig): void {
  const o = config.observability;
  if (config.role === "hub" && config.production && o.elasticsearchNodeCount < 3) {
    throw new ConfigError(
      `${NAMESPACE}:observability.elasticsearchNodeCount`,
      o.elasticsearchNodeCount,
      "at least 3 nodes in production (a master quorum survives the loss of one node)",
    );
  }
}

/** Hub outputs this area adds (flat camelCase stack outputs). */
export interface ObservabilityHubOutputs {
  /** Security group in front of the hub's metrics/log endpoints; spokes add their own ingress rules. */
  hubEndpointsSecurityGroupId: pulumi.Output<string>;
  /** Prometheus remote-write URL (`http://<internal-nlb>:9090/api/v1/write`). */
  prometheusRemoteWriteUrl: pulumi.Output<string>;
  /** Elasticsearch URL (`https://<internal-nlb>:9200`, ECK self-signed TLS). */
  elasticsearchUrl: pulumi.Output<string>;
  /** Grafana URL (`http://<internal-nlb>`), reachable over the Transit Gateway. */
  grafanaUrl: pulumi.Output<string>;
  /** Kibana URL (`https://<internal-nlb>:5601`). */
  kibanaUrl: pulumi.Output<string>;
  /** PEM of the hub's telemetry CA: spokes verify Elasticsearch and the remote-write gateway with it. */
  telemetryCaCertificate: pulumi.Output<string>;
}

/** Hub output keys a spoke reads (add them to HUB_OUTPUT_KEYS in stacks/contract.ts). */
export const OBSERVABILITY_HUB_OUTPUT_KEYS = [
  "hubEndpointsSecurityGroupId",
  "prometheusRemoteWriteUrl",
  "elasticsearchUrl",
  "grafanaUrl",
  "kibanaUrl",
  "telemetryCaCertificate",
] as const satisfies readonly (keyof ObservabilityHubOutputs)[];

/** What a spoke needs of the hub (a subset of the contract's HubView). */
export type ObservabilityHubView = {
  [K in (typeof OBSERVABILITY_HUB_OUTPUT_KEYS)[number]]: pulumi.Output<string>;
};

/** Outputs a spoke adds. */
export interface ObservabilitySpokeOutputs {
  /** Index prefix of the spoke's container logs in the hub's Elasticsearch (`k8s-<cluster>`). */
  logIndexPrefix: string;
}

/** Builds the hub's Prometheus/Alertmanager/Grafana, Elasticsearch/Kibana and shippers. */
export function buildObservabilityHub(
  config: ObservabilityStackConfig & SectionOf<typeof alertingSchema> & SectionOf<typeof tracingSchema>,
  foundation: Foundation,
  storageDependsOn: pulumi.Resource[] = [],
  loadBalancerDependsOn: pulumi.Resource[] = [],
): ObservabilityHubOutputs & { readonly prometheusStack: pulumi.Resource } {
  // The load balancer controller (stacks/load-balancer-controller.ts) provisions the endpoints'
  // internal NLBs; without it they stay pending until one is installed.
  const hub = new ObservabilityHub(config.stack, {
    clusterName: config.clusterName,
    storageDependsOn,
    loadBalancerDependsOn,
    vpcId: foundation.network.vpcId,
    vpcCidr: config.vpcCidr,
    provider: foundation.provider,
    production: config.production,
    prometheusRetention: config.observability.prometheusRetention,
    prometheusStorageGiB: config.observability.prometheusStorageGiB,
    alertReceivers: config.alerting.receivers,
    defaultAlertReceiver: config.alerting.defaultReceiver,
    logsDataLinks: tracingEnabled(config) ? [logsToTracesDataLink] : undefined,
    grafanaAdminPassword:
      config.observability.grafanaAdminPassword === undefined
        ? undefined
        : pulumi.secret(config.observability.grafanaAdminPassword),
    logShipperPassword:
      config.observability.logShipperPassword === undefined
        ? undefined
        : pulumi.secret(config.observability.logShipperPassword),
    elasticsearchNodeCount: config.observability.elasticsearchNodeCount,
    elasticsearchStorageGiB: config.observability.elasticsearchStorageGiB,
    elasticsearchMemoryGiB: config.observability.elasticsearchMemoryGiB,
    logRetentionDays: config.observability.logRetentionDays,
    tags: foundation.tags,
  });
  return {
    prometheusStack: hub.prometheusStack,
    hubEndpointsSecurityGroupId: hub.endpointsSecurityGroupId,
    prometheusRemoteWriteUrl: hub.prometheusRemoteWriteUrl,
    elasticsearchUrl: hub.elasticsearchUrl,
    grafanaUrl: hub.grafanaUrl,
    kibanaUrl: hub.kibanaUrl,
    telemetryCaCertificate: hub.telemetryCaCertificate,
  };
}

/** What a spoke's observability reads of the hub: its endpoints, CA and API (to register its users). */
type SpokeHubView = Pick<
  ObservabilityHubView,
  "prometheusRemoteWriteUrl" | "elasticsearchUrl" | "telemetryCaCertificate"
> & {
  readonly clusterName: pulumi.Input<string>;
  readonly clusterEndpoint: pulumi.Input<string>;
  readonly clusterCertificateAuthority: pulumi.Input<string>;
  readonly region: pulumi.Input<string>;
};

/**
 * Builds a spoke's Prometheus agent and Fluent Bit, shipping to the hub's endpoints as the spoke's
 * own users, which the spoke registers on the hub (through a provider for the hub's API, as its Flux
 * registration does) and verifying the hub with its telemetry CA.
 */
export function buildObservabilitySpoke(
  config: ObservabilityStackConfig,
  foundation: Foundation,
  hub: SpokeHubView,
  storageDependsOn: pulumi.Resource[] = [],
): ObservabilitySpokeOutputs & { readonly prometheusStack: pulumi.Resource } {
  const hubProvider = kubernetesProvider(
    `${config.stack}-hub-k8s-telemetry`,
    pulumi
      .all([hub.clusterName, hub.clusterEndpoint, hub.clusterCertificateAuthority, hub.region])
      .apply(([clusterName, endpoint, caBase64, region]) =>
        eksKubeconfig({ clusterName, endpoint, caBase64, region }),
      ),
  );
  const identity = new SpokeTelemetryIdentity(`${config.stack}-telemetry`, {
    clusterName: config.clusterName,
    hubProvider,
  });
  const spoke = new ObservabilitySpoke(config.stack, {
    clusterName: config.clusterName,
    storageDependsOn,
    provider: foundation.provider,
    production: config.production,
    prometheusRemoteWriteUrl: hub.prometheusRemoteWriteUrl,
    elasticsearchUrl: hub.elasticsearchUrl,
    telemetryCaCertificate: hub.telemetryCaCertificate,
    elasticsearchUsername: identity.username,
    elasticsearchPassword: identity.password,
    remoteWriteUsername: identity.remoteWriteUsername,
    remoteWritePassword: identity.remoteWritePassword,
  });
  return { logIndexPrefix: spoke.logIndexPrefix, prometheusStack: spoke.prometheusStack };
}
