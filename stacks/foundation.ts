/**
 * What every stack builds first: the network and the EKS cluster, from the validated config.
 */
import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import type * as k8s from "@pulumi/kubernetes";
import { Cluster } from "../components/cluster";
import { Network } from "../components/networking";
import type { CoreConfig } from "./core";
import { karpenterEnabled, type karpenterSchema } from "./karpenter";
import type { SectionOf } from "./schema";
import { nextTurn } from "./turn";

/** What the foundation reads of a stack's configuration: the core keys and whether Karpenter runs. */
type FoundationConfig = CoreConfig & SectionOf<typeof karpenterSchema>;

/** Tags every AWS resource of the stack gets; the stack file's `platform:tags` win. */
function baseTags(config: FoundationConfig): Record<string, string> {
  return {
    environment: config.environment,
    "platform:stack": config.stack,
    "managed-by": "pulumi",
    ...config.tags,
  };
}

/** The network and cluster of one stack. */
export interface Foundation {
  /** The stack's VPC (subnets, flow logs, endpoints). */
  readonly network: Network;
  /** The stack's EKS cluster (node pools, add-ons, KMS key). */
  readonly cluster: Cluster;
  /**
   * The Kubernetes provider capabilities use: the cluster's, or on a spoke one that also waits for
   * the path from the deployment runner (hub VPC) to the spoke API over the Transit Gateway.
   */
  readonly provider: k8s.Provider;
  /** Tags of every AWS resource of the stack (baseTags). */
  readonly tags: Record<string, string>;
  /** The stack's AWS provider: the stack region, `baseTags` as default tags. */
  readonly awsProvider: aws.Provider;
}

/** Path of the EC2 Auto Scaling service-linked role. https://docs.aws.amazon.com/IAM/latest/UserGuide/using-service-linked-roles.html */
export const AUTOSCALING_ROLE_PATH = "/aws-service-role/autoscaling.amazonaws.com/";

/**
 * Whether the account already has the EC2 Auto Scaling service-linked role (a fresh account does not
 * until its first Auto Scaling group). A list lookup: unlike `aws.iam.getRole` it does not fail when
 * the role is absent.
 */
export async function autoScalingRoleExists(provider: aws.Provider): Promise<boolean> {
  const roles = await aws.iam.getRoles(
    { pathPrefix: AUTOSCALING_ROLE_PATH, nameRegex: "^AWSServiceRoleForAutoScaling$" },
    { provider },
  );
  return (roles.names ?? []).length > 0;
}

/**
 * The stack's AWS provider. Its default tags reach every AWS resource, including the children that
 * @pulumi/eks and @pulumi/awsx create inside their provider plugins (transforms do not run there; a
 * provider passed to the component does). Credentials come from the environment (OIDC in
 * Deployments and CI, a profile or SSO session by hand), as for the default provider.
 * https://www.pulumi.com/registry/packages/aws/api-docs/provider/
 */
function stackAwsProvider(config: FoundationConfig, tags: Record<string, string>): aws.Provider {
  return new aws.Provider(`${config.stack}-aws`, { region: config.region, defaultTags: { tags } });
}

/** Builds the network and the cluster of a stack (with the stack's AWS provider). */
export async function buildFoundation(config: FoundationConfig): Promise<Foundation> {
  const tags = baseTags(config);
  const awsProvider = stackAwsProvider(config, tags);
  const providers = { providers: { aws: awsProvider } };
  const createAutoScalingServiceLinkedRole = !(await autoScalingRoleExists(awsProvider));
  const network = new Network(
    config.stack,
    {
      cidrBlock: config.vpcCidr,
      region: config.region,
      clusterName: config.clusterName,
      availabilityZoneCount: config.availabilityZoneCount,
      natGateways: config.natGateways,
      databaseSubnets: config.databaseSubnets,
      vpcEndpoints: config.vpcEndpoints,
      flowLogRetentionDays: config.flowLogRetentionDays,
      protect: config.production,
      tags,
    },
    providers,
  );
  await nextTurn(); // stacks/turn.ts
  const cluster = new Cluster(
    config.stack,
    {
      clusterName: config.clusterName,
      kubernetesVersion: config.kubernetesVersion,
      region: config.region,
      vpcId: network.vpcId,
      privateSubnetIds: network.privateSubnetIds,
      nodePools: config.nodePools,
      endpointPublicAccess: config.endpointPublicAccess,
      publicAccessCidrs: config.publicAccessCidrs,
      apiAccessCidrs: config.apiAccessCidrs,
      logRetentionDays: config.controlPlaneLogRetentionDays,
      accessEntries: config.accessEntries,
      autoscaler: karpenterEnabled(config),
      protect: config.production,
      createAutoScalingServiceLinkedRole,
      tags,
    },
    providers,
  );
  return { network, cluster, provider: cluster.provider, tags, awsProvider };
}

/** Outputs every stack exports from its foundation (network and cluster). */
export interface FoundationOutputs {
  /** AWS region. */
  region: string;
  /** VPC id. */
  vpcId: pulumi.Output<string>;
  /** VPC CIDR block. */
  vpcCidr: string;
  /** Private subnet ids, one per AZ. */
  privateSubnetIds: pulumi.Output<string[]>;
  /** Public subnet ids, one per AZ. */
  publicSubnetIds: pulumi.Output<string[]>;
  /** EKS cluster name. */
  clusterName: pulumi.Output<string>;
  /** EKS API endpoint URL. */
  clusterEndpoint: pulumi.Output<string>;
  /** EKS cluster ARN. */
  clusterArn: pulumi.Output<string>;
  /** OIDC provider ARN (IRSA). */
  oidcProviderArn: pulumi.Output<string>;
  /** Kubeconfig JSON (a secret). */
  kubeconfig: pulumi.Output<string>;
}

/** The outputs every stack exports, from its foundation. */
export function commonOutputs(config: FoundationConfig, foundation: Foundation): FoundationOutputs {
  const { network, cluster } = foundation;
  return {
    region: config.region,
    vpcId: network.vpcId,
    vpcCidr: network.cidrBlock,
    privateSubnetIds: network.privateSubnetIds,
    publicSubnetIds: network.publicSubnetIds,
    clusterName: cluster.clusterName,
    clusterEndpoint: cluster.endpoint,
    clusterArn: cluster.arn,
    oidcProviderArn: cluster.oidcProviderArn,
    kubeconfig: cluster.kubeconfig,
  };
}
