/**
 * Pure logic of the storage capability: StorageClass specifications, IAM and EFS policy documents,
 * the AWS Backup rule and resource names. No resources are created here, so everything is tested
 * without mocks.
 */
import type * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { PolicyDocument, PolicyStatement } from "../shared/aws";

/** What happens to a released PersistentVolume. https://kubernetes.io/docs/concepts/storage/persistent-volumes/#reclaiming */
export type ReclaimPolicy = "Retain" | "Delete";

/** EFS throughput modes the platform offers. https://docs.aws.amazon.com/efs/latest/ug/performance.html#throughput-modes */
export type EfsThroughputMode = "elastic" | "bursting";

/** CSI driver names (the StorageClass `provisioner`). */
export const provisioners = {
  ebs: "ebs.csi.aws.com",
  efs: "efs.csi.aws.com",
} as const;

/** The platform's shared StorageClass names (docs/architecture.md "Shared names"). */
export const storageClassNames = {
  /** Default class: EBS gp3. */
  default: "gp3",
  /** EBS io2 with provisioned IOPS. */
  performance: "performance",
  /** EFS access points (ReadWriteMany). */
  efs: "efs-sc",
} as const;

/** Name of the EBS VolumeSnapshotClass. */
export const volumeSnapshotClassName = "ebs-snapshots";

/** Kubernetes service accounts of the CSI controllers (the EKS add-ons create them in kube-system). */
export const csiServiceAccounts = {
  namespace: "kube-system",
  ebs: "ebs-csi-controller-sa",
  efs: "efs-csi-controller-sa",
} as const;

/** The tag AWS Backup selects EBS volumes by (set through the StorageClasses' tagSpecification_N). */
export const backupTag = { key: "backup", value: "daily" } as const;

/** The tag that ties a dynamically provisioned EBS volume to its cluster (scopes the backup selection). */
export const clusterTagKey = "platform:cluster";

/** AWS-managed policies the storage roles use. https://docs.aws.amazon.com/aws-managed-policy/latest/reference/ */
export const managedPolicies = {
  ebsCsi: "service-role/AmazonEBSCSIDriverPolicy",
  efsCsi: "service-role/AmazonEFSCSIDriverPolicy",
  backup: "service-role/AWSBackupServiceRolePolicyForBackup",
  restore: "service-role/AWSBackupServiceRolePolicyForRestores",
} as const;

/** One StorageClass, as the component creates it. */
export interface StorageClassSpec {
  readonly name: string;
  readonly annotations: Record<string, string>;
  readonly provisioner: string;
  readonly parameters: Record<string, pulumi.Input<string>>;
  readonly reclaimPolicy: ReclaimPolicy;
  readonly volumeBindingMode: "WaitForFirstConsumer" | "Immediate";
  readonly allowVolumeExpansion: boolean;
}

/** Inputs of {@link storageClassSpecs}. */
export interface StorageClassSpecArgs {
  /** ARN of the customer KMS key that encrypts EBS volumes. */
  readonly kmsKeyArn: pulumi.Input<string>;
  /** The EFS file system id (`fs-…`). */
  readonly fileSystemId: pulumi.Input<string>;
  /** Reclaim policy of every class. */
  readonly reclaimPolicy: ReclaimPolicy;
  /** The cluster name, tagged on every EBS volume as `platform:cluster`. */
  readonly clusterName: pulumi.Input<string>;
  /** io2 IOPS per GiB of the `performance` class (ignored when `performanceIops` is set). */
  readonly performanceIopsPerGB: number;
  /** Fixed io2 IOPS of the `performance` class. */
  readonly performanceIops?: number;
  /** Extra tags for every EBS volume (cost allocation), after the backup and cluster tags. @default {} */
  readonly volumeTags?: Readonly<Record<string, string>>;
}

