/**
 * End to end: the real Pulumi engine, CLI and policy analyzer, the real Kubernetes provider and a
 * real kube-apiserver run the platform program (`npm run e2e`, docs/e2e.md). AWS is the fake
 * provider of tools/e2e/providers/aws.ts; eks and awsx are their real component code.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ensureKubectl, startChartMirror, type ChartMirror } from "../../tools/e2e/charts";
import { CONTROL_PLANE, startCluster, type Cluster } from "../../tools/e2e/cluster";
import {
  FLUX_CONTROLLERS,
  formatFluxReport,
  redirectGitRepositories,
  startFlux,
  waitForFlux,
  type FluxObjectStatus,
  type FluxProcesses,
} from "../../tools/e2e/flux";
import { startGitServer, type GitServer } from "../../tools/e2e/git-server";
import { startKubelet } from "../../tools/e2e/kubelet";
import { createWorkspace, pulumi, pulumiOk, type Result, type Workspace } from "../../tools/e2e/pulumi";
import { buildToolchain, cacheDir, repoRoot, snapshotCrds } from "../../tools/e2e/toolchain";

const componentsDir = path.resolve(repoRoot, "../shared/upstream/components");
const POLICY_ARGS = ["--policy-pack", "policy", "--policy-pack-config", "policy/config/production.json"];

function kubectl(cluster: Cluster, ...args: string[]): { status: number; stdout: string; stderr: string } {
  const r = spawnSync("kubectl", ["--kubeconfig", cluster.kubeconfig, ...args], { encoding: "utf8" });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Installs what the upstream component source needs beyond the checkout's packages. */
function installComponentModules(): string {
  const dir = path.join(cacheDir, "component-modules");
  const lock = fs.readFileSync(path.join(repoRoot, "tools/e2e/components/package-lock.json"), "utf8");
  if (
    !fs.existsSync(path.join(dir, "node_modules")) ||
    fs.readFileSync(path.join(dir, "package-lock.json"), "utf8") !== lock
  ) {
    fs.mkdirSync(dir, { recursive: true });
    for (const f of ["package.json", "package-lock.json"])
      fs.copyFileSync(path.join(repoRoot, "tools/e2e/components", f), path.join(dir, f));
    const r = spawnSync("npm", ["ci", "--no-audit", "--no-fund"], { cwd: dir, stdio: "inherit" });
    if (r.status !== 0) throw new Error(`npm ci in ${dir} failed`);
  }
  return path.join(dir, "node_modules");
}

/**
 * Stack config changes the e2e run needs (file backend names, placeholder secrets, the chart
 * mirror an air-gapped installation would set).
 */
async function prepareStacks(ws: Workspace, mirror: ChartMirror): Promise<void> {
  // The first command creates the file backend; then the two stacks side by side, spoke-prod's
  // settings in one `config set-all`.
  await pulumiOk(ws, ["stack", "init", "hub"]);
  await Promise.all([
    pulumiOk(ws, ["config", "set", "--stack", "hub", "--path", "platform:chartMirror.url", mirror.url]),
    (async () => {
      await pulumiOk(ws, ["stack", "init", "spoke-prod"]);
      await pulumiOk(ws, [
        "config",
        "set-all",
        "--stack",
        "spoke-prod",
        "--path",
        "--plaintext",
        `platform:chartMirror.url=${mirror.url}`,
        // The file backend names stacks organization/<project>/<stack>.
        "--plaintext",
        "platform:hubStackReference=organization/platform/hub",
        "--secret",
        "platform:gitops.sshPrivateKey=-----BEGIN OPENSSH PRIVATE KEY-----\ne2e\n-----END OPENSSH PRIVATE KEY-----",
      ]);
    })(),
  ]);
}

/**
 * Starts work now that a later test awaits: independent steps overlap (two stacks' previews, a
 * cluster's Flux wait beside the other stack's `pulumi up`), while each test still reports its own
 * result. A failure stays with the promise until that test awaits it.
 */
function background<T>(work: () => Promise<T>): Promise<T> {
  const p = work();
  p.catch(() => undefined);
  return p;
}

/** EKS cluster names of the stacks (Pulumi.<stack>.yaml platform:clusterName). */
const CLUSTER_NAMES = { hub: "platform-hub", spoke: "production-numinia" } as const;

