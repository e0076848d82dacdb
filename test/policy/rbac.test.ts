import * as assert from "node:assert/strict";
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { runResourcePolicy, runStackPolicy, type TestResource } from "../../policy/testing";
import {
  escalationVerbsOf,
  fluxInfrastructureReconcilers,
  grantsSecretRead,
  matchesAllowlist,
  noClusterAdminBinding,
  noClusterWideSecretRead,
  noRbacEscalationVerbs,
  noWildcardClusterRoles,
  noWildcardRbacForTenants,
  rbacPolicies,
  subjectId,
} from "../../policy/policies/rbac";

type Obj = Record<string, unknown>;
const rbac = "kubernetes:rbac.authorization.k8s.io/v1";

function clusterRole(name: string, rules: Obj[]): TestResource {
  return { type: `${rbac}:ClusterRole`, name, props: { metadata: { name }, rules } };
}

function role(namespace: string, name: string, rules: Obj[]): TestResource {
  return {
    type: `${rbac}:Role`,
    name: `${namespace}-${name}`,
    props: { metadata: { name, namespace }, rules },
  };
}

function binding(
  kind: "RoleBinding" | "ClusterRoleBinding",
  name: string,
  roleRef: { kind: string; name: string },
  subjects: Obj[],
  namespace?: string,
): TestResource {
  const metadata: Obj = { name };
  if (namespace) metadata["namespace"] = namespace;
  return {
    type: `${rbac}:${kind}`,
    name: namespace ? `${namespace}-${name}` : name,
    props: { metadata, roleRef: { apiGroup: "rbac.authorization.k8s.io", ...roleRef }, subjects },
  };
}

function tenantNamespace(name: string): TestResource {
  return {
    type: "kubernetes:core/v1:Namespace",
    name,
    props: {
      metadata: {
        name,
        labels: { "toolkit.fluxcd.io/tenant": "numinia", "pod-security.kubernetes.io/enforce": "restricted" },
      },
    },
  };
}

const readPods = { apiGroups: [""], resources: ["pods", "services"], verbs: ["get", "list", "watch"] };
const everything = { apiGroups: ["*"], resources: ["*"], verbs: ["*"] };

async function resourceMessages(
  policy: ResourceValidationPolicy,
  r: TestResource,
  config?: Obj,
): Promise<string[]> {
  const result = await runResourcePolicy(policy, config ? { ...r, config } : r);
  assert.equal(result.unknown, undefined);
  return result.violations.map((v) => v.message);
}

