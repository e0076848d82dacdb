/**
 * The recipes of docs/architecture.md, each as a test: add a setting, add a capability, add an
 * organization, add a policy.
 */
import * as assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { ConfigError, loadConfig, platformSchema } from "../stacks/config";
import { integer } from "../stacks/schema";
import { namespaceName } from "../components/tenancy";
import { renderConfigDocs, renderProjectYaml } from "../tools/gen-config-docs";
import { resourcePolicy, types } from "../policy/policies/common";
import { runResourcePolicy } from "../policy/testing";

const repo = path.resolve(__dirname, "..");
const hub = {
  "aws:region": "eu-west-1",
  "platform:role": "hub",
  "platform:vpcCidr": "10.100.0.0/16",
  "platform:gitops": JSON.stringify({ repositoryUrl: "https://github.com/acme/platform" }),
};

describe("recipe: add a setting (one schema line plus its use)", () => {
  // The one line, as it would stand in coreSchema (stacks/core.ts) or a capability's object.
  const schema = platformSchema.extend({
    maxPodsPerNode: integer(10, 250).default(110).describe("Pods a node may run (kubelet maxPods)."),
  });

  it("is declared in the generated Pulumi.yaml with its type, description and default", () => {
    const project = parse(renderProjectYaml(schema)) as { config: Record<string, unknown> };
    assert.deepEqual(project.config.maxPodsPerNode, {
      type: "integer",
      description: "Pods a node may run (kubelet maxPods).",
      default: 110,
    });
  });

  it("is documented in the generated docs/configuration.md", () => {
    assert.ok(
      renderConfigDocs(schema).includes(
        "| `platform:maxPodsPerNode` | integer | `110` | both | Pods a node may run (kubelet maxPods). |",
      ),
    );
  });

  it("is read by the loader, with its default when unset", () => {
    const read = (raw: Record<string, string>) =>
      (loadConfig(raw, "hub", "platform", { schema }) as unknown as { maxPodsPerNode: number })
        .maxPodsPerNode;
    assert.equal(read(hub), 110);
    assert.equal(read({ ...hub, "platform:maxPodsPerNode": "58" }), 58);
  });

  it("refuses a bad value with the one-line error naming the key, the value and what was expected", () => {
    assert.throws(
      () => loadConfig({ ...hub, "platform:maxPodsPerNode": "500" }, "hub", "platform", { schema }),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.message ===
          'invalid configuration platform:maxPodsPerNode = "500": expected an integer between 10 and 250',
    );
  });

  it("is unknown to the committed schema until the line is added", () => {
    assert.throws(() => loadConfig({ ...hub, "platform:maxPodsPerNode": "58" }, "hub"), /a known key/);
  });
});

describe("recipe: add a capability (one module stacks/<capability>.ts)", () => {
  // Every module that declares a config slice: its keys join the platform schema, and it builds.
  const modules = readdirSync(path.join(repo, "stacks")).filter((f) => f.endsWith(".ts"));
  const capabilities = modules.filter((f) =>
    /export const \w+Schema = \{/.test(readFileSync(path.join(repo, "stacks", f), "utf8")),
  );

  it("finds the capability modules and no sections/ or wiring/ halves", () => {
    assert.ok(capabilities.length >= 9, capabilities.join(", "));
    for (const dir of ["sections", "wiring"])
      assert.ok(!readdirSync(path.join(repo, "stacks")).includes(dir), `stacks/${dir} is gone`);
  });

  for (const file of [
    "transit.ts",
    "storage.ts",
    "observability.ts",
    "gitops.ts",
    "tenancy.ts",
    "karpenter.ts",
  ]) {
    it(`stacks/${file} holds its schema and its builder, and config.ts assembles its keys`, async () => {
      const mod = (await import(path.join(repo, "stacks", file))) as Record<string, unknown>;
      const schemaExport = Object.keys(mod).find(
        (k) => /^[a-z]\w*Schema$/.test(k) && !k.endsWith("ConfigSchema"),
      );
      assert.ok(schemaExport, `stacks/${file} exports its schema`);
      for (const key of Object.keys(mod[schemaExport] as object))
        assert.ok(key in platformSchema.shape, `platform:${key} of stacks/${file} is in the platform schema`);
      assert.ok(
        Object.keys(mod).some((k) => k.startsWith("build") && typeof mod[k] === "function"),
        `stacks/${file} exports its build function`,
      );
    });
  }
});

describe("recipe: add an organization (stack file only)", () => {
  it("adds the organization's namespaces to spoke-prod from one entry of platform:organizations", () => {
    const file = parse(readFileSync(path.join(repo, "Pulumi.spoke-prod.yaml"), "utf8")) as {
      config: Record<string, unknown>;
    };
    const raw = Object.fromEntries(
      Object.entries(file.config).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]),
    );
    const organizations = [
      ...(file.config["platform:organizations"] as object[]),
      { name: "acme", environments: [{ name: "pre" }, { name: "pro" }] },
    ];
    const gitops = { ...(file.config["platform:gitops"] as object), sshPrivateKey: "[secret]" };
    const config = loadConfig(
      {
        ...raw,
        "platform:organizations": JSON.stringify(organizations),
        "platform:gitops": JSON.stringify(gitops),
      },
      "spoke-prod",
    );
    const acme = config.organizations.find((o) => o.name === "acme")!;
    assert.deepEqual(
      acme.environments.map((e) => namespaceName(acme.name, e.name, e.namespace)),
      ["acme-pre", "acme"],
    );
  });
});

describe("recipe: add a policy (a factory, a fire test and a quiet test)", () => {
  const efsBurstingThroughput = (): ResourceValidationPolicy =>
    resourcePolicy({
      name: "efs-no-provisioned-throughput",
      description:
        "EFS file systems use elastic or bursting throughput, never provisioned (billed when idle).",
      severity: "low",
      tags: ["storage", "cost"],
      remediationSteps: "Set throughputMode: elastic.",
      url: "https://docs.aws.amazon.com/efs/latest/ug/performance.html#throughput-modes",
      resourceTypes: [types.efsFileSystem],
      checks: {
        "*": (props, _args, report) => {
          if (props.throughputMode === "provisioned")
            report("throughputMode is provisioned: billed when idle. Set throughputMode: elastic.");
        },
      },
    });
  const type = "aws:efs/fileSystem:FileSystem";

  it("fires on a provisioned file system", async () => {
    const result = await runResourcePolicy(efsBurstingThroughput(), {
      type,
      props: { throughputMode: "provisioned" },
    });
    assert.deepEqual(
      result.violations.map((v) => v.message),
      ["throughputMode is provisioned: billed when idle. Set throughputMode: elastic."],
    );
  });

  it("is quiet on an elastic file system", async () => {
    const result = await runResourcePolicy(efsBurstingThroughput(), {
      type,
      props: { throughputMode: "elastic" },
    });
    assert.deepEqual(result.violations, []);
  });
});
