import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { fleetTopology, renderSvg, type TopologyLayout } from "../tools/plan/diagram";
import { renderTopology } from "../tools/gen-topology";
import { planStack, type PlanResult } from "../tools/plan/run";

const repo = path.resolve(__dirname, "..");
const launcher = path.join(repo, "tools/plan/launch.js");

describe("plan fleet topology", function () {
  this.timeout(180000);
  let hub: PlanResult;
  let spoke: PlanResult;
  before(async () => {
    hub = await planStack("hub", { root: repo, skipPolicies: true });
    spoke = await planStack("spoke-prod", { root: repo, skipPolicies: true });
  });

  it("draws the hub and the spoke with their cost, and the flows from spoke to hub", () => {
    const topology = fleetTopology([spoke, hub]);
    assert.deepEqual(
      topology.stacks.map((s) => s.title),
      ["Hub: stack hub", "Spoke: stack spoke-prod"],
    );
    assert.match(topology.stacks[1].subtitle, /^eu-west-1 · \$305\.12\/month · first deploy \d+m \d\ds$/);
    const flows = topology.edges
      .filter((e) => e.from.split(":")[0] !== e.to.split(":")[0])
      .map((e) => `${e.kind}: ${e.from} -> ${e.to} (${e.label})`)
      .sort();
    assert.deepEqual(flows, [
      "gitops: git:0 -> hub:flux (sync)",
      "gitops: git:1 -> spoke-prod:flux (sync)",
      "gitops: hub:flux -> spoke-prod:eks (reconciles (kubeConfig))",
      "logs: spoke-prod:shipper -> hub:logstore (logs)",
      "metrics: spoke-prod:metrics -> hub:metrics (remote-write)",
      "network: spoke-prod:vpc -> hub:tgw (TGW attachment)",
    ]);
    const orgs = topology.nodes.filter((n) => n.kind === "tenant").map((n) => n.lines[0]);
    assert.deepEqual(orgs, [
      "organization active-inference",
      "organization numen-games",
      "organization numinia",
      "organization r3s3t",
    ]);
    const spokeNodes = topology.nodes.find((n) => n.id === "spoke-prod:nodes");
    assert.deepEqual(spokeNodes?.lines, [
      "Managed node groups",
      "general: 3 × t3.medium",
      "base-apps: 0 × m5.large",
    ]);
  });

  it("draws a spoke alone, without arrows to a hub that is not planned", () => {
    const topology = fleetTopology([spoke]);
    assert.ok(topology.edges.every((e) => !e.to.startsWith("hub:") && !e.from.startsWith("hub:")));
    assert.ok(topology.nodes.some((n) => n.id === "spoke-prod:eks"));
  });

  it("escapes text in the SVG", () => {
    const layout: TopologyLayout = {
      width: 100,
      height: 50,
      stacks: [],
      nodes: [{ id: "n", kind: "git", lines: ['a <b> & "c"'], x: 50, y: 25, width: 80, height: 30 }],
      edges: [],
    };
    assert.match(renderSvg(layout), /a &lt;b&gt; &amp; &quot;c&quot;/);
  });

  it("keeps docs/topology.svg current (npm run docs:topology)", async () => {
    const committed = readFileSync(path.join(repo, "docs", "topology.svg"), "utf8");
    assert.equal(await renderTopology(), committed, "docs/topology.svg is stale: run npm run docs:topology");
  });

  it("writes the same picture with npm run plan -- --diagram, and rejects a path it cannot write", () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), "plan-diagram-")), "fleet.svg");
    const result = spawnSync(process.execPath, [launcher, "--stack", "spoke-prod", "--diagram", file], {
      cwd: repo,
      encoding: "utf8",
      stdio: ["ignore", "ignore", "pipe"],
      env: { ...process.env, NODE_OPTIONS: "" },
    });
    assert.equal(result.status, 0, result.stderr);
    assert.equal(readFileSync(file, "utf8"), readFileSync(path.join(repo, "docs", "topology.svg"), "utf8"));

    const missingDir = path.join(tmpdir(), "no-such-dir-for-plan", "fleet.svg");
    const bad = spawnSync(process.execPath, [launcher, "--stack", "hub", "--diagram", missingDir], {
      cwd: repo,
      encoding: "utf8",
      env: { ...process.env, NODE_OPTIONS: "" },
    });
    assert.equal(bad.status, 2);
    assert.equal(bad.stdout, "");
    assert.match(
      bad.stderr,
      /^error: --diagram .*fleet\.svg: directory .*no-such-dir-for-plan does not exist\n$/,
    );
    assert.ok(!existsSync(missingDir));
  });
});
