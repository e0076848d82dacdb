import { strict as assert } from "node:assert";
import { recorded, resetRecorded, setupMocks, type RecordedResource } from "./mocks";
import {
  Registry,
  cacheLifecyclePolicy,
  creationRolePolicy,
  pullThroughPolicy,
  repositoryArns,
} from "../components/registry";
import { loadConfig } from "../stacks/config";
import { registryEnabled } from "../stacks/registry";
import { minimalHub } from "./config-fixtures";

const dockerHubSecret =
  "arn:aws:secretsmanager:eu-west-1:111122223333:secret:ecr-pullthroughcache/docker-hub-AbCdEf";
const rules = [
  { prefix: "docker-hub", registry: "docker-hub", credentialArn: dockerHubSecret },
  { prefix: "k8s", registry: "registry.k8s.io" },
] as const;

describe("add-on: ECR pull through cache", function () {
  let all: RecordedResource[];
  const of = (type: string) => all.filter((r) => r.type === type);
  before(async () => {
    setupMocks({ stack: "hub" });
    resetRecorded();
    new Registry("hub", {
      clusterName: "platform-hub",
      region: "eu-west-1",
      rules,
      nodeRoleNames: { nodes: "hub-nodes", karpenter: "hub-karpenter-nodes" },
      tags: { owner: "platform-team" },
    });
    all = await recorded();
  });

  it("creates one rule per upstream, with its credentials secret where the upstream needs one", () => {
    const created = of("aws:ecr/pullThroughCacheRule:PullThroughCacheRule").map((r) => [
      r.inputs.ecrRepositoryPrefix,
      r.inputs.upstreamRegistryUrl,
      r.inputs.credentialArn,
    ]);
    created.sort((a, b) => String(a[0]).localeCompare(String(b[0])));
    assert.deepEqual(created, [
      ["docker-hub", "registry-1.docker.io", dockerHubSecret],
      ["k8s", "registry.k8s.io", undefined],
    ]);
  });

  it("makes cached repositories from templates: immutable tags, the registry's KMS key, a lifecycle, its creation role", () => {
    const [key] = of("aws:kms/key:Key");
    assert.equal(key.inputs.enableKeyRotation, true);
    const [role] = of("aws:iam/role:Role");
    assert.equal(
      JSON.parse(String(role.inputs.assumeRolePolicy)).Statement[0].Principal.Service,
      "ecr.amazonaws.com",
    );
    const templates = of("aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate");
    assert.deepEqual(templates.map((t) => t.inputs.prefix).sort(), ["docker-hub", "k8s"]);
    for (const t of templates) {
      assert.deepEqual(t.inputs.appliedFors, ["PULL_THROUGH_CACHE"]);
      assert.equal(t.inputs.imageTagMutability, "IMMUTABLE");
      const [enc] = t.inputs.encryptionConfigurations as { encryptionType: string; kmsKey: string }[];
      assert.equal(enc.encryptionType, "KMS");
      assert.equal(enc.kmsKey, key.outputs.arn);
      assert.equal(t.inputs.customRoleArn, role.outputs.arn);
      assert.deepEqual(JSON.parse(String(t.inputs.lifecyclePolicy)), cacheLifecyclePolicy(14, 200));
      assert.equal((t.inputs.resourceTags as Record<string, string>).owner, "platform-team");
    }
  });

  it("scans the cached repositories on push", () => {
    const [scanning] = of("aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration");
    assert.equal(scanning.inputs.scanType, "BASIC");
    assert.deepEqual(scanning.inputs.rules, [
      {
        scanFrequency: "SCAN_ON_PUSH",
        repositoryFilters: [
          { filter: "docker-hub/*", filterType: "WILDCARD" },
          { filter: "k8s/*", filterType: "WILDCARD" },
        ],
      },
    ]);
  });

  it("lets the node role and Karpenter's node role pull through the cache, under its prefixes only", () => {
    const pulls = of("aws:iam/rolePolicy:RolePolicy").filter((r) => r.name.includes("-pull-"));
    assert.deepEqual(pulls.map((p) => p.inputs.role).sort(), ["hub-karpenter-nodes", "hub-nodes"]);
    const repositories = repositoryArns("aws", "eu-west-1", "111122223333", ["docker-hub", "k8s"]);
    for (const p of pulls)
      assert.deepEqual(JSON.parse(String(p.inputs.policy)), pullThroughPolicy(repositories));
  });

  it("only grants the node roles on a stack that does not manage the registry", async () => {
    resetRecorded();
    new Registry("spoke", {
      clusterName: "c",
      region: "eu-west-1",
      rules,
      manageRegistry: false,
      nodeRoleNames: { nodes: "spoke-nodes" },
    });
    const mine = (await recorded()).filter((r) => r.name.startsWith("spoke-"));
    assert.deepEqual(
      mine.map((r) => `${r.type} ${String(r.inputs.role)}`),
      ["aws:iam/rolePolicy:RolePolicy spoke-nodes"],
    );
  });
});

