/**
 * End to end: real Flux controllers (source-controller, kustomize-controller, helm-controller, with
 * the platform's multi-tenancy flags) reconcile the platform's own `gitops/` tree and the first
 * user's repository (`../shared/real-users/numinia-k8s`), served by a Git smart-HTTP server on the
 * loopback address, on a real kube-apiserver (docs/e2e.md, "Flux").
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { startCluster, type Cluster } from "../../tools/e2e/cluster";
import {
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
import { buildToolchain, repoRoot } from "../../tools/e2e/toolchain";

const shared = path.resolve(repoRoot, "../shared");
const userRepository = path.join(shared, "real-users/numinia-k8s");
const TOOLCHAIN = [
  "etcd",
  "kube-apiserver",
  "kube-controller-manager",
  "source-controller",
  "kustomize-controller",
  "helm-controller",
];

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
    buildToolchain(TOOLCHAIN);
  });

  describe("the platform's gitops/ tree (hub)", function () {
    let run: FluxRun;
    let report: FluxObjectStatus[];

    before(async function () {
      run = await startFluxRun(path.join(work, "platform"), [
        { name: "platform", source: path.join(repoRoot, "gitops"), prefix: "gitops" },
      ]);
      ensurePlatformFacts(run.cluster.kubeconfig, {
        cluster_name: "e2e-hub",
        cluster_role: "hub",
        stack_name: "hub",
        environment: "production",
        aws_region: "eu-west-1",
        hub_cluster_name: "e2e-hub",
      });
      applyRootSync(run.cluster.kubeconfig, { url: run.git.url("platform"), path: "./gitops/clusters/hub" });
      report = await waitForFlux(run.cluster.kubeconfig, 600);
      console.log(formatFluxReport(report));
    });

    after(async function () {
      await run?.stop();
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
  });
});
