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
for (const file of SOURCES.flatMap((s) => files(path.join(root, s))))
  hash.update(file).update(fs.readFileSync(file));
const sourceHash = hash.digest("hex");
const bundle = path.join(cacheDir, `plan-${sourceHash.slice(0, 24)}.js`);

if (!fs.existsSync(bundle)) {
  let esbuild;
  try {
    esbuild = require("esbuild");
  } catch {
    process.stderr.write("error: esbuild is not installed: run npm ci\n");
    process.exit(2);
  }
  fs.mkdirSync(cacheDir, { recursive: true });
  for (const old of fs.readdirSync(cacheDir).filter((f) => /^plan-.*\.js$/.test(f)))
    fs.rmSync(path.join(cacheDir, old));
  try {
    esbuild.buildSync({
      entryPoints: [path.join(root, "tools", "plan", "cli.ts")],
      outfile: bundle,
      bundle: true,
      platform: "node",
      target: "node20",
      format: "cjs",
      packages: "external",
      logLevel: "silent",
    });
  } catch (error) {
    const first = (error.errors && error.errors[0]) || { text: String(error) };
    const where = first.location ? `${first.location.file}:${first.location.line}: ` : "";
    process.stderr.write(`error: cannot build the plan: ${where}${first.text}\n`);
    process.exit(2);
  }
}

process.env.PLATFORM_REPO_ROOT = root;
// The plan keys its cache of hub outputs on the same hash (no second pass over the sources).
process.env.PLATFORM_SOURCE_HASH = sourceHash;
require(bundle);
