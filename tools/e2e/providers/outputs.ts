/**
 * What the e2e fake providers share. A real provider returns every property of a resource's state,
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

/** JSON with object keys sorted: equal values give equal text whatever their key order. */
export function stable(value: unknown): string {
  return JSON.stringify(value ?? null, (_k, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)),
        )
      : v,
  );
}

/**
 * The inputs that differ between a resource's recorded inputs (`olds.__inputs`, as the fakes keep
 * them in its outputs) and its new ones, compared by {@link stable}.
 */
export function changedInputs(olds: Record<string, unknown>, news: Record<string, unknown>): string[] {
  const old = (olds.__inputs ?? {}) as Record<string, unknown>;
  const json = (v: unknown): string => JSON.stringify(v ?? null);
  return [...new Set([...Object.keys(old), ...Object.keys(news)])].filter(
    (k) => json(old[k]) !== json(news[k]),
  );
}
