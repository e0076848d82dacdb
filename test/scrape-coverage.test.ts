/**
 * Every default alert can fire for every cluster that runs what it watches: over the real plans of
 * both stacks (and spoke-prod with cert-manager turned on), each watched release is scraped by the
 * cluster's Prometheus (the hub's server, a spoke's agent remote-writing with its `cluster` label),
 * waits for the Prometheus Operator CRDs its monitor needs, and every metric the hub's rules read
 * comes from one of these sources. The charts' monitors themselves: test/scrape-targets.test.ts.
 */
import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { parser } from "@prometheus-io/lezer-promql";
import { planStack, type PlanResult } from "../tools/plan/run";

const repo = path.resolve(__dirname, "..");
type Obj = Record<string, any>;
type Resource = PlanResult["resources"][number];

/** What the alerts watch: the chart that runs it, the metrics it yields, how a cluster scrapes it. */
interface Source {
  readonly component: string;
  /** Chart of the release that runs it; undefined: every cluster (kube-prometheus-stack itself). */
  readonly chart?: string;
  /** Metrics of alert rules that come from it. */
  readonly metrics: readonly string[];
  /** Problems with scraping it, from its release's values and the cluster's kube-prometheus-stack values. */
  problems(release: Obj, prometheus: Obj): string[];
}

const SOURCES: readonly Source[] = [
  {
    component: "nodes, pods, volumes",
    metrics: [
      "kube_node_status_condition",
      "kube_pod_container_status_restarts_total",
      "kubelet_volume_stats_available_bytes",
    ],
    problems: (_release, prometheus) =>
      ["kubeStateMetrics", "nodeExporter", "kubelet"]
        .filter((key) => prometheus[key]?.enabled === false)
        .map((key) => `${key} is off`),
  },
  {
    component: "Flux",
    chart: "flux2",
    metrics: ["gotk_resource_info"],
    problems: (release, prometheus) => {
      const crs = prometheus["kube-state-metrics"]?.customResourceState;
      const kinds = ((crs?.config?.spec?.resources ?? []) as Obj[]).map((r) => r.groupVersionKind.kind);
      return [
        ...(release.prometheus?.podMonitor?.create === true ? [] : ["the flux2 chart's PodMonitor is off"]),
        ...(crs?.enabled === true ? [] : ["kube-state-metrics has no custom resource state"]),
        ...["Kustomization", "HelmRelease", "GitRepository"]
          .filter((k) => !kinds.includes(k))
          .map((k) => `kube-state-metrics does not report ${k}`),
      ];
    },
  },
  {
    component: "cert-manager",
    chart: "cert-manager",
    metrics: ["certmanager_certificate_expiration_timestamp_seconds", "certmanager_certificate_ready_status"],
    problems: (release) => [
      ...(release.prometheus?.enabled === false ? ["prometheus.enabled is false"] : []),
      ...(release.prometheus?.servicemonitor?.enabled === true ? [] : ["the chart's ServiceMonitor is off"]),
    ],
  },
  {
    component: "Velero",
    chart: "velero",
    metrics: [
      "velero_backup_failure_total",
      "velero_backup_partial_failure_total",
      "velero_backup_last_successful_timestamp",
    ],
    problems: (release) => [
      ...(release.metrics?.enabled === false ? ["metrics.enabled is false"] : []),
      ...(release.metrics?.serviceMonitor?.enabled === true ? [] : ["the chart's ServiceMonitor is off"]),
      // Autodetect would race the CRDs on the first deploy and silently render nothing.
      ...(release.metrics?.serviceMonitor?.autodetect === false ? [] : ["ServiceMonitor autodetect is on"]),
    ],
  },
];

/** The metric names a PromQL expression selects (Prometheus' own lezer grammar). */
function metricsRead(expr: string): string[] {
  const names: string[] = [];
  parser.parse(expr).iterate({
    enter: (node) => {
      if (node.type.name === "Identifier" && node.node.parent?.type.name === "VectorSelector")
        names.push(expr.slice(node.from, node.to));
    },
  });
  return names;
}

const releases = (plan: PlanResult) =>
  plan.resources.filter((r) => r.type === "kubernetes:helm.sh/v3:Release");
const values = (r: Resource) => r.inputs.values as Obj;
const clusterNameOf = (stack: string): string =>
  (parse(readFileSync(path.join(repo, `Pulumi.${stack}.yaml`), "utf8")) as Obj).config[
    "platform:clusterName"
  ];

