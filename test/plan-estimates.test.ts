import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { closeSync, copyFileSync, mkdtempSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { renderPlanSummary } from "../.github/scripts/plan-summary";
import { compareCost, estimateCost, quantityGiB, type CostEstimate } from "../tools/plan/cost";
import { estimateFirstDeploy, formatDuration } from "../tools/plan/deploy-time";
import type { PlannedResource } from "../tools/plan/model";
import { PRICES, PRICE_SOURCES, instanceHourly } from "../tools/plan/prices";
import { planStack, type PlanResult } from "../tools/plan/run";

const repo = path.resolve(__dirname, "..");
const urn = (type: string, name: string) => `urn:pulumi:test::platform::${type}::${name}`;
const resource = (
  type: string,
  name: string,
  inputs: Record<string, unknown> = {},
  dependencies: string[] = [],
): PlannedResource => ({ urn: urn(type, name), type, name, inputs, dependencies });

const total = (cost: CostEstimate, item: RegExp) =>
  cost.lines.filter((l) => item.test(l.item)).reduce((sum, l) => sum + l.monthlyUsd, 0);

describe("plan cost: price table", () => {
  it("prices every size of a family from its large size, as AWS's list prices do", () => {
    const us = PRICES["us-east-1"];
    assert.equal(instanceHourly(us, "t3.medium"), 0.0416);
    assert.equal(instanceHourly(us, "t3.micro"), 0.0104);
    assert.equal(instanceHourly(us, "m5.2xlarge"), 0.384);
    assert.equal(instanceHourly(us, "m6i.large"), 0.096);
    assert.equal(instanceHourly(us, "m5.metal"), undefined);
    assert.equal(instanceHourly(us, "x2idn.large"), undefined);
  });

  it("prices, in every priced region, the instance families the stack files and defaults use", () => {
    const stackFiles = ["hub", "spoke-prod"].map((s) =>
      readFileSync(path.join(repo, `Pulumi.${s}.yaml`), "utf8"),
    );
    const used = new Set(["m6i.large"]);
    for (const text of stackFiles)
      for (const m of text.matchAll(/instanceTypes:\s*\[([^\]]+)\]/g)) used.add(m[1].trim());
    assert.deepEqual([...used].sort(), ["m5.large", "m6i.large", "t3.medium"]);
    for (const [region, prices] of Object.entries(PRICES)) {
      for (const type of used) assert.ok(instanceHourly(prices, type), `${type} in ${region}`);
    }
  });

  it("names a public source for each price family", () => {
    for (const { source } of PRICE_SOURCES)
      assert.match(source, /^https:\/\/aws\.amazon\.com\/[a-z0-9-]+\/pricing\//);
  });

  it("parses Kubernetes storage quantities", () => {
    assert.equal(quantityGiB("100Gi"), 100);
    assert.equal(quantityGiB("512Mi"), 0.5);
    assert.equal(quantityGiB("1Ti"), 1024);
    assert.equal(quantityGiB("10 apples"), undefined);
  });
});

describe("plan cost: estimate", () => {
  const nodeGroup = (desired: number, types: string[]) =>
    resource("eks:index:ManagedNodeGroup", "pool", {
      scalingConfig: { desiredSize: desired },
      instanceTypes: types,
    });

  it("prices a node group as desired size × the hourly price of its first instance type in the region", () => {
    const group = nodeGroup(3, ["m6i.large", "m5.large"]);
    assert.equal(total(estimateCost([group], "eu-west-1"), /^EC2/), 234.33); // 3 × 730 × 0.107
    assert.equal(total(estimateCost([group], "us-east-1"), /^EC2/), 210.24); // 3 × 730 × 0.096
    assert.equal(total(estimateCost([nodeGroup(0, ["m5.large"])], "eu-west-1"), /^EC2/), 0);
  });

  it("prices one NAT gateway per AZ, one, or none, as the VPC's strategy says, with the stated data", () => {
    const vpc = (strategy: string) =>
      resource("awsx:ec2:Vpc", "vpc", { natGateways: { strategy }, numberOfAvailabilityZones: 3 });
    const hourly = (s: string) => total(estimateCost([vpc(s)], "eu-west-1"), /^NAT gateway ×/);
    assert.equal(hourly("OnePerAz"), 105.12);
    assert.equal(hourly("Single"), 35.04);
    assert.equal(estimateCost([vpc("None")], "eu-west-1").lines.length, 0);
    const data = estimateCost([vpc("Single")], "eu-west-1").lines.find((l) => /data/.test(l.item));
    assert.equal(data?.monthlyUsd, 4.8);
    assert.match(data?.item ?? "", /100 GiB \(assumed\)/);
  });

  it("reports an unpriced region instead of a figure", () => {
    const cost = estimateCost([nodeGroup(3, ["m6i.large"])], "ap-southeast-7");
    assert.equal(cost.monthlyUsd, null);
    assert.match(cost.unpriced[0], /^region ap-southeast-7: no price table \(priced regions: us-east-1, /);
  });

  it("lists an instance type the table lacks as not priced", () => {
    const cost = estimateCost([nodeGroup(2, ["x2idn.16xlarge"])], "eu-west-1");
    assert.deepEqual(cost.unpriced, ["pool: instance type x2idn.16xlarge is not in the price table"]);
  });

  it("prices volumes by the storage class they claim (io2 for a performance class)", () => {
    const classes = [
      resource("kubernetes:storage.k8s.io/v1:StorageClass", "gp3", {
        metadata: { name: "gp3", annotations: { "storageclass.kubernetes.io/is-default-class": "true" } },
        parameters: { type: "gp3" },
      }),
      resource("kubernetes:storage.k8s.io/v1:StorageClass", "perf", {
        metadata: { name: "performance" },
        parameters: { type: "io2" },
      }),
    ];
    const es = (storageClassName?: string) =>
      resource("kubernetes:elasticsearch.k8s.elastic.co/v1:Elasticsearch", "es", {
        spec: {
          nodeSets: [
            {
              name: "default",
              count: 3,
              volumeClaimTemplates: [
                { spec: { storageClassName, resources: { requests: { storage: "100Gi" } } } },
              ],
            },
          ],
        },
      });
    assert.equal(estimateCost([...classes, es()], "eu-west-1").monthlyUsd, 26.4); // 300 GiB × 0.088
    assert.equal(estimateCost([...classes, es("performance")], "eu-west-1").monthlyUsd, 41.4); // 300 × 0.138
  });
});

describe("plan cost and first deploy of the real stacks", function () {
  this.timeout(120000);
  let hub: PlanResult;
  let spoke: PlanResult;
  before(async () => {
    hub = await planStack("hub", { root: repo, skipPolicies: true });
    spoke = await planStack("spoke-prod", { root: repo, skipPolicies: true });
  });

  it("prices every cost family of the hub, and the totals add up by resource and by component", () => {
    const items = hub.cost.lines.map((l) => l.item).join("\n");
    for (const family of [
      /^EKS control plane$/m,
      /^EC2 3 × m6i\.large$/m,
      /^NAT gateway × 3$/m,
      /^Transit Gateway attachment$/m,
      /^Network Load Balancer/m,
      /^EBS volume node set default 3 × 100 GiB gp3$/m,
      /^EBS volume prometheus\.prometheusSpec\.storageSpec 100 GiB gp3$/m,
      /^EFS Standard/m,
      /^CloudWatch Logs/m,
      /^KMS customer managed key$/m,
      /^Backup storage/m,
    ])
      assert.match(items, family);
    const sum = (values: number[]) => Math.round(values.reduce((a, b) => a + b, 0) * 100) / 100;
    for (const plan of [hub, spoke]) {
      assert.equal(plan.cost.monthlyUsd, sum(plan.cost.lines.map((l) => l.monthlyUsd)));
      assert.equal(plan.cost.monthlyUsd, sum(Object.values(plan.cost.byComponent)));
    }
  });

  it("prices spoke-prod as numinia's cluster: EKS, 3 × t3.medium, one NAT gateway, one TGW attachment", () => {
    const line = (re: RegExp) => spoke.cost.lines.find((l) => re.test(l.item));
    assert.equal(line(/^EKS control plane$/)?.monthlyUsd, 73);
    assert.equal(line(/^EC2 3 × t3\.medium$/)?.monthlyUsd, 99.86); // 3 × 730 × 0.0456
    assert.equal(line(/^EC2 0 × m5\.large$/)?.monthlyUsd, 0);
    assert.equal(line(/^NAT gateway × 1$/)?.monthlyUsd, 35.04);
    assert.equal(line(/^Transit Gateway attachment$/)?.monthlyUsd, 36.5);
    assert.equal(spoke.cost.byComponent["platform:cluster:Cluster spoke-prod"] > 150, true);
    assert.ok(spoke.cost.assumptions.some((a) => /each NAT gateway processes 100 GiB/.test(a)));
  });

  it("estimates the first deploy along VPC, EKS control plane and node group, up to the last Helm release", () => {
    for (const plan of [hub, spoke]) {
      const path = plan.firstDeploy.criticalPath.map((s) => s.type);
      assert.deepEqual(path.slice(0, 3), ["awsx:ec2:Vpc", "eks:index:Cluster", "eks:index:ManagedNodeGroup"]);
      // The last Helm release, or the hub's remote-write gateway that waits for kube-prometheus-stack.
      const last = path.at(-1);
      assert.ok(
        last === "kubernetes:helm.sh/v3:Release" ||
          (last === "kubernetes:apps/v1:Deployment" && path.at(-2) === "kubernetes:helm.sh/v3:Release"),
        path.join(" > "),
      );
      assert.equal(plan.firstDeploy.totalSeconds, plan.firstDeploy.criticalPath.at(-1)?.finishSeconds);
      assert.ok(plan.firstDeploy.totalSeconds >= 15 * 60 && plan.firstDeploy.totalSeconds <= 40 * 60);
    }
  });

  it("shortens the first deploy when an unneeded dependency goes: the snapshot controller needs no CoreDNS", () => {
    const coredns = hub.resources.find((r) => r.name === "hub-coredns")!;
    const before = estimateFirstDeploy(hub.resources);
    assert.ok(before.criticalPath.some((s) => s.urn === coredns.urn));
    const trimmed = hub.resources.map((r) =>
      r.name === "hub-snapshot-controller"
        ? { ...r, dependencies: r.dependencies.filter((d) => d !== coredns.urn) }
        : r,
    );
    const after = estimateFirstDeploy(trimmed);
    assert.equal(before.totalSeconds - after.totalSeconds, 60);
    assert.ok(!after.criticalPath.some((s) => s.urn === coredns.urn));
  });

  it("compares with a base plan: a resized node group shows as the difference", () => {
    const base = JSON.parse(JSON.stringify(spoke)) as PlanResult;
    const general = base.resources.find(
      (r) => r.type === "eks:index:ManagedNodeGroup" && r.name === "spoke-prod-general",
    )!;
    (general.inputs as { scalingConfig: { desiredSize: number } }).scalingConfig.desiredSize = 2;
    const priced = { ...base, cost: estimateCost(base.resources, "eu-west-1") };
    const comparison = compareCost(priced, spoke.cost);
    assert.equal(comparison.deltaUsd, 37.68); // one t3.medium (33.28) and its 50 GiB root volume (4.40)
    const unpriced = compareCost({ resources: base.resources }, spoke.cost);
    assert.equal(unpriced.deltaUsd, 37.68);
    assert.equal(unpriced.note, "the base plan has no cost estimate: priced here in eu-west-1");
    assert.throws(() => compareCost({ stack: "hub" }, spoke.cost), /expected a plan JSON document/);
    assert.deepEqual(comparison.resources, [
      {
        key: "eks:index:ManagedNodeGroup spoke-prod-general",
        baseUsd: 75.38,
        headUsd: 113.06,
        deltaUsd: 37.68,
      },
    ]);
  });
});

describe("plan first deploy: critical path", () => {
  const vpc = resource("awsx:ec2:Vpc", "vpc", { natGateways: { strategy: "Single" } });
  const cluster = resource("eks:index:Cluster", "eks", {}, [vpc.urn]);
  const nodes = resource("eks:index:ManagedNodeGroup", "nodes", {
    cluster: cluster.urn,
    scalingConfig: { desiredSize: 2 },
  });
  const release = resource("kubernetes:helm.sh/v3:Release", "app", { chart: "podinfo" }, [cluster.urn]);

  it("adds up creation times along the longest chain; a workload waits for the node groups", () => {
    const estimate = estimateFirstDeploy([vpc, cluster, nodes, release]);
    assert.deepEqual(
      estimate.criticalPath.map((s) => [s.name, s.finishSeconds]),
      [
        ["vpc", 150],
        ["eks", 750],
        ["nodes", 990],
        ["app", 1080],
      ],
    );
    assert.equal(formatDuration(estimate.totalSeconds), "18m 00s");
  });

  it("names a resource of a dependency cycle", () => {
    const a = resource("aws:iam/role:Role", "a", {}, [urn("aws:iam/role:Role", "b")]);
    const b = resource("aws:iam/role:Role", "b", {}, [a.urn]);
    assert.throws(
      () => estimateFirstDeploy([a, b]),
      /dependency cycle through urn:pulumi:test::platform::aws:iam\/role:Role::a/,
    );
  });
});

describe("plan command line: --compare", function () {
  this.timeout(180000);
  const launcher = path.join(repo, "tools/plan/launch.js");
  /** Runs the plan as `npm run plan` does, its stdout into a file (a large document stays whole). */
  const run = (root: string, ...args: string[]) => {
    const out = path.join(mkdtempSync(path.join(tmpdir(), "plan-out-")), "stdout");
    const fd = openSync(out, "w");
    const result = spawnSync(process.execPath, [launcher, "--root", root, ...args], {
      cwd: repo,
      encoding: "utf8",
      stdio: ["ignore", fd, "pipe"],
      env: { ...process.env, NODE_OPTIONS: "" },
    });
    closeSync(fd);
    return { status: result.status, stderr: result.stderr, stdout: readFileSync(out, "utf8") };
  };

  it("prints the cost difference from a base plan, in text and in --json", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "plan-compare-"));
    for (const f of ["Pulumi.yaml", "Pulumi.hub.yaml", "Pulumi.spoke-prod.yaml"])
      copyFileSync(path.join(repo, f), path.join(dir, f));
    const base = run(dir, "--stack", "spoke-prod", "--json");
    assert.equal(base.status, 0, base.stderr);
    const baseFile = path.join(dir, "base.json");
    writeFileSync(baseFile, base.stdout);
    const spokeFile = path.join(dir, "Pulumi.spoke-prod.yaml");
    writeFileSync(
      spokeFile,
      readFileSync(spokeFile, "utf8").replace("instanceTypes: [t3.medium]", "instanceTypes: [m6i.large]"),
    );
    const text = run(dir, "--stack", "spoke-prod", "--compare", baseFile);
    assert.equal(text.status, 0, text.stderr);
    // 3 × 730 h × (0.107 - 0.0456) $/h
    assert.match(
      text.stdout,
      /Cost compared with .*base\.json: \$305\.12 -> \$439\.59 a month \(\+\$134\.47\)/,
    );
    assert.match(
      text.stdout,
      /\+\$134\.47 {2}eks:index:ManagedNodeGroup spoke-prod-general \(\$113\.06 -> \$247\.53\)/,
    );
    const json = run(dir, "--stack", "spoke-prod", "--json", "--compare", baseFile);
    const doc = JSON.parse(json.stdout) as PlanResult;
    assert.equal(doc.costComparison?.deltaUsd, 134.47);
    assert.equal(doc.cost.monthlyUsd, 439.59);
    assert.ok(doc.firstDeploy.criticalPath.length > 3);
  });

  it("exits 2 with one line naming the file when the base plan is missing or not a plan", () => {
    const missing = run(repo, "--stack", "hub", "--compare", "/nonexistent/base.json");
    assert.equal(missing.status, 2);
    assert.equal(
      missing.stderr,
      "error: --compare /nonexistent/base.json: file not found, expected a plan JSON document\n",
    );
    const dir = mkdtempSync(path.join(tmpdir(), "plan-compare-bad-"));
    const bad = path.join(dir, "base.json");
    writeFileSync(bad, JSON.stringify({ hello: "world" }));
    const notPlan = run(repo, "--stack", "hub", "--compare", bad);
    assert.equal(notPlan.status, 2);
    assert.equal(notPlan.stdout, "", "fails before planning");
    assert.match(
      notPlan.stderr,
      /^error: --compare .*base\.json: expected a plan JSON document .* with a resources list\n$/,
    );
  });
});

