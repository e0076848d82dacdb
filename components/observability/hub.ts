import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ElasticStack } from "./elastic";
import { HubEndpoints } from "./endpoints";
import { HubMetrics } from "./metrics";
import { RemoteWriteGateway, gatewayNames } from "./remote-write-gateway";
import { TelemetryCa, elasticsearchDnsNames, elasticsearchHttpCertSecret } from "./tls";
import { logShipperRelease, platformNamespace } from "./shared";
import { names, namespaces, ports, remoteWriteUrl, type AlertReceiver } from "./values";
import type { K8sOpts } from "../shared/helm";

/** Module defaults of {@link ObservabilityHub}. */
const hubDefaults = {
  storageClass: "gp3",
  prometheusRetention: "15d",
  prometheusStorageGiB: 100,
  elasticsearchNodeCount: 3,
  elasticsearchStorageGiB: 100,
  elasticsearchMemoryGiB: 4,
  logRetentionDays: 30,
};

/** Arguments of {@link ObservabilityHub}. */
export interface ObservabilityHubArgs {
  /** EKS cluster name: the `cluster` label/field of the hub's own metrics and logs. */
  readonly clusterName: string;
  /**
   * Resources the Helm releases with persistent volumes wait for: the `gp3` StorageClass and the EBS
   * CSI driver (an atomic release would otherwise time out on unbound volumes). @default []
   */
  readonly storageDependsOn?: pulumi.Input<pulumi.Resource>[];
  /** Hub VPC id (the endpoints' security group lives there). */
  readonly vpcId: pulumi.Input<string>;
  /** Hub VPC CIDR block: the only ingress rule this component adds to the endpoints' security group. */
  readonly vpcCidr: string;
  /** Kubernetes provider of the hub cluster. */
  readonly provider: k8s.Provider;
  /** Production: 2 replicas and PodDisruptionBudgets where the software supports it. @default false */
  readonly production?: boolean;
  /** StorageClass of every volume. @default "gp3" */
  readonly storageClass?: string;
  /** Prometheus retention, a Prometheus duration. https://prometheus.io/docs/prometheus/latest/storage/ @default "15d" */
  readonly prometheusRetention?: string;
  /** Prometheus volume, GiB. @default 100 */
  readonly prometheusStorageGiB?: number;
  /** Alertmanager receivers (URLs are secrets: written to a Secret, never to Helm values). @default [] */
  readonly alertReceivers?: readonly AlertReceiver[];
  /** Receiver of what no other route takes. @default the first receiver */
  readonly defaultAlertReceiver?: string;
  /** Grafana admin password (a Pulumi secret). @default generated on the first up and kept */
  readonly grafanaAdminPassword?: pulumi.Input<string>;
  /** Data links of Grafana's Elasticsearch data source (e.g. `trace_id` to Tempo). @default [] */
  readonly logsDataLinks?: readonly Readonly<Record<string, string>>[];
  /** Password of the Elasticsearch `log-shipper` user. @default generated on the first up and kept */
  readonly logShipperPassword?: pulumi.Input<string>;
  /** Elasticsearch nodes (master+data). https://www.elastic.co/docs/deploy-manage/deploy/cloud-on-k8s/nodes-orchestration @default 3 */
  readonly elasticsearchNodeCount?: number;
  /** Elasticsearch volume per node, GiB. @default 100 */
  readonly elasticsearchStorageGiB?: number;
  /** Elasticsearch memory per node, GiB (request = limit; the heap is half). @default 4 */
  readonly elasticsearchMemoryGiB?: number;
  /** Days an index of shipped logs is kept (ILM delete phase). @default 30 */
  readonly logRetentionDays?: number;
  /**
   * What the endpoints' Services wait for: the AWS Load Balancer Controller that turns them into
   * internal NLBs (an add-on of the cluster, see components/aws-load-balancer-controller). @default []
   */
  readonly loadBalancerDependsOn?: pulumi.Input<pulumi.Resource>[];
  /** Tags for every AWS resource, merged last. @default {} */
  readonly tags?: Record<string, string>;
}

/**
 * The hub's observability: kube-prometheus-stack (Prometheus receiving the spokes' remote writes,
 * Alertmanager, Grafana), Elasticsearch and Kibana through ECK, Fluent Bit for the hub's own logs,
 * and internal NLBs behind one security group spokes are let into.
 */
export class ObservabilityHub extends pulumi.ComponentResource {
  /** Security group of the endpoints' load balancers; spokes add their own ingress rules. */
  public readonly endpointsSecurityGroupId: pulumi.Output<string>;
  /** Prometheus remote-write endpoint for spokes (`http://<internal-nlb>:9090/api/v1/write`). */
  public readonly prometheusRemoteWriteUrl: pulumi.Output<string>;
  /** Elasticsearch endpoint (`https://<internal-nlb>:9200`, ECK self-signed TLS). */
  public readonly elasticsearchUrl: pulumi.Output<string>;
  /** Grafana (`http://<internal-nlb>`). */
  public readonly grafanaUrl: pulumi.Output<string>;
  /** Kibana (`https://<internal-nlb>:5601`). */
  public readonly kibanaUrl: pulumi.Output<string>;
  /** Password of the Elasticsearch `log-shipper` user (a secret), read by spokes. */
  public readonly logShipperPassword: pulumi.Output<string>;
  /** The Grafana admin password (a secret). */
  public readonly grafanaAdminPassword: pulumi.Output<string>;
  /** PEM of the telemetry CA: spokes verify Elasticsearch and the remote-write gateway with it. */
  public readonly telemetryCaCertificate: pulumi.Output<string>;
  /** The kube-prometheus-stack release (PrometheusRules and PodMonitors wait for its CRDs). */
  public readonly prometheusStack: k8s.helm.v3.Release;

