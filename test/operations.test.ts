import * as assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { parse, stringify } from "yaml";
import { planStack } from "../tools/plan/run";

const repo = path.resolve(__dirname, "..");

/** The YAML block that follows `<!-- example: name -->` in docs/operations.md. */
function example(name: string): string {
  const text = readFileSync(path.join(repo, "docs/operations.md"), "utf8");
  const match = new RegExp(`<!-- example: ${name} -->\\s*\`\`\`yaml\\n([\\s\\S]*?)\`\`\``).exec(text);
  assert.ok(match, `docs/operations.md has the ${name} example`);
  return match[1];
}

describe("docs/operations.md examples", () => {
  it("plans the documented new spoke without editing the hub", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "ops-"));
    copyFileSync(path.join(repo, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
    copyFileSync(path.join(repo, "Pulumi.hub.yaml"), path.join(dir, "Pulumi.hub.yaml"));
    writeFileSync(path.join(dir, "Pulumi.spoke-staging.yaml"), example("spoke-staging"));
    const plan = await planStack("spoke-staging", { root: dir });
    assert.equal(plan.summary.mandatory, 0, JSON.stringify(plan.violations));
    const attachment = plan.resources.find(
      (r) => r.type === "aws:ec2transitgateway/vpcAttachment:VpcAttachment",
    );
    assert.ok(attachment, "the spoke attaches itself to the hub's Transit Gateway");
    assert.equal(plan.outputs.vpcCidr, "10.1.0.0/16");
  });

  it("plans the documented organization on spoke-prod with its namespaces and policies", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "ops-"));
    copyFileSync(path.join(repo, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
    copyFileSync(path.join(repo, "Pulumi.hub.yaml"), path.join(dir, "Pulumi.hub.yaml"));
    const spoke = parse(readFileSync(path.join(repo, "Pulumi.spoke-prod.yaml"), "utf8")) as {
      config: { "platform:organizations": unknown[] };
    };
    spoke.config["platform:organizations"].push(...(parse(example("organization")) as unknown[]));
    writeFileSync(path.join(dir, "Pulumi.spoke-prod.yaml"), stringify(spoke));
    const plan = await planStack("spoke-prod", { root: dir });
    assert.equal(plan.summary.mandatory, 0, JSON.stringify(plan.violations));
    const namespaces = plan.resources
      .filter((r) => r.type === "kubernetes:core/v1:Namespace")
      .map((r) => (r.inputs.metadata as { name: string }).name);
    assert.ok(namespaces.includes("acme-pre") && namespaces.includes("acme"), namespaces.join(","));
    const quotas = plan.resources.filter(
      (r) =>
        r.type === "kubernetes:core/v1:ResourceQuota" &&
        (r.inputs.metadata as { namespace: string }).namespace === "acme",
    );
    assert.equal(quotas.length, 1);
  });
});
