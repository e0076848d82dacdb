/**
 * The plan's code cache (tools/plan/code-cache.js), in child processes: modules load as through
 * Node (same results, `require.resolve`, `__dirname`; one with a dynamic `import()` through Node
 * itself), a second run takes every module from the cache and writes nothing, a changed source
 * (even of the same length) compiles again and is not served stale code, and only a run that ended
 * as told writes the file.
 */
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

const codeCache = path.resolve(__dirname, "..", "tools", "plan", "code-cache.js");
type Entries = Map<string, { crc: number; data: Buffer; contributors?: string[] }>;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { readCacheFile, writeCacheFile } = require(codeCache) as {
  readCacheFile: (file: string) => Entries;
  writeCacheFile: (file: string, entries: Entries) => void;
};

/** A package whose function body (a long one) only compiles when it runs. */
const pkgSource = (greeting: string) => `"use strict";
const path = require("node:path");
function greet(name) {
  let text = ${JSON.stringify(greeting)} + ", " + name;
  for (let i = 0; i < 3; i++) text = text.replace(/\\s+/g, " ");
  return [text, path.basename(__dirname), path.relative(__dirname, require.resolve("./other"))].join("|");
}
exports.greet = greet;
exports.loadFs = () => require("./dynamic").loadFs();
`;

interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

