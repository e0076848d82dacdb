/**
 * Pulumi mock runtime for the offline plan and the tests.
 *
 * `pulumi.runtime.setMocks` replaces the engine and the providers: every resource registration
 * reaches {@link PlatformMocks.newResource}, every provider function call reaches
 * {@link PlatformMocks.call}. The mocks return deterministic, realistic ids, ARNs and outputs so
 * that downstream resources receive plausible inputs (a subnet id looks like `subnet-…`, a KMS key
 * ARN like `arn:aws:kms:<region>:<account>:key/…`).
 *
 * `@pulumi/eks` and `@pulumi/awsx` are multi-language components: under mocks they register as one
 * resource with no children, so their outputs (kubeconfig, OIDC provider, subnet ids) are made up
 * here from their inputs.
 */
import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";

/** The placeholder AWS account the plan runs in (AWS documentation's example account). */
export const PLAN_ACCOUNT_ID = "111122223333";

/** A stable short hex digest of the given parts, so ids do not change between runs. */
export function digest(...parts: string[]): string {
  return createHash("sha1").update(parts.join("/")).digest("hex");
}

/** One resource as the mock engine saw it. */
export interface RecordedResource {
  readonly urn: string;
  readonly type: string;
  readonly name: string;
  readonly parent?: string;
  readonly custom: boolean;
  readonly protect: boolean;
  readonly provider?: string;
  readonly dependencies: string[];
  /** Inputs with secrets unwrapped (what policies see). */
  readonly inputs: Record<string, unknown>;
  /** Inputs with every secret shown as `[secret]` (what the plan prints). */
  readonly shownInputs: Record<string, unknown>;
  readonly outputs: Record<string, unknown>;
  readonly id?: string;
}

/** Options of the mock runtime. */
export interface MockOptions {
  /** AWS region the ARNs name. @default "eu-west-1" */
  readonly region?: string;
  /** Outputs of stacks a StackReference may read, by stack reference name. */
  readonly stackOutputs?: Record<string, Record<string, unknown>>;
}

type State = Record<string, unknown>;

function arn(service: string, region: string, resource: string, global = false): string {
  return `arn:aws:${service}:${global ? "" : region}:${PLAN_ACCOUNT_ID}:${resource}`;
}

function idFor(prefix: string, type: string, name: string, length = 17): string {
  return `${prefix}-${digest(type, name).slice(0, length)}`;
}

function str(value: unknown, fallback: string): string {
  return typeof value === "string" && value.length > 0 ? value : fallback;
}

/** Realistic outputs for the `@pulumi/eks` cluster component. */
function eksClusterState(name: string, inputs: State, region: string): State {
  const clusterName = str(inputs.name, `${name}-eksCluster-${digest(name).slice(0, 7)}`);
  const oidcId = digest("oidc", name).slice(0, 32).toUpperCase();
  const endpoint = `https://${oidcId}.gr7.${region}.eks.amazonaws.com`;
  const issuer = `oidc.eks.${region}.amazonaws.com/id/${oidcId}`;
  const certificateData = Buffer.from(`mock-ca-${name}`).toString("base64");
  const kubeconfig = {
    apiVersion: "v1",
    kind: "Config",
    clusters: [
      { name: "kubernetes", cluster: { server: endpoint, "certificate-authority-data": certificateData } },
    ],
    contexts: [{ name: "aws", context: { cluster: "kubernetes", user: "aws" } }],
    "current-context": "aws",
    users: [
      {
        name: "aws",
        user: {
          exec: {
            apiVersion: "client.authentication.k8s.io/v1beta1",
            command: "aws",
            args: ["eks", "get-token", "--cluster-name", clusterName, "--output", "json"],
            env: [
              {
                name: "KUBERNETES_EXEC_INFO",
                value: '{"apiVersion": "client.authentication.k8s.io/v1beta1"}',
              },
            ],
          },
        },
      },
    ],
  };
  return {
    ...inputs,
    kubeconfig,
    kubeconfigJson: JSON.stringify(kubeconfig),
    eksCluster: {
      id: clusterName,
      name: clusterName,
      arn: arn("eks", region, `cluster/${clusterName}`),
      endpoint,
      version: inputs.version,
      certificateAuthority: { data: certificateData },
      identities: [{ oidcs: [{ issuer: `https://${issuer}` }] }],
      vpcConfig: { clusterSecurityGroupId: idFor("sg", "eks-cluster-sg", name) },
    },
    clusterSecurityGroupId: idFor("sg", "eks-cluster-sg", name),
    nodeSecurityGroupId: idFor("sg", "eks-node-sg", name),
    oidcProviderArn: arn("iam", region, `oidc-provider/${issuer}`, true),
    oidcProviderUrl: `https://${issuer}`,
    oidcIssuer: issuer,
  };
}

