/**
 * Hub-and-spoke private connectivity over an AWS Transit Gateway.
 *
 * - {@link TransitHub} (hub stack): the Transit Gateway, two explicit TGW route tables (`hub` and
 *   `spokes`), the hub VPC attachment on the hub's private subnets and a RAM share so spokes in other
 *   accounts can attach.
 * - {@link TransitSpoke} (spoke stack): the spoke VPC attachment, its association/propagation, routes
 *   both ways (spoke -> hub and hub -> spoke) and the security group rules for what crosses.
 *
 * Routing design (docs/networking.md): default association and propagation are disabled. The hub
 * attachment is associated with the `hub` route table and propagates into the `spokes` route table;
 * every spoke attachment is associated with the `spokes` route table and propagates into the `hub`
 * route table. Spokes therefore reach the hub and the hub reaches every spoke, but spokes never see
 * each other's routes (isolation between environments/tenants).
 * https://docs.aws.amazon.com/vpc/latest/tgw/transit-gateway-isolated.html
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { awsTags } from "../shared/aws";

/** Module defaults of the transit components. */
export const transitDefaults = {
  /** Private ASN of the Amazon side of the TGW. https://docs.aws.amazon.com/vpc/latest/tgw/tgw-transit-gateways.html */
  amazonSideAsn: 64512,
  autoAcceptSharedAttachments: false,
  ramAllowExternalPrincipals: false,
  /** Ports on the hub endpoints (LB 443, Prometheus remote-write 9090, Elasticsearch 9200). */
  hubEndpointPorts: [443, 9090, 9200] as readonly number[],
  /** Port of the EKS API server the hub's Flux reaches on the spoke. */
  kubernetesApiPort: 443,
};

// ---------------------------------------------------------------------------------------------
// Pure helpers

/** The private ASN ranges AWS accepts for a TGW's Amazon side. */
export function isPrivateAsn(asn: number): boolean {
  return (
    Number.isInteger(asn) && ((asn >= 64512 && asn <= 65534) || (asn >= 4200000000 && asn <= 4294967294))
  );
}

/** The kind of RAM principal a string names, or undefined when it is none of them. https://docs.aws.amazon.com/ram/latest/userguide/working-with-sharing-create.html */
export function ramPrincipalKind(
  principal: string,
): "account" | "organization" | "organizationalUnit" | undefined {
  if (/^\d{12}$/.test(principal)) return "account";
  if (/^arn:aws[a-z-]*:organizations::\d{12}:organization\/o-[a-z0-9]{10,32}$/.test(principal))
    return "organization";
  if (
    /^arn:aws[a-z-]*:organizations::\d{12}:ou\/o-[a-z0-9]{10,32}\/ou-[a-z0-9]{4,32}-[a-z0-9]{8,32}$/.test(
      principal,
    )
  ) {
    return "organizationalUnit";
  }
  return undefined;
}

/** A stable, name-safe suffix for a RAM principal (`111122223333`, `o-abc...`, `ou-abcd-...`). */
export function principalSuffix(principal: string): string {
  return principal
    .split("/")
    .pop()!
    .replace(/[^a-zA-Z0-9-]/g, "-");
}

/**
 * Picks the i-th id of a list whose length was fixed at config time; throws (failing the preview)
 * when the list has another length, so a wrong count never leaves routes missing or dangling.
 */
export function pickRouteTable(
  ids: readonly string[],
  index: number,
  expected: number,
  what: string,
): string {
  if (ids.length !== expected) {
    throw new Error(`${what}: expected ${expected} route tables, found ${ids.length} (${ids.join(", ")})`);
  }
  return ids[index];
}

// ---------------------------------------------------------------------------------------------
// Hub

/**
 * The route table of each private subnet (awsx gives every private subnet its own), looked up by
 * subnet. `count` must be known at plan time: it decides how many routes are created.
 */
function privateRouteTables(
  parent: pulumi.Resource,
  name: string,
  privateSubnetIds: pulumi.Input<pulumi.Input<string>[]>,
  count: number,
): pulumi.Output<string>[] {
  const subnetIds = pulumi.output(privateSubnetIds);
  return Array.from(
    { length: count },
    (_, i) =>
      aws.ec2.getRouteTableOutput(
        { subnetId: subnetIds.apply((ids) => pickRouteTable(ids, i, count, `${name} private subnets`)) },
        { parent },
      ).routeTableId,
  );
}

