/**
 * `--compare <base plan.json>`: reads the base revision's plan document and compares its cost with
 * this plan's (tools/plan/cost.ts).
 */
import { existsSync, readFileSync } from "node:fs";
import { compareCost, type CostComparison, type CostEstimate } from "./cost";
import { PlanInputError } from "./run";

/**
 * Compares this plan's cost with the plan document in `file`.
 * @throws PlanInputError naming the file when it is missing, not JSON, or not a plan document.
 */
export function compareWithFile(file: string, head: CostEstimate): CostComparison {
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
  try {
    return { base: file, ...compareCost(document, head) };
  } catch (error) {
    throw new PlanInputError(`--compare ${file}: ${(error as Error).message}`);
  }
}
