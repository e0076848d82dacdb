/**
 * Names the EKS API defines, shared by the program and the policy pack: the control-plane log types
 * and the managed access policies with their ARNs. No imports, so the pack (policy/, a package of
 * its own) can import it as it imports components/cluster/versions.ts.
 */

/** The five EKS control-plane log types. https://docs.aws.amazon.com/eks/latest/userguide/control-plane-logs.html */
export const CONTROL_PLANE_LOG_TYPES = [
  "api",
  "audit",
  "authenticator",
  "controllerManager",
  "scheduler",
] as const;

/**
 * The EKS managed access policies an access entry may associate.
 * https://docs.aws.amazon.com/eks/latest/userguide/access-policy-permissions.html
 */
export const ACCESS_POLICY_NAMES = [
  "AmazonEKSClusterAdminPolicy",
  "AmazonEKSAdminPolicy",
  "AmazonEKSEditPolicy",
  "AmazonEKSViewPolicy",
] as const;

/** One of {@link ACCESS_POLICY_NAMES}. */
export type AccessPolicyName = (typeof ACCESS_POLICY_NAMES)[number];

/**
 * The ARN of an EKS managed access policy, `arn:<partition>:eks::aws:cluster-access-policy/<name>`.
 * https://docs.aws.amazon.com/eks/latest/userguide/access-policy-permissions.html
 */
export function accessPolicyArn(partition: string, policy: string): string {
  return `arn:${partition}:eks::aws:cluster-access-policy/${policy}`;
}
