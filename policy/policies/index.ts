/**
 * Every policy of the `platform-guardrails` pack, assembled from the domain files. Importing this
 * module does not start the pack (that is `policy/index.ts`), so tests and the offline plan use it.
 */
import type { EnforcementLevel } from "@pulumi/policy";
import type { PackPolicy } from "./common";
import { eksPolicies } from "./eks";
import { kmsIamPolicies } from "./kms-iam";
import { kubernetesWorkloadPolicies } from "./kubernetes-workloads";
import { loggingPolicies } from "./logging";
import { networkPolicies } from "./network";
import { nodesPolicies } from "./nodes";
import { productionPolicies } from "./production";
import { rbacPolicies } from "./rbac";
import { storagePolicies } from "./storage";
import { taggingPolicies } from "./tagging";
import { tenancyPolicies } from "./tenancy";
import { versionsPolicies } from "./versions";

/** The pack's name, as `pulumi preview --policy-pack policy` reports it. */
export const packName = "platform-guardrails";

/** The pack-level enforcement level; a policy's own `enforcementLevel` overrides it. */
export const packEnforcementLevel: EnforcementLevel = "mandatory";

export const policies: PackPolicy[] = [
  ...eksPolicies,
  ...nodesPolicies,
  ...networkPolicies,
  ...storagePolicies,
  ...kmsIamPolicies,
  ...loggingPolicies,
  ...taggingPolicies,
  ...versionsPolicies,
  ...productionPolicies,
  ...kubernetesWorkloadPolicies,
  ...tenancyPolicies,
  ...rbacPolicies,
];

export type { PackPolicy };
