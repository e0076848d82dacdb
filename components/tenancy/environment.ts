import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { EnvironmentConfig, GitRepositoryConfig } from "../../stacks/tenancy-schema";
import { FLUX_OBJECT_ANNOTATIONS } from "../gitops/versions";
import { awsTags, podIdentityTrustPolicy } from "../shared/aws";
import {
  tenancyDefaults,
  mergeLimits,
  mergeQuota,
  networkPolicies,
  secretsReadPolicy,
  tenantLabels,
  tenantSyncPatches,
  type ContainerLimitsOverride,
  type Quantities,
  type TraceCollectorPeer,
} from "./logic";

/**
 * One environment of an organization (`pre`, `pro`, ...): an `environments[]` entry of a
 * `platform:organizations` entry as the schema returns it (stacks/tenancy-schema.ts: name,
 * namespace, quota, limits, egress allowlist, secrets, path, interval, suspend), defaults filled in.
 */
export type EnvironmentArgs = EnvironmentConfig;

/**
 * The organization's own Git repository (a Flux GitRepository in each tenant namespace): the
 * `gitRepository` setting as validated (url, branch, path, secretName, chartSources).
 * https://fluxcd.io/flux/components/source/gitrepositories/
 */
export type GitRepositoryArgs = GitRepositoryConfig;

/** A GitRepository the organization's charts come from, created in every environment namespace. https://fluxcd.io/flux/components/source/gitrepositories/ */
export type ChartSourceArgs = GitRepositoryConfig["chartSources"][number];

/**
 * Arguments of {@link TenantEnvironment}: one environment plus the organization-wide settings it
 * inherits, already resolved by the {@link Organization} (names, paths, defaults).
 */
export interface TenantEnvironmentArgs {
  /** Organization name (the Flux tenant). */
  readonly organization: string;
  /** The environment as configured. */
  readonly environment: EnvironmentArgs;
  /** Namespace name (resolved: `namespaceName`). */
  readonly namespace: string;
  /** Flux Kustomization path (resolved: `kustomizationPath`). */
  readonly kustomizationPath: string;
  /** Kubernetes minor version of the cluster (Pod Security label version), e.g. `1.35`. */
  readonly kubernetesVersion: string;
  /** Organization-wide ResourceQuota entries, under the environment's own. @default {} */
  readonly quota?: Quantities;
  /** Organization-wide LimitRange fields, under the environment's own. @default {} */
  readonly limits?: ContainerLimitsOverride;
  /** Namespaces of the ingress controllers allowed in. */
  readonly ingressNamespaces: readonly string[];
  /** The cluster's trace collector, allowed out on its OTLP ports. @default none (tracing off) */
  readonly traceCollector?: TraceCollectorPeer;
  /** Flux interval of the GitRepository, and of the Kustomization unless the environment sets one. */
  readonly interval: string;
  /** The organization's Git repository. @default the cluster's `flux-system` GitRepository */
  readonly gitRepository?: GitRepositoryArgs;
  /** Name of the Git credentials Secret (resolved from `gitRepository`). @default none */
  readonly gitSecretName?: string;
  /** Data of the Git credentials Secret, written when both it and `gitSecretName` are set. */
  readonly gitCredentials?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** The organization's Secrets Manager ARN prefixes (the environment's own take precedence). */
  readonly secretArnPrefixes: readonly string[];
  /** The organization's Secrets Manager role, used when the environment has no prefixes of its own. */
  readonly organizationSecretsRole?: aws.iam.Role;
  /** ServiceAccount bound to the Secrets Manager role. */
  readonly secretsServiceAccount: string;
  /** EKS cluster name (Pod Identity associations). */
  readonly clusterName: pulumi.Input<string>;
  /** Kubernetes provider of the cluster. */
  readonly provider: k8s.Provider;
  /** Resources the Flux objects wait for (the Flux install that registers the CRDs). @default [] */
  readonly fluxDependsOn?: pulumi.Input<pulumi.Resource>[];
  /** Tags of the AWS resources. @default {} */
  readonly tags?: Record<string, string>;
}

/**
 * An IAM role that lets pods read Secrets Manager secrets under the given ARN prefixes, assumed
 * through EKS Pod Identity. https://docs.aws.amazon.com/eks/latest/userguide/pod-identities.html
 */
export function secretsReadRole(
  name: string,
  args: { prefixes: readonly string[]; scope: string; organization: string; tags?: Record<string, string> },
  parent: pulumi.Resource,
): aws.iam.Role {
  const accountId = aws.getCallerIdentityOutput({}, { parent }).accountId;
  const role = new aws.iam.Role(
    name,
    {
      description: `Secrets Manager read access of ${args.scope} (EKS Pod Identity)`,
      assumeRolePolicy: accountId.apply((id) => JSON.stringify(podIdentityTrustPolicy(id))),
      tags: awsTags(name, { "platform.io/organization": args.organization }, args.tags),
    },
    { parent },
  );
  new aws.iam.RolePolicy(
    name,
    { role: role.name, policy: JSON.stringify(secretsReadPolicy(args.prefixes)) },
    { parent },
  );
  return role;
}

