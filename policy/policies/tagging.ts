/**
 * Tagging policy: every taggable AWS resource carries the required cost/ownership tags. Tags set
 * by the AWS provider's `defaultTags` count: they are read from `tagsAll` when the engine reports
 * it, from the provider's inputs when CrossGuard passes them, and from the `providerDefaultTags`
 * setting (the keys our stacks put in the provider's defaultTags) for the offline plan.
 */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import {
  componentInputs,
  frameworks,
  isInputlessComponent,
  resourcePolicy,
  tryGet,
  types,
  type PackPolicy,
} from "./common";

const defaultRequiredTags = ["environment", "owner", "cost-center"];

/** Types we know are taggable even when the program passes no `tags` at all. */
const knownTaggableTypes: readonly string[] = [
  types.vpc,
  types.subnet,
  types.securityGroup,
  types.flowLog,
  types.transitGateway,
  types.eksCluster,
  types.eksNodeGroup,
  types.eksAddon,
  types.launchTemplate,
  types.kmsKey,
  types.ebsVolume,
  types.efsFileSystem,
  types.efsAccessPoint,
  types.logGroup,
  types.bucket,
  types.bucketV2,
  types.ecrRepository,
  types.iamRole,
  types.iamPolicy,
  types.backupVault,
  types.oidcProvider,
  types.eksComponent,
  types.eksManagedNodeGroup,
  types.awsxVpc,
];

function tagKeys(v: unknown): string[] {
  return v && typeof v === "object" && !Array.isArray(v) ? Object.keys(v) : [];
}

/**
 * Keys of the provider's `defaultTags.tags`. The AWS provider SDK sends `defaultTags` as JSON text
 * (`pulumi.output(args.defaultTags).apply(JSON.stringify)`), so both forms are read.
 */
function defaultTagKeys(providerProps: Record<string, any> | undefined): string[] {
  let value: unknown = tryGet(providerProps, "defaultTags");
  if (typeof value === "string") {
    try {
      value = JSON.parse(value);
    } catch {
      return [];
    }
  }
  return value && typeof value === "object" ? tagKeys((value as { tags?: unknown }).tags) : [];
}

export const requiredTags = (): ResourceValidationPolicy => {
  const policy = resourcePolicy({
    name: "required-tags",
    description:
      "Taggable AWS resources must carry the required tags (default: environment, owner, cost-center).",
    severity: "low",
    framework: frameworks.platform(
      "tagging",
      "Every AWS resource is attributable to an environment, an owner and a cost center",
    ),
    tags: ["tagging", "cost"],
    remediationSteps:
      "Add the tags to the resource, or to the AWS provider's defaultTags (and list those keys in providerDefaultTags).",
    url: "https://docs.aws.amazon.com/whitepapers/latest/tagging-best-practices/tagging-best-practices.html",
    configSchema: {
      properties: {
        requiredTags: {
          type: "array",
          items: { type: "string", minLength: 1 },
          uniqueItems: true,
          default: defaultRequiredTags,
          description: "Tag keys every taggable AWS resource must have.",
        },
        providerDefaultTags: {
          type: "array",
          items: { type: "string", minLength: 1 },
          uniqueItems: true,
          default: [],
          description: "Tag keys the AWS provider sets through defaultTags (counted as present).",
        },
      },
    },
    resourceTypes: ["*"],
    checks: {},
  });
  // Any aws:* type (plus the eks/awsx components) may be taggable: decide per resource.
  policy.validateResource = (args, report) => {
    const props = componentInputs(args.type, args.props);
    const taggable =
      (args.type.startsWith("aws:") && ("tags" in props || "tagsAll" in props)) ||
      knownTaggableTypes.includes(args.type);
    if (!taggable) return args.notApplicable("not a taggable AWS resource");
    if (isInputlessComponent(args.type, props)) {
      return args.notApplicable(`${args.type} registered without inputs: its aws:* children are judged`);
    }
    const { requiredTags: required, providerDefaultTags } = args.getConfig<{
      requiredTags: string[];
      providerDefaultTags: string[];
    }>();
    // tagsAll (tags plus the provider's default tags) is computed by the provider; while it is
    // unknown the resource's own tags and the provider's default tags decide.
    const present = new Set<string>([
      ...tagKeys(props.tags),
      ...tagKeys(tryGet(props, "tagsAll")),
      ...(args.type === types.eksComponent ? tagKeys(props.clusterTags) : []),
      ...providerDefaultTags,
      ...defaultTagKeys(args.provider?.props),
    ]);
    const missing = required.filter((t) => !present.has(t));
    if (missing.length) {
      report(
        `missing tag${missing.length > 1 ? "s" : ""} ${missing.join(", ")}: costs and ownership cannot be attributed. Add ${missing.map((m) => `"${m}"`).join(", ")} to tags (or to the provider's defaultTags).`,
      );
    }
  };
  return policy;
};

export const taggingPolicies: PackPolicy[] = [requiredTags()];
