/**
 * The offline plan: runs the real stack program with the stack's real YAML config under Pulumi's
 * mock runtime, records every resource, resolves the stack outputs and evaluates the policy pack.
 * See docs/plan.md.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { isDeepStrictEqual } from "node:util";
import * as pulumi from "@pulumi/pulumi";
import { parse as parseYaml } from "yaml";
import { evaluatePolicies } from "../../policy/engine";
import { ConfigError, NAMESPACE, SECRET_KEYS, loadConfig } from "../../stacks/config";
import { runProgram } from "../../stacks/program";
import { closestName } from "../../stacks/schema";
import { estimateCost, type CostComparison, type CostEstimate } from "./cost";
import { estimateFirstDeploy, type DeployEstimate } from "./deploy-time";
import {
  preflightVerdicts,
  repositorySteps,
  runGitOpsPreflight,
  type GitOpsRepo,
  type PreflightResult,
} from "./gitops-preflight";
import { PlatformMocks, recordRegistrations, settle, type RecordedResource } from "./mocks";

/** A user-facing failure of the plan (bad stack file, bad config): exit status 2, one line. */
export class PlanInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PlanInputError";
  }
}

/** A policy verdict as the plan reports it (same fields as `pulumi preview` prints). */
export interface PlanViolation {
  policy: string;
  enforcementLevel: "advisory" | "mandatory" | "remediate";
  urn?: string;
  message: string;
}

/** One planned resource. */
export interface PlanResource {
  urn: string;
  type: string;
  name: string;
  parent?: string;
  protect: boolean;
  /** The explicit provider reference (`<provider urn>::<id>`), when not the default provider. */
  provider?: string;
  /** URNs this resource depends on (explicit `dependsOn` and inputs from other resources). */
  dependencies: string[];
  inputs: Record<string, unknown>;
}

/** The result of planning one stack (also the `--json` document). */
export interface PlanResult {
  stack: string;
  project: string;
  /** Secret keys the stack file does not set: planned with a placeholder, required by a real run. */
  unsetSecrets: string[];
  resources: PlanResource[];
  outputs: Record<string, unknown>;
  violations: PlanViolation[];
  /** Monthly cost estimate (tools/plan/cost.ts). */
  cost: CostEstimate;
  /** First `pulumi up` duration estimate and its critical path (tools/plan/deploy-time.ts). */
  firstDeploy: DeployEstimate;
  /** The cost difference from a base plan (`--compare <base plan.json>`). */
  costComparison?: CostComparison;
  /** The GitOps preflight, when checkouts were given (`--gitops-repo`): what it followed and the repository's steps. */
  gitops?: { followed: PreflightResult["followed"]; steps: string[] };
  summary: {
    resources: number;
    byType: Record<string, number>;
    mandatory: number;
    advisory: number;
    remediate: number;
  };
}

/** Options of {@link planStack}. */
export interface PlanOptions {
  /** Directory holding Pulumi.yaml and the stack files. @default process.cwd() */
  readonly root?: string;
  /** Policy pack config (the JSON `pulumi preview --policy-pack-config` takes). */
  readonly policyConfig?: Record<string, unknown>;
  /** Skip policy evaluation. @default false */
  readonly skipPolicies?: boolean;
  /** Override or add raw config values (`platform:key` -> string), e.g. in tests. */
  readonly configOverrides?: Record<string, string>;
  /** Keys of `configOverrides` that are secrets, as `pulumi config set --secret` marks them. @default [] */
  readonly secretOverrides?: readonly string[];
  /**
   * The plan cache: a spoke's StackReference reads the hub's outputs saved in `dir` while nothing
   * that decides them changed; `sourceHash` identifies the program's sources (tools/plan/launch.js
   * computes it once to pick its bundle). @default no cache (the hub is planned in-process)
   */
  readonly cache?: { readonly dir: string; readonly sourceHash: string };
  /** Checkouts of the repositories the stack's Flux syncs: runs the GitOps preflight (tools/plan/gitops-preflight.ts). */
  readonly gitopsRepos?: readonly GitOpsRepo[];
  /** Already planned outputs of stacks a StackReference may read. */
  readonly stackOutputs?: Record<string, Record<string, unknown>>;
}

