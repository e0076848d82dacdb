/**
 * Validation of policy config against each policy's `configSchema` (JSON Schema draft 7) with Ajv,
 * the maintained validator. The Pulumi CLI validates the same documents with gojsonschema
 * (`ReconcilePolicyPackConfig`); this lets the offline plan fail early with the same verdict and a
 * one-line message in plain words.
 * https://ajv.js.org/
 */
import type { default as AjvClass, ErrorObject, ValidateFunction } from "ajv";
import type { PolicyConfigJSONSchemaDefinition } from "@pulumi/policy/schema";

export interface SchemaError {
  /** Dotted path of the offending value, e.g. `allowedVersions[1]`. */
  readonly path: string;
  /** What was expected, e.g. `a string matching ^1\.\d+$`. */
  readonly expected: string;
  /** The offending value (`undefined` when a required value is missing). */
  readonly actual: unknown;
}

let ajv: AjvClass | undefined;
/** Compiled validators by schema text: a plan validates the same schemas more than once. */
const compiled = new Map<string, ValidateFunction>();

/**
 * The validator of `schema`, compiled once. Ajv loads on first use: a plan without a policy config
 * validates nothing. The pack's schemas are the project's own code, checked against JSON Schema
 * draft 7 by a test, so Ajv does not compile its meta-schema on every plan (`validateSchema`).
 */
function validatorOf(schema: object): ValidateFunction {
  const key = JSON.stringify(schema);
  let validate = compiled.get(key);
  if (!validate) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const Ajv = (require("ajv") as { default: typeof AjvClass }).default;
    ajv ??= new Ajv({ allErrors: true, strict: false, validateSchema: false });
    validate = ajv.compile(schema);
    compiled.set(key, validate);
  }
  return validate;
}

/** `/allowedVersions/1` -> `allowedVersions[1]`. */
function dotted(pointer: string, extra?: string): string {
  const parts = pointer
    .split("/")
    .slice(1)
    .map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
  if (extra !== undefined) parts.push(extra);
  return parts.reduce((path, p) => (/^\d+$/.test(p) ? `${path}[${p}]` : path ? `${path}.${p}` : p), "");
}

function valueAt(value: unknown, pointer: string): unknown {
  return pointer
    .split("/")
    .slice(1)
    .reduce<unknown>(
      (v, p) => (v === null || typeof v !== "object" ? undefined : (v as Record<string, unknown>)[p]),
      value,
    );
}

/** Ajv's error in the plain words the plan prints ("expected ..."). */
function expectation(e: ErrorObject, schema: Record<string, unknown>): string {
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case "type":
      return `a value of type ${String(p.type).split(",").join(" or ")}`;
    case "enum":
      return `one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}`;
    case "const":
      return `exactly ${JSON.stringify(p.allowedValue)}`;
    case "minimum":
    case "maximum":
    case "exclusiveMinimum":
    case "exclusiveMaximum":
      return `a number ${String(p.comparison)} ${String(p.limit)}`;
    case "minLength":
      return `a string of at least ${String(p.limit)} characters`;
    case "maxLength":
      return `a string of at most ${String(p.limit)} characters`;
    case "pattern":
      return `a string matching ${String(p.pattern)}`;
    case "minItems":
      return `an array with at least ${String(p.limit)} items`;
    case "maxItems":
      return `an array with at most ${String(p.limit)} items`;
    case "uniqueItems":
      return "an array without duplicate items";
    case "required":
      return "a value (required)";
    case "additionalProperties": {
      const parent = valueAt(
        schema,
        e.schemaPath.replace(/^#/, "").replace(/\/additionalProperties$/, ""),
      ) as { properties?: Record<string, unknown> } | undefined;
      const known = Object.keys(parent?.properties ?? {});
      return known.length ? `no such key (known: ${known.join(", ")})` : "no such key";
    }
    default:
      return `a value that ${e.message ?? "matches the schema"}`;
  }
}

/** Validates `value` against `schema`, returning every error found (empty: valid). */
export function validateJsonSchema(value: unknown, schema: PolicyConfigJSONSchemaDefinition): SchemaError[] {
  const validate = validatorOf(schema as object);
  if (validate(value)) return [];
  return (validate.errors ?? [])
    .filter((e) => !(e.keyword === "type" && e.instancePath === "" && value === undefined))
    .map((e) => {
      const p = e.params as Record<string, unknown>;
      const key =
        e.keyword === "required"
          ? String(p.missingProperty)
          : e.keyword === "additionalProperties"
            ? String(p.additionalProperty)
            : undefined;
      return {
        path: dotted(e.instancePath, key),
        expected: expectation(e, schema as Record<string, unknown>),
        actual:
          key !== undefined
            ? e.keyword === "required"
              ? undefined
              : valueAt(value, `${e.instancePath}/${key}`)
            : valueAt(value, e.instancePath),
      };
    });
}
