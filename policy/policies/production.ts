/**
 * Production safety: stateful resources whose loss is unrecoverable (keys, file systems, backup
 * vaults, buckets) must be `protect`ed in production stacks.
 *
 * A stack is production when (any of): its name is listed in `productionStacks`; its name matches
 * `productionStackPattern` (default `prod`, case-insensitive, so `spoke-prod` and `production`);
 * or it carries the stack tag `environment=production`; or its AWS provider's default tags say
 * `environment=production`. The stack name comes from the resources'
 * URNs (`urn:pulumi:<stack>::...`), since CrossGuard passes no stack name.
 */
import type { StackValidationPolicy, StackValidationArgs } from "@pulumi/policy";
import { frameworks, stackOfUrn, stackPolicy, types, type PackPolicy } from "./common";

const statefulTypes: readonly string[] = [
  types.kmsKey,
  types.efsFileSystem,
  types.backupVault,
  types.bucket,
  types.bucketV2,
];

export interface ProductionConfig {
  productionStacks: string[];
  productionStackPattern: string;
}

/**
 * The `environment` default tag of an AWS provider resource, whose `defaultTags` input is an object
 * or, as the engine passes provider inputs, its JSON text.
 */
function providerEnvironment(props: Record<string, unknown>): unknown {
  let defaultTags = props["defaultTags"];
  if (typeof defaultTags === "string") {
    try {
      defaultTags = JSON.parse(defaultTags) as unknown;
    } catch {
      return undefined;
    }
  }
  const tags = (defaultTags as { tags?: Record<string, unknown> } | undefined)?.tags;
  return tags?.["environment"];
}

/**
 * Whether the stack these args describe is a production stack: its stack tag, its name, or the
 * `environment=production` default tag of its AWS provider (the program sets it from
 * `platform:environment`, so a production stack with any name is judged as one).
 */
function isProductionStack(
  stack: string | undefined,
  args: Pick<StackValidationArgs, "stackTags" | "resources">,
  config: ProductionConfig,
): boolean {
  if (args.stackTags.get("environment") === "production") return true;
  if (
    args.resources.some(
      (r) => r.type === "pulumi:providers:aws" && providerEnvironment(r.props) === "production",
    )
  )
    return true;
  if (!stack) return false;
  if (config.productionStacks.includes(stack)) return true;
  return config.productionStackPattern !== "" && new RegExp(config.productionStackPattern, "i").test(stack);
}

export const protectStatefulInProduction = (): StackValidationPolicy =>
  stackPolicy({
    name: "protect-stateful-in-production",
    description:
      "In production stacks, KMS keys, EFS file systems, backup vaults and S3 buckets must be protected against deletion (protect: true).",
    severity: "high",
    framework: frameworks.platform(
      "production-safety",
      "Unrecoverable state cannot be deleted by a single pulumi up/destroy",
    ),
    tags: ["production", "resilience"],
    remediationSteps:
      "Pass { protect: true } (or retainOnDelete) in the resource options of the stateful resource or its parent component.",
    url: "https://www.pulumi.com/docs/iac/concepts/options/protect/",
    configSchema: {
      properties: {
        productionStacks: {
          type: "array",
          items: { type: "string", minLength: 1 },
          default: [],
          description: "Stack names that are production regardless of their name.",
        },
        productionStackPattern: {
          type: "string",
          default: "prod",
          description:
            'Case-insensitive regular expression; matching stack names are production ("" disables).',
        },
      },
    },
    resourceTypes: statefulTypes,
    validateStack: (args, report) => {
      const config = args.getConfig<ProductionConfig>();
      const stack = args.resources.map((r) => stackOfUrn(r.urn)).find((s) => s !== undefined);
      if (!isProductionStack(stack, args, config))
        return args.notApplicable(`stack ${stack ?? "(empty)"} is not a production stack`);
      for (const r of args.resources) {
        if (statefulTypes.includes(r.type) && !r.opts.protect) {
          report(
            `${r.type.split(":").pop()} ${r.name} is not protected in production stack ${stack}: a refactor or destroy would delete it (and the data or keys it holds) for good. Set protect: true.`,
            r.urn,
          );
        }
      }
    },
  });

/** The region of an ARN (`arn:aws:backup:eu-central-1:...`), when the value is one. */
function arnRegion(value: unknown): string | undefined {
  return typeof value === "string" ? /^arn:[^:]+:[^:]+:([a-z0-9-]+):/.exec(value)?.[1] : undefined;
}

export const backupCopyToSecondRegion = (): StackValidationPolicy =>
  stackPolicy({
    name: "backup-copy-to-second-region",
    description:
      "In production stacks, every AWS Backup plan rule must copy its recovery points to a vault in another region.",
    severity: "high",
    framework: frameworks.platform(
      "production-safety",
      "Backups survive the loss of the region they were taken in",
    ),
    tags: ["production", "resilience", "backup"],
    remediationSteps:
      "Set platform:storage.backupCopyVaultArn to a vault in the disaster-recovery region (docs/backups.md); the plan rule then gets a copy action.",
    url: "https://docs.aws.amazon.com/aws-backup/latest/devguide/cross-region-backup.html",
    configSchema: protectStatefulInProduction().configSchema,
    resourceTypes: [types.backupPlan, types.backupVault],
    validateStack: (args, report) => {
      const config = args.getConfig<ProductionConfig>();
      const stack = args.resources.map((r) => stackOfUrn(r.urn)).find((s) => s !== undefined);
      if (!isProductionStack(stack, args, config))
        return args.notApplicable(`stack ${stack ?? "(empty)"} is not a production stack`);
      const sourceRegions = new Set(
        args.resources
          .filter((r) => r.type === types.backupVault)
          .map((r) => arnRegion(r.props["kmsKeyArn"]))
          .filter((r): r is string => r !== undefined),
      );
      for (const plan of args.resources.filter((r) => r.type === types.backupPlan)) {
        const rules = Array.isArray(plan.props["rules"])
          ? (plan.props["rules"] as Record<string, unknown>[])
          : [];
        for (const rule of rules) {
          const copies = Array.isArray(rule["copyActions"])
            ? (rule["copyActions"] as Record<string, unknown>[])
            : [];
          const regions = copies.map((c) => arnRegion(c["destinationVaultArn"]));
          const name = String(rule["ruleName"] ?? "(unnamed)");
          if (copies.length === 0)
            report(
              `backup plan ${plan.name} rule ${name} keeps its recovery points only in the stack's region: losing the region loses the backups. Set platform:storage.backupCopyVaultArn to a vault in another region.`,
              plan.urn,
            );
          else if (regions.every((r) => r !== undefined && sourceRegions.has(r)))
            report(
              `backup plan ${plan.name} rule ${name} copies only to vaults in its own region (${regions.join(", ")}): that does not survive the loss of the region. Copy to a vault in another region.`,
              plan.urn,
            );
        }
      }
    },
  });

export const productionPolicies: PackPolicy[] = [protectStatefulInProduction(), backupCopyToSecondRegion()];
