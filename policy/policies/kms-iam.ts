/**
 * KMS and IAM policies: key rotation, key policies without open principals, IAM policies without
 * wildcards, trust policies without open principals, and IRSA trust scoped to one service account.
 * Policy documents may be JSON strings (as `aws.iam.getPolicyDocument(...).json` produces) or objects.
 */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import {
  asList,
  frameworks,
  isWildcardPrincipal,
  resourcePolicy,
  statementsOf,
  stmtLabel,
  types,
  type IamStatement,
  type PackPolicy,
} from "./common";

export const kmsKeyRotation = (): ResourceValidationPolicy =>
  resourcePolicy({
    name: "kms-key-rotation",
    description: "Customer-managed KMS keys must rotate automatically.",
    severity: "medium",
    framework: frameworks.cisAws("3.6", "Ensure rotation for customer-created symmetric CMKs is enabled"),
    tags: ["kms", "encryption", "CIS-AWS-3.6", "CKV_AWS_7"],
    remediationSteps: "Set enableKeyRotation: true.",
    url: "https://docs.aws.amazon.com/kms/latest/developerguide/rotate-keys.html",
    resourceTypes: [types.kmsKey],
    checks: {
      "*": (props, _args, report) => {
        const spec = props.customerMasterKeySpec ?? props.keySpec;
        if (spec && spec !== "SYMMETRIC_DEFAULT") return; // rotation is only available for symmetric keys
        if (props.enableKeyRotation !== true) {
          report(
            "enableKeyRotation is not true: the same key material protects data forever. Set enableKeyRotation: true.",
          );
        }
      },
    },
  });

function openStatements(doc: unknown): string[] {
  return statementsOf(doc)
    .map((s, i) => ({ s, i }))
    .filter(({ s }) => s.Effect === "Allow" && isWildcardPrincipal(s.Principal) && !s.Condition)
    .map(({ s, i }) => stmtLabel(s, i));
}

export const kmsKeyPolicyNoWildcard = (): ResourceValidationPolicy =>
  resourcePolicy({
    name: "kms-key-policy-no-wildcard-principal",
    description: "KMS key policies must not allow a wildcard principal without a condition.",
    severity: "critical",
    framework: frameworks.checkov(
      "CKV_AWS_33",
      "Ensure KMS key policy does not contain wildcard (*) principal",
    ),
    tags: ["kms", "iam", "CKV_AWS_33"],
    remediationSteps:
      "Name the account root or specific roles as Principal, or add a Condition (e.g. kms:CallerAccount, kms:ViaService).",
    url: "https://docs.aws.amazon.com/kms/latest/developerguide/key-policies.html",
    resourceTypes: [types.kmsKey, types.kmsKeyPolicy],
    checks: {
      "*": (props, _args, report) => {
        for (const label of openStatements(props.policy)) {
          report(
            `${label} allows Principal "*" without a Condition: anyone with AWS credentials could use or manage the key. Name the principals or add a Condition.`,
          );
        }
      },
    },
  });

const iamPolicyTypes = [types.iamPolicy, types.iamRolePolicy, types.iamUserPolicy, types.iamGroupPolicy];

function isWildcardAction(a: string): boolean {
  return a === "*" || a === "*:*";
}

export const iamNoWildcardAction = (): ResourceValidationPolicy =>
  resourcePolicy({
    name: "iam-no-wildcard-action",
    description: 'IAM policies must not allow every action ("*").',
    severity: "critical",
    framework: frameworks.cisAws(
      "1.16",
      'Ensure IAM policies that allow full "*:*" administrative privileges are not attached',
    ),
    tags: ["iam", "CIS-AWS-1.16", "CKV_AWS_62", "CKV_AWS_63", "CKV_AWS_286"],
    remediationSteps:
      "List the actions the role needs (e.g. s3:GetObject), or attach an AWS managed policy scoped to the service.",
    url: "https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege",
    resourceTypes: iamPolicyTypes,
    checks: {
      "*": (props, _args, report) => {
        statementsOf(props.policy).forEach((s, i) => {
          if (s.Effect !== "Allow") return;
          if (asList(s.Action).some(isWildcardAction)) {
            report(
              `${stmtLabel(s, i)} allows Action "*": the principal can do anything. List the actions it needs.`,
            );
          }
          if (s.NotAction !== undefined) {
            report(
              `${stmtLabel(s, i)} uses Allow with NotAction: it grants every action but the listed ones. List the allowed actions instead.`,
            );
          }
        });
      },
    },
  });

export const iamNoWildcardResource = (): ResourceValidationPolicy =>
  resourcePolicy({
    name: "iam-no-wildcard-resource",
    description: 'IAM policies must not allow actions on every resource ("*") without a condition.',
    severity: "high",
    framework: frameworks.checkov(
      "CKV_AWS_355",
      'Ensure no IAM policies documents allow "*" as a statement\'s resource for restrictable actions',
    ),
    tags: ["iam", "CKV_AWS_355", "CKV_AWS_290"],
    remediationSteps:
      "Name the ARNs (e.g. arn:aws:s3:::bucket/*), or add a Condition (aws:ResourceTag, aws:RequestTag, kms:ViaService) when the action supports no resource ARN.",
    url: "https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege",
    resourceTypes: iamPolicyTypes,
    checks: {
      "*": (props, _args, report) => {
        statementsOf(props.policy).forEach((s, i) => {
          if (s.Effect !== "Allow" || s.Condition) return;
          if (asList(s.Resource).includes("*")) {
            report(
              `${stmtLabel(s, i)} allows ${asList(s.Action).join(", ") || "its actions"} on Resource "*" without a Condition. Name the resource ARNs or add a Condition.`,
            );
          }
        });
      },
    },
  });

