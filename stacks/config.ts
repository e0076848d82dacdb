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
import { coreSchema } from "./core";
import { AWS_REGIONS } from "./aws-catalog";
import {
  ConfigError,
  NAMESPACE,
  closestName,
  groupSettings,
  knownNameExpectation,
  plainErrors,
} from "./schema";
import { observabilityChecks, observabilityRoles, observabilitySchema } from "./observability";
import { storageChecks, storageSchema } from "./storage";
import { gitopsChecks, gitopsRoles, gitopsSchema } from "./gitops";
import { tenancyChecks, tenancySchema } from "./tenancy";
import { transitRoles, transitSchema } from "./transit";
import { karpenterSchema } from "./karpenter";
import { certManagerChecks, certManagerSchema } from "./cert-manager";
import { externalDnsSchema } from "./external-dns";
import { externalSecretsSchema } from "./external-secrets";
import { chartMirrorSchema } from "./chart-mirror";
import { loadBalancerControllerSchema } from "./load-balancer-controller";
import { registrySchema } from "./registry";
import { veleroSchema } from "./velero";
import { tracingChecks, tracingSchema } from "./tracing";
import { alertingChecks, alertingHasCredentials, alertingRoles, alertingSchema } from "./alerting";

/**
 * Fields whose values are secrets (`<key>.<field>`), set per stack with `pulumi config set --secret
 * --path` and never committed. The offline plan stands in a placeholder for those a stack needs.
 */
export const SECRET_KEYS = ["gitops.sshPrivateKey", "gitops.githubAppPrivateKey"] as const;

/**
 * Fields that hold credentials (deploy keys, passwords, webhook URLs): a value given in plain text
 * instead of with `pulumi config set --secret --path` is refused.
 */
export const CREDENTIAL_KEYS = [
  ...SECRET_KEYS,
  "observability.grafanaAdminPassword",
  "observability.logShipperPassword",
  "alerting",
] as const;

/**
 * Config namespaces a stack may use: this project's and those of the providers the program runs
 * (their own config, e.g. `aws:region`, `aws:profile`), plus Pulumi's (`pulumi:tags`).
 */
const KNOWN_NAMESPACES = [NAMESPACE, "aws", "awsx", "eks", "kubernetes", "pulumiservice", "pulumi"] as const;

/** Top-level keys only one role reads; set (to anything but the default) on the other role they are refused. */
export const ROLE_ONLY_KEYS: Readonly<Record<string, "hub" | "spoke">> = {
  hubStackReference: "spoke",
  ...alertingRoles,
};

/** Fields of capability objects only one role reads, by key. */
export const ROLE_ONLY_FIELDS: Readonly<
  Record<string, Readonly<Record<string, "hub" | "spoke" | undefined>>>
> = {
  transit: transitRoles,
  gitops: gitopsRoles,
  observability: observabilityRoles,
};

/**
 * Flat keys of earlier releases, each with the field that replaced it (`<key>.<field>`): set, they
 * are refused with "renamed to platform:<key>.<field>" rather than as unknown keys.
 */
export const RENAMED_KEYS: Readonly<Record<string, string>> = {
  transitGatewayAsn: "transit.amazonSideAsn",
  transitAutoAcceptSharedAttachments: "transit.autoAcceptSharedAttachments",
  ramSharePrincipals: "transit.ramSharePrincipals",
  ramAllowExternalPrincipals: "transit.ramAllowExternalPrincipals",
  hubEndpointPorts: "transit.hubEndpointPorts",
  hubAccountRoleArn: "transit.hubAccountRoleArn",
  transitAcceptShareInvitation: "transit.acceptShareInvitation",
  gitRepositoryUrl: "gitops.repositoryUrl",
  gitBranch: "gitops.branch",
  gitPath: "gitops.path",
  gitInterval: "gitops.interval",
  gitAuth: "gitops.auth",
  gitSshPrivateKey: "gitops.sshPrivateKey",
  gitSshPublicKey: "gitops.sshPublicKey",
  gitKnownHosts: "gitops.knownHosts",
  githubAppId: "gitops.githubAppId",
  githubAppInstallationId: "gitops.githubAppInstallationId",
  githubAppPrivateKey: "gitops.githubAppPrivateKey",
  gitBaselinePath: "gitops.baselinePath",
  fluxCrossNamespaceRefs: "gitops.crossNamespaceRefs",
  fluxInfrastructureNamespaces: "gitops.infrastructureNamespaces",
  storageReclaimPolicy: "storage.reclaimPolicy",
  performanceIopsPerGB: "storage.performanceIopsPerGB",
  performanceIops: "storage.performanceIops",
  efsThroughputMode: "storage.efsThroughputMode",
  backupSchedule: "storage.backupSchedule",
  backupRetentionDays: "storage.backupRetentionDays",
  backupCopyVaultArn: "storage.backupCopyVaultArn",
  backupCopyRetentionDays: "storage.backupCopyRetentionDays",
  prometheusRetention: "observability.prometheusRetention",
  prometheusStorageGiB: "observability.prometheusStorageGiB",
  grafanaAdminPassword: "observability.grafanaAdminPassword",
  logShipperPassword: "observability.logShipperPassword",
  elasticsearchNodeCount: "observability.elasticsearchNodeCount",
  elasticsearchStorageGiB: "observability.elasticsearchStorageGiB",
  elasticsearchMemoryGiB: "observability.elasticsearchMemoryGiB",
  logRetentionDays: "observability.logRetentionDays",
  ingressNamespace: "tenancy.ingressNamespace",
  tenantExtraIngressNamespaces: "tenancy.extraIngressNamespaces",
  tenantDefaultQuota: "tenancy.defaultQuota",
  tenantDefaultLimits: "tenancy.defaultLimits",
};

