/**
 * The core keys of the stack configuration: role, environment, network, cluster, node pools and
 * access entries. Capability modules read these through {@link CoreConfig} without importing the
 * assembled configuration (stacks/config.ts), so no import cycle arises.
 * Reference: https://www.pulumi.com/docs/iac/concepts/config/
 */
import { z } from "zod";
import { DEFAULT_KUBERNETES_VERSION, SUPPORTED_KUBERNETES_VERSIONS } from "../components/cluster/versions";
import { ACCESS_POLICY_NAMES } from "../components/shared/eks";
import {
  AMI_ARCHITECTURES,
  INSTANCE_TYPES,
  MAX_MANAGED_NODE_GROUPS,
  type AmiType,
  instanceArchitecture,
} from "./aws-catalog";
import {
  boolean,
  isPrivateOrSharedCidr,
  isRfc1918Cidr,
  knownNameExpectation,
  tagProblem,
  iamPrincipalArn,
  integer,
  ipv4Cidr,
  isCidr,
  kubernetesName,
  retentionDays,
  structured,
} from "./schema";

// ---------------------------------------------------------------------------------------------
// Node pools and access entries

/** A Kubernetes taint on a node pool. https://docs.aws.amazon.com/eks/latest/userguide/node-taints-managed-node-groups.html */
const taintSchema = z.strictObject({
  key: z.string().min(1),
  value: z.string().optional(),
  effect: z.enum(["NO_SCHEDULE", "NO_EXECUTE", "PREFER_NO_SCHEDULE"], {
    error: "a taint effect: NO_SCHEDULE, NO_EXECUTE or PREFER_NO_SCHEDULE",
  }),
});

/**
 * One EKS managed node group.
 * https://docs.aws.amazon.com/eks/latest/userguide/managed-node-groups.html
 */
export const nodePoolSchema = z
  .strictObject({
    /** Node group name, unique in the cluster. */
    name: kubernetesName(),
    /** EC2 instance types the AWS provider knows, e.g. ["t3.medium"], all of the AMI type's architecture. */
    instanceTypes: z
      .array(
        z.string().refine((t) => INSTANCE_TYPES.has(t), {
          error: (issue) =>
            knownNameExpectation(
              "EC2 instance type",
              String(issue.input),
              [...INSTANCE_TYPES],
              "such as t3.medium",
            ),
        }),
      )
      .min(1, { error: "at least one EC2 instance type" }),
    /** EKS AMI type. @default "AL2023_x86_64_STANDARD" */
    amiType: z
      .enum(Object.keys(AMI_ARCHITECTURES) as [AmiType, ...AmiType[]], {
        error: `an EKS AMI type: ${Object.keys(AMI_ARCHITECTURES).join(", ")}`,
      })
      .default("AL2023_x86_64_STANDARD"),
    /** ON_DEMAND or SPOT. @default "ON_DEMAND" */
    capacityType: z.enum(["ON_DEMAND", "SPOT"], { error: "ON_DEMAND or SPOT" }).default("ON_DEMAND"),
    minSize: z.number().int().min(0),
    desiredSize: z.number().int().min(0),
    maxSize: z.number().int().min(1),
    /** Root volume size in GiB (gp3, encrypted with the cluster KMS key). @default 50 */
    diskSizeGiB: z.number().int().min(20).max(16384).default(50),
    /** Kubernetes node labels. @default {} */
    labels: z.record(z.string(), z.string()).default({}),
    /** Kubernetes taints. @default [] */
    taints: z.array(taintSchema).default([]),
    /** A system pool gets the `CriticalAddonsOnly` taint and the `node-role=system` label. @default false */
    system: z.boolean().default(false),
  })
  .superRefine((pool, ctx) => {
    const amiArchitecture = AMI_ARCHITECTURES[pool.amiType];
    pool.instanceTypes.forEach((type, i) => {
      const architecture = instanceArchitecture(type);
      if (architecture === undefined)
        ctx.addIssue({
          code: "custom",
          path: ["instanceTypes", i],
          input: type,
          message: "an instance type EKS managed node groups support (Mac instances are not)",
        });
      else if (architecture !== amiArchitecture)
        ctx.addIssue({
          code: "custom",
          path: ["instanceTypes", i],
          input: type,
          message: `an ${amiArchitecture} instance type for amiType ${pool.amiType} (${type} is ${architecture}; use an ${architecture === "arm64" ? "ARM_64" : "x86_64"} AMI type or another instance type)`,
        });
    });
    if (!(pool.minSize <= pool.desiredSize && pool.desiredSize <= pool.maxSize)) {
      ctx.addIssue({
        code: "custom",
        path: ["minSize"],
        message: `minSize <= desiredSize <= maxSize (got ${pool.minSize} / ${pool.desiredSize} / ${pool.maxSize})`,
      });
    }
  });
