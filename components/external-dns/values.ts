/**
 * Pure logic of the ExternalDNS add-on: the pinned chart per Kubernetes version, its Route 53
 * policy limited to the configured zones, and the Helm values. Value keys follow the chart's
 * values.yaml at the pinned version.
 * https://kubernetes-sigs.github.io/external-dns/
 */
import type { PolicyDocument } from "../shared/aws";
import type { ChartPin } from "../shared/helm";
import { restrictedContainer } from "../shared/kubernetes";

/** The ExternalDNS chart for each Kubernetes minor version. */
export const EXTERNAL_DNS_VERSIONS: Readonly<Record<string, string>> = {
  "1.34": "1.21.1",
  "1.35": "1.21.1",
};

/**
 * The pinned external-dns chart for a Kubernetes version.
 * @throws Error naming the version and the supported ones when none is pinned.
 */
export function externalDnsChart(kubernetesVersion: string): ChartPin {
  const version = EXTERNAL_DNS_VERSIONS[kubernetesVersion];
  if (!version) {
    throw new Error(
      `Kubernetes ${kubernetesVersion} has no pinned ExternalDNS version (supported: ${Object.keys(EXTERNAL_DNS_VERSIONS).join(", ")})`,
    );
  }
  return { chart: "external-dns", version, repo: "https://kubernetes-sigs.github.io/external-dns/" };
}

/** Module defaults of the add-on. */
export const externalDnsDefaults = {
  namespace: "external-dns",
  /** Its ServiceAccount, the subject of the Pod Identity association. */
  serviceAccount: "external-dns",
  resources: { requests: { cpu: "20m", memory: "64Mi" }, limits: { memory: "256Mi" } },
  /** Kubernetes sources it publishes records for. */
  sources: ["service", "ingress"],
  /**
   * The region Route 53's control plane signs requests for (a global service served from
   * us-east-1): the bound of the one statement that must name `Resource: "*"`.
   */
  route53Region: "us-east-1",
} as const;

/** A Route 53 hosted zone: its id and its domain. */
export interface DnsZone {
  /** Hosted zone id, e.g. `Z0123456789ABCDEFGHIJ`. */
  readonly id: string;
  /** The zone's domain, e.g. `numinia.xyz`. */
  readonly name: string;
}

/**
 * ExternalDNS's Route 53 policy: record changes and reads only in the configured zones; listing
 * zones (no resource-level permissions) only through Route 53's us-east-1 control plane.
 * https://kubernetes-sigs.github.io/external-dns/latest/docs/tutorials/aws/#iam-policy
 */
export function externalDnsPolicy(partition: string, zones: readonly DnsZone[]): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "RecordsInConfiguredZones",
        Effect: "Allow",
        Action: [
          "route53:ChangeResourceRecordSets",
          "route53:ListResourceRecordSets",
          "route53:ListTagsForResources",
        ],
        Resource: zones.map((z) => `arn:${partition}:route53:::hostedzone/${z.id}`),
      },
      {
        Sid: "ListZones",
        Effect: "Allow",
        Action: "route53:ListHostedZones",
        Resource: "*",
        Condition: { StringEquals: { "aws:RequestedRegion": externalDnsDefaults.route53Region } },
      },
    ],
  };
}

/** Values of the external-dns chart. */
export function externalDnsValues(args: {
  region: string;
  zones: readonly DnsZone[];
  txtOwnerId: string;
  policy: "upsert-only" | "sync";
}): Record<string, unknown> {
  return {
    provider: { name: "aws" },
    env: [{ name: "AWS_DEFAULT_REGION", value: args.region }],
    sources: [...externalDnsDefaults.sources],
    policy: args.policy,
    registry: "txt",
    txtOwnerId: args.txtOwnerId,
    domainFilters: args.zones.map((z) => z.name),
    extraArgs: args.zones.map((z) => `--zone-id-filter=${z.id}`),
    serviceAccount: { create: true, name: externalDnsDefaults.serviceAccount },
    resources: externalDnsDefaults.resources,
    securityContext: { ...restrictedContainer, runAsUser: 65532, runAsGroup: 65532 },
    tolerations: [{ key: "CriticalAddonsOnly", operator: "Exists" }],
  };
}
