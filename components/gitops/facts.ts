/**
 * Platform facts: values Pulumi knows and Git content needs (cluster name, region, account, VPC,
 * IAM role ARNs, hub endpoints). Pulumi writes them into the `platform-facts` ConfigMap in
 * `flux-system`; Flux substitutes `${key}` in Git content through `postBuild.substituteFrom`.
 * https://fluxcd.io/flux/components/kustomize/kustomizations/#post-build-variable-substitution
 */
import * as pulumi from "@pulumi/pulumi";

/**
 * Every key of the platform facts ConfigMap. Git content may only use these variables (a test
 * checks every `${VAR}` under gitops/). Flux variable names must match `^[_a-zA-Z][_a-zA-Z0-9]*$`.
 */
export const PLATFORM_FACT_KEYS = [
  /** EKS cluster name. */
  "cluster_name",
  /** `hub` or `spoke`. */
  "cluster_role",
  /** Pulumi stack name. */
  "stack_name",
  /** production, staging or development. */
  "environment",
  /** AWS region. */
  "aws_region",
  /** AWS account id. */
  "aws_account_id",
  /** VPC id. */
  "vpc_id",
  /** VPC CIDR block. */
  "vpc_cidr",
  /** The hub's EKS cluster name (on the hub: its own name). */
  "hub_cluster_name",
  /** IAM role of the hub's Flux kustomize-controller (hub only; "" on spokes). */
  "flux_role_arn",
  /** IAM role of the EBS CSI driver. */
  "ebs_csi_role_arn",
  /** IAM role of the EFS CSI driver. */
  "efs_csi_role_arn",
  /** EFS file system id (StorageClass `efs-sc`). */
  "efs_file_system_id",
  /** IAM role of Fluent Bit (if it needs AWS access). */
  "fluent_bit_role_arn",
  /** Prometheus remote-write URL on the hub. */
  "prometheus_remote_write_url",
  /** Elasticsearch URL on the hub. */
  "elasticsearch_url",
  /** Grafana URL on the hub. */
  "grafana_url",
  /** Kibana URL on the hub. */
  "kibana_url",
  /**
   * The stack's Helm chart mirror (`platform:chartMirror.url`), "" without one. Git content's
   * HelmRepositories use `${chart_mirror_url:=<upstream URL>}`: Flux substitutes the default when
   * the value is empty. https://fluxcd.io/flux/components/kustomize/kustomizations/#post-build-variable-substitution
   */
  "chart_mirror_url",
  /** `oci` for an `oci://` chart mirror, else "" (HelmRepository `spec.type: ${chart_mirror_type:=default}`). */
  "chart_mirror_type",
] as const;

export type PlatformFactKey = (typeof PLATFORM_FACT_KEYS)[number];

/** Facts as inputs; any key left out is written as "" so substitution never leaves `${var}` behind. */
export type PlatformFacts = Partial<Record<PlatformFactKey, pulumi.Input<string>>>;

/** Matches the Flux (envsubst) variables in text: `${var}` and `${var:=default}`. */
const FLUX_VARIABLE = /\$\{([_a-zA-Z][_a-zA-Z0-9]*)(?::?[-=][^}]*)?\}/g;

/** The variable names `${...}` used in a text (Flux post-build substitution syntax). */
export function fluxVariables(text: string): string[] {
  return [...new Set([...text.matchAll(FLUX_VARIABLE)].map((m) => m[1]))];
}

/** The full data of the facts ConfigMap: every known key, "" where no value is given. */
export function factsData(facts: PlatformFacts): Record<PlatformFactKey, pulumi.Input<string>> {
  const unknownKeys = Object.keys(facts).filter(
    (k) => !(PLATFORM_FACT_KEYS as readonly string[]).includes(k),
  );
  if (unknownKeys.length > 0)
    throw new Error(`unknown platform fact keys: ${unknownKeys.join(", ")} (add them to PLATFORM_FACT_KEYS)`);
  const data = {} as Record<PlatformFactKey, pulumi.Input<string>>;
  for (const key of PLATFORM_FACT_KEYS) data[key] = facts[key] ?? "";
  return data;
}
