/**
 * The offline plan: runs the real stack program with the stack's real YAML config under Pulumi's
 * mock runtime, records every resource, resolves the stack outputs and evaluates the policy pack.
 * See docs/plan.md.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { parse as parseYaml } from "yaml";
import { evaluatePolicies } from "../../policy/engine";
import { ConfigError, NAMESPACE, SECRET_KEYS, loadConfig } from "../../stacks/config";
import { runProgram } from "../../stacks/program";
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

/** Marker the plan shows for a `secure:` value of a stack file (it cannot decrypt it). */
export const SECRET_PLACEHOLDER = "[secret]";

interface ProjectFile {
  name: string;
  defaults: Record<string, string>;
}

function readYaml(file: string): unknown {
  try {
    return parseYaml(readFileSync(file, "utf8"));
  } catch (error) {
    throw new PlanInputError(
      `${path.basename(file)}: not valid YAML (${(error as Error).message.split("\n")[0]})`,
    );
  }
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
  const doc = (readYaml(file) ?? {}) as { config?: Record<string, unknown> };
  const raw: Record<string, string> = { ...project.defaults };
  const secretKeys: string[] = [];
  for (const [key, value] of Object.entries(doc.config ?? {})) {
    const fullKey = key.includes(":") ? key : `${project.name}:${key}`;
    if (
      value &&
      typeof value === "object" &&
      !Array.isArray(value) &&
      "secure" in value &&
      Object.keys(value).length === 1
    ) {
      raw[fullKey] = SECRET_PLACEHOLDER;
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
 * @returns The full keys given a placeholder.
 */
export function standInForSecrets(raw: Record<string, string>, stack: string, project: string): string[] {
  const secretKeys = new Set<string>(SECRET_KEYS.map((k) => `${NAMESPACE}:${k}`));
  const stoodIn: string[] = [];
  for (let attempt = 0; attempt <= secretKeys.size; attempt++) {
    try {
      loadConfig(raw, stack, project);
      break;
    } catch (error) {
      if (!(error instanceof ConfigError) || !secretKeys.has(error.key) || raw[error.key]) break;
      raw[error.key] = SECRET_PLACEHOLDER;
      stoodIn.push(error.key);
    }
  }
  return stoodIn;
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

function hubStackName(reference: string): string {
  return reference.split("/").pop() as string;
}

/**
 * The hub's planned outputs for a spoke's StackReference: planned in this process, or read from the
 * plan cache when nothing that decides them has changed: the program's sources (the launcher's
 * hash of them, `cache.sourceHash`), `Pulumi.yaml` and the hub's stack file.
 */
async function hubOutputs(hub: string, root: string, options: PlanOptions): Promise<Record<string, unknown>> {
  let file: string | undefined;
  if (options.cache) {
    const hash = createHash("sha256").update(options.cache.sourceHash);
    for (const f of [path.join(root, "Pulumi.yaml"), path.join(root, `Pulumi.${hub}.yaml`)]) {
      hash.update(f).update(readFileSync(f));
    }
    file = path.join(options.cache.dir, `${hub}-${hash.digest("hex").slice(0, 32)}.json`);
    if (existsSync(file)) return JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
  }
  const outcome = await runUnderMocks(hub, { ...options, configOverrides: {} });
  if (file) {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify(outcome.referenceOutputs));
  }
  return outcome.referenceOutputs;
}

interface RunOutcome {
  unsetSecrets: string[];
  recorded: RecordedResource[];
  outputs: Record<string, unknown>;
  referenceOutputs: Record<string, unknown>;
  project: string;
}

async function runUnderMocks(stack: string, options: PlanOptions): Promise<RunOutcome> {
  const root = options.root ?? process.cwd();
  const project = readProject(root);
  const { raw, secretKeys } = readStackConfig(root, stack, project);
  Object.assign(raw, options.configOverrides ?? {});
  const unsetSecrets = standInForSecrets(raw, stack, project.name);
  secretKeys.push(...unsetSecrets);

  const stackOutputs: Record<string, Record<string, unknown>> = { ...(options.stackOutputs ?? {}) };
  const reference = raw[`${project.name}:hubStackReference`];
  if (raw[`${project.name}:role`] === "spoke" && reference && !stackOutputs[reference]) {
    const hub = hubStackName(reference);
    if (!existsSync(path.join(root, `Pulumi.${hub}.yaml`))) {
      throw new PlanInputError(
        `${project.name}:hubStackReference = "${reference}": expected a hub stack whose file Pulumi.${hub}.yaml is in ${root}`,
      );
    }
    stackOutputs[reference] = await hubOutputs(hub, root, options);
  }

  const recorded: RecordedResource[] = [];
  await pulumi.runtime.setMocks(
    new PlatformMocks({ region: raw["aws:region"], stackOutputs }),
    project.name,
    stack,
    true,
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
  };
}

/**
 * Plans one stack: runs its program under mocks with its real config, then the policy pack.
 * @throws PlanInputError on a missing or unreadable stack file; ConfigError on bad configuration.
 */
export async function planStack(stack: string, options: PlanOptions = {}): Promise<PlanResult> {
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
        props: { ...r.outputs, ...r.inputs },
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
