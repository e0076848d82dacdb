/**
 * Flux resource metrics through kube-state-metrics' custom resource state: one `gotk_resource_info`
 * series per Flux object with its `ready` and `suspended` state, the metric Flux documents for
 * alerting on reconcile failures since the controllers stopped exporting `gotk_reconcile_condition`
 * (Flux v2.1+). The configuration follows fluxcd/flux2-monitoring-example
 * (`monitoring/controllers/kube-prometheus-stack/kube-state-metrics-config.yaml`), limited to the
 * kinds the platform's Flux runs (source, kustomize and helm controllers; image automation is off).
 * https://fluxcd.io/flux/monitoring/metrics/#resource-metrics
 */

/** A Flux kind kube-state-metrics reports: API group, served version, kind, plural and extra labels. */
interface FluxKindMetric {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly resource: string;
  /** Labels beyond name, namespace, ready and suspended: label -> path in the object. */
  readonly labels: Readonly<Record<string, readonly string[]>>;
}

/** The Flux kinds with a Ready condition that the platform's Flux reconciles. */
const fluxKinds: readonly FluxKindMetric[] = [
  {
    group: "kustomize.toolkit.fluxcd.io",
    version: "v1",
    kind: "Kustomization",
    resource: "kustomizations",
    labels: { revision: ["status", "lastAppliedRevision"], source_name: ["spec", "sourceRef", "name"] },
  },
  {
    group: "helm.toolkit.fluxcd.io",
    version: "v2",
    kind: "HelmRelease",
    resource: "helmreleases",
    labels: {
      revision: ["status", "history", "0", "chartVersion"],
      chart_name: ["status", "history", "0", "chartName"],
      chart_source_name: ["spec", "chart", "spec", "sourceRef", "name"],
    },
  },
  {
    group: "source.toolkit.fluxcd.io",
    version: "v1",
    kind: "GitRepository",
    resource: "gitrepositories",
    labels: { revision: ["status", "artifact", "revision"], url: ["spec", "url"] },
  },
  {
    group: "source.toolkit.fluxcd.io",
    version: "v1",
    kind: "HelmRepository",
    resource: "helmrepositories",
    labels: { revision: ["status", "artifact", "revision"], url: ["spec", "url"] },
  },
  {
    group: "source.toolkit.fluxcd.io",
    version: "v1",
    kind: "HelmChart",
    resource: "helmcharts",
    labels: { revision: ["status", "artifact", "revision"], chart_name: ["spec", "chart"] },
  },
  {
    group: "source.toolkit.fluxcd.io",
    version: "v1",
    kind: "OCIRepository",
    resource: "ocirepositories",
    labels: { revision: ["status", "artifact", "revision"], url: ["spec", "url"] },
  },
  {
    group: "source.toolkit.fluxcd.io",
    version: "v1",
    kind: "Bucket",
    resource: "buckets",
    labels: { revision: ["status", "artifact", "revision"], bucket_name: ["spec", "bucketName"] },
  },
];

/** Name of the metric (kube-state-metrics joins `metricNamePrefix` and the metric name with `_`). */
export const fluxResourceMetric = "gotk_resource_info";

/**
 * The `kube-state-metrics` values (subchart of kube-prometheus-stack) that add `gotk_resource_info`
 * to its usual metrics: custom resource state for {@link fluxKinds} and list/watch on them.
 * Labels: `name`, `exported_namespace`, `ready` (the Ready condition's status), `suspended`, plus
 * kube-state-metrics' `customresource_kind`/`_group`/`_version`.
 */
export function fluxKubeStateMetricsValues(): Record<string, unknown> {
  return {
    rbac: {
      extraRules: [
        {
          apiGroups: [...new Set(fluxKinds.map((k) => k.group))],
          resources: fluxKinds.map((k) => k.resource),
          verbs: ["list", "watch"],
        },
      ],
    },
    customResourceState: {
      enabled: true,
      config: {
        spec: {
          resources: fluxKinds.map((k) => ({
            groupVersionKind: { group: k.group, version: k.version, kind: k.kind },
            metricNamePrefix: "gotk",
            metrics: [
              {
                name: "resource_info",
                help: `The current state of a Flux ${k.kind} resource.`,
                each: { type: "Info", info: { labelsFromPath: { name: ["metadata", "name"] } } },
                labelsFromPath: {
                  exported_namespace: ["metadata", "namespace"],
                  ready: ["status", "conditions", "[type=Ready]", "status"],
                  suspended: ["spec", "suspend"],
                  ...k.labels,
                },
              },
            ],
          })),
        },
      },
    },
  };
}
