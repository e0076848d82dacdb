/**
 * Config keys of the storage capability (merged into the `platform` namespace by stacks/config.ts).
 * The component is components/storage; docs/storage.md explains the classes, EFS and backups.
 */
import { z } from "zod";
import { backupCronProblem } from "../aws-catalog";
import { ConfigError, NAMESPACE, integer } from "../schema";
import type { SectionConfig, SectionOf } from "./types";
import type { CoreConfig } from "../core";

/** An AWS Backup vault ARN. */
const BACKUP_VAULT_ARN =
  /^arn:aws[a-z-]*:backup:[a-z]{2}(-gov)?-[a-z]+-\d:\d{12}:backup-vault:[A-Za-z0-9_-]{2,50}$/;

/** Keys of this section: zod schemas with TSDoc and @default. */
export const storageSchema = {
  /**
   * Reclaim policy of the StorageClasses gp3, performance and efs-sc (and deletion policy of the
   * EBS VolumeSnapshotClass): `Retain` or `Delete`. Production stacks must use `Retain`.
   * https://kubernetes.io/docs/concepts/storage/storage-classes/#reclaim-policy
   * @default "Retain" in production, "Delete" otherwise
   */
  storageReclaimPolicy: z.enum(["Retain", "Delete"], { error: "Retain or Delete" }).optional(),
  /**
   * io2 IOPS per GiB of the `performance` StorageClass (1 to 1000; small volumes are raised to the
   * io2 minimum). Ignored when performanceIops is set.
   * https://github.com/kubernetes-sigs/aws-ebs-csi-driver/blob/master/docs/parameters.md
   * @default 50
   */
  performanceIopsPerGB: integer(1, 1000).default(50),
  /**
   * Fixed io2 IOPS of every `performance` volume (100 to 256000) instead of performanceIopsPerGB;
   * 0 means not set.
   * @default 0
   */
  performanceIops: integer(0, 256000)
    .refine((n) => n === 0 || n >= 100, { error: "0 (not set) or an integer between 100 and 256000" })
    .default(0),
  /**
   * EFS throughput mode: `elastic` (pay per use, scales automatically) or `bursting`.
   * https://docs.aws.amazon.com/efs/latest/ug/performance.html#throughput-modes
   * @default "elastic"
   */
  efsThroughputMode: z.enum(["elastic", "bursting"], { error: "elastic or bursting" }).default("elastic"),
  /**
   * When AWS Backup backs up EFS and the tagged EBS volumes: an AWS cron expression in UTC
   * (`cron(minutes hours day-of-month month day-of-week year)`, `?` in one of the two day fields,
   * at least an hour between runs).
   * https://docs.aws.amazon.com/aws-backup/latest/devguide/creating-a-backup-plan.html
   * @default "cron(0 3 * * ? *)" (daily at 03:00 UTC)
   */
  backupSchedule: z
    .string()
    .superRefine((schedule, ctx) => {
      const problem = backupCronProblem(schedule);
      if (problem) ctx.addIssue({ code: "custom", input: schedule, message: problem });
    })
    .default("cron(0 3 * * ? *)"),
  /** Days AWS Backup keeps a recovery point (1 to 36500). @default 35 */
  backupRetentionDays: integer(1, 36500).default(35),
  /**
   * ARN of a backup vault in another region (or account) that every recovery point is copied to.
   * https://docs.aws.amazon.com/aws-backup/latest/devguide/cross-region-backup.html
   * @default not set (no copy)
   */
  backupCopyVaultArn: z
    .string()
    .regex(BACKUP_VAULT_ARN, {
      error: "a backup vault ARN such as arn:aws:backup:eu-central-1:111122223333:backup-vault:dr",
    })
    .optional(),
  /** Days the copies are kept (1 to 36500; 0 means backupRetentionDays); needs backupCopyVaultArn. @default 0 */
  backupCopyRetentionDays: integer(0, 36500).default(0),
};

/** The storage keys as the section sees them after parsing (plus what the derived defaults need). */
export type StorageConfigView = SectionOf<typeof storageSchema> & Pick<CoreConfig, "production" | "region">;

/** The storage settings with derived defaults resolved (what stacks/wiring/storage.ts passes on). */
export interface StorageSettings {
  readonly reclaimPolicy: "Retain" | "Delete";
  readonly performanceIopsPerGB?: number;
  readonly performanceIops?: number;
  readonly efsThroughputMode: "elastic" | "bursting";
  readonly backupSchedule: string;
  readonly backupRetentionDays: number;
  readonly backupCopyVaultArn?: string;
  readonly backupCopyRetentionDays?: number;
}

/** Resolves the derived defaults: reclaim policy by environment, IOPS per GiB unless fixed IOPS, copy retention. */
export function storageSettings(config: StorageConfigView): StorageSettings {
  return {
    reclaimPolicy: config.storageReclaimPolicy ?? (config.production ? "Retain" : "Delete"),
    performanceIops: config.performanceIops > 0 ? config.performanceIops : undefined,
    performanceIopsPerGB: config.performanceIops > 0 ? undefined : config.performanceIopsPerGB,
    efsThroughputMode: config.efsThroughputMode,
    backupSchedule: config.backupSchedule,
    backupRetentionDays: config.backupRetentionDays,
    backupCopyVaultArn: config.backupCopyVaultArn,
    backupCopyRetentionDays:
      config.backupCopyVaultArn === undefined
        ? undefined
        : config.backupCopyRetentionDays || config.backupRetentionDays,
  };
}

/** Cross-key rules of this section; throws ConfigError on bad input. */
export function storageChecks(config: SectionConfig<typeof storageSchema>): void {
  if (config.production && config.storageReclaimPolicy === "Delete") {
    throw new ConfigError(
      `${NAMESPACE}:storageReclaimPolicy`,
      "Delete",
      "Retain in a production stack (Delete destroys a volume's data when its claim is deleted)",
    );
  }
  if (config.backupCopyRetentionDays > 0 && config.backupCopyVaultArn === undefined) {
    throw new ConfigError(
      `${NAMESPACE}:backupCopyRetentionDays`,
      config.backupCopyRetentionDays,
      "no value unless backupCopyVaultArn names the vault the copies go to",
    );
  }
}
