/**
 * End to end: real Flux controllers (source-controller, kustomize-controller, helm-controller, with
 * the platform's multi-tenancy flags) reconcile the platform's own `gitops/` tree and the first
 * user's repository (`../shared/real-users/numinia-k8s`), served by a Git smart-HTTP server on the
 * loopback address, on a real kube-apiserver (docs/e2e.md, "Flux").
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { ensureKubectl, startChartMirror, type ChartMirror } from "../../tools/e2e/charts";
import { CONTROL_PLANE, startCluster, type Cluster } from "../../tools/e2e/cluster";
import {
  FLUX_CONTROLLERS,
  applyRootSync,
  ensurePlatformFacts,
  formatFluxReport,
  installFluxChartObjects,
  startFlux,
  waitForFlux,
  type FluxObjectStatus,
  type FluxProcesses,
} from "../../tools/e2e/flux";
import { startGitServer, type GitServer } from "../../tools/e2e/git-server";
import { startKubelet } from "../../tools/e2e/kubelet";
import { BUILTIN_NAMESPACES, FLUX_INFRASTRUCTURE_SA } from "../../components/gitops/versions";
import { tenancyDefaults, tenantSyncPatches } from "../../components/tenancy/logic";
import { buildToolchain, repoRoot } from "../../tools/e2e/toolchain";

const shared = path.resolve(repoRoot, "../shared");
const userRepository = path.join(shared, "real-users/numinia-k8s");
const TOOLCHAIN = [...CONTROL_PLANE, ...FLUX_CONTROLLERS];

function kubectl(
  cluster: Cluster,
  input: string | undefined,
  ...args: string[]
): { status: number; stdout: string; stderr: string } {
  const r = spawnSync("kubectl", ["--kubeconfig", cluster.kubeconfig, ...args], { encoding: "utf8", input });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/**
 * What spoke-prod's stack gives its root sync (Pulumi.spoke-prod.yaml): the repository
 * Kustomizations tenant environments replace, and the infrastructure namespaces.
 */
function spokeProdRootSync(): {
  supersededKustomizations: string[];
  infrastructureNamespaces: string[];
  chartSources: Record<string, { name: string; url: string }[]>;
} {
  const config = (
    parse(fs.readFileSync(path.join(repoRoot, "Pulumi.spoke-prod.yaml"), "utf8")) as {
      config: Record<string, any>;
    }
  ).config;
  const organizations = config["platform:organizations"] as {
    environments: { repositoryKustomization?: string }[];
  }[];
  const gitops = config["platform:gitops"] as {
    infrastructureNamespaces?: { namespace: string; chartSources?: { name: string; url: string }[] }[];
  };
  return {
    supersededKustomizations: organizations.flatMap((o) =>
      o.environments.flatMap((e) => (e.repositoryKustomization ? [e.repositoryKustomization] : [])),
    ),
    infrastructureNamespaces: (gitops.infrastructureNamespaces ?? []).map((i) => i.namespace),
    chartSources: Object.fromEntries(
      (gitops.infrastructureNamespaces ?? []).map((i) => [i.namespace, i.chartSources ?? []]),
    ),
  };
}

/**
 * What spoke-prod's Flux component creates for each infrastructure namespace
 * (components/gitops/flux.ts `infrastructureNamespaces`): the Namespace (unless built in), the
 * `flux-infrastructure` ServiceAccount bound to cluster-admin and the HelmRepository copies.
 */
function infrastructureNamespaceObjects(
  chartSources: Record<string, { name: string; url: string }[]>,
): object[] {
  return Object.entries(chartSources).flatMap(([namespace, sources]) => [
    ...(BUILTIN_NAMESPACES.includes(namespace)
      ? []
      : [{ apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } }]),
    { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: FLUX_INFRASTRUCTURE_SA, namespace } },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: `${FLUX_INFRASTRUCTURE_SA}-${namespace}` },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "cluster-admin" },
      subjects: [{ kind: "ServiceAccount", name: FLUX_INFRASTRUCTURE_SA, namespace }],
    },
    ...sources.map((source) => ({
      apiVersion: "source.toolkit.fluxcd.io/v1",
      kind: "HelmRepository",
      metadata: { name: source.name, namespace },
      spec: { interval: "1h", url: source.url, ...(source.url.startsWith("oci://") ? { type: "oci" } : {}) },
    })),
  ]);
}

