/**
 * Pure logic of the Karpenter add-on: pinned charts per Kubernetes version, the controller's IAM
 * policy, the interruption queue's policy and event rules, the Helm values, and the EC2NodeClass and
 * NodePool manifests. Value keys follow the chart's values.yaml at the pinned version.
 * https://karpenter.sh/docs/
 */
import type { KarpenterNodePoolConfig } from "../../stacks/karpenter-schema";
import type { PolicyDocument, PolicyStatement } from "../shared/aws";
import type { ChartPin } from "../shared/helm";
import { replicasFor } from "../shared/kubernetes";

/** The Karpenter release that supports each Kubernetes minor version. https://karpenter.sh/docs/upgrading/compatibility/ */
export const KARPENTER_VERSIONS: Readonly<Record<string, string>> = {
  "1.34": "1.14.1",
  "1.35": "1.14.1",
};

/** Karpenter's OCI chart registry (public ECR). */
const KARPENTER_REGISTRY = "oci://public.ecr.aws/karpenter";

/**
 * The pinned `karpenter` and `karpenter-crd` charts for a Kubernetes version.
 * @throws Error naming the version and the supported ones when none is pinned.
 */
export function karpenterCharts(kubernetesVersion: string): { controller: ChartPin; crds: ChartPin } {
  const version = KARPENTER_VERSIONS[kubernetesVersion];
  if (!version) {
    throw new Error(
      `Kubernetes ${kubernetesVersion} has no pinned Karpenter version (supported: ${Object.keys(KARPENTER_VERSIONS).join(", ")})`,
    );
  }
  return {
    controller: { chart: `${KARPENTER_REGISTRY}/karpenter`, version, repo: "" },
    crds: { chart: `${KARPENTER_REGISTRY}/karpenter-crd`, version, repo: "" },
  };
}

/** Module defaults of the add-on. */
export const karpenterDefaults = {
  /** Namespace of the controller (upstream's recommendation since v1). */
  namespace: "kube-system",
  /** Its ServiceAccount, the subject of the Pod Identity association. */
  serviceAccount: "karpenter",
  /** Requests and limits of the controller container. */
  resources: { requests: { cpu: "250m", memory: "512Mi" }, limits: { memory: "1Gi" } },
  /** Managed policies of the node role Karpenter's nodes use (as the managed node groups'). */
  nodeRolePolicies: [
    "AmazonEKSWorkerNodePolicy",
    "AmazonEC2ContainerRegistryPullOnly",
    "AmazonEKS_CNI_Policy",
  ],
  /** How long the interruption queue keeps a message, seconds (events are stale after that). */
  queueRetentionSeconds: 300,
  /** Name of the one EC2NodeClass every NodePool uses. */
  nodeClassName: "default",
} as const;

/** The AMI families the platform supports for Karpenter nodes. */
export type KarpenterAmiFamily = "AL2023" | "Bottlerocket";

/** Names the controller's IAM policy is scoped by. */
export interface KarpenterPolicyArgs {
  readonly partition: string;
  readonly region: string;
  readonly accountId: string;
  readonly clusterName: string;
  /** ARN of the interruption queue. */
  readonly queueArn: string;
  /** ARN of the node role Karpenter passes to its instances. */
  readonly nodeRoleArn: string;
  /** ARN of the cluster KMS key that encrypts the nodes' volumes. */
  readonly keyArn: string;
}

/**
 * The region the AWS Price List API is called in for a cluster region (Karpenter's own choice:
 * ap-south-1 for ap-*, eu-central-1 for eu-*, cn-northwest-1 for cn-*, us-east-1 otherwise).
 */
export function pricingRegion(region: string): string {
  if (region.startsWith("ap-")) return "ap-south-1";
  if (region.startsWith("eu-")) return "eu-central-1";
  if (region.startsWith("cn-")) return "cn-northwest-1";
  return "us-east-1";
}

/** The names and ARN builders every group of controller statements is scoped by. */
interface PolicyScope {
  readonly args: KarpenterPolicyArgs;
  /** An EC2 ARN in the region, any account: `arn:<p>:ec2:<r>:*:<resource>`. */
  readonly ec2: (resource: string) => string;
  /** The cluster ownership tag key, `kubernetes.io/cluster/<cluster>`. */
  readonly owned: string;
  /** ARNs of what an EC2 launch creates. */
  readonly launched: string[];
  /** ARN pattern of the account's instance profiles. */
  readonly instanceProfiles: string;
}

