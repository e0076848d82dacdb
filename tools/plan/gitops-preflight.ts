/**
 * The GitOps preflight: follows what Flux would apply on the stack's clusters from local checkouts
 * of the repositories it syncs, with the real kustomize (`kubectl kustomize`), and reports as plan
 * verdicts what would fail or fight the platform: paths that don't exist or don't build, objects
 * both Pulumi and the repository declare, a second Flux installation, references the platform's
 * Flux lockdown refuses, API versions the pinned Flux doesn't serve. See docs/gitops.md.
 *
 * Pure apart from reading the checkouts and running kustomize: the platform side is read from the
 * plan's resources, never from mocks.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse as parseYaml, parseAllDocuments, stringify } from "yaml";
import {
  FLUX_CONTROLLER_SERVICE_ACCOUNTS,
  FLUX_INFRASTRUCTURE_SA,
  FLUX_NAMESPACE,
  PLATFORM_FACTS_CONFIGMAP,
  fluxServedVersions,
  fluxVersions,
} from "../../components/gitops/versions";

/** A checkout given with `--gitops-repo`: `<dir>` or `<url>=<dir>`. */
export interface GitOpsRepo {
  /** Repository URL the checkout is of; absent: the URL of the stack's root GitRepository. */
  readonly url?: string;
  /** Directory of the checkout (absolute). */
  readonly dir: string;
}

/**
 * Parses one `--gitops-repo` value: `<dir>` (the repository of the stack's root GitRepository) or
 * `<url>=<dir>` (`ssh://...` or `https://...`).
 * @throws Error naming the value when the directory does not exist.
 */
export function parseGitOpsRepo(value: string, cwd = process.cwd()): GitOpsRepo {
  const match = /^((?:ssh|https?):\/\/[^=\s]+)=(.+)$/.exec(value);
  const url = match?.[1];
  const dir = path.resolve(cwd, match ? match[2] : value);
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new Error(
      `--gitops-repo = "${value}": expected a directory holding a checkout of the repository Flux syncs (or <url>=<dir>)`,
    );
  return url ? { url, dir } : { dir };
}

/** A Kubernetes object as kustomize renders it. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec?: FluxSpec;
  data?: Record<string, string>;
}

/** A reference to a Flux source. */
interface SourceRef {
  kind?: string;
  name?: string;
  namespace?: string;
}

/** The spec fields of Flux objects (Kustomization, HelmRelease, sources) the preflight reads. */
export interface FluxSpec {
  path?: string;
  suspend?: boolean;
  kubeConfig?: unknown;
  serviceAccountName?: string;
  sourceRef?: SourceRef;
  targetNamespace?: string;
  namePrefix?: string;
  nameSuffix?: string;
  patches?: unknown[];
  commonMetadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  postBuild?: {
    substitute?: Record<string, string>;
    substituteFrom?: { kind: string; name: string }[];
  };
  chart?: { spec?: { sourceRef?: SourceRef } };
  chartRef?: SourceRef;
  releaseName?: string;
  url?: string;
}

/** One verdict of the preflight (mapped onto the plan's policy verdicts). */
export interface GitOpsFinding {
  /** Check name, e.g. `gitops-path-builds`. */
  readonly check: string;
  readonly level: "mandatory" | "advisory";
  /** One line naming the object/path, then detail lines. */
  readonly message: string;
  /** What the repository's owner must change (generated from the finding); absent when nothing. */
  readonly step?: string;
}

/** A resource of the plan, as the preflight reads it (inputs with secrets unwrapped). */
export interface PlannedResource {
  readonly urn: string;
  readonly type: string;
  readonly name: string;
  readonly provider?: string;
  readonly inputs: Record<string, unknown>;
}

/** The flux2 chart values the preflight reads (the lockdown). */
interface FluxValues {
  multitenancy?: { enabled?: boolean; defaultServiceAccount?: string };
  kustomizeController?: { container?: { additionalArgs?: string[] } };
}

/** What the platform puts on one cluster, read from the plan. */
export interface PlatformCluster {
  /** Identity: the API server URL of the provider's kubeconfig, else the provider URN. */
  readonly id: string;
  /** Objects Pulumi creates (key `kind/namespace/name`, namespace "" for cluster-scoped) -> resource name. */
  readonly owned: Map<string, string>;
  /** Flux Kustomizations Pulumi creates. */
  readonly kustomizations: K8sObject[];
  /** Flux sources Pulumi creates (GitRepository, ...). */
  readonly sources: K8sObject[];
  /** Whether Pulumi installs Flux here (the flux2 chart). */
  readonly fluxInstalled: boolean;
  /** The lockdown the Flux install sets: refusal of cross-namespace references, the impersonated default account. */
  readonly lockdown: { readonly noCrossNamespaceRefs: boolean; readonly defaultServiceAccount?: string };
  /** Data of the platform-facts ConfigMap (post-build variables). */
  readonly facts: Record<string, string>;
}

