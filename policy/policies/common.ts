/**
 * Shared helpers for the platform's policies: a factory that scopes a resource policy to a set of
 * type tokens, compliance-framework metadata, and readers for AWS-style values (IAM documents that
 * may be JSON strings, tags, CIDRs).
 *
 * Only `@pulumi/policy` is imported: the pack runs from `policy/` with its own node_modules.
 */
import type {
  PolicyComplianceFramework,
  PolicyResource,
  ReportViolation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationPolicy,
} from "@pulumi/policy";
import { UnknownValueError } from "./sdk";

export type PackPolicy = ResourceValidationPolicy | StackValidationPolicy;

/** Type tokens the policies look at (aws:* children, component inputs, Kubernetes). */
export const types = {
  eksCluster: "aws:eks/cluster:Cluster",
  eksComponent: "eks:index:Cluster",
  eksNodeGroup: "aws:eks/nodeGroup:NodeGroup",
  eksManagedNodeGroup: "eks:index:ManagedNodeGroup",
  eksNodeGroupV2: "eks:index:NodeGroupV2",
  eksNodeGroupComponent: "eks:index:NodeGroup",
  eksAddon: "aws:eks/addon:Addon",
  eksAddonComponent: "eks:index:Addon",
  launchTemplate: "aws:ec2/launchTemplate:LaunchTemplate",
  oidcProvider: "aws:iam/openIdConnectProvider:OpenIdConnectProvider",
  vpc: "aws:ec2/vpc:Vpc",
  awsxVpc: "awsx:ec2:Vpc",
  subnet: "aws:ec2/subnet:Subnet",
  flowLog: "aws:ec2/flowLog:FlowLog",
  securityGroup: "aws:ec2/securityGroup:SecurityGroup",
  securityGroupRule: "aws:ec2/securityGroupRule:SecurityGroupRule",
  vpcIngressRule: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
  vpcEgressRule: "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
  defaultSecurityGroup: "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
  transitGateway: "aws:ec2transitgateway/transitGateway:TransitGateway",
  ebsVolume: "aws:ebs/volume:Volume",
  efsFileSystem: "aws:efs/fileSystem:FileSystem",
  efsAccessPoint: "aws:efs/accessPoint:AccessPoint",
  storageClass: "kubernetes:storage.k8s.io/v1:StorageClass",
  kmsKey: "aws:kms/key:Key",
  kmsKeyPolicy: "aws:kms/keyPolicy:KeyPolicy",
  logGroup: "aws:cloudwatch/logGroup:LogGroup",
  bucket: "aws:s3/bucket:Bucket",
  bucketV2: "aws:s3/bucketV2:BucketV2",
  bucketPublicAccessBlock: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
  bucketSse: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
  bucketSseV2: "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
  ecrRepository: "aws:ecr/repository:Repository",
  ecrRepositoryCreationTemplate: "aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate",
  iamPolicy: "aws:iam/policy:Policy",
  iamRolePolicy: "aws:iam/rolePolicy:RolePolicy",
  iamUserPolicy: "aws:iam/userPolicy:UserPolicy",
  iamGroupPolicy: "aws:iam/groupPolicy:GroupPolicy",
  iamRole: "aws:iam/role:Role",
  iamRolePolicyAttachment: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
  iamUserPolicyAttachment: "aws:iam/userPolicyAttachment:UserPolicyAttachment",
  iamGroupPolicyAttachment: "aws:iam/groupPolicyAttachment:GroupPolicyAttachment",
  iamPolicyAttachment: "aws:iam/policyAttachment:PolicyAttachment",
  iamRolePolicyAttachmentsExclusive: "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive",
  iamUserPolicyAttachmentsExclusive: "aws:iam/userPolicyAttachmentsExclusive:UserPolicyAttachmentsExclusive",
  iamGroupPolicyAttachmentsExclusive:
    "aws:iam/groupPolicyAttachmentsExclusive:GroupPolicyAttachmentsExclusive",
  ssoManagedPolicyAttachment: "aws:ssoadmin/managedPolicyAttachment:ManagedPolicyAttachment",
  backupVault: "aws:backup/vault:Vault",
  backupPlan: "aws:backup/plan:Plan",
  snsTopic: "aws:sns/topic:Topic",
  helmRelease: "kubernetes:helm.sh/v3:Release",
  helmChartV4: "kubernetes:helm.sh/v4:Chart",
} as const;

/**
 * Multi-language component types whose inputs the pack judges. In a real `pulumi preview` their
 * registration comes from the provider plugin, and plugins built on @pulumi/pulumi before 3.202
 * (eks 4.3.0, awsx 3.x) register them with empty inputs; their aws:* children carry the same facts.
 */
const componentTypes: readonly string[] = [
  types.eksComponent,
  types.eksManagedNodeGroup,
  types.eksNodeGroupV2,
  types.eksNodeGroupComponent,
  types.eksAddonComponent,
  types.awsxVpc,
];

