import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { awsTags, podIdentityTrustPolicy } from "../shared/aws";
import {
  accessPolicyArn,
  defaults,
  kustomizationPath,
  mergeLimits,
  mergeQuota,
  namespaceName,
  tenantSyncPatches,
  networkPolicies,
  secretsReadPolicy,
  tenantLabels,
  type ContainerLimitsOverride,
  type EgressRule,
  type Quantities,
} from "./logic";

/** One environment of an organization (`pre`, `pro`, ...): a namespace and what guards it. */
export interface EnvironmentArgs {
  /** Environment name (a Kubernetes name), e.g. `pro`. */
  readonly name: string;
  /** Namespace name. @default `<org>` for `pro`, `<org>-<env>` otherwise */
  readonly namespace?: string;
  /**
   * ResourceQuota `hard` entries merged over the defaults (keys such as `requests.cpu`, values
   * Kubernetes quantities). https://kubernetes.io/docs/concepts/policy/resource-quotas/
   * @default the organization-wide quota over {@link defaults.quota}
   */
  readonly quota?: Quantities;
  /**
   * Per-container LimitRange fields merged over the defaults.
   * https://kubernetes.io/docs/concepts/policy/limit-range/
   * @default the organization-wide limits over {@link defaults.limits}
   */
  readonly limits?: ContainerLimitsOverride;
  /**
   * Egress destinations beyond DNS and the namespace itself (CIDR blocks and ports).
   * https://kubernetes.io/docs/concepts/services-networking/network-policies/
   * @default []
   */
  readonly egressAllowlist?: readonly EgressRule[];
  /** Flux Kustomization path in the repository. @default `<gitRepository.path>/<env>` */
  readonly path?: string;
  /**
   * Secrets Manager ARN prefixes this environment's pods may read. When set, the environment gets
   * its own Pod Identity role limited to them (isolating `pre` from `pro`) instead of the
   * organization's role. @default the organization's `secretArnPrefixes`
   */
  readonly secretArnPrefixes?: readonly string[];
  /** Flux interval of this environment's Kustomization. https://fluxcd.io/flux/components/kustomize/kustomizations/#interval @default the organization's `interval` */
  readonly interval?: string;
  /**
   * Keep the environment's namespace but do not reconcile it (`spec.suspend` of its Kustomization).
   * https://fluxcd.io/flux/components/kustomize/kustomizations/#suspend @default false
   */
  readonly suspend?: boolean;
}

/** The organization's own Git repository (a Flux GitRepository in each tenant namespace). https://fluxcd.io/flux/components/source/gitrepositories/ */
export interface GitRepositoryArgs {
  /** Repository URL, `ssh://git@github.com/<owner>/<repo>` or `https://...`. */
  readonly url: string;
  /** Branch to follow. @default "main" */
  readonly branch?: string;
  /** Base directory of the organization; `<org>` is replaced. @default "./clusters/prod-cluster/organizations/<org>" */
  readonly path?: string;
  /**
   * Secret (in each tenant namespace) holding the Git credentials (`identity`, `known_hosts` for SSH).
   * Pulumi writes it when the organization gets `gitCredentials`; otherwise it is supplied out of band.
   * @default "git-credentials" for ssh:// URLs, none for https://
   */
  readonly secretName?: string;
  /**
   * GitRepositories the organization's HelmReleases take charts from (`spec.chart.spec.sourceRef`
   * names). The platform creates each in every environment namespace and its Kustomizations point
   * every HelmRelease's chart source at the environment namespace: for a repository whose
   * HelmReleases name sources in flux-system, which the lockdown refuses from a tenant namespace.
   * @default [] (HelmReleases are applied as written)
   */
  readonly chartSources?: readonly ChartSourceArgs[];
}

/** A GitRepository the organization's charts come from, created in every environment namespace. https://fluxcd.io/flux/components/source/gitrepositories/ */
export interface ChartSourceArgs {
  /** GitRepository name, as the HelmReleases name it. */
  readonly name: string;
  /** Repository URL. @default the organization's `gitRepository.url` (with its credentials) */
  readonly url?: string;
  /** Branch. @default the organization's branch, unless `tag` is set */
  readonly branch?: string;
  /** Tag (a fixed chart version). */
  readonly tag?: string;
}

/** An IAM principal of the organization and the EKS access policy it gets in the org's namespaces. */
export interface PrincipalArgs {
  /** IAM role or user ARN. */
  readonly arn: string;
  /** EKS access policy name. https://docs.aws.amazon.com/eks/latest/userguide/access-policy-permissions.html @default "AmazonEKSEditPolicy" */
  readonly accessPolicy?: string;
}

