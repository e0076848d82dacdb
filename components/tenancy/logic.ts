/**
 * Pure logic of the tenancy capability: naming, defaults, Kubernetes quantities, labels, the
 * NetworkPolicy specs and the IAM policy of an organization. No resources are created here, so
 * everything is tested without mocks.
 */
import type { PolicyDocument } from "../shared/aws";

/** A map of Kubernetes resource names (`requests.cpu`, `pods`) to quantities (`"4"`, `"8Gi"`). */
export type Quantities = Readonly<Record<string, string>>;

/**
 * Per-container defaults and bounds of a LimitRange.
 * https://kubernetes.io/docs/concepts/policy/limit-range/
 */
export interface ContainerLimits {
  /** Limits given to a container that sets none (`cpu`, `memory`). */
  readonly default: Quantities;
  /** Requests given to a container that sets none (`cpu`, `memory`). */
  readonly defaultRequest: Quantities;
  /** The largest limits a container may set (`cpu`, `memory`). */
  readonly max: Quantities;
}

/** A partial {@link ContainerLimits}, as a stack file writes it; merged over the defaults. */
export interface ContainerLimitsOverride {
  readonly default?: Quantities;
  readonly defaultRequest?: Quantities;
  readonly max?: Quantities;
}

/** One port of an egress allowlist entry. */
export interface EgressPort {
  /** Port number, 1-65535. */
  readonly port: number;
  /** @default "TCP" */
  readonly protocol?: "TCP" | "UDP";
}

/** One egress allowlist entry: destination CIDR blocks and the ports allowed to them. */
export interface EgressRule {
  /** Destination CIDR blocks (IPv4 or IPv6), e.g. `["10.0.0.0/16"]`. */
  readonly cidrs: readonly string[];
  /** Ports; empty means every port of the CIDR blocks. */
  readonly ports: readonly EgressPort[];
}

/** Pinned defaults of the tenancy capability (one place, DESIGN.md §5.6). */
export const tenancyDefaults = {
  /**
   * ResourceQuota of a tenant environment. No LoadBalancer or NodePort Services: tenants publish
   * through the shared ingress controller.
   * https://kubernetes.io/docs/concepts/policy/resource-quotas/
   */
  quota: {
    "requests.cpu": "4",
    "requests.memory": "8Gi",
    "limits.cpu": "8",
    "limits.memory": "16Gi",
    pods: "50",
    services: "20",
    "services.loadbalancers": "0",
    "services.nodeports": "0",
    persistentvolumeclaims: "10",
    "requests.storage": "100Gi",
  } as Quantities,
  /** LimitRange of a tenant environment, per container. https://kubernetes.io/docs/concepts/policy/limit-range/ */
  limits: {
    default: { cpu: "500m", memory: "512Mi" },
    defaultRequest: { cpu: "100m", memory: "128Mi" },
    max: { cpu: "2", memory: "4Gi" },
  } as ContainerLimits,
  /** Namespace of the shared ingress controller. */
  ingressNamespace: "ingress-nginx",
  /** Environment whose namespace is the bare organization name (numinia's convention). */
  productionEnvironment: "pro",
  /** Base directory of an organization in its Git repository (numinia-k8s layout); `<org>` is replaced. */
  gitPath: "./clusters/prod-cluster/organizations/<org>",
  /** Git branch of an organization's repository. */
  gitBranch: "main",
  /** Interval of the organization's GitRepository and Kustomization (Flux duration). */
  interval: "5m",
  /** ServiceAccount the org's Flux Kustomization impersonates. */
  reconcilerServiceAccount: "flux-reconciler",
  /** Built-in ClusterRole the reconciler ServiceAccount is bound to, in its namespace only. */
  reconcilerClusterRole: "admin",
  /** ServiceAccount bound to the org's Secrets Manager role (what numinia's charts use). */
  secretsServiceAccount: "aws-secret-manager-sa",
  /** Secret with the Git credentials (SSH deploy key) in each tenant namespace, for ssh:// URLs. */
  gitSecretName: "git-credentials",
  /** EKS access policy of an organization's principals. */
  accessPolicy: "AmazonEKSEditPolicy",
  /** Pod Security Standard enforced, audited and warned in tenant namespaces. */
  podSecurityLevel: "restricted",
  /** The EKS Pod Identity agent's link-local endpoints (IPv4, IPv6), TCP 80. https://docs.aws.amazon.com/eks/latest/userguide/pod-id-agent-setup.html */
  podIdentityAgentCidrs: ["169.254.170.23/32", "fd00:ec2::23/128"],
} as const;

