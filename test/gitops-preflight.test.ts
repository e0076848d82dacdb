/**
 * The GitOps preflight (tools/plan/gitops-preflight.ts): its pure parts, a small repository built
 * here and judged with the real kustomize, and numengames/numinia-k8s as exported in
 * ../shared/real-users (the first user's repository) planned with spoke-prod.
 */
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { parseAllDocuments, stringify } from "yaml";
import { fluxServedVersions, infrastructurePatches, rootSyncPatches } from "../components/gitops";
import { tenantSyncPatches } from "../components/tenancy";
import {
  kubernetesType,
  normalizeGitUrl,
  parseGitOpsRepo,
  repositorySteps,
  runGitOpsPreflight,
  substitute,
  type PlannedResource,
} from "../tools/plan/gitops-preflight";
import { planStack, type PlanResult } from "../tools/plan/run";

const repoRoot = path.resolve(__dirname, "..");
const SNAPSHOT = path.resolve(repoRoot, "../shared/real-users/numinia-k8s");
const CHART = path.resolve(repoRoot, "../shared/upstream/charts/flux2-2.18.3");
const kubectl = spawnSync("kubectl", ["version", "--client"], { encoding: "utf8" }).status === 0;

function write(root: string, file: string, objects: unknown[] | string): void {
  const full = path.join(root, file);
  mkdirSync(path.dirname(full), { recursive: true });
  writeFileSync(full, typeof objects === "string" ? objects : objects.map((o) => stringify(o)).join("---\n"));
}

describe("gitops preflight: pure parts", () => {
  it("parses --gitops-repo as <dir> or <url>=<dir>, and names a missing directory", () => {
    assert.deepEqual(parseGitOpsRepo(".", repoRoot), { dir: repoRoot });
    assert.deepEqual(parseGitOpsRepo("ssh://git@github.com/o/r=.", repoRoot), {
      url: "ssh://git@github.com/o/r",
      dir: repoRoot,
    });
    assert.throws(
      () => parseGitOpsRepo("no-such-dir", repoRoot),
      /--gitops-repo = "no-such-dir": expected a directory/,
    );
  });

  it("the plan exits 2 with one line for a --gitops-repo that is no directory", () => {
    const cli = spawnSync(
      process.execPath,
      ["tools/plan/launch.js", "--stack", "spoke-prod", "--gitops-repo", "/no/such/checkout"],
      { cwd: repoRoot, encoding: "utf8" },
    );
    assert.equal(cli.status, 2);
    assert.equal(
      cli.stderr,
      'error: --gitops-repo = "/no/such/checkout": expected a directory holding a checkout of the repository Flux syncs (or <url>=<dir>)\n',
    );
  });

  it("matches a repository by host and path whatever the scheme (ssh, https, .git)", () => {
    assert.equal(
      normalizeGitUrl("ssh://git@github.com/numengames/numinia-k8s"),
      normalizeGitUrl("https://github.com/numengames/numinia-k8s.git"),
    );
    assert.notEqual(normalizeGitUrl("https://github.com/a/b"), normalizeGitUrl("https://github.com/a/c"));
  });

  it("substitutes ${var}, ${var:=default} and ${var:-default} as Flux does; unset without default is empty", () => {
    assert.equal(
      substitute("a=${x} b=${y:=d} c=${z:-e} d=${w} $notavar", { x: "1", y: "2" }),
      "a=1 b=2 c=e d= $notavar",
    );
  });

  it("reads Pulumi Kubernetes types as apiVersion and kind", () => {
    assert.deepEqual(kubernetesType("kubernetes:core/v1:Namespace"), { apiVersion: "v1", kind: "Namespace" });
    assert.deepEqual(kubernetesType("kubernetes:kustomize.toolkit.fluxcd.io/v1:Kustomization"), {
      apiVersion: "kustomize.toolkit.fluxcd.io/v1",
      kind: "Kustomization",
    });
    assert.equal(kubernetesType("kubernetes:helm.sh/v3:Release"), undefined);
  });

  it("knows the API versions the pinned Flux serves, as the chart's CRDs declare them", function () {
    if (!existsSync(CHART)) this.skip(); // ../shared/upstream/charts/flux2-2.18.3 absent on this machine
    const served: Record<string, Record<string, string[]>> = {};
    const controllers = ["source", "kustomize", "helm", "notification"];
    for (const c of controllers) {
      const text = readFileSync(path.join(CHART, "templates", `${c}-controller.crds.yaml`), "utf8").replace(
        /\{\{.*?\}\}/g,
        "",
      );
      for (const doc of parseAllDocuments(text)) {
        const crd = doc.toJS() as any;
        if (crd?.kind !== "CustomResourceDefinition") continue;
        (served[crd.spec.group] ??= {})[crd.spec.names.kind] = crd.spec.versions
          .filter((v: any) => v.served)
          .map((v: any) => v.name);
      }
    }
    assert.deepEqual(served, fluxServedVersions);
  });
});

