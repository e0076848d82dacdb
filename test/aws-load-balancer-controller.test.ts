import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import * as k8s from "@pulumi/kubernetes";
import { parse } from "yaml";
import { recorded, resetRecorded, setupMocks, type RecordedResource } from "./mocks";
import {
  AwsLoadBalancerController,
  ingressClassParamsSpec,
  LOAD_BALANCER_CONTROLLER_VERSIONS,
  loadBalancerControllerChart,
  loadBalancerControllerPolicy,
  loadBalancerControllerValues,
} from "../components/aws-load-balancer-controller";
import { ObservabilityHub } from "../components/observability";
import { loadConfig } from "../stacks/config";
import {
  crdSpecSchema,
  helmBinary,
  helmTemplate,
  schemaProblems,
  undeclaredValues,
  upstreamCharts,
} from "./upstream";
import { minimalHub } from "./config-fixtures";

setupMocks({ stack: "hub" });

const upstreamValues = path.resolve(
  __dirname,
  "../../shared/upstream/charts",
  `aws-load-balancer-controller-${LOAD_BALANCER_CONTROLLER_VERSIONS["1.35"]}`,
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
      kubernetesVersion: "1.35",
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

  it("creates an internal default IngressClass alb with its IngressClassParams, after the controller", () => {
    const release = all.find(
      (r) => r.type === "kubernetes:helm.sh/v3:Release" && r.inputs.chart === "aws-load-balancer-controller",
    )!;
    const params = all.filter((r) => r.type === "kubernetes:elbv2.k8s.aws/v1beta1:IngressClassParams");
    const classes = all.filter((r) => r.type === "kubernetes:networking.k8s.io/v1:IngressClass");
    assert.deepEqual(
      params.map((p) => (p.inputs.spec as Record<string, unknown>).scheme),
      ["internal"],
    );
    assert.equal(classes.length, 1);
    const [cls] = classes;
    assert.equal((cls.inputs.metadata as any).name, "alb");
    assert.equal(
      (cls.inputs.metadata as any).annotations["ingressclass.kubernetes.io/is-default-class"],
      "true",
    );
    assert.deepEqual((cls.inputs.spec as any).parameters, {
      apiGroup: "elbv2.k8s.aws",
      kind: "IngressClassParams",
      name: "alb",
    });
    assert.equal((cls.inputs.spec as any).controller, "ingress.k8s.aws/alb");
    assert.ok(params[0].dependencies.includes(release.urn));
    assert.ok(cls.dependencies.includes(params[0].urn));
    const values = release.inputs.values as Record<string, any>;
    assert.equal(values.createIngressClassResource, false);
    assert.equal(values.disableIngressClassAnnotation, true);
  });

  it("adds the internet-facing class only for the listed namespaces", async () => {
    resetRecorded();
    const provider = new k8s.Provider("lbc-k8s-public", { kubeconfig: "{}" });
    new AwsLoadBalancerController("public", {
      clusterName: "c",
      kubernetesVersion: "1.34",
      region: "eu-west-1",
      vpcId: "vpc-1",
      provider,
      defaultIngressClass: false,
      internetFacingNamespaces: ["shop"],
    });
    const mine = (await recorded()).filter((r) => r.name.startsWith("public-"));
    const params = mine.filter((r) => r.type === "kubernetes:elbv2.k8s.aws/v1beta1:IngressClassParams");
    assert.deepEqual(
      params.map((p) => [(p.inputs.metadata as any).name, (p.inputs.spec as any).scheme]),
      [
        ["alb", "internal"],
        ["alb-internet-facing", "internet-facing"],
      ],
    );
    assert.deepEqual((params[1].inputs.spec as any).namespaceSelector, {
      matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "In", values: ["shop"] }],
    });
    const classes = mine.filter((r) => r.type === "kubernetes:networking.k8s.io/v1:IngressClass");
    for (const cls of classes) assert.deepEqual((cls.inputs.metadata as any).annotations, {});
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
    assert.deepEqual(
      undeclaredValues(ours, chart, ["securityContext", "podSecurityContext", "resources"]),
      [],
    );
  });

  it("renders with helm: internal default scheme, no class annotation, no chart-made IngressClass", function () {
    const helm = helmBinary();
    if (!helm || !fs.existsSync(upstreamValues)) this.skip();
    const objects = helmTemplate(
      helm,
      `aws-load-balancer-controller-${LOAD_BALANCER_CONTROLLER_VERSIONS["1.35"]}`,
      "kube-system",
      loadBalancerControllerValues({
        clusterName: "c",
        region: "eu-west-1",
        vpcId: "vpc-1",
        production: true,
      }),
    );
    const args = objects.find((o) => o.kind === "Deployment")!.spec.template.spec.containers[0].args;
    for (const arg of [
      "--default-load-balancer-scheme=internal",
      "--disable-ingress-class-annotation=true",
      "--aws-region=eu-west-1",
    ])
      assert.ok(args.includes(arg), arg);
    assert.ok(!objects.some((o) => o.kind === "IngressClass" || o.kind === "IngressClassParams"));
  });

  it("pins a release for every supported Kubernetes version and rejects others", () => {
    assert.equal(loadBalancerControllerChart("1.34").version, "3.5.0");
    assert.throws(
      () => loadBalancerControllerChart("1.20"),
      /Kubernetes 1.20 has no pinned AWS Load Balancer Controller version \(supported: 1.34, 1.35\)/,
    );
  });

  it("writes IngressClassParams the chart's CRD accepts", function () {
    const crds = path.join(
      upstreamCharts,
      `aws-load-balancer-controller-${LOAD_BALANCER_CONTROLLER_VERSIONS["1.35"]}`,
      "crds/crds.yaml",
    );
    const schema = crdSpecSchema(crds, "v1beta1", "IngressClassParams");
    if (!schema) this.skip();
    assert.deepEqual(schemaProblems(ingressClassParamsSpec("internal"), schema), []);
    assert.deepEqual(schemaProblems(ingressClassParamsSpec("internet-facing", ["shop", "api"]), schema), []);
    assert.deepEqual(schemaProblems({ scheme: "public" }, schema), [
      'spec.scheme: "public" is not one of ["internal","internet-facing"]',
    ]);
  });
});

