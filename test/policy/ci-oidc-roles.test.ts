/**
 * The GitHub-Actions and Pulumi-Deployments OIDC roles that docs/ci-and-deployments.md tells
 * operators to create: their trust policies, read from the page itself, pass the pack's
 * `iam-irsa-trust-scoped`; the same trust without a `sub` condition fails.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  iamIrsaTrustScoped,
  iamTrustNoAccountRoot,
  iamTrustNoWildcardPrincipal,
} from "../../policy/policies/kms-iam";
import { messages } from "./helpers";

const page = fs.readFileSync(path.resolve(__dirname, "../../docs/ci-and-deployments.md"), "utf8");

/** The JSON code block after `<!-- trust-policy: name ... -->`, with its indentation removed. */
function trustPolicy(name: string): Record<string, any> {
  const m = new RegExp(`<!-- trust-policy: ${name}\\b[^>]*-->\\s*\`\`\`json\\n([\\s\\S]*?)\`\`\``).exec(page);
  assert.ok(m, `docs/ci-and-deployments.md has no trust policy "${name}"`);
  return JSON.parse(m[1]!) as Record<string, any>;
}

function withoutSub(doc: Record<string, any>): Record<string, any> {
  const copy = JSON.parse(JSON.stringify(doc)) as Record<string, any>;
  for (const s of copy["Statement"]) {
    for (const op of Object.keys(s.Condition ?? {})) {
      for (const k of Object.keys(s.Condition[op])) if (k.endsWith(":sub")) delete s.Condition[op][k];
      if (Object.keys(s.Condition[op]).length === 0) delete s.Condition[op];
    }
  }
  return copy;
}

const role = "aws:iam/role:Role";

describe("CI and Deployments OIDC roles from docs/ci-and-deployments.md", () => {
  for (const [name, host] of [
    ["github-actions", "token.actions.githubusercontent.com"],
    ["pulumi-deployments", "api.pulumi.com/oidc"],
  ] as const) {
    it(`${name}: the documented trust passes iam-irsa-trust-scoped and the other trust policies`, async () => {
      const doc = trustPolicy(name);
      for (const policy of [iamIrsaTrustScoped(), iamTrustNoWildcardPrincipal(), iamTrustNoAccountRoot()]) {
        assert.deepEqual(
          await messages(policy, role, { assumeRolePolicy: JSON.stringify(doc) }),
          [],
          policy.name,
        );
      }
    });
    it(`${name}: the same trust without a sub condition fails`, async () => {
      const unscoped = withoutSub(trustPolicy(name));
      const m = await messages(iamIrsaTrustScoped(), role, { assumeRolePolicy: JSON.stringify(unscoped) });
      assert.equal(m.length, 1, JSON.stringify(m));
      assert.match(
        m[0]!,
        new RegExp(`trusts the OIDC provider ${host.replace(/[./]/g, "\\$&")} but has no condition on`),
      );
    });
  }
});