/**
 * A plan's Kubernetes side: one cluster, Flux with the lockdown, a root sync and one tenant; the
 * namespace `certs` is an infrastructure namespace (its Namespace, account and chart copy `r`).
 */
function platform(url: string, tenantPath: string): PlannedResource[] {
  const provider = "urn:pulumi:s::p::pulumi:providers:kubernetes::k8s";
  const on = { provider: `${provider}::id` };
  return [
    {
      urn: provider,
      type: "pulumi:providers:kubernetes",
      name: "k8s",
      inputs: { kubeconfig: JSON.stringify({ clusters: [{ cluster: { server: "https://api" } }] }) },
    },
    {
      urn: "u:flux",
      type: "kubernetes:helm.sh/v3:Release",
      name: "flux",
      ...on,
      inputs: {
        chart: "flux2",
        namespace: "flux-system",
        values: { multitenancy: { enabled: true, defaultServiceAccount: "default", privileged: true } },
      },
    },
    {
      urn: "u:repo",
      type: "kubernetes:source.toolkit.fluxcd.io/v1:GitRepository",
      name: "root-repo",
      ...on,
      inputs: { metadata: { name: "flux-system", namespace: "flux-system" }, spec: { url } },
    },
    {
      urn: "u:facts",
      type: "kubernetes:core/v1:ConfigMap",
      name: "facts",
      ...on,
      inputs: {
        metadata: { name: "platform-facts", namespace: "flux-system" },
        data: { cluster_name: "c1" },
      },
    },
    {
      urn: "u:root",
      type: "kubernetes:kustomize.toolkit.fluxcd.io/v1:Kustomization",
      name: "root",
      ...on,
      inputs: {
        metadata: { name: "flux-system", namespace: "flux-system" },
        spec: {
          path: "./cluster",
          sourceRef: { kind: "GitRepository", name: "flux-system" },
          serviceAccountName: "kustomize-controller",
          patches: rootSyncPatches({
            supersededKustomizations: ["team-apps"],
            infrastructureNamespaces: ["certs"],
          }),
          postBuild: { substituteFrom: [{ kind: "ConfigMap", name: "platform-facts" }] },
        },
      },
    },
    {
      urn: "u:certs",
      type: "kubernetes:core/v1:Namespace",
      name: "infra-certs",
      ...on,
      inputs: { metadata: { name: "certs" } },
    },
    {
      urn: "u:certs-r",
      type: "kubernetes:source.toolkit.fluxcd.io/v1:HelmRepository",
      name: "infra-certs-chart-r",
      ...on,
      inputs: { metadata: { name: "r", namespace: "certs" }, spec: { url: "https://charts.example.com" } },
    },
    {
      urn: "u:deny",
      type: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
      name: "team-deny",
      ...on,
      inputs: { metadata: { name: "default-deny-all", namespace: "team" } },
    },
    {
      urn: "u:team",
      type: "kubernetes:kustomize.toolkit.fluxcd.io/v1:Kustomization",
      name: "team-kustomization",
      ...on,
      inputs: {
        metadata: { name: "team", namespace: "team" },
        spec: {
          path: tenantPath,
          targetNamespace: "team",
          serviceAccountName: "flux-reconciler",
          sourceRef: { kind: "GitRepository", name: "flux-system", namespace: "flux-system" },
          patches: tenantSyncPatches({ serviceAccountName: "flux-reconciler" }),
        },
      },
    },
  ];
}

