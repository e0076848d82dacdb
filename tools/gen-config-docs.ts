/**
 * `npm run docs:config`: writes docs/configuration.md from the `config:` block of Pulumi.yaml (every
 * scalar and array key with its type, default and description) and the reference of the
 * object-valued keys Pulumi.yaml cannot declare. `renderConfigDocs()` is pure so a test can check
 * the committed page is up to date.
 */
import { readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";

interface Declaration {
  type: string;
  description?: string;
  default?: unknown;
  secret?: boolean;
  items?: { type: string };
}

const OBJECT_KEYS = `## Object-valued keys

Pulumi project config can only declare string, integer, boolean and array keys, so these are set in
the stack file as YAML objects and validated by stacks/config.ts with the same one-line errors.

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
| \`environments\` | list | required | \`{name, namespace?, quota?, limits?, egressAllowlist?, path?, secretArnPrefixes?}\`; an environment with its own \`secretArnPrefixes\` gets its own secrets role; namespace defaults to \`<org>\` for \`pro\` and \`<org>-<env>\` otherwise |
| \`gitRepository\` | object | cluster's \`flux-system\` | \`{url, branch, path?, secretName?}\` the org's Flux source |
| \`interval\` | string | \`5m\` | reconcile interval of the org's Kustomizations |
| \`principals\` | list | \`[]\` | \`{arn, accessPolicy}\` IAM principals with EKS access scoped to the org's namespaces |
| \`secretArnPrefixes\` | string[] | \`[]\` | Secrets Manager ARN prefixes the org's Pod Identity role may read |
| \`secretsServiceAccount\` | string | \`aws-secret-manager-sa\` | service account bound to that role |

### \`platform:fluxInfrastructureNamespaces\` (all stacks)

Namespaces where the synced repository's platform-level tree (the Kustomizations it declares in
\`flux-system\`) may install Helm releases, which the Flux lockdown refuses as written (docs/gitops.md,
"Platform-level HelmReleases"). For each, the platform creates the namespace (unless built in, such as
\`kube-system\`), a \`flux-infrastructure\` ServiceAccount bound to **cluster-admin** (judged by the
pack's \`flux-infrastructure-reconcilers\`) and the chart sources below, and the root sync makes the
HelmReleases there impersonate that account and use those sources. Never \`flux-system\` or a
tenant namespace. Default \`[]\`.

| field | type | default | meaning |
| --- | --- | --- | --- |
| \`namespace\` | string | required | namespace of the HelmReleases, a Kubernetes name, listed once |
| \`chartSources\` | list | \`[]\` | \`{name, url}\`: HelmRepository copies created in the namespace; \`name\` as the releases' \`spec.chart.spec.sourceRef.name\`, \`url\` \`https://\` (Helm index) or \`oci://\` |

### \`platform:tenantDefaultQuota\` and \`platform:tenantDefaultLimits\` (spokes)

Defaults merged over the built-in ResourceQuota (\`requests.cpu\`, \`requests.memory\`, \`limits.cpu\`,
\`limits.memory\`, \`pods\`, \`services.loadbalancers: 0\`, ...) and the per-container LimitRange
(\`default\`, \`defaultRequest\`, \`max\`). Default \`{}\`.

### Secret keys

Set per stack with \`pulumi config set --secret <key>\`; never committed and not declared in
Pulumi.yaml (the CLI would reject a declared secret's plain-text default in stacks that do not set
it). A value of these keys in plain text is refused, naming the command to run (the program asks
the Pulumi runtime which keys are secret; the plan takes a stack file's \`secure:\` values, also
nested ones, as secret). The offline plan stands in \`[secret]\` for those a stack needs and lists them.

| key | required when | meaning |
| --- | --- | --- |
| \`platform:gitSshPrivateKey\` | \`gitAuth: ssh\` | SSH deploy key (OpenSSH private key) of the Flux GitRepository |
| \`platform:githubAppPrivateKey\` | \`gitAuth: github-app\` | GitHub App private key (PEM) |
| \`platform:grafanaAdminPassword\` | never (hub; generated when empty) | Grafana admin password, at least 12 characters |
| \`platform:logShipperPassword\` | never (hub; generated when empty) | Elasticsearch \`log-shipper\` password, at least 16 characters |
| \`platform:alerting\` | when it lists receivers (hub) | Alertmanager receivers with their URLs and keys (below) |

### \`platform:alerting\` (hub)

Alertmanager receivers (Slack, PagerDuty, e-mail, webhook), the default receiver and the platform's
alert rules ([docs/alerting.md](alerting.md)). Receiver URLs, routing keys and SMTP passwords are
secrets: once the object lists a receiver, set the key with \`pulumi config set --secret\` (or each
credential with \`--secret --path\`); plain text is refused. The offline plan cannot decrypt a
whole-key secret and plans no receivers for it. \`platform:alertmanagerReceivers\` was renamed to
\`platform:alerting.receivers\` (the old key is refused with that message). Default: platform rules on, no receivers.

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

### \`platform:chartMirror\` (all stacks)

Air-gapped or egress-restricted installations: \`{ url }\`, one Helm chart repository
(\`https://\`, e.g. a Harbor, Artifactory, Nexus or ChartMuseum repository) or OCI registry path
(\`oci://registry.example.com/charts\`) holding every chart the platform installs under its upstream
name and pinned version (the versions are in each add-on's page). Set, every Helm release of the
program pulls its chart there instead of from the chart's upstream repository (one Pulumi stack
transform on \`kubernetes:helm.sh/v3:Release\`, stacks/chart-mirror.ts; the policy pack sees the
rewritten release; the offline plan, under Pulumi mocks, runs no transforms and shows the upstream
repositories). Container images are not rewritten: mirror them with the registry's pull-through
cache or each add-on's image values. Flux \`HelmRepository\` objects in the Git repository are the
repository's own business. Default: not set (upstream repositories). The e2e run (docs/e2e.md)
installs every chart from a local mirror this way.
| \`platform:tracing\` | on in production | [docs/tracing.md](tracing.md): OpenTelemetry Collector on every cluster, Tempo on the hub (S3), traces linked to logs |

## What is refused

Each of these ends the run before any resource is registered, with one line naming the key, the
value and what was expected (\`pulumi up\` fails with that line; the offline plan exits 2):

- a key in a namespace the program does not read (\`platfrom:nodePools\`): the known namespaces are
  \`platform\`, those of the providers it runs (\`aws\`, \`awsx\`, \`eks\`, \`kubernetes\`,
  \`pulumiservice\`) and \`pulumi\`; the closest one is suggested;
- an unknown \`platform:\` key or an unknown field of an object (\`diskSize\`, \`lables\`, a taint's
  \`efect\`, an access entry's \`namespace\`), with the closest known name;
- a key of the other role set to anything but its default: hub only are the Transit Gateway and RAM
  keys, \`gitBaselinePath\`, the central observability keys and \`alerting\`; spoke only are
  \`hubStackReference\`, \`hubEndpointPorts\`, \`hubAccountRoleArn\` and
  \`transitAcceptShareInvitation\` (Pulumi.yaml's defaults reach every stack, so a default value is
  not a mistake);
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

/** Renders docs/configuration.md from the project file's text. */
export function renderConfigDocs(projectYaml: string): string {
  const project = parse(projectYaml) as { name: string; config: Record<string, Declaration> };
  const rows = Object.entries(project.config).map(([key, decl]) => {
    const type = decl.type === "array" ? `${decl.items?.type ?? "string"}[]` : decl.type;
    const hasDefault = "default" in decl;
    const value = hasDefault ? JSON.stringify(decl.default) : "required";
    const shown = hasDefault && decl.default === "" ? "derived" : value;
    const secret = decl.secret ? " (secret)" : "";
    const description = (decl.description ?? "").replace(/\|/g, "\\|");
    return `| \`${project.name}:${key}\`${secret} | ${type} | ${shown === "required" ? "required" : `\`${shown}\``} | ${description} |`;
  });
  return [
    "# Configuration reference",
    "",
    "<!-- Generated by `npm run docs:config` from Pulumi.yaml; do not edit by hand. -->",
    "",
    "Every key is in the `platform` namespace of `Pulumi.<stack>.yaml`, plus the AWS provider's",
    "`aws:region` (required). Values are validated before any resource is registered; a mistake ends",
    "the run with one line naming the key, the value and what was expected (the offline plan exits 2).",
    'Secrets are set per stack with `pulumi config set --secret <key>`, never committed. "derived"',
    "means the default is computed (the description says how).",
    "",
    "| key | type | default | meaning |",
    "| --- | --- | --- | --- |",
    "| `aws:region` | string | required | AWS region of every resource, e.g. `eu-west-1` |",
    ...rows,
    "",
    OBJECT_KEYS,
  ].join("\n");
}

if (require.main === module) {
  const root = path.resolve(__dirname, "..");
  const text = renderConfigDocs(readFileSync(path.join(root, "Pulumi.yaml"), "utf8"));
  writeFileSync(path.join(root, "docs/configuration.md"), text);
  console.log("wrote docs/configuration.md");
}
