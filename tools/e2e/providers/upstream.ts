/**
 * Where the real eks and awsx component code lives: `../shared/upstream/components/` beside the
 * checkout (`E2E_UPSTREAM_COMPONENTS` overrides). It is referenced at run time, never copied.
 */
import * as fs from "node:fs";
import * as path from "node:path";

const repoRoot = path.resolve(__dirname, "../../..");

export const componentsDir =
  process.env.E2E_UPSTREAM_COMPONENTS ?? path.resolve(repoRoot, "../shared/upstream/components");

/** The folder of one upstream component checkout (e.g. "pulumi-eks-v4.3.0"), or a clear error. */
export function upstream(folder: string): string {
  const dir = path.join(componentsDir, folder);
  if (!fs.existsSync(dir)) {
    throw new Error(`the e2e run needs the upstream component source ${dir} (shared/upstream/components)`);
  }
  return dir;
}
