import * as assert from "assert";
import * as fs from "fs";
import { policies } from "../../policy/policies";
import { policyDocsPath, renderPolicyDocs } from "../../tools/gen-policy-docs";

describe("docs/policies.md", () => {
  it("is up to date with the pack (run `npm run docs:policies`)", () => {
    assert.strictEqual(fs.readFileSync(policyDocsPath, "utf8"), renderPolicyDocs());
  });
  it("lists every policy", () => {
    const doc = renderPolicyDocs();
    for (const p of policies) assert.ok(doc.includes(`| \`${p.name}\` |`), p.name);
  });
});