/** Realistic outputs for the `@pulumi/awsx` VPC component: subnet ids per AZ and tier. */
function awsxVpcState(name: string, inputs: State): State {
  const azCount =
    (Array.isArray(inputs.availabilityZoneNames) && inputs.availabilityZoneNames.length) ||
    (typeof inputs.numberOfAvailabilityZones === "number" ? inputs.numberOfAvailabilityZones : 3);
  const specs = Array.isArray(inputs.subnetSpecs) ? (inputs.subnetSpecs as State[]) : [];
  const tiers = (kind: string) =>
    specs.some((s) => s.type === kind) || (specs.length === 0 && kind !== "Isolated")
      ? Array.from({ length: azCount }, (_, i) => idFor("subnet", `${kind}-${i}`, name))
      : [];
  const vpcId = idFor("vpc", "vpc", name);
  return {
    ...inputs,
    vpcId,
    vpc: { id: vpcId, cidrBlock: inputs.cidrBlock, arn: arn("ec2", "", `vpc/${vpcId}`) },
    publicSubnetIds: tiers("Public"),
    privateSubnetIds: tiers("Private"),
    isolatedSubnetIds: tiers("Isolated"),
  };
}

/** What the mocks add to a custom resource's inputs: its id and made-up outputs. */
interface Made {
  id: string;
  readonly extra: State;
}

/** Identity, keys, logs, storage, backup and sharing resources of the AWS provider; false for other types. */
function awsIdentityAndStorage(
  type: string,
  name: string,
  inputs: State,
  region: string,
  made: Made,
): boolean {
  const { extra } = made;
  let id = made.id;
  switch (type) {
    case "aws:sns/topic:Topic":
      // SNS names its topics' ARNs `arn:aws:sns:<region>:<account>:<name>`, and the id is the ARN.
      id = arn("sns", region, str(inputs.name, `${name}-${digest(type, name).slice(0, 7)}`));
      extra.arn = id;
      break;
    case "aws:kms/key:Key": {
      const keyId = [8, 4, 4, 4, 12].map((n, i) => digest(type, name, String(i)).slice(0, n)).join("-");
      id = keyId;
      extra.keyId = keyId;
      extra.arn = arn("kms", region, `key/${keyId}`);
      break;
    }
    case "aws:kms/alias:Alias":
      extra.arn = arn("kms", region, str(inputs.name, `alias/${name}`));
      break;
    case "aws:iam/role:Role":
      id = str(inputs.name, `${name}-${digest(name).slice(0, 7)}`);
      extra.name = id;
      extra.arn = arn("iam", region, `role/${id}`, true);
      extra.uniqueId = `AROA${digest(name).slice(0, 17).toUpperCase()}`;
      break;
    case "aws:iam/policy:Policy":
      id = arn("iam", region, `policy/${str(inputs.name, name)}`, true);
      extra.arn = id;
      break;
    case "aws:cloudwatch/logGroup:LogGroup":
      id = str(inputs.name, name);
      extra.arn = arn("logs", region, `log-group:${id}`);
      break;
    case "aws:ram/resourceShare:ResourceShare":
      id = arn("ram", region, `resource-share/${digest(name).slice(0, 36)}`);
      extra.arn = id;
      break;
    case "aws:efs/fileSystem:FileSystem":
      id = idFor("fs", type, name, 17);
      extra.arn = arn("elasticfilesystem", region, `file-system/${id}`);
      extra.dnsName = `${id}.efs.${region}.amazonaws.com`;
      break;
    case "aws:efs/accessPoint:AccessPoint":
      id = idFor("fsap", type, name, 17);
      extra.arn = arn("elasticfilesystem", region, `access-point/${id}`);
      break;
    case "aws:s3/bucket:Bucket":
    case "aws:s3/bucketV2:BucketV2":
      id = str(inputs.bucket, `${name}-${digest(name).slice(0, 7)}`);
      extra.bucket = id;
      extra.arn = `arn:aws:s3:::${id}`;
      break;
    case "aws:backup/vault:Vault":
      id = str(inputs.name, name);
      extra.arn = arn("backup", region, `backup-vault:${id}`);
      break;
    case "aws:backup/plan:Plan":
      id = digest(type, name).slice(0, 36);
      extra.arn = arn("backup", region, `backup-plan:${id}`);
      break;
    default:
      return false;
  }
  made.id = id;
  return true;
}

