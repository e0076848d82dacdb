import { strict as assert } from "node:assert";
import * as path from "node:path";
import * as k8s from "@pulumi/kubernetes";
import { recorded, setupMocks, type RecordedResource } from "./mocks";
import {
  AWS_PRIVATECA_ISSUER_VERSIONS,
  CertManager,
  privateCaClusterIssuerSpec,
  privateCaIssuerChart,
  privateCaIssuerPolicy,
  privateCaIssuerValues,
  type CertManagerArgs,
} from "../components/cert-manager";
import { loadConfig } from "../stacks/config";
import {
  crdSpecSchema,
  helmBinary,
  helmTemplate,
  schemaProblems,
  undeclaredValues,
  upstreamCharts,
  upstreamValues,
} from "./upstream";
import { minimalHub } from "./config-fixtures";

const CA =
  "arn:aws:acm-pca:eu-central-1:111122223333:certificate-authority/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
const version = AWS_PRIVATECA_ISSUER_VERSIONS["1.35"];
/** The upstream chart folder ../shared should hold (the chart's repository, packaged at the pinned version). */
const chartFolder = `aws-privateca-issuer-${version}`;
const missingChart = `../shared/upstream/charts/${chartFolder} is absent: add the aws-privateca-issuer chart ${version} (https://cert-manager.github.io/aws-privateca-issuer) to check the values against it`;

const RELEASE = "kubernetes:helm.sh/v3:Release";
const ISSUER = "kubernetes:awspca.cert-manager.io/v1beta1:AWSPCAClusterIssuer";
const ASSOCIATION = "aws:eks/podIdentityAssociation:PodIdentityAssociation";

async function build(name: string, extra: Partial<CertManagerArgs>): Promise<RecordedResource[]> {
  setupMocks({ stack: "spoke" });
  new CertManager(name, {
    clusterName: "production-numinia",
    eksClusterName: "production-numinia",
    kubernetesVersion: "1.35",
    region: "eu-west-1",
    provider: new k8s.Provider(`${name}-k8s`, { kubeconfig: "{}" }),
    production: true,
    ...extra,
  });
  return recorded();
}

