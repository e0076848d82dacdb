import { strict as assert } from "node:assert";
import { comparePlans } from "../tools/compare-plans";

const r = (urn: string, inputs: Record<string, unknown> = {}) => {
  const [type, name] = urn.split("::").slice(2);
  return { urn, type: type.split("$").pop()!, name, inputs };
};

describe("tools/compare-plans", () => {
  it("reports added, removed, changed inputs and moved parents, and nothing for equal plans", () => {
    const before = [
      r("urn:pulumi:s::p::a:b:C::x", { k: 1 }),
      r("urn:pulumi:s::p::a:b:P$a:b:C::y", { k: [1, 2] }),
      r("urn:pulumi:s::p::a:b:C::gone"),
    ];
    assert.deepEqual(comparePlans(before, before), []);
    const after = [
      r("urn:pulumi:s::p::a:b:C::x", { k: 2 }),
      r("urn:pulumi:s::p::a:b:P$a:b:Q$a:b:C::y", { k: [1, 2] }),
      r("urn:pulumi:s::p::a:b:C::new"),
    ];
    assert.deepEqual(comparePlans(before, after), [
      { kind: "inputs", resource: "a:b:C::x", detail: "k" },
      { kind: "parent", resource: "a:b:C::y", detail: "a:b:P -> a:b:P$a:b:Q" },
      { kind: "removed", resource: "a:b:C::gone" },
      { kind: "added", resource: "a:b:C::new" },
    ]);
  });
});