describe("registry IAM policies", () => {
  const repositories = repositoryArns("aws", "eu-west-1", "111122223333", ["docker-hub", "quay"]);
  it("names the repositories under each prefix, in one account and region", () => {
    assert.deepEqual(repositories, [
      "arn:aws:ecr:eu-west-1:111122223333:repository/docker-hub/*",
      "arn:aws:ecr:eu-west-1:111122223333:repository/quay/*",
    ]);
  });
  it("node roles may only import upstream images and create repositories under the prefixes", () => {
    const doc = pullThroughPolicy(repositories);
    assert.equal(doc.Statement.length, 1);
    assert.deepEqual(doc.Statement[0].Action, ["ecr:BatchImportUpstreamImage", "ecr:CreateRepository"]);
    assert.deepEqual(doc.Statement[0].Resource, repositories);
  });
  it("the creation role may create and tag those repositories and grant its one key to AWS resources only", () => {
    const key = "arn:aws:kms:eu-west-1:111122223333:key/k";
    const doc = creationRolePolicy(repositories, key);
    for (const s of doc.Statement) assert.notEqual(s.Resource, "*");
    const grants = doc.Statement.find((s) => s.Sid === "GrantsForEcr")!;
    assert.equal(grants.Resource, key);
    assert.deepEqual(grants.Condition, { Bool: { "kms:GrantIsForAWSResource": "true" } });
    assert.deepEqual(doc.Statement[0].Resource, repositories);
  });
});

describe("platform:registry config", () => {
  const base = minimalHub;
  const load = (value: unknown, environment = "production") =>
    loadConfig(
      { ...base, "platform:environment": environment, "platform:registry": JSON.stringify(value) },
      "hub",
    );
  it("is on in production with the credential-free upstreams by default", () => {
    const config = load({});
    assert.equal(registryEnabled(config), true);
    assert.equal(registryEnabled(load({}, "staging")), false);
    assert.deepEqual(
      config.registry.rules.map((r) => r.registry),
      ["ecr-public", "registry.k8s.io", "quay"],
    );
  });
  it("requires a Secrets Manager ARN, never the credentials, for upstreams that need them", () => {
    assert.throws(
      () => load({ rules: [{ prefix: "docker-hub", registry: "docker-hub" }] }),
      /platform:registry\.rules\[0\]\.credentialArn = \(not set\): expected the ARN of a Secrets Manager secret with docker-hub credentials/,
    );
    assert.throws(
      () => load({ rules: [{ prefix: "ghcr", registry: "ghcr", credentialArn: "user:ghp_token" }] }),
      /platform:registry\.rules\[0\]\.credentialArn = "user:ghp_token": expected a Secrets Manager secret ARN whose name starts with ecr-pullthroughcache\//,
    );
    assert.equal(load({ rules }).registry.rules[0].credentialArn, dockerHubSecret);
  });
  it("rejects unknown upstreams, bad and repeated prefixes with one line naming the key", () => {
    assert.throws(
      () => load({ rules: [{ prefix: "hub", registry: "dockerhub" }] }),
      /platform:registry\.rules\[0\]\.registry = "dockerhub": expected an upstream registry: docker-hub, ghcr/,
    );
    assert.throws(
      () => load({ rules: [{ prefix: "Docker_Hub", registry: "quay" }] }),
      /platform:registry\.rules\[0\]\.prefix = "Docker_Hub": expected a repository prefix of lowercase letters/,
    );
    assert.throws(
      () =>
        load({
          rules: [
            { prefix: "quay", registry: "quay" },
            { prefix: "quay", registry: "ecr-public" },
          ],
        }),
      /platform:registry\.rules\[1\]\.prefix = "quay": expected a prefix used once/,
    );
  });
});
