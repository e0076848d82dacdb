import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { stringify } from "yaml";
import { factsData, type PlatformFacts } from "./facts";
import {
  BUILTIN_NAMESPACES,
  FLUX_DEFAULT_SERVICE_ACCOUNT,
  FLUX_INFRASTRUCTURE_SA,
  FLUX_GIT_REPOSITORY,
  FLUX_GIT_SECRET,
  FLUX_NAMESPACE,
  FLUX_OBJECT_ANNOTATIONS,
  FLUX_ROOT_KUSTOMIZATION,
  KUSTOMIZE_CONTROLLER_SA,
  PLATFORM_FACTS_CONFIGMAP,
  fluxVersions,
} from "./versions";

/** Git authentication of the root GitRepository. https://fluxcd.io/flux/components/source/gitrepositories/#secret-reference */
export type GitAuth =
  | { readonly mode: "none" }
  | {
      readonly mode: "ssh";
      /** OpenSSH private key of the deploy key (a secret). */
      readonly privateKey: pulumi.Input<string>;
      /** Public key of the deploy key (`identity.pub`). @default "" */
      readonly publicKey?: pulumi.Input<string>;
      /** known_hosts lines of the Git server. */
      readonly knownHosts: pulumi.Input<string>;
    }
  | {
      readonly mode: "github-app";
      /** GitHub App ID. */
      readonly appId: pulumi.Input<string>;
      /** GitHub App installation ID. */
      readonly installationId: pulumi.Input<string>;
      /** GitHub App private key, PEM (a secret). */
      readonly privateKey: pulumi.Input<string>;
    };

/** Where Flux syncs from. */
export interface GitSourceArgs {
  /** Repository URL, `https://...` or `ssh://git@host/org/repo`. https://fluxcd.io/flux/components/source/gitrepositories/#url */
  readonly url: string;
  /** Branch to follow. @default "main" */
  readonly branch?: string;
  /** Path of the cluster's root in the repository, e.g. `./gitops/clusters/hub`. */
  readonly path: string;
  /** Fetch interval of the GitRepository (Go duration). @default "1m" */
  readonly interval?: string;
  /** Authentication. @default { mode: "none" } */
  readonly auth?: GitAuth;
}

/** Arguments of {@link Flux}. */
export interface FluxArgs {
  /** Kubernetes provider of the cluster Flux is installed on. */
  readonly provider: k8s.Provider;
  /** The Git source and the root path. */
  readonly git: GitSourceArgs;
  /** Platform facts written to the `platform-facts` ConfigMap (missing keys are ""). */
  readonly facts: PlatformFacts;
  /** Reconcile interval of the root Kustomization (drift correction). @default "10m" */
  readonly kustomizationInterval?: string;
  /**
   * Keep cross-namespace references allowed (turns off `--no-cross-namespace-refs`).
   * https://fluxcd.io/flux/installation/configuration/multitenancy/ @default false
   */
  readonly crossNamespaceRefs?: boolean;
  /** Resources the controllers must wait for (e.g. the Pod Identity association of kustomize-controller). @default [] */
  readonly controllerDependsOn?: pulumi.Input<pulumi.Resource>[];
  /**
   * The cluster's kube-prometheus-stack release. When set, the chart's own PodMonitor is on
   * (`prometheus.podMonitor.create`: the controllers' `http-prom` port) and the release waits for
   * that release, whose CRDs define PodMonitor. https://fluxcd.io/flux/monitoring/metrics/
   * @default none (no PodMonitor)
   */
  readonly prometheusStack?: pulumi.Resource;
  /**
   * Names of Flux Kustomizations (namespace flux-system) the repository declares and a platform
   * Kustomization replaces (a tenant environment's `repositoryKustomization`): the root sync drops
   * them. @default []
   */
  readonly supersededKustomizations?: readonly string[];
  /**
   * Namespaces where the repository's platform-level tree (the Kustomizations it declares in
   * flux-system) may install Helm releases, each with the chart sources its releases need. For
   * each, the platform creates the Namespace (unless built in), a `flux-infrastructure`
   * ServiceAccount bound to cluster-admin and copies of the chart sources, and the root sync makes
   * those HelmReleases impersonate the account and take their chart from the copies
   * (docs/architecture.md, "Who owns what for an adopted repository"). @default []
   */
  readonly infrastructureNamespaces?: readonly InfrastructureNamespaceArgs[];
}

