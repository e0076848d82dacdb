/**
 * The hub's log store: the ECK operator, Elasticsearch and Kibana, the `log-shipper` file-realm user
 * and role, and a Job that applies the ILM policy and index template of shipped logs.
 * https://www.elastic.co/docs/deploy-manage/deploy/cloud-on-k8s
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { release, type K8sOpts } from "../shared/helm";
import { replicasFor } from "../shared/kubernetes";
import { credentialSecret } from "./shared";
import {
  eckOperatorValues,
  elasticsearchSpec,
  ilmBootstrapScript,
  kibanaSpec,
  logShipperRolesYaml,
  names,
  namespaces,
  ports,
  resourceDefaults,
} from "./values";
import { elasticsearchImage, versions } from "./versions";

/** Arguments of {@link ElasticStack}. */
export interface ElasticStackArgs {
  /** Kubernetes provider of the hub cluster. */
  readonly provider: k8s.Provider;
  /** The `logging` namespace. */
  readonly namespace: k8s.core.v1.Namespace;
  /** Production: 2 operator and Kibana replicas, PodDisruptionBudgets. */
  readonly production: boolean;
  /** StorageClass of the Elasticsearch volumes. */
  readonly storageClass: string;
  /** DNS name of the Kibana load balancer (a subject alternative name of its self-signed certificate). */
  readonly hosts: { readonly kibana: pulumi.Output<string> };
  /** Elasticsearch's HTTP certificate Secret, issued by the telemetry CA (components/observability/tls.ts). */
  readonly httpCertificate: k8s.core.v1.Secret;
  /** Password of the `log-shipper` user (a Pulumi secret). @default generated on the first up and kept */
  readonly logShipperPassword?: pulumi.Input<string>;
  /** Elasticsearch nodes (master+data). */
  readonly nodeCount: number;
  /** Elasticsearch volume per node, GiB. */
  readonly storageGiB: number;
  /** Elasticsearch memory per node, GiB (request = limit; the heap is half). */
  readonly memoryGiB: number;
  /** Days an index of shipped logs is kept (ILM delete phase). */
  readonly logRetentionDays: number;
}

/** Elasticsearch and Kibana through ECK, with the log shipper's user and the ILM bootstrap. */
export class ElasticStack extends pulumi.ComponentResource {
  /** The Elasticsearch custom resource (log shippers wait for it). */
  public readonly elasticsearch: k8s.apiextensions.CustomResource;
  /** The `log-shipper` user's Secret (file realm). */
  public readonly logShipperSecret: k8s.core.v1.Secret;
  /** Password of the `log-shipper` user (a secret). */
  public readonly logShipperPassword: pulumi.Output<string>;

  constructor(name: string, args: ElasticStackArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:observability:ElasticStack", name, {}, opts);
    const k8sOpts: K8sOpts = { parent: this, provider: args.provider };
    const inLogging: K8sOpts = { ...k8sOpts, dependsOn: [args.namespace] };
    // ECK file realm: a kubernetes.io/basic-auth Secret with username, password and roles.
    // https://www.elastic.co/docs/deploy-manage/users-roles/cluster-or-deployment-auth/file-based
    const shipper = credentialSecret(
      `${name}-log-shipper`,
      {
        namespace: namespaces.logging,
        secretName: `${names.logShipperUser}-user`,
        username: names.logShipperUser,
        password: args.logShipperPassword,
        type: "kubernetes.io/basic-auth",
        extra: { roles: names.logShipperRole },
      },
      inLogging,
    );
    this.logShipperSecret = shipper.secret;
    this.logShipperPassword = shipper.password;
    const roles = new k8s.core.v1.Secret(
      `${name}-log-shipper-roles`,
      {
        metadata: { name: `${names.logShipperRole}-roles`, namespace: namespaces.logging },
        stringData: { "roles.yml": logShipperRolesYaml() },
      },
      inLogging,
    );
    const eck = release(
      `${name}-eck-operator`,
      versions.eckOperator,
      namespaces.logging,
      eckOperatorValues(args.production),
      inLogging,
    );
    this.elasticsearch = new k8s.apiextensions.CustomResource(
      `${name}-elasticsearch`,
      {
        apiVersion: "elasticsearch.k8s.elastic.co/v1",
        kind: "Elasticsearch",
        metadata: { name: names.elastic, namespace: namespaces.logging },
        spec: args.httpCertificate.metadata.name.apply((httpCertificateSecret) =>
          elasticsearchSpec({
            version: versions.elasticStack,
            nodeCount: args.nodeCount,
            storageGiB: args.storageGiB,
            memoryGiB: args.memoryGiB,
            storageClass: args.storageClass,
            httpCertificateSecret,
            fileRealmSecrets: [`${names.logShipperUser}-user`],
            rolesSecret: `${names.logShipperRole}-roles`,
          }),
        ),
      },
      { ...k8sOpts, dependsOn: [eck, shipper.secret, roles, args.httpCertificate] },
    );
    new k8s.apiextensions.CustomResource(
      `${name}-kibana`,
      {
        apiVersion: "kibana.k8s.elastic.co/v1",
        kind: "Kibana",
        metadata: { name: names.elastic, namespace: namespaces.logging },
        spec: args.hosts.kibana.apply((host) =>
          kibanaSpec({
            version: versions.elasticStack,
            count: replicasFor(args.production),
            subjectAltNames: [host],
          }),
        ),
      },
      { ...k8sOpts, dependsOn: [eck, this.elasticsearch] },
    );
    ilmBootstrapJob(name, args, { ...k8sOpts, dependsOn: [this.elasticsearch] });
    this.registerOutputs({ logShipperPassword: this.logShipperPassword });
  }
}

