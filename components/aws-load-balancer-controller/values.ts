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
  /** The IngressClass (and IngressClassParams) whose load balancers are internal. */
  ingressClass: "alb",
  /** The IngressClass (and IngressClassParams) of internet-facing load balancers, when allowed. */
  internetFacingIngressClass: "alb-internet-facing",
  /** The controller name IngressClasses of this controller carry. */
  controller: "ingress.k8s.aws/alb",
} as const;

/** The load balancer scheme: `internal` (VPC-only addresses) or `internet-facing`. */
export type LoadBalancerScheme = "internal" | "internet-facing";

/**
 * The spec of an IngressClassParams: every Ingress of the class gets this scheme, whatever its
 * annotations say; `namespaces`, when given, limits the class to those namespaces.
 * https://kubernetes-sigs.github.io/aws-load-balancer-controller/latest/guide/ingress/ingress_class/#ingressclassparams
 */
export function ingressClassParamsSpec(
  scheme: LoadBalancerScheme,
  namespaces: readonly string[] = [],
): Record<string, unknown> {
  return {
    scheme,
    ipAddressType: "ipv4",
    ...(namespaces.length > 0
      ? {
          namespaceSelector: {
            matchExpressions: [
              { key: "kubernetes.io/metadata.name", operator: "In", values: [...namespaces] },
            ],
          },
        }
      : {}),
  };
}

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
    // The IngressClasses and their IngressClassParams are Pulumi resources (the pack judges their
    // scheme), created once the controller's webhook runs, as the chart recommends.
    createIngressClassResource: false,
    ingressClassParams: { create: false },
    // Ingresses choose a class by spec.ingressClassName only, so a class's scheme cannot be bypassed
    // through the legacy kubernetes.io/ingress.class annotation.
    disableIngressClassAnnotation: true,
  };
}
