/**
 * The action-aware IAM policies against the checkov checks they name (CKV_AWS_274, 286, 287, 288,
 * 290, 355, 61, 227) and the cloudsplaining action lists behind them.
 */
import * as assert from "node:assert/strict";
import {
  iamNoAdminManagedPolicy,
  iamNoCredentialsExposure,
  iamNoDataExfiltration,
  iamNoPrivilegeEscalation,
  iamNoUnconstrainedWrite,
  iamNoWildcardAction,
  iamNoWildcardResource,
  iamTrustNoAccountRoot,
  iamTrustNoWildcardPrincipal,
  iamIrsaTrustScoped,
  kmsIamPolicies,
  kmsKeyEnabled,
  kmsKeyPolicyNoWildcard,
} from "../../policy/policies/kms-iam";
import { expandActions } from "../../policy/policies/iam-analysis";
import { messages } from "./helpers";

const doc = (...Statement: object[]) => JSON.stringify({ Version: "2012-10-17", Statement });
const allow = (Action: string | string[], Resource: string | string[] = "*", extra: object = {}) => ({
  Effect: "Allow",
  Action,
  Resource,
  ...extra,
});
const rolePolicy = "aws:iam/rolePolicy:RolePolicy";

/** Read-only actions AWS only allows on "*" (no resource-level permissions). */
const starOnly = doc(
  allow([
    "s3:ListAllMyBuckets",
    "ecr:GetAuthorizationToken",
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
  ]),
  allow(["sts:GetCallerIdentity", "ec2:DescribeInstances", "ec2:DescribeSubnets"]),
);

