/**
 * Storage: CSI add-ons with Pod Identity, encrypted EFS reachable only from the nodes, the three
 * StorageClasses, EBS snapshots, AWS Backup and its failure alerts, production protection and the
 * storage config keys.
 */
import * as assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import * as k8s from "@pulumi/kubernetes";
import { parse } from "yaml";
import { ADDON_VERSIONS, SUPPORTED_KUBERNETES_VERSIONS } from "../components/cluster/versions";
import {
  Storage,
  backupName,
  backupRule,
  ebsCsiKmsPolicy,
  efsFileSystemPolicy,
  storageAddonVersions,
  storageClassSpecs,
  volumeTagParameters,
  type StorageArgs,
} from "../components/storage";
import { ConfigError, loadConfig } from "../stacks/config";
import { buildFoundation } from "../stacks/foundation";
import { alertingChecks, emailReceiverAddresses } from "../stacks/alerting";
import { buildStorage, storageSettings } from "../stacks/storage";
import { promiseOf, recorded, resetRecorded, setupMocks, type RecordedResource } from "./mocks";
import { minimalHub } from "./config-fixtures";

const KEY_ARN = "arn:aws:kms:eu-west-1:111122223333:key/0000";
const NODE_SG = "sg-0nodes";
const SUBNETS = ["subnet-a", "subnet-b", "subnet-c"];
const T = {
  storageClass: "kubernetes:storage.k8s.io/v1:StorageClass",
  snapshotClass: "kubernetes:snapshot.storage.k8s.io/v1:VolumeSnapshotClass",
  addon: "aws:eks/addon:Addon",
  role: "aws:iam/role:Role",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
  attachment: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
  fileSystem: "aws:efs/fileSystem:FileSystem",
  fileSystemPolicy: "aws:efs/fileSystemPolicy:FileSystemPolicy",
  mountTarget: "aws:efs/mountTarget:MountTarget",
  securityGroup: "aws:ec2/securityGroup:SecurityGroup",
  ingressRule: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
  egressRule: "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
  sgRule: "aws:ec2/securityGroupRule:SecurityGroupRule",
  kmsKey: "aws:kms/key:Key",
  vault: "aws:backup/vault:Vault",
  plan: "aws:backup/plan:Plan",
  selection: "aws:backup/selection:Selection",
};

const byType = (all: RecordedResource[], type: string) => all.filter((r) => r.type === type);
const one = (all: RecordedResource[], type: string, name: string) => {
  const found = all.find((r) => r.type === type && r.name === name);
  assert.ok(found, `no ${type} named ${name}`);
  return found;
};
const json = (value: unknown) => JSON.parse(String(value));

// ---------------------------------------------------------------------------------------------
describe("storage: StorageClass specifications (pure)", () => {
  const specs = storageClassSpecs({
    kmsKeyArn: KEY_ARN,
    fileSystemId: "fs-0123",
    reclaimPolicy: "Retain",
    clusterName: "production-numinia",
    performanceIopsPerGB: 50,
    volumeTags: { environment: "production", owner: "numinia-platform" },
  });
  const byName = Object.fromEntries(specs.map((s) => [s.name, s]));

  it("creates exactly gp3, performance and efs-sc", () => {
    assert.deepEqual(
      specs.map((s) => s.name),
      ["gp3", "performance", "efs-sc"],
    );
  });

  it("gp3 is the only default class", () => {
    assert.deepEqual(byName.gp3.annotations, { "storageclass.kubernetes.io/is-default-class": "true" });
    assert.deepEqual(byName.performance.annotations, {});
    assert.deepEqual(byName["efs-sc"].annotations, {});
  });

  it("gp3: EBS CSI, encrypted gp3 with the customer key, tagged for backup and the cluster", () => {
    assert.equal(byName.gp3.provisioner, "ebs.csi.aws.com");
    assert.deepEqual(byName.gp3.parameters, {
      type: "gp3",
      "csi.storage.k8s.io/fstype": "ext4",
      encrypted: "true",
      kmsKeyId: KEY_ARN,
      tagSpecification_1: "backup=daily",
      tagSpecification_2: "platform:cluster=production-numinia",
      tagSpecification_3: "environment=production",
      tagSpecification_4: "owner=numinia-platform",
    });
    assert.equal(byName.gp3.volumeBindingMode, "WaitForFirstConsumer");
    assert.equal(byName.gp3.allowVolumeExpansion, true);
    assert.equal(byName.gp3.reclaimPolicy, "Retain");
  });

  it("performance: encrypted io2 with 50 IOPS per GiB by default", () => {
    assert.equal(byName.performance.provisioner, "ebs.csi.aws.com");
    assert.deepEqual(byName.performance.parameters, {
      type: "io2",
      iopsPerGB: "50",
      allowAutoIOPSPerGBIncrease: "true",
      "csi.storage.k8s.io/fstype": "ext4",
      encrypted: "true",
      kmsKeyId: KEY_ARN,
      tagSpecification_1: "backup=daily",
      tagSpecification_2: "platform:cluster=production-numinia",
      tagSpecification_3: "environment=production",
      tagSpecification_4: "owner=numinia-platform",
    });
    assert.equal(byName.performance.volumeBindingMode, "WaitForFirstConsumer");
  });

  it("performance: fixed IOPS replace IOPS per GiB", () => {
    const [, performance] = storageClassSpecs({
      kmsKeyArn: KEY_ARN,
      fileSystemId: "fs-0123",
      reclaimPolicy: "Delete",
      clusterName: "c",
      performanceIops: 16000,
      performanceIopsPerGB: 10,
    });
    assert.equal(performance.parameters.iops, "16000");
    assert.equal(performance.parameters.iopsPerGB, undefined);
    assert.equal(performance.parameters.allowAutoIOPSPerGBIncrease, undefined);
    assert.equal(performance.reclaimPolicy, "Delete");
  });

  it("efs-sc: EFS access points with directory permissions 700, as the seed's class", () => {
    assert.equal(byName["efs-sc"].provisioner, "efs.csi.aws.com");
    assert.deepEqual(byName["efs-sc"].parameters, {
      provisioningMode: "efs-ap",
      fileSystemId: "fs-0123",
      directoryPerms: "700",
      gidRangeStart: "1000",
      gidRangeEnd: "2000",
      basePath: "/dynamic_provisioning",
    });
    assert.equal(byName["efs-sc"].volumeBindingMode, "Immediate");
    assert.equal(byName["efs-sc"].reclaimPolicy, "Retain");
  });

  it("volume tags: the backup and cluster tags come first and cannot be overridden", () => {
    assert.deepEqual(volumeTagParameters("c1", { backup: "never", "platform:cluster": "other", team: "a" }), {
      tagSpecification_1: "backup=daily",
      tagSpecification_2: "platform:cluster=c1",
      tagSpecification_3: "team=a",
    });
  });
});

