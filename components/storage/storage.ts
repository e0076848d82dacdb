import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { addonVersions } from "../cluster/versions";
import { awsTags, kmsKeyPolicy } from "../shared/aws";
import { BackupAlerts } from "./alerts";
import { StorageBackup } from "./backup";
import { CsiDrivers } from "./csi";
import { EfsFileSystem } from "./efs";
import {
  backupAlertsKeyStatement,
  backupName,
  defaultReclaimPolicy,
  provisioners,
  snsTopicArn,
  storageClassNames,
  storageClassSpecs,
  volumeSnapshotClassName,
  type EfsThroughputMode,
  type ReclaimPolicy,
} from "./logic";
import { storageAddonVersions } from "./versions";

/** Arguments of {@link Storage}. */
export interface StorageArgs {
  /** EKS cluster name (an Output of the cluster, so the add-ons wait for it). */
  readonly clusterName: pulumi.Input<string>;
  /** Kubernetes minor version, e.g. `1.35`: selects the pinned add-on versions. */
  readonly kubernetesVersion: string;
  /** AWS region, e.g. `eu-west-1` (the storage key's policy names it). */
  readonly region: string;
  /** VPC of the cluster (the EFS security group lives there). */
  readonly vpcId: pulumi.Input<string>;
  /** Private subnet ids, one per AZ: each gets an EFS mount target. */
  readonly privateSubnetIds: pulumi.Input<string[]>;
  /** Number of AZs (= private subnets): the number of EFS mount targets. */
  readonly availabilityZoneCount: number;
  /** Security group of the nodes: the only source admitted to NFS (2049/tcp) on the mount targets. */
  readonly nodeSecurityGroupId: pulumi.Input<string>;
  /** Kubernetes provider of the cluster (StorageClasses, VolumeSnapshotClass). */
  readonly provider: k8s.Provider;
  /**
   * Reclaim policy of the StorageClasses and deletion policy of the VolumeSnapshotClass.
   * https://kubernetes.io/docs/concepts/storage/storage-classes/#reclaim-policy
   * @default "Retain" when `protect` is true, "Delete" otherwise
   */
  readonly reclaimPolicy?: ReclaimPolicy;
  /**
   * io2 IOPS per GiB of the `performance` class (with `allowAutoIOPSPerGBIncrease`).
   * https://github.com/kubernetes-sigs/aws-ebs-csi-driver/blob/master/docs/parameters.md
   * The schema's `storage.performanceIopsPerGB` supplies the default.
   */
  readonly performanceIopsPerGB: number;
  /** Fixed io2 IOPS of the `performance` class; wins over `performanceIopsPerGB`. @default undefined */
  readonly performanceIops?: number;
  /**
   * EFS throughput mode. https://docs.aws.amazon.com/efs/latest/ug/performance.html#throughput-modes
   * The schema's `storage.efsThroughputMode` supplies the default.
   */
  readonly efsThroughputMode: EfsThroughputMode;
  /**
   * AWS Backup schedule (cron, UTC); the schema's `storage.backupSchedule` supplies the default.
   * https://docs.aws.amazon.com/aws-backup/latest/devguide/creating-a-backup-plan.html
   */
  readonly backupSchedule: string;
  /** Days a recovery point is kept; the schema's `storage.backupRetentionDays` supplies the default. */
  readonly backupRetentionDays: number;
  /**
   * ARN of a backup vault (another region or account) every recovery point is copied to.
   * https://docs.aws.amazon.com/aws-backup/latest/devguide/cross-region-backup.html
   * @default undefined (no copy)
   */
  readonly backupCopyVaultArn?: pulumi.Input<string>;
  /** Days the copies are kept. @default backupRetentionDays */
  readonly backupCopyRetentionDays?: number;
  /**
   * E-mail addresses subscribed to the backup alerts topic (failed, aborted or expired backup and
   * copy jobs). https://docs.aws.amazon.com/aws-backup/latest/devguide/eventbridge.html
   * @default [] (no subscription: the topic ARN is an output to subscribe to)
   */
  readonly backupAlertEmails?: readonly string[];
  /** Resources the add-ons wait for (the cluster: node groups and the Pod Identity agent). @default [] */
  readonly addonDependsOn?: pulumi.Input<pulumi.Resource>[];
  /** Protect the stateful resources (KMS key, EFS, backup vault) against deletion. @default false */
  readonly protect?: boolean;
  /** Tags for every AWS resource (and every dynamically provisioned EBS volume), merged last. @default {} */
  readonly tags?: Record<string, string>;
}

/** Module defaults of {@link Storage}. */
const storageDefaults = {
  kmsDeletionWindowDays: 30,
};