/** The Pulumi Cloud organization the plan runs in (`pulumi.getOrganization()`). */
export const PLAN_ORGANIZATION = "organization";

/** Marker the plan shows for a `secure:` value of a stack file (it cannot decrypt it). */
export const SECRET_PLACEHOLDER = "[secret]";

interface ProjectFile {
  name: string;
  defaults: Record<string, string>;
}

/**
 * How many values (scalars, lists, maps) a stack file may expand to once its aliases are resolved.
 * The `yaml` library's own guard counts aliases (100 at most), which refuses legitimate files that
 * reuse many anchors; the size of the expansion is what an alias bomb ("billion laughs") inflates.
 */
export const MAX_YAML_VALUES = 100_000;

/** Counts the values of a parsed document, aliases expanded, stopping past `limit`. */
function expandedSize(value: unknown, limit: number): number {
  let count = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0 && count <= limit) {
    const next = stack.pop();
    count++;
    if (next && typeof next === "object") stack.push(...Object.values(next));
  }
  return count;
}

/**
 * Where parsed YAML files are kept by content hash (the plan cache, `PlanOptions.cache`), so a plan
 * reads the project and stack files as JSON instead of parsing YAML again, which costs tens of
 * milliseconds per plan (mostly the parser's warm-up). Only a successful parse that JSON keeps
 * exactly is kept; the result is the same with or without the cache.
 */
let yamlCacheDir: string | undefined;

function readYaml(file: string): unknown {
  const text = readFileSync(file, "utf8");
  const cached = yamlCacheDir
    ? path.join(yamlCacheDir, `yaml-${createHash("sha256").update(text).digest("hex").slice(0, 32)}.json`)
    : undefined;
  if (cached && existsSync(cached)) {
    try {
      return JSON.parse(readFileSync(cached, "utf8")) as unknown;
    } catch {
      // An unreadable cache entry is parsed again (and replaced).
    }
  }
  const doc = parseYamlFile(file, text);
  if (cached) {
    const json = JSON.stringify(doc);
    if (json !== undefined && isDeepStrictEqual(JSON.parse(json), doc)) writeAtomically(cached, json);
  }
  return doc;
}

/** Writes a cache file aside and renames it: a plan running at the same time never reads half a file. */
function writeAtomically(file: string, content: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const partial = `${file}.${process.pid}.tmp`;
  writeFileSync(partial, content);
  renameSync(partial, file);
}

function parseYamlFile(file: string, text: string): unknown {
  let doc: unknown;
  try {
    doc = parseYaml(text, { maxAliasCount: -1 });
  } catch (error) {
    throw new PlanInputError(
      `${path.basename(file)}: not valid YAML (${(error as Error).message.split("\n")[0]})`,
    );
  }
  if (expandedSize(doc, MAX_YAML_VALUES) > MAX_YAML_VALUES)
    throw new PlanInputError(
      `${path.basename(file)}: its YAML aliases expand to more than ${MAX_YAML_VALUES} values (an alias bomb?): expected a stack file of at most that size`,
    );
  return doc;
}

/** Top-level keys of a stack file. https://www.pulumi.com/docs/iac/concepts/projects/stack-settings-file/ */
const STACK_FILE_KEYS = ["config", "secretsprovider", "encryptedkey", "encryptionsalt", "environment"];

function describe(value: unknown): string {
  if (Array.isArray(value)) return "a list";
  if (value === null || value === undefined) return "empty";
  return typeof value === "object" ? "a mapping" : `the ${typeof value} ${JSON.stringify(value)}`;
}