describe("policy: action-aware IAM", () => {
  it("expands wildcards against the Service Authorization Reference", async () => {
    const e = await expandActions(["s3:ListAllMyBuckets", "iam:Pass*", "nosuch:Thing"]);
    const names = e.actions.map((a) => a.name).sort();
    assert.deepEqual(names, ["iam:PassRole", "s3:ListAllMyBuckets"]);
    assert.equal(e.actions.find((a) => a.name === "s3:ListAllMyBuckets")!.restrictable, false);
    assert.equal(e.actions.find((a) => a.name === "iam:PassRole")!.restrictable, true);
    assert.deepEqual(e.unknown, ["nosuch:Thing"]);
  });

  it("every IAM-document policy stays quiet on actions AWS only allows on *", async () => {
    for (const p of [
      iamNoWildcardAction(),
      iamNoWildcardResource(),
      iamNoPrivilegeEscalation(),
      iamNoCredentialsExposure(),
      iamNoDataExfiltration(),
      iamNoUnconstrainedWrite(),
    ]) {
      assert.deepEqual(await messages(p, rolePolicy, { policy: starOnly }), [], p.name);
    }
  });

  it("a document that is not valid JSON is a violation, not a throw, in every policy that reads it", async () => {
    const bad = '{"Version": "2012-10-17", "Statement": [';
    for (const p of [
      iamNoWildcardAction(),
      iamNoWildcardResource(),
      iamNoPrivilegeEscalation(),
      iamNoCredentialsExposure(),
      iamNoDataExfiltration(),
      iamNoUnconstrainedWrite(),
    ]) {
      const m = await messages(p, rolePolicy, { policy: bad });
      assert.equal(m.length, 1, p.name);
      assert.match(m[0]!, /^policy is not valid JSON \(.*\): .*MalformedPolicyDocument/, p.name);
    }
    for (const p of [iamTrustNoWildcardPrincipal(), iamTrustNoAccountRoot(), iamIrsaTrustScoped()]) {
      const m = await messages(p, "aws:iam/role:Role", { assumeRolePolicy: "not json" });
      assert.match(m[0]!, /^assumeRolePolicy is not valid JSON/, p.name);
    }
    const k = await messages(kmsKeyPolicyNoWildcard(), "aws:kms/key:Key", { policy: "[1," });
    assert.match(k[0]!, /^policy is not valid JSON/);
    const inline = await messages(iamNoWildcardAction(), "aws:iam/role:Role", {
      inlinePolicies: [{ name: "x", policy: "{" }],
    });
    assert.match(inline[0]!, /^inlinePolicies\[0\] "x"\.policy is not valid JSON/);
  });

  describe("iam-no-wildcard-resource (CKV_AWS_355: restrictable actions only)", () => {
    it("fires on restrictable actions on * and on unknown actions", async () => {
      const m = await messages(iamNoWildcardResource(), rolePolicy, {
        policy: doc(allow(["s3:ListAllMyBuckets", "s3:GetObject"]), allow("s3:NoSuchAction")),
      });
      assert.equal(m.length, 2, JSON.stringify(m));
      assert.match(m[0]!, /statement #1 allows s3:GetObject on Resource "\*"/);
      assert.doesNotMatch(m[0]!, /ListAllMyBuckets/);
      assert.match(m[1]!, /"s3:NoSuchAction".*no such IAM action is known/);
    });
    it("judges the inline policies of a role", async () => {
      const m = await messages(iamNoWildcardResource(), "aws:iam/role:Role", {
        inlinePolicies: [{ name: "ops", policy: doc(allow("ec2:TerminateInstances")) }],
      });
      assert.match(m[0]!, /^inlinePolicies\[0\] "ops": statement #1 allows ec2:TerminateInstances/);
    });
    it("stays quiet when a Deny removes the action", async () => {
      const policy = doc(allow("s3:GetObject"), { Effect: "Deny", Action: "s3:GetObject", Resource: "*" });
      assert.deepEqual(await messages(iamNoWildcardResource(), rolePolicy, { policy }), []);
    });
  });

  describe("iam-no-privilege-escalation (CKV_AWS_286)", () => {
    const cases: [string, object, RegExp][] = [
      ["iam:CreatePolicyVersion", allow("iam:CreatePolicyVersion"), /CreateNewPolicyVersion/],
      ["iam:AttachRolePolicy", allow("iam:AttachRolePolicy"), /AttachRolePolicy/],
      [
        "iam:PassRole + ec2:RunInstances",
        allow(["iam:PassRole", "ec2:RunInstances"]),
        /CreateEC2WithExistingIP/,
      ],
      ["iam:Put* (wildcard)", allow("iam:Put*"), /PutRolePolicy/],
      ["lambda:UpdateFunctionCode", allow("lambda:UpdateFunctionCode"), /EditExistingLambdaFunctionWithRole/],
    ];
    for (const [name, stmt, pattern] of cases) {
      it(`fires on ${name} on *`, async () => {
        const m = await messages(iamNoPrivilegeEscalation(), rolePolicy, { policy: doc(stmt) });
        assert.ok(
          m.some((x) => pattern.test(x) && /without resource constraints: privilege escalation/.test(x)),
          JSON.stringify(m),
        );
      });
    }
    it("stays quiet on iam:PassRole to one role, or iam:PassRole alone", async () => {
      const policy = doc(
        allow("iam:PassRole", "arn:aws:iam::111122223333:role/app", {
          Condition: { StringEquals: { "iam:PassedToService": "ec2.amazonaws.com" } },
        }),
        allow("ec2:RunInstances", "arn:aws:ec2:*:111122223333:instance/*"),
      );
      assert.deepEqual(await messages(iamNoPrivilegeEscalation(), rolePolicy, { policy }), []);
      assert.deepEqual(
        await messages(iamNoPrivilegeEscalation(), rolePolicy, { policy: doc(allow("iam:PassRole")) }),
        [],
      );
    });
  });

  it("iam:PassRole on * alone is no escalation path upstream, but the write and resource rules catch it", async () => {
    const policy = doc(allow("iam:PassRole"));
    assert.match(
      (await messages(iamNoUnconstrainedWrite(), rolePolicy, { policy }))[0]!,
      /write actions iam:PassRole on Resource "\*"/,
    );
    assert.match(
      (await messages(iamNoWildcardResource(), rolePolicy, { policy }))[0]!,
      /allows iam:PassRole on Resource "\*"/,
    );
  });

  describe("iam-no-credentials-exposure (CKV_AWS_287)", () => {
    it("fires on sts:AssumeRole and iam:CreateAccessKey on *", async () => {
      const m = await messages(iamNoCredentialsExposure(), rolePolicy, {
        policy: doc(allow(["sts:AssumeRole", "iam:CreateAccessKey", "ecr:GetAuthorizationToken"])),
      });
      assert.equal(m.length, 1);
      assert.match(m[0]!, /allows iam:CreateAccessKey, sts:AssumeRole without resource constraints/);
      assert.doesNotMatch(m[0]!, /GetAuthorizationToken/, "checkov excludes ecr:GetAuthorizationToken");
    });
    it("stays quiet on sts:AssumeRole of named roles", async () => {
      const policy = doc(allow("sts:AssumeRole", "arn:aws:iam::111122223333:role/deployer"));
      assert.deepEqual(await messages(iamNoCredentialsExposure(), rolePolicy, { policy }), []);
    });
  });

  describe("iam-no-data-exfiltration (CKV_AWS_288)", () => {
    it("fires on s3:GetObject, ssm:GetParameter* and secretsmanager:GetSecretValue on *", async () => {
      const m = await messages(iamNoDataExfiltration(), rolePolicy, {
        policy: doc(allow(["s3:GetObject", "ssm:GetParameter*", "secretsmanager:GetSecretValue"])),
      });
      assert.match(
        m[0]!,
        /allows s3:GetObject, ssm:GetParameter, ssm:GetParameters, ssm:GetParametersByPath, secretsmanager:GetSecretValue on Resource "\*"/,
      );
    });
    it("stays quiet on named secrets and conditioned reads", async () => {
      const policy = doc(
        allow("secretsmanager:GetSecretValue", "arn:aws:secretsmanager:eu-west-1:111122223333:secret:app-*"),
        allow("s3:GetObject", "*", {
          Condition: { StringEquals: { "aws:ResourceAccount": "111122223333" } },
        }),
      );
      assert.deepEqual(await messages(iamNoDataExfiltration(), rolePolicy, { policy }), []);
    });
  });

  describe("iam-no-unconstrained-write (CKV_AWS_290, CKV_AWS_289)", () => {
    it("fires on Write and Permissions-management actions on *", async () => {
      const m = await messages(iamNoUnconstrainedWrite(), rolePolicy, {
        policy: doc(allow(["ec2:DeleteVolume", "s3:PutBucketPolicy", "s3:GetObject"])),
      });
      assert.match(m[0]!, /write actions ec2:DeleteVolume, s3:PutBucketPolicy on Resource "\*"/);
      assert.doesNotMatch(m[0]!, /GetObject/);
    });
    it("stays quiet on tag-conditioned writes and on writes AWS only allows on * (xray:PutTraceSegments)", async () => {
      const policy = doc(
        allow("ec2:DeleteVolume", "*", {
          Condition: { StringLike: { "ec2:ResourceTag/ebs.csi.aws.com/cluster": "true" } },
        }),
        allow("xray:PutTraceSegments"),
      );
      assert.deepEqual(await messages(iamNoUnconstrainedWrite(), rolePolicy, { policy }), []);
    });
  });

  describe("iam-no-admin-managed-policy (CKV_AWS_274, plus IAMFullAccess)", () => {
    const admin = "arn:aws:iam::aws:policy/AdministratorAccess";
    const iamFull = "arn:aws:iam::aws:policy/IAMFullAccess";
    const cases: [string, Record<string, unknown>, RegExp][] = [
      [
        "aws:iam/role:Role",
        { managedPolicyArns: ["arn:aws:iam::aws:policy/ReadOnlyAccess", admin] },
        /managedPolicyArns includes .*AdministratorAccess/,
      ],
      [
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        { role: "r", policyArn: iamFull },
        /policyArn includes .*IAMFullAccess: .*full control of IAM/,
      ],
      [
        "aws:iam/userPolicyAttachment:UserPolicyAttachment",
        { user: "u", policyArn: admin },
        /every permission in the account/,
      ],
      [
        "aws:iam/groupPolicyAttachment:GroupPolicyAttachment",
        { group: "g", policyArn: admin },
        /AdministratorAccess/,
      ],
      [
        "aws:iam/policyAttachment:PolicyAttachment",
        { roles: ["r"], policyArn: "arn:aws-us-gov:iam::aws:policy/AdministratorAccess" },
        /aws-us-gov/,
      ],
      [
        "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive",
        { roleName: "r", policyArns: [iamFull] },
        /policyArns includes/,
      ],
    ];
    for (const [type, props, pattern] of cases) {
      it(`fires on ${type}`, async () => {
        const m = await messages(iamNoAdminManagedPolicy(), type, props);
        assert.equal(m.length, 1);
        assert.match(m[0]!, pattern);
      });
    }
    it("stays quiet on scoped managed policies", async () => {
      assert.deepEqual(
        await messages(iamNoAdminManagedPolicy(), "aws:iam/rolePolicyAttachment:RolePolicyAttachment", {
          policyArn: "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
        }),
        [],
      );
      assert.deepEqual(
        await messages(iamNoAdminManagedPolicy(), "aws:iam/role:Role", {
          managedPolicyArns: ["arn:aws:iam::111122223333:policy/AdministratorAccess"],
        }),
        [],
        "a customer policy of the same name is judged by its document, not its name",
      );
    });
  });

  describe("iam-trust-no-account-root (CKV_AWS_61)", () => {
    const trust = (AWS: string | string[]) =>
      doc({ Effect: "Allow", Principal: { AWS }, Action: "sts:AssumeRole" });
    it("fires on another account's root and on a bare account ID (checkov's pattern)", async () => {
      const root = await messages(iamTrustNoAccountRoot(), "aws:iam/role:Role", {
        assumeRolePolicy: trust("arn:aws:iam::444455556666:root"),
      });
      assert.match(
        root[0]!,
        /trusts arn:aws:iam::444455556666:root: every principal of account 444455556666/,
      );
      const bare = await messages(iamTrustNoAccountRoot(), "aws:iam/role:Role", {
        assumeRolePolicy: trust(["arn:aws:iam::111122223333:role/ci", "444455556666"]),
      });
      assert.equal(bare.length, 1);
      assert.match(bare[0]!, /trusts 444455556666/);
    });
    it("stays quiet on a named role, and on an account listed in allowedAccountIds", async () => {
      assert.deepEqual(
        await messages(iamTrustNoAccountRoot(), "aws:iam/role:Role", {
          assumeRolePolicy: trust("arn:aws:iam::444455556666:role/deployer"),
        }),
        [],
      );
      assert.deepEqual(
        await messages(
          iamTrustNoAccountRoot(),
          "aws:iam/role:Role",
          { assumeRolePolicy: trust("arn:aws:iam::444455556666:root") },
          { allowedAccountIds: ["444455556666"] },
        ),
        [],
      );
    });
  });

  describe("iam-irsa-trust-scoped for providers other than EKS", () => {
    const gh = (Condition?: object) =>
      doc({
        Effect: "Allow",
        Principal: {
          Federated: "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com",
        },
        Action: "sts:AssumeRoleWithWebIdentity",
        ...(Condition ? { Condition } : {}),
      });
    it("fires without a sub condition, and on a sub that matches everything", async () => {
      const none = await messages(iamIrsaTrustScoped(), "aws:iam/role:Role", {
        assumeRolePolicy: gh({
          StringEquals: { "token.actions.githubusercontent.com:aud": "sts.amazonaws.com" },
        }),
      });
      assert.match(none[0]!, /has no condition on token\.actions\.githubusercontent\.com:sub/);
      const star = await messages(iamIrsaTrustScoped(), "aws:iam/role:Role", {
        assumeRolePolicy: gh({ StringLike: { "token.actions.githubusercontent.com:sub": "*" } }),
      });
      assert.match(
        star[0]!,
        /StringLike token\.actions\.githubusercontent\.com:sub is "\*", which matches every subject/,
      );
    });
    it("stays quiet on a repository-scoped subject (StringLike allowed for non-EKS providers)", async () => {
      assert.deepEqual(
        await messages(iamIrsaTrustScoped(), "aws:iam/role:Role", {
          assumeRolePolicy: gh({
            StringLike: { "token.actions.githubusercontent.com:sub": "repo:acme/platform:*" },
          }),
        }),
        [],
      );
    });
  });

  describe("kms-key-enabled (CKV_AWS_227)", () => {
    it("fires on isEnabled: false", async () => {
      const m = await messages(kmsKeyEnabled(), "aws:kms/key:Key", {
        isEnabled: false,
        enableKeyRotation: true,
      });
      assert.match(m[0]!, /isEnabled is false/);
    });
    it("stays quiet when enabled or unset (the default)", async () => {
      assert.deepEqual(await messages(kmsKeyEnabled(), "aws:kms/key:Key", { isEnabled: true }), []);
      assert.deepEqual(await messages(kmsKeyEnabled(), "aws:kms/key:Key", {}), []);
    });
  });

  it("names each checkov control in exactly one policy's framework", () => {
    const refs = kmsIamPolicies.map((p) => p.framework?.reference).filter((r) => r?.startsWith("CKV_"));
    assert.equal(new Set(refs).size, refs.length, JSON.stringify(refs));
  });
});
