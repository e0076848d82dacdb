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
  const clusters = platformClusters(resources);
  const add = (f: GitOpsFinding) => {
    if (!findings.some((g) => g.check === f.check && g.message === f.message)) findings.push(f);
  };
  const fileIndex = new Map<string, Map<string, string>>();
  const fileOf = (dir: string, kind: string, name: string) => {
    if (!fileIndex.has(dir)) fileIndex.set(dir, declaringFiles(dir));
    return fileIndex.get(dir)!.get(`${kind}/${name}`);
  };

  for (const cluster of clusters) {
    if (cluster.kustomizations.length === 0) continue;
    // Sources on this cluster: the platform's, then those the repository applies.
    const sources = new Map<string, K8sObject>();
    for (const s of cluster.sources) sources.set(`${s.kind}/${ref(s)}`, s);
    const rootUrl = cluster.sources.find(
      (s) => s.kind === "GitRepository" && ref(s) === `${FLUX_NAMESPACE}/flux-system`,
    )?.spec?.url as string | undefined;
    const dirOf = (url: string | undefined): string | undefined => {
      if (!url) return undefined;
      const exact = options.repos.find((r) => r.url && normalizeGitUrl(r.url) === normalizeGitUrl(url));
      if (exact) return exact.dir;
      const bare = options.repos.find((r) => !r.url);
      return bare && rootUrl && normalizeGitUrl(rootUrl) === normalizeGitUrl(url) ? bare.dir : undefined;
    };

    const appliedBy = new Map<string, string[]>(); // object key -> Kustomizations applying it
    const applied = new Map<string, K8sObject>();
    const queue: Visit[] = cluster.kustomizations.map((object) => ({
      cluster,
      object,
      declarer: {
        by: "platform",
        resource: cluster.owned.get(
          objectKey("Kustomization", object.metadata.namespace, object.metadata.name),
        )!,
      },
    }));
    const visited = new Set<string>();
    const pendingHelmReleases: { hr: K8sObject; by: string }[] = [];

    while (queue.length > 0) {
      const { object: k, declarer } = queue.shift()!;
      const kRef = ref(k);
      if (visited.has(kRef)) continue;
      visited.add(kRef);
      const spec = k.spec ?? {};
      const ns = k.metadata.namespace ?? "default";
      const platformDeclared = declarer.by === "platform";
      const who = platformDeclared
        ? `Kustomization ${kRef} (created by Pulumi: ${declarer.resource})`
        : `Kustomization ${kRef} (declared in the repository, applied by ${declarer.parent})`;
      if (spec.suspend === true) continue;
      if (spec.kubeConfig) continue; // applies to another cluster (the hub's baseline of a spoke)

      if (!k.apiVersion.endsWith("/v1"))
        add({
          check: "gitops-api-version-served",
          level: "mandatory",
          message: `${who} uses ${k.apiVersion}, which Flux ${fluxVersions.fluxVersion} does not serve (served: kustomize.toolkit.fluxcd.io/v1)`,
          step: `change apiVersion of Kustomization ${kRef} to kustomize.toolkit.fluxcd.io/v1`,
        });
      const lock = cluster.lockdown;
      if (!spec.serviceAccountName && lock.defaultServiceAccount && !platformDeclared)
        add({
          check: "gitops-lockdown",
          level: "mandatory",
          message: `${who} names no serviceAccountName: the Flux lockdown impersonates ${ns}/${lock.defaultServiceAccount}, which may apply nothing`,
          step: `set spec.serviceAccountName of Kustomization ${kRef} (an account in ${ns} allowed to apply its objects)`,
        });
      const srcRef = spec.sourceRef ?? {};
      const srcNs = srcRef.namespace ?? ns;
      if (srcNs !== ns && lock.noCrossNamespaceRefs)
        add({
          check: "gitops-lockdown",
          level: "mandatory",
          message: `${who} takes its source from ${srcRef.kind} ${srcNs}/${srcRef.name}: the Flux lockdown refuses cross-namespace references`,
          step: `give Kustomization ${kRef} a source in its own namespace ${ns}`,
        });
      const source = sources.get(`${srcRef.kind}/${srcNs}/${srcRef.name}`);
      if (srcRef.kind !== "GitRepository" || !source) {
        add({
          check: "gitops-source-followed",
          level: "advisory",
          message: `${who}: source ${srcRef.kind} ${srcNs}/${srcRef.name} is not one the plan knows; not followed`,
        });
        continue;
      }
      const url = source.spec?.url as string | undefined;
      const dir = dirOf(url);
      if (!dir) {
        add({
          check: "gitops-source-followed",
          level: "advisory",
          message: `${who}: no --gitops-repo checkout of ${url}; not followed`,
        });
        continue;
      }
      const pathSpec = (spec.path as string | undefined) ?? "./";
      const full = path.resolve(dir, pathSpec);
      const level = platformDeclared ? "mandatory" : "advisory";
      const problem = (detail: string, step: string) =>
        add({ check: "gitops-path-builds", level, message: `${who}: path ${pathSpec} ${detail}`, step });
      if (!full.startsWith(path.resolve(dir)) || !existsSync(full) || !statSync(full).isDirectory()) {
        problem(
          `does not exist in ${url}`,
          platformDeclared
            ? `create ${pathSpec} in the repository, or point the stack's config at the right path`
            : `fix spec.path of Kustomization ${kRef} (${pathSpec} does not exist)`,
        );
        continue;
      }
      const raw = buildPath(full);
      const built = raw.ok ? applyTransforms(raw.yaml, spec) : raw;
      if (!built.ok) {
        problem(
          `does not build with kustomize: ${built.error}`,
          `make ${pathSpec} build with \`kubectl kustomize\` (${built.error})`,
        );
        continue;
      }

      // Post-build substitution, as Flux does it, with the variables the plan knows.
      let objects: K8sObject[];
      if (spec.postBuild) {
        const vars: Record<string, string> = {};
        for (const from of spec.postBuild.substituteFrom ?? []) {
          if (from.kind === "ConfigMap" && from.name === PLATFORM_FACTS_CONFIGMAP && ns === FLUX_NAMESPACE)
            Object.assign(vars, cluster.facts);
        }
        Object.assign(vars, spec.postBuild.substitute ?? {});
        objects = parseAllDocuments(built.yaml)
          .map((d) => {
            const o = d.toJS() as K8sObject | null;
            if (!o) return null;
            if (o.metadata?.annotations?.["kustomize.toolkit.fluxcd.io/substitute"] === "disabled") return o;
            return parseYaml(substitute(stringify(o), vars)) as K8sObject;
          })
          .filter((o): o is K8sObject => !!o && !!o.kind && !!o.metadata?.name);
      } else {
        objects = parseObjects(built.yaml);
      }
      followed.push({
        kustomization: kRef,
        path: pathSpec,
        objects: objects.length,
        declaredBy: platformDeclared ? "pulumi" : "repository",
      });

      // What the platform's patches drop from this path (the repository should delete it).
      if (raw.ok && platformDeclared) {
        const kept = new Set(objects.map((o) => `${o.kind}/${o.metadata.name}`));
        const dropped = new Map<string, string[]>();
        for (const o of parseObjects(raw.yaml)) {
          if (kept.has(`${o.kind}/${o.metadata.name}`)) continue;
          const file = fileOf(dir, o.kind, o.metadata.name) ?? pathSpec;
          dropped.set(file, [
            ...(dropped.get(file) ?? []),
            describe(o.kind, o.metadata.namespace, o.metadata.name),
          ]);
        }
        for (const [file, list] of dropped)
          add({
            check: "gitops-dropped-by-platform",
            level: "advisory",
            message: `${who} drops ${list.length} object(s) of ${file} the platform owns: ${list.slice(0, 4).join(", ")}${list.length > 4 ? ", ..." : ""}`,
            step: `delete ${list.length > 4 ? `${file} (${list.length} objects)` : `${list.join(", ")} from ${file}`}: the platform owns ${list.length > 1 ? "them" : "it"} and drops ${list.length > 1 ? "them" : "it"} from the sync`,
          });
      }

      // Kustomizations whose own spec.patches the platform's patches replace (a list is replaced whole).
      const ownPatches = new Map<string, unknown[]>();
      if (raw.ok && platformDeclared)
        for (const o of parseObjects(raw.yaml))
          if (isFluxKustomization(o) && Array.isArray(o.spec?.patches) && o.spec.patches.length > 0)
            ownPatches.set(
              ref({ ...o, metadata: { ...o.metadata, namespace: o.metadata.namespace ?? ns } }),
              o.spec.patches,
            );

      let fluxInstallReported = false;
      for (const o of objects) {
        const oNs = CLUSTER_SCOPED.has(o.kind) ? undefined : (o.metadata.namespace ?? "default");
        const key = objectKey(o.kind, oNs, o.metadata.name);
        appliedBy.set(key, [...(appliedBy.get(key) ?? []), kRef]);
        applied.set(key, o);
        const what = describe(o.kind, oNs, o.metadata.name);
        const file = fileOf(dir, o.kind, o.metadata.name);
        const where = file ? ` (${file})` : "";

        const isFluxInstall =
          (o.kind === "CustomResourceDefinition" && /\.toolkit\.fluxcd\.io$/.test(o.metadata.name)) ||
          (o.kind === "Deployment" &&
            (o.metadata.labels?.["app.kubernetes.io/part-of"] === "flux" ||
              /^(source|kustomize|helm|notification|image-reflector|image-automation)-controller$/.test(
                o.metadata.name,
              )));
        if (isFluxInstall && cluster.fluxInstalled) {
          if (!fluxInstallReported)
            add({
              check: "gitops-one-flux",
              level: "mandatory",
              message: `${who} would install a second Flux over the one the platform installs (${what}${where})`,
              step: `remove the Flux installation (gotk-components.yaml) from what ${pathSpec} builds: the platform installs Flux`,
            });
          fluxInstallReported = true;
          continue;
        }
        const owner = cluster.owned.get(key);
        if (owner)
          add({
            check: "gitops-one-owner",
            level: "mandatory",
            message: `${what} is declared by both Pulumi (${owner}) and the repository${where}, applied by ${who}`,
            step: `delete ${what} from the repository${where}: the platform creates it`,
          });

        const group = o.apiVersion?.split("/")[0] ?? "";
        if (group.endsWith(".toolkit.fluxcd.io")) {
          const version = o.apiVersion.split("/")[1];
          const served = fluxServedVersions[group]?.[o.kind];
          if (!served)
            add({
              check: "gitops-api-version-served",
              level: "mandatory",
              message: `${what}${where}: ${o.apiVersion} ${o.kind} is not installed by the platform's Flux ${fluxVersions.fluxVersion}`,
              step: `remove ${what}${where} or ask the platform to enable its controller`,
            });
          else if (!served.includes(version))
            add({
              check: "gitops-api-version-served",
              level: "mandatory",
              message: `${what}${where}: ${o.apiVersion} is not served by Flux ${fluxVersions.fluxVersion} (served: ${served.map((v) => `${group}/${v}`).join(", ")})`,
              step: `change apiVersion of ${what}${where} to ${group}/${served[served.length - 1]}`,
            });
        }
        if (o.apiVersion?.startsWith("source.toolkit.fluxcd.io/")) sources.set(`${o.kind}/${ref(o)}`, o);
        const own = isFluxKustomization(o)
          ? ownPatches.get(ref({ ...o, metadata: { ...o.metadata, namespace: oNs } }))
          : undefined;
        const kept = (o.spec?.patches ?? []).map((p) => JSON.stringify(p));
        const lost = (own ?? []).filter((p) => !kept.includes(JSON.stringify(p)));
        if (lost.length > 0)
          add({
            check: "gitops-patches-kept",
            level: "mandatory",
            message: `${what}${where}: the platform's patches, applied by ${who}, replace its own spec.patches (${lost.length} lost)`,
            step: `move the spec.patches of ${what}${where} into the kustomization.yaml of its path: the platform sets spec.patches of Kustomizations in ${FLUX_NAMESPACE}`,
          });
        if (isFluxKustomization(o))
          queue.push({
            cluster,
            object: { ...o, metadata: { ...o.metadata, namespace: oNs } },
            declarer: { by: "repository", parent: kRef },
          });
        if (o.kind === "HelmRelease" && group === "helm.toolkit.fluxcd.io")
          pendingHelmReleases.push({ hr: { ...o, metadata: { ...o.metadata, namespace: oNs } }, by: kRef });
      }
    }

    // HelmReleases: the lockdown and their chart sources (once every source is known).
    for (const { hr, by } of pendingHelmReleases) {
      const ns = hr.metadata.namespace!;
      const what = `HelmRelease ${ns}/${hr.metadata.name} (applied by ${by})`;
      const spec = hr.spec ?? {};
      const lock = cluster.lockdown;
      if (spec.chart && spec.chartRef)
        add({
          check: "gitops-helmrelease-valid",
          level: "mandatory",
          message: `${what} has both spec.chart and spec.chartRef, which Flux refuses${spec.serviceAccountName === FLUX_INFRASTRUCTURE_SA ? ` (the platform's patch for infrastructure namespace ${ns} sets spec.chart.spec.sourceRef; a release with spec.chartRef cannot be adopted there)` : ""}`,
          step: `give HelmRelease ${ns}/${hr.metadata.name} spec.chart or spec.chartRef, not both${spec.serviceAccountName === FLUX_INFRASTRUCTURE_SA ? `, or remove ${ns} from platform:gitops.infrastructureNamespaces and give it its own account and source` : ""}`,
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
        add({
          check: "gitops-lockdown",
          level: "mandatory",
          message: `${what} names no serviceAccountName: the Flux lockdown impersonates ${ns}/${lock.defaultServiceAccount}, which may install nothing`,
          step:
            move ??
            `set spec.serviceAccountName of HelmRelease ${ns}/${hr.metadata.name} (an account in ${ns} allowed to install the chart)`,
        });
      if (!chartRef) continue;
      if (srcNs !== ns && lock.noCrossNamespaceRefs) {
        add({
          check: "gitops-lockdown",
          level: "mandatory",
          message: `${what} takes its chart from ${chartRef.kind} ${srcNs}/${chartRef.name}: the Flux lockdown refuses cross-namespace references`,
          step:
            move ?? `give HelmRelease ${ns}/${hr.metadata.name} a chart source in its own namespace ${ns}`,
        });
        continue;
      }
      if (!sources.has(`${chartRef.kind}/${srcNs}/${chartRef.name}`))
        add({
          check: "gitops-source-exists",
          level: "mandatory",
          message: `${what} takes its chart from ${chartRef.kind} ${srcNs}/${chartRef.name}, which neither Pulumi nor the repository creates`,
          step: `declare ${chartRef.kind} ${srcNs}/${chartRef.name} or point HelmRelease ${ns}/${hr.metadata.name} at an existing source`,
        });
    }

    // One Flux owner per object.
    for (const [key, by] of appliedBy) {
      const unique = [...new Set(by)];
      if (unique.length < 2) continue;
      const o = applied.get(key)!;
      add({
        check: "gitops-one-owner",
        level: "mandatory",
        message: `${describe(o.kind, o.metadata.namespace, o.metadata.name)} is applied by ${unique.length} Flux Kustomizations (${unique.join(", ")}): they would prune and overwrite each other`,
        step: `keep ${describe(o.kind, o.metadata.namespace, o.metadata.name)} in one Kustomization's path only (${unique.join(" or ")})`,
      });
    }
  }
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