const CLUSTER_SCOPED = new Set([
  "Namespace",
  "ClusterRole",
  "ClusterRoleBinding",
  "CustomResourceDefinition",
  "StorageClass",
  "PriorityClass",
  "PersistentVolume",
  "ValidatingWebhookConfiguration",
  "MutatingWebhookConfiguration",
  "ValidatingAdmissionPolicy",
  "ValidatingAdmissionPolicyBinding",
  "APIService",
  "IngressClass",
  "CSIDriver",
  "RuntimeClass",
  "VolumeSnapshotClass",
  "ClusterIssuer",
  "ClusterSecretStore",
]);

/** The key of an object: `kind/namespace/name` (namespace "" for cluster-scoped kinds). */
export function objectKey(kind: string, namespace: string | undefined, name: string): string {
  return `${kind}/${CLUSTER_SCOPED.has(kind) ? "" : (namespace ?? "default")}/${name}`;
}

/** `kind namespace/name` for messages. */
function describe(kind: string, namespace: string | undefined, name: string): string {
  return CLUSTER_SCOPED.has(kind) ? `${kind} ${name}` : `${kind} ${namespace ?? "default"}/${name}`;
}

function serverOf(kubeconfig: unknown): string | undefined {
  if (typeof kubeconfig !== "string" && (typeof kubeconfig !== "object" || kubeconfig === null)) return;
  try {
    const doc = (typeof kubeconfig === "string" ? parseYaml(kubeconfig) : kubeconfig) as {
      clusters?: { cluster?: { server?: string } }[];
    };
    return doc?.clusters?.[0]?.cluster?.server;
  } catch {
    return undefined;
  }
}

/**
 * Splits a Pulumi Kubernetes resource type `kubernetes:<group>/<version>:<Kind>` (core: `core/v1`)
 * into apiVersion and kind; undefined for Helm releases and other component types.
 */
export function kubernetesType(type: string): { apiVersion: string; kind: string } | undefined {
  const m = /^kubernetes:([^:/]+\/[^:/]+):([A-Za-z0-9]+)$/.exec(type);
  if (!m || m[1] === "helm.sh/v3" || m[1].startsWith("yaml/")) return undefined;
  return { apiVersion: m[1].startsWith("core/") ? m[1].slice(5) : m[1], kind: m[2] };
}

/**
 * The platform's clusters as the plan creates them: the objects Pulumi owns, its Flux
 * Kustomizations and sources, its Flux install and lockdown, the facts. Resources are grouped by
 * cluster through their provider's API server.
 */
export function platformClusters(resources: readonly PlannedResource[]): PlatformCluster[] {
  const providerCluster = new Map<string, string>();
  for (const r of resources) {
    if (!r.type.startsWith("pulumi:providers:kubernetes")) continue;
    providerCluster.set(r.urn, serverOf(r.inputs.kubeconfig) ?? r.urn);
  }
  const clusters = new Map<string, PlatformCluster>();
  const clusterOf = (r: PlannedResource) => {
    const providerUrn = r.provider ? r.provider.replace(/::[^:]*$/, "") : "";
    const id = providerCluster.get(providerUrn) ?? (providerUrn || "default");
    let c = clusters.get(id);
    if (!c) {
      c = {
        id,
        owned: new Map(),
        kustomizations: [],
        sources: [],
        fluxInstalled: false,
        lockdown: { noCrossNamespaceRefs: false },
        facts: {},
      };
      clusters.set(id, c);
    }
    return c;
  };
  for (const r of resources) {
    if (r.type === "kubernetes:helm.sh/v3:Release") {
      if (r.inputs.chart !== fluxVersions.chart) continue;
      const values = (r.inputs.values ?? {}) as FluxValues;
      const mt = values.multitenancy ?? {};
      const args: string[] = values.kustomizeController?.container?.additionalArgs ?? [];
      const crossOff = args.includes("--no-cross-namespace-refs=false");
      const c = clusterOf(r);
      Object.assign(c, {
        fluxInstalled: true,
        lockdown: {
          noCrossNamespaceRefs: mt.enabled === true && !crossOff,
          defaultServiceAccount: mt.enabled === true ? (mt.defaultServiceAccount ?? "default") : undefined,
        },
      });
      for (const sa of FLUX_CONTROLLER_SERVICE_ACCOUNTS)
        c.owned.set(
          objectKey("ServiceAccount", (r.inputs.namespace as string) ?? FLUX_NAMESPACE, sa),
          r.name,
        );
      continue;
    }
    const t = kubernetesType(r.type);
    const meta = r.inputs.metadata as K8sObject["metadata"] | undefined;
    if (!t || !meta?.name) continue;
    const c = clusterOf(r);
    c.owned.set(objectKey(t.kind, meta.namespace, meta.name), r.name);
    const data = r.inputs.data as Record<string, string> | undefined;
    const object: K8sObject = { ...t, metadata: meta, spec: r.inputs.spec as FluxSpec | undefined, data };
    if (t.apiVersion.startsWith("kustomize.toolkit.fluxcd.io/") && t.kind === "Kustomization")
      c.kustomizations.push(object);
    if (t.apiVersion.startsWith("source.toolkit.fluxcd.io/")) c.sources.push(object);
    if (t.kind === "ConfigMap" && meta.name === PLATFORM_FACTS_CONFIGMAP && meta.namespace === FLUX_NAMESPACE)
      Object.assign(c.facts, data ?? {});
  }
  return [...clusters.values()];
}