/**
 * The `aws:eks/cluster:Cluster` child @pulumi/eks creates (seen when the component's own code runs,
 * as in a real preview): fills `extra`, returns its id.
 */
function eksClusterChildState(name: string, inputs: State, region: string, extra: State): string {
  const type = "aws:eks/cluster:Cluster";
  const clusterName = str(inputs.name, `${name}-${digest(type, name).slice(0, 7)}`);
  const oidcId = digest("oidc", name).slice(0, 32).toUpperCase();
  const vpcConfig = (inputs.vpcConfig as State | undefined) ?? {};
  extra.name = clusterName;
  extra.arn = arn("eks", region, `cluster/${clusterName}`);
  extra.endpoint = `https://${oidcId}.gr7.${region}.eks.amazonaws.com`;
  extra.certificateAuthority = { data: Buffer.from(`mock-ca-${name}`).toString("base64") };
  extra.identities = [{ oidcs: [{ issuer: `https://oidc.eks.${region}.amazonaws.com/id/${oidcId}` }] }];
  extra.vpcConfig = { ...vpcConfig, clusterSecurityGroupId: idFor("sg", "eks-cluster-sg", name) };
  extra.status = "ACTIVE";
  return clusterName;
}

/** Network, EKS and load-balancing resources of the AWS provider; false for other types. */
function awsNetworkAndCompute(
  type: string,
  name: string,
  inputs: State,
  region: string,
  made: Made,
): boolean {
  const { extra } = made;
  let id = made.id;
  switch (type) {
    case "aws:ec2transitgateway/transitGateway:TransitGateway":
      id = idFor("tgw", type, name);
      extra.arn = arn("ec2", region, `transit-gateway/${id}`);
      extra.associationDefaultRouteTableId = idFor("tgw-rtb", "assoc", name);
      extra.propagationDefaultRouteTableId = idFor("tgw-rtb", "prop", name);
      extra.ownerId = PLAN_ACCOUNT_ID;
      break;
    case "aws:ec2transitgateway/vpcAttachment:VpcAttachment":
      id = idFor("tgw-attach", type, name);
      break;
    case "aws:ec2transitgateway/vpcAttachmentAccepter:VpcAttachmentAccepter":
      // The accepter's id is the attachment it accepts.
      id = str(inputs.transitGatewayAttachmentId, idFor("tgw-attach", type, name));
      break;
    case "aws:ec2transitgateway/routeTable:RouteTable":
      id = idFor("tgw-rtb", type, name);
      extra.arn = arn("ec2", region, `transit-gateway-route-table/${id}`);
      break;
    case "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule":
      id = idFor("sgr", type, name);
      extra.securityGroupRuleId = id;
      extra.arn = arn("ec2", region, `security-group-rule/${id}`);
      break;
    case "aws:ec2/securityGroup:SecurityGroup":
      id = idFor("sg", type, name);
      extra.arn = arn("ec2", region, `security-group/${id}`);
      break;
    case "aws:ec2/launchTemplate:LaunchTemplate":
      id = idFor("lt", type, name);
      extra.latestVersion = 1;
      extra.arn = arn("ec2", region, `launch-template/${id}`);
      break;
    case "aws:eks/cluster:Cluster":
      id = eksClusterChildState(name, inputs, region, extra);
      break;
    case "aws:eks/nodeGroup:NodeGroup":
      extra.arn = arn(
        "eks",
        region,
        `nodegroup/${str(inputs.clusterName, "cluster")}/${str(inputs.nodeGroupName, name)}`,
      );
      extra.resources = [{ autoscalingGroups: [{ name: `eks-${name}-${digest(name).slice(0, 8)}` }] }];
      break;
    case "aws:iam/openIdConnectProvider:OpenIdConnectProvider":
      id = arn("iam", region, `oidc-provider/${str(inputs.url, name).replace(/^https:\/\//, "")}`, true);
      extra.arn = id;
      break;
    case "aws:eks/addon:Addon":
      extra.arn = arn(
        "eks",
        region,
        `addon/${str(inputs.clusterName, "cluster")}/${str(inputs.addonName, name)}`,
      );
      break;
    case "aws:lb/loadBalancer:LoadBalancer":
      extra.dnsName = `internal-${name}-${digest(name).slice(0, 10)}.${region}.elb.amazonaws.com`;
      extra.arn = arn(
        "elasticloadbalancing",
        region,
        `loadbalancer/net/${name}/${digest(name).slice(0, 16)}`,
      );
      break;
    default:
      return false;
  }
  made.id = id;
  return true;
}

