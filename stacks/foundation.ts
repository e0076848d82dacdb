/**
 * What every stack builds first: the network and the EKS cluster, from the validated config.
 */
import type * as k8s from "@pulumi/kubernetes";
import { Cluster } from "../components/cluster";
import { Network } from "../components/networking";
import type { PlatformConfig } from "./config";
import { karpenterEnabled } from "./karpenter";
import type { CommonOutputs } from "./contract";
import type { StorageOutputs } from "./wiring/storage";
import type { TenancyOutputs } from "./wiring/tenancy";

/** Tags every AWS resource of the stack gets; the stack file's `platform:tags` win. */
export function baseTags(config: PlatformConfig): Record<string, string> {
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
}

/** Builds the network and the cluster of a stack. */
export function buildFoundation(config: PlatformConfig): Foundation {
  const tags = baseTags(config);
  const network = new Network(config.stack, {
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
  });
  const cluster = new Cluster(config.stack, {
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
    tags,
  });
  return { network, cluster, provider: cluster.provider, tags };
}

/** The outputs every stack exports, from its foundation. */
export function commonOutputs(
  config: PlatformConfig,
  foundation: Foundation,
): Omit<CommonOutputs, "role" | keyof StorageOutputs | keyof TenancyOutputs> {
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
