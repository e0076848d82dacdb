import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { factsData, type PlatformFacts } from "./facts";
import {
  FLUX_DEFAULT_SERVICE_ACCOUNT,
  FLUX_GIT_REPOSITORY,
  FLUX_GIT_SECRET,
  FLUX_NAMESPACE,
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
   * Names of Flux Kustomizations (namespace flux-system) the repository declares and a platform
   * Kustomization replaces (a tenant environment's `repositoryKustomization`): the root sync drops
   * them. @default []
   */
  readonly supersededKustomizations?: readonly string[];
}

/** Module defaults of {@link Flux}. */
export const fluxDefaults = {
  branch: "main",
  interval: "1m",
  kustomizationInterval: "10m",
  /** Helm release name (fixed so the plan is stable). */
  releaseName: "flux2",
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
 * (`multitenancy.privileged`), image automation off, resource requests and limits set.
 * https://fluxcd.io/flux/installation/configuration/multitenancy/
 */
export function fluxHelmValues(options: { crossNamespaceRefs?: boolean } = {}): Record<string, unknown> {
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
export function dropPatch(target: Readonly<Record<string, string>>): KustomizePatch {
  return {
    target,
    patch: ["$patch: delete", "apiVersion: v1", "kind: Drop", "metadata:", "  name: drop", ""].join("\n"),
  };
}

/** Regular expression matching exactly the given names (kustomize target names are regexes). */
export function exactNames(names: readonly string[]): string {
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
 *   would otherwise impersonate `flux-system/default`, which may do nothing.
 * https://fluxcd.io/flux/components/kustomize/kustomizations/#patches
 */
export function rootSyncPatches(
  options: { supersededKustomizations?: readonly string[] } = {},
): KustomizePatch[] {
  const kustomization = { group: "kustomize.toolkit.fluxcd.io", kind: "Kustomization" };
  const dropped = [FLUX_ROOT_KUSTOMIZATION, ...(options.supersededKustomizations ?? [])];
  return [
    {
      target: { ...kustomization, namespace: FLUX_NAMESPACE },
      patch: [
        "apiVersion: kustomize.toolkit.fluxcd.io/v1",
        "kind: Kustomization",
        "metadata:",
        "  name: any",
        "spec:",
        `  serviceAccountName: ${KUSTOMIZE_CONTROLLER_SA}`,
        "",
      ].join("\n"),
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

/** The spec of the root Kustomization (`kustomize.toolkit.fluxcd.io/v1`). */
export function rootKustomizationSpec(
  path: string,
  interval = fluxDefaults.kustomizationInterval,
  options: { supersededKustomizations?: readonly string[] } = {},
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
    const auth = args.git.auth ?? { mode: "none" };
    const ps = fluxDefaults.podSecurity;

    this.namespace = new k8s.core.v1.Namespace(
      `${name}-namespace`,
      {
        metadata: {
          name: FLUX_NAMESPACE,
          labels: {
            "app.kubernetes.io/part-of": "flux",
            "app.kubernetes.io/managed-by": "pulumi",
            "pod-security.kubernetes.io/enforce": ps.enforce,
            "pod-security.kubernetes.io/enforce-version": ps.version,
            "pod-security.kubernetes.io/audit": ps.audit,
            "pod-security.kubernetes.io/audit-version": ps.version,
            "pod-security.kubernetes.io/warn": ps.warn,
            "pod-security.kubernetes.io/warn-version": ps.version,
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
        values: fluxHelmValues({ crossNamespaceRefs: args.crossNamespaceRefs }),
      },
      { parent: this, provider, dependsOn: [this.namespace, ...(args.controllerDependsOn ?? [])] },
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

    const secretData = gitSecretData(auth);
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

    this.gitRepository = new k8s.apiextensions.CustomResource(
      `${name}-git-repository`,
      {
        apiVersion: "source.toolkit.fluxcd.io/v1",
        kind: "GitRepository",
        metadata: { name: FLUX_GIT_REPOSITORY, namespace: FLUX_NAMESPACE },
        spec: gitRepositorySpec(args.git),
      },
      { parent: this, provider, dependsOn: [this.release, ...(secret ? [secret] : [])] },
    );

    this.kustomization = new k8s.apiextensions.CustomResource(
      `${name}-kustomization`,
      {
        apiVersion: "kustomize.toolkit.fluxcd.io/v1",
        kind: "Kustomization",
        metadata: { name: FLUX_ROOT_KUSTOMIZATION, namespace: FLUX_NAMESPACE },
        spec: rootKustomizationSpec(args.git.path, args.kustomizationInterval, {
          supersededKustomizations: args.supersededKustomizations,
        }),
      },
      { parent: this, provider, dependsOn: [this.release, this.gitRepository, this.facts] },
    );

    this.registerOutputs({
      namespace: this.namespace,
      release: this.release,
      facts: this.facts,
      gitRepository: this.gitRepository,
      kustomization: this.kustomization,
    });
  }
}
