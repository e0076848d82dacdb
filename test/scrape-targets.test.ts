/**
 * The monitors that feed the platform's alerts select what the charts really deploy: each chart is
 * rendered offline (`helm template`, upstream sources in ../shared) with the platform's values, and
 * its own PodMonitor/ServiceMonitor must select the chart's pods or Service by their labels and
 * name a port those objects declare. The kube-state-metrics configuration that reports Flux objects
 * is checked against the subchart's values.yaml and the flux2 chart's CRDs.
 */
import { strict as assert } from "node:assert";
import { parse } from "yaml";
import { certManagerValues } from "../components/cert-manager";
import { fluxHelmValues } from "../components/gitops";
import { fluxServedVersions } from "../components/gitops/versions";
import { fluxKubeStateMetricsValues, fluxResourceMetric } from "../components/observability/flux-metrics";
import { platformAlertGroups } from "../components/alerting";
import { veleroValues } from "../components/velero";
import { helmBinary, helmTemplate, undeclaredValues, upstreamCharts, upstreamValues } from "./upstream";
import * as fs from "node:fs";
import * as path from "node:path";

type Obj = Record<string, any>;
interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

/** Whether a Kubernetes label selector selects the labels (In, NotIn, Exists, DoesNotExist). */
function selects(selector: LabelSelector, labels: Record<string, string> = {}): boolean {
  const byLabel = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  const byExpression = (selector.matchExpressions ?? []).every((e) => {
    switch (e.operator) {
      case "In":
        return k(labels, e.key) && (e.values ?? []).includes(labels[e.key]);
      case "NotIn":
        return !k(labels, e.key) || !(e.values ?? []).includes(labels[e.key]);
      case "Exists":
        return k(labels, e.key);
      case "DoesNotExist":
        return !k(labels, e.key);
      default:
        throw new Error(`unknown selector operator ${e.operator}`);
    }
  });
  return byLabel && byExpression;
}
const k = (labels: Record<string, string>, key: string) => Object.hasOwn(labels, key);

/** Skips a test whose upstream chart or Helm binary is absent, saying which. */
function renderOrSkip(ctx: Mocha.Context, chart: string, namespace: string, values: Obj): Obj[] {
  const helm = helmBinary();
  if (!helm || !upstreamValues(chart)) {
    ctx.test!.title += ` (skipped: ${helm ? `../shared/upstream/charts/${chart} absent` : "no Helm binary"})`;
    ctx.skip();
  }
  return helmTemplate(helm!, chart, namespace, values);
}

const containerPorts = (pod: Obj): string[] =>
  (pod.spec.containers as Obj[]).flatMap((c) => ((c.ports ?? []) as Obj[]).map((p) => p.name as string));

