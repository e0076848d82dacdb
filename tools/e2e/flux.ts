/**
 * Real Flux for the e2e run (docs/e2e.md, "Flux"): source-controller, kustomize-controller and
 * helm-controller from the e2e toolchain, run as local processes against a cluster's kubeconfig
 * (Pods never run here: there is no kubelet).
 *
 * The controllers get the arguments the platform's Flux component gives them on a real cluster:
 * the pinned flux2 chart is rendered with the platform's own values (`fluxHelmValues` of
 * components/gitops/flux.ts: `--no-cross-namespace-refs`, `--default-service-account`,
 * `--no-remote-bases`...) and each controller's container arguments are taken from its Deployment;
 * only what is about the Pod changes (addresses on 127.0.0.1, the artifact directory, no leader
 * election, no notification-controller events), so the multi-tenancy lockdown is the real one.
 * https://fluxcd.io/flux/installation/configuration/multitenancy/
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { parseAllDocuments } from "yaml";
import { factsData, type PlatformFacts } from "../../components/gitops/facts";
import { fluxHelmValues, gitRepositorySpec, rootKustomizationSpec } from "../../components/gitops/flux";
import {
  FLUX_GIT_REPOSITORY,
  FLUX_NAMESPACE,
  FLUX_ROOT_KUSTOMIZATION,
  PLATFORM_FACTS_CONFIGMAP,
  fluxVersions,
} from "../../components/gitops/versions";
import { helmBinary, upstreamCharts } from "./charts";
import { freePort } from "./cluster";
import { kubeClient, type Json, type KubeClient } from "./kube-client";
import { serverEnv, toolchainBinary } from "./toolchain";

/** The controllers the e2e run starts (the platform's values also run notification-controller: its events go nowhere here). */
export const FLUX_CONTROLLERS = ["source-controller", "kustomize-controller", "helm-controller"] as const;
export type FluxController = (typeof FLUX_CONTROLLERS)[number];

/** The pinned flux2 chart in the shared upstream copy. */
export const fluxChartDir = path.join(upstreamCharts, `${fluxVersions.chart}-${fluxVersions.chartVersion}`);

