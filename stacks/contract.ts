/**
 * The hub <-> spoke contract: the stack outputs each stack exports, declared once. Stacks export
 * exactly these keys (flat camelCase) and spokes read the hub only through {@link readHubOutputs}.
 */
import * as pulumi from "@pulumi/pulumi";
import type { FoundationOutputs } from "./foundation";
import type { GitOpsHubOutputs, GitOpsSpokeOutputs } from "./gitops";
import { GITOPS_HUB_OUTPUT_KEYS } from "./gitops";
import type { ObservabilityHubOutputs, ObservabilitySpokeOutputs } from "./observability";
import { OBSERVABILITY_HUB_OUTPUT_KEYS } from "./observability";
import type { StorageOutputs } from "./storage";
import type { TenancyOutputs } from "./tenancy";
import type { TransitHubOutputs, TransitSpokeOutputs } from "./transit";
import type { TracingHubOutputs } from "./tracing";
import { TRANSIT_HUB_OUTPUT_KEYS } from "./transit";

/** Outputs every stack exports (hub and spoke). */
export interface CommonOutputs extends FoundationOutputs, StorageOutputs, TenancyOutputs {
  /** Stack role. */
  role: "hub" | "spoke";
}

/** Outputs of the hub stack: the common ones plus transit, gitops and observability. */
export interface HubOutputs
  extends CommonOutputs, TransitHubOutputs, GitOpsHubOutputs, ObservabilityHubOutputs, TracingHubOutputs {
  role: "hub";
  /** Id of the Pulumi Deployments runner pool in the hub VPC: every stack's DeploymentSettings names it. */
  deploymentAgentPoolId: pulumi.Output<string>;
}

/** Outputs of a spoke stack. */
export interface SpokeOutputs
  extends CommonOutputs, TransitSpokeOutputs, Omit<GitOpsSpokeOutputs, never>, ObservabilitySpokeOutputs {
  role: "spoke";
  /** The hub stack this spoke is attached to. */
  hubStackReference: string;
}

/** Keys of the hub outputs a spoke reads (the list is the contract; tests compare it to the hub). */
const HUB_OUTPUT_KEYS = [
  "region",
  "vpcId",
  "vpcCidr",
  "privateSubnetIds",
  "clusterName",
  "clusterEndpoint",
  "clusterArn",
  "oidcProviderArn",
  ...TRANSIT_HUB_OUTPUT_KEYS,
  ...GITOPS_HUB_OUTPUT_KEYS,
  ...OBSERVABILITY_HUB_OUTPUT_KEYS,
] as const satisfies readonly (keyof HubOutputs)[];

/** What a spoke sees of the hub: each contract key as an Output. */
export type HubView = {
  [K in (typeof HUB_OUTPUT_KEYS)[number]]: pulumi.Output<pulumi.Unwrap<HubOutputs[K]>>;
};

/** Reads the hub outputs a spoke needs through its StackReference, by the contract keys. */
export function readHubOutputs(ref: pulumi.StackReference): HubView {
  const view: Record<string, pulumi.Output<unknown>> = {};
  for (const key of HUB_OUTPUT_KEYS) view[key] = ref.requireOutput(key);
  return view as HubView;
}

/** Hub outputs a spoke checks before it registers anything (plain values, not Outputs). */
export interface HubFacts {
  /** The referenced stack's role output: "hub" for a hub. */
  readonly role: unknown;
  readonly vpcCidr: unknown;
  readonly region: unknown;
  readonly privateRouteTableIds: unknown;
}

/**
 * Reads, as plain values, the hub outputs a spoke checks before creating anything (its role, VPC
 * CIDR, region and private route tables), through the contract's keys.
 */
export async function readHubFacts(ref: pulumi.StackReference): Promise<HubFacts> {
  const keys = [
    "role",
    "vpcCidr",
    "region",
    "privateRouteTableIds",
  ] as const satisfies readonly (keyof HubOutputs)[];
  const values = await Promise.all(keys.map((key) => ref.getOutputValue(key)));
  return Object.fromEntries(keys.map((key, i) => [key, values[i]])) as unknown as HubFacts;
}
