/**
 * Runs once in mocha's main process before the e2e files start (they run side by side, mocha
 * `parallel`): builds every toolchain binary either file needs and unpacks Helm and kubectl, so
 * the two files never build or unpack the same binary at the same moment. The files' own
 * `buildToolchain` calls then find everything cached. Nothing is built when `../shared` is absent
 * (both files skip then).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { ensureKubectl, helmBinary } from "../../tools/e2e/charts";
import { CONTROL_PLANE } from "../../tools/e2e/cluster";
import { FLUX_CONTROLLERS } from "../../tools/e2e/flux";
import { buildToolchain, repoRoot } from "../../tools/e2e/toolchain";

export function mochaGlobalSetup(): void {
  if (!fs.existsSync(path.resolve(repoRoot, "../shared"))) return;
  ensureKubectl();
  helmBinary();
  buildToolchain(["pulumi", "language-nodejs", "kubernetes-provider", ...CONTROL_PLANE, ...FLUX_CONTROLLERS]);
}
