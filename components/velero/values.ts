/**
 * Pure logic of the Velero add-on: the pinned chart and AWS plugin per Kubernetes version, the
 * bucket's lifecycle and TLS-only policy, Velero's IAM policy (its bucket, the KMS keys, snapshots of
 * this cluster's volumes), the Helm values and the per-namespace Schedules. Value keys follow the
 * chart's values.yaml at the pinned version.
 * https://velero.io/docs/v1.18/ and https://github.com/vmware-tanzu/velero-plugin-for-aws
 */
import type { PolicyDocument } from "../shared/aws";
import type { ChartPin } from "../shared/helm";
import { restrictedContainer } from "../shared/kubernetes";

/** The Velero chart and its AWS plugin image (Velero's compatibility matrix) per Kubernetes minor version. */
export const VELERO_VERSIONS: Readonly<Record<string, { chart: string; awsPlugin: string }>> = {
  "1.34": { chart: "12.1.0", awsPlugin: "v1.14.0" },
  "1.35": { chart: "12.1.0", awsPlugin: "v1.14.0" },
};

/**
 * The pinned velero chart and AWS plugin image for a Kubernetes version.
 * @throws Error naming the version and the supported ones when none is pinned.
 */
export function veleroRelease(kubernetesVersion: string): { chart: ChartPin; awsPluginImage: string } {
  const pin = VELERO_VERSIONS[kubernetesVersion];
  if (!pin) {
    throw new Error(
      `Kubernetes ${kubernetesVersion} has no pinned Velero version (supported: ${Object.keys(VELERO_VERSIONS).join(", ")})`,
    );
  }
  return {
    chart: { chart: "velero", version: pin.chart, repo: "https://vmware-tanzu.github.io/helm-charts" },
    awsPluginImage: `velero/velero-plugin-for-aws:${pin.awsPlugin}`,
  };
}

/** Module defaults of the add-on. */
export const veleroDefaults = {
  namespace: "velero",
  /** Its ServiceAccount, the subject of the Pod Identity association. */
  serviceAccount: "velero-server",
  /** Name of the BackupStorageLocation and VolumeSnapshotLocation. */
  location: "default",
  resources: { requests: { cpu: "100m", memory: "256Mi" }, limits: { memory: "1Gi" } },
  /** Days a multipart upload Velero abandoned stays in the bucket. */
  abortIncompleteUploadDays: 7,
} as const;

/** A Velero Schedule: which namespace, when, and for how long its backups are kept. */
export interface VeleroSchedule {
  /** Schedule name (`<namespace>-daily`). */
  readonly name: string;
  /** The namespace backed up. */
  readonly namespace: string;
  /** Cron expression (5 fields, UTC), e.g. `0 3 * * *`. */
  readonly schedule: string;
  /** Days a backup is kept (Velero deletes it, its objects and snapshots afterwards). */
  readonly retentionDays: number;
}

/** The Velero Schedule spec for one namespace: its objects and volume snapshots, kept `retentionDays`. https://velero.io/docs/v1.18/api-types/schedule/ */
export function scheduleSpec(schedule: VeleroSchedule): Record<string, unknown> {
  return {
    schedule: schedule.schedule,
    useOwnerReferencesInBackup: false,
    template: {
      includedNamespaces: [schedule.namespace],
      snapshotVolumes: true,
      storageLocation: veleroDefaults.location,
      volumeSnapshotLocations: [veleroDefaults.location],
      ttl: `${schedule.retentionDays * 24}h0m0s`,
    },
  };
}

/** One S3 lifecycle rule (the fields this add-on uses of aws.s3.BucketLifecycleConfiguration's rules). */
export interface LifecycleRule {
  id: string;
  status: "Enabled" | "Disabled";
  filter: Record<string, never>;
  noncurrentVersionExpiration?: { noncurrentDays: number };
  expiration?: { expiredObjectDeleteMarker: boolean };
  abortIncompleteMultipartUpload?: { daysAfterInitiation: number };
}

/**
 * The bucket's lifecycle: objects Velero deletes at a backup's expiry stay as noncurrent versions
 * for `noncurrentDays` (recovery from a mistaken delete), then go; abandoned uploads go after a week.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lifecycle-mgmt.html
 */
export function bucketLifecycleRules(noncurrentDays: number): LifecycleRule[] {
  return [
    {
      id: "noncurrent-versions",
      status: "Enabled",
      filter: {},
      noncurrentVersionExpiration: { noncurrentDays },
      expiration: { expiredObjectDeleteMarker: true },
    },
    {
      id: "abandoned-uploads",
      status: "Enabled",
      filter: {},
      abortIncompleteMultipartUpload: { daysAfterInitiation: veleroDefaults.abortIncompleteUploadDays },
    },
  ];
}

/** What Velero's IAM policy is limited to. */
export interface VeleroPolicyArgs {
  readonly partition: string;
  readonly region: string;
  readonly accountId: string;
  /** The backup bucket's ARN. */
  readonly bucketArn: string;
  /** ARN of the KMS key of the bucket and of the cluster's volumes. */
  readonly keyArn: string;
  /** The tag every volume of this cluster carries, and its value (`platform:cluster` = the cluster name). */
  readonly volumeTag: { readonly key: string; readonly value: string };
}

