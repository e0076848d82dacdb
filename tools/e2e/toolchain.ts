/**
 * Where the e2e toolchain (tools/e2e/build-toolchain.sh) put its binaries, and building it.
 */
import { execFile, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export const repoRoot = path.resolve(__dirname, "../..");
export const cacheDir = process.env.PLATFORM_E2E_CACHE ?? path.join(os.homedir(), ".cache", "platform-e2e");

function versions(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of fs.readFileSync(path.join(__dirname, "versions.env"), "utf8").split("\n")) {
    const m = /^([A-Z_]+)=(\S+)/.exec(line);
    if (m) env[m[1]] = m[2];
  }
  const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, "package.json"), "utf8")) as {
    dependencies: Record<string, string>;
  };
  env.PULUMI_VERSION = `v${process.env.E2E_PULUMI_VERSION ?? pkg.dependencies["@pulumi/pulumi"]}`;
  env.KUBERNETES_PROVIDER_VERSION = `v${process.env.E2E_KUBERNETES_PROVIDER_VERSION ?? pkg.dependencies["@pulumi/kubernetes"]}`;
  return env;
}

const BINARIES: Record<string, [dir: string, version: string]> = {
  pulumi: ["pulumi", "PULUMI_VERSION"],
  "pulumi-language-nodejs": ["language-nodejs", "PULUMI_VERSION"],
  "pulumi-resource-kubernetes": ["pulumi-resource-kubernetes", "KUBERNETES_PROVIDER_VERSION"],
  etcd: ["etcd", "ETCD_VERSION"],
  "kube-apiserver": ["kube-apiserver", "KUBERNETES_VERSION"],
  "kube-controller-manager": ["kube-controller-manager", "KUBERNETES_VERSION"],
  "source-controller": ["source-controller", "SOURCE_CONTROLLER_VERSION"],
  "kustomize-controller": ["kustomize-controller", "KUSTOMIZE_CONTROLLER_VERSION"],
  "helm-controller": ["helm-controller", "HELM_CONTROLLER_VERSION"],
};

/**
 * Environment of every Go process the e2e run starts: etcd, kube-apiserver,
 * kube-controller-manager, the Flux controllers, and the Pulumi CLI with its language host and
 * Kubernetes provider. `GOGC=400` lets each heap grow to five times its live data between garbage
 * collections instead of twice (Go's default, 100): fewer collections for more memory, which this
 * run has to spare and a CPU-bound 2-core machine does not. A `GOGC` already set wins.
 * https://go.dev/doc/gc-guide#GOGC
 */
export const GO_RUNTIME_ENV: Readonly<NodeJS.ProcessEnv> = { GOGC: process.env.GOGC ?? "400" };

/**
 * The environment of a long-running server the run starts (a control plane process, a Flux
 * controller): this process's, without the variables `drop` matches (the machine's egress proxy
 * must not carry loopback traffic), plus {@link GO_RUNTIME_ENV}.
 */
export function serverEnv(drop: RegExp): NodeJS.ProcessEnv {
  return {
    ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !drop.test(k))),
    ...GO_RUNTIME_ENV,
  };
}

/**
 * Runs a command without blocking this process (two control planes and the chart mirror start
 * side by side in it: a synchronous command would hold the others up).
 * @returns its standard output.
 * @throws Error naming the command, with its standard error (or why it could not start).
 */
export function runAsync(
  file: string,
  args: readonly string[],
  options: { cwd?: string } = {},
): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(
      file,
      args,
      { cwd: options.cwd, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) =>
        error
          ? reject(new Error(`${path.basename(file)} ${args.join(" ")}: ${(stderr || String(error)).trim()}`))
          : resolve(stdout),
    ),
  );
}

/** Absolute path of a toolchain binary (built or not). */
export function toolchainBinary(name: string): string {
  const [dir, key] = BINARIES[name] ?? [name, ""];
  const version = versions()[key];
  const file = dir === "language-nodejs" ? "language-nodejs" : dir;
  return path.join(cacheDir, `${dir}-${version}`, file);
}

/** Builds (or reuses) every toolchain binary; throws with the build's own message on failure. */
export function buildToolchain(names: string[] = []): void {
  const result = spawnSync(path.join(__dirname, "build-toolchain.sh"), names, { stdio: "inherit" });
  if (result.status !== 0) throw new Error(`tools/e2e/build-toolchain.sh failed (exit ${result.status})`);
}

/**
 * The directory of a Go module version in the module cache (`module@version`), downloaded from the
 * module proxy (`go mod download`, checksums verified against the checksum database) when absent.
 */
export function goModuleDir(moduleAtVersion: string): string {
  const r = spawnSync("go", ["mod", "download", "-json", moduleAtVersion], { encoding: "utf8" });
  const dir = r.status === 0 ? (JSON.parse(r.stdout) as { Dir?: string }).Dir : undefined;
  if (!dir || !fs.existsSync(dir))
    throw new Error(`go mod download ${moduleAtVersion}: ${r.stderr || r.stdout}`);
  return dir;
}

/** A pin of tools/e2e/versions.env (or package.json's Pulumi versions). */
export function toolchainVersion(key: string): string {
  const value = versions()[key];
  if (!value) throw new Error(`tools/e2e/versions.env has no ${key}`);
  return value;
}

/**
 * The snapshot.storage.k8s.io CRDs the EKS snapshot-controller add-on installs, from Kubernetes'
 * own add-on (`cluster/addons/volumesnapshots/crd` of k8s.io/kubernetes at the toolchain's
 * Kubernetes version, in the Go module cache; downloaded from the module proxy when absent).
 */
export function snapshotCrds(): string {
  return path.join(
    goModuleDir(`k8s.io/kubernetes@${versions().KUBERNETES_VERSION}`),
    "cluster/addons/volumesnapshots/crd",
  );
}
