/**
 * A fake `aws` resource provider for the e2e run (`npm run e2e`, docs/e2e.md).
 *
 * The real AWS provider cannot be built from the registries this project reaches (it compiles a
 * patched Terraform provider), and the run has no AWS account. This provider speaks the real
 * provider protocol through `@pulumi/pulumi/provider` so the real engine, the real policy analyzer
 * and the real eks/awsx component code see real resource registrations:
 *
 * - check: inputs pass through; a resource whose naming input (`name`, a bucket's `bucket`) is not
 *   given is auto-named as the AWS provider does, `<resource name>-<7 hex>` or `<prefix><26 digits>`
 *   with a `namePrefix`/`bucketPrefix` (kept stable across updates).
 * - create/update: outputs are the inputs plus the computed attributes AWS would return (`id`, `arn`
 *   and per-type extras such as an EKS cluster's endpoint and CA, which point at the local API
 *   server of that cluster name in `E2E_CLUSTERS`).
 * - invokes (availability zones, caller identity, partition, region, AMI, route tables, ...)
 *   are answered from a table or from the resources created so far.
 * - every live resource is recorded in `E2E_AWS_STATE` (a directory, a JSON file per resource) so the run can assert that
 *   `pulumi destroy` leaves nothing behind.
 */
import { spawnSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as provider from "@pulumi/pulumi/provider";
import { changedInputs, stable, unsetOutputs } from "./outputs";

const ACCOUNT = "111122223333";
const region = process.env.AWS_REGION ?? "eu-west-1";
const stateDir = process.env.E2E_AWS_STATE;

type Props = Record<string, unknown>;

/** A local control plane standing in for an EKS cluster. */
interface LocalCluster {
  endpoint: string;
  caData: string;
  kubeconfig: string;
}

/**
 * The local control plane of an EKS cluster name: `E2E_CLUSTERS`, a JSON object of them by EKS
 * cluster name (each stack's cluster gets its own API server, as on AWS).
 */
function localCluster(name: unknown): LocalCluster {
  const clusters = JSON.parse(process.env.E2E_CLUSTERS ?? "{}") as Record<string, LocalCluster>;
  const cluster = clusters[String(name)];
  if (!cluster)
    throw new Error(
      `the e2e run has no local API server for EKS cluster ${String(name)} (E2E_CLUSTERS has ${Object.keys(clusters).join(", ") || "none"})`,
    );
  return cluster;
}

interface Live {
  type: string;
  urn: string;
  outputs: Props;
}

// One file per live resource, `<state dir>/<type>~<id>.json`: several provider processes (the
// stack's explicit AWS provider and the default one) create and delete at once, and a shared file
// rewritten by each would lose updates.
const fileOf = (key: string): string => path.join(stateDir!, `${encodeURIComponent(key)}.json`);
function readState(): Record<string, Live> {
  if (!stateDir || !fs.existsSync(stateDir)) return {};
  const state: Record<string, Live> = {};
  for (const f of fs.readdirSync(stateDir).filter((n) => n.endsWith(".json"))) {
    let text: string;
    try {
      text = fs.readFileSync(path.join(stateDir, f), "utf8");
    } catch (e) {
      // The other AWS provider process deleted it since the listing.
      if ((e as NodeJS.ErrnoException).code === "ENOENT") continue;
      throw e;
    }
    state[decodeURIComponent(f.slice(0, -5))] = JSON.parse(text) as Live;
  }
  return state;
}
function record(id: string, live: Live | undefined): void {
  if (!stateDir) return;
  fs.mkdirSync(stateDir, { recursive: true });
  if (live) {
    const file = fileOf(`${live.type}/${id}`);
    fs.writeFileSync(`${file}.tmp-${process.pid}`, JSON.stringify(live, null, 2));
    fs.renameSync(`${file}.tmp-${process.pid}`, file);
  } else {
    for (const key of Object.keys(readState()))
      if (key.endsWith(`/${id}`)) fs.rmSync(fileOf(key), { force: true });
  }
}
function liveOf(type: string): Live[] {
  return Object.values(readState()).filter((l) => l.type === type);
}

const hex = (n: number): string =>
  crypto
    .randomBytes(Math.ceil(n / 2))
    .toString("hex")
    .slice(0, n);
const typeOf = (urn: string): string => urn.split("::")[2].split("$").pop()!;
const nameOf = (urn: string): string => urn.split("::")[3];

/** id prefixes AWS uses, by resource type token. */
const ID_PREFIX: Record<string, string> = {
  "aws:ec2/vpc:Vpc": "vpc-",
  "aws:ec2/subnet:Subnet": "subnet-",
  "aws:ec2/securityGroup:SecurityGroup": "sg-",
  "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": "sg-",
  "aws:ec2/routeTable:RouteTable": "rtb-",
  "aws:ec2/routeTableAssociation:RouteTableAssociation": "rtbassoc-",
  "aws:ec2/internetGateway:InternetGateway": "igw-",
  "aws:ec2/natGateway:NatGateway": "nat-",
  "aws:ec2/eip:Eip": "eipalloc-",
  "aws:ec2/vpcEndpoint:VpcEndpoint": "vpce-",
  "aws:ec2/launchTemplate:LaunchTemplate": "lt-",
  "aws:ec2/flowLog:FlowLog": "fl-",
  "aws:ec2transitgateway/transitGateway:TransitGateway": "tgw-",
  "aws:ec2transitgateway/vpcAttachment:VpcAttachment": "tgw-attach-",
  "aws:ec2transitgateway/routeTable:RouteTable": "tgw-rtb-",
  "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "sgr-",
  "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "sgr-",
  "aws:efs/fileSystem:FileSystem": "fs-",
  "aws:efs/mountTarget:MountTarget": "fsmt-",
  "aws:kms/key:Key": "",
};

/** Types whose id is their name (IAM roles and policies, log groups, EKS clusters...). */
const ID_IS_NAME = new Set([
  "aws:iam/role:Role",
  "aws:cloudwatch/logGroup:LogGroup",
  "aws:eks/cluster:Cluster",
  "aws:iam/instanceProfile:InstanceProfile",
  "aws:backup/vault:Vault",
  "aws:kms/alias:Alias",
]);

/** Types the AWS provider auto-names (`<resource name>-<random>`), by their naming input. */
const AUTO_NAMED: Record<string, string> = {
  "aws:iam/role:Role": "name",
  "aws:iam/policy:Policy": "name",
  "aws:iam/rolePolicy:RolePolicy": "name",
  "aws:iam/instanceProfile:InstanceProfile": "name",
  "aws:ec2/securityGroup:SecurityGroup": "name",
  "aws:ec2/launchTemplate:LaunchTemplate": "name",
  "aws:cloudwatch/logGroup:LogGroup": "name",
  "aws:cloudwatch/eventRule:EventRule": "name",
  "aws:eks/cluster:Cluster": "name",
  "aws:backup/vault:Vault": "name",
  "aws:backup/plan:Plan": "name",
  "aws:backup/selection:Selection": "name",
  "aws:ram/resourceShare:ResourceShare": "name",
  "aws:sqs/queue:Queue": "name",
  "aws:sns/topic:Topic": "name",
  // S3 bucket names are lower case.
  "aws:s3/bucket:Bucket": "bucket",
};

/** The id AWS gives a resource whose id is not its name or a prefixed hex id. */
function idOf(type: string, inputs: Props): string | undefined {
  if (type === "aws:s3/bucket:Bucket") return inputs.bucket as string;
  if (type === "aws:sqs/queue:Queue")
    return `https://sqs.${region}.amazonaws.com/${ACCOUNT}/${String(inputs.name)}`;
  if (type === "aws:sns/topic:Topic") return `arn:aws:sns:${region}:${ACCOUNT}:${String(inputs.name)}`;
  if (type === "aws:cloudwatch/eventRule:EventRule") return inputs.name as string;
  return undefined;
}

function arnFor(type: string, id: string, props: Props): string {
  const [pkg] = type.split(":")[1].split("/");
  const service = pkg.replace(/^ec2transitgateway$/, "ec2").replace(/^vpc$/, "ec2");
  const kind = type.split(":")[2].replace(/[A-Z]/g, (c, i: number) => (i ? "-" : "") + c.toLowerCase());
  if (service === "iam") return `arn:aws:iam::${ACCOUNT}:${kind}/${String(props.name ?? id)}`;
  if (service === "logs") return `arn:aws:logs:${region}:${ACCOUNT}:log-group:${id}`;
  if (service === "kms") return `arn:aws:kms:${region}:${ACCOUNT}:key/${id}`;
  if (service === "s3" && kind === "bucket") return `arn:aws:s3:::${String(props.bucket ?? id)}`;
  if (service === "sqs" || service === "sns")
    return `arn:aws:${service}:${region}:${ACCOUNT}:${String(props.name)}`;
  return `arn:aws:${service}:${region}:${ACCOUNT}:${kind}/${id}`;
}

/** Attributes AWS computes, by type: what component code and the program read back. */
function computed(type: string, id: string, inputs: Props): Props {
  switch (type) {
    case "aws:ec2/vpc:Vpc":
      return {
        defaultSecurityGroupId: `sg-${hex(17)}`,
        mainRouteTableId: `rtb-${hex(17)}`,
        defaultRouteTableId: `rtb-${hex(17)}`,
        defaultNetworkAclId: `acl-${hex(17)}`,
        ownerId: ACCOUNT,
      };
    case "aws:ec2/subnet:Subnet":
      return {
        ownerId: ACCOUNT,
        availabilityZoneId: `euw1-az${1 + ((inputs.availabilityZone as string)?.charCodeAt(9) ?? 97) - 97}`,
      };
    case "aws:ec2/eip:Eip":
      return { allocationId: id, publicIp: `203.0.113.${1 + crypto.randomInt(250)}` };
    case "aws:ec2/natGateway:NatGateway":
      return { privateIp: "10.0.0.10", publicIp: "203.0.113.10" };
    case "aws:ec2/launchTemplate:LaunchTemplate":
      return { latestVersion: 1, defaultVersion: 1 };
    case "aws:iam/role:Role":
      return { uniqueId: `AROA${hex(17).toUpperCase()}` };
    case "aws:sqs/queue:Queue":
      return { url: id };
    case "aws:kms/key:Key":
      return { keyId: id };
    case "aws:efs/fileSystem:FileSystem":
      return { dnsName: `${id}.efs.${region}.amazonaws.com`, ownerId: ACCOUNT };
    case "aws:ec2transitgateway/transitGateway:TransitGateway":
      return {
        associationDefaultRouteTableId: `tgw-rtb-${hex(17)}`,
        propagationDefaultRouteTableId: `tgw-rtb-${hex(17)}`,
        ownerId: ACCOUNT,
      };
    case "aws:eks/cluster:Cluster": {
      const vpcConfig = (inputs.vpcConfig ?? {}) as Props;
      return {
        endpoint: localCluster(inputs.name).endpoint,
        certificateAuthority: { data: localCluster(inputs.name).caData },
        identities: [
          { oidcs: [{ issuer: `https://oidc.eks.${region}.amazonaws.com/id/${hex(32).toUpperCase()}` }] },
        ],
        status: "ACTIVE",
        platformVersion: "eks.1",
        version: inputs.version ?? "1.35",
        clusterId: hex(32),
        vpcConfig: { ...vpcConfig, clusterSecurityGroupId: `sg-${hex(17)}`, vpcId: `vpc-${hex(17)}` },
      };
    }
    case "aws:eks/nodeGroup:NodeGroup":
      return {
        status: "ACTIVE",
        resources: [{ autoscalingGroups: [{ name: `eks-${id}` }], remoteAccessSecurityGroupId: "" }],
      };
    case "aws:eks/accessEntry:AccessEntry":
      return { accessEntryArn: arnFor(type, id, inputs), type: inputs.type ?? "STANDARD" };
    case "aws:eks/podIdentityAssociation:PodIdentityAssociation":
      return { associationArn: arnFor(type, id, inputs), associationId: `a-${hex(17)}` };
    case "aws:iam/openIdConnectProvider:OpenIdConnectProvider":
      return {
        arn: `arn:aws:iam::${ACCOUNT}:oidc-provider/${String(inputs.url ?? "").replace(/^https:\/\//, "")}`,
      };
    default:
      return {};
  }
}

function invoke(token: string, args: Props): Props {
  switch (token) {
    case "aws:index/getCallerIdentity:getCallerIdentity":
      return { accountId: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:user/e2e`, userId: "AIDAE2E", id: ACCOUNT };
    case "aws:index/getPartition:getPartition":
      return { partition: "aws", dnsSuffix: "amazonaws.com", reverseDnsPrefix: "com.amazonaws", id: "aws" };
    case "aws:index/getRegion:getRegion":
      return {
        name: region,
        region,
        id: region,
        description: "Europe (Ireland)",
        endpoint: `ec2.${region}.amazonaws.com`,
      };
    case "aws:index/getAvailabilityZones:getAvailabilityZones": {
      const names = ["a", "b", "c"].map((s) => `${region}${s}`);
      return { names, zoneIds: names.map((_n, i) => `euw1-az${i + 1}`), id: region, groupNames: [region] };
    }
    case "aws:iam/getRoles:getRoles": {
      // The account's service-linked roles that exist (the platform checks the Auto Scaling one).
      const names = /AutoScaling/.test(String(args.nameRegex ?? "")) ? ["AWSServiceRoleForAutoScaling"] : [];
      return {
        id: ACCOUNT,
        names,
        arns: names.map(
          (n) => `arn:aws:iam::${ACCOUNT}:role/aws-service-role/autoscaling.amazonaws.com/${n}`,
        ),
      };
    }
    case "aws:ec2/getAmi:getAmi":
      return {
        id: "ami-0e2e0e2e0e2e0e2e0",
        imageId: "ami-0e2e0e2e0e2e0e2e0",
        name: "amazon-eks-node-al2023",
        architecture: "x86_64",
      };
    case "aws:ssm/getParameter:getParameter":
      return {
        id: String(args.name),
        name: args.name,
        type: "String",
        value: "ami-0e2e0e2e0e2e0e2e0",
        insecureValue: "ami-0e2e0e2e0e2e0e2e0",
        version: 1,
        arn: `arn:aws:ssm:${region}::parameter${String(args.name)}`,
      };
    case "aws:ec2/getInstanceType:getInstanceType":
      return {
        id: args.instanceType,
        instanceType: args.instanceType,
        defaultVcpus: 2,
        memorySize: 4096,
        supportedArchitectures: ["x86_64"],
      };
    case "aws:ec2/getInstanceTypeOfferings:getInstanceTypeOfferings":
      return {
        id: region,
        instanceTypes: ["t3.medium", "m5.large"],
        locations: [region, region],
        locationTypes: ["region", "region"],
      };
    case "aws:eks/getAddonVersion:getAddonVersion":
      return {
        id: String(args.addonName),
        addonName: args.addonName,
        kubernetesVersion: args.kubernetesVersion,
        version: "v1.0.0-eksbuild.1",
      };
    case "aws:ec2/getRouteTable:getRouteTable": {
      const subnetId = args.subnetId as string | undefined;
      const assoc = liveOf("aws:ec2/routeTableAssociation:RouteTableAssociation").find(
        (a) => a.outputs.subnetId === subnetId,
      );
      const table = liveOf("aws:ec2/routeTable:RouteTable").find(
        (t) => t.outputs.id === (args.routeTableId ?? assoc?.outputs.routeTableId),
      );
      if (!table) throw new Error(`no route table matches ${stable(args)}`);
      return { ...table.outputs, routeTableId: table.outputs.id, associations: [], routes: [] };
    }
    case "aws:ec2/getVpc:getVpc": {
      const vpc = liveOf("aws:ec2/vpc:Vpc").find((v) => v.outputs.id === args.id);
      if (!vpc) throw new Error(`no VPC matches ${stable(args)}`);
      return vpc.outputs;
    }
    case "aws:ec2/getSubnet:getSubnet": {
      const subnet = liveOf("aws:ec2/subnet:Subnet").find((s) => s.outputs.id === args.id);
      if (!subnet) throw new Error(`no subnet matches ${stable(args)}`);
      return subnet.outputs;
    }
    default:
      throw new Error(`the e2e fake aws provider does not answer ${token} (${stable(args)})`);
  }
}

/**
 * What an EKS add-on installs that the platform then uses: the snapshot-controller add-on brings
 * the snapshot.storage.k8s.io CRDs (the platform's VolumeSnapshotClass needs them). The fake
 * applies them to the local API server on create and removes them on delete, as EKS does.
 * `E2E_SNAPSHOT_CRDS`: the CRDs of Kubernetes' own add-on (cluster/addons/volumesnapshots/crd).
 */
function addonObjects(verb: "apply" | "delete", addonName: string, clusterName: unknown): void {
  const crds = process.env.E2E_SNAPSHOT_CRDS;
  if (addonName !== "snapshot-controller" || !crds) return;
  const { kubeconfig } = localCluster(clusterName);
  const args = [
    "--kubeconfig",
    kubeconfig,
    verb,
    "-f",
    crds,
    ...(verb === "delete" ? ["--ignore-not-found"] : []),
  ];
  const r = spawnSync("kubectl", args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`snapshot-controller add-on: kubectl ${verb} ${crds}: ${r.stderr}`);
}

class FakeAws implements provider.Provider {
  readonly version = process.env.E2E_AWS_VERSION ?? "7.48.0";

  async check(urn: string, olds: Props, news: Props): Promise<provider.CheckResult> {
    const type = typeOf(urn);
    const inputs = { ...news };
    const naming = AUTO_NAMED[type];
    if (naming && inputs[naming] === undefined) {
      // `<x>Prefix`: the prefix and 26 digits (Terraform's PrefixedUniqueId); otherwise Pulumi's
      // auto-name, `<resource name>-<7 hex>`.
      const prefix = inputs[`${naming}Prefix`] as string | undefined;
      const unique = (): string =>
        prefix !== undefined
          ? `${prefix}${new Date().toISOString().replace(/\D/g, "").slice(0, 17)}${String(Math.floor(Math.random() * 1e9)).padStart(9, "0")}`
          : `${nameOf(urn)}-${hex(7)}`;
      const name = (olds?.[naming] as string | undefined) ?? unique();
      inputs[naming] = naming === "bucket" ? name.toLowerCase() : name;
    }
    return { inputs };
  }

  async diff(_id: string, _urn: string, olds: Props, news: Props): Promise<provider.DiffResult> {
    return { changes: changedInputs(olds, news).length > 0, replaces: [], deleteBeforeReplace: false };
  }

  async create(urn: string, inputs: Props): Promise<provider.CreateResult> {
    const type = typeOf(urn);
    if (type === "aws:eks/addon:Addon") addonObjects("apply", String(inputs.addonName), inputs.clusterName);
    const id =
      idOf(type, inputs) ??
      (ID_IS_NAME.has(type) && inputs.name
        ? String(inputs.name)
        : `${ID_PREFIX[type] ?? `${nameOf(urn)}-`}${hex(17)}`);
    const outs: Props = {
      ...unsetOutputs("aws", type),
      ...inputs,
      ...computed(type, id, inputs),
      id,
      __inputs: inputs,
    };
    outs.arn ??= arnFor(type, id, inputs);
    outs.tagsAll ??= inputs.tags ?? {};
    record(id, { type, urn, outputs: outs });
    return { id, outs };
  }

  async read(id: string, urn: string, props?: Props): Promise<provider.ReadResult> {
    return { id, props: props ?? readState()[`${typeOf(urn)}/${id}`]?.outputs };
  }

  async update(id: string, urn: string, olds: Props, news: Props): Promise<provider.UpdateResult> {
    const type = typeOf(urn);
    const { __inputs: _old, ...previous } = olds;
    const outs: Props = { ...previous, ...news, id, __inputs: news };
    outs.tagsAll = news.tags ?? {};
    record(id, { type, urn, outputs: outs });
    return { outs };
  }

  async delete(id: string, urn: string, props: Props): Promise<void> {
    if (typeOf(urn) === "aws:eks/addon:Addon")
      addonObjects("delete", String(props.addonName), props.clusterName);
    record(id, undefined);
  }

  async invoke(token: string, inputs: Props): Promise<provider.InvokeResult> {
    return { outputs: invoke(token, inputs) };
  }
}

void pulumi; // the SDK's runtime is initialised by the provider framework
void provider.main(new FakeAws(), process.argv.slice(2));
