/**
 * The backup alerts in the production plans: every stack's storage vault has the EventBridge rule
 * on its failed, aborted and expired backup and copy jobs, the encrypted topic it publishes to and
 * the topic ARN as a stack output; the hub subscribes the e-mail receivers of `platform:alerting`.
 */
import * as assert from "node:assert/strict";
import * as path from "node:path";
import { readFileSync } from "node:fs";
import { planStack, type PlanResult, type PlanResource } from "../tools/plan/run";

const repo = path.resolve(__dirname, "..");
const policyConfig = JSON.parse(
  readFileSync(path.join(repo, "policy/config/production.json"), "utf8"),
) as Record<string, unknown>;

const T = {
  topic: "aws:sns/topic:Topic",
  topicPolicy: "aws:sns/topicPolicy:TopicPolicy",
  subscription: "aws:sns/topicSubscription:TopicSubscription",
  rule: "aws:cloudwatch/eventRule:EventRule",
  target: "aws:cloudwatch/eventTarget:EventTarget",
  vault: "aws:backup/vault:Vault",
  key: "aws:kms/key:Key",
};

const one = (plan: PlanResult, type: string, name: string): PlanResource => {
  const found = plan.resources.find((r) => r.type === type && r.name === name);
  assert.ok(found, `${plan.stack}: no ${type} named ${name}`);
  return found;
};

describe("backup alerts in the production plans", function () {
  const plans: Record<string, PlanResult> = {};
  before(async () => {
    for (const stack of ["hub", "spoke-prod"])
      plans[stack] = await planStack(stack, { root: repo, policyConfig });
    plans["hub-email"] = await planStack("hub", {
      root: repo,
      policyConfig,
      configOverrides: {
        "platform:alerting": JSON.stringify({
          receivers: [
            {
              name: "mail",
              type: "email",
              to: "ops@example.com, Platform Team <platform@example.com>",
              from: "alertmanager@example.com",
              smarthost: "smtp.example.com:587",
            },
            { name: "hook", type: "webhook", url: "https://hooks.example.com/alerts" },
          ],
        }),
      },
      secretOverrides: ["platform:alerting"],
    });
  });

  for (const [stack, vaultName] of [
    ["hub", "platform-hub-storage"],
    ["spoke-prod", "production-numinia-storage"],
  ] as const) {
    it(`${stack}: watches its own vault's backup and copy jobs and publishes to its encrypted topic`, () => {
      const plan = plans[stack];
      const vault = one(plan, T.vault, `${stack}-backup-vault`);
      assert.equal(vault.inputs.name, vaultName);
      const rule = one(plan, T.rule, `${stack}-backup-alerts`);
      const pattern = JSON.parse(String(rule.inputs.eventPattern)) as { detail: { $or: unknown[] } };
      assert.deepEqual(pattern.detail.$or[0], { backupVaultName: [vaultName] });
      assert.match(
        JSON.stringify(pattern.detail.$or[1]),
        new RegExp(
          `^\\{"sourceBackupVaultArn":\\["arn:aws:backup:eu-west-1:\\d{12}:backup-vault:${vaultName}"\\]\\}$`,
        ),
      );
      const topic = one(plan, T.topic, `${stack}-backup-alerts`);
      const key = one(plan, T.key, `${stack}-storage-key`);
      assert.ok(topic.dependencies.includes(key.urn), "the topic is encrypted with the storage key");
      assert.match(String(topic.inputs.kmsMasterKeyId), /^arn:aws:kms:eu-west-1:\d{12}:key\//);
      const target = one(plan, T.target, `${stack}-backup-alerts`);
      assert.ok(target.dependencies.includes(rule.urn) && target.dependencies.includes(topic.urn));
      assert.ok(one(plan, T.topicPolicy, `${stack}-backup-alerts`).dependencies.includes(rule.urn));
      assert.match(String(plan.outputs.backupAlertsTopicArn), /^arn:aws:sns:eu-west-1:/);
      // The storage key lets EventBridge encrypt for this topic only: the ARN its policy names
      // before the topic exists is the topic's real ARN (arn:aws:sns:<region>:<account>:<name>).
      const topicArn = `arn:aws:sns:eu-west-1:${String(plan.outputs.backupAlertsTopicArn).split(":")[4]}:${String(topic.inputs.name)}`;
      assert.equal(plan.outputs.backupAlertsTopicArn, topicArn);
      assert.ok(String(key.inputs.policy).includes(`"${topicArn}"`), "the key policy names the topic's ARN");
      assert.equal(one(plan, T.topicPolicy, `${stack}-backup-alerts`).inputs.arn, topicArn);
    });

    it(`${stack}: has no mandatory policy violation (the topic passes sns-topic-encrypted)`, () => {
      const plan = plans[stack];
      assert.deepEqual(
        plan.violations.filter((v) => v.enforcementLevel === "mandatory"),
        [],
      );
      assert.equal(plan.violations.filter((v) => v.policy === "sns-topic-encrypted").length, 0);
    });
  }

  it("subscribes no address where no e-mail receiver is configured (the stack files)", () => {
    for (const stack of ["hub", "spoke-prod"])
      assert.equal(plans[stack].resources.filter((r) => r.type === T.subscription).length, 0, stack);
  });

  it("subscribes each address of the hub's e-mail receivers, kept secret, and nothing for other receiver types", () => {
    const subscriptions = plans["hub-email"].resources.filter((r) => r.type === T.subscription);
    // Two addresses in one `to`; the webhook receiver gets none. The addresses come from a secret
    // key and stay secret (the plan shows secrets as [secret]).
    assert.deepEqual(
      subscriptions.map((s) => [s.inputs.protocol, s.inputs.endpoint]),
      [
        ["email", "[secret]"],
        ["email", "[secret]"],
      ],
    );
    const topic = one(plans["hub-email"], T.topic, "hub-backup-alerts");
    for (const s of subscriptions) assert.ok(s.dependencies.includes(topic.urn));
  });
});
