/**
 * The gitops capability: its config slice (`platform:gitops`: where Flux syncs from and how it
 * authenticates), Flux on every cluster (hub and spokes), the hub's Flux identity, and the
 * registration of a spoke with the hub's Flux. See docs/gitops.md.
 */
import { z } from "zod";
import { namespaceName } from "../components/tenancy/logic";
import { FLUX_NAMESPACE } from "../components/gitops/versions";
import {
  ConfigError,
  NAMESPACE,
  group,
  boolean,
  kubernetesName,
  structured,
  type RoleOnly,
  type SectionOf,
} from "./schema";
import type { CoreConfig } from "./core";
import * as aws from "@pulumi/aws";
import { kubernetesProvider } from "../components/cluster";
import * as pulumi from "@pulumi/pulumi";
import {
  Flux,
  FluxHubIdentity,
  SpokeRegistration,
  eksKubeconfig,
  spokeNameOf,
  type GitAuth,
  type GitSourceArgs,
  type PlatformFacts,
} from "../components/gitops";
import type { Foundation } from "./foundation";
import { chartMirrorFacts, type chartMirrorSchema } from "./chart-mirror";

/** Git authentication modes: none (public HTTPS), SSH deploy key, GitHub App (Flux 2.5+ `provider: github`). */
const GIT_AUTH_MODES = ["none", "ssh", "github-app"] as const;
export type GitAuthMode = (typeof GIT_AUTH_MODES)[number];

/** A Go duration as Flux accepts it (`time.ParseDuration`): `1m`, `10m0s`, `1h30m`, `90s`. */
export function isGoDuration(value: string): boolean {
  return /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(value) && !/^0+(\.0+)?[a-zµ]+$/.test(value);
}

/** A Git URL Flux can clone: `https://host/path` or `ssh://user@host[:port]/path`. */
function isGitUrl(value: string): boolean {
  return (
    /^https:\/\/[A-Za-z0-9.-]+(:\d+)?\/[^\s]+$/.test(value) ||
    /^ssh:\/\/[A-Za-z0-9._-]+@[A-Za-z0-9.-]+(:\d+)?\/[^\s]+$/.test(value)
  );
}

/** A branch name (git check-ref-format, simplified): no spaces, no `..`, no leading `-` or `/`. */
const branchName = () =>
  z.string().regex(/^(?!-|\/)(?!.*\.\.)(?!.*\/\/)[A-Za-z0-9._/-]+(?<!\/|\.lock)$/, {
    error: "a Git branch name such as main",
  });

/** SSH key types Flux's Git client accepts. */
const SSH_KEY_TYPE = "(?:ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(?:256|384|521))";
/** An OpenSSH public key line (`<type> <base64> [comment]`). */
const SSH_PUBLIC_KEY = new RegExp(`^${SSH_KEY_TYPE} [A-Za-z0-9+/]+={0,3}(?: .*)?$`);
/** A known_hosts line (`<hosts> <type> <base64>`). */
const KNOWN_HOSTS_LINE = new RegExp(`^\\S+ ${SSH_KEY_TYPE} [A-Za-z0-9+/]+={0,3}(?: .*)?$`);

/** A repository path starting with `./`. */
const repositoryPath = (example: string) =>
  z
    .string()
    .regex(/^\.\/[A-Za-z0-9._/-]*$/, { error: `a repository path starting with ./ such as ${example}` });

/** One namespace of the repository's platform-level Helm releases and its chart sources. */
const infrastructureNamespaceSchema = z.strictObject({
  /** The namespace of the HelmReleases. */
  namespace: kubernetesName(),
  /** Chart repositories (HelmRepository copies) the releases there take charts from. @default [] */
  chartSources: z
    .array(
      z.strictObject({
        /** HelmRepository name, as the HelmReleases name it. */
        name: kubernetesName(),
        /** Chart repository URL (https:// index or oci:// registry). */
        url: z.string().regex(/^(https|oci):\/\/[^\s]+$/, {
          error: "a chart repository URL such as https://charts.jetstack.io or oci://ghcr.io/org/charts",
        }),
      }),
    )
    .default([]),
});

