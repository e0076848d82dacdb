/**
 * The hub stack: the management cluster. It owns the Transit Gateway spokes attach to, the central
 * metrics and log stores, and a Flux that manages every spoke.
 */
import * as pulumi from "@pulumi/pulumi";
import { DeploymentRunner } from "../components/runner";
import type { PlatformConfig } from "./config";
import type { HubOutputs } from "./contract";
import { buildKarpenter } from "./karpenter";
import { buildCertManager } from "./cert-manager";
import { buildExternalDns } from "./external-dns";
import { buildExternalSecrets } from "./external-secrets";
import { buildLoadBalancerController } from "./load-balancer-controller";
import { buildRegistry } from "./registry";
import { buildVelero } from "./velero";
import { buildTracingHub, tracingEnabled } from "./tracing";
import { traceCollectorPeer } from "../components/tracing/values";
import { buildAlertingHub } from "./alerting";
import { buildFoundation, commonOutputs } from "./foundation";
import { buildGitOpsHub, capabilityFacts, gitSource } from "./gitops";
import { buildObservabilityHub } from "./observability";
import { buildStorage } from "./storage";
import { buildTenancy } from "./tenancy";
import { buildTransitHub } from "./transit";
import { nextTurn } from "./turn";

/** Builds the hub and returns its outputs (the contract's {@link HubOutputs}). */
export async function hubStack(config: PlatformConfig): Promise<HubOutputs> {
  gitSource(config); // validates the Git source before anything is created
  // One turn of the event loop after each capability (stacks/turn.ts).
  const foundation = await buildFoundation(config);
  const transit = buildTransitHub(config, foundation);
  await nextTurn();
  const karpenter = buildKarpenter(config, foundation);
  await nextTurn();
  buildRegistry(config, foundation, karpenter);
  await nextTurn();
  buildExternalDns(config, foundation);
  await nextTurn();
  const loadBalancerController = buildLoadBalancerController(config, foundation);
  await nextTurn();
  const { storage: storageInstall, ...storage } = buildStorage(config, foundation);
  await nextTurn();
  const { prometheusStack, ...observability } = buildObservabilityHub(
    config,
    foundation,
    [storageInstall],
    loadBalancerController ? [loadBalancerController.release] : [],
  );
  await nextTurn();
  // Add-ons with a ServiceMonitor/PodMonitor come after the Prometheus stack (its CRDs define them).
  buildCertManager(config, foundation, prometheusStack);
  await nextTurn();
  buildAlertingHub(config, foundation, prometheusStack);
  await nextTurn();
  const tracing = buildTracingHub(config, foundation, observability.hubEndpointsSecurityGroupId, [
    storageInstall,
  ]);
  await nextTurn();
  const { flux, ...gitops } = buildGitOpsHub(
    config,
    foundation,
    capabilityFacts(storage.efsFileSystemId, observability),
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
  await nextTurn();
  // Deployments run inside the hub VPC: they reach the private API of the hub and, over the Transit
  // Gateway, of every spoke (docs/ci-and-deployments.md).
  const runner = new DeploymentRunner(`${config.stack}-runner`, {
    organization: pulumi.getOrganization(),
    poolName: config.clusterName,
    provider: foundation.provider,
  });
  return {
    role: "hub",
    deploymentAgentPoolId: runner.agentPoolId,
    ...commonOutputs(config, foundation),
    ...storage,
    ...tenancy,
    ...transit,
    ...observability,
    ...tracing,
    ...gitops,
  };
}
