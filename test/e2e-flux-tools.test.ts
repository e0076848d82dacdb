/**
 * The e2e run's Flux pieces that need no cluster (tools/e2e/flux.ts, tools/e2e/git-server.ts): the
 * controllers' arguments come from the pinned flux2 chart rendered with the platform's values, and
 * the loopback Git server answers Git's smart protocol.
 */
import * as assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { chartControllerArgs, fluxChartDir, localControllerArgs, renderFluxChart } from "../tools/e2e/flux";
import { startGitServer } from "../tools/e2e/git-server";

const local = { metricsAddr: "127.0.0.1:1", healthAddr: "127.0.0.1:2" };

function git(...args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn("git", ["-c", "http.proxy=", ...args], {
      env: { ...process.env, GIT_TERMINAL_PROMPT: "0" },
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d));
    child.stderr.on("data", (d: Buffer) => (out += d));
    child.on("close", (code) => resolve({ code, out }));
  });
}

describe("e2e Flux controllers: the chart's arguments under the platform's values", function () {
  this.timeout(60_000);
  let rendered: ReturnType<typeof renderFluxChart>;

  before(function () {
    if (!fs.existsSync(fluxChartDir)) {
      console.log(`      skipped: ${fluxChartDir} is absent (../shared/upstream/charts)`);
      this.skip();
    }
    rendered = renderFluxChart();
  });

  it("kustomize-controller keeps the lockdown (cross-namespace refs off, default account, no remote bases)", function () {
    const args = localControllerArgs(chartControllerArgs(rendered, "kustomize-controller"), local);
    for (const flag of [
      "--no-cross-namespace-refs=true",
      "--default-service-account=default",
      "--no-remote-bases=true",
      "--watch-all-namespaces=true",
    ])
      assert.ok(args.includes(flag), `${flag} in ${args.join(" ")}`);
    assert.ok(!args.some((a) => a.startsWith("--enable-leader-election") || a.startsWith("--events-addr")));
    assert.ok(args.includes("--metrics-addr=127.0.0.1:1") && args.includes("--health-addr=127.0.0.1:2"));
  });

  it("helm-controller keeps the lockdown; crossNamespaceRefs turns it off as the platform's values do", function () {
    const args = chartControllerArgs(rendered, "helm-controller");
    assert.ok(
      args.includes("--no-cross-namespace-refs=true") && args.includes("--default-service-account=default"),
    );
    const open = chartControllerArgs(renderFluxChart({ crossNamespaceRefs: true }), "helm-controller");
    assert.equal(open.at(-1), "--no-cross-namespace-refs=false");
  });

  it("source-controller serves artifacts from a local directory on 127.0.0.1", function () {
    const args = localControllerArgs(chartControllerArgs(rendered, "source-controller"), {
      ...local,
      storage: { path: "/tmp/artifacts", addr: "127.0.0.1:3" },
    });
    assert.ok(!args.includes("--storage-path=/data"));
    for (const flag of [
      "--storage-path=/tmp/artifacts",
      "--storage-addr=127.0.0.1:3",
      "--storage-adv-addr=127.0.0.1:3",
    ])
      assert.ok(args.includes(flag), `${flag} in ${args.join(" ")}`);
  });

  it("refuses an argument that refers to the Pod's environment", function () {
    assert.throws(
      () => localControllerArgs(["--some-addr=$(POD_IP):80"], local),
      /flux controller arguments refer to the Pod: --some-addr=\$\(POD_IP\):80/,
    );
  });
});

describe("e2e Git server (git http-backend on 127.0.0.1)", function () {
  this.timeout(60_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "git-server-test-"));

  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("serves a directory under a prefix as branch main and tags over the smart protocol", async function () {
    const source = path.join(dir, "source");
    fs.mkdirSync(path.join(source, "clusters/hub"), { recursive: true });
    fs.writeFileSync(path.join(source, "clusters/hub/kustomization.yaml"), "resources: []\n");
    const server = await startGitServer(path.join(dir, "served"), [
      { name: "platform", source, prefix: "gitops", tags: ["v1.0.0"] },
    ]);
    try {
      const refs = await git("-c", "protocol.version=0", "ls-remote", server.url("platform"));
      assert.equal(refs.code, 0, refs.out);
      const revision = server.revision("platform");
      assert.match(refs.out, new RegExp(`${revision}\\s+refs/heads/main`));
      assert.match(refs.out, new RegExp(`${revision}\\s+refs/tags/v1.0.0`));
      const clone = path.join(dir, "clone");
      const cloned = await git("clone", "--quiet", server.url("platform"), clone);
      assert.equal(cloned.code, 0, cloned.out);
      assert.equal(
        fs.readFileSync(path.join(clone, "gitops/clusters/hub/kustomization.yaml"), "utf8"),
        "resources: []\n",
      );
      const missing = await git("ls-remote", `${server.baseUrl}/nope.git`);
      assert.notEqual(missing.code, 0);
    } finally {
      await server.stop();
    }
  });

  it("refuses a repository name that is not a path segment", async function () {
    await assert.rejects(
      startGitServer(path.join(dir, "bad"), [{ name: "../x", source: dir }]),
      /repository name "\.\.\/x" must match/,
    );
  });
});
