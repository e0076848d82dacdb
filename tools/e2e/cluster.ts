/**
 * A local Kubernetes control plane for the e2e run: etcd, kube-apiserver and
 * kube-controller-manager from the e2e toolchain cache (tools/e2e/build-toolchain.sh), as plain
 * processes on the loopback address. No kubelet: Pods are admitted (Pod Security admission is
 * real) but never run.
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { runAsync, serverEnv, toolchainBinary } from "./toolchain";

/** The toolchain binaries a control plane runs (tools/e2e/build-toolchain.sh names). */
export const CONTROL_PLANE = ["etcd", "kube-apiserver", "kube-controller-manager"];

/** A running control plane. */
export interface Cluster {
  /** https URL of the API server. */
  endpoint: string;
  /** base64 PEM of the cluster CA (what EKS reports as certificateAuthority.data). */
  caData: string;
  /** Path of an admin kubeconfig (system:masters). */
  kubeconfig: string;
  /** Bearer token of the cluster creator (system:masters), what `aws eks get-token` stands for. */
  token: string;
  /** Directory of certificates, keys, logs and etcd data. */
  dir: string;
  /** Stops every process. */
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

async function openssl(dir: string, ...args: string[]): Promise<void> {
  await runAsync("openssl", args, { cwd: dir });
}

/** CA, API server serving certificate, admin client certificate and service-account key pair. */
async function makeCertificates(dir: string): Promise<void> {
  await openssl(
    dir,
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "ca.key",
    "-out",
    "ca.crt",
    "-days",
    "2",
    "-subj",
    "/CN=e2e-ca",
  );
  const sign = async (name: string, subject: string, ext: string): Promise<void> => {
    await openssl(
      dir,
      "req",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      `${name}.key`,
      "-out",
      `${name}.csr`,
      "-subj",
      subject,
    );
    fs.writeFileSync(path.join(dir, `${name}.ext`), ext);
    await openssl(
      dir,
      "x509",
      "-req",
      "-in",
      `${name}.csr`,
      "-CA",
      "ca.crt",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-out",
      `${name}.crt`,
      "-days",
      "2",
      "-extfile",
      `${name}.ext`,
    );
  };
  await sign(
    "apiserver",
    "/CN=kube-apiserver",
    "subjectAltName=IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc\nextendedKeyUsage=serverAuth\n",
  );
  await sign("admin", "/O=system:masters/CN=e2e-admin", "extendedKeyUsage=clientAuth\n");
  await openssl(dir, "genrsa", "-out", "sa.key", "2048");
  await openssl(dir, "rsa", "-in", "sa.key", "-pubout", "-out", "sa.pub");
}

function writeKubeconfig(dir: string, endpoint: string): string {
  const file = path.join(dir, "admin.kubeconfig");
  const b64 = (f: string): string => fs.readFileSync(path.join(dir, f)).toString("base64");
  fs.writeFileSync(
    file,
    [
      "apiVersion: v1",
      "kind: Config",
      "clusters:",
      `- name: e2e\n  cluster:\n    server: ${endpoint}\n    certificate-authority-data: ${b64("ca.crt")}`,
      `users:\n- name: admin\n  user:\n    client-certificate-data: ${b64("admin.crt")}\n    client-key-data: ${b64("admin.key")}`,
      "contexts:\n- name: e2e\n  context:\n    cluster: e2e\n    user: admin",
      "current-context: e2e",
      "",
    ].join("\n"),
  );
  return file;
}

function start(dir: string, name: string, bin: string, args: string[]): ChildProcess {
  if (!fs.existsSync(bin)) throw new Error(`${bin} is not built: run npm run e2e:toolchain`);
  const log = fs.openSync(path.join(dir, `${name}.log`), "a");
  // The machine's egress proxy (HTTPS_PROXY) must not carry the control plane's own traffic.
  const env = serverEnv(/^(https?|no|all)_proxy$/i);
  const child = spawn(bin, args, { stdio: ["ignore", log, log], detached: false, env });
  child.on("exit", (code, signal) => {
    if (code !== null && code !== 0)
      process.stderr.write(`[e2e] ${name} exited with ${code} (see ${dir}/${name}.log)\n`);
    void signal;
  });
  return child;
}

async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
  logFile?: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  const tail =
    logFile && fs.existsSync(logFile)
      ? fs.readFileSync(logFile, "utf8").split("\n").slice(-20).join("\n")
      : "";
  throw new Error(`timed out waiting for ${what}\n${tail}`);
}

/**
 * Starts etcd, kube-apiserver and (unless `controllerManager: false`) kube-controller-manager under
 * dir; resolves when the API server's /readyz is ok.
 */
