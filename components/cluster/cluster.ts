import * as aws from "@pulumi/aws";
import * as eks from "@pulumi/eks";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { awsProviders, awsTags, kmsKeyPolicy, serviceTrustPolicy } from "../shared/aws";
import { accessPolicyArn, CONTROL_PLANE_LOG_TYPES, type AccessPolicyName } from "../shared/eks";
import type { NodePoolConfig, NodeTaintConfig } from "../../stacks/core";
import { addonVersions } from "./versions";

/**
 * A Kubernetes taint of a managed node group: the `nodePools[].taints[]` setting as validated
 * (stacks/core.ts). https://docs.aws.amazon.com/eks/latest/userguide/node-taints-managed-node-groups.html
 */
export type NodeTaint = NodeTaintConfig;

/**
 * One EKS managed node group: a `platform:nodePools` entry as the schema returns it (stacks/core.ts:
 * name, instance types, AMI and capacity type, sizes, disk, labels, taints, `system`), defaults
 * filled in. https://docs.aws.amazon.com/eks/latest/userguide/managed-node-groups.html
 */
export type NodePoolArgs = NodePoolConfig;

/** An EKS access entry. https://docs.aws.amazon.com/eks/latest/userguide/access-entries.html */
export interface AccessEntryArgs {
  /** Key of the entry. */
  readonly name: string;
  /** IAM role or user ARN. */
  readonly principalArn: pulumi.Input<string>;
  /** The access policy to associate. */
  readonly accessPolicy: AccessPolicyName;
  /** Namespaces the policy is limited to; empty means the whole cluster. @default [] */
  readonly namespaces?: readonly string[];
  /** Kubernetes groups for extra RBAC. @default [] */
  readonly kubernetesGroups?: readonly string[];
}

/** Arguments of {@link Cluster}. */
export interface ClusterArgs {
  /** EKS cluster name (also names the control-plane log group `/aws/eks/<name>/cluster`). */
  readonly clusterName: string;
  /** Kubernetes minor version, e.g. `1.35`; add-on versions follow it (see versions.ts). */
  readonly kubernetesVersion: string;
  /** AWS region, e.g. `eu-west-1`. */
  readonly region: string;
  /** VPC id. */
  readonly vpcId: pulumi.Input<string>;
  /** Private subnet ids: control-plane ENIs and nodes. */
  readonly privateSubnetIds: pulumi.Input<pulumi.Input<string>[]>;
  /** Node pools. */
  readonly nodePools: readonly NodePoolArgs[];
  /**
   * Also open the public API endpoint (the private one is always on), restricted to
   * `publicAccessCidrs`. https://docs.aws.amazon.com/eks/latest/userguide/cluster-endpoint.html
   * @default false
   */
  readonly endpointPublicAccess?: boolean;
  /** CIDR allowlist of the public endpoint. Must be non-empty when the endpoint is public. @default [] */
  readonly publicAccessCidrs?: readonly string[];
  /**
   * CIDR blocks admitted to the private API endpoint (443 on the EKS cluster security group): where
   * `pulumi up`, CI runners, a bastion or a VPN live. The VPC itself is not admitted by default.
   * https://docs.aws.amazon.com/eks/latest/userguide/cluster-endpoint.html#private-access
   * @default []
   */
  readonly apiAccessCidrs?: readonly string[];
  /** Control-plane log retention, days (the schema's `controlPlaneLogRetentionDays`, default 90). */
  readonly logRetentionDays: number;
  /** Access entries (authentication mode API). @default [] */
  readonly accessEntries?: readonly AccessEntryArgs[];
  /** IMDSv2 response hop limit of the nodes (2 lets pods on the pod network reach IMDS). @default 2 */
  readonly metadataHopLimit?: number;
  /** Protect stateful resources (KMS key, log group) and turn on EKS deletion protection. @default false */
  readonly protect?: boolean;
  /**
   * A node autoscaler (Karpenter) runs on the cluster: managed node groups then ignore drift of their
   * desired size; without one, Pulumi keeps the desired size it was given.
   * @default false
   */
  readonly autoscaler?: boolean;
  /**
   * Create the account's EC2 Auto Scaling service-linked role (`AWSServiceRoleForAutoScaling`). The
   * cluster key policy names it (node root volumes are encrypted with the key and launched by Auto
   * Scaling), and KMS refuses a policy naming a role that does not exist
   * (MalformedPolicyDocumentException). AWS creates the role with the account's first Auto Scaling
   * group, so a fresh account lacks it: the stack looks it up (stacks/foundation.ts) and sets
   * this when it is absent. The role is account-wide: it is kept (`retainOnDelete`) when the stack
   * stops declaring it. https://docs.aws.amazon.com/autoscaling/ec2/userguide/autoscaling-service-linked-role.html
   * @default false
   */
  readonly createAutoScalingServiceLinkedRole?: boolean;
  /** Tags for every AWS resource, merged last. @default {} */
  readonly tags?: Record<string, string>;
}

