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
  spokePrometheusAgentValues,
} from "./values";
import { versions } from "./versions";

/** Module defaults of {@link ObservabilitySpoke}. */
export const spokeDefaults = {
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
  /** The hub's Prometheus remote-write URL (hub output `prometheusRemoteWriteUrl`). */
  readonly prometheusRemoteWriteUrl: pulumi.Input<string>;
  /** The hub's Elasticsearch URL (hub output `elasticsearchUrl`, `https://<host>:9200`). */
  readonly elasticsearchUrl: pulumi.Input<string>;
  /** Password of the hub's `log-shipper` Elasticsearch user (hub output `logShipperPassword`, a secret). */
  readonly logShipperPassword: pulumi.Input<string>;
  /**
   * PEM of the hub Elasticsearch's CA (ECK Secret `logs-es-http-certs-public`, key `ca.crt`). With it
   * Fluent Bit verifies the hub; without it TLS still encrypts but does not authenticate the server.
   * @default undefined
   */
  readonly elasticsearchCaCertificate?: pulumi.Input<string>;
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

  constructor(name: string, args: ObservabilitySpokeArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:observability:ObservabilitySpoke", name, {}, opts);
    const production = args.production ?? false;
    const k8sOpts: K8sOpts = { parent: this, provider: args.provider };
    const monitoring = platformNamespace(`${name}-monitoring`, namespaces.monitoring, "privileged", k8sOpts);
    const logging = platformNamespace(`${name}-logging`, namespaces.logging, "privileged", k8sOpts);

    release(
      `${name}-prometheus-agent`,
      versions.kubePrometheusStack,
      namespaces.monitoring,
      pulumi.output(args.prometheusRemoteWriteUrl).apply((url) =>
        spokePrometheusAgentValues({
          clusterName: args.clusterName,
          production,
          remoteWriteUrl: url,
          storageClass: args.storageClass ?? spokeDefaults.storageClass,
        }),
      ),
      { ...k8sOpts, dependsOn: [monitoring, ...(args.storageDependsOn ?? [])] },
      names.prometheusStack,
    );

    const credentials = new k8s.core.v1.Secret(
      `${name}-elasticsearch-credentials`,
      {
        metadata: { name: spokeDefaults.credentialsSecret, namespace: namespaces.logging },
        stringData: { username: names.logShipperUser, password: pulumi.secret(args.logShipperPassword) },
      },
      { ...k8sOpts, dependsOn: [logging] },
    );
    const dependsOn: pulumi.Resource[] = [logging, credentials];
    if (args.elasticsearchCaCertificate !== undefined) {
      dependsOn.push(
        new k8s.core.v1.Secret(
          `${name}-elasticsearch-ca`,
          {
            metadata: { name: spokeDefaults.caSecret, namespace: namespaces.logging },
            stringData: { "ca.crt": args.elasticsearchCaCertificate },
          },
          { ...k8sOpts, dependsOn: [logging] },
        ),
      );
    }
    release(
      `${name}-fluent-bit`,
      versions.fluentBit,
      namespaces.logging,
      pulumi
        .output(args.elasticsearchUrl)
        .apply((u) => logShipperValues(args.clusterName, u, args.elasticsearchCaCertificate !== undefined)),
      { ...k8sOpts, dependsOn },
    );
    this.logIndexPrefix = indexPrefix(args.clusterName);
    this.registerOutputs({ logIndexPrefix: this.logIndexPrefix });
  }
}

/** The spoke's Fluent Bit values for the hub's Elasticsearch URL. */
export function logShipperValues(
  clusterName: string,
  elasticsearchUrl: string,
  withCa: boolean,
): Record<string, unknown> {
  const url = new URL(elasticsearchUrl);
  return fluentBitValues({
    clusterName,
    esHost: hostOf(elasticsearchUrl),
    esPort: url.port ? Number(url.port) : ports.elasticsearch,
    credentialsSecret: spokeDefaults.credentialsSecret,
    caSecret: withCa ? spokeDefaults.caSecret : undefined,
  });
}
