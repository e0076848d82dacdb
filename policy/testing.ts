/**
 * Test harness for single policies: builds `ResourceValidationArgs` / `StackValidationArgs` the way
 * `@pulumi/policy` 1.21.0's analyzer server does (unknown-checking proxy on props, `opts`,
 * `stackTags`, `getConfig` with the policy's schema defaults, `isType`/`asType`, `notApplicable`)
 * and collects every `reportViolation` call.
 *
 * ```ts
 * const r = await runResourcePolicy(eksPrivateEndpoint(), { type: "aws:eks/cluster:Cluster", props });
 * assert.match(r.violations[0].message, /endpointPrivateAccess/);
 * ```
 */
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import {
  freezeMap,
  makeResourceArgs,
  makeStackArgs,
  makeUrn,
  NotApplicableError,
  schemaDefaults,
  UnknownValueError,
  type RawResource,
} from "./runtime";

export interface PolicyViolation {
  /** The message passed to `reportViolation` (without the description prefix the engine adds). */
  readonly message: string;
  /** The URN passed to `reportViolation` (stack policies) or the resource's URN (resource policies). */
  readonly urn?: string;
}

export interface PolicyRunResult {
  readonly violations: PolicyViolation[];
  /** Set when the policy called `args.notApplicable(reason)`; the value is the reason (or ""). */
  readonly notApplicable?: string;
  /**
   * Set when the policy read an unknown value; the value is the SDK's `UnknownValueError` message.
   * The engine turns this into an advisory "can't run policy ... during preview" diagnostic.
   */
  readonly unknown?: string;
}

export interface TestResource {
  readonly type: string;
  readonly props: Record<string, unknown>;
  /** @default "test" (or "<type-suffix>-<index>" in stacks) */
  readonly name?: string;
  /** @default `urn:pulumi:test::platform::<type>::<name>` */
  readonly urn?: string;
  /** @default false */
  readonly protect?: boolean;
  /** Parent URN (stack policies resolve it to `resource.parent`). */
  readonly parent?: string;
  readonly dependencies?: readonly string[];
  /** Provider reference (URN), if any. */
  readonly provider?: string;
}

export interface RunOptions {
  /** Policy config properties (merged over the policy's `configSchema` defaults, like the CLI). */
  readonly config?: Record<string, unknown>;
  /** Stack tags (`stackTags` in the args). */
  readonly stackTags?: Record<string, string>;
}

function configFor(
  policy: ResourceValidationPolicy | StackValidationPolicy,
  config?: Record<string, unknown>,
) {
  const merged = { ...schemaDefaults(policy.configSchema), ...(config ?? {}) };
  delete merged["enforcementLevel"];
  return merged;
}

function classify(e: unknown): { notApplicable?: string; unknown?: string } {
  if (e instanceof NotApplicableError) return { notApplicable: e.reason ?? "" };
  if (e instanceof UnknownValueError) return { unknown: e.message };
  throw e;
}

function rawResource(r: TestResource, index?: number): RawResource {
  const name =
    r.name ?? (index === undefined ? "test" : `${r.type.split(":").pop()!.toLowerCase()}-${index}`);
  return {
    type: r.type,
    name,
    urn: r.urn ?? makeUrn(r.type, name),
    props: r.props,
    protect: r.protect,
    parent: r.parent,
    dependencies: r.dependencies,
    provider: r.provider,
  };
}

/**
 * Runs every `validateResource` function of one resource policy against one resource.
 * Remediations are not run (use `runRemediation`).
 */
export async function runResourcePolicy(
  policy: ResourceValidationPolicy,
  resource: TestResource & RunOptions,
): Promise<PolicyRunResult> {
  const raw = rawResource(resource);
  const args = makeResourceArgs(raw, configFor(policy, resource.config), freezeMap(resource.stackTags));
  const violations: PolicyViolation[] = [];
  const validations = policy.validateResource
    ? Array.isArray(policy.validateResource)
      ? policy.validateResource
      : [policy.validateResource]
    : [];
  let extra: { notApplicable?: string; unknown?: string } = {};
  for (const validate of validations) {
    try {
      await validate(args, (message: string) => violations.push({ message, urn: raw.urn }));
    } catch (e) {
      extra = { ...extra, ...classify(e) };
    }
  }
  return { violations, ...extra };
}

/** Runs a stack policy against a set of resources. */
export async function runStackPolicy(
  policy: StackValidationPolicy,
  stack: { readonly resources: readonly TestResource[] } & RunOptions,
): Promise<PolicyRunResult> {
  const raws = stack.resources.map((r, i) => rawResource(r, i));
  const args = makeStackArgs(raws, configFor(policy, stack.config), freezeMap(stack.stackTags));
  const violations: PolicyViolation[] = [];
  try {
    await policy.validateStack(args, (message: string, urn?: string) => violations.push({ message, urn }));
  } catch (e) {
    return { violations, ...classify(e) };
  }
  return { violations };
}

export { makeUrn };
