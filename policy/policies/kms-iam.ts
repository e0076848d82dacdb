/**
 * KMS and IAM policies: key rotation and state, key policies without open principals, IAM policies
 * judged action by action (wildcards, privilege escalation, credentials exposure, data exfiltration,
 * unconstrained writes, the AWS admin managed policies), trust policies without open principals or
 * whole accounts, and web-identity trust scoped by its subject.
 * Policy documents may be JSON strings (as `aws.iam.getPolicyDocument(...).json` produces) or objects;
 * a document that is not valid JSON is reported, not thrown.
 */
import type { ReportViolation, ResourceValidationPolicy } from "@pulumi/policy";
import {
  allowedWithoutConstraints,
  analyseStatements,
  byStatement,
  type DocumentAnalysis,
} from "./iam-analysis";
import {
  credentialsExposureActions,
  credentialsExposureExcluded,
  dataExfiltrationActions,
  privilegeEscalationMethods,
} from "./iam-risk-actions";
import {
  asList,
  frameworks,
  isSet,
  isWildcardPrincipal,
  readStatements,
  resourcePolicy,
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

export const kmsKeyEnabled = (): ResourceValidationPolicy =>
  resourcePolicy({
    name: "kms-key-enabled",
    description: "Customer-managed KMS keys must be enabled.",
    severity: "medium",
    framework: frameworks.checkov("CKV_AWS_227", "Ensure KMS key is enabled"),
    tags: ["kms", "encryption", "CKV_AWS_227"],
    remediationSteps:
      "Remove isEnabled: false (it defaults to true); to retire a key, schedule its deletion instead of leaving it disabled in use.",
    url: "https://docs.aws.amazon.com/kms/latest/developerguide/enabling-keys.html",
    resourceTypes: [types.kmsKey],
    checks: {
      "*": (props, _args, report) => {
        if (props.isEnabled === false) {
          report(
            "isEnabled is false: every resource encrypted with this key (volumes, secrets, logs) becomes unreadable. Remove isEnabled: false.",
          );
        }
      },
    },
  });

function openStatements(statements: IamStatement[]): string[] {
  return statements
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
        for (const label of openStatements(readStatements(props, "policy", report))) {
          report(
            `${label} allows Principal "*" without a Condition: anyone with AWS credentials could use or manage the key. Name the principals or add a Condition.`,
          );
        }
      },
    },
  });

const iamPolicyTypes = [types.iamPolicy, types.iamRolePolicy, types.iamUserPolicy, types.iamGroupPolicy];
/** Resources that carry identity-policy documents: the policy resources and a role's `inlinePolicies`. */
const iamDocumentTypes = [...iamPolicyTypes, types.iamRole];

/** One identity-policy document of a resource, with where it is (for messages). */
interface IamDocument {
  /** `""` for the resource's own `policy`, `inlinePolicies[0] "name": ` for a role's inline policy. */
  readonly where: string;
  readonly statements: IamStatement[];
}

/** The identity-policy documents of a resource; invalid JSON is reported and skipped. */
function iamDocuments(type: string, props: Record<string, any>, report: ReportViolation): IamDocument[] {
  if (type !== types.iamRole) return [{ where: "", statements: readStatements(props, "policy", report) }];
  return asList(props.inlinePolicies as Record<string, any>[] | undefined).map((p, i) => {
    const where = `inlinePolicies[${i}]${isSet(p?.name) ? ` "${p.name}"` : ""}`;
    return {
      where: `${where}: `,
      statements: readStatements(p ?? {}, "policy", (m) => report(`${where}.${m}`)),
    };
  });
}

/** Runs `judge` on the analysis of every identity-policy document of the resource. */
function judgeDocuments(
  judge: (a: DocumentAnalysis, doc: IamDocument, report: ReportViolation) => void,
): (props: Record<string, any>, args: { type: string }, report: ReportViolation) => Promise<void> {
  return async (props, args, report) => {
    for (const doc of iamDocuments(args.type, props, report)) {
      if (doc.statements.length === 0) continue;
      judge(await analyseStatements(doc.statements, stmtLabel), doc, report);
    }
  };
}