/** The `config:` mapping of a stack file, or a one-line error saying what is wrong with the file. */
function stackConfigOf(doc: unknown, name: string): Record<string, unknown> {
  const example = "config: with aws:region, platform:role, ... beneath it";
  if (doc === null || typeof doc !== "object" || Array.isArray(doc))
    throw new PlanInputError(
      `${name}: the file is ${describe(doc)}: expected a YAML mapping with ${example}`,
    );
  for (const key of Object.keys(doc)) {
    if (!STACK_FILE_KEYS.includes(key)) {
      const close = closestName(key, STACK_FILE_KEYS);
      throw new PlanInputError(
        `${name}: unknown top-level key ${key}${close ? ` (did you mean ${close}?)` : ""}: expected ${STACK_FILE_KEYS.join(", ")}`,
      );
    }
  }
  const config = (doc as { config?: unknown }).config;
  if (!("config" in doc)) throw new PlanInputError(`${name}: no config: section: expected ${example}`);
  if (config === null || typeof config !== "object" || Array.isArray(config))
    throw new PlanInputError(`${name}: config: is ${describe(config)}: expected a mapping of keys to values`);
  return config as Record<string, unknown>;
}

function toRaw(value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return JSON.stringify(value);
}

/** Reads Pulumi.yaml: the project name and the declared defaults (as raw config strings). */
export function readProject(root: string): ProjectFile {
  const file = path.join(root, "Pulumi.yaml");
  if (!existsSync(file)) throw new PlanInputError(`Pulumi.yaml not found in ${root}`);
  const doc = readYaml(file) as { name?: string; config?: Record<string, unknown> };
  const name = doc.name ?? "platform";
  const defaults: Record<string, string> = {};
  for (const [key, decl] of Object.entries(doc.config ?? {})) {
    const fullKey = key.includes(":") ? key : `${name}:${key}`;
    if (decl && typeof decl === "object" && "default" in decl) {
      defaults[fullKey] = toRaw((decl as { default: unknown }).default);
    } else if (decl === null || typeof decl !== "object") {
      defaults[fullKey] = toRaw(decl);
    }
  }
  return { name, defaults };
}

/** A `secure:` value of a stack file (`{secure: <ciphertext>}`). */
function isSecure(value: unknown): boolean {
  return (
    value !== null &&
    typeof value === "object" &&
    !Array.isArray(value) &&
    "secure" in value &&
    Object.keys(value).length === 1
  );
}

function containsSecure(value: unknown): boolean {
  if (isSecure(value)) return true;
  return value !== null && typeof value === "object" && Object.values(value).some(containsSecure);
}

/** The value with each nested `secure:` value replaced by the placeholder. */
function maskSecure(value: unknown): unknown {
  if (isSecure(value)) return SECRET_PLACEHOLDER;
  if (Array.isArray(value)) return value.map(maskSecure);
  if (value !== null && typeof value === "object")
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskSecure(v)]));
  return value;
}

/**
 * Reads a stack's raw config the way the Pulumi CLI hands it to the program: project defaults,
 * overridden by the stack file; structured values as JSON; `secure:` values as a placeholder.
 */
export function readStackConfig(
  root: string,
  stack: string,
  project: ProjectFile,
): { raw: Record<string, string>; secretKeys: string[] } {
  const file = path.join(root, `Pulumi.${stack}.yaml`);
  if (!existsSync(file)) throw new PlanInputError(`stack file Pulumi.${stack}.yaml not found in ${root}`);
  const config = stackConfigOf(readYaml(file), path.basename(file));
  const raw: Record<string, string> = { ...project.defaults };
  const secretKeys: string[] = [];
  for (const [key, value] of Object.entries(config)) {
    const fullKey = key.includes(":") ? key : `${project.name}:${key}`;
    if (isSecure(value)) {
      raw[fullKey] = SECRET_PLACEHOLDER;
      secretKeys.push(fullKey);
    } else if (containsSecure(value)) {
      // `pulumi config set --secret --path key[0].url`: Pulumi marks the whole key secret.
      raw[fullKey] = toRaw(maskSecure(value));
      secretKeys.push(fullKey);
    } else {
      raw[fullKey] = toRaw(value);
    }
  }
  return { raw, secretKeys };
}

