/**
 * What the e2e fake providers share: a real provider returns every property of a resource's state,
 * null when unset. A property a provider leaves out is unknown to the next preview (the SDK cannot
 * tell it from a value still to come), so every resource that reads it would show a change.
 */
import * as fs from "node:fs";

/**
 * Every property of a type's state (the `resourceInputs[...]` the package's generated SDK class
 * declares, inputs and outputs), each null. `{}` when the SDK has no such class.
 * @param pkg the SDK package under `@pulumi/` (`aws`, `tls`)
 * @param type the type token, `<pkg>:<module>/<name>:<Name>`
 */
export function unsetOutputs(pkg: string, type: string): Record<string, null> {
  const [, mod, name] = /^[a-z]+:([a-zA-Z0-9]+)\/([a-zA-Z0-9]+):/.exec(type) ?? [];
  if (!mod) return {};
  let source: string;
  try {
    source = fs.readFileSync(
      require.resolve(`@pulumi/${pkg}/${mod === "index" ? "" : `${mod}/`}${name}.js`),
      "utf8",
    );
  } catch {
    return {};
  }
  return Object.fromEntries([...source.matchAll(/resourceInputs\["(\w+)"\]/g)].map((m) => [m[1], null]));
}