function isWildcardAction(a: string): boolean {
  return a === "*" || a === "*:*";
}

export const iamNoWildcardAction = (): ResourceValidationPolicy =>
  resourcePolicy({
    name: "iam-no-wildcard-action",
    description: 'IAM policies must not allow every action ("*"), nor use Allow with NotAction.',
    severity: "critical",
    framework: frameworks.cisAws(
      "1.16",
      'Ensure IAM policies that allow full "*:*" administrative privileges are not attached',
    ),
    tags: ["iam", "CIS-AWS-1.16", "CKV_AWS_62", "CKV_AWS_63"],
    remediationSteps:
      "List the actions the role needs (e.g. s3:GetObject), or attach an AWS managed policy scoped to the service.",
    url: "https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege",
    resourceTypes: iamDocumentTypes,
    checks: {
      "*": (props, args, report) => {
        for (const doc of iamDocuments(args.type, props, report)) {
          doc.statements.forEach((s, i) => {
            if (s.Effect !== "Allow") return;
            if (asList(s.Action).some(isWildcardAction)) {
              report(
                `${doc.where}${stmtLabel(s, i)} allows Action "*": the principal can do anything. List the actions it needs.`,
              );
            }
            if (s.NotAction !== undefined) {
              report(
                `${doc.where}${stmtLabel(s, i)} uses Allow with NotAction: it grants every action but the listed ones. List the allowed actions instead.`,
              );
            }
          });
        }
      },
    },
  });

/** At most `n` names, then "and N more". */
function some(names: readonly string[], n = 6): string {
  return names.length <= n
    ? names.join(", ")
    : `${names.slice(0, n).join(", ")} and ${names.length - n} more`;
}

export const iamNoWildcardResource = (): ResourceValidationPolicy =>
  resourcePolicy({
    name: "iam-no-wildcard-resource",
    description:
      'IAM policies must not allow restrictable actions on every resource ("*") without a condition; actions AWS only allows on "*" are fine.',
    severity: "high",
    framework: frameworks.checkov(
      "CKV_AWS_355",
      'Ensure no IAM policies documents allow "*" as a statement\'s resource for restrictable actions',
    ),
    tags: ["iam", "CKV_AWS_355"],
    remediationSteps:
      'Name the ARNs (e.g. arn:aws:s3:::bucket/*), or add a Condition (aws:ResourceTag, aws:RequestTag, kms:ViaService). Actions without resource-level permissions (s3:ListAllMyBuckets, ecr:GetAuthorizationToken) may stay on "*".',
    url: "https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html",
    resourceTypes: iamDocumentTypes,
    checks: {
      "*": judgeDocuments((a, doc, report) => {
        for (const [stmt, names] of byStatement([...a.unrestricted.values()])) {
          report(
            `${doc.where}${stmt} allows ${some(names)} on Resource "*" without a Condition, though these actions accept resource ARNs. Name the resource ARNs or add a Condition.`,
          );
        }
        for (const { pattern, statement } of a.unknownUnconstrained) {
          report(
            `${doc.where}${statement} allows "${pattern}" on Resource "*": no such IAM action is known, so it cannot be judged. Fix the action name or name the resource ARNs.`,
          );
        }
      }),
    },
  });