/**
 * Secrets are set per stack with `pulumi config set --secret`, never committed, so a fresh clone
 * has none. For each secret key the stack's config requires and lacks, the plan stands in a
 * placeholder (and reports the key: a real run needs the value). Other config errors are left for
 * the program to raise.
 * @returns The full keys of the fields given a placeholder (`platform:gitops.sshPrivateKey`).
 */
export function standInForSecrets(
  raw: Record<string, string>,
  stack: string,
  project: string,
  fileSecrets: readonly string[] = [],
): string[] {
  const secretFields = new Set<string>(SECRET_KEYS.map((k) => `${NAMESPACE}:${k}`));
  const stoodIn: string[] = [];
  const isSecret = (key: string) =>
    fileSecrets.includes(key) || stoodIn.some((field) => field === key || field.startsWith(`${key}.`));
  for (let attempt = 0; attempt <= secretFields.size; attempt++) {
    try {
      loadConfig(raw, stack, project, { isSecret });
      break;
    } catch (error) {
      if (!(error instanceof ConfigError) || !secretFields.has(error.key)) break;
      // A secret field (`platform:gitops.sshPrivateKey`) lives in its object key (`platform:gitops`).
      const [key, field] = error.key.split(".");
      const object = raw[key] ? (JSON.parse(raw[key]) as Record<string, unknown>) : {};
      if (object[field]) break;
      raw[key] = JSON.stringify({ ...object, [field]: SECRET_PLACEHOLDER });
      stoodIn.push(error.key);
    }
  }
  return stoodIn;
}

/**
 * Turns off two pieces of Pulumi's debugging instrumentation the plan never shows, for the plan
 * process only (`--debug` keeps them):
 * - `Resource.stackTrace`, which captures the whole call stack of every resource (with
 *   `Error.stackTraceLimit` raised to Infinity) and parses it into a source position;
 * - `debuggablePromise`, which wraps every runtime promise for leak reports (a debug stack, three
 *   property definitions, a tracking set and two more promises per call; the runtime reads it
 *   from its module at each call).
 * Together about a tenth of a plan. The program and its resources are unchanged.
 */
export function skipDebugInstrumentation(): void {
  (pulumi.Resource as unknown as { stackTrace: () => unknown[] }).stackTrace = () => [];
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const debuggable = require("@pulumi/pulumi/runtime/debuggable") as { debuggablePromise: unknown };
  debuggable.debuggablePromise = <T>(promise: Promise<T>) => promise;
}

/** Resolves Outputs (and nested ones) to plain values; secrets stay marked. */
async function resolveDeep(value: unknown): Promise<unknown> {
  if (pulumi.Output.isInstance(value)) {
    const output = value as unknown as {
      promise(): Promise<unknown>;
      isKnown: Promise<boolean>;
      isSecret: Promise<boolean>;
    };
    const [inner, known, secret] = await Promise.all([output.promise(), output.isKnown, output.isSecret]);
    if (!known) return "[unknown]";
    if (secret) return SECRET_PLACEHOLDER;
    return resolveDeep(inner);
  }
  if (pulumi.Resource.isInstance(value)) return `[resource]`;
  if (Array.isArray(value)) return Promise.all(value.map(resolveDeep));
  if (value && typeof value === "object") {
    const entries = await Promise.all(
      Object.entries(value).map(async ([k, v]) => [k, await resolveDeep(v)] as const),
    );
    return Object.fromEntries(entries);
  }
  return value;
}