function kubectl(kubeconfig: string, args: string[], input?: string): string {
  const r = spawnSync("kubectl", ["--kubeconfig", kubeconfig, ...args], {
    encoding: "utf8",
    input,
    maxBuffer: 256 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`kubectl ${args.join(" ")}: ${r.stderr.trim() || r.error}`);
  return r.stdout;
}

/**
 * The objects of the pinned flux2 chart rendered with the platform's values (`helm template
 * --no-hooks`, release `flux2` in flux-system, as components/gitops/flux.ts installs it).
 * @throws when the shared chart copy is absent or Helm fails.
 */
export function renderFluxChart(options: { crossNamespaceRefs?: boolean } = {}): Json[] {
  if (!fs.existsSync(path.join(fluxChartDir, "Chart.yaml")))
    throw new Error(`flux2 chart not found: ${fluxChartDir} (../shared/upstream/charts)`);
  const values = JSON.stringify(fluxHelmValues({ crossNamespaceRefs: options.crossNamespaceRefs }));
  const r = spawnSync(
    helmBinary(),
    ["template", "flux2", fluxChartDir, "--namespace", FLUX_NAMESPACE, "--no-hooks", "--values", "-"],
    { encoding: "utf8", input: values, maxBuffer: 64 * 1024 * 1024 },
  );
  if (r.status !== 0) throw new Error(`helm template ${fluxChartDir}: ${r.stderr.trim()}`);
  return parseAllDocuments(r.stdout)
    .map((d) => d.toJS() as Json | null)
    .filter((o): o is Json => o !== null && typeof o === "object" && typeof o.kind === "string");
}

/** The container arguments of a controller's Deployment in the rendered chart. */
export function chartControllerArgs(rendered: readonly Json[], controller: FluxController): string[] {
  const deployment = rendered.find((o) => o.kind === "Deployment" && o.metadata?.name === controller);
  const container = (deployment?.spec?.template?.spec?.containers as Json[] | undefined)?.find(
    (c) => c.name === "manager",
  );
  if (!container) throw new Error(`flux2 chart: no Deployment ${controller} with a manager container`);
  return (container.args as string[] | undefined) ?? [];
}

/** Addresses and directories of one local controller process. */
interface LocalAddresses {
  metricsAddr: string;
  healthAddr: string;
  /** source-controller only: artifact directory and server address. */
  storage?: { path: string; addr: string };
}

/**
 * The chart's arguments for a controller adapted to a local process: leader election off (one
 * replica), no events (notification-controller does not run), metrics/health/artifact addresses
 * on 127.0.0.1 and the artifact directory local. Every other argument (the lockdown) is kept.
 * @throws on an argument that refers to the Pod's environment (`$(...)`) that is not handled.
 */
export function localControllerArgs(chartArgs: readonly string[], local: LocalAddresses): string[] {
  const drop = ["--enable-leader-election", "--events-addr", "--storage-path", "--storage-adv-addr"];
  const kept = chartArgs.filter((a) => !drop.some((d) => a === d || a.startsWith(`${d}=`)));
  const unresolved = kept.filter((a) => a.includes("$("));
  if (unresolved.length > 0)
    throw new Error(`flux controller arguments refer to the Pod: ${unresolved.join(" ")}`);
  return [
    ...kept,
    `--metrics-addr=${local.metricsAddr}`,
    `--health-addr=${local.healthAddr}`,
    ...(local.storage
      ? [
          `--storage-path=${local.storage.path}`,
          `--storage-addr=${local.storage.addr}`,
          `--storage-adv-addr=${local.storage.addr}`,
        ]
      : []),
  ];
}

/** What {@link installFluxChartObjects} did. */
export type FluxInstall = "installed" | "already-installed";

/**
 * Installs what the flux2 chart puts in a cluster, except the controllers' Deployments (they run
 * as local processes): the `*.toolkit.fluxcd.io` CRDs, ServiceAccounts, RBAC (the controllers'
 * cluster-admin binding of `multitenancy.privileged`), Services and NetworkPolicies, into
 * `flux-system` (created when absent). Skipped when the Flux CRDs exist already (a cluster where
 * `pulumi up` installed the chart): the objects are Helm's, not the test's.
 */
export function installFluxChartObjects(
  kubeconfig: string,
  options: { crossNamespaceRefs?: boolean } = {},
): FluxInstall {
  const present = spawnSync(
    "kubectl",
    ["--kubeconfig", kubeconfig, "get", "crd", "kustomizations.kustomize.toolkit.fluxcd.io", "-o", "name"],
    { encoding: "utf8" },
  );
  if (present.status === 0) return "already-installed";
  const objects = renderFluxChart(options).filter((o) => o.kind !== "Deployment");
  const crds = objects.filter((o) => o.kind === "CustomResourceDefinition");
  const rest = objects.filter((o) => o.kind !== "CustomResourceDefinition");
  const list = (items: Json[]): string => JSON.stringify({ apiVersion: "v1", kind: "List", items });
  kubectl(kubeconfig, ["apply", "--server-side", "--field-manager=platform-e2e", "-f", "-"], list(crds));
  kubectl(kubeconfig, [
    "wait",
    "--for=condition=Established",
    "--timeout=60s",
    ...crds.map((c) => `crd/${c.metadata.name}`),
  ]);
  if (spawnSync("kubectl", ["--kubeconfig", kubeconfig, "get", "namespace", FLUX_NAMESPACE]).status !== 0)
    kubectl(kubeconfig, ["create", "namespace", FLUX_NAMESPACE]);
  kubectl(kubeconfig, ["apply", "--server-side", "--field-manager=platform-e2e", "-f", "-"], list(rest));
  return "installed";
}

/** Running Flux controllers. */
export interface FluxProcesses {
  /** Log file of each controller (JSON lines, as in the cluster). */
  readonly logs: Record<FluxController, string>;
  /** The arguments each controller runs with. */
  readonly args: Record<FluxController, string[]>;
  /** source-controller's artifact server, `http://127.0.0.1:<port>`. */
  readonly storageUrl: string;
  /** Stops every controller (SIGTERM, then SIGKILL after 10 s) and waits for each to exit. */
  stop(): Promise<void>;
}

async function waitHealthy(url: string, child: ChildProcess, log: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`${path.basename(log, ".log")} exited with ${child.exitCode}:\n${tail(log)}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`timed out waiting for ${url}:\n${tail(log)}`);
}

function tail(file: string, lines = 20): string {
  return fs.existsSync(file) ? fs.readFileSync(file, "utf8").split("\n").slice(-lines).join("\n") : "";
}

/**
 * Starts source-controller, kustomize-controller and helm-controller against `kubeconfig`, logs
 * and artifacts under `dir`; resolves when each answers its health endpoint (`/readyz`).
 * `requeueDependency` shortens `--requeue-dependency` (default 30 s upstream) so a run waits less
 * between a dependency becoming Ready and its dependents starting; it changes timing only.
 * @throws when a binary is not built (`npm run e2e:toolchain`) or a controller exits early.
 */
export async function startFlux(
  kubeconfig: string,
  dir: string,
  options: { crossNamespaceRefs?: boolean; requeueDependency?: string } = {},
): Promise<FluxProcesses> {
  fs.mkdirSync(dir, { recursive: true });
  const rendered = renderFluxChart(options);
  // The machine's egress proxy must not carry loopback traffic, and the run has no egress: what
  // lives on the internet fails to fetch, as it would on a cluster without egress.
  const env: NodeJS.ProcessEnv = {
    // AWS_CA_BUNDLE (this machine's proxy CA) too: the AWS SDK in the controllers refuses it with
    // their own HTTP client (`unable to add custom RootCAs HTTPClient`), an error no cluster sees.
    ...serverEnv(/^((https?|no|all)_proxy|aws_ca_bundle)$/i),
    KUBECONFIG: kubeconfig,
    RUNTIME_NAMESPACE: FLUX_NAMESPACE,
  };
  const children: ChildProcess[] = [];
  const logs = {} as Record<FluxController, string>;
  const args = {} as Record<FluxController, string[]>;
  let storageUrl = "";
  const stop = async (): Promise<void> => {
    await Promise.all(
      children.map(async (child) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
        await exited;
        clearTimeout(timer);
      }),
    );
  };
  try {
    for (const controller of FLUX_CONTROLLERS) {
      const binary = toolchainBinary(controller);
      if (!fs.existsSync(binary))
        throw new Error(`${binary} is not built: run npm run e2e:toolchain -- ${controller}`);
      const health = `127.0.0.1:${await freePort()}`;
      const storage =
        controller === "source-controller"
          ? { path: path.join(dir, "artifacts"), addr: `127.0.0.1:${await freePort()}` }
          : undefined;
      if (storage) {
        fs.mkdirSync(storage.path, { recursive: true });
        storageUrl = `http://${storage.addr}`;
      }
      args[controller] = [
        ...localControllerArgs(chartControllerArgs(rendered, controller), {
          metricsAddr: `127.0.0.1:${await freePort()}`,
          healthAddr: health,
          storage,
        }),
        ...(options.requeueDependency ? [`--requeue-dependency=${options.requeueDependency}`] : []),
      ];
      logs[controller] = path.join(dir, `${controller}.log`);
      const out = fs.openSync(logs[controller], "a");
      const child = spawn(binary, args[controller], { stdio: ["ignore", out, out], env, cwd: dir });
      fs.closeSync(out);
      children.push(child);
      await waitHealthy(`http://${health}/readyz`, child, logs[controller], 120_000);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { logs, args, storageUrl, stop };
}

