/**
 * `npm run bench`: plans each stack 5 times, each in a fresh process, and prints the median wall
 * time (seconds) and the peak resident set size (MiB) — the cost a user pays per `npm run plan`.
 */
import { spawnSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import * as path from "node:path";

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const root = path.resolve(__dirname, "..");
const stacks = readdirSync(root)
  .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
  .filter((s): s is string => Boolean(s));

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Each stack as `npm run plan` runs it; spokes also without the hub-outputs cache (a cold first plan). */
const cases = stacks.flatMap((stack) => {
  const spoke = /platform:role:\s*spoke/.test(readFileSync(path.join(root, `Pulumi.${stack}.yaml`), "utf8"));
  return spoke
    ? [
        { stack, args: [] as string[] },
        { stack, args: ["--no-cache"] },
      ]
    : [{ stack, args: [] as string[] }];
});

console.log(`stack                    runs  median wall (s)  peak RSS (MiB)`);
for (const { stack, args } of cases) {
  const walls: number[] = [];
  let peak = 0;
  for (let i = 0; i < RUNS; i++) {
    // Exactly what `npm run plan` runs (without npm's own start-up). The child reports its own peak
    // RSS (PLAN_BENCH=1); the wall time includes Node's start-up.
    const start = performance.now();
    const run = spawnSync(process.execPath, ["tools/plan/launch.js", "--stack", stack, "--json", ...args], {
      cwd: root,
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, PLAN_BENCH: "1" },
    });
    walls.push((performance.now() - start) / 1000);
    if (run.error) throw run.error;
    if (run.status !== 0 && run.status !== 1) throw new Error(`plan of ${stack} failed: ${run.stderr}`);
    const rss = /peak-rss-kib=(\d+)/.exec(run.stderr);
    if (rss) peak = Math.max(peak, Number(rss[1]) / 1024);
  }
  console.log(
    `${`${stack} ${args.join(" ")}`.padEnd(24)} ${String(RUNS).padStart(4)}  ${median(walls).toFixed(2).padStart(15)}  ${peak.toFixed(0).padStart(14)}`,
  );
}