/** Module defaults of {@link Cluster}. */
export const clusterDefaults = {
  metadataHopLimit: 2,
  kmsDeletionWindowDays: 30,
  /** Taint of a system pool. https://kubernetes.io/docs/concepts/scheduling-eviction/taint-and-toleration/ */
  systemTaint: { key: "CriticalAddonsOnly", value: "true", effect: "NO_SCHEDULE" } as NodeTaint,
  /** Managed policies of the node role. https://docs.aws.amazon.com/eks/latest/userguide/create-node-role.html */
  nodeRolePolicies: [
    "AmazonEKSWorkerNodePolicy",
    "AmazonEC2ContainerRegistryPullOnly",
    "AmazonEKS_CNI_Policy",
  ],
  /** Managed policy of the cluster (service) role. https://docs.aws.amazon.com/eks/latest/userguide/cluster-iam-role.html */
  serviceRolePolicies: ["AmazonEKSClusterPolicy"],
  /** Key of the node role's access entry in the eks.Cluster `accessEntries` input. */
  nodeAccessEntryName: "nodes",
};

/**
 * The eks.Cluster `accessEntries` entry of the node role: type `EC2_LINUX`, which lets the nodes join
 * the cluster under authentication mode API (EKS associates no access policy with it). @pulumi/eks
 * rejects `instanceRoles` in that mode, so the node role is granted through an access entry.
 * https://docs.aws.amazon.com/eks/latest/userguide/creating-access-entries.html
 */
function nodeAccessEntry(nodeRoleArn: pulumi.Input<string>): eks.types.input.AccessEntryArgs {
  return { principalArn: nodeRoleArn, type: "EC2_LINUX" };
}

/** The eks.Cluster `accessEntries` input for the configured entries (cluster or namespace scope). */
export function accessEntriesInput(
  entries: readonly AccessEntryArgs[],
  partition = "aws",
): Record<string, eks.types.input.AccessEntryArgs> {
  const result: Record<string, eks.types.input.AccessEntryArgs> = {};
  for (const entry of entries) {
    const namespaces = entry.namespaces ?? [];
    result[entry.name] = {
      principalArn: entry.principalArn,
      kubernetesGroups: [...(entry.kubernetesGroups ?? [])],
      accessPolicies: {
        [entry.accessPolicy]: {
          policyArn: accessPolicyArn(partition, entry.accessPolicy),
          accessScope:
            namespaces.length > 0 ? { type: "namespace", namespaces: [...namespaces] } : { type: "cluster" },
        },
      },
    };
  }
  return result;
}

/** Labels and taints of a node pool, adding the system pool's own. */
export function nodePoolPlacement(pool: NodePoolArgs): {
  labels: Record<string, string>;
  taints: NodeTaint[];
} {
  const labels: Record<string, string> = { ...pool.labels };
  const taints = [...pool.taints];
  if (pool.system) {
    labels["node-role"] = "system";
    if (!taints.some((t) => t.key === clusterDefaults.systemTaint.key))
      taints.push(clusterDefaults.systemTaint);
  }
  return { labels, taints };
}

/** coredns configuration: tolerate the system pool's taint and prefer it. */
const corednsConfiguration = {
  tolerations: [{ key: "CriticalAddonsOnly", operator: "Exists" }],
  affinity: {
    nodeAffinity: {
      preferredDuringSchedulingIgnoredDuringExecution: [
        {
          weight: 100,
          preference: { matchExpressions: [{ key: "node-role", operator: "In", values: ["system"] }] },
        },
      ],
    },
  },
};