/** Namespaces no organization may take. */
export const RESERVED_NAMESPACES: readonly string[] = [
  "default",
  "kube-system",
  "kube-public",
  "kube-node-lease",
  "flux-system",
  "monitoring",
  "logging",
];

// ---------------------------------------------------------------------------------------------
// Naming

/**
 * The namespace of an organization's environment, numinia style: `<org>` for the production
 * environment (`pro`), `<org>-<env>` otherwise; an explicit override wins.
 */
export function namespaceName(org: string, env: string, override?: string): string {
  if (override) return override;
  return env === tenancyDefaults.productionEnvironment ? org : `${org}-${env}`;
}

/**
 * The Flux Kustomization path of an environment: `<base>/<env>`, where base is the organization's
 * `gitRepository.path` or `./clusters/prod-cluster/organizations/<org>`; an explicit override wins.
 */
export function kustomizationPath(org: string, env: string, basePath?: string, override?: string): string {
  if (override) return override;
  const base = (basePath ?? tenancyDefaults.gitPath).replace(/<org>/g, org).replace(/\/+$/, "");
  return `${base}/${env}`;
}

/**
 * The labels of a tenant namespace (shared tenancy convention): the Flux tenant, the organization
 * and environment, and Pod Security Admission `restricted` for enforce, audit and warn, pinned to
 * the cluster's minor version. https://kubernetes.io/docs/concepts/security/pod-security-admission/
 * @param kubernetesVersion The cluster's minor version, e.g. `1.35` (label value `v1.35`).
 */
export function tenantLabels(org: string, env: string, kubernetesVersion: string): Record<string, string> {
  const version = kubernetesVersion.startsWith("v") ? kubernetesVersion : `v${kubernetesVersion}`;
  const labels: Record<string, string> = {
    "toolkit.fluxcd.io/tenant": org,
    "platform.io/organization": org,
    "platform.io/environment": env,
  };
  for (const mode of ["enforce", "audit", "warn"]) {
    labels[`pod-security.kubernetes.io/${mode}`] = tenancyDefaults.podSecurityLevel;
    labels[`pod-security.kubernetes.io/${mode}-version`] = version;
  }
  return labels;
}

// ---------------------------------------------------------------------------------------------
// Quantities and defaults

const QUANTITY = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E))?$/;

const SUFFIX: Record<string, number> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
};

/** True when `value` is a Kubernetes quantity (`4`, `500m`, `8Gi`, `1e3`). https://kubernetes.io/docs/reference/kubernetes-api/common-definitions/quantity/ */
export function isQuantity(value: string): boolean {
  return QUANTITY.test(value);
}

/** The numeric value of a Kubernetes quantity (`"500m"` -> 0.5, `"1Gi"` -> 1073741824); NaN if invalid. */
export function parseQuantity(value: string): number {
  const match = QUANTITY.exec(value);
  if (!match) return Number.NaN;
  const [, sign, digits, exponent, suffix] = match;
  const base = Number(digits) * (sign === "-" ? -1 : 1);
  if (exponent) return base * 10 ** Number(exponent.slice(1));
  return suffix ? base * SUFFIX[suffix] : base;
}

/** A ResourceQuota's `hard` map: the defaults, then the stack-wide defaults, then the environment's. */
export function mergeQuota(...layers: (Quantities | undefined)[]): Record<string, string> {
  return Object.assign({}, tenancyDefaults.quota, ...layers.filter(Boolean));
}

/** A LimitRange's container limits: the defaults, then each layer, merged per field. */
export function mergeLimits(...layers: (ContainerLimitsOverride | undefined)[]): ContainerLimits {
  const result = {
    default: { ...tenancyDefaults.limits.default },
    defaultRequest: { ...tenancyDefaults.limits.defaultRequest },
    max: { ...tenancyDefaults.limits.max },
  };
  for (const layer of layers) {
    if (!layer) continue;
    Object.assign(result.default, layer.default);
    Object.assign(result.defaultRequest, layer.defaultRequest);
    Object.assign(result.max, layer.max);
  }
  return result;
}

/**
 * The first inconsistency of container limits (`defaultRequest` <= `default` <= `max` per
 * resource), as `field.resource` and a reason, or undefined when consistent.
 */
