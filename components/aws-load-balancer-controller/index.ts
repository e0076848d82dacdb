/**
 * The AWS Load Balancer Controller add-on: an IAM role for EKS Pod Identity with the controller's
 * region-bound policy, and the controller's pinned Helm release in `kube-system`. It turns Services
 * of type LoadBalancer (and Ingresses) into NLBs and ALBs; new ones default to internal.
 * https://kubernetes-sigs.github.io/aws-load-balancer-controller/
 */
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { awsTags } from "../shared/aws";
import { podIdentityAssociation, podIdentityRole } from "../shared/pod-identity";
import { release } from "../shared/helm";
import {
  loadBalancerControllerChart,
  loadBalancerControllerDefaults,
  loadBalancerControllerPolicy,
  loadBalancerControllerValues,
} from "./values";

export * from "./values";

/** Arguments of {@link AwsLoadBalancerController}. */
export interface AwsLoadBalancerControllerArgs {
  /** EKS cluster name, as the controller's `clusterName` value. */
  readonly clusterName: string;
  /**
   * The cluster's name as the EKS cluster resource outputs it, so the Pod Identity association waits
   * for the cluster. @default clusterName
   */
  readonly eksClusterName?: pulumi.Input<string>;
  /** AWS region, e.g. `eu-west-1`: the controller's region and the bound of its wildcard statements. */
  readonly region: string;
  /** The cluster's VPC id. */
  readonly vpcId: pulumi.Input<string>;
  /** Kubernetes provider of the cluster. */
  readonly provider: k8s.Provider;
  /** Production: 2 replicas and a PodDisruptionBudget. @default false */
  readonly production?: boolean;
  /** Tags for every AWS resource, merged last. @default {} */
  readonly tags?: Record<string, string>;
}

/** The AWS Load Balancer Controller of one cluster, with its Pod Identity role. */
export class AwsLoadBalancerController extends pulumi.ComponentResource {
  /** The controller's Helm release: Services of type LoadBalancer wait for it. */
  public readonly release: k8s.helm.v3.Release;

  constructor(name: string, args: AwsLoadBalancerControllerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:aws-load-balancer-controller:AwsLoadBalancerController", name, {}, opts);
    const tags = args.tags ?? {};
    const resourceName = `${name}-lb-controller`;
    const role = podIdentityRole(
      resourceName,
      `${args.clusterName}: AWS Load Balancer Controller (EKS Pod Identity)`,
      tags,
      { parent: this },
    );
    const policy = new aws.iam.Policy(
      resourceName,
      {
        description: `${args.clusterName}: AWS Load Balancer Controller v${loadBalancerControllerChart.version} permissions, limited to ${args.region}`,
        policy: JSON.stringify(loadBalancerControllerPolicy(args.region)),
        tags: awsTags(resourceName, tags),
      },
      { parent: this },
    );
    const attachment = new aws.iam.RolePolicyAttachment(
      resourceName,
      { role: role.name, policyArn: policy.arn },
      { parent: this },
    );
    const association = podIdentityAssociation(
      resourceName,
      {
        clusterName: args.eksClusterName ?? args.clusterName,
        namespace: loadBalancerControllerDefaults.namespace,
        serviceAccount: loadBalancerControllerDefaults.serviceAccount,
        roleArn: role.arn,
        tags,
      },
      { parent: this, dependsOn: [attachment] },
    );
    this.release = release(
      resourceName,
      loadBalancerControllerChart,
      loadBalancerControllerDefaults.namespace,
      pulumi.output(args.vpcId).apply((vpcId) =>
        loadBalancerControllerValues({
          clusterName: args.clusterName,
          region: args.region,
          vpcId,
          production: args.production ?? false,
        }),
      ),
      { parent: this, provider: args.provider, dependsOn: [association] },
    );
    this.registerOutputs({ release: this.release });
  }
}
