/**
 * The Velero add-on: Kubernetes backups (objects to an S3 bucket, volumes as EBS snapshots) with a
 * daily Schedule per organization namespace. The bucket is KMS-encrypted, versioned, TLS-only, with
 * every public access block on and a lifecycle; Velero reaches it through an EKS Pod Identity role
 * limited to that bucket, the key and this cluster's volumes.
 * https://velero.io/docs/v1.18/
 */
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { awsTags, tlsOnlyBucketPolicy } from "../shared/aws";
import { addonNamespace, release } from "../shared/helm";
import { podIdentityAssociation, podIdentityRole } from "../shared/pod-identity";
import {
  bucketLifecycleRules,
  scheduleSpec,
  veleroDefaults,
  veleroPolicy,
  veleroRelease,
  veleroValues,
  type VeleroSchedule,
} from "./values";

export * from "./values";

/** Arguments of {@link Velero}. */
export interface VeleroArgs {
  /** EKS cluster name (bucket prefix, descriptions, the volume tag value). */
  readonly clusterName: string;
  /** The cluster's name as the EKS cluster resource outputs it (the association waits for the cluster). */
  readonly eksClusterName: pulumi.Input<string>;
  /** Kubernetes minor version: picks the pinned release. */
  readonly kubernetesVersion: string;
  /** AWS region, e.g. `eu-west-1`. */
  readonly region: string;
  /** ARN of the KMS key of the cluster's volumes (components/storage), also the bucket's key. */
  readonly keyArn: pulumi.Input<string>;
  /** The tag every volume of the cluster carries (`platform:cluster` = cluster name): what Velero may snapshot. */
  readonly volumeTag: { readonly key: string; readonly value: string };
  /** One Schedule per namespace. */
  readonly schedules: readonly VeleroSchedule[];
  /** Days a noncurrent object version stays in the bucket. */
  readonly noncurrentVersionDays: number;
  /**
   * The Namespace object of each namespace a Schedule backs up, by name: a Schedule waits for its
   * own namespace only (waiting for whole tenant components made every Schedule depend on every
   * tenant object, a list that grew with the square of the organizations). @default none
   */
  readonly namespaceResources?: ReadonlyMap<string, pulumi.Resource>;
  /** Kubernetes provider of the cluster. */
  readonly provider: k8s.Provider;
  /** Protect the bucket against deletion. @default false */
  readonly protect?: boolean;
  /** Tags for every AWS resource, merged last. @default {} */
  readonly tags?: Record<string, string>;
  /**
   * The cluster's kube-prometheus-stack release: turns the chart's ServiceMonitor on
   * (`velero_backup_*` metrics) and the release waits for it (its CRDs). @default none
   */
  readonly prometheusStack?: pulumi.Resource;
}

/** Velero on one cluster, with its bucket and Pod Identity role. */
export class Velero extends pulumi.ComponentResource {
  /** The backup bucket. */
  public readonly bucket: aws.s3.Bucket;
  /** The Helm release. */
  public readonly release: k8s.helm.v3.Release;

  constructor(name: string, args: VeleroArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:velero:Velero", name, {}, opts);
    const tags = args.tags ?? {};
    const pinned = veleroRelease(args.kubernetesVersion);
    const resourceName = `${name}-velero`;
    this.bucket = this.backupBucket(resourceName, args, tags);
    const identity = aws.getCallerIdentityOutput({}, { parent: this });
    const partition = aws.getPartitionOutput({}, { parent: this });
    const role = podIdentityRole(
      resourceName,
      `${args.clusterName}: Velero backups (EKS Pod Identity)`,
      tags,
      {
        parent: this,
      },
    );
    const policy = new aws.iam.RolePolicy(
      resourceName,
      {
        role: role.name,
        policy: pulumi
          .all([partition.partition, identity.accountId, this.bucket.arn, args.keyArn])
          .apply(([p, accountId, bucketArn, keyArn]) =>
            JSON.stringify(
              veleroPolicy({
                partition: p,
                region: args.region,
                accountId,
                bucketArn,
                keyArn,
                volumeTag: args.volumeTag,
              }),
            ),
          ),
      },
      { parent: this },
    );
    const association = podIdentityAssociation(
      resourceName,
      {
        clusterName: args.eksClusterName,
        namespace: veleroDefaults.namespace,
        serviceAccount: veleroDefaults.serviceAccount,
        roleArn: role.arn,
        tags,
      },
      { parent: this, dependsOn: [policy] },
    );
    const k8sOpts = { parent: this, provider: args.provider };
    const namespace = addonNamespace(resourceName, veleroDefaults.namespace, "restricted", k8sOpts);
    this.release = release(
      resourceName,
      pinned.chart,
      veleroDefaults.namespace,
      pulumi.all([this.bucket.bucket, args.keyArn]).apply(([bucket, keyArn]) =>
        veleroValues({
          bucket,
          region: args.region,
          keyArn,
          awsPluginImage: pinned.awsPluginImage,
          clusterName: args.clusterName,
          serviceMonitor: args.prometheusStack !== undefined,
        }),
      ),
      {
        ...k8sOpts,
        dependsOn: [namespace, association, ...(args.prometheusStack ? [args.prometheusStack] : [])],
      },
    );
    for (const schedule of args.schedules) {
      const namespace = args.namespaceResources?.get(schedule.namespace);
      new k8s.apiextensions.CustomResource(
        `${resourceName}-${schedule.name}`,
        {
          apiVersion: "velero.io/v1",
          kind: "Schedule",
          metadata: { name: schedule.name, namespace: veleroDefaults.namespace },
          spec: scheduleSpec(schedule),
        },
        { ...k8sOpts, dependsOn: namespace ? [this.release, namespace] : [this.release] },
      );
    }
    this.registerOutputs({ bucket: this.bucket, release: this.release });
  }

  /** The bucket: KMS, public access blocked, owner-enforced, versioned, TLS-only, with a lifecycle. */
  private backupBucket(name: string, args: VeleroArgs, tags: Record<string, string>): aws.s3.Bucket {
    const opts = { parent: this };
    const bucket = new aws.s3.Bucket(
      name,
      { bucketPrefix: `${args.clusterName.toLowerCase().slice(0, 30)}-velero-`, tags: awsTags(name, tags) },
      { parent: this, protect: args.protect ?? false },
    );
    new aws.s3.BucketPublicAccessBlock(
      name,
      {
        bucket: bucket.id,
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      },
      opts,
    );
    new aws.s3.BucketOwnershipControls(
      name,
      { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } },
      opts,
    );
    new aws.s3.BucketServerSideEncryptionConfiguration(
      name,
      {
        bucket: bucket.id,
        rules: [
          {
            applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: args.keyArn },
            bucketKeyEnabled: true,
          },
        ],
      },
      opts,
    );
    const versioning = new aws.s3.BucketVersioning(
      name,
      { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } },
      opts,
    );
    new aws.s3.BucketLifecycleConfiguration(
      name,
      { bucket: bucket.id, rules: bucketLifecycleRules(args.noncurrentVersionDays) },
      { parent: this, dependsOn: [versioning] },
    );
    new aws.s3.BucketPolicy(
      name,
      { bucket: bucket.id, policy: bucket.arn.apply((arn) => JSON.stringify(tlsOnlyBucketPolicy(arn))) },
      opts,
    );
    return bucket;
  }
}
