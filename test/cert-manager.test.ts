import { strict as assert } from "node:assert";
import * as k8s from "@pulumi/kubernetes";
import { recorded, setupMocks, type RecordedResource } from "./mocks";
import {
  CERT_MANAGER_VERSIONS,
  CertManager,
  acmeClusterIssuerSpec,
  certManagerChart,
  certManagerPolicy,
  certManagerValues,
} from "../components/cert-manager";
import { loadConfig } from "../stacks/config";
import {
  helmBinary,
  helmTemplate,
  schemaProblems,
  undeclaredValues,
  upstreamValues,
  upstreamValuesSchema,
} from "./upstream";
import { minimalHub } from "./config-fixtures";

const chartFolder = `cert-manager-${CERT_MANAGER_VERSIONS["1.35"]}`;
const zones = [
  { id: "Z0EXAMPLENUMINIAXYZ", name: "numinia.xyz" },
  { id: "Z0EXAMPLEOTHER", name: "numengames.com" },
];

describe("add-on: cert-manager", function () {
  let all: RecordedResource[];
  const of = (type: string) => all.filter((r) => r.type === type);
  before(async () => {
    setupMocks({ stack: "spoke" });
    const provider = new k8s.Provider("cert-manager-k8s", { kubeconfig: "{}" });
    new CertManager("spoke", {
      clusterName: "production-numinia",
      eksClusterName: "production-numinia",
      kubernetesVersion: "1.35",
      region: "eu-west-1",
      acme: { email: "notifications@numengames.com", hostedZones: zones },
      provider,
      production: true,
    });
    all = await recorded();
  });

  it("installs the pinned chart with its CRDs in a restricted cert-manager namespace", () => {
    const [release] = of("kubernetes:helm.sh/v3:Release");
    assert.equal(release.inputs.chart, "cert-manager");
    assert.equal(release.inputs.version, "v1.21.1");
    assert.equal(release.inputs.namespace, "cert-manager");
    assert.deepEqual((release.inputs.values as any).crds, { enabled: true, keep: true });
    const [ns] = of("kubernetes:core/v1:Namespace");
    assert.equal((ns.inputs.metadata as any).labels["pod-security.kubernetes.io/enforce"], "restricted");
    assert.ok(release.dependencies.includes(ns.urn));
  });

  it("gives the controller a Pod Identity association and a role limited to the zones' challenge records", () => {
    const [assoc] = of("aws:eks/podIdentityAssociation:PodIdentityAssociation");
    assert.equal(assoc.inputs.namespace, "cert-manager");
    assert.equal(assoc.inputs.serviceAccount, "cert-manager");
    const [policy] = of("aws:iam/rolePolicy:RolePolicy");
    assert.deepEqual(JSON.parse(String(policy.inputs.policy)), certManagerPolicy("aws", zones));
    const [release] = of("kubernetes:helm.sh/v3:Release");
    assert.ok(release.dependencies.includes(assoc.urn));
  });

  it("creates the letsencrypt and letsencrypt-staging ClusterIssuers solving DNS-01 per zone", () => {
    const issuers = of("kubernetes:cert-manager.io/v1:ClusterIssuer");
    assert.deepEqual(
      issuers.map((i) => (i.inputs.metadata as any).name),
      ["letsencrypt", "letsencrypt-staging"],
    );
    const acme = (issuers[0].inputs.spec as any).acme;
    assert.equal(acme.server, "https://acme-v02.api.letsencrypt.org/directory");
    assert.deepEqual(acme.solvers[1], {
      selector: { dnsZones: ["numengames.com"] },
      dns01: { route53: { region: "eu-west-1", hostedZoneID: "Z0EXAMPLEOTHER" } },
    });
    assert.equal(
      (issuers[1].inputs.spec as any).acme.server,
      "https://acme-staging-v02.api.letsencrypt.org/directory",
    );
  });

  it("creates no role, association or issuer without ACME settings", async () => {
    setupMocks({ stack: "spoke" });
    const provider = new k8s.Provider("cert-manager-k8s-2", { kubeconfig: "{}" });
    new CertManager("bare", {
      clusterName: "c",
      eksClusterName: "c",
      kubernetesVersion: "1.35",
      region: "eu-west-1",
      provider,
    });
    const bare = await recorded();
    assert.deepEqual(
      bare.filter((r) => r.type.startsWith("aws:") || r.type.includes("ClusterIssuer")).map((r) => r.type),
      [],
    );
  });
});

