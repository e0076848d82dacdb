/**
 * Pure logic of the cert-manager add-on: the pinned chart per Kubernetes version, the Route 53
 * policy of its DNS-01 solver, the Helm values and the ACME ClusterIssuers. Value keys follow the
 * chart's values.yaml at the pinned version.
 * https://cert-manager.io/docs/
 */
import type { PolicyDocument } from "../shared/aws";
import type { ChartPin } from "../shared/helm";
import { replicasFor } from "../shared/kubernetes";

/** The cert-manager release for each Kubernetes minor version. https://cert-manager.io/docs/releases/ */
export const CERT_MANAGER_VERSIONS: Readonly<Record<string, string>> = {
  "1.34": "v1.21.1",
  "1.35": "v1.21.1",
};

/**
 * The pinned cert-manager chart for a Kubernetes version.
 * @throws Error naming the version and the supported ones when none is pinned.
 */
export function certManagerChart(kubernetesVersion: string): ChartPin {
  const version = CERT_MANAGER_VERSIONS[kubernetesVersion];
  if (!version) {
    throw new Error(
      `Kubernetes ${kubernetesVersion} has no pinned cert-manager version (supported: ${Object.keys(CERT_MANAGER_VERSIONS).join(", ")})`,
    );
  }
  return { chart: "cert-manager", version, repo: "https://charts.jetstack.io" };
}

/** Module defaults of the add-on. */
export const certManagerDefaults = {
  namespace: "cert-manager",
  /** The controller's ServiceAccount, the subject of the Pod Identity association. */
  serviceAccount: "cert-manager",
  resources: { requests: { cpu: "50m", memory: "128Mi" }, limits: { memory: "512Mi" } },
  /** Let's Encrypt's ACME directories. https://letsencrypt.org/docs/staging-environment/ */
  acmeServers: {
    letsencrypt: "https://acme-v02.api.letsencrypt.org/directory",
    "letsencrypt-staging": "https://acme-staging-v02.api.letsencrypt.org/directory",
  },
} as const;

/** A Route 53 hosted zone: its id and its domain. */
export interface HostedZone {
  /** Hosted zone id, e.g. `Z0123456789ABCDEFGHIJ`. */
  readonly id: string;
  /** The zone's domain, e.g. `numinia.xyz`. */
  readonly name: string;
}

/**
 * The DNS-01 solver's Route 53 policy: read change status, and write only `_acme-challenge` TXT
 * records in the configured zones (no `ListHostedZonesByName`: every solver names its zone id).
 * https://cert-manager.io/docs/configuration/acme/dns01/route53/#set-up-an-iam-policy
 */
export function certManagerPolicy(partition: string, zones: readonly HostedZone[]): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "ChangeStatus",
        Effect: "Allow",
        Action: "route53:GetChange",
        Resource: `arn:${partition}:route53:::change/*`,
      },
      {
        Sid: "AcmeChallengeRecords",
        Effect: "Allow",
        Action: ["route53:ChangeResourceRecordSets", "route53:ListResourceRecordSets"],
        Resource: zones.map((z) => `arn:${partition}:route53:::hostedzone/${z.id}`),
        Condition: {
          "ForAllValues:StringEquals": { "route53:ChangeResourceRecordSetsRecordTypes": ["TXT"] },
          "ForAllValues:StringLike": {
            "route53:ChangeResourceRecordSetsNormalizedRecordNames": ["_acme-challenge.*"],
          },
        },
      },
    ],
  };
}

/** Values of the cert-manager chart: CRDs kept on uninstall, on the system nodes, HA in production. */
export function certManagerValues(args: {
  production: boolean;
  /** The chart's ServiceMonitor (`prometheus.servicemonitor`). @default false */
  serviceMonitor?: boolean;
}): Record<string, unknown> {
  const replicas = replicasFor(args.production);
  const tolerations = [{ key: "CriticalAddonsOnly", operator: "Exists" }];
  return {
    crds: { enabled: true, keep: true },
    replicaCount: replicas,
    podDisruptionBudget: { enabled: replicas > 1 },
    serviceAccount: { create: true, name: certManagerDefaults.serviceAccount },
    resources: certManagerDefaults.resources,
    tolerations,
    webhook: { replicaCount: replicas, podDisruptionBudget: { enabled: replicas > 1 }, tolerations },
    cainjector: { replicaCount: replicas, podDisruptionBudget: { enabled: replicas > 1 }, tolerations },
    startupapicheck: { tolerations },
    prometheus: { enabled: true, servicemonitor: { enabled: args.serviceMonitor ?? false } },
  };
}

/**
 * An ACME ClusterIssuer solving DNS-01 through Route 53 with the controller's ambient (Pod Identity)
 * credentials: one solver per hosted zone, selected by the zone's domain.
 * https://cert-manager.io/docs/configuration/acme/dns01/route53/
 */
export function acmeClusterIssuerSpec(args: {
  name: keyof typeof certManagerDefaults.acmeServers;
  email: string;
  region: string;
  zones: readonly HostedZone[];
}): Record<string, unknown> {
  return {
    acme: {
      server: certManagerDefaults.acmeServers[args.name],
      email: args.email,
      privateKeySecretRef: { name: `${args.name}-account-key` },
      solvers: args.zones.map((zone) => ({
        selector: { dnsZones: [zone.name] },
        dns01: { route53: { region: args.region, hostedZoneID: zone.id } },
      })),
    },
  };
}