/** Resolves stack outputs for a StackReference: secrets are kept as values (the spoke needs them). */
async function resolveForReference(value: unknown): Promise<unknown> {
  if (pulumi.Output.isInstance(value)) {
    return resolveForReference(await (value as unknown as { promise(): Promise<unknown> }).promise());
  }
  if (Array.isArray(value)) return Promise.all(value.map(resolveForReference));
  if (value && typeof value === "object" && !pulumi.Resource.isInstance(value)) {
    const entries = await Promise.all(
      Object.entries(value).map(async ([k, v]) => [k, await resolveForReference(v)] as const),
    );
    return Object.fromEntries(entries);
  }
  return value;
}

/**
 * The Pulumi CLI's rule for stack and project names: letters, digits, `-`, `_`, `.`, 1-100
 * characters (pulumi/pulumi `pkg/backend/httpstate`: `stackNameAndProjectRegexp`).
 * @see https://www.pulumi.com/docs/iac/concepts/stacks/#create-stack
 */
const STACK_OR_PROJECT_NAME = /^[A-Za-z0-9_.-]{1,100}$/;
/** The Pulumi CLI's rule for an organization (stack owner) name (`stackOwnerRegexp`). */
const ORGANIZATION_NAME = /^[a-zA-Z0-9][a-zA-Z0-9-_]{1,38}[a-zA-Z0-9]$/;

/** A stack name as the Pulumi CLI takes it: `<stack>`, `<org>/<stack>` or `<org>/<project>/<stack>`. */
export interface StackName {
  readonly organization?: string;
  readonly project?: string;
  /** The bare stack name: the `<stack>` of `Pulumi.<stack>.yaml` and of `pulumi.getStack()`. */
  readonly stack: string;
}

/**
 * Parses a stack name the way the Pulumi CLI validates `--stack` and stack references: each part
 * must match the CLI's rule, so a name can never reach outside the project directory when it
 * becomes `Pulumi.<stack>.yaml`.
 * @returns The parts, or a description of what is wrong (for the caller's one-line error).
 */
export function parseStackName(value: string): StackName | { problem: string } {
  const parts = value.split("/");
  if (parts.length > 3) return { problem: "at most <organization>/<project>/<stack>" };
  const stack = parts[parts.length - 1];
  const organization = parts.length > 1 ? parts[0] : undefined;
  const project = parts.length === 3 ? parts[1] : undefined;
  if (!STACK_OR_PROJECT_NAME.test(stack)) {
    return { problem: `a stack name of 1-100 letters, digits, "-", "_" or "." (got "${stack}")` };
  }
  if (project !== undefined && !STACK_OR_PROJECT_NAME.test(project)) {
    return { problem: `a project name of 1-100 letters, digits, "-", "_" or "." (got "${project}")` };
  }
  if (organization !== undefined && !ORGANIZATION_NAME.test(organization)) {
    return {
      problem: `an organization name of 3-40 letters, digits, "-" or "_", starting and ending with a letter or digit (got "${organization}")`,
    };
  }
  return { organization, project, stack };
}

/** The bare name of the stack `--stack` names, checked as the Pulumi CLI checks it. */
function stackFromArgument(value: string, root: string): string {
  const name = parseStackName(value);
  const usage = "<stack>, <organization>/<stack> or <organization>/<project>/<stack>";
  if ("problem" in name) {
    throw new PlanInputError(
      `--stack ${JSON.stringify(value)}: expected ${name.problem}; the forms are ${usage}`,
    );
  }
  const project = name.project === undefined ? undefined : readProject(root).name;
  if (name.project !== project) {
    throw new PlanInputError(
      `--stack ${JSON.stringify(value)}: expected a stack of project ${project} (Pulumi.yaml), not ${name.project}`,
    );
  }
  return name.stack;
}

/**
 * The hub stack a spoke's `hubStackReference` names, checked before anything is planned: a stack
 * of this project whose file is in `root`, not a stack already being planned (a reference cycle,
 * e.g. a spoke naming itself), and a hub.
 * @param chain The stacks being planned, outermost first (the spoke is last).
 * @throws ConfigError naming the key and the value otherwise.
 */