describe("add-on: AWS Private CA issuer", function () {
  let all: RecordedResource[];
  const of = (type: string) => all.filter((r) => r.type === type);
  const pcaRelease = () => of(RELEASE).find((r) => r.inputs.chart === "aws-privateca-issuer")!;
  before(async () => {
    all = await build("spoke", { privateCa: { arn: CA } });
  });

  it("installs the pinned chart and image in cert-manager's namespace, after cert-manager and its association", () => {
    const release = pcaRelease();
    assert.ok(release, "aws-privateca-issuer release");
    assert.equal(release.inputs.version, "v1.9.0");
    assert.equal(
      (release.inputs.repositoryOpts as any).repo,
      "https://cert-manager.github.io/aws-privateca-issuer",
    );
    assert.equal(release.inputs.namespace, "cert-manager");
    const values = release.inputs.values as any;
    assert.deepEqual(values.image, {
      repository: "public.ecr.aws/k1n1h4h4/cert-manager-aws-privateca-issuer",
      tag: "v1.9.0",
    });
    assert.equal(values.replicaCount, 2);
    const certManager = of(RELEASE).find((r) => r.inputs.chart === "cert-manager")!;
    assert.ok(release.dependencies.includes(certManager.urn), "waits for cert-manager");
    const association = of(ASSOCIATION).find((a) => a.inputs.serviceAccount === "aws-privateca-issuer")!;
    assert.ok(release.dependencies.includes(association.urn), "waits for its Pod Identity association");
  });

  it("runs restricted: non-root, no privilege escalation, every capability dropped, RuntimeDefault seccomp, read-only root", () => {
    const values = pcaRelease().inputs.values as any;
    assert.deepEqual(values.podSecurityContext, {
      runAsNonRoot: true,
      runAsUser: 65532,
      runAsGroup: 65532,
      seccompProfile: { type: "RuntimeDefault" },
    });
    assert.deepEqual(values.securityContext, {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ["ALL"] },
      seccompProfile: { type: "RuntimeDefault" },
    });
  });

  it("binds a role that may only describe, issue from and fetch from the one CA to the chart's ServiceAccount", () => {
    const association = of(ASSOCIATION).find((a) => a.inputs.serviceAccount === "aws-privateca-issuer")!;
    assert.equal(association.inputs.namespace, "cert-manager");
    assert.equal((pcaRelease().inputs.values as any).serviceAccount.name, association.inputs.serviceAccount);
    const policies = of("aws:iam/rolePolicy:RolePolicy").filter((p) => p.name.includes("privateca"));
    assert.equal(policies.length, 1);
    const doc = JSON.parse(String(policies[0].inputs.policy));
    assert.deepEqual(doc, privateCaIssuerPolicy(CA));
    assert.equal(doc.Statement.length, 1);
    assert.deepEqual(doc.Statement[0].Action, [
      "acm-pca:DescribeCertificateAuthority",
      "acm-pca:GetCertificate",
      "acm-pca:IssueCertificate",
    ]);
    assert.equal(doc.Statement[0].Resource, CA);
    assert.equal(doc.Statement[0].Effect, "Allow");
  });

  it("creates the AWSPCAClusterIssuer aws-private-ca with the CA's ARN and region, after the release", () => {
    const [issuer] = of(ISSUER);
    assert.equal((issuer.inputs.metadata as any).name, "aws-private-ca");
    assert.deepEqual(issuer.inputs.spec, { arn: CA, region: "eu-central-1" });
    assert.ok(issuer.dependencies.includes(pcaRelease().urn));
  });

  it("names the issuer from config", async () => {
    const named = await build("named", { privateCa: { arn: CA, issuerName: "internal-ca" } });
    assert.deepEqual(
      named.filter((r) => r.type === ISSUER).map((r) => (r.inputs.metadata as any).name),
      ["internal-ca"],
    );
  });

  it("leaving privateCa out removes exactly the release, role, policy, association and issuer", async () => {
    const without = await build("spoke", {});
    const left = new Set(without.map((r) => r.urn));
    const removed = all.filter((r) => !left.has(r.urn));
    assert.deepEqual(removed.map((r) => r.type).sort(), [
      "aws:eks/podIdentityAssociation:PodIdentityAssociation",
      "aws:iam/role:Role",
      "aws:iam/rolePolicy:RolePolicy",
      ISSUER,
      RELEASE,
    ]);
    assert.ok(!without.some((r) => JSON.stringify(r.inputs).includes("acm-pca")));
    for (const r of without)
      assert.ok(
        all.some((a) => a.urn === r.urn),
        `${r.urn} only without privateCa`,
      );
  });
});

describe("AWS Private CA issuer against the upstream chart", function () {
  it("sets only keys the chart's values.yaml at the pinned version declares", function () {
    const chart = upstreamValues(chartFolder);
    if (!chart) {
      console.warn(`      skipped: ${missingChart}`);
      return this.skip();
    }
    assert.deepEqual(
      undeclaredValues(privateCaIssuerValues({ version, production: true }), chart, [
        "podSecurityContext",
        "securityContext",
        "tolerations",
      ]),
      [],
    );
  });

  it("renders with helm: the ServiceAccount, the hardened pod and cert-manager's approver binding; the CRD accepts the issuer", function () {
    const helm = helmBinary();
    if (!helm || !upstreamValues(chartFolder)) {
      console.warn(`      skipped: ${helm ? missingChart : "no Helm binary"}`);
      return this.skip();
    }
    const objects = helmTemplate(
      helm,
      chartFolder,
      "cert-manager",
      privateCaIssuerValues({ version, production: true }),
    );
    const deployment = objects.find((o) => o.kind === "Deployment")!;
    const pod = deployment.spec.template.spec;
    assert.equal(pod.serviceAccountName, "aws-privateca-issuer");
    assert.ok(objects.some((o) => o.kind === "ServiceAccount" && o.metadata.name === "aws-privateca-issuer"));
    assert.equal(
      pod.containers[0].image,
      `public.ecr.aws/k1n1h4h4/cert-manager-aws-privateca-issuer:${version}`,
    );
    assert.equal(pod.securityContext.seccompProfile.type, "RuntimeDefault");
    assert.deepEqual(pod.containers[0].securityContext.capabilities, { drop: ["ALL"] });
    assert.equal(pod.containers[0].securityContext.readOnlyRootFilesystem, true);
    const approver = objects.find(
      (o) =>
        o.kind === "ClusterRoleBinding" &&
        o.metadata.name === "cert-manager-controller-approve:awspca-cert-manager-io",
    )!;
    assert.deepEqual(approver.subjects, [
      { kind: "ServiceAccount", name: "cert-manager", namespace: "cert-manager" },
    ]);
    const schema = crdSpecSchema(
      path.join(upstreamCharts, chartFolder, "crds/awspca.cert-manager.io_awspcaclusterissuers.yaml"),
      "v1beta1",
      "AWSPCAClusterIssuer",
    );
    assert.ok(schema, "the chart ships the AWSPCAClusterIssuer CRD (the release installs it)");
    assert.deepEqual(schemaProblems(privateCaClusterIssuerSpec(CA), schema), []);
  });

  it("pins a release for every supported Kubernetes version and rejects others", () => {
    assert.equal(privateCaIssuerChart("1.34").version, "v1.9.0");
    assert.throws(
      () => privateCaIssuerChart("1.20"),
      /Kubernetes 1.20 has no pinned aws-privateca-issuer version/,
    );
  });
});

