/**
 * Typed, validated stack configuration.
 *
 * Every key lives in the `platform` namespace of the stack file (`platform:vpcCidr: 10.0.0.0/16`)
 * except the AWS region, which is the AWS provider's own `aws:region`. {@link loadConfig} turns the
 * raw strings Pulumi hands the program into one deeply frozen {@link PlatformConfig}, or throws a
 * `ConfigError` whose one-line message names the key, the value and what was expected —
 * before any resource is registered, so bad input never leaves anything half-created.
 *
 * The schema below is the single source of truth for keys, types and defaults; `Pulumi.yaml`
 * declares the same keys for the CLI and a test keeps the two in step.
 * Reference: https://www.pulumi.com/docs/iac/concepts/config/
 */
import { z } from "zod";
import { DEFAULT_KUBERNETES_VERSION, SUPPORTED_KUBERNETES_VERSIONS } from "../components/cluster/versions";
import {
  ConfigError,
  NAMESPACE,
  boolean,
  iamPrincipalArn,
  integer,
  ipv4Cidr,
  isCidr,
  kubernetesName,
  retentionDays,
  structured,
} from "./schema";
import { observabilityChecks, observabilitySchema } from "./sections/observability";
import { storageChecks, storageSchema } from "./sections/storage";
import { gitopsChecks, gitopsSchema } from "./sections/gitops";
import { tenancyChecks, tenancySchema } from "./sections/tenancy";
import { transitChecks, transitSchema } from "./sections/transit";
import { karpenterSchema } from "./karpenter";
import { certManagerSchema } from "./cert-manager";
import { externalDnsSchema } from "./external-dns";
import { externalSecretsSchema } from "./external-secrets";

// ---------------------------------------------------------------------------------------------
// Node pools and access entries