/** A repository URL reduced to host and path (`ssh://git@github.com/o/r.git` = `https://github.com/o/r`). */
export function normalizeGitUrl(url: string): string {
  return url
    .replace(/^[a-z+]+:\/\//, "")
    .replace(/^[^@/]+@/, "")
    .replace(/\.git$/, "")
    .replace(/\/+$/, "")
    .toLowerCase();
}

/**
 * Flux post-build substitution of one manifest's text: `${var}`, `${var:=default}`, `${var:-default}`;
 * a variable without value and default becomes "" (Flux's non-strict mode).
 * https://fluxcd.io/flux/components/kustomize/kustomizations/#post-build-variable-substitution
 */
export function substitute(text: string, vars: Readonly<Record<string, string>>): string {
  return text.replace(
    /\$\{([_a-zA-Z][_a-zA-Z0-9]*)(?::?[-=]([^}]*))?\}/g,
    (_m, name: string, def?: string) =>
      vars[name] !== undefined && vars[name] !== "" ? vars[name] : (def ?? ""),
  );
}

/** Runs `kubectl kustomize` on a directory. */
export function kustomizeBuild(dir: string): { ok: true; yaml: string } | { ok: false; error: string } {
  const run = spawnSync("kubectl", ["kustomize", "--load-restrictor", "LoadRestrictionsNone", dir], {
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
  });
  if (run.error)
    throw new Error(`cannot run kubectl kustomize: ${run.error.message} (kubectl must be on PATH)`);
  if (run.status !== 0) {
    const text = run.stderr.replace(/^E\d+ [\d:.]+\s+\d+ run\.go:\d+\] "command failed" err=/m, "").trim();
    return { ok: false, error: text.split("\n")[0].replace(/^"|"$/g, "") };
  }
  return { ok: true, yaml: run.stdout };
}

const KUSTOMIZE_FILES = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/**
 * Builds a Flux Kustomization's path as kustomize-controller does: with its kustomization.yaml, or,
 * where there is none, every manifest under the path (nested kustomization.yaml directories built).
 */
function buildPath(dir: string): { ok: true; yaml: string } | { ok: false; error: string } {
  if (KUSTOMIZE_FILES.some((f) => existsSync(path.join(dir, f)))) return kustomizeBuild(dir);
  const parts: string[] = [];
  for (const entry of readdirSync(dir).sort()) {
    const full = path.join(dir, entry);
    if (entry.startsWith(".")) continue;
    if (statSync(full).isDirectory()) {
      const built = buildPath(full);
      if (!built.ok) return built;
      parts.push(built.yaml);
    } else if (/\.ya?ml$/.test(entry)) {
      const text = readFileSync(full, "utf8");
      if (/^\s*kind:/m.test(text)) parts.push(text);
    }
  }
  return { ok: true, yaml: parts.join("\n---\n") };
}

