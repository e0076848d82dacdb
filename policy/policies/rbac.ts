/**
 * RBAC policies (CIS Kubernetes Benchmark 5.1.x; CIS EKS Benchmark 4.1.x): cluster-admin bindings,
 * wildcard rules, cluster-wide secret reads and the privilege-escalation verbs bind/escalate/impersonate.
 *
 * Allowlists live in each policy's config (`configSchema`, with defaults). Entries may use `*` as a glob
 * (`crd-controller-*`). Role names are written `namespace/name`, ClusterRole names `name`, subjects
 * `Kind:name` (`Group:system:masters`, `User:alice`) and `ServiceAccount:namespace/name`.
 *
 * @see https://kubernetes.io/docs/concepts/security/rbac-good-practices/
 */
import type { PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import {
  asArray,
  asObject,
  asStrings,
  cisFramework,
  objectName,
  parseKubernetesType,
} from "./kubernetes-workloads";
import { namespaceOf, tenantNamespaces } from "./tenancy";

const rbacGroup = "rbac.authorization.k8s.io";
const rbacUrl = "https://kubernetes.io/docs/concepts/security/rbac-good-practices/";

/** Which RBAC kind a type token is, or undefined. Any version of rbac.authorization.k8s.io counts. */
function rbacKind(type: string): "Role" | "ClusterRole" | "RoleBinding" | "ClusterRoleBinding" | undefined {
  const t = parseKubernetesType(type);
  if (!t || t.group !== rbacGroup) return undefined;
  return t.kind === "Role" ||
    t.kind === "ClusterRole" ||
    t.kind === "RoleBinding" ||
    t.kind === "ClusterRoleBinding"
    ? t.kind
    : undefined;
}

/** True when `value` matches one of the allowlist entries (`*` is a glob). */
export function matchesAllowlist(value: string, allowlist: readonly string[]): boolean {
  return allowlist.some((entry) => {
    if (!entry.includes("*")) return entry === value;
    const re = new RegExp(
      `^${entry
        .split("*")
        .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
        .join(".*")}$`,
    );
    return re.test(value);
  });
}

/** The id of an RBAC subject: `Group:system:masters`, `User:alice`, `ServiceAccount:flux-system/helm-controller`. */
export function subjectId(subject: Record<string, unknown>, bindingNamespace?: string): string {
  const kind = typeof subject["kind"] === "string" ? subject["kind"] : "?";
  const name = typeof subject["name"] === "string" ? subject["name"] : "?";
  if (kind === "ServiceAccount") {
    const ns = typeof subject["namespace"] === "string" ? subject["namespace"] : (bindingNamespace ?? "?");
    return `ServiceAccount:${ns}/${name}`;
  }
  return `${kind}:${name}`;
}

/** The rules of a Role or ClusterRole (each one a plain object). */
function rulesOf(props: Record<string, unknown>): Record<string, unknown>[] {
  return asArray(props["rules"]).map(asObject);
}

/** The name used in allowlists: `name` for cluster-scoped objects, `namespace/name` for namespaced ones. */
function rbacName(props: Record<string, unknown>, resourceName: string): string {
  return objectName(props, resourceName);
}

/** Which of verbs/resources/apiGroups hold `*` in a rule. */
function wildcardFields(rule: Record<string, unknown>): string[] {
  return ["verbs", "resources", "apiGroups"].filter((f) => asStrings(rule[f]).includes("*"));
}

/** Wildcard findings for every rule of a role, as message fragments. */
function wildcardProblems(props: Record<string, unknown>): string[] {
  return rulesOf(props).flatMap((rule, i) => {
    const fields = wildcardFields(rule);
    return fields.length === 0 ? [] : [`rules[${i}] has "*" in ${fields.join(", ")}`];
  });
}

const wildcardWhy =
  "A wildcard grants every current and future verb, resource or API group (including ones added by new CRDs), " +
  "which is how least privilege silently turns into cluster-admin.";

// ---------------------------------------------------------------------------------------------------

/** ServiceAccount name of the platform's Flux infrastructure reconcilers (components/gitops, `platform:gitops.infrastructureNamespaces`). */
const fluxInfrastructureAccount = "flux-infrastructure";
/** Label the platform puts on a Flux infrastructure reconciler's objects. */
const fluxInfrastructureLabel = ["app.kubernetes.io/part-of", "flux-infrastructure"] as const;

/**
 * True for the subject of a Flux infrastructure reconciler binding: a ClusterRoleBinding labelled
 * `app.kubernetes.io/part-of: flux-infrastructure` to the `flux-infrastructure` ServiceAccount of
 * a namespace. `flux-infrastructure-reconcilers` judges those; `no-cluster-admin-binding` leaves them to it.
 */
function isFluxInfrastructureSubject(
  kind: string | undefined,
  binding: Record<string, unknown>,
  subject: Record<string, unknown>,
): boolean {
  const labels = asObject(asObject(binding["metadata"])["labels"]);
  return (
    kind === "ClusterRoleBinding" &&
    labels[fluxInfrastructureLabel[0]] === fluxInfrastructureLabel[1] &&
    subject["kind"] === "ServiceAccount" &&
    subject["name"] === fluxInfrastructureAccount &&
    typeof subject["namespace"] === "string"
  );
}

/**
 * The Flux infrastructure reconcilers (one per namespace of the stack setting
 * `platform:gitops.infrastructureNamespaces`): cluster-admin for the repository's platform-level HelmReleases
 * in that namespace. Fires when such an account lives in flux-system or a tenant namespace (a
 * tenant's HelmReleases would install as cluster-admin) or in a namespace the policy's
 * `allowedNamespaces` does not list.
 */
export function fluxInfrastructureReconcilers(): StackValidationPolicy {
  return {
    name: "flux-infrastructure-reconcilers",
    description:
      "Flux infrastructure reconcilers (cluster-admin for the repository's platform-level HelmReleases) only in allowed, non-tenant namespaces.",
    severity: "high",
    framework: cisFramework("5.1.1", "Ensure that the cluster-admin role is only used where it is required"),
    tags: ["kubernetes", "rbac", "flux", "tenancy", "cis-k8s-5.1.1"],
    remediationSteps:
      "Remove the namespace from the stack's platform:gitops.infrastructureNamespaces, or add it to this policy's allowedNamespaces if its releases must install cluster-wide charts.",
    url: "https://fluxcd.io/flux/installation/configuration/multitenancy/",
    configSchema: {
      properties: {
        allowedNamespaces: {
          type: "array",
          items: { type: "string" },
          default: ["*"],
          description:
            "Namespaces whose Flux infrastructure reconciler may hold cluster-admin (`*` globs); flux-system and tenant namespaces never may.",
        },
      },
    },
    validateStack: (args, report) => {
      const allowed = args.getConfig<{ allowedNamespaces?: string[] }>().allowedNamespaces ?? ["*"];
      const tenants = new Set(tenantNamespaces(args.resources).map((n) => n.name));
      for (const b of args.resources) {
        const kind = rbacKind(b.type);
        for (const s of asArray(b.props["subjects"]).map(asObject)) {
          if (!isFluxInfrastructureSubject(kind, b.props, s)) continue;
          const ns = s["namespace"] as string;
          const why =
            ns === "flux-system"
              ? "flux-system is the platform's own namespace"
              : tenants.has(ns)
                ? `"${ns}" is a tenant namespace: the tenant's HelmReleases would install as cluster-admin`
                : !matchesAllowlist(ns, allowed)
                  ? `"${ns}" is not in this policy's allowedNamespaces (${allowed.join(", ")})`
                  : undefined;
          if (why === undefined) continue;
          report(
            `ClusterRoleBinding "${rbacName(b.props, b.name)}" gives the Flux infrastructure reconciler ` +
              `ServiceAccount:${ns}/${fluxInfrastructureAccount} cluster-admin, but ${why}. Remove "${ns}" from ` +
              `the stack's platform:gitops.infrastructureNamespaces.`,
            b.urn,
          );
        }
      }
    },
  };
}

/** No binding to cluster-admin except for allowlisted subjects (CIS 5.1.1); Flux infrastructure reconcilers are judged by `flux-infrastructure-reconcilers`. */
export function noClusterAdminBinding(): ResourceValidationPolicy {
  return {
    name: "no-cluster-admin-binding",
    description:
      "ClusterRoleBindings and RoleBindings must not grant the cluster-admin ClusterRole except to allowlisted subjects (CIS 5.1.1).",
    severity: "critical",
    framework: cisFramework("5.1.1", "Ensure that the cluster-admin role is only used where it is required"),
    tags: ["kubernetes", "rbac", "cis-k8s-5.1.1", "cis-eks-4.1.1"],
    remediationSteps:
      "Bind a narrower role (admin, edit or a custom Role), or add the subject to allowedSubjects if it really needs cluster-admin.",
    url: rbacUrl,
    configSchema: {
      properties: {
        allowedSubjects: {
          type: "array",
          items: { type: "string" },
          default: ["Group:system:masters"],
          description:
            "Subjects that may hold cluster-admin: `Group:name`, `User:name`, `ServiceAccount:namespace/name` (`*` globs).",
        },
      },
    },
    validateResource: (args, report) => {
      const kind = rbacKind(args.type);
      if (kind !== "RoleBinding" && kind !== "ClusterRoleBinding") return;
      const roleRef = asObject(args.props["roleRef"]);
      if (roleRef["kind"] !== "ClusterRole" || roleRef["name"] !== "cluster-admin") return;
      const allowed = args.getConfig<{ allowedSubjects?: string[] }>().allowedSubjects ?? [
        "Group:system:masters",
      ];
      const ns = asObject(args.props["metadata"])["namespace"];
      const offending = asArray(args.props["subjects"])
        .filter((s) => !isFluxInfrastructureSubject(kind, args.props, asObject(s)))
        .map((s) => subjectId(asObject(s), typeof ns === "string" ? ns : undefined))
        .filter((id) => !matchesAllowlist(id, allowed));
      if (offending.length === 0) return;
      const scope =
        kind === "ClusterRoleBinding" ? "the whole cluster" : `everything in namespace "${String(ns)}"`;
      report(
        `${kind} "${rbacName(args.props, args.name)}" grants cluster-admin to ${offending.join(", ")}. ` +
          `cluster-admin is unrestricted control over ${scope}; a leaked credential of that subject is a ` +
          `full compromise. Bind a narrower role (admin, edit or a custom Role), or add the subject to this ` +
          `policy's allowedSubjects config if it really needs cluster-admin.`,
      );
    },
  };
}

/** No wildcards in ClusterRoles except allowlisted ones (CIS 5.1.3). */
export function noWildcardClusterRoles(): ResourceValidationPolicy {
  return {
    name: "no-wildcard-cluster-roles",
    description:
      "ClusterRoles must list verbs, resources and API groups explicitly, not with `*`, unless allowlisted (CIS 5.1.3).",
    severity: "high",
    framework: cisFramework("5.1.3", "Minimize wildcard use in Roles and ClusterRoles"),
    tags: ["kubernetes", "rbac", "cis-k8s-5.1.3", "cis-eks-4.1.3"],
    remediationSteps:
      "Replace each `*` with the explicit verbs, resources and API groups needed, or allowlist the ClusterRole.",
    url: rbacUrl,
    configSchema: {
      properties: {
        allowedClusterRoles: {
          type: "array",
          items: { type: "string" },
          default: [],
          description:
            "ClusterRole names that may use wildcards (`*` globs), e.g. operators owning their CRDs.",
        },
      },
    },
    validateResource: (args, report) => {
      if (rbacKind(args.type) !== "ClusterRole") return;
      const name = rbacName(args.props, args.name);
      const allowed = args.getConfig<{ allowedClusterRoles?: string[] }>().allowedClusterRoles ?? [];
      if (matchesAllowlist(name, allowed)) return;
      const problems = wildcardProblems(args.props);
      if (problems.length === 0) return;
      report(
        `ClusterRole "${name}": ${problems.join("; ")}. ${wildcardWhy} List the verbs, resources and API ` +
          `groups explicitly, or add "${name}" to this policy's allowedClusterRoles config.`,
      );
    },
  };
}

/**
 * No wildcards in RBAC granted to tenants (CIS 5.1.3): every Role in a tenant namespace, and every
 * ClusterRole in the stack that a RoleBinding in a tenant namespace, or a ClusterRoleBinding to a
 * ServiceAccount of a tenant namespace, refers to. The built-in `cluster-admin` counts as a wildcard role.
 * The ClusterRole allowlist of `no-wildcard-cluster-roles` does not apply here: tenants never get wildcards.
 */
export function noWildcardRbacForTenants(): StackValidationPolicy {
  return {
    name: "no-wildcard-rbac-for-tenants",
    description:
      "Roles in tenant namespaces, and ClusterRoles bound to tenants, must not use `*` in verbs, resources or API groups (CIS 5.1.3).",
    severity: "high",
    framework: cisFramework("5.1.3", "Minimize wildcard use in Roles and ClusterRoles"),
    tags: ["kubernetes", "rbac", "tenancy", "cis-k8s-5.1.3", "cis-eks-4.1.3"],
    remediationSteps:
      "Give tenants explicit rules (or bind the built-in admin/edit ClusterRoles) instead of wildcard rules.",
    url: rbacUrl,
    validateStack: (args, report) => {
      const tenants = new Set(tenantNamespaces(args.resources).map((n) => n.name));
      if (tenants.size === 0) return;
      const fix =
        "Give tenants explicit rules, or bind the built-in admin or edit ClusterRole in their namespace.";

      for (const r of args.resources) {
        if (rbacKind(r.type) !== "Role") continue;
        const ns = namespaceOf(r);
        if (ns === undefined || !tenants.has(ns)) continue;
        const problems = wildcardProblems(r.props);
        if (problems.length > 0) {
          report(
            `Role "${rbacName(r.props, r.name)}" in tenant namespace "${ns}": ${problems.join("; ")}. ${wildcardWhy} ${fix}`,
            r.urn,
          );
        }
      }

      const clusterRoles = new Map<string, PolicyResource>();
      for (const r of args.resources) {
        if (rbacKind(r.type) === "ClusterRole") clusterRoles.set(rbacName(r.props, r.name), r);
      }
      for (const b of args.resources) {
        const kind = rbacKind(b.type);
        if (kind !== "RoleBinding" && kind !== "ClusterRoleBinding") continue;
        const roleRef = asObject(b.props["roleRef"]);
        if (roleRef["kind"] !== "ClusterRole" || typeof roleRef["name"] !== "string") continue;
        const bindingNs = namespaceOf(b);
        let tenantScope: string | undefined;
        if (kind === "RoleBinding") {
          if (bindingNs !== undefined && tenants.has(bindingNs)) tenantScope = `namespace "${bindingNs}"`;
        } else {
          const tenantSubjects = asArray(b.props["subjects"])
            .map(asObject)
            .filter(
              (s) =>
                s["kind"] === "ServiceAccount" &&
                typeof s["namespace"] === "string" &&
                tenants.has(s["namespace"]),
            )
            .map((s) => subjectId(s));
          if (tenantSubjects.length > 0) tenantScope = `the whole cluster for ${tenantSubjects.join(", ")}`;
        }
        if (tenantScope === undefined) continue;
        const roleName = roleRef["name"];
        const role = clusterRoles.get(roleName);
        const problems =
          role !== undefined
            ? wildcardProblems(role.props)
            : roleName === "cluster-admin"
              ? ['the built-in cluster-admin has "*" in verbs, resources, apiGroups']
              : [];
        if (problems.length === 0) continue;
        report(
          `${kind} "${rbacName(b.props, b.name)}" grants ClusterRole "${roleName}" in ${tenantScope}: ` +
            `${problems.join("; ")}. ${wildcardWhy} ${fix}`,
          b.urn,
        );
      }
    },
  };
}

const readVerbs = ["get", "list", "watch", "*"];

/** True when a rule lets its holder read Secrets (core group or `*`, secrets or `*`, get/list/watch or `*`). */
export function grantsSecretRead(rule: Record<string, unknown>): boolean {
  const groups = asStrings(rule["apiGroups"]);
  const resources = asStrings(rule["resources"]);
  const verbs = asStrings(rule["verbs"]);
  return (
    (groups.includes("") || groups.includes("*")) &&
    (resources.includes("secrets") || resources.includes("*")) &&
    verbs.some((v) => readVerbs.includes(v))
  );
}

/** No ClusterRole reads Secrets cluster-wide, except allowlisted ones (CIS 5.1.2). */
export function noClusterWideSecretRead(): ResourceValidationPolicy {
  return {
    name: "no-cluster-wide-secret-read",
    description: "ClusterRoles must not grant get, list or watch on Secrets, unless allowlisted (CIS 5.1.2).",
    severity: "high",
    framework: cisFramework("5.1.2", "Minimize access to secrets"),
    tags: ["kubernetes", "rbac", "secrets", "cis-k8s-5.1.2", "cis-eks-4.1.2"],
    remediationSteps:
      "Grant Secret access with a namespaced Role (ideally with resourceNames), or allowlist the ClusterRole.",
    url: rbacUrl,
    configSchema: {
      properties: {
        allowedClusterRoles: {
          type: "array",
          items: { type: "string" },
          default: [],
          description:
            "ClusterRole names that may read Secrets (`*` globs), e.g. External Secrets, Flux controllers.",
        },
      },
    },
    validateResource: (args, report) => {
      if (rbacKind(args.type) !== "ClusterRole") return;
      const name = rbacName(args.props, args.name);
      const allowed = args.getConfig<{ allowedClusterRoles?: string[] }>().allowedClusterRoles ?? [];
      if (matchesAllowlist(name, allowed)) return;
      const rules = rulesOf(args.props)
        .map((rule, i) => ({ rule, i }))
        .filter(({ rule }) => grantsSecretRead(rule));
      if (rules.length === 0) return;
      const verbs = [
        ...new Set(
          rules.flatMap(({ rule }) => asStrings(rule["verbs"]).filter((v) => readVerbs.includes(v))),
        ),
      ];
      report(
        `ClusterRole "${name}" grants ${verbs.join("/")} on Secrets (rules[${rules.map(({ i }) => i).join(", ")}]). ` +
          `Bound cluster-wide, it reads every Secret in every namespace: service-account tokens, TLS keys, ` +
          `database passwords. Grant Secret access with a namespaced Role (ideally with resourceNames), or add ` +
          `"${name}" to this policy's allowedClusterRoles config.`,
      );
    },
  };
}

const escalationVerbs = ["bind", "escalate", "impersonate"];
/** Resources on which `*` verbs include bind/escalate/impersonate. */
const escalationResources = [
  "roles",
  "clusterroles",
  "users",
  "groups",
  "serviceaccounts",
  "userextras",
  "uids",
  "*",
];

/** The escalation verbs a rule grants: explicit bind/escalate/impersonate, or `*` on RBAC/identity resources. */
export function escalationVerbsOf(rule: Record<string, unknown>): string[] {
  const verbs = asStrings(rule["verbs"]);
  const explicit = verbs.filter((v) => escalationVerbs.includes(v));
  if (explicit.length > 0) return explicit;
  const resources = asStrings(rule["resources"]).map((r) => r.split("/")[0]!);
  const groups = asStrings(rule["apiGroups"]);
  const touchesIdentity =
    resources.some((r) => escalationResources.includes(r)) &&
    groups.some((g) => g === "" || g === "*" || g === rbacGroup || g === "authentication.k8s.io");
  return verbs.includes("*") && touchesIdentity ? ["* (includes bind, escalate, impersonate)"] : [];
}

/** No bind/escalate/impersonate except allowlisted roles (CIS 5.1.8). */
export function noRbacEscalationVerbs(): ResourceValidationPolicy {
  return {
    name: "no-rbac-escalation-verbs",
    description:
      "Roles and ClusterRoles must not grant the bind, escalate or impersonate verbs, unless allowlisted (CIS 5.1.8).",
    severity: "critical",
    framework: cisFramework(
      "5.1.8",
      "Limit use of the Bind, Impersonate and Escalate permissions in the Kubernetes cluster",
    ),
    tags: ["kubernetes", "rbac", "cis-k8s-5.1.8", "cis-eks-4.1.8"],
    remediationSteps:
      "Remove bind/escalate/impersonate (and `*` verbs on RBAC resources), or allowlist the role.",
    url: rbacUrl,
    configSchema: {
      properties: {
        allowedRoles: {
          type: "array",
          items: { type: "string" },
          default: [],
          description:
            "Roles (`namespace/name`) and ClusterRoles (`name`) that may grant bind/escalate/impersonate (`*` globs).",
        },
      },
    },
    validateResource: (args, report) => {
      const kind = rbacKind(args.type);
      if (kind !== "Role" && kind !== "ClusterRole") return;
      const name = rbacName(args.props, args.name);
      const allowed = args.getConfig<{ allowedRoles?: string[] }>().allowedRoles ?? [];
      if (matchesAllowlist(name, allowed)) return;
      const found = rulesOf(args.props).flatMap((rule, i) => {
        const verbs = escalationVerbsOf(rule);
        return verbs.length === 0 ? [] : [`rules[${i}] grants ${verbs.join(", ")}`];
      });
      if (found.length === 0) return;
      report(
        `${kind} "${name}": ${found.join("; ")}. bind and escalate let the holder grant itself permissions it ` +
          `does not have, and impersonate lets it act as any user, group or service account: each is a path ` +
          `to cluster-admin. Remove these verbs, or add "${name}" to this policy's allowedRoles config.`,
      );
    },
  };
}

/** Every RBAC policy, in catalogue order. */
export const rbacPolicies: (ResourceValidationPolicy | StackValidationPolicy)[] = [
  noClusterAdminBinding(),
  fluxInfrastructureReconcilers(),
  noWildcardClusterRoles(),
  noWildcardRbacForTenants(),
  noClusterWideSecretRead(),
  noRbacEscalationVerbs(),
];
