/**
 * `npm run docs:config`: writes the `config:` block of Pulumi.yaml and docs/configuration.md from
 * the config schema (stacks/config.ts and the capability modules): each setting's type, default,
 * description and role come from its zod schema (`.default()`, `.describe()`), nothing is repeated
 * by hand. Pulumi project config declares only string, integer, boolean and array-of-scalar keys
 * (https://www.pulumi.com/docs/iac/concepts/projects/project-file/#config-options), so the object
 * keys (`platform:storage: {...}`, the lists of objects) are listed in a comment of Pulumi.yaml and
 * documented, field by field, in the generated page. `renderProjectYaml()` and `renderConfigDocs()`
 * are pure so a test can check that both committed files are current.
 */
import { writeFileSync } from "node:fs";
import * as path from "node:path";
import { stringify } from "yaml";
import { z } from "zod";
import {
  CREDENTIAL_KEYS,
  RENAMED_KEYS,
  ROLE_ONLY_FIELDS,
  ROLE_ONLY_KEYS,
  platformSchema,
} from "../stacks/config";
import { NAMESPACE, groupSettings } from "../stacks/schema";

/** What the generated files say about one setting. */
export interface Setting {
  /** `role`, or `storage.backupRetentionDays` for a field of an object key. */
  readonly path: string;
  /** `string`, `integer`, `boolean`, `string[]`, `list`, `map`, `object`. */
  readonly type: string;
  /** Pulumi project config type, when Pulumi.yaml can declare the key. */
  readonly pulumiType?: "string" | "integer" | "boolean" | "array";
  /** Item type of an array Pulumi.yaml can declare. */
  readonly itemType?: "string" | "integer" | "boolean";
  /** The schema default; `undefined` when the setting is optional without one. */
  readonly default?: unknown;
  /** True when the setting has no default and must be set. */
  readonly required: boolean;
  readonly description: string;
  /** The only role that reads it, if one. */
  readonly role?: "hub" | "spoke";
}

type JsonSchema = {
  type?: string | string[];
  items?: JsonSchema;
  enum?: unknown[];
  properties?: Record<string, unknown>;
};

const SCALARS = ["string", "integer", "boolean"] as const;

function jsonType(schema: z.ZodType): JsonSchema {
  return z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as JsonSchema;
}

function describeType(js: JsonSchema): Pick<Setting, "type" | "pulumiType" | "itemType"> {
  const type = Array.isArray(js.type) ? js.type[0] : js.type;
  const item0 = Array.isArray(js.items?.type) ? js.items.type[0] : js.items?.type;
  if (type === "array" && item0 === "number")
    return { type: "integer[]", pulumiType: "array", itemType: "integer" };
  const scalar = (t: unknown) => (SCALARS as readonly unknown[]).includes(t);
  if (type === "array") {
    const item = Array.isArray(js.items?.type) ? js.items.type[0] : js.items?.type;
    if (scalar(item))
      return { type: `${String(item)}[]`, pulumiType: "array", itemType: item as Setting["itemType"] };
    return { type: "list" };
  }
  if (type === "object") return { type: js.properties ? "object" : "map" };
  // Whole numbers behind a refinement (CloudWatch Logs retention days).
  if (type === "number") return { type: "integer", pulumiType: "integer" };
  if (scalar(type)) return { type: type!, pulumiType: type as Setting["pulumiType"] };
  // An enum of strings, or a preprocessed value whose JSON Schema is unrepresentable.
  if (js.enum?.every((v) => typeof v === "string")) return { type: "string", pulumiType: "string" };
  return { type: "object" };
}

function setting(settingPath: string, schema: z.ZodType, role?: "hub" | "spoke"): Setting {
  const parsed = schema.safeParse(undefined);
  const required = !parsed.success;
  return {
    path: settingPath,
    ...describeType(jsonType(schema)),
    default: parsed.success ? parsed.data : undefined,
    required,
    description: schema.description ?? "",
    role,
  };
}

/** Every top-level key of the `platform` namespace, in schema order. */
export function topLevelSettings(root: z.ZodObject = platformSchema): Setting[] {
  return Object.entries(root.shape as Record<string, z.ZodType>).map(([key, schema]) => {
    const s = setting(key, schema, ROLE_ONLY_KEYS[key]);
    return groupSettings(schema) ? { ...s, type: "object", pulumiType: undefined } : s;
  });
}

