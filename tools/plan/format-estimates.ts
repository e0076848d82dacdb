/**
 * The text of the plan's estimates: monthly cost, first-deploy time with its critical path, and the
 * cost difference from a base plan (`--compare`).
 */
import type { CostComparison, CostEstimate } from "./cost";
import { formatDuration, type DeployEstimate } from "./deploy-time";

/**
 * `$1,234.50`: US dollars, two decimals, comma-grouped thousands, exactly as
 * `toLocaleString("en-US")` prints it (it rounds the number's shortest decimal form half up), without
 * loading the ICU number formatter, which costs a plan tens of milliseconds.
 */
export function money(usd: number): string {
  const text = String(Math.abs(usd));
  if (/e/i.test(text))
    return `$${usd.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
  const [whole, fraction = ""] = text.split(".");
  let cents = BigInt(whole + `${fraction}00`.slice(0, 2));
  if ((fraction[2] ?? "0") >= "5") cents += 1n;
  const digits = cents.toString().padStart(3, "0");
  const sign = usd < 0 || Object.is(usd, -0) ? "-" : "";
  return `$${sign}${digits.slice(0, -2).replace(/\B(?=(\d{3})+(?!\d))/g, ",")}.${digits.slice(-2)}`;
}

/** `+$12.00` / `-$3.50` */
function signedMoney(usd: number): string {
  return `${usd < 0 ? "-" : "+"}${money(Math.abs(usd))}`;
}

/** The cost section of the text plan. */
export function formatCost(cost: CostEstimate): string[] {
  const lines = [""];
  if (cost.monthlyUsd === null) {
    lines.push(`Monthly cost: not estimated: ${cost.unpriced.join("; ")}`);
    return lines;
  }
  lines.push(
    `Monthly cost (estimate, ${cost.currency}, ${cost.region}, price table of ${cost.priceTable.date}): ${money(cost.monthlyUsd)}`,
    "  by component:",
  );
  const components = Object.entries(cost.byComponent).sort((a, b) => b[1] - a[1]);
  for (const [component, usd] of components) lines.push(`    ${money(usd).padStart(11)}  ${component}`);
  lines.push("  by resource:");
  for (const l of [...cost.lines].sort((a, b) => b.monthlyUsd - a.monthlyUsd)) {
    if (l.monthlyUsd > 0)
      lines.push(`    ${money(l.monthlyUsd).padStart(11)}  ${l.name}: ${l.item} (${l.basis})`);
  }
  for (const u of cost.unpriced) lines.push(`  not priced: ${u}`);
  lines.push("  assumptions:");
  for (const a of cost.assumptions) lines.push(`    - ${a}`);
  return lines;
}

/** The first-deploy section of the text plan. */
export function formatFirstDeploy(estimate: DeployEstimate): string[] {
  const lines = ["", `First deploy (estimate): ${formatDuration(estimate.totalSeconds)}, critical path:`];
  for (const step of estimate.criticalPath) {
    lines.push(
      `  ${formatDuration(step.finishSeconds).padStart(8)}  ${step.type} ${step.name}  (+${formatDuration(step.seconds)}: ${step.why})`,
    );
  }
  lines.push("  assumptions:");
  for (const a of estimate.assumptions) lines.push(`    - ${a}`);
  return lines;
}

/** The `--compare` section of the text plan. */
export function formatCostComparison(comparison: CostComparison): string[] {
  const baseFile = comparison.base ?? "the base plan";
  const lines = [""];
  const { baseMonthlyUsd: base, headMonthlyUsd: head, deltaUsd: delta } = comparison;
  if (base === null || head === null || delta === null) {
    lines.push(`Cost compared with ${baseFile}: not comparable (a side has no price table)`);
    return lines;
  }
  lines.push(
    `Cost compared with ${baseFile}: ${money(base)} -> ${money(head)} a month (${signedMoney(delta)})`,
  );
  if (comparison.note) lines.push(`  note: ${comparison.note}`);
  for (const c of comparison.components) lines.push(`  ${signedMoney(c.deltaUsd).padStart(12)}  ${c.key}`);
  if (comparison.resources.length > 0) lines.push("  resources:");
  for (const c of comparison.resources)
    lines.push(
      `  ${signedMoney(c.deltaUsd).padStart(12)}  ${c.key} (${money(c.baseUsd)} -> ${money(c.headUsd)})`,
    );
  return lines;
}