/**
 * The Flux kinds {@link waitForFlux} reports, with their API collection (all namespaces) at the
 * version the pinned Flux serves.
 */
const FLUX_REPORTED_KINDS = {
  GitRepository: "/apis/source.toolkit.fluxcd.io/v1/gitrepositories",
  HelmRepository: "/apis/source.toolkit.fluxcd.io/v1/helmrepositories",
  Kustomization: "/apis/kustomize.toolkit.fluxcd.io/v1/kustomizations",
  HelmRelease: "/apis/helm.toolkit.fluxcd.io/v2/helmreleases",
} as const;

/** The state of one Flux object. */
export interface FluxObjectStatus {
  kind: keyof typeof FLUX_REPORTED_KINDS;
  namespace: string;
  name: string;
  /** The Ready condition's status ("True", "False", "Unknown"), or "Suspended" (`spec.suspend`), or "" when it has none yet. */
  ready: string;
  /** The Ready condition's reason ("" when none). */
  reason: string;
  /** The Ready condition's message ("" when none). */
  message: string;
  /** Whether the object has settled: Ready=True for its generation, suspended, or the same failure for the settle window (or Stalled). */
  settled: boolean;
}

function statusOf(
  kind: keyof typeof FLUX_REPORTED_KINDS,
  o: Json,
): Omit<FluxObjectStatus, "settled"> & {
  key: string;
  current: boolean;
  stalled: boolean;
  generation: number;
} {
  const conditions = (o.status?.conditions as Json[] | undefined) ?? [];
  const ready = conditions.find((c) => c.type === "Ready");
  const stalled = conditions.some((c) => c.type === "Stalled" && c.status === "True");
  const suspended = o.spec?.suspend === true;
  const namespace = String(o.metadata?.namespace ?? "");
  const name = String(o.metadata?.name ?? "");
  return {
    kind,
    namespace,
    name,
    key: `${kind}/${namespace}/${name}`,
    ready: suspended ? "Suspended" : String(ready?.status ?? ""),
    reason: String(ready?.reason ?? ""),
    message: String(ready?.message ?? ""),
    current: (o.status?.observedGeneration ?? -1) >= (o.metadata?.generation ?? 0),
    stalled,
    generation: Number(o.metadata?.generation ?? 0),
  };
}

