import * as assert from "assert";
import Ajv from "ajv";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { isDeepStrictEqual } from "util";
import type { ResourceValidationPolicy } from "@pulumi/policy";
import * as pulumi from "@pulumi/pulumi";
import { evaluatePolicies, loadPolicyConfig, type PlannedResource } from "../../policy/engine";
import { policies } from "../../policy/policies";
import { schemaDefaults, toPlainProps } from "../../policy/runtime";
import { eksPrivateEndpoint, eksVersionAllowed } from "../../policy/policies/eks";
import { tgwNoAutoAccept } from "../../policy/policies/network";
import { makeUrn } from "../../policy/testing";
import { planStack } from "../../tools/plan/run";

const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const opts = { stack: "spoke-prod", project: "platform" };

function res(
  type: string,
  name: string,
  props: Record<string, unknown>,
  extra: Partial<PlannedResource> = {},
): PlannedResource {
  return { urn: makeUrn(type, name, "spoke-prod"), type, name, props, protect: false, ...extra };
}

const publicCluster = res("eks:index:Cluster", "spoke", { endpointPrivateAccess: false, version: "1.35" });
const tgw = res("aws:ec2transitgateway/transitGateway:TransitGateway", "hub-tgw", {
  autoAcceptSharedAttachments: "enable",
});

function tmpFile(content: string): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "policy-config-")), "config.json");
  fs.writeFileSync(file, content);
  return file;
}