/**
 * Node lifecycle (upstream `KarpenterControllerNodeLifecyclePolicy`): EC2 launches only with the
 * cluster's `owned` and NodePool tags, tagging only at creation or of its own instances, deletion
 * only of what it tagged.
 */
function nodeLifecycleStatements({ args, ec2, owned, launched }: PolicyScope): PolicyStatement[] {
  const { partition: p, region: r, clusterName } = args;
  return [
    {
      Sid: "AllowScopedEC2InstanceAccessActions",
      Effect: "Allow",
      Action: ["ec2:RunInstances", "ec2:CreateFleet"],
      Resource: [
        `arn:${p}:ec2:${r}::image/*`,
        `arn:${p}:ec2:${r}::snapshot/*`,
        ec2("security-group/*"),
        ec2("subnet/*"),
        ec2("capacity-reservation/*"),
      ],
    },
    {
      Sid: "AllowScopedEC2LaunchTemplateAccessActions",
      Effect: "Allow",
      Action: ["ec2:RunInstances", "ec2:CreateFleet"],
      Resource: ec2("launch-template/*"),
      Condition: {
        StringEquals: { [`aws:ResourceTag/${owned}`]: "owned" },
        StringLike: { "aws:ResourceTag/karpenter.sh/nodepool": "*" },
      },
    },
    {
      Sid: "AllowScopedEC2InstanceActionsWithTags",
      Effect: "Allow",
      Action: ["ec2:RunInstances", "ec2:CreateFleet", "ec2:CreateLaunchTemplate"],
      Resource: launched,
      Condition: {
        StringEquals: {
          [`aws:RequestTag/${owned}`]: "owned",
          "aws:RequestTag/eks:eks-cluster-name": clusterName,
        },
        StringLike: { "aws:RequestTag/karpenter.sh/nodepool": "*" },
      },
    },
    {
      Sid: "AllowScopedResourceCreationTagging",
      Effect: "Allow",
      Action: "ec2:CreateTags",
      Resource: launched,
      Condition: {
        StringEquals: {
          [`aws:RequestTag/${owned}`]: "owned",
          "aws:RequestTag/eks:eks-cluster-name": clusterName,
          "ec2:CreateAction": ["RunInstances", "CreateFleet", "CreateLaunchTemplate"],
        },
        StringLike: { "aws:RequestTag/karpenter.sh/nodepool": "*" },
      },
    },
    {
      Sid: "AllowScopedResourceTagging",
      Effect: "Allow",
      Action: "ec2:CreateTags",
      Resource: ec2("instance/*"),
      Condition: {
        StringEquals: { [`aws:ResourceTag/${owned}`]: "owned" },
        StringLike: { "aws:ResourceTag/karpenter.sh/nodepool": "*" },
        StringEqualsIfExists: { "aws:RequestTag/eks:eks-cluster-name": clusterName },
        "ForAllValues:StringEquals": {
          "aws:TagKeys": ["eks:eks-cluster-name", "karpenter.sh/nodeclaim", "Name"],
        },
      },
    },
    {
      Sid: "AllowScopedDeletion",
      Effect: "Allow",
      Action: ["ec2:TerminateInstances", "ec2:DeleteLaunchTemplate"],
      Resource: [ec2("instance/*"), ec2("launch-template/*")],
      Condition: {
        StringEquals: { [`aws:ResourceTag/${owned}`]: "owned" },
        StringLike: { "aws:ResourceTag/karpenter.sh/nodepool": "*" },
      },
    },
  ];
}

/** Resource discovery (upstream `KarpenterControllerResourceDiscoveryPolicy`): EC2 reads bound to the region, public SSM parameters, prices. */
function resourceDiscoveryStatements({ args }: PolicyScope): PolicyStatement[] {
  const { partition: p, region: r } = args;
  return [
    {
      Sid: "AllowRegionalReadActions",
      Effect: "Allow",
      Action: [
        "ec2:DescribeAvailabilityZones",
        "ec2:DescribeCapacityReservations",
        "ec2:DescribeImages",
        "ec2:DescribeInstances",
        "ec2:DescribeInstanceTypeOfferings",
        "ec2:DescribeInstanceTypes",
        "ec2:DescribeLaunchTemplates",
        "ec2:DescribeSecurityGroups",
        "ec2:DescribeSpotPriceHistory",
        "ec2:DescribeSubnets",
      ],
      Resource: "*",
      Condition: { StringEquals: { "aws:RequestedRegion": r } },
    },
    {
      Sid: "AllowSSMReadActions",
      Effect: "Allow",
      Action: "ssm:GetParameter",
      Resource: `arn:${p}:ssm:${r}::parameter/aws/service/*`,
    },
    {
      Sid: "AllowPricingReadActions",
      Effect: "Allow",
      Action: "pricing:GetProducts",
      Resource: "*",
      Condition: { StringEquals: { "aws:RequestedRegion": pricingRegion(r) } },
    },
  ];
}