/**
 * A tenant environment as components/tenancy syncs it (environment.ts `reconciler`, `fluxSync`):
 * the namespace, the `flux-reconciler` account (admin in the namespace only), the organization's
 * GitRepository and its chart sources in the namespace, and the Kustomization that impersonates
 * the account with the tenant patches (`tenantSyncPatches`).
 */
function tenantEnvironmentObjects(args: {
  namespace: string;
  kustomization: string;
  path: string;
  interval: string;
  gitRepository: string;
  url: string;
  chartSources: { name: string; ref: Record<string, string> }[];
}): object[] {
  const account = tenancyDefaults.reconcilerServiceAccount;
  const { namespace } = args;
  const gitRepository = (name: string, ref: Record<string, string>): object => ({
    apiVersion: "source.toolkit.fluxcd.io/v1",
    kind: "GitRepository",
    metadata: { name, namespace },
    spec: { interval: args.interval, url: args.url, ref },
  });
  return [
    {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: namespace, labels: { "toolkit.fluxcd.io/tenant": namespace } },
    },
    { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: account, namespace } },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: { name: account, namespace },
      roleRef: {
        apiGroup: "rbac.authorization.k8s.io",
        kind: "ClusterRole",
        name: tenancyDefaults.reconcilerClusterRole,
      },
      subjects: [{ kind: "ServiceAccount", name: account, namespace }],
    },
    gitRepository(args.gitRepository, { branch: "main" }),
    ...args.chartSources.map((c) => gitRepository(c.name, c.ref)),
    {
      apiVersion: "kustomize.toolkit.fluxcd.io/v1",
      kind: "Kustomization",
      metadata: { name: args.kustomization, namespace },
      spec: {
        interval: args.interval,
        retryInterval: "1m",
        timeout: "5m",
        serviceAccountName: account,
        targetNamespace: namespace,
        sourceRef: { kind: "GitRepository", name: args.gitRepository },
        path: args.path,
        prune: true,
        patches: tenantSyncPatches({
          serviceAccountName: account,
          chartSourceNamespace: args.chartSources.length > 0 ? namespace : undefined,
        }),
      },
    },
  ];
}

function find(
  report: readonly FluxObjectStatus[],
  kind: string,
  namespace: string,
  name: string,
): FluxObjectStatus {
  const found = report.find((r) => r.kind === kind && r.namespace === namespace && r.name === name);
  assert.ok(found, `${kind} ${namespace}/${name} not in the report:\n${formatFluxReport(report)}`);
  return found;
}

/** A cluster with Flux's chart objects, the kubelet stand-in, the controllers and the Git server. */
interface FluxRun {
  cluster: Cluster;
  git: GitServer;
  flux: FluxProcesses;
  stop(): Promise<void>;
}

