/**
 * A small JSON Schema checker for policy config, covering the keywords our policies' `configSchema`s
 * use (type, enum, const, minimum/maximum, minLength/maxLength, pattern, items, minItems/maxItems,
 * uniqueItems, properties, required, additionalProperties). The Pulumi CLI validates the same
 * documents with gojsonschema (`ReconcilePolicyPackConfig`); this lets the offline plan fail early
 * with the same verdict and a one-line message.
 */
import type { PolicyConfigJSONSchema, PolicyConfigJSONSchemaDefinition } from "@pulumi/policy/schema";

export interface SchemaError {
  /** Dotted path of the offending value, e.g. `allowedVersions[1]`. */
  readonly path: string;
  /** What was expected, e.g. `a string matching ^1\.\d+$`. */
  readonly expected: string;
  /** The offending value (`undefined` when a required value is missing). */
  readonly actual: unknown;
}

function typeOf(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return typeof v;
}

function matchesType(v: unknown, t: string): boolean {
  const actual = typeOf(v);
  if (t === "number") return actual === "number" || actual === "integer";
  return actual === t;
}

function join(path: string, key: string | number): string {
  if (typeof key === "number") return `${path}[${key}]`;
  return path ? `${path}.${key}` : key;
}

/** Validates `value` against `schema`, returning every error found (empty: valid). */
export function validateJsonSchema(
  value: unknown,
  schema: PolicyConfigJSONSchemaDefinition,
  path = "",
): SchemaError[] {
  if (schema === true) return [];
  if (schema === false) return [{ path, expected: "no value (not allowed)", actual: value }];
  const s = schema as PolicyConfigJSONSchema;
  const errors: SchemaError[] = [];
  const fail = (expected: string) => errors.push({ path, expected, actual: value });

  if (s.type !== undefined) {
    const types = Array.isArray(s.type) ? s.type : [s.type];
    if (!types.some((t) => matchesType(value, t))) {
      fail(`a value of type ${types.join(" or ")}`);
      return errors;
    }
  }
  if (s.enum && !s.enum.some((e) => JSON.stringify(e) === JSON.stringify(value))) {
    fail(`one of ${s.enum.map((e) => JSON.stringify(e)).join(", ")}`);
  }
  if (s.const !== undefined && JSON.stringify(s.const) !== JSON.stringify(value)) {
    fail(`exactly ${JSON.stringify(s.const)}`);
  }
  if (typeof value === "number") {
    if (s.minimum !== undefined && value < s.minimum) fail(`a number >= ${s.minimum}`);
    if (s.maximum !== undefined && value > s.maximum) fail(`a number <= ${s.maximum}`);
    if (s.exclusiveMinimum !== undefined && value <= s.exclusiveMinimum)
      fail(`a number > ${s.exclusiveMinimum}`);
    if (s.exclusiveMaximum !== undefined && value >= s.exclusiveMaximum)
      fail(`a number < ${s.exclusiveMaximum}`);
  }
  if (typeof value === "string") {
    if (s.minLength !== undefined && value.length < s.minLength)
      fail(`a string of at least ${s.minLength} characters`);
    if (s.maxLength !== undefined && value.length > s.maxLength)
      fail(`a string of at most ${s.maxLength} characters`);
    if (s.pattern !== undefined && !new RegExp(s.pattern, "u").test(value))
      fail(`a string matching ${s.pattern}`);
  }
  if (Array.isArray(value)) {
    if (s.minItems !== undefined && value.length < s.minItems)
      fail(`an array with at least ${s.minItems} items`);
    if (s.maxItems !== undefined && value.length > s.maxItems)
      fail(`an array with at most ${s.maxItems} items`);
    if (s.uniqueItems && new Set(value.map((v) => JSON.stringify(v))).size !== value.length) {
      fail("an array without duplicate items");
    }
    if (s.items !== undefined && !Array.isArray(s.items)) {
      value.forEach((v, i) =>
        errors.push(...validateJsonSchema(v, s.items as PolicyConfigJSONSchemaDefinition, join(path, i))),
      );
    }
  }
  if (typeOf(value) === "object") {
    const obj = value as Record<string, unknown>;
    for (const req of s.required ?? []) {
      if (!(req in obj))
        errors.push({ path: join(path, req), expected: "a value (required)", actual: undefined });
    }
    for (const [k, v] of Object.entries(obj)) {
      const propSchema = s.properties?.[k];
      if (propSchema !== undefined) {
        errors.push(...validateJsonSchema(v, propSchema, join(path, k)));
      } else if (s.additionalProperties !== undefined) {
        if (s.additionalProperties === false) {
          const known = Object.keys(s.properties ?? {});
          errors.push({
            path: join(path, k),
            expected: known.length ? `no such key (known: ${known.join(", ")})` : "no such key",
            actual: v,
          });
        } else {
          errors.push(...validateJsonSchema(v, s.additionalProperties, join(path, k)));
        }
      }
    }
  }
  return errors;
}
