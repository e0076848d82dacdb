/**
 * Pinned versions of the observability capability: Helm charts, the Elastic Stack and images, in one
 * place. Bump a chart together with the values it receives (see values.ts) after reading its
 * values.yaml at that version.
 */

import type { ChartPin } from "../shared/helm";

/** Exact chart and application versions. */
export const versions = {
  /**
   * kube-prometheus-stack (Prometheus Operator v0.93.1, Grafana chart 12.11.1).
   * https://github.com/prometheus-community/helm-charts/tree/main/charts/kube-prometheus-stack
   */
  kubePrometheusStack: {
    chart: "kube-prometheus-stack",
    version: "88.5.3",
    repo: "https://prometheus-community.github.io/helm-charts",
  } as ChartPin,
  /** ECK operator 3.5.0. https://www.elastic.co/docs/deploy-manage/deploy/cloud-on-k8s/install-using-helm-chart */
  eckOperator: { chart: "eck-operator", version: "3.5.0", repo: "https://helm.elastic.co" } as ChartPin,
  /** Fluent Bit chart 0.58.1 (Fluent Bit 5.1.1). https://github.com/fluent/helm-charts/tree/main/charts/fluent-bit */
  fluentBit: {
    chart: "fluent-bit",
    version: "0.58.1",
    repo: "https://fluent.github.io/helm-charts",
  } as ChartPin,
  /** Elastic Stack version of Elasticsearch and Kibana (the version ECK 3.5.0 is tested with). */
  elasticStack: "9.4.3",
} as const;

/** The Elasticsearch image (also runs the ILM bootstrap Job: it ships curl). */
export const elasticsearchImage = `docker.elastic.co/elasticsearch/elasticsearch:${versions.elasticStack}`;
