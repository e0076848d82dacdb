/**
 * The Karpenter add-on: node autoscaling. An interruption queue fed by EventBridge, the controller's
 * Pod Identity role, a node role with its EC2_LINUX access entry, the pinned `karpenter-crd` and
 * `karpenter` charts in kube-system (on the system nodes), and the EC2NodeClass and NodePools.
 * https://karpenter.sh/docs/
 */
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { awsTags, serviceTrustPolicy } from "../shared/aws";
import { podIdentityAssociation, podIdentityRole } from "../shared/pod-identity";
import { release } from "../shared/helm";
import {
  INTERRUPTION_EVENT_PATTERNS,
  ec2NodeClassSpec,
  interruptionQueueName,
  interruptionQueuePolicy,
  karpenterCharts,
  karpenterControllerPolicy,
  karpenterDefaults,
  karpenterValues,
  nodePoolSpec,
  type KarpenterAmiFamily,
  type KarpenterNodePoolArgs,
} from "./values";

export * from "./values";

/** Arguments of {@link Karpenter}. */
export interface KarpenterArgs {
  /** EKS cluster name: tags, subnet and security group discovery, policy scope. */
  readonly clusterName: string;
  /** The cluster's name as the EKS cluster resource outputs it (associations wait for the cluster). */
  readonly eksClusterName: pulumi.Input<string>;
  /** Kubernetes minor version: picks the pinned Karpenter release. */
  readonly kubernetesVersion: string;
  /** AWS region, e.g. `eu-west-1`. */
  readonly region: string;
  /** ARN of the cluster KMS key: the nodes' volumes are encrypted with it. */
  readonly keyArn: pulumi.Input<string>;
  /** AMI family of Karpenter's nodes (the schema's `karpenter.amiFamily` supplies the default). */
  readonly amiFamily: KarpenterAmiFamily;
  /** AMI release, `latest` or a pinned release (the schema's `karpenter.amiVersion` supplies the default). */
  readonly amiVersion: string;
  /** Root (AL2023) or data (Bottlerocket) volume, GiB (the schema's `karpenter.diskSizeGiB` supplies the default). */
  readonly diskSizeGiB: number;
  /** IMDSv2 response hop limit of the nodes. @default 2 */
  readonly metadataHopLimit?: number;
  /** NodePools (at least one). */
  readonly nodePools: readonly KarpenterNodePoolArgs[];
  /** Kubernetes provider of the cluster. */
  readonly provider: k8s.Provider;
  /** Production: 2 controller replicas. @default false */
  readonly production?: boolean;
  /** Tags for every AWS resource (and the nodes), merged last. @default {} */
  readonly tags?: Record<string, string>;
}

/** The SQS queue and EventBridge rules that tell Karpenter about interruptions before they happen. */
class KarpenterInterruptionQueue extends pulumi.ComponentResource {
  /** The queue. */
  public readonly queue: aws.sqs.Queue;

  constructor(
    name: string,
    args: { clusterName: string; tags?: Record<string, string> },
    opts?: pulumi.ComponentResourceOptions,
  ) {
    super("platform:karpenter:KarpenterInterruptionQueue", name, {}, opts);
    const tags = args.tags ?? {};
    this.queue = new aws.sqs.Queue(
      name,
      {
        name: interruptionQueueName(args.clusterName),
        messageRetentionSeconds: karpenterDefaults.queueRetentionSeconds,
        sqsManagedSseEnabled: true,
        tags: awsTags(name, tags),
      },
      { parent: this },
    );
    const rules = Object.entries(INTERRUPTION_EVENT_PATTERNS).map(([event, pattern]) => {
      const rule = new aws.cloudwatch.EventRule(
        `${name}-${event}`,
        {
          description: `${args.clusterName}: ${pattern["detail-type"][0]} to Karpenter`,
          eventPattern: JSON.stringify(pattern),
          tags: awsTags(`${name}-${event}`, tags),
        },
        { parent: this },
      );
      new aws.cloudwatch.EventTarget(
        `${name}-${event}`,
        { rule: rule.name, arn: this.queue.arn, targetId: "KarpenterInterruptionQueueTarget" },
        { parent: this },
      );
      return rule;
    });
    new aws.sqs.QueuePolicy(
      name,
      {
        queueUrl: this.queue.url,
        policy: pulumi
          .all([this.queue.arn, ...rules.map((r) => r.arn)])
          .apply(([queueArn, ...ruleArns]) => JSON.stringify(interruptionQueuePolicy(queueArn, ruleArns))),
      },
      { parent: this },
    );
    this.registerOutputs({ queue: this.queue });
  }
}

/** Karpenter on one cluster. */
export class Karpenter extends pulumi.ComponentResource {
  /** The controller's Helm release: NodePools and workloads that need new nodes wait for it. */
  public readonly release: k8s.helm.v3.Release;
  /** The role of Karpenter's nodes. */
  public readonly nodeRole: aws.iam.Role;

