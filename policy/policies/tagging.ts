/**
 * Tagging policy: every taggable AWS resource carries the required cost/ownership tags. Tags set
 * by the AWS provider's `defaultTags` count: they are read from `tagsAll` when the engine reports
 * it, from the provider's inputs when CrossGuard passes them, and from the `providerDefaultTags`
 * setting (the keys our stacks put in the provider's defaultTags) for the offline plan.
 */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { frameworks, componentInputs, resourcePolicy, types, type PackPolicy } from "./common";

export const defaultRequiredTags = ["environment", "owner", "cost-center"];

/** Types we know are taggable even when the program passes no `tags` at all. */
export const knownTaggableTypes: readonly string[] = [
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
    const { requiredTags: required, providerDefaultTags } = args.getConfig<{
      requiredTags: string[];
      providerDefaultTags: string[];
    }>();
    const present = new Set<string>([
      ...tagKeys(props.tags),
      ...("tagsAll" in props ? tagKeys(props.tagsAll) : []),
      ...(args.type === types.eksComponent ? tagKeys(props.clusterTags) : []),
      ...providerDefaultTags,
      ...tagKeys(args.provider?.props?.defaultTags?.tags),
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
