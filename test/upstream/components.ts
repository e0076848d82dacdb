/**
 * The real multi-language components under the project's mocks.
 *
 * In a real `pulumi preview` the eks and awsx provider plugins run the components' own TypeScript
 * source and register their aws:* children; under Pulumi's mocks `eks.Cluster`, `eks.ManagedNodeGroup`
 * and `awsx.ec2.Vpc` register one resource each and nothing runs. This module bundles the upstream
 * source kept in `../shared/upstream/components` (see its SOURCES.txt; never copied into the project)
 * with esbuild at test time, its imports resolved against this project's node_modules, and swaps the
 * classes the SDK packages export for the upstream ones, so the stack program builds the same children
 * a real preview builds, the components' own validation included.
 *
 * Two module seams are replaced, both for what a test machine lacks, not for what the code decides:
 * `dependencies.ts` (checks that an `aws` CLI is installed: the runner's concern) and
 * `cluster/cert-thumprint.ts` (opens a TLS connection to the OIDC issuer for its CA thumbprint).
 */
import { existsSync, mkdirSync } from "node:fs";
import * as path from "node:path";
import { build, type Plugin } from "esbuild";

/** The repository root. */
export const repoRoot = path.resolve(__dirname, "..", "..");
/** Where the upstream component sources live (outside the project). */
export const upstreamDir = path.resolve(repoRoot, "../shared/upstream/components");

const EKS = "pulumi-eks-v4.3.0";
const AWSX = "pulumi-awsx-v3.8.0";

/** Why the upstream sources cannot be used here, or undefined when they can. */
export function upstreamMissing(): string | undefined {
  for (const dir of [EKS, AWSX]) {
    if (!existsSync(path.join(upstreamDir, dir))) {
      return `upstream component source ${path.join(upstreamDir, dir)} is absent (see ../shared/upstream/components/SOURCES.txt)`;
    }
  }
  return undefined;
}

/** The SHA-1 thumbprint the stub hands the OIDC provider (AWS ignores it for EKS issuers). */
const STUB_THUMBPRINT = "9e99a48a9960b14926bb7f3b02e22da2b0ab7280";

const seams: Plugin = {
  name: "test-machine-seams",
  setup(build) {
    build.onResolve({ filter: /(^|\/)dependencies$/ }, (args) =>
      args.importer.includes(EKS) ? { path: "dependencies", namespace: "seam" } : undefined,
    );
    build.onResolve({ filter: /\/cert-thumprint$/ }, (args) =>
      args.importer.includes(EKS) ? { path: "cert-thumprint", namespace: "seam" } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: "seam" }, (args) => ({
      loader: "ts",
      resolveDir: repoRoot,
      contents:
        args.path === "dependencies"
          ? "export function assertCompatibleAWSCLIExists(): void {}"
          : `import * as pulumi from "@pulumi/pulumi";
             export function getIssuerCAThumbprint(_url: pulumi.Input<string>, _agent: unknown): pulumi.Output<string> {
               return pulumi.output("${STUB_THUMBPRINT}");
             }`,
    }));
  },
};

/** The upstream classes. */
export interface UpstreamComponents {
  readonly Cluster: new (...args: any[]) => unknown;
  readonly ManagedNodeGroup: new (...args: any[]) => unknown;
  readonly Vpc: new (...args: any[]) => unknown;
}

/** Bundles the upstream sources (once per content) and loads them. */
export async function loadUpstreamComponents(): Promise<UpstreamComponents> {
  const eks = path.join(upstreamDir, EKS);
  const awsx = path.join(upstreamDir, AWSX);
  // Inside the project's node_modules, so the bundle's bare imports resolve to the project's packages.
  const outDir = path.join(repoRoot, "node_modules", ".cache", "upstream-components");
  mkdirSync(outDir, { recursive: true });
  const outfile = path.join(outDir, "components.js");
  await build({
    stdin: {
      contents: [
        `export { Cluster } from ${JSON.stringify(path.join(eks, "cluster", "cluster"))};`,
        `export { ManagedNodeGroup } from ${JSON.stringify(path.join(eks, "nodes", "nodegroup"))};`,
        `export { Vpc } from ${JSON.stringify(path.join(awsx, "ec2", "vpc"))};`,
      ].join("\n"),
      resolveDir: repoRoot,
      loader: "ts",
    },
    outfile,
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    packages: "external",
    logLevel: "silent",
    plugins: [seams],
  });
  const resolved = require.resolve(outfile);
  delete require.cache[resolved];
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(resolved) as UpstreamComponents;
}

interface Swap {
  readonly module: Record<string, unknown>;
  readonly key: string;
  readonly original: unknown;
}

/**
 * Makes `@pulumi/eks`'s Cluster and ManagedNodeGroup and `@pulumi/awsx`'s ec2.Vpc the upstream
 * classes (the SDK's lazy exports read their submodules' exports on every access).
 * @returns A function that restores the SDK classes.
 */
export function useUpstreamComponents(components: UpstreamComponents): () => void {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const swaps: Swap[] = [
    { module: require("@pulumi/eks/cluster"), key: "Cluster", original: undefined },
    { module: require("@pulumi/eks/managedNodeGroup"), key: "ManagedNodeGroup", original: undefined },
    { module: require("@pulumi/awsx/ec2/vpc"), key: "Vpc", original: undefined },
  ].map((s) => ({ ...s, original: s.module[s.key] }));
  /* eslint-enable @typescript-eslint/no-require-imports */
  const replacement: Record<string, unknown> = {
    Cluster: components.Cluster,
    ManagedNodeGroup: components.ManagedNodeGroup,
    Vpc: components.Vpc,
  };
  for (const s of swaps) s.module[s.key] = replacement[s.key];
  return () => {
    for (const s of swaps) s.module[s.key] = s.original;
  };
}
