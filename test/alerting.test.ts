import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import * as k8s from "@pulumi/kubernetes";
import { parser } from "@prometheus-io/lezer-promql";
import { recorded, setupMocks, type RecordedResource } from "./mocks";
import {
  PlatformAlertRules,
  alertmanagerConfig,
  platformAlertGroups,
  receiverSecretData,
  type AlertReceiver,
} from "../components/alerting";
import { hubPrometheusStackValues } from "../components/observability";
import { ConfigError, loadConfig } from "../stacks/config";
import { upstreamCharts } from "./upstream";
import { minimalHub } from "./config-fixtures";

/** Syntax errors of a PromQL expression, by the Prometheus project's own lezer grammar. */
function promqlErrors(expr: string): string[] {
  const errors: string[] = [];
  parser.parse(expr).iterate({
    enter: (node) => {
      if (node.type.isError) errors.push(`${node.from}: ${expr.slice(node.from, node.to + 10)}`);
    },
  });
  return errors;
}

const rules = platformAlertGroups().flatMap((g) => g.rules);
const metricsOf = (expr: string) =>
  [...expr.matchAll(/\b([a-z_]+(?:_total|_seconds|_status|_info|_condition|_timestamp))\b/g)].map(
    (m) => m[1],
  );

describe("alerting: receivers, routing and the platform's alert rules", () => {
  describe("platform rules", () => {
    it("every expression is valid PromQL (Prometheus' lezer grammar), and a broken one is caught", () => {
      for (const rule of rules) assert.deepEqual(promqlErrors(rule.expr), [], rule.alert);
      assert.notDeepEqual(promqlErrors("increase(velero_backup_failure_total[1h] > 0"), []);
    });

    it("covers Flux reconcile failures, certificate expiry and backup failures with the exporters' metric names", () => {
      const metrics = new Set(rules.flatMap((r) => metricsOf(r.expr)));
      for (const name of [
        "gotk_resource_info",
        "certmanager_certificate_expiration_timestamp_seconds",
        "certmanager_certificate_ready_status",
        "velero_backup_failure_total",
        "velero_backup_partial_failure_total",
        "velero_backup_last_successful_timestamp",
      ])
        assert.ok(metrics.has(name), name);
      for (const rule of rules) {
        assert.match(rule.for, /^\d+[mh]$/, rule.alert);
        assert.ok(["critical", "warning"].includes(rule.labels.severity), rule.alert);
        assert.ok(rule.annotations.summary && rule.annotations.description, rule.alert);
      }
      assert.equal(new Set(rules.map((r) => r.alert)).size, rules.length, "unique alert names");
      // Flux v2.1+ controllers no longer export it: a rule on it could never fire.
      assert.ok(!metrics.has("gotk_reconcile_condition"));
    });

    it("names the cluster in every description: the series' cluster label, else the hub's external label", () => {
      for (const rule of rules)
        assert.match(
          rule.annotations.description,
          /on \{\{ or \$labels\.cluster \$externalLabels\.cluster \}\}/,
          rule.alert,
        );
    });

    it("does not report suspended Flux objects as failing", () => {
      const flux = rules.find((r) => r.alert === "FluxReconciliationFailing")!;
      assert.match(flux.expr, /gotk_resource_info\{ready="False",suspended!="true"\}/);
    });

    it("uses the Velero metric names the upstream chart's example rules use", function () {
      const file = path.join(upstreamCharts, "velero-12.1.0/values.yaml");
      if (!fs.existsSync(file)) this.skip();
      const text = fs.readFileSync(file, "utf8");
      for (const name of ["velero_backup_partial_failure_total", "velero_backup_last_successful_timestamp"])
        assert.ok(text.includes(name), name);
    });

    it("leaves nodes, crash-looping pods and filling volumes to kube-prometheus-stack's default rules, which the hub keeps on", function () {
      const dir = path.join(upstreamCharts, "kube-prometheus-stack-88.5.3/templates/prometheus/rules-1.14");
      if (!fs.existsSync(dir)) this.skip();
      const all = fs
        .readdirSync(dir)
        .map((f) => fs.readFileSync(path.join(dir, f), "utf8"))
        .join("\n");
      for (const alert of ["KubeNodeNotReady", "KubePodCrashLooping", "KubePersistentVolumeFillingUp"])
        assert.match(all, new RegExp(`alert: ${alert}\\b`), alert);
      const values = hubPrometheusStackValues({
        clusterName: "hub",
        production: true,
        retention: "15d",
        storageGiB: 100,
        storageClass: "gp3",
        receivers: [],
        grafanaAdminSecret: "g",
        elasticsearchUrl: "https://es:9200",
        elasticsearchCredentialsSecret: "e",
      });
      assert.deepEqual(values.defaultRules, { create: true });
    });
  });

  describe("Alertmanager configuration", () => {
    const receivers: AlertReceiver[] = [
      { name: "oncall", type: "pagerduty", routingKey: "R0UT1NG", matchers: ["severity = critical"] },
      { name: "team", type: "slack", url: "https://hooks.slack.com/services/T/B/X", channel: "#alerts" },
      {
        name: "mail",
        type: "email",
        to: "ops@example.com",
        from: "alertmanager@example.com",
        smarthost: "smtp.example.com:587",
        username: "am",
        password: "pw",
        matchers: ["severity = warning"],
      },
    ];

    it("sends what no route takes to the default receiver, never only to null", () => {
      const config = alertmanagerConfig(receivers, "team") as Record<string, any>;
      assert.equal(config.route.receiver, "team");
      assert.deepEqual(
        config.route.routes.map((r: { receiver: string }) => r.receiver),
        ["null", "oncall", "mail"],
      );
      assert.equal((alertmanagerConfig(receivers) as Record<string, any>).route.receiver, "oncall");
      assert.equal((alertmanagerConfig([]) as Record<string, any>).route.receiver, "null");
    });

    it("reads every credential from the mounted Secret, none inline", () => {
      const config = alertmanagerConfig(receivers) as Record<string, any>;
      const text = JSON.stringify(config);
      for (const secret of ["R0UT1NG", "hooks.slack.com", '"pw"']) assert.ok(!text.includes(secret), secret);
      const byName = Object.fromEntries(config.receivers.map((r: { name: string }) => [r.name, r]));
      assert.match(
        byName.oncall.pagerduty_configs[0].routing_key_file,
        /alertmanager-receiver-urls\/oncall-routing-key$/,
      );
      assert.match(byName.team.slack_configs[0].api_url_file, /team-url$/);
      assert.equal(byName.mail.email_configs[0].require_tls, true);
      assert.match(byName.mail.email_configs[0].auth_password_file, /mail-password$/);
      assert.deepEqual(receiverSecretData(receivers), {
        "oncall-routing-key": "R0UT1NG",
        "team-url": "https://hooks.slack.com/services/T/B/X",
        "mail-password": "pw",
      });
    });
  });

  describe("configuration", () => {
    const hub = minimalHub;
    const error = (raw: Record<string, string>, isSecret = (_: string) => true) => {
      try {
        loadConfig(raw, "hub", "platform", { isSecret });
      } catch (e) {
        if (e instanceof ConfigError) return e.message;
        throw e;
      }
      return undefined;
    };
    const receivers = (list: unknown[]) => ({
      ...hub,
      "platform:alerting": JSON.stringify({ receivers: list }),
    });

    it("refuses the retired alertmanagerReceivers key with where it went", () => {
      assert.match(
        error({ ...hub, "platform:alertmanagerReceivers": "[]" })!,
        /^invalid configuration platform:alertmanagerReceivers = "\(secret, not shown\)": expected no value \(renamed to platform:alerting\.receivers/,
      );
    });

    it("refuses receivers in plain text, and hides their value", () => {
      const message = error(receivers([{ name: "p", type: "pagerduty", routingKey: "k" }]), () => false)!;
      assert.match(message, /pulumi config set --secret platform:alerting$/);
      assert.ok(!message.includes('"k"'));
      assert.equal(
        error({ ...hub, "platform:alerting": '{"platformRules":false}' }, () => false),
        undefined,
      );
    });

    it("refuses an unknown type, a bad smarthost, a defaultReceiver that is not a receiver, and the key on a spoke", () => {
      assert.match(
        error(receivers([{ name: "x", type: "sms", url: "https://x" }]))!,
        /platform:alerting\.receivers\[0\]/,
      );
      assert.match(
        error(
          receivers([
            { name: "m", type: "email", to: "ops@example.com", from: "am@example.com", smarthost: "smtp" },
          ]),
        )!,
        /platform:alerting\.receivers\[0\]\.smarthost/,
      );
      assert.match(
        error({
          ...hub,
          "platform:alerting": JSON.stringify({
            receivers: [{ name: "w", type: "webhook", url: "https://x" }],
            defaultReceiver: "v",
          }),
        })!,
        /platform:alerting\.defaultReceiver = "v": expected one of the receivers: w/,
      );
      assert.match(
        error({
          ...hub,
          "platform:role": "spoke",
          "platform:hubStackReference": "o/p/hub",
          "platform:vpcCidr": "10.0.0.0/16",
          "platform:gitops": '{"repositoryUrl":"https://github.com/acme/platform"}',
          "platform:alerting": '{"platformRules":false}',
        })!,
        /platform:alerting .*hub-only key/,
      );
    });
  });

  describe("the hub's rules", () => {
    let all: RecordedResource[];
    before(async () => {
      setupMocks({ stack: "hub" });
      const provider = new k8s.Provider("alerting-k8s", { kubeconfig: "{}" });
      const stack = new k8s.core.v1.ConfigMap("stand-in-release", {}, { provider });
      new PlatformAlertRules("hub", { provider, prometheusStack: stack });
      all = await recorded();
    });

    it("creates the PrometheusRule after kube-prometheus-stack (its CRDs), and no monitor of its own", () => {
      const stack = all.find((r) => r.name === "stand-in-release")!;
      const rule = all.find((r) => r.type === "kubernetes:monitoring.coreos.com/v1:PrometheusRule")!;
      assert.deepEqual((rule.inputs.spec as { groups: unknown }).groups, platformAlertGroups());
      assert.equal((rule.inputs.metadata as Record<string, string>).namespace, "monitoring");
      assert.ok(rule.dependencies.includes(stack.urn));
      // Flux's controllers are scraped by the flux2 chart's own PodMonitor on every cluster
      // (test/scrape-coverage.test.ts); a second one here would scrape the hub's twice.
      assert.deepEqual(
        all.filter((r) => /:(PodMonitor|ServiceMonitor)$/.test(r.type)).map((r) => r.name),
        [],
      );
    });
  });
});
