/**
 * GitOps wiring: Flux on every cluster (hub and spokes), the hub's Flux identity, and the
 * registration of a spoke with the hub's Flux, called from stacks/hub.ts and stacks/spoke.ts;
 * see docs/gitops.md.
 */
import * as aws from "@pulumi/aws";
import { kubernetesProvider } from "../../components/cluster";
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
} from "../../components/gitops";
import { ConfigError, NAMESPACE, type PlatformConfig } from "../config";
import type { Foundation } from "../foundation";

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

/** The Git source of a stack, from its config. @throws ConfigError when the repository URL is missing. */
export function gitSource(config: PlatformConfig): GitSourceArgs {
  if (!config.gitRepositoryUrl) {
    throw new ConfigError(
      `${NAMESPACE}:gitRepositoryUrl`,
      undefined,
      "the URL of the Git repository Flux syncs (the key is required)",
    );
  }
  let auth: GitAuth;
  switch (config.gitAuth) {
    case "ssh":
      auth = {
        mode: "ssh",
        privateKey: pulumi.secret(config.gitSshPrivateKey ?? ""),
        publicKey: config.gitSshPublicKey ?? "",
        knownHosts: config.gitKnownHosts ?? "",
      };
      break;
    case "github-app":
      auth = {
        mode: "github-app",
        appId: config.githubAppId ?? "",
        installationId: config.githubAppInstallationId ?? "",
        privateKey: pulumi.secret(config.githubAppPrivateKey ?? ""),
      };
      break;
    default:
      auth = { mode: "none" };
  }
  return {
    url: config.gitRepositoryUrl,
    branch: config.gitBranch,
    path: config.gitPath ?? defaultGitPath(config.stack),
    interval: config.gitInterval,
    auth,
  };
}

/** The repository Kustomizations (flux-system) that tenant environments replace; the root sync drops them. */
function supersededKustomizations(config: PlatformConfig): string[] {
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
  config: PlatformConfig,
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
 */
export function buildGitOpsHub(
  config: PlatformConfig,
  foundation: Foundation,
  facts: PlatformFacts = {},
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
      crossNamespaceRefs: config.fluxCrossNamespaceRefs,
      supersededKustomizations: supersededKustomizations(config),
      infrastructureNamespaces: config.fluxInfrastructureNamespaces,
      controllerDependsOn: [identity.association],
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
 */
export function buildGitOpsSpoke(
  config: PlatformConfig,
  foundation: Foundation,
  hub: GitOpsHubView,
  facts: PlatformFacts = {},
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
      crossNamespaceRefs: config.fluxCrossNamespaceRefs,
      supersededKustomizations: supersededKustomizations(config),
      infrastructureNamespaces: config.fluxInfrastructureNamespaces,
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
      baselinePath: config.gitBaselinePath,
      // The 443 rule from the hub's CIDR is installed by the transit capability (stacks/wiring/transit.ts).
      facts: spokeFacts,
      tags: foundation.tags,
    },
    { dependsOn: [cluster] },
  );
  void registration;
  return { flux, hubBaselineKustomization: `${spokeName}-baseline` };
}
