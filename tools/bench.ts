/**
 * `npm run bench`: what a user pays per `npm run plan`, each run a fresh process exactly as the
 * command runs it (without npm's own start-up), cases interleaved round by round so a machine that
 * gets busier or quieter affects every case alike. Prints the median wall time (seconds) and the
 * peak resident set size (MiB, the child's own `maxRSS`) of:
 *
 * - the floor: a process that only loads `@pulumi/pulumi` (no plan can be faster);
 * - each stack file's plan; spokes also with `--no-cache` (the hub planned in-process) and cold
 *   (the plan's bundle deleted first, as after a source change);
 * - generated spokes with 4, 20 and 50 tenant organizations (spoke-prod with its first organization
 *   repeated, pre and pro each), and the cost of one organization between those sizes.
 *
 * `BENCH_RUNS` sets the rounds (default 5). A plan that leaves a child process behind (alive or
 * defunct at exit) is reported.
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { parseDocument } from "yaml";

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const ORGANIZATION_COUNTS = [4, 20, 50];
const root = path.resolve(__dirname, "..");
const launcher = path.join(root, "tools", "plan", "launch.js");
/**
 * The Node options `npm run plan` passes before the launcher (package.json's `plan` script, e.g.
 * the initial old-space size): the bench runs the plan exactly as that command does.
 */
function planNodeOptions(script: string): string[] {
  const match = /^node((?:\s+--[\w-]+(?:=\S+)?)*)\s+tools\/plan\/launch\.js$/.exec(script.trim());
  if (!match)
    throw new Error(`package.json's plan script is not "node [--options] tools/plan/launch.js": ${script}`);
  return match[1].trim().split(/\s+/).filter(Boolean);
}
const bundleDir = path.join(root, "node_modules", ".cache", "platform-plan");

interface Case {
  readonly label: string;
  readonly args: string[];
  /** Run before each timed run (not timed). */
  readonly before?: () => void;
  /** Organizations of a generated spoke. */
  readonly organizations?: number;
}