/**
 * The `platform:gitops` object: where Flux syncs from and how it authenticates. The secrets
 * (`sshPrivateKey`, `githubAppPrivateKey`) are set with `pulumi config set --secret --path`; the
 * builders wrap them in `pulumi.secret` before they reach a resource.
 * Reference: https://fluxcd.io/flux/components/source/gitrepositories/
 */
const gitopsSettingsSchema = z
  .strictObject({
    repositoryUrl: z
      .string({ error: "a Git URL such as https://github.com/org/repo or ssh://git@github.com/org/repo" })
      .refine(isGitUrl, {
        error: "a Git URL such as https://github.com/org/repo or ssh://git@github.com/org/repo",
      })
      .describe(
        "URL of the Git repository Flux syncs: https://host/org/repo or ssh://git@host/org/repo. Required (docs/gitops.md). https://fluxcd.io/flux/components/source/gitrepositories/#url",
      ),
    branch: branchName().default("main").describe("Branch Flux follows."),
    path: repositoryPath("./gitops/clusters/hub")
      .optional()
      .describe(
        "Path of this cluster's root in the repository, starting with ./. Not set means ./gitops/clusters/<stack>.",
      ),
    interval: z
      .string()
      .refine(isGoDuration, { error: "a Go duration such as 1m, 10m0s or 1h" })
      .default("1m")
      .describe(
        "How often Flux fetches the repository and reconciles the root (a Go duration such as 1m or 10m0s).",
      ),
    auth: z
      .enum(GIT_AUTH_MODES, { error: `one of ${GIT_AUTH_MODES.join(", ")}` })
      .default("none")
      .describe(
        "Git authentication: none (public HTTPS), ssh (deploy key) or github-app (Flux provider github).",
      ),
    sshPrivateKey: z
      .string()
      .optional()
      .describe("SSH deploy key (OpenSSH private key), a secret. Required when auth is ssh."),
    sshPublicKey: z
      .string()
      .regex(SSH_PUBLIC_KEY, { error: "an OpenSSH public key such as ssh-ed25519 AAAA... (identity.pub)" })
      .optional()
      .describe("Public key of the deploy key (identity.pub), stored next to it."),
    knownHosts: z
      .string()
      .refine(
        (text) => text.split("\n").every((line) => !line.trim() || KNOWN_HOSTS_LINE.test(line.trim())),
        {
          error: "known_hosts lines such as: github.com ssh-ed25519 AAAA... (ssh-keyscan github.com)",
        },
      )
      .optional()
      .describe("known_hosts lines of the Git server (ssh-keyscan). Required when auth is ssh."),
    githubAppId: z
      .string()
      .regex(/^\d+$/, { error: "a numeric GitHub App ID" })
      .optional()
      .describe("GitHub App ID. Required when auth is github-app."),
    githubAppInstallationId: z
      .string()
      .regex(/^\d+$/, { error: "a numeric GitHub App installation ID" })
      .optional()
      .describe("GitHub App installation ID. Required when auth is github-app."),
    githubAppPrivateKey: z
      .string()
      .optional()
      .describe("GitHub App private key (PEM), a secret. Required when auth is github-app."),
    baselinePath: repositoryPath("./gitops/infrastructure/baseline")
      .default("./gitops/infrastructure/baseline")
      .describe(
        "Hub: path (in the hub's repository) of the platform baseline the hub's Flux applies to every registered spoke.",
      ),
    crossNamespaceRefs: boolean()
      .default(false)
      .describe(
        "Allow Flux objects to reference sources in other namespaces (turns off the lockdown flag --no-cross-namespace-refs). https://fluxcd.io/flux/installation/configuration/multitenancy/",
      ),
    infrastructureNamespaces: structured(z.array(infrastructureNamespaceSchema))
      .default([])
      .describe(
        "Namespaces where the repository's platform-level tree may install Helm releases, each {namespace, chartSources: [{name, url}]}: the platform creates the namespace, a flux-infrastructure ServiceAccount bound to cluster-admin and the chart repository copies (docs/gitops.md). Never flux-system or a tenant namespace.",
      ),
  })
  .superRefine((g, ctx) => {
    const issue = (field: string, message: string, input?: unknown) =>
      ctx.addIssue({ code: "custom", path: [field], input, message });
    if (g.auth === "ssh") {
      if (!g.sshPrivateKey)
        issue("sshPrivateKey", "an SSH private key (pulumi config set --secret --path) when auth is ssh");
      else if (!g.knownHosts) issue("knownHosts", "known_hosts lines of the Git server when auth is ssh");
      else if (!g.repositoryUrl.startsWith("ssh://"))
        issue("repositoryUrl", "an ssh:// URL when auth is ssh", g.repositoryUrl);
    } else if (g.auth === "github-app") {
      if (!g.githubAppId) issue("githubAppId", "the GitHub App ID when auth is github-app");
      else if (!g.githubAppInstallationId)
        issue("githubAppInstallationId", "the GitHub App installation ID when auth is github-app");
      else if (!g.githubAppPrivateKey)
        issue(
          "githubAppPrivateKey",
          "the GitHub App private key (pulumi config set --secret --path) when auth is github-app",
        );
      else if (!g.repositoryUrl.startsWith("https://"))
        issue(
          "repositoryUrl",
          "an https:// URL when auth is github-app (Flux's github provider)",
          g.repositoryUrl,
        );
    } else if (g.repositoryUrl.startsWith("ssh://")) {
      issue("auth", "ssh when repositoryUrl is an ssh:// URL", g.auth);
    }
    const seen = new Set<string>();
    g.infrastructureNamespaces.forEach((entry, i) => {
      if (entry.namespace === FLUX_NAMESPACE)
        ctx.addIssue({
          code: "custom",
          path: ["infrastructureNamespaces", i, "namespace"],
          input: entry.namespace,
          message: "a namespace other than flux-system (the platform's own)",
        });
      else if (seen.has(entry.namespace))
        ctx.addIssue({
          code: "custom",
          path: ["infrastructureNamespaces", i, "namespace"],
          input: entry.namespace,
          message: "a namespace listed once",
        });
      seen.add(entry.namespace);
    });
  });

