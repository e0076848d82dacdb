/**
 * The tracing add-on: an OpenTelemetry Collector on every cluster, and on the hub Tempo storing
 * traces in S3 (KMS, all public-access blocks, versioning, lifecycle, TLS-only), reached by spokes
 * through an internal NLB behind the hub's endpoints security group, with Grafana's Tempo data
 * source linked to the Elasticsearch logs. https://grafana.com/docs/tempo/latest/
 */
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { stringify } from "yaml";
import { awsTags, kmsKeyPolicy, tlsOnlyBucketPolicy } from "../shared/aws";
import { addonNamespace, release, type K8sOpts } from "../shared/helm";
import { podIdentityAssociation, podIdentityRole } from "../shared/pod-identity";
import { internalLoadBalancerAnnotations } from "../observability/values";
import {
  TRACING_CHARTS,
  collectorValues,
  inClusterTempoOtlpUrl,
  tempoDataSource,
  tempoOtlpUrl,
  tempoPolicy,
  tempoValues,
  tracingDefaults,
  tracingNames,
  tracingPorts,
} from "./values";

export * from "./values";

/** Arguments of {@link TraceCollector}. */
export interface TraceCollectorArgs {
  /** EKS cluster name: the `k8s.cluster.name` of every span. */
  readonly clusterName: string;
  /** Tempo's OTLP/HTTP endpoint: hub output `tempoOtlpUrl` on a spoke, the in-cluster Service on the hub. */
  readonly tempoUrl: pulumi.Input<string>;
  /** Kubernetes provider of the cluster. */
  readonly provider: k8s.Provider;
  /** Production: 2 collector replicas and a PodDisruptionBudget. @default false */
  readonly production?: boolean;
  /** The `tracing` namespace when another component already created it (the hub's). @default created here */
  readonly namespace?: k8s.core.v1.Namespace;
  /** What the collector waits for (on the hub: Tempo). @default [] */
  readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/**
 * The cluster's OpenTelemetry Collector (gateway Deployment in `tracing`): applications send OTLP
 * to `otel-collector.tracing.svc:4317` (gRPC) or `:4318` (HTTP); spans get Kubernetes attributes
 * and the cluster name, then go to Tempo.
 */
class TraceCollector extends pulumi.ComponentResource {
  /** The collector's Helm release. */
  public readonly release: k8s.helm.v3.Release;

  constructor(name: string, args: TraceCollectorArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:tracing:TraceCollector", name, {}, opts);
    const k8sOpts: K8sOpts = { parent: this, provider: args.provider };
    const namespace = args.namespace ?? tracingNamespace(name, k8sOpts);
    this.release = release(
      `${name}-otel-collector`,
      TRACING_CHARTS.collector,
      tracingNames.namespace,
      pulumi.output(args.tempoUrl).apply((tempoUrl) =>
        collectorValues({
          clusterName: args.clusterName,
          tempoUrl,
          production: args.production ?? false,
        }),
      ),
      { ...k8sOpts, dependsOn: [namespace, ...(args.dependsOn ?? [])] },
    );
    this.registerOutputs({ release: this.release });
  }
}

/** The `tracing` namespace (restricted: neither Tempo nor the collector needs more). */
function tracingNamespace(name: string, opts: K8sOpts): k8s.core.v1.Namespace {
  return addonNamespace(`${name}-tracing`, tracingNames.namespace, "restricted", opts, "platform-tracing");
}

/** Arguments of {@link TracingHub}. */
export interface TracingHubArgs {
  /** EKS cluster name (bucket and role descriptions, the hub collector's `k8s.cluster.name`). */
  readonly clusterName: string;
  /** The cluster's name as the EKS cluster resource outputs it (the association waits for the cluster). */
  readonly eksClusterName: pulumi.Input<string>;
  /** AWS region of the hub. */
  readonly region: string;
  /** The hub VPC CIDR block: admitted to Tempo's load balancer (spokes add their own rules). */
  readonly vpcCidr: string;
  /** The hub endpoints' security group (hub output `hubEndpointsSecurityGroupId`). */
  readonly endpointsSecurityGroupId: pulumi.Input<string>;
  /** Days a trace is kept (Tempo's block retention; S3 expires blocks a day later). */
  readonly retentionDays: number;
  /** Tempo's WAL volume, GiB. */
  readonly walStorageGiB: number;
  /** Kubernetes provider of the hub. */
  readonly provider: k8s.Provider;
  /** Production: `protect` on the bucket and key, 2 collector replicas. @default false */
  readonly production?: boolean;
  /** What Tempo's release waits for (the StorageClass and the EBS CSI driver). @default [] */
  readonly storageDependsOn?: pulumi.Input<pulumi.Resource>[];
  /** Tags for every AWS resource, merged last. @default {} */
  readonly tags?: Record<string, string>;
}

/** The hub's trace store: bucket, Tempo with its Pod Identity, the endpoint, Grafana's data source, the collector. */
export class TracingHub extends pulumi.ComponentResource {
  /** Tempo's OTLP/HTTP endpoint for spokes (`http://<internal-nlb>:4318`). */
  public readonly tempoOtlpUrl: pulumi.Output<string>;
  /** The trace bucket's name. */
  public readonly bucketName: pulumi.Output<string>;