export function limitsProblem(limits: ContainerLimits): { field: string; reason: string } | undefined {
  const pairs: [keyof ContainerLimits, keyof ContainerLimits][] = [
    ["defaultRequest", "default"],
    ["default", "max"],
    ["defaultRequest", "max"],
  ];
  for (const [low, high] of pairs) {
    for (const [resource, lowValue] of Object.entries(limits[low])) {
      const highValue = limits[high][resource];
      if (highValue === undefined) continue;
      if (parseQuantity(lowValue) > parseQuantity(highValue)) {
        return {
          field: `${low}.${resource}`,
          reason: `${low}.${resource} (${lowValue}) at most ${high}.${resource} (${highValue})`,
        };
      }
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// NetworkPolicy specs (https://kubernetes.io/docs/concepts/services-networking/network-policies/)

type Selector = { matchLabels?: Record<string, string> };
/** A NetworkPolicy peer. */
export interface NetworkPolicyPeer {
  podSelector?: Selector;
  namespaceSelector?: Selector;
  ipBlock?: { cidr: string };
}
/** A NetworkPolicy port. */
export interface NetworkPolicyPort {
  protocol: "TCP" | "UDP";
  port: number;
}

/** A NetworkPolicy: its name and spec. */
export interface NetworkPolicySpec {
  readonly name: string;
  readonly spec: {
    podSelector: Selector;
    policyTypes: ("Ingress" | "Egress")[];
    ingress?: { from: NetworkPolicyPeer[]; ports?: NetworkPolicyPort[] }[];
    egress?: { to: NetworkPolicyPeer[]; ports?: NetworkPolicyPort[] }[];
  };
}

/** Options of {@link networkPolicies}. */
export interface NetworkPolicyOptions {
  /** Namespaces of the ingress controllers allowed in (e.g. `ingress-nginx`). */
  readonly ingressNamespaces: readonly string[];
  /** Extra egress destinations. */
  readonly egressAllowlist: readonly EgressRule[];
  /** Allow the EKS Pod Identity agent (when the organization has a Secrets Manager role). */
  readonly podIdentityAgent: boolean;
  /** The cluster's trace collector, allowed out on its OTLP ports (when tracing is on). @default none */
  readonly traceCollector?: TraceCollectorPeer;
}

/** The pods that receive a cluster's traces (OTLP): their namespace, pod labels and ports. */
export interface TraceCollectorPeer {
  /** Namespace of the collector (matched by `kubernetes.io/metadata.name`). */
  readonly namespace: string;
  /** Labels of the collector's pods. */
  readonly podLabels: Readonly<Record<string, string>>;
  /** OTLP ports (TCP), e.g. 4317 (gRPC) and 4318 (HTTP). */
  readonly ports: readonly number[];
}

const byName = (name: string) => ({ matchLabels: { "kubernetes.io/metadata.name": name } });

/**
 * The NetworkPolicies of a tenant namespace: `default-deny-all` (podSelector {}, both policy
 * types, no rules), then the explicit allows: DNS to kube-dns, traffic within the namespace, the
 * ingress controller in, the Pod Identity agent, the trace collector's OTLP ports and the configured
 * egress allowlist out.
 */
export function networkPolicies(options: NetworkPolicyOptions): NetworkPolicySpec[] {
  const policies: NetworkPolicySpec[] = [
    { name: "default-deny-all", spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] } },
    {
      name: "allow-dns-egress",
      spec: {
        podSelector: {},
        policyTypes: ["Egress"],
        egress: [
          {
            to: [
              {
                namespaceSelector: byName("kube-system"),
                podSelector: { matchLabels: { "k8s-app": "kube-dns" } },
              },
            ],
            ports: [
              { protocol: "UDP", port: 53 },
              { protocol: "TCP", port: 53 },
            ],
          },
        ],
      },
    },
    {
      name: "allow-same-namespace",
      spec: {
        podSelector: {},
        policyTypes: ["Ingress", "Egress"],
        ingress: [{ from: [{ podSelector: {} }] }],
        egress: [{ to: [{ podSelector: {} }] }],
      },
    },
    {
      name: "allow-ingress-controller",
      spec: {
        podSelector: {},
        policyTypes: ["Ingress"],
        ingress: [{ from: options.ingressNamespaces.map((ns) => ({ namespaceSelector: byName(ns) })) }],
      },
    },
  ];
  if (options.podIdentityAgent) {
    policies.push({
      name: "allow-pod-identity-agent",
      spec: {
        podSelector: {},
        policyTypes: ["Egress"],
        egress: [
          {
            to: tenancyDefaults.podIdentityAgentCidrs.map((cidr) => ({ ipBlock: { cidr } })),
            ports: [{ protocol: "TCP", port: 80 }],
          },
        ],
      },
    });
  }
  if (options.traceCollector) {
    const collector = options.traceCollector;
    policies.push({
      name: "allow-trace-export",
      spec: {
        podSelector: {},
        policyTypes: ["Egress"],
        egress: [
          {
            to: [
              {
                namespaceSelector: byName(collector.namespace),
                podSelector: { matchLabels: { ...collector.podLabels } },
              },
            ],
            ports: collector.ports.map((port) => ({ protocol: "TCP", port })),
          },
        ],
      },
    });
  }
  if (options.egressAllowlist.length > 0) {
    policies.push({
      name: "allow-egress-allowlist",
      spec: {
        podSelector: {},
        policyTypes: ["Egress"],
        egress: options.egressAllowlist.map((rule) => {
          const to = rule.cidrs.map((cidr) => ({ ipBlock: { cidr } }));
          if (rule.ports.length === 0) return { to };
          return { to, ports: rule.ports.map((p) => ({ protocol: p.protocol ?? "TCP", port: p.port })) };
        }),
      },
    });
  }
  return policies;
}

// ---------------------------------------------------------------------------------------------
// IAM

/**
 * Least-privilege Secrets Manager read access: `GetSecretValue` and `DescribeSecret` on the given
 * secret ARN prefixes only. https://docs.aws.amazon.com/secretsmanager/latest/userguide/auth-and-access_iam-policies.html
 */
export function secretsReadPolicy(secretArnPrefixes: readonly string[]): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "ReadOrganizationSecrets",
        Effect: "Allow",
        Action: ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
        Resource: [...secretArnPrefixes],
      },
    ],
  };
}

