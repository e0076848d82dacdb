/**
 * A spoke stack: a workload cluster attached to the hub. It reads the hub through a StackReference
 * named in `platform:hubStackReference`, attaches itself, and hosts tenant organizations.
 */
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, NAMESPACE, cidrsOverlap, type PlatformConfig } from "./config";
import { readHubOutputs, type SpokeOutputs } from "./contract";
import { buildFoundation, commonOutputs } from "./foundation";

/**
 * Checks the spoke against the hub before anything is created.
 * @throws ConfigError when the spoke's VPC CIDR overlaps the hub's or the regions differ.
 */
export function checkAgainstHub(config: PlatformConfig, hubVpcCidr: string): void {
  if (cidrsOverlap(config.vpcCidr, hubVpcCidr)) {
    throw new ConfigError(
      `${NAMESPACE}:vpcCidr`,
      config.vpcCidr,
      `a CIDR block that does not overlap the hub's ${hubVpcCidr}`,
    );
  }
}

/** Builds a spoke and returns its outputs (the contract's {@link SpokeOutputs}). */
export async function spokeStack(config: PlatformConfig): Promise<SpokeOutputs> {
  const hubRef = new pulumi.StackReference(config.hubStackReference!);
  // Read before any resource is registered, so a CIDR clash creates nothing.
  const hubVpcCidr = (await hubRef.getOutputValue("vpcCidr")) as string | undefined;
  if (typeof hubVpcCidr !== "string") {
    throw new ConfigError(
      `${NAMESPACE}:hubStackReference`,
      config.hubStackReference,
      "a hub stack that exports vpcCidr (deploy the hub first)",
    );
  }
  checkAgainstHub(config, hubVpcCidr);
  readHubOutputs(hubRef);
  const foundation = buildFoundation(config);
  return {
    role: "spoke",
    hubStackReference: config.hubStackReference!,
    ...commonOutputs(config, foundation),
  };
}