describe("policy engine", () => {
  const small = [eksPrivateEndpoint(), eksVersionAllowed(), tgwNoAutoAccept()];

  it("reports violations at the pack's default level (mandatory) with the engine's message format", async () => {
    const v = await evaluatePolicies([publicCluster], { ...opts, policies: small });
    assert.deepStrictEqual(v, [
      {
        policy: "eks-private-endpoint",
        enforcementLevel: "mandatory",
        urn: publicCluster.urn,
        message: `${eksPrivateEndpoint().description}\nendpointPrivateAccess is not true (the eks.Cluster default is false): nodes would reach the API over the internet. Set endpointPrivateAccess: true.`,
      },
    ]);
  });

  it('applies "all", then per-policy levels, and skips disabled policies', async () => {
    const v = await evaluatePolicies([publicCluster, tgw], {
      ...opts,
      policies: small,
      policyConfig: {
        all: "advisory",
        "tgw-no-auto-accept": { enforcementLevel: "mandatory" },
        "eks-version-allowed": "disabled",
      },
    });
    assert.deepStrictEqual(
      v.map((x) => [x.policy, x.enforcementLevel]),
      [
        ["eks-private-endpoint", "advisory"],
        ["tgw-no-auto-accept", "mandatory"],
      ],
    );
    const disabled = await evaluatePolicies([publicCluster], {
      ...opts,
      policies: small,
      policyConfig: { "eks-private-endpoint": "disabled" },
    });
    assert.deepStrictEqual(disabled, []);
  });

  it("keeps a policy's own level (advisory) unless config overrides it", async () => {
    const cluster = res("eks:index:Cluster", "c", { authenticationMode: "API_AND_CONFIG_MAP" });
    const v = await evaluatePolicies([cluster], { ...opts });
    assert.strictEqual(
      v.find((x) => x.policy === "eks-authentication-mode-no-config-map")?.enforcementLevel,
      "advisory",
    );
    const w = await evaluatePolicies([cluster], {
      ...opts,
      policyConfig: { "eks-authentication-mode-no-config-map": "mandatory" },
    });
    assert.strictEqual(
      w.find((x) => x.policy === "eks-authentication-mode-no-config-map")?.enforcementLevel,
      "mandatory",
    );
  });

  it("applies config properties over schema defaults", async () => {
    const old = res("eks:index:Cluster", "old", { endpointPrivateAccess: true, version: "1.31" });
    assert.strictEqual((await evaluatePolicies([old], { ...opts, policies: small })).length, 1);
    assert.deepStrictEqual(
      await evaluatePolicies([old], {
        ...opts,
        policies: small,
        policyConfig: { "eks-version-allowed": { allowedVersions: ["1.31"] } },
      }),
      [],
    );
  });

  it("rejects config that fails a policy's configSchema", async () => {
    await assert.rejects(
      evaluatePolicies([old()], {
        ...opts,
        policies: small,
        policyConfig: { "eks-version-allowed": { allowedVersions: "1.35" } },
      }),
      /"eks-version-allowed\.allowedVersions" is "1\.35", expected a value of type array/,
    );
    function old() {
      return publicCluster;
    }
  });

  it("turns an unknown value into an advisory can't-run verdict", async () => {
    const v = await evaluatePolicies(
      [res("eks:index:Cluster", "c", { endpointPrivateAccess: UNKNOWN, version: "1.35" })],
      { ...opts, policies: small },
    );
    assert.deepStrictEqual(v, [
      {
        policy: "eks-private-endpoint",
        enforcementLevel: "advisory",
        urn: makeUrn("eks:index:Cluster", "c", "spoke-prod"),
        message:
          "can't run policy 'eks-private-endpoint' from policy pack 'platform-guardrails@v0.1.0' during preview: string value at .endpointPrivateAccess can't be known during preview",
      },
    ]);
  });

  it("awaits a validation that returns a promise, in pack order, and judges how it settles", async () => {
    const policy = (
      name: string,
      validateResource: ResourceValidationPolicy["validateResource"],
    ): ResourceValidationPolicy => ({
      name,
      description: `${name} description`,
      enforcementLevel: "mandatory",
      validateResource,
    });
    const later = () => new Promise((resolve) => setTimeout(resolve, 5));
    const cluster = res("eks:index:Cluster", "c", { endpointPrivateAccess: UNKNOWN, version: "1.35" });
    const verdicts = await evaluatePolicies([cluster], {
      ...opts,
      policies: [
        policy("async-first", async (_args, report) => {
          await later();
          report("late");
        }),
        policy("sync-second", (_args, report) => report("at once")),
        policy("async-unknown", async (args) => {
          await later();
          if (args.props.endpointPrivateAccess) return;
        }),
      ],
    });
    assert.deepStrictEqual(
      verdicts.map((v) => [v.policy, v.enforcementLevel, v.message.split("\n").pop()]),
      [
        ["async-first", "mandatory", "late"],
        ["sync-second", "mandatory", "at once"],
        [
          "async-unknown",
          "advisory",
          "can't run policy 'async-unknown' from policy pack 'platform-guardrails@v0.1.0' during preview: string value at .endpointPrivateAccess can't be known during preview",
        ],
      ],
    );
    await assert.rejects(
      evaluatePolicies([cluster], {
        ...opts,
        policies: [
          policy("async-broken", async () => {
            await later();
            throw new Error("boom");
          }),
        ],
      }),
      /^Error: Error validating resource urn:pulumi:spoke-prod::platform::eks:index:Cluster::c with policy 'async-broken' from policy pack 'platform-guardrails@v0\.1\.0': boom$/,
    );
  });

  it("runs remediations before validations when the level is remediate", async () => {
    const fixer: ResourceValidationPolicy = {
      ...tgwNoAutoAccept(),
      remediateResource: (args) =>
        args.type === tgw.type ? { ...args.props, autoAcceptSharedAttachments: "disable" } : undefined,
    };
    const v = await evaluatePolicies([tgw], {
      ...opts,
      policies: [fixer],
      policyConfig: { "tgw-no-auto-accept": "remediate" },
    });
    assert.deepStrictEqual(v, [
      {
        policy: "tgw-no-auto-accept",
        enforcementLevel: "remediate",
        urn: tgw.urn,
        message: fixer.description,
      },
    ]);
    const notFixed = await evaluatePolicies([tgw], {
      ...opts,
      policies: [tgwNoAutoAccept()],
      policyConfig: { "tgw-no-auto-accept": "remediate" },
    });
    assert.deepStrictEqual(
      notFixed.map((x) => x.enforcementLevel),
      ["mandatory"],
      "a remediate-level violation left unfixed is mandatory",
    );
  });

  it("runs stack policies and reports their URNs", async () => {
    const v = await evaluatePolicies([res("awsx:ec2:Vpc", "hub", {})], {
      ...opts,
      policyConfig: { all: "disabled", "vpc-flow-logs": "mandatory" },
    });
    assert.deepStrictEqual(
      v.map((x) => [x.policy, x.urn]),
      [["vpc-flow-logs", makeUrn("awsx:ec2:Vpc", "hub", "spoke-prod")]],
    );
  });

  it("passes stackTags through", async () => {
    const key = res(
      "aws:kms/key:Key",
      "k",
      { enableKeyRotation: true },
      { urn: "urn:pulumi:hub::platform::aws:kms/key:Key::k" },
    );
    const tagged = await evaluatePolicies([key], {
      ...opts,
      stackTags: { environment: "production" },
      policyConfig: { all: "disabled", "protect-stateful-in-production": "mandatory" },
    });
    assert.strictEqual(tagged.length, 1);
  });

  describe("loadPolicyConfig", () => {
    it("accepts the shipped production and non-production files", () => {
      for (const f of ["policy/config/production.json", "policy/config/non-production.json"]) {
        assert.strictEqual(typeof loadPolicyConfig(f), "object", f);
      }
    });
    it("names the file, the key and the expectation on a schema error", () => {
      const f = tmpFile(JSON.stringify({ "nodes-imdsv2-required": { maxHopLimit: 0 } }));
      assert.throws(
        () => loadPolicyConfig(f),
        (e: Error) => {
          assert.strictEqual(
            e.message,
            `${f}: "nodes-imdsv2-required.maxHopLimit" is 0, expected a number >= 1`,
          );
          return true;
        },
      );
    });
    it("rejects bad enforcement levels, unknown policies and unknown settings", () => {
      assert.throws(
        () => loadPolicyConfig(tmpFile('{"all": "strict"}')),
        /"all" is "strict", expected an enforcement level \(advisory, mandatory, remediate, disabled\)/,
      );
      assert.throws(
        () => loadPolicyConfig(tmpFile('{"eks-privat-endpoint": "advisory"}')),
        /"eks-privat-endpoint" is not a policy of the platform-guardrails pack/,
      );
      assert.throws(
        () => loadPolicyConfig(tmpFile('{"eks-version-allowed": {"versions": ["1.35"]}}')),
        /"eks-version-allowed\.versions" is not a setting of eks-version-allowed, expected one of allowedVersions/,
      );
      assert.throws(() => loadPolicyConfig(tmpFile("{oops")), /not valid JSON/);
      assert.throws(
        () => loadPolicyConfig("/nonexistent/policy.json"),
        /\/nonexistent\/policy\.json: cannot read policy config \(ENOENT\)/,
      );
    });
    it("every error is one line", () => {
      try {
        loadPolicyConfig(tmpFile('{"sg-no-world-ingress": {"allowedPorts": ["443"]}}'));
        assert.fail("expected an error");
      } catch (e) {
        assert.match(
          (e as Error).message,
          /"sg-no-world-ingress\.allowedPorts\[0\]" is "443", expected a value of type integer/,
        );
        assert.ok(!(e as Error).message.includes("\n"));
      }
    });
  });

  it("every configSchema is valid JSON Schema draft 7 and its defaults satisfy it (the engine validates only configured policies)", () => {
    const ajv = new Ajv({ strict: false });
    const withSchema = policies.filter((p) => p.configSchema);
    assert.ok(withSchema.length > 10, "the pack has configurable policies");
    for (const p of withSchema) {
      const schema = { type: "object", ...p.configSchema };
      assert.ok(ajv.validateSchema(schema), `${p.name}: ${ajv.errorsText(ajv.errors)}`);
      const validate = ajv.compile(schema);
      assert.ok(
        validate(schemaDefaults(p.configSchema)),
        `${p.name} defaults: ${ajv.errorsText(validate.errors)}`,
      );
    }
  });

  it("still validates a policy's required property that has no default when the config omits it", async () => {
    const strict = {
      ...tgwNoAutoAccept(),
      name: "needs-setting",
      configSchema: { properties: { owner: { type: "string" } }, required: ["owner"] },
    } as (typeof policies)[number];
    await assert.rejects(
      evaluatePolicies([tgw], { ...opts, policies: [strict] }),
      /"needs-setting\.owner" is missing, expected a value \(required\)/,
    );
  });

  it("the pack has unique kebab-case names with description and metadata", () => {
    const names = policies.map((p) => p.name);
    assert.strictEqual(new Set(names).size, names.length);
    for (const p of policies) {
      assert.match(p.name, /^[a-z0-9]+(-[a-z0-9]+)*$/, p.name);
      assert.ok(p.description.length > 20, `${p.name} has a description`);
    }
  });
});

