/**
 * Wiring of the transit capability: the hub's Transit Gateway (+ RAM share) and a spoke's
 * attachment with routes both ways. Called from stacks/hub.ts and stacks/spoke.ts.
 * Design: docs/networking.md.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { TransitHub, TransitSpoke } from "../../components/networking";
import type { PlatformConfig } from "../config";
import type { Foundation } from "../foundation";

/** Hub outputs the transit capability adds (stack outputs, flat camelCase). */
export interface TransitHubOutputs {
  /** The hub's Transit Gateway id (`tgw-...`). */
  transitGatewayId: pulumi.Output<string>;
  /** TGW route table spoke attachments are associated with (holds only the hub's routes). */
  transitGatewayRouteTableId: pulumi.Output<string>;
  /** TGW route table the hub attachment is associated with; spoke attachments propagate into it. */
  transitGatewayHubRouteTableId: pulumi.Output<string>;
  /** The hub's private VPC route table ids (spokes add a route to their CIDR in each). */
  privateRouteTableIds: pulumi.Output<string[]>;
  /** ARN of the RAM share of the Transit Gateway, "" when it is not shared. */
  transitGatewayShareArn: pulumi.Output<string>;
}

/** Hub output keys the transit capability adds and a spoke reads (add them to HUB_OUTPUT_KEYS). */
export const TRANSIT_HUB_OUTPUT_KEYS = [
  "transitGatewayId",
  "transitGatewayRouteTableId",
  "transitGatewayHubRouteTableId",
  "privateRouteTableIds",
  "transitGatewayShareArn",
] as const satisfies readonly (keyof TransitHubOutputs)[];

/**
 * What the spoke side reads of the hub: the transit keys plus `vpcCidr` (common output) and
 * `hubEndpointsSecurityGroupId` (created by the observability capability on the hub).
 */
export type TransitHubView = {
  readonly [K in (typeof TRANSIT_HUB_OUTPUT_KEYS)[number]]: TransitHubOutputs[K];
} & {
  readonly vpcCidr: pulumi.Output<string>;
  readonly hubEndpointsSecurityGroupId: pulumi.Output<string>;
};

/** Spoke outputs the transit capability adds. */
export interface TransitSpokeOutputs {
  /** The spoke's TGW VPC attachment id (`tgw-attach-...`). */
  transitGatewayAttachmentId: pulumi.Output<string>;
}

/** Builds the hub's Transit Gateway, its route tables, hub attachment and RAM share. */
export function buildTransitHub(config: PlatformConfig, foundation: Foundation): TransitHubOutputs {
  const { network, tags } = foundation;
  const transit = new TransitHub(config.stack, {
    vpcId: network.vpcId,
    privateSubnetIds: network.privateSubnetIds,
    privateSubnetCount: network.availabilityZoneCount,
    amazonSideAsn: config.transitGatewayAsn,
    autoAcceptSharedAttachments: config.transitAutoAcceptSharedAttachments,
    ramPrincipals: config.ramSharePrincipals,
    ramAllowExternalPrincipals: config.ramAllowExternalPrincipals,
    tags,
  });
  return {
    transitGatewayId: transit.transitGatewayId,
    transitGatewayRouteTableId: transit.spokeRouteTableId,
    transitGatewayHubRouteTableId: transit.hubRouteTableId,
    privateRouteTableIds: transit.privateRouteTableIds,
    transitGatewayShareArn: transit.resourceShareArn,
  };
}

/**
 * Attaches the spoke to the hub's Transit Gateway and installs routes and security group rules
 * both ways. With `hubAccountRoleArn` the hub-side resources go through a provider assuming that
 * role (a hub in another account); without it they use the stack's default provider.
 */
export function buildTransitSpoke(
  config: PlatformConfig,
  foundation: Foundation,
  hub: TransitHubView,
  hubPrivateRouteTableCount: number,
): TransitSpokeOutputs & { readonly transit: TransitSpoke } {
  const { network, cluster, tags } = foundation;
  const crossAccount = config.hubAccountRoleArn !== undefined;
  const hubProvider = crossAccount
    ? new aws.Provider(`${config.stack}-hub-account`, {
        region: config.region as aws.Region,
        assumeRoles: [
          { roleArn: config.hubAccountRoleArn!, sessionName: `platform-${config.stack}-transit` },
        ],
      })
    : undefined;
  const transit = new TransitSpoke(config.stack, {
    transitGatewayId: hub.transitGatewayId,
    spokeRouteTableId: hub.transitGatewayRouteTableId,
    hubRouteTableId: hub.transitGatewayHubRouteTableId,
    vpcId: network.vpcId,
    vpcCidr: config.vpcCidr,
    privateSubnetIds: network.privateSubnetIds,
    privateSubnetCount: network.availabilityZoneCount,
    hubVpcCidr: hub.vpcCidr,
    hubPrivateRouteTableIds: hub.privateRouteTableIds,
    hubPrivateRouteTableCount,
    clusterSecurityGroupId: cluster.nodeSecurityGroupId,
    hubEndpointsSecurityGroupId: hub.hubEndpointsSecurityGroupId,
    hubEndpointPorts: config.hubEndpointPorts,
    hubProvider,
    crossAccount,
    acceptShareArn: config.transitAcceptShareInvitation ? hub.transitGatewayShareArn : undefined,
    tags,
  });
  return { transit, transitGatewayAttachmentId: transit.attachmentId };
}