/**
 * Keys the program no longer reads, each with what replaced it: set, they are refused with that
 * text rather than as unknown keys, so an old stack file says how to migrate.
 */
const RETIRED_KEYS: Readonly<Record<string, string>> = {
  hubPrivateRouteTableCount:
    "no value (removed: the spoke counts the hub's privateRouteTableIds output; delete the key)",
  installLoadBalancerController:
    "no value (replaced by platform:loadBalancerController.enabled, on every cluster; docs/ingress.md)",
  elasticsearchCaCertificate:
    "no value (removed: spokes verify the hub with its telemetryCaCertificate output, no manual step; delete the key)",
  alertmanagerReceivers:
    "no value (renamed to platform:alerting.receivers: move the list there and set it with pulumi config set --secret --path 'platform:alerting.receivers')",
  ...Object.fromEntries(
    Object.entries(RENAMED_KEYS).map(([old, path]) => [
      old,
      `no value: renamed to ${NAMESPACE}:${path} (pulumi config set --path '${NAMESPACE}:${path}' <value>; add --secret for a credential)`,
    ]),
  ),
};

/** The whole `platform` namespace: core keys and the keys of each capability. */
export const platformSchema = z.strictObject({
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
  ...chartMirrorSchema,
  ...loadBalancerControllerSchema,
  ...registrySchema,
  ...veleroSchema,
  ...tracingSchema,
  ...alertingSchema,
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
  // Structured values arrive as JSON text, at the top or inside an object (`--path` sets text).
  const parsed = (value: unknown): unknown => {
    if (typeof value !== "string" || !/^[[{]/.test(value.trim())) return value;
    try {
      return JSON.parse(value);
    } catch {
      return value;
    }
  };
  let value: unknown = parsed(raw[String(path[0])]);
  for (const part of path.slice(1)) {
    if (value === null || typeof value !== "object") return undefined;
    value = parsed((value as Record<string, unknown>)[part as string]);
  }
  return value;
}

/** The flat names credentials had before they moved into objects (a misspelt one is still masked). */
const OLD_CREDENTIAL_KEYS = [
  "alertmanagerReceivers",
  ...Object.keys(RENAMED_KEYS).filter((old) =>
    (CREDENTIAL_KEYS as readonly string[]).includes(RENAMED_KEYS[old]),
  ),
];

/** The field names of the credential fields (`sshPrivateKey`, ...), for misspelt ones. */
const CREDENTIAL_FIELDS = CREDENTIAL_KEYS.flatMap((c) => (c.includes(".") ? [c.split(".")[1]] : []));

/** The dotted path of a config value without list indexes (`observability.alertmanagerReceivers`). */
function dotted(path: readonly PropertyKey[]): string {
  return path
    .filter((part) => typeof part !== "number")
    .map(String)
    .join(".");
}

/**
 * What an error shows of a value: nothing of a credential (or of a misspelt credential field), nor
 * of any value of a key Pulumi marks secret (`pulumi config set --secret --path` marks the whole key).
 */
function shown(path: string, value: unknown, options: LoadOptions): unknown {
  const [key] = path.split(".");
  const field = path.slice(key.length + 1);
  const credential =
    CREDENTIAL_KEYS.some((c) => path === c || path.startsWith(`${c}.`)) ||
    (field !== "" && closestName(path, CREDENTIAL_KEYS) !== undefined) ||
    closestName(path, OLD_CREDENTIAL_KEYS) !== undefined ||
    (field !== "" && closestName(field.split(".")[0], CREDENTIAL_FIELDS) !== undefined) ||
    options.isSecret?.(`${NAMESPACE}:${key}`) === true ||
    options.isSecret?.(`${NAMESPACE}:${path}`) === true;
  return credential ? "(secret, not shown)" : value;
}

/** A value's default when nothing sets it (the schema default), for "set to something else" checks. */
function defaultOf(schema: z.ZodType | undefined): unknown {
  const result = schema?.safeParse(undefined);
  return result?.success ? result.data : undefined;
}

/** The schema of a top-level key, or of a field of an object key (`transit.amazonSideAsn`). */
function schemaAt(path: string, root: z.ZodObject = platformSchema): z.ZodType | undefined {
  const [key, field] = path.split(".");
  const schema = (root.shape as Record<string, z.ZodType>)[key];
  if (field === undefined) return schema;
  return groupSettings(schema)?.shape[field] as z.ZodType | undefined;
}

/** The value at `key.field` of the parsed configuration. */
function valueOf(parsed: Record<string, unknown>, path: string): unknown {
  const [key, field] = path.split(".");
  const value = parsed[key];
  return field === undefined ? value : (value as Record<string, unknown> | undefined)?.[field];
}

/** How {@link loadConfig} learns which values are Pulumi secrets. */
export interface LoadOptions {
  /**
   * Full keys (`platform:gitops`) Pulumi marks secret (`pulumi config set --secret --path
   * 'platform:gitops.sshPrivateKey'` marks the whole key).
   * When given, a credential key set in plain text is refused; the program and the offline plan
   * always give it. @default not checked (unit tests of other rules)
   */
  readonly isSecret?: (key: string) => boolean;
  /**
   * The schema of the `platform` namespace, extended (`platformSchema.extend({...})`) to try a new
   * setting before it joins the capability modules (test/recipes.test.ts). @default platformSchema
   */
  readonly schema?: z.ZodObject;
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
  const schema = options.schema ?? platformSchema;
  const known = Object.keys(schema.shape);
  for (const key of Object.keys(own)) {
    if (key in RETIRED_KEYS)
      throw new ConfigError(
        `${prefix}${key}`,
        shown(RENAMED_KEYS[key] ?? key, own[key], options),
        RETIRED_KEYS[key],
      );
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

  // `jitless`: a stack's config is parsed a few times per process; zod's compiled fast path costs
  // more to generate (a `new Function` per object schema) than those parses save.
  const result = schema.safeParse(own, { error: plainErrors, jitless: true });
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
    const value = found === undefined ? undefined : shown(dotted(path), found, options);
    if (value === undefined && issue.code === "invalid_type") {
      throw new ConfigError(keyOf(path), undefined, `${issue.message} (the key is required)`);
    }
    throw new ConfigError(keyOf(path), value, issue.message);
  }
  roleChecks(result.data as unknown as Record<string, unknown>, schema);
  if (options.isSecret)
    secretChecks(result.data as unknown as Record<string, unknown>, options.isSecret, schema);
  // An extended schema (options.schema) parses the same keys and more.
  const parsed = result.data as Parsed;
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
  crossChecks(config as PlatformConfig);
  return deepFreeze(config as PlatformConfig);
}

/** Keys and fields of the other role, set to anything but their default. */
function roleChecks(parsed: Record<string, unknown>, schema: z.ZodObject): void {
  const roleOnly: [string, "hub" | "spoke" | undefined][] = [
    ...Object.entries(ROLE_ONLY_KEYS),
    ...Object.entries(ROLE_ONLY_FIELDS).flatMap(([key, fields]) =>
      Object.entries(fields).map(([field, role]): [string, "hub" | "spoke" | undefined] => [
        `${key}.${field}`,
        role,
      ]),
    ),
  ];
  for (const [path, role] of roleOnly) {
    const value = valueOf(parsed, path);
    if (
      role === undefined ||
      parsed.role === role ||
      JSON.stringify(value) === JSON.stringify(defaultOf(schemaAt(path, schema)))
    )
      continue;
    throw new ConfigError(
      `${NAMESPACE}:${path}`,
      value,
      `no value on a ${String(parsed.role)} (a ${role}-only key: remove it from this stack file)`,
    );
  }
}

/**
 * Credentials must come from `pulumi config set --secret --path`, never plain text in the stack
 * file. Pulumi marks the whole object key secret when one of its fields is, so a credential field
 * is accepted when its key (or, where the caller knows it, the field itself) is secret.
 */
function secretChecks(
  parsed: Record<string, unknown>,
  isSecret: (key: string) => boolean,
  schema: z.ZodObject,
): void {
  for (const path of CREDENTIAL_KEYS) {
    const full = `${NAMESPACE}:${path}`;
    const key = `${NAMESPACE}:${path.split(".")[0]}`;
    const value = valueOf(parsed, path);
    const holdsCredential =
      path === "alerting"
        ? alertingHasCredentials(value)
        : JSON.stringify(value) !== JSON.stringify(defaultOf(schemaAt(path, schema)));
    if (!holdsCredential || isSecret(key) || isSecret(full)) continue;
    throw new ConfigError(
      full,
      "(plain text, not shown)",
      path.includes(".")
        ? `a secret: remove it from the stack file and run pulumi config set --secret --path '${full}'`
        : `a secret: remove it from the stack file and run pulumi config set --secret ${full}`,
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
  for (const check of [gitopsChecks, tenancyChecks, storageChecks, observabilityChecks]) check(config);
  tracingChecks(config);
  alertingChecks(config);
  certManagerChecks(config);
}

export { ConfigError, NAMESPACE, cidrsOverlap, isIpv4Cidr } from "./schema";