/** A namespace where the repository's platform-level HelmReleases may install charts. */
export interface InfrastructureNamespaceArgs {
  /** Namespace of the HelmReleases (e.g. `cert-manager`); never flux-system or a tenant namespace. */
  readonly namespace: string;
  /**
   * HelmRepositories the releases in this namespace take charts from (`spec.chart.spec.sourceRef`
   * names, as the repository declares them in flux-system), created in this namespace.
   * https://fluxcd.io/flux/components/source/helmrepositories/ @default []
   */
  readonly chartSources?: readonly InfrastructureChartSourceArgs[];
}

/** A copy of a chart repository in an infrastructure namespace. */
export interface InfrastructureChartSourceArgs {
  /** HelmRepository name, as the HelmReleases name it. */
  readonly name: string;
  /** Repository URL: `https://...` (Helm index) or `oci://...` (OCI registry, `spec.type: oci`). */
  readonly url: string;
}

/** Module defaults of {@link Flux}. */
const fluxDefaults = {
  branch: "main",
  interval: "1m",
  kustomizationInterval: "10m",
  /** Helm release name (fixed so the plan is stable). */
  releaseName: "flux2",
  /** Fetch interval of the infrastructure chart source copies. */
  chartSourceInterval: "1h",
  /** Helm install/upgrade timeout, seconds. */
  timeoutSeconds: 600,
  /** Pod Security Standards of flux-system. https://kubernetes.io/docs/concepts/security/pod-security-admission/ */
  podSecurity: { enforce: "baseline", audit: "restricted", warn: "restricted", version: "v1.35" },
  /** Controller resources (requests/limits). */
  resources: {
    sourceController: { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "1000m", memory: "1Gi" } },
    kustomizeController: {
      requests: { cpu: "100m", memory: "64Mi" },
      limits: { cpu: "1000m", memory: "1Gi" },
    },
    helmController: { requests: { cpu: "100m", memory: "64Mi" }, limits: { cpu: "1000m", memory: "1Gi" } },
    notificationController: {
      requests: { cpu: "100m", memory: "64Mi" },
      limits: { cpu: "1000m", memory: "1Gi" },
    },
  },
};

/**
 * Values of the flux2 chart: multi-tenancy lockdown on (`--no-cross-namespace-refs`,
 * `--default-service-account=default` through `multitenancy`, `--no-remote-bases` added to
 * kustomize-controller), controllers keep cluster-admin for the platform's own Kustomizations
 * (`multitenancy.privileged`), image automation off, resource requests and limits set, the chart's
 * PodMonitor on when `podMonitor` (the kube-prometheus-stack CRDs must exist).
 * https://fluxcd.io/flux/installation/configuration/multitenancy/
 */
export function fluxHelmValues(
  options: { crossNamespaceRefs?: boolean; podMonitor?: boolean } = {},
): Record<string, unknown> {
  const crossNamespaceRefs = options.crossNamespaceRefs ?? false;
  const r = fluxDefaults.resources;
  // The chart sets --no-cross-namespace-refs=true with multitenancy.enabled; a later flag wins.
  const crossNs = crossNamespaceRefs ? ["--no-cross-namespace-refs=false"] : [];
  return {
    installCRDs: true,
    multitenancy: { enabled: true, defaultServiceAccount: FLUX_DEFAULT_SERVICE_ACCOUNT, privileged: true },
    watchAllNamespaces: true,
    policies: { create: true },
    rbac: { create: true, createAggregation: true },
    sourceController: { resources: r.sourceController },
    kustomizeController: {
      resources: r.kustomizeController,
      container: { additionalArgs: ["--no-remote-bases=true", ...crossNs] },
      serviceAccount: { create: true, automount: true, annotations: {} },
    },
    helmController: { resources: r.helmController, container: { additionalArgs: [...crossNs] } },
    notificationController: {
      resources: r.notificationController,
      container: { additionalArgs: [...crossNs] },
    },
    imageAutomationController: { create: false },
    imageReflectionController: { create: false },
    prometheus: { podMonitor: { create: options.podMonitor ?? false } },
  };
}

