/**
 * The transit capability: its config slice (`platform:transit`), its checks against the hub, and the
 * functions that build the hub's Transit Gateway (+ RAM share) and a spoke's attachment with routes
 * both ways (components/networking/transit.ts). Design: docs/networking.md.
 */
import { z } from "zod";
import { isPrivateAsn, ramPrincipalKind, transitDefaults } from "../components/networking/transit";
import { ConfigError, NAMESPACE, group, boolean, structured, type RoleOnly, type SectionOf } from "./schema";
import type { CoreConfig } from "./core";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { TransitHub, TransitSpoke } from "../components/networking";
import type { Foundation } from "./foundation";

const PRIVATE_ASN = "a private ASN: an integer in 64512-65534 or 4200000000-4294967294";

/** The `platform:transit` object: the hub's Transit Gateway and RAM share, and how a spoke attaches. */
const transitSettingsSchema = z
  .strictObject({
    amazonSideAsn: z
      .preprocess(
        (v) => (typeof v === "string" && /^\d+$/.test(v.trim()) ? Number(v) : v),
        z.number({ error: PRIVATE_ASN }),
      )
      .refine(isPrivateAsn, { error: PRIVATE_ASN })
      .default(transitDefaults.amazonSideAsn)
      .describe(
        "Hub: private ASN of the Transit Gateway's Amazon side (64512-65534 or 4200000000-4294967294). https://docs.aws.amazon.com/vpc/latest/tgw/tgw-transit-gateways.html",
      ),
    autoAcceptSharedAttachments: boolean()
      .default(transitDefaults.autoAcceptSharedAttachments)
      .describe(
        "Hub: auto-accept attachments from other accounts. Keep false; cross-account spokes accept their own attachment through hubAccountRoleArn (policy tgw-no-auto-accept).",
      ),
    ramSharePrincipals: structured(
      z.array(
        z.string().refine((p) => ramPrincipalKind(p) !== undefined, {
          error: "RAM principals: 12-digit account ids, organization ARNs or OU ARNs",
        }),
      ),
    )
      .default([])
      .describe(
        "Hub: RAM principals the Transit Gateway is shared with: 12-digit account ids, organization ARNs (arn:aws:organizations::<mgmt>:organization/o-...) or OU ARNs, each once. Empty means no RAM share.",
      ),
    ramAllowExternalPrincipals: boolean()
      .default(transitDefaults.ramAllowExternalPrincipals)
      .describe("Hub: allow RAM principals outside the hub's AWS Organization (they accept an invitation)."),
    hubEndpointPorts: structured(
      z
        .array(z.number().int().min(1).max(65535), { error: "an array of TCP ports (integers 1-65535)" })
        .min(1, { error: "at least one TCP port" }),
    )
      .default([...transitDefaults.hubEndpointPorts])
      .describe(
        "Spoke: TCP ports of the hub's metrics/log endpoints the spoke CIDR may reach (ingress rules on the hub's endpoints security group), each once.",
      ),
    hubAccountRoleArn: z
      .string()
      .regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/, {
        error: "an IAM role ARN such as arn:aws:iam::111122223333:role/platform-transit",
      })
      .optional()
      .describe(
        "Spoke: IAM role in the hub's account the spoke assumes for the hub-side part of the attachment (a hub in another account). Not set means same account.",
      ),
    acceptShareInvitation: boolean()
      .default(false)
      .describe(
        "Spoke: accept the hub's RAM share invitation (a spoke account outside the hub's organization). Requires hubAccountRoleArn.",
      ),
  })
  .superRefine((t, ctx) => {
    if (t.acceptShareInvitation && !t.hubAccountRoleArn)
      ctx.addIssue({
        code: "custom",
        path: ["hubAccountRoleArn"],
        message:
          "a role in the hub's account when acceptShareInvitation is true (a spoke in another account needs it for the hub-side part)",
      });
    const principal = duplicate(t.ramSharePrincipals);
    if (principal >= 0)
      ctx.addIssue({
        code: "custom",
        path: ["ramSharePrincipals", principal],
        input: t.ramSharePrincipals[principal],
        message: "a principal listed once",
      });
    const port = duplicate(t.hubEndpointPorts);
    if (port >= 0)
      ctx.addIssue({
        code: "custom",
        path: ["hubEndpointPorts", port],
        input: t.hubEndpointPorts[port],
        message: "a port listed once",
      });
  });

