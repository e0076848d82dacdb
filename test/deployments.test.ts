import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
  buildPolicyGroups,
  buildStackDeploymentSettings,
  deploymentDefaults,
  discoverStacks,
  policyProfileFor,
  preRunCommandsFor,
  sessionNameFor,
  stackMatrix,
  stackNameFromFile,
  stacksFromFileNames,
} from "../deployments/settings";

const roleArn = "arn:aws:iam::123456789012:role/pulumi-deployments-platform";
const agentPoolId = "3f2c8a9e-51b4-4c1d-9a7e-0d6b2e4f8c10";
const base = { organization: "acme", repository: "acme/platform", awsRoleArn: roleArn, agentPoolId };

describe("deployments: stack discovery", () => {
  it("derives stack names from Pulumi.<stack>.yaml and ignores Pulumi.yaml and other files", () => {
    assert.strictEqual(stackNameFromFile("Pulumi.spoke-prod.yaml"), "spoke-prod");
    assert.strictEqual(stackNameFromFile("Pulumi.hub.yml"), "hub");
    assert.strictEqual(stackNameFromFile("Pulumi.yaml"), undefined);
    assert.strictEqual(stackNameFromFile("PulumiPolicy.yaml"), undefined);
    assert.deepStrictEqual(
      stacksFromFileNames(["package.json", "Pulumi.yaml", "Pulumi.spoke-prod.yaml", "Pulumi.hub.yaml"]),
      ["hub", "spoke-prod"],
    );
  });

  it("enumerates the stack files of a directory instead of a hard-coded list", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "stacks-"));
    for (const f of ["Pulumi.yaml", "Pulumi.hub.yaml", "Pulumi.spoke-staging.yaml", "README.md"]) {
      fs.writeFileSync(path.join(dir, f), "");
    }
    assert.deepStrictEqual(discoverStacks(dir), ["hub", "spoke-staging"]);
  });

  it("finds every stack file of this repository", () => {
    const root = path.resolve(__dirname, "..");
    const expected = fs
      .readdirSync(root)
      .filter((f) => /^Pulumi\..+\.ya?ml$/.test(f))
      .map((f) => f.replace(/^Pulumi\.(.+)\.ya?ml$/, "$1"))
      .sort();
    assert.deepStrictEqual(discoverStacks(root), expected);
  });
});

describe("deployments: policy profiles", () => {
  it("judges hub and spoke-prod with the production config", () => {
    assert.strictEqual(policyProfileFor("hub"), "production");
    assert.strictEqual(policyProfileFor("spoke-prod"), "production");
    assert.strictEqual(policyProfileFor("spoke-eu-west-1"), "production");
  });

  it("judges stacks named -staging, -dev, -test, -pre with the non-production config", () => {
    for (const s of ["spoke-staging", "spoke-dev", "spoke-test", "spoke-pre"]) {
      assert.strictEqual(policyProfileFor(s), "non-production", s);
    }
  });

  it("lets an explicit override win and rejects an unknown profile", () => {
    assert.strictEqual(policyProfileFor("spoke-staging", { "spoke-staging": "production" }), "production");
    assert.throws(
      () => policyProfileFor("hub", { hub: "lax" as never }),
      /policyProfiles\.hub: got "lax", expected "production" or "non-production"/,
    );
  });

  it("builds one CI matrix row per stack with its policy config file", () => {
    assert.deepStrictEqual(stackMatrix(["hub", "spoke-staging"]), [
      { stack: "hub", profile: "production", policyConfig: "policy/config/production.json" },
      {
        stack: "spoke-staging",
        profile: "non-production",
        policyConfig: "policy/config/non-production.json",
      },
    ]);
  });
});

