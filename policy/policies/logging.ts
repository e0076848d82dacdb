/** Logging policies: CloudWatch log groups keep logs long enough and encrypt them with our key. */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { frameworks, isSet, resourcePolicy, types, type PackPolicy } from "./common";

export const logGroupRetention = (): ResourceValidationPolicy =>
  resourcePolicy({
    name: "log-group-retention",
    description: "CloudWatch log groups must set a retention period of at least the configured minimum.",
    severity: "medium",
    // checkov CKV_AWS_338 (at least one year) holds only with minRetentionDays >= 365, as in
    // policy/config/production.json; the default (90) implements CKV_AWS_66.
    framework: frameworks.checkov("CKV_AWS_66", "Ensure that CloudWatch Log Group specifies retention days"),
    tags: ["logging", "CKV_AWS_66"],
    remediationSteps: "Set retentionInDays (e.g. 365) on the log group.",
    url: "https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/Working-with-log-groups-and-streams.html",
    configSchema: {
      properties: {
        minRetentionDays: {
          type: "integer",
          minimum: 1,
          default: 90,
          description: "Smallest acceptable retentionInDays.",
        },
      },
    },
    resourceTypes: [types.logGroup],
    checks: {
      "*": (props, args, report) => {
        const { minRetentionDays } = args.getConfig<{ minRetentionDays: number }>();
        const days = props.retentionInDays;
        if (typeof days !== "number" || days === 0) {
          report(
            `retentionInDays is not set: logs are kept (and billed) forever. Set it to at least ${minRetentionDays}.`,
          );
        } else if (days < minRetentionDays) {
          report(
            `retentionInDays is ${days}, below the minimum of ${minRetentionDays}: incidents older than that cannot be investigated. Raise it.`,
          );
        }
      },
    },
  });

export const logGroupKms = (): ResourceValidationPolicy =>
  resourcePolicy({
    name: "log-group-kms",
    description: "CloudWatch log groups must be encrypted with a customer KMS key.",
    severity: "medium",
    framework: frameworks.checkov("CKV_AWS_158", "Ensure that CloudWatch Log Group is encrypted by KMS"),
    tags: ["logging", "encryption", "CKV_AWS_158"],
    remediationSteps: "Set kmsKeyId to a customer key whose policy allows logs.<region>.amazonaws.com.",
    url: "https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html",
    resourceTypes: [types.logGroup],
    checks: {
      "*": (props, _args, report) => {
        if (!isSet(props.kmsKeyId))
          report(
            "kmsKeyId is not set: logs (which may contain secrets and PII) are encrypted with a service key you do not control. Set kmsKeyId.",
          );
      },
    },
  });

export const loggingPolicies: PackPolicy[] = [logGroupRetention(), logGroupKms()];
