import { tlsOnlyBucketPolicy } from "../components/shared/aws";
import { strict as assert } from "node:assert";
import * as path from "node:path";
import * as k8s from "@pulumi/kubernetes";
import { recorded, resetRecorded, setupMocks, type RecordedResource } from "./mocks";
import {
  VELERO_VERSIONS,
  Velero,
  bucketLifecycleRules,
  scheduleSpec,
  veleroPolicy,
  veleroRelease,
  veleroValues,
} from "../components/velero";
import { loadConfig } from "../stacks/config";
import { veleroEnabled, veleroSchedules } from "../stacks/velero";
import {
  crdSpecSchema,
  helmBinary,
  helmTemplate,
  schemaProblems,
  undeclaredValues,
  upstreamCharts,
  upstreamValues,
  upstreamValuesSchema,
} from "./upstream";
import { minimalHub } from "./config-fixtures";

const chartFolder = `velero-${VELERO_VERSIONS["1.35"].chart}`;
const key = "arn:aws:kms:eu-west-1:111122223333:key/storage";
const values = veleroValues({
  bucket: "production-numinia-velero-abc",
  region: "eu-west-1",
  keyArn: key,
  awsPluginImage: veleroRelease("1.35").awsPluginImage,
  clusterName: "production-numinia",
});
const schedules = [
  { name: "numinia-daily", namespace: "numinia", schedule: "0 2 * * *", retentionDays: 30 },
  { name: "numinia-pre-daily", namespace: "numinia-pre", schedule: "0 2 * * *", retentionDays: 30 },
];