describe("e2e: real engine, policy pack, Kubernetes provider and API server", function () {
  // One local control plane per EKS cluster, as on AWS: the hub's and the spoke's.
  const clusters: Partial<Record<keyof typeof CLUSTER_NAMES, Cluster>> = {};
  const kubelets: (() => Promise<void>)[] = [];
  let ws: Workspace;
  let mirror: ChartMirror;
  let git: GitServer;
  const fluxes: FluxProcesses[] = [];
  const fluxReports: Partial<Record<keyof typeof CLUSTER_NAMES, FluxObjectStatus[]>> = {};
  const work = process.env.E2E_WORK ?? fs.mkdtempSync(path.join(os.tmpdir(), "platform-e2e-"));
  // Steps started early (background()) and awaited by their own test.
  const started: {
    violation?: Promise<Result>;
    noChanges: Partial<Record<"hub" | "spoke-prod", Promise<Result>>>;
    flux: Partial<Record<keyof typeof CLUSTER_NAMES, Promise<FluxObjectStatus[]>>>;
  } = { noChanges: {}, flux: {} };

  before(async function () {
    if (!fs.existsSync(componentsDir)) {
      console.log(`skipping e2e: upstream component source ${componentsDir} is absent`);
      this.skip();
    }
    ensureKubectl();
    const started = Date.now();
    buildToolchain([
      "pulumi",
      "language-nodejs",
      "kubernetes-provider",
      ...CONTROL_PLANE,
      ...FLUX_CONTROLLERS,
    ]);
    console.log(
      `[e2e] toolchain ready in ${Math.round((Date.now() - started) / 1000)}s; scratch dir ${work}`,
    );
    const policyModules = path.join(repoRoot, "policy/node_modules");
    if (!fs.existsSync(policyModules)) {
      const r = spawnSync("npm", ["ci", "--no-audit", "--no-fund"], {
        cwd: path.join(repoRoot, "policy"),
        stdio: "inherit",
      });
      if (r.status !== 0) throw new Error("npm ci in policy/ failed");
    }
    // The EKS cluster creator's token: one for both, as the fake `aws eks get-token` hands out one.
    const token = crypto.randomBytes(16).toString("hex");
    // The two control planes boot side by side while the chart mirror is packaged. Every start is
    // awaited before a failure is thrown, so after() stops whatever did start.
    const starts = await Promise.allSettled([
      ...(Object.keys(CLUSTER_NAMES) as (keyof typeof CLUSTER_NAMES)[]).map(async (key) => {
        const cluster = await startCluster(path.join(work, `cluster-${key}`), { token });
        clusters[key] = cluster;
        kubelets.push(await startKubelet(cluster.kubeconfig));
      }),
      startChartMirror(path.join(work, "charts")).then((m) => (mirror = m)),
    ]);
    for (const start of starts) if (start.status === "rejected") throw start.reason;
    // The repositories the stacks sync, served on the loopback address: the platform's own (its
    // gitops/ tree, at the path the hub's root sync reads) and the first user's, as it is today.
    git = await startGitServer(path.join(work, "git"), [
      { name: "platform", source: path.join(repoRoot, "gitops"), prefix: "gitops" },
      {
        name: "numinia-k8s",
        source: path.resolve(repoRoot, "../shared/real-users/numinia-k8s"),
        tags: ["v0.4.7"],
      },
    ]);
    const hub = clusters.hub!;
    ws = createWorkspace(work, {
      E2E_CLUSTERS: JSON.stringify(
        Object.fromEntries(
          Object.entries(clusters).map(([key, c]) => [
            CLUSTER_NAMES[key as keyof typeof CLUSTER_NAMES],
            { endpoint: c.endpoint, caData: c.caData, kubeconfig: c.kubeconfig },
          ]),
        ),
      ),
      // The OIDC issuer's TLS chain pulumi-eks reads (tools/e2e/providers/eks.ts): any local API server's.
      E2E_KUBE_ENDPOINT: hub.endpoint,
      E2E_KUBE_CA: hub.caData,
      E2E_KUBE_TOKEN: token,
      E2E_SNAPSHOT_CRDS: snapshotCrds(),
      E2E_COMPONENT_MODULES: installComponentModules(),
    });
    await prepareStacks(ws, mirror);
  });

  after(async function () {
    for (const flux of fluxes) await flux.stop();
    for (const stop of kubelets) await stop();
    await git?.stop();
    await mirror?.stop();
    for (const cluster of Object.values(clusters)) await cluster.stop();
  });

  it("hub: preview with the policy pack reports no mandatory violation", async function () {
    const r = await pulumi(ws, ["preview", "--stack", "hub", ...POLICY_ARGS]);
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    assert.doesNotMatch(r.stdout, /mandatory/i);
  });

  /** Settles when spoke-prod's `pulumi up` has ended, whatever its result. */
  const spokeUp = (() => {
    let end = () => undefined as void;
    const done = new Promise<void>((resolve) => (end = resolve));
    return { done, end: () => end() };
  })();

  /**
   * The second preview of a stack, after its `pulumi up`. It runs beside Flux on the clusters:
   * the Kubernetes provider diffs the program against the checkpoint, not the live objects, so the
   * GitRepositories the run points at the loopback server (and what Flux applies) change nothing.
   */
  const noChanges = (stack: "hub" | "spoke-prod") =>
    background(() => pulumi(ws, ["preview", "--stack", stack, "--expect-no-changes", "--diff"]));

  /**
   * The hub's stack with the API endpoint opened to the world (as the plan test does), previewed
   * with the pack: a stack of its own, so it runs while Flux on the spoke settles and beside the
   * destroys, where the machine waits on the controllers and API servers (beside the hub's up,
   * where both cores were busy, it slowed that up by about 18 s).
   */
  const violationPreview = () =>
    background(async () => {
      const hubFile = fs.readFileSync(path.join(repoRoot, "Pulumi.hub.yaml"), "utf8");
      const open = hubFile.replace(
        "platform:endpointPublicAccess: false",
        'platform:endpointPublicAccess: true\n  platform:publicAccessCidrs: ["0.0.0.0/0"]',
      );
      assert.notEqual(open, hubFile);
      fs.writeFileSync(path.join(ws.project, "Pulumi.hub-open.yaml"), open);
      await pulumiOk(ws, ["stack", "init", "hub-open"]);
      return pulumi(ws, ["preview", "--stack", "hub-open", ...POLICY_ARGS]);
    });

  it("hub: pulumi up succeeds", async function () {
    await pulumiOk(ws, ["up", "--stack", "hub", "--yes", "--skip-preview", ...POLICY_ARGS]);
    // Real Flux on the hub while the spoke is previewed and deployed.
    // The hub also gets a Kustomization onto the spoke (components/gitops/spoke-registration.ts)
    // from spoke-prod's up: the wait lasts until that up has ended, too.
    started.flux.hub = background(() =>
      reconcile("hub", { "https://github.com/numengames/platform": git.url("platform") }, spokeUp.done),
    );
  });

  it("spoke-prod: preview with the policy pack reports no mandatory violation (real StackReference to the hub)", async function () {
    const r = await pulumi(ws, ["preview", "--stack", "spoke-prod", ...POLICY_ARGS]);
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    assert.doesNotMatch(r.stdout, /mandatory/i);
  });

  it("spoke-prod: pulumi up succeeds", async function () {
    // Beside the up (which also waits on the API server and Helm): the hub's second preview.
    started.noChanges.hub = noChanges("hub");
    try {
      await pulumiOk(ws, ["up", "--stack", "spoke-prod", "--yes", "--skip-preview", ...POLICY_ARGS]);
    } finally {
      spokeUp.end();
    }
    started.noChanges["spoke-prod"] = noChanges("spoke-prod");
    started.flux.spoke = background(() =>
      reconcile("spoke", {
        "ssh://git@github.com/numengames/numinia-k8s": git.url("numinia-k8s"),
        // The pinned chart sources (flux-system-v0.4.7) the platform copies into tenant namespaces.
        "https://github.com/numengames/numinia-k8s.git": git.url("numinia-k8s"),
      }),
    );
  });

  it("a second pulumi up plans no changes (hub and spoke-prod)", async function () {
    const stacks = ["hub", "spoke-prod"] as const;
    // Both previews are awaited, and both results reported, before anything is asserted.
    const results = await Promise.all(stacks.map((stack) => started.noChanges[stack]));
    // The machine is idle from here while Flux on the spoke settles and then while the stacks are
    // destroyed: the violation preview runs now.
    started.violation = violationPreview();
    const failures = stacks.flatMap((stack, i) => {
      const r = results[i];
      if (!r) return [`${stack}: the second preview was not started (its pulumi up failed)`];
      return r.status === 0 ? [] : [`${stack}: ${r.stdout}\n${r.stderr}`];
    });
    assert.deepEqual(failures, []);
  });

  it("Pod Security admission rejects a privileged Pod in a tenant namespace", function () {
    const pod = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "e2e-privileged", namespace: "numinia" },
      spec: { containers: [{ name: "c", image: "busybox", securityContext: { privileged: true } }] },
    };
    const file = path.join(work, "privileged-pod.json");
    fs.writeFileSync(file, JSON.stringify(pod));
    const r = kubectl(clusters.spoke!, "apply", "-f", file);
    assert.notEqual(r.status, 0, "a privileged Pod was admitted");
    assert.match(r.stderr, /violates PodSecurity "(restricted|baseline):[^"]+": privileged/);
  });

  /**
   * Real Flux on a cluster `pulumi up` configured: the controllers (the platform's lockdown flags)
   * run as processes against its API server; the GitRepositories Pulumi created for the real
   * repositories are pointed at the loopback Git server (tools/e2e/flux.ts); the report of every
   * Flux object is printed.
   */
  async function reconcile(
    key: keyof typeof CLUSTER_NAMES,
    redirect: Record<string, string>,
    until?: Promise<unknown>,
  ): Promise<FluxObjectStatus[]> {
    const cluster = clusters[key]!;
    const flux = await startFlux(cluster.kubeconfig, path.join(work, `flux-${key}`), {
      requeueDependency: "5s",
    });
    // The controllers keep running until the end: `pulumi destroy` deletes Flux objects whose
    // finalizers only the controllers remove, as on a real cluster.
    fluxes.push(flux);
    const changed = await redirectGitRepositories(cluster.kubeconfig, redirect);
    assert.notDeepEqual(
      changed,
      [],
      `no GitRepository of ${Object.keys(redirect).join(", ")} on the ${key} cluster`,
    );
    const report = await waitForFlux(cluster.kubeconfig, 420, { until });
    fluxReports[key] = report;
    console.log(`[e2e] Flux on the ${key} cluster:\n${formatFluxReport(report)}`);
    return report;
  }
  const notReady = (report: FluxObjectStatus[], kind: string, namespaces: (ns: string) => boolean) =>
    report.filter(
      (r) => r.kind === kind && namespaces(r.namespace) && r.ready !== "True" && r.ready !== "Suspended",
    );

  it("hub: real Flux reconciles the platform's gitops/ tree: every Kustomization on the hub Ready, the one onto the spoke waiting for an AWS identity", async function () {
    assert.ok(started.flux.hub, "Flux on the hub was not started (its pulumi up failed)");
    // Its wait lasts until spoke-prod's up has ended; when that test did not run (--grep), now.
    spokeUp.end();
    const report = await started.flux.hub;
    // The hub's Kustomizations that reconcile onto a spoke (components/gitops/spoke-registration.ts)
    // reach it through AWS workload identity (`spec.kubeConfig.configMapRef`, provider aws): with no
    // AWS identity here they must fail getting the token, and say so.
    const remote = JSON.parse(
      kubectl(clusters.hub!, "get", "kustomizations.kustomize.toolkit.fluxcd.io", "-A", "-o", "json").stdout,
    ) as { items: { metadata: { namespace: string; name: string }; spec: { kubeConfig?: unknown } }[] };
    const onSpokes = new Set(
      remote.items.filter((k) => k.spec.kubeConfig).map((k) => `${k.metadata.namespace}/${k.metadata.name}`),
    );
    assert.deepEqual([...onSpokes], ["flux-system/production-numinia-baseline"]);
    const local = report.filter((r) => !onSpokes.has(`${r.namespace}/${r.name}`));
    assert.ok(local.filter((r) => r.kind === "Kustomization").length >= 4, formatFluxReport(report));
    assert.deepEqual(
      notReady(local, "Kustomization", () => true),
      [],
      formatFluxReport(report),
    );
    for (const r of report.filter((r) => onSpokes.has(`${r.namespace}/${r.name}`)))
      assert.match(r.message, /access token/, formatFluxReport([r]));
  });

  it("spoke-prod: real Flux reconciles the user's repository; every tenant Kustomization becomes Ready", async function () {
    assert.ok(started.flux.spoke, "Flux on the spoke was not started (its pulumi up failed)");
    const report = await started.flux.spoke;
    const root = report.find(
      (r) => r.kind === "Kustomization" && r.namespace === "flux-system" && r.name === "flux-system",
    );
    assert.equal(root?.ready, "True", formatFluxReport(report));
    // The platform's tenant environments (components/tenancy): one Kustomization per environment
    // in the tenant's namespace, impersonating its flux-reconciler account.
    const tenant = (ns: string) => ns !== "flux-system";
    const tenantKustomizations = report.filter((r) => r.kind === "Kustomization" && tenant(r.namespace));
    assert.ok(
      tenantKustomizations.some((r) => r.namespace === "numinia" && r.ready === "True"),
      formatFluxReport(report),
    );
    assert.deepEqual(notReady(report, "Kustomization", tenant), [], formatFluxReport(report));
  });

  it("pulumi destroy leaves nothing behind", async function () {
    // Production protects its stateful resources (KMS keys, EFS, the backup vault): tearing a
    // production stack down is an explicit unprotect first (both stacks' state at once), then the
    // spoke before the hub it references.
    const order = ["spoke-prod", "hub"];
    await Promise.all(
      order.map((stack) => pulumiOk(ws, ["state", "unprotect", "--all", "--yes", "--stack", stack])),
    );
    for (const stack of order) await pulumiOk(ws, ["destroy", "--stack", stack, "--yes", "--skip-preview"]);
    const awsState = path.join(work, "aws-state");
    const left = fs.existsSync(awsState) ? fs.readdirSync(awsState).map(decodeURIComponent) : [];
    assert.deepEqual(left, [], "fake AWS resources left after destroy");
    // Namespaces a Flux Kustomization applied from Git are pruned with it, except when its last
    // apply failed: Flux records an inventory only on success, so what a failed apply created
    // (the Namespaces go first) is left to the cluster. Those must come from a Kustomization the
    // run reported failing; anything else left is a defect.
    for (const [key, cluster] of Object.entries(clusters)) {
      const { items } = JSON.parse(kubectl(cluster, "get", "namespaces", "-o", "json").stdout) as {
        items: { metadata: { name: string; labels?: Record<string, string> } }[];
      };
      const failed = new Set(
        (fluxReports[key as keyof typeof CLUSTER_NAMES] ?? [])
          .filter((r) => r.kind === "Kustomization" && r.ready === "False")
          .map((r) => `${r.namespace}/${r.name}`),
      );
      const left = items.filter(
        (n) => !["default", "kube-system", "kube-public", "kube-node-lease"].includes(n.metadata.name),
      );
      const orphans = left.filter((n) => {
        const labels = n.metadata.labels ?? {};
        return failed.has(
          `${labels["kustomize.toolkit.fluxcd.io/namespace"]}/${labels["kustomize.toolkit.fluxcd.io/name"]}`,
        );
      });
      if (orphans.length > 0)
        console.log(
          `[e2e] ${key}: left by failed Flux applies: ${orphans.map((n) => `${n.metadata.name} (${n.metadata.labels?.["kustomize.toolkit.fluxcd.io/name"]})`).join(", ")}`,
        );
      assert.deepEqual(
        left.filter((n) => !orphans.includes(n)).map((n) => n.metadata.name),
        [],
        `namespaces left on the ${key} cluster`,
      );
    }
  });

  it("a mandatory policy violation fails the preview, naming the policy", async function () {
    // Started once the second previews were done; run here when that test did not run (--grep).
    const r = await (started.violation ?? violationPreview());
    assert.notEqual(r.status, 0, "the preview passed a mandatory violation");
    assert.match(r.stdout, /eks-public-endpoint-restricted/);
    assert.match(r.stdout, /mandatory/);
  });
});