/**
 * One environment of a tenant organization: a namespace labelled for Pod Security and the Flux
 * tenant, its ResourceQuota, LimitRange and NetworkPolicies, the reconciler ServiceAccount Flux
 * impersonates (bound to the built-in `admin` ClusterRole in the namespace only), the Flux
 * GitRepository and Kustomization that sync it, and optionally the Secrets Manager ServiceAccount
 * bound through EKS Pod Identity.
 * https://fluxcd.io/flux/installation/configuration/multitenancy/
 */
export class TenantEnvironment extends pulumi.ComponentResource {
  /** Environment name. */
  public readonly environment: string;
  /** Namespace name. */
  public readonly namespace: string;
  /** The Namespace object: what objects other components put in the namespace wait for. */
  public readonly namespaceResource: k8s.core.v1.Namespace;
  /** ARN of the Secrets Manager role the environment's ServiceAccount is bound to, if any. */
  public readonly secretsRoleArn?: pulumi.Output<string>;

  private readonly args: TenantEnvironmentArgs;
  /** Labels of every namespaced object (the tenant and its environment). */
  private readonly labels: Record<string, string>;
  private readonly k8sOpts: pulumi.CustomResourceOptions;

  constructor(name: string, args: TenantEnvironmentArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:tenancy:TenantEnvironment", name, {}, opts);
    const env = args.environment;
    this.args = args;
    this.environment = env.name;
    this.namespace = args.namespace;
    this.labels = {
      "toolkit.fluxcd.io/tenant": args.organization,
      "platform.io/organization": args.organization,
      "platform.io/environment": env.name,
    };
    this.k8sOpts = { parent: this, provider: args.provider };

    const namespace = (this.namespaceResource = new k8s.core.v1.Namespace(
      `${name}-namespace`,
      {
        metadata: {
          name: args.namespace,
          labels: tenantLabels(args.organization, env.name, args.kubernetesVersion),
        },
      },
      this.k8sOpts,
    ));
    const inNamespace: pulumi.CustomResourceOptions = { ...this.k8sOpts, dependsOn: [namespace] };
    this.guardrails(name, inNamespace);
    const reconciler = this.reconciler(name, inNamespace);
    this.fluxSync(name, [...(args.fluxDependsOn ?? []), namespace, ...reconciler], inNamespace);
    this.secretsRoleArn = this.secretsAccess(name, inNamespace);

    this.registerOutputs({
      environment: this.environment,
      namespace: this.namespace,
      secretsRoleArn: this.secretsRoleArn,
    });
  }

  /** ResourceQuota, LimitRange and the default-deny NetworkPolicies with their explicit allows. */
  private guardrails(name: string, inNamespace: pulumi.CustomResourceOptions): void {
    const { args, labels } = this;
    const env = args.environment;
    const namespace = args.namespace;
    new k8s.core.v1.ResourceQuota(
      `${name}-quota`,
      {
        metadata: { name: "tenant-quota", namespace, labels },
        spec: { hard: mergeQuota(args.quota, env.quota) },
      },
      inNamespace,
    );
    const limits = mergeLimits(args.limits, env.limits);
    new k8s.core.v1.LimitRange(
      `${name}-limits`,
      {
        metadata: { name: "tenant-limits", namespace, labels },
        spec: {
          limits: [
            {
              type: "Container",
              default: limits.default,
              defaultRequest: limits.defaultRequest,
              max: limits.max,
            },
          ],
        },
      },
      inNamespace,
    );
    for (const policy of networkPolicies({
      ingressNamespaces: args.ingressNamespaces,
      egressAllowlist: env.egressAllowlist,
      podIdentityAgent: (env.secretArnPrefixes ?? args.secretArnPrefixes).length > 0,
      traceCollector: args.traceCollector,
    })) {
      new k8s.networking.v1.NetworkPolicy(
        `${name}-${policy.name}`,
        { metadata: { name: policy.name, namespace, labels }, spec: policy.spec },
        inNamespace,
      );
    }
  }

  /** The identity Flux impersonates for this tenant: admin in its namespace only. */
  private reconciler(name: string, inNamespace: pulumi.CustomResourceOptions): pulumi.Resource[] {
    const { labels } = this;
    const namespace = this.args.namespace;
    const account = new k8s.core.v1.ServiceAccount(
      `${name}-reconciler`,
      { metadata: { name: tenancyDefaults.reconcilerServiceAccount, namespace, labels } },
      inNamespace,
    );
    const binding = new k8s.rbac.v1.RoleBinding(
      `${name}-reconciler`,
      {
        metadata: { name: tenancyDefaults.reconcilerServiceAccount, namespace, labels },
        roleRef: {
          apiGroup: "rbac.authorization.k8s.io",
          kind: "ClusterRole",
          name: tenancyDefaults.reconcilerClusterRole,
        },
        subjects: [{ kind: "ServiceAccount", name: tenancyDefaults.reconcilerServiceAccount, namespace }],
      },
      inNamespace,
    );
    return [account, binding];
  }