/** In-cluster URL of Elasticsearch (ECK's `<name>-es-http` Service, self-signed TLS). */
export const inClusterElasticsearchUrl = `https://${names.elastic}-es-http.${namespaces.logging}.svc:${ports.elasticsearch}`;

/** ILM policy + index template, applied by a Job with the elastic superuser (idempotent PUTs). */
function ilmBootstrapJob(name: string, args: ElasticStackArgs, opts: K8sOpts): k8s.batch.v1.Job {
  return elasticsearchAdminJob(
    `${name}-ilm`,
    {
      jobName: "elasticsearch-ilm-bootstrap",
      containerName: "ilm",
      script: ilmBootstrapScript(
        inClusterElasticsearchUrl,
        args.logRetentionDays,
        args.nodeCount > 1 ? 1 : 0,
      ),
    },
    opts,
  );
}

/** A Job that runs a script against Elasticsearch as its `elastic` superuser. */
export interface ElasticsearchAdminJobArgs {
  /** Job name (and its pods' `app.kubernetes.io/name` unless `appName` is given), in `logging`. */
  readonly jobName: pulumi.Input<string>;
  /** Pods' `app.kubernetes.io/name`. @default jobName */
  readonly appName?: string;
  /** Container name. */
  readonly containerName: string;
  /** The bash script (it reads `ELASTIC_PASSWORD` and verifies the server with `/ca/ca.crt`). */
  readonly script: pulumi.Input<string>;
  /** More environment variables of the container. @default [] */
  readonly env?: k8s.types.input.core.v1.EnvVar[];
}

/**
 * A Job in `logging` running a bash script with the Elasticsearch image as the `elastic` superuser
 * (`ELASTIC_PASSWORD` from ECK's Secret), the HTTP CA mounted at `/ca`, restricted Pod Security, no
 * ServiceAccount token, retried up to 10 times within 30 minutes.
 */
export function elasticsearchAdminJob(
  name: string,
  args: ElasticsearchAdminJobArgs,
  opts: pulumi.CustomResourceOptions,
): k8s.batch.v1.Job {
  return new k8s.batch.v1.Job(
    name,
    {
      metadata: { name: args.jobName, namespace: namespaces.logging },
      spec: {
        backoffLimit: 10,
        template: {
          metadata: { labels: { "app.kubernetes.io/name": args.appName ?? args.jobName } },
          spec: {
            restartPolicy: "OnFailure",
            automountServiceAccountToken: false,
            securityContext: {
              runAsNonRoot: true,
              runAsUser: 1000,
              runAsGroup: 1000,
              seccompProfile: { type: "RuntimeDefault" },
            },
            containers: [
              {
                name: args.containerName,
                image: elasticsearchImage,
                command: ["/bin/bash", "-c"],
                args: [args.script],
                env: [
                  {
                    name: "ELASTIC_PASSWORD",
                    valueFrom: { secretKeyRef: { name: `${names.elastic}-es-elastic-user`, key: "elastic" } },
                  },
                  ...(args.env ?? []),
                ],
                volumeMounts: [{ name: "ca", mountPath: "/ca", readOnly: true }],
                resources: resourceDefaults.job,
                securityContext: {
                  allowPrivilegeEscalation: false,
                  capabilities: { drop: ["ALL"] },
                  runAsNonRoot: true,
                  readOnlyRootFilesystem: true,
                },
              },
            ],
            volumes: [{ name: "ca", secret: { secretName: `${names.elastic}-es-http-certs-public` } }],
          },
        },
      },
    },
    { ...opts, customTimeouts: { create: "30m", update: "30m" } },
  );
}
