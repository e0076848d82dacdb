/**
 * The alerting capability's resources on the hub: the platform's PrometheusRule (Flux,
 * certificates, backups), evaluated over every cluster's series. What feeds it is scraped on each
 * cluster by the add-ons' own monitors (docs/alerting.md, "What each alert reads").
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
  /** The kube-prometheus-stack release (its CRDs define PrometheusRule). */
  readonly prometheusStack: pulumi.Resource;
}

/** The platform's alert rules, evaluated by the hub's Prometheus over every cluster's series. */
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
    this.registerOutputs({});
  }
}
