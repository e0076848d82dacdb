import { strict as assert } from "node:assert";
import * as path from "node:path";
import * as k8s from "@pulumi/kubernetes";
import { recorded, setupMocks, type RecordedResource } from "./mocks";
import {
  Karpenter,
  KARPENTER_VERSIONS,
  ec2NodeClassSpec,
  interruptionQueuePolicy,
  karpenterCharts,
  karpenterControllerPolicy,
  karpenterValues,
  nodePoolSpec,
  pricingRegion,
} from "../components/karpenter";
import { SUPPORTED_KUBERNETES_VERSIONS } from "../components/cluster";
import { loadConfig } from "../stacks/config";
import { karpenterConfigSchema, karpenterEnabled } from "../stacks/karpenter";
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

const chartFolder = `karpenter-${KARPENTER_VERSIONS["1.35"]}`;
const policyArgs = {
  partition: "aws",
  region: "eu-west-1",
  accountId: "111122223333",
  clusterName: "production-numinia",
  queueArn: "arn:aws:sqs:eu-west-1:111122223333:Karpenter-production-numinia",
  nodeRoleArn: "arn:aws:iam::111122223333:role/karpenter-node",
  keyArn: "arn:aws:kms:eu-west-1:111122223333:key/abc",
};
const pool = karpenterConfigSchema.parse({ nodePools: [{ name: "default" }] }).nodePools[0];