describe("deployments: settings per stack", () => {
  const prod = buildStackDeploymentSettings({ ...base, stack: "spoke-prod" });

  it("targets the platform project's stack in the organization", () => {
    assert.strictEqual(prod.organization, "acme");
    assert.strictEqual(prod.project, "platform");
    assert.strictEqual(prod.stack, "spoke-prod");
  });

  it("deploys the main branch from the repository root", () => {
    assert.deepStrictEqual(prod.sourceContext, { git: { branch: "main", repoDir: "." } });
  });

  it("runs pulumi up on every push and pulumi preview on every pull request, without review stacks", () => {
    assert.strictEqual(prod.vcs.provider, "github");
    assert.strictEqual(prod.vcs.repository, "acme/platform");
    assert.strictEqual(prod.vcs.deployCommits, true);
    assert.strictEqual(prod.vcs.previewPullRequests, true);
    assert.strictEqual(prod.vcs.pullRequestTemplate, false);
  });

  it("deploys a stack only when its own stack file or shared program code changes", () => {
    assert.ok(prod.vcs.paths.includes("Pulumi.spoke-prod.yaml"));
    assert.ok(!prod.vcs.paths.includes("Pulumi.hub.yaml"));
    for (const p of [
      "Pulumi.yaml",
      "index.ts",
      "components/**",
      "stacks/**",
      "policy/**",
      "package-lock.json",
    ]) {
      assert.ok(prod.vcs.paths.includes(p), p);
    }
    assert.ok(!prod.vcs.paths.some((p) => p.startsWith("gitops") || p.startsWith("docs")));
  });

  it("prefixes path filters with repoDir when the project is not at the root", () => {
    const nested = buildStackDeploymentSettings({ ...base, stack: "hub", repoDir: "infra/platform" });
    assert.strictEqual(nested.sourceContext.git.repoDir, "infra/platform");
    assert.ok(nested.vcs.paths.includes("infra/platform/Pulumi.hub.yaml"));
    assert.ok(nested.vcs.paths.includes("infra/platform/components/**"));
  });

  it("gets AWS credentials through OIDC with the given role, a named session and a 2h duration", () => {
    assert.deepStrictEqual(prod.operationContext.oidc.aws, {
      roleARN: roleArn,
      sessionName: "pulumi-deploy-spoke-prod",
      duration: "2h0m0s",
    });
    assert.ok(!JSON.stringify(prod).includes("AWS_SECRET_ACCESS_KEY"));
    assert.ok(sessionNameFor("x".repeat(100)).length <= 64);
  });

  it("gates the deployment on the policy pack with the stack's profile config before pulumi up", () => {
    assert.deepStrictEqual(prod.operationContext.preRunCommands, [
      "npm ci --no-audit --no-fund",
      "npm ci --prefix policy --no-audit --no-fund",
      "pulumi preview --stack acme/platform/spoke-prod --policy-pack policy " +
        "--policy-pack-config policy/config/production.json --non-interactive --suppress-outputs",
    ]);
    assert.strictEqual(prod.operationContext.options.skipInstallDependencies, true);
    assert.strictEqual(prod.operationContext.environmentVariables.PLATFORM_POLICY_PROFILE, "production");
    const staging = buildStackDeploymentSettings({ ...base, stack: "spoke-staging" });
    assert.ok(staging.operationContext.preRunCommands[2].includes("policy/config/non-production.json"));
    assert.deepStrictEqual(
      preRunCommandsFor("o/p/s", "non-production")[1],
      "npm ci --prefix policy --no-audit --no-fund",
    );
  });

  it("honours overrides of branch, role, profile, duration and executor image", () => {
    const s = buildStackDeploymentSettings({
      ...base,
      stack: "hub",
      branch: "release",
      awsRoleArn: "arn:aws:iam::210987654321:role/other",
      policyProfile: "non-production",
      awsSessionDuration: "1h",
      executorImage: "pulumi/pulumi-nodejs:3.200.0",
    });
    assert.strictEqual(s.sourceContext.git.branch, "release");
    assert.strictEqual(s.operationContext.oidc.aws.roleARN, "arn:aws:iam::210987654321:role/other");
    assert.strictEqual(s.operationContext.oidc.aws.duration, "1h");
    assert.ok(s.operationContext.preRunCommands[2].includes("non-production.json"));
    assert.deepStrictEqual(s.executorContext, { executorImage: "pulumi/pulumi-nodejs:3.200.0" });
    assert.strictEqual(prod.executorContext, undefined);
  });

  it("rejects malformed inputs with a one-line message naming the key", () => {
    assert.throws(
      () => buildStackDeploymentSettings({ ...base, stack: "hub", awsRoleArn: "my-role" }),
      /^Error: awsRoleArn for hub: got "my-role", expected arn:aws:iam::<12 digits>:role\/<name>$/,
    );
    assert.throws(
      () => buildStackDeploymentSettings({ ...base, stack: "hub", repository: "platform" }),
      /repository: got "platform", expected "owner\/name"/,
    );
    assert.throws(
      () => buildStackDeploymentSettings({ ...base, stack: "hub", awsSessionDuration: "2 hours" }),
      /awsSessionDuration/,
    );
    assert.throws(() => buildStackDeploymentSettings({ ...base, stack: "hub", repoDir: "../x" }), /repoDir/);
    assert.throws(
      () => buildStackDeploymentSettings({ ...base, stack: "hub", agentPoolId: "hub-pool" }),
      /^Error: agentPoolId: got "hub-pool", expected the hub's deploymentAgentPoolId \(a UUID\)$/,
    );
  });

  it("runs every stack's deployments on the hub's runner pool inside the network", () => {
    for (const stack of ["hub", "spoke-prod", "spoke-staging"]) {
      assert.strictEqual(buildStackDeploymentSettings({ ...base, stack }).agentPoolId, agentPoolId);
    }
  });

  it("keeps its defaults in one place", () => {
    assert.strictEqual(deploymentDefaults.branch, "main");
    assert.strictEqual(deploymentDefaults.policyPackDir, "policy");
  });
});

describe("deployments: optional Pulumi Cloud policy groups", () => {
  const groups = buildPolicyGroups({
    organization: "acme",
    policyPackName: "platform-guardrails",
    policyPackVersion: "1.2.0",
    stacks: [
      { stack: "hub", profile: "production" },
      { stack: "spoke-prod", profile: "production" },
    ],
    configs: { production: { all: "mandatory" }, "non-production": { all: "advisory" } },
  });

  it("creates one preventative group per profile that has stacks", () => {
    assert.strictEqual(groups.length, 1);
    assert.strictEqual(groups[0].name, "platform-production");
    assert.strictEqual(groups[0].mode, "preventative");
    assert.strictEqual(groups[0].entityType, "stacks");
    assert.deepStrictEqual(groups[0].stacks, [
      { name: "hub", routingProject: "platform" },
      { name: "spoke-prod", routingProject: "platform" },
    ]);
  });

  it("enforces the published pack version with the profile's config", () => {
    assert.deepStrictEqual(groups[0].policyPacks, [
      { name: "platform-guardrails", versionTag: "1.2.0", config: { all: "mandatory" } },
    ]);
  });
});