  constructor(name: string, args: KarpenterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:karpenter:Karpenter", name, {}, opts);
    const tags = args.tags ?? {};
    const charts = karpenterCharts(args.kubernetesVersion);
    const resourceName = `${name}-karpenter`;
    const identity = aws.getCallerIdentityOutput({}, { parent: this });
    const partition = aws.getPartitionOutput({}, { parent: this });
    const interruption = new KarpenterInterruptionQueue(
      `${resourceName}-interruption`,
      { clusterName: args.clusterName, tags },
      { parent: this },
    );

    this.nodeRole = new aws.iam.Role(
      `${resourceName}-node`,
      {
        description: `${args.clusterName}: nodes launched by Karpenter`,
        assumeRolePolicy: identity.accountId.apply((id) =>
          JSON.stringify(serviceTrustPolicy("ec2.amazonaws.com", id)),
        ),
        tags: awsTags(`${resourceName}-node`, tags),
      },
      { parent: this },
    );
    const nodePolicies = karpenterDefaults.nodeRolePolicies.map(
      (policy) =>
        new aws.iam.RolePolicyAttachment(
          `${resourceName}-node-${policy}`,
          {
            role: this.nodeRole.name,
            policyArn: pulumi.interpolate`arn:${partition.partition}:iam::aws:policy/${policy}`,
          },
          { parent: this },
        ),
    );
    const accessEntry = new aws.eks.AccessEntry(
      `${resourceName}-node`,
      {
        clusterName: args.eksClusterName,
        principalArn: this.nodeRole.arn,
        type: "EC2_LINUX",
        tags: awsTags(`${resourceName}-node`, tags),
      },
      { parent: this, dependsOn: nodePolicies },
    );

    const association = this.createControllerIdentity(resourceName, args, {
      charts,
      queueArn: interruption.queue.arn,
      partition: partition.partition,
      accountId: identity.accountId,
      tags,
    });

    const k8sOpts = { parent: this, provider: args.provider };
    const crds = release(`${resourceName}-crd`, charts.crds, karpenterDefaults.namespace, {}, k8sOpts);
    this.release = release(
      resourceName,
      charts.controller,
      karpenterDefaults.namespace,
      interruption.queue.name.apply((queue) =>
        karpenterValues({
          clusterName: args.clusterName,
          interruptionQueue: queue,
          production: args.production ?? false,
        }),
      ),
      { ...k8sOpts, dependsOn: [crds, association, accessEntry] },
    );
    this.createNodePools(name, args, tags);
    this.registerOutputs({ release: this.release, nodeRole: this.nodeRole });
  }

  /** The controller's Pod Identity role with its policy, and the association. */
  private createControllerIdentity(
    resourceName: string,
    args: KarpenterArgs,
    ctx: {
      charts: ReturnType<typeof karpenterCharts>;
      queueArn: pulumi.Output<string>;
      partition: pulumi.Output<string>;
      accountId: pulumi.Output<string>;
      tags: Record<string, string>;
    },
  ): aws.eks.PodIdentityAssociation {
    const { charts, tags } = ctx;
    const role = podIdentityRole(
      resourceName,
      `${args.clusterName}: Karpenter controller (EKS Pod Identity)`,
      tags,
      {
        parent: this,
      },
    );
    const policy = new aws.iam.Policy(
      resourceName,
      {
        description: `${args.clusterName}: Karpenter v${charts.controller.version} controller permissions`,
        policy: pulumi
          .all([ctx.partition, ctx.accountId, ctx.queueArn, this.nodeRole.arn, args.keyArn])
          .apply(([p, accountId, queueArn, nodeRoleArn, keyArn]) =>
            JSON.stringify(
              karpenterControllerPolicy({
                partition: p,
                region: args.region,
                accountId,
                clusterName: args.clusterName,
                queueArn,
                nodeRoleArn,
                keyArn,
              }),
            ),
          ),
        tags: awsTags(resourceName, tags),
      },
      { parent: this },
    );
    const attachment = new aws.iam.RolePolicyAttachment(
      resourceName,
      { role: role.name, policyArn: policy.arn },
      { parent: this },
    );
    return podIdentityAssociation(
      resourceName,
      {
        clusterName: args.eksClusterName,
        namespace: karpenterDefaults.namespace,
        serviceAccount: karpenterDefaults.serviceAccount,
        roleArn: role.arn,
        tags,
      },
      { parent: this, dependsOn: [attachment] },
    );
  }

  private createNodePools(name: string, args: KarpenterArgs, tags: Record<string, string>): void {
    const opts = { parent: this, provider: args.provider, dependsOn: [this.release] };
    const nodeClass = new k8s.apiextensions.CustomResource(
      `${name}-karpenter-nodeclass`,
      {
        apiVersion: "karpenter.k8s.aws/v1",
        kind: "EC2NodeClass",
        metadata: { name: karpenterDefaults.nodeClassName },
        spec: pulumi.all([this.nodeRole.name, args.keyArn]).apply(([nodeRoleName, keyArn]) =>
          ec2NodeClassSpec({
            clusterName: args.clusterName,
            nodeRoleName,
            amiFamily: args.amiFamily,
            amiVersion: args.amiVersion,
            diskSizeGiB: args.diskSizeGiB,
            metadataHopLimit: args.metadataHopLimit ?? 2,
            keyArn,
            tags,
          }),
        ),
      },
      opts,
    );
    for (const pool of args.nodePools) {
      new k8s.apiextensions.CustomResource(
        `${name}-karpenter-nodepool-${pool.name}`,
        {
          apiVersion: "karpenter.sh/v1",
          kind: "NodePool",
          metadata: { name: pool.name },
          spec: nodePoolSpec(pool, karpenterDefaults.nodeClassName),
        },
        { ...opts, dependsOn: [nodeClass] },
      );
    }
  }
}