/** Config key of the capability (merged into the `platform` namespace by stacks/config.ts). */
export const gitopsSchema = {
  gitops: group(
    gitopsSettingsSchema,
    "GitOps: the Git source Flux syncs on this cluster and its authentication (docs/gitops.md). Required.",
  ),
};

/** Fields only one role reads (the hub's Flux applies the baseline to every spoke). */
export const gitopsRoles: RoleOnly<typeof gitopsSettingsSchema.shape> = { baselinePath: "hub" };

/** What an organization environment tells gitops: its namespace and the repository Kustomization it replaces. */
interface TenantView {
  readonly organizations: readonly {
    readonly name: string;
    readonly environments: readonly {
      readonly name: string;
      readonly namespace?: string;
      readonly repositoryKustomization?: string;
    }[];
  }[];
}

/** What the gitops capability reads of a stack's configuration: the core keys, its own and the tenants. */
type GitOpsStackConfig = CoreConfig &
  SectionOf<typeof gitopsSchema> &
  TenantView &
  Partial<SectionOf<typeof chartMirrorSchema>>;

/** Rules that relate the gitops settings to the tenants; throws ConfigError on bad input. */
export function gitopsChecks(config: GitOpsStackConfig): void {
  const tenantNamespaces = new Map<string, string>();
  for (const org of config.organizations)
    for (const env of org.environments)
      tenantNamespaces.set(namespaceName(org.name, env.name, env.namespace), `${org.name}/${env.name}`);
  config.gitops.infrastructureNamespaces.forEach((entry, i) => {
    const tenant = tenantNamespaces.get(entry.namespace);
    if (tenant)
      throw new ConfigError(
        `${NAMESPACE}:gitops.infrastructureNamespaces[${i}].namespace`,
        entry.namespace,
        `a namespace that is not a tenant's (${tenant} uses it; tenants reconcile as their own flux-reconciler)`,
      );
  });
}

/** The Flux install of a stack: what tenant Flux objects must wait for (not a stack output). */
export interface GitOpsInstall {
  readonly flux: Flux;
}

/** Outputs the gitops area adds to the hub. */
export interface GitOpsHubOutputs {
  /** ARN of the IAM role of the hub's Flux kustomize-controller; spokes grant it an access entry. */
  fluxRoleArn: pulumi.Output<string>;
  /** The hub cluster's CA certificate (base64, as EKS returns it); spokes build a hub provider from it. */
  clusterCertificateAuthority: pulumi.Output<string>;
}

