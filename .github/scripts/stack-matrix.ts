/**
 * Prints the CI matrix of stacks: one row per `Pulumi.<stack>.yaml` at the repository root, with the
 * policy profile and config that judge it (same rule as the Pulumi Deployments settings, see
 * deployments/settings.ts). Writes `matrix=<json>` to $GITHUB_OUTPUT when run in Actions.
 *
 * Usage: node --import tsx .github/scripts/stack-matrix.ts [repo-root]
 */
import * as fs from "fs";
import * as path from "path";
import { discoverStacks, stackMatrix } from "../../deployments/settings";

/** The matrix rows as compact JSON, or an error when the repository has no stack file. */
export function matrixJson(repoRoot: string): string {
  const stacks = discoverStacks(repoRoot);
  if (stacks.length === 0) {
    throw new Error(`stacks: found no Pulumi.<stack>.yaml in ${repoRoot}, expected at least one stack file`);
  }
  return JSON.stringify(stackMatrix(stacks));
}

if (require.main === module) {
  try {
    const json = matrixJson(path.resolve(process.argv[2] ?? "."));
    console.log(json);
    if (process.env.GITHUB_OUTPUT) fs.appendFileSync(process.env.GITHUB_OUTPUT, `matrix=${json}\n`);
  } catch (err) {
    console.error(`::error::${(err as Error).message}`);
    process.exit(2);
  }
}