describe("scrape targets: the charts' own monitors select the charts' own objects", () => {
  it("selects selector labels correctly (the helper the tests below rely on)", () => {
    const selector = { matchExpressions: [{ key: "app", operator: "In", values: ["a", "b"] }] };
    assert.equal(selects(selector, { app: "a" }), true);
    assert.equal(selects(selector, { app: "c" }), false);
    assert.equal(selects(selector, {}), false);
    assert.equal(selects({ matchLabels: { x: "1" } }, { x: "1", y: "2" }), true);
    assert.equal(selects({ matchLabels: { x: "1" } }, { x: "2" }), false);
  });

  describe("flux2: prometheus.podMonitor", () => {
    const chart = "flux2-2.18.3";

    it("scrapes every controller the platform runs on its http-prom port, in flux-system", function () {
      const objects = renderOrSkip(this, chart, "flux-system", fluxHelmValues({ podMonitor: true }));
      const monitors = objects.filter((o) => o.kind === "PodMonitor");
      assert.equal(monitors.length, 1);
      const spec = monitors[0].spec;
      assert.deepEqual(spec.namespaceSelector, { matchNames: ["flux-system"] });
      const controllers = objects.filter((o) => o.kind === "Deployment");
      assert.deepEqual(controllers.map((d) => d.metadata.name).sort(), [
        "helm-controller",
        "kustomize-controller",
        "notification-controller",
        "source-controller",
      ]);
      for (const d of controllers) {
        assert.ok(selects(spec.selector, d.spec.template.metadata.labels), d.metadata.name);
        for (const endpoint of spec.podMetricsEndpoints as Obj[])
          assert.ok(
            containerPorts(d.spec.template).includes(endpoint.port),
            `${d.metadata.name}: ${endpoint.port}`,
          );
      }
    });

    it("renders no PodMonitor without a Prometheus stack to read it", function () {
      const objects = renderOrSkip(this, chart, "flux-system", fluxHelmValues());
      assert.deepEqual(
        objects.filter((o) => o.kind === "PodMonitor"),
        [],
      );
    });
  });

  describe("cert-manager: prometheus.servicemonitor", () => {
    const chart = "cert-manager-v1.21.1";

    it("scrapes the controller (certmanager_certificate_* metrics) through its Service on http-metrics", function () {
      const objects = renderOrSkip(
        this,
        chart,
        "cert-manager",
        certManagerValues({ production: true, serviceMonitor: true }),
      );
      const monitors = objects.filter((o) => o.kind === "ServiceMonitor");
      assert.equal(monitors.length, 1);
      const spec = monitors[0].spec;
      // No namespaceSelector: the monitor's own namespace, the release's.
      assert.equal(monitors[0].metadata.namespace, "cert-manager");
      assert.equal(spec.namespaceSelector, undefined);
      const services = objects.filter(
        (o) => o.kind === "Service" && selects(spec.selector, o.metadata.labels),
      );
      // The controller (certificate metrics), the webhook and the cainjector: each Service's pods
      // declare the port the monitor scrapes.
      assert.deepEqual(services.map((s) => s.metadata.labels["app.kubernetes.io/component"]).sort(), [
        "cainjector",
        "controller",
        "webhook",
      ]);
      for (const service of services) {
        const deployment = objects.find(
          (o) =>
            o.kind === "Deployment" &&
            selects({ matchLabels: service.spec.selector }, o.spec.template.metadata.labels),
        )!;
        assert.ok(deployment, service.metadata.name);
        for (const endpoint of spec.endpoints as Obj[])
          assert.ok(
            containerPorts(deployment.spec.template).includes(endpoint.targetPort),
            `${deployment.metadata.name}: ${endpoint.targetPort}`,
          );
      }
    });

    it("renders no ServiceMonitor by default (a cluster without the Prometheus Operator CRDs)", function () {
      const objects = renderOrSkip(this, chart, "cert-manager", certManagerValues({ production: false }));
      assert.deepEqual(
        objects.filter((o) => o.kind === "ServiceMonitor"),
        [],
      );
    });
  });

  describe("velero: metrics.serviceMonitor", () => {
    const chart = "velero-12.1.0";
    const values = (serviceMonitor: boolean) =>
      veleroValues({
        bucket: "b",
        region: "eu-west-1",
        keyArn: "arn:aws:kms:eu-west-1:111122223333:key/k",
        awsPluginImage: "velero/velero-plugin-for-aws:v1.14.0",
        clusterName: "c",
        serviceMonitor,
      });

    it("scrapes the server (velero_backup_* metrics) through its Service on http-monitoring, without autodetect", function () {
      // Without --api-versions, autodetect would drop the monitor: it renders because autodetect is off.
      const objects = renderOrSkip(this, chart, "velero", values(true));
      const monitors = objects.filter((o) => o.kind === "ServiceMonitor");
      assert.equal(monitors.length, 1);
      const spec = monitors[0].spec;
      assert.deepEqual(spec.namespaceSelector, { matchNames: ["velero"] });
      const service = objects.find((o) => o.kind === "Service" && selects(spec.selector, o.metadata.labels))!;
      assert.ok(service, "a Service the monitor selects");
      const server = objects.find((o) => o.kind === "Deployment")!;
      assert.ok(selects({ matchLabels: service.spec.selector }, server.spec.template.metadata.labels));
      for (const endpoint of spec.endpoints as Obj[]) {
        const port = (service.spec.ports as Obj[]).find((p) => p.name === endpoint.port);
        assert.ok(port, endpoint.port);
        assert.ok(containerPorts(server.spec.template).includes(port.targetPort), port.targetPort);
      }
    });

    it("renders no ServiceMonitor without a Prometheus stack", function () {
      const objects = renderOrSkip(this, chart, "velero", values(false));
      assert.deepEqual(
        objects.filter((o) => o.kind === "ServiceMonitor"),
        [],
      );
    });
  });

  describe("kube-state-metrics: Flux objects as gotk_resource_info", () => {
    const ksm = fluxKubeStateMetricsValues() as Obj;
    const resources = ksm.customResourceState.config.spec.resources as Obj[];

    it("sets only keys the kube-state-metrics 8.4.0 subchart declares", function () {
      const file = path.resolve(upstreamCharts, "../helm/kube-state-metrics-8.4.0-values.yaml");
      if (!fs.existsSync(file)) {
        this.test!.title += " (skipped: ../shared/upstream/helm/kube-state-metrics-8.4.0-values.yaml absent)";
        this.skip();
      }
      const chart = parse(fs.readFileSync(file, "utf8")) as Obj;
      assert.deepEqual(undeclaredValues(ksm, chart, ["customResourceState.config", "rbac.extraRules"]), []);
      assert.equal(chart.customResourceState.enabled, false, "off unless the platform turns it on");
    });

    it("reports the kinds the platform's Flux serves, at served versions, with list/watch on their plurals", function () {
      const objects = renderOrSkip(this, "flux2-2.18.3", "flux-system", fluxHelmValues());
      const crds = objects.filter((o) => o.kind === "CustomResourceDefinition");
      const rule = ksm.rbac.extraRules[0];
      assert.deepEqual(rule.verbs, ["list", "watch"]);
      for (const r of resources) {
        const { group, version, kind } = r.groupVersionKind;
        assert.ok(fluxServedVersions[group]?.[kind]?.includes(version), `${group}/${version} ${kind}`);
        const crd = crds.find((c) => c.spec.group === group && c.spec.names.kind === kind)!;
        assert.ok(crd, `${kind} CRD`);
        assert.ok(rule.apiGroups.includes(group) && rule.resources.includes(crd.spec.names.plural), kind);
      }
      for (const kind of ["Kustomization", "HelmRelease", "GitRepository", "HelmRepository", "OCIRepository"])
        assert.ok(
          resources.some((r) => r.groupVersionKind.kind === kind),
          kind,
        );
    });

    it("produces the metric and labels FluxReconciliationFailing reads", () => {
      for (const r of resources) {
        const [metric] = r.metrics;
        assert.equal(`${r.metricNamePrefix}_${metric.name}`, fluxResourceMetric);
        assert.deepEqual(metric.each.info.labelsFromPath.name, ["metadata", "name"]);
        assert.deepEqual(metric.labelsFromPath.ready, ["status", "conditions", "[type=Ready]", "status"]);
        assert.deepEqual(metric.labelsFromPath.suspended, ["spec", "suspend"]);
        assert.deepEqual(metric.labelsFromPath.exported_namespace, ["metadata", "namespace"]);
      }
      const flux = platformAlertGroups()
        .flatMap((g) => g.rules)
        .find((r) => r.alert === "FluxReconciliationFailing")!;
      assert.match(flux.expr, new RegExp(`\\b${fluxResourceMetric}\\{`));
      // Every label the rule reads is one the configuration (or kube-state-metrics itself) sets.
      const set = new Set([
        "cluster",
        "customresource_kind",
        "name",
        ...Object.keys(resources[0].metrics[0].labelsFromPath),
      ]);
      for (const [, label] of flux.expr.matchAll(/([a-z_]+)(?:=|!=)"/g)) assert.ok(set.has(label), label);
      for (const label of /by \(([^)]*)\)/.exec(flux.expr)![1].split(/,\s*/))
        assert.ok(set.has(label), label);
    });
  });
});
