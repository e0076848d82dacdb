/**
 * `npm run plan -- --stack <name> [--json] [--policy-config <file>]`
 *
 * Exit status: 0 clean, 1 a mandatory policy failed, 2 bad input or a program error (one line on
 * stderr, no stack trace; `--debug` adds the trace). See docs/plan.md.
 */
import "./lazy"; // first: trims @pulumi/pulumi's start-up before it loads
import { parseArgs } from "node:util";
import { loadPolicyConfig } from "../../policy/engine";
import { formatPlan } from "./format";
import { CACHE_DIR } from "./paths";
import { planStack } from "./run";

const USAGE =
  "usage: npm run plan -- --stack <name> [--json] [--policy-config <file>] [--root <dir>] [--debug]";

function fail(message: string, error?: unknown, debug = false): never {
  process.stderr.write(`error: ${message}\n`);
  if (debug && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  // tsx turns source maps on; Pulumi captures a stack trace per resource, and mapping each one costs
  // about half a second per plan. Errors the plan prints are one line anyway (--debug keeps them).
  // Pulumi also captures `new Error().stack` for every promise and resource (leak and source-position
  // debugging the plan never shows): without frames that capture is nearly free.
  if (!process.argv.includes("--debug")) {
    process.setSourceMapsEnabled(false);
    Error.stackTraceLimit = 0;
  }
  let values: {
    stack?: string;
    json?: boolean;
    "policy-config"?: string;
    root?: string;
    "no-cache"?: boolean;
    debug?: boolean;
    help?: boolean;
  };
  try {
    ({ values } = parseArgs({
      options: {
        stack: { type: "string", short: "s" },
        json: { type: "boolean", default: false },
        "policy-config": { type: "string" },
        root: { type: "string" },
        "no-cache": { type: "boolean", default: false },
        debug: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    fail(`${(error as Error).message} (${USAGE})`);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (!values.stack) fail(`--stack is required (${USAGE})`);
  const debug = values.debug ?? false;

  try {
    let policyConfig: Record<string, unknown> | undefined;
    if (values["policy-config"]) {
      policyConfig = loadPolicyConfig(values["policy-config"]);
    }
    // Run through the launcher, a spoke reuses the hub's planned outputs from the cache while nothing
    // they depend on changed (the launcher already hashed the sources to pick its bundle).
    const sourceHash = process.env.PLATFORM_SOURCE_HASH;
    const cache = sourceHash && !values["no-cache"] ? { dir: CACHE_DIR, sourceHash } : undefined;
    const result = await planStack(values.stack, { policyConfig, root: values.root, cache });
    // Exit once stdout has taken the whole text: a pipe whose reader lags takes a large write in
    // parts, and process.exit right after write() would cut the JSON short.
    const status = result.summary.mandatory > 0 ? 1 : 0;
    process.stdout.write(values.json ? `${JSON.stringify(result, null, 2)}\n` : formatPlan(result), () =>
      process.exit(status),
    );
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    fail(message.split("\n")[0], error, debug);
  }
}

if (process.env.PLAN_BENCH === "1") {
  process.on("exit", () => process.stderr.write(`peak-rss-kib=${process.resourceUsage().maxRSS}\n`));
}
process.on("unhandledRejection", (error) =>
  fail(error instanceof Error ? error.message.split("\n")[0] : String(error), error),
);
void main();
