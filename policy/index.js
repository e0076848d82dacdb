// The policy pack's entry point (package.json `main`).
//
// `pulumi preview --policy-pack policy` starts the pack with @pulumi/pulumi's `run-policy-pack`,
// which registers ts-node with type-checking on: loading this pack's TypeScript that way took about
// 4 s and 6.5 CPU-seconds on every start, on every preview and up. tsx, registered here after
// ts-node, compiles the `.ts` files instead, without type-checking (about 1 s): the same choice as
// the program (Pulumi.yaml: `nodeargs: --import tsx`). Type-checking happens in CI
// (`npm run typecheck` covers policy/). See docs/policy-pack.md.
//
// run-policy-pack also installs source-map-support, which cannot see tsx's in-memory source maps:
// stack traces would point into tsx's output. Node.js's own source maps (on with tsx) map them
// (the program does the same: stacks/source-maps.ts; the pack imports nothing from outside policy/).
"use strict";
require("tsx/cjs");
if (process.sourceMapsEnabled) Error.prepareStackTrace = undefined;
require("./index.ts");
