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
  AMI_ARCHITECTURES,
  AWS_REGIONS,
  INSTANCE_TYPES,
  MAX_MANAGED_NODE_GROUPS,
  type AmiType,
  instanceArchitecture,
} from "./aws-catalog";
import {
  ConfigError,
  NAMESPACE,
  boolean,
  closestName,
  isPrivateOrSharedCidr,
  isRfc1918Cidr,
  knownNameExpectation,
  plainErrors,
  tagProblem,
  iamPrincipalArn,
  integer,
  ipv4Cidr,
  isCidr,
  kubernetesName,
  retentionDays,
  structured,
} from "./schema";
import { observabilityChecks, observabilityRoles, observabilitySchema } from "./sections/observability";
import { storageChecks, storageSchema } from "./sections/storage";
import { gitopsChecks, gitopsRoles, gitopsSchema } from "./sections/gitops";
import { tenancyChecks, tenancySchema } from "./sections/tenancy";
import { transitChecks, transitRoles, transitSchema } from "./sections/transit";

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
export const accessEntrySchema = z.strictObject({
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

/**
 * Keys whose values are secrets, set per stack with `pulumi config set --secret` and never declared
 * in Pulumi.yaml nor committed. The offline plan stands in a placeholder for those a stack needs.
 */
export const SECRET_KEYS = ["gitSshPrivateKey", "githubAppPrivateKey"] as const;

/**
 * Keys that hold credentials (deploy keys, passwords, webhook URLs): a value given in plain text
 * instead of with `pulumi config set --secret` is refused. `grafanaAdminPassword` and
 * `logShipperPassword` are declared in Pulumi.yaml with an empty default (generated), which is not
 * a value.
 */
export const CREDENTIAL_KEYS = [
  ...SECRET_KEYS,
  "grafanaAdminPassword",
  "logShipperPassword",
  "alertmanagerReceivers",
] as const;

/**
 * Config namespaces a stack may use: this project's and those of the providers the program runs
 * (their own config, e.g. `aws:region`, `aws:profile`), plus Pulumi's (`pulumi:tags`).
 */
export const KNOWN_NAMESPACES = [
  NAMESPACE,
  "aws",
  "awsx",
  "eks",
  "kubernetes",
  "pulumiservice",
  "pulumi",
] as const;

/** Keys only one role reads; set (to anything but the default) on the other role they are refused. */
export const ROLE_ONLY_KEYS: Readonly<Record<string, "hub" | "spoke">> = {
  hubStackReference: "spoke",
  ...transitRoles,
  ...gitopsRoles,
  ...observabilityRoles,
};

/** The whole `platform` namespace: core keys and the keys of each capability. */
export const platformSchema = z.strictObject({
  ...coreSchema,
  ...transitSchema,
  ...gitopsSchema,
  ...tenancySchema,
  ...storageSchema,
  ...observabilitySchema,
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

/** What an error shows of a value: nothing of a credential (or of a misspelt credential key). */
function shown(key: string, value: unknown, options: LoadOptions): unknown {
  const full = `${NAMESPACE}:${key}`;
  const credential =
    (CREDENTIAL_KEYS as readonly string[]).includes(key) ||
    closestName(key, CREDENTIAL_KEYS) !== undefined ||
    options.isSecret?.(full) === true;
  return credential ? "(secret, not shown)" : value;
}

/** A key's value when nothing sets it (the schema default), for "set to something else" checks. */
function defaultOf(key: string): unknown {
  const schema = (platformSchema.shape as Record<string, z.ZodType>)[key];
  const result = schema.safeParse(undefined);
  return result.success ? result.data : undefined;
}

/** How {@link loadConfig} learns which values are Pulumi secrets. */
export interface LoadOptions {
  /**
   * Full keys (`platform:gitSshPrivateKey`) Pulumi marks secret (`pulumi config set --secret`).
   * When given, a credential key set in plain text is refused; the program and the offline plan
   * always give it. @default not checked (unit tests of other rules)
   */
  readonly isSecret?: (key: string) => boolean;
}

/**
 * Validates raw Pulumi configuration and returns the frozen stack configuration.
 *
 * Refused, each with a one-line message naming the key, the value and what was expected: a key in a
 * namespace the program does not read (`platfrom:nodePools`), an unknown key or object field (with
 * the closest known one), a key of the other role, a credential in plain text, and every value its
 * schema rejects.
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
  options: LoadOptions = {},
): PlatformConfig {
  const prefix = `${NAMESPACE}:`;
  const own: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    const namespace = key.includes(":") ? key.slice(0, key.indexOf(":")) : "";
    if (!(KNOWN_NAMESPACES as readonly string[]).includes(namespace)) {
      const close = closestName(namespace, KNOWN_NAMESPACES);
      throw new ConfigError(
        key,
        shown(key.slice(namespace.length + 1), value, options),
        close
          ? `a key in a known namespace (did you mean ${close}:${key.slice(namespace.length + 1)}?)`
          : `a key in a namespace the program reads: ${KNOWN_NAMESPACES.join(", ")}`,
      );
    }
    // Pulumi.yaml declares "derived" defaults as empty strings: treat them as unset.
    if (key.startsWith(prefix) && value !== undefined && value !== "") own[key.slice(prefix.length)] = value;
  }
  const known = Object.keys(platformSchema.shape);
  for (const key of Object.keys(own)) {
    if (!known.includes(key))
      throw new ConfigError(
        `${prefix}${key}`,
        shown(key, own[key], options),
        knownNameExpectation("key", key, known, "(see docs/configuration.md)"),
      );
  }
  const region = raw["aws:region"];
  if (!region) throw new ConfigError("aws:region", undefined, "an AWS region such as eu-west-1");
  if (!AWS_REGIONS.has(region))
    throw new ConfigError("aws:region", region, knownNameExpectation("AWS region", region, [...AWS_REGIONS]));

  const result = platformSchema.safeParse(own, { error: plainErrors });
  if (!result.success) {
    // A misspelt field is also a missing one: report the spelling, the cause.
    const issues = result.error.issues;
    const issue = issues.find((i) => i.code === "unrecognized_keys") ?? issues[0];
    const path =
      issue.code === "unrecognized_keys"
        ? [...issue.path, issue.keys[0]]
        : issue.path.length > 0
          ? issue.path
          : ["(root)"];
    const found = issue.code === "custom" && issue.input !== undefined ? issue.input : valueAt(own, path);
    const value = found === undefined ? undefined : shown(String(path[0]), found, options);
    if (value === undefined && issue.code === "invalid_type") {
      throw new ConfigError(keyOf(path), undefined, `${issue.message} (the key is required)`);
    }
    throw new ConfigError(keyOf(path), value, issue.message);
  }
  roleChecks(result.data as unknown as Record<string, unknown>);
  if (options.isSecret) secretChecks(result.data as unknown as Record<string, unknown>, options.isSecret);
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

/** Keys of the other role, set to anything but their default. */
function roleChecks(parsed: Record<string, unknown>): void {
  for (const [key, role] of Object.entries(ROLE_ONLY_KEYS)) {
    if (parsed.role === role || JSON.stringify(parsed[key]) === JSON.stringify(defaultOf(key))) continue;
    throw new ConfigError(
      `${NAMESPACE}:${key}`,
      parsed[key],
      `no value on a ${String(parsed.role)} (a ${role}-only key: remove it from this stack file)`,
    );
  }
}

/** Credentials must come from `pulumi config set --secret`, never plain text in the stack file. */
function secretChecks(parsed: Record<string, unknown>, isSecret: (key: string) => boolean): void {
  for (const key of CREDENTIAL_KEYS) {
    const full = `${NAMESPACE}:${key}`;
    if (JSON.stringify(parsed[key]) === JSON.stringify(defaultOf(key)) || isSecret(full)) continue;
    throw new ConfigError(
      full,
      "(plain text, not shown)",
      `a secret: remove it from the stack file and run pulumi config set --secret ${full}`,
    );
  }
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
  const principals = new Set<string>();
  config.accessEntries.forEach((entry, i) => {
    if (principals.has(entry.principalArn))
      throw new ConfigError(
        `${NAMESPACE}:accessEntries[${i}].principalArn`,
        entry.principalArn,
        "a principal listed once (EKS allows one access entry per principal: merge the two entries)",
      );
    principals.add(entry.principalArn);
  });
  crossCheckSections(config);
}

function crossCheckSections(config: PlatformConfig): void {
  for (const check of [transitChecks, gitopsChecks, tenancyChecks, storageChecks, observabilityChecks])
    check(config);
}

export { ConfigError, NAMESPACE, cidrsOverlap, isCidr, isIpv4Cidr } from "./schema";