describe("storage: policy documents and backup rule (pure)", () => {
  it("the EBS CSI KMS policy grants use of the one key, grants only for AWS resources", () => {
    const doc = ebsCsiKmsPolicy(KEY_ARN);
    assert.deepEqual(doc.Statement, [
      {
        Sid: "GrantsForEbs",
        Effect: "Allow",
        Action: ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
        Resource: KEY_ARN,
        Condition: { Bool: { "kms:GrantIsForAWSResource": "true" } },
      },
      {
        Sid: "UseKeyForVolumes",
        Effect: "Allow",
        Action: ["kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKeyWithoutPlaintext", "kms:ReEncrypt*"],
        Resource: KEY_ARN,
      },
    ]);
  });

  it("the EFS file system policy denies requests without TLS and allows mounts through mount targets only", () => {
    const arn = "arn:aws:elasticfilesystem:eu-west-1:111122223333:file-system/fs-1";
    const [allow, deny] = efsFileSystemPolicy(arn).Statement;
    assert.deepEqual(allow.Action, ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"]);
    assert.deepEqual(allow.Condition, { Bool: { "elasticfilesystem:AccessedViaMountTarget": "true" } });
    assert.equal(allow.Resource, arn);
    assert.equal(deny.Effect, "Deny");
    assert.deepEqual(deny.Condition, { Bool: { "aws:SecureTransport": "false" } });
  });

  it("the daily rule keeps recovery points for the retention and copies them when a vault is named", () => {
    const rule = backupRule("vault", {
      schedule: "cron(0 3 * * ? *)",
      retentionDays: 35,
      copyVaultArn: "arn:aws:backup:eu-central-1:111122223333:backup-vault:dr",
      copyRetentionDays: 90,
    });
    assert.equal(rule.schedule, "cron(0 3 * * ? *)");
    assert.deepEqual(rule.lifecycle, { deleteAfter: 35 });
    assert.deepEqual(rule.copyActions, [
      {
        destinationVaultArn: "arn:aws:backup:eu-central-1:111122223333:backup-vault:dr",
        lifecycle: { deleteAfter: 90 },
      },
    ]);
    assert.deepEqual(backupRule("v", { schedule: "cron(0 3 * * ? *)", retentionDays: 7 }).copyActions, []);
  });

  it("backup names fit AWS Backup's 50 characters of letters, digits, - and _", () => {
    assert.equal(backupName("production-numinia", "storage"), "production-numinia-storage");
    const long = backupName("x".repeat(100), "storage-daily");
    assert.equal(long.length, 50);
    assert.match(long, /^[A-Za-z0-9_-]+-storage-daily$/);
  });

  it("every supported Kubernetes version pins the snapshot controller exactly", () => {
    for (const version of SUPPORTED_KUBERNETES_VERSIONS) {
      assert.match(storageAddonVersions(version)["snapshot-controller"], /^v\d+\.\d+\.\d+-eksbuild\.\d+$/);
    }
    assert.throws(() => storageAddonVersions("1.20"), /1\.20 has no pinned storage add-on versions/);
  });
});

// ---------------------------------------------------------------------------------------------
const RAW = minimalHub;
const load = (extra: Record<string, string> = {}) => loadConfig({ ...RAW, ...extra }, "hub");
const rejects = (extra: Record<string, string>, key: string, expected: RegExp) =>
  assert.throws(
    () => load(extra),
    (e: unknown) => e instanceof ConfigError && e.key === key && expected.test(e.message),
  );

describe("storage: config keys", () => {
  it("defaults: Delete outside production, 50 IOPS/GiB, elastic EFS, daily 03:00 UTC, 35 days, no copy", () => {
    const config = load();
    assert.deepEqual(storageSettings(config), {
      reclaimPolicy: "Delete",
      performanceIops: undefined,
      performanceIopsPerGB: 50,
      efsThroughputMode: "elastic",
      backupSchedule: "cron(0 3 * * ? *)",
      backupRetentionDays: 35,
      backupCopyVaultArn: undefined,
      backupCopyRetentionDays: undefined,
    });
  });

  it("production derives Retain", () => {
    assert.equal(storageSettings(load({ "platform:environment": "production" })).reclaimPolicy, "Retain");
  });

  it("reads every key from its string form", () => {
    const settings = storageSettings(
      load({
        "platform:storage": JSON.stringify({
          reclaimPolicy: "Retain",
          performanceIops: "20000",
          efsThroughputMode: "bursting",
          backupSchedule: "cron(30 1 ? * SUN *)",
          backupRetentionDays: "90",
          backupCopyVaultArn: "arn:aws:backup:eu-central-1:111122223333:backup-vault:dr",
        }),
      }),
    );
    assert.equal(settings.reclaimPolicy, "Retain");
    assert.equal(settings.performanceIops, 20000);
    assert.equal(
      settings.performanceIopsPerGB,
      50,
      "the schema's default (fixed IOPS win in the StorageClass)",
    );
    assert.equal(settings.efsThroughputMode, "bursting");
    assert.equal(settings.backupSchedule, "cron(30 1 ? * SUN *)");
    assert.equal(settings.backupRetentionDays, 90);
    assert.equal(settings.backupCopyRetentionDays, 90);
  });

  it("rejects Delete in production, naming the key", () => {
    rejects(
      {
        "platform:environment": "production",
        "platform:storage": JSON.stringify({ reclaimPolicy: "Delete" }),
      },
      "platform:storage.reclaimPolicy",
      /Retain in a production stack/,
    );
  });

  it("rejects bad values, naming the key", () => {
    rejects(
      { "platform:storage": JSON.stringify({ reclaimPolicy: "Recycle" }) },
      "platform:storage.reclaimPolicy",
      /Retain or Delete/,
    );
    rejects(
      { "platform:storage": JSON.stringify({ performanceIopsPerGB: "2000" }) },
      "platform:storage.performanceIopsPerGB",
      /between 1 and 1000/,
    );
    rejects(
      { "platform:storage": JSON.stringify({ performanceIops: "50" }) },
      "platform:storage.performanceIops",
      /between 100 and 256000/,
    );
    rejects(
      { "platform:storage": JSON.stringify({ efsThroughputMode: "provisioned" }) },
      "platform:storage.efsThroughputMode",
      /elastic or bursting/,
    );
    rejects(
      { "platform:storage": JSON.stringify({ backupSchedule: "rate(1 day)" }) },
      "platform:storage.backupSchedule",
      /cron expression/,
    );
    rejects(
      { "platform:storage": JSON.stringify({ backupRetentionDays: "0" }) },
      "platform:storage.backupRetentionDays",
      /between 1 and 36500/,
    );
    rejects(
      { "platform:storage": JSON.stringify({ backupCopyVaultArn: "arn:aws:s3:::bucket" }) },
      "platform:storage.backupCopyVaultArn",
      /backup vault ARN/,
    );
  });

  it("fixed IOPS win over IOPS per GiB", () => {
    const settings = storageSettings(
      load({
        "platform:storage": JSON.stringify({ performanceIops: "3000", performanceIopsPerGB: "10" }),
      }),
    );
    assert.equal(settings.performanceIops, 3000);
    const [, performance] = storageClassSpecs({
      kmsKeyArn: KEY_ARN,
      fileSystemId: "fs-0123",
      reclaimPolicy: settings.reclaimPolicy,
      clusterName: "c",
      performanceIops: settings.performanceIops,
      performanceIopsPerGB: settings.performanceIopsPerGB,
    });
    assert.equal(performance.parameters.iops, "3000");
    assert.equal(performance.parameters.iopsPerGB, undefined);
  });

  it("copies keep their own retention when set", () => {
    const settings = storageSettings(
      load({
        "platform:storage": JSON.stringify({
          backupCopyVaultArn: "arn:aws:backup:eu-central-1:111122223333:backup-vault:dr",
          backupCopyRetentionDays: "365",
        }),
      }),
    );
    assert.equal(settings.backupCopyRetentionDays, 365);
  });

  it("rejects a copy retention without a copy vault, naming the key", () => {
    rejects(
      { "platform:storage": JSON.stringify({ backupCopyRetentionDays: "30" }) },
      "platform:storage.backupCopyRetentionDays",
      /backupCopyVaultArn/,
    );
  });
});

// ---------------------------------------------------------------------------------------------
/** Arguments of a Storage component in a development stack, with `extra` merged over them. */
const storageArgs = (extra: Partial<StorageArgs> = {}): StorageArgs => ({
  clusterName: "test-cluster",
  kubernetesVersion: "1.35",
  region: "eu-west-1",
  vpcId: "vpc-0test",
  privateSubnetIds: SUBNETS,
  availabilityZoneCount: 3,
  backupSchedule: "cron(0 3 * * ? *)",
  backupRetentionDays: 35,
  efsThroughputMode: "elastic",
  performanceIopsPerGB: 50,
  nodeSecurityGroupId: NODE_SG,
  provider: new k8s.Provider(`k8s-${Math.random().toString(36).slice(2)}`, { kubeconfig: "{}" }),
  tags: { environment: "development", owner: "platform-team", "cost-center": "platform" },
  ...extra,
});

describe("storage: the Storage component", () => {
  let all: RecordedResource[];
  let production: RecordedResource[];

  before(async () => {
    setupMocks();
    new Storage("dev", storageArgs());
    all = await recorded();
    resetRecorded();
    new Storage(
      "prod",
      storageArgs({
        protect: true,
        backupCopyVaultArn: "arn:aws:backup:eu-central-1:111122223333:backup-vault:dr",
      }),
    );
    production = await recorded();
  });

  it("installs the EBS and EFS CSI drivers and the snapshot controller at the pinned versions", () => {
    const addons = byType(all, T.addon);
    assert.deepEqual(Object.fromEntries(addons.map((a) => [a.inputs.addonName, a.inputs.addonVersion])), {
      "snapshot-controller": storageAddonVersions("1.35")["snapshot-controller"],
      "aws-ebs-csi-driver": ADDON_VERSIONS["1.35"]["aws-ebs-csi-driver"],
      "aws-efs-csi-driver": ADDON_VERSIONS["1.35"]["aws-efs-csi-driver"],
    });
    for (const addon of addons) assert.equal(addon.inputs.clusterName, "test-cluster");
  });

  it("binds each CSI controller's service account to its own role through Pod Identity", () => {
    const ebs = one(all, T.addon, "dev-ebs-csi");
    const efs = one(all, T.addon, "dev-efs-csi");
    const ebsRole = one(all, T.role, "dev-ebs-csi");
    const efsRole = one(all, T.role, "dev-efs-csi");
    assert.deepEqual(ebs.inputs.podIdentityAssociations, [
      { roleArn: ebsRole.outputs.arn, serviceAccount: "ebs-csi-controller-sa" },
    ]);
    assert.deepEqual(efs.inputs.podIdentityAssociations, [
      { roleArn: efsRole.outputs.arn, serviceAccount: "efs-csi-controller-sa" },
    ]);
    assert.equal(one(all, T.addon, "dev-snapshot-controller").inputs.podIdentityAssociations, undefined);
    for (const role of [ebsRole, efsRole]) {
      const trust = json(role.inputs.assumeRolePolicy);
      assert.deepEqual(trust.Statement[0].Principal, { Service: "pods.eks.amazonaws.com" });
      assert.deepEqual(trust.Statement[0].Action, ["sts:AssumeRole", "sts:TagSession"]);
    }
  });

  it("gives the CSI roles the AWS-managed driver policies and the EBS role use of the storage key only", () => {
    const attached = (role: string) =>
      byType(all, T.attachment)
        .filter((a) => a.inputs.role === one(all, T.role, role).outputs.name)
        .map((a) => a.inputs.policyArn);
    assert.deepEqual(attached("dev-ebs-csi"), [
      "arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy",
    ]);
    assert.deepEqual(attached("dev-efs-csi"), [
      "arn:aws:iam::aws:policy/service-role/AmazonEFSCSIDriverPolicy",
    ]);
    const key = one(all, T.kmsKey, "dev-storage-key");
    const kms = one(all, T.rolePolicy, "dev-ebs-csi-kms");
    assert.equal(kms.inputs.role, one(all, T.role, "dev-ebs-csi").outputs.name);
    assert.deepEqual(json(kms.inputs.policy), ebsCsiKmsPolicy(String(key.outputs.arn)));
    assert.ok(
      !byType(all, T.rolePolicy).some((p) => p.inputs.role === one(all, T.role, "dev-efs-csi").outputs.name),
    );
  });

  it("encrypts the EFS file system with the storage key: regional, general purpose, elastic", () => {
    const fs = one(all, T.fileSystem, "dev-efs");
    const key = one(all, T.kmsKey, "dev-storage-key");
    assert.equal(fs.inputs.encrypted, true);
    assert.equal(fs.inputs.kmsKeyId, key.outputs.arn);
    assert.equal(fs.inputs.performanceMode, "generalPurpose");
    assert.equal(fs.inputs.throughputMode, "elastic");
    assert.equal(fs.inputs.availabilityZoneName, undefined);
    assert.deepEqual(fs.inputs.lifecyclePolicies, [
      { transitionToIa: "AFTER_30_DAYS" },
      { transitionToPrimaryStorageClass: "AFTER_1_ACCESS" },
    ]);
    assert.equal(key.inputs.enableKeyRotation, true);
    const policy = json(one(all, T.fileSystemPolicy, "dev-efs").inputs.policy);
    assert.deepEqual(policy, efsFileSystemPolicy(String(fs.outputs.arn)));
  });

  it("puts one mount target in every private subnet, behind the EFS security group", () => {
    const fs = one(all, T.fileSystem, "dev-efs");
    const sg = one(all, T.securityGroup, "dev-efs");
    const targets = byType(all, T.mountTarget);
    assert.deepEqual(
      targets.map((t) => t.inputs.subnetId),
      SUBNETS,
    );
    for (const t of targets) {
      assert.equal(t.inputs.fileSystemId, fs.id);
      assert.deepEqual(t.inputs.securityGroups, [sg.id]);
    }
  });

  it("admits NFS (2049/tcp) from the node security group and nothing else", () => {
    const sg = one(all, T.securityGroup, "dev-efs");
    assert.equal(sg.inputs.vpcId, "vpc-0test");
    assert.match(String(sg.inputs.description), /NFS from the cluster nodes only/);
    assert.equal(sg.inputs.ingress, undefined);
    assert.equal(sg.inputs.egress, undefined);
    const rules = byType(all, T.ingressRule);
    assert.equal(rules.length, 1);
    const rule = rules[0];
    assert.equal(rule.inputs.securityGroupId, sg.id);
    assert.equal(rule.inputs.referencedSecurityGroupId, NODE_SG);
    assert.equal(rule.inputs.ipProtocol, "tcp");
    assert.equal(rule.inputs.fromPort, 2049);
    assert.equal(rule.inputs.toPort, 2049);
    assert.equal(rule.inputs.cidrIpv4, undefined);
    assert.ok(String(rule.inputs.description).length > 0);
    assert.equal(byType(all, T.egressRule).length + byType(all, T.sgRule).length, 0);
  });

  it("creates the three StorageClasses with the storage key and file system, Delete outside production", () => {
    const classes = byType(all, T.storageClass);
    const key = one(all, T.kmsKey, "dev-storage-key");
    const fs = one(all, T.fileSystem, "dev-efs");
    assert.deepEqual(
      classes.map((c) => (c.inputs.metadata as { name: string }).name),
      ["gp3", "performance", "efs-sc"],
    );
    for (const c of classes) {
      assert.equal(c.inputs.reclaimPolicy, "Delete");
      assert.ok(c.provider, "StorageClasses use the cluster's provider");
    }
    const [gp3, performance, efs] = classes;
    assert.deepEqual((gp3.inputs.metadata as { annotations: unknown }).annotations, {
      "storageclass.kubernetes.io/is-default-class": "true",
    });
    assert.deepEqual((performance.inputs.metadata as { annotations: unknown }).annotations, {});
    assert.equal((gp3.inputs.parameters as Record<string, string>).kmsKeyId, key.outputs.arn);
    assert.equal((performance.inputs.parameters as Record<string, string>).kmsKeyId, key.outputs.arn);
    assert.equal((performance.inputs.parameters as Record<string, string>).type, "io2");
    assert.equal((efs.inputs.parameters as Record<string, string>).fileSystemId, fs.id);
    assert.equal((efs.inputs.parameters as Record<string, string>).directoryPerms, "700");
    assert.equal(gp3.inputs.volumeBindingMode, "WaitForFirstConsumer");
    assert.equal(gp3.inputs.allowVolumeExpansion, true);
    assert.equal(
      (gp3.inputs.parameters as Record<string, string>).tagSpecification_2,
      "platform:cluster=test-cluster",
    );
  });

  it("creates an EBS VolumeSnapshotClass after the snapshot controller (which brings the CRDs)", () => {
    const [vsc] = byType(all, T.snapshotClass);
    assert.equal(vsc.inputs.driver, "ebs.csi.aws.com");
    assert.equal(vsc.inputs.deletionPolicy, "Delete");
    assert.equal((vsc.inputs.metadata as { name: string }).name, "ebs-snapshots");
    assert.ok(vsc.dependencies.includes(one(all, T.addon, "dev-snapshot-controller").urn));
  });

  it("backs up daily to a vault encrypted with the storage key, for 35 days, with no copy by default", () => {
    const vault = one(all, T.vault, "dev-backup-vault");
    const key = one(all, T.kmsKey, "dev-storage-key");
    assert.equal(vault.inputs.kmsKeyArn, key.outputs.arn);
    assert.equal(vault.inputs.name, "test-cluster-storage");
    const [rule] = one(all, T.plan, "dev-backup").inputs.rules as Record<string, unknown>[];
    assert.equal(rule.schedule, "cron(0 3 * * ? *)");
    assert.equal(rule.targetVaultName, "test-cluster-storage");
    assert.deepEqual(rule.lifecycle, { deleteAfter: 35 });
    assert.deepEqual(rule.copyActions ?? [], []);
  });

  it("selects the EFS file system and the cluster's EBS volumes tagged backup=daily", () => {
    const fs = one(all, T.fileSystem, "dev-efs");
    const role = one(all, T.role, "dev-backup");
    const efs = one(all, T.selection, "dev-backup-efs");
    const ebs = one(all, T.selection, "dev-backup-ebs");
    assert.deepEqual(efs.inputs.resources, [fs.outputs.arn]);
    assert.deepEqual(ebs.inputs.resources, ["arn:aws:ec2:*:*:volume/*"]);
    assert.deepEqual(ebs.inputs.conditions, [
      {
        stringEquals: [
          { key: "aws:ResourceTag/backup", value: "daily" },
          { key: "aws:ResourceTag/platform:cluster", value: "test-cluster" },
        ],
      },
    ]);
    for (const s of [efs, ebs]) assert.equal(s.inputs.iamRoleArn, role.outputs.arn);
    assert.deepEqual(json(role.inputs.assumeRolePolicy).Statement[0].Principal, {
      Service: "backup.amazonaws.com",
    });
    const attached = byType(all, T.attachment)
      .filter((a) => a.inputs.role === role.outputs.name)
      .map((a) => a.inputs.policyArn);
    assert.deepEqual(attached, [
      "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup",
      "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores",
    ]);
  });

  it("leaves stateful resources unprotected outside production", () => {
    for (const r of [
      one(all, T.kmsKey, "dev-storage-key"),
      one(all, T.fileSystem, "dev-efs"),
      one(all, T.vault, "dev-backup-vault"),
    ]) {
      assert.equal(r.protect, false, r.name);
    }
  });

  it("production: protects the key, the file system and the vault, retains volumes and snapshots", () => {
    for (const r of [
      one(production, T.kmsKey, "prod-storage-key"),
      one(production, T.fileSystem, "prod-efs"),
      one(production, T.vault, "prod-backup-vault"),
    ]) {
      assert.equal(r.protect, true, r.name);
    }
    for (const c of byType(production, T.storageClass)) assert.equal(c.inputs.reclaimPolicy, "Retain");
    assert.equal(byType(production, T.snapshotClass)[0].inputs.deletionPolicy, "Retain");
  });

  it("production with a copy vault: copies every recovery point there for the same retention", () => {
    const [rule] = one(production, T.plan, "prod-backup").inputs.rules as Record<string, unknown>[];
    assert.deepEqual(rule.copyActions, [
      {
        destinationVaultArn: "arn:aws:backup:eu-central-1:111122223333:backup-vault:dr",
        lifecycle: { deleteAfter: 35 },
      },
    ]);
  });

  it("rejects a mismatch between AZ count and private subnets", async () => {
    assert.throws(
      () => new Storage("bad", storageArgs({ availabilityZoneCount: 0 })),
      /availabilityZoneCount/,
    );
  });
});

// ---------------------------------------------------------------------------------------------
describe("storage: wiring with the production spoke's stack file", () => {
  let all: RecordedResource[];
  let outputs: ReturnType<typeof buildStorage>;

  before(async () => {
    setupMocks({ stack: "spoke-prod" });
    const file = parse(readFileSync(path.join(__dirname, "..", "Pulumi.spoke-prod.yaml"), "utf8")) as {
      config: Record<string, unknown>;
    };
    const raw = Object.fromEntries(
      Object.entries(file.config).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]),
    );
    // The deploy key is set per stack with `pulumi config set --secret`, never in the file.
    const gitops = { ...(file.config["platform:gitops"] as object), sshPrivateKey: "test-deploy-key" };
    const config = loadConfig({ ...raw, "platform:gitops": JSON.stringify(gitops) }, "spoke-prod");
    const foundation = await buildFoundation(config);
    outputs = buildStorage(config, foundation);
    all = await recorded();
  });

  it("mounts EFS in each of the cluster's 3 private subnets and admits NFS from the cluster security group", async () => {
    const targets = all.filter((r) => r.type === T.mountTarget);
    assert.equal(targets.length, 3);
    const vpc = all.find((r) => r.type === "awsx:ec2:Vpc")!;
    assert.deepEqual(
      targets.map((t) => t.inputs.subnetId),
      vpc.outputs.privateSubnetIds,
    );
    const eks = all.find((r) => r.type === "eks:index:Cluster")!;
    const [rule] = all.filter((r) => r.type === T.ingressRule && r.name.startsWith("spoke-prod-efs"));
    assert.equal(
      rule.inputs.referencedSecurityGroupId,
      (eks.outputs.eksCluster as { vpcConfig: { clusterSecurityGroupId: string } }).vpcConfig
        .clusterSecurityGroupId,
    );
  });

  it("protects stateful storage and retains volumes in production", () => {
    for (const [type, name] of [
      [T.kmsKey, "spoke-prod-storage-key"],
      [T.fileSystem, "spoke-prod-efs"],
      [T.vault, "spoke-prod-backup-vault"],
    ]) {
      assert.equal(one(all, type, name).protect, true, name);
    }
    for (const c of all.filter((r) => r.type === T.storageClass))
      assert.equal(c.inputs.reclaimPolicy, "Retain");
  });

  it("tags volumes and selects backups by the production cluster's name", () => {
    const gp3 = all.find(
      (r) => r.type === T.storageClass && (r.inputs.metadata as { name: string }).name === "gp3",
    )!;
    assert.equal(
      (gp3.inputs.parameters as Record<string, string>).tagSpecification_2,
      "platform:cluster=production-numinia",
    );
    assert.equal(one(all, T.vault, "spoke-prod-backup-vault").inputs.name, "production-numinia-storage");
  });

  it("waits for the cluster (nodes, Pod Identity agent) before installing the add-ons", () => {
    const nodeGroup = all.find((r) => r.type === "eks:index:ManagedNodeGroup")!;
    for (const addon of all.filter(
      (r) => r.type === T.addon && r.parent?.includes("platform:storage:Storage"),
    )) {
      assert.ok(addon.dependencies.includes(nodeGroup.urn), `${addon.name} waits for the node groups`);
    }
  });

  it("returns the outputs the stacks export", async () => {
    assert.equal(outputs.defaultStorageClass, "gp3");
    assert.match(await promiseOf(outputs.efsFileSystemId), /^fs-/);
    assert.match(
      await promiseOf(outputs.backupVaultArn),
      /^arn:aws:backup:eu-west-1:111122223333:backup-vault:production-numinia-storage$/,
    );
    assert.match(await promiseOf(outputs.storageKeyArn), /^arn:aws:kms:eu-west-1:/);
  });
});

