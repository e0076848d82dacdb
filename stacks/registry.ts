/**
 * The registry capability: its config slice (`platform:registry`) and the function that builds
 * components/registry from it, the cluster's node role and Karpenter's. docs/registry.md explains it.
 */
import { z } from "zod";
import {
  Registry,
  UPSTREAM_REGISTRIES,
  registryDefaults,
  type UpstreamRegistry,
} from "../components/registry";
import type { Karpenter } from "../components/karpenter";
import type { CoreConfig } from "./core";
import type { Foundation } from "./foundation";
import type { SectionOf } from "./schema";
import { boolean, integer, structured } from "./schema";

const REGISTRY_NAMES = Object.keys(UPSTREAM_REGISTRIES) as [UpstreamRegistry, ...UpstreamRegistry[]];

/** A Secrets Manager secret ARN whose name ECR accepts for upstream credentials. */
const CREDENTIAL_ARN =
  /^arn:aws[a-z-]*:secretsmanager:[a-z]{2}(-gov)?-[a-z]+-\d:\d{12}:secret:ecr-pullthroughcache\/[A-Za-z0-9/_+=.@-]+$/;

/** One pull through cache rule. https://docs.aws.amazon.com/AmazonECR/latest/userguide/pull-through-cache-creating-rule.html */
const cacheRuleSchema = z
  .object({
    /** ECR repository prefix the upstream's images are cached under. */
    prefix: z
      .string()
      .regex(/^[a-z0-9]+(?:[._-][a-z0-9]+)*$/, {
        error:
          "a repository prefix of lowercase letters, digits and single '.', '_' or '-' (2 to 30 characters)",
      })
      .min(2, { error: "a repository prefix of 2 to 30 characters" })
      .max(30, { error: "a repository prefix of 2 to 30 characters" }),
    /** The upstream registry. */
    registry: z.enum(REGISTRY_NAMES, { error: `an upstream registry: ${REGISTRY_NAMES.join(", ")}` }),
    /**
     * ARN of the Secrets Manager secret with the upstream credentials (never the credentials): its
     * name starts with `ecr-pullthroughcache/`. Required for docker-hub, ghcr and gitlab.
     */
    credentialArn: z
      .string()
      .regex(CREDENTIAL_ARN, {
        error:
          "a Secrets Manager secret ARN whose name starts with ecr-pullthroughcache/, such as arn:aws:secretsmanager:eu-west-1:111122223333:secret:ecr-pullthroughcache/docker-hub-AbCdEf",
      })
      .optional(),
  })
  .strict()
  .superRefine((rule, ctx) => {
    if (UPSTREAM_REGISTRIES[rule.registry].credentials && rule.credentialArn === undefined)
      ctx.addIssue({
        code: "custom",
        path: ["credentialArn"],
        message: `the ARN of a Secrets Manager secret with ${rule.registry} credentials (ECR requires them for ${UPSTREAM_REGISTRIES[rule.registry].url})`,
      });
  });

/** The `platform:registry` object. */
const registryConfigSchema = z
  .object({
    /** Use the ECR pull through cache. @default true in production, false otherwise */
    enabled: boolean().optional(),
    /**
     * Create the account-and-region objects (rules, templates, KMS key, scanning); other stacks of the
     * same account and region set false and only grant their node roles. @default true on the hub, false on spokes
     */
    manageRegistry: boolean().optional(),
    /** Pull through cache rules. @default ecr-public, registry.k8s.io (prefix k8s) and quay */
    rules: z
      .array(cacheRuleSchema)
      .min(1, { error: "at least one pull through cache rule" })
      .default([...registryDefaults.rules]),
    /** Days an untagged cached image is kept. @default 14 */
    untaggedImageDays: integer(1, 3650).default(registryDefaults.untaggedImageDays),
    /** Images a cached repository keeps. @default 200 */
    maxImageCount: integer(1, 10000).default(registryDefaults.maxImageCount),
  })
  .strict()
  .superRefine((settings, ctx) => {
    const seen = new Set<string>();
    settings.rules.forEach((rule, i) => {
      if (seen.has(rule.prefix))
        ctx.addIssue({
          code: "custom",
          path: ["rules", i, "prefix"],
          input: rule.prefix,
          message: "a prefix used once",
        });
      seen.add(rule.prefix);
    });
  });

/** Config key of the capability (merged into the `platform` namespace by stacks/config.ts). */
export const registrySchema = {
  /** ECR pull through cache (object, see docs/registry.md). @default on in production */
  registry: structured(registryConfigSchema).prefault({}),
};

/** What this capability reads of a stack's configuration: the core keys and its own. */
type StackConfig = CoreConfig & SectionOf<typeof registrySchema>;

/** True when the stack uses the pull through cache. */
export function registryEnabled(config: Pick<StackConfig, "registry" | "production">): boolean {
  return config.registry.enabled ?? config.production;
}

/** Builds the registry (or only the node roles' access to it) when enabled. */
export function buildRegistry(
  config: StackConfig,
  foundation: Foundation,
  karpenter: Karpenter | undefined,
): Registry | undefined {
  if (!registryEnabled(config)) return undefined;
  const settings = config.registry;
  return new Registry(config.stack, {
    clusterName: config.clusterName,
    region: config.region,
    rules: settings.rules,
    manageRegistry: settings.manageRegistry ?? config.role === "hub",
    nodeRoleNames: {
      nodes: foundation.cluster.nodeRole.name,
      ...(karpenter ? { karpenter: karpenter.nodeRole.name } : {}),
    },
    untaggedImageDays: settings.untaggedImageDays,
    maxImageCount: settings.maxImageCount,
    protect: config.production,
    tags: foundation.tags,
  });
}
