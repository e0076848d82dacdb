import * as aws from "@pulumi/aws";
// The ec2 module of @pulumi/awsx, not its index: the index also loads the classic, ECS and load
// balancer modules and the AWS SDK's ECS client (a tenth of a second per run) that this program never uses.
import { Vpc } from "@pulumi/awsx/ec2";
import type { ec2 as awsxEc2 } from "@pulumi/awsx/types/input";
import * as pulumi from "@pulumi/pulumi";
import { awsTags, kmsKeyPolicy, serviceTrustPolicy, awsProviders } from "../shared/aws";

/** Service names of the VPC endpoints a private cluster may need (`com.amazonaws.<region>.<name>`). */
export type VpcEndpointService =
  "s3" | "ecr.api" | "ecr.dkr" | "sts" | "logs" | "ec2" | "elasticloadbalancing" | "eks" | "eks-auth";

/** Arguments of {@link Network}. */
export interface NetworkArgs {
  /** The VPC's IPv4 CIDR block, prefix /16 to /20, e.g. `10.0.0.0/16`. */
  readonly cidrBlock: string;
  /** Region of the VPC, e.g. `eu-west-1` (names the endpoint services). */
  readonly region: string;
  /** The EKS cluster that will use the subnets; tags them `kubernetes.io/cluster/<name>: shared`. */
  readonly clusterName: string;
  /**
   * Number of availability zones to spread subnets over.
   * Required: the schema supplies the default (stacks/core.ts).
   */
  readonly availabilityZoneCount: number;
  /**
   * NAT gateway strategy: one per AZ (production), a single one, or none.
   * https://docs.aws.amazon.com/vpc/latest/userguide/vpc-nat-gateway.html
   * Required: the configuration derives it when unset (OnePerAz in production, Single otherwise).
   */
  readonly natGateways: "OnePerAz" | "Single" | "None";
  /**
   * Add isolated `database` subnets with no route to the internet.
   * Required: the schema supplies the default (stacks/core.ts).
   */
  readonly databaseSubnets: boolean;
  /**
   * VPC endpoints to create: `s3` as a gateway endpoint, the others as interface endpoints with
   * private DNS. https://docs.aws.amazon.com/eks/latest/userguide/private-clusters.html
   * Required: the schema supplies the default (stacks/core.ts).
   */
  readonly vpcEndpoints: readonly VpcEndpointService[];
  /**
   * Retention of the VPC flow log group in days.
   * https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-cwl.html
   * Required: the schema supplies the default (stacks/core.ts).
   */
  readonly flowLogRetentionDays: number;
  /** Tags for every AWS resource, merged last. @default {} */
  readonly tags?: Record<string, string>;
  /** Protect the stateful resources (the flow-log KMS key) against deletion. @default false */
  readonly protect?: boolean;
}

/** Module defaults of {@link Network}. */
const networkDefaults = {
  /** Flow log aggregation interval, seconds (60 or 600). */
  flowLogAggregationSeconds: 60,
  /** KMS key deletion window, days. */
  kmsDeletionWindowDays: 30,
};

/** Subnet masks for a VPC prefix: private subnets are large (pod IPs with the VPC CNI). */
export interface SubnetMasks {
  /** Prefix length of each private subnet (nodes and pods). */
  readonly private: number;
  /** Prefix length of each public subnet (load balancers, NAT). */
  readonly public: number;
  /** Prefix length of each isolated database subnet. */
  readonly database: number;
}

/**
 * Subnet masks for a VPC of the given prefix length: private `prefix+3`, public and database
 * `prefix+6` (a /16 gives /19 private and /22 public and database subnets), which fits 3 AZs of each.
 * @throws Error when the prefix is outside /16../20.
 */
export function subnetMasks(vpcPrefix: number): SubnetMasks {
  if (vpcPrefix < 16 || vpcPrefix > 20) throw new Error(`VPC prefix /${vpcPrefix} is outside /16../20`);
  return { private: vpcPrefix + 3, public: vpcPrefix + 6, database: vpcPrefix + 6 };
}