/** Made-up outputs of an AWS provider resource: ARNs, ids in AWS's formats. */
function awsState(type: string, name: string, inputs: State, region: string, made: Made): void {
  if (awsIdentityAndStorage(type, name, inputs, region, made)) return;
  if (awsNetworkAndCompute(type, name, inputs, region, made)) return;
  const mod = type.split(":")[1] ?? "";
  made.extra.arn = arn(mod.split("/")[0], region, `${mod.split("/")[1] ?? name}/${made.id}`);
}

/** Made-up outputs of a Kubernetes object: its name (auto-named as Pulumi does), a Service's load balancer. */
function kubernetesState(type: string, name: string, inputs: State, region: string): State {
  const metadata = (inputs.metadata as State | undefined) ?? {};
  const extra: State = {
    metadata: { ...metadata, name: str(metadata.name, `${name}-${digest(type, name).slice(0, 8)}`) },
  };
  if (type === "kubernetes:core/v1:Service") {
    extra.status = {
      loadBalancer: {
        ingress: [{ hostname: `internal-${name}-${digest(name).slice(0, 10)}.${region}.elb.amazonaws.com` }],
      },
    };
  }
  return extra;
}

/** Made-up outputs of a Pulumi Cloud agent pool: a UUID id and the token returned once, at creation. */
function agentPoolState(type: string, name: string): State {
  const hex = digest(type, name);
  const agentPoolId = [8, 4, 4, 4, 12]
    .reduce<string[]>((parts, n) => {
      const start = parts.join("").length;
      return [...parts, hex.slice(start, start + n)];
    }, [])
    .join("-");
  return { agentPoolId, tokenValue: `pul-${digest("token", name)}` };
}

