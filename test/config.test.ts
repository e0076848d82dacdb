import * as assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import {
  ConfigError,
  RENAMED_KEYS,
  SECRET_KEYS,
  cidrsOverlap,
  isIpv4Cidr,
  loadConfig,
  platformSchema,
} from "../stacks/config";
import { checkAgainstHub } from "../stacks/spoke";
import { minimalHub, minimalSpoke } from "./config-fixtures";

const hub = minimalHub;
const spoke = minimalSpoke;

/** Asserts loadConfig rejects the raw config with a one-line message naming the key and the value. */
function rejects(raw: Record<string, string>, key: string, valueText: string, expected: RegExp): void {
  assert.throws(
    () => loadConfig(raw, "test"),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
      assert.equal(error.key, key);
      assert.ok(!error.message.includes("\n"), "the message is one line");
      assert.ok(error.message.includes(key), `message names the key: ${error.message}`);
      assert.ok(error.message.includes(valueText), `message names the value ${valueText}: ${error.message}`);
      assert.match(error.message, expected);
      return true;
    },
  );
}

describe("configuration: gitops.infrastructureNamespaces", () => {
  const org = JSON.stringify([{ name: "acme", environments: [{ name: "pro" }, { name: "pre" }] }]);
  const infra = (list: unknown) => ({
    ...spoke,
    "platform:organizations": org,
    "platform:gitops": JSON.stringify({
      repositoryUrl: "https://github.com/acme/platform",
      infrastructureNamespaces: list,
    }),
  });

  it("defaults to none, and reads namespaces with their chart sources", () => {
    assert.deepEqual(loadConfig(spoke, "spoke").gitops.infrastructureNamespaces, []);
    assert.deepEqual(
      loadConfig(
        infra([
          {
            namespace: "cert-manager",
            chartSources: [{ name: "jetstack", url: "https://charts.jetstack.io" }],
          },
        ]),
        "spoke",
      ).gitops.infrastructureNamespaces,
      [
        {
          namespace: "cert-manager",
          chartSources: [{ name: "jetstack", url: "https://charts.jetstack.io" }],
        },
      ],
    );
  });

  it("refuses a tenant namespace: tenants gain no cluster-admin reconciler", () => {
    rejects(
      infra([{ namespace: "acme-pre" }]),
      "platform:gitops.infrastructureNamespaces[0].namespace",
      "acme-pre",
      /a namespace that is not a tenant's \(acme\/pre uses it/,
    );
  });

  it("refuses flux-system, a namespace listed twice and a chart source that is no chart repository URL", () => {
    rejects(
      infra([{ namespace: "flux-system" }]),
      "platform:gitops.infrastructureNamespaces[0].namespace",
      "flux-system",
      /other than flux-system/,
    );
    rejects(
      infra([{ namespace: "cert-manager" }, { namespace: "cert-manager" }]),
      "platform:gitops.infrastructureNamespaces[1].namespace",
      "cert-manager",
      /listed once/,
    );
    assert.throws(
      () =>
        loadConfig(infra([{ namespace: "x", chartSources: [{ name: "r", url: "ftp://charts" }] }]), "spoke"),
      (e: unknown) =>
        e instanceof ConfigError &&
        /gitops.infrastructureNamespaces/.test(e.message) &&
        /https:\/\/charts\.jetstack\.io/.test(e.message),
    );
  });
});