/** Arguments of {@link TransitHub}. */
export interface TransitHubArgs {
  /** The hub VPC id. */
  readonly vpcId: pulumi.Input<string>;
  /** The hub's private subnet ids, one per AZ: the TGW attachment's ENIs go there. */
  readonly privateSubnetIds: pulumi.Input<string[]>;
  /** Number of private subnets (= AZs); fixes how many private route tables are looked up. */
  readonly privateSubnetCount: number;
  /**
   * Private ASN of the Amazon side of the gateway (64512-65534 or 4200000000-4294967294).
   * https://docs.aws.amazon.com/vpc/latest/tgw/tgw-transit-gateways.html
   * @default 64512
   */
  readonly amazonSideAsn?: number;
  /**
   * Accept attachments from other accounts without review. Keep it off: each cross-account spoke
   * accepts its own attachment (aws.ec2transitgateway.VpcAttachmentAccepter) through a hub-account role.
   * https://docs.aws.amazon.com/vpc/latest/tgw/tgw-vpc-attachments.html
   * @default false
   */
  readonly autoAcceptSharedAttachments?: boolean;
  /**
   * RAM principals the gateway is shared with: 12-digit account ids, organization ARNs or OU ARNs.
   * No principals, no RAM share. https://docs.aws.amazon.com/ram/latest/userguide/shareable.html
   * @default []
   */
  readonly ramPrincipals?: readonly string[];
  /**
   * Allow principals outside the hub's AWS Organization (they must accept the RAM invitation).
   * https://docs.aws.amazon.com/ram/latest/userguide/working-with-sharing-create.html
   * @default false
   */
  readonly ramAllowExternalPrincipals?: boolean;
  /** Tags for every AWS resource, merged last. @default {} */
  readonly tags?: Record<string, string>;
}

/**
 * The hub's Transit Gateway: explicit `hub`/`spokes` route tables, the hub VPC attachment on the
 * private subnets, and an optional RAM share for spokes in other accounts.
 */
export class TransitHub extends pulumi.ComponentResource {
  /** The Transit Gateway. */
  public readonly transitGateway: aws.ec2transitgateway.TransitGateway;
  /** Transit Gateway id (`tgw-...`). */
  public readonly transitGatewayId: pulumi.Output<string>;
  /** Transit Gateway ARN (what RAM shares). */
  public readonly transitGatewayArn: pulumi.Output<string>;
  /** TGW route table the hub attachment is associated with; spokes propagate into it. */
  public readonly hubRouteTableId: pulumi.Output<string>;
  /** TGW route table spoke attachments are associated with; only the hub propagates into it. */
  public readonly spokeRouteTableId: pulumi.Output<string>;
  /** The hub VPC attachment. */
  public readonly attachment: aws.ec2transitgateway.VpcAttachment;
  /** Ids of the hub's private (VPC) route tables, in private-subnet order. */
  public readonly privateRouteTableIds: pulumi.Output<string[]>;
  /** ARN of the RAM share, or "" when there are no principals. */
  public readonly resourceShareArn: pulumi.Output<string>;

