/**
 * The registry add-on: ECR pull through cache rules for upstream registries, a repository creation
 * template per rule (immutable tags, a customer KMS key, a lifecycle policy), scan on push for the
 * cached repositories, and the right of the cluster's node roles to pull through the cache.
 * The rules, templates and scanning configuration belong to an account and region: one stack per
 * account and region creates them (`manageRegistry`), the others only grant their node roles.
 * https://docs.aws.amazon.com/AmazonECR/latest/userguide/pull-through-cache.html
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { awsTags, kmsKeyPolicy, serviceTrustPolicy } from "../shared/aws";
import {
  UPSTREAM_REGISTRIES,
  cacheLifecyclePolicy,
  creationRolePolicy,
  pullThroughPolicy,
  registryDefaults,
  repositoryArns,
  type CacheRule,
} from "./logic";

export * from "./logic";

/** Arguments of {@link Registry}. */
export interface RegistryArgs {
  /** EKS cluster name (descriptions). */
  readonly clusterName: string;
  /** AWS region of the registry, e.g. `eu-west-1`. */
  readonly region: string;
  /** Pull through cache rules (prefixes unique). */
  readonly rules: readonly CacheRule[];
  /**
   * Create the rules, templates, KMS key and scanning configuration (once per account and region);
   * false only grants the node roles. @default true
   */
  readonly manageRegistry?: boolean;
  /** Node roles (by a label such as `nodes`, `karpenter`) that may pull through the cache. */
  readonly nodeRoleNames: Readonly<Record<string, pulumi.Input<string>>>;
  /** Days an untagged cached image is kept. @default 14 */
  readonly untaggedImageDays?: number;
  /** Images a cached repository keeps. @default 200 */
  readonly maxImageCount?: number;
  /** Protect the KMS key against deletion. @default false */
  readonly protect?: boolean;
  /** Tags for every AWS resource (and the cached repositories), merged last. @default {} */
  readonly tags?: Record<string, string>;
}

/** ECR pull through cache of one account and region, and the node roles' right to use it. */
export class Registry extends pulumi.ComponentResource {
  /** The pull through cache rules (empty when another stack manages the registry). */
  public readonly rules: aws.ecr.PullThroughCacheRule[] = [];

  constructor(name: string, args: RegistryArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:registry:Registry", name, {}, opts);
    if (args.rules.length === 0)
      throw new Error(`${name}: the registry needs at least one pull through cache rule`);
    const tags = args.tags ?? {};
    const resourceName = `${name}-registry`;
    const identity = aws.getCallerIdentityOutput({}, { parent: this });
    const partition = aws.getPartitionOutput({}, { parent: this });
    const prefixes = args.rules.map((r) => r.prefix);
    const repositories = pulumi
      .all([partition.partition, identity.accountId])
      .apply(([p, accountId]) => repositoryArns(p, args.region, accountId, prefixes));
    for (const [label, roleName] of Object.entries(args.nodeRoleNames))
      new aws.iam.RolePolicy(
        `${resourceName}-pull-${label}`,
        { role: roleName, policy: repositories.apply((arns) => JSON.stringify(pullThroughPolicy(arns))) },
        { parent: this },
      );
    if (args.manageRegistry ?? true) this.manage(resourceName, args, repositories, tags);
    this.registerOutputs({ rules: this.rules });
  }

  /** The account-and-region objects: key, creation role, rules, templates, scanning. */
  private manage(
    name: string,
    args: RegistryArgs,
    repositories: pulumi.Output<string[]>,
    tags: Record<string, string>,
  ): void {
    const identity = aws.getCallerIdentityOutput({}, { parent: this });
    const partition = aws.getPartitionOutput({}, { parent: this });
    const key = new aws.kms.Key(
      `${name}-key`,
      {
        description: `${args.clusterName}: ECR pull through cache repositories`,
        enableKeyRotation: true,
        deletionWindowInDays: registryDefaults.kmsDeletionWindowDays,
        policy: pulumi
          .all([identity.accountId, partition.partition])
          .apply(([accountId, p]) =>
            JSON.stringify(kmsKeyPolicy({ accountId, partition: p, region: args.region })),
          ),
        tags: awsTags(`${name}-key`, tags),
      },
      { parent: this, protect: args.protect ?? false },
    );
    const role = new aws.iam.Role(
      `${name}-creation`,
      {
        description: `${args.clusterName}: ECR creates pull through cache repositories with KMS and tags`,
        assumeRolePolicy: identity.accountId.apply((id) =>
          JSON.stringify(serviceTrustPolicy("ecr.amazonaws.com", id)),
        ),
        tags: awsTags(`${name}-creation`, tags),
      },
      { parent: this },
    );
    const rolePolicy = new aws.iam.RolePolicy(
      `${name}-creation`,
      {
        role: role.name,
        policy: pulumi
          .all([repositories, key.arn])
          .apply(([arns, keyArn]) => JSON.stringify(creationRolePolicy(arns, keyArn))),
      },
      { parent: this },
    );
    const lifecyclePolicy = JSON.stringify(
      cacheLifecyclePolicy(
        args.untaggedImageDays ?? registryDefaults.untaggedImageDays,
        args.maxImageCount ?? registryDefaults.maxImageCount,
      ),
    );
    for (const rule of args.rules) {
      const templateName = `${name}-${rule.prefix.replace(/[^a-z0-9-]/g, "-")}`;
      new aws.ecr.RepositoryCreationTemplate(
        templateName,
        {
          prefix: rule.prefix,
          description: `${args.clusterName}: repositories cached from ${UPSTREAM_REGISTRIES[rule.registry].url}`,
          appliedFors: ["PULL_THROUGH_CACHE"],
          imageTagMutability: "IMMUTABLE",
          encryptionConfigurations: [{ encryptionType: "KMS", kmsKey: key.arn }],
          lifecyclePolicy,
          customRoleArn: role.arn,
          resourceTags: awsTags(templateName, tags),
        },
        { parent: this, dependsOn: [rolePolicy] },
      );
      this.rules.push(
        new aws.ecr.PullThroughCacheRule(
          templateName,
          {
            ecrRepositoryPrefix: rule.prefix,
            upstreamRegistryUrl: UPSTREAM_REGISTRIES[rule.registry].url,
            credentialArn: rule.credentialArn,
          },
          { parent: this },
        ),
      );
    }
    new aws.ecr.RegistryScanningConfiguration(
      `${name}-scanning`,
      {
        scanType: "BASIC",
        rules: [
          {
            scanFrequency: "SCAN_ON_PUSH",
            repositoryFilters: args.rules.map((r) => ({ filter: `${r.prefix}/*`, filterType: "WILDCARD" })),
          },
        ],
      },
      { parent: this },
    );
  }
}