  constructor(name: string, args: ObservabilityHubArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:observability:ObservabilityHub", name, {}, opts);
    const production = args.production ?? false;
    const storageClass = args.storageClass ?? hubDefaults.storageClass;
    const k8sOpts = { parent: this, provider: args.provider };
    const monitoring = platformNamespace(`${name}-monitoring`, namespaces.monitoring, "privileged", k8sOpts);
    const logging = platformNamespace(`${name}-logging`, namespaces.logging, "privileged", k8sOpts);

    const endpoints = new HubEndpoints(
      name,
      {
        vpcId: args.vpcId,
        vpcCidr: args.vpcCidr,
        provider: args.provider,
        namespaces: [monitoring, logging],
        loadBalancerDependsOn: args.loadBalancerDependsOn,
        tags: args.tags,
      },
      { parent: this },
    );
    const hosts = endpoints.hosts;
    const ca = this.telemetryCa(name, args, hosts, [monitoring, logging]);
    const elastic = new ElasticStack(
      name,
      {
        provider: args.provider,
        namespace: logging,
        production,
        storageClass,
        hosts,
        httpCertificate: ca.secrets.elasticsearch,
        logShipperPassword: args.logShipperPassword,
        nodeCount: args.elasticsearchNodeCount ?? hubDefaults.elasticsearchNodeCount,
        storageGiB: args.elasticsearchStorageGiB ?? hubDefaults.elasticsearchStorageGiB,
        memoryGiB: args.elasticsearchMemoryGiB ?? hubDefaults.elasticsearchMemoryGiB,
        logRetentionDays: args.logRetentionDays ?? hubDefaults.logRetentionDays,
      },
      { parent: this },
    );
    const metrics = new HubMetrics(
      name,
      {
        clusterName: args.clusterName,
        provider: args.provider,
        namespace: monitoring,
        production,
        storageClass,
        retention: args.prometheusRetention ?? hubDefaults.prometheusRetention,
        storageGiB: args.prometheusStorageGiB ?? hubDefaults.prometheusStorageGiB,
        receivers: args.alertReceivers ?? [],
        defaultReceiver: args.defaultAlertReceiver,
        grafanaAdminPassword: args.grafanaAdminPassword,
        logShipperPassword: elastic.logShipperPassword,
        logsDataLinks: args.logsDataLinks,
        dependsOn: args.storageDependsOn,
      },
      { parent: this },
    );
    new RemoteWriteGateway(
      name,
      { tlsSecret: ca.secrets.gateway, production, upstream: metrics.release },
      { provider: args.provider, dependsOn: [monitoring] },
      { parent: this },
    );
    this.ownLogs(name, args.clusterName, k8sOpts, elastic);

    this.endpointsSecurityGroupId = endpoints.securityGroupId;
    this.telemetryCaCertificate = ca.caCertificate;
    this.logShipperPassword = elastic.logShipperPassword;
    this.grafanaAdminPassword = metrics.grafanaAdminPassword;
    this.prometheusStack = metrics.release;
    this.prometheusRemoteWriteUrl = hosts.prometheus.apply(remoteWriteUrl);
    this.elasticsearchUrl = pulumi.interpolate`https://${hosts.elasticsearch}:${ports.elasticsearch}`;
    this.grafanaUrl = pulumi.interpolate`http://${hosts.grafana}`;
    this.kibanaUrl = pulumi.interpolate`https://${hosts.kibana}:${ports.kibana}`;
    this.registerOutputs({
      endpointsSecurityGroupId: this.endpointsSecurityGroupId,
      prometheusRemoteWriteUrl: this.prometheusRemoteWriteUrl,
      elasticsearchUrl: this.elasticsearchUrl,
      grafanaUrl: this.grafanaUrl,
      kibanaUrl: this.kibanaUrl,
      logShipperPassword: this.logShipperPassword,
      grafanaAdminPassword: this.grafanaAdminPassword,
      telemetryCaCertificate: this.telemetryCaCertificate,
    });
  }

  /** The telemetry CA and the server certificates of Elasticsearch and the remote-write gateway. */
  private telemetryCa(
    name: string,
    args: ObservabilityHubArgs,
    hosts: HubEndpoints["hosts"],
    namespaceResources: pulumi.Resource[],
  ): TelemetryCa {
    return new TelemetryCa(
      name,
      {
        clusterName: args.clusterName,
        servers: {
          elasticsearch: {
            secretName: elasticsearchHttpCertSecret,
            namespace: namespaces.logging,
            dnsNames: hosts.elasticsearch.apply(elasticsearchDnsNames),
          },
          gateway: {
            secretName: gatewayNames.tlsSecret,
            namespace: namespaces.monitoring,
            dnsNames: hosts.prometheus.apply((h) => [h, `${gatewayNames.name}.${namespaces.monitoring}.svc`]),
          },
        },
      },
      { provider: args.provider, dependsOn: namespaceResources },
      { parent: this },
    );
  }

  /** The hub's own logs: Fluent Bit shipping to the in-cluster Elasticsearch. */
  private ownLogs(name: string, clusterName: string, k8sOpts: K8sOpts, elastic: ElasticStack): void {
    logShipperRelease(
      name,
      {
        namespace: namespaces.logging,
        clusterName: clusterName,
        esHost: `${names.elastic}-es-http.${namespaces.logging}.svc`,
        credentialsSecret: `${names.logShipperUser}-user`,
        caSecret: `${names.elastic}-es-http-certs-public`,
      },
      { ...k8sOpts, dependsOn: [elastic.elasticsearch, elastic.logShipperSecret] },
    );
  }
}
