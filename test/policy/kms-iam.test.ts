import * as assert from "assert";
import {
  iamIrsaTrustScoped,
  iamNoWildcardAction,
  iamNoWildcardResource,
  iamTrustNoWildcardPrincipal,
  kmsKeyPolicyNoWildcard,
  kmsKeyRotation,
} from "../../policy/policies/kms-iam";
import { runResourcePolicy } from "../../policy/testing";
import { messages } from "./helpers";

const doc = (...Statement: object[]) => JSON.stringify({ Version: "2012-10-17", Statement });
const OIDC = "oidc.eks.eu-west-1.amazonaws.com/id/ABC123";
const irsaTrust = (condition: object) =>
  doc({
    Effect: "Allow",
    Principal: { Federated: `arn:aws:iam::111122223333:oidc-provider/${OIDC}` },
    Action: "sts:AssumeRoleWithWebIdentity",
    Condition: condition,
  });

describe("policy: kms-iam", () => {
  it("kms-key-rotation fires without rotation and accepts it", async () => {
    assert.match(
      (await messages(kmsKeyRotation(), "aws:kms/key:Key", { description: "eks" }))[0]!,
      /enableKeyRotation is not true/,
    );
    assert.deepStrictEqual(
      await messages(kmsKeyRotation(), "aws:kms/key:Key", { enableKeyRotation: true }),
      [],
    );
    assert.deepStrictEqual(
      await messages(kmsKeyRotation(), "aws:kms/key:Key", { customerMasterKeySpec: "RSA_2048" }),
      [],
      "asymmetric keys cannot rotate",
    );
  });

  it("kms-key-policy-no-wildcard-principal fires on Principal * without a condition", async () => {
    const m = await messages(kmsKeyPolicyNoWildcard(), "aws:kms/key:Key", {
      policy: doc({ Sid: "Open", Effect: "Allow", Principal: { AWS: "*" }, Action: "kms:*", Resource: "*" }),
    });
    assert.match(m[0]!, /statement "Open" allows Principal "\*" without a Condition/);
  });
  it("kms-key-policy-no-wildcard-principal accepts the account root and conditioned wildcards", async () => {
    const policy = doc(
      {
        Effect: "Allow",
        Principal: { AWS: "arn:aws:iam::111122223333:root" },
        Action: "kms:*",
        Resource: "*",
      },
      {
        Effect: "Allow",
        Principal: "*",
        Action: "kms:Decrypt",
        Resource: "*",
        Condition: { StringEquals: { "kms:CallerAccount": "111122223333" } },
      },
    );
    assert.deepStrictEqual(
      await messages(kmsKeyPolicyNoWildcard(), "aws:kms/keyPolicy:KeyPolicy", { keyId: "k", policy }),
      [],
    );
  });

  it("iam-no-wildcard-action fires on Action * (JSON string or object) and NotAction", async () => {
    assert.match(
      (
        await messages(iamNoWildcardAction(), "aws:iam/policy:Policy", {
          policy: doc({ Effect: "Allow", Action: "*", Resource: "*" }),
        })
      )[0]!,
      /statement #1 allows Action "\*"/,
    );
    assert.match(
      (
        await messages(iamNoWildcardAction(), "aws:iam/rolePolicy:RolePolicy", {
          policy: { Statement: [{ Effect: "Allow", NotAction: "iam:*", Resource: "*" }] },
        })
      )[0]!,
      /NotAction/,
    );
  });
  it("iam-no-wildcard-action accepts listed actions and Deny *", async () => {
    assert.deepStrictEqual(
      await messages(iamNoWildcardAction(), "aws:iam/policy:Policy", {
        policy: doc(
          { Effect: "Allow", Action: ["s3:GetObject"], Resource: "arn:aws:s3:::b/*" },
          { Effect: "Deny", Action: "*", Resource: "*" },
        ),
      }),
      [],
    );
  });

  it("iam-no-wildcard-resource fires on Resource * without condition", async () => {
    const m = await messages(iamNoWildcardResource(), "aws:iam/rolePolicy:RolePolicy", {
      policy: doc({ Effect: "Allow", Action: "ec2:CreateVolume", Resource: "*" }),
    });
    assert.match(m[0]!, /allows ec2:CreateVolume on Resource "\*" without a Condition/);
  });
  it("iam-no-wildcard-resource accepts ARNs and conditioned statements", async () => {
    const policy = doc(
      { Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::b/*" },
      {
        Effect: "Allow",
        Action: "ec2:DeleteVolume",
        Resource: "*",
        Condition: { StringLike: { "ec2:ResourceTag/ebs.csi.aws.com/cluster": "true" } },
      },
    );
    assert.deepStrictEqual(await messages(iamNoWildcardResource(), "aws:iam/policy:Policy", { policy }), []);
  });

  it("iam-trust-no-wildcard-principal fires on Principal * and accepts a service principal", async () => {
    assert.match(
      (
        await messages(iamTrustNoWildcardPrincipal(), "aws:iam/role:Role", {
          assumeRolePolicy: doc({ Effect: "Allow", Principal: "*", Action: "sts:AssumeRole" }),
        })
      )[0]!,
      /trusts Principal "\*"/,
    );
    assert.deepStrictEqual(
      await messages(iamTrustNoWildcardPrincipal(), "aws:iam/role:Role", {
        assumeRolePolicy: doc({
          Effect: "Allow",
          Principal: { Service: "ec2.amazonaws.com" },
          Action: "sts:AssumeRole",
        }),
      }),
      [],
    );
  });

  describe("iam-irsa-trust-scoped", () => {
    it("fires when the trust has no :sub condition", async () => {
      const m = await messages(iamIrsaTrustScoped(), "aws:iam/role:Role", {
        assumeRolePolicy: irsaTrust({ StringEquals: { [`${OIDC}:aud`]: "sts.amazonaws.com" } }),
      });
      assert.match(m[0]!, /no StringEquals condition on <oidc-provider>:sub/);
    });
    it("fires on StringLike wildcards and on several subjects", async () => {
      assert.match(
        (
          await messages(iamIrsaTrustScoped(), "aws:iam/role:Role", {
            assumeRolePolicy: irsaTrust({ StringLike: { [`${OIDC}:sub`]: "system:serviceaccount:*:*" } }),
          })
        )[0]!,
        /StringLike/,
      );
      const two = irsaTrust({
        StringEquals: { [`${OIDC}:sub`]: ["system:serviceaccount:a:x", "system:serviceaccount:b:y"] },
      });
      assert.match(
        (await messages(iamIrsaTrustScoped(), "aws:iam/role:Role", { assumeRolePolicy: two }))[0]!,
        /lists 2 subjects/,
      );
    });
    it("accepts exactly one service account", async () => {
      const ok = irsaTrust({
        StringEquals: {
          [`${OIDC}:sub`]: "system:serviceaccount:kube-system:ebs-csi-controller-sa",
          [`${OIDC}:aud`]: "sts.amazonaws.com",
        },
      });
      assert.deepStrictEqual(
        await messages(iamIrsaTrustScoped(), "aws:iam/role:Role", { assumeRolePolicy: ok }),
        [],
      );
    });
    it("leaves Pod Identity roles alone (not applicable)", async () => {
      const podIdentity = doc({
        Effect: "Allow",
        Principal: { Service: "pods.eks.amazonaws.com" },
        Action: ["sts:AssumeRole", "sts:TagSession"],
      });
      const r = await runResourcePolicy(iamIrsaTrustScoped(), {
        type: "aws:iam/role:Role",
        props: { assumeRolePolicy: podIdentity },
      });
      assert.deepStrictEqual(r.violations, []);
      assert.strictEqual(r.notApplicable, "no web-identity (OIDC) trust");
    });
  });
});