/** The data of the Git credentials Secret, or undefined for a public repository. */
export function gitSecretData(auth: GitAuth): Record<string, pulumi.Input<string>> | undefined {
  switch (auth.mode) {
    case "none":
      return undefined;
    case "ssh":
      // https://fluxcd.io/flux/components/source/gitrepositories/#ssh-authentication
      return {
        identity: auth.privateKey,
        "identity.pub": auth.publicKey ?? "",
        known_hosts: auth.knownHosts,
      };
    case "github-app":
      // https://fluxcd.io/flux/components/source/gitrepositories/#github
      return {
        githubAppID: auth.appId,
        githubAppInstallationID: auth.installationId,
        githubAppPrivateKey: auth.privateKey,
      };
  }
}

/** The spec of the root GitRepository (`source.toolkit.fluxcd.io/v1`). */
export function gitRepositorySpec(git: GitSourceArgs): Record<string, unknown> {
  const auth = git.auth ?? { mode: "none" };
  return {
    url: git.url,
    ref: { branch: git.branch ?? fluxDefaults.branch },
    interval: git.interval ?? fluxDefaults.interval,
    ...(auth.mode === "github-app" ? { provider: "github" } : {}),
    ...(auth.mode === "none" ? {} : { secretRef: { name: FLUX_GIT_SECRET } }),
  };
}

/** A kustomize patch of a Flux Kustomization (`spec.patches[]`). https://fluxcd.io/flux/components/kustomize/kustomizations/#patches */
export interface KustomizePatch {
  /** Strategic merge or JSON 6902 patch, YAML. */
  readonly patch: string;
  /** The objects it applies to (group, version, kind, name and namespace as regular expressions, label/annotation selectors). */
  readonly target: Readonly<Record<string, string>>;
}

/** A strategic-merge patch that removes every object its target selects from what Flux applies. */
function dropPatch(target: Readonly<Record<string, string>>): KustomizePatch {
  return {
    target,
    patch: ["$patch: delete", "apiVersion: v1", "kind: Drop", "metadata:", "  name: drop", ""].join("\n"),
  };
}

/** Regular expression matching exactly the given names (kustomize target names are regexes). */
function exactNames(names: readonly string[]): string {
  return `^(${names.map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|")})$`;
}

/**
 * What the root Kustomization drops from, and sets on, the repository's cluster tree
 * (docs/architecture.md, "Who owns what for an adopted repository"):
 * - the platform installs Flux: a Flux installation in the tree (objects labelled
 *   `app.kubernetes.io/part-of: flux`, as `flux install`/`flux bootstrap` writes them, and the
 *   `*.toolkit.fluxcd.io` CRDs) is dropped, so one Flux runs per cluster;
 * - the objects `flux bootstrap` writes and Pulumi creates (Namespace, GitRepository,
 *   Kustomization and Secret `flux-system`) are dropped, so Pulumi's stay the only ones;
 * - the repository's Kustomizations that a platform tenant Kustomization replaces are dropped;
 * - every Kustomization in flux-system runs as kustomize-controller: flux-system is the platform's
 *   namespace (only the root tree, itself run as the controller, writes there), and the lockdown
 *   would otherwise impersonate `flux-system/default`, which may do nothing;
 * - with `infrastructureNamespaces`, those Kustomizations get {@link infrastructurePatches} (they
 *   replace any `spec.patches` the repository set on them; the preflight reports that).
 * https://fluxcd.io/flux/components/kustomize/kustomizations/#patches
 */
