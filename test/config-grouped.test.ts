import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { ConfigError, RENAMED_KEYS, loadConfig, platformSchema } from "../stacks/config";
import type { z } from "zod";
import { groupSettings } from "../stacks/schema";
import { readProject, readStackConfig, standInForSecrets } from "../tools/plan/run";

const repo = path.resolve(__dirname, "..");
const gitops = { repositoryUrl: "https://github.com/acme/platform" };
const hub = {
  "aws:region": "eu-west-1",
  "platform:role": "hub",
  "platform:vpcCidr": "10.100.0.0/16",
  "platform:gitops": JSON.stringify(gitops),
};
const spoke = {
  ...hub,
  "platform:role": "spoke",
  "platform:vpcCidr": "10.0.0.0/16",
  "platform:hubStackReference": "acme/platform/hub",
};

function rejection(raw: Record<string, string>, isSecret?: (key: string) => boolean): ConfigError {
  try {
    loadConfig(raw, "test", "platform", isSecret ? { isSecret } : {});
  } catch (error) {
    assert.ok(error instanceof ConfigError, `a ConfigError, got ${String(error)}`);
    assert.ok(!error.message.includes("\n"), "one line");
    return error;
  }
  assert.fail(`accepted ${JSON.stringify(raw)}`);
}

