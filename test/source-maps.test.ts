/**
 * stacks/source-maps.ts: stack traces of the program as `pulumi up` runs it (tsx, after
 * @pulumi/pulumi's cmd/run has installed source-map-support), in a child process each.
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const repo = path.resolve(__dirname, "..");

/** Runs a TypeScript file under tsx, as Pulumi.yaml's `nodeargs` do; returns its JSON output. */
function runUnderTsx(source: string): Record<string, unknown> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "source-maps-"));
  const file = path.join(dir, "child.ts");
  fs.writeFileSync(file, source);
  const node = path.join(repo, "node_modules/.bin/node");
  const r = spawnSync(fs.existsSync(node) ? node : "node", ["--import", "tsx", file], {
    cwd: repo,
    encoding: "utf8",
  });
  fs.rmSync(dir, { recursive: true, force: true });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

// Line 6 of the child holds `new Error()`.
const child = (
  disableNodeSourceMaps: boolean,
) => `import { useNodeSourceMaps } from ${JSON.stringify(path.join(repo, "stacks/source-maps"))};
// What @pulumi/pulumi's cmd/run does before it loads the program:
require(${JSON.stringify(path.join(repo, "node_modules/source-map-support/register"))});
${disableNodeSourceMaps ? "process.setSourceMapsEnabled(false);" : ""}
function here(): string {
  return new Error().stack!.split("\\n")[1];
}
const before = here();
const hookBefore = typeof Error.prepareStackTrace;
const enabled = useNodeSourceMaps();
console.log(JSON.stringify({ before, after: here(), enabled, hookBefore, hookAfter: typeof Error.prepareStackTrace }));
`;

describe("program stack traces (stacks/source-maps.ts)", function () {
  this.timeout(30_000);

  it("maps the program's stack frames to their TypeScript lines once source-map-support's hook is gone", function () {
    const r = runUnderTsx(child(false));
    // source-map-support cannot see tsx's in-memory source maps: the frame points into tsx's output.
    assert.equal(r.hookBefore, "function");
    assert.doesNotMatch(String(r.before), /child\.ts:6:\d+\)$/, String(r.before));
    assert.equal(r.enabled, true);
    assert.equal(r.hookAfter, "undefined");
    assert.match(String(r.after), /at here \(.*child\.ts:6:\d+\)$/, String(r.after));
  });

  it("is the first thing the program's entry point does (index.ts, as cmd/run loads it)", function () {
    const r =
      runUnderTsx(`require(${JSON.stringify(path.join(repo, "node_modules/source-map-support/register"))});
const hookBefore = typeof Error.prepareStackTrace;
require(${JSON.stringify(path.join(repo, "index.ts"))});
console.log(JSON.stringify({ hookBefore, hookAfter: typeof Error.prepareStackTrace }));
`);
    assert.deepEqual(r, { hookBefore: "function", hookAfter: "undefined" });
  });

  it("leaves source-map-support in place when Node.js's own source maps are off", function () {
    const r = runUnderTsx(child(true));
    assert.equal(r.enabled, false);
    assert.equal(r.hookAfter, "function");
  });
});
