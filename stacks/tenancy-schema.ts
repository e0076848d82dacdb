/**
 * The schema of one tenant organization (a `platform:organizations` entry). It sits apart from
 * stacks/tenancy.ts so the Organization component can take its argument type from it
 * (`import type`) without an import cycle: this module imports only the tenancy logic and the
 * schema helpers, never the components. Reference: docs/tenancy.md.
 */
import { z } from "zod";
import { tenancyDefaults, isQuantity } from "../components/tenancy/logic";
import { iamPrincipalArn, isCidr, kubernetesName } from "./schema";

/** A Kubernetes quantity (`4`, `500m`, `8Gi`); YAML numbers are accepted and kept as text. */
const quantity = () =>
  z
    .union([z.string(), z.number()], { error: "a Kubernetes quantity such as 500m, 4 or 8Gi" })
    .transform((v) => String(v))
    .pipe(z.string().refine(isQuantity, { error: "a Kubernetes quantity such as 500m, 4 or 8Gi" }));

const RESOURCE_NAME = /^[a-z0-9]([a-z0-9./-]*[a-z0-9])?$/;

/** A map of resource names to quantities; a bad resource name is reported at its own key. */
const quantities = (keyError: string) =>
  z.record(z.string(), quantity()).superRefine((map, ctx) => {
    for (const key of Object.keys(map)) {
      if (!RESOURCE_NAME.test(key))
        ctx.addIssue({ code: "custom", path: [key], input: key, message: keyError });
    }
  });

/** ResourceQuota `hard` entries: resource name (`requests.cpu`, `pods`, `count/deployments.apps`) to quantity. https://kubernetes.io/docs/concepts/policy/resource-quotas/ */
export const quotaSchema = quantities(
  "a ResourceQuota resource name such as requests.cpu or count/deployments.apps",
);

const containerQuantities = quantities("a resource name such as cpu or memory");

/** Per-container LimitRange fields, each merged over the defaults. https://kubernetes.io/docs/concepts/policy/limit-range/ */
export const limitsSchema = z.strictObject({
  /** Limits of a container that sets none. @default {cpu: 500m, memory: 512Mi} */
  default: containerQuantities.optional(),
  /** Requests of a container that sets none. @default {cpu: 100m, memory: 128Mi} */
  defaultRequest: containerQuantities.optional(),
  /** Largest limits a container may set. @default {cpu: "2", memory: 4Gi} */
  max: containerQuantities.optional(),
});

/** One egress allowlist entry. */
const egressRuleSchema = z.strictObject({
  /** Destination CIDR blocks. */
  cidrs: z
    .array(z.string().refine(isCidr, { error: "CIDR blocks such as 10.0.0.0/16" }))
    .min(1, { error: "at least one CIDR block" }),
  /** Ports (TCP by default); empty means all ports. @default [] */
  ports: z
    .array(
      z.strictObject({
        port: z
          .number({ error: "a port number 1-65535" })
          .int()
          .min(1, { error: "a port number 1-65535" })
          .max(65535, { error: "a port number 1-65535" }),
        protocol: z.enum(["TCP", "UDP"], { error: "TCP or UDP" }).default("TCP"),
      }),
    )
    .default([]),
});

/** A Secrets Manager ARN prefix a tenant role may read (never the whole account: `secret:*`). */
const secretArnPrefixSchema = z
  .string()
  .regex(/^arn:aws[a-z-]*:secretsmanager:[a-z]{2}(-gov)?-[a-z]+-\d:\d{12}:secret:[\w/+=.@-]+[\w/+=.@*?-]*$/, {
    error:
      "a Secrets Manager ARN prefix such as arn:aws:secretsmanager:eu-west-1:111122223333:secret:numinia/numinia/* (not secret:*)",
  });

/** One environment of an organization. */
const environmentSchema = z.strictObject({
  /** Environment name, e.g. `pre` or `pro`. */
  name: kubernetesName(),
  /** Namespace. @default `<org>` for `pro`, `<org>-<env>` otherwise */
  namespace: kubernetesName().optional(),
  /** ResourceQuota entries over tenancy.defaultQuota. @default {} */
  quota: quotaSchema.optional(),
  /** LimitRange fields over tenancy.defaultLimits. @default {} */
  limits: limitsSchema.optional(),
  /** Egress destinations beyond DNS and the namespace. @default [] */
  egressAllowlist: z.array(egressRuleSchema).default([]),
  /**
   * Secrets this environment's pods may read. When set, the environment gets its own Pod Identity
   * role limited to them (so `pre` cannot read `pro`'s secrets) instead of the organization's role.
   * @default the organization's secretArnPrefixes
   */
  secretArnPrefixes: z.array(secretArnPrefixSchema).min(1, { error: "at least one prefix" }).optional(),
  /** Flux Kustomization path. @default `<gitRepository.path>/<env>` */
  path: z
    .string()
    .regex(/^\.\/[\w./-]*$/, { error: "a repository path starting with ./" })
    .optional(),
  /** Flux interval of this environment's Kustomization. @default the organization's interval */
  interval: z
    .string()
    .regex(/^(\d+(\.\d+)?(ms|s|m|h))+$/, { error: "a Flux duration such as 5m or 1m30s" })
    .optional(),
  /** Keep the namespace but do not reconcile the environment (Flux `spec.suspend`). @default false */
  suspend: z.boolean({ error: "true or false" }).default(false),
  /**
   * Name of the repository's own Flux Kustomization (namespace flux-system) this environment's
   * platform Kustomization replaces: the cluster's root sync drops it (docs/gitops.md). @default none
   */
  repositoryKustomization: kubernetesName().optional(),
});

