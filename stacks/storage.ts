/**
 * The storage capability: its config slice (`platform:storage`) and the function that builds
 * components/storage on every stack's cluster. docs/storage.md explains the classes, EFS and backups.
 */
import { z } from "zod";
import { emailReceiverAddresses, type alertingSchema } from "./alerting";
import { backupCronProblem } from "./aws-catalog";
import { ConfigError, NAMESPACE, group, integer, type SectionOf } from "./schema";
import type { CoreConfig } from "./core";
import * as pulumi from "@pulumi/pulumi";
import { Storage } from "../components/storage";
import type { Foundation } from "./foundation";

/** An AWS Backup vault ARN. */
const BACKUP_VAULT_ARN =
  /^arn:aws[a-z-]*:backup:[a-z]{2}(-gov)?-[a-z]+-\d:\d{12}:backup-vault:[A-Za-z0-9_-]{2,50}$/;

/** The `platform:storage` object: StorageClasses, EFS and AWS Backup. */
const storageSettingsSchema = z
  .strictObject({
    reclaimPolicy: z
      .enum(["Retain", "Delete"], { error: "Retain or Delete" })
      .optional()
      .describe(
        "Reclaim policy of the StorageClasses gp3, performance and efs-sc (and deletion policy of the EBS VolumeSnapshotClass): Retain or Delete. Not set means Retain in production, Delete otherwise; production refuses Delete. https://kubernetes.io/docs/concepts/storage/storage-classes/#reclaim-policy",
      ),
    performanceIopsPerGB: integer(1, 1000)
      .default(50)
      .describe(
        "io2 IOPS per GiB of the performance StorageClass (1-1000; small volumes are raised to the io2 minimum); ignored when performanceIops is set.",
      ),
    performanceIops: integer(0, 256000)
      .refine((n) => n === 0 || n >= 100, { error: "0 (not set) or an integer between 100 and 256000" })
      .default(0)
      .describe(
        "Fixed io2 IOPS of every performance volume (100-256000) instead of performanceIopsPerGB; 0 means not set.",
      ),
    efsThroughputMode: z
      .enum(["elastic", "bursting"], { error: "elastic or bursting" })
      .default("elastic")
      .describe(
        "EFS throughput mode: elastic (pay per use, scales automatically) or bursting. https://docs.aws.amazon.com/efs/latest/ug/performance.html#throughput-modes",
      ),
    backupSchedule: z
      .string()
      .superRefine((schedule, ctx) => {
        const problem = backupCronProblem(schedule);
        if (problem) ctx.addIssue({ code: "custom", input: schedule, message: problem });
      })
      .default("cron(0 3 * * ? *)")
      .describe(
        "AWS Backup schedule of EFS and the tagged EBS volumes, an AWS cron expression in UTC: cron(minutes hours day-of-month month day-of-week year), ? in one of the day fields, at least an hour apart.",
      ),
    backupRetentionDays: integer(1, 36500)
      .default(35)
      .describe("Days AWS Backup keeps a recovery point (1-36500)."),
    backupCopyVaultArn: z
      .string()
      .regex(BACKUP_VAULT_ARN, {
        error: "a backup vault ARN such as arn:aws:backup:eu-central-1:111122223333:backup-vault:dr",
      })
      .optional()
      .describe(
        "ARN of a backup vault in another region or account every recovery point is copied to. Not set means no copy. https://docs.aws.amazon.com/aws-backup/latest/devguide/cross-region-backup.html",
      ),
    backupCopyRetentionDays: integer(0, 36500)
      .default(0)
      .describe("Days the copies are kept (1-36500); needs backupCopyVaultArn. 0 means backupRetentionDays."),
  })
  .superRefine((s, ctx) => {
    if (s.backupCopyRetentionDays > 0 && s.backupCopyVaultArn === undefined)
      ctx.addIssue({
        code: "custom",
        path: ["backupCopyRetentionDays"],
        input: s.backupCopyRetentionDays,
        message: "no value unless backupCopyVaultArn names the vault the copies go to",
      });
  });

/** Config key of the capability (merged into the `platform` namespace by stacks/config.ts). */
export const storageSchema = {
  storage: group(storageSettingsSchema, "Storage: StorageClasses, EFS and AWS Backup (docs/storage.md)."),
};

/**
 * What the storage capability reads of a stack's configuration: the core keys, its own, and the
 * alerting receivers (e-mail receivers are subscribed to the backup alerts topic).
 */
type StorageStackConfig = CoreConfig & SectionOf<typeof storageSchema> & SectionOf<typeof alertingSchema>;