/** Config key of the capability (merged into the `platform` namespace by stacks/config.ts). */
export const transitSchema = {
  transit: group(
    transitSettingsSchema,
    "Transit Gateway: the hub's gateway and RAM share, a spoke's attachment (docs/networking.md).",
  ),
};

/** Fields only one role reads (the hub owns the Transit Gateway; a spoke attaches to it). */
export const transitRoles: RoleOnly<typeof transitSettingsSchema.shape> = {
  amazonSideAsn: "hub",
  autoAcceptSharedAttachments: "hub",
  ramSharePrincipals: "hub",
  ramAllowExternalPrincipals: "hub",
  hubEndpointPorts: "spoke",
  hubAccountRoleArn: "spoke",
  acceptShareInvitation: "spoke",
};

/** What the transit capability reads of a stack's configuration: the core keys and its own. */
type TransitStackConfig = CoreConfig & SectionOf<typeof transitSchema>;

function duplicate<T>(values: readonly T[]): number {
  return values.findIndex((v, i) => values.indexOf(v) !== i);
}

/**
 * Checks a spoke's transit settings against the hub's outputs at config time, before any resource
 * is registered (call it next to `checkAgainstHub` in stacks/spoke.ts with values read through
 * `StackReference.getOutputValue`).
 * @param hubRegion The hub's `region` output.
 * @param hubPrivateRouteTableIds The hub's `privateRouteTableIds` output.
 * @returns The number of the hub's private route tables (one route to the spoke is added in each).
 * @throws ConfigError when the hub exports no transit outputs or the regions differ (a TGW
 *   attachment is regional).
 */
export function checkTransitAgainstHub(
  config: {
    readonly region: string;
    readonly hubStackReference?: string;
  },
  hubRegion: unknown,
  hubPrivateRouteTableIds: unknown,
): number {
  if (!Array.isArray(hubPrivateRouteTableIds)) {
    throw new ConfigError(
      `${NAMESPACE}:hubStackReference`,
      config.hubStackReference,
      "a hub stack that exports privateRouteTableIds and transitGatewayId (deploy the hub with its Transit Gateway first)",
    );
  }
  if (typeof hubRegion === "string" && hubRegion !== config.region) {
    throw new ConfigError(
      "aws:region",
      config.region,
      `the hub's region ${hubRegion} (Transit Gateway attachments are regional)`,
    );
  }
  return hubPrivateRouteTableIds.length;
}

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
export function buildTransitHub(config: TransitStackConfig, foundation: Foundation): TransitHubOutputs {
  const { network, tags } = foundation;
  const transit = new TransitHub(config.stack, {
    vpcId: network.vpcId,
    privateSubnetIds: network.privateSubnetIds,
    privateSubnetCount: network.availabilityZoneCount,
    amazonSideAsn: config.transit.amazonSideAsn,
    autoAcceptSharedAttachments: config.transit.autoAcceptSharedAttachments,
    ramPrincipals: config.transit.ramSharePrincipals,
    ramAllowExternalPrincipals: config.transit.ramAllowExternalPrincipals,
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
 * both ways. With `transit.hubAccountRoleArn` the hub-side resources go through a provider assuming that
 * role (a hub in another account); without it they use the stack's default provider.
 */
export function buildTransitSpoke(
  config: TransitStackConfig,
  foundation: Foundation,
  hub: TransitHubView,
  hubPrivateRouteTableCount: number,
): TransitSpokeOutputs & { readonly transit: TransitSpoke } {
  const { network, cluster, tags } = foundation;
  const crossAccount = config.transit.hubAccountRoleArn !== undefined;
  const hubProvider = crossAccount
    ? new aws.Provider(`${config.stack}-hub-account`, {
        region: config.region as aws.Region,
        assumeRoles: [
          { roleArn: config.transit.hubAccountRoleArn!, sessionName: `platform-${config.stack}-transit` },
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
    hubEndpointPorts: config.transit.hubEndpointPorts,
    hubProvider,
    crossAccount,
    acceptShareArn: config.transit.acceptShareInvitation ? hub.transitGatewayShareArn : undefined,
    tags,
  });
  return { transit, transitGatewayAttachmentId: transit.attachmentId };
}
