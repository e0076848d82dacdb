/**
 * The policy engine of the offline plan: runs the `platform-guardrails` pack over planned resources
 * with the same semantics as `pulumi preview --policy-pack policy [--policy-pack-config file]`:
 *
 * - config reconciliation like the CLI's `ReconcilePolicyPackConfig`: schema defaults first, then an
 *   `"all"` enforcement level, then per-policy `enforcementLevel` and properties; the result is
 *   validated against each policy's `configSchema`;
 * - effective level = configured level, else the policy's own, else the pack's (`mandatory`);
 *   `disabled` policies do not run;
 * - `remediate` policies' `remediateResource` runs first (the remediated props are what the
 *   validations and stack policies see) and is reported with level `remediate`; a violation that
 *   a remediate-level policy still finds is reported as `mandatory` (server.js does the same);
 * - props are wrapped in the SDK's unknown-checking proxy: a policy that reads a value unknown
 *   during preview yields an advisory "can't run policy ... during preview" verdict;
 * - `notApplicable()` is silent;
 * - violation messages are the engine's: the policy description, a newline, the reported detail.
 */
import * as fs from "fs";
import type {
  PolicyResource,
  ResourceValidation,
  ResourceValidationPolicy,
  StackValidationPolicy,
} from "@pulumi/policy";
import { validateJsonSchema } from "./config-schema";
import packageJson from "./package.json";
import { packEnforcementLevel, packName, policies as packPolicies, type PackPolicy } from "./policies";
import { validationScope } from "./policies/common";
import { unknownCheckingProxy } from "./policies/sdk";
import {
  freezeMap,
  makeResourceArgs,
  makeStackArgs,
  NotApplicableError,
  providerOf,
  schemaDefaults,
  stackResources,
  toPlainProps,
  UnknownValueError,
  wrapProps,
  type RawResource,
} from "./runtime";

export interface PlannedResource {
  urn: string;
  type: string;
  name: string;
  parent?: string;
  props: Record<string, unknown>;
  protect: boolean;
  provider?: string;
  dependencies?: string[];
}

export type EnforcementLevel = "advisory" | "mandatory" | "remediate" | "disabled";

export interface Verdict {
  policy: string;
  enforcementLevel: Exclude<EnforcementLevel, "disabled">;
  urn?: string;
  message: string;
}

export interface EvaluateOptions {
  stack: string;
  project: string;
  /** Same JSON as `pulumi preview --policy-pack-config <file>`. */
  policyConfig?: Record<string, unknown>;
  stackTags?: Record<string, string>;
  /** Policies to run (default: the whole pack). */
  policies?: readonly PackPolicy[];
}

const levels: readonly EnforcementLevel[] = ["advisory", "mandatory", "remediate", "disabled"];

interface EffectiveConfig {
  enforcementLevel: EnforcementLevel;
  properties: Record<string, unknown>;
}

/** A config key that names no policy and is not "all". */
function unknownPolicyKeys(config: Record<string, unknown>, pack: readonly PackPolicy[]): string[] {
  const names = new Set(pack.map((p) => p.name));
  return Object.keys(config).filter((k) => k !== "all" && !names.has(k));
}

/**
 * Parses the `--policy-pack-config` document like the CLI's `parsePolicyPackConfig`: every value is
 * an enforcement level string or an object with an optional `enforcementLevel` and properties.
 * Returns errors as `[key, expected]` pairs.
 */
function parsePackConfig(config: Record<string, unknown>): {
  parsed: Map<string, { enforcementLevel?: EnforcementLevel; properties: Record<string, unknown> }>;
  errors: [string, string, unknown][];
} {
  const parsed = new Map<
    string,
    { enforcementLevel?: EnforcementLevel; properties: Record<string, unknown> }
  >();
  const errors: [string, string, unknown][] = [];
  for (const [key, value] of Object.entries(config)) {
    if (typeof value === "string") {
      if (!levels.includes(value as EnforcementLevel)) {
        errors.push([key, `an enforcement level (${levels.join(", ")})`, value]);
        continue;
      }
      parsed.set(key, { enforcementLevel: value as EnforcementLevel, properties: {} });
    } else if (value && typeof value === "object" && !Array.isArray(value)) {
      const { enforcementLevel, ...properties } = value as Record<string, unknown>;
      if (enforcementLevel !== undefined && !levels.includes(enforcementLevel as EnforcementLevel)) {
        errors.push([
          `${key}.enforcementLevel`,
          `an enforcement level (${levels.join(", ")})`,
          enforcementLevel,
        ]);
        continue;
      }
      parsed.set(key, { enforcementLevel: enforcementLevel as EnforcementLevel | undefined, properties });
    } else {
      errors.push([key, "an enforcement level string or an object", value]);
    }
  }
  return { parsed, errors };
}

