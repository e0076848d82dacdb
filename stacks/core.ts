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
const nodePoolSchema = z
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
export type NodePoolConfig = z.infer<typeof nodePoolSchema>;

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

/** Core keys (foundation): role, environment, network, cluster. Defaults documented per key. */
export const coreSchema = {
  /** `hub` (management cluster) or `spoke` (workload cluster). Required. */
  role: z.enum(["hub", "spoke"], { error: "hub or spoke" }),
  /** Environment class; `production` turns on NAT per AZ, Retain volumes and deletion protection. @default "development" */
  environment: z
    .enum(["production", "staging", "development"], { error: "production, staging or development" })
    .default("development"),
  /** EKS cluster name. @default "<project>-<stack>" */
  clusterName: z
    .string()
    .regex(/^[a-zA-Z][a-zA-Z0-9_-]{0,99}$/, {
      error: "a cluster name of letters, digits, '-' and '_' (max 100)",
    })
    .optional(),
  /** Kubernetes minor version, e.g. "1.35". https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html @default "1.35" */
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
    .default(DEFAULT_KUBERNETES_VERSION),
  /**
   * VPC CIDR block, prefix /16 to /20, in RFC 1918 private space (10.0.0.0/8, 172.16.0.0/12,
   * 192.168.0.0/16). Required. https://docs.aws.amazon.com/vpc/latest/userguide/vpc-cidr-blocks.html
   */
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
    }),
  /** Availability zones to spread subnets over (at least 2). @default 3 */
  availabilityZoneCount: integer(2, 6).default(3),
  /** NAT gateways: `OnePerAz`, `Single` or `None`. @default OnePerAz in production, Single otherwise */
  natGateways: z.enum(["OnePerAz", "Single", "None"], { error: "OnePerAz, Single or None" }).optional(),
  /** Add isolated database subnets (no route to the internet). @default false */
  databaseSubnets: boolean().default(false),
  /** VPC endpoints to create (s3 is a gateway endpoint, the rest interface endpoints). @default ["s3"] */
  vpcEndpoints: structured(
    z.array(
      z.enum(VPC_ENDPOINT_SERVICES, {
        error: `VPC endpoint services among ${VPC_ENDPOINT_SERVICES.join(", ")}`,
      }),
    ),
  ).default(["s3"]),
  /** Retention of VPC flow logs in CloudWatch Logs, days. @default 365 */
  flowLogRetentionDays: retentionDays().default(365),
  /** Open the EKS public API endpoint too (restricted to publicAccessCidrs). @default false */
  endpointPublicAccess: boolean().default(false),
  /** CIDR allowlist of the public API endpoint; required when endpointPublicAccess is true. @default [] */
  publicAccessCidrs: structured(
    z.array(z.string().refine(isCidr, { error: "CIDR blocks such as 203.0.113.0/24" })),
  ).default([]),
  /**
   * CIDR blocks admitted to the private API endpoint on 443 (deployment runner, bastion, VPN): private
   * blocks only (RFC 1918 or the RFC 6598 shared space 100.64.0.0/10), since the endpoint has no
   * public address. @default []
   */
  apiAccessCidrs: structured(
    z.array(
      ipv4Cidr().refine(isPrivateOrSharedCidr, {
        error:
          "private CIDR blocks (RFC 1918 or 100.64.0.0/10): the private API endpoint is reached from the VPC and connected networks only",
      }),
    ),
  ).default([]),
  /** Retention of the EKS control-plane log group, days. @default 90 */
  controlPlaneLogRetentionDays: retentionDays().default(90),
  /** Node pools (object array, see docs/configuration.md). @default a system pool and a general pool */
  nodePools: structured(
    z
      .array(nodePoolSchema)
      .min(1, { error: "at least one node pool" })
      .max(MAX_MANAGED_NODE_GROUPS, {
        error: `at most ${MAX_MANAGED_NODE_GROUPS} node pools (the EKS quota of managed node groups per cluster)`,
      }),
  ).default(DEFAULT_NODE_POOLS),
  /** EKS access entries (object array, see docs/configuration.md). @default [] */
  accessEntries: structured(z.array(accessEntrySchema)).default([]),
  /** Spoke only: the hub's stack reference `<org>/<project>/<stack>`. Required for spokes. */
  hubStackReference: z
    .string()
    .regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, {
      error: "a stack reference <organization>/<project>/<stack>",
    })
    .optional(),
  /**
   * Tags applied to every AWS resource (object). Keys 1-128 characters without the reserved `aws:`
   * prefix, values up to 256. https://docs.aws.amazon.com/tag-editor/latest/userguide/best-practices-and-strats.html
   * @default {}
   */
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
  ).default({}),
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