/** EKS access policies an organization principal may get (namespace-scoped; never cluster admin). */
const TENANT_ACCESS_POLICIES = [
  "AmazonEKSEditPolicy",
  "AmazonEKSViewPolicy",
  "AmazonEKSAdminPolicy",
] as const;

/** One organization. */
export const organizationSchema = z.strictObject({
  /** Organization name (Flux tenant). */
  name: kubernetesName(),
  /** Environments, each with its own namespace. */
  environments: z.array(environmentSchema).min(1, { error: "at least one environment" }),
  /** The org's Git repository. @default the cluster's flux-system GitRepository */
  gitRepository: z
    .strictObject({
      /** `ssh://git@host/owner/repo` or `https://host/owner/repo`. */
      url: z.string().regex(/^(ssh|https):\/\/[^\s/]+\/\S+$/, {
        error: "a Git URL such as ssh://git@github.com/owner/repo or https://github.com/owner/repo",
      }),
      /** @default "main" */
      branch: z
        .string()
        .regex(/^[\w./-]+$/, { error: "a Git branch name" })
        .default(tenancyDefaults.gitBranch),
      /** Base directory; `<org>` is replaced. @default "./clusters/prod-cluster/organizations/<org>" */
      path: z
        .string()
        .regex(/^\.\/[\w./<>-]*$/, { error: "a repository path starting with ./" })
        .optional(),
      /** Secret with the Git credentials in each tenant namespace. @default "git-credentials" for ssh:// */
      secretName: kubernetesName().optional(),
      /**
       * GitRepositories the org's HelmReleases take charts from (names as the HelmReleases write
       * them); each is created in every environment namespace and the HelmReleases' chart source
       * points there (docs/gitops.md). @default []
       */
      chartSources: z
        .array(
          z.strictObject({
            /** GitRepository name (a DNS subdomain name: lowercase letters, digits, '-' and '.'). */
            name: z
              .string()
              .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/, {
                error: "a Kubernetes object name (lowercase letters, digits, '-' and '.')",
              })
              .max(253, { error: "a Kubernetes object name of at most 253 characters" }),
            /** @default the org's url */
            url: z
              .string()
              .regex(/^(ssh|https):\/\/[^\s/]+\/\S+$/, {
                error: "a Git URL such as ssh://git@github.com/owner/repo or https://github.com/owner/repo",
              })
              .optional(),
            /** @default the org's branch */
            branch: z
              .string()
              .regex(/^[\w./-]+$/, { error: "a Git branch name" })
              .optional(),
            /** A Git tag. */
            tag: z
              .string()
              .regex(/^[\w./-]+$/, { error: "a Git tag" })
              .optional(),
          }),
        )
        .default([]),
    })
    .optional(),
  /** Flux interval. @default "5m" */
  interval: z
    .string()
    .regex(/^(\d+(\.\d+)?(ms|s|m|h))+$/, { error: "a Flux duration such as 5m or 1m30s" })
    .default(tenancyDefaults.interval),
  /** IAM principals with EKS access in the org's namespaces. @default [] */
  principals: z
    .array(
      z.strictObject({
        arn: iamPrincipalArn(),
        accessPolicy: z
          .enum(TENANT_ACCESS_POLICIES, { error: `one of ${TENANT_ACCESS_POLICIES.join(", ")}` })
          .default(tenancyDefaults.accessPolicy),
      }),
    )
    .default([]),
  /** Secrets Manager ARN prefixes the org may read; non-empty creates a Pod Identity role. @default [] */
  secretArnPrefixes: z.array(secretArnPrefixSchema).default([]),
  /** ServiceAccount bound to the Secrets Manager role. @default "aws-secret-manager-sa" */
  secretsServiceAccount: kubernetesName().default(tenancyDefaults.secretsServiceAccount),
});
/** A `platform:organizations` entry as validated: the settings part of the Organization component's arguments. */
export type OrganizationConfig = z.output<typeof organizationSchema>;
/** An organization's environment as validated. */
export type EnvironmentConfig = z.output<typeof environmentSchema>;
/** An organization's own Git repository as validated. */
export type GitRepositoryConfig = NonNullable<OrganizationConfig["gitRepository"]>;
