import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { OrganizationConfig } from "../../stacks/tenancy-schema";
import { awsTags } from "../shared/aws";
import { accessPolicyArn } from "../shared/eks";
import { secretsReadRole, TenantEnvironment, type GitRepositoryArgs } from "./environment";
import {
  tenancyDefaults,
  kustomizationPath,
  namespaceName,
  type ContainerLimitsOverride,
  type Quantities,
  type TraceCollectorPeer,
} from "./logic";

/**
 * Arguments of {@link Organization}: a `platform:organizations` entry as the schema returns it
 * (stacks/tenancy-schema.ts: name, environments, gitRepository, interval, principals,
 * secretArnPrefixes, secretsServiceAccount; defaults filled in) plus the stack-wide tenant settings
 * and the resources the component receives.
 */
export type OrganizationArgs = OrganizationConfig & {
  /**
   * Data of the Git credentials Secret (`secretName`) to write into each tenant namespace, e.g. the
   * cluster's SSH deploy key when the organization's repository is the cluster's own (Flux
   * GitRepository SSH auth: `identity`, `identity.pub`, `known_hosts`). A secret Output.
   * https://fluxcd.io/flux/components/source/gitrepositories/#ssh-authentication
   * @default none (the Secret is supplied out of band)
   */
  readonly gitCredentials?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** ResourceQuota entries for every environment (under each environment's own): `tenancy.defaultQuota`. @default {} */
  readonly quota?: Quantities;
  /** LimitRange fields for every environment (under each environment's own): `tenancy.defaultLimits`. @default {} */
  readonly limits?: ContainerLimitsOverride;
  /** Namespaces of the ingress controllers allowed into tenant namespaces (matched by `kubernetes.io/metadata.name`). */
  readonly ingressNamespaces: readonly string[];
  /** The cluster's trace collector, which tenant pods may send OTLP to. @default none (tracing off) */
  readonly traceCollector?: TraceCollectorPeer;
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
};

/** What one environment became. */
export interface EnvironmentOutputs {
  readonly name: string;
  readonly namespace: string;
  readonly kustomizationPath: string;
}

/**
 * One tenant organization: one {@link TenantEnvironment} per environment (a labelled namespace with
 * its quota, limits, NetworkPolicies, reconciler and Flux sync), EKS access entries scoped to the
 * org's namespaces, and optionally an IAM role for Secrets Manager bound through EKS Pod Identity.
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
  /** The Namespace object of each environment, by namespace name. */
  public readonly namespaceResources: ReadonlyMap<string, k8s.core.v1.Namespace>;

  constructor(name: string, args: OrganizationArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:tenancy:Organization", name, {}, opts);
    if (args.environments.length === 0)
      throw new Error(`organization ${args.name}: at least one environment`);
    const org = args.name;
    const secretArnPrefixes = args.secretArnPrefixes;
    const git = args.gitRepository;

    this.organization = org;
    this.environments = args.environments.map((env) => ({
      name: env.name,
      namespace: namespaceName(org, env.name, env.namespace),
      kustomizationPath: kustomizationPath(org, env.name, git?.path, env.path),
    }));
    this.namespaces = this.environments.map((e) => e.namespace);

    // One Secrets Manager role for the organization, unless every environment has its own.
    const orgRole =
      secretArnPrefixes.length > 0 && args.environments.some((env) => !env.secretArnPrefixes)
        ? secretsReadRole(
            `${name}-secrets`,
            { prefixes: secretArnPrefixes, scope: `organization ${org}`, organization: org, tags: args.tags },
            this,
          )
        : undefined;
    const namespaceResources = new Map<string, k8s.core.v1.Namespace>();
    this.namespaceResources = namespaceResources;
    args.environments.forEach((env, i) => {
      const environment = new TenantEnvironment(
        `${name}-${env.name}`,
        {
          organization: org,
          environment: env,
          namespace: this.environments[i].namespace,
          kustomizationPath: this.environments[i].kustomizationPath,
          kubernetesVersion: args.kubernetesVersion,
          quota: args.quota,
          limits: args.limits,
          ingressNamespaces: args.ingressNamespaces,
          traceCollector: args.traceCollector,
          interval: args.interval,
          gitRepository: git,
          gitSecretName: git ? gitSecretName(git) : undefined,
          gitCredentials: args.gitCredentials,
          secretArnPrefixes,
          organizationSecretsRole: orgRole,
          secretsServiceAccount: args.secretsServiceAccount,
          clusterName: args.clusterName,
          provider: args.provider,
          fluxDependsOn: args.fluxDependsOn,
          tags: args.tags,
        },
        { parent: this },
      );
      namespaceResources.set(environment.namespace, environment.namespaceResource);
    });
    this.accessEntries(name, args);
    this.secretsRoleArn = orgRole?.arn;

    this.registerOutputs({
      organization: this.organization,
      namespaces: this.namespaces,
      environments: this.environments,
      secretsRoleArn: this.secretsRoleArn,
    });
  }

  /** EKS access: each principal gets its access policy in the org's namespaces only. */
  private accessEntries(name: string, args: OrganizationArgs): void {
    const partition = aws.getPartitionOutput({}, { parent: this }).partition;
    args.principals.forEach((principal, i) => {
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
          policyArn: partition.apply((p) => accessPolicyArn(p, principal.accessPolicy)),
          accessScope: { type: "namespace", namespaces: this.namespaces },
        },
        { parent: this, dependsOn: [entry] },
      );
    });
  }
}

/** The Git credentials Secret of a repository: the configured name, else the default for ssh:// URLs. */
function gitSecretName(git: GitRepositoryArgs): string | undefined {
  return git.secretName ?? (git.url.startsWith("ssh://") ? tenancyDefaults.gitSecretName : undefined);
}
