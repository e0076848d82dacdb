/**
 * The shape of a planned resource as the cost, first-deploy and topology estimates read it (the
 * `resources` of the plan's JSON document, tools/plan/run.ts), and helpers over a list of them.
 */

/** One planned resource (a subset of the plan's `PlanResource`). */
export interface PlannedResource {
  readonly urn: string;
  readonly type: string;
  readonly name: string;
  /** URN of the parent resource (a component or the stack). */
  readonly parent?: string;
  /** The explicit provider reference (`<provider urn>::<id>`). */
  readonly provider?: string;
  /** URNs this resource depends on (explicit `dependsOn` and inputs from other resources). */
  readonly dependencies: readonly string[];
  readonly inputs: Readonly<Record<string, unknown>>;
}

/** Whether a type is one of this project's components (`platform:<area>:<Type>`). */
export function isPlatformComponent(type: string): boolean {
  return type.startsWith("platform:");
}

/**
 * The component a resource belongs to: its nearest `platform:*` ancestor (itself included), as
 * `<type> <name>`, or `stack` for resources outside any component.
 */
export function componentOf(resource: PlannedResource, byUrn: ReadonlyMap<string, PlannedResource>): string {
  let current: PlannedResource | undefined = resource;
  const seen = new Set<string>();
  while (current && !seen.has(current.urn)) {
    if (isPlatformComponent(current.type)) return `${current.type} ${current.name}`;
    seen.add(current.urn);
    current = current.parent ? byUrn.get(current.parent) : undefined;
  }
  return "stack";
}

/** A nested input value by path (`get(inputs, "spec", "type")`), or undefined. */
export function get(value: unknown, ...path: (string | number)[]): unknown {
  let current = value;
  for (const key of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string | number, unknown>)[key];
  }
  return current;
}