/** Interruption handling (upstream `KarpenterControllerInterruptionPolicy`): read and delete the queue's messages. */
function interruptionStatements({ args }: PolicyScope): PolicyStatement[] {
  return [
    {
      Sid: "AllowInterruptionQueueActions",
      Effect: "Allow",
      Action: ["sqs:DeleteMessage", "sqs:GetQueueUrl", "sqs:ReceiveMessage"],
      Resource: args.queueArn,
    },
  ];
}

/** IAM integration (upstream `KarpenterControllerIAMIntegrationPolicy`): PassRole of its node role only, instance profiles tagged for the cluster and region. */
function iamIntegrationStatements({ args, owned, instanceProfiles }: PolicyScope): PolicyStatement[] {
  const { region: r, clusterName } = args;
  return [
    {
      Sid: "AllowPassingInstanceRole",
      Effect: "Allow",
      Action: "iam:PassRole",
      Resource: args.nodeRoleArn,
      Condition: { StringEquals: { "iam:PassedToService": "ec2.amazonaws.com" } },
    },
    {
      Sid: "AllowScopedInstanceProfileCreationActions",
      Effect: "Allow",
      Action: "iam:CreateInstanceProfile",
      Resource: instanceProfiles,
      Condition: {
        StringEquals: {
          [`aws:RequestTag/${owned}`]: "owned",
          "aws:RequestTag/eks:eks-cluster-name": clusterName,
          "aws:RequestTag/topology.kubernetes.io/region": r,
        },
        StringLike: { "aws:RequestTag/karpenter.k8s.aws/ec2nodeclass": "*" },
      },
    },
    {
      Sid: "AllowScopedInstanceProfileTagActions",
      Effect: "Allow",
      Action: "iam:TagInstanceProfile",
      Resource: instanceProfiles,
      Condition: {
        StringEquals: {
          [`aws:ResourceTag/${owned}`]: "owned",
          "aws:ResourceTag/topology.kubernetes.io/region": r,
          [`aws:RequestTag/${owned}`]: "owned",
          "aws:RequestTag/eks:eks-cluster-name": clusterName,
          "aws:RequestTag/topology.kubernetes.io/region": r,
        },
        StringLike: {
          "aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass": "*",
          "aws:RequestTag/karpenter.k8s.aws/ec2nodeclass": "*",
        },
      },
    },
    {
      Sid: "AllowScopedInstanceProfileActions",
      Effect: "Allow",
      Action: [
        "iam:AddRoleToInstanceProfile",
        "iam:RemoveRoleFromInstanceProfile",
        "iam:DeleteInstanceProfile",
      ],
      Resource: instanceProfiles,
      Condition: {
        StringEquals: {
          [`aws:ResourceTag/${owned}`]: "owned",
          "aws:ResourceTag/topology.kubernetes.io/region": r,
        },
        StringLike: { "aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass": "*" },
      },
    },
    {
      Sid: "AllowInstanceProfileReadActions",
      Effect: "Allow",
      Action: ["iam:GetInstanceProfile", "iam:ListInstanceProfiles"],
      Resource: instanceProfiles,
    },
  ];
}

/** EKS integration (upstream `KarpenterControllerEKSIntegrationPolicy`): discover the API server endpoint. */
function eksIntegrationStatements({ args }: PolicyScope): PolicyStatement[] {
  const { partition: p, region: r, accountId, clusterName } = args;
  return [
    {
      Sid: "AllowAPIServerEndpointDiscovery",
      Effect: "Allow",
      Action: "eks:DescribeCluster",
      Resource: `arn:${p}:eks:${r}:${accountId}:cluster/${clusterName}`,
    },
  ];
}

/** The cluster's KMS key (not upstream: our node volumes use a customer key), only through EC2. */
function clusterKeyStatements({ args }: PolicyScope): PolicyStatement[] {
  const { region: r } = args;
  return [
    {
      // Launching with volumes encrypted by the cluster's customer key needs grants on it, only via EC2.
      Sid: "AllowEncryptedVolumesWithClusterKey",
      Effect: "Allow",
      Action: [
        "kms:CreateGrant",
        "kms:Decrypt",
        "kms:DescribeKey",
        "kms:GenerateDataKeyWithoutPlaintext",
        "kms:ReEncrypt*",
      ],
      Resource: args.keyArn,
      Condition: { StringEquals: { "kms:ViaService": `ec2.${r}.amazonaws.com` } },
    },
  ];
}

