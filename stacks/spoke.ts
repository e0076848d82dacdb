/**
 * A spoke stack: a workload cluster attached to the hub. It reads the hub through a StackReference
 * named in `platform:hubStackReference`, attaches itself to the hub's Transit Gateway, ships metrics
 * and logs to the hub, registers with the hub's Flux, and hosts tenant organizations.
 */
import * as pulumi from "@pulumi/pulumi";
import { kubernetesProvider } from "../components/cluster";
import { ConfigError, NAMESPACE, cidrsOverlap, type PlatformConfig } from "./config";
import { readHubFacts, readHubOutputs, type SpokeOutputs } from "./contract";
import { buildKarpenter } from "./karpenter";
import { buildCertManager } from "./cert-manager";
import { buildExternalDns } from "./external-dns";
import { buildExternalSecrets } from "./external-secrets";
import { buildLoadBalancerController } from "./load-balancer-controller";
import { buildRegistry } from "./registry";
import { buildVelero } from "./velero";
import { buildTracingSpoke, readTracingHub, tracingEnabled } from "./tracing";
import { traceCollectorPeer } from "../components/tracing/values";
import { buildFoundation, commonOutputs, type Foundation } from "./foundation";
import { checkTransitAgainstHub } from "./transit";
import { buildGitOpsSpoke, capabilityFacts, gitSource } from "./gitops";
import { buildObservabilitySpoke } from "./observability";
import { buildStorage } from "./storage";
import { buildTenancy } from "./tenancy";
import { nextTurn } from "./turn";
import { buildTransitSpoke } from "./transit";

/**
 * Checks the spoke against the hub before anything is created.
 * @throws ConfigError when the spoke's VPC CIDR overlaps the hub's.
 */
export function checkAgainstHub(config: PlatformConfig, hubVpcCidr: string): void {
  if (cidrsOverlap(config.vpcCidr, hubVpcCidr)) {
    throw new ConfigError(
      `${NAMESPACE}:vpcCidr`,
      config.vpcCidr,
      `a CIDR block that does not overlap the hub's ${hubVpcCidr}`,
    );
  }
  if (config.apiAccessCidrs.includes(hubVpcCidr)) {
    throw new ConfigError(
      `${NAMESPACE}:apiAccessCidrs`,
      config.apiAccessCidrs,
      `no entry for the hub's ${hubVpcCidr}: the spoke already admits it to its API over the Transit Gateway`,
    );
  }
}

/** Builds a spoke and returns its outputs (the contract's {@link SpokeOutputs}). */
export async function spokeStack(config: PlatformConfig): Promise<SpokeOutputs> {
  gitSource(config); // validates the Git source before anything is created
  const hubRef = new pulumi.StackReference(config.hubStackReference!);
  // Read before any resource is registered, so a clash with the hub creates nothing.
  const {
    role: hubRole,
    vpcCidr: hubVpcCidr,
    region: hubRegion,
    privateRouteTableIds: hubRouteTables,
  } = await readHubFacts(hubRef);
  if (typeof hubRole === "string" && hubRole !== "hub") {
    throw new ConfigError(
      `${NAMESPACE}:hubStackReference`,
      config.hubStackReference,
      `a hub's stack reference, but that stack is not a hub (its role output is ${JSON.stringify(hubRole)})`,
    );
  }
  if (typeof hubVpcCidr !== "string") {
    throw new ConfigError(
      `${NAMESPACE}:hubStackReference`,
      config.hubStackReference,
      "a hub stack that exports vpcCidr (deploy the hub first)",
    );
  }
  checkAgainstHub(config, hubVpcCidr);
  const hubPrivateRouteTableCount = checkTransitAgainstHub(config, hubRegion, hubRouteTables);
  const tracingHub = await readTracingHub(config, hubRef);
  const hub = readHubOutputs(hubRef);

  // One turn of the event loop after each capability (stacks/turn.ts).
  const base = await buildFoundation(config);
  const { transit: attachment, ...transit } = buildTransitSpoke(config, base, hub, hubPrivateRouteTableCount);
  await nextTurn();
  // The deployment runner lives in the hub VPC (docs/operations.md): every spoke Kubernetes object
  // waits for the attachment, the routes both ways and the 443 rule that lead it to the spoke API.
  const foundation: Foundation = {
    ...base,
    provider: kubernetesProvider(`${config.stack}-k8s-via-hub`, base.cluster.kubeconfig, {
      dependsOn: [attachment],
    }),
  };
  const karpenter = buildKarpenter(config, foundation);
  await nextTurn();
  buildRegistry(config, foundation, karpenter);
  await nextTurn();
  buildExternalDns(config, foundation);
  await nextTurn();
  buildLoadBalancerController(config, foundation);
  await nextTurn();
  const { storage: storageInstall, ...storage } = buildStorage(config, foundation);
  await nextTurn();
  const { prometheusStack, ...observability } = buildObservabilitySpoke(config, foundation, hub, [
    storageInstall,
  ]);
  await nextTurn();
  // Add-ons with a ServiceMonitor/PodMonitor come after the Prometheus agent (its CRDs define them).
  buildCertManager(config, foundation, prometheusStack);
  await nextTurn();
  buildTracingSpoke(config, foundation, hub, tracingHub);
  await nextTurn();
  const { flux, ...gitops } = buildGitOpsSpoke(
    config,
    foundation,
    hub,
    capabilityFacts(storage.efsFileSystemId, hub),
    prometheusStack,
  );
  await nextTurn();
  const { organizations, ...tenancy } = await buildTenancy(config, foundation, {
    fluxDependsOn: [flux],
    traceCollector: tracingEnabled(config) ? traceCollectorPeer : undefined,
  });
  buildExternalSecrets(config, foundation, organizations);
  await nextTurn();
  buildVelero(config, foundation, storageInstall.key.arn, organizations, prometheusStack);
  return {
    role: "spoke",
    hubStackReference: config.hubStackReference!,
    ...commonOutputs(config, foundation),
    ...storage,
    ...tenancy,
    ...transit,
    ...observability,
    ...gitops,
  };
}