function referencedHub(
  reference: string,
  root: string,
  project: ProjectFile,
  chain: readonly string[],
): string {
  const key = `${project.name}:hubStackReference`;
  const name = parseStackName(reference);
  if ("problem" in name || name.project === undefined) {
    throw new ConfigError(
      key,
      reference,
      `a stack reference <organization>/<project>/<stack>${"problem" in name ? ` with ${name.problem}` : ""}`,
    );
  }
  if (name.project !== project.name) {
    throw new ConfigError(
      key,
      reference,
      `a stack of this project, ${project.name} (Pulumi.yaml), not ${name.project}`,
    );
  }
  const hub = name.stack;
  if (chain.includes(hub)) {
    const self = chain[chain.length - 1] === hub;
    throw new ConfigError(
      key,
      reference,
      self
        ? "the hub's stack reference, but it names this stack itself"
        : `the hub's stack reference, but the references form a cycle: ${[...chain, hub].join(" -> ")}`,
    );
  }
  if (!existsSync(path.join(root, `Pulumi.${hub}.yaml`))) {
    throw new ConfigError(key, reference, `a hub stack whose file Pulumi.${hub}.yaml is in ${root}`);
  }
  const role = readStackConfig(root, hub, project).raw[`${project.name}:role`];
  if (role !== "hub") {
    throw new ConfigError(
      key,
      reference,
      `a hub's stack reference, but that stack is not a hub (Pulumi.${hub}.yaml sets ${project.name}:role ${role === undefined ? "to nothing" : `= ${JSON.stringify(role)}`})`,
    );
  }
  return hub;
}

/**
 * The hub's planned outputs for a spoke's StackReference: planned in this process, or read from the
 * plan cache when nothing that decides them has changed: the program's sources (the launcher's
 * hash of them, `cache.sourceHash`), `Pulumi.yaml` and the hub's stack file.
 */
async function hubOutputs(
  hub: string,
  root: string,
  options: PlanOptions,
  chain: readonly string[],
): Promise<Record<string, unknown>> {
  let file: string | undefined;
  if (options.cache) {
    const hash = createHash("sha256").update(options.cache.sourceHash);
    for (const f of [path.join(root, "Pulumi.yaml"), path.join(root, `Pulumi.${hub}.yaml`)]) {
      hash.update(f).update(readFileSync(f));
    }
    // Named after the sources first: the launcher removes entries of other sources when it rebuilds.
    const name = `outputs-${options.cache.sourceHash.slice(0, 16)}-${hub}-${hash.digest("hex").slice(0, 32)}.json`;
    file = path.join(options.cache.dir, name);
    if (existsSync(file)) return JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
  }
  const outcome = await runUnderMocks(hub, { ...options, configOverrides: {}, secretOverrides: [] }, chain);
  if (file) writeAtomically(file, JSON.stringify(outcome.referenceOutputs));
  return outcome.referenceOutputs;
}

interface RunOutcome {
  unsetSecrets: string[];
  recorded: RecordedResource[];
  outputs: Record<string, unknown>;
  referenceOutputs: Record<string, unknown>;
  project: string;
  region: string;
}

/**
 * @param chain The stacks whose planning led here through hub references, outermost first.
 */