describe("configuration", () => {
  it("applies documented defaults to a minimal hub", () => {
    const config = loadConfig(hub, "hub");
    assert.equal(config.environment, "development");
    assert.equal(config.kubernetesVersion, "1.35");
    assert.equal(config.availabilityZoneCount, 3);
    assert.equal(config.natGateways, "Single");
    assert.equal(config.clusterName, "platform-hub");
    assert.equal(config.endpointPublicAccess, false);
    assert.deepEqual(config.vpcEndpoints, ["s3"]);
    assert.deepEqual(
      config.nodePools.map((p) => [p.name, p.system]),
      [
        ["system", true],
        ["general", false],
      ],
    );
  });

  it("uses one NAT gateway per AZ in production unless told otherwise", () => {
    assert.equal(loadConfig({ ...hub, "platform:environment": "production" }, "hub").natGateways, "OnePerAz");
    assert.equal(
      loadConfig({ ...hub, "platform:environment": "production", "platform:natGateways": "Single" }, "hub")
        .natGateways,
      "Single",
    );
  });

  it("returns a deeply frozen object", () => {
    const config = loadConfig(hub, "hub");
    assert.ok(Object.isFrozen(config));
    assert.ok(Object.isFrozen(config.nodePools[0]));
    assert.throws(() => ((config as { vpcCidr: string }).vpcCidr = "10.1.0.0/16"), TypeError);
  });

  it("parses structured values the way Pulumi passes them (JSON text)", () => {
    const config = loadConfig(
      {
        ...hub,
        "platform:nodePools": JSON.stringify([
          {
            name: "base-apps",
            instanceTypes: ["m5.large"],
            minSize: 0,
            desiredSize: 0,
            maxSize: 1,
            labels: { "node-group": "base-apps" },
          },
        ]),
        "platform:availabilityZoneCount": "2",
        "platform:endpointPublicAccess": "false",
      },
      "hub",
    );
    assert.equal(config.availabilityZoneCount, 2);
    assert.deepEqual(config.nodePools[0].labels, { "node-group": "base-apps" });
    assert.equal(config.nodePools[0].diskSizeGiB, 50);
    assert.equal(config.nodePools[0].amiType, "AL2023_x86_64_STANDARD");
  });

  it("rejects an unknown role", () => {
    rejects({ ...hub, "platform:role": "edge" }, "platform:role", '"edge"', /expected hub or spoke/);
  });

  it("rejects a malformed CIDR (prefix /33)", () => {
    rejects(
      {
        ...hub,
        "platform:vpcCidr": "10.0.0.0/33",
      },
      "platform:vpcCidr",
      '"10.0.0.0/33"',
      /IPv4 CIDR block/,
    );
  });

  it("rejects a CIDR with host bits set", () => {
    rejects(
      {
        ...hub,
        "platform:vpcCidr": "10.0.1.0/16",
      },
      "platform:vpcCidr",
      '"10.0.1.0/16"',
      /host bits zero/,
    );
  });

  it("rejects a VPC prefix too small for three tiers of subnets", () => {
    rejects(
      {
        ...hub,
        "platform:vpcCidr": "10.0.0.0/24",
      },
      "platform:vpcCidr",
      '"10.0.0.0/24"',
      /between \/16 and \/20/,
    );
  });

  it("rejects fewer than 2 availability zones", () => {
    rejects(
      { ...hub, "platform:availabilityZoneCount": "1" },
      "platform:availabilityZoneCount",
      "1",
      /between 2 and 6/,
    );
  });

  it("rejects a node pool whose sizes are not min <= desired <= max", () => {
    const pools = JSON.stringify([
      { name: "general", instanceTypes: ["t3.medium"], minSize: 5, desiredSize: 3, maxSize: 8 },
    ]);
    rejects(
      { ...hub, "platform:nodePools": pools },
      "platform:nodePools[0].minSize",
      "= 5",
      /minSize <= desiredSize <= maxSize \(got 5 \/ 3 \/ 8\)/,
    );
  });

  it("rejects an unknown Kubernetes version format", () => {
    rejects(
      { ...hub, "platform:kubernetesVersion": "v1.35.2" },
      "platform:kubernetesVersion",
      '"v1.35.2"',
      /minor version such as 1\.35/,
    );
  });

  it("rejects a Kubernetes version without pinned add-ons", () => {
    rejects(
      { ...hub, "platform:kubernetesVersion": "1.29" },
      "platform:kubernetesVersion",
      '"1.29"',
      /supported Kubernetes version/,
    );
  });

  it("rejects a missing required key", () => {
    const { "platform:vpcCidr": _omitted, ...raw } = hub;
    rejects(raw, "platform:vpcCidr", "(not set)", /required/);
  });

  it("rejects a missing region", () => {
    const { "aws:region": _omitted, ...raw } = hub;
    rejects(raw, "aws:region", "(not set)", /AWS region/);
  });

  it("rejects a spoke without a hub stack reference", () => {
    const { "platform:hubStackReference": _omitted, ...raw } = spoke;
    rejects(raw, "platform:hubStackReference", "(not set)", /required for spokes/);
  });

  it("rejects a malformed hub stack reference", () => {
    rejects(
      { ...spoke, "platform:hubStackReference": "hub" },
      "platform:hubStackReference",
      '"hub"',
      /<organization>\/<project>\/<stack>/,
    );
  });

  it("rejects a public endpoint without a CIDR allowlist", () => {
    rejects(
      { ...hub, "platform:endpointPublicAccess": "true" },
      "platform:publicAccessCidrs",
      "[]",
      /at least one CIDR/,
    );
  });

  it("accepts an explicit world-open allowlist so the policy pack can judge it", () => {
    const config = loadConfig(
      { ...hub, "platform:endpointPublicAccess": "true", "platform:publicAccessCidrs": '["0.0.0.0/0"]' },
      "hub",
    );
    assert.deepEqual(config.publicAccessCidrs, ["0.0.0.0/0"]);
  });

  it("rejects an unknown key, naming it", () => {
    rejects({ ...hub, "platform:vpcCIDR": "10.0.0.0/16" }, "platform:vpcCIDR", '"10.0.0.0/16"', /known key/);
  });

  it("rejects an access entry with a malformed principal ARN", () => {
    const entries = JSON.stringify([
      { name: "bastion", principalArn: "bastion", accessPolicy: "AmazonEKSClusterAdminPolicy" },
    ]);
    rejects(
      { ...hub, "platform:accessEntries": entries },
      "platform:accessEntries[0].principalArn",
      '"bastion"',
      /IAM role or user ARN/,
    );
  });

  it("rejects a spoke whose CIDR overlaps the hub's", () => {
    const config = loadConfig(
      {
        ...spoke,
        "platform:vpcCidr": "10.100.128.0/17",
        "platform:gitops": '{"repositoryUrl":"https://github.com/acme/platform"}',
      },
      "spoke",
    );
    assert.throws(
      () => checkAgainstHub(config, "10.100.0.0/16"),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.equal(
          error.message,
          'invalid configuration platform:vpcCidr = "10.100.128.0/17": expected a CIDR block that does not overlap the hub\'s 10.100.0.0/16',
        );
        return true;
      },
    );
    assert.doesNotThrow(() => checkAgainstHub(loadConfig(spoke, "spoke"), "10.100.0.0/16"));
  });

  it("rejects a spoke that lists the hub's CIDR in apiAccessCidrs (the transit rule admits it already)", () => {
    const config = loadConfig({ ...spoke, "platform:apiAccessCidrs": '["10.100.0.0/16"]' }, "spoke");
    assert.throws(
      () => checkAgainstHub(config, "10.100.0.0/16"),
      /platform:apiAccessCidrs = \["10\.100\.0\.0\/16"\]: expected no entry for the hub's/,
    );
  });
});

