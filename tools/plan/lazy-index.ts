/** The source rewrite tools/plan/lazy.ts applies to SDK index files (no side effects: tests import it). */

/**
 * An SDK index file's eager sub-module imports, as TypeScript compiles
 * `export * as x from "./x"` (`const x = __importStar(require("./x"));` then `exports.x = x;`),
 * rewritten as getters that require the sub-module on first read. `__importStar` returns an
 * ES-module-marked module itself, so the getter hands out the same object.
 * @returns The rewritten source and how many sub-modules became lazy (0: the file is unchanged).
 */
export function lazySubmodules(source: string): { source: string; count: number } {
  let count = 0;
  const rewritten = source.replace(
    /^const (\w+) = __importStar\(require\("\.\/([\w-]+)"\)\);\r?\nexports\.(\w+) = \1;$/gm,
    (_, _local: string, file: string, name: string) => {
      count++;
      return `Object.defineProperty(exports, "${name}", { enumerable: true, configurable: true, get: () => require("./${file}") });`;
    },
  );
  return { source: rewritten, count };
}
