/**
 * Internal plumbing shared by `policy/testing.ts` (unit-test harness) and `policy/engine.ts` (the
 * offline plan's policy engine). It rebuilds the argument bags that `@pulumi/policy` 1.21.0's
 * analyzer server (`server.js`) hands to policies, so a policy behaves the same under a real
 * `pulumi preview --policy-pack policy` and here.
 *
 * Not imported by the pack itself (`policy/index.ts`).
 */
import type {
  PolicyConfigSchema,
  PolicyResource,
  PolicyResourceOptions,
  ResourceValidationArgs,
  StackValidationArgs,
} from "@pulumi/policy";
import { specialSecretSig, specialSigKey } from "@pulumi/pulumi/runtime/rpc";
import { unknownCheckingProxy, UnknownValueError } from "./policies/sdk";

export { UnknownValueError };

/** Thrown by `args.notApplicable()`, like the (unexported) `NotApplicableError` of server.js. */
export class NotApplicableError extends Error {
  constructor(public readonly reason?: string) {
    super(reason ?? "Policy does not apply");
    this.name = "NotApplicableError";
  }
}

function throwNotApplicable(reason?: string): never {
  throw new NotApplicableError(reason);
}

/**
 * Converts props to the plain JSON shape the analyzer deserializes: `undefined` object keys dropped
 * (the SDK treats them as absent), `undefined` array slots become `null`, secrets unwrapped (a
 * serialized secret is `{ [specialSigKey]: specialSecretSig, value }`, the SDK's own constants from
 * `@pulumi/pulumi/runtime/rpc`).
 */
export function toPlainProps(value: unknown): unknown {
  if (value === null || value === undefined) return value ?? null;
  if (typeof value === "object" && (value as Record<string, unknown>)["__isSpecialProxy"] === true) {
    return toPlainProps((value as Record<string, unknown>)["__getSpecialProxyTarget"]);
  }
  if (Array.isArray(value)) return value.map((v) => (v === undefined ? null : toPlainProps(v)));
  if (typeof value === "object") {
    let obj = value as Record<string, unknown>;
    // Unwrap the SDK's proxies (a remediation may return the proxied props).
    if (obj["__isSpecialProxy"] === true) obj = obj["__getSpecialProxyTarget"] as Record<string, unknown>;
    if (obj[specialSigKey] === specialSecretSig) return toPlainProps(obj["value"]);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(obj)) {
      if (v !== undefined) out[k] = toPlainProps(v);
    }
    return out;
  }
  return value;
}

/** Deserializes and wraps props in the SDK's unknown-checking proxy (accessing an unknown throws). */
export function wrapProps(props: Record<string, unknown> | undefined): Record<string, any> {
  const plain = (toPlainProps(props ?? {}) ?? {}) as Record<string, unknown>;
  return unknownCheckingProxy(plain);
}

function isTypeOf(type: string, resourceClass: unknown): boolean {
  const cls = resourceClass as { __pulumiType?: unknown; isInstance?: (o: unknown) => boolean };
  if (typeof cls?.__pulumiType === "string" && cls.__pulumiType.length > 0) {
    return type === cls.__pulumiType;
  }
  return typeof cls?.isInstance === "function" && cls.isInstance({ __pulumiType: type }) === true;
}

/** Freezes a map the way server.js does for `stackTags`. */
export function freezeMap(entries: Record<string, string> | undefined): ReadonlyMap<string, string> {
  const map = new Map(Object.entries(entries ?? {}));
  return Object.freeze({
    entries: map.entries.bind(map),
    forEach: map.forEach.bind(map),
    get: map.get.bind(map),
    has: map.has.bind(map),
    keys: map.keys.bind(map),
    size: map.size,
    values: map.values.bind(map),
    [Symbol.iterator]: map[Symbol.iterator].bind(map),
  }) as ReadonlyMap<string, string>;
}

/** A resource as the harness and the engine describe it before it is turned into SDK args. */
export interface RawResource {
  readonly type: string;
  readonly name: string;
  readonly urn: string;
  readonly props: Record<string, unknown>;
  readonly protect?: boolean;
  readonly parent?: string;
  readonly dependencies?: readonly string[];
  readonly provider?: string;
  /** The inputs of the provider `provider` names (what CrossGuard passes as `provider.props`). */
  readonly providerProps?: Record<string, unknown>;
}