/** A Kubernetes taint on a node pool. https://docs.aws.amazon.com/eks/latest/userguide/node-taints-managed-node-groups.html */
const taintSchema = z.object({
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
  .object({
    /** Node group name, unique in the cluster. */
    name: kubernetesName(),
    /** EC2 instance types, e.g. ["t3.medium"]. */
    instanceTypes: z
      .array(z.string().regex(/^[a-z0-9-]+\.[a-z0-9]+$/, { error: "EC2 instance types such as t3.medium" }))
      .min(1),
    /** EKS AMI type. @default "AL2023_x86_64_STANDARD" */
    amiType: z
      .enum(
        [
          "AL2023_x86_64_STANDARD",
          "AL2023_ARM_64_STANDARD",
          "AL2023_x86_64_NVIDIA",
          "AL2023_x86_64_NEURON",
          "BOTTLEROCKET_x86_64",
          "BOTTLEROCKET_ARM_64",
        ],
        { error: "an EKS AMI type such as AL2023_x86_64_STANDARD" },
      )
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
    if (!(pool.minSize <= pool.desiredSize && pool.desiredSize <= pool.maxSize)) {
      ctx.addIssue({
        code: "custom",
        path: ["minSize"],
        message: `minSize <= desiredSize <= maxSize (got ${pool.minSize} / ${pool.desiredSize} / ${pool.maxSize})`,
      });
    }
  });
export type NodePoolConfig = z.infer<typeof nodePoolSchema>;

/** Managed access policies an access entry can associate. https://docs.aws.amazon.com/eks/latest/userguide/access-policy-permissions.html */
export const ACCESS_POLICIES = [
  "AmazonEKSClusterAdminPolicy",
  "AmazonEKSAdminPolicy",
  "AmazonEKSEditPolicy",
  "AmazonEKSViewPolicy",
] as const;

/**
 * One EKS access entry: an IAM principal and the access policy it gets, cluster-wide or for some
 * namespaces. https://docs.aws.amazon.com/eks/latest/userguide/access-entries.html
 */
export const accessEntrySchema = z.object({
  /** Entry name (a key in the cluster's accessEntries map). */
  name: z.string().regex(/^[a-zA-Z][a-zA-Z0-9-]*$/, { error: "a name of letters, digits and '-'" }),
  principalArn: iamPrincipalArn(),
  accessPolicy: z.enum(ACCESS_POLICIES, { error: `one of ${ACCESS_POLICIES.join(", ")}` }),
  /** Namespaces the policy is scoped to; empty or absent means cluster scope. @default [] */
  namespaces: z.array(kubernetesName()).default([]),
  /** Kubernetes groups the principal maps to (for RBAC beyond the access policy). @default [] */
  kubernetesGroups: z.array(z.string()).default([]),
});
export type AccessEntryConfig = z.infer<typeof accessEntrySchema>;

/** Default node pools: a tainted system pool for critical add-ons and a general workload pool. */
export const DEFAULT_NODE_POOLS: NodePoolConfig[] = [
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
export const VPC_ENDPOINT_SERVICES = [
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
    .regex(/^1\.\d{2}$/, { error: "a Kubernetes minor version such as 1.35" })
    .refine((v) => SUPPORTED_KUBERNETES_VERSIONS.includes(v), {
      error: `a supported Kubernetes version (${SUPPORTED_KUBERNETES_VERSIONS.join(", ")})`,
    })
    .default(DEFAULT_KUBERNETES_VERSION),
  /** VPC CIDR block, prefix /16 to /20. Required. */
  vpcCidr: ipv4Cidr().refine(
    (v) => {
      const prefix = Number(v.split("/")[1]);
      return prefix >= 16 && prefix <= 20;
    },
    { error: "a VPC CIDR block with a prefix between /16 and /20" },
  ),
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
  /** CIDR blocks admitted to the private API endpoint on 443 (deployment runner, bastion, VPN). @default [] */
  apiAccessCidrs: structured(z.array(ipv4Cidr())).default([]),
  /** Retention of the EKS control-plane log group, days. @default 90 */
  controlPlaneLogRetentionDays: retentionDays().default(90),
  /** Node pools (object array, see docs/configuration.md). @default a system pool and a general pool */
  nodePools: structured(z.array(nodePoolSchema).min(1, { error: "at least one node pool" })).default(
    DEFAULT_NODE_POOLS,
  ),
  /** EKS access entries (object array, see docs/configuration.md). @default [] */
  accessEntries: structured(z.array(accessEntrySchema)).default([]),
  /** Spoke only: the hub's stack reference `<org>/<project>/<stack>`. Required for spokes. */
  hubStackReference: z
    .string()
    .regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, {
      error: "a stack reference <organization>/<project>/<stack>",
    })
    .optional(),
  /** Tags applied to every AWS resource (object). @default {} */
  tags: structured(z.record(z.string(), z.string())).default({}),
};

/**
 * Keys whose values are secrets, set per stack with `pulumi config set --secret` and never declared
 * in Pulumi.yaml nor committed. The offline plan stands in a placeholder for those a stack needs.
 */
export const SECRET_KEYS = ["gitSshPrivateKey", "githubAppPrivateKey"] as const;

/** The whole `platform` namespace: core keys and the keys of each capability. */
export const platformSchema = z.object({
  ...coreSchema,
  ...transitSchema,
  ...gitopsSchema,
  ...tenancySchema,
  ...storageSchema,
  ...observabilitySchema,
  ...karpenterSchema,
  ...certManagerSchema,
  ...externalDnsSchema,
  ...externalSecretsSchema,
});

type Parsed = z.infer<typeof platformSchema>;

/** The validated, frozen configuration of one stack. */
export type PlatformConfig = Readonly<
  Omit<Parsed, "clusterName" | "natGateways"> & {
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

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value as Record<string, unknown>)) deepFreeze(child);
  }
  return value;
}

function keyOf(path: readonly PropertyKey[]): string {
  let key = `${NAMESPACE}:${String(path[0])}`;
  for (const part of path.slice(1)) key += typeof part === "number" ? `[${part}]` : `.${String(part)}`;
  return key;
}

function valueAt(raw: Record<string, unknown>, path: readonly PropertyKey[]): unknown {
  let value: unknown = raw[String(path[0])];
  if (typeof value === "string" && /^[[{]/.test(value.trim())) {
    try {
      value = JSON.parse(value);
    } catch {
      /* keep the text */
    }
  }
  for (const part of path.slice(1)) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<string, unknown>)[part as string];
  }
  return value;
}

function expectation(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case "invalid_type":
      return issue.message.startsWith("Invalid input") ? `a value of type ${issue.expected}` : issue.message;
    case "invalid_value":
      return issue.message.startsWith("Invalid")
        ? `one of ${issue.values.map(String).join(", ")}`
        : issue.message;
    case "unrecognized_keys":
      return `no unknown keys (${issue.keys.join(", ")})`;
    default:
      return issue.message;
  }
}

