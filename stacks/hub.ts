/**
 * The hub stack: the management cluster. It owns the Transit Gateway spokes attach to, the central
 * metrics and log stores, and a Flux that manages every spoke.
 */
import type { PlatformConfig } from "./config";
import type { HubOutputs } from "./contract";
import { buildFoundation, commonOutputs } from "./foundation";

/** Builds the hub and returns its outputs (the contract's {@link HubOutputs}). */
export async function hubStack(config: PlatformConfig): Promise<HubOutputs> {
  const foundation = buildFoundation(config);
  return { role: "hub", ...commonOutputs(config, foundation) };
}