describe("root sync patches for infrastructure namespaces, with the real kustomize", function () {
  this.timeout(60000);
  const build = (resources: unknown[], patches: unknown[]): any[] => {
    const dir = mkdtempSync(path.join(tmpdir(), "infra-patches-"));
    try {
      write(dir, "res.yaml", resources);
      write(dir, "kustomization.yaml", [{ resources: ["res.yaml"], patches }]);
      const out = spawnSync("kubectl", ["kustomize", dir], { encoding: "utf8" });
      assert.equal(out.status, 0, out.stderr);
      return parseAllDocuments(out.stdout).map((d) => d.toJS());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  const hr = (ns: string, sa?: string) => ({
    apiVersion: "helm.toolkit.fluxcd.io/v2",
    kind: "HelmRelease",
    metadata: { name: "r", namespace: ns },
    spec: {
      ...(sa ? { serviceAccountName: sa } : {}),
      chart: {
        spec: {
          chart: "c",
          sourceRef: { kind: "HelmRepository", name: "jetstack", namespace: "flux-system" },
        },
      },
    },
  });

  it("only the repository's flux-system Kustomizations get them; their HelmReleases in listed namespaces only are rewritten", function () {
    if (!kubectl) this.skip(); // kubectl (with kustomize) not on PATH
    const kustomization = (ns: string) => ({
      apiVersion: "kustomize.toolkit.fluxcd.io/v1",
      kind: "Kustomization",
      metadata: { name: "k", namespace: ns },
      spec: { path: "./x", sourceRef: { kind: "GitRepository", name: "flux-system" } },
    });
    const [infra, tenant] = build(
      [kustomization("flux-system"), kustomization("team")],
      rootSyncPatches({ infrastructureNamespaces: ["certs", "kube-system"] }),
    );
    assert.equal(infra.spec.serviceAccountName, "kustomize-controller");
    const trimmed = (list: { patch: string }[]) => list.map((p) => ({ ...p, patch: p.patch.trimEnd() }));
    assert.deepEqual(trimmed(infra.spec.patches), trimmed(infrastructurePatches(["certs", "kube-system"])));
    assert.deepEqual(tenant.spec, kustomization("team").spec, "a tenant Kustomization is not touched");

    const applied = build(
      [
        { apiVersion: "v1", kind: "Namespace", metadata: { name: "certs" } },
        { apiVersion: "v1", kind: "Namespace", metadata: { name: "kube-system" } },
        hr("certs"),
        hr("kube-system"),
        hr("other"),
        hr("team", "flux-reconciler"),
      ],
      infra.spec.patches,
    );
    const byNs = new Map(
      applied.filter((o) => o.kind === "HelmRelease").map((o) => [o.metadata.namespace, o]),
    );
    for (const ns of ["certs", "kube-system"]) {
      assert.equal(byNs.get(ns).spec.serviceAccountName, "flux-infrastructure", ns);
      assert.deepEqual(byNs.get(ns).spec.chart.spec.sourceRef, {
        kind: "HelmRepository",
        name: "jetstack",
        namespace: ns,
      });
    }
    assert.deepEqual(byNs.get("other"), hr("other"), "a namespace not listed keeps its release as written");
    assert.deepEqual(
      byNs.get("team"),
      hr("team", "flux-reconciler"),
      "a tenant's release keeps its reconciler",
    );
    assert.deepEqual(
      applied.filter((o) => o.kind === "Namespace").map((o) => o.metadata.name),
      ["kube-system"],
      "the platform's namespace is dropped; a built-in one is never created by the platform",
    );
  });

  it("without infrastructure namespaces, sets no patches on the repository's Kustomizations", () => {
    assert.deepEqual(infrastructurePatches([]), []);
    assert.doesNotMatch(rootSyncPatches()[0].patch, /patches/);
  });
});

describe("gitops preflight: a repository built here, judged with the real kustomize", function () {
  this.timeout(60000);
  const URL = "https://example.com/acme/fleet";
  let dir: string;
  before(function () {
    if (!kubectl) this.skip(); // kubectl (with kustomize) not on PATH
    dir = mkdtempSync(path.join(tmpdir(), "preflight-repo-"));
    write(dir, "cluster/kustomization.yaml", [{ resources: ["flux-system", "apps.yaml"] }]);
    write(dir, "cluster/flux-system/kustomization.yaml", [{ resources: ["gotk.yaml"] }]);
    write(dir, "cluster/flux-system/gotk.yaml", [
      {
        apiVersion: "apiextensions.k8s.io/v1",
        kind: "CustomResourceDefinition",
        metadata: {
          name: "gitrepositories.source.toolkit.fluxcd.io",
          labels: { "app.kubernetes.io/part-of": "flux" },
        },
      },
      // A controller without the label flux writes: the platform's patches keep it, the preflight sees it.
      {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: "source-controller", namespace: "flux-system" },
      },
      {
        apiVersion: "kustomize.toolkit.fluxcd.io/v1",
        kind: "Kustomization",
        metadata: { name: "flux-system", namespace: "flux-system" },
        spec: { path: "./cluster", sourceRef: { kind: "GitRepository", name: "flux-system" } },
      },
    ]);
    write(dir, "cluster/apps.yaml", [
      {
        apiVersion: "kustomize.toolkit.fluxcd.io/v1",
        kind: "Kustomization",
        metadata: { name: "infra", namespace: "flux-system" },
        spec: { path: "./infra", sourceRef: { kind: "GitRepository", name: "flux-system" } },
      },
      {
        apiVersion: "kustomize.toolkit.fluxcd.io/v1",
        kind: "Kustomization",
        metadata: { name: "team-apps", namespace: "flux-system" },
        spec: { path: "./team", sourceRef: { kind: "GitRepository", name: "flux-system" } },
      },
      {
        apiVersion: "kustomize.toolkit.fluxcd.io/v1",
        kind: "Kustomization",
        metadata: { name: "extra", namespace: "flux-system" },
        spec: {
          path: "./extra",
          sourceRef: { kind: "GitRepository", name: "flux-system" },
          patches: [
            {
              target: { kind: "ConfigMap" },
              patch: "$patch: delete\nkind: ConfigMap\nmetadata:\n  name: x\n",
            },
          ],
        },
      },
      {
        apiVersion: "kustomize.toolkit.fluxcd.io/v1",
        kind: "Kustomization",
        metadata: { name: "broken", namespace: "flux-system" },
        spec: { path: "./missing", sourceRef: { kind: "GitRepository", name: "flux-system" } },
      },
    ]);
    write(dir, "infra/kustomization.yaml", [{ resources: ["release.yaml"] }]);
    write(dir, "infra/release.yaml", [
      {
        apiVersion: "helm.toolkit.fluxcd.io/v2beta1",
        kind: "HelmRelease",
        metadata: { name: "old", namespace: "flux-system" },
        spec: {
          serviceAccountName: "helm-controller",
          chart: { spec: { chart: "x", sourceRef: { kind: "HelmRepository", name: "r" } } },
        },
      },
      {
        apiVersion: "source.toolkit.fluxcd.io/v1",
        kind: "HelmRepository",
        metadata: { name: "r", namespace: "flux-system" },
        spec: { url: "https://charts.example.com" },
      },
      {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: "info", namespace: "flux-system" },
        data: { cluster: "${cluster_name}" },
      },
      // Platform-level releases: one in the infrastructure namespace certs, one elsewhere.
      { apiVersion: "v1", kind: "Namespace", metadata: { name: "certs" } },
      {
        apiVersion: "helm.toolkit.fluxcd.io/v2",
        kind: "HelmRelease",
        metadata: { name: "cm", namespace: "certs" },
        spec: {
          chart: {
            spec: { chart: "cm", sourceRef: { kind: "HelmRepository", name: "r", namespace: "flux-system" } },
          },
        },
      },
      {
        apiVersion: "helm.toolkit.fluxcd.io/v2",
        kind: "HelmRelease",
        metadata: { name: "oci", namespace: "certs" },
        spec: { chartRef: { kind: "OCIRepository", name: "o" } },
      },
      {
        apiVersion: "helm.toolkit.fluxcd.io/v2",
        kind: "HelmRelease",
        metadata: { name: "thing", namespace: "other" },
        spec: {
          chart: {
            spec: { chart: "t", sourceRef: { kind: "HelmRepository", name: "r", namespace: "flux-system" } },
          },
        },
      },
    ]);
    write(dir, "extra/cm.yaml", [
      { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "extra", namespace: "flux-system" } },
    ]);
    write(dir, "team/kustomization.yaml", [{ resources: ["app.yaml"] }]);
    write(dir, "team/app.yaml", [
      { apiVersion: "v1", kind: "Namespace", metadata: { name: "team" } },
      {
        apiVersion: "networking.k8s.io/v1",
        kind: "NetworkPolicy",
        metadata: { name: "default-deny-all" },
        spec: { podSelector: {} },
      },
      {
        apiVersion: "helm.toolkit.fluxcd.io/v2",
        kind: "HelmRelease",
        metadata: { name: "web" },
        spec: {
          chart: {
            spec: {
              chart: "./charts/web",
              sourceRef: { kind: "GitRepository", name: "flux-system", namespace: "flux-system" },
            },
          },
        },
      },
    ]);
  });
  after(() => dir && rmSync(dir, { recursive: true, force: true }));

  const run = (tenantPath = "./team") => runGitOpsPreflight(platform(URL, tenantPath), { repos: [{ dir }] });
  const has = (r: ReturnType<typeof run>, check: string, level: string, text: RegExp) =>
    r.findings.some((f) => f.check === check && f.level === level && text.test(f.message));

  it("follows the root sync and what it renders, dropping the Flux install, bootstrap and replaced objects", () => {
    const r = run();
    assert.deepEqual(r.followed.map((k) => `${k.kustomization} ${k.declaredBy}`).sort(), [
      "flux-system/extra repository",
      "flux-system/flux-system pulumi",
      "flux-system/infra repository",
      "team/team pulumi",
    ]);
    assert.ok(
      has(r, "gitops-dropped-by-platform", "advisory", /gitrepositories\.source\.toolkit\.fluxcd\.io/),
    );
    assert.ok(has(r, "gitops-dropped-by-platform", "advisory", /Kustomization flux-system\/team-apps/));
    assert.ok(
      has(r, "gitops-dropped-by-platform", "advisory", /Namespace team/),
      "the tenant's Namespace is dropped",
    );
  });

  it("reports a second Flux, a duplicate of a Pulumi object and an unserved API version as mandatory", () => {
    const r = run();
    assert.ok(has(r, "gitops-one-flux", "mandatory", /Deployment flux-system\/source-controller/));
    assert.ok(
      has(
        r,
        "gitops-one-owner",
        "mandatory",
        /NetworkPolicy team\/default-deny-all is declared by both Pulumi \(team-deny\)/,
      ),
    );
    assert.ok(
      has(r, "gitops-api-version-served", "mandatory", /helm\.toolkit\.fluxcd\.io\/v2beta1 is not served/),
    );
  });

  it("reports what the lockdown refuses: a cross-namespace source of Pulumi's tenant, a tenant chart in flux-system", () => {
    const r = run();
    assert.ok(
      has(
        r,
        "gitops-lockdown",
        "mandatory",
        /Kustomization team\/team .* takes its source from GitRepository flux-system\/flux-system/,
      ),
    );
    assert.ok(
      has(
        r,
        "gitops-lockdown",
        "mandatory",
        /HelmRelease team\/web .* chart from GitRepository flux-system\/flux-system/,
      ),
    );
    // The tenant patch gave the HelmRelease the reconciler: no impersonation of default is reported.
    assert.ok(
      !has(r, "gitops-lockdown", "mandatory", /HelmRelease team\/web .* names no serviceAccountName/),
    );
  });

  it("runs a platform-level HelmRelease of an infrastructure namespace as flux-infrastructure with the platform's chart copy", () => {
    const r = run();
    const about = r.findings.filter((f) => /HelmRelease certs\/cm|Namespace certs/.test(f.message));
    assert.deepEqual(about, [], "no lockdown refusal, no missing source, no second owner of Namespace certs");
  });

  it("reports a spec.chartRef release in an infrastructure namespace: the patch cannot adopt it", () => {
    const r = run();
    assert.ok(
      has(
        r,
        "gitops-helmrelease-valid",
        "mandatory",
        /^HelmRelease certs\/oci .* has both spec\.chart and spec\.chartRef, which Flux refuses \(the platform's patch for infrastructure namespace certs/,
      ),
    );
  });

  it("still refuses a platform-level HelmRelease in a namespace not listed, and says how to list it", () => {
    const r = run();
    assert.ok(
      has(r, "gitops-lockdown", "mandatory", /HelmRelease other\/thing .* names no serviceAccountName/),
    );
    assert.ok(
      has(
        r,
        "gitops-lockdown",
        "mandatory",
        /HelmRelease other\/thing .* chart from HelmRepository flux-system\/r/,
      ),
    );
    assert.ok(
      repositorySteps(r).some((s) =>
        s.startsWith(
          "[must] list other in the stack's platform:gitops.infrastructureNamespaces (with the chart source r)",
        ),
      ),
    );
  });

  it("reports a repository Kustomization in flux-system whose own spec.patches the platform's patches replace", () => {
    const r = run();
    assert.ok(
      has(
        r,
        "gitops-patches-kept",
        "mandatory",
        /Kustomization flux-system\/extra \(cluster\/apps\.yaml\): the platform's patches, applied by Kustomization flux-system\/flux-system .* replace its own spec\.patches \(1 lost\)/,
      ),
    );
  });

  it("keeps the repository's own defects advisory: a Kustomization it declares with a missing path", () => {
    const r = run();
    assert.ok(
      has(
        r,
        "gitops-path-builds",
        "advisory",
        /Kustomization flux-system\/broken .* path \.\/missing does not exist/,
      ),
    );
  });

  it("makes a missing path of a Pulumi Kustomization mandatory, naming it", () => {
    const r = run("./gone");
    assert.ok(
      has(
        r,
        "gitops-path-builds",
        "mandatory",
        /Kustomization team\/team \(created by Pulumi: team-kustomization\): path \.\/gone does not exist/,
      ),
    );
  });

  it("prints the steps the repository needs, mandatory ones first", () => {
    const steps = repositorySteps(run());
    assert.match(steps[0], /^\[must\] /);
    assert.ok(
      steps.some((s) => /^delete .*cluster\/flux-system\/gotk\.yaml/.test(s)),
      steps.join("\n"),
    );
    assert.ok(
      steps.some((s) =>
        /^\[must\] delete NetworkPolicy team\/default-deny-all from the repository \(team\/app\.yaml\)/.test(
          s,
        ),
      ),
    );
  });

  it("does not follow a repository it has no checkout of", () => {
    const r = runGitOpsPreflight(platform(URL, "./team"), {
      repos: [{ url: "https://example.com/other/repo", dir }],
    });
    assert.equal(r.followed.length, 0);
    assert.ok(
      has(
        r,
        "gitops-source-followed",
        "advisory",
        /no --gitops-repo checkout of https:\/\/example\.com\/acme\/fleet/,
      ),
    );
  });
});

