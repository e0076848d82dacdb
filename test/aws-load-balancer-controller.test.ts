import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import * as k8s from "@pulumi/kubernetes";
import { parse } from "yaml";
import { recorded, resetRecorded, setupMocks, type RecordedResource } from "./mocks";
import {
  AwsLoadBalancerController,
  loadBalancerControllerChart,
  loadBalancerControllerPolicy,
  loadBalancerControllerValues,
} from "../components/aws-load-balancer-controller";
import { ObservabilityHub } from "../components/observability";

setupMocks({ stack: "hub" });

const upstreamValues = path.resolve(
  __dirname,
  "../../shared/upstream/charts",
  `aws-load-balancer-controller-${loadBalancerControllerChart.version}`,
  "values.yaml",
);

describe("add-on: AWS Load Balancer Controller", function () {
  let all: RecordedResource[];
  let controller: AwsLoadBalancerController;
  before(async () => {
    resetRecorded();
    const provider = new k8s.Provider("lbc-k8s", { kubeconfig: "{}" });
    controller = new AwsLoadBalancerController("hub", {
      clusterName: "platform-hub",
      region: "eu-west-1",
      vpcId: "vpc-0123456789abcdef0",
      provider,
      production: true,
      tags: { owner: "platform-team" },
    });
    new ObservabilityHub("hub", {
      clusterName: "platform-hub",
      vpcId: "vpc-0123456789abcdef0",
      vpcCidr: "10.100.0.0/16",
      provider,
      loadBalancerDependsOn: [controller.release],
    });
    all = await recorded();
  });

  it("installs the pinned chart in kube-system with internal load balancers by default", () => {
    const release = all.find(
      (r) => r.type === "kubernetes:helm.sh/v3:Release" && r.inputs.chart === "aws-load-balancer-controller",
    )!;
    assert.equal(release.inputs.version, "3.5.0");
    assert.equal(release.inputs.namespace, "kube-system");
    const values = release.inputs.values as Record<string, any>;
    assert.equal(values.defaultLoadBalancerScheme, "internal");
    assert.equal(values.vpcId, "vpc-0123456789abcdef0");
    assert.equal(values.replicaCount, 2);
    assert.deepEqual(values.podDisruptionBudget, { maxUnavailable: 1 });
  });

  it("gives the controller a Pod Identity role whose wildcard statements are region-bound", () => {
    const assoc = all.find((r) => r.type === "aws:eks/podIdentityAssociation:PodIdentityAssociation")!;
    assert.equal(assoc.inputs.serviceAccount, "aws-load-balancer-controller");
    assert.equal(assoc.inputs.namespace, "kube-system");
    assert.equal(assoc.inputs.clusterName, "platform-hub");
    const statements = loadBalancerControllerPolicy("eu-west-1").Statement;
    assert.ok(statements.some((s) => s.Condition?.StringEquals?.["aws:RequestedRegion"] === "eu-west-1"));
    for (const s of statements) {
      const res = Array.isArray(s.Resource) ? s.Resource : [s.Resource];
      if (s.Effect === "Allow" && res.includes("*")) {
        assert.ok(s.Condition, JSON.stringify(s.Action));
      }
    }
  });

  it("makes the hub's endpoint Services wait for the controller that provisions them", () => {
    const release = all.find(
      (r) => r.type === "kubernetes:helm.sh/v3:Release" && r.inputs.chart === "aws-load-balancer-controller",
    )!;
    const services = all.filter((r) => r.type === "kubernetes:core/v1:Service");
    assert.equal(services.length, 4);
    for (const svc of services) assert.ok(svc.dependencies.includes(release.urn), svc.name);
  });

  it("sets only keys the chart's values.yaml at the pinned version declares", function () {
    if (!fs.existsSync(upstreamValues)) this.skip();
    const chart = parse(fs.readFileSync(upstreamValues, "utf8")) as Record<string, unknown>;
    const ours = loadBalancerControllerValues({
      clusterName: "c",
      region: "eu-west-1",
      vpcId: "vpc-1",
      production: true,
    });
    for (const key of Object.keys(ours))
      assert.ok(key in chart, `values key ${key} is not in the chart's values.yaml`);
  });
});
