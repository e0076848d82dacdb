import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { release, type K8sOpts } from "../shared/helm";
import { platformNamespace } from "./shared";
import {
  fluentBitValues,
  hostOf,
  indexPrefix,
  names,
  namespaces,
  ports,
  remoteWriteSecrets,
  spokePrometheusAgentValues,
  spokeRemoteWriteUrl,
} from "./values";
import { versions } from "./versions";

/** Module defaults of {@link ObservabilitySpoke}. */
const spokeDefaults = {
  storageClass: "gp3",
  credentialsSecret: "elasticsearch-credentials",
  caSecret: "elasticsearch-ca",
};

/** Arguments of {@link ObservabilitySpoke}. */
export interface ObservabilitySpokeArgs {
  /** EKS cluster name: the `cluster` external label of every series and the `cluster` field of every log record. */
  readonly clusterName: string;
  /** Resources the Prometheus agent (persistent WAL volume) waits for: the `gp3` StorageClass, the EBS CSI driver. @default [] */
  readonly storageDependsOn?: pulumi.Input<pulumi.Resource>[];
  /** Kubernetes provider of the spoke cluster. */
  readonly provider: k8s.Provider;
  /** Production stack. @default false */
  readonly production?: boolean;
  /** The hub's remote-write gateway (hub output `prometheusRemoteWriteUrl`, `https://<host>:9090`). */
  readonly prometheusRemoteWriteUrl: pulumi.Input<string>;
  /** The hub's Elasticsearch URL (hub output `elasticsearchUrl`, `https://<host>:9200`). */
  readonly elasticsearchUrl: pulumi.Input<string>;
  /** PEM of the hub's telemetry CA (hub output `telemetryCaCertificate`): Fluent Bit and the agent verify the hub with it. */
  readonly telemetryCaCertificate: pulumi.Input<string>;
  /** This spoke's Elasticsearch user (created on the hub, see SpokeTelemetryIdentity). */
  readonly elasticsearchUsername: string;
  /** Its password (a secret). */
  readonly elasticsearchPassword: pulumi.Input<string>;
  /** This spoke's remote-write user at the hub's gateway. */
  readonly remoteWriteUsername: string;
  /** Its password (a secret). */
  readonly remoteWritePassword: pulumi.Input<string>;
  /** StorageClass of the agent's WAL volume. @default "gp3" */
  readonly storageClass?: string;
}

/**
 * A spoke's observability: Prometheus in agent mode remote-writing to the hub (kube-prometheus-stack)
 * and Fluent Bit shipping container and node logs to the hub's Elasticsearch.
 */
export class ObservabilitySpoke extends pulumi.ComponentResource {
  /** Index prefix of this cluster's container logs on the hub (`k8s-<cluster>`). */
  public readonly logIndexPrefix: string;
  /** The kube-prometheus-stack (agent) release: its CRDs define the add-ons' PodMonitors and ServiceMonitors. */
  public readonly prometheusStack: k8s.helm.v3.Release;

  constructor(name: string, args: ObservabilitySpokeArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:observability:ObservabilitySpoke", name, {}, opts);
    const production = args.production ?? false;
    const k8sOpts: K8sOpts = { parent: this, provider: args.provider };
    const monitoring = platformNamespace(`${name}-monitoring`, namespaces.monitoring, "privileged", k8sOpts);
    const logging = platformNamespace(`${name}-logging`, namespaces.logging, "privileged", k8sOpts);

    const secret = (
      id: string,
      namespace: k8s.core.v1.Namespace,
      secretName: string,
      data: pulumi.Input<Record<string, pulumi.Input<string>>>,
    ) =>
      new k8s.core.v1.Secret(
        `${name}-${id}`,
        { metadata: { name: secretName, namespace: namespace.metadata.name }, stringData: data },
        { ...k8sOpts, dependsOn: [namespace] },
      );
    const agentSecrets = [
      secret("remote-write-credentials", monitoring, remoteWriteSecrets.credentials, {
        username: args.remoteWriteUsername,
        password: pulumi.secret(args.remoteWritePassword),
      }),
      secret("telemetry-ca", monitoring, remoteWriteSecrets.ca, { "ca.crt": args.telemetryCaCertificate }),
    ];
    this.prometheusStack = release(
      `${name}-prometheus-agent`,
      versions.kubePrometheusStack,
      namespaces.monitoring,
      pulumi.output(args.prometheusRemoteWriteUrl).apply((url) =>
        spokePrometheusAgentValues({
          clusterName: args.clusterName,
          production,
          remoteWriteUrl: spokeRemoteWriteUrl(url, args.clusterName),
          storageClass: args.storageClass ?? spokeDefaults.storageClass,
        }),
      ),
      { ...k8sOpts, dependsOn: [monitoring, ...agentSecrets, ...(args.storageDependsOn ?? [])] },
      names.prometheusStack,
    );

    const shipperSecrets = [
      secret("elasticsearch-credentials", logging, spokeDefaults.credentialsSecret, {
        username: args.elasticsearchUsername,
        password: pulumi.secret(args.elasticsearchPassword),
      }),
      secret("elasticsearch-ca", logging, spokeDefaults.caSecret, { "ca.crt": args.telemetryCaCertificate }),
    ];
    release(
      `${name}-fluent-bit`,
      versions.fluentBit,
      namespaces.logging,
      pulumi.output(args.elasticsearchUrl).apply((u) => logShipperValues(args.clusterName, u)),
      { ...k8sOpts, dependsOn: [logging, ...shipperSecrets] },
    );
    this.logIndexPrefix = indexPrefix(args.clusterName);
    this.registerOutputs({ logIndexPrefix: this.logIndexPrefix });
  }
}

/** The spoke's Fluent Bit values for the hub's Elasticsearch URL. */
function logShipperValues(clusterName: string, elasticsearchUrl: string): Record<string, unknown> {
  const url = new URL(elasticsearchUrl);
  return fluentBitValues({
    clusterName,
    esHost: hostOf(elasticsearchUrl),
    esPort: url.port ? Number(url.port) : ports.elasticsearch,
    credentialsSecret: spokeDefaults.credentialsSecret,
    caSecret: spokeDefaults.caSecret,
  });
}
