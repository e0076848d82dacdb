import * as assert from "assert";
import { logGroupKms, logGroupRetention } from "../../policy/policies/logging";
import { backupCopyToSecondRegion, protectStatefulInProduction } from "../../policy/policies/production";
import { requiredTags } from "../../policy/policies/tagging";
import { eksAddonVersionPinned, helmChartVersionPinned } from "../../policy/policies/versions";
import { runResourcePolicy, runStackPolicy } from "../../policy/testing";
import { messages } from "./helpers";

const LG = "aws:cloudwatch/logGroup:LogGroup";
const tags = { environment: "prod", owner: "platform", "cost-center": "cc-42" };

describe("policy: logging", () => {
  it("log-group-retention fires on unlimited and short retention", async () => {
    assert.match((await messages(logGroupRetention(), LG, {}))[0]!, /retentionInDays is not set/);
    assert.match(
      (await messages(logGroupRetention(), LG, { retentionInDays: 7 }))[0]!,
      /7, below the minimum of 90/,
    );
  });
  it("log-group-retention accepts the configured minimum", async () => {
    assert.deepStrictEqual(await messages(logGroupRetention(), LG, { retentionInDays: 365 }), []);
    assert.deepStrictEqual(
      await messages(logGroupRetention(), LG, { retentionInDays: 7 }, { minRetentionDays: 7 }),
      [],
    );
  });
  it("log-group-kms fires without a key and accepts one", async () => {
    assert.match((await messages(logGroupKms(), LG, { retentionInDays: 365 }))[0]!, /kmsKeyId is not set/);
    assert.deepStrictEqual(
      await messages(logGroupKms(), LG, { kmsKeyId: "arn:aws:kms:eu-west-1:1:key/k" }),
      [],
    );
  });
});

describe("policy: tagging", () => {
  it("required-tags names the missing tags of a taggable resource", async () => {
    assert.match(
      (await messages(requiredTags(), "aws:kms/key:Key", { tags: { owner: "platform" } }))[0]!,
      /missing tags environment, cost-center/,
    );
    assert.match(
      (await messages(requiredTags(), "aws:eks/cluster:Cluster", {}))[0]!,
      /missing tags environment, owner, cost-center/,
    );
  });
  it("required-tags counts tagsAll, provider defaultTags keys and the configured list", async () => {
    assert.deepStrictEqual(await messages(requiredTags(), "aws:kms/key:Key", { tags }), []);
    assert.deepStrictEqual(
      await messages(requiredTags(), "aws:kms/key:Key", { tags: { owner: "p" }, tagsAll: tags }),
      [],
    );
    assert.deepStrictEqual(
      await messages(
        requiredTags(),
        "aws:kms/key:Key",
        { tags: { owner: "p" } },
        { providerDefaultTags: ["environment", "cost-center"] },
      ),
      [],
    );
    assert.deepStrictEqual(await messages(requiredTags(), "aws:kms/key:Key", {}, { requiredTags: [] }), []);
  });
  it("required-tags fires on an access entry whose provider adds an empty tagsAll", async () => {
    assert.match(
      (
        await messages(requiredTags(), "aws:eks/accessEntry:AccessEntry", {
          principalArn: "arn",
          tagsAll: {},
        })
      )[0]!,
      /missing tags environment, owner, cost-center/,
    );
  });
  it("required-tags is quiet on an access entry whose tagsAll holds the provider's default tags", async () => {
    assert.deepStrictEqual(
      await messages(requiredTags(), "aws:eks/accessEntry:AccessEntry", {
        principalArn: "arn",
        tagsAll: tags,
      }),
      [],
    );
  });
  it("required-tags lets the own tags and default tags decide while tagsAll is unknown", async () => {
    const unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
    const r = await runResourcePolicy(requiredTags(), {
      type: "aws:kms/key:Key",
      props: { tags, tagsAll: unknown },
    });
    assert.deepStrictEqual(r.violations, []);
    assert.equal(r.unknown, undefined);
  });
  it("required-tags is not applicable to an eks/awsx component registered without inputs", async () => {
    for (const type of ["eks:index:Cluster", "eks:index:ManagedNodeGroup", "awsx:ec2:Vpc"]) {
      const r = await runResourcePolicy(requiredTags(), { type, props: {} });
      assert.match(r.notApplicable ?? "", /registered without inputs/, type);
    }
  });
  it("required-tags reads an awsx component's tags as the real engine shows them ({ name, args, opts })", async () => {
    // Found by the e2e run: the awsx provider registers its components with { name, args, opts }.
    const tags = { environment: "production", owner: "platform-team", "cost-center": "platform" };
    const opts = { aliases: [], protect: false };
    assert.deepStrictEqual(
      await messages(requiredTags(), "awsx:ec2:Vpc", { name: "v", args: { tags }, opts }),
      [],
    );
    assert.match(
      (
        await messages(requiredTags(), "awsx:ec2:Vpc", { name: "v", args: { tags: { owner: "p" } }, opts })
      )[0]!,
      /missing tags environment, cost-center/,
    );
  });
  it("required-tags skips untaggable and non-AWS resources", async () => {
    const r = await runResourcePolicy(requiredTags(), {
      type: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
      props: { role: "r", policyArn: "arn" },
    });
    assert.strictEqual(r.notApplicable, "not a taggable AWS resource");
    assert.strictEqual(
      (
        await runResourcePolicy(requiredTags(), {
          type: "kubernetes:core/v1:Namespace",
          props: { metadata: {} },
        })
      ).notApplicable,
      "not a taggable AWS resource",
    );
  });
});

