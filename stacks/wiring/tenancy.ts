/**
 * Wiring of the tenancy capability: one `Organization` component per configured organization, on
 * the cluster of the stack (spokes host tenants; the hub normally declares none).
 */
import * as pulumi from "@pulumi/pulumi";
import { Organization } from "../../components/tenancy";
import type { PlatformConfig } from "../config";
import { gitSecretData } from "../../components/gitops";
import type { Foundation } from "../foundation";
import { gitSource } from "./gitops";

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
  config: PlatformConfig,
  foundation: Foundation,
  options: BuildTenancyOptions = {},
): Organization[] {
  const { cluster, tags } = foundation;
  // An organization syncing the cluster's own repository reuses the cluster's Git credentials
  // (numinia: one repository, one deploy key); other repositories bring their own Secret.
  const clusterGit = config.gitRepositoryUrl ? gitSource(config) : undefined;
  const clusterCredentials = clusterGit?.auth ? gitSecretData(clusterGit.auth) : undefined;
  const sameRepository = (url: string | undefined) =>
    url !== undefined &&
    clusterGit !== undefined &&
    url.replace(/\.git$/, "") === clusterGit.url.replace(/\.git$/, "");
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
        quota: config.tenantDefaultQuota,
        limits: config.tenantDefaultLimits,
        ingressNamespaces: [config.ingressNamespace, ...config.tenantExtraIngressNamespaces],
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
  config: PlatformConfig,
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