describe("config grouped by capability: renamed flat keys", () => {
  it("maps every old key to a field that exists in the schema", () => {
    for (const [old, now] of Object.entries(RENAMED_KEYS)) {
      const [key, field] = now.split(".");
      const settings = groupSettings((platformSchema.shape as unknown as Record<string, z.ZodType>)[key]);
      assert.ok(settings, `${old}: platform:${key} is an object key`);
      assert.ok(field in settings.shape, `${old}: platform:${now} is a field of the schema`);
      assert.ok(!(old in platformSchema.shape), `${old} is no longer a key`);
    }
  });

  for (const [old, now] of Object.entries(RENAMED_KEYS)) {
    it(`refuses platform:${old}, saying it was renamed to platform:${now}`, () => {
      const error = rejection({ ...hub, [`platform:${old}`]: "x" });
      assert.equal(error.key, `platform:${old}`);
      assert.ok(error.message.includes(`renamed to platform:${now}`), error.message);
      assert.ok(error.message.includes(`pulumi config set --path 'platform:${now}'`), error.message);
    });
  }

  it("never echoes the value of an old credential key", () => {
    for (const old of [
      "gitSshPrivateKey",
      "githubAppPrivateKey",
      "grafanaAdminPassword",
      "alertmanagerReceivers",
    ]) {
      const error = rejection({ ...hub, [`platform:${old}`]: "hunter2-secret" });
      assert.doesNotMatch(error.message, /hunter2/);
    }
  });

  it("exits the plan with 2 and the rename on one line for an old stack file", function () {
    this.timeout(120_000);
    const dir = mkdtempSync(path.join(tmpdir(), "config-renamed-"));
    copyFileSync(path.join(repo, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
    const text = readFileSync(path.join(repo, "Pulumi.hub.yaml"), "utf8");
    writeFileSync(path.join(dir, "Pulumi.hub.yaml"), `${text}  platform:backupRetentionDays: 14\n`);
    const run = spawnSync(
      process.execPath,
      [path.join(repo, "tools/plan/launch.js"), "--root", dir, "--stack", "hub"],
      {
        cwd: repo,
        encoding: "utf8",
        env: { ...process.env, NODE_OPTIONS: "" },
      },
    );
    assert.equal(run.status, 2, run.stderr);
    assert.deepEqual(run.stderr.trim().split("\n"), [
      `error: invalid configuration platform:backupRetentionDays = "14": expected no value: renamed to platform:storage.backupRetentionDays (pulumi config set --path 'platform:storage.backupRetentionDays' <value>; add --secret for a credential)`,
    ]);
  });
});

describe("config grouped by capability: objects", () => {
  it("reads fields as pulumi config set --path writes them, with defaults for the rest", () => {
    const config = loadConfig(
      { ...hub, "platform:storage": JSON.stringify({ backupRetentionDays: "14", reclaimPolicy: "Retain" }) },
      "hub",
    );
    assert.equal(config.storage.backupRetentionDays, 14);
    assert.equal(config.storage.reclaimPolicy, "Retain");
    assert.equal(config.storage.efsThroughputMode, "elastic");
    assert.equal(config.observability.prometheusRetention, "15d");
  });

  it("names an unknown field with the closest known one", () => {
    const error = rejection({ ...hub, "platform:storage": JSON.stringify({ backupRetentionDay: 14 }) });
    assert.equal(error.key, "platform:storage.backupRetentionDay");
    assert.match(error.message, /did you mean backupRetentionDays\?/);
  });

  it("refuses a field of the other role, naming the field", () => {
    const error = rejection({ ...spoke, "platform:transit": JSON.stringify({ amazonSideAsn: 64600 }) });
    assert.equal(error.key, "platform:transit.amazonSideAsn");
    assert.match(error.message, /no value on a spoke \(a hub-only key/);
    // at its default it is no mistake (the same object may be shared by copy-paste)
    assert.doesNotThrow(() =>
      loadConfig({ ...spoke, "platform:transit": JSON.stringify({ amazonSideAsn: 64512 }) }, "s"),
    );
  });

  it("requires the Git repository URL in the schema, before anything is built", () => {
    const { "platform:gitops": _omitted, ...raw } = hub;
    const error = rejection(raw);
    assert.equal(error.key, "platform:gitops.repositoryUrl");
    assert.match(error.message, /\(the key is required\)$/);
  });
});

describe("config grouped by capability: secrets set with --secret --path", () => {
  /** A scratch project with the real Pulumi.yaml and one stack file. */
  function stackFile(text: string) {
    const dir = mkdtempSync(path.join(tmpdir(), "config-secret-path-"));
    copyFileSync(path.join(repo, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
    writeFileSync(path.join(dir, "Pulumi.x.yaml"), text);
    const project = readProject(dir);
    return { project, ...readStackConfig(dir, "x", project) };
  }
  const head = "config:\n  aws:region: eu-west-1\n  platform:role: hub\n  platform:vpcCidr: 10.100.0.0/16\n";

  it("takes a secure: value nested in the object (what --secret --path writes) as a secret of the key", () => {
    const { raw, secretKeys } = stackFile(
      `${head}  platform:gitops:\n    repositoryUrl: ssh://git@github.com/acme/platform\n    auth: ssh\n    knownHosts: github.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n    sshPrivateKey:\n      secure: AAABAKr0Z2Vh\n`,
    );
    assert.deepEqual(secretKeys, ["platform:gitops"]);
    const config = loadConfig(raw, "x", "platform", { isSecret: (k) => secretKeys.includes(k) });
    assert.equal(config.gitops.sshPrivateKey, "[secret]");
    assert.equal(config.gitops.auth, "ssh");
  });

  it("refuses the same key in plain text, naming the --secret --path command", () => {
    const { raw, secretKeys } = stackFile(
      `${head}  platform:gitops:\n    repositoryUrl: ssh://git@github.com/acme/platform\n    auth: ssh\n    knownHosts: github.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n    sshPrivateKey: hunter2-deploy-key\n`,
    );
    assert.deepEqual(secretKeys, []);
    const error = rejection(raw, (k) => (secretKeys as string[]).includes(k));
    assert.equal(error.key, "platform:gitops.sshPrivateKey");
    assert.match(error.message, /pulumi config set --secret --path 'platform:gitops.sshPrivateKey'$/);
    assert.doesNotMatch(error.message, /hunter2/);
  });

  it("stands in a placeholder for a required secret field the stack lacks, inside its object", () => {
    const { raw, secretKeys, project } = stackFile(
      `${head}  platform:gitops:\n    repositoryUrl: ssh://git@github.com/acme/platform\n    auth: ssh\n    knownHosts: github.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n`,
    );
    assert.deepEqual(standInForSecrets(raw, "x", project.name, secretKeys), [
      "platform:gitops.sshPrivateKey",
    ]);
    assert.equal(JSON.parse(raw["platform:gitops"]).sshPrivateKey, "[secret]");
    assert.equal(JSON.parse(raw["platform:gitops"]).auth, "ssh");
  });
});
