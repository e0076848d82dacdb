import { traceCollectorPeer } from "../components/tracing/values";
import * as assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import { z } from "zod";
import { organizationSchema } from "../stacks/tenancy-schema";
import {
  Organization,
  tenancyDefaults,
  isQuantity,
  kustomizationPath,
  limitsProblem,
  mergeLimits,
  mergeQuota,
  namespaceName,
  networkPolicies,
  parseQuantity,
  secretsReadPolicy,
  tenantLabels,
  tenantSyncPatches,
} from "../components/tenancy";
import { accessPolicyArn } from "../components/shared/eks";
import { ConfigError, loadConfig } from "../stacks/config";
import { buildTenancy, tenancyChecks, tenancySchema } from "../stacks/tenancy";
import { gitopsSchema } from "../stacks/gitops";
import type { Foundation } from "../stacks/foundation";
import type { SectionOf } from "../stacks/schema";
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { rbacPolicies } from "../policy/policies/rbac";
import { tenancyPolicies } from "../policy/policies/tenancy";
import { runResourcePolicy, runStackPolicy } from "../policy/testing";
import { promiseOf, recorded, resetRecorded, setupMocks, type RecordedResource } from "./mocks";
import { minimalSpoke } from "./config-fixtures";

const NS = "kubernetes:core/v1:Namespace";
const QUOTA = "kubernetes:core/v1:ResourceQuota";
const LIMITS = "kubernetes:core/v1:LimitRange";
const NETPOL = "kubernetes:networking.k8s.io/v1:NetworkPolicy";
const SA = "kubernetes:core/v1:ServiceAccount";
const BINDING = "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding";
const GITREPO = "kubernetes:source.toolkit.fluxcd.io/v1:GitRepository";
const KUSTOMIZATION = "kubernetes:kustomize.toolkit.fluxcd.io/v1:Kustomization";
const ENTRY = "aws:eks/accessEntry:AccessEntry";
const ASSOCIATION = "aws:eks/accessPolicyAssociation:AccessPolicyAssociation";
const ROLE = "aws:iam/role:Role";
const ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy";
const POD_IDENTITY = "aws:eks/podIdentityAssociation:PodIdentityAssociation";

type Obj = Record<string, unknown>;
const meta = (r: RecordedResource) =>
  r.inputs.metadata as {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Obj;
  };
const inNamespace = (resources: RecordedResource[], type: string, ns: string) =>
  resources.filter((r) => r.type === type && meta(r).namespace === ns);
const named = (resources: RecordedResource[], type: string, ns: string, name: string) => {
  const found = inNamespace(resources, type, ns).filter((r) => meta(r).name === name);
  assert.equal(found.length, 1, `exactly one ${type} ${ns}/${name}`);
  return found[0];
};

// ---------------------------------------------------------------------------------------------
// Pure logic

