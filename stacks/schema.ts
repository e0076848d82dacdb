/**
 * Building blocks of the configuration schema: the error type, CIDR maths (ipaddr.js) and zod
 * helpers for values Pulumi passes as strings. Shared by stacks/config.ts and the capability modules.
 */
import * as ipaddr from "ipaddr.js";
import { distance as levenshtein } from "fastest-levenshtein";
import { z } from "zod";

/** The config namespace of this project (the Pulumi project name). */
export const NAMESPACE = "platform";

/** The keys of one capability as the validated configuration carries them (derived from its schema). */
export type SectionOf<S extends z.ZodRawShape> = Readonly<z.output<z.ZodObject<S>>>;

/** The stack role each field of a capability's object belongs to: set on the other role, it is a mistake. */
export type RoleOnly<S extends z.ZodRawShape> = Partial<Record<keyof S, "hub" | "spoke">>;

/** A user mistake in the stack configuration. `message` is one line: key, value, expectation. */
export class ConfigError extends Error {
  constructor(
    readonly key: string,
    readonly value: unknown,
    readonly expected: string,
  ) {
    super(`invalid configuration ${key} = ${formatValue(value)}: expected ${expected}`);
    this.name = "ConfigError";
  }
}

function formatValue(value: unknown): string {
  if (value === undefined) return "(not set)";
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

// ---------------------------------------------------------------------------------------------
// Pure helpers (CIDR maths through ipaddr.js)

/** True when `value` is an IPv4 CIDR block in canonical form (`10.0.0.0/16`, host bits zero). */
export function isIpv4Cidr(value: string): boolean {
  if (!/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/.test(value) || !ipaddr.IPv4.isValidCIDR(value)) return false;
  const [address, prefix] = ipaddr.IPv4.parseCIDR(value);
  return ipaddr.IPv4.networkAddressFromCIDR(value).toString() === address.toString() && prefix <= 32;
}

/** True when `value` is an IPv4 or IPv6 CIDR block (`203.0.113.0/24`, `2001:db8::/32`). */
export function isCidr(value: string): boolean {
  return isIpv4Cidr(value) || (value.includes(":") && ipaddr.IPv6.isValidCIDR(value));
}

/** True when two IPv4 CIDR blocks share at least one address. */
export function cidrsOverlap(a: string, b: string): boolean {
  const [addressA, prefixA] = ipaddr.IPv4.parseCIDR(a);
  const [addressB, prefixB] = ipaddr.IPv4.parseCIDR(b);
  return addressA.match(addressB, Math.min(prefixA, prefixB));
}

// ---------------------------------------------------------------------------------------------
// Schema building blocks. Pulumi passes every value as a string; structured values as JSON.

/** An integer config value (Pulumi passes `"3"`). */
export const integer = (min: number, max: number) =>
  z.preprocess(
    (v) => (typeof v === "string" && /^-?\d+$/.test(v.trim()) ? Number(v) : v),
    z
      .number({ error: `an integer between ${min} and ${max}` })
      .int({ error: `an integer between ${min} and ${max}` })
      .min(min, { error: `an integer between ${min} and ${max}` })
      .max(max, { error: `an integer between ${min} and ${max}` }),
  );

/** A boolean config value (Pulumi passes `"true"`). */
export const boolean = () =>
  z.preprocess(
    (v) => (v === "true" ? true : v === "false" ? false : v),
    z.boolean({ error: "true or false" }),
  );

/** A structured (object or array) config value, which Pulumi passes as JSON text. */
export const structured = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => {
    if (typeof v !== "string") return v;
    try {
      return JSON.parse(v);
    } catch {
      return v;
    }
  }, schema);

const GROUPS = new WeakMap<z.ZodType, z.ZodObject>();

/**
 * One capability's settings as one object-valued key (`platform:storage: {...}`), settable field by
 * field with `pulumi config set --path 'platform:storage.backupRetentionDays' 14`. Absent, every
 * field takes its default. The object schema is kept for the loader (role and secret checks) and
 * for `npm run docs:config`.
 */
export function group<T extends z.ZodObject>(settings: T, description: string) {
  const schema = structured(settings).prefault({}).describe(description);
  GROUPS.set(schema, settings);
  return schema;
}

/** The object schema of a key made with {@link group}, or undefined for a plain key. */
export function groupSettings(schema: z.ZodType): z.ZodObject | undefined {
  return GROUPS.get(schema);
}

/** An IPv4 CIDR block. */
export const ipv4Cidr = () =>
  z.string({ error: "an IPv4 CIDR block such as 10.0.0.0/16" }).refine(isIpv4Cidr, {
    error: "an IPv4 CIDR block such as 10.0.0.0/16 (prefix 0-32, host bits zero)",
  });

/** An IAM principal ARN (role or user). */
export const iamPrincipalArn = () =>
  z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:(role|user)\/[\w+=,.@/-]+$/, {
    error: "an IAM role or user ARN such as arn:aws:iam::111122223333:role/bastion",
  });

/** CloudWatch Logs retention periods AWS accepts, in days. */
const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

export const retentionDays = () =>
  z.preprocess(
    (v) => (typeof v === "string" && /^\d+$/.test(v) ? Number(v) : v),
    z.number().refine((n) => (LOG_RETENTION_DAYS as readonly number[]).includes(n), {
      error: `a CloudWatch Logs retention in days, one of ${LOG_RETENTION_DAYS.join(", ")}`,
    }),
  );

export const kubernetesName = () =>
  z
    .string()
    .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, {
      error: "a Kubernetes name (lowercase letters, digits and '-', at most 63 characters)",
    })
    .max(63, { error: "a Kubernetes name of at most 63 characters" });

