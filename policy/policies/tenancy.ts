/**
 * Tenancy policies: stack policies that check every tenant namespace (a Namespace labelled
 * `toolkit.fluxcd.io/tenant`) carries its isolation boundary in the same stack: the Pod Security
 * `restricted` label, a default-deny NetworkPolicy, a ResourceQuota and a LimitRange.
 *
 * Namespaced objects are matched to a namespace through `props.metadata.namespace` (falling back to
 * the namespace of their Kubernetes provider); a namespace's name is `props.metadata.name`, or the
 * Pulumi resource name when it is auto-named.
 *
 * @see https://kubernetes.io/docs/concepts/security/multi-tenancy/
 */
import type {
  PolicyResource,
  ReportViolation,
  ResourceValidationPolicy,
  StackValidationPolicy,
} from "@pulumi/policy";
import {
  asArray,
  asObject,
  asStrings,
  cisFramework,
  eksBestPracticesFramework,
  isObject,
  parseKubernetesType,
  pssFramework,
} from "./kubernetes-workloads";

/** The label that marks a namespace as a tenant's (Flux multi-tenancy convention). */
const tenantLabel = "toolkit.fluxcd.io/tenant";
/** The Pod Security Admission label a tenant namespace must carry. */
const podSecurityEnforceLabel = "pod-security.kubernetes.io/enforce";

/** A tenant namespace found in the stack. */
export interface TenantNamespace {
  readonly name: string;
  readonly tenant: string;
  readonly urn: string;
  readonly labels: Record<string, unknown>;
  readonly annotations: Record<string, unknown>;
}

function isKind(r: PolicyResource, group: string, kind: string): boolean {
  const t = parseKubernetesType(r.type);
  return t !== undefined && t.group === group && t.kind === kind;
}

/** The name of a Namespace resource: `metadata.name`, or the Pulumi resource name when auto-named. */
function namespaceName(r: PolicyResource): string {
  const name = asObject(r.props["metadata"])["name"];
  return typeof name === "string" && name !== "" ? name : r.name;
}

/** The namespace a namespaced object lives in: `metadata.namespace`, else its provider's default namespace. */
export function namespaceOf(r: PolicyResource): string | undefined {
  const ns = asObject(r.props["metadata"])["namespace"];
  if (typeof ns === "string" && ns !== "") return ns;
  const providerNs = r.provider?.props?.["namespace"];
  return typeof providerNs === "string" && providerNs !== "" ? providerNs : undefined;
}

/** Every Namespace in the stack that carries the tenant label. */
export function tenantNamespaces(resources: readonly PolicyResource[]): TenantNamespace[] {
  return resources
    .filter((r) => isKind(r, "core", "Namespace"))
    .flatMap((r) => {
      const meta = asObject(r.props["metadata"]);
      const labels = asObject(meta["labels"]);
      const tenant = labels[tenantLabel];
      if (typeof tenant !== "string" || tenant === "") return [];
      return [
        { name: namespaceName(r), tenant, urn: r.urn, labels, annotations: asObject(meta["annotations"]) },
      ];
    });
}

/** Groupings already made, per stack (`args.resources`) and `group/kind`. */
const groupings = new WeakMap<readonly PolicyResource[], Map<string, Map<string, PolicyResource[]>>>();

/**
 * Resources of one kind grouped by namespace. Made once per stack and kind: the checks ask for every
 * tenant namespace, and scanning the stack again each time grew with namespaces × resources.
 */
function byNamespace(
  resources: readonly PolicyResource[],
  group: string,
  kind: string,
): Map<string, PolicyResource[]> {
  let kinds = groupings.get(resources);
  if (!kinds) groupings.set(resources, (kinds = new Map()));
  const cached = kinds.get(`${group}/${kind}`);
  if (cached) return cached;
  const out = new Map<string, PolicyResource[]>();
  for (const r of resources) {
    if (!isKind(r, group, kind)) continue;
    const ns = namespaceOf(r);
    if (ns === undefined) continue;
    const list = out.get(ns);
    if (list) list.push(r);
    else out.set(ns, [r]);
  }
  kinds.set(`${group}/${kind}`, out);
  return out;
}