/** Every Flux object of the reported kinds, with its state now (not settled yet). */
async function fluxObjects(api: KubeClient): Promise<ReturnType<typeof statusOf>[]> {
  const lists = await Promise.all(
    (Object.keys(FLUX_REPORTED_KINDS) as (keyof typeof FLUX_REPORTED_KINDS)[]).map(async (kind) => {
      const list = await api.get(FLUX_REPORTED_KINDS[kind]);
      return (list.items as Json[]).map((item) => statusOf(kind, item));
    }),
  );
  return lists.flat().sort((a, b) => a.key.localeCompare(b.key));
}

/**
 * Waits until every GitRepository, HelmRepository, Kustomization and HelmRelease in the cluster is
 * Ready=True for its current generation, suspended, or has settled on a failure: Stalled=True, or
 * Ready=False (or no Ready condition) with the same reason and message for `settleSeconds`
 * (a retrying failure such as a fetch error or DependencyNotReady repeats itself; the Ready=Unknown
 * of each retry in between does not restart the clock, but an object is never settled while it
 * shows Unknown). New objects
 * (a Kustomization applying more Flux objects) restart the wait for them. Returns the state of
 * every object when all have settled or at the timeout (then `settled: false` marks the others);
 * it does not throw on failures: the caller asserts on the report.
 * @param timeoutSeconds Overall limit, seconds (from when `until` settles, if given).
 * @param settleSeconds How long an unchanged failure counts as settled. @default 20
 * @param until Keep watching until this promise settles too (objects created meanwhile, for
 *   instance by another stack's `pulumi up`, are watched from the moment they appear).
 */
export async function waitForFlux(
  kubeconfig: string,
  timeoutSeconds: number,
  options: { settleSeconds?: number; pollSeconds?: number; until?: Promise<unknown> } = {},
): Promise<FluxObjectStatus[]> {
  const settleMs = (options.settleSeconds ?? 20) * 1000;
  const pollMs = (options.pollSeconds ?? 3) * 1000;
  let deadline = Date.now() + timeoutSeconds * 1000;
  let waiting = options.until !== undefined;
  options.until
    ?.finally(() => {
      waiting = false;
      deadline = Date.now() + timeoutSeconds * 1000;
    })
    .catch(() => undefined);
  const since = new Map<string, { state: string; at: number }>();
  // One client (kept-alive connections) for every poll of this wait.
  const api = kubeClient(kubeconfig);
  try {
    for (;;) {
      const now = Date.now();
      const objects = await fluxObjects(api);
      const report = objects.map(({ key, current, stalled, generation, ...rest }) => {
        // The generation too: the same failure for a new spec is a new failure.
        const state = `${rest.ready}|${rest.reason}|${rest.message}|${current}|${generation}`;
        const seen = since.get(key);
        // A controller retrying a failure shows Ready=Unknown (Progressing) while the attempt runs;
        // the same failure after it keeps its clock. With the controllers' exponential back-off
        // (seconds, then 24, 48... between attempts), restarting the clock at every attempt kept
        // a repeating failure from settling for minutes.
        if (rest.ready !== "Unknown" && (!seen || seen.state !== state)) since.set(key, { state, at: now });
        const stableFor = now - (since.get(key)?.at ?? now);
        const settled =
          rest.ready === "Suspended" ||
          (current && rest.ready === "True") ||
          (current && stalled) ||
          (rest.ready !== "True" && rest.ready !== "Unknown" && stableFor >= settleMs);
        return { ...rest, settled };
      });
      if (!waiting && (report.every((r) => r.settled) || Date.now() >= deadline)) return report;
      await new Promise((r) => setTimeout(r, pollMs));
    }
  } finally {
    api.close();
  }
}

/** The report as aligned text lines, one object a line: `kind namespace/name ready reason message`. */
export function formatFluxReport(report: readonly FluxObjectStatus[]): string {
  const rows = report.map((r) => [
    r.kind,
    `${r.namespace}/${r.name}`,
    r.settled ? r.ready || "-" : `${r.ready || "-"} (not settled)`,
    r.reason || "-",
    r.message.replace(/\s+/g, " ").slice(0, 300),
  ]);
  const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((row) => row[i].length), 0));
  return rows
    .map((row) => row.map((cell, i) => (i < 4 ? cell.padEnd(widths[i]) : cell)).join("  "))
    .join("\n");
}