describe("tenancy: naming and defaults", () => {
  it("names namespaces numinia style: <org> for pro, <org>-<env> otherwise, an override wins", () => {
    assert.equal(namespaceName("numinia", "pro"), "numinia");
    assert.equal(namespaceName("numinia", "pre"), "numinia-pre");
    assert.equal(namespaceName("r3s3t", "staging"), "r3s3t-staging");
    assert.equal(namespaceName("numinia", "pro", "numinia-prod"), "numinia-prod");
  });

  it("derives Kustomization paths from the numinia layout, the org's base path or an override", () => {
    assert.equal(kustomizationPath("numinia", "pro"), "./clusters/prod-cluster/organizations/numinia/pro");
    assert.equal(kustomizationPath("numinia", "pre", "./tenants/<org>/"), "./tenants/numinia/pre");
    assert.equal(
      kustomizationPath("numinia", "pre", undefined, "./x/pre-kustomization"),
      "./x/pre-kustomization",
    );
  });

  it("labels tenant namespaces with the tenant, org, environment and restricted Pod Security at the cluster version", () => {
    assert.deepEqual(tenantLabels("numinia", "pro", "1.35"), {
      "toolkit.fluxcd.io/tenant": "numinia",
      "platform.io/organization": "numinia",
      "platform.io/environment": "pro",
      "pod-security.kubernetes.io/enforce": "restricted",
      "pod-security.kubernetes.io/enforce-version": "v1.35",
      "pod-security.kubernetes.io/audit": "restricted",
      "pod-security.kubernetes.io/audit-version": "v1.35",
      "pod-security.kubernetes.io/warn": "restricted",
      "pod-security.kubernetes.io/warn-version": "v1.35",
    });
  });

  it("defaults the quota to no LoadBalancers or NodePorts and merges layers last-wins", () => {
    const quota = mergeQuota({ "requests.cpu": "6" }, { pods: "20" });
    assert.equal(quota["services.loadbalancers"], "0");
    assert.equal(quota["services.nodeports"], "0");
    assert.equal(quota["requests.cpu"], "6");
    assert.equal(quota.pods, "20");
    assert.equal(quota["requests.memory"], "8Gi");
    assert.deepEqual(Object.keys(mergeQuota()).sort(), [
      "limits.cpu",
      "limits.memory",
      "persistentvolumeclaims",
      "pods",
      "requests.cpu",
      "requests.memory",
      "requests.storage",
      "services",
      "services.loadbalancers",
      "services.nodeports",
    ]);
  });

  it("merges LimitRange fields per resource over the defaults", () => {
    assert.deepEqual(mergeLimits({ max: { cpu: "4" } }, { default: { memory: "1Gi" } }), {
      default: { cpu: "500m", memory: "1Gi" },
      defaultRequest: { cpu: "100m", memory: "128Mi" },
      max: { cpu: "4", memory: "4Gi" },
    });
  });

  it("parses Kubernetes quantities", () => {
    assert.equal(parseQuantity("500m"), 0.5);
    assert.equal(parseQuantity("2"), 2);
    assert.equal(parseQuantity("1Gi"), 2 ** 30);
    assert.equal(parseQuantity("1G"), 1e9);
    assert.equal(parseQuantity("1e3"), 1000);
    for (const bad of ["", "1GB", "1gi", "abc", "1.2.3", "-"]) assert.equal(isQuantity(bad), false, bad);
  });

  it("finds defaultRequest > default > max inconsistencies", () => {
    assert.equal(limitsProblem(mergeLimits()), undefined);
    assert.deepEqual(
      limitsProblem(mergeLimits({ defaultRequest: { cpu: "1" } }))?.field,
      "defaultRequest.cpu",
    );
    assert.deepEqual(limitsProblem(mergeLimits({ max: { memory: "256Mi" } }))?.field, "default.memory");
  });

  it("builds the EKS access policy ARN", () => {
    assert.equal(
      accessPolicyArn("aws", "AmazonEKSEditPolicy"),
      "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy",
    );
  });

  it("grants only GetSecretValue and DescribeSecret on the given prefixes", () => {
    const prefix = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:numinia/numinia/*";
    assert.deepEqual(secretsReadPolicy([prefix]), {
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "ReadOrganizationSecrets",
          Effect: "Allow",
          Action: ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
          Resource: [prefix],
        },
      ],
    });
  });

  it("writes the exact default-deny and allow NetworkPolicies", () => {
    const policies = networkPolicies({
      ingressNamespaces: ["ingress-nginx"],
      egressAllowlist: [{ cidrs: ["10.20.0.0/16"], ports: [{ port: 5432 }] }],
      podIdentityAgent: true,
    });
    assert.deepEqual(
      policies.map((p) => p.name),
      [
        "default-deny-all",
        "allow-dns-egress",
        "allow-same-namespace",
        "allow-ingress-controller",
        "allow-pod-identity-agent",
        "allow-egress-allowlist",
      ],
    );
    assert.deepEqual(policies[0].spec, { podSelector: {}, policyTypes: ["Ingress", "Egress"] });
    assert.deepEqual(policies[5].spec.egress, [
      { to: [{ ipBlock: { cidr: "10.20.0.0/16" } }], ports: [{ protocol: "TCP", port: 5432 }] },
    ]);
    assert.deepEqual(policies[4].spec.egress, [
      {
        to: [{ ipBlock: { cidr: "169.254.170.23/32" } }, { ipBlock: { cidr: "fd00:ec2::23/128" } }],
        ports: [{ protocol: "TCP", port: 80 }],
      },
    ]);
    const without = networkPolicies({
      ingressNamespaces: ["ingress-nginx"],
      egressAllowlist: [],
      podIdentityAgent: false,
    });
    assert.deepEqual(
      without.map((p) => p.name),
      ["default-deny-all", "allow-dns-egress", "allow-same-namespace", "allow-ingress-controller"],
    );
  });

  it("lets tenant pods send OTLP to the trace collector only when tracing is on", () => {
    const options = { ingressNamespaces: ["ingress-nginx"], egressAllowlist: [], podIdentityAgent: false };
    assert.ok(!networkPolicies(options).some((p) => p.name === "allow-trace-export"));
    const policy = networkPolicies({ ...options, traceCollector: traceCollectorPeer }).find(
      (p) => p.name === "allow-trace-export",
    );
    assert.deepEqual(policy?.spec, {
      podSelector: {},
      policyTypes: ["Egress"],
      egress: [
        {
          to: [
            {
              namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "tracing" } },
              podSelector: { matchLabels: { "app.kubernetes.io/name": "opentelemetry-collector" } },
            },
          ],
          ports: [
            { protocol: "TCP", port: 4317 },
            { protocol: "TCP", port: 4318 },
          ],
        },
      ],
    });
  });
});

// ---------------------------------------------------------------------------------------------
// Configuration

const spoke = minimalSpoke;

const goodOrg = (name: string, extra: Obj = {}) => ({
  name,
  environments: [{ name: "pre" }, { name: "pro" }],
  ...extra,
});

/** The tenancy keys alone: their zod schema, then their cross-key rules, as stacks/config.ts runs them. */
const sectionSchema = z.object(tenancySchema);
type TenancyConfig = SectionOf<typeof tenancySchema>;
function section(raw: Obj, extra: Obj = {}): TenancyConfig {
  const parsed = sectionSchema.parse(raw);
  tenancyChecks({
    role: "spoke",
    stack: "t",
    production: true,
    vpcCidr: "10.0.0.0/16",
    accessEntries: [],
    ...parsed,
    ...extra,
  } as unknown as Parameters<typeof tenancyChecks>[0]);
  return parsed as TenancyConfig;
}

function rejects(raw: Record<string, string>, key: string, expected: RegExp): void {
  assert.throws(
    () => loadConfig({ ...spoke, ...raw }, "test"),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
      assert.equal(error.key, key, error.message);
      assert.ok(!error.message.includes("\n"));
      assert.match(error.message, expected);
      return true;
    },
  );
}
const orgs = (...list: unknown[]) => ({ "platform:organizations": JSON.stringify(list) });

describe("tenancy: configuration", () => {
  it("defaults to no organizations, ingress-nginx and the built-in quota and limits", () => {
    const c = section({});
    assert.deepEqual(c.organizations, []);
    assert.equal(c.tenancy.ingressNamespace, "ingress-nginx");
    assert.deepEqual(c.tenancy.extraIngressNamespaces, []);
    assert.deepEqual(c.tenancy.defaultQuota, {});
    assert.deepEqual(c.tenancy.defaultLimits, {});
  });

  it("applies per-organization defaults", () => {
    const c = section({
      organizations: JSON.stringify([
        goodOrg("acme", { principals: [{ arn: "arn:aws:iam::111122223333:role/acme" }] }),
      ]),
    });
    const org = c.organizations[0];
    assert.equal(org.interval, "5m");
    assert.equal(org.secretsServiceAccount, "aws-secret-manager-sa");
    assert.deepEqual(org.secretArnPrefixes, []);
    assert.equal(org.principals[0].accessPolicy, "AmazonEKSEditPolicy");
    assert.deepEqual(org.environments[0].egressAllowlist, []);
  });

  it("accepts YAML numbers as quota quantities", () => {
    const c = section({
      organizations: [
        goodOrg("acme", { environments: [{ name: "pro", quota: { pods: 30, "requests.cpu": "1500m" } }] }),
      ],
    });
    assert.deepEqual(c.organizations[0].environments[0].quota, { pods: "30", "requests.cpu": "1500m" });
  });

  it("rejects an organization name that is not a Kubernetes name", () => {
    rejects(orgs(goodOrg("acme"), goodOrg("Bad_Org")), "platform:organizations[1].name", /Kubernetes name/);
  });

  it("rejects an environment name that is not a Kubernetes name, naming the exact key", () => {
    rejects(
      orgs(goodOrg("acme"), { name: "beta", environments: [{ name: "PRE" }] }),
      "platform:organizations[1].environments[0].name",
      /Kubernetes name/,
    );
  });

  it("rejects an organization without environments", () => {
    rejects(
      orgs({ name: "acme", environments: [] }),
      "platform:organizations[0].environments",
      /at least one environment/,
    );
  });

  it("rejects duplicate organization and environment names", () => {
    rejects(orgs(goodOrg("acme"), goodOrg("acme")), "platform:organizations[1].name", /used once/);
    rejects(
      orgs({ name: "acme", environments: [{ name: "pre" }, { name: "pre" }] }),
      "platform:organizations[0].environments[1].name",
      /used once/,
    );
  });

  it("rejects a namespace used by two organizations", () => {
    rejects(
      orgs(goodOrg("acme"), { name: "beta", environments: [{ name: "pro", namespace: "acme-pre" }] }),
      "platform:organizations[1].environments[0].namespace",
      /unique across organizations \(already used by acme\/pre\)/,
    );
    // a derived collision: org "acme-pre" in pro is namespace "acme-pre"
    rejects(
      orgs(goodOrg("acme"), { name: "acme-pre", environments: [{ name: "pro" }] }),
      "platform:organizations[1].environments[0].name",
      /unique/,
    );
  });

  it("rejects platform namespaces and the ingress namespace", () => {
    rejects(
      orgs({ name: "acme", environments: [{ name: "pro", namespace: "kube-system" }] }),
      "platform:organizations[0].environments[0].namespace",
      /reserved/,
    );
    rejects(
      orgs({ name: "ingress-nginx", environments: [{ name: "pro" }] }),
      "platform:organizations[0].environments[0].name",
      /reserved/,
    );
  });

  it("rejects invalid quota quantities and resource names", () => {
    rejects(
      orgs({ name: "acme", environments: [{ name: "pro", quota: { "requests.memory": "8GB" } }] }),
      "platform:organizations[0].environments[0].quota.requests.memory",
      /Kubernetes quantity/,
    );
    rejects(
      { "platform:tenancy": JSON.stringify({ defaultQuota: JSON.stringify({ "requests.cpu": "lots" }) }) },
      "platform:tenancy.defaultQuota.requests.cpu",
      /Kubernetes quantity/,
    );
    rejects(
      orgs({ name: "acme", environments: [{ name: "pro", quota: { "Requests CPU": "1" } }] }),
      "platform:organizations[0].environments[0].quota.Requests CPU",
      /resource name/,
    );
  });

  it("rejects inconsistent limits (defaultRequest <= default <= max)", () => {
    rejects(
      orgs({ name: "acme", environments: [{ name: "pro", limits: { max: { cpu: "250m" } } }] }),
      "platform:organizations[0].environments[0].limits.default.cpu",
      /at most max.cpu/,
    );
    rejects(
      {
        "platform:tenancy": JSON.stringify({
          defaultLimits: JSON.stringify({ defaultRequest: { memory: "1Gi" } }),
        }),
      },
      "platform:tenancy.defaultLimits.defaultRequest.memory",
      /at most default.memory/,
    );
  });

  it("rejects bad egress allowlists", () => {
    rejects(
      orgs({ name: "acme", environments: [{ name: "pro", egressAllowlist: [{ cidrs: ["10.0.0.0/33"] }] }] }),
      "platform:organizations[0].environments[0].egressAllowlist[0].cidrs[0]",
      /CIDR/,
    );
    rejects(
      orgs({
        name: "acme",
        environments: [
          { name: "pro", egressAllowlist: [{ cidrs: ["10.0.0.0/8"], ports: [{ port: 70000 }] }] },
        ],
      }),
      "platform:organizations[0].environments[0].egressAllowlist[0].ports[0].port",
      /port number/,
    );
  });

  it("rejects bad principals: not an IAM ARN, cluster admin, shared between orgs or already a cluster access entry", () => {
    const arn = "arn:aws:iam::111122223333:role/dev";
    rejects(
      orgs(goodOrg("acme", { principals: [{ arn: "dev" }] })),
      "platform:organizations[0].principals[0].arn",
      /IAM role or user ARN/,
    );
    rejects(
      orgs(goodOrg("acme", { principals: [{ arn, accessPolicy: "AmazonEKSClusterAdminPolicy" }] })),
      "platform:organizations[0].principals[0].accessPolicy",
      /AmazonEKSEditPolicy/,
    );
    rejects(
      orgs(goodOrg("acme", { principals: [{ arn }] }), goodOrg("beta", { principals: [{ arn }] })),
      "platform:organizations[1].principals[0].arn",
      /one organization only/,
    );
    rejects(
      {
        ...orgs(goodOrg("acme", { principals: [{ arn }] })),
        "platform:accessEntries": JSON.stringify([
          { name: "dev", principalArn: arn, accessPolicy: "AmazonEKSViewPolicy" },
        ]),
      },
      "platform:organizations[0].principals[0].arn",
      /accessEntries/,
    );
  });

  it("rejects secret ARN prefixes that are not Secrets Manager ARNs or grant every secret", () => {
    rejects(
      orgs(
        goodOrg("acme", { secretArnPrefixes: ["arn:aws:secretsmanager:eu-west-1:111122223333:secret:*"] }),
      ),
      "platform:organizations[0].secretArnPrefixes[0]",
      /Secrets Manager ARN prefix/,
    );
    rejects(
      orgs(goodOrg("acme", { secretArnPrefixes: ["arn:aws:s3:::bucket/*"] })),
      "platform:organizations[0].secretArnPrefixes[0]",
      /Secrets Manager ARN prefix/,
    );
  });

  it("rejects scp-style and plain-http Git URLs and unknown keys", () => {
    rejects(
      orgs(goodOrg("acme", { gitRepository: { url: "git@github.com:acme/repo.git" } })),
      "platform:organizations[0].gitRepository.url",
      /ssh:\/\//,
    );
    rejects(
      orgs(goodOrg("acme", { gitRepository: { url: "http://github.com/acme/repo" } })),
      "platform:organizations[0].gitRepository.url",
      /ssh:\/\//,
    );
    rejects(orgs(goodOrg("acme", { repo: "x" })), "platform:organizations[0].repo", /a known field: name,/);
  });
});

// ---------------------------------------------------------------------------------------------
// The component

describe("tenancy: Organization component", () => {
  let resources: RecordedResource[];
  let org: Organization;
  const prefix = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:acme/*";
  const principal = "arn:aws:iam::111122223333:role/acme-dev";

  before(async () => {
    setupMocks({ region: "eu-west-1" });
    resetRecorded();
    const provider = new k8s.Provider("k8s", { kubeconfig: "{}" });
    // The organization's settings as the configuration schema returns them (defaults filled in).
    org = new Organization("tenant-acme", {
      ...organizationSchema.parse({
        name: "acme",
        environments: [
          {
            name: "pre",
            quota: { "requests.cpu": "2" },
            egressAllowlist: [{ cidrs: ["10.20.0.0/16"], ports: [{ port: 5432, protocol: "TCP" }] }],
          },
          { name: "pro", limits: { max: { memory: "8Gi" } } },
        ],
        gitRepository: { url: "ssh://git@github.com/acme/k8s", branch: "main" },
        principals: [
          { arn: principal },
          { arn: "arn:aws:iam::111122223333:role/acme-ro", accessPolicy: "AmazonEKSViewPolicy" },
        ],
        secretArnPrefixes: [prefix],
        secretsServiceAccount: "acme-secrets",
      }),
      kubernetesVersion: "1.35",
      clusterName: pulumi.output("production-numinia"),
      provider,
      quota: { pods: "40" },
      ingressNamespaces: ["ingress-nginx"],
      tags: { owner: "acme" },
    });
    resources = await recorded();
  });

  it("exposes the namespaces in environment order", () => {
    assert.deepEqual(org.namespaces, ["acme-pre", "acme"]);
  });

  it("registers as platform:tenancy:Organization with one TenantEnvironment child per environment", () => {
    const component = resources.find((r) => r.type === "platform:tenancy:Organization");
    assert.ok(component);
    const environments = resources.filter((r) => r.type === "platform:tenancy:TenantEnvironment");
    assert.deepEqual(
      environments.map((e) => [e.name, e.parent]),
      [
        ["tenant-acme-pre", component.urn],
        ["tenant-acme-pro", component.urn],
      ],
    );
    const children = resources.filter((r) => r.type.startsWith("kubernetes:") || r.type.startsWith("aws:"));
    assert.ok(children.length > 20);
    const owners = [component.urn, ...environments.map((e) => e.urn)];
    for (const child of children)
      assert.ok(owners.includes(child.parent ?? ""), `${child.type} ${child.name} is a child`);
    // Everything of one environment lives under that environment's component.
    for (const env of environments) {
      const namespaced = children.filter(
        (r) => r.type.startsWith("kubernetes:") && r.name.startsWith(`${env.name}-`),
      );
      assert.ok(namespaced.length > 8);
      for (const child of namespaced)
        assert.equal(child.parent, env.urn, `${child.name} is under ${env.name}`);
    }
    // Access entries span the organization's namespaces: they stay on the organization.
    for (const child of children.filter((r) => r.type.startsWith("aws:eks/access")))
      assert.equal(child.parent, component.urn, `${child.name} is on the organization`);
    for (const child of children.filter((r) => r.type.startsWith("kubernetes:")))
      assert.ok(child.provider?.includes("k8s"), `${child.name} uses the cluster provider`);
  });

  it("labels every namespace (as labels, not annotations) with tenancy and restricted Pod Security", () => {
    for (const [ns, env] of [
      ["acme-pre", "pre"],
      ["acme", "pro"],
    ]) {
      const n = resources.filter((r) => r.type === NS && meta(r).name === ns);
      assert.equal(n.length, 1);
      assert.deepEqual(meta(n[0]).labels, tenantLabels("acme", env, "1.35"));
      assert.equal(meta(n[0]).annotations, undefined);
    }
  });

  it("gives every namespace its quota: defaults, org layer, environment layer", () => {
    const pre = named(resources, QUOTA, "acme-pre", "tenant-quota");
    const pro = named(resources, QUOTA, "acme", "tenant-quota");
    assert.deepEqual((pre.inputs.spec as Obj).hard, {
      ...tenancyDefaults.quota,
      pods: "40",
      "requests.cpu": "2",
    });
    assert.deepEqual((pro.inputs.spec as Obj).hard, { ...tenancyDefaults.quota, pods: "40" });
    assert.equal(((pro.inputs.spec as Obj).hard as Obj)["services.loadbalancers"], "0");
  });

  it("gives every namespace a per-container LimitRange", () => {
    const pro = named(resources, LIMITS, "acme", "tenant-limits");
    assert.deepEqual((pro.inputs.spec as Obj).limits, [
      {
        type: "Container",
        default: { cpu: "500m", memory: "512Mi" },
        defaultRequest: { cpu: "100m", memory: "128Mi" },
        max: { cpu: "2", memory: "8Gi" },
      },
    ]);
    named(resources, LIMITS, "acme-pre", "tenant-limits");
  });

  it("denies all traffic by default in every namespace (exact spec)", () => {
    for (const ns of ["acme-pre", "acme"]) {
      assert.deepEqual(named(resources, NETPOL, ns, "default-deny-all").inputs.spec, {
        podSelector: {},
        policyTypes: ["Ingress", "Egress"],
      });
    }
  });

  it("allows DNS to kube-dns, the namespace itself and the ingress controller", () => {
    for (const ns of ["acme-pre", "acme"]) {
      assert.deepEqual(named(resources, NETPOL, ns, "allow-dns-egress").inputs.spec, {
        podSelector: {},
        policyTypes: ["Egress"],
        egress: [
          {
            to: [
              {
                namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } },
                podSelector: { matchLabels: { "k8s-app": "kube-dns" } },
              },
            ],
            ports: [
              { protocol: "UDP", port: 53 },
              { protocol: "TCP", port: 53 },
            ],
          },
        ],
      });
      assert.deepEqual(named(resources, NETPOL, ns, "allow-same-namespace").inputs.spec, {
        podSelector: {},
        policyTypes: ["Ingress", "Egress"],
        ingress: [{ from: [{ podSelector: {} }] }],
        egress: [{ to: [{ podSelector: {} }] }],
      });
      assert.deepEqual(named(resources, NETPOL, ns, "allow-ingress-controller").inputs.spec, {
        podSelector: {},
        policyTypes: ["Ingress"],
        ingress: [
          {
            from: [
              { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ingress-nginx" } } },
            ],
          },
        ],
      });
    }
  });

  it("adds the egress allowlist only where configured", () => {
    assert.deepEqual(
      (named(resources, NETPOL, "acme-pre", "allow-egress-allowlist").inputs.spec as Obj).egress,
      [{ to: [{ ipBlock: { cidr: "10.20.0.0/16" } }], ports: [{ protocol: "TCP", port: 5432 }] }],
    );
    assert.equal(
      inNamespace(resources, NETPOL, "acme").filter((r) => meta(r).name === "allow-egress-allowlist").length,
      0,
    );
  });

  it("binds the reconciler ServiceAccount to the built-in admin ClusterRole in its namespace only", () => {
    for (const ns of ["acme-pre", "acme"]) {
      named(resources, SA, ns, "flux-reconciler");
      const binding = named(resources, BINDING, ns, "flux-reconciler");
      assert.deepEqual(binding.inputs.roleRef, {
        apiGroup: "rbac.authorization.k8s.io",
        kind: "ClusterRole",
        name: "admin",
      });
      assert.deepEqual(binding.inputs.subjects, [
        { kind: "ServiceAccount", name: "flux-reconciler", namespace: ns },
      ]);
    }
    assert.equal(resources.filter((r) => r.type.endsWith(":ClusterRoleBinding")).length, 0);
  });

  it("syncs each environment with a Kustomization that impersonates the tenant from its own GitRepository", () => {
    for (const [ns, env] of [
      ["acme-pre", "pre"],
      ["acme", "pro"],
    ]) {
      const git = named(resources, GITREPO, ns, "acme");
      assert.deepEqual(git.inputs.spec, {
        interval: "5m",
        url: "ssh://git@github.com/acme/k8s",
        ref: { branch: "main" },
        secretRef: { name: "git-credentials" },
      });
      const k = named(resources, KUSTOMIZATION, ns, `acme-${env}`);
      const spec = k.inputs.spec as Obj;
      assert.equal(spec.serviceAccountName, "flux-reconciler");
      assert.equal(spec.targetNamespace, ns);
      assert.deepEqual(spec.sourceRef, { kind: "GitRepository", name: "acme" });
      assert.equal(spec.path, `./clusters/prod-cluster/organizations/acme/${env}`);
      assert.equal(spec.prune, true);
      assert.equal(spec.interval, "5m");
    }
  });

  it("gives each principal an access entry and its access policy scoped to the org's namespaces", () => {
    const entries = resources.filter((r) => r.type === ENTRY);
    assert.deepEqual(entries.map((e) => e.inputs.principalArn).sort(), [
      "arn:aws:iam::111122223333:role/acme-dev",
      "arn:aws:iam::111122223333:role/acme-ro",
    ]);
    for (const e of entries) {
      assert.equal(e.inputs.type, "STANDARD");
      assert.equal(e.inputs.clusterName, "production-numinia");
    }
    const associations = resources.filter((r) => r.type === ASSOCIATION);
    assert.equal(associations.length, 2);
    const byArn = Object.fromEntries(associations.map((a) => [a.inputs.principalArn as string, a.inputs]));
    assert.equal(byArn[principal].policyArn, "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy");
    assert.equal(
      byArn["arn:aws:iam::111122223333:role/acme-ro"].policyArn,
      "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy",
    );
    for (const a of associations)
      assert.deepEqual(a.inputs.accessScope, { type: "namespace", namespaces: ["acme-pre", "acme"] });
  });

  it("gives the org a Pod Identity role that reads only its secret prefixes, bound to its secrets ServiceAccount", async () => {
    const roles = resources.filter((r) => r.type === ROLE);
    assert.equal(roles.length, 1);
    const trust = JSON.parse(roles[0].inputs.assumeRolePolicy as string);
    assert.deepEqual(trust.Statement[0].Principal, { Service: "pods.eks.amazonaws.com" });
    assert.deepEqual(trust.Statement[0].Action, ["sts:AssumeRole", "sts:TagSession"]);
    const policies = resources.filter((r) => r.type === ROLE_POLICY);
    assert.equal(policies.length, 1);
    const doc = JSON.parse(policies[0].inputs.policy as string);
    assert.deepEqual(
      doc.Statement.map((s: Obj) => s.Resource),
      [[prefix]],
    );
    assert.deepEqual(doc.Statement[0].Action, [
      "secretsmanager:GetSecretValue",
      "secretsmanager:DescribeSecret",
    ]);
    const associations = resources.filter((r) => r.type === POD_IDENTITY);
    assert.deepEqual(
      associations.map((a) => [a.inputs.namespace, a.inputs.serviceAccount, a.inputs.clusterName]),
      [
        ["acme-pre", "acme-secrets", "production-numinia"],
        ["acme", "acme-secrets", "production-numinia"],
      ],
    );
    const roleArn = await promiseOf(org.secretsRoleArn!);
    for (const a of associations) assert.equal(a.inputs.roleArn, roleArn);
    for (const ns of ["acme-pre", "acme"]) named(resources, SA, ns, "acme-secrets");
    named(resources, NETPOL, "acme", "allow-pod-identity-agent");
  });

  it("passes the policy pack's tenancy and RBAC policies", async () => {
    const tested = resources.map((r) => ({
      type: r.type,
      name: r.name,
      urn: r.urn,
      props: { ...r.inputs },
      parent: r.parent,
    }));
    for (const policy of [...tenancyPolicies, ...rbacPolicies]) {
      if ("validateStack" in policy) {
        const result = await runStackPolicy(policy as StackValidationPolicy, { resources: tested });
        assert.deepEqual(result.violations, [], policy.name);
      } else {
        for (const r of tested) {
          const result = await runResourcePolicy(policy as ResourceValidationPolicy, r);
          assert.deepEqual(result.violations, [], `${policy.name} on ${r.name}`);
        }
      }
    }
  });

  it("gives an environment with its own secret prefixes its own role, so pre cannot read pro", async () => {
    resetRecorded();
    const provider = new k8s.Provider("k8s-3", { kubeconfig: "{}" });
    const orgPrefix = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:split/*";
    const prePrefix = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:split/pre/*";
    new Organization("tenant-split", {
      ...organizationSchema.parse({
        name: "split",
        environments: [{ name: "pre", secretArnPrefixes: [prePrefix] }, { name: "pro" }],
        secretArnPrefixes: [orgPrefix],
      }),
      kubernetesVersion: "1.35",
      clusterName: "c",
      provider,
      ingressNamespaces: ["ingress-nginx"],
    });
    const rs = await recorded();
    const roles = rs.filter((r) => r.type === ROLE);
    assert.deepEqual(roles.map((r) => r.name).sort(), [
      "tenant-split-pre-secrets-role",
      "tenant-split-secrets",
    ]);
    const policyOf = (roleName: string) =>
      JSON.stringify(rs.find((r) => r.type === ROLE_POLICY && r.name === roleName)?.inputs.policy);
    assert.ok(policyOf("tenant-split-pre-secrets-role").includes("split/pre/*"));
    assert.ok(!policyOf("tenant-split-pre-secrets-role").includes("secret:split/*"));
    const roleArn = (roleName: string) => roles.find((r) => r.name === roleName)?.outputs.arn;
    const association = (namespace: string) =>
      rs.find((r) => r.type === POD_IDENTITY && r.inputs.namespace === namespace)?.inputs.roleArn;
    assert.equal(association("split-pre"), roleArn("tenant-split-pre-secrets-role"));
    assert.equal(association("split"), roleArn("tenant-split-secrets"));
  });

  it("falls back to the cluster's flux-system GitRepository and creates no role without secret prefixes", async () => {
    resetRecorded();
    const provider = new k8s.Provider("k8s-2", { kubeconfig: "{}" });
    const plain = new Organization("tenant-plain", {
      ...organizationSchema.parse({ name: "plain", environments: [{ name: "pro" }] }),
      kubernetesVersion: "1.35",
      clusterName: "c",
      provider,
      ingressNamespaces: ["ingress-nginx"],
    });
    const rs = await recorded();
    assert.equal(plain.secretsRoleArn, undefined);
    assert.equal(
      rs.filter((r) => r.type === ROLE || r.type === POD_IDENTITY || r.type === GITREPO || r.type === ENTRY)
        .length,
      0,
    );
    const spec = named(rs, KUSTOMIZATION, "plain", "plain-pro").inputs.spec as Obj;
    assert.deepEqual(spec.sourceRef, {
      kind: "GitRepository",
      name: "flux-system",
      namespace: "flux-system",
    });
    assert.equal(
      inNamespace(rs, NETPOL, "plain").filter((r) => meta(r).name === "allow-pod-identity-agent").length,
      0,
    );
  });
});

// ---------------------------------------------------------------------------------------------
// The production spoke: numinia's four organizations

describe("tenancy: numinia's production spoke (Pulumi.spoke-prod.yaml)", () => {
  const file = parse(readFileSync("Pulumi.spoke-prod.yaml", "utf8")) as { config: Record<string, unknown> };
  const raw: Obj = {};
  for (const key of Object.keys(tenancySchema))
    if (`platform:${key}` in file.config) raw[key] = file.config[`platform:${key}`];
  const c = section(raw, { accessEntries: [{ principalArn: "arn:aws:iam::111122223333:role/bastion" }] });
  // The cluster's Git source (its deploy key is set with pulumi config set --secret --path).
  const fileGitops = z.object(gitopsSchema).parse({
    gitops: { ...(file.config["platform:gitops"] as object), sshPrivateKey: "test-deploy-key" },
  }).gitops;

  it("declares active-inference, numen-games, numinia and r3s3t, each with pre and pro", () => {
    assert.deepEqual(
      c.organizations.map((o) => [o.name, o.environments.map((e) => e.name)]),
      ["active-inference", "numen-games", "numinia", "r3s3t"].map((o) => [o, ["pre", "pro"]]),
    );
  });

  it("names the namespaces <org>-pre and <org>", () => {
    const namespaces = c.organizations.flatMap((o) =>
      o.environments.map((e) => namespaceName(o.name, e.name, e.namespace)),
    );
    assert.deepEqual(namespaces, [
      "active-inference-pre",
      "active-inference",
      "numen-games-pre",
      "numen-games",
      "numinia-pre",
      "numinia",
      "r3s3t-pre",
      "r3s3t",
    ]);
  });

  it("syncs every org from numinia-k8s over SSH on main, at the repository's <org>/<env>-kustomization paths", () => {
    for (const o of c.organizations) {
      assert.equal(o.gitRepository?.url, "ssh://git@github.com/numengames/numinia-k8s");
      assert.equal(o.gitRepository?.branch, "main");
      assert.deepEqual(
        o.environments.map((e) => kustomizationPath(o.name, e.name, o.gitRepository?.path, e.path)),
        [
          `./clusters/prod-cluster/organizations/${o.name}/pre-kustomization`,
          `./clusters/prod-cluster/organizations/${o.name}/pro-kustomization`,
        ],
      );
      // The charts' GitRepositories the repository's HelmReleases name (git-repositories-versioned.yaml).
      assert.deepEqual(o.gitRepository?.chartSources, [
        { name: "flux-system" },
        { name: "flux-system-v0.4.7", url: "https://github.com/numengames/numinia-k8s.git", tag: "v0.4.7" },
      ]);
      assert.deepEqual(
        o.environments.map((e) => e.repositoryKustomization),
        [`${o.name}-pre-apps`, `${o.name}-pro-apps`],
      );
      assert.deepEqual(o.secretArnPrefixes, [
        `arn:aws:secretsmanager:eu-west-1:111122223333:secret:numinia/${o.name}/*`,
      ]);
    }
  });

  it("mirrors the repository's intervals (pro 5m, pre 1h, r3s3t and numinia pre 5m) and what it has enabled", () => {
    const table = Object.fromEntries(
      c.organizations.map((o) => [
        o.name,
        Object.fromEntries(
          o.environments.map((e) => [e.name, `${e.interval}${e.suspend ? " suspended" : ""}`]),
        ),
      ]),
    );
    assert.deepEqual(table, {
      // commented out of clusters/prod-cluster/kustomization.yaml
      "active-inference": { pre: "1h suspended", pro: "5m suspended" },
      "numen-games": { pre: "1h", pro: "5m" },
      // numinia-pre-apps commented out of flux-kustomizations.yaml
      numinia: { pre: "5m suspended", pro: "5m" },
      r3s3t: { pre: "5m suspended", pro: "5m suspended" },
    });
  });

  /** Builds the tenancy of the stack file's organizations under fresh mocks, on a stand-in foundation. */
  const buildSpokeTenancy = (tags: Record<string, string>) => {
    setupMocks({ region: "eu-west-1", stack: "spoke-prod" });
    resetRecorded();
    const provider = new k8s.Provider("spoke-k8s", { kubeconfig: "{}" });
    const config = { ...c, kubernetesVersion: "1.35", gitops: fileGitops } as unknown as Parameters<
      typeof buildTenancy
    >[0];
    const foundation = {
      cluster: { clusterName: pulumi.output("production-numinia"), provider },
      provider,
      tags,
    } as unknown as Foundation;
    return buildTenancy(config, foundation);
  };

  it("builds 8 tenant namespaces through the wiring", async () => {
    const outputs = await buildSpokeTenancy({ owner: "numinia-platform" });
    assert.deepEqual(outputs.organizationNamespaces, [
      "active-inference-pre",
      "active-inference",
      "numen-games-pre",
      "numen-games",
      "numinia-pre",
      "numinia",
      "r3s3t-pre",
      "r3s3t",
    ]);
    const rs = await recorded();
    assert.equal(rs.filter((r) => r.type === NS).length, 8);
    assert.equal(rs.filter((r) => r.type === KUSTOMIZATION).length, 8);
    assert.equal(rs.filter((r) => r.type === POD_IDENTITY).length, 8);
    assert.equal(rs.filter((r) => r.type === ROLE).length, 4);
    const ingress = named(rs, NETPOL, "numinia", "allow-ingress-controller").inputs.spec as Obj;
    assert.deepEqual((ingress.ingress as Obj[])[0].from, [
      { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ingress-nginx" } } },
      { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "knative-serving" } } },
    ]);
    const roles = await promiseOf(outputs.organizationSecretsRoleArns);
    assert.deepEqual(Object.keys(roles), ["active-inference", "numen-games", "numinia", "r3s3t"]);
  });

  it("registers each organization's resources before the next organization constructs any (stacks/turn.ts)", async () => {
    await buildSpokeTenancy({ owner: "numinia-platform" });
    const rs = await recorded();
    // The organization each registration belongs to: its Organization component ancestor.
    const byUrn = new Map(rs.map((r) => [r.urn, r]));
    const organizationOf = (r: (typeof rs)[number]): string | undefined => {
      for (let at: (typeof rs)[number] | undefined = r; at; at = at.parent ? byUrn.get(at.parent) : undefined)
        if (at.type === "platform:tenancy:Organization") return at.name;
      return undefined;
    };
    const order = rs.map(organizationOf).filter((o): o is string => o !== undefined);
    assert.ok(order.length > 4 * 20, `expected the organizations' resources, got ${order.length}`);
    // Registration order, one run per organization: no organization's registrations interleave
    // with another's.
    const runs = order.filter((o, i) => i === 0 || o !== order[i - 1]);
    assert.deepEqual(runs, [
      "tenant-active-inference",
      "tenant-numen-games",
      "tenant-numinia",
      "tenant-r3s3t",
    ]);
  });

  it("gives each tenant Kustomization the repository's interval, suspension and the platform's patches", async () => {
    await buildSpokeTenancy({});
    const rs = await recorded();
    const spec = (ns: string) =>
      rs.find((r) => r.type === KUSTOMIZATION && (r.inputs.metadata as Obj).namespace === ns)!.inputs
        .spec as Obj;
    assert.equal(spec("numen-games-pre").interval, "1h");
    assert.equal(spec("numen-games-pre").suspend, undefined);
    assert.equal(spec("numinia").interval, "5m");
    assert.equal(spec("numinia-pre").suspend, true);
    assert.equal(spec("numinia").path, "./clusters/prod-cluster/organizations/numinia/pro-kustomization");
    assert.deepEqual(
      spec("numinia").patches,
      tenantSyncPatches({ serviceAccountName: "flux-reconciler", chartSourceNamespace: "numinia" }),
    );
    // The charts' GitRepositories, in the tenant namespace: the branch one with the deploy key, the tag one public.
    const charts = rs.filter(
      (r) =>
        r.type === "kubernetes:source.toolkit.fluxcd.io/v1:GitRepository" &&
        (r.inputs.metadata as Obj).namespace === "numinia",
    );
    assert.deepEqual(
      charts
        .map((r) => [
          (r.inputs.metadata as Obj).name,
          (r.inputs.spec as Obj).ref,
          (r.inputs.spec as Obj).secretRef,
        ])
        .sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
      [
        ["flux-system", { branch: "main" }, { name: "git-credentials" }],
        ["flux-system-v0.4.7", { tag: "v0.4.7" }, undefined],
        ["numinia", { branch: "main" }, { name: "git-credentials" }],
      ],
    );
  });

  it("rejects one repository Kustomization replaced by two environments", () => {
    const orgs = structuredClone(raw.organizations) as Obj[];
    ((orgs[1].environments as Obj[])[0] as Obj).repositoryKustomization = "active-inference-pre-apps";
    assert.throws(
      () => section({ ...raw, organizations: orgs }),
      (e: Error) =>
        e instanceof ConfigError &&
        e.message.includes("platform:organizations[1].environments[0].repositoryKustomization") &&
        e.message.includes("already by active-inference/pre"),
    );
  });
});
