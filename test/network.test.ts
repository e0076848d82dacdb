import * as assert from "node:assert/strict";
import { Network, subnetMasks, subnetSpecs } from "../components/networking";
import { recorded, recordedResource, setupMocks } from "./mocks";

describe("networking: Network", () => {
  before(async () => {
    setupMocks({ region: "eu-west-1" });
    new Network("net", {
      cidrBlock: "10.0.0.0/16",
      region: "eu-west-1",
      clusterName: "production-numinia",
      availabilityZoneCount: 3,
      natGateways: "Single",
      databaseSubnets: true,
      vpcEndpoints: ["s3", "ecr.api", "sts"],
      flowLogRetentionDays: 30,
      protect: true,
      tags: { owner: "platform" },
    });
    await recorded();
  });

  it("passes the CIDR, 3 AZs and the NAT strategy to awsx", async () => {
    const vpc = await recordedResource("awsx:ec2:Vpc", "net-vpc");
    assert.equal(vpc.inputs.cidrBlock, "10.0.0.0/16");
    assert.equal(vpc.inputs.numberOfAvailabilityZones, 3);
    assert.deepEqual(vpc.inputs.natGateways, { strategy: "Single" });
    assert.equal(vpc.inputs.enableDnsHostnames, true);
  });

  it("tags subnets for load balancers and the cluster, and adds database subnets", async () => {
    const vpc = await recordedResource("awsx:ec2:Vpc", "net-vpc");
    const specs = vpc.inputs.subnetSpecs as {
      type: string;
      cidrMask: number;
      tags: Record<string, string>;
    }[];
    const byType = Object.fromEntries(specs.map((s) => [s.type, s]));
    assert.equal(byType.Private.tags["kubernetes.io/role/internal-elb"], "1");
    assert.equal(byType.Public.tags["kubernetes.io/role/elb"], "1");
    assert.equal(byType.Private.tags["kubernetes.io/cluster/production-numinia"], "shared");
    assert.equal(byType.Private.cidrMask, 19);
    assert.equal(byType.Isolated.cidrMask, 22);
  });

  it("routes S3 through a gateway endpoint and the rest through private interface endpoints", async () => {
    const vpc = await recordedResource("awsx:ec2:Vpc", "net-vpc");
    assert.deepEqual(vpc.inputs.vpcEndpointSpecs, [
      { serviceName: "com.amazonaws.eu-west-1.s3", vpcEndpointType: "Gateway" },
    ]);
    const endpoints = (await recorded()).filter((r) => r.type === "aws:ec2/vpcEndpoint:VpcEndpoint");
    assert.deepEqual(endpoints.map((e) => e.inputs.serviceName).sort(), [
      "com.amazonaws.eu-west-1.ecr.api",
      "com.amazonaws.eu-west-1.sts",
    ]);
    for (const e of endpoints) {
      assert.equal(e.inputs.privateDnsEnabled, true);
      assert.equal((e.inputs.subnetIds as string[]).length, 3);
    }
    const sg = await recordedResource("aws:ec2/securityGroup:SecurityGroup", "net-endpoints");
    const ingress = sg.inputs.ingress as Record<string, unknown>[];
    assert.equal(ingress.length, 1);
    assert.deepEqual(
      [ingress[0].protocol, ingress[0].fromPort, ingress[0].toPort, ingress[0].cidrBlocks],
      ["tcp", 443, 443, ["10.0.0.0/16"]],
    );
  });

  it("sends all VPC traffic to a KMS-encrypted flow log group with the configured retention", async () => {
    const flowLog = await recordedResource("aws:ec2/flowLog:FlowLog", "net-flow-log");
    const group = await recordedResource("aws:cloudwatch/logGroup:LogGroup", "net-flow-logs");
    const key = await recordedResource("aws:kms/key:Key", "net-logs");
    assert.equal(flowLog.inputs.trafficType, "ALL");
    assert.equal(flowLog.inputs.logDestinationType, "cloud-watch-logs");
    assert.equal(flowLog.inputs.logDestination, group.outputs.arn);
    assert.equal(group.inputs.retentionInDays, 30);
    assert.equal(group.inputs.kmsKeyId, key.outputs.arn);
    assert.equal(key.inputs.enableKeyRotation, true);
    assert.equal(key.protect, true);
    const policy = JSON.parse(key.inputs.policy as string);
    assert.equal(policy.Statement[1].Principal.Service, "logs.eu-west-1.amazonaws.com");
  });

  it("scopes the flow-log role's permissions to its own log group", async () => {
    const group = await recordedResource("aws:cloudwatch/logGroup:LogGroup", "net-flow-logs");
    const policy = JSON.parse(
      (await recordedResource("aws:iam/rolePolicy:RolePolicy", "net-flow-logs")).inputs.policy as string,
    );
    assert.deepEqual(policy.Statement[0].Resource, [group.outputs.arn, `${group.outputs.arn}:*`]);
    assert.ok(!JSON.stringify(policy).includes('"*"'));
  });

  it("keeps the default security group without rules", async () => {
    const sg = await recordedResource("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", "net-default");
    assert.deepEqual(sg.inputs.ingress, []);
    assert.deepEqual(sg.inputs.egress, []);
  });

  it("puts the Name tag first and the user's tags on every AWS resource", async () => {
    const key = await recordedResource("aws:kms/key:Key", "net-logs");
    assert.deepEqual(Object.keys(key.inputs.tags as object)[0], "Name");
    assert.equal((key.inputs.tags as Record<string, string>).owner, "platform");
  });
});

describe("networking: subnet maths", () => {
  it("sizes private subnets for pod IPs and the rest smaller", () => {
    assert.deepEqual(subnetMasks(16), { private: 19, public: 22, database: 22 });
    assert.deepEqual(subnetMasks(20), { private: 23, public: 26, database: 26 });
    assert.throws(() => subnetMasks(24), /outside \/16\.\.\/20/);
  });
  it("adds database subnets only when asked", () => {
    assert.deepEqual(
      subnetSpecs("10.0.0.0/16", "c", false).map((s) => s.type),
      ["Private", "Public"],
    );
    assert.deepEqual(
      subnetSpecs("10.0.0.0/16", "c", true).map((s) => s.type),
      ["Private", "Public", "Isolated"],
    );
  });
});
