/**
 * The CSI drivers of a cluster as pinned EKS managed add-ons: the CSI snapshot controller, the EBS
 * CSI driver (with the storage key) and the EFS CSI driver, each controller bound to its IAM role by
 * EKS Pod Identity.
 * https://docs.aws.amazon.com/eks/latest/userguide/workloads-add-ons-available-eks.html
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { awsTags } from "../shared/aws";
import { podIdentityRole } from "../shared/pod-identity";
import { csiServiceAccounts, ebsCsiKmsPolicy, managedPolicies } from "./logic";

/** Critical add-ons may run on the tainted system pool. */
const systemToleration = { key: "CriticalAddonsOnly", operator: "Exists" };

/** Arguments of {@link CsiDrivers}. */
export interface CsiDriversArgs {
  /** EKS cluster name (an Output of the cluster, so the add-ons wait for it). */
  readonly clusterName: pulumi.Input<string>;
  /** Pinned add-on versions by EKS add-on name. */
  readonly versions: Readonly<Record<string, string>>;
  /** ARN of the storage KMS key the EBS CSI controller encrypts volumes with. */
  readonly kmsKeyArn: pulumi.Output<string>;
  /** Turns an AWS managed policy name into its ARN in the account's partition. */
  readonly managedPolicyArn: (policy: string) => pulumi.Output<string>;
  /** Resources the add-ons wait for (node groups and the Pod Identity agent). @default [] */
  readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
  /** Tags for every AWS resource, merged last. @default {} */
  readonly tags?: Record<string, string>;
}

/** The snapshot controller and the EBS and EFS CSI drivers. */
export class CsiDrivers extends pulumi.ComponentResource {
  /** The snapshot controller add-on (installs the snapshot.storage.k8s.io CRDs). */
  public readonly snapshotController: aws.eks.Addon;
  /** The EBS CSI driver add-on. */
  public readonly ebs: aws.eks.Addon;
  /** The EFS CSI driver add-on. */
  public readonly efs: aws.eks.Addon;

  constructor(name: string, args: CsiDriversArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:storage:CsiDrivers", name, {}, opts);
    const tags = args.tags ?? {};
    const dependsOn = args.dependsOn ?? [];
    const clusterName = pulumi.output(args.clusterName);
    const addon = (
      suffix: string,
      addonName: string,
      extra: Partial<aws.eks.AddonArgs>,
      after: pulumi.Input<pulumi.Resource>[],
    ) =>
      new aws.eks.Addon(
        `${name}-${suffix}`,
        {
          clusterName: args.clusterName,
          resolveConflictsOnCreate: "OVERWRITE",
          resolveConflictsOnUpdate: "OVERWRITE",
          addonName,
          addonVersion: args.versions[addonName],
          tags: awsTags(`${name}-${suffix}`, tags),
          ...extra,
        },
        { parent: this, dependsOn: [...dependsOn, ...after] },
      );
    this.snapshotController = addon(
      "snapshot-controller",
      "snapshot-controller",
      { configurationValues: JSON.stringify({ tolerations: [systemToleration] }) },
      [],
    );

    const ebsRole = this.role(
      `${name}-ebs-csi`,
      pulumi.interpolate`${clusterName}: EBS CSI controller (Pod Identity)`,
      args,
    );
    const ebsPolicies: pulumi.Resource[] = [
      new aws.iam.RolePolicyAttachment(
        `${name}-ebs-csi-driver-policy`,
        { role: ebsRole.name, policyArn: args.managedPolicyArn(managedPolicies.ebsCsi) },
        { parent: this },
      ),
      new aws.iam.RolePolicy(
        `${name}-ebs-csi-kms`,
        { role: ebsRole.name, policy: args.kmsKeyArn.apply((arn) => JSON.stringify(ebsCsiKmsPolicy(arn))) },
        { parent: this },
      ),
    ];
    this.ebs = addon(
      "ebs-csi",
      "aws-ebs-csi-driver",
      { podIdentityAssociations: [{ roleArn: ebsRole.arn, serviceAccount: csiServiceAccounts.ebs }] },
      [...ebsPolicies, this.snapshotController],
    );

    const efsRole = this.role(
      `${name}-efs-csi`,
      pulumi.interpolate`${clusterName}: EFS CSI controller (Pod Identity)`,
      args,
    );
    const efsPolicy = new aws.iam.RolePolicyAttachment(
      `${name}-efs-csi-driver-policy`,
      { role: efsRole.name, policyArn: args.managedPolicyArn(managedPolicies.efsCsi) },
      { parent: this },
    );
    this.efs = addon(
      "efs-csi",
      "aws-efs-csi-driver",
      { podIdentityAssociations: [{ roleArn: efsRole.arn, serviceAccount: csiServiceAccounts.efs }] },
      [efsPolicy],
    );
    this.registerOutputs({});
  }

  /** An IAM role a CSI controller assumes through EKS Pod Identity. */
  private role(resourceName: string, description: pulumi.Input<string>, args: CsiDriversArgs): aws.iam.Role {
    return podIdentityRole(resourceName, description, args.tags ?? {}, { parent: this });
  }
}
