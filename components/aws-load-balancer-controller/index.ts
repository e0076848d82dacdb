/**
 * The AWS Load Balancer Controller add-on: an IAM role for EKS Pod Identity with the controller's
 * region-bound policy, the controller's pinned Helm release in `kube-system`, and its IngressClasses:
 * `alb` (internal load balancers) and, only when allowed, `alb-internet-facing` (limited to listed
 * namespaces). It turns Services of type LoadBalancer and Ingresses into NLBs and ALBs; new ones
 * default to internal.
 * https://kubernetes-sigs.github.io/aws-load-balancer-controller/
 */
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { awsTags } from "../shared/aws";
import { podIdentityAssociation, podIdentityRole } from "../shared/pod-identity";
import { release } from "../shared/helm";
import {
  ingressClassParamsSpec,
  loadBalancerControllerChart,
  loadBalancerControllerDefaults,
  loadBalancerControllerPolicy,
  loadBalancerControllerValues,
  type LoadBalancerScheme,
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
  /** Make `alb` the cluster's default IngressClass (Ingresses without a class use it). @default true */
  readonly defaultIngressClass?: boolean;
  /**
   * Namespaces that may use the `alb-internet-facing` IngressClass; empty means no such class (every
   * Ingress load balancer is internal). The pack's `no-internet-facing-ingress` judges it.
   * @default []
   */
  readonly internetFacingNamespaces?: readonly string[];
  /** Production: 2 replicas and a PodDisruptionBudget. @default false */
  readonly production?: boolean;
  /** Tags for every AWS resource, merged last. @default {} */
  readonly tags?: Record<string, string>;
}

/** The AWS Load Balancer Controller of one cluster, with its Pod Identity role. */
export class AwsLoadBalancerController extends pulumi.ComponentResource {
  /** The controller's Helm release: Services of type LoadBalancer wait for it. */
  public readonly release: k8s.helm.v3.Release;
  /** The IngressClasses: `alb` (internal) and, when allowed, `alb-internet-facing`. */
  public readonly ingressClasses: k8s.networking.v1.IngressClass[];

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
    const k8sOpts = { parent: this, provider: args.provider, dependsOn: [this.release] };
    const publicNamespaces = args.internetFacingNamespaces ?? [];
    this.ingressClasses = [
      this.ingressClass(resourceName, "internal", [], args.defaultIngressClass ?? true, k8sOpts),
      ...(publicNamespaces.length > 0
        ? [this.ingressClass(`${resourceName}-public`, "internet-facing", publicNamespaces, false, k8sOpts)]
        : []),
    ];
    this.registerOutputs({ release: this.release, ingressClasses: this.ingressClasses });
  }

  /** An IngressClassParams fixing the scheme, and the IngressClass that refers to it (same name). */
  private ingressClass(
    name: string,
    scheme: LoadBalancerScheme,
    namespaces: readonly string[],
    isDefault: boolean,
    opts: pulumi.CustomResourceOptions,
  ): k8s.networking.v1.IngressClass {
    const className =
      scheme === "internal"
        ? loadBalancerControllerDefaults.ingressClass
        : loadBalancerControllerDefaults.internetFacingIngressClass;
    const params = new k8s.apiextensions.CustomResource(
      `${name}-class-params`,
      {
        apiVersion: "elbv2.k8s.aws/v1beta1",
        kind: "IngressClassParams",
        metadata: { name: className },
        spec: ingressClassParamsSpec(scheme, namespaces),
      },
      opts,
    );
    return new k8s.networking.v1.IngressClass(
      `${name}-class`,
      {
        metadata: {
          name: className,
          annotations: isDefault ? { "ingressclass.kubernetes.io/is-default-class": "true" } : {},
        },
        spec: {
          controller: loadBalancerControllerDefaults.controller,
          parameters: { apiGroup: "elbv2.k8s.aws", kind: "IngressClassParams", name: className },
        },
      },
      { ...opts, dependsOn: [params] },
    );
  }
}