// ---------------------------------------------------------------------------------------------
describe("storage: alerts on failed backup and copy jobs", () => {
  let all: RecordedResource[];
  let quiet: RecordedResource[];
  const of = (rs: RecordedResource[], type: string) => rs.filter((r) => r.type === type);

  before(async () => {
    setupMocks();
    new Storage("alerts", storageArgs({ backupAlertEmails: ["ops@example.com", "team@example.com"] }));
    all = await recorded();
    resetRecorded();
    new Storage("quiet", storageArgs());
    quiet = await recorded();
  });

  it("matches failed, aborted and expired backup and copy jobs of this stack's vault only", () => {
    const vault = one(all, T.vault, "alerts-backup-vault");
    const rule = one(all, "aws:cloudwatch/eventRule:EventRule", "alerts-backup-alerts");
    assert.equal(rule.inputs.eventBusName, undefined, "the default event bus, where AWS Backup sends events");
    assert.deepEqual(json(rule.inputs.eventPattern), {
      source: ["aws.backup"],
      "detail-type": ["Backup Job State Change", "Copy Job State Change"],
      detail: {
        state: ["FAILED", "ABORTED", "EXPIRED"],
        $or: [{ backupVaultName: ["test-cluster-storage"] }, { sourceBackupVaultArn: [vault.outputs.arn] }],
      },
    });
    assert.match(String(vault.outputs.arn), /:backup-vault:test-cluster-storage$/);
  });

  it("sends the matched events to an SNS topic encrypted with the storage key", () => {
    const rule = one(all, "aws:cloudwatch/eventRule:EventRule", "alerts-backup-alerts");
    const topic = one(all, "aws:sns/topic:Topic", "alerts-backup-alerts");
    const [target] = of(all, "aws:cloudwatch/eventTarget:EventTarget");
    assert.equal(of(all, "aws:cloudwatch/eventTarget:EventTarget").length, 1);
    assert.equal(target.inputs.rule, rule.outputs.name);
    assert.equal(target.inputs.arn, topic.outputs.arn);
    assert.equal(target.inputs.roleArn, undefined, "SNS targets use the topic policy, not a role");
    assert.equal(topic.inputs.name, "test-cluster-backup-alerts");
    assert.equal(topic.inputs.kmsMasterKeyId, one(all, T.kmsKey, "alerts-storage-key").outputs.arn);
  });

  it("lets only EventBridge publish to the topic, and only for the backup alert rule", () => {
    const rule = one(all, "aws:cloudwatch/eventRule:EventRule", "alerts-backup-alerts");
    const topic = one(all, "aws:sns/topic:Topic", "alerts-backup-alerts");
    const policy = one(all, "aws:sns/topicPolicy:TopicPolicy", "alerts-backup-alerts");
    assert.equal(policy.inputs.arn, topic.outputs.arn);
    assert.deepEqual(json(policy.inputs.policy), {
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "BackupAlertRulePublishes",
          Effect: "Allow",
          Principal: { Service: "events.amazonaws.com" },
          Action: "sns:Publish",
          Resource: topic.outputs.arn,
          Condition: { ArnEquals: { "aws:SourceArn": rule.outputs.arn } },
        },
      ],
    });
    const target = one(all, "aws:cloudwatch/eventTarget:EventTarget", "alerts-backup-alerts");
    assert.ok(target.dependencies.includes(policy.urn), "the target waits for the topic policy");
  });

  it("lets EventBridge use the storage key only with the topic's encryption context", () => {
    const key = json(one(all, T.kmsKey, "alerts-storage-key").inputs.policy) as {
      Statement: { Sid: string; Principal: Record<string, string>; Action: string[]; Condition?: unknown }[];
    };
    const events = key.Statement.filter((s) => s.Principal.Service === "events.amazonaws.com");
    assert.deepEqual(events, [
      {
        Sid: "EventBridgeBackupAlerts",
        Effect: "Allow",
        Principal: { Service: "events.amazonaws.com" },
        Action: ["kms:GenerateDataKey*", "kms:Decrypt"],
        Resource: "*",
        // The SNS topic ARN: arn:<partition>:sns:<region>:<account>:<topic name>.
        Condition: {
          StringEquals: {
            "kms:EncryptionContext:aws:sns:topicArn":
              "arn:aws:sns:eu-west-1:111122223333:test-cluster-backup-alerts",
          },
        },
      },
    ]);
    assert.deepEqual(
      key.Statement.map((s) => s.Sid),
      ["AccountAdministration", "EventBridgeBackupAlerts"],
    );
  });

  it("subscribes each given e-mail address, as a secret, and none when none is given", async () => {
    const subscriptions = of(all, "aws:sns/topicSubscription:TopicSubscription");
    const topic = one(all, "aws:sns/topic:Topic", "alerts-backup-alerts");
    assert.deepEqual(
      subscriptions.map((s) => [s.inputs.protocol, s.inputs.endpoint, s.inputs.topic]).sort(),
      [
        ["email", "ops@example.com", topic.outputs.arn],
        ["email", "team@example.com", topic.outputs.arn],
      ],
    );
    for (const s of subscriptions)
      assert.doesNotMatch(s.name, /@|example/, "no address in the resource name");
    assert.equal(of(quiet, "aws:sns/topicSubscription:TopicSubscription").length, 0);
    assert.equal(of(quiet, "aws:sns/topic:Topic").length, 1, "the topic exists without subscriptions");
  });
});