/**
 * The Karpenter controller's least-privilege policy (Karpenter v1's reference
 * `KarpenterControllerPolicy`): EC2 launches only with the cluster's `owned` and NodePool tags,
 * deletion only of what it tagged, reads bound to the region, PassRole of its node role only,
 * instance profiles tagged for the cluster and region, the cluster's KMS key only through EC2.
 * https://karpenter.sh/docs/reference/cloudformation/
 */
export function karpenterControllerPolicy(args: KarpenterPolicyArgs): PolicyDocument {
  const { partition: p, region: r, accountId, clusterName } = args;
  const ec2 = (resource: string) => `arn:${p}:ec2:${r}:*:${resource}`;
  const scope: PolicyScope = {
    args,
    ec2,
    owned: `kubernetes.io/cluster/${clusterName}`,
    launched: [
      "fleet/*",
      "instance/*",
      "volume/*",
      "network-interface/*",
      "launch-template/*",
      "spot-instances-request/*",
    ].map(ec2),
    instanceProfiles: `arn:${p}:iam::${accountId}:instance-profile/*`,
  };
  return {
    Version: "2012-10-17",
    Statement: [
      ...nodeLifecycleStatements(scope),
      ...resourceDiscoveryStatements(scope),
      ...interruptionStatements(scope),
      ...iamIntegrationStatements(scope),
      ...eksIntegrationStatements(scope),
      ...clusterKeyStatements(scope),
    ],
  };
}

/**
 * The EventBridge rules that feed the interruption queue: Spot interruption warnings, rebalance
 * recommendations, instance state changes and AWS Health scheduled changes.
 * https://karpenter.sh/docs/concepts/disruption/#interruption
 */
export const INTERRUPTION_EVENT_PATTERNS: Readonly<
  Record<string, { source: string[]; "detail-type": string[] }>
> = {
  "spot-interruption": { source: ["aws.ec2"], "detail-type": ["EC2 Spot Instance Interruption Warning"] },
  rebalance: { source: ["aws.ec2"], "detail-type": ["EC2 Instance Rebalance Recommendation"] },
  "instance-state-change": { source: ["aws.ec2"], "detail-type": ["EC2 Instance State-change Notification"] },
  "scheduled-change": { source: ["aws.health"], "detail-type": ["AWS Health Event"] },
};

/** The interruption queue's name: `Karpenter-<cluster>`, cut to SQS's 80 characters. */
export function interruptionQueueName(clusterName: string): string {
  return `Karpenter-${clusterName}`.slice(0, 80);
}

/**
 * The interruption queue's resource policy: EventBridge may send only from the platform's rules,
 * and every request must use TLS.
 */
export function interruptionQueuePolicy(queueArn: string, ruleArns: readonly string[]): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "EventBridgeRules",
        Effect: "Allow",
        Principal: { Service: "events.amazonaws.com" },
        Action: "sqs:SendMessage",
        Resource: queueArn,
        Condition: { ArnEquals: { "aws:SourceArn": [...ruleArns] } },
      },
      {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: { AWS: "*" },
        Action: "sqs:*",
        Resource: queueArn,
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
    ],
  };
}

/** Values of the karpenter chart. */
export function karpenterValues(args: {
  clusterName: string;
  interruptionQueue: string;
  production: boolean;
}): Record<string, unknown> {
  const replicas = replicasFor(args.production);
  return {
    replicas,
    podDisruptionBudget: { name: "karpenter", maxUnavailable: 1 },
    serviceAccount: { create: true, name: karpenterDefaults.serviceAccount },
    // On the system pool (tolerate its taint, prefer its label), never on nodes Karpenter manages.
    tolerations: [{ key: "CriticalAddonsOnly", operator: "Exists" }],
    affinity: {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [
            { matchExpressions: [{ key: "karpenter.sh/nodepool", operator: "DoesNotExist" }] },
          ],
        },
        preferredDuringSchedulingIgnoredDuringExecution: [
          {
            weight: 100,
            preference: { matchExpressions: [{ key: "node-role", operator: "In", values: ["system"] }] },
          },
        ],
      },
      podAntiAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: "kubernetes.io/hostname" }],
      },
    },
    controller: { resources: karpenterDefaults.resources },
    settings: { clusterName: args.clusterName, interruptionQueue: args.interruptionQueue },
  };
}

