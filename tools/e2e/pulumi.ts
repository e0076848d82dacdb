/**
 * Runs the real Pulumi CLI (from the e2e toolchain) on the platform program, against a file
 * backend in a scratch directory. The program is not copied: the scratch project links every entry
 * of the checkout except the stack files, which are copied so the run can adjust them (stack
 * reference, secrets, Git URLs) without touching the checkout.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { cacheDir, GO_RUNTIME_ENV, repoRoot, toolchainBinary } from "./toolchain";

export interface Workspace {
  /** Scratch project directory (Pulumi.yaml and the program, linked; stack files, copied). */
  project: string;
  /** Environment for every pulumi command. */
  env: NodeJS.ProcessEnv;
  /** Root of the scratch area. */
  dir: string;
}

export interface Result {
  status: number;
  stdout: string;
  stderr: string;
}

/** Creates the scratch project, backend and plugin PATH under dir. */
export function createWorkspace(dir: string, extraEnv: NodeJS.ProcessEnv = {}): Workspace {
  const project = path.join(dir, "project");
  const bin = path.join(dir, "bin");
  for (const d of [project, bin, path.join(dir, "backend"), path.join(dir, "home")])
    fs.mkdirSync(d, { recursive: true });
  for (const entry of fs.readdirSync(repoRoot)) {
    if (/^Pulumi\..+\.yaml$/.test(entry) || entry === ".git") continue;
    const link = path.join(project, entry);
    if (!fs.existsSync(link)) fs.symlinkSync(path.join(repoRoot, entry), link);
  }
  for (const entry of fs.readdirSync(repoRoot)) {
    if (/^Pulumi\..+\.yaml$/.test(entry))
      fs.copyFileSync(path.join(repoRoot, entry), path.join(project, entry));
  }
  // The engine finds the language host and the Kubernetes provider on PATH, by these names.
  const links: Record<string, string> = {
    pulumi: toolchainBinary("pulumi"),
    "pulumi-language-nodejs": toolchainBinary("pulumi-language-nodejs"),
    "pulumi-resource-kubernetes": toolchainBinary("pulumi-resource-kubernetes"),
  };
  for (const [name, target] of Object.entries(links)) {
    const link = path.join(bin, name);
    fs.rmSync(link, { force: true });
    fs.symlinkSync(target, link);
  }
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: [bin, path.join(repoRoot, "tools/e2e/bin"), process.env.PATH].join(path.delimiter),
    PULUMI_HOME: path.join(dir, "home"),
    PULUMI_BACKEND_URL: `file://${path.join(dir, "backend")}`,
    PULUMI_CONFIG_PASSPHRASE: "e2e-passphrase",
    PULUMI_SKIP_UPDATE_CHECK: "1",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    PULUMI_SKIP_CONFIRMATIONS: "true",
    PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "true",
    AWS_REGION: "eu-west-1",
    E2E_AWS_STATE: path.join(dir, "aws-state"),
    NO_COLOR: "1",
    // Makes the CLI accept `--event-log` (see pulumi() below).
    PULUMI_DEBUG_COMMANDS: "true",
    // The engine saves the whole state (1-2 MB here) after every step by default: a third of the
    // engine's CPU time in an up or destroy of 300-400 resources. A throw-away backend needs only
    // the final state (Pulumi documents this setting for test environments).
    PULUMI_SKIP_CHECKPOINTS: "true",
    // Every Node.js process of a command (the program, the policy pack, the provider plugins)
    // reuses V8's compiled code of the packages it loads (Node 22.1+; entries are checked
    // against the source), kept beside the toolchain.
    NODE_COMPILE_CACHE: path.join(cacheDir, "node-compile-cache"),
    ...GO_RUNTIME_ENV,
    ...extraEnv,
  };
  return { project, env, dir };
}

let eventLogs = 0;
const stackOf = (args: string[]) =>
  args.includes("--stack") ? args[args.indexOf("--stack") + 1] : "default";

/**
 * Runs `pulumi <args>` in the scratch project; output also goes to <dir>/pulumi.log. A preview, up or
 * destroy prints how long it took.
 */
export function pulumi(ws: Workspace, args: string[], options: { timeoutMs?: number } = {}): Promise<Result> {
  const log = fs.openSync(path.join(ws.dir, "pulumi.log"), "a");
  fs.writeSync(log, `\n$ pulumi ${args.join(" ")}\n`);
  return new Promise((resolve, reject) => {
    // Global flags first: after a `--` in args everything is positional.
    // Each preview, up and destroy also writes the engine's event log (timestamped resource
    // steps): where a slow command spends its time.
    const events = ["preview", "up", "destroy"].includes(args[0])
      ? ["--event-log", path.join(ws.dir, `events-${++eventLogs}-${args[0]}-${stackOf(args)}.jsonl`)]
      : [];
    // The flag goes right after the command: after a `--` in args everything is positional.
    const argv = [args[0], ...events, ...args.slice(1)];
    const child = spawn(toolchainBinary("pulumi"), ["--non-interactive", "--color", "never", ...argv], {
      cwd: ws.project,
      env: ws.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d;
      fs.writeSync(log, d);
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d;
      fs.writeSync(log, d);
    });
    const timer = setTimeout(() => child.kill("SIGINT"), options.timeoutMs ?? 15 * 60_000);
    child.on("error", reject);
    const started = Date.now();
    child.on("close", (code) => {
      clearTimeout(timer);
      fs.closeSync(log);
      // The slow commands, one line each: where a run's minutes go.
      const seconds = Math.round((Date.now() - started) / 1000);
      if (["preview", "up", "destroy"].includes(args[0]))
        console.log(`[e2e] pulumi ${args.slice(0, 3).join(" ")}: ${seconds} s, exit ${code}`);
      resolve({ status: code ?? -1, stdout, stderr });
    });
  });
}

/** Like pulumi(), but throws with the command's output when it fails. */
export async function pulumiOk(
  ws: Workspace,
  args: string[],
  options: { timeoutMs?: number } = {},
): Promise<Result> {
  const result = await pulumi(ws, args, options);
  if (result.status !== 0) {
    throw new Error(`pulumi ${args.join(" ")} exited ${result.status}\n${result.stdout}\n${result.stderr}`);
  }
  return result;
}