// ---------------------------------------------------------------------------------------------
describe("storage: backup alert subscriptions from platform:alerting", () => {
  const email = (to: string, name = "mail") => ({
    name,
    type: "email" as const,
    to,
    from: "alertmanager@example.com",
    smarthost: "smtp.example.com:587",
    matchers: [],
    sendResolved: true,
  });
  const config = (receivers: Parameters<typeof emailReceiverAddresses>[0]["alerting"]["receivers"]) => ({
    alerting: { receivers, platformRules: true },
  });

  it("takes every address of every e-mail receiver's to, once, and ignores other receiver types", () => {
    assert.deepEqual(
      emailReceiverAddresses(
        config([
          email("ops@example.com, Platform Team <platform@example.com>"),
          {
            name: "hook",
            type: "webhook",
            url: "https://hooks.example.com/x",
            matchers: [],
            sendResolved: true,
          },
          email("OPS@example.com,oncall@example.com", "mail2"),
        ]),
      ),
      ["ops@example.com", "platform@example.com", "oncall@example.com"],
    );
    assert.deepEqual(emailReceiverAddresses(config([])), []);
  });

  it("refuses a to that is not an address list, naming the key without showing the secret value", () => {
    const bad = config([email("ops@example.com"), email("ops at example dot com", "broken")]);
    assert.throws(
      () => alertingChecks(bad),
      (e: Error) =>
        e instanceof ConfigError &&
        e.message ===
          'invalid configuration platform:alerting.receivers[1].to = "(secret, not shown)": expected a comma-separated list of e-mail addresses such as ops@example.com, Team <team@example.com>',
    );
  });
});