describe("policy engine: component registrations without inputs (a real preview)", () => {
  const production = loadPolicyConfig(path.resolve(__dirname, "../../policy/config/production.json"));
  const components = ["eks:index:Cluster", "eks:index:ManagedNodeGroup", "awsx:ec2:Vpc"];

  // Stack policies correlate resources (a flow log for each VPC...): alone, the components are
  // rightly incomplete. Here each resource policy judges what it is given.
  const resourcePolicies = policies.filter((p) => "validateResource" in p);

  it("gives no verdict on eks/awsx components registered with empty inputs", async () => {
    const resources = components.map((type, i) => res(type, `c${i}`, {}));
    const verdicts = await evaluatePolicies(resources, {
      ...opts,
      policyConfig: production,
      policies: resourcePolicies,
    });
    assert.deepStrictEqual(verdicts, []);
  });

  it("still judges a component whose inputs are there and wrong", async () => {
    const verdicts = await evaluatePolicies(
      [res("eks:index:Cluster", "bad", { endpointPrivateAccess: false, version: "1.35" })],
      { ...opts, policyConfig: production, policies: resourcePolicies },
    );
    const names = new Set(verdicts.filter((v) => v.enforcementLevel === "mandatory").map((v) => v.policy));
    for (const policy of [
      "eks-private-endpoint",
      "eks-secrets-encryption",
      "eks-control-plane-logging",
      "required-tags",
    ]) {
      assert.ok(names.has(policy), `${policy} fires on the component's bad inputs`);
    }
  });
});

