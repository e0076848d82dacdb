// The policy pack's entry point (package.json `main`).
//
// `pulumi preview --policy-pack policy` starts the pack with @pulumi/pulumi's `run-policy-pack`,
// which registers ts-node with type-checking on: loading this pack's TypeScript that way took about
// 4 s and 6.5 CPU-seconds on every start, on every preview and up. tsx, registered here after
// ts-node, compiles the `.ts` files instead, without type-checking (about 1 s): the same choice as
// the program (Pulumi.yaml: `nodeargs: --import tsx`). Type-checking happens in CI
// (`npm run typecheck` covers policy/). See docs/policy-pack.md.
"use strict";
require("tsx/cjs");
require("./index.ts");