export const iamTrustNoWildcardPrincipal = (): ResourceValidationPolicy =>
  resourcePolicy({
    name: "iam-trust-no-wildcard-principal",
    description: 'IAM role trust policies must not let any principal ("*") assume the role.',
    severity: "critical",
    framework: frameworks.checkov(
      "CKV_AWS_60",
      "Ensure IAM role allows only specific services or principals to assume it",
    ),
    tags: ["iam", "CKV_AWS_60", "CKV_AWS_61"],
    remediationSteps:
      "Name the account, role, service (e.g. ec2.amazonaws.com) or OIDC provider that may assume the role.",
    url: "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html",
    resourceTypes: [types.iamRole],
    checks: {
      "*": (props, _args, report) => {
        statementsOf(props.assumeRolePolicy).forEach((s, i) => {
          if (s.Effect === "Allow" && isWildcardPrincipal(s.Principal)) {
            report(
              `${stmtLabel(s, i)} trusts Principal "*": any AWS account can assume this role. Name the principal that needs it.`,
            );
          }
        });
      },
    },
  });

/** Pattern of an IRSA subject: exactly one service account. */
const serviceAccountSubject =
  /^system:serviceaccount:[a-z0-9]([-a-z0-9]*[a-z0-9])?:[a-z0-9]([-.a-z0-9]*[a-z0-9])?$/;

function isIrsaStatement(s: IamStatement): boolean {
  const federated = s.Principal && typeof s.Principal === "object" ? asList(s.Principal.Federated) : [];
  return (
    asList(s.Action).includes("sts:AssumeRoleWithWebIdentity") &&
    federated.some((f) => /oidc-provider\/|oidc\.eks\./.test(f))
  );
}

/** Problems with an IRSA statement's `:sub` condition (empty: scoped to exactly one service account). */
export function irsaSubjectProblems(s: IamStatement): string[] {
  const cond = s.Condition ?? {};
  const subKeys = (op: string) => Object.keys(cond[op] ?? {}).filter((k) => k.endsWith(":sub"));
  const likes = [...subKeys("StringLike"), ...subKeys("ForAnyValue:StringLike")];
  if (likes.length) return [`uses StringLike on ${likes[0]}, which matches more than one service account`];
  const eq = subKeys("StringEquals");
  if (eq.length === 0)
    return [
      "has no StringEquals condition on <oidc-provider>:sub, so every service account in the cluster can assume the role",
    ];
  const values = asList(cond["StringEquals"]![eq[0]!]);
  if (values.length !== 1)
    return [
      `StringEquals ${eq[0]} lists ${values.length} subjects; scope the role to exactly one service account`,
    ];
  if (!serviceAccountSubject.test(String(values[0]))) {
    return [`StringEquals ${eq[0]} is "${values[0]}", not system:serviceaccount:<namespace>:<name>`];
  }
  return [];
}

export const iamIrsaTrustScoped = (): ResourceValidationPolicy =>
  resourcePolicy({
    name: "iam-irsa-trust-scoped",
    description:
      "IRSA roles (web-identity trust on the cluster's OIDC provider) must be scoped to exactly one service account with StringEquals on <oidc>:sub. Pod Identity trust (pods.eks.amazonaws.com) is fine.",
    severity: "high",
    framework: frameworks.eksBestPractices(
      "Identity and Access Management",
      "Scope the IAM role trust policy for IRSA roles to the service account name",
    ),
    tags: ["iam", "eks", "CIS-EKS-4.1.x"],
    remediationSteps:
      'Add Condition { StringEquals: { "<oidc-host>:sub": "system:serviceaccount:<ns>:<sa>", "<oidc-host>:aud": "sts.amazonaws.com" } }, or use EKS Pod Identity.',
    url: "https://docs.aws.amazon.com/eks/latest/userguide/associate-service-account-role.html",
    resourceTypes: [types.iamRole],
    checks: {
      "*": (props, args, report) => {
        const irsa = statementsOf(props.assumeRolePolicy)
          .map((s, i) => ({ s, i }))
          .filter(({ s }) => s.Effect === "Allow" && isIrsaStatement(s));
        if (irsa.length === 0) return args.notApplicable("not an IRSA role");
        for (const { s, i } of irsa) {
          for (const problem of irsaSubjectProblems(s)) {
            report(
              `${stmtLabel(s, i)} ${problem}. Use StringEquals "<oidc>:sub": "system:serviceaccount:<namespace>:<name>".`,
            );
          }
        }
      },
    },
  });

export const kmsIamPolicies: PackPolicy[] = [
  kmsKeyRotation(),
  kmsKeyPolicyNoWildcard(),
  iamNoWildcardAction(),
  iamNoWildcardResource(),
  iamTrustNoWildcardPrincipal(),
  iamIrsaTrustScoped(),
];