/** The awsx subnet specs: load-balancer role tags and the cluster tag (EKS subnet discovery). */
export function subnetSpecs(
  cidrBlock: string,
  clusterName: string,
  databaseSubnets: boolean,
): awsxEc2.SubnetSpecArgs[] {
  const masks = subnetMasks(Number(cidrBlock.split("/")[1]));
  const cluster = { [`kubernetes.io/cluster/${clusterName}`]: "shared" };
  const specs: awsxEc2.SubnetSpecArgs[] = [
    {
      type: "Private",
      name: "private",
      cidrMask: masks.private,
      tags: { ...cluster, "kubernetes.io/role/internal-elb": "1" },
    },
    {
      type: "Public",
      name: "public",
      cidrMask: masks.public,
      tags: { ...cluster, "kubernetes.io/role/elb": "1" },
    },
  ];
  if (databaseSubnets)
    specs.push({ type: "Isolated", name: "database", cidrMask: masks.database, tags: { tier: "database" } });
  return specs;
}

/**
 * A VPC for an EKS cluster (over `awsx.ec2.Vpc`): public, private and optional database subnets in
 * each AZ, NAT by strategy, subnet tags for load balancers, VPC flow logs to a KMS-encrypted log
 * group, and optional VPC endpoints.
 */
export class Network extends pulumi.ComponentResource {
  /** The awsx VPC. */
  public readonly vpc: Vpc;
  /** VPC id. */
  public readonly vpcId: pulumi.Output<string>;
  /** VPC CIDR block. */
  public readonly cidrBlock: string;
  /** Private subnet ids, one per AZ (nodes, internal load balancers). */
  public readonly privateSubnetIds: pulumi.Output<string[]>;
  /** Public subnet ids, one per AZ (internet-facing load balancers, NAT). */
  public readonly publicSubnetIds: pulumi.Output<string[]>;
  /** Database subnet ids, one per AZ (empty without `databaseSubnets`). */
  public readonly databaseSubnetIds: pulumi.Output<string[]>;
  /** Number of AZs. */
  public readonly availabilityZoneCount: number;
  /** KMS key encrypting the flow-log group. */
  public readonly logKey: aws.kms.Key;
  /** The flow-log group. */
  public readonly flowLogGroup: aws.cloudwatch.LogGroup;
  /** The VPC flow log. */
  public readonly flowLog: aws.ec2.FlowLog;

  constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:networking:Network", name, {}, opts);
    const azCount = args.availabilityZoneCount;
    const nat = args.natGateways;
    const endpoints = args.vpcEndpoints;
    const tags = args.tags ?? {};
    this.cidrBlock = args.cidrBlock;
    this.availabilityZoneCount = azCount;

    this.vpc = new Vpc(
      `${name}-vpc`,
      {
        cidrBlock: args.cidrBlock,
        numberOfAvailabilityZones: azCount,
        enableDnsHostnames: true,
        enableDnsSupport: true,
        natGateways: { strategy: nat },
        subnetStrategy: "Auto",
        subnetSpecs: subnetSpecs(args.cidrBlock, args.clusterName, args.databaseSubnets),
        // The S3 gateway endpoint goes through awsx, which attaches it to the VPC's route tables.
        vpcEndpointStrategy: "Auto",
        vpcEndpointSpecs: endpoints.includes("s3")
          ? [{ serviceName: `com.amazonaws.${args.region}.s3`, vpcEndpointType: "Gateway" }]
          : [],
        tags: awsTags(`${name}-vpc`, tags),
      },
      // The stack's AWS provider (default tags) handed to the multi-language component explicitly:
      // its children are created in the awsx provider plugin, which sees only what is passed here.
      { parent: this, ...awsProviders(this) },
    );
    this.vpcId = this.vpc.vpcId;
    this.privateSubnetIds = this.vpc.privateSubnetIds;
    this.publicSubnetIds = this.vpc.publicSubnetIds;
    this.databaseSubnetIds = this.vpc.isolatedSubnetIds;

    // Take over the VPC's default security group and keep it without rules (CIS AWS 5.4).
    new aws.ec2.DefaultSecurityGroup(
      `${name}-default`,
      { vpcId: this.vpcId, ingress: [], egress: [], tags: awsTags(`${name}-default-closed`, tags) },
      { parent: this },
    );

    this.interfaceEndpoints(
      name,
      args,
      endpoints.filter((e) => e !== "s3"),
      tags,
    );
    [this.logKey, this.flowLogGroup, this.flowLog] = this.flowLogs(name, args, tags);