/** A `platform:nodePools` entry as validated: the arguments of a managed node group (components/cluster). */
export type NodePoolConfig = z.output<typeof nodePoolSchema>;
/** A node pool taint as validated. */
export type NodeTaintConfig = z.output<typeof taintSchema>;

/**
 * One EKS access entry: an IAM principal and the access policy it gets, cluster-wide or for some
 * namespaces. https://docs.aws.amazon.com/eks/latest/userguide/access-entries.html
 */
const accessEntrySchema = z.strictObject({
  /** Entry name (a key in the cluster's accessEntries map). */
  name: z.string().regex(/^[a-zA-Z][a-zA-Z0-9-]*$/, { error: "a name of letters, digits and '-'" }),
  principalArn: iamPrincipalArn(),
  accessPolicy: z.enum(ACCESS_POLICY_NAMES, { error: `one of ${ACCESS_POLICY_NAMES.join(", ")}` }),
  /** Namespaces the policy is scoped to; empty or absent means cluster scope. @default [] */
  namespaces: z.array(kubernetesName()).default([]),
  /** Kubernetes groups the principal maps to (for RBAC beyond the access policy). @default [] */
  kubernetesGroups: z.array(z.string()).default([]),
});
export type AccessEntryConfig = z.infer<typeof accessEntrySchema>;

/** Default node pools: a tainted system pool for critical add-ons and a general workload pool. */
const DEFAULT_NODE_POOLS: NodePoolConfig[] = [
  {
    name: "system",
    instanceTypes: ["m6i.large"],
    amiType: "AL2023_x86_64_STANDARD",
    capacityType: "ON_DEMAND",
    minSize: 2,
    desiredSize: 2,
    maxSize: 3,
    diskSizeGiB: 50,
    labels: {},
    taints: [],
    system: true,
  },
  {
    name: "general",
    instanceTypes: ["m6i.large"],
    amiType: "AL2023_x86_64_STANDARD",
    capacityType: "ON_DEMAND",
    minSize: 2,
    desiredSize: 3,
    maxSize: 6,
    diskSizeGiB: 50,
    labels: {},
    taints: [],
    system: false,
  },
];

/** Interface/gateway VPC endpoints a private cluster may need. https://docs.aws.amazon.com/eks/latest/userguide/private-clusters.html */
const VPC_ENDPOINT_SERVICES = [
  "s3",
  "ecr.api",
  "ecr.dkr",
  "sts",
  "logs",
  "ec2",
  "elasticloadbalancing",
  "eks",
  "eks-auth",
] as const;

// ---------------------------------------------------------------------------------------------
// The schema of the `platform` namespace