describe("add-on: Karpenter", function () {
  let all: RecordedResource[];
  const of = (type: string) => all.filter((r) => r.type === type);
  before(async () => {
    setupMocks({ stack: "hub" });
    const provider = new k8s.Provider("karpenter-k8s", { kubeconfig: "{}" });
    new Karpenter("spoke", {
      clusterName: "production-numinia",
      eksClusterName: "production-numinia",
      kubernetesVersion: "1.35",
      region: "eu-west-1",
      keyArn: policyArgs.keyArn,
      amiFamily: "AL2023",
      amiVersion: "latest",
      diskSizeGiB: 50,
      metadataHopLimit: 2,
      nodePools: [pool, { ...pool, name: "spot", capacityTypes: ["spot"] }],
      provider,
      production: true,
      tags: { owner: "platform-team" },
    });
    all = await recorded();
  });

  it("installs the pinned karpenter-crd and karpenter charts in kube-system, CRDs first", () => {
    const releases = of("kubernetes:helm.sh/v3:Release");
    const crd = releases.find((r) => r.inputs.name === "karpenter-crd")!;
    const controller = releases.find((r) => r.inputs.name === "karpenter")!;
    assert.equal(crd.inputs.chart, "oci://public.ecr.aws/karpenter/karpenter-crd");
    assert.equal(controller.inputs.chart, "oci://public.ecr.aws/karpenter/karpenter");
    assert.equal(controller.inputs.version, "1.14.1");
    assert.equal(controller.inputs.namespace, "kube-system");
    assert.equal(controller.inputs.repositoryOpts, undefined);
    assert.ok(controller.dependencies.includes(crd.urn));
    const values = controller.inputs.values as Record<string, any>;
    assert.equal(values.settings.clusterName, "production-numinia");
    assert.equal(values.settings.interruptionQueue, "Karpenter-production-numinia");
    assert.equal(values.replicas, 2);
  });

  it("gives the controller a Pod Identity association for kube-system/karpenter", () => {
    const [assoc] = of("aws:eks/podIdentityAssociation:PodIdentityAssociation");
    assert.equal(assoc.inputs.namespace, "kube-system");
    assert.equal(assoc.inputs.serviceAccount, "karpenter");
    assert.equal(assoc.inputs.clusterName, "production-numinia");
    const controller = of("kubernetes:helm.sh/v3:Release").find((r) => r.inputs.name === "karpenter")!;
    assert.ok(
      controller.dependencies.includes(assoc.urn),
      "the controller starts after its credentials exist",
    );
  });

  it("gives Karpenter's node role an EC2_LINUX access entry", () => {
    const [entry] = of("aws:eks/accessEntry:AccessEntry");
    assert.equal(entry.inputs.type, "EC2_LINUX");
    const nodeRole = of("aws:iam/role:Role").find((r) => r.name === "spoke-karpenter-node")!;
    assert.match(String(entry.inputs.principalArn), new RegExp(`role/${nodeRole.name}`));
    const attached = of("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
      .filter((a) => a.name.startsWith("spoke-karpenter-node-"))
      .map((a) => String(a.inputs.policyArn).split("/").pop());
    assert.deepEqual(attached.sort(), [
      "AmazonEC2ContainerRegistryPullOnly",
      "AmazonEKSWorkerNodePolicy",
      "AmazonEKS_CNI_Policy",
    ]);
  });

  it("feeds an encrypted interruption queue from the four EventBridge rules only", () => {
    const [queue] = of("aws:sqs/queue:Queue");
    assert.equal(queue.inputs.sqsManagedSseEnabled, true);
    assert.equal(queue.inputs.messageRetentionSeconds, 300);
    const rules = of("aws:cloudwatch/eventRule:EventRule").map((r) =>
      JSON.parse(String(r.inputs.eventPattern)),
    );
    assert.deepEqual(rules.map((p) => p["detail-type"][0]).sort(), [
      "AWS Health Event",
      "EC2 Instance Rebalance Recommendation",
      "EC2 Instance State-change Notification",
      "EC2 Spot Instance Interruption Warning",
    ]);
    assert.equal(of("aws:cloudwatch/eventTarget:EventTarget").length, 4);
    const [queuePolicy] = of("aws:sqs/queuePolicy:QueuePolicy");
    const doc = JSON.parse(String(queuePolicy.inputs.policy));
    assert.equal(doc.Statement[0].Principal.Service, "events.amazonaws.com");
    assert.equal(doc.Statement[0].Condition.ArnEquals["aws:SourceArn"].length, 4);
    assert.equal(doc.Statement[1].Effect, "Deny");
  });

  it("creates the EC2NodeClass and one NodePool per configured pool", () => {
    const crs = of("kubernetes:karpenter.k8s.aws/v1:EC2NodeClass");
    assert.equal(crs.length, 1);
    const spec = crs[0].inputs.spec as Record<string, any>;
    assert.equal(spec.metadataOptions.httpTokens, "required");
    assert.equal(spec.metadataOptions.httpPutResponseHopLimit, 2);
    assert.equal(spec.blockDeviceMappings[0].ebs.encrypted, true);
    assert.equal(spec.blockDeviceMappings[0].ebs.kmsKeyID, policyArgs.keyArn);
    const pools = of("kubernetes:karpenter.sh/v1:NodePool").map((r) => (r.inputs.metadata as any).name);
    assert.deepEqual(pools, ["default", "spot"]);
  });
});

describe("Karpenter values and manifests against the upstream chart", function () {
  it("sets only keys the chart's values.yaml at the pinned version declares", function () {
    const chart = upstreamValues(chartFolder);
    if (!chart) this.skip();
    const ours = karpenterValues({ clusterName: "c", interruptionQueue: "q", production: true });
    assert.deepEqual(undeclaredValues(ours, chart, ["affinity"]), []);
  });

  it("renders with helm: the controller tolerates the system taint and knows its cluster and queue", function () {
    const helm = helmBinary();
    if (!helm || !upstreamValues(chartFolder)) this.skip();
    const objects = helmTemplate(
      helm,
      chartFolder,
      "kube-system",
      karpenterValues({ clusterName: "c", interruptionQueue: "q", production: true }),
    );
    const deployment = objects.find((o) => o.kind === "Deployment")!;
    const pod = deployment.spec.template.spec;
    assert.deepEqual(pod.tolerations, [{ key: "CriticalAddonsOnly", operator: "Exists" }]);
    assert.equal(
      pod.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].preference
        .matchExpressions[0].key,
      "node-role",
    );
    const env = Object.fromEntries(pod.containers[0].env.map((e: any) => [e.name, e.value]));
    assert.equal(env.CLUSTER_NAME, "c");
    assert.equal(env.INTERRUPTION_QUEUE, "q");
    assert.equal(objects.find((o) => o.kind === "ServiceAccount")!.metadata.name, "karpenter");
  });

  it("writes EC2NodeClasses (AL2023 and Bottlerocket) the CRD schema accepts", function () {
    const schema = crdSpecSchema(
      path.join(upstreamCharts, chartFolder, "crds/karpenter.k8s.aws_ec2nodeclasses.yaml"),
      "v1",
    );
    if (!schema) this.skip();
    for (const amiFamily of ["AL2023", "Bottlerocket"] as const) {
      const spec = ec2NodeClassSpec({
        clusterName: "c",
        nodeRoleName: "r",
        amiFamily,
        amiVersion: "latest",
        diskSizeGiB: 80,
        metadataHopLimit: 2,
        keyArn: policyArgs.keyArn,
        tags: { owner: "x" },
      });
      assert.deepEqual(schemaProblems(spec, schema), [], amiFamily);
      for (const device of spec.blockDeviceMappings as any[]) assert.equal(device.ebs.encrypted, true);
    }
  });

  it("selects the private subnets and the cluster security group by the tags they carry", () => {
    const spec = ec2NodeClassSpec({
      clusterName: "production-numinia",
      nodeRoleName: "r",
      amiFamily: "Bottlerocket",
      amiVersion: "v1.30.0",
      diskSizeGiB: 80,
      metadataHopLimit: 1,
      keyArn: "k",
      tags: {},
    }) as Record<string, any>;
    // components/networking tags private subnets so; EKS tags its cluster security group aws:eks:cluster-name.
    assert.deepEqual(spec.subnetSelectorTerms, [
      {
        tags: {
          "kubernetes.io/cluster/production-numinia": "shared",
          "kubernetes.io/role/internal-elb": "1",
        },
      },
    ]);
    assert.deepEqual(spec.securityGroupSelectorTerms, [
      { tags: { "aws:eks:cluster-name": "production-numinia" } },
    ]);
    assert.deepEqual(spec.amiSelectorTerms, [{ alias: "bottlerocket@v1.30.0" }]);
    assert.equal(spec.metadataOptions.httpPutResponseHopLimit, 1);
    assert.equal(spec.blockDeviceMappings[1].ebs.volumeSize, "80Gi");
  });

  it("writes NodePools the CRD schema accepts, by categories or by exact types", function () {
    const schema = crdSpecSchema(
      path.join(upstreamCharts, chartFolder, "crds/karpenter.sh_nodepools.yaml"),
      "v1",
    );
    if (!schema) this.skip();
    const byTypes = {
      ...pool,
      instanceTypes: ["m6i.large"],
      taints: [{ key: "gpu", effect: "NoSchedule" as const }],
      weight: 10,
    };
    for (const p of [pool, byTypes]) assert.deepEqual(schemaProblems(nodePoolSpec(p, "default"), schema), []);
    const requirements = (nodePoolSpec(pool, "default") as any).template.spec.requirements;
    assert.deepEqual(
      requirements.find((r: any) => r.key === "karpenter.k8s.aws/instance-generation"),
      { key: "karpenter.k8s.aws/instance-generation", operator: "Gt", values: ["4"] },
    );
  });

  it("pins a Karpenter release for every supported Kubernetes version and rejects others", () => {
    for (const version of SUPPORTED_KUBERNETES_VERSIONS)
      assert.match(karpenterCharts(version).controller.version, /^\d+\.\d+\.\d+$/);
    assert.throws(() => karpenterCharts("1.20"), /Kubernetes 1.20 has no pinned Karpenter version/);
  });
});

