/**
 * The schema of one Karpenter NodePool (a `platform:karpenter.nodePools` entry). It sits apart from
 * stacks/karpenter.ts so the Karpenter component can take its argument type from it
 * (`import type`) without an import cycle: this module imports only the schema helpers, never the
 * components. Reference: docs/karpenter.md.
 */
import { z } from "zod";
import { kubernetesName } from "./schema";

/** A Kubernetes taint of Karpenter's nodes (Kubernetes effect names). */
const karpenterTaintSchema = z
  .object({
    key: z.string().min(1),
    value: z.string().optional(),
    effect: z.enum(["NoSchedule", "PreferNoSchedule", "NoExecute"], {
      error: "a taint effect: NoSchedule, PreferNoSchedule or NoExecute",
    }),
  })
  .strict();

/** A Go duration Karpenter accepts, such as `30s`, `5m`, `720h`. */
const duration = () => z.string().regex(/^(\d+(s|m|h))+$/, { error: "a duration such as 30s, 5m or 720h" });

/** One Karpenter NodePool. https://karpenter.sh/docs/concepts/nodepools/ */
export const karpenterNodePoolSchema = z
  .object({
    /** NodePool name. */
    name: kubernetesName(),
    /** Capacity types. @default ["on-demand"] */
    capacityTypes: z
      .array(z.enum(["on-demand", "spot", "reserved"], { error: "on-demand, spot or reserved" }))
      .min(1)
      .default(["on-demand"]),
    /** CPU architectures. @default ["amd64"] */
    architectures: z
      .array(z.enum(["amd64", "arm64"], { error: "amd64 or arm64" }))
      .min(1)
      .default(["amd64"]),
    /** EC2 instance categories (ignored with instanceTypes). @default ["c", "m", "r"] */
    instanceCategories: z
      .array(z.string().regex(/^[a-z]+$/, { error: "an instance category such as m" }))
      .min(1)
      .default(["c", "m", "r"]),
    /** Lowest EC2 instance generation (ignored with instanceTypes). @default 5 */
    minInstanceGeneration: z.number().int().min(1).max(20).default(5),
    /** Exact EC2 instance types instead of categories and generation. @default not set */
    instanceTypes: z
      .array(z.string().regex(/^[a-z0-9-]+\.[a-z0-9]+$/, { error: "EC2 instance types such as m6i.large" }))
      .min(1)
      .optional(),
    /** Node labels. @default {} */
    labels: z.record(z.string(), z.string()).default({}),
    /** Node taints. @default [] */
    taints: z.array(karpenterTaintSchema).default([]),
    /** vCPUs the pool may launch in total. @default 100 */
    cpuLimit: z.number().int().min(1).default(100),
    /** Memory the pool may launch in total, GiB. @default 400 */
    memoryLimitGiB: z.number().int().min(1).default(400),
    /** When nodes are consolidated. @default "WhenEmptyOrUnderutilized" */
    consolidationPolicy: z
      .enum(["WhenEmptyOrUnderutilized", "WhenEmpty"], { error: "WhenEmptyOrUnderutilized or WhenEmpty" })
      .default("WhenEmptyOrUnderutilized"),
    /** Wait before consolidating. @default "1m" */
    consolidateAfter: duration().default("1m"),
    /** Node lifetime before replacement (picks up new AMIs). @default "720h" */
    expireAfter: duration().default("720h"),
    /** Priority among NodePools (1-100, higher first). @default not set */
    weight: z.number().int().min(1).max(100).optional(),
  })
  .strict();

/** One NodePool as the schema returns it (defaults applied): the Karpenter component's argument. */
export type KarpenterNodePoolConfig = z.output<typeof karpenterNodePoolSchema>;