async function startFluxRun(
  dir: string,
  repositories: Parameters<typeof startGitServer>[1],
): Promise<FluxRun> {
  const stops: (() => Promise<void>)[] = [];
  const stop = async (): Promise<void> => {
    for (const s of stops.reverse()) await s();
  };
  try {
    const cluster = await startCluster(path.join(dir, "cluster"));
    stops.push(() => cluster.stop());
    stops.push(await startKubelet(cluster.kubeconfig));
    console.log(`[e2e] flux chart objects: ${installFluxChartObjects(cluster.kubeconfig)}`);
    const git = await startGitServer(path.join(dir, "git"), repositories);
    stops.push(() => git.stop());
    const flux = await startFlux(cluster.kubeconfig, path.join(dir, "flux"), { requeueDependency: "5s" });
    stops.push(() => flux.stop());
    console.log(`[e2e] flux controllers up; logs in ${path.join(dir, "flux")}`);
    return { cluster, git, flux, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

describe("e2e: real Flux reconciles the platform's gitops/ tree and the user's repository", function () {
  const work = process.env.E2E_WORK ?? fs.mkdtempSync(path.join(os.tmpdir(), "platform-e2e-flux-"));

  before(function () {
    if (!fs.existsSync(userRepository)) {
      console.log(`skipping Flux e2e: ${userRepository} is absent (../shared beside the checkout)`);
      this.skip();
    }
    ensureKubectl();
    buildToolchain(TOOLCHAIN);
  });

  describe("the platform's gitops/ tree (hub)", function () {
    let run: FluxRun;
    let mirror: ChartMirror;
    let report: FluxObjectStatus[];

    before(async function () {
      run = await startFluxRun(path.join(work, "platform"), [
        { name: "platform", source: path.join(repoRoot, "gitops"), prefix: "gitops" },
      ]);
      // The run has no egress: the hub's chart mirror (platform:chartMirror) serves the charts, as
      // in the Pulumi part of the e2e run; the facts carry it to the Git content's HelmRepositories.
      mirror = await startChartMirror(path.join(work, "platform", "charts"));
      ensurePlatformFacts(run.cluster.kubeconfig, {
        cluster_name: "e2e-hub",
        cluster_role: "hub",
        stack_name: "hub",
        environment: "production",
        aws_region: "eu-west-1",
        hub_cluster_name: "e2e-hub",
        chart_mirror_url: mirror.url,
      });
      applyRootSync(run.cluster.kubeconfig, { url: run.git.url("platform"), path: "./gitops/clusters/hub" });
      report = await waitForFlux(run.cluster.kubeconfig, 600);
      console.log(formatFluxReport(report));
    });

    after(async function () {
      await run?.stop();
      await mirror?.stop();
    });

    it("the root GitRepository fetches the served revision", function () {
      const repo = find(report, "GitRepository", "flux-system", "flux-system");
      assert.equal(repo.ready, "True", repo.message);
      assert.match(repo.message, new RegExp(run.git.revision("platform")));
    });

    it("the root Kustomization applies gitops/clusters/hub", function () {
      const root = find(report, "Kustomization", "flux-system", "flux-system");
      assert.equal(root.ready, "True", root.message);
    });

    it("metrics-server comes from the chart mirror the facts name, and every layer becomes Ready", function () {
      const source = find(report, "HelmRepository", "flux-system", "metrics-server");
      assert.equal(source.ready, "True", source.message);
      const release = find(report, "HelmRelease", "flux-system", "metrics-server");
      assert.equal(release.ready, "True", release.message);
      assert.match(release.message, /metrics-server\.v1|Helm install succeeded|upgrade succeeded/);
      for (const layer of ["infra-controllers", "infra-configs", "organizations"]) {
        const k = find(report, "Kustomization", "flux-system", layer);
        assert.equal(k.ready, "True", `${layer}: ${k.reason} ${k.message}`);
      }
      const url = kubectl(
        run.cluster,
        undefined,
        "get",
        "helmrepository",
        "metrics-server",
        "-n",
        "flux-system",
        "-o",
        "jsonpath={.spec.url}",
      );
      assert.equal(url.stdout, mirror.url);
    });

    it("the facts are substituted into what the layers apply (kube-public/platform-cluster-info)", function () {
      const r = kubectl(
        run.cluster,
        undefined,
        "get",
        "configmap",
        "platform-cluster-info",
        "-n",
        "kube-public",
        "-o",
        "json",
      );
      assert.equal(r.status, 0, r.stderr);
      const data = (JSON.parse(r.stdout) as { data: Record<string, string> }).data;
      assert.deepEqual(data, {
        cluster: "e2e-hub",
        role: "hub",
        environment: "production",
        region: "eu-west-1",
        hub: "e2e-hub",
      });
    });
  });

  describe("the user's repository numinia-k8s at ./clusters/prod-cluster (spoke-prod's root sync)", function () {
    let run: FluxRun;
    let report: FluxObjectStatus[];
    const rootSync = spokeProdRootSync();

    before(async function () {
      run = await startFluxRun(path.join(work, "numinia"), [
        { name: "numinia-k8s", source: userRepository, tags: ["v0.4.7"] },
      ]);
      ensurePlatformFacts(run.cluster.kubeconfig, {
        cluster_name: "production-numinia",
        cluster_role: "spoke",
        stack_name: "spoke-prod",
        environment: "production",
        aws_region: "eu-west-1",
        hub_cluster_name: "e2e-hub",
      });
      applyRootSync(run.cluster.kubeconfig, {
        url: run.git.url("numinia-k8s"),
        path: "./clusters/prod-cluster",
        ...rootSync,
      });
      // A tenant environment whose path does not exist, as components/tenancy syncs one: its own
      // namespace, GitRepository and flux-reconciler account (admin in the namespace only).
      const tenant = "e2e-missing-path";
      const objects = [
        // Created by spoke-prod's `pulumi up` when the suite runs after it (then applied again, unchanged).
        ...infrastructureNamespaceObjects(rootSync.chartSources),
        // numinia's production environment (Pulumi.spoke-prod.yaml), as the platform's tenancy syncs
        // it, from the loopback server (its chart sources: the repository's main and tag v0.4.7).
        ...tenantEnvironmentObjects({
          namespace: "numinia",
          kustomization: "numinia-pro",
          path: "./clusters/prod-cluster/organizations/numinia/pro-kustomization",
          interval: "5m",
          gitRepository: "numinia",
          url: run.git.url("numinia-k8s"),
          chartSources: [
            { name: "flux-system", ref: { branch: "main" } },
            { name: "flux-system-v0.4.7", ref: { tag: "v0.4.7" } },
          ],
        }),
        {
          apiVersion: "v1",
          kind: "Namespace",
          metadata: { name: tenant, labels: { "toolkit.fluxcd.io/tenant": tenant } },
        },
        {
          apiVersion: "v1",
          kind: "ServiceAccount",
          metadata: { name: "flux-reconciler", namespace: tenant },
        },
        {
          apiVersion: "rbac.authorization.k8s.io/v1",
          kind: "RoleBinding",
          metadata: { name: "flux-reconciler", namespace: tenant },
          roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "admin" },
          subjects: [{ kind: "ServiceAccount", name: "flux-reconciler", namespace: tenant }],
        },
        {
          apiVersion: "source.toolkit.fluxcd.io/v1",
          kind: "GitRepository",
          metadata: { name: "numinia-k8s", namespace: tenant },
          spec: { url: run.git.url("numinia-k8s"), ref: { branch: "main" }, interval: "1m" },
        },
        {
          apiVersion: "kustomize.toolkit.fluxcd.io/v1",
          kind: "Kustomization",
          metadata: { name: "missing-pro", namespace: tenant },
          spec: {
            interval: "5m",
            retryInterval: "1m",
            timeout: "5m",
            serviceAccountName: "flux-reconciler",
            targetNamespace: tenant,
            sourceRef: { kind: "GitRepository", name: "numinia-k8s" },
            path: "./clusters/prod-cluster/organizations/does-not-exist/pro-kustomization",
            prune: true,
          },
        },
      ];
      const applied = kubectl(
        run.cluster,
        JSON.stringify({ apiVersion: "v1", kind: "List", items: objects }),
        "apply",
        "-f",
        "-",
      );
      assert.equal(applied.status, 0, applied.stderr);
      report = await waitForFlux(run.cluster.kubeconfig, 900);
      console.log(formatFluxReport(report));
    });

    after(async function () {
      await run?.stop();
    });

    it("the root GitRepository and root Kustomization are Ready", function () {
      const repo = find(report, "GitRepository", "flux-system", "flux-system");
      assert.equal(repo.ready, "True", repo.message);
      const root = find(report, "Kustomization", "flux-system", "flux-system");
      assert.equal(root.ready, "True", root.message);
    });

    it("every object settles: Ready, or a failure with its reason (no controller crash)", function () {
      const unsettled = report.filter((r) => !r.settled);
      assert.deepEqual(unsettled, [], formatFluxReport(report));
      for (const r of report.filter((o) => o.ready === "False"))
        assert.ok(r.reason && r.message, `${r.kind} ${r.namespace}/${r.name} has a reason and message`);
    });

    it("the HelmRepositories on the internet fail with a fetch error naming their URL", function () {
      const repositories = report.filter((r) => r.kind === "HelmRepository");
      // The repository's four in flux-system and the platform's copies in the infrastructure namespaces.
      assert.ok(repositories.length >= 8, formatFluxReport(report));
      for (const r of repositories) {
        const url = kubectl(
          run.cluster,
          undefined,
          "get",
          "helmrepository",
          r.name,
          "-n",
          r.namespace,
          "-o",
          "jsonpath={.spec.url}",
        ).stdout;
        assert.match(url, /^https:\/\//);
        assert.equal(r.ready, "False", `${r.namespace}/${r.name}`);
        assert.ok(
          r.message.includes(`failed to fetch Helm repository index`),
          `${r.namespace}/${r.name}: ${r.message}`,
        );
        assert.ok(
          r.message.includes(url.replace(/\/$/, "")),
          `${r.namespace}/${r.name} names ${url}: ${r.message}`,
        );
      }
    });

    it("a tenant environment (numinia/pro) syncs through the real lockdown as flux-reconciler", function () {
      const tenant = find(report, "Kustomization", "numinia", "numinia-pro");
      assert.equal(tenant.ready, "True", tenant.message);
      for (const name of ["numinia", "flux-system", "flux-system-v0.4.7"])
        assert.equal(find(report, "GitRepository", "numinia", name).ready, "True");
      // Its HelmRelease runs as the tenant's account with the chart from the tenant namespace (the
      // tenant patches), gets its chart packaged from Git, and Helm fails only on the CRDs the
      // infrastructure layers would install (Knative, External Secrets).
      const release = find(report, "HelmRelease", "numinia", "multiplex-pro");
      const spec = JSON.parse(
        kubectl(
          run.cluster,
          undefined,
          "get",
          "helmrelease",
          "multiplex-pro",
          "-n",
          "numinia",
          "-o",
          "jsonpath={.spec}",
        ).stdout,
      ) as { serviceAccountName: string; chart: { spec: { sourceRef: { namespace: string } } } };
      assert.equal(spec.serviceAccountName, "flux-reconciler");
      assert.equal(spec.chart.spec.sourceRef.namespace, "numinia");
      assert.equal(release.reason, "InstallFailed", release.message);
      assert.match(release.message, /no matches for kind "Service" in version "serving\.knative\.dev\/v1"/);
    });

    it("the HelmReleases of the infrastructure wait for their chart (no artifact), none crashes a controller", function () {
      const releases = report.filter((r) => r.kind === "HelmRelease" && r.namespace !== "numinia");
      assert.ok(releases.length > 0, formatFluxReport(report));
      for (const r of releases) {
        assert.equal(r.ready, "False", `${r.namespace}/${r.name}`);
        assert.match(
          r.message,
          /HelmChart .* is not ready|no artifact available/,
          `${r.namespace}/${r.name}`,
        );
      }
    });

    it("the user's infrastructure layers: what is Ready and the precise reason of the rest", function () {
      const k = (name: string): FluxObjectStatus => find(report, "Kustomization", "flux-system", name);
      assert.equal(k("infrastructure-base").ready, "True", k("infrastructure-base").message);
      // infrastructure-networking applies cert-manager's ClusterIssuers with the cert-manager
      // HelmRelease that installs their CRD: on a new cluster the dry-run refuses them and the
      // release is never applied (the repository's defect; spoke-prod leaves cert-manager to it).
      const networking = k("infrastructure-networking");
      assert.equal(networking.reason, "ReconciliationFailed");
      assert.match(
        networking.message,
        /ClusterIssuer\/.* dry-run failed: no matches for kind "ClusterIssuer"/,
      );
      assert.equal(k("infrastructure").reason, "DependencyNotReady");
    });

    it("the root sync drops the repository's own Flux install and the superseded tenant Kustomizations", function () {
      for (const name of rootSync.supersededKustomizations)
        assert.equal(
          report.find((r) => r.kind === "Kustomization" && r.name === name),
          undefined,
          `${name} is dropped by the root sync`,
        );
      const deployments = kubectl(
        run.cluster,
        undefined,
        "get",
        "deployments",
        "-n",
        "flux-system",
        "-o",
        "name",
      );
      assert.equal(deployments.stdout.trim(), "", "gotk-components.yaml's controllers are dropped");
    });

    it("a tenant path that does not exist fails the tenant Kustomization with the reason", function () {
      const missing = find(report, "Kustomization", "e2e-missing-path", "missing-pro");
      assert.equal(missing.ready, "False");
      assert.equal(missing.settled, true);
      assert.match(missing.message, /does-not-exist\/pro-kustomization/);
      assert.match(missing.message, /not found|no such file or directory/);
    });
  });
});