/** The fields of each object key made with `group()` (`platform:storage`, ...), by key. */
export function groupedSettings(root: z.ZodObject = platformSchema): [string, string, Setting[]][] {
  return Object.entries(root.shape as Record<string, z.ZodType>).flatMap(([key, schema]) => {
    const settings = groupSettings(schema);
    if (!settings) return [];
    const roles = ROLE_ONLY_FIELDS[key] ?? {};
    const fields = Object.entries(settings.shape as Record<string, z.ZodType>).map(([field, fieldSchema]) =>
      setting(`${key}.${field}`, fieldSchema, roles[field]),
    );
    return [[key, schema.description ?? "", fields]];
  });
}

/** Project settings above the `config:` block (written once here; the block below is generated). */
const PROJECT_HEAD = {
  name: NAMESPACE,
  description: "Hub-and-spoke Kubernetes platform on AWS EKS (one stack per hub or spoke)",
  runtime: { name: "nodejs", options: { typescript: false, nodeargs: "--import tsx" } },
  main: "index.ts",
};

/**
 * Renders Pulumi.yaml: the project settings and the generated `config:` block.
 * @param root The `platform` schema (extended in test/recipes.test.ts). @default platformSchema
 */
export function renderProjectYaml(root: z.ZodObject = platformSchema): string {
  const declared: Record<string, unknown> = {};
  const undeclared: string[] = [];
  for (const s of topLevelSettings(root)) {
    if (!s.pulumiType) {
      undeclared.push(`#   ${s.path.padEnd(17)} ${s.type.padEnd(6)} ${s.description}`);
      continue;
    }
    declared[s.path] = {
      type: s.pulumiType,
      ...(s.itemType ? { items: { type: s.itemType } } : {}),
      description: s.description,
      // An optional key without a default is declared with "" (the program reads "" as not set):
      // a declared key without a default would be required by the CLI.
      ...(s.required ? {} : { default: s.default ?? "" }),
    };
  }
  const head = stringify(PROJECT_HEAD, { lineWidth: 0 }).replace(
    "runtime:",
    "# TypeScript runs through tsx (transpile only, no ts-node); type-checking happens in CI (`npm run typecheck`).\nruntime:",
  );
  return [
    head.trimEnd(),
    "# Generated by `npm run docs:config` from the config schema (stacks/config.ts); do not edit by hand.",
    '# Every scalar and array `platform:` key, with its type, description and default ("" means not',
    "# set: the description says what applies). Pulumi project config declares only string, integer,",
    "# boolean and array keys, so these object-valued keys are set in the stack files (fields with",
    "# `pulumi config set --path 'platform:<key>.<field>' <value>`) and documented in docs/configuration.md:",
    ...undeclared,
    "# Credentials are fields of those objects, set per stack with `pulumi config set --secret --path`:",
    ...CREDENTIAL_KEYS.map((k) => `#   ${NAMESPACE}:${k}`),
    stringify({ config: declared }, { lineWidth: 0 }).trimEnd(),
    "",
  ].join("\n");
}

function cell(value: unknown): string {
  return String(value).replace(/\|/g, "\\|").replace(/\n/g, " ");
}

function shownDefault(s: Setting): string {
  if (s.required) return "required";
  if (s.type === "object") return "per field";
  if (s.default === undefined) return "not set";
  return `\`${JSON.stringify(s.default)}\``;
}

const INTRO = `Every key is in the \`platform\` namespace of \`Pulumi.<stack>.yaml\`, plus the AWS provider's
\`aws:region\` (required). Values are validated before any resource is registered; a mistake ends
the run with one line naming the key, the value and what was expected (the offline plan exits 2).

**Layout.** Identity and foundation keys (role, environment, cluster name and version, network,
API access, the hub reference, tags) and the big lists (\`nodePools\`, \`accessEntries\`,
\`organizations\`) are top-level keys. Each capability's settings are one object key
(\`platform:transit\`, \`platform:storage\`, \`platform:observability\`, \`platform:gitops\`,
\`platform:tenancy\`, and one per add-on), written as a YAML mapping in the stack file or field by
field with \`pulumi config set --path 'platform:storage.backupRetentionDays' 14\`. An absent object
or field takes its default. Credentials are fields too, set with
\`pulumi config set --secret --path 'platform:gitops.sshPrivateKey' < key\`.`;

/**
 * Renders docs/configuration.md from the schema.
 * @param root The `platform` schema (extended in test/recipes.test.ts). @default platformSchema
 */