/** Deterministic stand-ins for the PEM outputs of @pulumi/tls resources. */
function tlsState(type: string, name: string): State {
  const pem = (label: string) =>
    `-----BEGIN ${label}-----\n${Buffer.from(digest(type, name)).toString("base64")}\n-----END ${label}-----\n`;
  if (type === "tls:index/privateKey:PrivateKey")
    return { privateKeyPem: pem("PRIVATE KEY"), publicKeyPem: pem("PUBLIC KEY") };
  if (type === "tls:index/certRequest:CertRequest") return { certRequestPem: pem("CERTIFICATE REQUEST") };
  return { certPem: pem("CERTIFICATE") };
}

/**
 * The mocks: ids and outputs by resource type, provider functions by token.
 */
export class PlatformMocks implements pulumi.runtime.Mocks {
  private readonly region: string;
  private readonly stackOutputs: Record<string, Record<string, unknown>>;
  /** Ids handed out so far: resources of the same type and name under different parents differ. */
  private readonly usedIds = new Set<string>();

  constructor(options: MockOptions = {}) {
    this.region = options.region ?? "eu-west-1";
    this.stackOutputs = options.stackOutputs ?? {};
  }

  newResource(args: pulumi.runtime.MockResourceArgs): { id: string | undefined; state: State } {
    const { type, name } = args;
    const inputs = args.inputs as State;
    const region = this.region;
    switch (type) {
      case "pulumi:pulumi:StackReference": {
        const ref = str(inputs.name, args.id ?? name);
        const outputs = this.stackOutputs[ref];
        if (!outputs) {
          throw new Error(`stack reference "${ref}" has no planned outputs`);
        }
        return { id: ref, state: { name: ref, outputs, secretOutputNames: [] } };
      }
      case "eks:index:Cluster":
        return { id: undefined, state: eksClusterState(name, inputs, region) };
      case "eks:index:ManagedNodeGroup":
        return {
          id: undefined,
          state: {
            ...inputs,
            nodeGroup: { id: `${name}`, arn: arn("eks", region, `nodegroup/${name}`), nodeGroupName: name },
          },
        };
      case "awsx:ec2:Vpc":
        return { id: undefined, state: awsxVpcState(name, inputs) };
    }
    if (!args.custom) {
      return { id: undefined, state: inputs };
    }
    return this.customResource(args);
  }

  /** A custom resource: a deterministic id (unique in the plan) and the outputs of its type. */
  private customResource(args: pulumi.runtime.MockResourceArgs): { id: string; state: State } {
    const { type, name } = args;
    const inputs = args.inputs as State;
    const pkg = type.split(":")[0];
    const made: Made = { id: args.id || `${name}-${digest(type, name).slice(0, 8)}`, extra: {} };
    if (pkg === "aws") awsState(type, name, inputs, this.region, made);
    else if (pkg === "kubernetes")
      Object.assign(made.extra, kubernetesState(type, name, inputs, this.region));
    else if (type === "pulumiservice:index:AgentPool") Object.assign(made.extra, agentPoolState(type, name));
    else if (pkg === "tls") Object.assign(made.extra, tlsState(type, name));
    else if (pkg === "random") made.extra.result = `mock-${digest(type, name).slice(0, 24)}`;
    let id = made.id;
    const extra = made.extra;
    if (this.usedIds.has(id)) {
      const unique = `${id.split("-")[0]}-${digest(type, name, String(this.usedIds.size)).slice(0, 17)}`;
      for (const [key, value] of Object.entries(extra)) {
        if (typeof value === "string") extra[key] = value.split(id).join(unique);
      }
      id = unique;
    }
    this.usedIds.add(id);
    return { id, state: { ...inputs, id, ...extra } };
  }

