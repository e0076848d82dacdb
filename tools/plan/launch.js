#!/usr/bin/env node
/**
 * `npm run plan` starts here. The plan is TypeScript; transpiling ~100 files through a loader on
 * every run costs more than the plan itself, so this launcher bundles tools/plan/cli.ts with esbuild
 * (transpile only, no type-check: CI runs `npm run typecheck`) into node_modules/.cache/platform-plan
 * once per source change, and runs the bundle. Packages stay external (loaded from node_modules).
 */
"use strict";
const { createHash } = require("node:crypto");
const fs = require("node:fs");
const path = require("node:path");

const root = path.resolve(__dirname, "..", "..");
const cacheDir = path.join(root, "node_modules", ".cache", "platform-plan");
const SOURCES = ["index.ts", "stacks", "components", "policy", "tools/plan", "package-lock.json"];

function files(entry) {
  if (!fs.existsSync(entry)) return [];
  const stat = fs.statSync(entry);
  if (!stat.isDirectory()) return /\.(ts|json)$/.test(entry) ? [entry] : [];
  return fs
    .readdirSync(entry)
    .filter((name) => name !== "node_modules")
    .sort()
    .flatMap((name) => files(path.join(entry, name)));
}

const hash = createHash("sha256");
// The launcher too: how it builds the bundle is part of the bundle.
for (const file of [__filename, ...SOURCES.flatMap((s) => files(path.join(root, s)))])
  hash.update(file).update(fs.readFileSync(file));
const sourceHash = hash.digest("hex");
const bundle = path.join(cacheDir, `plan-${sourceHash.slice(0, 24)}.js`);

/**
 * Builds the bundle. esbuild's `buildSync` normally runs its service from a worker thread, and the
 * esbuild child process that thread starts outlives the build (alive, then defunct, for the whole
 * plan; `esbuild.stop()` kills it but nothing reaps it while the plan keeps the event loop busy).
 * `ESBUILD_WORKER_THREADS=0` (read when esbuild loads) makes `buildSync` run esbuild as a
 * synchronous child instead, which has exited and been reaped when the call returns.
 * The bundle is written under a temporary name and renamed, so a plan started at the same moment
 * never loads half a file.
 */
function build() {
  let esbuild;
  const workerThreads = process.env.ESBUILD_WORKER_THREADS;
  process.env.ESBUILD_WORKER_THREADS = "0";
  try {
    esbuild = require("esbuild");
  } catch {
    throw new Error("esbuild is not installed: run npm ci");
  } finally {
    if (workerThreads === undefined) delete process.env.ESBUILD_WORKER_THREADS;
    else process.env.ESBUILD_WORKER_THREADS = workerThreads;
  }
  fs.mkdirSync(cacheDir, { recursive: true });
  // Bundles and hub outputs (`outputs-<source hash>-...`) of other sources, which nothing reads any
  // more, parsed stack files (`yaml-...`) and code caches (`code-...`, written when they change)
  // older than a week, which are cheap to make again, and
  // partial files a killed run left: the cache does not grow. This bundle is replaced by rename.
  const weekAgo = Date.now() - 7 * 24 * 3600 * 1000;
  const keep = (file) =>
    file === path.basename(bundle) ||
    file.startsWith(`outputs-${sourceHash.slice(0, 16)}-`) ||
    (/^(yaml-[0-9a-f]+\.json|code-[0-9a-f]+\.v8cache)$/.test(file) &&
      fs.statSync(path.join(cacheDir, file)).mtimeMs > weekAgo);
  for (const old of fs.readdirSync(cacheDir).filter((f) => /\.(js|json|tmp|v8cache)$/.test(f)))
    if (!keep(old)) fs.rmSync(path.join(cacheDir, old), { force: true });
  let result;
  try {
    result = esbuild.buildSync({
      entryPoints: [path.join(root, "tools", "plan", "cli.ts")],
      outfile: bundle,
      bundle: true,
      platform: "node",
      target: "node20",
      format: "cjs",
      external: externalPackages(),
      logLevel: "silent",
      write: false,
    });
  } catch (error) {
    const first = (error.errors && error.errors[0]) || { text: String(error.message || error) };
    const where = first.location ? `${first.location.file}:${first.location.line}: ` : "";
    throw new Error(`cannot build the plan: ${where}${first.text}`);
  }
  const partial = `${bundle}.${process.pid}.tmp`;
  fs.writeFileSync(partial, shareNamespaces(result.outputFiles[0].text));
  fs.renameSync(partial, bundle);
}

/**
 * Packages built into the bundle instead of loaded from node_modules: `yaml` is 72 small CommonJS
 * files, and resolving, reading and compiling them one by one cost about 15 ms per plan, 5 ms as
 * part of the bundle. Every other package stays external: the Pulumi SDKs must be the one instance
 * every package shares, and the big ones load lazily (tools/plan/lazy.ts).
 */
const BUNDLED_PACKAGES = new Set(["yaml"]);

