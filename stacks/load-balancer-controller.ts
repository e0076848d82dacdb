/**
 * The ingress capability: its config slice (`platform:loadBalancerController`) and the function that
 * builds components/aws-load-balancer-controller from it. docs/ingress.md explains it.
 */
import { z } from "zod";
import { AwsLoadBalancerController } from "../components/aws-load-balancer-controller";
import type { CoreConfig } from "./core";
import type { Foundation } from "./foundation";
import type { SectionOf } from "./schema";
import { boolean, kubernetesName, structured } from "./schema";

/** The `platform:loadBalancerController` object. */
const loadBalancerControllerConfigSchema = z
  .object({
    /** Install the AWS Load Balancer Controller and its IngressClasses. @default true */
    enabled: boolean().default(true),
    /** Make the internal `alb` class the cluster's default IngressClass. @default true */
    defaultIngressClass: boolean().default(true),
    /**
     * Create the `alb-internet-facing` IngressClass (public load balancers) for the namespaces in
     * internetFacingNamespaces. The pack's `no-internet-facing-ingress` must allow it too. @default false
     */
    allowInternetFacing: boolean().default(false),
    /** Namespaces that may use `alb-internet-facing` (required with allowInternetFacing). @default [] */
    internetFacingNamespaces: z.array(kubernetesName()).default([]),
  })
  .strict()
  .superRefine((settings, ctx) => {
    if (settings.allowInternetFacing && settings.internetFacingNamespaces.length === 0)
      ctx.addIssue({
        code: "custom",
        path: ["internetFacingNamespaces"],
        message: "at least one namespace that may use the internet-facing IngressClass",
      });
    if (!settings.allowInternetFacing && settings.internetFacingNamespaces.length > 0)
      ctx.addIssue({
        code: "custom",
        path: ["internetFacingNamespaces"],
        input: settings.internetFacingNamespaces,
        message: "no namespaces unless allowInternetFacing is true",
      });
    if (!settings.enabled && settings.allowInternetFacing)
      ctx.addIssue({
        code: "custom",
        path: ["allowInternetFacing"],
        input: true,
        message: "false while the controller is disabled (no IngressClass is created)",
      });
  });

/** Config key of the capability (merged into the `platform` namespace by stacks/config.ts). */
export const loadBalancerControllerSchema = {
  /** AWS Load Balancer Controller and IngressClasses (object, see docs/ingress.md). @default on, internal only */
  loadBalancerController: structured(loadBalancerControllerConfigSchema).prefault({}),
};

/** What this capability reads of a stack's configuration: the core keys and its own. */
type StackConfig = CoreConfig & SectionOf<typeof loadBalancerControllerSchema>;

/** Builds the AWS Load Balancer Controller on the stack's cluster when enabled. */
export function buildLoadBalancerController(
  config: StackConfig,
  foundation: Foundation,
): AwsLoadBalancerController | undefined {
  const settings = config.loadBalancerController;
  if (!settings.enabled) return undefined;
  return new AwsLoadBalancerController(config.stack, {
    clusterName: config.clusterName,
    eksClusterName: foundation.cluster.clusterName,
    kubernetesVersion: config.kubernetesVersion,
    region: config.region,
    vpcId: foundation.network.vpcId,
    provider: foundation.provider,
    defaultIngressClass: settings.defaultIngressClass,
    internetFacingNamespaces: settings.allowInternetFacing ? settings.internetFacingNamespaces : [],
    production: config.production,
    tags: foundation.tags,
  });
}
