/**
 * Config keys of the transit capability (merged into the `platform` namespace by stacks/config.ts):
 * the hub's Transit Gateway and RAM share, and how a spoke attaches. See docs/networking.md.
 */
import { z } from "zod";
import { isPrivateAsn, ramPrincipalKind, transitDefaults } from "../../components/networking/transit";
import { ConfigError, NAMESPACE, boolean, structured } from "../schema";
import type { RoleOnly, SectionConfig, SectionOf } from "./types";

const PRIVATE_ASN = "a private ASN: an integer in 64512-65534 or 4200000000-4294967294";

/** Keys of this section: zod schemas with TSDoc and @default. */
export const transitSchema = {
  /**
   * Hub: private ASN of the Amazon side of the Transit Gateway.
   * https://docs.aws.amazon.com/vpc/latest/tgw/tgw-transit-gateways.html
   * @default 64512
   */
  transitGatewayAsn: z
    .preprocess(
      (v) => (typeof v === "string" && /^\d+$/.test(v.trim()) ? Number(v) : v),
      z.number({ error: PRIVATE_ASN }),
    )
    .refine(isPrivateAsn, { error: PRIVATE_ASN })
    .default(transitDefaults.amazonSideAsn),
  /**
   * Hub: accept VPC attachments from other accounts without review. Keep false: cross-account
   * spokes accept their own attachment through `hubAccountRoleArn` (policy tgw-no-auto-accept).
   * @default false
   */
  transitAutoAcceptSharedAttachments: boolean().default(transitDefaults.autoAcceptSharedAttachments),
  /**
   * Hub: RAM principals the Transit Gateway is shared with: 12-digit account ids, organization ARNs
   * (`arn:aws:organizations::<mgmt>:organization/o-...`) or OU ARNs. Empty: no RAM share.
   * https://docs.aws.amazon.com/ram/latest/userguide/working-with-sharing-create.html
   * @default []
   */
  ramSharePrincipals: structured(
    z.array(
      z.string().refine((p) => ramPrincipalKind(p) !== undefined, {
        error: "RAM principals: 12-digit account ids, organization ARNs or OU ARNs",
      }),
    ),
  ).default([]),
  /**
   * Hub: allow RAM principals outside the hub's AWS Organization (they accept an invitation).
   * @default false
   */
  ramAllowExternalPrincipals: boolean().default(transitDefaults.ramAllowExternalPrincipals),
  /**
   * Spoke: TCP ports of the hub's metrics/log endpoints the spoke may reach (the spoke adds ingress
   * rules for its CIDR to the hub's endpoints security group).
   * @default [443, 9090, 9200]
   */
  hubEndpointPorts: structured(
    z
      .array(z.number().int().min(1).max(65535), { error: "an array of TCP ports (integers 1-65535)" })
      .min(1, { error: "at least one TCP port" }),
  ).default([...transitDefaults.hubEndpointPorts]),
  /**
   * Spoke: IAM role in the hub's account that the spoke assumes for the hub-side part (accepting the
   * attachment, TGW association/propagation, hub routes, hub SG rules). Set it when the hub is in
   * another AWS account; unset means same account. @default unset
   */
  hubAccountRoleArn: z
    .string()
    .regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/, {
      error: "an IAM role ARN such as arn:aws:iam::111122223333:role/platform-transit",
    })
    .optional(),
  /**
   * Spoke: accept the hub's RAM share invitation (a spoke account outside the hub's AWS Organization,
   * or an organization without RAM sharing enabled). Requires hubAccountRoleArn. @default false
   */
  transitAcceptShareInvitation: boolean().default(false),
};

/** Keys that only one role reads (the hub owns the Transit Gateway; a spoke attaches to it). */
export const transitRoles: RoleOnly<typeof transitSchema> = {
  transitGatewayAsn: "hub",
  transitAutoAcceptSharedAttachments: "hub",
  ramSharePrincipals: "hub",
  ramAllowExternalPrincipals: "hub",
  hubEndpointPorts: "spoke",
  hubAccountRoleArn: "spoke",
  transitAcceptShareInvitation: "spoke",
};

/** The keys of this section as the validated config carries them. */
export type TransitConfig = SectionOf<typeof transitSchema>;

function duplicate<T>(values: readonly T[]): number {
  return values.findIndex((v, i) => values.indexOf(v) !== i);
}

/** Cross-key rules of this section; throws ConfigError on bad input. */
export function transitChecks(config: SectionConfig<typeof transitSchema>): void {
  const key = (k: keyof TransitConfig) => `${NAMESPACE}:${k}`;
  if (config.role === "spoke" && config.transitAcceptShareInvitation && !config.hubAccountRoleArn) {
    throw new ConfigError(
      key("hubAccountRoleArn"),
      undefined,
      "a role in the hub's account when transitAcceptShareInvitation is true (a spoke in another account needs it for the hub-side part)",
    );
  }
  const principal = duplicate(config.ramSharePrincipals);
  if (principal >= 0) {
    throw new ConfigError(
      `${key("ramSharePrincipals")}[${principal}]`,
      config.ramSharePrincipals[principal],
      "a principal listed once",
    );
  }
  const port = duplicate(config.hubEndpointPorts);
  if (port >= 0)
    throw new ConfigError(
      `${key("hubEndpointPorts")}[${port}]`,
      config.hubEndpointPorts[port],
      "a port listed once",
    );
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
