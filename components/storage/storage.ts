import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { addonVersions } from "../cluster/versions";
import { awsTags, kmsKeyPolicy, podIdentityTrustPolicy, serviceTrustPolicy } from "../shared/aws";
import {
  backupDefaults,
  backupKmsPolicy,
  backupName,
  backupRule,
  backupTag,
  clusterTagKey,
  csiServiceAccounts,
  defaultReclaimPolicy,
  ebsCsiKmsPolicy,
  efsFileSystemPolicy,
  managedPolicies,
  provisioners,
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
   * @default 50
   */
  readonly performanceIopsPerGB?: number;
  /** Fixed io2 IOPS of the `performance` class; wins over `performanceIopsPerGB`. @default undefined */
  readonly performanceIops?: number;
  /**
   * EFS throughput mode. https://docs.aws.amazon.com/efs/latest/ug/performance.html#throughput-modes
   * @default "elastic"
   */
  readonly efsThroughputMode?: EfsThroughputMode;
  /**
   * AWS Backup schedule (cron, UTC). https://docs.aws.amazon.com/aws-backup/latest/devguide/creating-a-backup-plan.html
   * @default "cron(0 3 * * ? *)"
   */
  readonly backupSchedule?: string;
  /** Days a recovery point is kept. @default 35 */
  readonly backupRetentionDays?: number;
  /**
   * ARN of a backup vault (another region or account) every recovery point is copied to.
   * https://docs.aws.amazon.com/aws-backup/latest/devguide/cross-region-backup.html
   * @default undefined (no copy)
   */
  readonly backupCopyVaultArn?: pulumi.Input<string>;
  /** Days the copies are kept. @default backupRetentionDays */
  readonly backupCopyRetentionDays?: number;
  /** Resources the add-ons wait for (the cluster: node groups and the Pod Identity agent). @default [] */
  readonly addonDependsOn?: pulumi.Input<pulumi.Resource>[];
  /** Protect the stateful resources (KMS key, EFS, backup vault) against deletion. @default false */
  readonly protect?: boolean;
  /** Tags for every AWS resource (and every dynamically provisioned EBS volume), merged last. @default {} */
  readonly tags?: Record<string, string>;
}

