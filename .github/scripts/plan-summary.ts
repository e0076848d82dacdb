/**
 * Turns the offline plan's `--json` document into a Markdown verdict for the job summary
 * ($GITHUB_STEP_SUMMARY) and the pull-request comment, then exits with the plan's own status so the
 * job fails on 1 (a mandatory policy failed) and 2 (bad config or a program error).
 *
 * Usage: node --import tsx .github/scripts/plan-summary.ts --stack <s> --profile <p> --exit-code <n>
 *          --json <plan.json> --stderr <plan.stderr> [--out <file.md>]
 */
import * as fs from "fs";

/** One policy verdict as printed by `npm run plan -- --json`. */
export interface PlanViolation {
  readonly policy: string;
  readonly enforcementLevel: string;
  readonly urn?: string;
  readonly message: string;
}

/** A changed figure of the plan's cost comparison (`--compare`). */
export interface PlanCostChange {
  readonly key: string;
  readonly baseUsd: number;
  readonly headUsd: number;
  readonly deltaUsd: number;
}

/** The parts of the plan document the summary reads. */
export interface PlanDocument {
  readonly stack?: string;
  readonly resources?: readonly unknown[];
  readonly violations?: readonly PlanViolation[];
  readonly cost?: {
    readonly monthlyUsd: number | null;
    readonly region: string;
    readonly priceTable?: { readonly date: string };
  };
  readonly firstDeploy?: {
    readonly totalSeconds: number;
    readonly criticalPath: readonly { readonly name: string }[];
  };
  readonly costComparison?: {
    readonly baseMonthlyUsd: number | null;
    readonly headMonthlyUsd: number | null;
    readonly deltaUsd: number | null;
    readonly resources: readonly PlanCostChange[];
    readonly note?: string;
  };
}

export interface PlanResult {
  readonly stack: string;
  readonly profile: string;
  /** Exit status of `npm run plan`. */
  readonly exitCode: number;
  /** Raw stdout of the plan (`--json`); may be empty or not JSON when the plan failed early. */
  readonly stdout: string;
  /** Raw stderr of the plan (the one-line message on exit 2). */
  readonly stderr: string;
}

/** What the exit status means, as a short verdict. */
export function verdictFor(exitCode: number): string {
  switch (exitCode) {
    case 0:
      return "✅ pass";
    case 1:
      return "❌ mandatory policy failed";
    case 2:
      return "⛔ bad config or program error";
    default:
      return `⛔ plan crashed (exit ${exitCode})`;
  }
}

/** Escapes a value for one Markdown table cell. */
export function cell(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/\|/g, "\\|").replace(/\r?\n/g, " ").trim();
}

/** The last segment of a URN (`urn:pulumi:s::p::t::name` -> `name`), or the input. */
function resourceName(urn: string | undefined): string {
  if (!urn) return "(stack)";
  const parts = urn.split("::");
  return parts.length > 1 ? `${parts[parts.length - 2]} \`${parts[parts.length - 1]}\`` : urn;
}

function parse(stdout: string): PlanDocument | undefined {
  try {
    const doc: unknown = JSON.parse(stdout);
    return doc !== null && typeof doc === "object" ? (doc as PlanDocument) : undefined;
  } catch {
    return undefined;
  }
}