  constructor(name: string, args: TransitHubArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:networking:TransitHub", name, {}, opts);
    const asn = args.amazonSideAsn ?? transitDefaults.amazonSideAsn;
    if (!isPrivateAsn(asn))
      throw new Error(`amazonSideAsn ${asn} is not a private ASN (64512-65534, 4200000000-4294967294)`);
    const principals = args.ramPrincipals ?? [];
    for (const p of principals) {
      if (!ramPrincipalKind(p))
        throw new Error(`RAM principal ${p} is not an account id, organization ARN or OU ARN`);
    }
    const tags = args.tags ?? {};

    this.transitGateway = new aws.ec2transitgateway.TransitGateway(
      `${name}-tgw`,
      {
        description: `${name}: hub-and-spoke transit gateway`,
        amazonSideAsn: asn,
        autoAcceptSharedAttachments:
          (args.autoAcceptSharedAttachments ?? transitDefaults.autoAcceptSharedAttachments)
            ? "enable"
            : "disable",
        // Explicit route tables only: a new attachment lands nowhere until associated on purpose.
        defaultRouteTableAssociation: "disable",
        defaultRouteTablePropagation: "disable",
        dnsSupport: "enable",
        vpnEcmpSupport: "enable",
        multicastSupport: "disable",
        tags: awsTags(`${name}-tgw`, tags),
      },
      { parent: this },
    );
    this.transitGatewayId = this.transitGateway.id;
    this.transitGatewayArn = this.transitGateway.arn;

    const hubTable = new aws.ec2transitgateway.RouteTable(
      `${name}-tgw-hub`,
      {
        transitGatewayId: this.transitGatewayId,
        tags: awsTags(`${name}-tgw-hub`, tags, { "platform.io/tgw-route-table": "hub" }),
      },
      { parent: this },
    );
    const spokeTable = new aws.ec2transitgateway.RouteTable(
      `${name}-tgw-spokes`,
      {
        transitGatewayId: this.transitGatewayId,
        tags: awsTags(`${name}-tgw-spokes`, tags, { "platform.io/tgw-route-table": "spokes" }),
      },
      { parent: this },
    );
    this.hubRouteTableId = hubTable.id;
    this.spokeRouteTableId = spokeTable.id;

    this.attachment = new aws.ec2transitgateway.VpcAttachment(
      `${name}-attachment`,
      {
        transitGatewayId: this.transitGatewayId,
        vpcId: args.vpcId,
        subnetIds: args.privateSubnetIds,
        dnsSupport: "enable",
        transitGatewayDefaultRouteTableAssociation: false,
        transitGatewayDefaultRouteTablePropagation: false,
        tags: awsTags(`${name}-attachment`, tags),
      },
      { parent: this },
    );
    new aws.ec2transitgateway.RouteTableAssociation(
      `${name}-attachment`,
      { transitGatewayAttachmentId: this.attachment.id, transitGatewayRouteTableId: hubTable.id },
      { parent: this },
    );
    // Spokes learn the hub's CIDR (and only it) from the spokes route table.
    new aws.ec2transitgateway.RouteTablePropagation(
      `${name}-propagate-to-spokes`,
      { transitGatewayAttachmentId: this.attachment.id, transitGatewayRouteTableId: spokeTable.id },
      { parent: this },
    );

    // The route table associated with each private subnet (awsx gives every subnet its own).
    const tables = privateRouteTables(this, name, args.privateSubnetIds, args.privateSubnetCount);
    this.privateRouteTableIds = pulumi.all(tables);

    this.resourceShareArn = this.ramShare(name, args, principals, tags);

    this.registerOutputs({
      transitGatewayId: this.transitGatewayId,
      transitGatewayArn: this.transitGatewayArn,
      hubRouteTableId: this.hubRouteTableId,
      spokeRouteTableId: this.spokeRouteTableId,
      attachment: this.attachment,
      privateRouteTableIds: this.privateRouteTableIds,
      resourceShareArn: this.resourceShareArn,
    });
  }

  /** Shares the Transit Gateway with other accounts through AWS RAM; returns the share ARN or "". */
  private ramShare(
    name: string,
    args: TransitHubArgs,
    principals: readonly string[],
    tags: Record<string, string>,
  ): pulumi.Output<string> {
    if (principals.length === 0) return pulumi.output("");
    const share = new aws.ram.ResourceShare(
      `${name}-tgw`,
      {
        name: `${name}-transit-gateway`,
        allowExternalPrincipals:
          args.ramAllowExternalPrincipals ?? transitDefaults.ramAllowExternalPrincipals,
        tags: awsTags(`${name}-tgw`, tags),
      },
      { parent: this },
    );
    new aws.ram.ResourceAssociation(
      `${name}-tgw`,
      { resourceArn: this.transitGatewayArn, resourceShareArn: share.arn },
      { parent: this },
    );
    for (const principal of principals) {
      new aws.ram.PrincipalAssociation(
        `${name}-share-${principalSuffix(principal)}`,
        { principal, resourceShareArn: share.arn },
        { parent: this },
      );
    }
    return share.arn;
  }
}

// ---------------------------------------------------------------------------------------------
// Spoke