describe("Karpenter controller IAM policy", () => {
  const statements = karpenterControllerPolicy(policyArgs).Statement;
  const sid = (id: string) => statements.find((s) => s.Sid === id)!;

  it("conditions every statement on Resource * (region or pricing region)", () => {
    for (const s of statements) {
      const resources = Array.isArray(s.Resource) ? s.Resource : [s.Resource];
      if (resources.includes("*")) assert.ok(s.Condition?.StringEquals?.["aws:RequestedRegion"], s.Sid);
    }
    assert.equal(sid("AllowRegionalReadActions").Condition!.StringEquals["aws:RequestedRegion"], "eu-west-1");
    assert.equal(
      sid("AllowPricingReadActions").Condition!.StringEquals["aws:RequestedRegion"],
      "eu-central-1",
    );
    assert.equal(pricingRegion("us-west-2"), "us-east-1");
    assert.equal(pricingRegion("ap-southeast-2"), "ap-south-1");
  });

  it("launches and deletes only what carries the cluster's owned tag and a NodePool tag", () => {
    for (const id of ["AllowScopedEC2InstanceActionsWithTags", "AllowScopedResourceCreationTagging"]) {
      assert.equal(
        sid(id).Condition!.StringEquals["aws:RequestTag/kubernetes.io/cluster/production-numinia"],
        "owned",
      );
      assert.equal(sid(id).Condition!.StringLike["aws:RequestTag/karpenter.sh/nodepool"], "*");
    }
    const deletion = sid("AllowScopedDeletion");
    assert.deepEqual(deletion.Action, ["ec2:TerminateInstances", "ec2:DeleteLaunchTemplate"]);
    assert.equal(
      deletion.Condition!.StringEquals["aws:ResourceTag/kubernetes.io/cluster/production-numinia"],
      "owned",
    );
  });

  it("passes only its node role to EC2, reads only its queue and uses the cluster key only through EC2", () => {
    const pass = sid("AllowPassingInstanceRole");
    assert.equal(pass.Resource, policyArgs.nodeRoleArn);
    assert.equal(pass.Condition!.StringEquals["iam:PassedToService"], "ec2.amazonaws.com");
    assert.equal(sid("AllowInterruptionQueueActions").Resource, policyArgs.queueArn);
    const kms = sid("AllowEncryptedVolumesWithClusterKey");
    assert.equal(kms.Resource, policyArgs.keyArn);
    assert.equal(kms.Condition!.StringEquals["kms:ViaService"], "ec2.eu-west-1.amazonaws.com");
    assert.equal(
      sid("AllowAPIServerEndpointDiscovery").Resource,
      "arn:aws:eks:eu-west-1:111122223333:cluster/production-numinia",
    );
    for (const s of statements) {
      const actions = Array.isArray(s.Action) ? s.Action : [s.Action];
      assert.ok(!actions.some((a) => a === "*" || a.endsWith(":*")), s.Sid);
    }
  });

  it("lets EventBridge send to the queue only from the platform's rules, over TLS", () => {
    const doc = interruptionQueuePolicy("arn:q", ["arn:r1", "arn:r2"]);
    assert.deepEqual(doc.Statement[0].Condition, { ArnEquals: { "aws:SourceArn": ["arn:r1", "arn:r2"] } });
    assert.deepEqual(doc.Statement[1].Condition, { Bool: { "aws:SecureTransport": "false" } });
  });
});

