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
import type { TLSSocket } from "node:tls";
import * as os from "node:os";
import * as path from "node:path";
import { waitForFlux } from "../tools/e2e/flux";
import { KubeApiError, kubeClient } from "../tools/e2e/kube-client";

interface Seen {
  method: string;
  url: string;
  contentType?: string;
  authorization?: string;
  /** The client certificate's common name, if one was presented. */
  clientCN?: string;
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
    // A self-signed serving certificate for 127.0.0.1 (the kubeconfig's CA) and a client certificate.
    const selfSigned = (name: string, subject: string, ...extra: string[]) => {
      const args = `req -x509 -newkey rsa:2048 -nodes -keyout ${name}.key -out ${name}.crt -days 1 -subj`;
      return spawnSync("openssl", [...args.split(" "), subject, ...extra], { cwd: dir }).status === 0;
    };
    if (
      !selfSigned("server", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1") ||
      !selfSigned("client", "/CN=e2e-admin")
    ) {
      console.log("skipping the kube-client tests: openssl could not make test certificates");
      this.skip();
    }
    const cert = fs.readFileSync(path.join(dir, "server.crt"));
    const serverOptions = {
      key: fs.readFileSync(path.join(dir, "server.key")),
      cert,
      // Asks for a client certificate, as the API server does; requests without one still pass.
      requestCert: true,
      rejectUnauthorized: false,
    };
    server = https.createServer(serverOptions, (req, res) => {
      let body = "";
      req.on("data", (d: Buffer) => (body += d));
      req.on("end", () => {
        seen.push({
          method: req.method ?? "",
          url: req.url ?? "",
          contentType: req.headers["content-type"],
          authorization: req.headers.authorization,
          clientCN: String((req.socket as TLSSocket).getPeerCertificate()?.subject?.CN ?? "") || undefined,
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

  it("authenticates with the kubeconfig's client certificate (as tools/e2e/cluster.ts writes it)", async function () {
    const b64 = (f: string) => fs.readFileSync(path.join(dir, f)).toString("base64");
    const withCert = path.join(dir, "cert.kubeconfig");
    fs.writeFileSync(
      withCert,
      fs
        .readFileSync(kubeconfig, "utf8")
        .replace(
          "    token: e2e-token",
          `    client-certificate-data: ${b64("client.crt")}\n    client-key-data: ${b64("client.key")}`,
        ),
    );
    lists["/api/v1/pods"] = [];
    const api = kubeClient(withCert);
    try {
      await api.get("/api/v1/pods");
    } finally {
      api.close();
    }
    assert.deepEqual(
      seen.map((s) => [s.url, s.clientCN, s.authorization]),
      [["/api/v1/pods", "e2e-admin", undefined]],
    );
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

  it("waitForFlux: a retry's Ready=Unknown neither settles the object nor restarts its failure's clock", async function () {
    // A controller retrying: the failure, then Ready=Unknown while the attempt runs (past the settle
    // window), then the same failure again. Settled only then (not while Unknown), and at once (the
    // clock runs from the first failure, not from the retry: that would be about 4.6 s).
    const failed = fluxLists([kustomization("a", "False", "BuildFailed")]);
    lists = failed;
    const started = Date.now();
    const waiting = waitForFlux(kubeconfig, 10, { pollSeconds: 0.1, settleSeconds: 2 });
    await new Promise((r) => setTimeout(r, 300));
    lists = fluxLists([kustomization("a", "Unknown", "Progressing")]);
    await new Promise((r) => setTimeout(r, 2300));
    lists = failed;
    const report = await waiting;
    const waited = Date.now() - started;
    assert.ok(waited >= 2600 && waited < 4000, `waited ${waited} ms`);
    assert.deepEqual(
      report.map((r) => [r.name, r.ready, r.reason, r.settled]),
      [["a", "False", "BuildFailed", true]],
    );
  });
});