describe("cert-manager against the upstream chart", function () {
  it("sets only keys the chart's values.yaml at the pinned version declares", function () {
    const chart = upstreamValues(chartFolder);
    if (!chart) this.skip();
    const schema = upstreamValuesSchema(chartFolder);
    assert.deepEqual(
      undeclaredValues(
        certManagerValues({ production: true }),
        chart,
        ["tolerations"],
        schema && { root: schema },
      ),
      [],
    );
  });

  it("renders with helm: every deployment tolerates the system taint, HA in production, and the ClusterIssuer CRD accepts our issuers", function () {
    const helm = helmBinary();
    if (!helm || !upstreamValues(chartFolder)) this.skip();
    const objects = helmTemplate(helm, chartFolder, "cert-manager", certManagerValues({ production: true }));
    const deployments = objects.filter((o) => o.kind === "Deployment");
    assert.equal(deployments.length, 3);
    for (const d of deployments) {
      assert.equal(d.spec.replicas, 2, d.metadata.name);
      assert.deepEqual(d.spec.template.spec.tolerations, [{ key: "CriticalAddonsOnly", operator: "Exists" }]);
    }
    assert.equal(objects.filter((o) => o.kind === "PodDisruptionBudget").length, 3);
    const sa = objects.find((o) => o.kind === "ServiceAccount" && o.metadata.name === "cert-manager");
    assert.ok(sa, "the controller's ServiceAccount is the association's subject");
    const crd = objects.find(
      (o) => o.kind === "CustomResourceDefinition" && o.spec.names.kind === "ClusterIssuer",
    )!;
    const schema = crd.spec.versions.find((v: any) => v.name === "v1").schema.openAPIV3Schema.properties.spec;
    const spec = acmeClusterIssuerSpec({ name: "letsencrypt", email: "a@b.co", region: "eu-west-1", zones });
    assert.deepEqual(schemaProblems(spec, schema), []);
  });

  it("pins a release for every supported Kubernetes version and rejects others", () => {
    assert.equal(certManagerChart("1.34").version, "v1.21.1");
    assert.throws(() => certManagerChart("1.20"), /Kubernetes 1.20 has no pinned cert-manager version/);
  });
});

describe("cert-manager Route 53 policy", () => {
  const doc = certManagerPolicy("aws", zones);
  it("names the hosted zones and allows only TXT _acme-challenge records", () => {
    const write = doc.Statement[1];
    assert.deepEqual(write.Resource, [
      "arn:aws:route53:::hostedzone/Z0EXAMPLENUMINIAXYZ",
      "arn:aws:route53:::hostedzone/Z0EXAMPLEOTHER",
    ]);
    assert.deepEqual(write.Condition!["ForAllValues:StringEquals"], {
      "route53:ChangeResourceRecordSetsRecordTypes": ["TXT"],
    });
    assert.deepEqual(write.Condition!["ForAllValues:StringLike"], {
      "route53:ChangeResourceRecordSetsNormalizedRecordNames": ["_acme-challenge.*"],
    });
  });
  it("has no statement on Resource * (no zone listing)", () => {
    for (const s of doc.Statement) assert.notEqual(s.Resource, "*");
    assert.ok(!JSON.stringify(doc).includes("ListHostedZones"));
  });
});

describe("platform:certManager config", () => {
  const base = minimalHub;
  const load = (value: unknown) =>
    loadConfig({ ...base, "platform:certManager": JSON.stringify(value) }, "dev");
  it("takes ACME settings and rejects bad ones with one line naming the key", () => {
    assert.equal(
      load({ acme: { email: "a@b.co", hostedZones: zones } }).certManager.acme?.hostedZones.length,
      2,
    );
    assert.throws(
      () => load({ acme: { email: "nope", hostedZones: zones } }),
      /platform:certManager\.acme\.email = "nope": expected an e-mail address/,
    );
    assert.throws(
      () => load({ acme: { email: "a@b.co", hostedZones: [{ id: "abc", name: "x.io" }] } }),
      /platform:certManager\.acme\.hostedZones\[0\]\.id = "abc": expected a Route 53 hosted zone id/,
    );
    assert.throws(
      () => load({ acme: { email: "a@b.co", hostedZones: [] } }),
      /platform:certManager\.acme\.hostedZones = \[\]: expected at least one hosted zone/,
    );
    assert.throws(() => load({ issuer: "x" }), /platform:certManager/);
  });
});