/** Arguments of {@link TransitSpoke}. */
export interface TransitSpokeArgs {
  /** The hub's Transit Gateway id. */
  readonly transitGatewayId: pulumi.Input<string>;
  /** TGW route table the spoke attachment is associated with (the hub's `spokes` table). */
  readonly spokeRouteTableId: pulumi.Input<string>;
  /** TGW route table the spoke attachment propagates into (the hub's `hub` table). */
  readonly hubRouteTableId: pulumi.Input<string>;
  /** The spoke VPC id. */
  readonly vpcId: pulumi.Input<string>;
  /** The spoke VPC CIDR block (the hub routes it to the TGW). */
  readonly vpcCidr: string;
  /** The spoke's private subnet ids, one per AZ. */
  readonly privateSubnetIds: pulumi.Input<string[]>;
  /** Number of spoke private subnets (= AZs). */
  readonly privateSubnetCount: number;
  /** The hub VPC CIDR block (the spoke routes it to the TGW; 443 to the API is open from it). */
  readonly hubVpcCidr: pulumi.Input<string>;
  /** The hub's private route table ids (routes to the spoke CIDR are added there). */
  readonly hubPrivateRouteTableIds: pulumi.Input<string[]>;
  /** How many hub private route tables there are (checked against the list; fails the preview if not equal). */
  readonly hubPrivateRouteTableCount: number;
  /** The spoke's EKS cluster security group: gets 443 from the hub CIDR (the hub's Flux). */
  readonly clusterSecurityGroupId: pulumi.Input<string>;
  /** The hub's endpoints security group (metrics/log endpoints): gets the spoke CIDR on `hubEndpointPorts`. */
  readonly hubEndpointsSecurityGroupId: pulumi.Input<string>;
  /**
   * TCP ports of the hub endpoints the spoke ships to.
   * @default [443, 9090, 9200]
   */
  readonly hubEndpointPorts?: readonly number[];
  /**
   * AWS provider for the hub-side resources (acceptance, TGW association/propagation, hub routes,
   * hub SG rule): a role in the hub account when the spoke lives in another account.
   * @default the stack's default provider (same account)
   */
  readonly hubProvider?: aws.Provider;
  /**
   * The hub is in another account: accept the attachment from the hub side
   * (aws.ec2transitgateway.VpcAttachmentAccepter through `hubProvider`).
   * https://docs.aws.amazon.com/vpc/latest/tgw/tgw-vpc-attachments.html
   * @default false
   */
  readonly crossAccount?: boolean;
  /**
   * Accept the RAM invitation of this share first (a spoke account outside the hub's organization).
   * https://docs.aws.amazon.com/ram/latest/userguide/working-with-shared-invitations.html
   * @default undefined (no acceptance)
   */
  readonly acceptShareArn?: pulumi.Input<string>;
  /** Tags for every AWS resource, merged last. @default {} */
  readonly tags?: Record<string, string>;
}

/**
 * A spoke's attachment to the hub's Transit Gateway, with routes both ways and the security group
 * rules for the traffic that crosses (hub -> spoke API 443; spoke -> hub metrics/log endpoints).
 */
export class TransitSpoke extends pulumi.ComponentResource {
  /** The spoke VPC attachment. */
  public readonly attachment: aws.ec2transitgateway.VpcAttachment;
  /** The attachment id (`tgw-attach-...`). */
  public readonly attachmentId: pulumi.Output<string>;
  /** The spoke's private route table ids. */
  public readonly privateRouteTableIds: pulumi.Output<string[]>;

  constructor(name: string, args: TransitSpokeArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:networking:TransitSpoke", name, {}, opts);
    const tags = args.tags ?? {};
    const crossAccount = args.crossAccount ?? false;
    const hubOpts: pulumi.CustomResourceOptions = { parent: this, provider: args.hubProvider };

    const shareAccepter =
      args.acceptShareArn !== undefined
        ? new aws.ram.ResourceShareAccepter(
            `${name}-tgw-share`,
            { shareArn: args.acceptShareArn },
            { parent: this },
          )
        : undefined;

    this.attachment = new aws.ec2transitgateway.VpcAttachment(
      `${name}-attachment`,
      {
        transitGatewayId: args.transitGatewayId,
        vpcId: args.vpcId,
        subnetIds: args.privateSubnetIds,
        dnsSupport: "enable",
        // Only the TGW owner may set these; on a shared gateway the accepter sets them.
        ...(crossAccount
          ? {}
          : {
              transitGatewayDefaultRouteTableAssociation: false,
              transitGatewayDefaultRouteTablePropagation: false,
            }),
        tags: awsTags(`${name}-attachment`, tags),
      },
      { parent: this, dependsOn: shareAccepter ? [shareAccepter] : [] },
    );
    this.attachmentId = this.attachment.id;

    const accepter = crossAccount
      ? new aws.ec2transitgateway.VpcAttachmentAccepter(
          `${name}-attachment`,
          {
            transitGatewayAttachmentId: this.attachment.id,
            transitGatewayDefaultRouteTableAssociation: false,
            transitGatewayDefaultRouteTablePropagation: false,
            tags: awsTags(`${name}-attachment`, tags),
          },
          hubOpts,
        )
      : undefined;
    // Everything below needs an available (accepted) attachment.
    const ready: pulumi.Resource[] = accepter ? [accepter] : [this.attachment];
    const attachmentId = accepter ? accepter.id : this.attachment.id;

    new aws.ec2transitgateway.RouteTableAssociation(
      `${name}-attachment`,
      { transitGatewayAttachmentId: attachmentId, transitGatewayRouteTableId: args.spokeRouteTableId },
      { ...hubOpts, dependsOn: ready },
    );
    new aws.ec2transitgateway.RouteTablePropagation(
      `${name}-propagate-to-hub`,
      { transitGatewayAttachmentId: attachmentId, transitGatewayRouteTableId: args.hubRouteTableId },
      { ...hubOpts, dependsOn: ready },
    );

    this.privateRouteTableIds = this.routes(name, args, ready, hubOpts);
    this.securityGroupRules(name, args, tags, hubOpts);

    this.registerOutputs({
      attachment: this.attachment,
      attachmentId: this.attachmentId,
      privateRouteTableIds: this.privateRouteTableIds,
    });
  }