/** Reconciles defaults and the given config (CLI `ReconcilePolicyPackConfig`); returns errors too. */
function reconcile(
  pack: readonly PackPolicy[],
  config: Record<string, unknown> | undefined,
): { effective: Map<string, EffectiveConfig>; errors: [string, string, unknown][] } {
  const effective = new Map<string, EffectiveConfig>();
  for (const p of pack) {
    effective.set(p.name, {
      enforcementLevel: p.enforcementLevel ?? packEnforcementLevel,
      properties: schemaDefaults(p.configSchema),
    });
  }
  const { parsed, errors } = parsePackConfig(config ?? {});
  const all = parsed.get("all");
  if (all?.enforcementLevel) {
    for (const c of effective.values()) c.enforcementLevel = all.enforcementLevel;
  }
  for (const [name, given] of parsed) {
    const c = effective.get(name);
    if (!c) continue; // the CLI ignores keys that name no policy
    if (given.enforcementLevel) c.enforcementLevel = given.enforcementLevel;
    Object.assign(c.properties, given.properties);
  }
  for (const p of pack) {
    if (!p.configSchema) continue;
    // The defaults alone are valid (a test checks every policy's): only what a config sets, or a
    // required property without a default, can make a policy's properties invalid.
    const given = Object.keys(parsed.get(p.name)?.properties ?? {}).length > 0;
    const defaults = effective.get(p.name)!.properties;
    if (!given && (p.configSchema.required ?? []).every((key) => key in defaults)) continue;
    const schema = {
      type: "object" as const,
      properties: p.configSchema.properties,
      ...(p.configSchema.required ? { required: p.configSchema.required } : {}),
    };
    for (const e of validateJsonSchema(effective.get(p.name)!.properties, schema)) {
      errors.push([`${p.name}.${e.path}`, e.expected, e.actual]);
    }
  }
  return { effective, errors };
}

function formatError(source: string, [key, expected, actual]: [string, string, unknown]): string {
  const json = JSON.stringify(actual);
  const got = actual === undefined ? "missing" : json.length > 60 ? `${json.slice(0, 57)}...` : json;
  return `${source}: "${key}" is ${got}, expected ${expected}`;
}

/**
 * Reads a `--policy-pack-config` JSON file and validates it against the pack (enforcement levels,
 * every policy's `configSchema`, and, stricter than the CLI, unknown policy names and unknown
 * property keys, which are almost always typos). Throws a one-line Error naming the file, the key
 * and what is expected.
 */
export function loadPolicyConfig(
  file: string,
  pack: readonly PackPolicy[] = packPolicies,
): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    throw new Error(`${file}: cannot read policy config (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  if (text.trim() === "") return {};
  let config: unknown;
  try {
    config = JSON.parse(text);
  } catch (e) {
    throw new Error(`${file}: not valid JSON (${(e as Error).message.split("\n")[0]})`);
  }
  if (!config || typeof config !== "object" || Array.isArray(config)) {
    throw new Error(`${file}: expected a JSON object mapping policy names (or "all") to settings`);
  }
  const doc = config as Record<string, unknown>;
  const unknown = unknownPolicyKeys(doc, pack);
  if (unknown.length) {
    throw new Error(
      `${file}: "${unknown[0]}" is not a policy of the ${packName} pack, expected one of "all" or a policy name (see docs/policies.md)`,
    );
  }
  for (const [name, value] of Object.entries(doc)) {
    if (name === "all") {
      if (value && typeof value === "object" && Object.keys(value).some((k) => k !== "enforcementLevel")) {
        throw new Error(`${file}: "all" takes only an enforcementLevel, expected e.g. "all": "advisory"`);
      }
      continue;
    }
    if (value && typeof value === "object" && !Array.isArray(value)) {
      const policy = pack.find((p) => p.name === name)!;
      const known = Object.keys(policy.configSchema?.properties ?? {});
      const extra = Object.keys(value).filter((k) => k !== "enforcementLevel" && !known.includes(k));
      if (extra.length) {
        throw new Error(
          `${file}: "${name}.${extra[0]}" is not a setting of ${name}, expected ${known.length ? `one of ${known.join(", ")}` : "only enforcementLevel"}`,
        );
      }
    }
  }
  const { errors } = reconcile(pack, doc);
  if (errors.length) throw new Error(formatError(file, errors[0]!));
  return doc;
}

function isResourcePolicy(p: PackPolicy): p is ResourceValidationPolicy {
  const r = p as ResourceValidationPolicy;
  return (
    typeof r.validateResource === "function" ||
    Array.isArray(r.validateResource) ||
    typeof r.remediateResource === "function"
  );
}

function isStackPolicy(p: PackPolicy): p is StackValidationPolicy {
  return typeof (p as StackValidationPolicy).validateStack === "function";
}

const packLabel = `'${packName}@v${packageJson.version}'`;

function violationMessage(description: string, detail: string): string {
  return detail ? `${description}\n${detail}` : description;
}

/**
 * Runs one remediation or validation as the engine does: a value unknown during preview becomes an
 * advisory "can't run ... during preview" verdict, `notApplicable()` is silence, any other error
 * names the policy and what it was checking. A policy that returns a promise is judged when it
 * settles (the caller awaits the promise returned); one that returns a value or throws is judged at
 * once, with nothing to await (a plan runs some 11,000 validations, nearly all synchronous).
 */
function guarded(
  verdicts: Verdict[],
  step: { kind: "policy" | "remediation"; policy: string; urn?: string; target: string },
  run: () => unknown,
): Promise<void> | undefined {
  const judge = (e: unknown): void => {
    if (e instanceof UnknownValueError) {
      verdicts.push({
        policy: step.policy,
        enforcementLevel: "advisory",
        ...(step.urn ? { urn: step.urn } : {}),
        message: `can't run ${step.kind} '${step.policy}' from policy pack ${packLabel} during preview: ${e.message}`,
      });
    } else if (!(e instanceof NotApplicableError)) {
      const verb = step.kind === "remediation" ? "remediating" : "validating";
      throw new Error(
        `Error ${verb} ${step.target} with ${step.kind} '${step.policy}' from policy pack ${packLabel}: ${(e as Error).message}`,
      );
    }
  };
  let result: unknown;
  try {
    result = run();
  } catch (e) {
    judge(e);
    return undefined;
  }
  if (typeof (result as PromiseLike<unknown> | undefined)?.then === "function")
    return Promise.resolve(result).then(() => undefined, judge);
  return undefined;
}

