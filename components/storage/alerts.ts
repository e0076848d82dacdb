/**
 * Alerts on AWS Backup jobs of the storage vault that did not make a recovery point or its copy: an
 * EventBridge rule on the default bus sends failed, aborted and expired backup and copy jobs to an
 * SNS topic encrypted with the storage key; e-mail addresses may be subscribed.
 * https://docs.aws.amazon.com/aws-backup/latest/devguide/eventbridge.html
 */
import { createHash } from "node:crypto";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { awsTags } from "../shared/aws";
import { backupAlertEventPattern, backupAlertsTopicPolicy } from "./logic";

/** Arguments of {@link BackupAlerts}. */
export interface BackupAlertsArgs {
  /** EKS cluster name (the rule's description). */
  readonly clusterName: pulumi.Output<string>;
  /** The backup vault whose jobs are watched. */
  readonly vault: aws.backup.Vault;
  /**
   * Name of the topic: fixed before it exists, because the storage key's policy names its ARN
   * (the encryption context EventBridge may use the key with).
   */
  readonly topicName: pulumi.Input<string>;
  /** ARN of the customer KMS key that encrypts the topic (its policy must admit EventBridge). */
  readonly kmsKeyArn: pulumi.Input<string>;
  /**
   * E-mail addresses subscribed to the topic (`email` protocol: each confirms by the link AWS
   * sends). https://docs.aws.amazon.com/sns/latest/dg/sns-email-notifications.html
   * @default [] (no subscription: subscribe to the topic ARN outside the stack)
   */
  readonly emailAddresses?: readonly string[];
  /** Tags for every AWS resource, merged last. @default {} */
  readonly tags?: Record<string, string>;
}

/** Resource name suffix of an e-mail subscription: stable per address and without the address. */
function emailSubscriptionSuffix(address: string): string {
  return createHash("sha256").update(address.toLowerCase()).digest("hex").slice(0, 12);
}

/** The backup alert rule, its target, the encrypted topic with its policy, and e-mail subscriptions. */
export class BackupAlerts extends pulumi.ComponentResource {
  /** The SNS topic the alerts go to. */
  public readonly topic: aws.sns.Topic;
  /** The EventBridge rule that matches the failed jobs. */
  public readonly rule: aws.cloudwatch.EventRule;

  constructor(name: string, args: BackupAlertsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:storage:BackupAlerts", name, {}, opts);
    const tags = args.tags ?? {};
    this.topic = new aws.sns.Topic(
      `${name}-backup-alerts`,
      {
        name: args.topicName,
        displayName: "AWS Backup job failures",
        kmsMasterKeyId: args.kmsKeyArn,
        tags: awsTags(`${name}-backup-alerts`, tags),
      },
      { parent: this },
    );
    this.rule = new aws.cloudwatch.EventRule(
      `${name}-backup-alerts`,
      {
        description: pulumi.interpolate`${args.clusterName}: AWS Backup or copy jobs of ${args.vault.name} that failed, were aborted or expired`,
        eventPattern: pulumi
          .all([args.vault.name, args.vault.arn])
          .apply(([vaultName, vaultArn]) => JSON.stringify(backupAlertEventPattern(vaultName, vaultArn))),
        tags: awsTags(`${name}-backup-alerts`, tags),
      },
      { parent: this },
    );
    const policy = new aws.sns.TopicPolicy(
      `${name}-backup-alerts`,
      {
        arn: this.topic.arn,
        policy: pulumi
          .all([this.topic.arn, this.rule.arn])
          .apply(([topicArn, ruleArn]) => JSON.stringify(backupAlertsTopicPolicy(topicArn, ruleArn))),
      },
      { parent: this },
    );
    new aws.cloudwatch.EventTarget(
      `${name}-backup-alerts`,
      { rule: this.rule.name, arn: this.topic.arn },
      { parent: this, dependsOn: [policy] },
    );
    for (const address of args.emailAddresses ?? []) {
      new aws.sns.TopicSubscription(
        `${name}-backup-alerts-${emailSubscriptionSuffix(address)}`,
        { topic: this.topic.arn, protocol: "email", endpoint: pulumi.secret(address) },
        { parent: this },
      );
    }
    this.registerOutputs({ topic: this.topic, rule: this.rule });
  }
}