  /** Routes both ways: spoke private route tables send the hub CIDR, hub ones the spoke CIDR, to the TGW. */
  private routes(
    name: string,
    args: TransitSpokeArgs,
    ready: pulumi.Resource[],
    hubOpts: pulumi.CustomResourceOptions,
  ): pulumi.Output<string[]> {
    // Spoke -> hub: each spoke private route table sends the hub CIDR to the TGW.
    const spokeTables = privateRouteTables(this, name, args.privateSubnetIds, args.privateSubnetCount);
    spokeTables.forEach((routeTableId, i) => {
      new aws.ec2.Route(
        `${name}-to-hub-${i}`,
        { routeTableId, destinationCidrBlock: args.hubVpcCidr, transitGatewayId: args.transitGatewayId },
        { parent: this, dependsOn: ready },
      );
    });

    // Hub -> spoke: each hub private route table sends the spoke CIDR to the TGW.
    const hubTables = pulumi.output(args.hubPrivateRouteTableIds);
    for (let i = 0; i < args.hubPrivateRouteTableCount; i++) {
      new aws.ec2.Route(
        `${name}-from-hub-${i}`,
        {
          routeTableId: hubTables.apply((ids) =>
            pickRouteTable(ids, i, args.hubPrivateRouteTableCount, "hub privateRouteTableIds"),
          ),
          destinationCidrBlock: args.vpcCidr,
          transitGatewayId: args.transitGatewayId,
        },
        { ...hubOpts, dependsOn: ready },
      );
    }

    return pulumi.all(spokeTables);
  }

  /** Only what crosses: the hub's Flux to this cluster's API, this spoke to the hub's endpoints. */
  private securityGroupRules(
    name: string,
    args: TransitSpokeArgs,
    tags: Record<string, string>,
    hubOpts: pulumi.CustomResourceOptions,
  ): void {
    const ports = args.hubEndpointPorts ?? transitDefaults.hubEndpointPorts;
    new aws.vpc.SecurityGroupIngressRule(
      `${name}-api-from-hub`,
      {
        securityGroupId: args.clusterSecurityGroupId,
        description:
          "EKS API (443) from the hub VPC: the hub's Flux manages this spoke over the Transit Gateway",
        ipProtocol: "tcp",
        fromPort: transitDefaults.kubernetesApiPort,
        toPort: transitDefaults.kubernetesApiPort,
        cidrIpv4: args.hubVpcCidr,
        tags: awsTags(`${name}-api-from-hub`, tags),
      },
      { parent: this },
    );
    for (const port of ports) {
      new aws.vpc.SecurityGroupIngressRule(
        `${name}-hub-endpoints-${port}`,
        {
          securityGroupId: args.hubEndpointsSecurityGroupId,
          description: `Spoke ${name} (${args.vpcCidr}) to the hub's metrics/log endpoints on ${port}/tcp over the Transit Gateway`,
          ipProtocol: "tcp",
          fromPort: port,
          toPort: port,
          cidrIpv4: args.vpcCidr,
          tags: awsTags(`${name}-hub-endpoints-${port}`, tags),
        },
        hubOpts,
      );
    }
  }
}