/**
 * Storage of one cluster: the EBS and EFS CSI drivers and the CSI snapshot controller as pinned EKS
 * managed add-ons (CSI roles bound by EKS Pod Identity), a customer KMS key for data, an encrypted
 * regional EFS file system with a mount target per private subnet reachable only from the nodes,
 * the StorageClasses `gp3` (default), `performance` (io2) and `efs-sc`, an EBS VolumeSnapshotClass,
 * and daily AWS Backup of the file system and of every EBS volume the classes provision.
 */
export class Storage extends pulumi.ComponentResource {
  /** Customer KMS key of EBS volumes, the EFS file system and the backup vault. */
  public readonly key: aws.kms.Key;
  /** The EFS file system. */
  public readonly fileSystem: aws.efs.FileSystem;
  /** EFS file system id (`fs-…`). */
  public readonly efsFileSystemId: pulumi.Output<string>;
  /** Security group of the EFS mount targets. */
  public readonly efsSecurityGroupId: pulumi.Output<string>;
  /** The AWS Backup vault. */
  public readonly backupVault: aws.backup.Vault;
  /** ARN of the AWS Backup vault. */
  public readonly backupVaultArn: pulumi.Output<string>;
  /** ARN of the SNS topic that receives failed, aborted and expired backup and copy jobs. */
  public readonly backupAlertsTopicArn: pulumi.Output<string>;
  /** Name of the default StorageClass (`gp3`). */
  public readonly defaultStorageClass: string;
  /** Reclaim policy the StorageClasses got. */
  public readonly reclaimPolicy: ReclaimPolicy;
  /** The EKS add-ons by add-on name. */
  public readonly addons: Record<string, aws.eks.Addon>;

  /** @throws Error when `availabilityZoneCount` is not a positive integer. */
  constructor(name: string, args: StorageArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:storage:Storage", name, {}, opts);
    const tags = args.tags ?? {};
    const protect = args.protect ?? false;
    if (!Number.isInteger(args.availabilityZoneCount) || args.availabilityZoneCount < 1) {
      throw new Error(
        `${name}: availabilityZoneCount must be a positive integer (got ${args.availabilityZoneCount})`,
      );
    }
    this.reclaimPolicy = args.reclaimPolicy ?? defaultReclaimPolicy(protect);
    const accountId = aws.getCallerIdentityOutput({}, { parent: this }).accountId;
    const partition = aws.getPartitionOutput({}, { parent: this }).partition;
    const managedPolicyArn = (policy: string) =>
      pulumi.interpolate`arn:${partition}:iam::aws:policy/${policy}`;
    const clusterName = pulumi.output(args.clusterName);
    const common = { accountId, managedPolicyArn, tags };
    const alertsTopicName = clusterName.apply((n) => backupName(n, "backup-alerts"));

    this.key = this.dataKey(
      name,
      args.region,
      clusterName,
      alertsTopicName,
      accountId,
      partition,
      protect,
      tags,
    );
    const csi = new CsiDrivers(
      name,
      {
        ...common,
        clusterName: args.clusterName,
        versions: {
          ...addonVersions(args.kubernetesVersion),
          ...storageAddonVersions(args.kubernetesVersion),
        },
        kmsKeyArn: this.key.arn,
        dependsOn: args.addonDependsOn,
      },
      { parent: this },
    );
    this.addons = {
      "snapshot-controller": csi.snapshotController,
      "aws-ebs-csi-driver": csi.ebs,
      "aws-efs-csi-driver": csi.efs,
    };
    const efs = new EfsFileSystem(
      name,
      {
        ...args,
        clusterName,
        kmsKeyArn: this.key.arn,
        throughputMode: args.efsThroughputMode,
        protect,
        tags,
      },
      { parent: this },
    );
    this.fileSystem = efs.fileSystem;
    this.efsFileSystemId = efs.fileSystem.id;
    this.efsSecurityGroupId = efs.securityGroupId;
    this.defaultStorageClass = storageClassNames.default;
    this.storageClasses(name, args, csi, efs);
    const backup = new StorageBackup(
      name,
      {
        ...common,
        clusterName,
        partition,
        kmsKeyArn: this.key.arn,
        fileSystemArn: efs.fileSystem.arn,
        schedule: args.backupSchedule,
        retentionDays: args.backupRetentionDays,
        copyVaultArn: args.backupCopyVaultArn,
        copyRetentionDays: args.backupCopyRetentionDays,
        protect,
      },
      { parent: this },
    );
    this.backupVault = backup.vault;
    this.backupVaultArn = backup.vault.arn;
    this.backupAlertsTopicArn = this.backupAlerts(name, clusterName, alertsTopicName, args, backup.vault);
    this.registerOutputs({
      key: this.key,
      fileSystem: this.fileSystem,
      efsFileSystemId: this.efsFileSystemId,
      efsSecurityGroupId: this.efsSecurityGroupId,
      backupVault: this.backupVault,
      backupVaultArn: this.backupVaultArn,
      backupAlertsTopicArn: this.backupAlertsTopicArn,
      defaultStorageClass: this.defaultStorageClass,
      reclaimPolicy: this.reclaimPolicy,
    });
  }