/**
 * What esbuild's `packages: "external"` would leave out, less {@link BUNDLED_PACKAGES}: every
 * package of package.json and its sub-paths (the program imports only those: `npm run
 * check:unused` fails on an undeclared one). `buildSync` takes no plugin, hence a list.
 */
function externalPackages() {
  const manifest = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8"));
  return Object.keys({ ...manifest.dependencies, ...manifest.devDependencies })
    .filter((name) => !BUNDLED_PACKAGES.has(name))
    .flatMap((name) => [name, `${name}/*`]);
}

const TO_ESM = "var __toESM = (mod, isNodeMode, target) => (";

/**
 * esbuild turns each file's `import * as aws from "@pulumi/aws"` into its own
 * `__toESM(require("@pulumi/aws"))`, which builds a new namespace object with one getter per
 * export: 26 files import @pulumi/aws (about 280 exports), 42 @pulumi/pulumi, 22
 * @pulumi/kubernetes, some 10,000 getters per plan. ES modules share one namespace object per
 * module; so does this rewrite of esbuild's helper: a module's namespace is built once and reused
 * while the module's export names stay the same (a module still loading, in a require cycle, gets
 * a new one once it has more). If esbuild's helper ever reads differently, the bundle is left as
 * it is (only slower).
 */
function shareNamespaces(code) {
  if (!code.includes(TO_ESM)) return code;
  return code.replace(
    TO_ESM,
    [
      "var __namespaces = [new WeakMap(), new WeakMap()];",
      "var __toESM = (mod, isNodeMode) => {",
      '  if (mod === null || (typeof mod !== "object" && typeof mod !== "function")) return __toNewESM(mod, isNodeMode);',
      "  const namespaces = __namespaces[isNodeMode ? 1 : 0];",
      "  const names = __getOwnPropNames(mod).length;",
      "  let known = namespaces.get(mod);",
      "  if (!known || known.names !== names) namespaces.set(mod, (known = { names, namespace: __toNewESM(mod, isNodeMode) }));",
      "  return known.namespace;",
      "};",
      "var __toNewESM = (mod, isNodeMode, target) => (",
    ].join("\n"),
  );
}

/**
 * V8's compile cache (Node 22.1+): the compiled code of the bundle and of every package it loads is
 * kept in node_modules/.cache/platform-plan/v8 and reused by the next plan instead of compiling
 * ~1,200 modules again. Node checks each entry against the source, so a changed file is compiled
 * afresh; a failure to use the directory only costs the speed-up.
 */
function enableCompileCache() {
  const nodeModule = require("node:module");
  if (typeof nodeModule.enableCompileCache === "function")
    nodeModule.enableCompileCache(path.join(cacheDir, "v8"));
}

/**
 * The code cache of tools/plan/code-cache.js: the functions a plan runs, compiled once, not on
 * every plan. Not with `--debug` (everything loads through Node as it is). Written only by a plan
 * that ran to the end (status 0 or 1), not by `--help`.
 */
function installPlanCodeCache() {
  const args = process.argv.slice(2);
  if (args.includes("--debug") || args.includes("--help") || args.includes("-h")) return;
  // V8 rejects cached data made by another V8 or with other flags: one file per Node.js version and
  // V8 flags (`npm run plan`'s options, the tests' plain `node`, NODE_OPTIONS; V8's version tag
  // covers its flags), so that they do not replace each other.
  const tag = require("node:v8").cachedDataVersionTag();
  const runtime = createHash("sha256").update(`${process.version} ${tag}`);
  // A stack of a project is one kind of run: each adds the functions it runs once (code-cache.js).
  const valueOf = (option) => {
    const at = args.indexOf(option);
    if (at >= 0) return args[at + 1];
    const inline = args.find((a) => a.startsWith(`${option}=`));
    return inline === undefined ? undefined : inline.slice(option.length + 1);
  };
  const stats = require("./code-cache").installCodeCache({
    file: path.join(cacheDir, `code-${runtime.digest("hex").slice(0, 16)}.v8cache`),
    save: (status) => status === 0 || status === 1,
    contributor: `${path.resolve(valueOf("--root") ?? ".")} ${valueOf("--stack") ?? ""}`,
  });
  // For `npm run bench` and the tests: modules compiled from the cache / without it.
  if (stats && process.env.PLAN_BENCH === "1")
    process.on("exit", () => process.stderr.write(`code-cache=${stats.fromCache}/${stats.compiled}\n`));
}

function launch() {
  enableCompileCache();
  installPlanCodeCache();
  try {
    if (!fs.existsSync(bundle)) build();
  } catch (error) {
    process.exitCode = 2;
    process.stderr.write(`error: ${String(error.message || error).split("\n")[0]}\n`);
    return;
  }
  process.env.PLATFORM_REPO_ROOT = root;
  // The plan keys its cache of hub outputs on the same hash (no second pass over the sources).
  process.env.PLATFORM_SOURCE_HASH = sourceHash;
  require(bundle);
}

launch();
