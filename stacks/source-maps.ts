/**
 * Stack traces of the program under `pulumi preview` and `pulumi up`.
 *
 * The program runs as TypeScript through tsx (Pulumi.yaml: `nodeargs: --import tsx`), which keeps
 * the source map of each file it compiles in memory and turns on Node.js's own source-map support
 * (`process.sourceMapsEnabled`). `@pulumi/pulumi`'s `cmd/run` installs the `source-map-support`
 * package before it loads the program; that package replaces `Error.prepareStackTrace` and looks
 * for source maps on disk only, so it cannot see tsx's. Under it:
 *
 * - every stack trace points at positions in tsx's compiled code (`components/x.ts:2:879`
 *   instead of `components/x.ts:5:23`): the errors a user reads, and the source position and
 *   stack the SDK records for every resource it registers (`Resource.callsites()` parses
 *   `new Error().stack`), which the engine keeps in the state;
 * - and it is slow: the SDK captures a stack for every resource and every debuggable promise.
 *   It took about a third of the program's CPU time in the e2e run's real previews (7 of 22
 *   CPU-seconds in one, profiled; docs/e2e.md).
 *
 * Node.js's own source-map support maps the same stacks correctly at about a third of the cost.
 * https://nodejs.org/api/process.html#processsourcemapsenabled
 */

/**
 * Gives stack traces back to Node.js's own source-map support when it is on (tsx turns it on):
 * removes the `Error.prepareStackTrace` hook `source-map-support` installed. Without Node.js's
 * source maps (a program compiled to JavaScript and run without them) nothing changes, and
 * `source-map-support` keeps reading the `.js.map` files.
 * @returns whether Node.js's source maps now format stack traces.
 */
export function useNodeSourceMaps(): boolean {
  if (!process.sourceMapsEnabled) return false;
  (Error as { prepareStackTrace?: unknown }).prepareStackTrace = undefined;
  return true;
}
