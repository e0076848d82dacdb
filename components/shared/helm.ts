/**
 * Helm releases of pinned charts, shared by every capability that installs one.
 * https://www.pulumi.com/registry/packages/kubernetes/api-docs/helm/v3/release/
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

/** A Helm chart: name, exact version and repository. */
export interface ChartPin {
  /** Chart name in `repo`, or the full `oci://` reference of a chart in an OCI registry. */
  readonly chart: string;
  readonly version: string;
  /** Chart repository URL; empty for an OCI chart (`chart` names it). */
  readonly repo: string;
}

/** Options of a Kubernetes child: its parent, the cluster's provider and what it waits for. */
export type K8sOpts = {
  parent: pulumi.Resource;
  provider: k8s.Provider;
  dependsOn?: pulumi.Input<pulumi.Resource>[];
};

/**
 * A Helm v3 Release of a pinned chart (house rule: exact version, its own existing namespace, no
 * `createNamespace`), atomic with cleanup on failure and a 900-second timeout.
 */
export function release(
  name: string,
  pin: ChartPin,
  namespace: pulumi.Input<string>,
  values: pulumi.Input<Record<string, unknown>>,
  opts: K8sOpts,
  releaseName?: string,
): k8s.helm.v3.Release {
  return new k8s.helm.v3.Release(
    name,
    {
      name: releaseName ?? pin.chart.split("/").pop(),
      chart: pin.chart,
      version: pin.version,
      repositoryOpts: pin.repo ? { repo: pin.repo } : undefined,
      namespace,
      createNamespace: false,
      atomic: true,
      cleanupOnFail: true,
      timeout: 900,
      values,
    },
    opts,
  );
}

/**
 * A platform namespace labelled with the Pod Security level it enforces at the pinned Kubernetes
 * version (and `restricted` audited and warned). `privileged` namespaces host node agents
 * (node-exporter's host network and PID, Fluent Bit's hostPath volumes) and say so explicitly.
 * https://kubernetes.io/docs/concepts/security/pod-security-admission/
 */
export function addonNamespace(
  name: string,
  namespace: string,
  podSecurity: "privileged" | "baseline" | "restricted",
  opts: K8sOpts,
  partOf = "platform",
): k8s.core.v1.Namespace {
  return new k8s.core.v1.Namespace(
    name,
    {
      metadata: {
        name: namespace,
        labels: {
          "app.kubernetes.io/part-of": partOf,
          "pod-security.kubernetes.io/enforce": podSecurity,
          "pod-security.kubernetes.io/enforce-version": "v1.35",
          "pod-security.kubernetes.io/audit": "restricted",
          "pod-security.kubernetes.io/audit-version": "v1.35",
          "pod-security.kubernetes.io/warn": "restricted",
          "pod-security.kubernetes.io/warn-version": "v1.35",
        },
      },
    },
    opts,
  );
}
