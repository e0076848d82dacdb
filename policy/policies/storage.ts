/**
 * Storage policies: EBS and EFS encryption with customer keys, EFS availability and access points,
 * EBS CSI StorageClasses, S3 public access and encryption, ECR repositories, AWS Backup vaults, SNS
 * topics encrypted with customer keys.
 */
import type { PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import {
  asList,
  frameworks,
  isSet,
  refersTo,
  resourcePolicy,
  stackPolicy,
  tryGet,
  types,
  type PackPolicy,
  type ResourceCheck,
} from "./common";

/** `encrypted: true` with a customer `kmsKeyId` (EBS volumes and EFS file systems share the shape). */
const customerKeyCheck =
  (inClear: string, awsManagedKey: string): ResourceCheck =>
  (props, _args, report) => {
    if (props.encrypted !== true)
      report(`encrypted is not true: ${inClear}. Set encrypted: true and kmsKeyId.`);
    else if (!isSet(props.kmsKeyId))
      report(
        `kmsKeyId is not set: the AWS-managed ${awsManagedKey} key is used. Set kmsKeyId to a customer key.`,
      );
  };

export const ebsVolumeCmk = (): ResourceValidationPolicy =>
  resourcePolicy({
    name: "ebs-volume-cmk",
    description: "EBS volumes must be encrypted with a customer-managed KMS key.",
    severity: "high",
    framework: frameworks.checkov(
      "CKV_AWS_189",
      "Ensure EBS Volume is encrypted by KMS using a customer managed Key (CMK)",
    ),
    tags: ["storage", "encryption", "CKV_AWS_3", "CKV_AWS_189"],
    remediationSteps: "Set encrypted: true and kmsKeyId: key.arn.",
    url: "https://docs.aws.amazon.com/ebs/latest/userguide/ebs-encryption.html",
    resourceTypes: [types.ebsVolume],
    checks: {
      "*": customerKeyCheck("the volume stores data in clear", "aws/ebs"),
    },
  });

export const efsCmk = (): ResourceValidationPolicy =>
  resourcePolicy({
    name: "efs-cmk",
    description: "EFS file systems must be encrypted with a customer-managed KMS key.",
    severity: "high",
    framework: frameworks.checkov(
      "CKV_AWS_184",
      "Ensure resource is encrypted by KMS using a customer managed Key (CMK)",
    ),
    tags: ["storage", "encryption", "CKV_AWS_42", "CKV_AWS_184"],
    remediationSteps: "Set encrypted: true and kmsKeyId: key.arn.",
    url: "https://docs.aws.amazon.com/efs/latest/ug/encryption-at-rest.html",
    resourceTypes: [types.efsFileSystem],
    checks: {
      "*": customerKeyCheck("files are stored in clear", "aws/elasticfilesystem"),
    },
  });

export const efsMultiAz = (): ResourceValidationPolicy =>
  resourcePolicy({
    name: "efs-multi-az",
    description: "EFS file systems must be Regional (multi-AZ), not One Zone.",
    severity: "medium",
    framework: frameworks.platform("storage-ha", "Shared storage survives the loss of one Availability Zone"),
    tags: ["storage", "availability"],
    remediationSteps: "Remove availabilityZoneName and create one mount target per AZ.",
    url: "https://docs.aws.amazon.com/efs/latest/ug/availability-durability.html",
    resourceTypes: [types.efsFileSystem],
    checks: {
      "*": (props, _args, report) => {
        if (isSet(props.availabilityZoneName)) {
          report(
            `availabilityZoneName is ${props.availabilityZoneName}: a One Zone file system is lost with that AZ. Remove it to get a Regional file system.`,
          );
        }
      },
    },
  });

export const efsAccessPointScoped = (): ResourceValidationPolicy =>
  resourcePolicy({
    name: "efs-access-point-scoped",
    description: "EFS access points must enforce a POSIX user and a root directory other than /.",
    severity: "medium",
    framework: frameworks.checkov("CKV_AWS_329", "EFS access points should enforce a root directory"),
    tags: ["storage", "CKV_AWS_329", "CKV_AWS_330"],
    remediationSteps:
      'Set posixUser { uid, gid } and rootDirectory { path: "/<tenant>", creationInfo { ownerUid, ownerGid, permissions: "700" } }.',
    url: "https://docs.aws.amazon.com/efs/latest/ug/efs-access-points.html",
    resourceTypes: [types.efsAccessPoint],
    checks: {
      "*": (props, _args, report) => {
        if (!props.posixUser)
          report(
            "posixUser is not set: clients act with their own (possibly root) identity. Set posixUser { uid, gid }.",
          );
        const path = props.rootDirectory?.path;
        if (!isSet(path) || path === "/") {
          report(
            `rootDirectory.path is ${isSet(path) ? '"/"' : "not set (/)"}: clients see the whole file system. Scope it to a sub-directory.`,
          );
        }
      },
    },
  });

const ebsCsiProvisioner = "ebs.csi.aws.com";

export const storageClassEbsEncrypted = (): ResourceValidationPolicy =>
  resourcePolicy({
    name: "storageclass-ebs-encrypted",
    description: `StorageClasses of the EBS CSI driver (${ebsCsiProvisioner}) must set parameters.encrypted "true".`,
    severity: "high",
    framework: frameworks.eksBestPractices("Data encryption and secrets management", "Encrypt data at rest"),
    tags: ["storage", "encryption", "kubernetes"],
    remediationSteps: 'Set parameters { encrypted: "true", kmsKeyId: key.arn }.',
    url: "https://github.com/kubernetes-sigs/aws-ebs-csi-driver/blob/master/docs/parameters.md",
    resourceTypes: [types.storageClass],
    checks: {
      "*": (props, args, report) => {
        if (props.provisioner !== ebsCsiProvisioner)
          return args.notApplicable(`provisioner is not ${ebsCsiProvisioner}`);
        if (props.parameters?.encrypted !== "true") {
          report(
            `parameters.encrypted is ${JSON.stringify(props.parameters?.encrypted) ?? "not set"}: volumes provisioned from this class are unencrypted. Set encrypted: "true".`,
          );
        }
      },
    },
  });

export const storageClassEbsKmsKey = (): ResourceValidationPolicy =>
  resourcePolicy({
    name: "storageclass-ebs-kms-key",
    description: `StorageClasses of the EBS CSI driver should name a customer KMS key (parameters.kmsKeyId).`,
    enforcementLevel: "advisory",
    severity: "medium",
    framework: frameworks.eksBestPractices("Data encryption and secrets management", "Encrypt data at rest"),
    tags: ["storage", "encryption", "kubernetes"],
    remediationSteps: "Set parameters.kmsKeyId to the platform's customer key ARN.",
    url: "https://github.com/kubernetes-sigs/aws-ebs-csi-driver/blob/master/docs/parameters.md",
    resourceTypes: [types.storageClass],
    checks: {
      "*": (props, args, report) => {
        if (props.provisioner !== ebsCsiProvisioner)
          return args.notApplicable(`provisioner is not ${ebsCsiProvisioner}`);
        if (!isSet(props.parameters?.kmsKeyId)) {
          report(
            "parameters.kmsKeyId is not set: volumes use the AWS-managed aws/ebs key. Set kmsKeyId to a customer key ARN.",
          );
        }
      },
    },
  });

const bucketTypes: readonly string[] = [types.bucket, types.bucketV2];

/** True when `ref` belongs to `bucket`: it depends on it, or names it by a known bucket name. */
function attachedTo(ref: PolicyResource, bucket: PolicyResource): boolean {
  if (refersTo(ref, bucket)) return true;
  const refBucket = tryGet(ref.props, "bucket");
  const name = tryGet(bucket.props, "bucket") ?? tryGet(bucket.props, "id");
  return isSet(refBucket) && refBucket === name;
}

const publicAccessFlags = [
  "blockPublicAcls",
  "blockPublicPolicy",
  "ignorePublicAcls",
  "restrictPublicBuckets",
] as const;

export const s3PublicAccessBlock = (): StackValidationPolicy =>
  stackPolicy({
    name: "s3-public-access-block",
    description: "Every S3 bucket must have a public access block with all four settings on.",
    severity: "critical",
    framework: frameworks.cisAws(
      "2.1.4",
      "Ensure that S3 Buckets are configured with 'Block public access (bucket settings)'",
    ),
    tags: [
      "storage",
      "s3",
      "CIS-AWS-2.1.4",
      "CKV2_AWS_6",
      "CKV_AWS_53",
      "CKV_AWS_54",
      "CKV_AWS_55",
      "CKV_AWS_56",
    ],
    remediationSteps:
      "Add aws.s3.BucketPublicAccessBlock { bucket: bucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true }.",
    url: "https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html",
    resourceTypes: [types.bucket, types.bucketV2, types.bucketPublicAccessBlock],
    validateStack: (args, report) => {
      const blocks = args.resources.filter((r) => r.type === types.bucketPublicAccessBlock);
      const buckets = args.resources.filter((r) => bucketTypes.includes(r.type));
      if (buckets.length === 0 && blocks.length === 0) return args.notApplicable("no S3 bucket in the stack");
      for (const b of blocks) {
        const off = publicAccessFlags.filter((f) => b.props[f] !== true);
        if (off.length)
          report(
            `public access block ${b.name} leaves ${off.join(", ")} off: the bucket can still be made public. Set all four to true.`,
            b.urn,
          );
      }
      for (const bucket of buckets) {
        if (!blocks.some((b) => attachedTo(b, bucket))) {
          report(
            `bucket ${bucket.name} has no aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock: a bucket policy or ACL could expose it. Add one with all four settings true.`,
            bucket.urn,
          );
        }
      }
    },
  });

function kmsRule(rules: unknown): boolean {
  return asList(rules as Record<string, any>[] | undefined).some((r) => {
    const d = r?.applyServerSideEncryptionByDefault;
    return (d?.sseAlgorithm === "aws:kms" || d?.sseAlgorithm === "aws:kms:dsse") && isSet(d?.kmsMasterKeyId);
  });
}

export const s3KmsEncryption = (): StackValidationPolicy =>
  stackPolicy({
    name: "s3-kms-encryption",
    description: "Every S3 bucket must default-encrypt objects with a customer KMS key (SSE-KMS).",
    severity: "high",
    framework: frameworks.checkov("CKV_AWS_145", "Ensure that S3 buckets are encrypted with KMS by default"),
    tags: ["storage", "s3", "encryption", "CKV_AWS_145"],
    remediationSteps:
      'Add aws.s3.BucketServerSideEncryptionConfiguration { bucket: bucket.id, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: key.arn }, bucketKeyEnabled: true }] }.',
    url: "https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html",
    resourceTypes: [types.bucket, types.bucketV2, types.bucketSse, types.bucketSseV2],
    validateStack: (args, report) => {
      const configs = args.resources.filter(
        (r) => r.type === types.bucketSse || r.type === types.bucketSseV2,
      );
      const buckets = args.resources.filter((r) => bucketTypes.includes(r.type));
      if (buckets.length === 0) return args.notApplicable("no S3 bucket in the stack");
      for (const bucket of buckets) {
        const inline = tryGet(bucket.props, "serverSideEncryptionConfiguration") as
          Record<string, any> | undefined;
        const inlineOk = inline && kmsRule(asList(inline.rule ?? inline.rules));
        const attached = configs.filter((c) => attachedTo(c, bucket));
        if (inlineOk || attached.some((c) => kmsRule(c.props.rules))) continue;
        report(
          attached.length
            ? `bucket ${bucket.name}'s encryption configuration does not use aws:kms with a kmsMasterKeyId: objects are encrypted with S3-managed keys only. Use sseAlgorithm "aws:kms" and a customer key.`
            : `bucket ${bucket.name} has no BucketServerSideEncryptionConfiguration with a customer KMS key. Add one (sseAlgorithm "aws:kms", kmsMasterKeyId).`,
          bucket.urn,
        );
      }
    },
  });

export const ecrImmutableTags = (): ResourceValidationPolicy =>
  resourcePolicy({
    name: "ecr-immutable-tags",
    description:
      "ECR repositories, and the creation templates ECR makes repositories from, must make image tags immutable.",
    severity: "medium",
    framework: frameworks.checkov("CKV_AWS_51", "Ensure ECR Image Tags are immutable"),
    tags: ["ecr", "supply-chain", "CKV_AWS_51"],
    remediationSteps: 'Set imageTagMutability: "IMMUTABLE".',
    url: "https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-tag-mutability.html",
    resourceTypes: [types.ecrRepository, types.ecrRepositoryCreationTemplate],
    checks: {
      "*": (props, _args, report) => {
        if (props.imageTagMutability !== "IMMUTABLE") {
          report(
            `imageTagMutability is ${props.imageTagMutability ?? "not set (MUTABLE)"}: a pushed tag can be silently replaced. Set it to "IMMUTABLE".`,
          );
        }
      },
    },
  });

export const ecrScanOnPush = (): ResourceValidationPolicy =>
  resourcePolicy({
    name: "ecr-scan-on-push",
    description: "ECR repositories must scan images on push.",
    severity: "medium",
    framework: frameworks.checkov("CKV_AWS_163", "Ensure ECR image scanning on push is enabled"),
    tags: ["ecr", "supply-chain", "CKV_AWS_163"],
    remediationSteps: "Set imageScanningConfiguration: { scanOnPush: true }.",
    url: "https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-scanning.html",
    resourceTypes: [types.ecrRepository],
    checks: {
      "*": (props, _args, report) => {
        if (props.imageScanningConfiguration?.scanOnPush !== true) {
          report(
            "imageScanningConfiguration.scanOnPush is not true: vulnerable images are pushed unnoticed. Set scanOnPush: true.",
          );
        }
      },
    },
  });

export const ecrCmk = (): ResourceValidationPolicy =>
  resourcePolicy({
    name: "ecr-cmk",
    description:
      "ECR repositories, and the creation templates ECR makes repositories from, must be encrypted with a customer-managed KMS key.",
    severity: "medium",
    framework: frameworks.checkov("CKV_AWS_136", "Ensure that ECR repositories are encrypted using KMS"),
    tags: ["ecr", "encryption", "CKV_AWS_136"],
    remediationSteps:
      'Set encryptionConfigurations: [{ encryptionType: "KMS", kmsKey: key.arn }] (fixed at creation: a new repository is needed).',
    url: "https://docs.aws.amazon.com/AmazonECR/latest/userguide/encryption-at-rest.html",
    resourceTypes: [types.ecrRepository, types.ecrRepositoryCreationTemplate],
    checks: {
      "*": (props, _args, report) => {
        const enc = asList(props.encryptionConfigurations as Record<string, any>[] | undefined)[0];
        const type = enc?.encryptionType ?? "AES256";
        if (type !== "KMS" && type !== "KMS_DSSE")
          report(
            `encryptionConfigurations.encryptionType is ${enc?.encryptionType ?? "not set (AES256)"}: images are encrypted with an AWS-owned key outside your control. Set encryptionType "KMS" and kmsKey.`,
          );
        else if (!isSet(enc?.kmsKey))
          report(
            "encryptionConfigurations.kmsKey is not set: the AWS-managed aws/ecr key is used. Set kmsKey to a customer key.",
          );
      },
    },
  });

export const backupVaultCmk = (): ResourceValidationPolicy =>
  resourcePolicy({
    name: "backup-vault-cmk",
    description: "AWS Backup vaults must encrypt recovery points with a customer-managed KMS key.",
    severity: "medium",
    framework: frameworks.checkov("CKV_AWS_166", "Ensure Backup Vault is encrypted at rest using KMS CMK"),
    tags: ["storage", "backup", "encryption", "CKV_AWS_166"],
    remediationSteps: "Set kmsKeyArn: key.arn (fixed at creation: a new vault is needed).",
    url: "https://docs.aws.amazon.com/aws-backup/latest/devguide/encryption.html",
    resourceTypes: [types.backupVault],
    checks: {
      "*": (props, _args, report) => {
        if (!isSet(props.kmsKeyArn))
          report(
            "kmsKeyArn is not set: recovery points use the AWS-managed aws/backup key, so key policy and rotation are not yours. Set kmsKeyArn to a customer key.",
          );
      },
    },
  });

/** The AWS-managed SNS key: its policy cannot admit EventBridge, CloudWatch or any other AWS publisher. */
const AWS_MANAGED_SNS_KEY = /^(alias\/aws\/sns|arn:aws[a-z-]*:kms:[^:]+:\d{12}:alias\/aws\/sns)$/;

export const snsTopicEncrypted = (): ResourceValidationPolicy =>
  resourcePolicy({
    name: "sns-topic-encrypted",
    description: "SNS topics must be encrypted at rest with a customer-managed KMS key.",
    severity: "medium",
    framework: frameworks.checkov("CKV_AWS_26", "Ensure all data stored in the SNS topic is encrypted"),
    tags: ["sns", "encryption", "CKV_AWS_26"],
    remediationSteps:
      "Set kmsMasterKeyId: key.arn, a customer key whose policy lets the topic's publishers (e.g. events.amazonaws.com) use kms:GenerateDataKey* and kms:Decrypt.",
    url: "https://docs.aws.amazon.com/sns/latest/dg/sns-server-side-encryption.html",
    resourceTypes: [types.snsTopic],
    checks: {
      "*": (props, _args, report) => {
        const key: unknown = props.kmsMasterKeyId;
        if (!isSet(key))
          report(
            "kmsMasterKeyId is not set: messages (alert contents, resource names) are stored unencrypted. Set kmsMasterKeyId to a customer key.",
          );
        else if (AWS_MANAGED_SNS_KEY.test(key))
          report(
            `kmsMasterKeyId is ${key}, the AWS-managed SNS key: its policy is not yours, so AWS services such as EventBridge cannot publish. Set kmsMasterKeyId to a customer key.`,
          );
      },
    },
  });

export const storagePolicies: PackPolicy[] = [
  ebsVolumeCmk(),
  efsCmk(),
  efsMultiAz(),
  efsAccessPointScoped(),
  storageClassEbsEncrypted(),
  storageClassEbsKmsKey(),
  s3PublicAccessBlock(),
  s3KmsEncryption(),
  ecrImmutableTags(),
  ecrScanOnPush(),
  ecrCmk(),
  backupVaultCmk(),
  snsTopicEncrypted(),
];
