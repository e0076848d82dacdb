/**
 * The human format of the plan: a resource tree with key inputs, the outputs, the policy verdicts.
 */
import { formatCost, formatCostComparison, formatFirstDeploy } from "./format-estimates";
import type { PlanResource, PlanResult } from "./run";

/** Inputs not worth a reviewer's line (bulky or noise). */
const SKIPPED_INPUTS = new Set(["__defaults", "kubeconfig", "kubeconfigJson", "userData"]);
/** At most this many key inputs per resource. */
const MAX_INPUTS = 12;
const MAX_VALUE = 70;

function flatten(value: unknown, prefix: string, out: [string, string][]): void {
  if (out.length > MAX_INPUTS * 4) return;
  if (Array.isArray(value)) {
    if (value.every((v) => v === null || typeof v !== "object")) {
      out.push([prefix, `[${value.map((v) => String(v)).join(", ")}]`]);
    } else {
      value.forEach((v, i) => flatten(v, `${prefix}[${i}]`, out));
    }
  } else if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      if (!SKIPPED_INPUTS.has(k)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
    }
  } else if (value !== undefined && value !== null && value !== "") {
    out.push([prefix, String(value)]);
  }
}

/** The key inputs of a resource as `key=value` strings (JSON documents shortened). */
export function keyInputs(resource: PlanResource): string[] {
  const pairs: [string, string][] = [];
  flatten(resource.inputs, "", pairs);
  return pairs
    .filter(([k]) => !/(^|\.)(tags|tagsAll)\./.test(k) || /\.Name$/.test(k))
    .slice(0, MAX_INPUTS)
    .map(([k, v]) => {
      const text = v.startsWith("{") && v.length > MAX_VALUE ? `<json ${v.length} chars>` : v;
      return `${k}=${text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE - 3)}...` : text}`;
    });
}

/** Renders the plan as text. */
export function formatPlan(result: PlanResult): string {
  const lines: string[] = [];
  lines.push(
    `Plan: stack ${result.stack} (project ${result.project}), ${result.summary.resources} resources`,
    "",
  );
  const children = new Map<string | undefined, PlanResource[]>();
  const urns = new Set(result.resources.map((r) => r.urn));
  for (const r of result.resources) {
    const parent = r.parent && urns.has(r.parent) ? r.parent : undefined;
    children.set(parent, [...(children.get(parent) ?? []), r]);
  }
  const walk = (parent: string | undefined, indent: string) => {
    const list = children.get(parent) ?? [];
    list.forEach((r, i) => {
      const last = i === list.length - 1;
      const branch = parent === undefined ? "+ " : last ? "└─ " : "├─ ";
      const protect = r.protect ? " [protected]" : "";
      lines.push(`${indent}${branch}${r.type}  ${r.name}${protect}`);
      const childIndent = parent === undefined ? `${indent}  ` : `${indent}${last ? "   " : "│  "}`;
      for (const input of keyInputs(r)) lines.push(`${childIndent}    ${input}`);
      walk(r.urn, childIndent);
    });
  };
  walk(undefined, "");

  if (result.unsetSecrets.length > 0) {
    lines.push(
      "",
      "Secrets this stack needs that no file holds (planned with a placeholder; set them before `pulumi up` with pulumi config set --secret <key>):",
    );
    for (const key of result.unsetSecrets) lines.push(`  ${key}`);
  }

  lines.push("", "Outputs:");
  for (const [key, value] of Object.entries(result.outputs)) {
    const text = typeof value === "string" ? value : JSON.stringify(value);
    lines.push(`  ${key}: ${text.length > 120 ? `${text.slice(0, 117)}...` : text}`);
  }

  lines.push("", "Policy verdicts:");
  if (result.violations.length === 0) lines.push("  none: every policy passed");
  for (const v of result.violations) {
    const [summary, ...detail] = v.message.split("\n");
    lines.push(`  [${v.enforcementLevel}] ${v.policy}: ${summary}`);
    for (const line of detail) if (line.trim()) lines.push(`      ${line.trim()}`);
    if (v.urn) lines.push(`      ${v.urn}`);
  }
  lines.push(...formatCost(result.cost), ...formatFirstDeploy(result.firstDeploy));
  if (result.costComparison) lines.push(...formatCostComparison(result.costComparison));
  if (result.gitops) {
    lines.push("", `GitOps preflight: ${result.gitops.followed.length} Flux Kustomizations followed`);
    for (const k of result.gitops.followed)
      lines.push(`  ${k.kustomization} (${k.declaredBy}): ${k.path}, ${k.objects} objects`);
    lines.push("", "Steps for the repository (generated from the findings; [must] ones block the plan):");
    if (result.gitops.steps.length === 0) lines.push("  none");
    result.gitops.steps.forEach((step, i) => lines.push(`  ${i + 1}. ${step}`));
  }
  const s = result.summary;
  lines.push(
    "",
    `Summary: ${s.resources} resources, ${s.mandatory} mandatory, ${s.remediate} remediate, ${s.advisory} advisory violations`,
    "",
  );
  return lines.join("\n");
}