describe("platform:loadBalancerController config", () => {
  const base = minimalHub;
  const load = (value: unknown) =>
    loadConfig({ ...base, "platform:loadBalancerController": JSON.stringify(value) }, "hub");
  it("is on with internal load balancers only by default", () => {
    assert.deepEqual(loadConfig(base, "hub").loadBalancerController, {
      enabled: true,
      defaultIngressClass: true,
      allowInternetFacing: false,
      internetFacingNamespaces: [],
    });
  });
  it("admits internet-facing load balancers only explicitly and for named namespaces", () => {
    assert.deepEqual(
      load({ allowInternetFacing: true, internetFacingNamespaces: ["shop"] }).loadBalancerController
        .internetFacingNamespaces,
      ["shop"],
    );
    assert.throws(
      () => load({ allowInternetFacing: true }),
      /platform:loadBalancerController\.internetFacingNamespaces = \(not set\): expected at least one namespace/,
    );
    assert.throws(
      () => load({ internetFacingNamespaces: ["shop"] }),
      /platform:loadBalancerController\.internetFacingNamespaces = \["shop"\]: expected no namespaces unless allowInternetFacing is true/,
    );
    assert.throws(
      () => load({ enabled: false, allowInternetFacing: true, internetFacingNamespaces: ["shop"] }),
      /platform:loadBalancerController\.allowInternetFacing = true: expected false while the controller is disabled/,
    );
  });
  it("refuses the retired installLoadBalancerController key with what replaced it", () => {
    assert.throws(
      () => loadConfig({ ...base, "platform:installLoadBalancerController": "false" }, "hub"),
      /platform:installLoadBalancerController = "false": expected no value \(replaced by platform:loadBalancerController\.enabled/,
    );
  });
});