describe("gitops preflight: numengames/numinia-k8s with spoke-prod (../shared/real-users)", function () {
  this.timeout(240000);
  let asIs: PlanResult;
  const tenantKustomizations = [
    "numen-games-pre/numen-games-pre",
    "numen-games/numen-games-pro",
    "numinia/numinia-pro",
  ];

  before(async function () {
    if (!existsSync(SNAPSHOT) || !kubectl) this.skip(); // ../shared/real-users/numinia-k8s or kubectl absent
    asIs = await planStack("spoke-prod", { root: repoRoot, gitopsRepos: [{ dir: SNAPSHOT }] });
  });
  const gitops = (p: PlanResult) => p.violations.filter((v) => v.policy.startsWith("gitops-"));

  it("builds every path a Flux Kustomization on spoke-prod runs, with the real kustomize", () => {
    const followed = asIs.gitops!.followed.map((k) => k.kustomization);
    for (const k of ["flux-system/flux-system", ...tenantKustomizations]) assert.ok(followed.includes(k), k);
    assert.deepEqual(
      gitops(asIs)
        .filter((v) => v.policy === "gitops-path-builds")
        .map((v) => [v.enforcementLevel, v.message.split(":")[0]]),
      [
        [
          "advisory",
          "Kustomization flux-system/infrastructure (declared in the repository, applied by flux-system/flux-system)",
        ],
      ],
      "only the repository's own empty infrastructure/meta fails to build",
    );
  });

  it("one Flux, one owner per object: the repository's flux-system/, org Namespaces and <org>-<env>-apps are dropped", () => {
    assert.deepEqual(
      gitops(asIs).filter((v) => v.policy === "gitops-one-flux" || v.policy === "gitops-one-owner"),
      [],
    );
    const dropped = gitops(asIs)
      .filter((v) => v.policy === "gitops-dropped-by-platform")
      .map((v) => v.message);
    assert.ok(dropped.some((m) => m.includes("clusters/prod-cluster/flux-system/gotk-components.yaml")));
    assert.ok(dropped.some((m) => m.includes("Kustomization flux-system/numinia-pro-apps")));
    assert.ok(dropped.some((m) => m.includes("Namespace numinia")));
  });

  it("adopts the repository as it is: zero mandatory verdicts, advisory ones listed with their steps", () => {
    const mandatory = asIs.violations.filter((v) => v.enforcementLevel === "mandatory");
    assert.deepEqual(
      mandatory.map((v) => `${v.policy}: ${v.message}`),
      [],
    );
    assert.ok(
      asIs.violations.some((v) => v.policy === "gitops-dropped-by-platform"),
      "advisory ones listed",
    );
    const steps = asIs.gitops!.steps;
    assert.equal(steps.filter((s) => s.startsWith("[must] ")).length, 0, steps.join("\n"));
    assert.ok(
      steps.some((s) => s.startsWith("delete clusters/prod-cluster/flux-system/gotk-components.yaml")),
    );
  });

  it("the CLI exits 0 on the snapshot as it is", () => {
    const cli = spawnSync(
      process.execPath,
      ["tools/plan/launch.js", "--stack", "spoke-prod", "--gitops-repo", SNAPSHOT],
      { cwd: repoRoot, encoding: "utf8" },
    );
    assert.equal(
      cli.status,
      0,
      cli.stdout
        .split("\n")
        .filter((l) => l.includes("[mandatory]"))
        .join("\n") + cli.stderr,
    );
    assert.match(cli.stdout, /Summary: \d+ resources, 0 mandatory/);
  });

  it("with the steps for the infrastructure HelmReleases done, has no mandatory verdict (exit 0)", async () => {
    const copy = mkdtempSync(path.join(tmpdir(), "numinia-k8s-"));
    try {
      cpSync(SNAPSHOT, copy, { recursive: true });
      const infra = path.join(copy, "clusters/prod-cluster/infrastructure");
      const files = spawnSync("grep", ["-rl", "kind: HelmRelease", infra], { encoding: "utf8" })
        .stdout.trim()
        .split("\n");
      assert.ok(files.length >= 4, files.join(", "));
      for (const file of files) {
        const docs = parseAllDocuments(readFileSync(file, "utf8")).map((d) => d.toJS() as any);
        for (const hr of docs.filter((d) => d?.kind === "HelmRelease")) {
          // The step as printed: flux-system, targetNamespace/storageNamespace/releaseName, kustomize-controller.
          const ns = hr.metadata.namespace;
          hr.spec = {
            ...hr.spec,
            targetNamespace: ns,
            storageNamespace: ns,
            releaseName: hr.spec.releaseName ?? hr.metadata.name,
            serviceAccountName: "kustomize-controller",
          };
          hr.metadata.namespace = "flux-system";
        }
        writeFileSync(file, docs.map((d) => stringify(d)).join("---\n"));
        // Out of reach of the directory's `namespace:` (its other objects name their namespace already).
        const k = path.join(path.dirname(file), "kustomization.yaml");
        writeFileSync(k, readFileSync(k, "utf8").replace(/^namespace: .*$/m, ""));
      }
      const plan = await planStack("spoke-prod", { root: repoRoot, gitopsRepos: [{ dir: copy }] });
      assert.equal(
        plan.summary.mandatory,
        0,
        plan.violations
          .filter((v) => v.enforcementLevel === "mandatory")
          .map((v) => v.message)
          .join("\n"),
      );
      assert.ok(
        plan.violations.some((v) => v.policy === "gitops-dropped-by-platform"),
        "advisory ones listed",
      );
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });

  it("with one tenant path removed, names it in a mandatory verdict (the CLI exits 1)", () => {
    const copy = mkdtempSync(path.join(tmpdir(), "numinia-k8s-"));
    try {
      cpSync(SNAPSHOT, copy, { recursive: true });
      rmSync(path.join(copy, "clusters/prod-cluster/organizations/numen-games/pro-kustomization"), {
        recursive: true,
      });
      const cli = spawnSync(
        process.execPath,
        ["tools/plan/launch.js", "--stack", "spoke-prod", "--gitops-repo", copy],
        { cwd: repoRoot, encoding: "utf8" },
      );
      assert.equal(cli.status, 1, cli.stderr);
      assert.match(
        cli.stdout,
        /\[mandatory\] gitops-path-builds: Kustomization numen-games\/numen-games-pro \(created by Pulumi: tenant-numen-games-pro-kustomization\): path \.\/clusters\/prod-cluster\/organizations\/numen-games\/pro-kustomization does not exist/,
      );
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });

  it("with an object added that Pulumi owns, names the object in a mandatory verdict", async () => {
    const copy = mkdtempSync(path.join(tmpdir(), "numinia-k8s-"));
    try {
      cpSync(SNAPSHOT, copy, { recursive: true });
      const app = path.join(copy, "clusters/prod-cluster/organizations/numinia/multiplex/pro");
      write(app, "quota.yaml", [
        {
          apiVersion: "v1",
          kind: "ResourceQuota",
          metadata: { name: "tenant-quota" },
          spec: { hard: { pods: "500" } },
        },
      ]);
      const k = path.join(app, "kustomization.yaml");
      writeFileSync(k, `${readFileSync(k, "utf8").trimEnd()}\n  - quota.yaml\n`);
      const plan = await planStack("spoke-prod", { root: repoRoot, gitopsRepos: [{ dir: copy }] });
      const owner = plan.violations.filter((v) => v.policy === "gitops-one-owner");
      assert.equal(owner.length, 1, owner.map((v) => v.message).join("\n"));
      assert.equal(owner[0].enforcementLevel, "mandatory");
      assert.match(
        owner[0].message,
        /^ResourceQuota numinia\/tenant-quota is declared by both Pulumi \(tenant-numinia-pro-quota\) and the repository \(clusters\/prod-cluster\/organizations\/numinia\/multiplex\/pro\/quota\.yaml\)/,
      );
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });
});