    this.registerOutputs({
      vpcId: this.vpcId,
      privateSubnetIds: this.privateSubnetIds,
      publicSubnetIds: this.publicSubnetIds,
      databaseSubnetIds: this.databaseSubnetIds,
      flowLog: this.flowLog,
      logKey: this.logKey,
    });
  }

  /** Interface endpoints with private DNS behind a security group admitting HTTPS from the VPC only. */
  private interfaceEndpoints(
    name: string,
    args: NetworkArgs,
    interfaceEndpoints: readonly string[],
    tags: Record<string, string>,
  ): void {
    if (interfaceEndpoints.length > 0) {
      const endpointSecurityGroup = new aws.ec2.SecurityGroup(
        `${name}-endpoints`,
        {
          description: "VPC interface endpoints: HTTPS from inside the VPC",
          vpcId: this.vpcId,
          ingress: [
            {
              description: "HTTPS from the VPC",
              protocol: "tcp",
              fromPort: 443,
              toPort: 443,
              cidrBlocks: [args.cidrBlock],
            },
          ],
          tags: awsTags(`${name}-endpoints`, tags),
        },
        { parent: this },
      );
      for (const service of interfaceEndpoints) {
        new aws.ec2.VpcEndpoint(
          `${name}-${service.replace(/\./g, "-")}`,
          {
            vpcId: this.vpcId,
            serviceName: `com.amazonaws.${args.region}.${service}`,
            vpcEndpointType: "Interface",
            privateDnsEnabled: true,
            subnetIds: this.privateSubnetIds,
            securityGroupIds: [endpointSecurityGroup.id],
            tags: awsTags(`${name}-${service}`, tags),
          },
          { parent: this },
        );
      }
    }
  }

  /** Flow logs of all traffic to a CloudWatch Logs group encrypted with its own rotating KMS key. */
  private flowLogs(
    name: string,
    args: NetworkArgs,
    tags: Record<string, string>,
  ): [aws.kms.Key, aws.cloudwatch.LogGroup, aws.ec2.FlowLog] {
    const identity = aws.getCallerIdentityOutput({}, { parent: this });
    const partition = aws.getPartitionOutput({}, { parent: this });

    const logKey = new aws.kms.Key(
      `${name}-logs`,
      {
        description: `${name}: encrypts the VPC flow log group`,
        enableKeyRotation: true,
        deletionWindowInDays: networkDefaults.kmsDeletionWindowDays,
        policy: pulumi
          .all([identity.accountId, partition.partition])
          .apply(([accountId, part]) =>
            JSON.stringify(
              kmsKeyPolicy({ accountId, partition: part, region: args.region, cloudWatchLogs: true }),
            ),
          ),
        tags: awsTags(`${name}-logs`, tags),
      },
      { parent: this, protect: args.protect },
    );

    const flowLogGroup = new aws.cloudwatch.LogGroup(
      `${name}-flow-logs`,
      {
        name: `/aws/vpc/${name}/flow-logs`,
        retentionInDays: args.flowLogRetentionDays,
        kmsKeyId: logKey.arn,
        tags: awsTags(`${name}-flow-logs`, tags),
      },
      { parent: this },
    );

    const flowLogRole = new aws.iam.Role(
      `${name}-flow-logs`,
      {
        description: "VPC flow logs delivery to CloudWatch Logs",
        assumeRolePolicy: identity.accountId.apply((accountId) =>
          JSON.stringify(serviceTrustPolicy("vpc-flow-logs.amazonaws.com", accountId)),
        ),
        tags: awsTags(`${name}-flow-logs`, tags),
      },
      { parent: this },
    );
    new aws.iam.RolePolicy(
      `${name}-flow-logs`,
      {
        role: flowLogRole.id,
        policy: flowLogGroup.arn.apply((arn) =>
          JSON.stringify({
            Version: "2012-10-17",
            Statement: [
              {
                Effect: "Allow",
                Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                Resource: [arn, `${arn}:*`],
              },
            ],
          }),
        ),
      },
      { parent: this },
    );
    const flowLog = new aws.ec2.FlowLog(
      `${name}-flow-log`,
      {
        vpcId: this.vpcId,
        trafficType: "ALL",
        logDestinationType: "cloud-watch-logs",
        logDestination: flowLogGroup.arn,
        iamRoleArn: flowLogRole.arn,
        maxAggregationInterval: networkDefaults.flowLogAggregationSeconds,
        tags: awsTags(`${name}-flow-log`, tags),
      },
      { parent: this },
    );

    return [logKey, flowLogGroup, flowLog];
  }
}