/** Defaults of the StorageClasses. */
const storageClassDefaults = {
  fsType: "ext4",
  /** GIDs the EFS CSI driver hands out to access points. https://github.com/kubernetes-sigs/aws-efs-csi-driver/blob/master/docs/README.md#storage-class-parameters-for-dynamic-provisioning */
  efsGidRangeStart: "1000",
  efsGidRangeEnd: "2000",
  efsBasePath: "/dynamic_provisioning",
  efsDirectoryPerms: "700",
} as const;

/**
 * The EBS CSI `tagSpecification_N` parameters: the backup tag, the cluster tag, then `volumeTags`.
 * https://github.com/kubernetes-sigs/aws-ebs-csi-driver/blob/master/docs/tagging.md
 */
export function volumeTagParameters(
  clusterName: pulumi.Input<string>,
  volumeTags: Readonly<Record<string, string>> = {},
): Record<string, pulumi.Input<string>> {
  const entries: [string, pulumi.Input<string>][] = [
    [backupTag.key, backupTag.value],
    [clusterTagKey, clusterName],
    ...Object.entries(volumeTags).filter(([key]) => key !== backupTag.key && key !== clusterTagKey),
  ];
  const result: Record<string, pulumi.Input<string>> = {};
  entries.forEach(([key, value], i) => {
    result[`tagSpecification_${i + 1}`] =
      typeof value === "string" ? `${key}=${value}` : pulumi.output(value).apply((v) => `${key}=${v}`);
  });
  return result;
}

/**
 * The three platform StorageClasses: `gp3` (default), `performance` (io2) and `efs-sc` (EFS access
 * points, directory permissions 700 as in the production platform's seed).
 * https://github.com/kubernetes-sigs/aws-ebs-csi-driver/blob/master/docs/parameters.md
 */
export function storageClassSpecs(args: StorageClassSpecArgs): StorageClassSpec[] {
  const tags = volumeTagParameters(args.clusterName, args.volumeTags ?? {});
  const ebsCommon = {
    "csi.storage.k8s.io/fstype": storageClassDefaults.fsType,
    encrypted: "true",
    kmsKeyId: args.kmsKeyArn,
    ...tags,
  };
  const iops: Record<string, string> =
    args.performanceIops !== undefined
      ? { iops: String(args.performanceIops) }
      : {
          iopsPerGB: String(args.performanceIopsPerGB),
          allowAutoIOPSPerGBIncrease: "true",
        };
  return [
    {
      name: storageClassNames.default,
      annotations: { "storageclass.kubernetes.io/is-default-class": "true" },
      provisioner: provisioners.ebs,
      parameters: { type: "gp3", ...ebsCommon },
      reclaimPolicy: args.reclaimPolicy,
      volumeBindingMode: "WaitForFirstConsumer",
      allowVolumeExpansion: true,
    },
    {
      name: storageClassNames.performance,
      annotations: {},
      provisioner: provisioners.ebs,
      parameters: { type: "io2", ...iops, ...ebsCommon },
      reclaimPolicy: args.reclaimPolicy,
      volumeBindingMode: "WaitForFirstConsumer",
      allowVolumeExpansion: true,
    },
    {
      name: storageClassNames.efs,
      annotations: {},
      provisioner: provisioners.efs,
      parameters: {
        provisioningMode: "efs-ap",
        fileSystemId: args.fileSystemId,
        directoryPerms: storageClassDefaults.efsDirectoryPerms,
        gidRangeStart: storageClassDefaults.efsGidRangeStart,
        gidRangeEnd: storageClassDefaults.efsGidRangeEnd,
        basePath: storageClassDefaults.efsBasePath,
      },
      reclaimPolicy: args.reclaimPolicy,
      // EFS is regional: a volume is reachable from every AZ, no need to wait for the pod.
      volumeBindingMode: "Immediate",
      allowVolumeExpansion: false,
    },
  ];
}

/**
 * An inline policy letting a service role use one KMS key through grants: grants only for AWS
 * resources (the service attaching or restoring the volume), plus the listed key operations.
 */
