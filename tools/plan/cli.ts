/**
 * `npm run plan -- --stack <name> [--json] [--policy-config <file>] [--compare <base plan.json>]
 *   [--diagram <file.svg>] [--root <dir>] [--no-cache] [--debug]`
 *
 * Exit status: 0 clean, 1 a mandatory policy failed, 2 bad input or a program error (one line on
 * stderr, no stack trace; `--debug` adds the trace). See docs/plan.md.
 */
import "./lazy"; // first: trims @pulumi/pulumi's start-up before it loads
import { readFileSync, readdirSync } from "node:fs";
import { parseArgs } from "node:util";
import { CACHE_DIR } from "./paths";

const USAGE =
  "usage: npm run plan -- --stack <name> [--json] [--policy-config <file>] [--compare <base plan.json>] [--diagram <file.svg>] [--gitops-repo [<url>=]<dir>]... [--root <dir>] [--no-cache] [--debug]";

const HELP = `${USAGE}

  -s, --stack <name>          plan Pulumi.<name>.yaml; also <organization>/<project>/<name>
      --json                  print one JSON document instead of the tree
      --policy-config <file>  policy pack config, as pulumi preview --policy-pack-config takes it
      --compare <plan.json>   also print the monthly cost difference from a base plan (--json output)
      --diagram <file.svg>    also draw the fleet topology of every stack of the project into an SVG
      --gitops-repo [<url>=]<dir>
                              check a local checkout of a repository the stack's Flux syncs (repeatable)
      --root <dir>            directory holding Pulumi.yaml and the stack files (default: .)
      --no-cache              plan a spoke's hub again instead of reusing its cached outputs
      --debug                 on an error, also print the stack trace
  -h, --help                  print this help

Exit status: 0 planned, 1 a mandatory policy failed, 2 bad input or a program error. See docs/plan.md.
`;

/** What the process prints and its exit status. */
interface Outcome {
  readonly code: 0 | 1 | 2;
  readonly stdout?: string;
  readonly stderr?: string;
}

function errorOutcome(message: string, error?: unknown, debug = false): Outcome {
  const trace = debug && error instanceof Error && error.stack ? `${error.stack}\n` : "";
  return { code: 2, stderr: `error: ${message.split("\n")[0]}\n${trace}` };
}

let exiting = false;

/**
 * Prints the outcome and ends the process once both streams have handed everything to the OS.
 * Through a pipe, Node writes stdout asynchronously (the pipe holds 64 KiB): calling
 * `process.exit` right after `write` cuts the document, so the exit waits for the write callbacks.
 * A reader that goes away early (`| head`) ends the process quietly with the same status.
 */
function finish({ code, stdout = "", stderr = "" }: Outcome): void {
  if (exiting) return;
  exiting = true;
  process.exitCode = code;
  let pending = 2;
  const done = () => {
    if (--pending === 0) process.exit(code);
  };
  process.stdout.write(stdout, done);
  process.stderr.write(stderr, done);
}

for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error: NodeJS.ErrnoException) => {
    // EPIPE: the reader closed the pipe; nothing more can be shown.
    process.exit(error.code === "EPIPE" ? Number(process.exitCode ?? 0) : 2);
  });
}