/**
 * Points the GitRepositories whose `spec.url` is one of `urls`' keys at the value instead, without
 * credentials (`secretRef` removed): a cluster `pulumi up` configured for the user's real
 * repository then fetches it from the loopback Git server. Returns the GitRepositories changed
 * (`namespace/name`). Objects a Kustomization applies from Git get their URL back at its next
 * reconciliation; this is for the ones Pulumi creates.
 */
export async function redirectGitRepositories(
  kubeconfig: string,
  urls: Readonly<Record<string, string>>,
): Promise<string[]> {
  const api = kubeClient(kubeconfig);
  try {
    const changed: string[] = [];
    for (const repo of (await api.get(FLUX_REPORTED_KINDS.GitRepository)).items as Json[]) {
      const target = urls[String(repo.spec?.url ?? "")];
      if (target === undefined) continue;
      const { namespace, name } = repo.metadata as { namespace: string; name: string };
      await api.mergePatch(
        `/apis/source.toolkit.fluxcd.io/v1/namespaces/${namespace}/gitrepositories/${name}`,
        { spec: { url: target, secretRef: null, provider: null } },
      );
      changed.push(`${namespace}/${name}`);
    }
    return changed;
  } finally {
    api.close();
  }
}

/** Applies objects (JSON) with server-side apply as the e2e run's field manager. */
function apply(kubeconfig: string, items: Json[]): void {
  kubectl(
    kubeconfig,
    ["apply", "--server-side", "--force-conflicts", "--field-manager=platform-e2e", "-f", "-"],
    JSON.stringify({ apiVersion: "v1", kind: "List", items }),
  );
}

/**
 * Creates the `platform-facts` ConfigMap in flux-system as components/gitops/flux.ts writes it
 * (every known key, "" where no value is given), unless it exists (written by `pulumi up`).
 * @returns whether it was created.
 */
export function ensurePlatformFacts(kubeconfig: string, facts: Record<string, string>): boolean {
  const exists = spawnSync("kubectl", [
    "--kubeconfig",
    kubeconfig,
    "get",
    "configmap",
    PLATFORM_FACTS_CONFIGMAP,
    "-n",
    FLUX_NAMESPACE,
  ]);
  if (exists.status === 0) return false;
  apply(kubeconfig, [
    {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: {
        name: PLATFORM_FACTS_CONFIGMAP,
        namespace: FLUX_NAMESPACE,
        labels: { "app.kubernetes.io/managed-by": "pulumi", "reconcile.fluxcd.io/watch": "Enabled" },
      },
      data: factsData(facts as PlatformFacts),
    },
  ]);
  return true;
}

/** The root sync of a cluster, as the platform's Flux component creates it. */
export interface RootSyncArgs {
  /** Repository URL (the loopback Git server's). */
  readonly url: string;
  /** Root path in the repository, e.g. `./gitops/clusters/hub`. */
  readonly path: string;
  /** Branch. @default "main" */
  readonly branch?: string;
  /** The stack's `supersededKustomizations` (tenant environments' repository Kustomizations). @default [] */
  readonly supersededKustomizations?: readonly string[];
  /** The stack's `gitops.infrastructureNamespaces` namespaces. @default [] */
  readonly infrastructureNamespaces?: readonly string[];
}

/**
 * Creates (or updates) the root GitRepository and root Kustomization `flux-system/flux-system`
 * with the specs of components/gitops/flux.ts (`gitRepositorySpec` without credentials,
 * `rootKustomizationSpec`), pointing at `args.url`.
 */
export function applyRootSync(kubeconfig: string, args: RootSyncArgs): void {
  apply(kubeconfig, [
    {
      apiVersion: "source.toolkit.fluxcd.io/v1",
      kind: "GitRepository",
      metadata: { name: FLUX_GIT_REPOSITORY, namespace: FLUX_NAMESPACE },
      spec: gitRepositorySpec({
        url: args.url,
        branch: args.branch,
        path: args.path,
        auth: { mode: "none" },
      }),
    },
    {
      apiVersion: "kustomize.toolkit.fluxcd.io/v1",
      kind: "Kustomization",
      metadata: { name: FLUX_ROOT_KUSTOMIZATION, namespace: FLUX_NAMESPACE },
      spec: rootKustomizationSpec(args.path, undefined, {
        supersededKustomizations: args.supersededKustomizations,
        infrastructureNamespaces: args.infrastructureNamespaces,
      }),
    },
  ]);
}