/** Applies a Flux Kustomization's own kustomize fields (targetNamespace, namePrefix/Suffix, patches, commonMetadata) with kustomize. */
function applyTransforms(
  yaml: string,
  spec: FluxSpec,
): { ok: true; yaml: string } | { ok: false; error: string } {
  const transforms: Record<string, unknown> = {};
  if (spec.targetNamespace) transforms.namespace = spec.targetNamespace;
  if (spec.namePrefix) transforms.namePrefix = spec.namePrefix;
  if (spec.nameSuffix) transforms.nameSuffix = spec.nameSuffix;
  if (Array.isArray(spec.patches) && spec.patches.length > 0) transforms.patches = spec.patches;
  if (spec.commonMetadata?.labels)
    transforms.labels = [{ pairs: spec.commonMetadata.labels, includeSelectors: false }];
  if (spec.commonMetadata?.annotations) transforms.commonAnnotations = spec.commonMetadata.annotations;
  if (Object.keys(transforms).length === 0) return { ok: true, yaml };
  const tmp = mkdtempSync(path.join(os.tmpdir(), "gitops-preflight-"));
  try {
    writeFileSync(path.join(tmp, "resources.yaml"), yaml);
    writeFileSync(
      path.join(tmp, "kustomization.yaml"),
      stringify({
        apiVersion: "kustomize.config.k8s.io/v1beta1",
        kind: "Kustomization",
        resources: ["resources.yaml"],
        ...transforms,
      }),
    );
    return kustomizeBuild(tmp);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

function parseObjects(yaml: string): K8sObject[] {
  return parseAllDocuments(yaml)
    .map((d) => d.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => !!o && typeof o === "object" && !!o.kind && !!o.metadata?.name);
}

/** Who declares a Kustomization: the platform (Pulumi) or the repository (applied by another Kustomization). */
type Declarer = { by: "platform"; resource: string } | { by: "repository"; parent: string };

interface Visit {
  readonly cluster: PlatformCluster;
  readonly object: K8sObject;
  readonly declarer: Declarer;
}

/** Options of {@link runGitOpsPreflight}. */
export interface PreflightOptions {
  /** Checkouts of the repositories the stack's Flux syncs. */
  readonly repos: readonly GitOpsRepo[];
}

/** The preflight's result: findings and what it followed. */
export interface PreflightResult {
  readonly findings: GitOpsFinding[];
  /** Every Kustomization followed: `namespace/name -> path` (and whether it built). */
  readonly followed: { kustomization: string; path: string; objects: number; declaredBy: string }[];
}

const ref = (o: K8sObject) => `${o.metadata.namespace ?? "default"}/${o.metadata.name}`;
const isFluxKustomization = (o: K8sObject) =>
  o.apiVersion?.startsWith("kustomize.toolkit.fluxcd.io/") && o.kind === "Kustomization";

/** Finds the file of the repository declaring an object (for the steps), relative to the checkout. */
function declaringFiles(dir: string): Map<string, string> {
  const index = new Map<string, string>();
  const walk = (d: string) => {
    if (existsSync(path.join(d, "Chart.yaml"))) return; // a Helm chart: templates are not manifests
    for (const entry of readdirSync(d)) {
      if (entry.startsWith(".")) continue;
      const full = path.join(d, entry);
      if (statSync(full).isDirectory()) walk(full);
      else if (/\.ya?ml$/.test(entry)) {
        try {
          for (const o of parseObjects(readFileSync(full, "utf8")))
            if (!index.has(`${o.kind}/${o.metadata.name}`))
              index.set(`${o.kind}/${o.metadata.name}`, path.relative(dir, full));
        } catch {
          // Helm templates and other non-YAML files are not manifests.
        }
      }
    }
  };
  walk(dir);
  return index;
}

/** What a preflight run collects, shared by the walks of its clusters. */
interface PreflightSink {
  /** Records a finding (once per check and message). */
  readonly add: (finding: GitOpsFinding) => void;
  /** The file of a checkout declaring an object, relative to the checkout. */
  readonly fileOf: (dir: string, kind: string, name: string) => string | undefined;
  readonly followed: PreflightResult["followed"];
}

/** A Kustomization being followed, as its findings describe it. */
interface FollowedKustomization {
  /** `namespace/name`. */
  readonly ref: string;
  readonly namespace: string;
  /** How messages name it: the Kustomization and who declared it. */
  readonly who: string;
  readonly platformDeclared: boolean;
  /** Its path in the repository, as the spec gives it. */
  readonly path: string;
  /** The checkout it builds from. */
  readonly dir: string;
  /** Whether a second Flux installation in its objects was reported (once per Kustomization). */
  fluxInstallReported: boolean;
}

/** Whether an object is part of a Flux installation (its CRDs or controllers). */
function isFluxInstall(o: K8sObject): boolean {
  return (
    (o.kind === "CustomResourceDefinition" && /\.toolkit\.fluxcd\.io$/.test(o.metadata.name)) ||
    (o.kind === "Deployment" &&
      (o.metadata.labels?.["app.kubernetes.io/part-of"] === "flux" ||
        /^(source|kustomize|helm|notification|image-reflector|image-automation)-controller$/.test(
          o.metadata.name,
        )))
  );
}

/** Renders objects with Flux's post-build substitution and the variables the plan knows. */
function substitutedObjects(yaml: string, vars: Readonly<Record<string, string>>): K8sObject[] {
  return parseAllDocuments(yaml)
    .map((d) => {
      const o = d.toJS() as K8sObject | null;
      if (!o) return null;
      if (o.metadata?.annotations?.["kustomize.toolkit.fluxcd.io/substitute"] === "disabled") return o;
      return parseYaml(substitute(stringify(o), vars)) as K8sObject;
    })
    .filter((o): o is K8sObject => !!o && !!o.kind && !!o.metadata?.name);
}

/**
 * The walk of one cluster: every Kustomization Flux would apply there (the platform's, then those
 * their paths declare), the objects they apply, and the HelmReleases among them once every source
 * is known.
 */
class ClusterWalk {
  /** Flux sources on this cluster: the platform's, then those the repository applies. */
  private readonly sources = new Map<string, K8sObject>();
  /** URL of the cluster's root GitRepository (flux-system), which a checkout without URL maps to. */
  private readonly rootUrl?: string;
  /** Object key -> the Kustomizations applying it. */
  private readonly appliedBy = new Map<string, string[]>();
  private readonly applied = new Map<string, K8sObject>();
  private readonly queue: Visit[];
  private readonly visited = new Set<string>();
  private readonly helmReleases: { hr: K8sObject; by: string }[] = [];

  constructor(
    private readonly cluster: PlatformCluster,
    private readonly repos: readonly GitOpsRepo[],
    private readonly sink: PreflightSink,
  ) {
    for (const s of cluster.sources) this.sources.set(`${s.kind}/${ref(s)}`, s);
    this.rootUrl = cluster.sources.find(
      (s) => s.kind === "GitRepository" && ref(s) === `${FLUX_NAMESPACE}/flux-system`,
    )?.spec?.url as string | undefined;
    this.queue = cluster.kustomizations.map((object) => ({
      cluster,
      object,
      declarer: {
        by: "platform",
        resource: cluster.owned.get(
          objectKey("Kustomization", object.metadata.namespace, object.metadata.name),
        )!,
      },
    }));
  }

  /** Follows every Kustomization, then judges the HelmReleases and the single owner of each object. */
  run(): void {
    while (this.queue.length > 0) this.follow(this.queue.shift()!);
    for (const { hr, by } of this.helmReleases) this.checkHelmRelease(hr, by);
    this.checkOneOwner();
  }

  /** The checkout of a repository URL: given with that URL, or without one for the root repository. */
  private dirOf(url: string | undefined): string | undefined {
    if (!url) return undefined;
    const exact = this.repos.find((r) => r.url && normalizeGitUrl(r.url) === normalizeGitUrl(url));
    if (exact) return exact.dir;
    const bare = this.repos.find((r) => !r.url);
    return bare && this.rootUrl && normalizeGitUrl(this.rootUrl) === normalizeGitUrl(url)
      ? bare.dir
      : undefined;
  }

  /** Judges one Kustomization, builds its path and judges every object it would apply. */
  private follow({ object: k, declarer }: Visit): void {
    const kRef = ref(k);
    if (this.visited.has(kRef)) return;
    this.visited.add(kRef);
    const spec = k.spec ?? {};
    if (spec.suspend === true) return;
    if (spec.kubeConfig) return; // applies to another cluster (the hub's baseline of a spoke)
    const platformDeclared = declarer.by === "platform";
    const who = platformDeclared
      ? `Kustomization ${kRef} (created by Pulumi: ${declarer.resource})`
      : `Kustomization ${kRef} (declared in the repository, applied by ${declarer.parent})`;
    const namespace = k.metadata.namespace ?? "default";
    this.checkKustomizationSpec(k, kRef, who, platformDeclared);
    const checkout = this.checkoutOf(spec, kRef, namespace, who);
    if (!checkout) return;
    const path = (spec.path as string | undefined) ?? "./";
    const kustomization: FollowedKustomization = {
      ref: kRef,
      namespace,
      who,
      platformDeclared,
      path,
      dir: checkout.dir,
      fluxInstallReported: false,
    };
    const rendered = this.render(kustomization, spec, checkout.url);
    if (!rendered) return;
    const { raw, objects } = rendered;
    this.sink.followed.push({
      kustomization: kRef,
      path,
      objects: objects.length,
      declaredBy: platformDeclared ? "pulumi" : "repository",
    });
    // Kustomizations whose own spec.patches the platform's patches replace (a list is replaced whole).
    const ownPatches = new Map<string, unknown[]>();
    if (platformDeclared) {
      this.reportDropped(kustomization, raw, objects);
      for (const o of parseObjects(raw))
        if (isFluxKustomization(o) && Array.isArray(o.spec?.patches) && o.spec.patches.length > 0)
          ownPatches.set(
            ref({ ...o, metadata: { ...o.metadata, namespace: o.metadata.namespace ?? namespace } }),
            o.spec.patches,
          );
    }
    for (const o of objects) this.checkObject(kustomization, o, ownPatches);
  }

  /** The Kustomization's own API version, and the account the lockdown would impersonate. */
  private checkKustomizationSpec(k: K8sObject, kRef: string, who: string, platformDeclared: boolean): void {
    const ns = k.metadata.namespace ?? "default";
    if (!k.apiVersion.endsWith("/v1"))
      this.sink.add({
        check: "gitops-api-version-served",
        level: "mandatory",
        message: `${who} uses ${k.apiVersion}, which Flux ${fluxVersions.fluxVersion} does not serve (served: kustomize.toolkit.fluxcd.io/v1)`,
        step: `change apiVersion of Kustomization ${kRef} to kustomize.toolkit.fluxcd.io/v1`,
      });
    const lock = this.cluster.lockdown;
    if (!k.spec?.serviceAccountName && lock.defaultServiceAccount && !platformDeclared)
      this.sink.add({
        check: "gitops-lockdown",
        level: "mandatory",
        message: `${who} names no serviceAccountName: the Flux lockdown impersonates ${ns}/${lock.defaultServiceAccount}, which may apply nothing`,
        step: `set spec.serviceAccountName of Kustomization ${kRef} (an account in ${ns} allowed to apply its objects)`,
      });
  }

  /**
   * The checkout a Kustomization builds from: its source must be in its namespace (the lockdown), a
   * GitRepository the plan knows, with a `--gitops-repo` checkout.
   * @returns undefined (with a finding) when it cannot be followed
   */
  private checkoutOf(
    spec: FluxSpec,
    kRef: string,
    ns: string,
    who: string,
  ): { url?: string; dir: string } | undefined {
    const srcRef = spec.sourceRef ?? {};
    const srcNs = srcRef.namespace ?? ns;
    if (srcNs !== ns && this.cluster.lockdown.noCrossNamespaceRefs)
      this.sink.add({
        check: "gitops-lockdown",
        level: "mandatory",
        message: `${who} takes its source from ${srcRef.kind} ${srcNs}/${srcRef.name}: the Flux lockdown refuses cross-namespace references`,
        step: `give Kustomization ${kRef} a source in its own namespace ${ns}`,
      });
    const source = this.sources.get(`${srcRef.kind}/${srcNs}/${srcRef.name}`);
    if (srcRef.kind !== "GitRepository" || !source) {
      this.sink.add({
        check: "gitops-source-followed",
        level: "advisory",
        message: `${who}: source ${srcRef.kind} ${srcNs}/${srcRef.name} is not one the plan knows; not followed`,
      });
      return undefined;
    }
    const url = source.spec?.url as string | undefined;
    const dir = this.dirOf(url);
    if (!dir) {
      this.sink.add({
        check: "gitops-source-followed",
        level: "advisory",
        message: `${who}: no --gitops-repo checkout of ${url}; not followed`,
      });
      return undefined;
    }
    return { url, dir };
  }

  /**
   * Builds the Kustomization's path with kustomize and its own transforms, then substitutes the
   * post-build variables as Flux does (the platform facts for flux-system).
   * @returns the kustomize output before the transforms and the objects Flux would apply, or
   * undefined (with a finding) when the path is missing or does not build
   */
  private render(
    k: FollowedKustomization,
    spec: FluxSpec,
    url: string | undefined,
  ): { raw: string; objects: K8sObject[] } | undefined {
    const full = path.resolve(k.dir, k.path);
    const problem = (detail: string, step: string) =>
      this.sink.add({
        check: "gitops-path-builds",
        level: k.platformDeclared ? "mandatory" : "advisory",
        message: `${k.who}: path ${k.path} ${detail}`,
        step,
      });
    if (!full.startsWith(path.resolve(k.dir)) || !existsSync(full) || !statSync(full).isDirectory()) {
      problem(
        `does not exist in ${url}`,
        k.platformDeclared
          ? `create ${k.path} in the repository, or point the stack's config at the right path`
          : `fix spec.path of Kustomization ${k.ref} (${k.path} does not exist)`,
      );
      return undefined;
    }
    const buildFails = (error: string) =>
      problem(
        `does not build with kustomize: ${error}`,
        `make ${k.path} build with \`kubectl kustomize\` (${error})`,
      );
    const raw = buildPath(full);
    const built = raw.ok ? applyTransforms(raw.yaml, spec) : raw;
    if (!raw.ok || !built.ok) {
      buildFails(built.ok ? "" : built.error);
      return undefined;
    }
    if (!spec.postBuild) return { raw: raw.yaml, objects: parseObjects(built.yaml) };
    const vars: Record<string, string> = {};
    for (const from of spec.postBuild.substituteFrom ?? []) {
      if (
        from.kind === "ConfigMap" &&
        from.name === PLATFORM_FACTS_CONFIGMAP &&
        k.namespace === FLUX_NAMESPACE
      )
        Object.assign(vars, this.cluster.facts);
    }
    Object.assign(vars, spec.postBuild.substitute ?? {});
    return { raw: raw.yaml, objects: substitutedObjects(built.yaml, vars) };
  }

  /** What the platform's patches drop from a path it syncs (the repository should delete it). */
  private reportDropped(k: FollowedKustomization, raw: string, objects: readonly K8sObject[]): void {
    const kept = new Set(objects.map((o) => `${o.kind}/${o.metadata.name}`));
    const dropped = new Map<string, string[]>();
    for (const o of parseObjects(raw)) {
      if (kept.has(`${o.kind}/${o.metadata.name}`)) continue;
      const file = this.sink.fileOf(k.dir, o.kind, o.metadata.name) ?? k.path;
      dropped.set(file, [
        ...(dropped.get(file) ?? []),
        describe(o.kind, o.metadata.namespace, o.metadata.name),
      ]);
    }
    for (const [file, list] of dropped)
      this.sink.add({
        check: "gitops-dropped-by-platform",
        level: "advisory",
        message: `${k.who} drops ${list.length} object(s) of ${file} the platform owns: ${list.slice(0, 4).join(", ")}${list.length > 4 ? ", ..." : ""}`,
        step: `delete ${list.length > 4 ? `${file} (${list.length} objects)` : `${list.join(", ")} from ${file}`}: the platform owns ${list.length > 1 ? "them" : "it"} and drops ${list.length > 1 ? "them" : "it"} from the sync`,
      });
  }

  /**
   * One object a Kustomization applies: recorded (single owner, sources), not part of a second
   * Flux installation, not also declared by Pulumi, a Flux API version the platform's Flux serves, its own spec.patches kept; a Flux
   * Kustomization is queued to be followed, a HelmRelease to be judged.
   */
  private checkObject(
    k: FollowedKustomization,
    o: K8sObject,
    ownPatches: ReadonlyMap<string, unknown[]>,
  ): void {
    const oNs = CLUSTER_SCOPED.has(o.kind) ? undefined : (o.metadata.namespace ?? "default");
    const key = objectKey(o.kind, oNs, o.metadata.name);
    this.appliedBy.set(key, [...(this.appliedBy.get(key) ?? []), k.ref]);
    this.applied.set(key, o);
    const what = describe(o.kind, oNs, o.metadata.name);
    const file = this.sink.fileOf(k.dir, o.kind, o.metadata.name);
    const where = file ? ` (${file})` : "";
    if (isFluxInstall(o) && this.cluster.fluxInstalled) {
      if (!k.fluxInstallReported)
        this.sink.add({
          check: "gitops-one-flux",
          level: "mandatory",
          message: `${k.who} would install a second Flux over the one the platform installs (${what}${where})`,
          step: `remove the Flux installation (gotk-components.yaml) from what ${k.path} builds: the platform installs Flux`,
        });
      k.fluxInstallReported = true;
      return;
    }
    const owner = this.cluster.owned.get(key);
    if (owner)
      this.sink.add({
        check: "gitops-one-owner",
        level: "mandatory",
        message: `${what} is declared by both Pulumi (${owner}) and the repository${where}, applied by ${k.who}`,
        step: `delete ${what} from the repository${where}: the platform creates it`,
      });
    const group = o.apiVersion?.split("/")[0] ?? "";
    if (group.endsWith(".toolkit.fluxcd.io")) this.checkFluxApiVersion(o, group, `${what}${where}`);
    if (o.apiVersion?.startsWith("source.toolkit.fluxcd.io/")) this.sources.set(`${o.kind}/${ref(o)}`, o);
    const inNamespace = { ...o, metadata: { ...o.metadata, namespace: oNs } };
    const own = isFluxKustomization(o) ? ownPatches.get(ref(inNamespace)) : undefined;
    const kept = (o.spec?.patches ?? []).map((p) => JSON.stringify(p));
    const lost = (own ?? []).filter((p) => !kept.includes(JSON.stringify(p)));
    if (lost.length > 0)
      this.sink.add({
        check: "gitops-patches-kept",
        level: "mandatory",
        message: `${what}${where}: the platform's patches, applied by ${k.who}, replace its own spec.patches (${lost.length} lost)`,
        step: `move the spec.patches of ${what}${where} into the kustomization.yaml of its path: the platform sets spec.patches of Kustomizations in ${FLUX_NAMESPACE}`,
      });
    if (isFluxKustomization(o))
      this.queue.push({
        cluster: this.cluster,
        object: inNamespace,
        declarer: { by: "repository", parent: k.ref },
      });
    if (o.kind === "HelmRelease" && group === "helm.toolkit.fluxcd.io")
      this.helmReleases.push({ hr: inNamespace, by: k.ref });
  }

  /** A Flux object's kind is installed and its version served by the platform's pinned Flux. */
  private checkFluxApiVersion(o: K8sObject, group: string, what: string): void {
    const version = o.apiVersion.split("/")[1];
    const served = fluxServedVersions[group]?.[o.kind];
    if (!served)
      this.sink.add({
        check: "gitops-api-version-served",
        level: "mandatory",
        message: `${what}: ${o.apiVersion} ${o.kind} is not installed by the platform's Flux ${fluxVersions.fluxVersion}`,
        step: `remove ${what} or ask the platform to enable its controller`,
      });
    else if (!served.includes(version))
      this.sink.add({
        check: "gitops-api-version-served",
        level: "mandatory",
        message: `${what}: ${o.apiVersion} is not served by Flux ${fluxVersions.fluxVersion} (served: ${served.map((v) => `${group}/${v}`).join(", ")})`,
        step: `change apiVersion of ${what} to ${group}/${served[served.length - 1]}`,
      });
  }

  /** A HelmRelease: one chart reference, an account the lockdown accepts, a chart source that exists in its namespace. */
  private checkHelmRelease(hr: K8sObject, by: string): void {
    const ns = hr.metadata.namespace!;
    const what = `HelmRelease ${ns}/${hr.metadata.name} (applied by ${by})`;
    const spec = hr.spec ?? {};
    const lock = this.cluster.lockdown;
    const infrastructure = spec.serviceAccountName === FLUX_INFRASTRUCTURE_SA;
    if (spec.chart && spec.chartRef)
      this.sink.add({
        check: "gitops-helmrelease-valid",
        level: "mandatory",
        message: `${what} has both spec.chart and spec.chartRef, which Flux refuses${infrastructure ? ` (the platform's patch for infrastructure namespace ${ns} sets spec.chart.spec.sourceRef; a release with spec.chartRef cannot be adopted there)` : ""}`,
        step: `give HelmRelease ${ns}/${hr.metadata.name} spec.chart or spec.chartRef, not both${infrastructure ? `, or remove ${ns} from platform:gitops.infrastructureNamespaces and give it its own account and source` : ""}`,
      });
    const chartRef = spec.chart?.spec?.sourceRef ?? spec.chartRef;
    const srcNs = chartRef?.namespace ?? ns;
    // A cluster-level release (applied from flux-system) with its chart source in flux-system:
    // the lockdown-friendly form is the platform's own (gitops/infrastructure/controllers).
    const move =
      by.startsWith(`${FLUX_NAMESPACE}/`) && ns !== FLUX_NAMESPACE && srcNs === FLUX_NAMESPACE
        ? `list ${ns} in the stack's platform:gitops.infrastructureNamespaces (with the chart source ${chartRef?.name}), or move HelmRelease ${ns}/${hr.metadata.name} to namespace ${FLUX_NAMESPACE} with spec.targetNamespace: ${ns}, spec.storageNamespace: ${ns}, spec.releaseName: ${spec.releaseName ?? hr.metadata.name} (keeps the installed release) and spec.serviceAccountName: kustomize-controller, with its valuesFrom objects and out of reach of a kustomization.yaml \`namespace:\`, as the platform's own gitops/infrastructure/controllers does`
        : undefined;
    if (!spec.serviceAccountName && lock.defaultServiceAccount)
      this.sink.add({
        check: "gitops-lockdown",
        level: "mandatory",
        message: `${what} names no serviceAccountName: the Flux lockdown impersonates ${ns}/${lock.defaultServiceAccount}, which may install nothing`,
        step:
          move ??
          `set spec.serviceAccountName of HelmRelease ${ns}/${hr.metadata.name} (an account in ${ns} allowed to install the chart)`,
      });
    if (!chartRef) return;
    if (srcNs !== ns && lock.noCrossNamespaceRefs) {
      this.sink.add({
        check: "gitops-lockdown",
        level: "mandatory",
        message: `${what} takes its chart from ${chartRef.kind} ${srcNs}/${chartRef.name}: the Flux lockdown refuses cross-namespace references`,
        step: move ?? `give HelmRelease ${ns}/${hr.metadata.name} a chart source in its own namespace ${ns}`,
      });
      return;
    }
    if (!this.sources.has(`${chartRef.kind}/${srcNs}/${chartRef.name}`))
      this.sink.add({
        check: "gitops-source-exists",
        level: "mandatory",
        message: `${what} takes its chart from ${chartRef.kind} ${srcNs}/${chartRef.name}, which neither Pulumi nor the repository creates`,
        step: `declare ${chartRef.kind} ${srcNs}/${chartRef.name} or point HelmRelease ${ns}/${hr.metadata.name} at an existing source`,
      });
  }

  /** One Flux owner per object: two Kustomizations applying it would prune and overwrite each other. */
  private checkOneOwner(): void {
    for (const [key, by] of this.appliedBy) {
      const unique = [...new Set(by)];
      if (unique.length < 2) continue;
      const o = this.applied.get(key)!;
      const what = describe(o.kind, o.metadata.namespace, o.metadata.name);
      this.sink.add({
        check: "gitops-one-owner",
        level: "mandatory",
        message: `${what} is applied by ${unique.length} Flux Kustomizations (${unique.join(", ")}): they would prune and overwrite each other`,
        step: `keep ${what} in one Kustomization's path only (${unique.join(" or ")})`,
      });
    }
  }
}

/**
 * Follows every Flux Kustomization the platform creates and, recursively, every one found in what
 * they render, and judges what Flux would apply. The stack's root GitRepository (flux-system) maps
 * to a checkout given without URL.
 */
export function runGitOpsPreflight(
  resources: readonly PlannedResource[],
  options: PreflightOptions,
): PreflightResult {
  const findings: GitOpsFinding[] = [];
  const followed: PreflightResult["followed"] = [];
  const fileIndex = new Map<string, Map<string, string>>();
  const sink: PreflightSink = {
    add: (f) => {
      if (!findings.some((g) => g.check === f.check && g.message === f.message)) findings.push(f);
    },
    fileOf: (dir, kind, name) => {
      if (!fileIndex.has(dir)) fileIndex.set(dir, declaringFiles(dir));
      return fileIndex.get(dir)!.get(`${kind}/${name}`);
    },
    followed,
  };
  for (const cluster of platformClusters(resources))
    if (cluster.kustomizations.length > 0) new ClusterWalk(cluster, options.repos, sink).run();
  return { findings, followed };
}

/** The findings as plan verdicts (policy `gitops-...`). */
export function preflightVerdicts(result: PreflightResult): {
  policy: string;
  enforcementLevel: "mandatory" | "advisory";
  message: string;
}[] {
  return result.findings.map((f) => ({ policy: f.check, enforcementLevel: f.level, message: f.message }));
}

/** What the repository's owner must change, one step per finding that has one, mandatory first. */
export function repositorySteps(result: PreflightResult): string[] {
  const ordered = [
    ...result.findings.filter((f) => f.level === "mandatory"),
    ...result.findings.filter((f) => f.level === "advisory"),
  ];
  return [
    ...new Set(
      ordered.flatMap((f) => (f.step ? [`${f.level === "mandatory" ? "[must] " : ""}${f.step}`] : [])),
    ),
  ];
}