describe("platform:karpenter config", () => {
  const base = minimalHub;

  it("is on by default in production only", () => {
    assert.equal(karpenterEnabled(loadConfig(base, "dev")), false);
    assert.equal(
      karpenterEnabled(loadConfig({ ...base, "platform:environment": "production" }, "prod")),
      true,
    );
    const off = loadConfig(
      { ...base, "platform:environment": "production", "platform:karpenter": '{"enabled":false}' },
      "prod",
    );
    assert.equal(karpenterEnabled(off), false);
  });

  it("fills NodePool defaults (one on-demand pool) and takes pulumi config set --path values", () => {
    const config = loadConfig(
      { ...base, "platform:karpenter": '{"enabled":true,"amiFamily":"Bottlerocket"}' },
      "dev",
    );
    assert.equal(config.karpenter.amiFamily, "Bottlerocket");
    assert.deepEqual(config.karpenter.nodePools[0].capacityTypes, ["on-demand"]);
    assert.equal(config.karpenter.nodePools[0].name, "default");
  });

  it("rejects bad values with one line naming the key", () => {
    const bad = (value: unknown) => () =>
      loadConfig({ ...base, "platform:karpenter": JSON.stringify(value) }, "dev");
    assert.throws(
      bad({ amiFamily: "AL2" }),
      /platform:karpenter\.amiFamily = "AL2": expected AL2023 or Bottlerocket/,
    );
    assert.throws(
      bad({ nodePools: [{ name: "a", capacityTypes: ["preemptible"] }] }),
      /platform:karpenter\.nodePools\[0\]\.capacityTypes\[0\] = "preemptible": expected on-demand, spot or reserved/,
    );
    assert.throws(
      bad({ nodePools: [{ name: "a" }, { name: "a" }] }),
      /platform:karpenter\.nodePools\[1\]\.name = "a": expected a NodePool name used once/,
    );
    assert.throws(bad({ nodepools: [] }), /platform:karpenter/);
  });
});