describe("CIDR maths", () => {
  it("recognizes canonical IPv4 CIDR blocks only", () => {
    assert.equal(isIpv4Cidr("10.0.0.0/16"), true);
    assert.equal(isIpv4Cidr("10.0.0.0/33"), false);
    assert.equal(isIpv4Cidr("10.0.0.1/16"), false);
    assert.equal(isIpv4Cidr("10.0.0/16"), false);
  });
  it("detects overlapping blocks in both directions", () => {
    assert.equal(cidrsOverlap("10.0.0.0/16", "10.0.128.0/17"), true);
    assert.equal(cidrsOverlap("10.0.128.0/17", "10.0.0.0/16"), true);
    assert.equal(cidrsOverlap("10.0.0.0/16", "10.1.0.0/16"), false);
  });
});

describe("Pulumi.yaml config block", () => {
  const project = parse(readFileSync("Pulumi.yaml", "utf8")) as {
    config: Record<string, { type: string; default?: unknown }>;
  };

  it("is generated from the schema (run npm run docs:config)", async () => {
    const { renderProjectYaml } = await import("../tools/gen-config-docs");
    assert.equal(readFileSync("Pulumi.yaml", "utf8"), renderProjectYaml());
  });

  it("declares every scalar and array key of the schema with a type and a description", async () => {
    const { topLevelSettings } = await import("../tools/gen-config-docs");
    const declarable = topLevelSettings().filter((s) => s.pulumiType);
    assert.deepEqual(
      declarable.map((s) => s.path),
      ["role", "environment", "clusterName", "kubernetesVersion", "vpcCidr", "availabilityZoneCount"].concat(
        ["natGateways", "databaseSubnets", "vpcEndpoints", "flowLogRetentionDays", "endpointPublicAccess"],
        ["publicAccessCidrs", "apiAccessCidrs", "controlPlaneLogRetentionDays", "hubStackReference"],
      ),
    );
    for (const s of declarable) {
      const decl = project.config[s.path] as { type?: string; description?: string } | undefined;
      assert.ok(decl, `Pulumi.yaml declares ${s.path}`);
      assert.equal(decl.type, s.pulumiType, `${s.path} has its type`);
      assert.ok(decl.description, `${s.path} has a description`);
    }
  });

  it("declares no credential (the CLI would reject its plain-text default where a stack does not set it)", () => {
    for (const key of SECRET_KEYS) assert.equal(project.config[key], undefined, key);
    for (const [key, decl] of Object.entries(project.config))
      assert.notEqual((decl as { secret?: boolean }).secret, true, key);
  });

  it("declares only keys the schema knows", () => {
    for (const key of Object.keys(project.config))
      assert.ok(key in platformSchema.shape, `${key} is in the schema`);
  });

  it("gives defaults the loader reads back as the schema's", () => {
    const raw: Record<string, string> = { ...hub };
    for (const [key, decl] of Object.entries(project.config))
      if ("default" in decl && !(`platform:${key}` in raw))
        raw[`platform:${key}`] =
          typeof decl.default === "string" ? decl.default : JSON.stringify(decl.default);
    const fromProject = loadConfig(raw, "hub") as unknown as Record<string, unknown>;
    const fromSchema = loadConfig(hub, "hub") as unknown as Record<string, unknown>;
    assert.deepEqual(fromProject, fromSchema);
  });
});