/**
 * A Kubernetes provider for an EKS cluster's kubeconfig (JSON): server-side apply, and an
 * unreachable cluster is an error rather than a reason to drop its objects from the state.
 * https://www.pulumi.com/registry/packages/kubernetes/api-docs/provider/
 */
export function kubernetesProvider(
  name: string,
  kubeconfig: pulumi.Input<string>,
  opts?: pulumi.CustomResourceOptions,
): k8s.Provider {
  return new k8s.Provider(name, { kubeconfig, enableServerSideApply: true, deleteUnreachable: false }, opts);
}

/**
 * Rejects arguments EKS would accept but the platform does not.
 * @throws when an access entry takes the node role's reserved name, or a public endpoint has no CIDR allowlist
 */
function checkClusterArgs(name: string, args: ClusterArgs): void {
  if ((args.accessEntries ?? []).some((e) => e.name === clusterDefaults.nodeAccessEntryName)) {
    throw new Error(
      `${name}: access entry name "${clusterDefaults.nodeAccessEntryName}" is reserved for the node role, expected another name`,
    );
  }
  if ((args.endpointPublicAccess ?? false) && (args.publicAccessCidrs ?? []).length === 0) {
    throw new Error(`${name}: a public endpoint needs a CIDR allowlist (publicAccessCidrs is empty)`);
  }
}

/**
 * An EKS cluster (over `eks.Cluster`) with managed node groups: private API endpoint, optional
 * public endpoint limited to a CIDR allowlist, secrets envelope encryption with a rotating customer
 * KMS key, all control-plane log types with retention, authentication mode API with access entries,
 * an OIDC provider and the Pod Identity agent, pinned managed add-ons, node pools from launch
 * templates that require IMDSv2 and encrypt the root volume, and a Kubernetes provider.
 */
export class Cluster extends pulumi.ComponentResource {
  /** The @pulumi/eks cluster. */
  public readonly cluster: eks.Cluster;
  /** Cluster name. */
  public readonly clusterName: pulumi.Output<string>;
  /** API server endpoint URL. */
  public readonly endpoint: pulumi.Output<string>;
  /** Cluster ARN. */
  public readonly arn: pulumi.Output<string>;
  /** OIDC provider ARN (IRSA). */
  public readonly oidcProviderArn: pulumi.Output<string>;
  /** OIDC issuer without scheme, e.g. `oidc.eks.eu-west-1.amazonaws.com/id/ABC`. */
  public readonly oidcIssuer: pulumi.Output<string>;
  /** Security group of the nodes (the EKS cluster security group). */
  public readonly nodeSecurityGroupId: pulumi.Output<string>;
  /** Kubeconfig (JSON), a secret: it names the cluster and its CA. */
  public readonly kubeconfig: pulumi.Output<string>;
  /** Customer KMS key: secrets envelope encryption, node volumes, control-plane logs. */
  public readonly key: aws.kms.Key;
  /** The node IAM role. */
  public readonly nodeRole: aws.iam.Role;
  /** Managed node groups by pool name. */
  public readonly nodeGroups: Record<string, eks.ManagedNodeGroup>;
  /** Kubernetes provider for later components. */
  public readonly provider: k8s.Provider;

