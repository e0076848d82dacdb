/**
 * The e2e run's in-process Kubernetes client (tools/e2e/kube-client.ts) and the Flux wait on top of
 * it (tools/e2e/flux.ts `waitForFlux`), against a local HTTPS server that answers as the API
 * server does: what the client sends (path, verb, content type, credentials, the kubeconfig's CA)
 * and how the wait settles.
 */
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as https from "node:https";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { waitForFlux } from "../tools/e2e/flux";
import { KubeApiError, kubeClient } from "../tools/e2e/kube-client";

interface Seen {
  method: string;
  url: string;
  contentType?: string;
  authorization?: string;
  body: string;
}

describe("e2e Kubernetes client (tools/e2e/kube-client.ts) and waitForFlux", function () {
  this.timeout(30_000);
  let dir: string;
  let server: https.Server;
  let kubeconfig: string;
  const seen: Seen[] = [];
  /** What the fake API server answers per path (GET) or with 201 for anything else. */
  let lists: Record<string, unknown[]> = {};

  before(async function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "kube-client-"));
    // A self-signed serving certificate for 127.0.0.1: the kubeconfig's CA.
    const args =
      "req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -days 1 -subj /CN=127.0.0.1";
    const r = spawnSync("openssl", [...args.split(" "), "-addext", "subjectAltName=IP:127.0.0.1"], {
      cwd: dir,
      encoding: "utf8",
    });
    if (r.status !== 0) this.skip();
    const cert = fs.readFileSync(path.join(dir, "cert.pem"));
    server = https.createServer({ key: fs.readFileSync(path.join(dir, "key.pem")), cert }, (req, res) => {
      let body = "";
      req.on("data", (d: Buffer) => (body += d));
      req.on("end", () => {
        seen.push({
          method: req.method ?? "",
          url: req.url ?? "",
          contentType: req.headers["content-type"],
          authorization: req.headers.authorization,
          body,
        });
        res.setHeader("Content-Type", "application/json");
        if (req.url === "/api/v1/namespaces/x/pods/missing") {
          res.statusCode = 404;
          res.end(JSON.stringify({ kind: "Status", message: 'pods "missing" not found', code: 404 }));
          return;
        }
        if (req.method === "GET") {
          const items = lists[req.url ?? ""];
          res.statusCode = items ? 200 : 404;
          res.end(
            JSON.stringify(
              items ? { items } : { message: "the server could not find the requested resource" },
            ),
          );
          return;
        }
        res.statusCode = 201;
        res.end(body || "{}");
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    kubeconfig = path.join(dir, "kubeconfig");
    fs.writeFileSync(
      kubeconfig,
      [
        "apiVersion: v1",
        "kind: Config",
        `clusters:\n- name: c\n  cluster:\n    server: https://127.0.0.1:${port}\n    certificate-authority-data: ${cert.toString("base64")}`,
        "users:\n- name: u\n  user:\n    token: e2e-token",
        "contexts:\n- name: ctx\n  context:\n    cluster: c\n    user: u",
        "current-context: ctx",
        "",
      ].join("\n"),
    );
  });

  after(function () {
    server?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  beforeEach(function () {
    seen.length = 0;
    lists = {};
  });

  it("sends the kubeconfig's token, trusts its CA, and uses a JSON merge patch for mergePatch", async function () {
    lists["/api/v1/pods"] = [{ metadata: { name: "p" } }];
    const api = kubeClient(kubeconfig);
    try {
      assert.deepEqual(await api.get("/api/v1/pods"), { items: [{ metadata: { name: "p" } }] });
      await api.mergePatch("/api/v1/namespaces/x/pods/p/status", { status: { phase: "Running" } });
      await api.create("/api/v1/namespaces/x/pods/p/binding", { kind: "Binding" });
      await api.delete("/api/v1/namespaces/x/pods/p", "gracePeriodSeconds=0");
    } finally {
      api.close();
    }
    assert.deepEqual(
      seen.map((s) => [s.method, s.url, s.contentType, s.authorization]),
      [
        ["GET", "/api/v1/pods", undefined, "Bearer e2e-token"],
        ["PATCH", "/api/v1/namespaces/x/pods/p/status", "application/merge-patch+json", "Bearer e2e-token"],
        ["POST", "/api/v1/namespaces/x/pods/p/binding", "application/json", "Bearer e2e-token"],
        ["DELETE", "/api/v1/namespaces/x/pods/p?gracePeriodSeconds=0", undefined, "Bearer e2e-token"],
      ],
    );
    assert.deepEqual(JSON.parse(seen[1].body), { status: { phase: "Running" } });
  });

  it("rejects an error status with the status code and the server's message", async function () {
    const api = kubeClient(kubeconfig);
    try {
      await assert.rejects(api.get("/api/v1/namespaces/x/pods/missing"), (e: unknown) => {
        assert.ok(e instanceof KubeApiError);
        assert.equal(e.status, 404);
        assert.match(e.message, /GET \/api\/v1\/namespaces\/x\/pods\/missing: 404 pods "missing" not found/);
        return true;
      });
    } finally {
      api.close();
    }
  });

  it("refuses a kubeconfig whose user has neither a client certificate nor a token", function () {
    const bare = path.join(dir, "bare.kubeconfig");
    fs.writeFileSync(bare, fs.readFileSync(kubeconfig, "utf8").replace("    token: e2e-token", "    {}"));
    assert.throws(() => kubeClient(bare), /has no client certificate or token/);
  });

  const fluxLists = (kustomizations: unknown[]) => ({
    "/apis/source.toolkit.fluxcd.io/v1/gitrepositories": [],
    "/apis/source.toolkit.fluxcd.io/v1/helmrepositories": [],
    "/apis/kustomize.toolkit.fluxcd.io/v1/kustomizations": kustomizations,
    "/apis/helm.toolkit.fluxcd.io/v2/helmreleases": [],
  });
  const kustomization = (name: string, ready: string, reason: string) => ({
    metadata: { namespace: "flux-system", name, generation: 1 },
    spec: {},
    status: {
      observedGeneration: 1,
      conditions: [{ type: "Ready", status: ready, reason, message: reason }],
    },
  });

  it("waitForFlux: returns once every object is Ready, and keeps watching until `until` settles", async function () {
    lists = fluxLists([kustomization("a", "True", "ReconciliationSucceeded")]);
    const started = Date.now();
    const report = await waitForFlux(kubeconfig, 10, { pollSeconds: 0.1 });
    assert.ok(Date.now() - started < 2000);
    assert.deepEqual(
      report.map((r) => [r.kind, r.name, r.ready, r.settled]),
      [["Kustomization", "a", "True", true]],
    );
    // A second object appears while another step (`until`) is still running: the wait sees it.
    let end = () => undefined as void;
    const until = new Promise<void>((resolve) => (end = resolve));
    const waiting = waitForFlux(kubeconfig, 10, { pollSeconds: 0.1, until });
    await new Promise((r) => setTimeout(r, 400));
    lists = fluxLists([
      kustomization("a", "True", "ReconciliationSucceeded"),
      kustomization("b", "True", "ReconciliationSucceeded"),
    ]);
    await new Promise((r) => setTimeout(r, 300));
    end();
    assert.deepEqual(
      (await waiting).map((r) => r.name),
      ["a", "b"],
    );
  });

  it("waitForFlux: a failure counts as settled only after it stayed the same for settleSeconds", async function () {
    lists = fluxLists([kustomization("a", "False", "BuildFailed")]);
    const started = Date.now();
    const report = await waitForFlux(kubeconfig, 10, { pollSeconds: 0.1, settleSeconds: 1 });
    const waited = Date.now() - started;
    assert.ok(waited >= 1000 && waited < 5000, `waited ${waited} ms`);
    assert.deepEqual(
      report.map((r) => [r.name, r.ready, r.reason, r.settled]),
      [["a", "False", "BuildFailed", true]],
    );
  });
});