/** Core keys (foundation): role, environment, network, cluster; each with its default and `.describe()` text. */
export const coreSchema = {
  role: z
    .enum(["hub", "spoke"], { error: "hub or spoke" })
    .describe("Stack role: hub (management cluster) or spoke (workload cluster). Required."),
  environment: z
    .enum(["production", "staging", "development"], { error: "production, staging or development" })
    .default("development")
    .describe(
      "production, staging or development; production means NAT per AZ, Retain volumes, protected stateful resources.",
    ),
  clusterName: z
    .string()
    .regex(/^[a-zA-Z][a-zA-Z0-9_-]{0,99}$/, {
      error: "a cluster name of letters, digits, '-' and '_' (max 100)",
    })
    .optional()
    .describe("EKS cluster name. Not set means <project>-<stack>."),
  kubernetesVersion: z
    .string()
    .refine((v) => !/^\d+\.\d$/.test(v), {
      error: (issue) =>
        `a Kubernetes minor version written as text such as "1.35" (YAML reads an unquoted 1.${String(issue.input).split(".")[1]}0 as the number ${String(issue.input)}: quote the version)`,
      abort: true,
    })
    .regex(/^1\.\d{2}$/, { error: "a Kubernetes minor version such as 1.35" })
    .refine((v) => SUPPORTED_KUBERNETES_VERSIONS.includes(v), {
      error: `a supported Kubernetes version (${SUPPORTED_KUBERNETES_VERSIONS.join(", ")})`,
    })
    .default(DEFAULT_KUBERNETES_VERSION)
    .describe(
      "Kubernetes minor version of the EKS cluster, quoted (a version with pinned add-ons, see components/cluster/versions.ts). https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html",
    ),
  vpcCidr: ipv4Cidr()
    .refine(
      (v) => {
        const prefix = Number(v.split("/")[1]);
        return prefix >= 16 && prefix <= 20;
      },
      { error: "a VPC CIDR block with a prefix between /16 and /20", abort: true },
    )
    .refine(isRfc1918Cidr, {
      error:
        "a private (RFC 1918) block inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16 (public addresses would clash with the internet services they belong to)",
    })
    .describe(
      "IPv4 CIDR block of the VPC, prefix /16 to /20, in RFC 1918 private space (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16); must not overlap the hub or other spokes. Required.",
    ),
  availabilityZoneCount: integer(2, 6)
    .default(3)
    .describe("Availability zones to spread subnets and nodes over (2 to 6)."),
  natGateways: z
    .enum(["OnePerAz", "Single", "None"], { error: "OnePerAz, Single or None" })
    .optional()
    .describe(
      "NAT gateways: OnePerAz, Single or None. Not set means OnePerAz in production, Single otherwise.",
    ),
  databaseSubnets: boolean()
    .default(false)
    .describe("Add isolated database subnets (no route to the internet)."),
  vpcEndpoints: structured(
    z.array(
      z.enum(VPC_ENDPOINT_SERVICES, {
        error: `VPC endpoint services among ${VPC_ENDPOINT_SERVICES.join(", ")}`,
      }),
    ),
  )
    .default(["s3"])
    .describe(
      "VPC endpoints: s3 (gateway), ecr.api, ecr.dkr, sts, logs, ec2, elasticloadbalancing, eks, eks-auth (interface).",
    ),
  flowLogRetentionDays: retentionDays()
    .default(365)
    .describe("Retention of the VPC flow log group in days (a CloudWatch Logs retention value)."),
  endpointPublicAccess: boolean()
    .default(false)
    .describe(
      "Also open the EKS public API endpoint, limited to publicAccessCidrs. The private endpoint is always on.",
    ),
  publicAccessCidrs: structured(
    z.array(z.string().refine(isCidr, { error: "CIDR blocks such as 203.0.113.0/24" })),
  )
    .default([])
    .describe(
      "CIDR allowlist of the public API endpoint; required (non-empty) when endpointPublicAccess is true.",
    ),
  apiAccessCidrs: structured(
    z.array(
      ipv4Cidr().refine(isPrivateOrSharedCidr, {
        error:
          "private CIDR blocks (RFC 1918 or 100.64.0.0/10): the private API endpoint is reached from the VPC and connected networks only",
      }),
    ),
  )
    .default([])
    .describe(
      "CIDR blocks admitted to the private API endpoint on 443: where pulumi up, CI runners, a bastion or a VPN run (docs/operations.md). Private blocks only (RFC 1918 or 100.64.0.0/10). A spoke admits the hub's VPC itself.",
    ),
  controlPlaneLogRetentionDays: retentionDays()
    .default(90)
    .describe("Retention of the EKS control-plane log group in days (all five log types are on)."),
  nodePools: structured(
    z
      .array(nodePoolSchema)
      .min(1, { error: "at least one node pool" })
      .max(MAX_MANAGED_NODE_GROUPS, {
        error: `at most ${MAX_MANAGED_NODE_GROUPS} node pools (the EKS quota of managed node groups per cluster)`,
      }),
  )
    .default(DEFAULT_NODE_POOLS)
    .describe("EKS managed node groups (list, see below). Default: a system pool and a general pool."),
  accessEntries: structured(z.array(accessEntrySchema))
    .default([])
    .describe("EKS access entries (list, see below)."),
  hubStackReference: z
    .string()
    .regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, {
      error: "a stack reference <organization>/<project>/<stack>",
    })
    .optional()
    .describe("Spokes only: the hub's stack, <organization>/<project>/<stack>. Required for spokes."),
  tags: structured(
    z.record(z.string(), z.string()).superRefine((tags, ctx) => {
      for (const [key, value] of Object.entries(tags)) {
        const problem = tagProblem(key, value);
        if (problem)
          ctx.addIssue({
            code: "custom",
            path: [key],
            input: problem.on === "key" ? key : value,
            message: problem.reason,
          });
      }
    }),
  )
    .default({})
    .describe("Tags added to every AWS resource (map of tag name to value, see below)."),
};

/** The core keys as validated, with the values derived at load time. */
export type CoreConfig = Readonly<
  Omit<z.output<z.ZodObject<typeof coreSchema>>, "clusterName" | "natGateways"> & {
    /** Pulumi stack name. */
    stack: string;
    /** Pulumi project name. */
    project: string;
    /** AWS region (`aws:region`). */
    region: string;
    clusterName: string;
    natGateways: "OnePerAz" | "Single" | "None";
    /** True when `environment` is `production`. */
    production: boolean;
  }
>;