/** Arguments of {@link Organization}. */
export interface OrganizationArgs {
  /** Organization name (a Kubernetes name); the Flux tenant name. */
  readonly name: string;
  /** Environments, each with its own namespace. At least one. */
  readonly environments: readonly EnvironmentArgs[];
  /** The organization's Git repository. @default the cluster's `flux-system` GitRepository (namespace flux-system) */
  readonly gitRepository?: GitRepositoryArgs;
  /**
   * Data of the Git credentials Secret (`secretName`) to write into each tenant namespace, e.g. the
   * cluster's SSH deploy key when the organization's repository is the cluster's own (Flux
   * GitRepository SSH auth: `identity`, `identity.pub`, `known_hosts`). A secret Output.
   * https://fluxcd.io/flux/components/source/gitrepositories/#ssh-authentication
   * @default none (the Secret is supplied out of band)
   */
  readonly gitCredentials?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** Flux reconciliation interval of the GitRepository and Kustomization. https://fluxcd.io/flux/components/kustomize/kustomizations/#interval @default "5m" */
  readonly interval?: string;
  /** IAM principals with EKS access scoped to the org's namespaces. https://docs.aws.amazon.com/eks/latest/userguide/access-entries.html @default [] */
  readonly principals?: readonly PrincipalArgs[];
  /**
   * Secrets Manager ARN prefixes the org's pods may read (e.g.
   * `arn:aws:secretsmanager:eu-west-1:111122223333:secret:numinia/numinia/*`); non-empty creates an
   * IAM role bound through EKS Pod Identity. https://docs.aws.amazon.com/eks/latest/userguide/pod-identities.html
   * @default [] (no role)
   */
  readonly secretArnPrefixes?: readonly string[];
  /** ServiceAccount (in every environment namespace) bound to the Secrets Manager role. @default "aws-secret-manager-sa" */
  readonly secretsServiceAccount?: string;
  /** ResourceQuota entries for every environment (under each environment's own). @default {} */
  readonly quota?: Quantities;
  /** LimitRange fields for every environment (under each environment's own). @default {} */
  readonly limits?: ContainerLimitsOverride;
  /** Namespaces of the ingress controllers allowed into tenant namespaces (matched by `kubernetes.io/metadata.name`). @default ["ingress-nginx"] */
  readonly ingressNamespaces?: readonly string[];
  /** Kubernetes minor version of the cluster (Pod Security label version), e.g. `1.35`. */
  readonly kubernetesVersion: string;
  /** EKS cluster name (access entries, Pod Identity associations). */
  readonly clusterName: pulumi.Input<string>;
  /** Kubernetes provider of the cluster. */
  readonly provider: k8s.Provider;
  /** Resources the Flux objects wait for (the Flux install that registers the CRDs). @default [] */
  readonly fluxDependsOn?: pulumi.Input<pulumi.Resource>[];
  /** Tags of the AWS resources. @default {} */
  readonly tags?: Record<string, string>;
}

/** What one environment became. */
export interface EnvironmentOutputs {
  readonly name: string;
  readonly namespace: string;
  readonly kustomizationPath: string;
}

/**
 * One tenant organization: per environment a labelled namespace with a ResourceQuota, a
 * LimitRange, default-deny NetworkPolicies plus explicit allows, a reconciler ServiceAccount bound
 * to the built-in `admin` ClusterRole in that namespace, and a Flux Kustomization that impersonates
 * it; EKS access entries scoped to the org's namespaces; optionally an IAM role for Secrets Manager
 * bound through EKS Pod Identity.
 * https://fluxcd.io/flux/installation/configuration/multitenancy/
 */
export class Organization extends pulumi.ComponentResource {
  /** Organization name. */
  public readonly organization: string;
  /** Namespaces of the organization, in environment order. */
  public readonly namespaces: string[];
  /** Environments with their namespace and Kustomization path. */
  public readonly environments: EnvironmentOutputs[];
  /** ARN of the Secrets Manager role, when secretArnPrefixes is non-empty. */
  public readonly secretsRoleArn?: pulumi.Output<string>;