  constructor(name: string, args: ClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:cluster:Cluster", name, {}, opts);
    checkClusterArgs(name, args);
    const tags = args.tags ?? {};
    const versions = addonVersions(args.kubernetesVersion);
    const identity = aws.getCallerIdentityOutput({}, { parent: this });
    const partition = aws.getPartitionOutput({}, { parent: this });
    // The stack's AWS provider (default tags) for the children of eks.Cluster / ManagedNodeGroup.
    const componentProviders = awsProviders(this);

    this.key = this.encryptionKey(name, args, identity.accountId, partition.partition, tags);
    const logGroup = this.controlPlaneLogGroup(name, args, tags);
    const roles = this.iamRoles(name, args, partition.partition, tags);
    this.nodeRole = roles.nodeRole;

    this.cluster = this.eksCluster(name, args, roles.serviceRole, {
      parent: this,
      dependsOn: [logGroup, ...roles.policyAttachments],
      ...componentProviders,
    });
    this.clusterName = this.cluster.eksCluster.name;
    this.endpoint = this.cluster.eksCluster.endpoint;
    this.arn = this.cluster.eksCluster.arn;
    this.oidcProviderArn = this.cluster.oidcProviderArn;
    this.oidcIssuer = this.cluster.oidcIssuer;
    this.nodeSecurityGroupId = this.cluster.eksCluster.vpcConfig.clusterSecurityGroupId;
    this.kubeconfig = pulumi.secret(this.cluster.kubeconfigJson);

    const apiAccess = this.apiAccessRules(name, args.apiAccessCidrs ?? [], tags);
    this.addon(name, "eks-pod-identity-agent", versions["eks-pod-identity-agent"], {}, tags);

    this.nodeGroups = {};
    for (const pool of args.nodePools) {
      this.nodeGroups[pool.name] = this.nodeGroup(name, args, pool, tags, componentProviders);
    }

    // CoreDNS after the node groups: its pods need a node to run on.
    this.addon(
      name,
      "coredns",
      versions.coredns,
      { configurationValues: JSON.stringify(corednsConfiguration) },
      tags,
      Object.values(this.nodeGroups),
    );

    // Kubernetes objects wait for the API access rules: `pulumi up` reaches the private endpoint through them.
    this.provider = kubernetesProvider(`${name}-k8s`, this.kubeconfig, {
      parent: this,
      dependsOn: apiAccess,
    });

    this.registerOutputs({
      clusterName: this.clusterName,
      endpoint: this.endpoint,
      arn: this.arn,
      oidcProviderArn: this.oidcProviderArn,
      nodeSecurityGroupId: this.nodeSecurityGroupId,
      kubeconfig: this.kubeconfig,
      key: this.key,
    });
  }

  /** The control-plane log group, created before the cluster so EKS writes into it instead of creating a never-expiring group. */
  private controlPlaneLogGroup(
    name: string,
    args: ClusterArgs,
    tags: Record<string, string>,
  ): aws.cloudwatch.LogGroup {
    return new aws.cloudwatch.LogGroup(
      `${name}-control-plane`,
      {
        name: `/aws/eks/${args.clusterName}/cluster`,
        retentionInDays: args.logRetentionDays,
        kmsKeyId: this.key.arn,
        tags: awsTags(`${name}-control-plane`, tags),
      },
      { parent: this, protect: args.protect },
    );
  }

  /**
   * The node role and our own cluster service role (the one @pulumi/eks would create trusts
   * eks.amazonaws.com from any account), with their AWS managed policies attached.
   */
  private iamRoles(
    name: string,
    args: ClusterArgs,
    partition: pulumi.Output<string>,
    tags: Record<string, string>,
  ): {
    nodeRole: aws.iam.Role;
    serviceRole: aws.iam.Role;
    policyAttachments: aws.iam.RolePolicyAttachment[];
  } {
    const nodeRole = this.serviceRoleFor(
      name,
      args,
      "node",
      "EKS managed node groups",
      "ec2.amazonaws.com",
      tags,
    );
    const nodePolicies = this.attachManaged(
      name,
      "node",
      nodeRole,
      clusterDefaults.nodeRolePolicies,
      partition,
    );
    const serviceRole = this.serviceRoleFor(
      name,
      args,
      "eks-service",
      "EKS control plane",
      "eks.amazonaws.com",
      tags,
    );
    const servicePolicies = this.attachManaged(
      name,
      "eks-service",
      serviceRole,
      clusterDefaults.serviceRolePolicies,
      partition,
    );
    return { nodeRole, serviceRole, policyAttachments: [...nodePolicies, ...servicePolicies] };
  }