  call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
    const inputs = args.inputs as State;
    switch (args.token) {
      case "aws:index/getCallerIdentity:getCallerIdentity":
        return {
          accountId: PLAN_ACCOUNT_ID,
          arn: arn("iam", "", "role/plan", true),
          userId: "AROAPLAN",
          id: PLAN_ACCOUNT_ID,
        };
      case "aws:index/getRegion:getRegion":
        return {
          name: this.region,
          region: this.region,
          id: this.region,
          endpoint: `ec2.${this.region}.amazonaws.com`,
        };
      case "aws:index/getPartition:getPartition":
        return { partition: "aws", dnsSuffix: "amazonaws.com", id: "aws" };
      case "aws:index/getAvailabilityZones:getAvailabilityZones": {
        const names = ["a", "b", "c"].map((z) => `${this.region}${z}`);
        return { names, zoneIds: names.map((_, i) => `euw1-az${i + 1}`), id: this.region };
      }
      case "aws:iam/getPolicyDocument:getPolicyDocument":
        return {
          json: JSON.stringify({ Version: "2012-10-17", Statement: inputs.statements ?? [] }),
          id: "doc",
        };
      case "aws:iam/getRoles:getRoles":
        // The plan's account is a fresh one: no role exists yet (e.g. the Auto Scaling service-linked role).
        return { ...inputs, arns: [], names: [], id: PLAN_ACCOUNT_ID };
      case "aws:ec2/getRouteTable:getRouteTable":
        return {
          ...inputs,
          id: idFor("rtb", "rtb", String(inputs.subnetId ?? "main")),
          routeTableId: idFor("rtb", "rtb", String(inputs.subnetId ?? "main")),
        };
    }
    return inputs;
  }
}

const {
  specialSigKey: SIG,
  specialSecretSig: SECRET_SIG,
  specialResourceSig: RESOURCE_SIG,
  specialOutputValueSig: OUTPUT_SIG,
} = pulumi.runtime;

/** Whether serialized properties hold a secret (what {@link plainProperties} masks when asked). */
function hasSecrets(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(hasSecrets);
  if (!value || typeof value !== "object") return false;
  const object = value as Record<string, unknown>;
  if (object[SIG] === SECRET_SIG || (object[SIG] === OUTPUT_SIG && object.secret === true)) return true;
  return Object.values(object).some(hasSecrets);
}

/**
 * Plain JSON of serialized properties: secrets unwrapped to their value, resource references as
 * their URN (what CrossGuard shows), output values as their value; unknowns stay Pulumi's sentinel.
 * A plain object or array with nothing to convert inside is returned as it is, not copied (most of
 * a resource's properties): the result shares those parts with `value`, and neither is changed
 * afterwards.
 */
export function plainProperties(value: unknown, maskSecrets = false): unknown {
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const plain = plainProperties(value[i], maskSecrets);
      if (copy === undefined && plain !== value[i]) copy = value.slice(0, i);
      copy?.push(plain);
    }
    return copy ?? value;
  }
  if (value && typeof value === "object") {
    const object = value as Record<string, unknown>;
    switch (object[SIG]) {
      case SECRET_SIG:
        return maskSecrets ? "[secret]" : plainProperties(object.value);
      case RESOURCE_SIG:
        return object.urn;
      case OUTPUT_SIG:
        if (maskSecrets && object.secret === true) return "[secret]";
        return "value" in object ? plainProperties(object.value, maskSecrets) : pulumi.runtime.unknownValue;
    }
    const prototype: unknown = Object.getPrototypeOf(object);
    // Anything but a plain object (a class instance) is always copied into one.
    let copy: Record<string, unknown> | undefined =
      prototype === Object.prototype || prototype === null ? undefined : {};
    const keys = Object.keys(object);
    for (let i = 0; i < keys.length; i++) {
      const original = object[keys[i]];
      const plain = plainProperties(original, maskSecrets);
      if (copy === undefined && plain !== original) {
        copy = {};
        for (let j = 0; j < i; j++) copy[keys[j]] = object[keys[j]];
      }
      if (copy !== undefined) copy[keys[i]] = plain;
    }
    return copy ?? object;
  }
  return value;
}

/** A stand-in for a protobuf `Struct`: the runtime only calls `toJavaScript()` on what the monitor returns. */
function plainStruct(value: Record<string, unknown>): { toJavaScript(): Record<string, unknown> } {
  return { toJavaScript: () => value };
}