  constructor(name: string, args: OrganizationArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:tenancy:Organization", name, {}, opts);
    if (args.environments.length === 0)
      throw new Error(`organization ${args.name}: at least one environment`);
    const provider = args.provider;
    const k8sOpts: pulumi.CustomResourceOptions = { parent: this, provider };
    const org = args.name;
    const ingressNamespaces = args.ingressNamespaces ?? [defaults.ingressNamespace];
    const interval = args.interval ?? defaults.interval;
    const secretArnPrefixes = args.secretArnPrefixes ?? [];
    const secretsServiceAccount = args.secretsServiceAccount ?? defaults.secretsServiceAccount;
    const git = args.gitRepository;
    const gitSecret = git
      ? (git.secretName ?? (git.url.startsWith("ssh://") ? defaults.gitSecretName : undefined))
      : undefined;
    const fluxOpts: pulumi.CustomResourceOptions = { ...k8sOpts, dependsOn: args.fluxDependsOn ?? [] };

    this.organization = org;
    this.environments = args.environments.map((env) => ({
      name: env.name,
      namespace: namespaceName(org, env.name, env.namespace),
      kustomizationPath: kustomizationPath(org, env.name, git?.path, env.path),
    }));
    this.namespaces = this.environments.map((e) => e.namespace);

    const namespaceResources: k8s.core.v1.Namespace[] = [];
    args.environments.forEach((env, i) => {
      const ns = this.environments[i].namespace;
      const prefix = `${name}-${env.name}`;
      const labels = tenantLabels(org, env.name, args.kubernetesVersion);
      const common = {
        "toolkit.fluxcd.io/tenant": org,
        "platform.io/organization": org,
        "platform.io/environment": env.name,
      };

      const namespace = new k8s.core.v1.Namespace(
        `${prefix}-namespace`,
        { metadata: { name: ns, labels } },
        k8sOpts,
      );
      namespaceResources.push(namespace);
      const inNs: pulumi.CustomResourceOptions = { ...k8sOpts, dependsOn: [namespace] };

      new k8s.core.v1.ResourceQuota(
        `${prefix}-quota`,
        {
          metadata: { name: "tenant-quota", namespace: ns, labels: common },
          spec: { hard: mergeQuota(args.quota, env.quota) },
        },
        inNs,
      );
      const limits = mergeLimits(args.limits, env.limits);
      new k8s.core.v1.LimitRange(
        `${prefix}-limits`,
        {
          metadata: { name: "tenant-limits", namespace: ns, labels: common },
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
        inNs,
      );
      for (const policy of networkPolicies({
        ingressNamespaces,
        egressAllowlist: env.egressAllowlist ?? [],
        podIdentityAgent: (env.secretArnPrefixes ?? secretArnPrefixes).length > 0,
      })) {
        new k8s.networking.v1.NetworkPolicy(
          `${prefix}-${policy.name}`,
          { metadata: { name: policy.name, namespace: ns, labels: common }, spec: policy.spec },
          inNs,
        );
      }

      // The identity Flux impersonates for this tenant: admin in its namespace only.
      const reconciler = new k8s.core.v1.ServiceAccount(
        `${prefix}-reconciler`,
        { metadata: { name: defaults.reconcilerServiceAccount, namespace: ns, labels: common } },
        inNs,
      );
      const binding = new k8s.rbac.v1.RoleBinding(
        `${prefix}-reconciler`,
        {
          metadata: { name: defaults.reconcilerServiceAccount, namespace: ns, labels: common },
          roleRef: {
            apiGroup: "rbac.authorization.k8s.io",
            kind: "ClusterRole",
            name: defaults.reconcilerClusterRole,
          },
          subjects: [{ kind: "ServiceAccount", name: defaults.reconcilerServiceAccount, namespace: ns }],
        },
        inNs,
      );

      let sourceRef: Record<string, string>;
      const fluxDeps: pulumi.Input<pulumi.Resource>[] = [
        ...(args.fluxDependsOn ?? []),
        namespace,
        reconciler,
        binding,
      ];
      if (git && gitSecret && args.gitCredentials) {
        fluxDeps.push(
          new k8s.core.v1.Secret(
            `${prefix}-git-credentials`,
            {
              metadata: { name: gitSecret, namespace: ns, labels: common },
              type: "Opaque",
              stringData: pulumi.secret(args.gitCredentials),
            },
            { ...k8sOpts, dependsOn: [namespace] },
          ),
        );
      }
      if (git) {
        const source = new k8s.apiextensions.CustomResource(
          `${prefix}-git`,
          {
            apiVersion: "source.toolkit.fluxcd.io/v1",
            kind: "GitRepository",
            metadata: { name: org, namespace: ns, labels: common },
            spec: {
              interval,
              url: git.url,
              ref: { branch: git.branch ?? defaults.gitBranch },
              ...(gitSecret ? { secretRef: { name: gitSecret } } : {}),
            },
          },
          { ...fluxOpts, dependsOn: fluxDeps },
        );
        sourceRef = { kind: "GitRepository", name: org };
        fluxDeps.push(source);
        for (const chart of git.chartSources ?? []) {
          const url = chart.url ?? git.url;
          const secret = url === git.url ? gitSecret : undefined;
          new k8s.apiextensions.CustomResource(
            `${prefix}-chart-${chart.name}`,
            {
              apiVersion: "source.toolkit.fluxcd.io/v1",
              kind: "GitRepository",
              metadata: { name: chart.name, namespace: ns, labels: common },
              spec: {
                interval,
                url,
                ref: chart.tag
                  ? { tag: chart.tag }
                  : { branch: chart.branch ?? git.branch ?? defaults.gitBranch },
                ...(secret ? { secretRef: { name: secret } } : {}),
              },
            },
            { ...fluxOpts, dependsOn: fluxDeps },
          );
        }
      } else {
        sourceRef = { kind: "GitRepository", name: "flux-system", namespace: "flux-system" };
      }
      new k8s.apiextensions.CustomResource(
        `${prefix}-kustomization`,
        {
          apiVersion: "kustomize.toolkit.fluxcd.io/v1",
          kind: "Kustomization",
          metadata: { name: `${org}-${env.name}`, namespace: ns, labels: common },
          spec: {
            interval: env.interval ?? interval,
            ...(env.suspend ? { suspend: true } : {}),
            retryInterval: "1m",
            timeout: "5m",
            serviceAccountName: defaults.reconcilerServiceAccount,
            targetNamespace: ns,
            sourceRef,
            path: this.environments[i].kustomizationPath,
            prune: true,
            patches: tenantSyncPatches({
              serviceAccountName: defaults.reconcilerServiceAccount,
              chartSourceNamespace: (git?.chartSources ?? []).length > 0 ? ns : undefined,
            }),
          },
        },
        { ...fluxOpts, dependsOn: fluxDeps },
      );
    });

    // EKS access: each principal gets its access policy in the org's namespaces only.
    const partition = aws.getPartitionOutput({}, { parent: this }).partition;
    (args.principals ?? []).forEach((principal, i) => {
      const entry = new aws.eks.AccessEntry(
        `${name}-access-${i}`,
        {
          clusterName: args.clusterName,
          principalArn: principal.arn,
          type: "STANDARD",
          tags: awsTags(`${name}-access-${i}`, args.tags),
        },
        { parent: this },
      );
      new aws.eks.AccessPolicyAssociation(
        `${name}-access-${i}`,
        {
          clusterName: args.clusterName,
          principalArn: principal.arn,
          policyArn: partition.apply((p) =>
            accessPolicyArn(p, principal.accessPolicy ?? defaults.accessPolicy),
          ),
          accessScope: { type: "namespace", namespaces: this.namespaces },
        },
        { parent: this, dependsOn: [entry] },
      );
    });

    // Secrets Manager through EKS Pod Identity: one role per organization, associated with the
    // secrets ServiceAccount of every environment namespace; an environment with its own prefixes
    // gets its own role instead.
    const accountId = aws.getCallerIdentityOutput({}, { parent: this }).accountId;
    const secretsRole = (roleName: string, prefixes: readonly string[], scope: string): aws.iam.Role => {
      const role = new aws.iam.Role(
        roleName,
        {
          description: `Secrets Manager read access of ${scope} (EKS Pod Identity)`,
          assumeRolePolicy: accountId.apply((id) => JSON.stringify(podIdentityTrustPolicy(id))),
          tags: awsTags(roleName, { "platform.io/organization": org }, args.tags),
        },
        { parent: this },
      );
      new aws.iam.RolePolicy(
        roleName,
        { role: role.name, policy: JSON.stringify(secretsReadPolicy(prefixes)) },
        { parent: this },
      );
      return role;
    };
    const orgRole =
      secretArnPrefixes.length > 0 && args.environments.some((env) => !env.secretArnPrefixes)
        ? secretsRole(`${name}-secrets`, secretArnPrefixes, `organization ${org}`)
        : undefined;
    this.environments.forEach((env, i) => {
      const own = args.environments[i].secretArnPrefixes;
      const role = own
        ? secretsRole(`${name}-${env.name}-secrets-role`, own, `organization ${org}, environment ${env.name}`)
        : orgRole;
      if (!role) return;
      const prefix = `${name}-${env.name}`;
      const labels = {
        "toolkit.fluxcd.io/tenant": org,
        "platform.io/organization": org,
        "platform.io/environment": env.name,
      };
      const sa = new k8s.core.v1.ServiceAccount(
        `${prefix}-secrets`,
        { metadata: { name: secretsServiceAccount, namespace: env.namespace, labels } },
        { ...k8sOpts, dependsOn: [namespaceResources[i]] },
      );
      new aws.eks.PodIdentityAssociation(
        `${prefix}-secrets`,
        {
          clusterName: args.clusterName,
          namespace: env.namespace,
          serviceAccount: secretsServiceAccount,
          roleArn: role.arn,
          tags: awsTags(`${prefix}-secrets`, { "platform.io/organization": org }, args.tags),
        },
        { parent: this, dependsOn: [sa] },
      );
    });
    this.secretsRoleArn = orgRole?.arn;

    this.registerOutputs({
      organization: this.organization,
      namespaces: this.namespaces,
      environments: this.environments,
      secretsRoleArn: this.secretsRoleArn,
    });
  }
}