describe("workflows: the cost difference on pull requests", () => {
  const ci = parse(readFileSync(path.join(repo, ".github/workflows/ci.yml"), "utf8")) as {
    jobs: Record<string, { steps: Record<string, any>[] }>;
  };
  const steps = ci.jobs.plan.steps;

  it("plans the base branch of a pull request and compares the plan with it", () => {
    const checkout = steps.find((s) => s.name === "Check out the base branch")!;
    assert.equal(checkout.if, "${{ github.event_name == 'pull_request' }}");
    assert.deepEqual(checkout.with, {
      ref: "${{ github.event.pull_request.base.sha }}",
      path: ".base",
      "persist-credentials": false,
    });
    const base = steps.find((s) => s.name === "Plan the base branch")!;
    assert.equal(base["working-directory"], ".base");
    assert.equal(base["continue-on-error"], true);
    assert.match(
      base.run,
      /npm run --silent plan -- --stack "\$STACK" --json > "\.\.\/\.plan\/\$STACK\.base\.json"/,
    );
    const plan = steps.find((s) => s.id === "plan")!;
    assert.ok(steps.indexOf(base) < steps.indexOf(plan));
    assert.match(plan.run, /compare=\(--compare "\.plan\/\$STACK\.base\.json"\)/);
    assert.match(plan.run, /--policy-config "\$POLICY_CONFIG" "\$\{compare\[@\]\}"/);
  });

  it("summarizes cost, first deploy and the cost difference for the pull-request comment", () => {
    const md = renderPlanSummary({
      stack: "spoke-prod",
      profile: "production",
      exitCode: 0,
      stderr: "",
      stdout: JSON.stringify({
        stack: "spoke-prod",
        resources: [],
        violations: [],
        cost: { monthlyUsd: 439.59, region: "eu-west-1", priceTable: { date: "2026-11-30" } },
        firstDeploy: { totalSeconds: 1355, criticalPath: [{ name: "vpc" }, { name: "eks" }] },
        costComparison: {
          baseMonthlyUsd: 305.12,
          headMonthlyUsd: 439.59,
          deltaUsd: 134.47,
          resources: [
            { key: "eks:index:ManagedNodeGroup general", baseUsd: 113.06, headUsd: 247.53, deltaUsd: 134.47 },
          ],
        },
      }),
    });
    const lines = md.split("\n");
    assert.ok(
      lines.includes("Estimated monthly cost (eu-west-1, on-demand, price table of 2026-11-30): **$439.59**"),
    );
    assert.ok(lines.includes("Estimated first deploy: **22m 35s** (critical path: `vpc` → `eks`)"));
    assert.ok(
      lines.includes("Cost difference from the base branch: $305.12 → $439.59 a month (**+$134.47**)"),
    );
    assert.ok(lines.includes("| +$134.47 | eks:index:ManagedNodeGroup general | $113.06 | $247.53 |"));
  });
});