export function renderConfigDocs(root: z.ZodObject = platformSchema): string {
  const row = (s: Setting, key: string) =>
    `| \`${key}\` | ${s.type} | ${shownDefault(s)} | ${s.role ?? "both"} | ${cell(s.description)} |`;
  const lines = [
    "# Configuration reference",
    "",
    "<!-- Generated by `npm run docs:config` from the config schema (stacks/config.ts); do not edit by hand. -->",
    "",
    INTRO,
    "",
    "## Top-level keys",
    "",
    "| key | type | default | stacks | meaning |",
    "| --- | --- | --- | --- | --- |",
    "| `aws:region` | string | required | both | AWS region of every resource, e.g. `eu-west-1` |",
    ...topLevelSettings(root).map((s) => row(s, `${NAMESPACE}:${s.path}`)),
    "",
    "## Capability objects",
  ];
  for (const [key, description, fields] of groupedSettings(root)) {
    const example = fields.find((f) => f.pulumiType && f.pulumiType !== "array" && !f.required) ?? fields[0];
    lines.push(
      "",
      `### \`${NAMESPACE}:${key}\``,
      "",
      description,
      `Set a field with \`pulumi config set --path '${NAMESPACE}:${example.path}' <value>\`.`,
      "",
      "| field | type | default | stacks | meaning |",
      "| --- | --- | --- | --- | --- |",
      ...fields.map((s) => row(s, s.path.slice(key.length + 1))),
    );
  }
  lines.push(
    "",
    "## Renamed keys",
    "",
    "Flat keys of earlier releases are refused with `renamed to platform:<key>.<field>` (exit 2 in the",
    "plan): move the value under its object key.",
    "",
    "| old key | new field |",
    "| --- | --- |",
    ...Object.entries(RENAMED_KEYS).map(
      ([old, now]) => `| \`${NAMESPACE}:${old}\` | \`${NAMESPACE}:${now}\` |`,
    ),
    "",
    OBJECT_KEYS,
  );
  return lines.join("\n");
}

