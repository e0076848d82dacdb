import * as assert from "assert";
import {
  nodesEncryptedRootVolume,
  nodesImdsv2Required,
  nodesNoPublicIp,
  nodesNoSshKey,
} from "../../policy/policies/nodes";
import { messages } from "./helpers";

const LT = "aws:ec2/launchTemplate:LaunchTemplate";
const NG = "aws:eks/nodeGroup:NodeGroup";
const MNG = "eks:index:ManagedNodeGroup";
const CLUSTER = "eks:index:Cluster";

const goodLt = {
  metadataOptions: { httpTokens: "required", httpPutResponseHopLimit: 2, httpEndpoint: "enabled" },
  blockDeviceMappings: [
    {
      deviceName: "/dev/xvda",
      ebs: { encrypted: "true", kmsKeyId: "arn:aws:kms:eu-west-1:1:key/k", volumeType: "gp3" },
    },
  ],
  networkInterfaces: [{ associatePublicIpAddress: "false" }],
};

describe("policy: nodes", () => {
  describe("nodes-imdsv2-required", () => {
    it("fires on a launch template with optional tokens", async () => {
      assert.match(
        (
          await messages(nodesImdsv2Required(), LT, {
            ...goodLt,
            metadataOptions: { httpTokens: "optional" },
          })
        )[0]!,
        /httpTokens is optional/,
      );
    });
    it("fires on a hop limit above the configured maximum", async () => {
      const m = await messages(nodesImdsv2Required(), LT, {
        ...goodLt,
        metadataOptions: { httpTokens: "required", httpPutResponseHopLimit: 3 },
      });
      assert.match(m[0]!, /httpPutResponseHopLimit is 3, above 2/);
      assert.strictEqual(
        (
          await messages(
            nodesImdsv2Required(),
            LT,
            { ...goodLt, metadataOptions: { httpTokens: "required", httpPutResponseHopLimit: 2 } },
            { maxHopLimit: 1 },
          )
        ).length,
        1,
      );
    });
    it("fires on a ManagedNodeGroup without enableIMDSv2 or launch template, and a NodeGroup without template", async () => {
      assert.match((await messages(nodesImdsv2Required(), MNG, { diskSize: 50 }))[0]!, /enableIMDSv2/);
      assert.match((await messages(nodesImdsv2Required(), NG, {}))[0]!, /no launchTemplate/);
    });
    it("is quiet on a compliant template and on enableIMDSv2: true", async () => {
      assert.deepStrictEqual(await messages(nodesImdsv2Required(), LT, goodLt), []);
      assert.deepStrictEqual(await messages(nodesImdsv2Required(), MNG, { enableIMDSv2: true }), []);
      assert.deepStrictEqual(
        await messages(nodesImdsv2Required(), NG, { launchTemplate: { id: "lt-1", version: "1" } }),
        [],
      );
    });
  });

  describe("nodes-no-public-ip", () => {
    it("fires on a public network interface", async () => {
      assert.match(
        (
          await messages(nodesNoPublicIp(), LT, { networkInterfaces: [{ associatePublicIpAddress: "true" }] })
        )[0]!,
        /networkInterfaces\[0\]\.associatePublicIpAddress is "true"/,
      );
    });
    it("fires on an eks.Cluster default node group left at the public default", async () => {
      assert.match((await messages(nodesNoPublicIp(), CLUSTER, { version: "1.35" }))[0]!, /defaults to true/);
    });
    it("is quiet on private nodes or without a default node group", async () => {
      assert.deepStrictEqual(await messages(nodesNoPublicIp(), LT, goodLt), []);
      assert.deepStrictEqual(
        await messages(nodesNoPublicIp(), CLUSTER, { nodeAssociatePublicIpAddress: false }),
        [],
      );
      assert.deepStrictEqual(await messages(nodesNoPublicIp(), CLUSTER, { skipDefaultNodeGroup: true }), []);
    });
  });

  describe("nodes-no-ssh-key", () => {
    it("fires on a launch template keyName and on remoteAccess without source groups", async () => {
      assert.match((await messages(nodesNoSshKey(), LT, { keyName: "ops" }))[0]!, /keyName "ops"/);
      assert.match(
        (await messages(nodesNoSshKey(), MNG, { remoteAccess: { ec2SshKey: "ops" } }))[0]!,
        /without sourceSecurityGroupIds opens SSH/,
      );
      assert.match(
        (
          await messages(nodesNoSshKey(), NG, {
            remoteAccess: { ec2SshKey: "ops", sourceSecurityGroupIds: [] },
          })
        )[0]!,
        /ec2SshKey "ops"/,
      );
    });
    it("accepts remoteAccess limited to named security groups, and no key at all", async () => {
      assert.deepStrictEqual(
        await messages(nodesNoSshKey(), NG, {
          remoteAccess: { ec2SshKey: "ops", sourceSecurityGroupIds: ["sg-bastion"] },
        }),
        [],
      );
      assert.deepStrictEqual(await messages(nodesNoSshKey(), LT, goodLt), []);
    });
  });

  describe("nodes-encrypted-root-volume", () => {
    it("fires on unencrypted or AWS-key volumes", async () => {
      assert.match(
        (
          await messages(nodesEncryptedRootVolume(), LT, {
            blockDeviceMappings: [{ deviceName: "/dev/xvda", ebs: { encrypted: "false" } }],
          })
        )[0]!,
        /\/dev\/xvda: ebs\.encrypted is not "true"/,
      );
      assert.match(
        (
          await messages(nodesEncryptedRootVolume(), LT, {
            blockDeviceMappings: [{ deviceName: "/dev/xvda", ebs: { encrypted: "true" } }],
          })
        )[0]!,
        /kmsKeyId is not set/,
      );
      assert.match((await messages(nodesEncryptedRootVolume(), LT, {}))[0]!, /no blockDeviceMappings/);
    });
    it("fires on node groups without a launch template", async () => {
      assert.match(
        (await messages(nodesEncryptedRootVolume(), MNG, { diskSize: 50 }))[0]!,
        /no launchTemplate/,
      );
    });
    it("is quiet on customer-key encrypted volumes", async () => {
      assert.deepStrictEqual(await messages(nodesEncryptedRootVolume(), LT, goodLt), []);
      assert.deepStrictEqual(
        await messages(nodesEncryptedRootVolume(), MNG, { launchTemplate: { id: "lt-1", version: "1" } }),
        [],
      );
    });
  });
});