/**
 * Validates raw Pulumi configuration and returns the frozen stack configuration.
 *
 * @param raw All config values as Pulumi passes them (`{"platform:role": "hub", "aws:region": ...}`);
 *   `pulumi.runtime.allConfig()` in a real run.
 * @param stack The Pulumi stack name.
 * @param project The Pulumi project name. @default "platform"
 * @throws ConfigError with a one-line message naming the key, the value and what was expected.
 */
export function loadConfig(
  raw: Record<string, string | undefined>,
  stack: string,
  project = NAMESPACE,
): PlatformConfig {
  const prefix = `${NAMESPACE}:`;
  const own: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    // Pulumi.yaml declares "derived" defaults as empty strings: treat them as unset.
    if (key.startsWith(prefix) && value !== undefined && value !== "") own[key.slice(prefix.length)] = value;
  }
  const known = new Set(Object.keys(platformSchema.shape));
  for (const key of Object.keys(own)) {
    if (!known.has(key))
      throw new ConfigError(`${prefix}${key}`, own[key], `a known key (see docs/configuration.md)`);
  }
  const region = raw["aws:region"];
  if (!region) throw new ConfigError("aws:region", undefined, "an AWS region such as eu-west-1");
  if (!/^[a-z]{2}(-gov)?-[a-z]+-\d$/.test(region))
    throw new ConfigError("aws:region", region, "an AWS region such as eu-west-1");

  const result = platformSchema.safeParse(own);
  if (!result.success) {
    const issue = result.error.issues[0];
    const path = issue.path.length > 0 ? issue.path : ["(root)"];
    const value = issue.code === "custom" && issue.input !== undefined ? issue.input : valueAt(own, path);
    if (value === undefined && issue.code === "invalid_type") {
      throw new ConfigError(keyOf(path), undefined, `${expectation(issue)} (the key is required)`);
    }
    throw new ConfigError(keyOf(path), value, expectation(issue));
  }
  const parsed = result.data;
  const production = parsed.environment === "production";
  const config = {
    ...parsed,
    stack,
    project,
    region,
    production,
    clusterName: parsed.clusterName ?? `${project}-${stack}`,
    natGateways: parsed.natGateways ?? (production ? "OnePerAz" : "Single"),
  };
  crossChecks(config);
  return deepFreeze(config as PlatformConfig);
}

/** Rules that relate several keys. */
function crossChecks(config: PlatformConfig): void {
  if (config.role === "spoke" && !config.hubStackReference) {
    throw new ConfigError(
      `${NAMESPACE}:hubStackReference`,
      undefined,
      "the hub's stack reference <organization>/<project>/<stack> (required for spokes)",
    );
  }
  if (config.endpointPublicAccess && config.publicAccessCidrs.length === 0) {
    throw new ConfigError(
      `${NAMESPACE}:publicAccessCidrs`,
      [],
      "at least one CIDR block when endpointPublicAccess is true (an empty list would open the endpoint to 0.0.0.0/0)",
    );
  }
  if (!config.endpointPublicAccess && config.publicAccessCidrs.length > 0) {
    throw new ConfigError(
      `${NAMESPACE}:publicAccessCidrs`,
      config.publicAccessCidrs,
      "no CIDR blocks while endpointPublicAccess is false",
    );
  }
  const names = new Set<string>();
  config.nodePools.forEach((pool, i) => {
    if (names.has(pool.name))
      throw new ConfigError(`${NAMESPACE}:nodePools[${i}].name`, pool.name, "a node pool name used once");
    names.add(pool.name);
  });
  const entries = new Set<string>();
  config.accessEntries.forEach((entry, i) => {
    if (entries.has(entry.name))
      throw new ConfigError(
        `${NAMESPACE}:accessEntries[${i}].name`,
        entry.name,
        "an access entry name used once",
      );
    entries.add(entry.name);
  });
  crossCheckSections(config);
}

function crossCheckSections(config: PlatformConfig): void {
  for (const check of [transitChecks, gitopsChecks, tenancyChecks, storageChecks, observabilityChecks])
    check(config);
}

export { ConfigError, NAMESPACE, cidrsOverlap, isCidr, isIpv4Cidr } from "./schema";