describe("plan: code cache of the functions a plan runs (tools/plan/code-cache.js)", () => {
  let dir: string;
  let cacheFile: string;
  let pkgFile: string;

  /**
   * Runs a process that installs the cache and then `body`, which writes `{ out, stats }` (the
   * cache's counts are `stats`) to standard output.
   */
  const runWithCache = (body: string, options: { save?: boolean; contributor?: string } = {}): RunResult => {
    const script = `
      const { installCodeCache } = require(${JSON.stringify(codeCache)});
      const stats = installCodeCache({
        file: ${JSON.stringify(cacheFile)},
        save: () => ${options.save ?? true},
        contributor: ${JSON.stringify(options.contributor ?? "plan")},
      });
      ${body}`;
    const r = spawnSync(process.execPath, ["-e", script], { cwd: dir, encoding: "utf8" });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  /** Loads the package and calls it (unless `call` is false). */
  const run = (
    options: { exitCode?: number; save?: boolean; call?: boolean; contributor?: string } = {},
  ): RunResult =>
    runWithCache(
      `const pkg = require(${JSON.stringify(path.join(dir, "node_modules", "pkg"))});
      (async () => {
        const out = ${options.call === false} ? "not called" : pkg.greet("plan") + "|" + (await pkg.loadFs());
        process.stdout.write(JSON.stringify({ out, stats }));
        process.exitCode = ${options.exitCode ?? 0};
      })();`,
      options,
    );
  const parse = (r: RunResult) => {
    assert.equal(r.stderr, "");
    return JSON.parse(r.stdout) as { out: string; stats: { fromCache: number; compiled: number } };
  };

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), "plan-code-cache-"));
    cacheFile = path.join(dir, "cache", "code.v8cache");
    mkdirSync(path.join(dir, "node_modules", "pkg"), { recursive: true });
    pkgFile = path.join(dir, "node_modules", "pkg", "index.js");
    writeFileSync(pkgFile, pkgSource("hello"));
    writeFileSync(path.join(dir, "node_modules", "pkg", "other.js"), "module.exports = 1;\n");
    writeFileSync(
      path.join(dir, "node_modules", "pkg", "dynamic.js"),
      'exports.loadFs = () => import("node:fs").then((fs) => typeof fs.readFileSync);\n',
    );
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("loads modules as Node does, then serves every one from the cache without writing again", () => {
    const first = parse(run());
    assert.equal(first.out, "hello, plan|pkg|other.js|function");
    assert.deepEqual(first.stats, { fromCache: 0, compiled: 1 });
    const entries = readCacheFile(cacheFile);
    assert.deepEqual([...entries.keys()], [pkgFile]);
    const written = statSync(cacheFile).mtimeMs;

    const second = parse(run());
    assert.equal(second.out, first.out);
    assert.deepEqual(second.stats, { fromCache: 1, compiled: 0 }, "V8 accepted the cached data");
    assert.equal(statSync(cacheFile).mtimeMs, written, "nothing new: the file is not written");
  });

  it("holds the functions that ran: a run that called the package caches more code than one that did not", () => {
    parse(run({ call: false }));
    const before = readCacheFile(cacheFile).get(pkgFile)!.data.length;
    rmSync(cacheFile);
    parse(run());
    const after = readCacheFile(cacheFile).get(pkgFile)!.data.length;
    assert.ok(after > before, `${after} bytes after calling greet, ${before} without`);
  });

  it("adds the functions of each kind of run once: another contributor makes the entries again, a superset", () => {
    parse(run({ call: false, contributor: "hub" }));
    const hubOnly = readCacheFile(cacheFile).get(pkgFile)!.data.length;
    assert.deepEqual(readCacheFile(cacheFile).get(pkgFile)!.contributors, ["hub"]);
    const written = statSync(cacheFile).mtimeMs;
    parse(run({ call: false, contributor: "hub" }));
    assert.equal(statSync(cacheFile).mtimeMs, written, "the same kind of run writes nothing");

    // A spoke runs greet, which the hub never did: its run makes the entry again, with greet.
    const spoke = parse(run({ contributor: "spoke" }));
    assert.deepEqual(spoke.stats, { fromCache: 1, compiled: 0 });
    assert.deepEqual(readCacheFile(cacheFile).get(pkgFile)!.contributors, ["hub", "spoke"]);
    const both = readCacheFile(cacheFile).get(pkgFile)!.data.length;
    assert.ok(both > hubOnly, `${both} bytes with the spoke's functions, ${hubOnly} without`);
    const again = statSync(cacheFile).mtimeMs;
    parse(run({ call: false, contributor: "hub" }));
    parse(run({ contributor: "spoke" }));
    assert.equal(statSync(cacheFile).mtimeMs, again, "every kind of run has contributed");

    // A changed source: its new entry holds one run's functions, so the others contribute again.
    writeFileSync(pkgFile, pkgSource("howdy"));
    parse(run({ contributor: "spoke" }));
    assert.deepEqual(readCacheFile(cacheFile).get(pkgFile)!.contributors, ["spoke"]);
    const changed = statSync(cacheFile).mtimeMs;
    parse(run({ call: false, contributor: "hub" }));
    assert.deepEqual(readCacheFile(cacheFile).get(pkgFile)!.contributors, ["spoke", "hub"]);
    assert.notEqual(statSync(cacheFile).mtimeMs, changed);
  });

  it("compiles a changed source again, even one of the same length, and replaces its entry", () => {
    parse(run());
    writeFileSync(pkgFile, pkgSource("howdy")); // "hello" and "howdy": same length
    const changed = parse(run());
    assert.equal(changed.out, "howdy, plan|pkg|other.js|function");
    assert.deepEqual(changed.stats, { fromCache: 0, compiled: 1 });
    assert.deepEqual(parse(run()).stats, { fromCache: 1, compiled: 0 });
  });

  it("writes only when the process ends as `save` allows, and drops entries of deleted files", () => {
    parse(run({ save: false }));
    assert.throws(() => statSync(cacheFile), /ENOENT/);
    // An entry of a file that no longer exists is dropped at the next write.
    const gone = path.join(dir, "node_modules", "gone.js");
    writeCacheFile(cacheFile, new Map([[gone, { crc: 1, data: Buffer.from("x") }]]));
    parse(run());
    assert.deepEqual([...readCacheFile(cacheFile).keys()], [pkgFile]);
  });

  it("leaves what vm.Script cannot compile as a function body to Node: a #! line, ES module syntax in a .js file", () => {
    const shebang = path.join(dir, "node_modules", "pkg", "cli.js");
    writeFileSync(shebang, '#!/usr/bin/env node\nexports.name = "cli";\n');
    const esm = path.join(dir, "node_modules", "pkg", "esm.js"); // no "type" in any package.json
    writeFileSync(esm, "export const answer = 42;\n");
    const r = runWithCache(`
      const cli = require(${JSON.stringify(shebang)});
      const esm = require(${JSON.stringify(esm)});
      process.stdout.write(JSON.stringify({ out: cli.name + "|" + esm.answer, stats }));`);
    assert.equal(r.status, 0, r.stderr);
    // Node may warn that it loaded esm.js as an ES module; nothing else reaches stderr.
    assert.doesNotMatch(r.stderr, /Error/);
    assert.deepEqual(JSON.parse(r.stdout), { out: "cli|42", stats: { fromCache: 0, compiled: 0 } });
  });

  it("does not hand V8 damaged cached data: the entry is left out and the module compiles again", () => {
    parse(run());
    const entries = readCacheFile(cacheFile);
    const data = Buffer.from(entries.get(pkgFile)!.data);
    for (let i = 64; i < data.length; i += 97) data[i] ^= 0xff; // damage, same length
    // Written as it is read, with the CRC-32 of the data as it was.
    const damaged = readFileSync(cacheFile);
    const at = damaged.indexOf(entries.get(pkgFile)!.data);
    data.copy(damaged, at);
    writeFileSync(cacheFile, damaged);
    assert.equal(readCacheFile(cacheFile).size, 0, "the damaged entry is not read");
    const again = parse(run());
    assert.equal(again.out, "hello, plan|pkg|other.js|function");
    assert.deepEqual(again.stats, { fromCache: 0, compiled: 1 });
    assert.deepEqual(parse(run()).stats, { fromCache: 1, compiled: 0 }, "rewritten whole");
  });

  it("reads a missing, damaged or foreign file as empty", () => {
    assert.equal(readCacheFile(path.join(dir, "absent")).size, 0);
    mkdirSync(path.dirname(cacheFile), { recursive: true });
    writeFileSync(cacheFile, Buffer.from([200, 0, 0, 0, 1, 2, 3]));
    assert.equal(readCacheFile(cacheFile).size, 0);
    const header = Buffer.from(JSON.stringify({ version: 999, entries: [] }));
    const length = Buffer.alloc(4);
    length.writeUInt32LE(header.length);
    writeFileSync(cacheFile, Buffer.concat([length, header]));
    assert.equal(readCacheFile(cacheFile).size, 0);
    // A damaged file is replaced by the next run's.
    writeFileSync(cacheFile, "not a cache");
    parse(run());
    assert.equal(readCacheFile(cacheFile).size, 1);
    assert.equal(readFileSync(cacheFile).readUInt32LE(0) > 0, true);
  });
});
