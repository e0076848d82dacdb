/**
 * Pure logic of the alerting capability: Alertmanager receivers (Slack, PagerDuty, e-mail, webhook)
 * and routing, where their credentials go, and the platform's default alert rules. No resources
 * are created here, so everything is tested without mocks.
 * https://prometheus.io/docs/alerting/latest/configuration/
 */

/** Fields every receiver has. */
interface ReceiverBase {
  /** Receiver name, unique (`null` is reserved). */
  readonly name: string;
  /** Alert label matchers routed to this receiver (e.g. `severity = critical`); empty = every alert. @default [] */
  readonly matchers?: readonly string[];
  /** Also notify when alerts resolve. @default true */
  readonly sendResolved?: boolean;
}

/** One Alertmanager receiver from config. Credentials (url, routingKey, password) are secrets. */
export type AlertReceiver = ReceiverBase &
  (
    | { readonly type: "slack"; readonly url: string; readonly channel?: string }
    | { readonly type: "webhook"; readonly url: string }
    | { readonly type: "pagerduty"; readonly routingKey: string }
    | {
        readonly type: "email";
        /** Recipient address(es), comma-separated. */
        readonly to: string;
        /** Sender address. */
        readonly from: string;
        /** SMTP server `host:port` (STARTTLS required). */
        readonly smarthost: string;
        readonly username?: string;
        readonly password?: string;
      }
  );

/** Name of the Secret holding the receivers' credentials (mounted under /etc/alertmanager/secrets/<name>/). */
export const receiverUrlsSecret = "alertmanager-receiver-urls";

/** Key of a receiver's URL in {@link receiverUrlsSecret}. */
function receiverUrlKey(receiver: Pick<AlertReceiver, "name">): string {
  return `${receiver.name}-url`;
}

/** The credentials of the receivers, by their key in {@link receiverUrlsSecret}. */
export function receiverSecretData(receivers: readonly AlertReceiver[]): Record<string, string> {
  const data: Record<string, string> = {};
  for (const r of receivers) {
    if (r.type === "slack" || r.type === "webhook") data[receiverUrlKey(r)] = r.url;
    else if (r.type === "pagerduty") data[`${r.name}-routing-key`] = r.routingKey;
    else if (r.password !== undefined) data[`${r.name}-password`] = r.password;
  }
  return data;
}

/** The receiver that gets what no other route takes: the one named `defaultReceiver`, else the first. */
function defaultReceiverName(receivers: readonly AlertReceiver[], defaultReceiver?: string): string {
  return defaultReceiver ?? receivers[0]?.name ?? "null";
}

function receiverConfig(r: AlertReceiver): Record<string, unknown> {
  const file = (key: string) => `/etc/alertmanager/secrets/${receiverUrlsSecret}/${key}`;
  const sendResolved = r.sendResolved ?? true;
  switch (r.type) {
    case "slack":
      return {
        name: r.name,
        slack_configs: [
          {
            api_url_file: file(receiverUrlKey(r)),
            send_resolved: sendResolved,
            ...(r.channel ? { channel: r.channel } : {}),
          },
        ],
      };
    case "webhook":
      return {
        name: r.name,
        webhook_configs: [{ url_file: file(receiverUrlKey(r)), send_resolved: sendResolved }],
      };
    case "pagerduty":
      return {
        name: r.name,
        pagerduty_configs: [{ routing_key_file: file(`${r.name}-routing-key`), send_resolved: sendResolved }],
      };
    case "email":
      return {
        name: r.name,
        email_configs: [
          {
            to: r.to,
            from: r.from,
            smarthost: r.smarthost,
            require_tls: true,
            send_resolved: sendResolved,
            ...(r.username ? { auth_username: r.username } : {}),
            ...(r.password !== undefined ? { auth_password_file: file(`${r.name}-password`) } : {}),
          },
        ],
      };
  }
}

/**
 * The Alertmanager configuration. What no route takes goes to the default receiver (the one named
 * `defaultReceiver`, else the first; `null` only when no receiver is configured). Every other
 * receiver gets a route with its matchers and `continue`, so several may be notified. `Watchdog`
 * and `InfoInhibitor` go to `null`. Credentials are read from files of the mounted Secret
 * (`api_url_file`, `url_file`, `routing_key_file`, `auth_password_file`), so none appears in the
 * Helm values. https://prometheus.io/docs/alerting/latest/configuration/
 */
export function alertmanagerConfig(
  receivers: readonly AlertReceiver[],
  defaultReceiver?: string,
): Record<string, unknown> {
  const root = defaultReceiverName(receivers, defaultReceiver);
  return {
    global: { resolve_timeout: "5m" },
    inhibit_rules: [
      {
        source_matchers: ["severity = critical"],
        target_matchers: ["severity =~ warning|info"],
        equal: ["namespace", "alertname", "cluster"],
      },
      {
        source_matchers: ["alertname = InfoInhibitor"],
        target_matchers: ["severity = info"],
        equal: ["namespace", "cluster"],
      },
    ],
    route: {
      group_by: ["cluster", "namespace", "alertname"],
      group_wait: "30s",
      group_interval: "5m",
      repeat_interval: "12h",
      receiver: root,
      routes: [
        { receiver: "null", matchers: ['alertname =~ "Watchdog|InfoInhibitor"'] },
        ...receivers
          .filter((r) => r.name !== root)
          .map((r) => ({ receiver: r.name, matchers: [...(r.matchers ?? [])], continue: true })),
      ],
    },
    receivers: [{ name: "null" }, ...receivers.map(receiverConfig)],
    templates: ["/etc/alertmanager/config/*.tmpl"],
  };
}

