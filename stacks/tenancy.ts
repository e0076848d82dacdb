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
  limitsProblem,
  mergeLimits,
  namespaceName,
} from "../components/tenancy/logic";
import { ConfigError, NAMESPACE, group, kubernetesName, structured } from "./schema";
import { limitsSchema, organizationSchema, quotaSchema } from "./tenancy-schema";
import type { SectionOf } from "./schema";
import type { CoreConfig } from "./core";
import * as pulumi from "@pulumi/pulumi";
import { Organization } from "../components/tenancy";
import type { TraceCollectorPeer } from "../components/tenancy/logic";
import { gitSecretData } from "../components/gitops";
import type { Foundation } from "./foundation";
import { gitSource, type gitopsSchema } from "./gitops";
import { nextTurn } from "./turn";

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
  /** The cluster's trace collector, which tenant pods may reach (tracing on). @default none */
  readonly traceCollector?: TraceCollectorPeer;
}

/** The Organization components of a stack, by organization name. */
async function buildOrganizations(
  config: TenancyStackConfig & SectionOf<typeof gitopsSchema>,
  foundation: Foundation,
  options: BuildTenancyOptions = {},
): Promise<Organization[]> {
  const { cluster, tags } = foundation;
  // An organization syncing the cluster's own repository reuses the cluster's Git credentials
  // (numinia: one repository, one deploy key); other repositories bring their own Secret.
  const clusterGit = gitSource(config);
  const clusterCredentials = clusterGit.auth ? gitSecretData(clusterGit.auth) : undefined;
  const sameRepository = (url: string | undefined) =>
    url !== undefined && url.replace(/\.git$/, "") === clusterGit.url.replace(/\.git$/, "");
  // One turn after each organization: its registrations finish before the next one's start
  // (stacks/turn.ts), so the memory in flight does not grow with the number of organizations.
  const organizations: Organization[] = [];
  for (const org of config.organizations) {
    organizations.push(
      new Organization(`tenant-${org.name}`, {
        ...org,
        gitCredentials:
          clusterCredentials && sameRepository(org.gitRepository?.url)
            ? pulumi.secret(clusterCredentials)
            : undefined,
        quota: config.tenancy.defaultQuota,
        limits: config.tenancy.defaultLimits,
        ingressNamespaces: [config.tenancy.ingressNamespace, ...config.tenancy.extraIngressNamespaces],
        kubernetesVersion: config.kubernetesVersion,
        clusterName: cluster.clusterName,
        provider: foundation.provider,
        fluxDependsOn: options.fluxDependsOn,
        traceCollector: options.traceCollector,
        tags,
      }),
    );
    await nextTurn();
  }
  return organizations;
}

/**
 * Builds the tenant organizations of a stack and returns the outputs tenancy adds, and the
 * Organization components (what per-namespace add-ons wait for; not a stack output).
 */
export async function buildTenancy(
  config: TenancyStackConfig & SectionOf<typeof gitopsSchema>,
  foundation: Foundation,
  options: BuildTenancyOptions = {},
): Promise<TenancyOutputs & { organizations: Organization[] }> {
  const organizations = await buildOrganizations(config, foundation, options);
  const roles: Record<string, pulumi.Output<string>> = {};
  for (const org of organizations) if (org.secretsRoleArn) roles[org.organization] = org.secretsRoleArn;
  return {
    organizations,
    organizationNamespaces: organizations.flatMap((o) => o.namespaces),
    organizationSecretsRoleArns: pulumi.output(roles),
  };
}
