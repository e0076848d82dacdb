/**
 * The alerting capability's resources on the hub: the platform's PrometheusRule (Flux,
 * certificates, backups) and a PodMonitor that lets Prometheus scrape the hub's Flux controllers.
 * Receivers and routing are Alertmanager configuration (values.ts), rendered by components/observability.
 * https://prometheus-operator.dev/docs/developer/alerting/
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { platformAlertGroups } from "./values";

export * from "./values";

/** Arguments of {@link PlatformAlertRules}. */
export interface PlatformAlertRulesArgs {
  /** Kubernetes provider of the hub. */
  readonly provider: k8s.Provider;
  /** Namespace of kube-prometheus-stack. @default "monitoring" */
  readonly namespace?: string;
  /** The kube-prometheus-stack release (its CRDs define PrometheusRule and PodMonitor). */
  readonly prometheusStack: pulumi.Resource;
}

/** The platform's alert rules and the Flux PodMonitor, evaluated by the hub's Prometheus over every cluster's series. */
export class PlatformAlertRules extends pulumi.ComponentResource {
  constructor(name: string, args: PlatformAlertRulesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:alerting:PlatformAlertRules", name, {}, opts);
    const namespace = args.namespace ?? "monitoring";
    const k8sOpts = { parent: this, provider: args.provider, dependsOn: [args.prometheusStack] };
    const labels = { "app.kubernetes.io/part-of": "platform-alerting" };
    new k8s.apiextensions.CustomResource(
      `${name}-platform-rules`,
      {
        apiVersion: "monitoring.coreos.com/v1",
        kind: "PrometheusRule",
        metadata: { name: "platform-alerts", namespace, labels },
        spec: { groups: platformAlertGroups() },
      },
      k8sOpts,
    );
    // Flux's controllers serve gotk_* metrics on their http-prom port (8080).
    // https://fluxcd.io/flux/monitoring/metrics/
    new k8s.apiextensions.CustomResource(
      `${name}-flux-podmonitor`,
      {
        apiVersion: "monitoring.coreos.com/v1",
        kind: "PodMonitor",
        metadata: { name: "flux-system", namespace, labels },
        spec: {
          namespaceSelector: { matchNames: ["flux-system"] },
          selector: {
            matchExpressions: [
              {
                key: "app",
                operator: "In",
                values: [
                  "helm-controller",
                  "source-controller",
                  "kustomize-controller",
                  "notification-controller",
                ],
              },
            ],
          },
          podMetricsEndpoints: [{ port: "http-prom" }],
        },
      },
      k8sOpts,
    );
    this.registerOutputs({});
  }
}
