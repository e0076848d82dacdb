import { strict as assert } from "node:assert";
import * as k8s from "@pulumi/kubernetes";
import { recorded, setupMocks, type RecordedResource } from "./mocks";
import {
  EXTERNAL_DNS_VERSIONS,
  ExternalDns,
  externalDnsChart,
  externalDnsPolicy,
  externalDnsValues,
} from "../components/external-dns";
import { loadConfig } from "../stacks/config";
import { externalDnsEnabled } from "../stacks/external-dns";
import { helmBinary, helmTemplate, undeclaredValues, upstreamValues, upstreamValuesSchema } from "./upstream";
import { minimalHub } from "./config-fixtures";

const chartFolder = `external-dns-${EXTERNAL_DNS_VERSIONS["1.35"]}`;
const zones = [
  { id: "Z0EXAMPLENUMINIAXYZ", name: "numinia.xyz" },
  { id: "Z0EXAMPLEOTHER", name: "numengames.com" },
];
const values = externalDnsValues({
  region: "eu-west-1",
  zones,
  txtOwnerId: "production-numinia",
  policy: "upsert-only",
});

describe("add-on: ExternalDNS", function () {
  let all: RecordedResource[];
  const of = (type: string) => all.filter((r) => r.type === type);
  before(async () => {
    setupMocks({ stack: "spoke" });
    const provider = new k8s.Provider("external-dns-k8s", { kubeconfig: "{}" });
    new ExternalDns("spoke", {
      clusterName: "production-numinia",
      eksClusterName: "production-numinia",
      kubernetesVersion: "1.35",
      region: "eu-west-1",
      hostedZones: zones,
      txtOwnerId: "production-numinia",
      provider,
    });
    all = await recorded();
  });

  it("installs the pinned chart in a restricted external-dns namespace, after its credentials", () => {
    const [release] = of("kubernetes:helm.sh/v3:Release");
    assert.equal(release.inputs.chart, "external-dns");
    assert.equal(release.inputs.version, "1.21.1");
    assert.equal(release.inputs.namespace, "external-dns");
    const [assoc] = of("aws:eks/podIdentityAssociation:PodIdentityAssociation");
    assert.equal(assoc.inputs.namespace, "external-dns");
    assert.equal(assoc.inputs.serviceAccount, "external-dns");
    assert.ok(release.dependencies.includes(assoc.urn));
    const [ns] = of("kubernetes:core/v1:Namespace");
    assert.equal((ns.inputs.metadata as any).labels["pod-security.kubernetes.io/enforce"], "restricted");
    const [policy] = of("aws:iam/rolePolicy:RolePolicy");
    assert.deepEqual(JSON.parse(String(policy.inputs.policy)), externalDnsPolicy("aws", zones));
  });

  it("refuses to run without a hosted zone", () => {
    const provider = new k8s.Provider("external-dns-k8s-2", { kubeconfig: "{}" });
    assert.throws(
      () =>
        new ExternalDns("empty", {
          clusterName: "c",
          eksClusterName: "c",
          kubernetesVersion: "1.35",
          region: "eu-west-1",
          hostedZones: [],
          txtOwnerId: "c",
          provider,
        }),
      /empty: ExternalDNS needs at least one hosted zone/,
    );
  });
});

describe("ExternalDNS against the upstream chart", function () {
  it("sets only keys the chart's values.yaml (or values.schema.json) at the pinned version declares", function () {
    const chart = upstreamValues(chartFolder);
    if (!chart) this.skip();
    const schema = upstreamValuesSchema(chartFolder);
    assert.deepEqual(
      undeclaredValues(values, chart, ["tolerations", "securityContext"], schema && { root: schema }),
      [],
    );
  });

  it("renders with helm: Route 53 only in the configured zones, with this cluster's TXT owner id", function () {
    const helm = helmBinary();
    if (!helm || !upstreamValues(chartFolder)) this.skip();
    const objects = helmTemplate(helm, chartFolder, "external-dns", values);
    const container = objects.find((o) => o.kind === "Deployment")!.spec.template.spec.containers[0];
    for (const arg of [
      "--provider=aws",
      "--policy=upsert-only",
      "--registry=txt",
      "--txt-owner-id=production-numinia",
      "--domain-filter=numinia.xyz",
      "--domain-filter=numengames.com",
      "--zone-id-filter=Z0EXAMPLENUMINIAXYZ",
      "--zone-id-filter=Z0EXAMPLEOTHER",
    ])
      assert.ok(container.args.includes(arg), arg);
    assert.equal(container.securityContext.readOnlyRootFilesystem, true);
    assert.equal(objects.find((o) => o.kind === "ServiceAccount")!.metadata.name, "external-dns");
  });

  it("pins a release for every supported Kubernetes version and rejects others", () => {
    assert.equal(externalDnsChart("1.34").version, "1.21.1");
    assert.throws(() => externalDnsChart("1.20"), /Kubernetes 1.20 has no pinned ExternalDNS version/);
  });
});

describe("ExternalDNS Route 53 policy", () => {
  const doc = externalDnsPolicy("aws", zones);
  it("changes records only in the configured zones", () => {
    const records = doc.Statement[0];
    assert.ok((records.Action as string[]).includes("route53:ChangeResourceRecordSets"));
    assert.deepEqual(records.Resource, [
      "arn:aws:route53:::hostedzone/Z0EXAMPLENUMINIAXYZ",
      "arn:aws:route53:::hostedzone/Z0EXAMPLEOTHER",
    ]);
  });
  it("lists zones (no resource-level permission) only through Route 53's us-east-1 endpoint, nothing else on *", () => {
    const star = doc.Statement.filter((s) => s.Resource === "*");
    assert.equal(star.length, 1);
    assert.equal(star[0].Action, "route53:ListHostedZones");
    assert.deepEqual(star[0].Condition, { StringEquals: { "aws:RequestedRegion": "us-east-1" } });
  });
});

describe("platform:externalDns config", () => {
  const base = minimalHub;
  const load = (value: unknown, environment = "production") =>
    loadConfig(
      { ...base, "platform:environment": environment, "platform:externalDns": JSON.stringify(value) },
      "prod",
    );
  it("is on in production once hosted zones are set, off without them or outside production", () => {
    assert.equal(externalDnsEnabled(load({ hostedZones: zones })), true);
    assert.equal(externalDnsEnabled(load({})), false);
    assert.equal(externalDnsEnabled(load({ hostedZones: zones }, "staging")), false);
    assert.equal(externalDnsEnabled(load({ hostedZones: zones, enabled: false })), false);
  });
  it("rejects enabling it without zones, and bad values, with one line naming the key", () => {
    assert.throws(
      () => load({ enabled: true }),
      /platform:externalDns\.hostedZones = \(not set\): expected at least one hosted zone when ExternalDNS is enabled/,
    );
    assert.throws(
      () => load({ hostedZones: zones, policy: "delete" }),
      /platform:externalDns\.policy = "delete": expected upsert-only or sync/,
    );
    assert.throws(
      () => load({ hostedZones: [{ id: "Z1", name: "Not A Domain" }] }),
      /platform:externalDns\.hostedZones\[0\]\.name = "Not A Domain": expected a DNS domain/,
    );
  });
});