/** Hub output keys a spoke must read for gitops (add them to HUB_OUTPUT_KEYS). */
export const GITOPS_HUB_OUTPUT_KEYS = [
  "fluxRoleArn",
  "clusterCertificateAuthority",
] as const satisfies readonly (keyof GitOpsHubOutputs)[];

/** What a spoke's gitops needs of the hub (a subset of HubView). */
export interface GitOpsHubView {
  readonly region: pulumi.Input<string>;
  /** The hub's VPC CIDR (the spoke's API security group admits HTTPS from it). */
  readonly vpcCidr: pulumi.Input<string>;
  readonly clusterName: pulumi.Input<string>;
  readonly clusterEndpoint: pulumi.Input<string>;
  readonly clusterArn: pulumi.Input<string>;
  readonly clusterCertificateAuthority: pulumi.Input<string>;
  readonly fluxRoleArn: pulumi.Input<string>;
}

/** Outputs the gitops area adds to a spoke (none are exported yet; the objects are returned for tests). */
export interface GitOpsSpokeOutputs {
  /** Name of the baseline Kustomization on the hub that targets this spoke. */
  hubBaselineKustomization: string;
}

/** The Git source of a stack, from its `platform:gitops` settings (validated by the schema). */
export function gitSource(config: Pick<GitOpsStackConfig, "gitops" | "stack">): GitSourceArgs {
  const g = config.gitops;
  let auth: GitAuth;
  switch (g.auth) {
    case "ssh":
      auth = {
        mode: "ssh",
        privateKey: pulumi.secret(g.sshPrivateKey!),
        publicKey: g.sshPublicKey ?? "",
        knownHosts: g.knownHosts!,
      };
      break;
    case "github-app":
      auth = {
        mode: "github-app",
        appId: g.githubAppId!,
        installationId: g.githubAppInstallationId!,
        privateKey: pulumi.secret(g.githubAppPrivateKey!),
      };
      break;
    default:
      auth = { mode: "none" };
  }
  return {
    url: g.repositoryUrl,
    branch: g.branch,
    path: g.path ?? defaultGitPath(config.stack),
    interval: g.interval,
    auth,
  };
}

/** The repository Kustomizations (flux-system) that tenant environments replace; the root sync drops them. */
function supersededKustomizations(config: GitOpsStackConfig): string[] {
  return config.organizations.flatMap((org) =>
    org.environments.flatMap((env) => (env.repositoryKustomization ? [env.repositoryKustomization] : [])),
  );
}

/** The default root path of a stack in this repository. */
function defaultGitPath(stack: string): string {
  return `./gitops/clusters/${stack}`;
}

/** The facts every stack knows from its config and foundation; `extra` (other areas) wins. */
function baseFacts(
  config: GitOpsStackConfig,
  foundation: Foundation,
  extra: PlatformFacts,
  hubClusterName: pulumi.Input<string>,
): PlatformFacts {
  const identity = aws.getCallerIdentityOutput({});
  return {
    cluster_name: foundation.cluster.clusterName,
    cluster_role: config.role,
    stack_name: config.stack,
    environment: config.environment,
    aws_region: config.region,
    aws_account_id: identity.accountId,
    vpc_id: foundation.network.vpcId,
    vpc_cidr: config.vpcCidr,
    hub_cluster_name: hubClusterName,
    ...chartMirrorFacts(config.chartMirror),
    ...extra,
  };
}

/** The hub endpoints a cluster's Git content may need (the hub's outputs, or a spoke's view of them). */
export interface HubEndpoints {
  readonly prometheusRemoteWriteUrl: pulumi.Input<string>;
  readonly elasticsearchUrl: pulumi.Input<string>;
  readonly grafanaUrl: pulumi.Input<string>;
  readonly kibanaUrl: pulumi.Input<string>;
}

/** The facts other capabilities contribute: the cluster's EFS file system and the hub's endpoints. */
export function capabilityFacts(efsFileSystemId: pulumi.Input<string>, hub: HubEndpoints): PlatformFacts {
  return {
    efs_file_system_id: efsFileSystemId,
    prometheus_remote_write_url: hub.prometheusRemoteWriteUrl,
    elasticsearch_url: hub.elasticsearchUrl,
    grafana_url: hub.grafanaUrl,
    kibana_url: hub.kibanaUrl,
  };
}