// ---------------------------------------------------------------------------------------------
// Plain-words errors and key suggestions

/**
 * The known name closest to `unknown`: a case-only difference, a name it starts or ends the other
 * with, or the smallest Levenshtein distance (at most 3, and at most half its length).
 */
export function closestName(unknown: string, known: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  const lower = unknown.toLowerCase();
  for (const name of known) {
    const other = name.toLowerCase();
    // A shortened or lengthened name (diskSize for diskSizeGiB) is as close as a one-letter typo.
    const affix = lower.length >= 3 && (other.startsWith(lower) || lower.startsWith(other));
    const edits = levenshtein(lower, other);
    const d = other === lower ? 0 : affix ? 0.5 + edits / 1000 : edits;
    if (d < bestDistance) [best, bestDistance] = [name, d];
  }
  return bestDistance <= Math.min(3, Math.max(1, Math.floor(unknown.length / 2))) ? best : undefined;
}

/**
 * "a known key (did you mean X?)"; when nothing is close, "a known key <hint>" or, without a hint,
 * the list of known names.
 */
export function knownNameExpectation(
  what: string,
  unknown: string,
  known: readonly string[],
  hint?: string,
): string {
  const close = closestName(unknown, known);
  if (close) return `a known ${what} (did you mean ${close}?)`;
  return hint ? `a known ${what} ${hint}` : `a known ${what}: ${known.join(", ")}`;
}

const TYPE_WORDS: Record<string, string> = {
  string: "text",
  number: "a number",
  int: "an integer",
  boolean: "true or false",
  array: "a list",
  object: "a map of fields to values",
  record: "a map of names to values",
};

const ORIGIN_UNITS: Record<string, string> = { string: "characters", array: "items", set: "items" };

/**
 * A zod error map in plain words for the checks that carry no message of their own (every message
 * a user sees is "expected <this>"), e.g. `a number at most 65535` instead of zod's
 * `Too big: expected number to be <=65535`. Unknown object fields get the closest known field.
 */
export const plainErrors: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case "invalid_type":
      return TYPE_WORDS[issue.expected] ?? `a value of type ${issue.expected}`;
    case "too_big": {
      const unit = ORIGIN_UNITS[issue.origin];
      const bound = `${issue.inclusive ? "at most" : "less than"} ${String(issue.maximum)}`;
      return unit ? `${bound} ${unit}` : `a number ${bound}`;
    }
    case "too_small": {
      const unit = ORIGIN_UNITS[issue.origin];
      const bound = `${issue.inclusive ? "at least" : "more than"} ${String(issue.minimum)}`;
      return unit ? `${bound} ${unit}` : `a number ${bound}`;
    }
    case "not_multiple_of":
      return `a multiple of ${String(issue.divisor)}`;
    case "invalid_value":
      return `one of ${issue.values.map(String).join(", ")}`;
    case "invalid_format":
      return issue.format === "regex" ? `text matching ${String(issue.pattern)}` : `a valid ${issue.format}`;
    case "unrecognized_keys": {
      const shape = (issue.inst as { _zod?: { def?: { shape?: Record<string, unknown> } } } | undefined)?._zod
        ?.def?.shape;
      return knownNameExpectation("field", issue.keys[0], Object.keys(shape ?? {}));
    }
    case "invalid_union":
      return "one of the documented shapes";
    default:
      return undefined;
  }
};

// ---------------------------------------------------------------------------------------------
// AWS rules

/**
 * True when the whole IPv4 block lies in RFC 1918 private space (10/8, 172.16/12, 192.168/16).
 * https://datatracker.ietf.org/doc/html/rfc1918
 */
export function isRfc1918Cidr(cidr: string): boolean {
  return cidrWithin(cidr, ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]);
}

/** True when the whole IPv4 block lies in RFC 1918 space or the RFC 6598 shared space 100.64.0.0/10. */
export function isPrivateOrSharedCidr(cidr: string): boolean {
  return cidrWithin(cidr, ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10"]);
}

function cidrWithin(cidr: string, ranges: readonly string[]): boolean {
  if (!isIpv4Cidr(cidr)) return false;
  const [address, prefix] = ipaddr.IPv4.parseCIDR(cidr);
  return ranges.some((range) => {
    const [net, bits] = ipaddr.IPv4.parseCIDR(range);
    return prefix >= bits && address.match(net, bits);
  });
}

/**
 * Problem with an AWS tag (key or value), or undefined. Keys: 1-128 characters, not starting with
 * the reserved `aws:` prefix; values: 0-256 characters; both of Unicode letters, digits, spaces and
 * `_ . : / = + - @`. https://docs.aws.amazon.com/tag-editor/latest/userguide/best-practices-and-strats.html
 */
export function tagProblem(key: string, value: string): { on: "key" | "value"; reason: string } | undefined {
  const chars = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
  if (key.length < 1 || key.length > 128) return { on: "key", reason: "a tag key of 1 to 128 characters" };
  if (key.toLowerCase().startsWith("aws:"))
    return { on: "key", reason: "a tag key without the prefix aws: (reserved for AWS)" };
  if (!chars.test(key))
    return { on: "key", reason: "a tag key of letters, digits, spaces and _ . : / = + - @" };
  if (value.length > 256) return { on: "value", reason: "a tag value of at most 256 characters" };
  if (!chars.test(value))
    return { on: "value", reason: "a tag value of letters, digits, spaces and _ . : / = + - @" };
  return undefined;
}