export const iamNoPrivilegeEscalation = (): ResourceValidationPolicy =>
  resourcePolicy({
    name: "iam-no-privilege-escalation",
    description:
      "IAM policies must not allow, without resource constraints, a set of actions that lets the principal raise its own privileges.",
    severity: "critical",
    framework: frameworks.checkov("CKV_AWS_286", "Ensure IAM policies does not allow privilege escalation"),
    tags: ["iam", "CKV_AWS_286"],
    remediationSteps:
      "Name the resource ARNs for these actions (e.g. iam:PassRole on the one role a service needs, with an iam:PassedToService condition), or drop them.",
    url: "https://rhinosecuritylabs.com/aws/aws-privilege-escalation-methods-mitigation/",
    resourceTypes: iamDocumentTypes,
    checks: {
      "*": judgeDocuments((a, doc, report) => {
        for (const [method, actions] of Object.entries(privilegeEscalationMethods)) {
          const hits = allowedWithoutConstraints(a, actions);
          if (hits.length !== actions.length) continue;
          const where = [...new Set(hits.map((h) => h.statement))].join(", ");
          report(
            `${doc.where}${where} allow${hits.length > 1 ? "" : "s"} ${hits.map((h) => h.action.name).join(" + ")} without resource constraints: privilege escalation (${method}). Name the resource ARNs or remove the actions.`,
          );
        }
      }),
    },
  });

export const iamNoCredentialsExposure = (): ResourceValidationPolicy =>
  resourcePolicy({
    name: "iam-no-credentials-exposure",
    description:
      "IAM policies must not allow, without resource constraints, actions that return credentials (access keys, tokens, passwords).",
    severity: "high",
    framework: frameworks.checkov("CKV_AWS_287", "Ensure IAM policies does not allow credentials exposure"),
    tags: ["iam", "CKV_AWS_287"],
    remediationSteps:
      "Name the resource ARNs (e.g. sts:AssumeRole on the roles it may assume), or add a Condition.",
    url: "https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege",
    resourceTypes: iamDocumentTypes,
    checks: {
      "*": judgeDocuments((a, doc, report) => {
        const wanted = credentialsExposureActions.filter((x) => !credentialsExposureExcluded.includes(x));
        for (const [stmt, names] of byStatement(allowedWithoutConstraints(a, wanted))) {
          report(
            `${doc.where}${stmt} allows ${names.join(", ")} without resource constraints: these actions return credentials for any resource. Name the resource ARNs or add a Condition.`,
          );
        }
      }),
    },
  });

export const iamNoDataExfiltration = (): ResourceValidationPolicy =>
  resourcePolicy({
    name: "iam-no-data-exfiltration",
    description:
      "IAM policies must not allow reading objects, parameters or secrets (s3:GetObject, ssm:GetParameter*, secretsmanager:GetSecretValue) on every resource.",
    severity: "high",
    framework: frameworks.checkov("CKV_AWS_288", "Ensure IAM policies does not allow data exfiltration"),
    tags: ["iam", "CKV_AWS_288"],
    remediationSteps: "Name the bucket, parameter or secret ARNs, or add a Condition.",
    url: "https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege",
    resourceTypes: iamDocumentTypes,
    checks: {
      "*": judgeDocuments((a, doc, report) => {
        for (const [stmt, names] of byStatement(allowedWithoutConstraints(a, dataExfiltrationActions))) {
          report(
            `${doc.where}${stmt} allows ${names.join(", ")} on Resource "*" without a Condition: every object, parameter or secret in the account can be read. Name the resource ARNs.`,
          );
        }
      }),
    },
  });

export const iamNoUnconstrainedWrite = (): ResourceValidationPolicy =>
  resourcePolicy({
    name: "iam-no-unconstrained-write",
    description:
      'IAM policies must not allow Write or Permissions-management actions on every resource ("*") without a condition.',
    severity: "high",
    framework: frameworks.checkov(
      "CKV_AWS_290",
      "Ensure IAM policies does not allow write access without constraints",
    ),
    tags: ["iam", "CKV_AWS_290", "CKV_AWS_289"],
    remediationSteps:
      "Name the resource ARNs the writes apply to, or add a Condition (aws:ResourceTag/<key>, aws:RequestTag/<key>).",
    url: "https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_understand-policy-summary-access-level-summaries.html",
    resourceTypes: iamDocumentTypes,
    checks: {
      "*": judgeDocuments((a, doc, report) => {
        const writes = [...a.unrestricted.values()].filter((h) =>
          /Write|Permissions management/.test(h.action.accessLevel),
        );
        for (const [stmt, names] of byStatement(writes)) {
          report(
            `${doc.where}${stmt} allows the write actions ${some(names)} on Resource "*" without a Condition: they can change any resource of those types in the account. Name the resource ARNs or add a Condition.`,
          );
        }
      }),
    },
  });