/**
 * The hub: its Flux identity (IAM role + Pod Identity association for kustomize-controller), then
 * Flux syncing `gitPath`, with the facts ConfigMap.
 * @param facts Facts from other areas (hub endpoints, role ARNs); see PLATFORM_FACT_KEYS.
 * @param prometheusStack The hub's kube-prometheus-stack release: Flux's PodMonitor waits for its CRDs.
 */
export function buildGitOpsHub(
  config: GitOpsStackConfig,
  foundation: Foundation,
  facts: PlatformFacts = {},
  prometheusStack?: pulumi.Resource,
): GitOpsHubOutputs & GitOpsInstall {
  const git = gitSource(config);
  const { cluster } = foundation;
  const identity = new FluxHubIdentity(`${config.stack}-gitops`, {
    clusterName: cluster.clusterName,
    tags: foundation.tags,
  });
  const flux = new Flux(
    `${config.stack}-flux`,
    {
      provider: foundation.provider,
      git,
      facts: baseFacts(
        config,
        foundation,
        { flux_role_arn: identity.roleArn, ...facts },
        cluster.clusterName,
      ),
      crossNamespaceRefs: config.gitops.crossNamespaceRefs,
      supersededKustomizations: supersededKustomizations(config),
      infrastructureNamespaces: config.gitops.infrastructureNamespaces,
      controllerDependsOn: [identity.association],
      prometheusStack,
    },
    { dependsOn: [cluster] },
  );
  return {
    flux,
    fluxRoleArn: identity.roleArn,
    clusterCertificateAuthority: cluster.cluster.eksCluster.certificateAuthority.data,
  };
}

/**
 * A spoke: Flux syncing `gitPath` on the spoke, then the registration with the hub's Flux (access
 * entry for the hub's Flux role on the spoke; ConfigMap + baseline Kustomization in the hub's
 * flux-system, through a provider built from the hub's name, endpoint and CA).
 * @param facts Facts from other areas (hub endpoints, role ARNs); see PLATFORM_FACT_KEYS.
 * @param prometheusStack The spoke's kube-prometheus-stack (agent) release: Flux's PodMonitor waits for its CRDs.
 */
export function buildGitOpsSpoke(
  config: GitOpsStackConfig,
  foundation: Foundation,
  hub: GitOpsHubView,
  facts: PlatformFacts = {},
  prometheusStack?: pulumi.Resource,
): GitOpsSpokeOutputs & GitOpsInstall {
  const git = gitSource(config);
  const { cluster } = foundation;
  const spokeFacts = baseFacts(config, foundation, facts, hub.clusterName);
  const flux = new Flux(
    `${config.stack}-flux`,
    {
      provider: foundation.provider,
      git,
      facts: spokeFacts,
      crossNamespaceRefs: config.gitops.crossNamespaceRefs,
      supersededKustomizations: supersededKustomizations(config),
      infrastructureNamespaces: config.gitops.infrastructureNamespaces,
      prometheusStack,
    },
    { dependsOn: [cluster] },
  );

  const hubProvider = kubernetesProvider(
    `${config.stack}-hub-k8s`,
    pulumi
      .all([hub.clusterName, hub.clusterEndpoint, hub.clusterCertificateAuthority, hub.region])
      .apply(([clusterName, endpoint, caBase64, region]) =>
        eksKubeconfig({ clusterName, endpoint, caBase64, region }),
      ),
  );
  const spokeName = spokeNameOf(config.clusterName);
  const registration = new SpokeRegistration(
    `${config.stack}-registration`,
    {
      spokeName,
      clusterName: cluster.clusterName,
      clusterArn: cluster.arn,
      endpoint: cluster.endpoint,
      certificateAuthority: cluster.cluster.eksCluster.certificateAuthority.data,
      hubFluxRoleArn: hub.fluxRoleArn,
      hubProvider,
      baselinePath: config.gitops.baselinePath,
      // The 443 rule from the hub's CIDR is installed by the transit capability (stacks/transit.ts).
      facts: spokeFacts,
      tags: foundation.tags,
    },
    { dependsOn: [cluster] },
  );
  void registration;
  return { flux, hubBaselineKustomization: `${spokeName}-baseline` };
}