describe("docs/configuration.md", () => {
  it("is generated from the schema (run npm run docs:config)", async () => {
    const { renderConfigDocs } = await import("../tools/gen-config-docs");
    assert.equal(readFileSync("docs/configuration.md", "utf8"), renderConfigDocs());
  });

  it("documents every field of every capability object with its default", async () => {
    const text = readFileSync("docs/configuration.md", "utf8");
    assert.match(text, /\| `backupRetentionDays` \| integer \| `35` \| both \| Days AWS Backup keeps/);
    assert.match(text, /\| `amazonSideAsn` \| integer \| `64512` \| hub \|/);
    assert.match(text, /\| `repositoryUrl` \| string \| required \| both \|/);
    assert.match(text, /\| `platform:gitRepositoryUrl` \| `platform:gitops.repositoryUrl` \|/);
  });

  it("lists each section and each add-on once", () => {
    const text = readFileSync("docs/configuration.md", "utf8");
    const once = (lines: string[]) => lines.filter((line, i) => lines.indexOf(line) !== i);
    assert.deepEqual(once(text.split("\n").filter((l) => l.startsWith("#"))), []);
    assert.deepEqual(once(text.split("\n").filter((l) => /^\| `platform:[a-zA-Z]+` \| on/.test(l))), []);
  });
});