/* eslint-disable @typescript-eslint/no-explicit-any */
/**
 * Makes the mock monitor record every registration and read into `sink`.
 *
 * Pulumi's `MockMonitor` converts each resource's properties between JavaScript and protobuf
 * `Struct`s four times (request and response, both ways), and recording them took three more
 * conversions: most of the plan's per-resource cost. The registration and read handlers here do
 * what `MockMonitor`'s do (same mocks call, same URN, same state kept for `getResource`), converting
 * the request once and handing the runtime the serialized state directly, and record from the same
 * values. Only the mock monitor's transport changes: the program and its resources are the same.
 */
export function recordRegistrations(sink: RecordedResource[]): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const settings = require("@pulumi/pulumi/runtime/settings");
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const rpc = require("@pulumi/pulumi/runtime/rpc");
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const resproto = require("@pulumi/pulumi/proto/resource_pb");
  const monitor = settings.getMonitor();
  type Callback = (err: unknown, response?: unknown) => void;

  /** Calls the mocks for one request and keeps the state as `MockMonitor` does. */
  const create = async (req: any, properties: Record<string, unknown>, read: boolean) => {
    const transforms = read
      ? undefined
      : req
          .getTransformsList()
          .map((cb: any) => monitor.transformCallbacks.get(cb.getToken()))
          .filter((transform: unknown) => transform !== undefined);
    const result = await monitor.mocks.newResource({
      type: req.getType(),
      name: req.getName(),
      inputs: rpc.deserializeProperties(plainStruct(properties)),
      provider: req.getProvider(),
      custom: read ? true : req.getCustom(),
      id: read ? req.getId() : req.getImportid(),
      ...(transforms ? { transforms } : {}),
    });
    const urn: string = monitor.newUrn(req.getParent(), req.getType(), req.getName());
    const state: Record<string, unknown> = await rpc.serializeProperties("", result.state);
    monitor.resources.set(urn, { urn, id: result.id ?? null, state });
    const id: string | undefined = (read ? req.getId() : result.id) || undefined;
    const inputs = plainProperties(properties) as Record<string, unknown>;
    sink.push({
      urn,
      type: req.getType(),
      name: req.getName(),
      parent: req.getParent() || undefined,
      custom: read ? true : req.getCustom(),
      protect: read ? false : Boolean(req.getProtect()),
      provider: req.getProvider() || undefined,
      dependencies: read ? [] : req.getDependenciesList(),
      inputs,
      // The same object when nothing is secret (most resources): one copy less per resource.
      shownInputs: hasSecrets(properties)
        ? (plainProperties(properties, true) as Record<string, unknown>)
        : inputs,
      outputs: plainProperties(state) as Record<string, unknown>,
      id,
    });
    return { urn, id: result.id, state };
  };

  monitor.registerResource = (req: any, callback: Callback) => {
    create(req, req.getObject()?.toJavaScript() ?? {}, false).then(
      ({ urn, id, state }) => {
        const response = new resproto.RegisterResourceResponse();
        response.setUrn(urn);
        response.setId(id || "");
        response.getObject = () => plainStruct(state);
        callback(null, response);
      },
      (error: unknown) => callback(error),
    );
  };
  monitor.readResource = (req: any, callback: Callback) => {
    create(req, req.getProperties()?.toJavaScript() ?? {}, true).then(
      ({ urn, state }) => {
        const response = new resproto.ReadResourceResponse();
        response.setUrn(urn);
        response.getProperties = () => plainStruct(state);
        callback(null, response);
      },
      (error: unknown) => callback(error),
    );
  };
}

/**
 * What a JavaScript value becomes through a protobuf `Struct` and back (`Value.fromJavaScript`,
 * then `toJavaScript()`): a deep copy whose objects have their keys in sorted order (a protobuf
 * map iterates its keys sorted), with the same error for a value a `Struct` cannot hold.
 */