/**
 * Velero's policy, narrower than the plugin's published one: objects only in its bucket; snapshots
 * only of this cluster's volumes (by tag); deleting only snapshots Velero made (tagged
 * `velero.io/backup`); volumes restored only from snapshots; the one KMS key through grants for
 * EBS; describe calls (no resource-level permissions) only in the cluster's region.
 * https://github.com/vmware-tanzu/velero-plugin-for-aws#set-permissions-for-velero
 */
export function veleroPolicy(args: VeleroPolicyArgs): PolicyDocument {
  const { partition, region, accountId } = args;
  const volumes = `arn:${partition}:ec2:${region}:${accountId}:volume/*`;
  const snapshots = `arn:${partition}:ec2:${region}::snapshot/*`;
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "BackupObjects",
        Effect: "Allow",
        Action: [
          "s3:GetObject",
          "s3:PutObject",
          "s3:DeleteObject",
          "s3:AbortMultipartUpload",
          "s3:ListMultipartUploadParts",
        ],
        Resource: `${args.bucketArn}/*`,
      },
      { Sid: "ListBucket", Effect: "Allow", Action: "s3:ListBucket", Resource: args.bucketArn },
      {
        Sid: "Describe",
        Effect: "Allow",
        Action: ["ec2:DescribeVolumes", "ec2:DescribeSnapshots"],
        Resource: "*",
        Condition: { StringEquals: { "aws:RequestedRegion": region } },
      },
      {
        Sid: "SnapshotClusterVolumes",
        Effect: "Allow",
        Action: "ec2:CreateSnapshot",
        Resource: volumes,
        Condition: { StringEquals: { [`aws:ResourceTag/${args.volumeTag.key}`]: args.volumeTag.value } },
      },
      { Sid: "CreateSnapshots", Effect: "Allow", Action: "ec2:CreateSnapshot", Resource: snapshots },
      {
        Sid: "RestoreVolumesFromSnapshots",
        Effect: "Allow",
        Action: "ec2:CreateVolume",
        Resource: [volumes, snapshots],
      },
      {
        Sid: "TagOnCreate",
        Effect: "Allow",
        Action: "ec2:CreateTags",
        Resource: [volumes, snapshots],
        Condition: { StringEquals: { "ec2:CreateAction": ["CreateSnapshot", "CreateVolume"] } },
      },
      {
        Sid: "DeleteVeleroSnapshots",
        Effect: "Allow",
        Action: "ec2:DeleteSnapshot",
        Resource: snapshots,
        Condition: { Null: { "aws:ResourceTag/velero.io/backup": "false" } },
      },
      {
        Sid: "UseKey",
        Effect: "Allow",
        Action: ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"],
        Resource: args.keyArn,
      },
      {
        Sid: "KeyGrantsForEbs",
        Effect: "Allow",
        Action: "kms:CreateGrant",
        Resource: args.keyArn,
        Condition: { Bool: { "kms:GrantIsForAWSResource": "true" } },
      },
    ],
  };
}

/** Values of the velero chart: the AWS plugin, the bucket as storage location, Pod Identity, no Secret. */
export function veleroValues(args: {
  bucket: string;
  region: string;
  keyArn: string;
  awsPluginImage: string;
  clusterName: string;
  /** The chart's ServiceMonitor on the server's `http-monitoring` port (needs the Prometheus Operator CRDs). @default false */
  serviceMonitor?: boolean;
}): Record<string, unknown> {
  return {
    initContainers: [
      {
        name: "velero-plugin-for-aws",
        image: args.awsPluginImage,
        imagePullPolicy: "IfNotPresent",
        volumeMounts: [{ mountPath: "/target", name: "plugins" }],
        securityContext: restrictedContainer,
        resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { memory: "64Mi" } },
      },
    ],
    configuration: {
      backupStorageLocation: [
        {
          name: veleroDefaults.location,
          provider: "aws",
          bucket: args.bucket,
          prefix: args.clusterName,
          default: true,
          config: { region: args.region, kmsKeyId: args.keyArn },
        },
      ],
      volumeSnapshotLocation: [
        { name: veleroDefaults.location, provider: "aws", config: { region: args.region } },
      ],
    },
    // EKS Pod Identity supplies credentials: no access keys in a Secret.
    credentials: { useSecret: false },
    serviceAccount: { server: { create: true, name: veleroDefaults.serviceAccount } },
    resources: veleroDefaults.resources,
    podSecurityContext: {
      runAsNonRoot: true,
      runAsUser: 65534,
      fsGroup: 65534,
      seccompProfile: { type: "RuntimeDefault" },
    },
    containerSecurityContext: restrictedContainer,
    tolerations: [{ key: "CriticalAddonsOnly", operator: "Exists" }],
    deployNodeAgent: false,
    // Rendered unconditionally (no autodetect): the release waits for the CRDs instead of racing them.
    metrics: { enabled: true, serviceMonitor: { enabled: args.serviceMonitor ?? false, autodetect: false } },
  };
}