async function main(argv: string[]): Promise<Outcome> {
  // tsx turns source maps on; Pulumi captures a stack trace per resource, and mapping each one costs
  // about half a second per plan. Errors the plan prints are one line anyway (--debug keeps them).
  // Pulumi also captures `new Error().stack` for every promise and resource (leak and source-position
  // debugging the plan never shows): without frames that capture is nearly free.
  // Pulumi also records where in the program each resource was created: it raises the frame limit
  // to Infinity, formats `new Error().stack` and parses it (a third of the registration cost).
  // The plan never shows source positions, and every stack is printed as its first line anyway, so
  // stacks are formatted as that line: Pulumi finds no frames and sends no position.
  if (!argv.includes("--debug")) {
    process.setSourceMapsEnabled(false);
    Error.stackTraceLimit = 0;
    Error.prepareStackTrace = (error: Error) => Error.prototype.toString.call(error);
  }
  let values: {
    stack?: string;
    json?: boolean;
    "policy-config"?: string;
    compare?: string;
    diagram?: string;
    "gitops-repo"?: string[];
    root?: string;
    "no-cache"?: boolean;
    debug?: boolean;
    help?: boolean;
  };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        stack: { type: "string", short: "s" },
        json: { type: "boolean", default: false },
        "policy-config": { type: "string" },
        compare: { type: "string" },
        diagram: { type: "string" },
        "gitops-repo": { type: "string", multiple: true },
        root: { type: "string" },
        "no-cache": { type: "boolean", default: false },
        debug: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    // node's messages can span lines ("... is ambiguous.\nDid you forget ..."): keep them on one.
    return errorOutcome(`${(error as Error).message.replace(/\s*\n\s*/g, " ")} (${USAGE})`);
  }
  if (values.help) return { code: 0, stdout: HELP };
  if (!values.stack) return errorOutcome(`--stack is required (${USAGE})`);
  const debug = values.debug ?? false;

  try {
    // Loaded once the arguments are known good: @pulumi/pulumi takes most of a second to load, which
    // `--help` and a mistyped option need not wait for.
    const [
      { loadPolicyConfig },
      { formatPlan },
      { planStack, skipDebugInstrumentation },
      { compareWithBase, readBasePlan },
      { keepStructsAsJavaScript },
    ] = await Promise.all([
      import("../../policy/engine"),
      import("./format"),
      import("./run"),
      import("./compare"),
      import("./mocks"),
    ]);
    if (!debug) skipDebugInstrumentation();
    keepStructsAsJavaScript();
    const { parseGitOpsRepo } = await import("./gitops-preflight");
    const gitopsRepos = (values["gitops-repo"] ?? []).map((v) => parseGitOpsRepo(v));
    let policyConfig: Record<string, unknown> | undefined;
    if (values["policy-config"]) {
      policyConfig = loadPolicyConfig(values["policy-config"]);
    }
    // Run through the launcher, a spoke reuses the hub's planned outputs from the cache while nothing
    // they depend on changed (the launcher already hashed the sources to pick its bundle).
    const sourceHash = process.env.PLATFORM_SOURCE_HASH;
    const cache = sourceHash && !values["no-cache"] ? { dir: CACHE_DIR, sourceHash } : undefined;
    // Both files are checked before planning: a bad path fails fast and nothing is half-written.
    const base = values.compare ? readBasePlan(values.compare) : undefined;
    // The graph-layout library loads only with --diagram: other plans never pay for it.
    const diagram = values.diagram ? await import("./diagram") : undefined;
    if (diagram && values.diagram) diagram.checkDiagramTarget(values.diagram);
    const result = await planStack(values.stack, { policyConfig, root: values.root, cache, gitopsRepos });
    if (base) result.costComparison = compareWithBase(base, result.cost);
    if (diagram && values.diagram)
      await diagram.writeFleetDiagram(values.diagram, result, { root: values.root, cache });
    return {
      code: result.summary.mandatory > 0 ? 1 : 0,
      stdout: values.json ? `${JSON.stringify(result, null, 2)}\n` : formatPlan(result),
    };
  } catch (error) {
    return errorOutcome(error instanceof Error ? error.message : String(error), error, debug);
  }
}

/** Child processes of this process still there (alive or defunct), from Linux's /proc; -1 elsewhere. */
function childProcesses(): number {
  try {
    return readdirSync("/proc/self/task").flatMap((task) =>
      readFileSync(`/proc/self/task/${task}/children`, "utf8").split(/\s+/).filter(Boolean),
    ).length;
  } catch {
    return -1;
  }
}

if (process.env.PLAN_BENCH === "1") {
  // For `npm run bench` and the tests: the plan's cost and whether it left a process behind.
  process.on("exit", () =>
    process.stderr.write(
      `peak-rss-kib=${process.resourceUsage().maxRSS} child-processes=${childProcesses()}\n`,
    ),
  );
}
// Whatever escapes (a rejection nobody awaited, an exception in a callback): one line, status 2.
const debugging = process.argv.includes("--debug");
process.on("unhandledRejection", (error) =>
  finish(errorOutcome(error instanceof Error ? error.message : String(error), error, debugging)),
);
process.on("uncaughtException", (error) => finish(errorOutcome(error.message, error, debugging)));
void main(process.argv.slice(2)).then(finish);