describe("rbac policies", () => {
  it("are named in kebab-case with a description and the CIS control they follow", () => {
    assert.deepEqual(
      rbacPolicies.map((p) => p.name),
      [
        "no-cluster-admin-binding",
        "flux-infrastructure-reconcilers",
        "no-wildcard-cluster-roles",
        "no-wildcard-rbac-for-tenants",
        "no-cluster-wide-secret-read",
        "no-rbac-escalation-verbs",
      ],
    );
    assert.deepEqual(
      rbacPolicies.map((p) => p.framework?.specification.split(" ")[0]),
      ["5.1.1", "5.1.1", "5.1.3", "5.1.3", "5.1.2", "5.1.8"],
    );
    for (const p of rbacPolicies) {
      assert.equal(p.framework?.name, "CIS Kubernetes Benchmark");
      assert.ok(p.description && p.severity && p.remediationSteps, p.name);
    }
  });

  it("matches allowlist globs and formats subjects", () => {
    assert.equal(matchesAllowlist("crd-controller-flux-system", ["crd-controller-*"]), true);
    assert.equal(matchesAllowlist("crd.controller", ["crd*controller"]), true);
    assert.equal(matchesAllowlist("admin", ["adm"]), false);
    assert.equal(subjectId({ kind: "Group", name: "system:masters" }), "Group:system:masters");
    assert.equal(
      subjectId({ kind: "ServiceAccount", name: "helm-controller", namespace: "flux-system" }),
      "ServiceAccount:flux-system/helm-controller",
    );
    assert.equal(subjectId({ kind: "ServiceAccount", name: "ci" }, "apps"), "ServiceAccount:apps/ci");
  });

  describe("no-cluster-admin-binding", () => {
    const policy = noClusterAdminBinding();
    const toAdmin = (
      subjects: Obj[],
      kind: "RoleBinding" | "ClusterRoleBinding" = "ClusterRoleBinding",
      ns?: string,
    ) => binding(kind, "admins", { kind: "ClusterRole", name: "cluster-admin" }, subjects, ns);

    it("fires on a ClusterRoleBinding of cluster-admin to a user", async () => {
      const msgs = await resourceMessages(
        policy,
        toAdmin([
          { kind: "User", name: "alice" },
          { kind: "Group", name: "system:masters" },
        ]),
      );
      assert.equal(msgs.length, 1);
      assert.match(
        msgs[0]!,
        /^ClusterRoleBinding "admins" grants cluster-admin to User:alice\. .*whole cluster.*allowedSubjects/,
      );
    });

    it("fires on a RoleBinding of cluster-admin in a namespace (a Flux tenant pattern to avoid)", async () => {
      const msgs = await resourceMessages(
        policy,
        toAdmin(
          [{ kind: "ServiceAccount", name: "flux", namespace: "numinia-pro" }],
          "RoleBinding",
          "numinia-pro",
        ),
      );
      assert.match(
        msgs[0]!,
        /RoleBinding "numinia-pro\/admins" grants cluster-admin to ServiceAccount:numinia-pro\/flux\..*namespace "numinia-pro"/,
      );
    });

    it("stays quiet on system:masters, on configured subjects and on narrower roles", async () => {
      assert.deepEqual(
        await resourceMessages(policy, toAdmin([{ kind: "Group", name: "system:masters" }])),
        [],
      );
      assert.deepEqual(
        await resourceMessages(
          policy,
          toAdmin([
            { kind: "ServiceAccount", name: "kustomize-controller", namespace: "flux-system" },
            { kind: "ServiceAccount", name: "helm-controller", namespace: "flux-system" },
          ]),
          { allowedSubjects: ["Group:system:masters", "ServiceAccount:flux-system/*"] },
        ),
        [],
      );
      assert.deepEqual(
        await resourceMessages(
          policy,
          binding(
            "RoleBinding",
            "devs",
            { kind: "ClusterRole", name: "edit" },
            [{ kind: "Group", name: "devs" }],
            "apps",
          ),
        ),
        [],
      );
    });
  });

  describe("no-wildcard-cluster-roles", () => {
    const policy = noWildcardClusterRoles();
    it("fires on `*` verbs, resources or apiGroups", async () => {
      const msgs = await resourceMessages(
        policy,
        clusterRole("ops", [
          readPods,
          { apiGroups: ["apps"], resources: ["*"], verbs: ["get"] },
          { apiGroups: ["batch"], resources: ["jobs"], verbs: ["*"] },
        ]),
      );
      assert.equal(msgs.length, 1);
      assert.match(
        msgs[0]!,
        /^ClusterRole "ops": rules\[1\] has "\*" in resources; rules\[2\] has "\*" in verbs\..*allowedClusterRoles/,
      );
    });
    it("stays quiet on explicit rules and on allowlisted roles", async () => {
      assert.deepEqual(await resourceMessages(policy, clusterRole("reader", [readPods])), []);
      assert.deepEqual(
        await resourceMessages(policy, clusterRole("crd-controller-flux-system", [everything]), {
          allowedClusterRoles: ["crd-controller-*"],
        }),
        [],
      );
      assert.deepEqual(
        await resourceMessages(policy, role("apps", "all", [everything])),
        [],
        "Roles are judged by the tenant policy",
      );
    });
  });

  describe("flux-infrastructure-reconcilers", () => {
    const policy: StackValidationPolicy = fluxInfrastructureReconcilers();
    /** The binding components/gitops creates for an entry of platform:gitops.infrastructureNamespaces. */
    const reconciler = (ns: string): TestResource => {
      const b = binding(
        "ClusterRoleBinding",
        `flux-infrastructure-${ns}`,
        { kind: "ClusterRole", name: "cluster-admin" },
        [{ kind: "ServiceAccount", name: "flux-infrastructure", namespace: ns }],
      );
      (b.props["metadata"] as Obj)["labels"] = { "app.kubernetes.io/part-of": "flux-infrastructure" };
      return b;
    };
    const run = async (resources: TestResource[], config?: Obj) =>
      (await runStackPolicy(policy, { resources, config })).violations.map((v) => v.message);

    it("is quiet for the reconciler of a non-tenant namespace, which no-cluster-admin-binding leaves to it", async () => {
      assert.deepEqual(await run([tenantNamespace("numinia-pro"), reconciler("cert-manager")]), []);
      assert.deepEqual(await resourceMessages(noClusterAdminBinding(), reconciler("cert-manager")), []);
    });

    it("fires for a tenant namespace: the tenant's HelmReleases would install as cluster-admin", async () => {
      const v = await run([tenantNamespace("numinia-pro"), reconciler("numinia-pro")]);
      assert.equal(v.length, 1);
      assert.match(
        v[0]!,
        /^ClusterRoleBinding "flux-infrastructure-numinia-pro" gives the Flux infrastructure reconciler ServiceAccount:numinia-pro\/flux-infrastructure cluster-admin, but "numinia-pro" is a tenant namespace/,
      );
    });

    it("fires for flux-system and for a namespace outside allowedNamespaces", async () => {
      assert.match(
        (await run([reconciler("flux-system")]))[0]!,
        /flux-system is the platform's own namespace/,
      );
      const v = await run([reconciler("cert-manager"), reconciler("kube-system")], {
        allowedNamespaces: ["cert-*"],
      });
      assert.equal(v.length, 1);
      assert.match(v[0]!, /"kube-system" is not in this policy's allowedNamespaces \(cert-\*\)/);
    });

    it("an unlabelled cluster-admin binding of a flux-infrastructure account stays with no-cluster-admin-binding", async () => {
      const b = binding("ClusterRoleBinding", "sneaky", { kind: "ClusterRole", name: "cluster-admin" }, [
        { kind: "ServiceAccount", name: "flux-infrastructure", namespace: "apps" },
      ]);
      assert.equal((await resourceMessages(noClusterAdminBinding(), b)).length, 1);
      assert.deepEqual(await run([b]), []);
    });
  });

  describe("no-wildcard-rbac-for-tenants", () => {
    const policy: StackValidationPolicy = noWildcardRbacForTenants();
    const run = async (resources: TestResource[]) => (await runStackPolicy(policy, { resources })).violations;

    it("fires on a wildcard Role in a tenant namespace", async () => {
      const v = await run([tenantNamespace("numinia-pro"), role("numinia-pro", "owner", [everything])]);
      assert.equal(v.length, 1);
      assert.match(
        v[0]!.message,
        /^Role "numinia-pro\/owner" in tenant namespace "numinia-pro": rules\[0\] has "\*" in verbs, resources, apiGroups\..*explicit rules/,
      );
      assert.equal(
        v[0]!.urn,
        "urn:pulumi:test::platform::kubernetes:rbac.authorization.k8s.io/v1:Role::numinia-pro-owner",
      );
    });

    it("fires on a wildcard ClusterRole bound into a tenant namespace", async () => {
      const v = await run([
        tenantNamespace("numinia-pro"),
        clusterRole("power-user", [{ apiGroups: [""], resources: ["*"], verbs: ["get"] }]),
        binding(
          "RoleBinding",
          "power",
          { kind: "ClusterRole", name: "power-user" },
          [{ kind: "Group", name: "numinia" }],
          "numinia-pro",
        ),
      ]);
      assert.equal(v.length, 1);
      assert.match(
        v[0]!.message,
        /RoleBinding "numinia-pro\/power" grants ClusterRole "power-user" in namespace "numinia-pro": rules\[0\] has "\*" in resources/,
      );
    });

    it("fires on a ClusterRoleBinding of the built-in cluster-admin to a tenant's service account", async () => {
      const v = await run([
        tenantNamespace("numinia-pro"),
        binding("ClusterRoleBinding", "tenant-admin", { kind: "ClusterRole", name: "cluster-admin" }, [
          { kind: "ServiceAccount", name: "flux", namespace: "numinia-pro" },
        ]),
      ]);
      assert.match(
        v[0]!.message,
        /the whole cluster for ServiceAccount:numinia-pro\/flux: the built-in cluster-admin has "\*"/,
      );
    });

    it("stays quiet on explicit tenant roles and on wildcard roles outside tenant namespaces", async () => {
      const v = await run([
        tenantNamespace("numinia-pro"),
        role("numinia-pro", "deployer", [readPods]),
        binding(
          "RoleBinding",
          "edit",
          { kind: "ClusterRole", name: "edit" },
          [{ kind: "Group", name: "numinia" }],
          "numinia-pro",
        ),
        role("flux-system", "all", [everything]),
        clusterRole("operator", [everything]),
        binding("ClusterRoleBinding", "operator", { kind: "ClusterRole", name: "operator" }, [
          { kind: "ServiceAccount", name: "operator", namespace: "monitoring" },
        ]),
      ]);
      assert.deepEqual(v, []);
    });
  });

  describe("no-cluster-wide-secret-read", () => {
    const policy = noClusterWideSecretRead();
    it("fires on a ClusterRole that lists Secrets", async () => {
      const msgs = await resourceMessages(
        policy,
        clusterRole("secret-reader", [
          readPods,
          { apiGroups: [""], resources: ["secrets"], verbs: ["list", "watch"] },
        ]),
      );
      assert.equal(msgs.length, 1);
      assert.match(
        msgs[0]!,
        /^ClusterRole "secret-reader" grants list\/watch on Secrets \(rules\[1\]\)\. .*every Secret in every namespace.*namespaced Role/,
      );
    });
    it("fires on wildcard resources in the core group", async () => {
      assert.equal(grantsSecretRead({ apiGroups: ["*"], resources: ["*"], verbs: ["get"] }), true);
      assert.equal((await resourceMessages(policy, clusterRole("all", [everything]))).length, 1);
    });
    it("stays quiet on Secret writes only, other groups, namespaced Roles and allowlisted ClusterRoles", async () => {
      assert.deepEqual(
        await resourceMessages(
          policy,
          clusterRole("creator", [{ apiGroups: [""], resources: ["secrets"], verbs: ["create"] }]),
        ),
        [],
      );
      assert.deepEqual(
        await resourceMessages(
          policy,
          clusterRole("other", [{ apiGroups: ["apps"], resources: ["secrets"], verbs: ["get"] }]),
        ),
        [],
      );
      assert.deepEqual(
        await resourceMessages(
          policy,
          role("apps", "reader", [{ apiGroups: [""], resources: ["secrets"], verbs: ["get"] }]),
        ),
        [],
      );
      assert.deepEqual(
        await resourceMessages(
          policy,
          clusterRole("external-secrets-controller", [
            { apiGroups: [""], resources: ["secrets"], verbs: ["get"] },
          ]),
          {
            allowedClusterRoles: ["external-secrets-*"],
          },
        ),
        [],
      );
    });
  });

  describe("no-rbac-escalation-verbs", () => {
    const policy = noRbacEscalationVerbs();
    it("fires on bind, escalate and impersonate", async () => {
      const msgs = await resourceMessages(
        policy,
        role("apps", "granter", [
          { apiGroups: ["rbac.authorization.k8s.io"], resources: ["roles"], verbs: ["bind", "escalate"] },
          { apiGroups: [""], resources: ["users", "serviceaccounts"], verbs: ["impersonate"] },
        ]),
      );
      assert.equal(msgs.length, 1);
      assert.match(
        msgs[0]!,
        /^Role "apps\/granter": rules\[0\] grants bind, escalate; rules\[1\] grants impersonate\..*path to cluster-admin.*allowedRoles/,
      );
    });
    it("fires on `*` verbs over RBAC resources", async () => {
      assert.deepEqual(
        escalationVerbsOf({
          apiGroups: ["rbac.authorization.k8s.io"],
          resources: ["clusterroles"],
          verbs: ["*"],
        }),
        ["* (includes bind, escalate, impersonate)"],
      );
      assert.match(
        (await resourceMessages(policy, clusterRole("all", [everything])))[0]!,
        /rules\[0\] grants \* \(includes bind, escalate, impersonate\)/,
      );
    });
    it("stays quiet on ordinary verbs and on allowlisted roles", async () => {
      assert.deepEqual(
        await resourceMessages(
          policy,
          clusterRole("reader", [
            readPods,
            { apiGroups: ["apps"], resources: ["deployments"], verbs: ["*"] },
          ]),
        ),
        [],
      );
      assert.deepEqual(
        await resourceMessages(
          policy,
          clusterRole("flux-impersonator", [
            { apiGroups: [""], resources: ["serviceaccounts"], verbs: ["impersonate"] },
          ]),
          {
            allowedRoles: ["flux-impersonator"],
          },
        ),
        [],
      );
    });
  });
});
