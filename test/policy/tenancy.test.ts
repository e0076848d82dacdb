import * as assert from "node:assert/strict";
import type { StackValidationPolicy } from "@pulumi/policy";
import { runStackPolicy, type TestResource } from "../../policy/testing";
import {
  isDefaultDenyAll,
  tenancyPolicies,
  tenantNamespaceDefaultDeny,
  tenantNamespaceLimitRange,
  tenantNamespacePodSecurityRestricted,
  tenantNamespaceResourceQuota,
} from "../../policy/policies/tenancy";

type Obj = Record<string, unknown>;

const unknownString = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** Labels of a tenant namespace, per the shared tenancy convention. */
function tenantLabels(org = "numinia", env = "pro"): Obj {
  return {
    "toolkit.fluxcd.io/tenant": org,
    "platform.io/organization": org,
    "platform.io/environment": env,
    "pod-security.kubernetes.io/enforce": "restricted",
    "pod-security.kubernetes.io/enforce-version": "v1.35",
    "pod-security.kubernetes.io/audit": "restricted",
    "pod-security.kubernetes.io/audit-version": "v1.35",
    "pod-security.kubernetes.io/warn": "restricted",
    "pod-security.kubernetes.io/warn-version": "v1.35",
  };
}

function namespace(
  name: string | undefined,
  labels: Obj,
  annotations?: Obj,
  resourceName = name ?? "ns",
): TestResource {
  const metadata: Obj = { labels };
  if (name !== undefined) metadata["name"] = name;
  if (annotations) metadata["annotations"] = annotations;
  return { type: "kubernetes:core/v1:Namespace", name: resourceName, props: { metadata } };
}

const defaultDenySpec: Obj = { podSelector: {}, policyTypes: ["Ingress", "Egress"] };

function networkPolicy(ns: string, spec: Obj = defaultDenySpec, name = "default-deny-all"): TestResource {
  return {
    type: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
    name: `${ns}-${name}`,
    props: { metadata: { name, namespace: ns }, spec },
  };
}

function quota(ns: string): TestResource {
  return {
    type: "kubernetes:core/v1:ResourceQuota",
    name: `${ns}-quota`,
    props: {
      metadata: { name: "quota", namespace: ns },
      spec: { hard: { "requests.cpu": "4", "requests.memory": "8Gi" } },
    },
  };
}

function limits(ns: string): TestResource {
  return {
    type: "kubernetes:core/v1:LimitRange",
    name: `${ns}-limits`,
    props: {
      metadata: { name: "limits", namespace: ns },
      spec: {
        limits: [
          {
            type: "Container",
            default: { cpu: "500m", memory: "512Mi" },
            defaultRequest: { cpu: "100m", memory: "128Mi" },
          },
        ],
      },
    },
  };
}

/** A tenant namespace with its full isolation boundary. */
function completeTenant(ns: string): TestResource[] {
  return [namespace(ns, tenantLabels()), networkPolicy(ns), quota(ns), limits(ns)];
}

async function messages(policy: StackValidationPolicy, resources: TestResource[]): Promise<string[]> {
  const r = await runStackPolicy(policy, { resources });
  assert.equal(r.unknown, undefined, `unexpected unknown value: ${r.unknown}`);
  return r.violations.map((v) => v.message);
}