/** The shared EC2NodeClass settings. */
export interface NodeClassArgs {
  readonly clusterName: string;
  /** Name of the node role (Karpenter creates the instance profile). */
  readonly nodeRoleName: string;
  readonly amiFamily: KarpenterAmiFamily;
  /** AMI release: `latest` or a release such as `v20250101` (AL2023) / `v1.30.0` (Bottlerocket). */
  readonly amiVersion: string;
  /** Root (AL2023) or data (Bottlerocket) volume size, GiB. */
  readonly diskSizeGiB: number;
  /** IMDSv2 response hop limit. */
  readonly metadataHopLimit: number;
  /** ARN of the KMS key that encrypts every volume. */
  readonly keyArn: string;
  /** Tags of the instances, volumes and interfaces Karpenter launches. */
  readonly tags: Record<string, string>;
}

/**
 * The EC2NodeClass every NodePool uses: AMI by alias, private subnets and the cluster security group
 * selected by the tags the networking component and EKS put on them, IMDSv2 required, encrypted gp3
 * volumes with the cluster KMS key.
 * https://karpenter.sh/docs/concepts/nodeclasses/
 */
export function ec2NodeClassSpec(args: NodeClassArgs): Record<string, unknown> {
  const ebs = (volumeSize: number) => ({
    volumeSize: `${volumeSize}Gi`,
    volumeType: "gp3",
    encrypted: true,
    kmsKeyID: args.keyArn,
    deleteOnTermination: true,
  });
  const blockDeviceMappings =
    args.amiFamily === "Bottlerocket"
      ? [
          { deviceName: "/dev/xvda", ebs: ebs(4) },
          { deviceName: "/dev/xvdb", ebs: ebs(args.diskSizeGiB) },
        ]
      : [{ deviceName: "/dev/xvda", ebs: ebs(args.diskSizeGiB) }];
  return {
    role: args.nodeRoleName,
    amiSelectorTerms: [{ alias: `${args.amiFamily.toLowerCase()}@${args.amiVersion}` }],
    subnetSelectorTerms: [
      {
        tags: {
          [`kubernetes.io/cluster/${args.clusterName}`]: "shared",
          "kubernetes.io/role/internal-elb": "1",
        },
      },
    ],
    securityGroupSelectorTerms: [{ tags: { "aws:eks:cluster-name": args.clusterName } }],
    associatePublicIPAddress: false,
    metadataOptions: {
      httpEndpoint: "enabled",
      httpProtocolIPv6: "disabled",
      httpPutResponseHopLimit: args.metadataHopLimit,
      httpTokens: "required",
    },
    blockDeviceMappings,
    tags: args.tags,
  };
}

/** One NodePool: a `platform:karpenter.nodePools` entry as the schema returns it (stacks/karpenter-schema.ts). */
export type KarpenterNodePoolArgs = KarpenterNodePoolConfig;

/** The NodePool spec. https://karpenter.sh/docs/concepts/nodepools/ */
export function nodePoolSpec(pool: KarpenterNodePoolArgs, nodeClassName: string): Record<string, unknown> {
  const requirements: Record<string, unknown>[] = [
    { key: "karpenter.sh/capacity-type", operator: "In", values: [...pool.capacityTypes] },
    { key: "kubernetes.io/arch", operator: "In", values: [...pool.architectures] },
    { key: "kubernetes.io/os", operator: "In", values: ["linux"] },
  ];
  if (pool.instanceTypes && pool.instanceTypes.length > 0) {
    requirements.push({
      key: "node.kubernetes.io/instance-type",
      operator: "In",
      values: [...pool.instanceTypes],
    });
  } else {
    requirements.push(
      { key: "karpenter.k8s.aws/instance-category", operator: "In", values: [...pool.instanceCategories] },
      {
        key: "karpenter.k8s.aws/instance-generation",
        operator: "Gt",
        values: [String(pool.minInstanceGeneration - 1)],
      },
    );
  }
  return {
    template: {
      metadata: { labels: { ...pool.labels } },
      spec: {
        nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: nodeClassName },
        requirements,
        taints: pool.taints.map((t) => ({ ...t })),
        expireAfter: pool.expireAfter,
      },
    },
    limits: { cpu: String(pool.cpuLimit), memory: `${pool.memoryLimitGiB}Gi` },
    disruption: { consolidationPolicy: pool.consolidationPolicy, consolidateAfter: pool.consolidateAfter },
    ...(pool.weight !== undefined ? { weight: pool.weight } : {}),
  };
}
