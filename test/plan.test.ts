import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { planStack, type PlanResult } from "../tools/plan/run";

const repo = path.resolve(__dirname, "..");
const launcher = path.join(repo, "tools/plan/launch.js");

/** Runs the plan exactly as `npm run plan` does (the launcher and its bundle) on the project in `root`. */
function runCli(root: string, ...args: string[]) {
  return spawnSync(process.execPath, [launcher, "--root", root, ...args], {
    cwd: repo,
    encoding: "utf8",
    env: { ...process.env, NODE_OPTIONS: "" },
  });
}

/** A scratch project: the real Pulumi.yaml and hub file, plus a spoke file edited by `edit`. */
function scratch(edit: (spoke: string) => string): string {
  const dir = mkdtempSync(path.join(tmpdir(), "plan-"));
  copyFileSync(path.join(repo, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
  copyFileSync(path.join(repo, "Pulumi.hub.yaml"), path.join(dir, "Pulumi.hub.yaml"));
  writeFileSync(
    path.join(dir, "Pulumi.spoke-prod.yaml"),
    edit(readFileSync(path.join(repo, "Pulumi.spoke-prod.yaml"), "utf8")),
  );
  return dir;
}

const byName = (plan: PlanResult, type: string, name: string) => {
  const found = plan.resources.find((r) => r.type === type && r.name === name);
  assert.ok(found, `${type} ${name} is planned`);
  return found;
};

describe("offline plan of the real stack files", () => {
  let hub: PlanResult;
  let spoke: PlanResult;
  before(async () => {
    hub = await planStack("hub", { root: repo });
    spoke = await planStack("spoke-prod", { root: repo });
  });

  it("plans the hub with zero mandatory violations", () => {
    assert.equal(
      hub.summary.mandatory,
      0,
      JSON.stringify(hub.violations.filter((v) => v.enforcementLevel === "mandatory")),
    );
    assert.equal(byName(hub, "awsx:ec2:Vpc", "hub-vpc").inputs.cidrBlock, "10.100.0.0/16");
    assert.equal(byName(hub, "eks:index:Cluster", "hub-eks").inputs.name, "platform-hub");
    assert.equal(hub.outputs.vpcCidr, "10.100.0.0/16");
    assert.equal(hub.outputs.kubeconfig, "[secret]");
  });

  it("plans spoke-prod as numinia's production cluster", () => {
    assert.equal(
      spoke.summary.mandatory,
      0,
      JSON.stringify(spoke.violations.filter((v) => v.enforcementLevel === "mandatory")),
    );
    const vpc = byName(spoke, "awsx:ec2:Vpc", "spoke-prod-vpc");
    assert.equal(vpc.inputs.cidrBlock, "10.0.0.0/16");
    assert.equal(vpc.inputs.numberOfAvailabilityZones, 3);
    assert.deepEqual(vpc.inputs.natGateways, { strategy: "Single" });
    const eks = byName(spoke, "eks:index:Cluster", "spoke-prod-eks");
    assert.equal(eks.inputs.name, "production-numinia");
    assert.equal(eks.inputs.version, "1.35");
    assert.equal(eks.inputs.endpointPublicAccess, false);
    assert.equal(eks.inputs.endpointPrivateAccess, true);
    assert.equal(
      eks.inputs.encryptionConfigKeyArn,
      spoke.resources.find((r) => r.name === "spoke-prod-key")?.inputs &&
        (eks.inputs.encryptionConfigKeyArn as string),
    );
    assert.match(String(eks.inputs.encryptionConfigKeyArn), /^arn:aws:kms:eu-west-1:111122223333:key\//);
    assert.equal((eks.inputs.enabledClusterLogTypes as string[]).length, 5);
    const entries = eks.inputs.accessEntries as Record<
      string,
      { principalArn: string; accessPolicies: Record<string, unknown> }
    >;
    assert.equal(entries.bastion.principalArn, "arn:aws:iam::111122223333:role/bastion");
    assert.deepEqual(Object.keys(entries.bastion.accessPolicies), ["AmazonEKSClusterAdminPolicy"]);
    const general = byName(spoke, "eks:index:ManagedNodeGroup", "spoke-prod-general");
    const baseApps = byName(spoke, "eks:index:ManagedNodeGroup", "spoke-prod-base-apps");
    assert.deepEqual(
      [general.inputs.instanceTypes, general.inputs.scalingConfig],
      [["t3.medium"], { minSize: 1, desiredSize: 3, maxSize: 8 }],
    );
    assert.deepEqual(
      [baseApps.inputs.instanceTypes, baseApps.inputs.scalingConfig],
      [["m5.large"], { minSize: 0, desiredSize: 0, maxSize: 1 }],
    );
    assert.deepEqual(baseApps.inputs.labels, { "node-group": "base-apps" });
    assert.equal(general.inputs.amiType, "AL2023_x86_64_STANDARD");
    assert.equal(
      byName(spoke, "aws:eks/addon:Addon", "spoke-prod-pod-identity-agent").inputs.addonName,
      "eks-pod-identity-agent",
    );
  });

  it("resolves the spoke's StackReference to the hub's planned outputs", () => {
    const ref = spoke.resources.find((r) => r.type === "pulumi:pulumi:StackReference");
    assert.equal(ref?.name, "numengames/platform/hub");
    assert.equal(spoke.outputs.hubStackReference, "numengames/platform/hub");
  });

  it("stands in a placeholder only for the secrets a stack needs, and says so", () => {
    assert.deepEqual(hub.unsetSecrets, []);
    assert.deepEqual(spoke.unsetSecrets, ["platform:gitops.sshPrivateKey"]);
    const secret = spoke.resources.find(
      (r) => r.type === "kubernetes:core/v1:Secret" && JSON.stringify(r.inputs).includes("[secret]"),
    );
    assert.ok(secret, "the Flux deploy key Secret carries the placeholder, never a real key");
  });

  it("gives each numinia tenant namespace the cluster's deploy key for its ssh GitRepository", () => {
    const secrets = spoke.resources.filter(
      (r) =>
        r.type === "kubernetes:core/v1:Secret" &&
        (r.inputs.metadata as { name: string }).name === "git-credentials",
    );
    assert.deepEqual(
      secrets.map((r) => (r.inputs.metadata as { namespace: string }).namespace).sort(),
      (spoke.outputs.organizationNamespaces as string[]).slice().sort(),
    );
    const tenantRepos = spoke.resources.filter(
      (r) =>
        r.type === "kubernetes:source.toolkit.fluxcd.io/v1:GitRepository" &&
        (r.inputs.metadata as { namespace: string }).namespace !== "flux-system",
    );
    // Per namespace: the org's repository, its chart copy flux-system (both ssh, with the deploy key)
    // and the public https chart source flux-system-v0.4.7 (no credentials).
    assert.equal(tenantRepos.length, 24);
    for (const repo of tenantRepos) {
      const spec = repo.inputs.spec as { url: string; secretRef?: unknown };
      assert.deepEqual(
        spec.secretRef,
        spec.url.startsWith("ssh://") ? { name: "git-credentials" } : undefined,
        (repo.inputs.metadata as { name: string }).name,
      );
    }
  });

  it("never prints a secret value, only [secret]", async () => {
    const key = "-----BEGIN OPENSSH PRIVATE KEY-----\nplan-test-key\n-----END OPENSSH PRIVATE KEY-----";
    const file = parse(readFileSync(path.join(repo, "Pulumi.spoke-prod.yaml"), "utf8")) as {
      config: Record<string, object>;
    };
    const plan = await planStack("spoke-prod", {
      root: repo,
      configOverrides: {
        "platform:gitops": JSON.stringify({ ...file.config["platform:gitops"], sshPrivateKey: key }),
      },
      // `pulumi config set --secret --path 'platform:gitops.sshPrivateKey'` marks the whole key.
      secretOverrides: ["platform:gitops"],
    });
    assert.deepEqual(plan.unsetSecrets, []);
    assert.ok(!JSON.stringify(plan).includes("plan-test-key"), "the deploy key does not appear in the plan");
    assert.ok(plan.resources.some((r) => JSON.stringify(r.inputs).includes("[secret]")));
  });

  it("applies spoke Kubernetes objects through a provider that waits for the Transit Gateway path", () => {
    const providers = spoke.resources.filter((r) => r.type === "pulumi:providers:kubernetes");
    const viaHub = providers.find((r) => r.name === "spoke-prod-k8s-via-hub");
    assert.ok(viaHub, providers.map((p) => p.name).join(","));
    // A dependency on a component is a dependency on each of its children.
    const waitsFor = (pattern: RegExp) => viaHub.dependencies.some((urn) => pattern.test(urn));
    assert.ok(
      waitsFor(/TransitSpoke\$aws:ec2transitgateway\/vpcAttachment:VpcAttachment::/),
      "the attachment",
    );
    assert.ok(
      waitsFor(/TransitSpoke\$aws:ec2\/route:Route::spoke-prod-from-hub-0$/),
      "the route from the hub",
    );
    assert.ok(waitsFor(/SecurityGroupIngressRule::spoke-prod-api-from-hub$/), "the 443 rule from the hub");
    // The spoke's registration and its telemetry identities live on the hub, through a hub provider.
    const onHub = (r: { parent?: string }) =>
      r.parent?.includes("SpokeRegistration") === true ||
      r.parent?.includes("SpokeTelemetryIdentity") === true;
    for (const r of spoke.resources.filter((x) => x.type.startsWith("kubernetes:") && onHub(x)))
      assert.ok(!r.provider?.startsWith(`${viaHub.urn}::`), `${r.name} is a hub object`);
    const k8sObjects = spoke.resources.filter((r) => r.type.startsWith("kubernetes:") && !onHub(r));
    assert.ok(k8sObjects.length > 50);
    for (const r of k8sObjects)
      assert.ok(r.provider?.startsWith(`${viaHub.urn}::`), `${r.name} uses ${r.provider}`);
  });

  it("has Pulumi delete every Flux object it creates with background propagation (no foregroundDeletion finalizer for Flux to trip on)", () => {
    for (const plan of [hub, spoke]) {
      const flux = plan.resources.filter((r) => /^kubernetes:\w+\.toolkit\.fluxcd\.io\//.test(r.type));
      const kinds = new Set(flux.map((r) => r.type.split(":").pop()));
      assert.ok(
        kinds.has("GitRepository") && kinds.has("Kustomization"),
        `${plan.stack}: ${[...kinds].join(", ")}`,
      );
      for (const r of flux) {
        const annotations = (r.inputs.metadata as { annotations?: Record<string, string> } | undefined)
          ?.annotations;
        assert.equal(
          annotations?.["pulumi.com/deletionPropagationPolicy"],
          "background",
          `${plan.stack}: ${r.name}`,
        );
      }
    }
    assert.ok(
      spoke.resources.some((r) => r.type === "kubernetes:source.toolkit.fluxcd.io/v1:HelmRepository"),
      "spoke-prod's infrastructure chart sources are checked too",
    );
  });

  it("protects stateful resources of production stacks", () => {
    assert.equal(byName(spoke, "aws:kms/key:Key", "spoke-prod-key").protect, true);
  });
});

describe("offline plan command line", function () {
  this.timeout(120000);

  it("prints one JSON document with --json", () => {
    const result = runCli(repo, "--stack", "hub", "--json");
    assert.equal(result.status, 0, result.stderr);
    const doc = JSON.parse(result.stdout);
    assert.equal(doc.stack, "hub");
    assert.ok(doc.resources.length > 20);
    for (const r of doc.resources)
      assert.deepEqual(
        ["inputs", "name", "type", "urn"].filter((k) => !(k in r)),
        [],
      );
    assert.ok(Array.isArray(doc.violations));
    assert.equal(doc.summary.mandatory, 0);
    assert.equal(doc.outputs.clusterName, "platform-hub");
  });

  it("exits 2 with one line naming the key on a broken stack file", () => {
    const dir = scratch((text) =>
      text.replace("platform:vpcCidr: 10.0.0.0/16", "platform:vpcCidr: 10.0.0.0/33"),
    );
    const result = runCli(dir, "--stack", "spoke-prod");
    assert.equal(result.status, 2);
    assert.equal(result.stdout, "");
    assert.equal(result.stderr.trim().split("\n").length, 1, result.stderr);
    assert.match(
      result.stderr,
      /^error: invalid configuration platform:vpcCidr = "10\.0\.0\.0\/33": expected an IPv4 CIDR block/,
    );
  });

  it("exits 2 when the spoke overlaps the hub, before creating anything", () => {
    const dir = scratch((text) =>
      text.replace("platform:vpcCidr: 10.0.0.0/16", "platform:vpcCidr: 10.100.0.0/16"),
    );
    const result = runCli(dir, "--stack", "spoke-prod");
    assert.equal(result.status, 2);
    assert.match(
      result.stderr,
      /platform:vpcCidr = "10\.100\.0\.0\/16": expected a CIDR block that does not overlap the hub's 10\.100\.0\.0\/16/,
    );
  });

  it("exits 1 naming the policy when the spoke opens its API endpoint to the world", () => {
    const dir = scratch((text) =>
      text.replace(
        "platform:endpointPublicAccess: false",
        'platform:endpointPublicAccess: true\n  platform:publicAccessCidrs: ["0.0.0.0/0"]',
      ),
    );
    const result = runCli(dir, "--stack", "spoke-prod");
    assert.equal(result.status, 1, result.stderr);
    assert.match(result.stdout, /\[mandatory\] eks-public-endpoint-restricted/);
  });

  it("reuses the hub's cached outputs only while the hub's stack file is unchanged", () => {
    const dir = scratch((text) => text);
    assert.equal(runCli(dir, "--stack", "spoke-prod").status, 0);
    const hubFile = path.join(dir, "Pulumi.hub.yaml");
    writeFileSync(
      hubFile,
      readFileSync(hubFile, "utf8").replace(
        "platform:vpcCidr: 10.100.0.0/16",
        "platform:vpcCidr: 10.0.0.0/16",
      ),
    );
    const result = runCli(dir, "--stack", "spoke-prod");
    assert.equal(result.status, 2, "the changed hub CIDR now overlaps the spoke");
    assert.match(result.stderr, /does not overlap the hub's 10\.0\.0\.0\/16/);
  });

  it("keeps parsed stack files by content in the plan cache: same plan from the cache, a changed or broken entry parsed again", async () => {
    const dir = scratch((text) => text);
    const cacheDir = mkdtempSync(path.join(tmpdir(), "plan-cache-"));
    const cache = { dir: cacheDir, sourceHash: "test" };
    const plan = () => planStack("spoke-prod", { root: dir, cache, skipPolicies: true });
    const first = await plan();
    const entries = readdirSync(cacheDir).filter((f) => /^yaml-[0-9a-f]{32}\.json$/.test(f));
    assert.equal(entries.length, 3, "Pulumi.yaml, the spoke's and the hub's stack files");
    const spokeEntry = entries
      .map((f) => path.join(cacheDir, f))
      .find((f) => readFileSync(f, "utf8").includes("platform:organizations"))!;
    assert.deepEqual(
      JSON.parse(readFileSync(spokeEntry, "utf8")),
      parse(readFileSync(path.join(dir, "Pulumi.spoke-prod.yaml"), "utf8")),
    );
    assert.deepEqual((await plan()).resources, first.resources);
    writeFileSync(spokeEntry, "{ not json");
    assert.deepEqual((await plan()).resources, first.resources, "a broken entry is parsed again");
    writeFileSync(
      path.join(dir, "Pulumi.spoke-prod.yaml"),
      readFileSync(path.join(dir, "Pulumi.spoke-prod.yaml"), "utf8").replace(
        "platform:endpointPublicAccess: false",
        'platform:endpointPublicAccess: true\n  platform:publicAccessCidrs: ["203.0.113.0/24"]',
      ),
    );
    const changed = await plan();
    const cluster = (p: PlanResult) => p.resources.find((r) => r.type === "eks:index:Cluster")!.inputs;
    assert.equal(cluster(first).endpointPublicAccess, false);
    assert.equal(cluster(changed).endpointPublicAccess, true, "an edited file is read again");
  });

  it("exits 2 on a stack that has no file", () => {
    const result = runCli(repo, "--stack", "nope");
    assert.equal(result.status, 2);
    assert.match(result.stderr, /^error: stack file Pulumi\.nope\.yaml not found/);
  });
});