export function rootSyncPatches(
  options: {
    supersededKustomizations?: readonly string[];
    infrastructureNamespaces?: readonly string[];
  } = {},
): KustomizePatch[] {
  const kustomization = { group: "kustomize.toolkit.fluxcd.io", kind: "Kustomization" };
  const dropped = [FLUX_ROOT_KUSTOMIZATION, ...(options.supersededKustomizations ?? [])];
  const nested = infrastructurePatches(options.infrastructureNamespaces ?? []);
  return [
    {
      target: { ...kustomization, namespace: FLUX_NAMESPACE },
      patch: stringify({
        apiVersion: "kustomize.toolkit.fluxcd.io/v1",
        kind: "Kustomization",
        metadata: { name: "any" },
        spec: {
          serviceAccountName: KUSTOMIZE_CONTROLLER_SA,
          ...(nested.length > 0 ? { patches: nested } : {}),
        },
      }),
    },
    dropPatch({ labelSelector: "app.kubernetes.io/part-of=flux" }),
    dropPatch({ kind: "CustomResourceDefinition", name: ".*\\.toolkit\\.fluxcd\\.io$" }),
    dropPatch({ kind: "Namespace", name: exactNames([FLUX_NAMESPACE]) }),
    dropPatch({ kind: "Secret", namespace: FLUX_NAMESPACE, name: exactNames([FLUX_GIT_SECRET]) }),
    dropPatch({
      group: "source.toolkit.fluxcd.io",
      kind: "GitRepository",
      namespace: FLUX_NAMESPACE,
      name: exactNames([FLUX_GIT_REPOSITORY]),
    }),
    dropPatch({ ...kustomization, namespace: FLUX_NAMESPACE, name: exactNames(dropped) }),
  ];
}

/**
 * The patches the root sync puts on the repository's Kustomizations in flux-system, for the
 * namespaces where their HelmReleases may install charts: the Namespace objects the platform
 * creates are dropped (one owner), and every HelmRelease in one of those namespaces impersonates
 * the namespace's `flux-infrastructure` account and takes its chart from a source of the same name
 * in its own namespace (the platform's copy): the lockdown refuses the repository's `flux-system`
 * sources and its default account. HelmReleases in any other namespace are left as written (and
 * refused by the lockdown). Empty for no namespaces.
 * https://fluxcd.io/flux/installation/configuration/multitenancy/
 */
export function infrastructurePatches(namespaces: readonly string[]): KustomizePatch[] {
  if (namespaces.length === 0) return [];
  const created = namespaces.filter((ns) => !BUILTIN_NAMESPACES.includes(ns));
  return [
    ...(created.length > 0 ? [dropPatch({ kind: "Namespace", name: exactNames(created) })] : []),
    ...namespaces.map((ns) => ({
      target: { group: "helm.toolkit.fluxcd.io", kind: "HelmRelease", namespace: exactNames([ns]) },
      patch: stringify({
        apiVersion: "helm.toolkit.fluxcd.io/v2",
        kind: "HelmRelease",
        metadata: { name: "any" },
        spec: {
          serviceAccountName: FLUX_INFRASTRUCTURE_SA,
          chart: { spec: { sourceRef: { namespace: ns } } },
        },
      }),
    })),
  ];
}

/** Pod Security Admission labels of the namespaces Flux owns ({@link fluxDefaults}.podSecurity). */
function podSecurityLabels(): Record<string, string> {
  const ps = fluxDefaults.podSecurity;
  return {
    "pod-security.kubernetes.io/enforce": ps.enforce,
    "pod-security.kubernetes.io/enforce-version": ps.version,
    "pod-security.kubernetes.io/audit": ps.audit,
    "pod-security.kubernetes.io/audit-version": ps.version,
    "pod-security.kubernetes.io/warn": ps.warn,
    "pod-security.kubernetes.io/warn-version": ps.version,
  };
}

/**
 * For each infrastructure namespace: the Namespace (unless built in), the `flux-infrastructure`
 * ServiceAccount, its ClusterRoleBinding to cluster-admin (a chart such as cert-manager installs
 * CRDs, ClusterRoles and webhooks: nothing narrower can install it; the pack's
 * `no-cluster-admin-binding` judges each binding) and the HelmRepository copies. Returns them, for
 * the root Kustomization to wait on.
 */