/** One Prometheus alerting rule. https://prometheus.io/docs/prometheus/latest/configuration/alerting_rules/ */
export interface AlertRule {
  readonly alert: string;
  readonly expr: string;
  readonly for: string;
  readonly labels: { readonly severity: "critical" | "warning" };
  readonly annotations: { readonly summary: string; readonly description: string };
}

/**
 * The cluster an alert is about, in an annotation: the `cluster` label of a spoke's series (its agent's
 * external label, kept by remote write), else the hub's external label (the hub's own series are stored
 * without it; Prometheus adds it to the alert only after templating).
 * https://prometheus.io/docs/prometheus/latest/configuration/template_reference/
 */
const cluster = "{{ or $labels.cluster $externalLabels.cluster }}";

/**
 * The platform's own alert rules, added to kube-prometheus-stack's default rules (which already
 * cover nodes, crash-looping pods and filling volumes: KubeNodeNotReady, KubePodCrashLooping,
 * KubePersistentVolumeFillingUp, ...). Metric names are the exporters' own:
 * kube-state-metrics' `gotk_resource_info` for Flux objects (custom resource state configured by
 * components/observability/flux-metrics.ts, as in flux2-monitoring-example; the controllers no longer
 * export `gotk_reconcile_condition`, https://fluxcd.io/flux/monitoring/metrics/), cert-manager
 * `certmanager_certificate_expiration_timestamp_seconds` / `certmanager_certificate_ready_status`
 * (https://cert-manager.io/docs/devops-tips/prometheus-metrics/), Velero
 * `velero_backup_failure_total` / `velero_backup_last_successful_timestamp`.
 */
export function platformAlertGroups(): { name: string; rules: AlertRule[] }[] {
  return [
    {
      name: "platform-flux",
      rules: [
        {
          alert: "FluxReconciliationFailing",
          expr: 'max by (cluster, exported_namespace, name, customresource_kind) (gotk_resource_info{ready="False",suspended!="true"}) == 1',
          for: "15m",
          labels: { severity: "warning" },
          annotations: {
            summary: "A Flux object has not been Ready for 15 minutes.",
            description: `{{ $labels.customresource_kind }} {{ $labels.exported_namespace }}/{{ $labels.name }} on ${cluster} fails to reconcile: flux get all -A.`,
          },
        },
      ],
    },
    {
      name: "platform-certificates",
      rules: [
        {
          alert: "CertificateExpiresSoon",
          expr: "certmanager_certificate_expiration_timestamp_seconds - time() < 14 * 24 * 3600",
          for: "1h",
          labels: { severity: "warning" },
          annotations: {
            summary: "A certificate expires within 14 days and has not been renewed.",
            description: `Certificate {{ $labels.namespace }}/{{ $labels.name }} on ${cluster} expires in {{ $value | humanizeDuration }}.`,
          },
        },
        {
          alert: "CertificateExpiresVerySoon",
          expr: "certmanager_certificate_expiration_timestamp_seconds - time() < 3 * 24 * 3600",
          for: "10m",
          labels: { severity: "critical" },
          annotations: {
            summary: "A certificate expires within 3 days.",
            description: `Certificate {{ $labels.namespace }}/{{ $labels.name }} on ${cluster} expires in {{ $value | humanizeDuration }}: kubectl describe certificate.`,
          },
        },
        {
          alert: "CertificateNotReady",
          expr: 'max by (cluster, namespace, name) (certmanager_certificate_ready_status{condition="False"}) == 1',
          for: "30m",
          labels: { severity: "warning" },
          annotations: {
            summary: "A certificate has not been Ready for 30 minutes.",
            description: `Certificate {{ $labels.namespace }}/{{ $labels.name }} on ${cluster} is not Ready.`,
          },
        },
      ],
    },
    {
      name: "platform-backups",
      rules: [
        {
          alert: "VeleroBackupFailed",
          expr: "increase(velero_backup_failure_total[1h]) > 0",
          for: "0m",
          labels: { severity: "critical" },
          annotations: {
            summary: "A Velero backup failed in the last hour.",
            description: `Schedule {{ $labels.schedule }} on ${cluster} failed: velero backup get.`,
          },
        },
        {
          alert: "VeleroBackupPartiallyFailed",
          expr: "increase(velero_backup_partial_failure_total[1h]) > 0",
          for: "0m",
          labels: { severity: "warning" },
          annotations: {
            summary: "A Velero backup partially failed in the last hour.",
            description: `Schedule {{ $labels.schedule }} on ${cluster} partially failed: velero backup describe.`,
          },
        },
        {
          alert: "VeleroBackupTooOld",
          expr: 'time() - max by (cluster, schedule) (velero_backup_last_successful_timestamp{schedule!=""}) > 36 * 3600',
          for: "30m",
          labels: { severity: "warning" },
          annotations: {
            summary: "No successful Velero backup for 36 hours.",
            description: `Schedule {{ $labels.schedule }} on ${cluster} last succeeded {{ $value | humanizeDuration }} ago.`,
          },
        },
      ],
    },
  ];
}
