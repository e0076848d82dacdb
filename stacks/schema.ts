/**
 * Building blocks of the configuration schema: the error type, CIDR maths (ipaddr.js) and zod
 * helpers for values Pulumi passes as strings. Shared by stacks/config.ts and stacks/sections/*.
 */
import * as ipaddr from "ipaddr.js";
import { z } from "zod";

/** The config namespace of this project (the Pulumi project name). */
export const NAMESPACE = "platform";

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
export const LOG_RETENTION_DAYS = [
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
