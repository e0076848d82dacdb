import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { AWS_REGIONS, INSTANCE_TYPES, backupCronProblem, instanceArchitecture } from "../stacks/aws-catalog";
import { ConfigError, loadConfig, type LoadOptions } from "../stacks/config";
import { isConfigSecret, runProgram } from "../stacks/program";
import { PlanInputError, readProject, readStackConfig, standInForSecrets } from "../tools/plan/run";
import { minimalHub, minimalSpoke } from "./config-fixtures";

const repo = path.resolve(__dirname, "..");
const launcher = path.join(repo, "tools/plan/launch.js");

const hub = minimalHub;
const spoke = minimalSpoke;
const pool = {
  name: "general",
  instanceTypes: ["m6i.large"],
  minSize: 1,
  desiredSize: 1,
  maxSize: 2,
};
const entry = {
  name: "bastion",
  principalArn: "arn:aws:iam::111122223333:role/bastion",
  accessPolicy: "AmazonEKSViewPolicy",
};
const json = (value: unknown) => JSON.stringify(value);
const secretEverywhere: LoadOptions = { isSecret: () => true };
const secretNowhere: LoadOptions = { isSecret: () => false };

/** zod's own wording, which must never reach a user. */
const ZOD_WORDING = /Too big|Too small|Invalid input|Unrecognized key|expected (number|string|array) to/;

function rejection(raw: Record<string, string>, options: LoadOptions = {}): ConfigError {
  try {
    loadConfig(raw, "test", "platform", options);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `a ConfigError, got ${String(error)}`);
    return error;
  }
  assert.fail(`accepted ${JSON.stringify(raw)}`);
}