describe("add-on: Velero", function () {
  let all: RecordedResource[];
  const of = (type: string) => all.filter((r) => r.type === type);
  before(async () => {
    setupMocks({ stack: "spoke" });
    resetRecorded();
    const provider = new k8s.Provider("velero-k8s", { kubeconfig: "{}" });
    // numinia-pre's namespace, and an unrelated tenant object a Schedule must not wait for.
    const namespace = new k8s.core.v1.Namespace(
      "numinia-pre",
      { metadata: { name: "numinia-pre" } },
      { provider },
    );
    new k8s.core.v1.ConfigMap("other-tenant", { metadata: { namespace: "other" } }, { provider });
    new Velero("spoke", {
      clusterName: "production-numinia",
      eksClusterName: "production-numinia",
      kubernetesVersion: "1.35",
      region: "eu-west-1",
      keyArn: key,
      volumeTag: { key: "platform:cluster", value: "production-numinia" },
      schedules,
      noncurrentVersionDays: 7,
      namespaceResources: new Map([["numinia-pre", namespace]]),
      provider,
      protect: true,
    });
    all = await recorded();
  });

  it("keeps backups in a protected bucket: KMS, all four public access blocks, owner-enforced, versioned, lifecycle, TLS only", () => {
    const [bucket] = of("aws:s3/bucket:Bucket");
    assert.equal(bucket.protect, true);
    const [block] = of("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock");
    for (const flag of ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"])
      assert.equal(block.inputs[flag], true, flag);
    const [sse] = of(
      "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    );
    assert.deepEqual((sse.inputs.rules as any[])[0].applyServerSideEncryptionByDefault, {
      sseAlgorithm: "aws:kms",
      kmsMasterKeyId: key,
    });
    const [versioning] = of("aws:s3/bucketVersioning:BucketVersioning");
    assert.equal((versioning.inputs.versioningConfiguration as any).status, "Enabled");
    const [lifecycle] = of("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration");
    assert.deepEqual(lifecycle.inputs.rules, bucketLifecycleRules(7));
    const [ownership] = of("aws:s3/bucketOwnershipControls:BucketOwnershipControls");
    assert.equal((ownership.inputs.rule as any).objectOwnership, "BucketOwnerEnforced");
    const [policy] = of("aws:s3/bucketPolicy:BucketPolicy");
    const statement = JSON.parse(String(policy.inputs.policy)).Statement[0];
    assert.equal(statement.Effect, "Deny");
    assert.deepEqual(statement.Condition, { Bool: { "aws:SecureTransport": "false" } });
    for (const r of [block, sse, versioning, lifecycle, ownership, policy])
      assert.equal(r.inputs.bucket, bucket.outputs.id, r.type);
  });

  it("installs the pinned chart in a restricted velero namespace with Pod Identity and no credentials Secret", () => {
    const [release] = of("kubernetes:helm.sh/v3:Release");
    assert.equal(release.inputs.chart, "velero");
    assert.equal(release.inputs.version, "12.1.0");
    assert.equal(release.inputs.namespace, "velero");
    assert.deepEqual((release.inputs.values as any).credentials, { useSecret: false });
    const [assoc] = of("aws:eks/podIdentityAssociation:PodIdentityAssociation");
    assert.equal(assoc.inputs.namespace, "velero");
    assert.equal(assoc.inputs.serviceAccount, "velero-server");
    assert.ok(release.dependencies.includes(assoc.urn));
    const [ns] = of("kubernetes:core/v1:Namespace").filter(
      (n) => (n.inputs.metadata as any).name === "velero",
    );
    assert.equal((ns.inputs.metadata as any).labels["pod-security.kubernetes.io/enforce"], "restricted");
  });

  it("creates one Schedule per namespace after the release", () => {
    const [release] = of("kubernetes:helm.sh/v3:Release");
    const created = of("kubernetes:velero.io/v1:Schedule");
    assert.deepEqual(
      created.map((s) => (s.inputs.spec as any).template.includedNamespaces),
      [["numinia"], ["numinia-pre"]],
    );
    for (const s of created) {
      assert.equal((s.inputs.metadata as any).namespace, "velero");
      assert.ok(s.dependencies.includes(release.urn));
      assert.equal((s.inputs.spec as any).template.ttl, "720h0m0s");
    }
  });

  it("makes each Schedule wait for the release and its own namespace only (dependencies stay linear in tenants)", () => {
    const [release] = of("kubernetes:helm.sh/v3:Release");
    const [namespace] = of("kubernetes:core/v1:Namespace").filter((n) => n.name === "numinia-pre");
    const byNamespace = new Map(
      of("kubernetes:velero.io/v1:Schedule").map((s) => [
        (s.inputs.spec as any).template.includedNamespaces[0],
        [...s.dependencies].sort(),
      ]),
    );
    assert.deepEqual(byNamespace.get("numinia-pre"), [release.urn, namespace.urn].sort());
    // A namespace the map does not name (created elsewhere): the release only.
    assert.deepEqual(byNamespace.get("numinia"), [release.urn]);
  });
});

describe("Velero against the upstream chart", function () {
  it("sets only keys the chart's values.yaml (or values.schema.json) at the pinned version declares", function () {
    const chart = upstreamValues(chartFolder);
    if (!chart) this.skip();
    const schema = upstreamValuesSchema(chartFolder);
    assert.deepEqual(
      undeclaredValues(
        values,
        chart,
        ["tolerations", "podSecurityContext", "containerSecurityContext", "resources", "initContainers"],
        schema && { root: schema },
      ),
      [],
    );
  });

  it("renders with helm: the AWS plugin, the bucket as default location, restricted pods, no Secret", function () {
    const helm = helmBinary();
    if (!helm || !upstreamValues(chartFolder)) this.skip();
    const objects = helmTemplate(helm, chartFolder, "velero", values);
    const pod = objects.find((o) => o.kind === "Deployment")!.spec.template.spec;
    assert.equal(pod.serviceAccountName, "velero-server");
    assert.equal(pod.initContainers[0].image, "velero/velero-plugin-for-aws:v1.14.0");
    for (const container of [...pod.containers, ...pod.initContainers]) {
      assert.equal(container.securityContext.allowPrivilegeEscalation, false, container.name);
      assert.equal(container.securityContext.runAsNonRoot, true, container.name);
    }
    const location = objects.find((o) => o.kind === "BackupStorageLocation")!;
    assert.deepEqual(location.spec.objectStorage, {
      bucket: "production-numinia-velero-abc",
      prefix: "production-numinia",
    });
    assert.deepEqual(location.spec.config, { kmsKeyId: key, region: "eu-west-1" });
    assert.ok(!objects.some((o) => o.kind === "Secret"), "no credentials Secret");
  });

  it("writes Schedules the chart's CRD accepts", function () {
    const schema = crdSpecSchema(
      path.join(upstreamCharts, chartFolder, "crds/schedules.yaml"),
      "v1",
      "Schedule",
    );
    if (!schema) this.skip();
    assert.deepEqual(schemaProblems(scheduleSpec(schedules[0]), schema), []);
  });

  it("pins a release for every supported Kubernetes version and rejects others", () => {
    assert.equal(veleroRelease("1.34").chart.version, "12.1.0");
    assert.throws(() => veleroRelease("1.20"), /Kubernetes 1.20 has no pinned Velero version/);
  });
});

describe("Velero IAM and bucket policies", () => {
  const doc = veleroPolicy({
    partition: "aws",
    region: "eu-west-1",
    accountId: "111122223333",
    bucketArn: "arn:aws:s3:::backups",
    keyArn: key,
    volumeTag: { key: "platform:cluster", value: "production-numinia" },
  });
  const sid = (s: string) => doc.Statement.find((x) => x.Sid === s)!;
  it("reads and writes objects only in its bucket", () => {
    assert.equal(sid("BackupObjects").Resource, "arn:aws:s3:::backups/*");
    assert.equal(sid("ListBucket").Resource, "arn:aws:s3:::backups");
  });
  it("snapshots only this cluster's volumes and deletes only Velero's snapshots", () => {
    assert.deepEqual(sid("SnapshotClusterVolumes").Condition, {
      StringEquals: { "aws:ResourceTag/platform:cluster": "production-numinia" },
    });
    assert.deepEqual(sid("DeleteVeleroSnapshots").Condition, {
      Null: { "aws:ResourceTag/velero.io/backup": "false" },
    });
    assert.deepEqual(sid("TagOnCreate").Condition, {
      StringEquals: { "ec2:CreateAction": ["CreateSnapshot", "CreateVolume"] },
    });
  });
  it("uses only the one KMS key, grants for AWS resources only, and describes only in its region", () => {
    for (const s of doc.Statement.filter((x) => (x.Action as string[]).toString().includes("kms:")))
      assert.equal(s.Resource, key);
    assert.deepEqual(sid("KeyGrantsForEbs").Condition, { Bool: { "kms:GrantIsForAWSResource": "true" } });
    const star = doc.Statement.filter((s) => s.Resource === "*");
    assert.deepEqual(
      star.map((s) => s.Sid),
      ["Describe"],
    );
    assert.deepEqual(star[0].Condition, { StringEquals: { "aws:RequestedRegion": "eu-west-1" } });
  });
  it("the bucket refuses any request without TLS, on the bucket and its objects", () => {
    assert.deepEqual(tlsOnlyBucketPolicy("arn:aws:s3:::backups").Statement[0].Resource, [
      "arn:aws:s3:::backups",
      "arn:aws:s3:::backups/*",
    ]);
  });
});

describe("platform:velero config", () => {
  const base = minimalHub;
  const organizations = JSON.stringify([
    { name: "numinia", environments: [{ name: "pre" }, { name: "pro" }] },
    { name: "r3s3t", environments: [{ name: "pro", namespace: "reset" }] },
  ]);
  const load = (value: unknown, environment = "production") =>
    loadConfig(
      {
        ...base,
        "platform:environment": environment,
        "platform:organizations": organizations,
        "platform:velero": JSON.stringify(value),
      },
      "hub",
    );
  it("is on in production, off otherwise unless enabled", () => {
    assert.equal(veleroEnabled(load({})), true);
    assert.equal(veleroEnabled(load({}, "staging")), false);
    assert.equal(veleroEnabled(load({ enabled: true }, "staging")), true);
  });
  it("schedules every organization environment namespace", () => {
    assert.deepEqual(
      veleroSchedules(load({ schedule: "30 1 * * *", retentionDays: 14 })).map((s) => [
        s.namespace,
        s.schedule,
        s.retentionDays,
      ]),
      [
        ["numinia-pre", "30 1 * * *", 14],
        ["numinia", "30 1 * * *", 14],
        ["reset", "30 1 * * *", 14],
      ],
    );
  });
  it("rejects a schedule that is not cron and a retention out of range, naming the key", () => {
    assert.throws(
      () => load({ schedule: "daily at 2" }),
      /platform:velero\.schedule = "daily at 2": expected a cron expression of five fields/,
    );
    assert.throws(
      () => load({ retentionDays: 0 }),
      /platform:velero\.retentionDays = 0: expected an integer between 1 and 3650/,
    );
  });
});