const OBJECT_KEYS = `## Lists and maps

### \`platform:nodePools\` (all stacks)

EKS managed node groups ([AWS](https://docs.aws.amazon.com/eks/latest/userguide/managed-node-groups.html)).
Default: a \`system\` pool (m6i.large, 2/2/3, tainted \`CriticalAddonsOnly=true:NoSchedule\`) and a
\`general\` pool (m6i.large, 2/3/6). At most 30 pools: the default EKS quota of managed node groups
per cluster ([quotas](https://docs.aws.amazon.com/eks/latest/userguide/service-quotas.html)).

Instance types come from the list the AWS provider ships (\`aws.ec2.InstanceType\`). The architecture
of a type follows the [AWS naming convention](https://docs.aws.amazon.com/ec2/latest/instancetypes/instance-type-names.html)
\`<family><generation><options>.<size>\`: a \`g\` among the options is AWS Graviton (arm64: \`m7g\`,
\`c6gn\`, \`t4g\`, \`x2gd\`, \`im4gn\`), as are \`a1\` and the Grace hosts (\`p6e-gb200\`); everything
else is x86_64. An \`ARM_64\` AMI type needs arm64 types and the others x86_64 types. Mac instances
are refused (EKS does not run them).

| field | type | default | meaning |
| --- | --- | --- | --- |
| \`name\` | string | required | node group name, unique |
| \`instanceTypes\` | string[] | required | EC2 instance types the AWS provider knows, e.g. \`[t3.medium]\`, all of the AMI type's architecture |
| \`amiType\` | string | \`AL2023_x86_64_STANDARD\` | EKS AMI type: \`AL2023_x86_64_STANDARD\`, \`AL2023_ARM_64_STANDARD\`, \`AL2023_x86_64_NVIDIA\`, \`AL2023_x86_64_NEURON\`, \`BOTTLEROCKET_x86_64\`, \`BOTTLEROCKET_ARM_64\` |
| \`capacityType\` | string | \`ON_DEMAND\` | \`ON_DEMAND\` or \`SPOT\` |
| \`minSize\` / \`desiredSize\` / \`maxSize\` | integer | required | must satisfy min <= desired <= max |
| \`diskSizeGiB\` | integer | \`50\` | root volume, GiB (gp3, encrypted with the cluster KMS key) |
| \`labels\` | map | \`{}\` | Kubernetes node labels, e.g. \`node-group: base-apps\` |
| \`taints\` | list | \`[]\` | \`{key, value, effect}\`, effect \`NO_SCHEDULE\`, \`NO_EXECUTE\` or \`PREFER_NO_SCHEDULE\` |
| \`system\` | boolean | \`false\` | taint \`CriticalAddonsOnly\` and label \`node-role=system\` |

### \`platform:accessEntries\` (all stacks)

EKS access entries ([AWS](https://docs.aws.amazon.com/eks/latest/userguide/access-entries.html)).
Default \`[]\`.

| field | type | default | meaning |
| --- | --- | --- | --- |
| \`name\` | string | required | entry key |
| \`principalArn\` | string | required | IAM role or user ARN, once in the list (EKS allows one access entry per principal) |
| \`accessPolicy\` | string | required | \`AmazonEKSClusterAdminPolicy\`, \`AmazonEKSAdminPolicy\`, \`AmazonEKSEditPolicy\` or \`AmazonEKSViewPolicy\` |
| \`namespaces\` | string[] | \`[]\` | namespace scope; empty means the whole cluster |
| \`kubernetesGroups\` | string[] | \`[]\` | Kubernetes groups for extra RBAC |

### \`platform:tags\` (all stacks)

Map of tag name to value added to every AWS resource, after \`Name\`, \`environment\`,
\`platform:stack\` and \`managed-by\`. Keys have 1 to 128 characters and never start with the
reserved \`aws:\`; values at most 256; both of letters, digits, spaces and \`_ . : / = + - @\`
([AWS](https://docs.aws.amazon.com/tag-editor/latest/userguide/best-practices-and-strats.html)). The policy pack requires \`environment\`, \`owner\` and
\`cost-center\` by default. Default \`{}\`.

### \`platform:organizations\` (spokes)

Tenant organizations (docs/tenancy.md). Default \`[]\`.

| field | type | default | meaning |
| --- | --- | --- | --- |
| \`name\` | string | required | organization, a Kubernetes name |
| \`environments\` | list | required | \`{name, namespace?, quota?, limits?, egressAllowlist?, path?, interval?, suspend?, repositoryKustomization?, secretArnPrefixes?}\`; an environment with its own \`secretArnPrefixes\` gets its own secrets role; namespace defaults to \`<org>\` for \`pro\` and \`<org>-<env>\` otherwise |
| \`gitRepository\` | object | cluster's \`flux-system\` | \`{url, branch, path?, secretName?, chartSources?}\` the org's Flux source |
| \`interval\` | string | \`5m\` | reconcile interval of the org's Kustomizations |
| \`principals\` | list | \`[]\` | \`{arn, accessPolicy}\` IAM principals with EKS access scoped to the org's namespaces |
| \`secretArnPrefixes\` | string[] | \`[]\` | Secrets Manager ARN prefixes the org's Pod Identity role may read |
| \`secretsServiceAccount\` | string | \`aws-secret-manager-sa\` | service account bound to that role |

### Secrets

Credentials are set per stack with \`pulumi config set --secret --path 'platform:<key>.<field>'\`,
never committed. Pulumi then marks the whole object key secret (a stack file holds the field as
\`secure:\` inside the mapping); a credential field whose key is not secret is refused, naming the
command to run. Because the mark covers the key, a plain-text credential next to a secret field of
the same object cannot be told apart at run time: keep every credential of an object a secret. The
offline plan stands in \`[secret]\` for the required ones a stack lacks and lists them.

### \`platform:alerting\` (hub)

Alertmanager receivers (Slack, PagerDuty, e-mail, webhook), the default receiver and the platform's
alert rules ([docs/alerting.md](alerting.md)). Receiver URLs, routing keys and SMTP passwords are
secrets: once the object lists a receiver, set the key with \`pulumi config set --secret\` (or each
credential with \`--secret --path\`); plain text is refused. The offline plan cannot decrypt a
whole-key secret and plans no receivers for it. \`platform:alertmanagerReceivers\` was renamed to
\`platform:alerting.receivers\` (the old key is refused with that message). Default: platform rules on, no receivers.

### \`platform:chartMirror\` (all stacks)

Air-gapped or egress-restricted installations: \`{ url }\`, one Helm chart repository
(\`https://\`, e.g. a Harbor, Artifactory, Nexus or ChartMuseum repository) or OCI registry path
(\`oci://registry.example.com/charts\`) holding every chart the platform installs under its upstream
name and pinned version (the versions are in each add-on's page). Set, every Helm release of the
program pulls its chart there instead of from the chart's upstream repository (one Pulumi stack
transform on \`kubernetes:helm.sh/v3:Release\`, stacks/chart-mirror.ts; the policy pack sees the
rewritten release; the offline plan, under Pulumi mocks, runs no transforms and shows the upstream
repositories). Container images are not rewritten: mirror them with the registry's pull-through
cache or each add-on's image values. The platform's own Git content (\`gitops/\`) follows the mirror
too: the facts \`chart_mirror_url\`/\`chart_mirror_type\` carry it to its \`HelmRepository\` objects
(\`\${chart_mirror_url:=<upstream>}\`; a user's repository may use the same facts). Default: not set (upstream repositories). The e2e run (docs/e2e.md)
installs every chart from a local mirror this way.

### Add-ons (all stacks)

One object per add-on, its fields set with \`pulumi config set --path 'platform:<key>.<field>' <value>\`;
each page lists the fields, their defaults and how to turn the add-on off.

| key | default | page |
| --- | --- | --- |
| \`platform:karpenter\` | on in production | [docs/karpenter.md](karpenter.md): node autoscaling, NodePools, EC2NodeClass |
| \`platform:certManager\` | on in production | [docs/cert-manager.md](cert-manager.md): certificates, Let's Encrypt ClusterIssuers with DNS-01 on Route 53 |
| \`platform:externalDns\` | on in production with hosted zones | [docs/external-dns.md](external-dns.md): Route 53 records for Services and Ingresses |
| \`platform:externalSecrets\` | on in production | [docs/external-secrets.md](external-secrets.md): External Secrets Operator, a SecretStore per organization environment |
| \`platform:loadBalancerController\` | on, internal load balancers only | [docs/ingress.md](ingress.md): AWS Load Balancer Controller, IngressClass \`alb\`, opt-in internet-facing class |
| \`platform:velero\` | on in production | [docs/backups.md](backups.md): Velero, its S3 bucket, a Schedule per organization namespace; AWS Backup copies |
| \`platform:registry\` | on in production (the hub manages the account's rules) | [docs/registry.md](registry.md): ECR pull through cache, creation templates, node role access |
| \`platform:tracing\` | on in production | [docs/tracing.md](tracing.md): OpenTelemetry Collector on every cluster, Tempo on the hub (S3), traces linked to logs |

## What is refused

Each of these ends the run before any resource is registered, with one line naming the key, the
value and what was expected (\`pulumi up\` fails with that line; the offline plan exits 2):

- a key in a namespace the program does not read (\`platfrom:nodePools\`): the known namespaces are
  \`platform\`, those of the providers it runs (\`aws\`, \`awsx\`, \`eks\`, \`kubernetes\`,
  \`pulumiservice\`) and \`pulumi\`; the closest one is suggested;
- an unknown \`platform:\` key or an unknown field of an object (\`diskSize\`, \`lables\`, a taint's
  \`efect\`, an access entry's \`namespace\`), with the closest known name; a flat key of an earlier
  release, with the field it was renamed to (table above);
- a missing required setting, \`platform:gitops.repositoryUrl\` included (every cluster runs Flux);
- a setting of the other role (the "stacks" column) set to anything but its default: Pulumi.yaml's
  defaults reach every stack, so a default value is not a mistake;
- a region the AWS provider does not know (\`aws.Region\`);
- a VPC CIDR outside RFC 1918. The RFC 6598 shared space 100.64.0.0/10 is not accepted as the VPC's
  (primary) block: AWS suggests it for secondary blocks (pod networking), which this program does not
  create; it is accepted in \`apiAccessCidrs\` (a VPN or a carrier-grade NAT may use it);
- \`apiAccessCidrs\` with a public block, \`0.0.0.0/0\` included: the endpoint is private;
- an AWS Backup schedule that is not an AWS cron expression ([rules](https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html#eb-cron-expressions)),
  fires more often than hourly, or never fires again;
- an unquoted \`kubernetesVersion: 1.30\`, which YAML reads as the number 1.3: quote it;
- in the offline plan, a stack file that is not a mapping, has no \`config:\` (or a misspelt one),
  a \`config:\` that is not a mapping, or whose YAML aliases expand to more than 100,000 values (an
  alias bomb). Any number of anchors and aliases below that size loads.
`;

if (require.main === module) {
  const root = path.resolve(__dirname, "..");
  writeFileSync(path.join(root, "Pulumi.yaml"), renderProjectYaml());
  writeFileSync(path.join(root, "docs/configuration.md"), renderConfigDocs());
  console.log("wrote Pulumi.yaml and docs/configuration.md");
}
