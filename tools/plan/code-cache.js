/**
 * A V8 code cache for the plan process that also holds the functions a plan ran (the launcher
 * installs it; the real `pulumi up` path never loads this file).
 *
 * Node's compile cache (`module.enableCompileCache`) stores each module's code as V8 compiled it
 * when the module loaded: its top-level code only. V8 compiles a function's body the first time
 * the function runs, so every plan compiled again the bodies of the thousands of functions of the
 * bundle and of the SDKs it ran (the resource constructors, the runtime's registration path, the
 * policies). A code cache V8 creates after those functions ran holds them too (`vm.Script`'s
 * `createCachedData`: "functions that have been compiled lazily will be included").
 *
 * So, in the plan process, CommonJS modules compile through `vm.Script` with such a cache: one
 * file (the launcher's: `node_modules/.cache/platform-plan/code-<hash of the Node.js version and
 * V8's cached-data version tag, which covers V8's flags>.v8cache`), holding an entry per module file (path, CRC-32 of the source as loaded, V8's
 * cached data). An entry is used only for the same path and source (V8 itself only compares the
 * source's length) and V8 rejects one made by another V8 version or with other flags: that module
 * compiles as before and gets a new entry; so does one whose data does not match the CRC-32 stored
 * with it (V8 does not check its cached data, and damaged data can crash it). The file is
 * written (under a temporary name, then renamed) at the exit of a plan that ran to the end
 * (exit status 0 or 1) when a module it loaded had no usable entry; entries of modules that run
 * did not load are kept while their file exists. A kind of run that has not contributed its
 * functions to an entry yet (another stack) makes that entry again ({@link installCodeCache}).
 *
 * What a module sees is what Node's loader gives it: the same wrapper arguments (`exports`,
 * `require`, `module`, `__filename`, `__dirname`), a `require` with `resolve`, `resolve.paths`,
 * `main`, `extensions` and `cache`. ES modules, CommonJS modules with a dynamic `import()`, sources
 * `vm.Script` cannot compile as a function body (a `#!` line, ES module syntax in a `.js` file), and
 * every module when the plan runs with `--debug`, load through Node as before (with Node's compile
 * cache). What is not done: Node's tracking of a module being executed for its error on a require
 * cycle between ES modules and CommonJS (`ERR_REQUIRE_CYCLE_MODULE`).
 */
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const vm = require("node:vm");
const zlib = require("node:zlib");
const Module = require("node:module");

const FORMAT_VERSION = 4;
/**
 * A dynamic `import()` (or text that looks like one): such a module loads through Node as before,
 * since a `vm.Script` needs an import callback Node only offers as an experimental feature (which
 * prints a warning when used; it stays as a safety net for forms this misses). A module with an
 * entry was checked when the entry was made: a change here needs a new {@link FORMAT_VERSION}.
 */