export function throughStruct(value: unknown): unknown {
  if (value === null) return null;
  switch (typeof value) {
    case "string":
    case "number":
    case "boolean":
      return value;
    case "object": {
      if (Array.isArray(value)) {
        const list: unknown[] = [];
        for (let i = 0; i < value.length; i++) list[i] = throughStruct(value[i]);
        return list;
      }
      return throughStructObject(value as Record<string, unknown>);
    }
    default:
      throw new Error("Unexpected struct type.");
  }
}

function throughStructObject(value: Record<string, unknown>): Record<string, unknown> {
  const keys: string[] = [];
  // `for...in`, as Struct.fromJavaScript iterates (inherited enumerable keys included).
  for (const key in value) keys.push(key);
  keys.sort();
  const copy: Record<string, unknown> = {};
  for (const key of keys) copy[key] = throughStruct(value[key]);
  return copy;
}

/**
 * Makes `Struct.fromJavaScript` of the protobuf module `@pulumi/pulumi` uses keep a JavaScript
 * copy of the value instead of protobuf messages, for the plan process only.
 *
 * Under mocks every request and response between the runtime and the monitor is a protobuf message
 * that never leaves the process, yet the runtime converts each resource's serialized properties to
 * a `Struct` (one `Value` message per property, nested) and the monitor converts them straight back
 * with `toJavaScript()`. At 50 organizations those messages were a fifth of the live heap while the
 * registrations were in flight. The `Struct` made here holds {@link throughStruct}'s copy of the
 * value (what the round trip returns, made when the real conversion would run, with its error):
 * `toJavaScript()` hands out a fresh copy of it, and anything that reads the
 * message as protobuf (`getFieldsMap()`, which binary serialization also goes through) gets the
 * real fields, converted on that first use.
 * @returns A function that puts the real conversion back (for tests).
 */
export function keepStructsAsJavaScript(): () => void {
  // The protobuf module @pulumi/pulumi itself loads (a nested copy would be another module).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { createRequire } = require("node:module") as typeof import("node:module");
  const fromPulumi = createRequire(require.resolve("@pulumi/pulumi"));
  const { Struct } = fromPulumi("google-protobuf/google/protobuf/struct_pb") as {
    Struct: (new () => { getFieldsMap(noLazyCreate?: boolean): any; toJavaScript(): unknown }) & {
      fromJavaScript(value: Record<string, unknown>): unknown;
    };
  };
  const toProtobuf = Struct.fromJavaScript;
  if ((toProtobuf as { keepsJavaScript?: boolean }).keepsJavaScript) return () => undefined;
  class JavaScriptStruct extends Struct {
    /** The value while the message has not been read as protobuf. */
    private value: Record<string, unknown> | undefined;
    constructor(value: Record<string, unknown>) {
      super();
      this.value = value;
    }
    override getFieldsMap(noLazyCreate?: boolean): any {
      if (this.value !== undefined) {
        const fields = super.getFieldsMap();
        (toProtobuf(this.value) as { getFieldsMap(): any })
          .getFieldsMap()
          .forEach((v: unknown, k: string) => {
            fields.set(k, v);
          });
        this.value = undefined;
      }
      return super.getFieldsMap(noLazyCreate);
    }
    override toJavaScript(): unknown {
      // A fresh copy on every call, as the real message gives: what a caller does with it never
      // reaches the message.
      return this.value === undefined ? super.toJavaScript() : throughStructObject(this.value);
    }
  }
  const keep = (value: Record<string, unknown> | undefined) =>
    new JavaScriptStruct(throughStructObject(value ?? {}));
  Struct.fromJavaScript = Object.assign(keep, { keepsJavaScript: true });
  return () => {
    Struct.fromJavaScript = toProtobuf;
  };
}

/** Waits until every pending resource registration of the mock runtime has settled. */
export async function settle(): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const settings = require("@pulumi/pulumi/runtime/settings");
  await settings.waitForRPCs();
}