/** A kustomize patch of a Flux Kustomization (`spec.patches[]`). https://fluxcd.io/flux/components/kustomize/kustomizations/#patches */
export interface TenantPatch {
  readonly patch: string;
  readonly target: Readonly<Record<string, string>>;
}

/**
 * What a tenant environment's Flux Kustomization drops from, and sets on, the objects it applies
 * (docs/architecture.md, "Who owns what for an adopted repository"):
 * - Namespace objects are dropped: the platform owns tenant namespaces (labels, Pod Security), and
 *   the tenant's reconciler, admin in its namespace only, could not apply one anyway;
 * - every HelmRelease runs as the tenant's reconciler (`spec.serviceAccountName`): the lockdown
 *   would otherwise impersonate the namespace's `default` account, which may do nothing;
 * - with `chartSourceNamespace`, every HelmRelease takes its chart source
 *   (`spec.chart.spec.sourceRef`) from that namespace, where the platform creates the
 *   organization's chart GitRepositories: the lockdown refuses a source in another namespace
 *   (the repository's `flux-system/...`).
 * https://fluxcd.io/flux/installation/configuration/multitenancy/
 */
export function tenantSyncPatches(options: {
  /** ServiceAccount the tenant's Flux objects run as. */
  readonly serviceAccountName: string;
  /** Namespace of the chart sources (the tenant namespace), when the platform provides them there. */
  readonly chartSourceNamespace?: string;
}): TenantPatch[] {
  const helmRelease = [
    "apiVersion: helm.toolkit.fluxcd.io/v2",
    "kind: HelmRelease",
    "metadata:",
    "  name: any",
    "spec:",
    `  serviceAccountName: ${options.serviceAccountName}`,
  ];
  if (options.chartSourceNamespace)
    helmRelease.push(
      "  chart:",
      "    spec:",
      "      sourceRef:",
      `        namespace: ${options.chartSourceNamespace}`,
    );
  return [
    {
      target: { kind: "Namespace" },
      patch: ["$patch: delete", "apiVersion: v1", "kind: Namespace", "metadata:", "  name: drop", ""].join(
        "\n",
      ),
    },
    {
      target: { group: "helm.toolkit.fluxcd.io", kind: "HelmRelease" },
      patch: `${helmRelease.join("\n")}\n`,
    },
  ];
}