describe("configuration accepted silently no more (issue 9 B)", () => {
  // class, raw config, the key named, the value shown, what is expected
  const cases: [string, Record<string, string>, string, string, RegExp][] = [
    [
      "misspelt namespace",
      { ...hub, "platfrom:nodePools": json([pool]) },
      "platfrom:nodePools",
      "general",
      /did you mean platform:nodePools\?/,
    ],
    [
      "unknown namespace",
      { ...hub, "acme:owner": "me" },
      "acme:owner",
      '"me"',
      /a namespace the program reads: platform, aws/,
    ],
    [
      "unknown top-level key",
      { ...hub, "platform:vpcCidrs": "10.1.0.0/16" },
      "platform:vpcCidrs",
      '"10.1.0.0/16"',
      /did you mean vpcCidr\?/,
    ],
    [
      "node pool diskSize",
      { ...hub, "platform:nodePools": json([{ ...pool, diskSize: 100 }]) },
      "platform:nodePools[0].diskSize",
      "100",
      /did you mean diskSizeGiB\?/,
    ],
    [
      "node pool lables",
      { ...hub, "platform:nodePools": json([{ ...pool, lables: { a: "b" } }]) },
      "platform:nodePools[0].lables",
      '{"a":"b"}',
      /did you mean labels\?/,
    ],
    [
      "taint efect",
      {
        ...hub,
        "platform:nodePools": json([{ ...pool, taints: [{ key: "k", efect: "NO_SCHEDULE" }] }]),
      },
      "platform:nodePools[0].taints[0].efect",
      '"NO_SCHEDULE"',
      /did you mean effect\?/,
    ],
    [
      "access entry namespace instead of namespaces",
      { ...hub, "platform:accessEntries": json([{ ...entry, namespace: ["team-a"] }]) },
      "platform:accessEntries[0].namespace",
      '["team-a"]',
      /did you mean namespaces\?/,
    ],
    [
      "hub-only key on a spoke",
      { ...spoke, "platform:observability": JSON.stringify({ prometheusRetention: "30d" }) },
      "platform:observability.prometheusRetention",
      '"30d"',
      /no value on a spoke \(a hub-only key/,
    ],
    [
      "hub-only object key on a spoke",
      { ...spoke, "platform:transit": JSON.stringify({ ramSharePrincipals: json(["111122223333"]) }) },
      "platform:transit.ramSharePrincipals",
      '["111122223333"]',
      /hub-only key/,
    ],
    [
      "spoke-only key on the hub",
      { ...hub, "platform:hubStackReference": "acme/platform/hub" },
      "platform:hubStackReference",
      '"acme/platform/hub"',
      /no value on a hub \(a spoke-only key/,
    ],
    [
      "spoke-only port list on the hub",
      { ...hub, "platform:transit": JSON.stringify({ hubEndpointPorts: "[443]" }) },
      "platform:transit.hubEndpointPorts",
      "[443]",
      /spoke-only key/,
    ],
    [
      "public VPC CIDR 8.8.0.0/16",
      {
        ...hub,
        "platform:vpcCidr": "8.8.0.0/16",
      },
      "platform:vpcCidr",
      "8.8.0.0/16",
      /RFC 1918/,
    ],
    [
      "public VPC CIDR 52.0.0.0/16",
      {
        ...hub,
        "platform:vpcCidr": "52.0.0.0/16",
      },
      "platform:vpcCidr",
      "52.0.0.0/16",
      /RFC 1918/,
    ],
    [
      "VPC CIDR just outside 172.16.0.0/12",
      {
        ...hub,
        "platform:vpcCidr": "172.32.0.0/16",
      },
      "platform:vpcCidr",
      "172.32.0.0/16",
      /RFC 1918/,
    ],
    [
      "shared address space as the VPC CIDR",
      {
        ...hub,
        "platform:vpcCidr": "100.64.0.0/16",
      },
      "platform:vpcCidr",
      "100.64.0.0/16",
      /RFC 1918/,
    ],
    [
      "unknown instance type",
      { ...hub, "platform:nodePools": json([{ ...pool, instanceTypes: ["t3.gigantic"] }]) },
      "platform:nodePools[0].instanceTypes[0]",
      "t3.gigantic",
      /a known EC2 instance type/,
    ],
    [
      "ARM AMI on an x86 instance type",
      { ...hub, "platform:nodePools": json([{ ...pool, amiType: "AL2023_ARM_64_STANDARD" }]) },
      "platform:nodePools[0].instanceTypes[0]",
      "m6i.large",
      /an arm64 instance type for amiType AL2023_ARM_64_STANDARD \(m6i.large is x86_64/,
    ],
    [
      "x86 AMI on a Graviton instance type",
      {
        ...hub,
        "platform:nodePools": json([{ ...pool, instanceTypes: ["m6i.large", "c6gn.large"] }]),
      },
      "platform:nodePools[0].instanceTypes[1]",
      "c6gn.large",
      /an x86_64 instance type for amiType AL2023_x86_64_STANDARD \(c6gn.large is arm64/,
    ],
    [
      "Bottlerocket ARM on an x86 type",
      {
        ...hub,
        "platform:nodePools": json([
          { ...pool, amiType: "BOTTLEROCKET_ARM_64", instanceTypes: ["t3.medium"] },
        ]),
      },
      "platform:nodePools[0].instanceTypes[0]",
      "t3.medium",
      /arm64 instance type/,
    ],
    [
      "more node groups than the EKS quota",
      {
        ...hub,
        "platform:nodePools": json(Array.from({ length: 31 }, (_, i) => ({ ...pool, name: `pool-${i}` }))),
      },
      "platform:nodePools",
      "pool-0",
      /at most 30 node pools \(the EKS quota of managed node groups per cluster\)/,
    ],
    [
      "the same principal twice in accessEntries",
      {
        ...hub,
        "platform:accessEntries": json([
          entry,
          { ...entry, name: "bastion-admin", accessPolicy: "AmazonEKSAdminPolicy" },
        ]),
      },
      "platform:accessEntries[1].principalArn",
      "arn:aws:iam::111122223333:role/bastion",
      /a principal listed once/,
    ],
    [
      "unknown region",
      { ...hub, "aws:region": "eu-west-9" },
      "aws:region",
      '"eu-west-9"',
      /a known AWS region \(did you mean eu-west-1\?\)/,
    ],
    [
      "world-open apiAccessCidrs",
      { ...hub, "platform:apiAccessCidrs": json(["0.0.0.0/0"]) },
      "platform:apiAccessCidrs[0]",
      "0.0.0.0/0",
      /private CIDR blocks/,
    ],
    [
      "public range in apiAccessCidrs",
      { ...hub, "platform:apiAccessCidrs": json(["10.100.0.0/16", "203.0.113.0/24"]) },
      "platform:apiAccessCidrs[1]",
      "203.0.113.0/24",
      /private CIDR blocks/,
    ],
    [
      "backup schedule without ? in a day field",
      { ...hub, "platform:storage": JSON.stringify({ backupSchedule: "cron(0 3 * * * *)" }) },
      "platform:storage.backupSchedule",
      "cron(0 3 * * * *)",
      /\? in exactly one of day-of-month and day-of-week/,
    ],
    [
      "backup schedule with an hour out of range",
      { ...hub, "platform:storage": JSON.stringify({ backupSchedule: "cron(0 25 * * ? *)" }) },
      "platform:storage.backupSchedule",
      "cron(0 25 * * ? *)",
      /a valid hours field \(0-23/,
    ],
    [
      "backup schedule in Unix cron",
      { ...hub, "platform:storage": JSON.stringify({ backupSchedule: "0 3 * * *" }) },
      "platform:storage.backupSchedule",
      "0 3 * * *",
      /an AWS cron expression cron\(minutes hours/,
    ],
    [
      "backup schedule more often than hourly",
      { ...hub, "platform:storage": JSON.stringify({ backupSchedule: "cron(0/15 * * * ? *)" }) },
      "platform:storage.backupSchedule",
      "cron(0/15 * * * ? *)",
      /at least an hour between two backups/,
    ],
    [
      "tag key with the reserved aws: prefix",
      { ...hub, "platform:tags": json({ "aws:owner": "me" }) },
      "platform:tags.aws:owner",
      "aws:owner",
      /without the prefix aws:/,
    ],
    [
      "tag value too long",
      { ...hub, "platform:tags": json({ owner: "x".repeat(257) }) },
      "platform:tags.owner",
      "xxxx",
      /at most 256 characters/,
    ],
    [
      "tag key with a forbidden character",
      { ...hub, "platform:tags": json({ "owner#1": "me" }) },
      "platform:tags.owner#1",
      "owner#1",
      /letters, digits, spaces/,
    ],
    [
      "unquoted Kubernetes version read as a number",
      { ...hub, "platform:kubernetesVersion": "1.3" },
      "platform:kubernetesVersion",
      '"1.3"',
      /YAML reads an unquoted 1.30 as the number 1.3: quote the version/,
    ],
    [
      "a port out of range, in plain words",
      { ...spoke, "platform:transit": JSON.stringify({ hubEndpointPorts: "[70000]" }) },
      "platform:transit.hubEndpointPorts[0]",
      "70000",
      /expected a number at most 65535$/,
    ],
    [
      "text where a list is expected, in plain words",
      { ...hub, "platform:nodePools": json([{ ...pool, instanceTypes: "m6i.large" }]) },
      "platform:nodePools[0].instanceTypes",
      '"m6i.large"',
      /expected a list$/,
    ],
  ];
  for (const [what, raw, key, valueText, expected] of cases) {
    it(`refuses ${what}, naming ${key}`, () => {
      const error = rejection(raw);
      assert.equal(error.key, key, error.message);
      assert.ok(!error.message.includes("\n"), "one line");
      assert.ok(error.message.startsWith(`invalid configuration ${key} = `), error.message);
      assert.ok(error.message.includes(valueText), `names the value ${valueText}: ${error.message}`);
      assert.match(error.message, expected);
      assert.doesNotMatch(error.message, ZOD_WORDING);
    });
  }

  it("accepts what those rules must let through", () => {
    const ok = (raw: Record<string, string>) => assert.doesNotThrow(() => loadConfig(raw, "test"));
    ok({
      ...hub,
      "platform:vpcCidr": "172.31.0.0/16",
    });
    ok({
      ...hub,
      "platform:vpcCidr": "192.168.0.0/16",
    });
    ok({ ...hub, "platform:apiAccessCidrs": json(["10.100.0.0/16", "100.64.0.0/16"]) });
    ok({
      ...hub,
      "platform:nodePools": json([
        { ...pool, amiType: "AL2023_ARM_64_STANDARD", instanceTypes: ["m7g.large", "c6gn.xlarge"] },
        { ...pool, name: "bottlerocket", amiType: "BOTTLEROCKET_ARM_64", instanceTypes: ["t4g.medium"] },
        { ...pool, name: "x86", amiType: "BOTTLEROCKET_x86_64", instanceTypes: ["g5.xlarge"] },
      ]),
    });
    ok({
      ...hub,
      "platform:nodePools": json(Array.from({ length: 30 }, (_, i) => ({ ...pool, name: `p-${i}` }))),
    });
    ok({ ...hub, "platform:storage": JSON.stringify({ backupSchedule: "cron(30 2 ? * MON-FRI *)" }) });
    ok({ ...hub, "platform:tags": json({ owner: "platform-team", "team:cost center": "a/b=c+d@e" }) });
    ok({ ...hub, "aws:region": "us-gov-west-1", "aws:profile": "prod", "pulumi:tags": "{}" });
    // a hub-only key at its default on a spoke (Pulumi.yaml's defaults reach every stack)
    ok({
      ...spoke,
      "platform:observability": JSON.stringify({ prometheusRetention: "15d" }),
      "platform:gitops": JSON.stringify({
        repositoryUrl: "https://github.com/acme/platform",
        baselinePath: "./gitops/infrastructure/baseline",
      }),
    });
  });
});

describe("credentials only as Pulumi secrets", () => {
  const cases: [string, Record<string, string>][] = [
    [
      "platform:observability.grafanaAdminPassword",
      { ...hub, "platform:observability": JSON.stringify({ grafanaAdminPassword: "correct-horse-battery" }) },
    ],
    [
      "platform:alerting",
      {
        ...hub,
        "platform:alerting": json({
          receivers: [{ name: "ops", type: "webhook", url: "https://hooks.example.com/T000/B000/XXXX" }],
        }),
      },
    ],
    [
      "platform:gitops.sshPrivateKey",
      {
        ...hub,
        "platform:gitops": json({
          auth: "ssh",
          repositoryUrl: "ssh://git@github.com/acme/platform",
          knownHosts:
            "github.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl",
          sshPrivateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nkey\n-----END OPENSSH PRIVATE KEY-----",
        }),
      },
    ],
  ];
  for (const [key, raw] of cases) {
    it(`refuses ${key} in plain text, telling the command, without echoing it`, () => {
      const error = rejection(raw, secretNowhere);
      assert.equal(error.key, key);
      assert.match(
        error.message,
        new RegExp(
          key.includes(".")
            ? `pulumi config set --secret --path '${key}'$`
            : `pulumi config set --secret ${key}$`,
        ),
      );
      assert.ok(!error.message.includes("\n"));
      assert.doesNotMatch(error.message, /horse|hooks\.example|PRIVATE KEY/);
      assert.doesNotThrow(() => loadConfig(raw, "test", "platform", secretEverywhere));
    });
  }

  it("never shows a credential's value in an error, even a misspelt or a bad one", () => {
    for (const raw of [
      { ...hub, "platfom:gitSshPrivateKey": "hunter2-private-key" },
      { ...hub, "platform:gitSshPrivatKey": "hunter2-private-key" },
      { ...hub, "platform:observability": JSON.stringify({ grafanaAdminPassword: "hunter2" }) },
    ]) {
      const error = rejection(raw, secretEverywhere);
      assert.doesNotMatch(error.message, /hunter2/);
      assert.match(error.message, /= "\(secret, not shown\)"/);
    }
  });

  it("reads secretness from the Pulumi runtime in a real run (PULUMI_CONFIG_SECRET_KEYS)", async () => {
    const raw = {
      ...hub,
      "platform:observability": JSON.stringify({ grafanaAdminPassword: "correct-horse-battery" }),
    };
    pulumi.runtime.setAllConfig(raw, []);
    assert.equal(isConfigSecret("platform:observability"), false);
    await assert.rejects(
      runProgram(undefined, "hub", "platform"),
      /pulumi config set --secret --path 'platform:observability.grafanaAdminPassword'/,
    );
    // `pulumi config set --secret --path 'platform:observability.grafanaAdminPassword'` marks the key.
    pulumi.runtime.setAllConfig(raw, ["platform:observability"]);
    assert.equal(isConfigSecret("platform:observability"), true);
    assert.doesNotThrow(() => loadConfig(raw, "hub", "platform", { isSecret: isConfigSecret }));
    pulumi.runtime.setAllConfig({ ...hub, "platfrom:nodePools": "[]" }, []);
    await assert.rejects(runProgram(undefined, "hub", "platform"), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.equal(error.key, "platfrom:nodePools");
      return true;
    });
    pulumi.runtime.setAllConfig({}, []);
  });

  it("ends a real run (index.ts) with a pulumi.RunError carrying the one line", async () => {
    const { default: program } = await import("../index");
    pulumi.runtime.setAllConfig({ ...hub, "platform:nodePools": json([{ ...pool, lables: {} }]) }, []);
    try {
      await assert.rejects(program(), (error: unknown) => {
        assert.ok(error instanceof pulumi.RunError, String(error));
        assert.equal(
          error.message,
          "invalid configuration platform:nodePools[0].lables = {}: expected a known field (did you mean labels?)",
        );
        return true;
      });
    } finally {
      pulumi.runtime.setAllConfig({}, []);
    }
  });

  it("takes a stack file's secure: value as a secret in the plan", () => {
    const dir = project(
      `config:\n  aws:region: eu-west-1\n  platform:role: hub\n  platform:vpcCidr: 10.100.0.0/16\n  platform:gitops:\n    repositoryUrl: https://github.com/acme/platform\n  platform:observability:\n    grafanaAdminPassword:\n      secure: AAABAKr0Z2Vh\n`,
    );
    const proj = readProject(dir);
    const { raw, secretKeys } = readStackConfig(dir, "x", proj);
    assert.deepEqual(secretKeys, ["platform:observability"]);
    assert.deepEqual(standInForSecrets(raw, "x", proj.name, secretKeys), []);
    assert.doesNotThrow(() => loadConfig(raw, "x", "platform", { isSecret: (k) => secretKeys.includes(k) }));
  });
});

describe("secret receivers in a stack file", () => {
  const head =
    "config:\n  aws:region: eu-west-1\n  platform:role: hub\n  platform:vpcCidr: 10.100.0.0/16\n  platform:gitops:\n    repositoryUrl: https://github.com/acme/platform\n";
  const load = (text: string) => {
    const dir = project(text);
    const { raw, secretKeys } = readStackConfig(dir, "x", readProject(dir));
    return {
      secretKeys,
      config: loadConfig(raw, "x", "platform", { isSecret: (k) => secretKeys.includes(k) }),
    };
  };

  it("plans a whole-key secret as no receivers", () => {
    const { secretKeys, config } = load(`${head}  platform:alerting:\n    secure: AAABAKr0Z2Vh\n`);
    assert.deepEqual(secretKeys, ["platform:alerting"]);
    assert.deepEqual(config.alerting.receivers, []);
  });

  it("marks the key secret when one url is set with --secret --path", () => {
    const { secretKeys, config } = load(
      `${head}  platform:alerting:\n    receivers:\n      - name: ops\n        type: webhook\n        url:\n          secure: AAABAKr0Z2Vh\n`,
    );
    assert.deepEqual(secretKeys, ["platform:alerting"]);
    const [receiver] = config.alerting.receivers;
    assert.equal(receiver.type === "webhook" && receiver.url, "[secret]");
  });

  it("refuses the same receivers in plain text", () => {
    assert.throws(
      () =>
        load(
          `${head}  platform:alerting:\n    receivers:\n      - name: ops\n        type: webhook\n        url: https://hooks.example.com/x\n`,
        ),
      /pulumi config set --secret platform:alerting$/,
    );
  });
});

describe("AWS names and rules", () => {
  it("takes instance types and regions from the enums @pulumi/aws ships", () => {
    assert.ok(
      INSTANCE_TYPES.size > 500 && INSTANCE_TYPES.has("t3.medium") && INSTANCE_TYPES.has("m7g.large"),
    );
    assert.ok(!INSTANCE_TYPES.has("t3.gigantic"));
    assert.ok(AWS_REGIONS.has("eu-west-1") && !AWS_REGIONS.has("eu-west-9"));
  });

  it("derives the architecture from the instance family", () => {
    for (const t of [
      "m7g.large",
      "c6gn.xlarge",
      "t4g.small",
      "x2gd.large",
      "im4gn.large",
      "is4gen.large",
      "g5g.xlarge",
      "a1.large",
      "r8gd.large",
    ])
      assert.equal(instanceArchitecture(t), "arm64", t);
    for (const t of [
      "m6i.large",
      "t3.medium",
      "m5.large",
      "g5.xlarge",
      "g4dn.xlarge",
      "c7i-flex.large",
      "u-6tb1.metal",
      "inf2.xlarge",
      "p5.48xlarge",
    ])
      assert.equal(instanceArchitecture(t), "x86_64", t);
    assert.equal(instanceArchitecture("mac2.metal"), undefined);
  });

  it("validates AWS Backup cron expressions by the AWS dialect", () => {
    for (const ok of [
      "cron(0 3 * * ? *)",
      "cron(0 5 ? * MON-FRI *)",
      "cron(0 3 L * ? *)",
      "cron(0 3 ? * 6#3 *)",
      "cron(0 */2 * * ? *)",
      "cron(0 3 15W * ? *)",
      "cron(0 3 1 JAN,JUL ? *)",
    ])
      assert.equal(backupCronProblem(ok), undefined, ok);
    for (const bad of [
      "cron(0 3 * * ? )",
      "cron(0 3 ? * ? *)",
      "cron(60 3 * * ? *)",
      "cron(0 3 32 * ? *)",
      "cron(0 3 ? * 8 *)",
      "cron(0 3 * FOO ? *)",
      "cron(0 3 * * ? 1999)",
      "rate(1 day)",
    ])
      assert.ok(backupCronProblem(bad), bad);
  });
});

/** A scratch project with the real Pulumi.yaml and one stack file `Pulumi.x.yaml`. */
function project(stackFile: string, name = "x"): string {
  const dir = mkdtempSync(path.join(tmpdir(), "config-strict-"));
  copyFileSync(path.join(repo, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
  writeFileSync(path.join(dir, `Pulumi.${name}.yaml`), stackFile);
  return dir;
}

function stackFileError(text: string): string {
  const dir = project(text);
  try {
    readStackConfig(dir, "x", readProject(dir));
  } catch (error) {
    assert.ok(error instanceof PlanInputError, String(error));
    assert.ok(!error.message.includes("\n"), error.message);
    return error.message;
  }
  assert.fail(`accepted ${text}`);
}

describe("stack files the plan cannot read say what is wrong with the file", () => {
  it("an empty file", () =>
    assert.match(
      stackFileError(""),
      /^Pulumi.x.yaml: the file is empty: expected a YAML mapping with config:/,
    ));
  it("a file that is one scalar", () =>
    assert.match(stackFileError("hub\n"), /the file is the string "hub": expected a YAML mapping/));
  it("a file that is a list", () => assert.match(stackFileError("- a\n- b\n"), /the file is a list/));
  it("config: misspelt", () =>
    assert.match(
      stackFileError("confg:\n  aws:region: eu-west-1\n"),
      /unknown top-level key confg \(did you mean config\?\)/,
    ));
  it("no config: at all", () => assert.match(stackFileError("encryptionsalt: abc\n"), /no config: section/));
  it("config: a list", () =>
    assert.match(
      stackFileError("config:\n  - aws:region\n"),
      /config: is a list: expected a mapping of keys to values/,
    ));
  it("config: a scalar", () => assert.match(stackFileError("config: hub\n"), /config: is the string "hub"/));

  it("loads a legitimate file with more than 100 aliases", () => {
    const lines = [
      "config:",
      "  aws:region: eu-west-1",
      "  platform:role: hub",
      "  platform:vpcCidr: 10.100.0.0/16",
      "  platform:gitops:",
      "    repositoryUrl: https://github.com/acme/platform",
    ];
    lines.push("  platform:tags:", "    owner: &owner platform-team", "    cost-center: &cc platform");
    const pools = Array.from({ length: 20 }, (_, i) => [
      `    - name: pool-${i}`,
      `      instanceTypes: [m6i.large]`,
      `      minSize: 0`,
      `      desiredSize: 0`,
      `      maxSize: 1`,
      `      labels: { owner: *owner, cost-center: *cc, team: *owner, app: *cc, tier: *owner, zone: *cc }`,
    ]);
    lines.push("  platform:nodePools:", ...pools.flat());
    const dir = project(`${lines.join("\n")}\n`);
    const { raw } = readStackConfig(dir, "x", readProject(dir));
    const config = loadConfig(raw, "x");
    assert.equal(config.nodePools.length, 20);
    assert.equal(config.nodePools[19].labels.team, "platform-team");
  });

  it("refuses an alias bomb (billion laughs) in one line", () => {
    const levels = ['  a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 9; i++)
      levels.push(
        `  a${i}: &a${i} [${Array(9)
          .fill(`*a${i - 1}`)
          .join(",")}]`,
      );
    const message = stackFileError(
      `config:\n  aws:region: eu-west-1\n  platform:tags:\n${levels.map((l) => `  ${l}`).join("\n")}\n`,
    );
    assert.match(message, /^Pulumi.x.yaml: its YAML aliases expand to more than 100000 values/);
  });
});

describe("the plan CLI exits 2 with one line naming the key", function () {
  this.timeout(120_000);
  const hubFile = readFileSync(path.join(repo, "Pulumi.hub.yaml"), "utf8");
  const cases: [string, string, RegExp][] = [
    [
      "a misspelt namespace",
      `${hubFile}  platfrom:nodePools: []\n`,
      /^error: invalid configuration platfrom:nodePools = "\[\]": expected a key in a known namespace \(did you mean platform:nodePools\?\)$/,
    ],
    [
      "a public VPC CIDR",
      hubFile.replace("platform:vpcCidr: 10.100.0.0/16", "platform:vpcCidr: 52.0.0.0/16"),
      /^error: invalid configuration platform:vpcCidr = "52.0.0.0\/16": expected a private \(RFC 1918\) block/,
    ],
    [
      "a plain-text password",
      hubFile.replace(
        "  platform:observability:\n",
        "  platform:observability:\n    grafanaAdminPassword: correct-horse-battery\n",
      ),
      /^error: invalid configuration platform:observability.grafanaAdminPassword = "\(plain text, not shown\)": expected a secret: .*pulumi config set --secret --path 'platform:observability.grafanaAdminPassword'$/,
    ],
    [
      "an unquoted Kubernetes version",
      hubFile.replace('platform:kubernetesVersion: "1.35"', "platform:kubernetesVersion: 1.30"),
      /^error: invalid configuration platform:kubernetesVersion = "1.3": expected .*quote the version/,
    ],
    [
      "a file with confg:",
      hubFile.replace(/^config:/m, "confg:"),
      /^error: Pulumi.hub.yaml: unknown top-level key confg \(did you mean config\?\)/,
    ],
  ];
  for (const [what, text, expected] of cases) {
    it(what, () => {
      const dir = mkdtempSync(path.join(tmpdir(), "config-strict-cli-"));
      copyFileSync(path.join(repo, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
      writeFileSync(path.join(dir, "Pulumi.hub.yaml"), text);
      const run = spawnSync(process.execPath, [launcher, "--root", dir, "--stack", "hub"], {
        cwd: repo,
        encoding: "utf8",
        env: { ...process.env, NODE_OPTIONS: "" },
      });
      assert.equal(run.status, 2, run.stderr);
      assert.equal(run.stdout, "");
      const lines = run.stderr.trim().split("\n");
      assert.equal(lines.length, 1, run.stderr);
      assert.match(lines[0], expected);
    });
  }
});