  /**
   * The EKS cluster: private endpoint (public only with an allowlist), KMS envelope encryption,
   * every control-plane log type, API authentication mode with access entries (the node role's
   * first), an OIDC provider, no default node group or security groups, the VPC CNI and kube-proxy
   * add-ons at their pinned versions.
   */
  private eksCluster(
    name: string,
    args: ClusterArgs,
    serviceRole: aws.iam.Role,
    opts: pulumi.ComponentResourceOptions,
  ): eks.Cluster {
    const versions = addonVersions(args.kubernetesVersion);
    const publicAccess = args.endpointPublicAccess ?? false;
    return new eks.Cluster(
      `${name}-eks`,
      {
        name: args.clusterName,
        version: args.kubernetesVersion,
        vpcId: args.vpcId,
        privateSubnetIds: args.privateSubnetIds,
        endpointPrivateAccess: true,
        endpointPublicAccess: publicAccess,
        publicAccessCidrs: publicAccess ? [...(args.publicAccessCidrs ?? [])] : undefined,
        encryptionConfigKeyArn: this.key.arn,
        enabledClusterLogTypes: [...CONTROL_PLANE_LOG_TYPES],
        authenticationMode: "API",
        serviceRole,
        accessEntries: {
          [clusterDefaults.nodeAccessEntryName]: nodeAccessEntry(this.nodeRole.arn),
          ...accessEntriesInput(args.accessEntries ?? []),
        },
        createOidcProvider: true,
        skipDefaultNodeGroup: true,
        skipDefaultSecurityGroups: true,
        nodeAssociatePublicIpAddress: false,
        bootstrapSelfManagedAddons: false,
        deletionProtection: args.protect ?? false,
        // enableNetworkPolicy: the VPC CNI enforces NetworkPolicies (tenants' default deny) only with it.
        // https://docs.aws.amazon.com/eks/latest/userguide/cni-network-policy.html
        vpcCniOptions: { addonVersion: versions["vpc-cni"], enableNetworkPolicy: true },
        // CoreDNS is our own add-on, created after the node groups: inside eks.Cluster it would be
        // created before any node exists and stay DEGRADED until it times out (pulumi-eks#1819).
        corednsAddonOptions: { enabled: false },
        kubeProxyAddonOptions: { version: versions["kube-proxy"] },
        tags: awsTags(args.clusterName, args.tags ?? {}),
      },
      opts,
    );
  }

  /** The cluster's customer KMS key (and the Auto Scaling service-linked role its policy names). */
  private encryptionKey(
    name: string,
    args: ClusterArgs,
    accountId: pulumi.Output<string>,
    partition: pulumi.Output<string>,
    tags: Record<string, string>,
  ): aws.kms.Key {
    const autoScalingRole = args.createAutoScalingServiceLinkedRole
      ? new aws.iam.ServiceLinkedRole(
          `${name}-autoscaling`,
          {
            awsServiceName: "autoscaling.amazonaws.com",
            description: "EC2 Auto Scaling (created by the platform: the cluster key policy names it)",
            tags: awsTags(`${name}-autoscaling`, tags),
          },
          { parent: this, retainOnDelete: true },
        )
      : undefined;

    const key = new aws.kms.Key(
      `${name}-key`,
      {
        description: `${args.clusterName}: EKS secrets, node volumes and control-plane logs`,
        enableKeyRotation: true,
        deletionWindowInDays: clusterDefaults.kmsDeletionWindowDays,
        policy: pulumi.all([accountId, partition]).apply(([accountId, part]) =>
          JSON.stringify(
            kmsKeyPolicy({
              accountId,
              partition: part,
              region: args.region,
              cloudWatchLogs: true,
              autoScaling: true,
            }),
          ),
        ),
        tags: awsTags(`${name}-key`, tags),
      },
      { parent: this, protect: args.protect, dependsOn: autoScalingRole ? [autoScalingRole] : [] },
    );
    new aws.kms.Alias(
      `${name}-key`,
      { name: `alias/${args.clusterName}`, targetKeyId: key.keyId },
      { parent: this },
    );

    return key;
  }

  /** An IAM role that one AWS service assumes, limited to this account. */
  private serviceRoleFor(
    name: string,
    args: ClusterArgs,
    suffix: string,
    purpose: string,
    service: string,
    tags: Record<string, string>,
  ): aws.iam.Role {
    const accountId = aws.getCallerIdentityOutput({}, { parent: this }).accountId;
    return new aws.iam.Role(
      `${name}-${suffix}`,
      {
        description: `${args.clusterName}: ${purpose}`,
        assumeRolePolicy: accountId.apply((id) => JSON.stringify(serviceTrustPolicy(service, id))),
        tags: awsTags(`${name}-${suffix}`, tags),
      },
      { parent: this },
    );
  }

  /** Attaches AWS managed policies to a role. */
  private attachManaged(
    name: string,
    suffix: string,
    role: aws.iam.Role,
    policies: readonly string[],
    partition: pulumi.Output<string>,
  ): aws.iam.RolePolicyAttachment[] {
    return policies.map(
      (policy) =>
        new aws.iam.RolePolicyAttachment(
          `${name}-${suffix}-${policy}`,
          { role: role.name, policyArn: pulumi.interpolate`arn:${partition}:iam::aws:policy/${policy}` },
          { parent: this },
        ),
    );
  }

