/**
 * Pure logic of the AWS Load Balancer Controller add-on: its pinned chart, IAM policy and Helm
 * values. Value keys follow the chart's values.yaml at the pinned version.
 * https://kubernetes-sigs.github.io/aws-load-balancer-controller/
 */
import iamPolicy from "./iam-policy.json";
import type { PolicyDocument, PolicyStatement } from "../shared/aws";
import type { ChartPin } from "../shared/helm";
import { replicasFor, restrictedContainer } from "../shared/kubernetes";

/**
 * AWS Load Balancer Controller chart 3.5.0 (controller v3.5.0).
 * https://github.com/aws/eks-charts/tree/master/stable/aws-load-balancer-controller
 */
export const loadBalancerControllerChart: ChartPin = {
  chart: "aws-load-balancer-controller",
  version: "3.5.0",
  repo: "https://aws.github.io/eks-charts",
};

/** Module defaults of the add-on. */
export const loadBalancerControllerDefaults = {
  /** Namespace of the controller. */
  namespace: "kube-system",
  /** Its ServiceAccount, the subject of the Pod Identity association. */
  serviceAccount: "aws-load-balancer-controller",
  /** Requests and limits of the controller container. */
  resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "256Mi" } },
} as const;

/**
 * The controller's IAM policy (docs/install/iam_policy.json of the controller at v3.5.0), with
 * every unconditioned `Resource: "*"` statement limited to the cluster's region by an
 * `aws:RequestedRegion` condition (Describe and Get calls support no resource ARNs).
 */
export function loadBalancerControllerPolicy(region: string): PolicyDocument {
  const source = iamPolicy as unknown as { Statement: PolicyStatement[] };
  return {
    Version: "2012-10-17",
    Statement: source.Statement.map((statement) => {
      const resources = Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
      if (statement.Effect !== "Allow" || statement.Condition || !resources.includes("*")) return statement;
      return { ...statement, Condition: { StringEquals: { "aws:RequestedRegion": region } } };
    }),
  };
}

/** Values of the aws-load-balancer-controller chart. */
export function loadBalancerControllerValues(args: {
  clusterName: string;
  region: string;
  vpcId: string;
  production: boolean;
}): Record<string, unknown> {
  const replicas = replicasFor(args.production);
  return {
    clusterName: args.clusterName,
    region: args.region,
    vpcId: args.vpcId,
    replicaCount: replicas,
    podDisruptionBudget: replicas > 1 ? { maxUnavailable: 1 } : {},
    serviceAccount: { create: true, name: loadBalancerControllerDefaults.serviceAccount },
    resources: loadBalancerControllerDefaults.resources,
    podSecurityContext: { fsGroup: 65534, seccompProfile: { type: "RuntimeDefault" } },
    securityContext: restrictedContainer,
    // New Services default to internal; an internet-facing load balancer must be asked for.
    defaultLoadBalancerScheme: "internal",
    defaultTargetType: "ip",
  };
}