/**
 * True for a component registration that carries no inputs (as a real preview sends it): a check
 * of its inputs has nothing to judge and must stay silent; its children are judged instead.
 */
export function isInputlessComponent(type: string, props: Record<string, unknown>): boolean {
  return componentTypes.includes(type) && Object.keys(props).length === 0;
}

/** Compliance frameworks the policies cite. */
export const frameworks = {
  cisEks: (control: string, specification: string): PolicyComplianceFramework => ({
    name: "CIS Amazon EKS Benchmark",
    version: "1.7.0",
    reference: control,
    specification,
  }),
  cisAws: (control: string, specification: string): PolicyComplianceFramework => ({
    name: "CIS AWS Foundations Benchmark",
    version: "3.0.0",
    reference: control,
    specification,
  }),
  eksBestPractices: (section: string, specification: string): PolicyComplianceFramework => ({
    name: "Amazon EKS Best Practices Guide",
    version: "2025",
    reference: section,
    specification,
  }),
  checkov: (id: string, specification: string): PolicyComplianceFramework => ({
    name: "checkov",
    version: "3",
    reference: id,
    specification,
  }),
  platform: (id: string, specification: string): PolicyComplianceFramework => ({
    name: "platform conventions",
    version: "1",
    reference: id,
    specification,
  }),
};

export type ResourceCheck = (
  props: Record<string, any>,
  args: ResourceValidationArgs,
  report: ReportViolation,
) => void | Promise<void>;

export type ResourcePolicySpec = Omit<ResourceValidationPolicy, "validateResource" | "remediateResource"> & {
  /** The type tokens this policy checks; other types are reported as not applicable. */
  readonly resourceTypes: readonly string[];
  /** One check per type token (or "*" for all listed types). */
  readonly checks: Partial<Record<string, ResourceCheck>>;
};

/** Extra metadata our docs generator reads (not part of the Pulumi schema). */
export const resourceTypesOf = new WeakMap<object, readonly string[]>();

/**
 * The types a validation built by {@link resourcePolicy} judges; it reports every other type as not
 * applicable, so the offline plan's engine (policy/engine.ts) need not call it for them, as the
 * Pulumi engine skips a `validateResourceOfType` validation for other types.
 */
export const validationScope = new WeakMap<object, ReadonlySet<string>>();

/**
 * Builds a resource policy that runs `checks[type]` (or `checks["*"]`) for the listed types and
 * reports every other type as not applicable, like `validateResourceOfType` does.
 */
export function resourcePolicy(spec: ResourcePolicySpec): ResourceValidationPolicy {
  const { resourceTypes, checks, ...meta } = spec;
  const policy: ResourceValidationPolicy = {
    ...meta,
    validateResource: (args, report) => {
      if (!resourceTypes.includes(args.type)) {
        args.notApplicable(`Policy only applies to ${resourceTypes.join(", ")}`);
      }
      const check = checks[args.type] ?? checks["*"];
      if (!check) return args.notApplicable(`No check for ${args.type}`);
      // Inputs as the program gave them: awsx plugins register a component as { name, args, opts }.
      const props = componentInputs(args.type, args.props);
      if (isInputlessComponent(args.type, props)) {
        return args.notApplicable(`${args.type} registered without inputs: its aws:* children are judged`);
      }
      return check(props, args, report);
    },
  };
  resourceTypesOf.set(policy, resourceTypes);
  validationScope.set(policy.validateResource as object, new Set(resourceTypes));
  return policy;
}

/** Registers the types a stack policy looks at (for the generated docs). */
export function stackPolicy(
  spec: StackValidationPolicy & { readonly resourceTypes: readonly string[] },
): StackValidationPolicy {
  const { resourceTypes, ...policy } = spec;
  resourceTypesOf.set(policy, resourceTypes);
  return policy;
}

/** True when `v` is a non-empty string. */
export function isSet(v: unknown): v is string {
  return typeof v === "string" && v.trim().length > 0;
}

/** Normalizes a value that may be a single item or a list. */
export function asList<T>(v: T | T[] | undefined | null): T[] {
  if (v === undefined || v === null) return [];
  return Array.isArray(v) ? [...v] : [v];
}

/** Boolean-ish values as the AWS provider encodes them (launch templates use "true"/"false"). */
export function isTrue(v: unknown): boolean {
  return v === true || v === "true";
}

export const worldCidrs = ["0.0.0.0/0", "::/0"];

/**
 * Reads `obj[key]`, returning `undefined` instead of throwing when the value is unknown during
 * preview. Only for stack policies that correlate resources, where an unknown id must not hide
 * the other evidence (dependencies, parents).
 */
export function tryGet(obj: Record<string, any> | undefined, key: string): unknown {
  try {
    return obj?.[key];
  } catch (e) {
    if (e instanceof UnknownValueError) return undefined;
    throw e;
  }
}