export async function startCluster(
  dir: string,
  options: {
    controllerManager?: boolean;
    /** The cluster creator's bearer token (one for several clusters: the fake `aws eks get-token` hands out one). @default random */
    token?: string;
  } = {},
): Promise<Cluster> {
  fs.mkdirSync(dir, { recursive: true });
  await makeCertificates(dir);
  const [etcdClient, etcdPeer, apiPort] = [await freePort(), await freePort(), await freePort()];
  const endpoint = `https://127.0.0.1:${apiPort}`;
  const kubeconfig = writeKubeconfig(dir, endpoint);
  // The EKS cluster creator: kubeconfigs from the eks component authenticate through
  // `aws eks get-token` (tools/e2e/bin/aws), which hands out this token.
  const token = options.token ?? crypto.randomBytes(16).toString("hex");
  fs.writeFileSync(
    path.join(dir, "tokens.csv"),
    `${token},eks-cluster-creator,eks-cluster-creator,"system:masters"\n`,
  );
  const children: ChildProcess[] = [];
  children.push(
    start(dir, "etcd", toolchainBinary("etcd"), [
      "--data-dir",
      path.join(dir, "etcd"),
      "--listen-client-urls",
      `http://127.0.0.1:${etcdClient}`,
      "--advertise-client-urls",
      `http://127.0.0.1:${etcdClient}`,
      "--listen-peer-urls",
      `http://127.0.0.1:${etcdPeer}`,
      "--initial-advertise-peer-urls",
      `http://127.0.0.1:${etcdPeer}`,
      "--initial-cluster",
      `default=http://127.0.0.1:${etcdPeer}`,
      "--unsafe-no-fsync",
    ]),
  );
  const p = (f: string): string => path.join(dir, f);
  children.push(
    start(dir, "kube-apiserver", toolchainBinary("kube-apiserver"), [
      `--etcd-servers=http://127.0.0.1:${etcdClient}`,
      "--bind-address=127.0.0.1",
      "--advertise-address=127.0.0.1",
      `--secure-port=${apiPort}`,
      `--tls-cert-file=${p("apiserver.crt")}`,
      `--tls-private-key-file=${p("apiserver.key")}`,
      `--client-ca-file=${p("ca.crt")}`,
      `--service-account-key-file=${p("sa.pub")}`,
      `--service-account-signing-key-file=${p("sa.key")}`,
      "--service-account-issuer=https://kubernetes.default.svc",
      "--service-cluster-ip-range=10.96.0.0/16",
      "--authorization-mode=RBAC",
      `--token-auth-file=${p("tokens.csv")}`,
      "--allow-privileged=true",
      // Admission webhooks of the charts would call Pods that never run (no kubelet): the
      // webhook admission plugins are off. Built-in admission stays on and real: Pod Security,
      // ValidatingAdmissionPolicy (the platform's own CEL policies), quotas, limit ranges.
      "--disable-admission-plugins=MutatingAdmissionWebhook,ValidatingAdmissionWebhook",
    ]),
  );
  await waitFor(
    "kube-apiserver /readyz",
    () =>
      runAsync("kubectl", ["--kubeconfig", kubeconfig, "get", "--raw", "/readyz"]).then(
        (out) => out === "ok",
        () => false,
      ),
    180_000,
    p("kube-apiserver.log"),
  );
  if (options.controllerManager !== false)
    children.push(
      start(dir, "kube-controller-manager", toolchainBinary("kube-controller-manager"), [
        `--kubeconfig=${kubeconfig}`,
        `--authentication-kubeconfig=${kubeconfig}`,
        `--authorization-kubeconfig=${kubeconfig}`,
        `--service-account-private-key-file=${p("sa.key")}`,
        `--root-ca-file=${p("ca.crt")}`,
        `--cluster-signing-cert-file=${p("ca.crt")}`,
        `--cluster-signing-key-file=${p("ca.key")}`,
        "--leader-elect=false",
        "--bind-address=127.0.0.1",
        `--secure-port=${await freePort()}`,
        "--controllers=*,-nodeipam,-nodelifecycle,-cloud-node-lifecycle,-service-lb-controller,-route",
      ]),
    );
  return {
    endpoint,
    caData: fs.readFileSync(p("ca.crt")).toString("base64"),
    kubeconfig,
    token,
    dir,
    async stop() {
      for (const child of children.reverse()) {
        if (child.exitCode === null) {
          child.kill("SIGTERM");
          await new Promise((r) => child.once("exit", r));
        }
      }
    },
  };
}