  /**
   * The Flux objects that sync the environment: the organization's GitRepository (with its
   * credentials Secret and chart sources) or the cluster's own, and the Kustomization that applies
   * the environment's path as the reconciler ServiceAccount.
   */
  private fluxSync(
    name: string,
    dependsOn: pulumi.Input<pulumi.Resource>[],
    inNamespace: pulumi.CustomResourceOptions,
  ): void {
    const { args, labels } = this;
    const env = args.environment;
    const namespace = args.namespace;
    const git = args.gitRepository;
    const fluxOpts = (): pulumi.CustomResourceOptions => ({ ...this.k8sOpts, dependsOn: [...dependsOn] });
    let sourceRef: Record<string, string> = {
      kind: "GitRepository",
      name: "flux-system",
      namespace: "flux-system",
    };
    if (git) {
      if (args.gitSecretName && args.gitCredentials) {
        dependsOn.push(
          new k8s.core.v1.Secret(
            `${name}-git-credentials`,
            {
              metadata: { name: args.gitSecretName, namespace, labels },
              type: "Opaque",
              stringData: pulumi.secret(args.gitCredentials),
            },
            inNamespace,
          ),
        );
      }
      dependsOn.push(this.gitRepository(`${name}-git`, args.organization, git.url, fluxOpts()));
      sourceRef = { kind: "GitRepository", name: args.organization };
      for (const chart of git.chartSources)
        this.gitRepository(
          `${name}-chart-${chart.name}`,
          chart.name,
          chart.url ?? git.url,
          fluxOpts(),
          chart,
        );
    }
    new k8s.apiextensions.CustomResource(
      `${name}-kustomization`,
      {
        apiVersion: "kustomize.toolkit.fluxcd.io/v1",
        kind: "Kustomization",
        metadata: {
          name: `${args.organization}-${env.name}`,
          namespace,
          labels,
          annotations: FLUX_OBJECT_ANNOTATIONS,
        },
        spec: {
          interval: env.interval ?? args.interval,
          ...(env.suspend ? { suspend: true } : {}),
          retryInterval: "1m",
          timeout: "5m",
          serviceAccountName: tenancyDefaults.reconcilerServiceAccount,
          targetNamespace: namespace,
          sourceRef,
          path: args.kustomizationPath,
          prune: true,
          patches: tenantSyncPatches({
            serviceAccountName: tenancyDefaults.reconcilerServiceAccount,
            chartSourceNamespace: (git?.chartSources.length ?? 0) > 0 ? namespace : undefined,
          }),
        },
      },
      fluxOpts(),
    );
  }

  /**
   * A Flux GitRepository in the environment namespace: the organization's repository, or (with
   * `chart`) one of its chart sources, which follows a tag or branch of its own. The credentials
   * Secret is used for the organization's own URL only.
   */
  private gitRepository(
    name: string,
    objectName: string,
    url: string,
    opts: pulumi.CustomResourceOptions,
    chart?: ChartSourceArgs,
  ): k8s.apiextensions.CustomResource {
    const git = this.args.gitRepository;
    const branch = git?.branch ?? tenancyDefaults.gitBranch;
    const secret = url === git?.url ? this.args.gitSecretName : undefined;
    return new k8s.apiextensions.CustomResource(
      name,
      {
        apiVersion: "source.toolkit.fluxcd.io/v1",
        kind: "GitRepository",
        metadata: {
          name: objectName,
          namespace: this.args.namespace,
          labels: this.labels,
          annotations: FLUX_OBJECT_ANNOTATIONS,
        },
        spec: {
          interval: this.args.interval,
          url,
          ref: chart?.tag ? { tag: chart.tag } : { branch: chart?.branch ?? branch },
          ...(secret ? { secretRef: { name: secret } } : {}),
        },
      },
      opts,
    );
  }

  /**
   * Secrets Manager through EKS Pod Identity: the environment's own role when it has its own
   * prefixes, else the organization's; a ServiceAccount in the namespace bound to it.
   * @returns the bound role's ARN, or undefined when the environment reads no secrets
   */
  private secretsAccess(
    name: string,
    inNamespace: pulumi.CustomResourceOptions,
  ): pulumi.Output<string> | undefined {
    const { args } = this;
    const env = args.environment;
    const role = env.secretArnPrefixes
      ? secretsReadRole(
          `${name}-secrets-role`,
          {
            prefixes: env.secretArnPrefixes,
            scope: `organization ${args.organization}, environment ${env.name}`,
            organization: args.organization,
            tags: args.tags,
          },
          this,
        )
      : args.organizationSecretsRole;
    if (!role) return undefined;
    const account = new k8s.core.v1.ServiceAccount(
      `${name}-secrets`,
      { metadata: { name: args.secretsServiceAccount, namespace: args.namespace, labels: this.labels } },
      inNamespace,
    );
    new aws.eks.PodIdentityAssociation(
      `${name}-secrets`,
      {
        clusterName: args.clusterName,
        namespace: args.namespace,
        serviceAccount: args.secretsServiceAccount,
        roleArn: role.arn,
        tags: awsTags(`${name}-secrets`, { "platform.io/organization": args.organization }, args.tags),
      },
      { parent: this, dependsOn: [account] },
    );
    return role.arn;
  }
}