/** The type a validation is declared for (`validateResourceOfType` and friends set it), if any. */
function pulumiTypeOf(fn: unknown): string | undefined {
  const type = (fn as { __pulumiType?: unknown } | undefined)?.__pulumiType;
  return typeof type === "string" && type.length > 0 ? type : undefined;
}

/** server.js's fast check: a single validation declared for another type is not called. */
function appliesTo(validate: ResourceValidation, type: string): boolean {
  const declared = pulumiTypeOf(validate);
  return declared === undefined || declared === type;
}

/**
 * The resource policies that can apply to resources of `type`, with their validations. Like
 * server.js's fast check, a validation declared for another type is skipped (it would only report
 * "not applicable"); so is a `resourcePolicy` validation (policies/common.ts) for a type it does not
 * list.
 */
function validationsFor(
  type: string,
  pack: readonly PackPolicy[],
): { policy: ResourceValidationPolicy; validations: ResourceValidation[] }[] {
  const out: { policy: ResourceValidationPolicy; validations: ResourceValidation[] }[] = [];
  for (const p of pack) {
    if (!isResourcePolicy(p) || !p.validateResource) continue;
    const validations = [p.validateResource].flat().filter((validate) => {
      const scope = validationScope.get(validate);
      return scope ? scope.has(type) : Array.isArray(p.validateResource) || appliesTo(validate, type);
    });
    if (validations.length > 0) out.push({ policy: p, validations });
  }
  return out;
}

/** Runs the stack policies over the (remediated) resources, built once for all of them. */
async function runStackPolicies(
  stackRaw: RawResource[],
  pack: readonly PackPolicy[],
  effective: Map<string, EffectiveConfig>,
  stackTags: ReadonlyMap<string, string>,
  verdicts: Verdict[],
): Promise<void> {
  let built: ReturnType<typeof stackResources> | undefined;
  for (const p of pack) {
    const cfg = effective.get(p.name)!;
    if (cfg.enforcementLevel === "disabled" || !isStackPolicy(p)) continue;
    const declared = pulumiTypeOf(p.validateStack);
    if (declared && !stackRaw.some((r) => r.type === declared)) continue; // server.js's fast check
    const level = cfg.enforcementLevel === "remediate" ? "mandatory" : cfg.enforcementLevel;
    built ??= stackResources(stackRaw);
    const args = makeStackArgs(stackRaw, cfg.properties, stackTags, built);
    const pending = guarded(verdicts, { kind: "policy", policy: p.name, target: "stack" }, () =>
      p.validateStack(args, (message: string, urn?: string) =>
        verdicts.push({
          policy: p.name,
          enforcementLevel: level,
          ...(urn ? { urn } : {}),
          message: violationMessage(p.description, message),
        }),
      ),
    );
    if (pending) await pending;
  }
}

