/**
 * The plan's command line as a user runs it: through `tools/plan/launch.js` (the bundle), its output
 * read through a real pipe, its exit status and its one-line errors.
 */
import * as assert from "node:assert/strict";
import { spawn } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { planStack, type PlanResult } from "../tools/plan/run";

const repo = path.resolve(__dirname, "..");
const launcher = path.join(repo, "tools/plan/launch.js");

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the plan as `npm run plan -- <args> | reader` does: the plan's stdout is a real pipe (64 KiB
 * of buffer; Node's own `spawn` would give it a socket pair, which holds more) that `cat` reads and
 * hands on to this process; the status is the plan's own (`PIPESTATUS`), not `cat`'s. The plan's
 * stderr comes straight to this process.
 */
function runPiped(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    // Once the first byte arrives the reader pauses, as a slow one (jq on a large document) does,
    // so the pipe fills while the plan is still writing.
    const reader = "{ dd bs=1 count=1 2>/dev/null; sleep 0.3; cat; }";
    const script = `"$0" "$@" | ${reader}; exit "\${PIPESTATUS[0]}"`;
    const child = spawn("bash", ["-c", script, process.execPath, launcher, ...args], {
      cwd: repo,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, NODE_OPTIONS: "", ...env },
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => out.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => err.push(chunk));
    child.on("error", reject);
    child.on("close", (status) =>
      resolve({
        status,
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
      }),
    );
  });
}

/** A scratch project: the real Pulumi.yaml and stack files, plus `extra` stack files. */
function scratch(extra: Record<string, string> = {}): string {
  const dir = mkdtempSync(path.join(tmpdir(), "plan-cli-"));
  for (const file of ["Pulumi.yaml", "Pulumi.hub.yaml", "Pulumi.spoke-prod.yaml"]) {
    copyFileSync(path.join(repo, file), path.join(dir, file));
  }
  for (const [file, text] of Object.entries(extra)) writeFileSync(path.join(dir, file), text);
  return dir;
}

const spokeProd = readFileSync(path.join(repo, "Pulumi.spoke-prod.yaml"), "utf8");
const REFERENCE = "platform:hubStackReference: numengames/platform/hub";

/** A one-line error on stderr, nothing on stdout, exit status 2, no JavaScript stack trace. */
function assertOneLineError(run: Run, pattern: RegExp): void {
  assert.equal(run.status, 2, run.stderr);
  assert.equal(run.stdout, "");
  assert.equal(run.stderr.split("\n").filter(Boolean).length, 1, run.stderr);
  assert.doesNotMatch(run.stderr, /^\s+at /m);
  assert.match(run.stderr, /^error: /);
  assert.match(run.stderr, pattern);
}

function assertCompleteText(run: Run, stack: string, mandatory: number): void {
  const lines = run.stdout.trimEnd().split("\n");
  assert.match(lines[0], new RegExp(`^Plan: stack ${stack} \\(project platform\\), (\\d+) resources$`));
  const resources = Number(/, (\d+) resources$/.exec(lines[0])?.[1]);
  assert.ok(run.stdout.includes("\nPolicy verdicts:\n"), "the verdicts are printed");
  assert.equal(
    lines[lines.length - 1],
    `Summary: ${resources} resources, ${mandatory} mandatory, 0 remediate, 0 advisory violations`,
    `the last line of ${run.stdout.length} characters is the summary`,
  );
}

function assertCompleteJson(run: Run, stack: string, mandatory: number): void {
  const doc = JSON.parse(run.stdout) as {
    stack: string;
    resources: unknown[];
    violations: { enforcementLevel: string }[];
    summary: { resources: number; mandatory: number };
  };
  assert.equal(doc.stack, stack);
  assert.equal(doc.summary.resources, doc.resources.length);
  assert.equal(doc.summary.mandatory, mandatory);
  assert.equal(doc.violations.filter((v) => v.enforcementLevel === "mandatory").length, mandatory);
}