/** The storage settings with derived defaults resolved (what {@link buildStorage} passes on). */
export interface StorageSettings {
  readonly reclaimPolicy: "Retain" | "Delete";
  readonly performanceIopsPerGB: number;
  readonly performanceIops?: number;
  readonly efsThroughputMode: "elastic" | "bursting";
  readonly backupSchedule: string;
  readonly backupRetentionDays: number;
  readonly backupCopyVaultArn?: string;
  readonly backupCopyRetentionDays?: number;
}

/** Resolves the derived defaults: reclaim policy by environment, IOPS per GiB unless fixed IOPS, copy retention. */
export function storageSettings(config: Pick<StorageStackConfig, "storage" | "production">): StorageSettings {
  const s = config.storage;
  return {
    reclaimPolicy: s.reclaimPolicy ?? (config.production ? "Retain" : "Delete"),
    performanceIops: s.performanceIops > 0 ? s.performanceIops : undefined,
    performanceIopsPerGB: s.performanceIopsPerGB,
    efsThroughputMode: s.efsThroughputMode,
    backupSchedule: s.backupSchedule,
    backupRetentionDays: s.backupRetentionDays,
    backupCopyVaultArn: s.backupCopyVaultArn,
    backupCopyRetentionDays:
      s.backupCopyVaultArn === undefined ? undefined : s.backupCopyRetentionDays || s.backupRetentionDays,
  };
}

/** Rules that relate the storage settings to the environment; throws ConfigError on bad input. */
export function storageChecks(config: StorageStackConfig): void {
  if (config.production && config.storage.reclaimPolicy === "Delete") {
    throw new ConfigError(
      `${NAMESPACE}:storage.reclaimPolicy`,
      "Delete",
      "Retain in a production stack (Delete destroys a volume's data when its claim is deleted)",
    );
  }
}

/** Outputs the storage capability adds to every stack (hub and spoke). */
export interface StorageOutputs {
  /** EFS file system id behind the `efs-sc` StorageClass. */
  efsFileSystemId: pulumi.Output<string>;
  /** ARN of the AWS Backup vault holding the stack's recovery points. */
  backupVaultArn: pulumi.Output<string>;
  /**
   * ARN of the SNS topic that receives the vault's failed, aborted and expired backup and copy jobs
   * (docs/backups.md): subscribe a team's address, chat or paging endpoint to it.
   */
  backupAlertsTopicArn: pulumi.Output<string>;
  /** Name of the default StorageClass (`gp3`). */
  defaultStorageClass: string;
  /** ARN of the customer KMS key of EBS volumes, EFS and backups. */
  storageKeyArn: pulumi.Output<string>;
}

/** The storage component itself: what workloads with persistent volumes wait for (not a stack output). */
export interface StorageInstall {
  readonly storage: Storage;
}

/** Builds the storage of a stack's cluster and returns its outputs. */
export function buildStorage(
  config: StorageStackConfig,
  foundation: Foundation,
): StorageOutputs & StorageInstall {
  const { network, cluster, tags } = foundation;
  const settings = storageSettings(config);
  const storage = new Storage(config.stack, {
    clusterName: cluster.clusterName,
    kubernetesVersion: config.kubernetesVersion,
    region: config.region,
    vpcId: network.vpcId,
    privateSubnetIds: network.privateSubnetIds,
    availabilityZoneCount: network.availabilityZoneCount,
    nodeSecurityGroupId: cluster.nodeSecurityGroupId,
    provider: foundation.provider,
    reclaimPolicy: settings.reclaimPolicy,
    performanceIopsPerGB: settings.performanceIopsPerGB,
    performanceIops: settings.performanceIops,
    efsThroughputMode: settings.efsThroughputMode,
    backupSchedule: settings.backupSchedule,
    backupRetentionDays: settings.backupRetentionDays,
    backupCopyVaultArn: settings.backupCopyVaultArn,
    backupCopyRetentionDays: settings.backupCopyRetentionDays,
    backupAlertEmails: emailReceiverAddresses(config),
    // The add-ons need running nodes and the Pod Identity agent: wait for the whole cluster.
    addonDependsOn: [cluster],
    protect: config.production,
    tags,
  });
  return {
    storage,
    efsFileSystemId: storage.efsFileSystemId,
    backupVaultArn: storage.backupVaultArn,
    backupAlertsTopicArn: storage.backupAlertsTopicArn,
    defaultStorageClass: storage.defaultStorageClass,
    storageKeyArn: storage.key.arn,
  };
}
