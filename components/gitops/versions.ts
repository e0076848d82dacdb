/**
 * Pinned versions and shared names of the gitops capability, in one place.
 *
 * Flux is installed from the fluxcd-community `flux2` Helm chart. Chart 2.18.3 ships Flux v2.8.5
 * (kustomize-controller v1.8.3, source-controller v1.8.2): `Kustomization.spec.kubeConfig.configMapRef`
 * (secret-less remote clusters) needs Flux 2.7+, `GitRepository.spec.provider: github` needs 2.5+.
 * https://github.com/fluxcd-community/helm-charts/tree/main/charts/flux2
 */

/** The Flux chart and version. Bump `chartVersion` and `fluxVersion` together. */
export const fluxVersions = {
  /** Helm chart name. */
  chart: "flux2",
  /** Exact chart version. */
  chartVersion: "2.18.3",
  /** The Flux release the chart installs (its appVersion). */
  fluxVersion: "2.8.5",
  /** Chart repository. */
  repository: "https://fluxcd-community.github.io/helm-charts",
} as const;

/** Names shared with other areas (tenancy, observability) and with the Git content. */
export const FLUX_NAMESPACE = "flux-system";
/** The root GitRepository (and root Kustomization) name, as `flux bootstrap` names them. */
export const FLUX_GIT_REPOSITORY = "flux-system";
/** The root Kustomization name. */
export const FLUX_ROOT_KUSTOMIZATION = "flux-system";
/** The Secret holding Git credentials. */
export const FLUX_GIT_SECRET = "flux-system";
/** The ConfigMap of platform facts Flux substitutes into Git content. */
export const PLATFORM_FACTS_CONFIGMAP = "platform-facts";
/** The kustomize-controller's ServiceAccount (the hub's Flux identity for spokes uses it). */
export const KUSTOMIZE_CONTROLLER_SA = "kustomize-controller";
/**
 * Service account multi-tenancy lockdown impersonates when a Kustomization names none
 * (`--default-service-account`). https://fluxcd.io/flux/installation/configuration/multitenancy/
 */
export const FLUX_DEFAULT_SERVICE_ACCOUNT = "default";
/**
 * ServiceAccount the platform creates in each infrastructure namespace (`platform:gitops.infrastructureNamespaces`):
 * helm-controller impersonates it for the repository's platform-level HelmReleases there.
 */
export const FLUX_INFRASTRUCTURE_SA = "flux-infrastructure";
/**
 * Annotations of every Flux object the platform creates with Pulumi (GitRepository,
 * HelmRepository, Kustomization): Pulumi deletes them with background propagation.
 *
 * With the Kubernetes provider's default, foreground, the API server adds the `foregroundDeletion`
 * finalizer to the object being deleted, and the Flux controller's removal of its own finalizer is
 * refused ("no new finalizers can be added if the object is being deleted") until a later retry;
 * for a source that had been failing, the retry waits out the controller's exponential back-off.
 * The e2e run's `pulumi destroy` of spoke-prod waited 192 s on two HelmRepositories that way. These
 * objects own no dependents to wait for, and Pulumi still waits until each one is gone (its Flux
 * finalizer done: a Kustomization's prune, a source's artifacts).
 * https://github.com/pulumi/pulumi-kubernetes/pull/3011 (`pulumi.com/deletionPropagationPolicy`),
 * https://kubernetes.io/docs/concepts/architecture/garbage-collection/#foreground-deletion
 */
export const FLUX_OBJECT_ANNOTATIONS: Readonly<Record<string, string>> = {
  "pulumi.com/deletionPropagationPolicy": "background",
};

/** Namespaces every Kubernetes cluster has from the start: the platform never creates them. */
export const BUILTIN_NAMESPACES: readonly string[] = [
  "default",
  "kube-system",
  "kube-public",
  "kube-node-lease",
];

/**
 * The Flux kinds the pinned chart installs with the platform's values (`fluxHelmValues`: source,
 * kustomize, helm and notification controllers; image automation and source-watcher off) and the
 * API versions each serves, from the chart's CRDs (`templates/*.crds.yaml` of flux2 2.18.3; a test
 * compares this table with them). Group -> kind -> served versions.
 * https://fluxcd.io/flux/components/
 */
export const fluxServedVersions: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>> = {
  "source.toolkit.fluxcd.io": {
    Bucket: ["v1"],
    ExternalArtifact: ["v1"],
    GitRepository: ["v1"],
    HelmChart: ["v1"],
    HelmRepository: ["v1"],
    OCIRepository: ["v1"],
  },
  "kustomize.toolkit.fluxcd.io": { Kustomization: ["v1"] },
  "helm.toolkit.fluxcd.io": { HelmRelease: ["v2"] },
  "notification.toolkit.fluxcd.io": {
    Alert: ["v1beta2", "v1beta3"],
    Provider: ["v1beta2", "v1beta3"],
    Receiver: ["v1", "v1beta2"],
  },
};

/** The ServiceAccounts of the controllers the chart installs in flux-system (with the platform's values). */
export const FLUX_CONTROLLER_SERVICE_ACCOUNTS = [
  "source-controller",
  "kustomize-controller",
  "helm-controller",
  "notification-controller",
] as const;