describe("tenancy policies", () => {
  it("are stack policies named in kebab-case with a description and compliance metadata", () => {
    assert.deepEqual(
      tenancyPolicies.map((p) => p.name),
      [
        "tenant-namespace-pod-security-restricted",
        "tenant-namespace-default-deny",
        "tenant-namespace-resource-quota",
        "tenant-namespace-limit-range",
      ],
    );
    for (const p of tenancyPolicies) {
      assert.ok("validateStack" in p, p.name);
      assert.ok(p.description && p.severity && p.framework && p.remediationSteps, p.name);
    }
  });

  for (const policy of tenancyPolicies as StackValidationPolicy[]) {
    it(`${policy.name} stays quiet on tenants with their whole boundary, and on non-tenant namespaces`, async () => {
      const resources = [
        ...completeTenant("numinia-pro"),
        ...completeTenant("numinia-pre"),
        namespace("monitoring", { "app.kubernetes.io/part-of": "platform" }),
      ];
      assert.deepEqual(await messages(policy, resources), []);
    });
  }

  describe("tenant-namespace-pod-security-restricted", () => {
    const policy = tenantNamespacePodSecurityRestricted();

    it("fires when the label is missing", async () => {
      const labels = tenantLabels();
      delete labels["pod-security.kubernetes.io/enforce"];
      const r = await runStackPolicy(policy, { resources: [namespace("numinia-pro", labels)] });
      assert.equal(r.violations.length, 1);
      assert.match(
        r.violations[0]!.message,
        /^Tenant namespace "numinia-pro" \(tenant numinia\) has no pod-security\.kubernetes\.io\/enforce label.*"restricted"/,
      );
      assert.equal(
        r.violations[0]!.urn,
        "urn:pulumi:test::platform::kubernetes:core/v1:Namespace::numinia-pro",
      );
    });

    it("fires when Pod Security is set only as an annotation, and says annotations do not count", async () => {
      const labels = tenantLabels();
      delete labels["pod-security.kubernetes.io/enforce"];
      const msgs = await messages(policy, [
        namespace("numinia-pro", labels, { "pod-security.kubernetes.io/enforce": "restricted" }),
      ]);
      assert.equal(msgs.length, 1);
      assert.match(
        msgs[0]!,
        /as an annotation, not a label\. Pod Security Admission reads only labels.*metadata\.labels/,
      );
    });

    it("fires on a weaker level", async () => {
      const msgs = await messages(policy, [
        namespace("numinia-pro", { ...tenantLabels(), "pod-security.kubernetes.io/enforce": "baseline" }),
      ]);
      assert.match(msgs[0]!, /has pod-security\.kubernetes\.io\/enforce: "baseline"/);
    });

    it("names an auto-named namespace by its resource name", async () => {
      const labels = tenantLabels();
      delete labels["pod-security.kubernetes.io/enforce"];
      const msgs = await messages(policy, [namespace(undefined, labels, undefined, "tenant-r3s3t")]);
      assert.match(msgs[0]!, /^Tenant namespace "tenant-r3s3t"/);
    });

    it("stays quiet on the restricted label", async () => {
      assert.deepEqual(await messages(policy, [namespace("numinia-pro", tenantLabels())]), []);
    });
  });

  describe("tenant-namespace-default-deny", () => {
    const policy = tenantNamespaceDefaultDeny();
    const withPolicies = (...nps: TestResource[]) => [namespace("numinia-pro", tenantLabels()), ...nps];

    it("fires when the namespace has no NetworkPolicy", async () => {
      const msgs = await messages(policy, withPolicies());
      assert.equal(msgs.length, 1);
      assert.match(
        msgs[0]!,
        /"numinia-pro" \(tenant numinia\) has no NetworkPolicy\..*podSelector: \{\}, policyTypes: \[Ingress, Egress\]/,
      );
    });

    it("does not count a podSelector {} policy that has an ingress rule", async () => {
      const msgs = await messages(
        policy,
        withPolicies(
          networkPolicy(
            "numinia-pro",
            { ...defaultDenySpec, ingress: [{ from: [{ podSelector: {} }] }] },
            "allow-same-ns",
          ),
        ),
      );
      assert.match(msgs[0]!, /has NetworkPolicies \(allow-same-ns\) but none denies all ingress and egress/);
    });

    it("does not count an ingress-only deny, a partial selector, or a policy in another namespace", async () => {
      assert.equal(
        (
          await messages(
            policy,
            withPolicies(networkPolicy("numinia-pro", { podSelector: {}, policyTypes: ["Ingress"] })),
          )
        ).length,
        1,
      );
      assert.equal(
        (
          await messages(
            policy,
            withPolicies(
              networkPolicy("numinia-pro", {
                ...defaultDenySpec,
                podSelector: { matchLabels: { app: "web" } },
              }),
            ),
          )
        ).length,
        1,
      );
      assert.equal(
        (await messages(policy, withPolicies(networkPolicy("numinia-pre"))))[0]!.includes(
          "has no NetworkPolicy",
        ),
        true,
      );
    });

    it("stays quiet on default-deny-all next to explicit allows", async () => {
      const allowDns = networkPolicy(
        "numinia-pro",
        { podSelector: {}, policyTypes: ["Egress"], egress: [{ ports: [{ port: 53, protocol: "UDP" }] }] },
        "allow-dns",
      );
      assert.deepEqual(await messages(policy, withPolicies(allowDns, networkPolicy("numinia-pro"))), []);
    });

    it("recognises the default-deny shape", () => {
      assert.equal(isDefaultDenyAll(defaultDenySpec), true);
      assert.equal(
        isDefaultDenyAll({ ...defaultDenySpec, podSelector: { matchLabels: {}, matchExpressions: [] } }),
        true,
      );
      assert.equal(isDefaultDenyAll({ ...defaultDenySpec, egress: [{}] }), false);
      assert.equal(
        isDefaultDenyAll({ ...defaultDenySpec, policyTypes: ["Egress", "Ingress", "Ingress"] }),
        true,
      );
      assert.equal(isDefaultDenyAll({ podSelector: {} }), false);
    });

    it("lets an unknown namespace during preview propagate", async () => {
      const np = networkPolicy("numinia-pro");
      const r = await runStackPolicy(policy, {
        resources: [
          namespace("numinia-pro", tenantLabels()),
          { ...np, props: { metadata: { name: "x", namespace: unknownString }, spec: defaultDenySpec } },
        ],
      });
      assert.match(r.unknown ?? "", /can't be known during preview/);
    });
  });

  describe("tenant-namespace-resource-quota", () => {
    const policy = tenantNamespaceResourceQuota();
    it("fires when the tenant namespace has no ResourceQuota", async () => {
      const msgs = await messages(policy, [namespace("numinia-pro", tenantLabels()), quota("numinia-pre")]);
      assert.equal(msgs.length, 1);
      assert.match(msgs[0]!, /"numinia-pro" \(tenant numinia\) has no ResourceQuota\..*Add a ResourceQuota/);
    });
    it("stays quiet when one exists in the namespace", async () => {
      assert.deepEqual(
        await messages(policy, [namespace("numinia-pro", tenantLabels()), quota("numinia-pro")]),
        [],
      );
    });
  });

  describe("tenant-namespace-limit-range", () => {
    const policy = tenantNamespaceLimitRange();
    it("fires when the tenant namespace has no LimitRange", async () => {
      const msgs = await messages(policy, [namespace("numinia-pro", tenantLabels())]);
      assert.equal(msgs.length, 1);
      assert.match(
        msgs[0]!,
        /"numinia-pro" \(tenant numinia\) has no LimitRange\..*default and defaultRequest/,
      );
    });
    it("stays quiet when one exists in the namespace", async () => {
      assert.deepEqual(
        await messages(policy, [namespace("numinia-pro", tenantLabels()), limits("numinia-pro")]),
        [],
      );
    });
  });
});