/**
 * True when a NetworkPolicy spec denies all traffic to and from every pod: an empty podSelector
 * (`{}`), policyTypes containing both Ingress and Egress, and no ingress or egress rules.
 */
export function isDefaultDenyAll(spec: Record<string, unknown>): boolean {
  const selector = spec["podSelector"];
  // The API treats an omitted podSelector as the empty selector.
  const sel = selector === undefined || selector === null ? {} : selector;
  if (!isObject(sel)) return false;
  const selectsAll =
    Object.keys(asObject(sel["matchLabels"])).length === 0 && asArray(sel["matchExpressions"]).length === 0;
  const types = asStrings(spec["policyTypes"]);
  return (
    selectsAll &&
    types.includes("Ingress") &&
    types.includes("Egress") &&
    asArray(spec["ingress"]).length === 0 &&
    asArray(spec["egress"]).length === 0
  );
}

/** Builds a stack policy that checks each tenant namespace with `check` (returns a problem or nothing). */
function tenantNamespacePolicy(def: {
  readonly name: string;
  readonly description: string;
  readonly severity: "low" | "medium" | "high" | "critical";
  readonly framework: ResourceValidationPolicy["framework"];
  readonly tags: readonly string[];
  readonly remediationSteps: string;
  readonly url: string;
  readonly check: (ns: TenantNamespace, resources: readonly PolicyResource[]) => string | undefined;
}): StackValidationPolicy {
  return {
    name: def.name,
    description: def.description,
    severity: def.severity,
    ...(def.framework ? { framework: def.framework } : {}),
    tags: [...def.tags],
    remediationSteps: def.remediationSteps,
    url: def.url,
    validateStack: (args, report: ReportViolation) => {
      for (const ns of tenantNamespaces(args.resources)) {
        const problem = def.check(ns, args.resources);
        if (problem) report(`Tenant namespace "${ns.name}" (tenant ${ns.tenant}) ${problem}`, ns.urn);
      }
    },
  };
}

/** Tenant namespaces enforce the restricted Pod Security Standard through the admission label. */
export function tenantNamespacePodSecurityRestricted(): StackValidationPolicy {
  return tenantNamespacePolicy({
    name: "tenant-namespace-pod-security-restricted",
    description: `Tenant namespaces must carry the label ${podSecurityEnforceLabel}: restricted, so Pod Security Admission rejects unsafe pods.`,
    severity: "high",
    framework: pssFramework("Restricted", "Pod Security Admission namespace labels"),
    tags: ["kubernetes", "tenancy", "pod-security", "pss-restricted", "cis-k8s-5.2.1"],
    remediationSteps: `Add the label ${podSecurityEnforceLabel}: restricted (and the audit/warn labels) to the Namespace's metadata.labels.`,
    url: "https://kubernetes.io/docs/concepts/security/pod-security-admission/",
    check: (ns) => {
      const value = ns.labels[podSecurityEnforceLabel];
      if (value === "restricted") return undefined;
      const fix = `Set metadata.labels["${podSecurityEnforceLabel}"] to "restricted".`;
      if (value !== undefined) {
        return `has ${podSecurityEnforceLabel}: "${String(value)}", which admits pods that escalate privileges. ${fix}`;
      }
      if (ns.annotations[podSecurityEnforceLabel] !== undefined) {
        return (
          `sets ${podSecurityEnforceLabel} as an annotation, not a label. Pod Security Admission reads only ` +
          `labels, so the annotation enforces nothing. Move it to metadata.labels with the value "restricted".`
        );
      }
      return `has no ${podSecurityEnforceLabel} label, so pods are admitted under the cluster default (privileged on EKS). ${fix}`;
    },
  });
}

