/**
 * `npm run docs:topology`: writes docs/topology.svg, the fleet diagram of this repository's stacks
 * (every Pulumi.<stack>.yaml, planned offline without policies), as `npm run plan -- --diagram`
 * draws it. `renderTopology()` is exported so a test can check the committed picture is current.
 */
import { writeFileSync } from "node:fs";
import * as path from "node:path";
import { fleetSvg, projectStacks } from "./plan/diagram";
import { planStack } from "./plan/run";

const root = path.resolve(__dirname, "..");

/** The fleet SVG of the stacks in `dir` (default: this repository). */
export async function renderTopology(dir = root): Promise<string> {
  const plans = [];
  for (const stack of projectStacks(dir))
    plans.push(await planStack(stack, { root: dir, skipPolicies: true }));
  return fleetSvg(plans);
}

if (require.main === module) {
  void renderTopology().then((svg) => {
    writeFileSync(path.join(root, "docs", "topology.svg"), svg);
    console.log("wrote docs/topology.svg");
  });
}