function infrastructureNamespaces(
  parent: pulumi.Resource,
  name: string,
  namespaces: readonly InfrastructureNamespaceArgs[],
  provider: k8s.Provider,
  release: pulumi.Resource,
): pulumi.Resource[] {
  const labels = {
    "app.kubernetes.io/managed-by": "pulumi",
    "app.kubernetes.io/part-of": "flux-infrastructure",
  };
  return namespaces.flatMap((infra) => {
    const ns = infra.namespace;
    const opts = { parent, provider };
    const created: pulumi.Resource[] = [];
    if (!BUILTIN_NAMESPACES.includes(ns))
      created.push(
        new k8s.core.v1.Namespace(
          `${name}-infra-${ns}`,
          {
            metadata: {
              name: ns,
              labels: {
                ...labels,
                ...podSecurityLabels(),
              },
            },
          },
          opts,
        ),
      );
    const sa = new k8s.core.v1.ServiceAccount(
      `${name}-infra-${ns}-reconciler`,
      {
        metadata: { name: FLUX_INFRASTRUCTURE_SA, namespace: ns, labels },
        automountServiceAccountToken: false,
      },
      { ...opts, dependsOn: created },
    );
    const binding = new k8s.rbac.v1.ClusterRoleBinding(
      `${name}-infra-${ns}-reconciler`,
      {
        metadata: { name: `${FLUX_INFRASTRUCTURE_SA}-${ns}`, labels },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "cluster-admin" },
        subjects: [{ kind: "ServiceAccount", name: FLUX_INFRASTRUCTURE_SA, namespace: ns }],
      },
      opts,
    );
    const sources = (infra.chartSources ?? []).map(
      (source) =>
        new k8s.apiextensions.CustomResource(
          `${name}-infra-${ns}-chart-${source.name}`,
          {
            apiVersion: "source.toolkit.fluxcd.io/v1",
            kind: "HelmRepository",
            metadata: { name: source.name, namespace: ns, labels, annotations: FLUX_OBJECT_ANNOTATIONS },
            spec: {
              interval: fluxDefaults.chartSourceInterval,
              url: source.url,
              ...(source.url.startsWith("oci://") ? { type: "oci" } : {}),
            },
          },
          { ...opts, dependsOn: [release, ...created] },
        ),
    );
    return [...created, sa, binding, ...sources];
  });
}

/**
 * The spec of the root Kustomization (`kustomize.toolkit.fluxcd.io/v1`): `path` of the root
 * GitRepository, pruned, run as kustomize-controller, with {@link rootSyncPatches} and the facts
 * substituted. `interval` defaults to 10m.
 */
export function rootKustomizationSpec(
  path: string,
  interval = fluxDefaults.kustomizationInterval,
  options: {
    supersededKustomizations?: readonly string[];
    infrastructureNamespaces?: readonly string[];
  } = {},
): Record<string, unknown> {
  return {
    interval,
    path,
    prune: true,
    sourceRef: { kind: "GitRepository", name: FLUX_GIT_REPOSITORY },
    // Lockdown impersonates `default` when no account is named: the platform's own tree runs as the controller.
    serviceAccountName: KUSTOMIZE_CONTROLLER_SA,
    patches: rootSyncPatches(options),
    postBuild: { substituteFrom: [{ kind: "ConfigMap", name: PLATFORM_FACTS_CONFIGMAP }] },
  };
}

/**
 * Flux on one cluster: the `flux-system` namespace, the flux2 Helm chart (pinned), the platform
 * facts ConfigMap, the Git credentials Secret (when the repository needs them), the root
 * GitRepository and the root Kustomization with post-build substitution from the facts.
 * https://fluxcd.io/flux/installation/
 */
export class Flux extends pulumi.ComponentResource {
  /** The flux-system namespace. */
  public readonly namespace: k8s.core.v1.Namespace;
  /** The Helm release of the flux2 chart. */
  public readonly release: k8s.helm.v3.Release;
  /** The platform facts ConfigMap. */
  public readonly facts: k8s.core.v1.ConfigMap;
  /** The root GitRepository. */
  public readonly gitRepository: k8s.apiextensions.CustomResource;
  /** The root Kustomization. */
  public readonly kustomization: k8s.apiextensions.CustomResource;