function kmsGrantPolicy(
  keyArn: string,
  sids: { grants: string; use: string },
  useActions: string[],
): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: sids.grants,
        Effect: "Allow",
        Action: ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
        Resource: keyArn,
        Condition: { Bool: { "kms:GrantIsForAWSResource": "true" } },
      },
      { Sid: sids.use, Effect: "Allow", Action: useActions, Resource: keyArn },
    ],
  };
}

/**
 * The inline policy that lets the EBS CSI controller use a customer KMS key for encrypted volumes
 * (grants only for AWS resources, i.e. EC2 attaching the volume).
 * https://docs.aws.amazon.com/eks/latest/userguide/ebs-csi.html (customer managed KMS key)
 */
export function ebsCsiKmsPolicy(keyArn: string): PolicyDocument {
  return kmsGrantPolicy(keyArn, { grants: "GrantsForEbs", use: "UseKeyForVolumes" }, [
    "kms:Decrypt",
    "kms:DescribeKey",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:ReEncrypt*",
  ]);
}

/**
 * The inline policy that lets AWS Backup use the storage key: encrypt recovery points in the vault
 * and restore encrypted EBS volumes and EFS file systems.
 * https://docs.aws.amazon.com/aws-backup/latest/devguide/encryption.html
 */
export function backupKmsPolicy(keyArn: string): PolicyDocument {
  return kmsGrantPolicy(keyArn, { grants: "GrantsForBackup", use: "UseKeyForRecoveryPoints" }, [
    "kms:Decrypt",
    "kms:DescribeKey",
    "kms:Encrypt",
    "kms:GenerateDataKey*",
    "kms:ReEncrypt*",
  ]);
}

/**
 * The EFS file system policy: clients may mount and write only through a mount target, and every
 * request without TLS is denied. Root access is not granted (access points set the POSIX identity).
 * https://docs.aws.amazon.com/efs/latest/ug/iam-access-control-nfs-efs.html
 */
export function efsFileSystemPolicy(fileSystemArn: string): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "MountThroughMountTargets",
        Effect: "Allow",
        Principal: { AWS: "*" },
        Action: ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"],
        Resource: fileSystemArn,
        Condition: { Bool: { "elasticfilesystem:AccessedViaMountTarget": "true" } },
      },
      {
        Sid: "DenyWithoutTls",
        Effect: "Deny",
        Principal: { AWS: "*" },
        Action: "*",
        Resource: fileSystemArn,
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
    ],
  };
}

/** Inputs of {@link backupRule}. */
export interface BackupRuleArgs {
  /** AWS Backup cron expression (UTC), e.g. `cron(0 3 * * ? *)`. */
  readonly schedule: string;
  /** Days a recovery point is kept. */
  readonly retentionDays: number;
  /** Vault ARN to copy every recovery point to (another region or account). */
  readonly copyVaultArn?: pulumi.Input<string>;
  /** Days the copy is kept. @default retentionDays */
  readonly copyRetentionDays?: number;
  /** Tags of the recovery points. @default {} */
  readonly recoveryPointTags?: Record<string, string>;
}

/** Backup windows: start within 1 hour, finish within 8. https://docs.aws.amazon.com/aws-backup/latest/devguide/creating-a-backup-plan.html */
const backupDefaults = {
  startWindowMinutes: 60,
  completionWindowMinutes: 480,
} as const;

/** The daily rule of the backup plan, with an optional copy action. */
export function backupRule(
  vaultName: pulumi.Input<string>,
  args: BackupRuleArgs,
): aws.types.input.backup.PlanRule {
  return {
    ruleName: "daily",
    targetVaultName: vaultName,
    schedule: args.schedule,
    startWindow: backupDefaults.startWindowMinutes,
    completionWindow: backupDefaults.completionWindowMinutes,
    lifecycle: { deleteAfter: args.retentionDays },
    recoveryPointTags: { ...(args.recoveryPointTags ?? {}) },
    copyActions:
      args.copyVaultArn !== undefined
        ? [
            {
              destinationVaultArn: args.copyVaultArn,
              lifecycle: { deleteAfter: args.copyRetentionDays ?? args.retentionDays },
            },
          ]
        : [],
  };
}