/** Module defaults of {@link Storage}. */
export const storageDefaults = {
  efsThroughputMode: "elastic" as EfsThroughputMode,
  efsPerformanceMode: "generalPurpose",
  /** Files untouched for 30 days move to Infrequent Access; back to Standard on first access. */
  efsLifecyclePolicies: [
    { transitionToIa: "AFTER_30_DAYS" },
    { transitionToPrimaryStorageClass: "AFTER_1_ACCESS" },
  ],
  nfsPort: 2049,
  kmsDeletionWindowDays: 30,
  backupSchedule: backupDefaults.schedule,
  backupRetentionDays: backupDefaults.retentionDays,
  /** Critical add-ons may run on the tainted system pool. */
  systemToleration: { key: "CriticalAddonsOnly", operator: "Exists" },
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
  /** Name of the default StorageClass (`gp3`). */
  public readonly defaultStorageClass: string;
  /** Reclaim policy the StorageClasses got. */
  public readonly reclaimPolicy: ReclaimPolicy;
  /** The EKS add-ons by add-on name. */
  public readonly addons: Record<string, aws.eks.Addon>;

  constructor(name: string, args: StorageArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:storage:Storage", name, {}, opts);
    const tags = args.tags ?? {};
    const protect = args.protect ?? false;
    const provider = args.provider;
    if (!Number.isInteger(args.availabilityZoneCount) || args.availabilityZoneCount < 1) {
      throw new Error(
        `${name}: availabilityZoneCount must be a positive integer (got ${args.availabilityZoneCount})`,
      );
    }
    this.reclaimPolicy = args.reclaimPolicy ?? defaultReclaimPolicy(protect);
    const versions = {
      ...addonVersions(args.kubernetesVersion),
      ...storageAddonVersions(args.kubernetesVersion),
    };
    const identity = aws.getCallerIdentityOutput({}, { parent: this });
    const partition = aws.getPartitionOutput({}, { parent: this }).partition;
    const managedPolicyArn = (policy: string) =>
      pulumi.interpolate`arn:${partition}:iam::aws:policy/${policy}`;
    const clusterName = pulumi.output(args.clusterName);

    // -------------------------------------------------------------------------------------------
    // Data key: outlives the cluster (EBS snapshots stay encrypted with the volume's key).
    this.key = new aws.kms.Key(
      `${name}-storage-key`,
      {
        description: pulumi.interpolate`${clusterName}: EBS volumes, EFS and AWS Backup recovery points`,
        enableKeyRotation: true,
        deletionWindowInDays: storageDefaults.kmsDeletionWindowDays,
        policy: pulumi
          .all([identity.accountId, partition])
          .apply(([accountId, part]) =>
            JSON.stringify(kmsKeyPolicy({ accountId, partition: part, region: args.region })),
          ),
        tags: awsTags(`${name}-storage-key`, tags),
      },
      { parent: this, protect },
    );
    new aws.kms.Alias(
      `${name}-storage-key`,
      { name: pulumi.interpolate`alias/${clusterName}-storage`, targetKeyId: this.key.keyId },
      { parent: this },
    );

    // -------------------------------------------------------------------------------------------
    // CSI drivers and snapshot controller (EKS managed add-ons).
    const podIdentityRole = (suffix: string, description: pulumi.Input<string>) =>
      new aws.iam.Role(
        `${name}-${suffix}`,
        {
          description,
          assumeRolePolicy: identity.accountId.apply((accountId) =>
            JSON.stringify(podIdentityTrustPolicy(accountId)),
          ),
          tags: awsTags(`${name}-${suffix}`, tags),
        },
        { parent: this },
      );
    const addonCommon = {
      clusterName: args.clusterName,
      resolveConflictsOnCreate: "OVERWRITE",
      resolveConflictsOnUpdate: "OVERWRITE",
    };
    const addonDependsOn = args.addonDependsOn ?? [];

    const snapshotController = new aws.eks.Addon(
      `${name}-snapshot-controller`,
      {
        ...addonCommon,
        addonName: "snapshot-controller",
        addonVersion: versions["snapshot-controller"],
        configurationValues: JSON.stringify({ tolerations: [storageDefaults.systemToleration] }),
        tags: awsTags(`${name}-snapshot-controller`, tags),
      },
      { parent: this, dependsOn: addonDependsOn },
    );

    const ebsRole = podIdentityRole(
      "ebs-csi",
      pulumi.interpolate`${clusterName}: EBS CSI controller (Pod Identity)`,
    );
    const ebsPolicies: pulumi.Resource[] = [
      new aws.iam.RolePolicyAttachment(
        `${name}-ebs-csi-driver-policy`,
        { role: ebsRole.name, policyArn: managedPolicyArn(managedPolicies.ebsCsi) },
        { parent: this },
      ),
      new aws.iam.RolePolicy(
        `${name}-ebs-csi-kms`,
        { role: ebsRole.name, policy: this.key.arn.apply((arn) => JSON.stringify(ebsCsiKmsPolicy(arn))) },
        { parent: this },
      ),
    ];
    const ebsCsi = new aws.eks.Addon(
      `${name}-ebs-csi`,
      {
        ...addonCommon,
        addonName: "aws-ebs-csi-driver",
        addonVersion: versions["aws-ebs-csi-driver"],
        podIdentityAssociations: [{ roleArn: ebsRole.arn, serviceAccount: csiServiceAccounts.ebs }],
        tags: awsTags(`${name}-ebs-csi`, tags),
      },
      { parent: this, dependsOn: [...addonDependsOn, ...ebsPolicies, snapshotController] },
    );

    const efsRole = podIdentityRole(
      "efs-csi",
      pulumi.interpolate`${clusterName}: EFS CSI controller (Pod Identity)`,
    );
    const efsPolicy = new aws.iam.RolePolicyAttachment(
      `${name}-efs-csi-driver-policy`,
      { role: efsRole.name, policyArn: managedPolicyArn(managedPolicies.efsCsi) },
      { parent: this },
    );
    const efsCsi = new aws.eks.Addon(
      `${name}-efs-csi`,
      {
        ...addonCommon,
        addonName: "aws-efs-csi-driver",
        addonVersion: versions["aws-efs-csi-driver"],
        podIdentityAssociations: [{ roleArn: efsRole.arn, serviceAccount: csiServiceAccounts.efs }],
        tags: awsTags(`${name}-efs-csi`, tags),
      },
      { parent: this, dependsOn: [...addonDependsOn, efsPolicy] },
    );
    this.addons = {
      "snapshot-controller": snapshotController,
      "aws-ebs-csi-driver": ebsCsi,
      "aws-efs-csi-driver": efsCsi,
    };

    // -------------------------------------------------------------------------------------------
    // EFS: encrypted, regional, one mount target per private subnet, NFS from the nodes only.
    this.fileSystem = new aws.efs.FileSystem(
      `${name}-efs`,
      {
        encrypted: true,
        kmsKeyId: this.key.arn,
        performanceMode: storageDefaults.efsPerformanceMode,
        throughputMode: args.efsThroughputMode ?? storageDefaults.efsThroughputMode,
        lifecyclePolicies: storageDefaults.efsLifecyclePolicies,
        tags: awsTags(`${name}-efs`, tags),
      },
      { parent: this, protect },
    );
    this.efsFileSystemId = this.fileSystem.id;
    new aws.efs.FileSystemPolicy(
      `${name}-efs`,
      {
        fileSystemId: this.fileSystem.id,
        policy: this.fileSystem.arn.apply((arn) => JSON.stringify(efsFileSystemPolicy(arn))),
      },
      { parent: this },
    );

    const efsSecurityGroup = new aws.ec2.SecurityGroup(
      `${name}-efs`,
      {
        vpcId: args.vpcId,
        description: pulumi.interpolate`${clusterName}: EFS mount targets, NFS from the cluster nodes only`,
        tags: awsTags(`${name}-efs`, tags),
      },
      { parent: this },
    );
    this.efsSecurityGroupId = efsSecurityGroup.id;
    const nfsRule = new aws.vpc.SecurityGroupIngressRule(
      `${name}-efs-nfs-from-nodes`,
      {
        securityGroupId: efsSecurityGroup.id,
        referencedSecurityGroupId: args.nodeSecurityGroupId,
        ipProtocol: "tcp",
        fromPort: storageDefaults.nfsPort,
        toPort: storageDefaults.nfsPort,
        description: "NFS (2049/tcp) from the cluster nodes: EFS CSI mounts",
        tags: awsTags(`${name}-efs-nfs-from-nodes`, tags),
      },
      { parent: this },
    );
    const mountTargets = Array.from(
      { length: args.availabilityZoneCount },
      (_, i) =>
        new aws.efs.MountTarget(
          `${name}-efs-${i}`,
          {
            fileSystemId: this.fileSystem.id,
            subnetId: pulumi.output(args.privateSubnetIds).apply((ids) => {
              if (ids.length < args.availabilityZoneCount) {
                throw new Error(
                  `${name}: ${ids.length} private subnets for ${args.availabilityZoneCount} EFS mount targets`,
                );
              }
              return ids[i];
            }),
            securityGroups: [efsSecurityGroup.id],
          },
          { parent: this, dependsOn: [nfsRule] },
        ),
    );

    // -------------------------------------------------------------------------------------------
    // StorageClasses and the EBS VolumeSnapshotClass.
    this.defaultStorageClass = storageClassNames.default;
    const specs = storageClassSpecs({
      kmsKeyArn: this.key.arn,
      fileSystemId: this.fileSystem.id,
      reclaimPolicy: this.reclaimPolicy,
      clusterName: args.clusterName,
      performanceIopsPerGB: args.performanceIopsPerGB,
      performanceIops: args.performanceIops,
      volumeTags: tags,
    });
    for (const spec of specs) {
      const efs = spec.provisioner === provisioners.efs;
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
        { parent: this, provider, dependsOn: efs ? [efsCsi, ...mountTargets] : [ebsCsi] },
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
      { parent: this, provider, dependsOn: [snapshotController, ebsCsi] },
    );

    // -------------------------------------------------------------------------------------------
    // AWS Backup: vault (storage key), daily plan, EFS and the cluster's tagged EBS volumes.
    const vaultName = clusterName.apply((n) => backupName(n, "storage"));
    this.backupVault = new aws.backup.Vault(
      `${name}-backup-vault`,
      { name: vaultName, kmsKeyArn: this.key.arn, tags: awsTags(`${name}-backup-vault`, tags) },
      { parent: this, protect },
    );
    this.backupVaultArn = this.backupVault.arn;
    const backupRole = new aws.iam.Role(
      `${name}-backup`,
      {
        description: pulumi.interpolate`${clusterName}: AWS Backup of EFS and EBS volumes`,
        assumeRolePolicy: identity.accountId.apply((accountId) =>
          JSON.stringify(serviceTrustPolicy("backup.amazonaws.com", accountId)),
        ),
        tags: awsTags(`${name}-backup`, tags),
      },
      { parent: this },
    );
    const backupPolicies: pulumi.Resource[] = [
      ...[managedPolicies.backup, managedPolicies.restore].map(
        (policy) =>
          new aws.iam.RolePolicyAttachment(
            `${name}-backup-${policy.split("/").pop()}`,
            { role: backupRole.name, policyArn: managedPolicyArn(policy) },
            { parent: this },
          ),
      ),
      new aws.iam.RolePolicy(
        `${name}-backup-kms`,
        { role: backupRole.name, policy: this.key.arn.apply((arn) => JSON.stringify(backupKmsPolicy(arn))) },
        { parent: this },
      ),
    ];
    const plan = new aws.backup.Plan(
      `${name}-backup`,
      {
        name: clusterName.apply((n) => backupName(n, "storage-daily")),
        rules: [
          backupRule(this.backupVault.name, {
            schedule: args.backupSchedule ?? storageDefaults.backupSchedule,
            retentionDays: args.backupRetentionDays ?? storageDefaults.backupRetentionDays,
            copyVaultArn: args.backupCopyVaultArn,
            copyRetentionDays: args.backupCopyRetentionDays,
            recoveryPointTags: tags,
          }),
        ],
        tags: awsTags(`${name}-backup`, tags),
      },
      { parent: this },
    );
    new aws.backup.Selection(
      `${name}-backup-efs`,
      {
        name: clusterName.apply((n) => backupName(n, "efs")),
        planId: plan.id,
        iamRoleArn: backupRole.arn,
        resources: [this.fileSystem.arn],
      },
      { parent: this, dependsOn: backupPolicies },
    );
    new aws.backup.Selection(
      `${name}-backup-ebs`,
      {
        name: clusterName.apply((n) => backupName(n, "ebs")),
        planId: plan.id,
        iamRoleArn: backupRole.arn,
        resources: [pulumi.interpolate`arn:${partition}:ec2:*:*:volume/*`],
        conditions: [
          {
            stringEquals: [
              { key: `aws:ResourceTag/${backupTag.key}`, value: backupTag.value },
              { key: `aws:ResourceTag/${clusterTagKey}`, value: clusterName },
            ],
          },
        ],
      },
      { parent: this, dependsOn: backupPolicies },
    );

    this.registerOutputs({
      key: this.key,
      fileSystem: this.fileSystem,
      efsFileSystemId: this.efsFileSystemId,
      efsSecurityGroupId: this.efsSecurityGroupId,
      backupVault: this.backupVault,
      backupVaultArn: this.backupVaultArn,
      defaultStorageClass: this.defaultStorageClass,
      reclaimPolicy: this.reclaimPolicy,
    });
  }
}