const usd = (value: number) =>
  `$${value.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
const signedUsd = (value: number) => `${value < 0 ? "-" : "+"}${usd(Math.abs(value))}`;
const minutes = (seconds: number) =>
  `${Math.floor(seconds / 60)}m ${String(Math.round(seconds % 60)).padStart(2, "0")}s`;

/** Most changed resources listed in the cost difference. */
const MAX_COST_ROWS = 15;

/**
 * Markdown for the plan's estimates: monthly cost, first-deploy time with its critical path, and
 * (with `--compare`) the cost difference from the base branch with the resources that changed it.
 */
export function renderEstimates(doc: PlanDocument): string[] {
  const lines: string[] = [];
  if (doc.cost) {
    const figure =
      doc.cost.monthlyUsd === null ? "not estimated (region not priced)" : `**${usd(doc.cost.monthlyUsd)}**`;
    const table = doc.cost.priceTable ? `, price table of ${doc.cost.priceTable.date}` : "";
    lines.push(`Estimated monthly cost (${cell(doc.cost.region)}, on-demand${table}): ${figure}`, "");
  }
  if (doc.firstDeploy) {
    const path = doc.firstDeploy.criticalPath.map((s) => `\`${cell(s.name)}\``).join(" → ");
    lines.push(
      `Estimated first deploy: **${minutes(doc.firstDeploy.totalSeconds)}** (critical path: ${path})`,
      "",
    );
  }
  const comparison = doc.costComparison;
  if (
    comparison &&
    comparison.deltaUsd !== null &&
    comparison.baseMonthlyUsd !== null &&
    comparison.headMonthlyUsd !== null
  ) {
    lines.push(
      `Cost difference from the base branch: ${usd(comparison.baseMonthlyUsd)} → ${usd(comparison.headMonthlyUsd)} a month (**${signedUsd(comparison.deltaUsd)}**)`,
      "",
    );
    if (comparison.note) lines.push(`_${cell(comparison.note)}_`, "");
    if (comparison.resources.length > 0) {
      lines.push("| Change | Resource | Base | This branch |", "| ---: | --- | ---: | ---: |");
      for (const c of comparison.resources.slice(0, MAX_COST_ROWS))
        lines.push(`| ${signedUsd(c.deltaUsd)} | ${cell(c.key)} | ${usd(c.baseUsd)} | ${usd(c.headUsd)} |`);
      if (comparison.resources.length > MAX_COST_ROWS)
        lines.push(`| | … ${comparison.resources.length - MAX_COST_ROWS} more | | |`);
      lines.push("");
    }
  }
  return lines;
}

/** Markdown for one stack: a one-row verdict table, then a table of every violation. */
export function renderPlanSummary(result: PlanResult): string {
  const doc = parse(result.stdout);
  const violations = doc?.violations ?? [];
  const count = (level: string) => violations.filter((v) => v.enforcementLevel === level).length;
  const resources = doc?.resources ? String(doc.resources.length) : "–";
  const lines = [
    `### Offline plan: \`${result.stack}\``,
    "",
    "| Stack | Policy profile | Verdict | Resources | Mandatory | Advisory |",
    "| --- | --- | --- | ---: | ---: | ---: |",
    `| \`${cell(result.stack)}\` | ${cell(result.profile)} | ${verdictFor(result.exitCode)} | ${resources} | ${count("mandatory")} | ${count("advisory")} |`,
    "",
  ];
  if (doc) lines.push(...renderEstimates(doc));
  if (violations.length > 0) {
    lines.push("| Level | Policy | Resource | Message |", "| --- | --- | --- | --- |");
    const order = (v: PlanViolation) => (v.enforcementLevel === "mandatory" ? 0 : 1);
    for (const v of [...violations].sort((a, b) => order(a) - order(b))) {
      lines.push(
        `| ${cell(v.enforcementLevel)} | \`${cell(v.policy)}\` | ${cell(resourceName(v.urn))} | ${cell(v.message)} |`,
      );
    }
    lines.push("");
  }
  if (result.exitCode !== 0 && result.exitCode !== 1) {
    const message = result.stderr.trim().split(/\r?\n/).filter(Boolean).slice(-5).join("\n");
    lines.push("```text", message || "(no message on stderr)", "```", "");
  }
  return lines.join("\n");
}

function arg(argv: readonly string[], name: string): string {
  const i = argv.indexOf(`--${name}`);
  if (i < 0 || i + 1 >= argv.length) throw new Error(`--${name}: missing, expected a value`);
  return argv[i + 1];
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  const read = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "");
  const exitCode = Number(arg(argv, "exit-code"));
  const markdown = renderPlanSummary({
    stack: arg(argv, "stack"),
    profile: arg(argv, "profile"),
    exitCode: Number.isInteger(exitCode) ? exitCode : 2,
    stdout: read(arg(argv, "json")),
    stderr: read(arg(argv, "stderr")),
  });
  console.log(markdown);
  if (process.env.GITHUB_STEP_SUMMARY) fs.appendFileSync(process.env.GITHUB_STEP_SUMMARY, `${markdown}\n`);
  const out = argv.indexOf("--out");
  if (out >= 0 && argv[out + 1]) fs.writeFileSync(argv[out + 1], `${markdown}\n`);
  process.exit(Number.isInteger(exitCode) ? exitCode : 2);
}