/**
 * An AWS Backup name (vault, plan, selection): letters, digits, `-` and `_`, at most 50 characters.
 * https://docs.aws.amazon.com/aws-backup/latest/devguide/API_CreateBackupVault.html
 */
export function backupName(clusterName: string, suffix: string): string {
  const clean = clusterName.replace(/[^A-Za-z0-9_-]/g, "-");
  const tail = `-${suffix}`;
  return `${clean.slice(0, 50 - tail.length)}${tail}`;
}

/** Default reclaim policy: Retain when the stack is protected (production), Delete otherwise. */
export function defaultReclaimPolicy(production: boolean): ReclaimPolicy {
  return production ? "Retain" : "Delete";
}

/**
 * The EventBridge detail types of the AWS Backup jobs the backup alerts watch: the plan's backup
 * jobs and their copies to the second region. Restore jobs are started by a person, who watches
 * them, and their events name no vault. https://docs.aws.amazon.com/aws-backup/latest/devguide/eventbridge.html
 */
const backupAlertDetailTypes = ["Backup Job State Change", "Copy Job State Change"] as const;

/**
 * Job states that mean a recovery point or its copy was not made: `FAILED`, `ABORTED` (stopped) and
 * `EXPIRED` (not started within the start window). https://docs.aws.amazon.com/aws-backup/latest/devguide/API_BackupJob.html
 */
const backupAlertStates = ["FAILED", "ABORTED", "EXPIRED"] as const;

/**
 * The EventBridge event pattern of the backup alerts: failed, aborted or expired backup jobs into
 * the vault (`detail.backupVaultName`) and copy jobs out of it (`detail.sourceBackupVaultArn`: copy
 * job events carry the vault's ARN, not its name).
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html#eb-filtering-complex-example-or
 */
export function backupAlertEventPattern(vaultName: string, vaultArn: string): Record<string, unknown> {
  return {
    source: ["aws.backup"],
    "detail-type": [...backupAlertDetailTypes],
    detail: {
      state: [...backupAlertStates],
      $or: [{ backupVaultName: [vaultName] }, { sourceBackupVaultArn: [vaultArn] }],
    },
  };
}

/** The ARN of an SNS topic, known before the topic exists (the key policy names it). */
export function snsTopicArn(partition: string, region: string, accountId: string, topicName: string): string {
  return `arn:${partition}:sns:${region}:${accountId}:${topicName}`;
}

/**
 * The backup alerts topic's access policy: only EventBridge may publish, and only for the backup
 * alert rule (`aws:SourceArn`). Principals of the account still act through their IAM policies
 * (subscribing, for example). https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html#eb-sns-permissions
 */
export function backupAlertsTopicPolicy(topicArn: string, ruleArn: string): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "BackupAlertRulePublishes",
        Effect: "Allow",
        Principal: { Service: "events.amazonaws.com" },
        Action: "sns:Publish",
        Resource: topicArn,
        Condition: { ArnEquals: { "aws:SourceArn": ruleArn } },
      },
    ],
  };
}

/**
 * The storage key's statement that lets EventBridge publish to the encrypted backup alerts topic:
 * `kms:GenerateDataKey*` and `kms:Decrypt`, only with that topic's encryption context, so the
 * service cannot use the key for anything else (volumes, file systems, recovery points).
 * https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html
 */
export function backupAlertsKeyStatement(topicArn: string): PolicyStatement {
  return {
    Sid: "EventBridgeBackupAlerts",
    Effect: "Allow",
    Principal: { Service: "events.amazonaws.com" },
    Action: ["kms:GenerateDataKey*", "kms:Decrypt"],
    Resource: "*",
    Condition: { StringEquals: { "kms:EncryptionContext:aws:sns:topicArn": topicArn } },
  };
}
