/**
 * Wiring of the storage capability: every stack (hub and spoke) gets components/storage on its
 * cluster ({@link buildStorage}, called from stacks/hub.ts and stacks/spoke.ts; its outputs are
 * declared in stacks/contract.ts).
 */
import * as pulumi from "@pulumi/pulumi";
import { Storage } from "../../components/storage";
import type { PlatformConfig } from "../config";
import type { Foundation } from "../foundation";
import { storageSettings } from "../sections/storage";

/** Outputs the storage capability adds to every stack (hub and spoke). */
export interface StorageOutputs {
  /** EFS file system id behind the `efs-sc` StorageClass. */
  efsFileSystemId: pulumi.Output<string>;
  /** ARN of the AWS Backup vault holding the stack's recovery points. */
  backupVaultArn: pulumi.Output<string>;
  /** Name of the default StorageClass (`gp3`). */
  defaultStorageClass: string;
  /** ARN of the customer KMS key of EBS volumes, EFS and backups. */
  storageKeyArn: pulumi.Output<string>;
}

/** The storage component itself: what workloads with persistent volumes wait for (not a stack output). */
export interface StorageInstall {
  readonly storage: Storage;
}

/** Builds the storage of a stack's cluster and returns its outputs. */
export function buildStorage(
  config: PlatformConfig,
  foundation: Foundation,
): StorageOutputs & StorageInstall {
  const { network, cluster, tags } = foundation;
  const settings = storageSettings(config);
  const storage = new Storage(config.stack, {
    clusterName: cluster.clusterName,
    kubernetesVersion: config.kubernetesVersion,
    region: config.region,
    vpcId: network.vpcId,
    privateSubnetIds: network.privateSubnetIds,
    availabilityZoneCount: network.availabilityZoneCount,
    nodeSecurityGroupId: cluster.nodeSecurityGroupId,
    provider: foundation.provider,
    reclaimPolicy: settings.reclaimPolicy,
    performanceIopsPerGB: settings.performanceIopsPerGB,
    performanceIops: settings.performanceIops,
    efsThroughputMode: settings.efsThroughputMode,
    backupSchedule: settings.backupSchedule,
    backupRetentionDays: settings.backupRetentionDays,
    backupCopyVaultArn: settings.backupCopyVaultArn,
    backupCopyRetentionDays: settings.backupCopyRetentionDays,
    // The add-ons need running nodes and the Pod Identity agent: wait for the whole cluster.
    addonDependsOn: [cluster],
    protect: config.production,
    tags,
  });
  return {
    storage,
    efsFileSystemId: storage.efsFileSystemId,
    backupVaultArn: storage.backupVaultArn,
    defaultStorageClass: storage.defaultStorageClass,
    storageKeyArn: storage.key.arn,
  };
}
