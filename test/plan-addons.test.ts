import * as assert from "node:assert/strict";
import * as path from "node:path";
import { readFileSync } from "node:fs";
import { planStack, type PlanResult } from "../tools/plan/run";

const repo = path.resolve(__dirname, "..");
const policyConfig = JSON.parse(
  readFileSync(path.join(repo, "policy/config/production.json"), "utf8"),
) as Record<string, unknown>;

/** The add-ons of this file: config key, component type prefix, chart and Pod Identity subject. */
const ADDONS = [
  {
    key: "karpenter",
    type: "platform:karpenter:",
    chart: "oci://public.ecr.aws/karpenter/karpenter",
    version: "1.14.1",
    serviceAccount: "karpenter",
  },
  {
    key: "certManager",
    type: "platform:cert-manager:",
    chart: "cert-manager",
    version: "v1.21.1",
    serviceAccount: "cert-manager",
  },
  {
    key: "externalDns",
    type: "platform:external-dns:",
    chart: "external-dns",
    version: "1.21.1",
    serviceAccount: "external-dns",
  },
  {
    key: "externalSecrets",
    type: "platform:external-secrets:",
    chart: "external-secrets",
    version: "2.9.0",
    serviceAccount: "external-secrets",
  },
  {
    key: "loadBalancerController",
    type: "platform:aws-load-balancer-controller:",
    chart: "aws-load-balancer-controller",
    version: "3.5.0",
    serviceAccount: "aws-load-balancer-controller",
  },
  {
    key: "velero",
    type: "platform:velero:",
    chart: "velero",
    version: "12.1.0",
    serviceAccount: "velero-server",
  },
] as const;

/** An ACM Private CA certificate authority (docs/cert-manager.md): turned on in the spoke-prod-all plan. */
const PRIVATE_CA =
  "arn:aws:acm-pca:eu-west-1:111122223333:certificate-authority/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";

/** Add-ons made of AWS resources only (no chart): config key and component type prefix. */
const AWS_ADDONS = [{ key: "registry", type: "platform:registry:" }] as const;

/** True when the resource or one of its ancestors is of a type with the prefix. */
function underComponent(plan: PlanResult, urn: string, typePrefix: string): boolean {
  const byUrn = new Map(plan.resources.map((r) => [r.urn, r]));
  for (let r = byUrn.get(urn); r; r = r.parent ? byUrn.get(r.parent) : undefined)
    if (r.type.startsWith(typePrefix)) return true;
  return false;
}

