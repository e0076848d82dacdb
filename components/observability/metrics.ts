/**
 * The hub's metrics: kube-prometheus-stack (Prometheus receiving the spokes' remote writes,
 * Alertmanager, Grafana with an Elasticsearch data source) and the Secrets it reads.
 * https://github.com/prometheus-community/helm-charts/tree/main/charts/kube-prometheus-stack
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { release, type K8sOpts } from "../shared/helm";
import { inClusterElasticsearchUrl } from "./elastic";
import { credentialSecret } from "./shared";
import {
  hubPrometheusStackValues,
  names,
  namespaces,
  receiverUrlsSecret,
  type AlertReceiver,
} from "./values";
import { versions } from "./versions";
import { receiverSecretData } from "../alerting/values";

/** Arguments of {@link HubMetrics}. */
export interface HubMetricsArgs {
  /** EKS cluster name: the `cluster` label of the hub's own metrics. */
  readonly clusterName: string;
  /** Kubernetes provider of the hub cluster. */
  readonly provider: k8s.Provider;
  /** The `monitoring` namespace. */
  readonly namespace: k8s.core.v1.Namespace;
  /** Production: 2 replicas and PodDisruptionBudgets. */
  readonly production: boolean;
  /** StorageClass of the Prometheus, Alertmanager and Grafana volumes. */
  readonly storageClass: string;
  /** Prometheus retention, a Prometheus duration such as `15d`. */
  readonly retention: string;
  /** Prometheus volume, GiB. */
  readonly storageGiB: number;
  /** Alertmanager receivers (URLs are secrets: written to a Secret, never to Helm values). */
  readonly receivers: readonly AlertReceiver[];
  /** Receiver of what no other route takes. @default the first receiver */
  readonly defaultReceiver?: string;
  /** Grafana admin password (a Pulumi secret). @default generated on the first up and kept */
  readonly grafanaAdminPassword?: pulumi.Input<string>;
  /** Password of the Elasticsearch `log-shipper` user, Grafana's Elasticsearch data source login. */
  readonly logShipperPassword: pulumi.Output<string>;
  /** Data links of Grafana's Elasticsearch data source (e.g. `trace_id` to Tempo). @default [] */
  readonly logsDataLinks?: readonly Readonly<Record<string, string>>[];
  /** What the release waits for besides its Secrets (the StorageClass and the EBS CSI driver). @default [] */
  readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/** kube-prometheus-stack on the hub with its credentials. */
export class HubMetrics extends pulumi.ComponentResource {
  /** The kube-prometheus-stack release (its CRDs: PrometheusRules and PodMonitors wait for it). */
  public readonly release: k8s.helm.v3.Release;
  /** The Grafana admin password (a secret). */
  public readonly grafanaAdminPassword: pulumi.Output<string>;

  constructor(name: string, args: HubMetricsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:observability:HubMetrics", name, {}, opts);
    const inMonitoring: K8sOpts = { parent: this, provider: args.provider, dependsOn: [args.namespace] };
    const grafanaAdmin = credentialSecret(
      `${name}-grafana-admin`,
      {
        namespace: namespaces.monitoring,
        secretName: "grafana-admin",
        username: "admin",
        password: args.grafanaAdminPassword,
        usernameKey: "admin-user",
        passwordKey: "admin-password",
      },
      inMonitoring,
    );
    this.grafanaAdminPassword = grafanaAdmin.password;
    const grafanaEs = new k8s.core.v1.Secret(
      `${name}-grafana-elasticsearch`,
      {
        metadata: { name: "grafana-elasticsearch", namespace: namespaces.monitoring },
        stringData: { username: names.logShipperUser, password: args.logShipperPassword },
      },
      inMonitoring,
    );
    // An empty stringData is not kept by the Kubernetes provider: every later preview would
    // replace the Secret (found by the e2e run's second, no-changes preview). No credentials, no key.
    const receiverData = receiverSecretData(args.receivers);
    const receiverUrls = new k8s.core.v1.Secret(
      `${name}-alertmanager-receivers`,
      {
        metadata: { name: receiverUrlsSecret, namespace: namespaces.monitoring },
        ...(Object.keys(receiverData).length > 0 ? { stringData: pulumi.secret(receiverData) } : {}),
      },
      inMonitoring,
    );
    this.release = release(
      `${name}-prometheus-stack`,
      versions.kubePrometheusStack,
      namespaces.monitoring,
      hubPrometheusStackValues({
        clusterName: args.clusterName,
        production: args.production,
        retention: args.retention,
        storageGiB: args.storageGiB,
        storageClass: args.storageClass,
        receivers: args.receivers,
        defaultReceiver: args.defaultReceiver,
        grafanaAdminSecret: "grafana-admin",
        elasticsearchUrl: inClusterElasticsearchUrl,
        elasticsearchCredentialsSecret: "grafana-elasticsearch",
        elasticsearchDataLinks: args.logsDataLinks,
      }),
      {
        ...inMonitoring,
        dependsOn: [args.namespace, grafanaAdmin.secret, grafanaEs, receiverUrls, ...(args.dependsOn ?? [])],
      },
      names.prometheusStack,
    );
    this.registerOutputs({ grafanaAdminPassword: this.grafanaAdminPassword });
  }
}