function resourceOptions(r: RawResource): PolicyResourceOptions {
  const opts: PolicyResourceOptions = {
    protect: r.protect ?? false,
    ignoreChanges: [],
    aliases: [],
    customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
    additionalSecretOutputs: [],
  };
  if (r.parent) opts.parent = r.parent;
  return opts;
}

/**
 * The provider a provider reference (`<provider urn>::<id>`) names, as CrossGuard hands it to a
 * policy (`args.provider`); `props` are the provider's inputs.
 */
export function providerOf(ref: string, props: Record<string, any>): PolicyResource["provider"] {
  // "urn:pulumi:stack::project::pulumi:providers:aws::default_7_48_0::id"
  const parts = ref.split("::");
  return { type: parts[2] ?? "", props, urn: ref, name: parts[3] ?? "" };
}

/**
 * Builds `ResourceValidationArgs` exactly like `makeAnalyzeRpcFun` in server.js.
 * @param props The props as the policy sees them. @default a fresh deserialized copy of `r.props`
 * @param provider `args.provider`. @default built from `r.provider` and a copy of `r.providerProps`
 */
export function makeResourceArgs(
  r: RawResource,
  config: Record<string, unknown>,
  stackTags: ReadonlyMap<string, string>,
  props: Record<string, any> = wrapProps(r.props),
  provider: PolicyResource["provider"] = r.provider
    ? providerOf(r.provider, wrapProps(r.providerProps ?? {}))
    : undefined,
): ResourceValidationArgs {
  const args: ResourceValidationArgs = {
    type: r.type,
    props,
    urn: r.urn,
    name: r.name,
    opts: resourceOptions(r),
    stackTags,
    isType: (cls) => isTypeOf(r.type, cls),
    asType: ((cls: unknown) =>
      isTypeOf(r.type, cls) ? props : undefined) as ResourceValidationArgs["asType"],
    getConfig: <T extends object>() => ({ ...config }) as T,
    notApplicable: throwNotApplicable,
  };
  if (provider) args.provider = provider;
  return args;
}

/**
 * The resources of `StackValidationArgs` as `makeAnalyzeStackRpcFun` in server.js builds them, props
 * deserialized; parents and dependencies linked.
 */
export function stackResources(resources: readonly RawResource[]): PolicyResource[] {
  const providers = new Map<string, PolicyResource["provider"]>();
  const built = resources.map((r) => {
    const props = wrapProps(r.props);
    const res: PolicyResource = {
      type: r.type,
      props,
      urn: r.urn,
      name: r.name,
      opts: resourceOptions(r),
      dependencies: [],
      propertyDependencies: {},
      isType: (cls) => isTypeOf(r.type, cls),
      asType: ((cls: unknown) => (isTypeOf(r.type, cls) ? props : undefined)) as PolicyResource["asType"],
    };
    if (r.provider) {
      const ref = r.provider;
      const provider = providers.get(ref) ?? providerOf(ref, wrapProps(r.providerProps ?? {}));
      providers.set(ref, provider);
      res.provider = provider;
    }
    return { res, raw: r };
  });
  const byUrn = new Map(built.map((b) => [b.res.urn, b.res]));
  for (const { res, raw } of built) {
    if (raw.parent) {
      const parent = byUrn.get(raw.parent);
      if (parent) res.parent = parent;
    }
    res.dependencies = (raw.dependencies ?? [])
      .map((d) => byUrn.get(d))
      .filter((d): d is PolicyResource => !!d);
  }
  return built.map((b) => b.res);
}

/**
 * Builds `StackValidationArgs` exactly like `makeAnalyzeStackRpcFun` in server.js.
 * @param built The resources as {@link stackResources} builds them. @default built from `resources`
 */
export function makeStackArgs(
  resources: readonly RawResource[],
  config: Record<string, unknown>,
  stackTags: ReadonlyMap<string, string>,
  built: PolicyResource[] = stackResources(resources),
): StackValidationArgs {
  return {
    resources: built,
    getConfig: <T extends object>() => ({ ...config }) as T,
    stackTags,
    notApplicable: throwNotApplicable,
  };
}

/** Default values of a policy's config schema (what the Pulumi CLI fills in before `Configure`). */
export function schemaDefaults(schema: PolicyConfigSchema | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema?.properties ?? {})) {
    if (typeof v === "object" && v !== null && "default" in v) out[k] = structuredClone(v.default);
  }
  return out;
}

/** Builds a URN like the engine does for a root-level resource. */
export function makeUrn(type: string, name: string, stack = "test", project = "platform"): string {
  return `urn:pulumi:${stack}::${project}::${type}::${name}`;
}
