/**
 * Compares the resources of two `--json` plans: which resources (by type and name) were added or
 * removed, and which changed inputs or parent. Used to check that a restructure leaves what a stack
 * deploys unchanged.
 *
 * Usage: node --import tsx tools/compare-plans.ts <before.json> <after.json>
 * Exit status: 0 same resources and inputs, 1 differences (printed), 2 bad usage.
 */
import * as fs from "node:fs";
import { isDeepStrictEqual } from "node:util";

interface PlannedResource {
  urn: string;
  type: string;
  name: string;
  inputs: Record<string, unknown>;
}

/** A difference between two plans. */
export interface PlanDifference {
  readonly kind: "added" | "removed" | "inputs" | "parent";
  readonly resource: string;
  readonly detail?: string;
}

/** The parent chain of a URN (`a$b$type`), without the resource's own type. */
function parentChain(urn: string): string {
  const typePart = urn.split("::")[2] ?? "";
  return typePart.split("$").slice(0, -1).join("$");
}

/** Keys whose values differ between two input objects (top level). */
function changedKeys(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].filter((k) => !isDeepStrictEqual(a[k], b[k])).sort();
}

/** Differences between two plans' resources, keyed by type and name. Component types are compared too. */
export function comparePlans(before: PlannedResource[], after: PlannedResource[]): PlanDifference[] {
  const key = (r: PlannedResource) => `${r.type}::${r.name}`;
  const a = new Map(before.map((r) => [key(r), r]));
  const b = new Map(after.map((r) => [key(r), r]));
  const out: PlanDifference[] = [];
  for (const [k, r] of a) {
    const other = b.get(k);
    if (!other) out.push({ kind: "removed", resource: k });
    else {
      const keys = changedKeys(r.inputs, other.inputs);
      if (keys.length > 0) out.push({ kind: "inputs", resource: k, detail: keys.join(", ") });
      if (parentChain(r.urn) !== parentChain(other.urn)) {
        out.push({
          kind: "parent",
          resource: k,
          detail: `${parentChain(r.urn)} -> ${parentChain(other.urn)}`,
        });
      }
    }
  }
  for (const k of b.keys()) if (!a.has(k)) out.push({ kind: "added", resource: k });
  return out;
}

function main(argv: string[]): number {
  if (argv.length !== 2) {
    process.stderr.write("usage: compare-plans <before.json> <after.json>\n");
    return 2;
  }
  const [before, after] = argv.map(
    (f) => JSON.parse(fs.readFileSync(f, "utf8")).resources as PlannedResource[],
  );
  const diffs = comparePlans(before, after);
  for (const d of diffs)
    process.stdout.write(`${d.kind.padEnd(8)} ${d.resource}${d.detail ? `: ${d.detail}` : ""}\n`);
  process.stdout.write(`${diffs.length} difference(s)\n`);
  return diffs.length === 0 ? 0 : 1;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