describe("policy engine: provider inputs", () => {
  const tags = { environment: "production", owner: "platform-team", "cost-center": "platform" };
  const provider = res("pulumi:providers:aws", "spoke-aws", {
    region: "eu-west-1",
    defaultTags: JSON.stringify({ tags }),
  });
  const entry = (providerRef?: string) =>
    res(
      "aws:eks/accessEntry:AccessEntry",
      "spoke-eks-bastion",
      { clusterName: "c", principalArn: "arn:aws:iam::111122223333:role/bastion", tagsAll: {} },
      providerRef ? { provider: `${providerRef}::04da6b54` } : {},
    );

  it("hands a resource its provider's inputs: default tags (JSON text, as the AWS SDK sends them) count", async () => {
    const v = await evaluatePolicies([provider, entry(provider.urn)], {
      ...opts,
      policies: policies.filter((p) => p.name === "required-tags"),
    });
    assert.deepStrictEqual(v, []);
  });

  it("still fires on an untagged access entry whose provider has no default tags", async () => {
    const v = await evaluatePolicies([entry()], {
      ...opts,
      policies: policies.filter((p) => p.name === "required-tags"),
    });
    assert.equal(v.length, 1);
    assert.match(v[0]!.message, /missing tags environment, owner, cost-center/);
  });
});

describe("policy engine: secrets as the Pulumi SDK serializes them", () => {
  // The SDK's own encoding of a secret (`@pulumi/pulumi/runtime/rpc`), not a hand-copied signature.
  const secret = (value: unknown) => ({
    [pulumi.runtime.specialSigKey]: pulumi.runtime.specialSecretSig,
    value,
  });

  it("unwraps serialized secrets, nested ones too, into plain values", () => {
    const serialized = { token: secret("hunter2"), list: [secret({ a: 1 })], tags: { team: secret("a") } };
    assert.deepStrictEqual(toPlainProps(serialized), {
      token: "hunter2",
      list: [{ a: 1 }],
      tags: { team: "a" },
    });
  });

  it("judges the value inside a secret: a secret endpointPrivateAccess false still fires", async () => {
    const cluster = res("eks:index:Cluster", "secret-spoke", {
      endpointPrivateAccess: secret(false),
      version: "1.35",
    });
    const v = await evaluatePolicies([cluster], { ...opts, policies: [eksPrivateEndpoint()] });
    assert.deepStrictEqual(
      v.map((x) => [x.policy, x.enforcementLevel]),
      [["eks-private-endpoint", "mandatory"]],
    );
  });
});

describe("policy engine: shared props", () => {
  it("no policy of the pack changes the props it judges (validations of a resource share one copy)", async () => {
    const plan = await planStack("spoke-prod", {
      root: path.resolve(__dirname, "../.."),
      skipPolicies: true,
    });
    const resources: PlannedResource[] = plan.resources.map((r) => ({ ...r, props: r.inputs }));
    const original = new Map(resources.map((r) => [r.urn, toPlainProps(r.props)]));
    const changed: string[] = [];
    // Runs after every other policy, on the copy they judged.
    const probe: ResourceValidationPolicy = {
      name: "probe",
      description: "compares the props with the planned ones",
      enforcementLevel: "advisory",
      validateResource: (args) => {
        if (!isDeepStrictEqual(toPlainProps(args.props), original.get(args.urn))) changed.push(args.urn);
      },
    };
    await evaluatePolicies(resources, { ...opts, policies: [...policies, probe] });
    assert.ok(resources.length > 200, "the whole spoke-prod plan is judged");
    assert.deepStrictEqual(changed, []);
  });
});