const DYNAMIC_IMPORT = /\bimport\s*\(/;
const DEFAULT_LOADER = vm.constants && vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER;

/**
 * Reads a cache file: a little-endian uint32 header length, the header (JSON: `{ version,
 * contributors: [name, ...], entries: [[file, source crc32, length, data crc32, [contributor
 * index, ...]], ...] }`) and the entries' data one after another.
 * @returns Entries by file: `{ crc, data, contributors }` (`crc` of the source; the kinds of run
 *   whose functions the data holds, see {@link installCodeCache}). An entry whose data does not
 *   match its CRC-32 is left out (V8 does not check cached data, and damaged data can crash it);
 *   none when the file is missing, of another format or cut short.
 */
function readCacheFile(file) {
  let buffer;
  try {
    buffer = fs.readFileSync(file);
  } catch {
    return new Map();
  }
  try {
    const headerLength = buffer.readUInt32LE(0);
    const header = JSON.parse(buffer.subarray(4, 4 + headerLength).toString("utf8"));
    if (header.version !== FORMAT_VERSION || !Array.isArray(header.entries)) return new Map();
    const names = Array.isArray(header.contributors) ? header.contributors.map(String) : [];
    const entries = new Map();
    let offset = 4 + headerLength;
    for (const [source, crc, length, dataCrc, indexes] of header.entries) {
      if (offset + length > buffer.length) return new Map();
      const data = buffer.subarray(offset, offset + length);
      const contributors = (Array.isArray(indexes) ? indexes : []).map((i) => names[i] ?? "");
      if (zlib.crc32(data) === dataCrc) entries.set(source, { crc, data, contributors });
      offset += length;
    }
    return entries;
  } catch {
    return new Map();
  }
}

/** Writes entries (`Map<file, { crc, data, contributors? }>`) in {@link readCacheFile}'s format, atomically. */
function writeCacheFile(file, entries) {
  const list = [...entries];
  const names = [...new Set(list.flatMap(([, e]) => e.contributors ?? []))];
  const index = new Map(names.map((name, i) => [name, i]));
  const header = Buffer.from(
    JSON.stringify({
      version: FORMAT_VERSION,
      contributors: names,
      entries: list.map(([f, e]) => [
        f,
        e.crc,
        e.data.length,
        zlib.crc32(e.data),
        (e.contributors ?? []).map((c) => index.get(c)),
      ]),
    }),
  );
  const length = Buffer.alloc(4);
  length.writeUInt32LE(header.length);
  const partial = `${file}.${process.pid}.tmp`;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(partial, Buffer.concat([length, header, ...list.map(([, e]) => e.data)]));
  fs.renameSync(partial, file);
}

function checkRequest(request) {
  if (typeof request !== "string") {
    const error = new TypeError(`The "request" argument must be of type string. Received ${typeof request}`);
    error.code = "ERR_INVALID_ARG_TYPE";
    throw error;
  }
}

/** The `require` Node's loader hands a module (lib/internal/modules/helpers.js makeRequireFunction). */
function requireFor(mod) {
  const require = function require(id) {
    return mod.require(id);
  };
  function resolve(request, options) {
    checkRequest(request);
    return Module._resolveFilename(request, mod, false, options);
  }
  function paths(request) {
    checkRequest(request);
    return Module._resolveLookupPaths(request, mod);
  }
  resolve.paths = paths;
  require.resolve = resolve;
  require.main = process.mainModule;
  require.extensions = Module._extensions;
  require.cache = Module._cache;
  return require;
}

/**
 * Compiles this process's CommonJS modules with the cache file, from now on.
 *
 * When the file is written: an entry holds the functions that had run when V8 made it, so an entry
 * made by one kind of run (a hub's plan) lacks what another runs (a spoke's builders). Each kind of
 * run is a `contributor` (the launcher: the stack and the project directory), and each entry lists
 * the contributors whose functions it holds. At the exit of a run that may save, the entry of every
 * module it loaded without a usable entry is made, and so is the entry of every module it loaded
 * whose contributors do not include this run (a superset: V8 includes the functions that came from
 * the cache and those this run compiled); the file is written when any entry was made.
 * @param {{ file: string, save: (exitCode: number) => boolean, contributor?: string }} options
 *   `file`: the cache file; `save`: whether a process ending with this status may write it (a run
 *   that ended early has compiled few functions); `contributor`: this kind of run. @default ""
 * @returns Counts of this process's modules so far, updated as they load (`fromCache`: compiled from
 *   an entry V8 accepted; `compiled`: without one), or false when this Node.js cannot (no
 *   `zlib.crc32`, before Node 22.2): then nothing changes.
 */
function installCodeCache({ file, save, contributor = "" }) {
  if (typeof zlib.crc32 !== "function" || typeof Module.prototype._compile !== "function") return false;
  const entries = readCacheFile(file);
  const stats = { fromCache: 0, compiled: 0 };
  /** Every module compiled through the cache, and whether it had no usable entry. */
  const loaded = [];
  const compile = Module.prototype._compile;
  Module.prototype._compile = function (content, filename, format) {
    if ((format !== undefined && format !== "commonjs") || typeof content !== "string")
      return compile.call(this, content, filename, format);
    const crc = zlib.crc32(content);
    const entry = entries.get(filename);
    const usable = entry !== undefined && entry.crc === crc;
    if (!usable && DYNAMIC_IMPORT.test(content)) return compile.call(this, content, filename, format);
    let script;
    try {
      script = new vm.Script(Module.wrap(content), {
        filename,
        cachedData: usable ? entry.data : undefined,
        ...(DEFAULT_LOADER ? { importModuleDynamically: DEFAULT_LOADER } : {}),
      });
    } catch {
      // What does not compile as a CommonJS function body (a `#!` line, ES module syntax Node
      // detects in a `.js` file, a syntax error): Node's loader, which loads it or reports it.
      return compile.call(this, content, filename, format);
    }
    const fresh = !usable || script.cachedDataRejected === true;
    loaded.push({ filename, crc, script, fresh });
    if (fresh) stats.compiled++;
    else stats.fromCache++;
    const wrapper = script.runInThisContext({ displayErrors: true });
    return wrapper.call(this.exports, this.exports, requireFor(this), this, filename, path.dirname(filename));
  };
  process.on("exit", (code) => {
    if (loaded.length === 0 || !save(code)) return;
    try {
      let made = false;
      for (const { filename, crc, script, fresh } of loaded) {
        const before = fresh ? [] : (entries.get(filename)?.contributors ?? []);
        if (!fresh && before.includes(contributor)) continue;
        entries.set(filename, {
          crc,
          data: script.createCachedData(),
          contributors: [...before, contributor],
        });
        made = true;
      }
      if (!made) return;
      for (const [source] of entries) if (!fs.existsSync(source)) entries.delete(source);
      writeCacheFile(file, entries);
    } catch {
      // A cache that cannot be written only costs the speed-up.
    }
  });
  return stats;
}

module.exports = { installCodeCache, readCacheFile, writeCacheFile };