export interface IamStatement {
  Sid?: string;
  Effect?: string;
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Principal?: string | Record<string, string | string[]>;
  NotPrincipal?: string | Record<string, string | string[]>;
  Condition?: Record<string, Record<string, string | string[]>>;
}

/** Thrown by {@link parseDocument} for a document that is not valid JSON or not a policy object. */
class InvalidPolicyDocumentError extends Error {}

/**
 * Parses an IAM/KMS policy document given as JSON text or an object; `undefined` if absent.
 * @throws InvalidPolicyDocumentError when the text is not valid JSON or is not a JSON object.
 */
function parseDocument(doc: unknown): { Statement?: IamStatement | IamStatement[] } | undefined {
  if (doc === undefined || doc === null || doc === "") return undefined;
  let parsed: unknown;
  if (typeof doc === "string") {
    try {
      parsed = JSON.parse(doc);
    } catch (e) {
      throw new InvalidPolicyDocumentError(
        `is not valid JSON (${(e as Error).message}): ${JSON.stringify(doc.slice(0, 60))}`,
      );
    }
  } else {
    // Plain-ify (it may be the unknown-checking proxy).
    parsed = JSON.parse(JSON.stringify(doc));
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new InvalidPolicyDocumentError(`is not a JSON object with a Statement list`);
  }
  return parsed as { Statement?: IamStatement | IamStatement[] };
}

/** The statements of a document (objects only). @throws InvalidPolicyDocumentError as {@link parseDocument}. */
function statementsOf(doc: unknown): IamStatement[] {
  return asList(parseDocument(doc)?.Statement).filter(
    (s): s is IamStatement => typeof s === "object" && s !== null && !Array.isArray(s),
  );
}

/**
 * The statements of the document in `props[field]`, or `[]` after reporting a violation when the
 * document is not valid JSON (AWS would refuse it; the policy cannot judge it).
 */
export function readStatements(
  props: Record<string, any>,
  field: string,
  report: ReportViolation,
): IamStatement[] {
  try {
    return statementsOf(props[field]);
  } catch (e) {
    if (!(e instanceof InvalidPolicyDocumentError)) throw e;
    report(`${field} ${e.message}. AWS rejects such a document (MalformedPolicyDocument); fix it.`);
    return [];
  }
}

/** A label for a statement in messages: its Sid or its index. */
export function stmtLabel(s: IamStatement, i: number): string {
  return s.Sid ? `statement "${s.Sid}"` : `statement #${i + 1}`;
}

/** True when an IAM principal is `*` or `{ AWS: "*" }` (any AWS principal). */
export function isWildcardPrincipal(p: IamStatement["Principal"]): boolean {
  if (p === "*") return true;
  if (p && typeof p === "object") {
    return Object.values(p).some((v) => asList(v).includes("*"));
  }
  return false;
}

/** Stack name from a URN (`urn:pulumi:<stack>::<project>::...`). */
export function stackOfUrn(urn: string): string | undefined {
  const m = /^urn:pulumi:([^:]+)::/.exec(urn);
  return m?.[1];
}

/** Ancestors of a resource (closest first). */
function ancestors(r: PolicyResource): PolicyResource[] {
  const out: PolicyResource[] = [];
  for (let p = r.parent; p; p = p.parent) out.push(p);
  return out;
}

/**
 * The URNs that stand for a resource: its own and those of the multi-language components
 * (awsx:*, eks:*) that wrap it, since outputs read from such a component carry the component's URN
 * as their dependency.
 */
function identityUrns(r: PolicyResource): Set<string> {
  const wrappers = ancestors(r).filter((a) => /^(awsx|eks):/.test(a.type));
  return new Set([r.urn, ...wrappers.map((a) => a.urn)]);
}

/**
 * The inputs of an awsx component as the analyzer sees them. Under Pulumi's mocks (the offline
 * plan) they are the program's arguments. In a real `pulumi preview` the analyzer sees the
 * component as the awsx provider registers it inside Construct: its generated base classes pass
 * `{ name, args, opts }` as the component's properties, so the arguments are under `args`.
 * Found by the e2e run against the real engine and the real awsx code (docs/e2e.md).
 */
export function componentInputs(type: string, props: Record<string, any>): Record<string, any> {
  const wrapped =
    type.startsWith("awsx:") &&
    typeof props.name === "string" &&
    props.args !== null &&
    typeof props.args === "object" &&
    !Array.isArray(props.args) &&
    "opts" in props;
  return wrapped ? (props.args as Record<string, any>) : props;
}

/** True when `ref` depends on `target` (directly, through a property, or on one of its ancestors). */
export function refersTo(ref: PolicyResource, target: PolicyResource): boolean {
  const targets = identityUrns(target);
  // A reference to a multi-language component (awsx:ec2:Vpc) counts for its aws:* children.
  const deps = [...ref.dependencies, ...Object.values(ref.propertyDependencies).flat()];
  return deps.some((d) => targets.has(d.urn) || ancestors(d).some((a) => a.urn === target.urn));
}
