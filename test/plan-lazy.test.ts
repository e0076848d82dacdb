/**
 * The plan's start-up trim of SDK index files (tools/plan/lazy.ts), on the installed SDKs' real
 * index files: each eager sub-module import becomes a getter, and nothing else changes. (That the
 * plan through the launcher plans the same as in-process: test/plan-cli.test.ts.)
 */
import * as assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { lazySubmodules } from "../tools/plan/lazy-index";

const index = (pkg: string) => readFileSync(require.resolve(path.join(pkg, "index.js")), "utf8");
/** `const x = __importStar(require("./x"));` followed by `exports.x = x;`: a sub-module namespace. */
const EAGER = /^const (\w+) = __importStar\(require\("\.\/([\w-]+)"\)\);\nexports\.\w+ = \1;$/gm;

describe("plan start-up: lazy SDK sub-modules", () => {
  for (const [pkg, atLeast] of [
    ["@pulumi/aws", 200],
    ["@pulumi/kubernetes", 25],
    ["@pulumi/pulumi", 8],
    ["@pulumi/pulumiservice", 3],
    ["@pulumi/tls", 2],
  ] as const) {
    it(`${pkg}: every eagerly imported sub-module becomes a getter (at least ${atLeast})`, () => {
      const source = index(pkg);
      const eager = [...source.matchAll(EAGER)].map((m) => m[1]);
      const { source: lazy, count } = lazySubmodules(source);
      assert.ok(count >= atLeast, `${count} sub-modules`);
      assert.equal(count, eager.length, "each eager import of the file is rewritten");
      assert.equal([...lazy.matchAll(EAGER)].length, 0);
      for (const name of eager)
        assert.ok(lazy.includes(`Object.defineProperty(exports, "${name}", { enumerable: true`), name);
      // Nothing else changes: the lines outside the rewritten pairs are the same.
      const rest = (text: string) =>
        text
          .split("\n")
          .filter(
            (line) =>
              !/^(const \w+ = __importStar\(require|exports\.\w+ = \w+;$|Object\.defineProperty\(exports, "\w+", \{ enumerable)/.test(
                line,
              ),
          );
      assert.deepEqual(rest(lazy), rest(source));
    });
  }

  for (const file of ["zod/v4/core/index.cjs", "zod/v4/classic/external.cjs"]) {
    it(`${file}: the locales namespace becomes a getter zod's export seal does not read`, () => {
      // zod's package exports do not expose its files: from the package root (index.cjs's folder).
      const source = readFileSync(
        path.join(path.dirname(require.resolve("zod")), file.slice("zod/".length)),
        "utf8",
      );
      const eager = 'exports.locales = __importStar(require("../locales/index.cjs"));';
      assert.ok(source.includes(eager), "zod still imports its locales eagerly");
      const { source: lazy, count } = lazySubmodules(source);
      assert.ok(count >= 1 && !lazy.includes(eager));
      assert.ok(
        lazy.includes(
          'Object.defineProperty(exports, "locales", { enumerable: true, configurable: false, get: () => __importStar(require("../locales/index.cjs")) });',
        ),
      );
      // The seal at the end of the file reads (and so loads) configurable getters only.
      assert.match(source, /if \(!desc \|\| !desc\.get \|\| !desc\.configurable\) continue;/);
    });
  }

  it("leaves a file without the pattern as it is", () => {
    const source = 'const x = require("./x");\nexports.x = x;\n';
    assert.deepEqual(lazySubmodules(source), { source, count: 0 });
  });
});
