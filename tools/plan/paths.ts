/**
 * Where the plan finds the repository: the launcher (tools/plan/launch.js) runs a bundled copy of
 * the plan from node_modules/.cache and tells it the repository root through PLATFORM_REPO_ROOT;
 * run from source (tsx, tests), the root is two folders up.
 */
import * as path from "node:path";

/** The repository root (holds package.json, Pulumi.yaml, stacks/, components/). */
export const REPO_ROOT = process.env.PLATFORM_REPO_ROOT ?? path.resolve(__dirname, "../..");

/** The plan cache: the launcher's bundles and the hub outputs spokes reuse. */
export const CACHE_DIR = path.join(REPO_ROOT, "node_modules", ".cache", "platform-plan");
