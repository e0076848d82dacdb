/**
 * Controls added against the checkov checks the pack names: ECR, AWS Backup and SNS with customer
 * keys (CKV_AWS_136, CKV_AWS_166, CKV_AWS_26), secrets in launch-template user data (CKV_AWS_46), world-open egress
 * (CKV_AWS_382, advisory), and the node rules' IMDS-disabled and snapshot cases.
 */
import * as assert from "node:assert/strict";
import { evaluatePolicies, loadPolicyConfig } from "../../policy/engine";
import { makeUrn } from "../../policy/testing";
import { sgNoWorldEgress } from "../../policy/policies/network";
import {
  decodeUserData,
  nodesEncryptedRootVolume,
  nodesImdsv2Required,
  nodesNoUserDataSecrets,
} from "../../policy/policies/nodes";
import { backupVaultCmk, ecrCmk, snsTopicEncrypted } from "../../policy/policies/storage";
import { messages } from "./helpers";

const LT = "aws:ec2/launchTemplate:LaunchTemplate";
const key = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");

describe("policy: controls from the cited checkov checks", () => {
  describe("ecr-cmk (CKV_AWS_136)", () => {
    it("fires on the AES256 default and on KMS without a customer key", async () => {
      const none = await messages(ecrCmk(), "aws:ecr/repository:Repository", { name: "app" });
      assert.match(none[0]!, /encryptionType is not set \(AES256\)/);
      const aws = await messages(ecrCmk(), "aws:ecr/repository:Repository", {
        encryptionConfigurations: [{ encryptionType: "KMS" }],
      });
      assert.match(aws[0]!, /kmsKey is not set: the AWS-managed aws\/ecr key/);
    });
    it("stays quiet on KMS with a customer key", async () => {
      assert.deepEqual(
        await messages(ecrCmk(), "aws:ecr/repository:Repository", {
          encryptionConfigurations: [{ encryptionType: "KMS", kmsKey: key }],
        }),
        [],
      );
    });
  });

  describe("backup-vault-cmk (CKV_AWS_166)", () => {
    it("fires without kmsKeyArn", async () => {
      const m = await messages(backupVaultCmk(), "aws:backup/vault:Vault", { name: "v" });
      assert.match(m[0]!, /kmsKeyArn is not set/);
    });
    it("stays quiet with a customer key", async () => {
      assert.deepEqual(await messages(backupVaultCmk(), "aws:backup/vault:Vault", { kmsKeyArn: key }), []);
    });
  });

  describe("sns-topic-encrypted (CKV_AWS_26)", () => {
    const topic = "aws:sns/topic:Topic";
    it("fires without kmsMasterKeyId, with an empty one and with the AWS-managed SNS key", async () => {
      assert.match(
        (await messages(snsTopicEncrypted(), topic, { name: "t" }))[0]!,
        /kmsMasterKeyId is not set/,
      );
      assert.match(
        (await messages(snsTopicEncrypted(), topic, { kmsMasterKeyId: " " }))[0]!,
        /kmsMasterKeyId is not set/,
      );
      for (const managed of ["alias/aws/sns", "arn:aws:kms:eu-west-1:111122223333:alias/aws/sns"]) {
        const m = await messages(snsTopicEncrypted(), topic, { kmsMasterKeyId: managed });
        assert.equal(m.length, 1, managed);
        assert.match(m[0]!, /the AWS-managed SNS key: its policy is not yours/);
      }
    });
    it("stays quiet with a customer key, by ARN or by alias", async () => {
      for (const customer of [key, "alias/platform-alerts"])
        assert.deepEqual(
          await messages(snsTopicEncrypted(), topic, { kmsMasterKeyId: customer }),
          [],
          customer,
        );
    });
  });

  describe("nodes-no-user-data-secrets (CKV_AWS_46)", () => {
    const cases: [string, string, RegExp][] = [
      [
        "an access key ID",
        "#!/bin/bash\nexport AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\n",
        /line 2 contains an AWS access key ID/,
      ],
      [
        "a secret access key",
        "#!/bin/bash\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n",
        /contains an AWS secret access key/,
      ],
      [
        "a private key",
        "write_files:\n- content: |\n    -----BEGIN RSA PRIVATE KEY-----\n",
        /contains a private key/,
      ],
      ["a password", "#!/bin/bash\nDB_PASSWORD=hunter2hunter2\n", /contains a password/],
    ];
    for (const [name, script, pattern] of cases) {
      it(`fires on ${name} (base64 user data, as the provider wants it)`, async () => {
        const m = await messages(nodesNoUserDataSecrets(), LT, { userData: b64(script) });
        assert.ok(
          m.some((x) => pattern.test(x)),
          JSON.stringify(m),
        );
      });
    }
    it("also reads plain-text user data", async () => {
      const m = await messages(nodesNoUserDataSecrets(), LT, { userData: "password: s3cr3tValue" });
      assert.match(m[0]!, /contains a password/);
    });
    it("stays quiet on a nodeadm config, secrets read at boot, and a password from a variable", async () => {
      const nodeadm = [
        "MIME-Version: 1.0",
        'Content-Type: multipart/mixed; boundary="BOUNDARY"',
        "",
        "--BOUNDARY",
        "Content-Type: application/node.eks.aws",
        "",
        "apiVersion: node.eks.aws/v1alpha1",
        "kind: NodeConfig",
        "spec:",
        "  cluster:",
        "    name: prod",
        "    apiServerEndpoint: https://ABCDEF.gr7.eu-west-1.eks.amazonaws.com",
        `    certificateAuthority: ${b64("x".repeat(900))}`,
        "    cidr: 172.20.0.0/16",
        "--BOUNDARY",
        "Content-Type: text/x-shellscript",
        "",
        "#!/bin/bash",
        "DB_PASSWORD=$(aws secretsmanager get-secret-value --secret-id db --query SecretString --output text)",
        'PASSWORD="${DB_PASSWORD}"',
        "--BOUNDARY--",
      ].join("\n");
      assert.deepEqual(await messages(nodesNoUserDataSecrets(), LT, { userData: b64(nodeadm) }), []);
    });
    it("decodes base64 only when it decodes to text", () => {
      assert.equal(decodeUserData(b64("#!/bin/bash\necho hi\n")), "#!/bin/bash\necho hi\n");
      assert.equal(decodeUserData("echo hi"), "echo hi");
    });
  });

  describe("sg-no-world-egress (CKV_AWS_382, advisory)", () => {
    it("is advisory by default, and production.json keeps it advisory under all: mandatory", async () => {
      assert.equal(sgNoWorldEgress().enforcementLevel, "advisory");
      const type = "aws:ec2/securityGroup:SecurityGroup";
      const sg = {
        urn: makeUrn(type, "nodes", "spoke-prod"),
        type,
        name: "nodes",
        protect: false,
        props: { egress: [{ protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"] }] },
      };
      const verdicts = await evaluatePolicies([sg], {
        stack: "spoke-prod",
        project: "platform",
        policies: [sgNoWorldEgress()],
        policyConfig: loadPolicyConfig("policy/config/production.json"),
      });
      assert.deepEqual(
        verdicts.map((v) => [v.policy, v.enforcementLevel]),
        [["sg-no-world-egress", "advisory"]],
      );
    });
    it("fires on all-traffic egress to 0.0.0.0/0 and ::/0 (inline, rule and vpc egress rule)", async () => {
      const sg = await messages(sgNoWorldEgress(), "aws:ec2/securityGroup:SecurityGroup", {
        egress: [
          { protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"], ipv6CidrBlocks: ["::/0"] },
        ],
      });
      assert.match(sg[0]!, /egress\[0\] lets traffic out to 0\.0\.0\.0\/0, ::\/0 on all ports/);
      const rule = await messages(sgNoWorldEgress(), "aws:ec2/securityGroupRule:SecurityGroupRule", {
        type: "egress",
        protocol: "tcp",
        fromPort: 0,
        toPort: 65535,
        cidrBlocks: ["0.0.0.0/0"],
      });
      assert.match(rule[0]!, /ports 0-65535\/tcp/);
      const vpc = await messages(
        sgNoWorldEgress(),
        "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
        {
          ipProtocol: "-1",
          cidrIpv4: "0.0.0.0/0",
        },
      );
      assert.equal(vpc.length, 1);
    });
    it("stays quiet on allowlisted ports, private destinations and ingress rules", async () => {
      const https = {
        type: "egress",
        protocol: "tcp",
        fromPort: 443,
        toPort: 443,
        cidrBlocks: ["0.0.0.0/0"],
      };
      assert.equal(
        (await messages(sgNoWorldEgress(), "aws:ec2/securityGroupRule:SecurityGroupRule", https)).length,
        1,
        "not allowlisted by default",
      );
      assert.deepEqual(
        await messages(sgNoWorldEgress(), "aws:ec2/securityGroupRule:SecurityGroupRule", https, {
          allowedPorts: [443],
        }),
        [],
      );
      assert.deepEqual(
        await messages(sgNoWorldEgress(), "aws:ec2/securityGroup:SecurityGroup", {
          egress: [{ protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["10.0.0.0/16"] }],
          ingress: [{ protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"] }],
        }),
        [],
      );
    });
  });

  describe("nodes-imdsv2-required with IMDS disabled", () => {
    it('passes httpEndpoint "disabled" (no IMDS at all)', async () => {
      assert.deepEqual(
        await messages(nodesImdsv2Required(), LT, { metadataOptions: { httpEndpoint: "disabled" } }),
        [],
      );
    });
    it("still fires on an enabled endpoint with optional tokens", async () => {
      const m = await messages(nodesImdsv2Required(), LT, {
        metadataOptions: { httpEndpoint: "enabled", httpTokens: "optional" },
      });
      assert.match(m[0]!, /httpTokens is optional/);
    });
  });

  describe("nodes-encrypted-root-volume with a snapshot", () => {
    const fromSnapshot = {
      blockDeviceMappings: [
        { deviceName: "/dev/xvda", ebs: { snapshotId: "snap-0abc123", volumeType: "gp3" } },
      ],
    };
    it("fires on a snapshot it cannot vouch for, saying how to comply", async () => {
      const m = await messages(nodesEncryptedRootVolume(), LT, fromSnapshot);
      assert.equal(m.length, 1);
      assert.match(
        m[0]!,
        /restored from snapshot snap-0abc123.*SnapshotCopy \{ encrypted: true, kmsKeyId \}.*encryptedSnapshotIds/,
      );
    });
    it("accepts a snapshot listed in encryptedSnapshotIds", async () => {
      assert.deepEqual(
        await messages(nodesEncryptedRootVolume(), LT, fromSnapshot, {
          encryptedSnapshotIds: ["snap-0abc123"],
        }),
        [],
      );
    });
  });
});