  /** Ingress to the private API (443) from each admitted CIDR. */
  private apiAccessRules(
    name: string,
    cidrs: readonly string[],
    tags: Record<string, string>,
  ): aws.vpc.SecurityGroupIngressRule[] {
    return cidrs.map(
      (cidr, i) =>
        new aws.vpc.SecurityGroupIngressRule(
          `${name}-api-access-${i}`,
          {
            securityGroupId: this.nodeSecurityGroupId,
            description: `Kubernetes API (443) from ${cidr}: deployment and operator access`,
            ipProtocol: "tcp",
            fromPort: 443,
            toPort: 443,
            cidrIpv4: cidr,
            tags: awsTags(`${name}-api-access-${i}`, tags),
          },
          { parent: this },
        ),
    );
  }

  /** An EKS managed add-on of this cluster at its pinned version. */
  private addon(
    name: string,
    addonName: string,
    addonVersion: string,
    extra: Partial<aws.eks.AddonArgs>,
    tags: Record<string, string>,
    dependsOn: pulumi.Resource[] = [],
  ): aws.eks.Addon {
    const suffix = addonName === "eks-pod-identity-agent" ? "pod-identity-agent" : addonName;
    return new aws.eks.Addon(
      `${name}-${suffix}`,
      {
        clusterName: this.clusterName,
        addonName,
        addonVersion,
        resolveConflictsOnCreate: "OVERWRITE",
        resolveConflictsOnUpdate: "OVERWRITE",
        ...extra,
        tags: awsTags(`${name}-${suffix}`, tags),
      },
      { parent: this, dependsOn },
    );
  }

  /** One node pool: its launch template (IMDSv2, encrypted root volume) and managed node group. */
  private nodeGroup(
    name: string,
    args: ClusterArgs,
    pool: NodePoolArgs,
    tags: Record<string, string>,
    componentProviders: pulumi.ComponentResourceOptions,
  ): eks.ManagedNodeGroup {
    const { labels, taints } = nodePoolPlacement(pool);
    const launchTemplate = new aws.ec2.LaunchTemplate(
      `${name}-${pool.name}`,
      {
        description: `${args.clusterName} node pool ${pool.name}: IMDSv2, encrypted root volume`,
        updateDefaultVersion: true,
        metadataOptions: {
          httpEndpoint: "enabled",
          httpTokens: "required",
          httpPutResponseHopLimit: args.metadataHopLimit ?? clusterDefaults.metadataHopLimit,
        },
        blockDeviceMappings: [
          {
            deviceName: "/dev/xvda",
            ebs: {
              volumeSize: pool.diskSizeGiB,
              volumeType: "gp3",
              encrypted: "true",
              kmsKeyId: this.key.arn,
              deleteOnTermination: "true",
            },
          },
        ],
        tagSpecifications: ["instance", "volume"].map((resourceType) => ({
          resourceType,
          tags: awsTags(`${args.clusterName}-${pool.name}`, tags),
        })),
        tags: awsTags(`${name}-${pool.name}`, tags),
      },
      { parent: this },
    );
    return new eks.ManagedNodeGroup(
      `${name}-${pool.name}`,
      {
        cluster: this.cluster,
        nodeGroupName: pool.name,
        nodeRole: this.nodeRole,
        subnetIds: args.privateSubnetIds,
        instanceTypes: [...pool.instanceTypes],
        amiType: pool.amiType,
        capacityType: pool.capacityType,
        scalingConfig: { minSize: pool.minSize, desiredSize: pool.desiredSize, maxSize: pool.maxSize },
        // With an autoscaler on, the desired size is its business after creation.
        ignoreScalingChanges: args.autoscaler ?? false,
        labels,
        taints: taints.map((t) => ({ key: t.key, value: t.value, effect: t.effect })),
        launchTemplate: {
          id: launchTemplate.id,
          version: pulumi.interpolate`${launchTemplate.latestVersion}`,
        },
        tags: awsTags(`${args.clusterName}-${pool.name}`, tags),
      },
      { parent: this, ...componentProviders },
    );
  }
}