describe("plan output through a pipe", function () {
  this.timeout(180000);
  // Both formats of a stack run side by side (the machine has two cores); each test checks one.
  const runs = new Map<string, Run>();
  before(async () => {
    for (const stack of ["hub", "spoke-prod"]) {
      const [json, text] = await Promise.all([
        runPiped(["--stack", stack, "--json"]),
        runPiped(["--stack", stack]),
      ]);
      runs.set(`${stack} json`, json).set(`${stack} text`, text);
    }
  });

  for (const stack of ["hub", "spoke-prod"]) {
    it(`${stack}: the whole JSON document (over 64 KiB) arrives through the pipe, exit 0`, () => {
      const run = runs.get(`${stack} json`)!;
      assert.equal(run.status, 0, run.stderr);
      assert.ok(run.stdout.length > 128 * 1024, `${run.stdout.length} characters`);
      assertCompleteJson(run, stack, 0);
    });

    it(`${stack}: the text plan arrives through the pipe down to its Summary line, exit 0`, () => {
      const run = runs.get(`${stack} text`)!;
      assert.equal(run.status, 0, run.stderr);
      assertCompleteText(run, stack, 0);
    });
  }

  for (const stack of ["hub", "spoke-prod"]) {
    it(`${stack}: the command line (lazy SDK indexes, no source positions or promise tracking) plans what the program plans in-process`, async () => {
      const cli = JSON.parse(runs.get(`${stack} json`)!.stdout) as PlanResult;
      const direct = await planStack(stack, { root: repo });
      // The mocks number the made-up ids of same-named resources (two `hub-endpoints` security
      // groups) in registration order, which the trims' timing may change: ids compare as shapes.
      const madeUp = (value: unknown) =>
        JSON.parse(JSON.stringify(value).replace(/-[0-9a-f]{17}\b/g, "-<id>"));
      const byUrn = (plan: PlanResult) => [...plan.resources].sort((a, b) => a.urn.localeCompare(b.urn));
      assert.equal(cli.resources.length, direct.resources.length);
      assert.deepEqual(madeUp(byUrn(cli)), madeUp(byUrn(direct)));
      assert.deepEqual(cli.violations, direct.violations);
      assert.deepEqual(madeUp(cli.outputs), madeUp(direct.outputs));
    });
  }

  describe("with a mandatory violation (exit 1)", () => {
    let dir: string;
    let json: Run;
    let text: Run;
    before(async () => {
      dir = scratch();
      writeFileSync(
        path.join(dir, "Pulumi.spoke-prod.yaml"),
        spokeProd.replace(
          "platform:endpointPublicAccess: false",
          'platform:endpointPublicAccess: true\n  platform:publicAccessCidrs: ["0.0.0.0/0"]',
        ),
      );
      [json, text] = await Promise.all([
        runPiped(["--root", dir, "--stack", "spoke-prod", "--json"]),
        runPiped(["--root", dir, "--stack", "spoke-prod"]),
      ]);
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    it("prints the [mandatory] verdict and the summary through the pipe", () => {
      assert.equal(text.status, 1, text.stderr);
      assert.match(text.stdout, /^ {2}\[mandatory\] eks-public-endpoint-restricted: /m);
      assertCompleteText(text, "spoke-prod", 1);
    });

    it("prints the whole JSON document with the mandatory verdict through the pipe", () => {
      assert.equal(json.status, 1, json.stderr);
      assertCompleteJson(json, "spoke-prod", 1);
    });
  });
});

describe("plan of a spoke whose hubStackReference does not name a hub", function () {
  this.timeout(120000);
  let dir: string;
  before(() => {
    dir = scratch({
      "Pulumi.spoke-self.yaml": spokeProd.replace(
        REFERENCE,
        "platform:hubStackReference: numengames/platform/spoke-self",
      ),
      "Pulumi.spoke-next.yaml": spokeProd.replace(
        REFERENCE,
        "platform:hubStackReference: numengames/platform/spoke-prod",
      ),
      "Pulumi.spoke-other.yaml": spokeProd.replace(
        REFERENCE,
        "platform:hubStackReference: numengames/other/hub",
      ),
    });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("exits 2 naming the key and the value when the spoke names itself (no endless recursion)", async () => {
    const started = Date.now();
    const run = await runPiped(["--root", dir, "--stack", "spoke-self"]);
    assertOneLineError(
      run,
      /^error: invalid configuration platform:hubStackReference = "numengames\/platform\/spoke-self": expected the hub's stack reference, but it names this stack itself$/m,
    );
    assert.ok(Date.now() - started < 60000);
  });

  it('refuses a spoke that names another spoke: "that stack is not a hub", not a vpcCidr overlap', async () => {
    await assert.rejects(planStack("spoke-next", { root: dir }), {
      name: "ConfigError",
      message:
        'invalid configuration platform:hubStackReference = "numengames/platform/spoke-prod": expected a hub\'s stack reference, but that stack is not a hub (Pulumi.spoke-prod.yaml sets platform:role = "spoke")',
    });
  });

  it("refuses a reference to a stack of another project", async () => {
    await assert.rejects(planStack("spoke-other", { root: dir }), {
      name: "ConfigError",
      message:
        'invalid configuration platform:hubStackReference = "numengames/other/hub": expected a stack of this project, platform (Pulumi.yaml), not other',
    });
  });

  it("a real run (the hub's outputs) refuses a referenced stack whose role output is not hub", async () => {
    // What `pulumi up` reads through the StackReference: outputs of a spoke whose VPC is the spoke's
    // own, which the overlap check would otherwise blame.
    await assert.rejects(
      planStack("spoke-prod", {
        root: repo,
        skipPolicies: true,
        stackOutputs: {
          "numengames/platform/hub": { role: "spoke", vpcCidr: "10.0.0.0/16", region: "eu-west-1" },
        },
      }),
      {
        name: "ConfigError",
        message:
          'invalid configuration platform:hubStackReference = "numengames/platform/hub": expected a hub\'s stack reference, but that stack is not a hub (its role output is "spoke")',
      },
    );
  });
});

describe("plan stack names, checked as the Pulumi CLI checks them", () => {
  const refused: [string, RegExp][] = [
    ["../x/Pulumi.hub", /^--stack "\.\.\/x\/Pulumi\.hub": expected an organization name .* \(got "\.\."\)/],
    [
      "hub prod",
      /^--stack "hub prod": expected a stack name of 1-100 letters, digits, "-", "_" or "\." \(got "hub prod"\)/,
    ],
    [
      "numengames/platform/../hub",
      /^--stack "numengames\/platform\/\.\.\/hub": expected at most <organization>\/<project>\/<stack>/,
    ],
    ["numengames/platform/hub:x", /^--stack "numengames\/platform\/hub:x": expected a stack name /],
    ["numengames/pl@tform/hub", /^--stack "numengames\/pl@tform\/hub": expected a project name /],
    [`${"x".repeat(101)}`, /^--stack "x{101}": expected a stack name of 1-100 /],
    [
      "numengames/other/hub",
      /^--stack "numengames\/other\/hub": expected a stack of project platform \(Pulumi\.yaml\), not other$/,
    ],
  ];
  for (const [name, message] of refused) {
    it(`refuses ${JSON.stringify(name.length > 40 ? `${name.slice(0, 20)}...` : name)} with one line naming --stack`, async () => {
      await assert.rejects(planStack(name, { root: repo }), { name: "PlanInputError", message });
    });
  }

  it("plans <organization>/<project>/<stack> as the stack of the project's file", async () => {
    const plan = await planStack("numengames/platform/hub", { root: repo, skipPolicies: true });
    assert.equal(plan.stack, "hub");
    assert.equal(plan.outputs.clusterName, "platform-hub");
  });
});

describe("plan command line input", function () {
  this.timeout(120000);

  const bad: [string, string[], RegExp][] = [
    [
      "a path as stack name",
      ["--stack", "../x/Pulumi.hub"],
      /^error: --stack "\.\.\/x\/Pulumi\.hub": expected /,
    ],
    ["an unknown option", ["--stack", "hub", "--jsn"], /^error: Unknown option '--jsn'/],
    ["a missing value", ["--stack"], /^error: Option '-s, --stack <value>' argument missing/],
    [
      "an option as the value",
      ["--stack", "--json"],
      /^error: Option '--stack' argument is ambiguous\. Did you forget/,
    ],
    ["a positional argument", ["hub"], /^error: Unexpected argument 'hub'/],
    ["no --stack", ["--json"], /^error: --stack is required/],
    [
      "a missing policy config",
      ["--stack", "hub", "--policy-config", "/nonexistent.json"],
      /^error: \/nonexistent\.json: cannot read policy config/,
    ],
  ];
  for (const [what, args, pattern] of bad) {
    it(`exits 2 with one line on ${what}`, async () => assertOneLineError(await runPiped(args), pattern));
  }

  it("--help lists every option, --no-cache included", async () => {
    const run = await runPiped(["--help"]);
    assert.equal(run.status, 0);
    for (const option of [
      "--stack",
      "--json",
      "--policy-config",
      "--root",
      "--no-cache",
      "--debug",
      "--help",
    ]) {
      assert.match(run.stdout, new RegExp(`^\\s+(-\\w, )?${option}\\b`, "m"), option);
    }
  });

  it("takes every module of a repeated plan from its code cache (tools/plan/code-cache.js), and none with --debug", async () => {
    const codeCache = (stderr: string) => /^code-cache=(\d+)\/(\d+)$/m.exec(stderr);
    const first = await runPiped(["--stack", "hub", "--json"], { PLAN_BENCH: "1" });
    assert.equal(first.status, 0, first.stderr);
    const second = await runPiped(["--stack", "hub", "--json"], { PLAN_BENCH: "1" });
    assert.equal(second.stdout, first.stdout, "the same plan");
    const [, fromCache, compiled] = codeCache(second.stderr) ?? [];
    assert.ok(Number(fromCache) > 200, `${fromCache} modules from the cache (the bundle and the SDKs)`);
    assert.equal(Number(compiled), 0, "nothing compiled again");
    const debug = await runPiped(["--stack", "hub", "--json", "--debug"], { PLAN_BENCH: "1" });
    // (--debug's plan may number two made-up ids the other way: docs/plan.md#speed.)
    assert.equal(debug.status, 0, debug.stderr);
    assert.equal(codeCache(debug.stderr), null, "--debug loads everything through Node");
  });

  it("a cold plan (bundle rebuilt) leaves no esbuild process behind", async function () {
    const cache = path.join(repo, "node_modules", ".cache", "platform-plan");
    const bundles = () =>
      existsSync(cache) ? readdirSync(cache).filter((f) => /^plan-.*\.js$/.test(f)) : [];
    for (const file of bundles()) rmSync(path.join(cache, file));
    // Entries a rebuild removes (hub outputs of other sources, a parsed file older than a week, a
    // partial file) and one it keeps (a recent parsed file): the cache does not grow.
    mkdirSync(cache, { recursive: true });
    const stale = [
      "outputs-0000000000000000-hub-0123456789abcdef0123456789abcdef.json",
      "hub-0123456789abcdef0123456789abcdef.json",
      "yaml-00000000000000000000000000000000.json",
      "yaml-11111111111111111111111111111111.json.123.tmp",
      "code-0000000000000000.v8cache",
    ];
    const recent = "yaml-22222222222222222222222222222222.json";
    for (const file of [...stale, recent]) writeFileSync(path.join(cache, file), "{}");
    const eightDaysAgo = new Date(Date.now() - 8 * 24 * 3600 * 1000);
    utimesSync(path.join(cache, stale[2]), eightDaysAgo, eightDaysAgo);
    utimesSync(path.join(cache, stale[4]), eightDaysAgo, eightDaysAgo);
    // --help ends right after the build: an esbuild process left behind would still be there.
    const run = await runPiped(["--help"], { PLAN_BENCH: "1" });
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(
      stale.filter((file) => existsSync(path.join(cache, file))),
      [],
      "a rebuild removes hub outputs of other sources, old parsed files and code caches, and partial files",
    );
    assert.ok(existsSync(path.join(cache, recent)), "a recent parsed file stays");
    // The launcher's rewrite of esbuild's namespace helper still applies to the bundle it built.
    const [bundle] = bundles();
    assert.match(readFileSync(path.join(cache, bundle), "utf8"), /^var __namespaces = /m);
    rmSync(path.join(cache, recent));
    if (/child-processes=-1/.test(run.stderr)) this.skip(); // no /proc to count them
    assert.equal(bundles().length, 1, "the bundle was rebuilt");
    assert.match(run.stderr, /child-processes=0$/m);
  });
});