describe("every config key rejects a bad value with one line naming it", () => {
  const spokeBase = {
    ...spoke,
    "platform:gitops": JSON.stringify({ repositoryUrl: "https://github.com/acme/platform" }),
  };
  const hubBase = {
    ...hub,
    "platform:gitops": JSON.stringify({ repositoryUrl: "https://github.com/acme/platform" }),
  };
  // key, bad value, the stack it applies to
  const cases: [string, string, Record<string, string>][] = [
    ["environment", "prod", hubBase],
    ["clusterName", "9cluster", hubBase],
    ["natGateways", "Two", hubBase],
    ["databaseSubnets", "maybe", hubBase],
    ["vpcEndpoints", '["s4"]', hubBase],
    ["flowLogRetentionDays", "13", hubBase],
    ["endpointPublicAccess", "yes", hubBase],
    ["publicAccessCidrs", '["300.0.0.0/8"]', hubBase],
    ["apiAccessCidrs", '["10.0.0.1/16"]', hubBase],
    ["controlPlaneLogRetentionDays", "0", hubBase],
    ["tags", "[1, 2]", hubBase],
    ["transitGatewayAsn", "7224", hubBase],
    ["transitAutoAcceptSharedAttachments", "maybe", hubBase],
    ["ramSharePrincipals", '["everyone"]', hubBase],
    ["ramAllowExternalPrincipals", "maybe", hubBase],
    ["hubEndpointPorts", "[0]", spokeBase],
    ["hubAccountRoleArn", "hub-role", spokeBase],
    ["gitRepositoryUrl", "git@github.com:acme/platform", hubBase],
    ["gitBranch", "bad branch", hubBase],
    ["gitPath", "clusters/hub", hubBase],
    ["gitInterval", "1 minute", hubBase],
    ["gitAuth", "password", hubBase],
    ["gitSshPublicKey", "not-a-key", hubBase],
    ["gitKnownHosts", "github.com", hubBase],
    ["githubAppId", "app", hubBase],
    ["gitBaselinePath", "baseline", hubBase],
    ["fluxCrossNamespaceRefs", "maybe", hubBase],
    ["ingressNamespace", "Ingress_NGINX", spokeBase],
    ["tenantExtraIngressNamespaces", '["Bad_NS"]', spokeBase],
    ["storageReclaimPolicy", "Keep", hubBase],
    ["performanceIopsPerGB", "0", hubBase],
    ["efsThroughputMode", "fast", hubBase],
    ["backupRetentionDays", "0", hubBase],
    ["backupCopyVaultArn", "vault", hubBase],
    ["prometheusRetention", "two weeks", hubBase],
    ["prometheusStorageGiB", "0", hubBase],
    ["grafanaAdminPassword", "short", hubBase],
    ["logShipperPassword", "short", hubBase],
    ["elasticsearchNodeCount", "0", hubBase],
    ["elasticsearchStorageGiB", "0", hubBase],
    ["elasticsearchMemoryGiB", "0", hubBase],
    ["logRetentionDays", "0", hubBase],
  ];
  for (const [name, value, base] of cases) {
    // A field of an object key (`storage.backupRetentionDays`) is set inside its object.
    const key = RENAMED_KEYS[name] ?? name;
    const [group, field] = key.split(".");
    it(`platform:${key} = ${value}`, () => {
      const raw: Record<string, string> =
        field === undefined
          ? { ...base, [`platform:${key}`]: value }
          : {
              ...base,
              [`platform:${group}`]: JSON.stringify({
                ...(JSON.parse((base as Record<string, string>)[`platform:${group}`] ?? "{}") as object),
                [field]: value,
              }),
            };
      assert.ok(group in platformSchema.shape, `${group} is a known key`);
      assert.throws(
        () => loadConfig(raw, "test"),
        (error: unknown) => {
          assert.ok(error instanceof ConfigError, String(error));
          assert.ok(error.key.startsWith(`platform:${key}`), `${error.key} names platform:${key}`);
          assert.ok(!error.message.includes("\n"), error.message);
          assert.match(error.message, / expected /);
          assert.doesNotMatch(error.message, /a known key/);
          assert.doesNotMatch(error.message, /Too big|Too small|Invalid input|Unrecognized key/);
          return true;
        },
      );
    });
  }
});
