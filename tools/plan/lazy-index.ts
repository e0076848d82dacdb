/** The source rewrite tools/plan/lazy.ts applies to SDK index files (no side effects: tests import it). */

/**
 * An index file's eager sub-module imports, rewritten as getters that require the sub-module on
 * first read. Two forms TypeScript emits are rewritten:
 * - `export * as x from "./x"` in the @pulumi SDKs: `const x = __importStar(require("./x"));` then
 *   `exports.x = x;`;
 * - the same in zod's index files: `exports.locales = __importStar(require("../locales/index.cjs"));`
 *   (zod's 64 locale modules, which the platform never reads: its messages are its own). zod seals
 *   its exports when the file ends by reading every configurable getter, so these are not
 *   configurable (as the sealed property would be).
 * `__importStar` returns an ES-module-marked module itself, so the getter hands out the same object.
 * @returns The rewritten source and how many sub-modules became lazy (0: the file is unchanged).
 */
export function lazySubmodules(source: string): { source: string; count: number } {
  let count = 0;
  const getter = (name: string, file: string, configurable: boolean) => {
    count++;
    return `Object.defineProperty(exports, "${name}", { enumerable: true, configurable: ${configurable}, get: () => __importStar(require("${file}")) });`;
  };
  const rewritten = source
    .replace(
      /^const (\w+) = __importStar\(require\("(\.\/[\w-]+)"\)\);\r?\nexports\.(\w+) = \1;$/gm,
      (_, _local: string, file: string, name: string) => getter(name, file, true),
    )
    .replace(
      /^exports\.(\w+) = __importStar\(require\("(\.\.?\/[\w./-]+)"\)\);$/gm,
      (_, name: string, file: string) => getter(name, file, false),
    );
  return { source: rewritten, count };
}