  constructor(name: string, args: TracingHubArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:tracing:TracingHub", name, {}, opts);
    const tags = args.tags ?? {};
    const production = args.production ?? false;
    const retentionDays = args.retentionDays;
    const k8sOpts: K8sOpts = { parent: this, provider: args.provider };
    const store = new TraceBucket(
      `${name}-traces`,
      { clusterName: args.clusterName, region: args.region, retentionDays, production, tags },
      { parent: this },
    );
    const role = podIdentityRole(`${name}-tempo`, `${args.clusterName}: Tempo trace blocks in S3`, tags, {
      parent: this,
    });
    new aws.iam.RolePolicy(
      `${name}-tempo`,
      {
        role: role.name,
        policy: pulumi
          .all([store.bucket.arn, store.key.arn])
          .apply(([bucketArn, keyArn]) =>
            JSON.stringify(tempoPolicy({ bucketArn, keyArn, region: args.region })),
          ),
      },
      { parent: this },
    );
    const association = podIdentityAssociation(
      `${name}-tempo`,
      {
        clusterName: args.eksClusterName,
        namespace: tracingNames.namespace,
        serviceAccount: tracingNames.tempo,
        roleArn: role.arn,
        tags,
      },
      { parent: this },
    );
    const namespace = tracingNamespace(name, k8sOpts);
    const tempo = release(
      `${name}-tempo`,
      TRACING_CHARTS.tempo,
      tracingNames.namespace,
      store.bucket.bucket.apply((bucket) =>
        tempoValues({
          bucket,
          region: args.region,
          retentionDays,
          walStorageGiB: args.walStorageGiB,
        }),
      ),
      { ...k8sOpts, dependsOn: [namespace, association, ...(args.storageDependsOn ?? [])] },
    );
    new k8s.core.v1.ConfigMap(
      `${name}-tempo-datasource`,
      {
        metadata: {
          name: "grafana-datasource-tempo",
          namespace: "monitoring",
          labels: { grafana_datasource: "1", "app.kubernetes.io/part-of": "platform-tracing" },
        },
        data: { "tempo.yaml": stringify(tempoDataSource()) },
      },
      k8sOpts,
    );
    const host = this.endpoint(name, args, tags, [namespace, tempo]);
    new TraceCollector(
      name,
      {
        clusterName: args.clusterName,
        tempoUrl: inClusterTempoOtlpUrl,
        provider: args.provider,
        production,
        namespace,
        dependsOn: [tempo],
      },
      { parent: this },
    );
    this.tempoOtlpUrl = host.apply(tempoOtlpUrl);
    this.bucketName = store.bucket.bucket;
    this.registerOutputs({ tempoOtlpUrl: this.tempoOtlpUrl, bucketName: this.bucketName });
  }