/** The components a cluster runs (by the plan), each with the problems of its scraping. */
function coverage(plan: PlanResult): Record<string, string[]> {
  const prometheus = releases(plan).find((r) => r.inputs.chart === "kube-prometheus-stack")!;
  assert.ok(prometheus, "a kube-prometheus-stack release");
  const result: Record<string, string[]> = {};
  for (const source of SOURCES) {
    const release = source.chart ? releases(plan).find((r) => r.inputs.chart === source.chart) : prometheus;
    if (!release) continue;
    const problems = source.problems(values(release), values(prometheus));
    if (release !== prometheus && !release.dependencies.includes(prometheus.urn))
      problems.push(`${release.name} does not wait for ${prometheus.name} (its monitor needs the CRDs)`);
    result[source.component] = problems;
  }
  return result;
}

describe("scrape coverage: every default alert sees every cluster that runs what it watches", function () {
  const plans: Record<string, PlanResult> = {};
  before(async () => {
    plans.hub = await planStack("hub", { root: repo, skipPolicies: true });
    plans["spoke-prod"] = await planStack("spoke-prod", { root: repo, skipPolicies: true });
    plans["spoke-prod with cert-manager"] = await planStack("spoke-prod", {
      root: repo,
      skipPolicies: true,
      configOverrides: { "platform:certManager": JSON.stringify({ enabled: true }) },
    });
  });

  const table: { plan: string; stack: string; watched: string[] }[] = [
    { plan: "hub", stack: "hub", watched: ["nodes, pods, volumes", "Flux", "cert-manager", "Velero"] },
    // spoke-prod leaves cert-manager to its repository (Pulumi.spoke-prod.yaml): no release, no monitor.
    { plan: "spoke-prod", stack: "spoke-prod", watched: ["nodes, pods, volumes", "Flux", "Velero"] },
    {
      plan: "spoke-prod with cert-manager",
      stack: "spoke-prod",
      watched: ["nodes, pods, volumes", "Flux", "cert-manager", "Velero"],
    },
  ];

  for (const row of table) {
    it(`${row.plan}: scrapes ${row.watched.join(", ")}, each after the Prometheus Operator CRDs`, () => {
      const covered = coverage(plans[row.plan]);
      assert.deepEqual(Object.keys(covered), row.watched);
      for (const [component, problems] of Object.entries(covered)) assert.deepEqual(problems, [], component);
    });

    it(`${row.plan}: labels every series with its cluster (${clusterNameOf(row.stack)})`, () => {
      const prometheus = releases(plans[row.plan]).find((r) => r.inputs.chart === "kube-prometheus-stack")!;
      const spec = values(prometheus).prometheus.prometheusSpec;
      assert.deepEqual(spec.externalLabels, { cluster: clusterNameOf(row.stack) });
      // Monitors of every release and namespace, not only the chart's own.
      assert.equal(spec.serviceMonitorSelectorNilUsesHelmValues, false);
      assert.equal(spec.podMonitorSelectorNilUsesHelmValues, false);
      if (row.stack === "hub") {
        assert.equal(values(prometheus).prometheus.agentMode, false);
        assert.equal(values(prometheus).defaultRules.create, true);
      } else {
        // An agent: external labels go with every remote-written sample to the hub.
        assert.equal(values(prometheus).prometheus.agentMode, true);
        assert.match(spec.remoteWrite[0].url, /\/spokes\/production-numinia\/api\/v1\/write$/);
      }
    });
  }

  it("the hub evaluates the rules, and every metric they read comes from a source scraped above", () => {
    const rules = plans.hub.resources.filter(
      (r) => r.type === "kubernetes:monitoring.coreos.com/v1:PrometheusRule",
    );
    assert.equal(rules.length, 1);
    for (const plan of ["spoke-prod", "spoke-prod with cert-manager"])
      assert.ok(!plans[plan].resources.some((r) => r.type.endsWith(":PrometheusRule")), plan);
    const exprs = ((rules[0].inputs.spec as Obj).groups as Obj[]).flatMap((g) =>
      (g.rules as Obj[]).map((r) => r.expr),
    );
    const known = new Set(SOURCES.flatMap((s) => s.metrics));
    const metrics = exprs.flatMap(metricsRead);
    assert.ok(metrics.length >= 7, metrics.join(", "));
    for (const metric of metrics)
      assert.ok(known.has(metric), `${metric}: which component's monitor scrapes it?`);
  });

  it("a cluster where the platform installs cert-manager without a Prometheus stack would be caught", () => {
    const plan = plans["spoke-prod with cert-manager"];
    const broken: PlanResult = {
      ...plan,
      resources: plan.resources.map((r) =>
        r.inputs.chart === "cert-manager"
          ? {
              ...r,
              dependencies: [],
              inputs: { ...r.inputs, values: { ...values(r), prometheus: { enabled: true } } },
            }
          : r,
      ),
    };
    assert.deepEqual(coverage(broken)["cert-manager"], [
      "the chart's ServiceMonitor is off",
      "spoke-prod-cert-manager does not wait for spoke-prod-prometheus-agent (its monitor needs the CRDs)",
    ]);
  });
});