  /** The alerts on failed backup and copy jobs of the vault; returns the topic ARN. */
  private backupAlerts(
    name: string,
    clusterName: pulumi.Output<string>,
    topicName: pulumi.Output<string>,
    args: StorageArgs,
    vault: aws.backup.Vault,
  ): pulumi.Output<string> {
    const alerts = new BackupAlerts(
      name,
      {
        clusterName,
        vault,
        topicName,
        kmsKeyArn: this.key.arn,
        emailAddresses: args.backupAlertEmails,
        tags: args.tags ?? {},
      },
      { parent: this },
    );
    return alerts.topic.arn;
  }

  /**
   * The data key: outlives the cluster (EBS snapshots stay encrypted with the volume's key). Its
   * policy also lets EventBridge encrypt messages to the backup alerts topic, and nothing else.
   */
  private dataKey(
    name: string,
    region: string,
    clusterName: pulumi.Output<string>,
    alertsTopicName: pulumi.Output<string>,
    accountId: pulumi.Output<string>,
    partition: pulumi.Output<string>,
    protect: boolean,
    tags: Record<string, string>,
  ): aws.kms.Key {
    const key = new aws.kms.Key(
      `${name}-storage-key`,
      {
        description: pulumi.interpolate`${clusterName}: EBS volumes, EFS and AWS Backup recovery points`,
        enableKeyRotation: true,
        deletionWindowInDays: storageDefaults.kmsDeletionWindowDays,
        policy: pulumi.all([accountId, partition, alertsTopicName]).apply(([id, part, topicName]) => {
          const policy = kmsKeyPolicy({ accountId: id, partition: part, region });
          policy.Statement.push(backupAlertsKeyStatement(snsTopicArn(part, region, id, topicName)));
          return JSON.stringify(policy);
        }),
        tags: awsTags(`${name}-storage-key`, tags),
      },
      { parent: this, protect },
    );
    new aws.kms.Alias(
      `${name}-storage-key`,
      { name: pulumi.interpolate`alias/${clusterName}-storage`, targetKeyId: key.keyId },
      { parent: this },
    );
    return key;
  }

  /** The StorageClasses `gp3` (default), `performance` and `efs-sc`, and the EBS VolumeSnapshotClass. */
  private storageClasses(name: string, args: StorageArgs, csi: CsiDrivers, efs: EfsFileSystem): void {
    const opts = { parent: this, provider: args.provider };
    const specs = storageClassSpecs({
      kmsKeyArn: this.key.arn,
      fileSystemId: efs.fileSystem.id,
      reclaimPolicy: this.reclaimPolicy,
      clusterName: args.clusterName,
      performanceIopsPerGB: args.performanceIopsPerGB,
      performanceIops: args.performanceIops,
      volumeTags: args.tags ?? {},
    });
    for (const spec of specs) {
      const onEfs = spec.provisioner === provisioners.efs;
      new k8s.storage.v1.StorageClass(
        `${name}-${spec.name}`,
        {
          metadata: { name: spec.name, annotations: spec.annotations },
          provisioner: spec.provisioner,
          parameters: spec.parameters,
          reclaimPolicy: spec.reclaimPolicy,
          volumeBindingMode: spec.volumeBindingMode,
          allowVolumeExpansion: spec.allowVolumeExpansion,
        },
        { ...opts, dependsOn: onEfs ? [csi.efs, ...efs.mountTargets] : [csi.ebs] },
      );
    }
    new k8s.apiextensions.CustomResource(
      `${name}-${volumeSnapshotClassName}`,
      {
        apiVersion: "snapshot.storage.k8s.io/v1",
        kind: "VolumeSnapshotClass",
        metadata: {
          name: volumeSnapshotClassName,
          annotations: { "snapshot.storage.kubernetes.io/is-default-class": "true" },
        },
        driver: provisioners.ebs,
        deletionPolicy: this.reclaimPolicy,
      },
      // The snapshot controller add-on installs the snapshot.storage.k8s.io CRDs.
      { ...opts, dependsOn: [csi.snapshotController, csi.ebs] },
    );
  }
}