  /** Tempo's OTLP/HTTP port on an internal NLB behind the endpoints' security group; returns its host. */
  private endpoint(
    name: string,
    args: TracingHubArgs,
    tags: Record<string, string>,
    dependsOn: pulumi.Resource[],
  ): pulumi.Output<string> {
    const port = tracingPorts.otlpHttp;
    new aws.vpc.SecurityGroupIngressRule(
      `${name}-endpoints-tempo-hub`,
      {
        securityGroupId: args.endpointsSecurityGroupId,
        description: `tempo OTLP/HTTP (${port}/tcp) from the hub VPC; spokes add their own rules`,
        ipProtocol: "tcp",
        fromPort: port,
        toPort: port,
        cidrIpv4: args.vpcCidr,
        tags: awsTags(`${name}-endpoints-tempo-hub`, tags),
      },
      { parent: this },
    );
    new aws.vpc.SecurityGroupEgressRule(
      `${name}-endpoints-tempo-targets`,
      {
        securityGroupId: args.endpointsSecurityGroupId,
        description: `NLB to tempo pods (${port}/tcp, IP targets and health checks) in the hub VPC`,
        ipProtocol: "tcp",
        fromPort: port,
        toPort: port,
        cidrIpv4: args.vpcCidr,
        tags: awsTags(`${name}-endpoints-tempo-targets`, tags),
      },
      { parent: this },
    );
    const service = new k8s.core.v1.Service(
      `${name}-tempo-lb`,
      {
        metadata: {
          name: "tempo-internal",
          namespace: tracingNames.namespace,
          labels: { "app.kubernetes.io/part-of": "platform-tracing", "platform.io/endpoint": "tempo" },
          annotations: pulumi.output(args.endpointsSecurityGroupId).apply(internalLoadBalancerAnnotations),
        },
        spec: {
          type: "LoadBalancer",
          loadBalancerClass: "service.k8s.aws/nlb",
          selector: { "app.kubernetes.io/name": tracingNames.tempo, "app.kubernetes.io/instance": "tempo" },
          ports: [{ name: "otlp-http", port, targetPort: port, protocol: "TCP" }],
        },
      },
      { parent: this, provider: args.provider, dependsOn },
    );
    return service.status.loadBalancer.ingress[0].hostname;
  }
}

/** The trace bucket and its key: KMS, all public-access blocks, versioning, lifecycle, TLS only. */
class TraceBucket extends pulumi.ComponentResource {
  public readonly bucket: aws.s3.Bucket;
  public readonly key: aws.kms.Key;