describe("platform:certManager.privateCa config", () => {
  const base = minimalHub;
  const load = (value: unknown, environment = "development") =>
    loadConfig(
      { ...base, "platform:environment": environment, "platform:certManager": JSON.stringify(value) },
      "dev",
    );

  it("is off by default", () => {
    assert.equal(load({}).certManager.privateCa, undefined);
    assert.equal(load({}, "production").certManager.privateCa, undefined);
  });

  it("takes a CA ARN (any partition) and defaults the issuer's name", () => {
    assert.deepEqual(load({ enabled: true, privateCa: { arn: CA } }).certManager.privateCa, {
      arn: CA,
      issuerName: "aws-private-ca",
    });
    const gov =
      "arn:aws-us-gov:acm-pca:us-gov-west-1:111122223333:certificate-authority/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
    assert.equal(load({ enabled: true, privateCa: { arn: gov } }).certManager.privateCa?.arn, gov);
  });

  it("rejects a bad ARN with one line naming the key, the value and what is expected", () => {
    for (const arn of [
      "arn:aws:acm:eu-west-1:111122223333:certificate/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
      "arn:aws:acm-pca:eu-west-1:1111:certificate-authority/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
      "arn:aws:acm-pca:eu-west-1:111122223333:certificate-authority/not-a-uuid",
    ]) {
      assert.throws(
        () => load({ enabled: true, privateCa: { arn } }),
        (e: Error) =>
          !e.message.includes("\n") &&
          e.message.startsWith(
            `invalid configuration platform:certManager.privateCa.arn = ${JSON.stringify(arn).slice(0, 77)}`,
          ) &&
          e.message.includes(
            ": expected an ACM Private CA certificate authority ARN such as arn:aws:acm-pca:",
          ),
      );
    }
    assert.throws(
      () => load({ enabled: true, privateCa: {} }),
      /platform:certManager\.privateCa\.arn = \(not set\)/,
    );
  });

  it("rejects a bad issuer name and unknown fields", () => {
    assert.throws(
      () => load({ enabled: true, privateCa: { arn: CA, issuerName: "Private_CA" } }),
      /platform:certManager\.privateCa\.issuerName = "Private_CA": expected a Kubernetes name/,
    );
    assert.throws(
      () => load({ enabled: true, privateCa: { arn: CA, role: "x" } }),
      /platform:certManager\.privateCa/,
    );
  });

  it("refuses privateCa on a stack where cert-manager is off", () => {
    assert.throws(
      () => load({ enabled: false, privateCa: { arn: CA } }),
      /^ConfigError: invalid configuration platform:certManager\.enabled = false: expected true when privateCa is set/,
    );
    assert.throws(() => load({ privateCa: { arn: CA } }), /platform:certManager\.enabled = \(not set\)/);
    assert.equal(load({ privateCa: { arn: CA } }, "production").certManager.privateCa?.arn, CA);
  });
});