describe("add-ons in the production plans", function () {
  const plans: Record<string, PlanResult> = {};
  const disabled: Record<string, PlanResult> = {};
  const off = Object.fromEntries(
    [...ADDONS, ...AWS_ADDONS].map((a) => [`platform:${a.key}`, JSON.stringify({ enabled: false })]),
  );
  before(async () => {
    for (const stack of ["hub", "spoke-prod"]) {
      plans[stack] = await planStack(stack, { root: repo, policyConfig });
    }
    disabled.hub = await planStack("hub", { root: repo, policyConfig, configOverrides: off });
    // spoke-prod leaves cert-manager, External Secrets and ExternalDNS to its repository (stack file);
    // with them turned on, a spoke carries every add-on like the hub.
    const zones = [{ id: "Z0EXAMPLENUMINIAXYZ", name: "numinia.xyz" }];
    plans["spoke-prod-all"] = await planStack("spoke-prod", {
      root: repo,
      policyConfig,
      configOverrides: {
        "platform:certManager": JSON.stringify({
          acme: { email: "ops@example.com", hostedZones: zones },
          privateCa: { arn: PRIVATE_CA },
        }),
        "platform:externalSecrets": JSON.stringify({ enabled: true }),
        "platform:externalDns": JSON.stringify({ hostedZones: zones }),
        "platform:loadBalancerController": JSON.stringify({ enabled: true }),
      },
    });
  });

  it("spoke-prod as its stack file says: Karpenter on, the releases its repository installs left to it", () => {
    const plan = plans["spoke-prod"];
    const charts = plan.resources
      .filter((r) => r.type === "kubernetes:helm.sh/v3:Release")
      .map((r) => r.inputs.chart as string);
    assert.ok(charts.includes("oci://public.ecr.aws/karpenter/karpenter"), charts.join(", "));
    for (const chart of ["cert-manager", "external-secrets", "external-dns", "aws-load-balancer-controller"])
      assert.ok(!charts.includes(chart), `${chart} is the repository's on spoke-prod`);
    assert.equal(
      plan.resources.filter(
        (r) =>
          r.type === "aws:eks/podIdentityAssociation:PodIdentityAssociation" &&
          r.inputs.serviceAccount === "aws-secret-manager-sa",
      ).length,
      8,
    );
  });

  for (const stack of ["hub", "spoke-prod-all"]) {
    it(`${stack}: every add-on with its pinned chart and its Pod Identity association, zero mandatory violations`, () => {
      const plan = plans[stack];
      assert.equal(
        plan.summary.mandatory,
        0,
        JSON.stringify(plan.violations.filter((v) => v.enforcementLevel === "mandatory")),
      );
      for (const addon of ADDONS) {
        const release = plan.resources.find(
          (r) => r.type === "kubernetes:helm.sh/v3:Release" && r.inputs.chart === addon.chart,
        );
        assert.ok(release, `${addon.key} release`);
        assert.equal(release.inputs.version, addon.version, addon.key);
        const association = plan.resources.find(
          (r) =>
            r.type === "aws:eks/podIdentityAssociation:PodIdentityAssociation" &&
            r.inputs.serviceAccount === addon.serviceAccount &&
            underComponent(plan, r.urn, addon.type),
        );
        assert.ok(association, `${addon.key} Pod Identity association`);
      }
    });
  }

  it("the AWS Private CA issuer: off by default, on by config with zero mandatory violations", () => {
    const isIssuerChart = (r: PlanResult["resources"][number]) =>
      r.type === "kubernetes:helm.sh/v3:Release" && r.inputs.chart === "aws-privateca-issuer";
    for (const stack of ["hub", "spoke-prod"]) {
      assert.ok(!plans[stack].resources.some(isIssuerChart), `${stack}: no issuer unless configured`);
      assert.ok(
        !plans[stack].resources.some((r) => r.type.includes("AWSPCAClusterIssuer")),
        `${stack}: no AWSPCAClusterIssuer`,
      );
    }
    const plan = plans["spoke-prod-all"];
    assert.equal(
      plan.summary.mandatory,
      0,
      JSON.stringify(plan.violations.filter((v) => v.enforcementLevel === "mandatory")),
    );
    const release = plan.resources.find(isIssuerChart);
    assert.ok(release, "aws-privateca-issuer release");
    assert.equal(release.inputs.version, "v1.9.0");
    const association = plan.resources.find(
      (r) =>
        r.type === "aws:eks/podIdentityAssociation:PodIdentityAssociation" &&
        r.inputs.serviceAccount === "aws-privateca-issuer" &&
        underComponent(plan, r.urn, "platform:cert-manager:"),
    );
    assert.ok(association, "the issuer's Pod Identity association");
    const issuer = plan.resources.find(
      (r) => r.type === "kubernetes:awspca.cert-manager.io/v1beta1:AWSPCAClusterIssuer",
    );
    assert.deepEqual(issuer?.inputs.spec, { arn: PRIVATE_CA, region: "eu-west-1" });
  });

  it("disabling the add-ons removes all of their resources and nothing else", () => {
    const on = plans.hub;
    const offUrns = new Set(disabled.hub.resources.map((r) => r.urn));
    const onUrns = new Set(on.resources.map((r) => r.urn));
    for (const r of disabled.hub.resources)
      assert.ok(onUrns.has(r.urn), `${r.urn} appears only when disabled`);
    for (const addon of [...ADDONS, ...AWS_ADDONS]) {
      assert.ok(!disabled.hub.resources.some((r) => r.type.startsWith(addon.type)), `${addon.key} is gone`);
      assert.ok(
        on.resources.some((r) => r.type.startsWith(addon.type)),
        `${addon.key} is planned when on`,
      );
    }
    const removed = on.resources.filter((r) => !offUrns.has(r.urn));
    for (const r of removed)
      assert.ok(
        [...ADDONS, ...AWS_ADDONS].some((a) => underComponent(on, r.urn, a.type)),
        `${r.type} ${r.name} disappeared but belongs to no add-on`,
      );
  });

  it("spoke-prod: a SecretStore per organization environment, and aws-secret-manager-sa keeps its Pod Identity", () => {
    const plan = plans["spoke-prod-all"];
    const namespaces = (plan.outputs.organizationNamespaces as string[]).slice().sort();
    assert.equal(namespaces.length, 8);
    const stores = plan.resources.filter((r) => r.type === "kubernetes:external-secrets.io/v1:SecretStore");
    assert.deepEqual(
      stores.map((s) => (s.inputs.metadata as Record<string, string>).namespace).sort(),
      namespaces,
    );
    const legacy = plan.resources.filter(
      (r) =>
        r.type === "aws:eks/podIdentityAssociation:PodIdentityAssociation" &&
        r.inputs.serviceAccount === "aws-secret-manager-sa",
    );
    assert.deepEqual(legacy.map((r) => r.inputs.namespace as string).sort(), namespaces);
  });

  it("internet-facing ingress only by explicit config, which the production pack refuses until it allowlists it", async () => {
    const publicIngress = {
      "platform:loadBalancerController": JSON.stringify({
        allowInternetFacing: true,
        internetFacingNamespaces: ["shop"],
      }),
    };
    const judged = await planStack("hub", { root: repo, policyConfig, configOverrides: publicIngress });
    const refusals = judged.violations.filter((v) => v.policy === "no-internet-facing-ingress");
    assert.equal(refusals.length, 1, JSON.stringify(refusals));
    assert.equal(refusals[0].enforcementLevel, "mandatory");
    assert.match(refusals[0].message, /IngressClassParams "alb-internet-facing" sets scheme internet-facing/);
    const allowed = await planStack("hub", {
      root: repo,
      policyConfig: {
        ...policyConfig,
        "no-internet-facing-ingress": { allowedInternetFacing: ["alb-internet-facing"] },
      },
      configOverrides: publicIngress,
    });
    assert.equal(allowed.summary.mandatory, 0);
    for (const plan of [plans.hub, plans["spoke-prod-all"]])
      assert.ok(!plan.violations.some((v) => v.policy === "no-internet-facing-ingress"));
  });

  it("registry: the hub creates the account's pull through cache, spoke-prod's node roles may pull through it", () => {
    const hubRules = plans.hub.resources.filter(
      (r) => r.type === "aws:ecr/pullThroughCacheRule:PullThroughCacheRule",
    );
    assert.deepEqual(hubRules.map((r) => r.inputs.ecrRepositoryPrefix).sort(), ["ecr-public", "k8s", "quay"]);
    const templates = plans.hub.resources.filter(
      (r) => r.type === "aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate",
    );
    assert.equal(templates.length, 3);
    for (const t of templates) assert.equal(t.inputs.imageTagMutability, "IMMUTABLE");
    const spoke = plans["spoke-prod"].resources;
    assert.ok(!spoke.some((r) => r.type.startsWith("aws:ecr/")), "one owner per account and region");
    const pulls = spoke.filter(
      (r) =>
        r.type === "aws:iam/rolePolicy:RolePolicy" &&
        underComponent(plans["spoke-prod"], r.urn, "platform:registry:"),
    );
    assert.equal(pulls.length, 2, "the node role and Karpenter's node role");
    for (const p of pulls)
      assert.deepEqual(JSON.parse(String(p.inputs.policy)).Statement[0].Action, [
        "ecr:BatchImportUpstreamImage",
        "ecr:CreateRepository",
      ]);
  });

  it("spoke-prod: a Velero Schedule per organization namespace", () => {
    const plan = plans["spoke-prod"];
    const namespaces = (plan.outputs.organizationNamespaces as string[]).slice().sort();
    const schedules = plan.resources.filter((r) => r.type === "kubernetes:velero.io/v1:Schedule");
    assert.deepEqual(
      schedules
        .flatMap(
          (s) =>
            (s.inputs.spec as { template: { includedNamespaces: string[] } }).template.includedNamespaces,
        )
        .sort(),
      namespaces,
    );
    // Each waits for the Velero release and the Namespace object of its own namespace, nothing else.
    for (const s of schedules) {
      const namespace = (s.inputs.spec as { template: { includedNamespaces: string[] } }).template
        .includedNamespaces[0];
      const waitsFor = s.dependencies.map((urn) => plan.resources.find((r) => r.urn === urn)!);
      assert.deepEqual(waitsFor.map((r) => r.type).sort(), [
        "kubernetes:core/v1:Namespace",
        "kubernetes:helm.sh/v3:Release",
      ]);
      const ns = waitsFor.find((r) => r.type === "kubernetes:core/v1:Namespace")!;
      assert.equal((ns.inputs.metadata as { name: string }).name, namespace);
    }
  });

  it("managed node groups ignore desired-size drift only while Karpenter runs", () => {
    const groups = (plan: PlanResult) =>
      plan.resources.filter((r) => r.type === "eks:index:ManagedNodeGroup");
    assert.ok(groups(plans.hub).length > 0);
    for (const g of groups(plans.hub)) assert.equal(g.inputs.ignoreScalingChanges, true, g.name);
    for (const g of groups(disabled.hub)) assert.equal(g.inputs.ignoreScalingChanges, false, g.name);
  });
});
