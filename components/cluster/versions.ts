/**
 * Pinned versions: Kubernetes and the EKS managed add-ons, in one place.
 *
 * Add-on versions follow `aws eks describe-addon-versions --kubernetes-version <v> --addon-name <n>`
 * (https://docs.aws.amazon.com/eks/latest/userguide/eks-add-ons.html). Bump them together with the
 * Kubernetes version; a test checks every supported Kubernetes version has a full, exact set.
 */

/** The Kubernetes version new stacks get. https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html */
export const DEFAULT_KUBERNETES_VERSION = "1.35";

/** Names of the EKS managed add-ons the platform pins. */
export type ManagedAddonName =
  | "vpc-cni"
  | "coredns"
  | "kube-proxy"
  | "eks-pod-identity-agent"
  | "aws-ebs-csi-driver"
  | "aws-efs-csi-driver";

/** Exact EKS add-on versions per Kubernetes minor version. */
export const ADDON_VERSIONS: Readonly<Record<string, Readonly<Record<ManagedAddonName, string>>>> = {
  "1.34": {
    "vpc-cni": "v1.20.4-eksbuild.2",
    coredns: "v1.12.4-eksbuild.1",
    "kube-proxy": "v1.34.1-eksbuild.2",
    "eks-pod-identity-agent": "v1.3.9-eksbuild.3",
    "aws-ebs-csi-driver": "v1.51.1-eksbuild.1",
    "aws-efs-csi-driver": "v2.1.13-eksbuild.1",
  },
  "1.35": {
    "vpc-cni": "v1.21.1-eksbuild.1",
    coredns: "v1.13.1-eksbuild.1",
    "kube-proxy": "v1.35.0-eksbuild.2",
    "eks-pod-identity-agent": "v1.3.10-eksbuild.1",
    "aws-ebs-csi-driver": "v1.53.0-eksbuild.1",
    "aws-efs-csi-driver": "v2.2.0-eksbuild.1",
  },
};

/** Kubernetes versions this release supports (those with pinned add-ons). */
export const SUPPORTED_KUBERNETES_VERSIONS = Object.keys(ADDON_VERSIONS);

/**
 * The pinned add-on versions for a Kubernetes version.
 * @throws Error naming the version and the supported ones when it has no pinned set.
 */
export function addonVersions(kubernetesVersion: string): Readonly<Record<ManagedAddonName, string>> {
  const versions = ADDON_VERSIONS[kubernetesVersion];
  if (!versions) {
    throw new Error(
      `Kubernetes ${kubernetesVersion} has no pinned EKS add-on versions (supported: ${SUPPORTED_KUBERNETES_VERSIONS.join(", ")})`,
    );
  }
  return versions;
}