/** AWS managed policies that give full administrative or full IAM control. */
export const adminManagedPolicies = ["AdministratorAccess", "IAMFullAccess"] as const;
const adminPolicyArn = new RegExp(`^arn:aws[a-z-]*:iam::aws:policy/(${adminManagedPolicies.join("|")})$`);

export const iamNoAdminManagedPolicy = (): ResourceValidationPolicy =>
  resourcePolicy({
    name: "iam-no-admin-managed-policy",
    description:
      "Roles, users and groups must not get the AWS managed AdministratorAccess or IAMFullAccess policy (managedPolicyArns or any policy attachment).",
    severity: "critical",
    framework: frameworks.checkov(
      "CKV_AWS_274",
      "Disallow IAM roles, users, and groups from using the AWS AdministratorAccess policy",
    ),
    tags: ["iam", "CKV_AWS_274"],
    remediationSteps:
      "Attach a policy with the actions the principal needs; for people, use an IAM Identity Center permission set with the admin policy and MFA instead of a role in the program.",
    url: "https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_job-functions.html",
    resourceTypes: [
      types.iamRole,
      types.iamRolePolicyAttachment,
      types.iamUserPolicyAttachment,
      types.iamGroupPolicyAttachment,
      types.iamPolicyAttachment,
      types.iamRolePolicyAttachmentsExclusive,
      types.iamUserPolicyAttachmentsExclusive,
      types.iamGroupPolicyAttachmentsExclusive,
      types.ssoManagedPolicyAttachment,
    ],
    checks: {
      "*": (props, args, report) => {
        const field =
          args.type === types.iamRole
            ? "managedPolicyArns"
            : args.type === types.ssoManagedPolicyAttachment
              ? "managedPolicyArn"
              : /AttachmentsExclusive:/.test(args.type)
                ? "policyArns"
                : "policyArn";
        for (const arn of asList(props[field] as string | string[] | undefined)) {
          const m = typeof arn === "string" ? adminPolicyArn.exec(arn) : null;
          if (m) {
            report(
              `${field} includes ${arn}: the principal gets ${m[1] === "IAMFullAccess" ? "full control of IAM, and so of the account" : "every permission in the account"}. Attach a policy scoped to what it needs.`,
            );
          }
        }
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
    tags: ["iam", "CKV_AWS_60"],
    remediationSteps:
      "Name the account, role, service (e.g. ec2.amazonaws.com) or OIDC provider that may assume the role.",
    url: "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html",
    resourceTypes: [types.iamRole],
    checks: {
      "*": (props, _args, report) => {
        readStatements(props, "assumeRolePolicy", report).forEach((s, i) => {
          if (s.Effect === "Allow" && isWildcardPrincipal(s.Principal)) {
            report(
              `${stmtLabel(s, i)} trusts Principal "*": any AWS account can assume this role. Name the principal that needs it.`,
            );
          }
        });
      },
    },
  });

/** checkov CKV_AWS_61's pattern: a bare account ID or an account root ARN (matched at the start). */
const accountPrincipal = /^(\d{12}|arn:aws[a-z-]*:iam::(\d{12}):root)/;

export const iamTrustNoAccountRoot = (): ResourceValidationPolicy =>
  resourcePolicy({
    name: "iam-trust-no-account-root",
    description:
      "IAM role trust policies must not trust a whole account (its root ARN or bare account ID): name the role or user that may assume the role.",
    severity: "high",
    framework: frameworks.checkov(
      "CKV_AWS_61",
      "Ensure AWS IAM policy does not allow assume role permission across all services",
    ),
    tags: ["iam", "CKV_AWS_61"],
    remediationSteps:
      'Trust the role ARN that needs access (arn:aws:iam::<account>:role/<name>), or list the account in this policy\'s "allowedAccountIds" config after review.',
    url: "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_common-scenarios_aws-accounts.html",
    configSchema: {
      properties: {
        allowedAccountIds: {
          type: "array",
          items: { type: "string", pattern: "^[0-9]{12}$" },
          default: [],
          description:
            "Accounts whose root may be trusted (reviewed cross-account trust, e.g. a security tooling account).",
        },
      },
    },
    resourceTypes: [types.iamRole],
    checks: {
      "*": (props, args, report) => {
        const { allowedAccountIds } = args.getConfig<{ allowedAccountIds: string[] }>();
        readStatements(props, "assumeRolePolicy", report).forEach((s, i) => {
          if (s.Effect === "Deny" || !s.Principal || typeof s.Principal !== "object") return;
          for (const p of asList(s.Principal.AWS)) {
            const m = typeof p === "string" ? accountPrincipal.exec(p) : null;
            if (!m) continue;
            const account = m[2] ?? m[1]!;
            if (allowedAccountIds.includes(account)) continue;
            report(
              `${stmtLabel(s, i)} trusts ${p}: every principal of account ${account} that is allowed sts:AssumeRole can assume this role. Trust the role ARN that needs it, or add ${account} to allowedAccountIds after review.`,
            );
          }
        });
      },
    },
  });

/** The OIDC provider host of a web-identity statement (`token.actions.githubusercontent.com`, ...). */
function webIdentityProviders(s: IamStatement): string[] {
  const federated = s.Principal && typeof s.Principal === "object" ? asList(s.Principal.Federated) : [];
  if (!asList(s.Action).some((a) => /^sts:AssumeRoleWithWebIdentity$/i.test(String(a)))) return [];
  return federated.map((f) => {
    const m = /:oidc-provider\/(.+)$/.exec(String(f));
    return m ? m[1]! : String(f);
  });
}

/** True for the OIDC issuer of an EKS cluster (`oidc.eks.<region>.amazonaws.com/id/<id>`). */
export function isEksOidcProvider(host: string): boolean {
  return /^oidc\.eks\.[a-z0-9-]+\.amazonaws\.com(\.cn)?\/id\/[A-Za-z0-9]+$/.test(host);
}

/** Pattern of an IRSA subject: exactly one service account. */
const serviceAccountSubject =
  /^system:serviceaccount:[a-z0-9]([-a-z0-9]*[a-z0-9])?:[a-z0-9]([-.a-z0-9]*[a-z0-9])?$/;

/** `:sub` condition keys under an operator. */
function subKeys(s: IamStatement, op: string): string[] {
  return Object.keys(s.Condition?.[op] ?? {}).filter((k) => k.endsWith(":sub"));
}

/** Problems with an IRSA statement's `:sub` condition (empty: scoped to exactly one service account). */
export function irsaSubjectProblems(s: IamStatement): string[] {
  const cond = s.Condition ?? {};
  const likes = [...subKeys(s, "StringLike"), ...subKeys(s, "ForAnyValue:StringLike")];
  if (likes.length) return [`uses StringLike on ${likes[0]}, which matches more than one service account`];
  const eq = subKeys(s, "StringEquals");
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

/** String operators a `sub` condition may use to scope a non-EKS web identity. */
const subjectOperators = ["StringEquals", "StringLike", "ForAnyValue:StringEquals", "ForAnyValue:StringLike"];

/**
 * Problems with the `sub` condition of a web-identity statement for an identity provider other than
 * EKS (GitHub Actions, Pulumi Cloud, ...): it must name the subjects, not leave them open.
 */
export function oidcSubjectProblems(s: IamStatement, host: string): string[] {
  const keys = subjectOperators.flatMap((op) =>
    subKeys(s, op)
      .filter((k) => k === `${host}:sub`)
      .map((k) => ({ op, k, values: asList(s.Condition![op]![k]).map(String) })),
  );
  if (keys.length === 0)
    return [
      `has no condition on ${host}:sub, so every identity the provider issues tokens for (any repository, organization or workflow) can assume the role`,
    ];
  const open = keys.flatMap(({ op, k, values }) =>
    values.filter((v) => /^[*?]*$/.test(v)).map((v) => `${op} ${k} is "${v}", which matches every subject`),
  );
  return open;
}

export const iamIrsaTrustScoped = (): ResourceValidationPolicy =>
  resourcePolicy({
    name: "iam-irsa-trust-scoped",
    description:
      "Web-identity trust must be scoped by subject: IRSA roles (the cluster's OIDC provider) to exactly one service account with StringEquals on <oidc>:sub; other OIDC providers (GitHub Actions, Pulumi Cloud) by a condition on <provider>:sub. Pod Identity trust (pods.eks.amazonaws.com) is fine.",
    severity: "high",
    framework: frameworks.eksBestPractices(
      "Identity and Access Management",
      "Scope the IAM role trust policy for IRSA roles to the service account name",
    ),
    tags: ["iam", "eks", "oidc"],
    remediationSteps:
      'IRSA: add Condition { StringEquals: { "<oidc-host>:sub": "system:serviceaccount:<ns>:<sa>", "<oidc-host>:aud": "sts.amazonaws.com" } }, or use EKS Pod Identity. GitHub Actions: StringEquals/StringLike on "token.actions.githubusercontent.com:sub" (e.g. "repo:<owner>/<repo>:pull_request"). Pulumi: on "api.pulumi.com/oidc:sub" (e.g. "pulumi:deploy:org:<org>:project:<project>:stack:*:operation:*:scope:write").',
    url: "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-idp_oidc.html#idp_oidc_Create_GitHub",
    resourceTypes: [types.iamRole],
    checks: {
      "*": (props, args, report) => {
        const trust = readStatements(props, "assumeRolePolicy", report)
          .map((s, i) => ({ s, i, hosts: s.Effect === "Allow" ? webIdentityProviders(s) : [] }))
          .filter(({ hosts }) => hosts.length > 0);
        if (trust.length === 0) return args.notApplicable("no web-identity (OIDC) trust");
        for (const { s, i, hosts } of trust) {
          for (const host of hosts) {
            if (isEksOidcProvider(host)) {
              for (const problem of irsaSubjectProblems(s)) {
                report(
                  `${stmtLabel(s, i)} ${problem}. Use StringEquals "<oidc>:sub": "system:serviceaccount:<namespace>:<name>".`,
                );
              }
            } else {
              for (const problem of oidcSubjectProblems(s, host)) {
                report(
                  `${stmtLabel(s, i)} trusts the OIDC provider ${host} but ${problem}. Add a StringEquals or StringLike condition on "${host}:sub" naming the allowed subjects.`,
                );
              }
            }
          }
        }
      },
    },
  });

export const kmsIamPolicies: PackPolicy[] = [
  kmsKeyRotation(),
  kmsKeyEnabled(),
  kmsKeyPolicyNoWildcard(),
  iamNoWildcardAction(),
  iamNoWildcardResource(),
  iamNoPrivilegeEscalation(),
  iamNoCredentialsExposure(),
  iamNoDataExfiltration(),
  iamNoUnconstrainedWrite(),
  iamNoAdminManagedPolicy(),
  iamTrustNoWildcardPrincipal(),
  iamTrustNoAccountRoot(),
  iamIrsaTrustScoped(),
];