describe("policy: versions", () => {
  it("eks-addon-version-pinned fires without addonVersion and accepts a pinned one", async () => {
    assert.match(
      (await messages(eksAddonVersionPinned(), "aws:eks/addon:Addon", { addonName: "coredns" }))[0]!,
      /addonVersion is not set for coredns/,
    );
    assert.deepStrictEqual(
      await messages(eksAddonVersionPinned(), "aws:eks/addon:Addon", {
        addonName: "coredns",
        addonVersion: "v1.11.4-eksbuild.2",
      }),
      [],
    );
  });
  it("helm-chart-version-pinned fires on missing versions and ranges", async () => {
    const R = "kubernetes:helm.sh/v3:Release";
    assert.match(
      (await messages(helmChartVersionPinned(), R, { chart: "flux2" }))[0]!,
      /version is not set for chart flux2/,
    );
    assert.match(
      (await messages(helmChartVersionPinned(), R, { chart: "flux2", version: "^2.12.0" }))[0]!,
      /"\^2\.12\.0" is not an exact version/,
    );
    assert.match(
      (
        await messages(helmChartVersionPinned(), "kubernetes:helm.sh/v4:Chart", {
          chart: "x",
          version: "2.x",
        })
      )[0]!,
      /not an exact version/,
    );
  });
  it("helm-chart-version-pinned accepts exact versions and OCI digests", async () => {
    assert.deepStrictEqual(
      await messages(helmChartVersionPinned(), "kubernetes:helm.sh/v3:Release", {
        chart: "kube-prometheus-stack",
        version: "75.15.1",
      }),
      [],
    );
    assert.deepStrictEqual(
      await messages(helmChartVersionPinned(), "kubernetes:helm.sh/v4:Chart", {
        chart: "oci://r/c@sha256:abc",
      }),
      [],
    );
  });
});

describe("policy: production", () => {
  const key = (stack: string, protect: boolean) => ({
    type: "aws:kms/key:Key",
    name: "eks",
    urn: `urn:pulumi:${stack}::platform::aws:kms/key:Key::eks`,
    props: {},
    protect,
  });
  it("protect-stateful-in-production fires on an unprotected key in spoke-prod", async () => {
    const r = await runStackPolicy(protectStatefulInProduction(), { resources: [key("spoke-prod", false)] });
    assert.strictEqual(r.violations.length, 1);
    assert.match(r.violations[0]!.message, /Key eks is not protected in production stack spoke-prod/);
  });
  it("treats stack tag environment=production and productionStacks as production", async () => {
    assert.strictEqual(
      (
        await runStackPolicy(protectStatefulInProduction(), {
          resources: [key("hub", false)],
          stackTags: { environment: "production" },
        })
      ).violations.length,
      1,
    );
    assert.strictEqual(
      (
        await runStackPolicy(protectStatefulInProduction(), {
          resources: [key("hub", false)],
          config: { productionStacks: ["hub"] },
        })
      ).violations.length,
      1,
    );
  });
  it("is quiet on protected resources and not applicable outside production", async () => {
    assert.deepStrictEqual(
      (await runStackPolicy(protectStatefulInProduction(), { resources: [key("spoke-prod", true)] }))
        .violations,
      [],
    );
    const staging = await runStackPolicy(protectStatefulInProduction(), {
      resources: [key("spoke-staging", false)],
    });
    assert.deepStrictEqual(staging.violations, []);
    assert.match(staging.notApplicable!, /spoke-staging is not a production stack/);
  });

  describe("backup-copy-to-second-region", () => {
    const vault = (stack: string) => ({
      type: "aws:backup/vault:Vault",
      name: "storage",
      urn: `urn:pulumi:${stack}::platform::aws:backup/vault:Vault::storage`,
      props: { kmsKeyArn: "arn:aws:kms:eu-west-1:111122223333:key/k" },
    });
    const plan = (stack: string, copyActions: unknown[]) => ({
      type: "aws:backup/plan:Plan",
      name: "daily",
      urn: `urn:pulumi:${stack}::platform::aws:backup/plan:Plan::daily`,
      props: { rules: [{ ruleName: "daily", copyActions }] },
    });
    const copy = (region: string) => ({
      destinationVaultArn: `arn:aws:backup:${region}:111122223333:backup-vault:dr`,
      lifecycle: { deleteAfter: 35 },
    });
    it("fires in production on a rule without a copy, or with copies only in its own region", async () => {
      const none = await runStackPolicy(backupCopyToSecondRegion(), {
        resources: [vault("spoke-prod"), plan("spoke-prod", [])],
      });
      assert.strictEqual(none.violations.length, 1);
      assert.match(
        none.violations[0]!.message,
        /rule daily keeps its recovery points only in the stack's region/,
      );
      const same = await runStackPolicy(backupCopyToSecondRegion(), {
        resources: [vault("spoke-prod"), plan("spoke-prod", [copy("eu-west-1")])],
      });
      assert.match(same.violations[0]!.message, /copies only to vaults in its own region \(eu-west-1\)/);
    });
    it("stays quiet with a copy to another region, and outside production", async () => {
      const dr = await runStackPolicy(backupCopyToSecondRegion(), {
        resources: [vault("spoke-prod"), plan("spoke-prod", [copy("eu-central-1")])],
      });
      assert.deepStrictEqual(dr.violations, []);
      const staging = await runStackPolicy(backupCopyToSecondRegion(), {
        resources: [vault("spoke-staging"), plan("spoke-staging", [])],
      });
      assert.deepStrictEqual(staging.violations, []);
    });
  });
});
