/**
 * An encrypted, regional EFS file system with a mount target per private subnet, reachable only
 * from the cluster nodes (NFS, 2049/tcp), and a file system policy that refuses unencrypted
 * transport. https://docs.aws.amazon.com/efs/latest/ug/whatisefs.html
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { awsTags } from "../shared/aws";
import { efsFileSystemPolicy, type EfsThroughputMode } from "./logic";

/** Module defaults of {@link EfsFileSystem}. */
const efsDefaults = {
  performanceMode: "generalPurpose",
  /** Files untouched for 30 days move to Infrequent Access; back to Standard on first access. */
  lifecyclePolicies: [
    { transitionToIa: "AFTER_30_DAYS" },
    { transitionToPrimaryStorageClass: "AFTER_1_ACCESS" },
  ],
  nfsPort: 2049,
};

/** Arguments of {@link EfsFileSystem}. */
export interface EfsFileSystemArgs {
  /** EKS cluster name (descriptions). */
  readonly clusterName: pulumi.Output<string>;
  /** ARN of the customer KMS key encrypting the file system. */
  readonly kmsKeyArn: pulumi.Input<string>;
  /** VPC of the cluster (the mount targets' security group lives there). */
  readonly vpcId: pulumi.Input<string>;
  /** Private subnet ids, one per AZ: each gets a mount target. */
  readonly privateSubnetIds: pulumi.Input<string[]>;
  /** Number of AZs (= private subnets): the number of mount targets. */
  readonly availabilityZoneCount: number;
  /** Security group of the nodes: the only source admitted to NFS. */
  readonly nodeSecurityGroupId: pulumi.Input<string>;
  /** EFS throughput mode. https://docs.aws.amazon.com/efs/latest/ug/performance.html#throughput-modes The schema's `storage.efsThroughputMode` supplies the default. */
  readonly throughputMode: EfsThroughputMode;
  /** Protect the file system against deletion. @default false */
  readonly protect?: boolean;
  /** Tags for every AWS resource, merged last. @default {} */
  readonly tags?: Record<string, string>;
}

/** The cluster's EFS file system and its mount targets. */
export class EfsFileSystem extends pulumi.ComponentResource {
  /** The file system. */
  public readonly fileSystem: aws.efs.FileSystem;
  /** Security group of the mount targets. */
  public readonly securityGroupId: pulumi.Output<string>;
  /** One mount target per private subnet (StorageClasses using EFS wait for them). */
  public readonly mountTargets: aws.efs.MountTarget[];

  constructor(name: string, args: EfsFileSystemArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:storage:EfsFileSystem", name, {}, opts);
    const tags = args.tags ?? {};
    this.fileSystem = new aws.efs.FileSystem(
      `${name}-efs`,
      {
        encrypted: true,
        kmsKeyId: args.kmsKeyArn,
        performanceMode: efsDefaults.performanceMode,
        throughputMode: args.throughputMode,
        lifecyclePolicies: efsDefaults.lifecyclePolicies,
        tags: awsTags(`${name}-efs`, tags),
      },
      { parent: this, protect: args.protect ?? false },
    );
    new aws.efs.FileSystemPolicy(
      `${name}-efs`,
      {
        fileSystemId: this.fileSystem.id,
        policy: this.fileSystem.arn.apply((arn) => JSON.stringify(efsFileSystemPolicy(arn))),
      },
      { parent: this },
    );
    const securityGroup = new aws.ec2.SecurityGroup(
      `${name}-efs`,
      {
        vpcId: args.vpcId,
        description: pulumi.interpolate`${args.clusterName}: EFS mount targets, NFS from the cluster nodes only`,
        tags: awsTags(`${name}-efs`, tags),
      },
      { parent: this },
    );
    this.securityGroupId = securityGroup.id;
    const nfsRule = new aws.vpc.SecurityGroupIngressRule(
      `${name}-efs-nfs-from-nodes`,
      {
        securityGroupId: securityGroup.id,
        referencedSecurityGroupId: args.nodeSecurityGroupId,
        ipProtocol: "tcp",
        fromPort: efsDefaults.nfsPort,
        toPort: efsDefaults.nfsPort,
        description: "NFS (2049/tcp) from the cluster nodes: EFS CSI mounts",
        tags: awsTags(`${name}-efs-nfs-from-nodes`, tags),
      },
      { parent: this },
    );
    this.mountTargets = Array.from(
      { length: args.availabilityZoneCount },
      (_, i) =>
        new aws.efs.MountTarget(
          `${name}-efs-${i}`,
          {
            fileSystemId: this.fileSystem.id,
            subnetId: pulumi.output(args.privateSubnetIds).apply((ids) => {
              if (ids.length < args.availabilityZoneCount) {
                throw new Error(
                  `${name}: ${ids.length} private subnets for ${args.availabilityZoneCount} EFS mount targets`,
                );
              }
              return ids[i];
            }),
            securityGroups: [securityGroup.id],
          },
          { parent: this, dependsOn: [nfsRule] },
        ),
    );
    this.registerOutputs({ securityGroupId: this.securityGroupId });
  }
}
