/**
 * Pure logic of the registry add-on: the upstream registries ECR can cache, the lifecycle policy of
 * cached repositories, and the IAM policies of the repository creation role and of the node roles
 * that pull through the cache.
 * https://docs.aws.amazon.com/AmazonECR/latest/userguide/pull-through-cache.html
 */
import type { PolicyDocument } from "../shared/aws";

/**
 * Upstream registries ECR pull through cache supports, by the name the config uses: their URL and
 * whether ECR needs credentials (a Secrets Manager secret named `ecr-pullthroughcache/...`).
 * https://docs.aws.amazon.com/AmazonECR/latest/userguide/pull-through-cache-creating-rule.html
 */
export const UPSTREAM_REGISTRIES = {
  "docker-hub": { url: "registry-1.docker.io", credentials: true },
  ghcr: { url: "ghcr.io", credentials: true },
  gitlab: { url: "registry.gitlab.com", credentials: true },
  quay: { url: "quay.io", credentials: false },
  "registry.k8s.io": { url: "registry.k8s.io", credentials: false },
  "ecr-public": { url: "public.ecr.aws", credentials: false },
} as const satisfies Record<string, { url: string; credentials: boolean }>;

/** A registry name of {@link UPSTREAM_REGISTRIES}. */
export type UpstreamRegistry = keyof typeof UPSTREAM_REGISTRIES;

/** One pull through cache rule: the ECR prefix, its upstream and, where needed, its credentials. */
export interface CacheRule {
  /** ECR repository prefix, e.g. `docker-hub`: images are pulled as `<account>.dkr.ecr.<region>.amazonaws.com/<prefix>/<image>`. */
  readonly prefix: string;
  /** The upstream registry. */
  readonly registry: UpstreamRegistry;
  /** ARN of the Secrets Manager secret (`ecr-pullthroughcache/...`) with the upstream credentials. */
  readonly credentialArn?: string;
}

/** Module defaults of the add-on. */
export const registryDefaults = {
  /** Rules of a stack that names none: the registries that need no credentials. */
  rules: [
    { prefix: "ecr-public", registry: "ecr-public" },
    { prefix: "k8s", registry: "registry.k8s.io" },
    { prefix: "quay", registry: "quay" },
  ] as readonly CacheRule[],
  /** Days an untagged image stays in a cached repository. */
  untaggedImageDays: 14,
  /** Images a cached repository keeps (the oldest beyond are expired). */
  maxImageCount: 200,
  /** KMS key deletion window, days. */
  kmsDeletionWindowDays: 30,
} as const;

/**
 * The lifecycle policy of cached repositories: untagged images expire after `untaggedDays`, and
 * only the newest `maxImages` images are kept.
 * https://docs.aws.amazon.com/AmazonECR/latest/userguide/LifecyclePolicies.html
 */
export function cacheLifecyclePolicy(untaggedDays: number, maxImages: number): Record<string, unknown> {
  return {
    rules: [
      {
        rulePriority: 1,
        description: `expire untagged images after ${untaggedDays} days`,
        selection: {
          tagStatus: "untagged",
          countType: "sinceImagePushed",
          countUnit: "days",
          countNumber: untaggedDays,
        },
        action: { type: "expire" },
      },
      {
        rulePriority: 2,
        description: `keep the newest ${maxImages} images`,
        selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: maxImages },
        action: { type: "expire" },
      },
    ],
  };
}

/** ARNs of the repositories under the prefixes, in one account and region. */
export function repositoryArns(
  partition: string,
  region: string,
  accountId: string,
  prefixes: readonly string[],
): string[] {
  return prefixes.map((p) => `arn:${partition}:ecr:${region}:${accountId}:repository/${p}/*`);
}

/**
 * The policy of the role ECR assumes to create cached repositories from a template with a customer
 * KMS key and tags: create and tag only repositories under the cache prefixes, and grants on that
 * key only for AWS resources.
 * https://docs.aws.amazon.com/AmazonECR/latest/userguide/repository-creation-templates-custom.html
 */
export function creationRolePolicy(repositories: readonly string[], keyArn: string): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "CreateCachedRepositories",
        Effect: "Allow",
        Action: ["ecr:CreateRepository", "ecr:TagResource"],
        Resource: [...repositories],
      },
      { Sid: "DescribeKey", Effect: "Allow", Action: "kms:DescribeKey", Resource: keyArn },
      {
        Sid: "GrantsForEcr",
        Effect: "Allow",
        Action: ["kms:CreateGrant", "kms:RetireGrant"],
        Resource: keyArn,
        Condition: { Bool: { "kms:GrantIsForAWSResource": "true" } },
      },
    ],
  };
}

/**
 * What a node role needs beyond read-only ECR access to pull through the cache: the first pull of an
 * image creates its repository and imports it from upstream, only under the cache prefixes.
 * https://docs.aws.amazon.com/AmazonECR/latest/userguide/pull-through-cache-iam.html
 */
export function pullThroughPolicy(repositories: readonly string[]): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "PullThroughCache",
        Effect: "Allow",
        Action: ["ecr:BatchImportUpstreamImage", "ecr:CreateRepository"],
        Resource: [...repositories],
      },
    ],
  };
}