interface Sample {
  wall: number;
  rssMiB: number;
  children: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Runs one case once in a fresh process; the child reports its peak RSS on stderr (PLAN_BENCH=1). */
function runOnce(c: Case): Sample {
  c.before?.();
  const start = performance.now();
  const run = spawnSync(process.execPath, c.args, {
    cwd: root,
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
    env: { ...process.env, PLAN_BENCH: "1", NODE_OPTIONS: "" },
  });
  const wall = (performance.now() - start) / 1000;
  if (run.error) throw run.error;
  if (run.status !== 0 && run.status !== 1) throw new Error(`${c.label} failed: ${run.stderr.trim()}`);
  const rss = /peak-rss-kib=(\d+)/.exec(run.stderr);
  const children = /child-processes=(-?\d+)/.exec(run.stderr);
  return {
    wall,
    rssMiB: rss ? Number(rss[1]) / 1024 : NaN,
    children: children ? Number(children[1]) : 0,
  };
}

/** A scratch project holding spoke-prod with `count` organizations, its first one repeated. */
function generatedSpokes(counts: number[]): { dir: string; stacks: Map<number, string> } {
  const dir = mkdtempSync(path.join(tmpdir(), "plan-bench-"));
  for (const file of ["Pulumi.yaml", "Pulumi.hub.yaml"])
    copyFileSync(path.join(root, file), path.join(dir, file));
  const text = readFileSync(path.join(root, "Pulumi.spoke-prod.yaml"), "utf8");
  const stacks = new Map<number, string>();
  for (const count of counts) {
    const doc = parseDocument(text);
    const [template] = (doc.getIn(["config", "platform:organizations"]) as { toJSON(): unknown[] }).toJSON();
    const source = JSON.stringify(template);
    const name = (template as { name: string }).name;
    const organizations = Array.from({ length: count }, (_, i) => {
      const org = `org${String(i + 1).padStart(2, "0")}`;
      return JSON.parse(source.split(name).join(org)) as unknown;
    });
    doc.setIn(["config", "platform:organizations"], organizations);
    const stack = `spoke-orgs${count}`;
    writeFileSync(path.join(dir, `Pulumi.${stack}.yaml`), doc.toString());
    stacks.set(count, stack);
  }
  return { dir, stacks };
}

const stackFiles = readdirSync(root)
  .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
  .filter((s): s is string => Boolean(s));
const nodeOptions = planNodeOptions(
  (JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { scripts: { plan: string } }).scripts
    .plan,
);
const plan = (...args: string[]) => [...nodeOptions, launcher, ...args, "--json"];
const removeBundles = () => {
  for (const f of readdirSync(bundleDir).filter((name) => /^plan-.*\.js$/.test(name))) {
    rmSync(path.join(bundleDir, f));
  }
};

const cases: Case[] = [
  {
    label: "floor: load @pulumi/pulumi",
    args: [
      "-e",
      'require("@pulumi/pulumi"); process.on("exit", () => process.stderr.write(`peak-rss-kib=${process.resourceUsage().maxRSS}\\n`))',
    ],
  },
];
for (const stack of stackFiles) {
  const spoke = /platform:role:\s*spoke/.test(readFileSync(path.join(root, `Pulumi.${stack}.yaml`), "utf8"));
  cases.push({ label: stack, args: plan("--stack", stack) });
  if (spoke) {
    cases.push({ label: `${stack} --no-cache`, args: plan("--stack", stack, "--no-cache") });
    cases.push({ label: `${stack} cold`, args: plan("--stack", stack), before: removeBundles });
  }
}
const generated = generatedSpokes(ORGANIZATION_COUNTS);
for (const [organizations, stack] of generated.stacks) {
  cases.push({
    label: `${organizations} organizations`,
    args: plan("--root", generated.dir, "--stack", stack),
    organizations,
  });
}

try {
  // Warm-up (untimed): builds the bundle and caches each project's hub outputs.
  for (const c of cases) runOnce(c);
  const samples = new Map<Case, Sample[]>(cases.map((c) => [c, []]));
  for (let round = 0; round < RUNS; round++) {
    for (const c of cases) samples.get(c)!.push(runOnce(c));
  }

  const summary = new Map(
    cases.map((c) => {
      const s = samples.get(c)!;
      return [
        c,
        {
          wall: median(s.map((x) => x.wall)),
          rss: Math.max(...s.map((x) => x.rssMiB)),
          children: Math.max(...s.map((x) => x.children)),
        },
      ];
    }),
  );
  const floor = summary.get(cases[0])!.wall;
  console.log(`${RUNS} interleaved rounds, median wall time, peak RSS; ratio = wall / floor`);
  console.log(
    `${"case".padEnd(30)} ${"wall (s)".padStart(9)} ${"ratio".padStart(6)} ${"RSS (MiB)".padStart(10)}`,
  );
  for (const c of cases) {
    const { wall, rss, children } = summary.get(c)!;
    const stray = children > 0 ? `  ${children} child process(es) left at exit` : "";
    console.log(
      `${c.label.padEnd(30)} ${wall.toFixed(2).padStart(9)} ${(wall / floor).toFixed(2).padStart(6)} ${rss.toFixed(0).padStart(10)}${stray}`,
    );
  }

  const byOrganizations = cases.filter((c) => c.organizations !== undefined);
  console.log(`\nper organization (pre and pro each), between generated spokes`);
  console.log(
    `${"organizations".padEnd(30)} ${"s/org".padStart(9)} ${"".padStart(6)} ${"MiB/org".padStart(10)}`,
  );
  for (let i = 1; i < byOrganizations.length; i++) {
    const [a, b] = [byOrganizations[i - 1], byOrganizations[i]];
    const [sa, sb] = [summary.get(a)!, summary.get(b)!];
    const orgs = b.organizations! - a.organizations!;
    console.log(
      `${`${a.organizations} -> ${b.organizations}`.padEnd(30)} ${((sb.wall - sa.wall) / orgs).toFixed(3).padStart(9)} ${"".padStart(6)} ${((sb.rss - sa.rss) / orgs).toFixed(2).padStart(10)}`,
    );
  }
  const spokeProd = cases.find((c) => c.label === "spoke-prod");
  const cold = cases.find((c) => c.label === "spoke-prod cold");
  if (spokeProd && cold) {
    const ratio = summary.get(cold)!.wall / summary.get(spokeProd)!.wall;
    console.log(`\ncold / warm spoke-prod plan: ${ratio.toFixed(2)}`);
  }
} finally {
  rmSync(generated.dir, { recursive: true, force: true });
}