  constructor(
    name: string,
    args: {
      clusterName: string;
      region: string;
      retentionDays: number;
      production: boolean;
      tags: Record<string, string>;
    },
    opts?: pulumi.ComponentResourceOptions,
  ) {
    super("platform:tracing:TraceBucket", name, {}, opts);
    const identity = aws.getCallerIdentityOutput({}, { parent: this });
    const partition = aws.getPartitionOutput({}, { parent: this });
    const protect = args.production;
    this.key = new aws.kms.Key(
      `${name}-key`,
      {
        description: `${args.clusterName}: Tempo trace blocks in S3`,
        enableKeyRotation: true,
        deletionWindowInDays: tracingDefaults.kmsDeletionWindowDays,
        policy: pulumi
          .all([identity.accountId, partition.partition])
          .apply(([accountId, part]) =>
            JSON.stringify(kmsKeyPolicy({ accountId, partition: part, region: args.region })),
          ),
        tags: awsTags(`${name}-key`, args.tags),
      },
      { parent: this, protect },
    );
    this.bucket = new aws.s3.Bucket(
      name,
      {
        bucketPrefix: `${args.clusterName.toLowerCase().slice(0, 30)}-traces-`,
        tags: awsTags(name, args.tags),
      },
      { parent: this, protect },
    );
    const bucket = this.bucket.id;
    const access = new aws.s3.BucketPublicAccessBlock(
      name,
      {
        bucket,
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      },
      { parent: this },
    );
    new aws.s3.BucketOwnershipControls(
      name,
      { bucket, rule: { objectOwnership: "BucketOwnerEnforced" } },
      { parent: this },
    );
    new aws.s3.BucketServerSideEncryptionConfiguration(
      name,
      {
        bucket,
        rules: [
          {
            applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: this.key.arn },
            bucketKeyEnabled: true,
          },
        ],
      },
      { parent: this },
    );
    const versioning = new aws.s3.BucketVersioning(
      name,
      { bucket, versioningConfiguration: { status: "Enabled" } },
      { parent: this },
    );
    new aws.s3.BucketLifecycleConfiguration(
      name,
      {
        bucket,
        rules: [
          {
            id: "trace-retention",
            status: "Enabled",
            filter: {},
            // Tempo deletes blocks at retention; S3 removes what it leaves a day later.
            expiration: { days: args.retentionDays + 1 },
            noncurrentVersionExpiration: { noncurrentDays: tracingDefaults.noncurrentVersionDays },
            abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
          },
        ],
      },
      { parent: this, dependsOn: [versioning] },
    );
    new aws.s3.BucketPolicy(
      name,
      { bucket, policy: this.bucket.arn.apply((arn) => JSON.stringify(tlsOnlyBucketPolicy(arn))) },
      { parent: this, dependsOn: [access] },
    );
    this.registerOutputs({ bucket: this.bucket, key: this.key });
  }
}

/** Arguments of {@link TracingSpoke}. */
export interface TracingSpokeArgs {
  /** EKS cluster name: the `k8s.cluster.name` of every span. */
  readonly clusterName: string;
  /** The hub's Tempo OTLP/HTTP endpoint (hub output `tempoOtlpUrl`). */
  readonly tempoUrl: pulumi.Input<string>;
  /** The hub endpoints' security group (hub output `hubEndpointsSecurityGroupId`). */
  readonly hubEndpointsSecurityGroupId: pulumi.Input<string>;
  /** The spoke's VPC CIDR block: admitted to Tempo's NLB on the hub. */
  readonly vpcCidr: string;
  /** Kubernetes provider of the spoke. */
  readonly provider: k8s.Provider;
  /**
   * AWS provider of the hub-side rule: a role in the hub account when the hub lives in another
   * account. @default the stack's default provider (same account)
   */
  readonly hubAwsProvider?: aws.Provider;
  /** Production: 2 collector replicas. @default false */
  readonly production?: boolean;
  /** Tags, merged last. @default {} */
  readonly tags?: Record<string, string>;
}

/** A spoke's tracing: its collector, and the hub endpoints' rule that lets it reach Tempo over the Transit Gateway. */
export class TracingSpoke extends pulumi.ComponentResource {
  constructor(name: string, args: TracingSpokeArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:tracing:TracingSpoke", name, {}, opts);
    const port = tracingPorts.otlpHttp;
    const rule = new aws.vpc.SecurityGroupIngressRule(
      `${name}-hub-endpoints-tempo`,
      {
        securityGroupId: args.hubEndpointsSecurityGroupId,
        description: `Spoke ${name} (${args.vpcCidr}) to the hub's Tempo OTLP/HTTP on ${port}/tcp over the Transit Gateway`,
        ipProtocol: "tcp",
        fromPort: port,
        toPort: port,
        cidrIpv4: args.vpcCidr,
        tags: awsTags(`${name}-hub-endpoints-tempo`, args.tags ?? {}),
      },
      { parent: this, ...(args.hubAwsProvider ? { provider: args.hubAwsProvider } : {}) },
    );
    new TraceCollector(
      name,
      {
        clusterName: args.clusterName,
        tempoUrl: args.tempoUrl,
        provider: args.provider,
        production: args.production,
        dependsOn: [rule],
      },
      { parent: this },
    );
    this.registerOutputs({});
  }
}
