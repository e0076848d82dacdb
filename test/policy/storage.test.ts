import * as assert from "assert";
import {
  ebsVolumeCmk,
  ecrImmutableTags,
  ecrCmk,
  ecrScanOnPush,
  efsAccessPointScoped,
  efsCmk,
  efsMultiAz,
  s3KmsEncryption,
  s3PublicAccessBlock,
  storageClassEbsEncrypted,
  storageClassEbsKmsKey,
} from "../../policy/policies/storage";
import { makeUrn, runResourcePolicy, runStackPolicy } from "../../policy/testing";
import { messages } from "./helpers";

const KEY = "arn:aws:kms:eu-west-1:111122223333:key/k";
const SC = "kubernetes:storage.k8s.io/v1:StorageClass";
const BUCKET = "aws:s3/bucket:Bucket";
const bucketUrn = makeUrn(BUCKET, "logs");
const allBlocks = {
  blockPublicAcls: true,
  blockPublicPolicy: true,
  ignorePublicAcls: true,
  restrictPublicBuckets: true,
};

describe("policy: storage", () => {
  it("ebs-volume-cmk fires on unencrypted and AWS-key volumes", async () => {
    assert.match(
      (await messages(ebsVolumeCmk(), "aws:ebs/volume:Volume", { size: 10 }))[0]!,
      /encrypted is not true/,
    );
    assert.match(
      (await messages(ebsVolumeCmk(), "aws:ebs/volume:Volume", { encrypted: true }))[0]!,
      /kmsKeyId is not set/,
    );
  });
  it("ebs-volume-cmk is quiet with a customer key", async () => {
    assert.deepStrictEqual(
      await messages(ebsVolumeCmk(), "aws:ebs/volume:Volume", { encrypted: true, kmsKeyId: KEY }),
      [],
    );
  });
  it("efs-cmk fires without encryption or customer key", async () => {
    assert.match(
      (await messages(efsCmk(), "aws:efs/fileSystem:FileSystem", {}))[0]!,
      /encrypted is not true/,
    );
    assert.match(
      (await messages(efsCmk(), "aws:efs/fileSystem:FileSystem", { encrypted: true }))[0]!,
      /aws\/elasticfilesystem/,
    );
  });
  it("efs-cmk is quiet with a customer key", async () => {
    assert.deepStrictEqual(
      await messages(efsCmk(), "aws:efs/fileSystem:FileSystem", { encrypted: true, kmsKeyId: KEY }),
      [],
    );
  });
  it("efs-multi-az fires on One Zone file systems and accepts Regional ones", async () => {
    assert.match(
      (
        await messages(efsMultiAz(), "aws:efs/fileSystem:FileSystem", { availabilityZoneName: "eu-west-1a" })
      )[0]!,
      /availabilityZoneName is eu-west-1a/,
    );
    assert.deepStrictEqual(
      await messages(efsMultiAz(), "aws:efs/fileSystem:FileSystem", { encrypted: true }),
      [],
    );
  });
  it("efs-access-point-scoped fires on a root access point without POSIX user", async () => {
    const m = await messages(efsAccessPointScoped(), "aws:efs/accessPoint:AccessPoint", {
      fileSystemId: "fs-1",
      rootDirectory: { path: "/" },
    });
    assert.deepStrictEqual(m.length, 2);
    assert.match(m[0]!, /posixUser is not set/);
    assert.match(m[1]!, /rootDirectory\.path is "\/"/);
  });
  it("efs-access-point-scoped accepts a scoped access point", async () => {
    assert.deepStrictEqual(
      await messages(efsAccessPointScoped(), "aws:efs/accessPoint:AccessPoint", {
        posixUser: { uid: 1000, gid: 1000 },
        rootDirectory: { path: "/numinia" },
      }),
      [],
    );
  });
  it("storageclass-ebs-encrypted fires on an unencrypted gp3 class and ignores other provisioners", async () => {
    assert.match(
      (
        await messages(storageClassEbsEncrypted(), SC, {
          provisioner: "ebs.csi.aws.com",
          parameters: { type: "gp3" },
        })
      )[0]!,
      /parameters\.encrypted is not set/,
    );
    assert.match(
      (
        await messages(storageClassEbsEncrypted(), SC, {
          provisioner: "ebs.csi.aws.com",
          parameters: { encrypted: "false" },
        })
      )[0]!,
      /is "false"/,
    );
    const efs = await runResourcePolicy(storageClassEbsEncrypted(), {
      type: SC,
      props: { provisioner: "efs.csi.aws.com" },
    });
    assert.match(efs.notApplicable!, /provisioner is not ebs\.csi\.aws\.com/);
  });
  it('storageclass-ebs-encrypted is quiet on encrypted: "true"', async () => {
    assert.deepStrictEqual(
      await messages(storageClassEbsEncrypted(), SC, {
        provisioner: "ebs.csi.aws.com",
        parameters: { encrypted: "true" },
      }),
      [],
    );
  });
  it("storageclass-ebs-kms-key (advisory) fires without kmsKeyId and is quiet with one", async () => {
    assert.strictEqual(storageClassEbsKmsKey().enforcementLevel, "advisory");
    assert.match(
      (
        await messages(storageClassEbsKmsKey(), SC, {
          provisioner: "ebs.csi.aws.com",
          parameters: { encrypted: "true" },
        })
      )[0]!,
      /kmsKeyId is not set/,
    );
    assert.deepStrictEqual(
      await messages(storageClassEbsKmsKey(), SC, {
        provisioner: "ebs.csi.aws.com",
        parameters: { encrypted: "true", kmsKeyId: KEY },
      }),
      [],
    );
  });

  describe("s3-public-access-block", () => {
    it("fires on a bucket without a block and on a partial block", async () => {
      const none = await runStackPolicy(s3PublicAccessBlock(), {
        resources: [{ type: BUCKET, name: "logs", props: {} }],
      });
      assert.match(none.violations[0]!.message, /bucket logs has no aws:s3\/bucketPublicAccessBlock/);
      const partial = await runStackPolicy(s3PublicAccessBlock(), {
        resources: [
          { type: BUCKET, name: "logs", props: {} },
          {
            type: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
            name: "logs-pab",
            props: { ...allBlocks, restrictPublicBuckets: false },
            dependencies: [bucketUrn],
          },
        ],
      });
      assert.strictEqual(partial.violations.length, 1);
      assert.match(partial.violations[0]!.message, /leaves restrictPublicBuckets off/);
    });
    it("is quiet with a full block (linked by dependency or by bucket name)", async () => {
      const byDep = await runStackPolicy(s3PublicAccessBlock(), {
        resources: [
          { type: BUCKET, name: "logs", props: {} },
          {
            type: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
            props: allBlocks,
            dependencies: [bucketUrn],
          },
        ],
      });
      const byName = await runStackPolicy(s3PublicAccessBlock(), {
        resources: [
          { type: "aws:s3/bucketV2:BucketV2", name: "logs", props: { bucket: "platform-logs" } },
          {
            type: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
            props: { ...allBlocks, bucket: "platform-logs" },
          },
        ],
      });
      assert.deepStrictEqual([byDep.violations, byName.violations], [[], []]);
    });
  });

  describe("s3-kms-encryption", () => {
    const sse = (alg: string, key?: string) => ({
      type: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
      props: {
        rules: [
          {
            applyServerSideEncryptionByDefault: {
              sseAlgorithm: alg,
              ...(key ? { kmsMasterKeyId: key } : {}),
            },
          },
        ],
      },
      dependencies: [bucketUrn],
    });
    it("fires without configuration and with AES256", async () => {
      const none = await runStackPolicy(s3KmsEncryption(), {
        resources: [{ type: BUCKET, name: "logs", props: {} }],
      });
      assert.match(none.violations[0]!.message, /no BucketServerSideEncryptionConfiguration/);
      const aes = await runStackPolicy(s3KmsEncryption(), {
        resources: [{ type: BUCKET, name: "logs", props: {} }, sse("AES256")],
      });
      assert.match(aes.violations[0]!.message, /does not use aws:kms/);
    });
    it("is quiet with aws:kms and a customer key", async () => {
      const r = await runStackPolicy(s3KmsEncryption(), {
        resources: [{ type: BUCKET, name: "logs", props: {} }, sse("aws:kms", KEY)],
      });
      assert.deepStrictEqual(r.violations, []);
    });
  });

  it("ecr-immutable-tags fires on MUTABLE and accepts IMMUTABLE", async () => {
    assert.match(
      (
        await messages(ecrImmutableTags(), "aws:ecr/repository:Repository", { imageTagMutability: "MUTABLE" })
      )[0]!,
      /imageTagMutability is MUTABLE/,
    );
    assert.deepStrictEqual(
      await messages(ecrImmutableTags(), "aws:ecr/repository:Repository", {
        imageTagMutability: "IMMUTABLE",
      }),
      [],
    );
  });
  it("ecr-immutable-tags and ecr-cmk judge repository creation templates too", async () => {
    const template = "aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate";
    assert.match(
      (await messages(ecrImmutableTags(), template, { prefix: "docker-hub" }))[0]!,
      /imageTagMutability is not set \(MUTABLE\)/,
    );
    assert.match(
      (await messages(ecrCmk(), template, { prefix: "docker-hub", imageTagMutability: "IMMUTABLE" }))[0]!,
      /encryptionType is not set \(AES256\)/,
    );
    const good = {
      prefix: "docker-hub",
      imageTagMutability: "IMMUTABLE",
      encryptionConfigurations: [
        { encryptionType: "KMS", kmsKey: "arn:aws:kms:eu-west-1:111122223333:key/k" },
      ],
    };
    assert.deepStrictEqual(await messages(ecrImmutableTags(), template, good), []);
    assert.deepStrictEqual(await messages(ecrCmk(), template, good), []);
  });
  it("ecr-scan-on-push fires without scanning and accepts scanOnPush", async () => {
    assert.match(
      (await messages(ecrScanOnPush(), "aws:ecr/repository:Repository", {}))[0]!,
      /scanOnPush is not true/,
    );
    assert.deepStrictEqual(
      await messages(ecrScanOnPush(), "aws:ecr/repository:Repository", {
        imageScanningConfiguration: { scanOnPush: true },
      }),
      [],
    );
  });
});