  constructor(name: string, args: FluxArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:gitops:Flux", name, {}, opts);
    const provider = args.provider;

    this.namespace = new k8s.core.v1.Namespace(
      `${name}-namespace`,
      {
        metadata: {
          name: FLUX_NAMESPACE,
          labels: {
            "app.kubernetes.io/part-of": "flux",
            "app.kubernetes.io/managed-by": "pulumi",
            ...podSecurityLabels(),
          },
        },
      },
      { parent: this, provider },
    );

    this.release = new k8s.helm.v3.Release(
      `${name}-flux2`,
      {
        name: fluxDefaults.releaseName,
        chart: fluxVersions.chart,
        version: fluxVersions.chartVersion,
        repositoryOpts: { repo: fluxVersions.repository },
        namespace: FLUX_NAMESPACE,
        createNamespace: false,
        atomic: true,
        timeout: fluxDefaults.timeoutSeconds,
        values: fluxHelmValues({
          crossNamespaceRefs: args.crossNamespaceRefs,
          podMonitor: args.prometheusStack !== undefined,
        }),
      },
      {
        parent: this,
        provider,
        dependsOn: [
          this.namespace,
          ...(args.controllerDependsOn ?? []),
          ...(args.prometheusStack ? [args.prometheusStack] : []),
        ],
      },
    );

    this.facts = new k8s.core.v1.ConfigMap(
      `${name}-facts`,
      {
        metadata: {
          name: PLATFORM_FACTS_CONFIGMAP,
          namespace: FLUX_NAMESPACE,
          labels: { "app.kubernetes.io/managed-by": "pulumi", "reconcile.fluxcd.io/watch": "Enabled" },
        },
        data: factsData(args.facts),
      },
      { parent: this, provider, dependsOn: [this.namespace] },
    );

    this.gitRepository = this.rootGitRepository(name, args.git, provider);
    this.kustomization = this.rootKustomization(name, args, provider);

    this.registerOutputs({
      namespace: this.namespace,
      release: this.release,
      facts: this.facts,
      gitRepository: this.gitRepository,
      kustomization: this.kustomization,
    });
  }

  /** The root GitRepository, with the Secret of its credentials when the repository needs them. */
  private rootGitRepository(
    name: string,
    git: GitSourceArgs,
    provider: k8s.Provider,
  ): k8s.apiextensions.CustomResource {
    const secretData = gitSecretData(git.auth ?? { mode: "none" });
    const secret = secretData
      ? new k8s.core.v1.Secret(
          `${name}-git-auth`,
          {
            metadata: {
              name: FLUX_GIT_SECRET,
              namespace: FLUX_NAMESPACE,
              labels: { "app.kubernetes.io/managed-by": "pulumi" },
            },
            type: "Opaque",
            stringData: pulumi.secret(secretData) as pulumi.Input<Record<string, pulumi.Input<string>>>,
          },
          { parent: this, provider, dependsOn: [this.namespace] },
        )
      : undefined;
    return new k8s.apiextensions.CustomResource(
      `${name}-git-repository`,
      {
        apiVersion: "source.toolkit.fluxcd.io/v1",
        kind: "GitRepository",
        metadata: {
          name: FLUX_GIT_REPOSITORY,
          namespace: FLUX_NAMESPACE,
          annotations: FLUX_OBJECT_ANNOTATIONS,
        },
        spec: gitRepositorySpec(git),
      },
      { parent: this, provider, dependsOn: [this.release, ...(secret ? [secret] : [])] },
    );
  }

  /**
   * The root Kustomization, applying the cluster's path with the facts substituted; it waits for
   * the infrastructure namespaces (created here) its HelmReleases install into.
   */
  private rootKustomization(
    name: string,
    args: FluxArgs,
    provider: k8s.Provider,
  ): k8s.apiextensions.CustomResource {
    const infrastructure = args.infrastructureNamespaces ?? [];
    return new k8s.apiextensions.CustomResource(
      `${name}-kustomization`,
      {
        apiVersion: "kustomize.toolkit.fluxcd.io/v1",
        kind: "Kustomization",
        metadata: {
          name: FLUX_ROOT_KUSTOMIZATION,
          namespace: FLUX_NAMESPACE,
          annotations: FLUX_OBJECT_ANNOTATIONS,
        },
        spec: rootKustomizationSpec(args.git.path, args.kustomizationInterval, {
          supersededKustomizations: args.supersededKustomizations,
          infrastructureNamespaces: infrastructure.map((i) => i.namespace),
        }),
      },
      {
        parent: this,
        provider,
        dependsOn: [
          this.release,
          this.gitRepository,
          this.facts,
          ...infrastructureNamespaces(this, name, infrastructure, provider, this.release),
        ],
      },
    );
  }
}