/**
 * Runs the pack over the planned resources and returns every verdict: per resource (in plan order,
 * policies in pack order: remediations, then validations), then the stack policies.
 * Throws when the policy config is invalid (the CLI refuses to run too) or a policy crashes.
 *
 * Cost: server.js deserializes a resource's props again for every validation; here the validations
 * of one resource share one deserialized copy (each behind its own unknown-checking proxy), and the
 * stack policies share one set of resources. The pack's policies only read props, so verdicts are
 * the same (test/policy/engine.test.ts, "shared props", checks no policy changes them).
 */
export async function evaluatePolicies(
  resources: PlannedResource[],
  options: EvaluateOptions,
): Promise<Verdict[]> {
  const pack = options.policies ?? packPolicies;
  const { effective, errors } = reconcile(pack, options.policyConfig);
  if (errors.length) throw new Error(formatError("policy config", errors[0]!));
  const stackTags = freezeMap(options.stackTags);
  const verdicts: Verdict[] = [];
  const finalProps = new Map<string, Record<string, unknown>>();
  // A provider reference is `<provider urn>::<id>`: CrossGuard hands a policy the provider's inputs.
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const providerProps = (ref: string | undefined) =>
    ref ? byUrn.get(ref.slice(0, ref.lastIndexOf("::")))?.props : undefined;
  const plainProviders = new Map<string, Record<string, unknown>>();
  const plainProvider = (ref: string) =>
    plainProviders.get(ref) ??
    plainProviders
      .set(ref, (toPlainProps(providerProps(ref) ?? {}) ?? {}) as Record<string, unknown>)
      .get(ref)!;
  const remediations = pack.filter(
    (p): p is ResourceValidationPolicy =>
      isResourcePolicy(p) && !!p.remediateResource && effective.get(p.name)!.enforcementLevel === "remediate",
  );
  const byType = new Map<string, ReturnType<typeof validationsFor>>();

  for (const r of resources) {
    const raw: RawResource = { ...r, props: r.props ?? {}, providerProps: providerProps(r.provider) };
    let props = (toPlainProps(raw.props) ?? {}) as Record<string, unknown>;

    // 1. Remediations (the engine calls Remediate before Analyze); each gets its own copy to change.
    for (const p of remediations) {
      const cfg = effective.get(p.name)!;
      const args = makeResourceArgs({ ...raw, props }, cfg.properties, stackTags, wrapProps(props));
      const pending = guarded(
        verdicts,
        { kind: "remediation", policy: p.name, urn: r.urn, target: `resource ${r.urn}` },
        async () => {
          const result = await p.remediateResource!(args);
          if (result) {
            props = (toPlainProps(result) ?? {}) as Record<string, unknown>;
            verdicts.push({
              policy: p.name,
              enforcementLevel: "remediate",
              urn: r.urn,
              message: p.description,
            });
          }
        },
      );
      if (pending) await pending;
    }
    finalProps.set(r.urn, props);

    // 2. Validations.
    let applicable = byType.get(r.type);
    if (!applicable) byType.set(r.type, (applicable = validationsFor(r.type, pack)));
    const subject = { ...raw, props };
    // The unknown-checking proxies keep no state, so a resource's validations share one of its
    // props and one of its provider's (server.js makes new ones per validation; 11,088 of them).
    let shared: { props: Record<string, unknown>; provider: PolicyResource["provider"] } | undefined;
    for (const { policy: p, validations } of applicable) {
      const cfg = effective.get(p.name)!;
      if (cfg.enforcementLevel === "disabled") continue;
      const level = cfg.enforcementLevel === "remediate" ? "mandatory" : cfg.enforcementLevel;
      for (const validate of validations) {
        shared ??= {
          props: unknownCheckingProxy(props),
          provider: r.provider
            ? providerOf(r.provider, unknownCheckingProxy(plainProvider(r.provider)))
            : undefined,
        };
        const args = makeResourceArgs(subject, cfg.properties, stackTags, shared.props, shared.provider);
        const pending = guarded(
          verdicts,
          { kind: "policy", policy: p.name, urn: r.urn, target: `resource ${r.urn}` },
          () =>
            validate(args, (message: string) =>
              verdicts.push({
                policy: p.name,
                enforcementLevel: level,
                urn: r.urn,
                message: violationMessage(p.description, message),
              }),
            ),
        );
        if (pending) await pending;
      }
    }
  }

  // 3. Stack policies, over the (remediated) resources.
  const stackRaw: RawResource[] = resources.map((r) => ({
    ...r,
    props: finalProps.get(r.urn) ?? {},
    providerProps: providerProps(r.provider),
  }));
  await runStackPolicies(stackRaw, pack, effective, stackTags, verdicts);
  return verdicts;
}
