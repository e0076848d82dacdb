/**
 * AWS Backup of a cluster's storage: a vault encrypted with the storage key, a daily plan (with an
 * optional copy to another vault), and selections of the EFS file system and of every EBS volume the
 * cluster's StorageClasses provision (found by tag).
 * https://docs.aws.amazon.com/aws-backup/latest/devguide/creating-a-backup-plan.html
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { awsTags, serviceTrustPolicy } from "../shared/aws";
import { backupKmsPolicy, backupName, backupRule, backupTag, clusterTagKey, managedPolicies } from "./logic";

/** Arguments of {@link StorageBackup}. */
export interface StorageBackupArgs {
  /** EKS cluster name (names of the vault, plan and selections). */
  readonly clusterName: pulumi.Output<string>;
  /** ARN of the storage KMS key (the vault's key). */
  readonly kmsKeyArn: pulumi.Output<string>;
  /** ARN of the EFS file system to back up. */
  readonly fileSystemArn: pulumi.Input<string>;
  /** The AWS account id (the backup role's trust). */
  readonly accountId: pulumi.Output<string>;
  /** The AWS partition (`aws`, `aws-cn`, ...). */
  readonly partition: pulumi.Output<string>;
  /** Turns an AWS managed policy name into its ARN in the account's partition. */
  readonly managedPolicyArn: (policy: string) => pulumi.Output<string>;
  /** Schedule (AWS cron, UTC). */
  readonly schedule: string;
  /** Days a recovery point is kept. */
  readonly retentionDays: number;
  /** ARN of a vault (another region or account) every recovery point is copied to. @default no copy */
  readonly copyVaultArn?: pulumi.Input<string>;
  /** Days the copies are kept. @default retentionDays */
  readonly copyRetentionDays?: number;
  /** Protect the vault against deletion. @default false */
  readonly protect?: boolean;
  /** Tags for every AWS resource and recovery point, merged last. @default {} */
  readonly tags?: Record<string, string>;
}

/** The storage's backup vault, plan and selections. */
export class StorageBackup extends pulumi.ComponentResource {
  /** The backup vault. */
  public readonly vault: aws.backup.Vault;

  constructor(name: string, args: StorageBackupArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:storage:StorageBackup", name, {}, opts);
    const tags = args.tags ?? {};
    const clusterName = args.clusterName;
    this.vault = new aws.backup.Vault(
      `${name}-backup-vault`,
      {
        name: clusterName.apply((n) => backupName(n, "storage")),
        kmsKeyArn: args.kmsKeyArn,
        tags: awsTags(`${name}-backup-vault`, tags),
      },
      { parent: this, protect: args.protect ?? false },
    );
    const role = new aws.iam.Role(
      `${name}-backup`,
      {
        description: pulumi.interpolate`${clusterName}: AWS Backup of EFS and EBS volumes`,
        assumeRolePolicy: args.accountId.apply((accountId) =>
          JSON.stringify(serviceTrustPolicy("backup.amazonaws.com", accountId)),
        ),
        tags: awsTags(`${name}-backup`, tags),
      },
      { parent: this },
    );
    const policies: pulumi.Resource[] = [
      ...[managedPolicies.backup, managedPolicies.restore].map(
        (policy) =>
          new aws.iam.RolePolicyAttachment(
            `${name}-backup-${policy.split("/").pop()}`,
            { role: role.name, policyArn: args.managedPolicyArn(policy) },
            { parent: this },
          ),
      ),
      new aws.iam.RolePolicy(
        `${name}-backup-kms`,
        { role: role.name, policy: args.kmsKeyArn.apply((arn) => JSON.stringify(backupKmsPolicy(arn))) },
        { parent: this },
      ),
    ];
    const plan = new aws.backup.Plan(
      `${name}-backup`,
      {
        name: clusterName.apply((n) => backupName(n, "storage-daily")),
        rules: [
          backupRule(this.vault.name, {
            schedule: args.schedule,
            retentionDays: args.retentionDays,
            copyVaultArn: args.copyVaultArn,
            copyRetentionDays: args.copyRetentionDays,
            recoveryPointTags: tags,
          }),
        ],
        tags: awsTags(`${name}-backup`, tags),
      },
      { parent: this },
    );
    const selection = (suffix: string, extra: Partial<aws.backup.SelectionArgs>) =>
      new aws.backup.Selection(
        `${name}-backup-${suffix}`,
        {
          name: clusterName.apply((n) => backupName(n, suffix)),
          planId: plan.id,
          iamRoleArn: role.arn,
          ...extra,
        },
        { parent: this, dependsOn: policies },
      );
    selection("efs", { resources: [args.fileSystemArn] });
    selection("ebs", {
      resources: [pulumi.interpolate`arn:${args.partition}:ec2:*:*:volume/*`],
      conditions: [
        {
          stringEquals: [
            { key: `aws:ResourceTag/${backupTag.key}`, value: backupTag.value },
            { key: `aws:ResourceTag/${clusterTagKey}`, value: clusterName },
          ],
        },
      ],
    });
    this.registerOutputs({ vault: this.vault });
  }
}