/** Tenant namespaces contain a default-deny-all NetworkPolicy. */
export function tenantNamespaceDefaultDeny(): StackValidationPolicy {
  return tenantNamespacePolicy({
    name: "tenant-namespace-default-deny",
    description:
      "Tenant namespaces must contain a default-deny NetworkPolicy (podSelector {}, policyTypes [Ingress, Egress], no rules).",
    severity: "high",
    framework: cisFramework("5.3.2", "Ensure that all Namespaces have Network Policies defined"),
    tags: ["kubernetes", "tenancy", "network", "cis-k8s-5.3.2", "cis-eks-4.3.2"],
    remediationSteps:
      "Add a NetworkPolicy `default-deny-all` in the namespace with podSelector: {}, policyTypes: [Ingress, Egress] and no ingress/egress rules; allow traffic with further policies.",
    url: "https://kubernetes.io/docs/concepts/services-networking/network-policies/#default-policies",
    check: (ns, resources) => {
      const policies = byNamespace(resources, "networking.k8s.io", "NetworkPolicy").get(ns.name) ?? [];
      if (policies.some((p) => isDefaultDenyAll(asObject(p.props["spec"])))) return undefined;
      const found =
        policies.length === 0
          ? "has no NetworkPolicy"
          : `has NetworkPolicies (${policies.map((p) => namespaceName(p)).join(", ")}) but none denies all ingress and egress`;
      return (
        `${found}. Without a default deny every pod accepts traffic from any namespace and can reach ` +
        `anything. Add a NetworkPolicy "default-deny-all" with podSelector: {}, policyTypes: [Ingress, Egress] ` +
        `and no ingress/egress rules, then allow the needed flows with separate policies.`
      );
    },
  });
}

/** Tenant namespaces contain a ResourceQuota. */
export function tenantNamespaceResourceQuota(): StackValidationPolicy {
  return tenantNamespacePolicy({
    name: "tenant-namespace-resource-quota",
    description:
      "Tenant namespaces must contain a ResourceQuota that caps the tenant's share of the cluster.",
    severity: "medium",
    framework: eksBestPracticesFramework(
      "Multi-tenancy: isolate tenants with quotas",
      "https://docs.aws.amazon.com/eks/latest/best-practices/tenant-isolation.html",
    ),
    tags: ["kubernetes", "tenancy", "resources", "eks-best-practices"],
    remediationSteps:
      "Add a ResourceQuota in the namespace (requests/limits for cpu and memory, pods, PVCs).",
    url: "https://kubernetes.io/docs/concepts/policy/resource-quotas/",
    check: (ns, resources) =>
      (byNamespace(resources, "core", "ResourceQuota").get(ns.name) ?? []).length > 0
        ? undefined
        : `has no ResourceQuota. Without one a single tenant can consume the whole cluster and starve the ` +
          `others. Add a ResourceQuota in the namespace (cpu/memory requests and limits, pods, PVCs).`,
  });
}

/** Tenant namespaces contain a LimitRange. */
export function tenantNamespaceLimitRange(): StackValidationPolicy {
  return tenantNamespacePolicy({
    name: "tenant-namespace-limit-range",
    description:
      "Tenant namespaces must contain a LimitRange that gives containers default requests and limits.",
    severity: "medium",
    framework: eksBestPracticesFramework(
      "Multi-tenancy: isolate tenants with limit ranges",
      "https://docs.aws.amazon.com/eks/latest/best-practices/tenant-isolation.html",
    ),
    tags: ["kubernetes", "tenancy", "resources", "eks-best-practices"],
    remediationSteps: "Add a LimitRange in the namespace with default and defaultRequest for cpu and memory.",
    url: "https://kubernetes.io/docs/concepts/policy/limit-range/",
    check: (ns, resources) =>
      (byNamespace(resources, "core", "LimitRange").get(ns.name) ?? []).length > 0
        ? undefined
        : `has no LimitRange. With a ResourceQuota in place, pods without requests and limits are rejected, ` +
          `and without a quota they run unbounded. Add a LimitRange with default and defaultRequest for cpu and memory.`,
  });
}

/** Every tenancy policy, in catalogue order. */
export const tenancyPolicies: (ResourceValidationPolicy | StackValidationPolicy)[] = [
  tenantNamespacePodSecurityRestricted(),
  tenantNamespaceDefaultDeny(),
  tenantNamespaceResourceQuota(),
  tenantNamespaceLimitRange(),
];
