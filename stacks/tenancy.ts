/**
 * The tenancy capability: its config (`platform:organizations`, the tenant organizations of a
 * cluster, and `platform:tenancy`, the stack-wide tenant defaults) and the function that builds one
 * `Organization` component per organization. Organizations are data: adding one is a stack-file
 * change only. Reference: docs/tenancy.md.
 */
import { z } from "zod";
import {
  RESERVED_NAMESPACES,
  tenancyDefaults,
  isQuantity,
  limitsProblem,
  mergeLimits,
  namespaceName,
} from "../components/tenancy/logic";
import { ConfigError, NAMESPACE, group, iamPrincipalArn, isCidr, kubernetesName, structured } from "./schema";
import type { SectionOf } from "./schema";
import type { CoreConfig } from "./core";
import * as pulumi from "@pulumi/pulumi";
import { Organization } from "../components/tenancy";
import { gitSecretData } from "../components/gitops";
import type { Foundation } from "./foundation";
import { gitSource, type gitopsSchema } from "./gitops";

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
const quotaSchema = quantities(
  "a ResourceQuota resource name such as requests.cpu or count/deployments.apps",
);

const containerQuantities = quantities("a resource name such as cpu or memory");

/** Per-container LimitRange fields, each merged over the defaults. https://kubernetes.io/docs/concepts/policy/limit-range/ */
const limitsSchema = z.strictObject({
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
const organizationSchema = z.strictObject({
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
export type OrganizationConfig = z.infer<typeof organizationSchema>;

/** The `platform:tenancy` object: what every tenant environment of the stack shares. */
const tenancySettingsSchema = z.strictObject({
  ingressNamespace: kubernetesName()
    .default(tenancyDefaults.ingressNamespace)
    .describe(
      "Namespace of the ingress controller allowed into tenant namespaces (NetworkPolicy, matched by kubernetes.io/metadata.name).",
    ),
  extraIngressNamespaces: structured(z.array(kubernetesName()))
    .default([])
    .describe("More namespaces allowed into tenant namespaces, e.g. knative-serving for Knative/Kourier."),
  defaultQuota: structured(quotaSchema)
    .default({})
    .describe(
      "ResourceQuota entries of every tenant environment (resource name to quantity), over the built-in quota (requests.cpu, requests.memory, limits.cpu, limits.memory, pods, services.loadbalancers: 0, ...).",
    ),
  defaultLimits: structured(limitsSchema)
    .default({})
    .describe(
      "LimitRange fields {default, defaultRequest, max} of every tenant environment's containers, over the built-in ones.",
    ),
});

/** Config keys of the capability (merged into the `platform` namespace by stacks/config.ts). */
export const tenancySchema = {
  organizations: structured(z.array(organizationSchema))
    .default([])
    .describe("Tenant organizations (list, docs/tenancy.md)."),
  tenancy: group(
    tenancySettingsSchema,
    "Defaults every tenant environment shares: ingress namespaces, quota, limits (docs/tenancy.md).",
  ),
};

/** What the tenancy capability reads of a stack's configuration: the core keys, its own and the cluster's Git source. */
type TenancyStackConfig = CoreConfig & SectionOf<typeof tenancySchema>;

/** Cross-key rules of this section; throws ConfigError on bad input. */
export function tenancyChecks(config: TenancyStackConfig): void {
  const t = { ...config.tenancy, organizations: config.organizations, accessEntries: config.accessEntries };
  const key = (rest: string) => `${NAMESPACE}:${rest}`;
  const reserved = new Set([...RESERVED_NAMESPACES, t.ingressNamespace, ...t.extraIngressNamespaces]);

  const stackLimits = mergeLimits(t.defaultLimits);
  const stackProblem = limitsProblem(stackLimits);
  if (stackProblem)
    throw new ConfigError(
      key(`tenancy.defaultLimits.${stackProblem.field}`),
      t.defaultLimits,
      stackProblem.reason,
    );

  const orgNames = new Set<string>();
  const namespaces = new Map<string, string>();
  const clusterPrincipals = new Set((t.accessEntries ?? []).map((e) => e.principalArn));
  const principals = new Map<string, string>();
  const replaced = new Map<string, string>();
  t.organizations.forEach((org, i) => {
    const o = `organizations[${i}]`;
    if (orgNames.has(org.name))
      throw new ConfigError(key(`${o}.name`), org.name, "an organization name used once");
    orgNames.add(org.name);
    const envNames = new Set<string>();
    org.environments.forEach((env, j) => {
      const e = `${o}.environments[${j}]`;
      if (envNames.has(env.name))
        throw new ConfigError(
          key(`${e}.name`),
          env.name,
          `an environment name used once in organization ${org.name}`,
        );
      envNames.add(env.name);
      const ns = namespaceName(org.name, env.name, env.namespace);
      const nsKey = key(env.namespace ? `${e}.namespace` : `${e}.name`);
      if (ns.length > 63)
        throw new ConfigError(
          nsKey,
          ns,
          "a namespace of at most 63 characters (set environments[].namespace)",
        );
      if (reserved.has(ns))
        throw new ConfigError(
          nsKey,
          ns,
          `a namespace not reserved for the platform (${[...reserved].join(", ")})`,
        );
      const owner = namespaces.get(ns);
      if (owner)
        throw new ConfigError(
          nsKey,
          ns,
          `a namespace unique across organizations (already used by ${owner})`,
        );
      namespaces.set(ns, `${org.name}/${env.name}`);
      if (env.repositoryKustomization) {
        const other = replaced.get(env.repositoryKustomization);
        if (other)
          throw new ConfigError(
            key(`${e}.repositoryKustomization`),
            env.repositoryKustomization,
            `a repository Kustomization replaced by one environment only (already by ${other})`,
          );
        replaced.set(env.repositoryKustomization, `${org.name}/${env.name}`);
      }
      const problem = limitsProblem(mergeLimits(t.defaultLimits, env.limits));
      if (problem)
        throw new ConfigError(key(`${e}.limits.${problem.field}`), env.limits ?? {}, problem.reason);
    });
    org.principals.forEach((p, k) => {
      const pKey = key(`${o}.principals[${k}].arn`);
      if (clusterPrincipals.has(p.arn))
        throw new ConfigError(
          pKey,
          p.arn,
          "a principal without a cluster-wide entry in platform:accessEntries (EKS allows one access entry per principal)",
        );
      const other = principals.get(p.arn);
      if (other)
        throw new ConfigError(pKey, p.arn, `a principal in one organization only (already in ${other})`);
      principals.set(p.arn, org.name);
    });
  });
}

/** Outputs the tenancy capability adds to a stack. */
export interface TenancyOutputs {
  /** Every tenant namespace of the cluster, in configuration order. */
  readonly organizationNamespaces: string[];
  /** ARN of each organization's Secrets Manager role (Pod Identity), by organization name. */
  readonly organizationSecretsRoleArns: pulumi.Output<Record<string, string>>;
}

/** Options of {@link buildTenancy}. */
export interface BuildTenancyOptions {
  /** Resources the Flux GitRepository/Kustomization objects wait for (the Flux install: its CRDs). */
  readonly fluxDependsOn?: pulumi.Input<pulumi.Resource>[];
}

/** The Organization components of a stack, by organization name. */
function buildOrganizations(
  config: TenancyStackConfig & SectionOf<typeof gitopsSchema>,
  foundation: Foundation,
  options: BuildTenancyOptions = {},
): Organization[] {
  const { cluster, tags } = foundation;
  // An organization syncing the cluster's own repository reuses the cluster's Git credentials
  // (numinia: one repository, one deploy key); other repositories bring their own Secret.
  const clusterGit = gitSource(config);
  const clusterCredentials = clusterGit.auth ? gitSecretData(clusterGit.auth) : undefined;
  const sameRepository = (url: string | undefined) =>
    url !== undefined && url.replace(/\.git$/, "") === clusterGit.url.replace(/\.git$/, "");
  return config.organizations.map(
    (org) =>
      new Organization(`tenant-${org.name}`, {
        name: org.name,
        environments: org.environments,
        gitRepository: org.gitRepository,
        gitCredentials:
          clusterCredentials && sameRepository(org.gitRepository?.url)
            ? pulumi.secret(clusterCredentials)
            : undefined,
        interval: org.interval,
        principals: org.principals,
        secretArnPrefixes: org.secretArnPrefixes,
        secretsServiceAccount: org.secretsServiceAccount,
        quota: config.tenancy.defaultQuota,
        limits: config.tenancy.defaultLimits,
        ingressNamespaces: [config.tenancy.ingressNamespace, ...config.tenancy.extraIngressNamespaces],
        kubernetesVersion: config.kubernetesVersion,
        clusterName: cluster.clusterName,
        provider: foundation.provider,
        fluxDependsOn: options.fluxDependsOn,
        tags,
      }),
  );
}

/**
 * Builds the tenant organizations of a stack and returns the outputs tenancy adds, and the
 * Organization components (what per-namespace add-ons wait for; not a stack output).
 */
export function buildTenancy(
  config: TenancyStackConfig & SectionOf<typeof gitopsSchema>,
  foundation: Foundation,
  options: BuildTenancyOptions = {},
): TenancyOutputs & { organizations: Organization[] } {
  const organizations = buildOrganizations(config, foundation, options);
  const roles: Record<string, pulumi.Output<string>> = {};
  for (const org of organizations) if (org.secretsRoleArn) roles[org.organization] = org.secretsRoleArn;
  return {
    organizations,
    organizationNamespaces: organizations.flatMap((o) => o.namespaces),
    organizationSecretsRoleArns: pulumi.output(roles),
  };
}