async function runUnderMocks(
  stack: string,
  options: PlanOptions,
  chain: readonly string[] = [],
): Promise<RunOutcome> {
  const root = options.root ?? process.cwd();
  const project = readProject(root);
  const { raw, secretKeys } = readStackConfig(root, stack, project);
  Object.assign(raw, options.configOverrides ?? {});
  secretKeys.push(...(options.secretOverrides ?? []));
  const unsetSecrets = standInForSecrets(raw, stack, project.name, secretKeys);
  // Pulumi marks the whole object key secret when one of its fields is.
  secretKeys.push(...unsetSecrets.map((field) => field.split(".")[0]));

  const stackOutputs: Record<string, Record<string, unknown>> = { ...(options.stackOutputs ?? {}) };
  const reference = raw[`${project.name}:hubStackReference`];
  if (raw[`${project.name}:role`] === "spoke" && reference && !stackOutputs[reference]) {
    const hub = referencedHub(reference, root, project, [...chain, stack]);
    stackOutputs[reference] = await hubOutputs(hub, root, options, [...chain, stack]);
  }

  const recorded: RecordedResource[] = [];
  await pulumi.runtime.setMocks(
    new PlatformMocks({ region: raw["aws:region"], stackOutputs }),
    project.name,
    stack,
    true,
    PLAN_ORGANIZATION,
  );
  recordRegistrations(recorded);
  pulumi.runtime.setAllConfig(raw, secretKeys);

  const outputs = await runProgram(raw, stack, project.name);
  const [shown, forReference] = await Promise.all([resolveDeep(outputs), resolveForReference(outputs)]);
  await settle();
  return {
    unsetSecrets,
    recorded,
    outputs: shown as Record<string, unknown>,
    referenceOutputs: forReference as Record<string, unknown>,
    project: project.name,
    region: raw["aws:region"],
  };
}

/**
 * Plans one stack: runs its program under mocks with its real config, then the policy pack.
 * @param name The stack as `pulumi --stack` takes it: `<stack>`, `<organization>/<stack>` or
 *   `<organization>/<project>/<stack>` (the project must be the one of `Pulumi.yaml`).
 * @throws PlanInputError on an invalid stack name or a missing or unreadable stack file;
 *   ConfigError on bad configuration (including a hub reference that does not name a hub).
 */
export async function planStack(name: string, options: PlanOptions = {}): Promise<PlanResult> {
  if (options.cache) yamlCacheDir = options.cache.dir;
  const stack = stackFromArgument(name, options.root ?? process.cwd());
  const outcome = await runUnderMocks(stack, options);
  const resources: PlanResource[] = outcome.recorded.map((r) => ({
    urn: r.urn,
    type: r.type,
    name: r.name,
    ...(r.parent ? { parent: r.parent } : {}),
    protect: r.protect,
    ...(r.provider ? { provider: r.provider } : {}),
    dependencies: r.dependencies,
    inputs: r.shownInputs,
  }));

  let violations: PlanViolation[] = [];
  if (!options.skipPolicies) {
    const verdicts = await evaluatePolicies(
      outcome.recorded.map((r) => ({
        urn: r.urn,
        type: r.type,
        name: r.name,
        parent: r.parent,
        // CrossGuard judges a component by the inputs it was registered with (a component's outputs
        // are not known at that point); a custom resource also by the outputs the mocks made up.
        props: r.custom ? { ...r.outputs, ...r.inputs } : r.inputs,
        protect: r.protect,
        provider: r.provider,
        dependencies: r.dependencies,
      })),
      { stack, project: outcome.project, policyConfig: options.policyConfig },
    );
    violations = verdicts.map((v) => ({ ...v }));
  }
  let gitops: PlanResult["gitops"];
  if (options.gitopsRepos && options.gitopsRepos.length > 0) {
    const preflight = runGitOpsPreflight(outcome.recorded, { repos: options.gitopsRepos });
    violations.push(...preflightVerdicts(preflight));
    gitops = { followed: preflight.followed, steps: repositorySteps(preflight) };
  }

  const byType: Record<string, number> = {};
  for (const r of resources) byType[r.type] = (byType[r.type] ?? 0) + 1;
  const count = (level: PlanViolation["enforcementLevel"]) =>
    violations.filter((v) => v.enforcementLevel === level).length;
  return {
    stack,
    project: outcome.project,
    unsetSecrets: outcome.unsetSecrets,
    resources,
    outputs: outcome.outputs,
    violations,
    cost: estimateCost(resources, outcome.region),
    firstDeploy: estimateFirstDeploy(resources),
    ...(gitops ? { gitops } : {}),
    summary: {
      resources: resources.length,
      byType,
      mandatory: count("mandatory"),
      advisory: count("advisory"),
      remediate: count("remediate"),
    },
  };
}
