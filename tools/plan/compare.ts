/**
 * `--compare <base plan.json>`: reads the base revision's plan document (before planning, so a bad
 * file fails fast) and compares its cost with this plan's (tools/plan/cost.ts).
 */
import { existsSync, readFileSync } from "node:fs";
import { compareCost, type CostComparison, type CostEstimate } from "./cost";
import { PlanInputError } from "./run";

/** A base plan document, read and checked. */
export interface BasePlan {
  readonly file: string;
  readonly document: { readonly resources: unknown[]; readonly cost?: unknown };
}

/**
 * Reads a plan JSON document (`npm run plan -- --json` of the base revision).
 * @throws PlanInputError naming the file when it is missing, not JSON, or not a plan document.
 */
export function readBasePlan(file: string): BasePlan {
  if (!existsSync(file))
    throw new PlanInputError(`--compare ${file}: file not found, expected a plan JSON document`);
  let document: unknown;
  try {
    document = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new PlanInputError(
      `--compare ${file}: not valid JSON (${(error as Error).message.split("\n")[0]})`,
    );
  }
  if (
    !document ||
    typeof document !== "object" ||
    !Array.isArray((document as { resources?: unknown }).resources)
  )
    throw new PlanInputError(
      `--compare ${file}: expected a plan JSON document (npm run plan -- --json) with a resources list`,
    );
  return { file, document: document as BasePlan["document"] };
}

/** Compares this plan's cost with the base plan's. */
export function compareWithBase(base: BasePlan, head: CostEstimate): CostComparison {
  return { base: base.file, ...compareCost(base.document, head) };
}
