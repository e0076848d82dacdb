/**
 * Pure Kubernetes conventions shared by the components. No resources are created here.
 */

/**
 * Container security context of the Pod Security Standards' `restricted` profile.
 * https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted
 */
export const restrictedContainer = {
  allowPrivilegeEscalation: false,
  capabilities: { drop: ["ALL"] },
  runAsNonRoot: true,
  readOnlyRootFilesystem: true,
  seccompProfile: { type: "RuntimeDefault" },
};

/** Replicas of a horizontally scalable platform component: 2 in production, 1 otherwise. */
export function replicasFor(production: boolean): number {
  return production ? 2 : 1;
}
