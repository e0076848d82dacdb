/**
 * Helm releases of pinned charts, shared by every capability that installs one.
 * https://www.pulumi.com/registry/packages/kubernetes/api-docs/helm/v3/release/
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

/** A Helm chart: name, exact version and repository. */
export interface ChartPin {
  readonly chart: string;
  readonly version: string;
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
      name: releaseName ?? pin.chart,
      chart: pin.chart,
      version: pin.version,
      repositoryOpts: { repo: pin.repo },
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
