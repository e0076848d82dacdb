/**
 * Pinned versions of the storage capability that components/cluster/versions.ts does not hold.
 *
 * The EBS and EFS CSI drivers are pinned there (`addonVersions()`); the CSI snapshot controller is
 * pinned here, per Kubernetes minor version, from
 * `aws eks describe-addon-versions --kubernetes-version <v> --addon-name snapshot-controller`.
 * https://docs.aws.amazon.com/eks/latest/userguide/csi-snapshot-controller.html
 */
import { SUPPORTED_KUBERNETES_VERSIONS } from "../cluster/versions";

/** Names of the EKS managed add-ons pinned by the storage capability. */
export type StorageAddonName = "snapshot-controller";

/** Exact EKS add-on versions per Kubernetes minor version (bump with components/cluster/versions.ts). */
const storageVersions: Readonly<Record<string, Readonly<Record<StorageAddonName, string>>>> = {
  "1.34": { "snapshot-controller": "v8.3.0-eksbuild.1" },
  "1.35": { "snapshot-controller": "v8.3.0-eksbuild.1" },
};

/**
 * The pinned storage add-on versions for a Kubernetes version.
 * @throws Error naming the version and the supported ones when it has no pinned set.
 */
export function storageAddonVersions(kubernetesVersion: string): Readonly<Record<StorageAddonName, string>> {
  const versions = storageVersions[kubernetesVersion];
  if (!versions) {
    throw new Error(
      `Kubernetes ${kubernetesVersion} has no pinned storage add-on versions (supported: ${Object.keys(storageVersions).join(", ")}; cluster supports ${SUPPORTED_KUBERNETES_VERSIONS.join(", ")})`,
    );
  }
  return versions;
}
