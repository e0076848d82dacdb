/**
 * Wiring of the observability capability: config -> components (the hub's metrics and log stores
 * (exposed through the load balancer controller); each spoke's shippers).
 */
import * as pulumi from "@pulumi/pulumi";
import { ObservabilityHub, ObservabilitySpoke } from "../../components/observability";
import { SpokeTelemetryIdentity } from "../../components/observability/spoke-identity";
import { kubernetesProvider } from "../../components/cluster";
import { eksKubeconfig } from "../../components/gitops";
import type { PlatformConfig } from "../config";
import type { Foundation } from "../foundation";
import { logsToTracesDataLink } from "../../components/tracing/values";
import { tracingEnabled } from "../tracing";

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
  config: PlatformConfig,
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
    prometheusRetention: config.prometheusRetention,
    prometheusStorageGiB: config.prometheusStorageGiB,
    alertReceivers: config.alerting.receivers,
    defaultAlertReceiver: config.alerting.defaultReceiver,
    logsDataLinks: tracingEnabled(config) ? [logsToTracesDataLink] : undefined,
    grafanaAdminPassword:
      config.grafanaAdminPassword === undefined ? undefined : pulumi.secret(config.grafanaAdminPassword),
    logShipperPassword:
      config.logShipperPassword === undefined ? undefined : pulumi.secret(config.logShipperPassword),
    elasticsearchNodeCount: config.elasticsearchNodeCount,
    elasticsearchStorageGiB: config.elasticsearchStorageGiB,
    elasticsearchMemoryGiB: config.elasticsearchMemoryGiB,
    logRetentionDays: config.logRetentionDays,
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
  config: PlatformConfig,
  foundation: Foundation,
  hub: SpokeHubView,
  storageDependsOn: pulumi.Resource[] = [],
): ObservabilitySpokeOutputs {
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
  return { logIndexPrefix: spoke.logIndexPrefix };
}
