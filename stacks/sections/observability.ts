/**
 * Config keys of the observability capability (merged into the `platform` namespace by stacks/config.ts).
 * Reference: docs/observability.md.
 */
import { z } from "zod";
import { ConfigError, NAMESPACE, integer } from "../schema";
import type { RoleOnly, SectionConfig, SectionOf } from "./types";

/** What the offline plan passes for a `secure:` value it cannot decrypt (tools/plan). */
const PLAN_SECRET_PLACEHOLDER = "[secret]";

const password = (min: number) =>
  z.string().refine((v) => v === PLAN_SECRET_PLACEHOLDER || v.length >= min, {
    error: `a password of at least ${min} characters (set it with pulumi config set --secret)`,
  });

/** Keys of this section: zod schemas with TSDoc and @default. */
export const observabilitySchema = {
  /** Hub: Prometheus retention, a Prometheus duration (`15d`, `720h`). https://prometheus.io/docs/prometheus/latest/storage/ @default "15d" */
  prometheusRetention: z
    .string()
    .regex(/^[1-9]\d*(ms|s|m|h|d|w|y)$/, { error: "a Prometheus duration such as 15d or 720h" })
    .default("15d"),
  /** Hub: size of the Prometheus volume (gp3), GiB. @default 100 */
  prometheusStorageGiB: integer(10, 16384).default(100),
  /** Hub: Grafana admin password (secret, >= 12 characters). @default generated on the first up and kept in the cluster */
  grafanaAdminPassword: password(12).optional(),
  /** Hub: password of the Elasticsearch `log-shipper` user spokes ship with (secret). @default generated on the first up and kept */
  logShipperPassword: password(16).optional(),
  /** Hub: Elasticsearch nodes (master+data); 3 or more in production. @default 3 */
  elasticsearchNodeCount: integer(1, 15).default(3),
  /** Hub: Elasticsearch volume per node (gp3), GiB. @default 100 */
  elasticsearchStorageGiB: integer(10, 65536).default(100),
  /** Hub: memory per Elasticsearch node, GiB (request = limit; the JVM heap is half). @default 4 */
  elasticsearchMemoryGiB: integer(2, 64).default(4),
  /** Hub: days an index of shipped logs is kept (ILM delete phase). @default 30 */
  logRetentionDays: integer(1, 3650).default(30),
};

/** Keys that only one role reads (the central stores live on the hub; spokes ship to them). */
export const observabilityRoles: RoleOnly<typeof observabilitySchema> = {
  prometheusRetention: "hub",
  prometheusStorageGiB: "hub",
  grafanaAdminPassword: "hub",
  logShipperPassword: "hub",
  elasticsearchNodeCount: "hub",
  elasticsearchStorageGiB: "hub",
  elasticsearchMemoryGiB: "hub",
  logRetentionDays: "hub",
};

/** The keys of this section as they appear on the validated config. */
export type ObservabilityConfig = SectionOf<typeof observabilitySchema>;

/** Cross-key rules of this section; throws ConfigError on bad input. */
export function observabilityChecks(config: SectionConfig<typeof observabilitySchema>): void {
  const c = config;
  if (c.role === "hub" && c.production && c.elasticsearchNodeCount < 3) {
    throw new ConfigError(
      `${NAMESPACE}:elasticsearchNodeCount`,
      c.elasticsearchNodeCount,
      "at least 3 nodes in production (a master quorum survives the loss of one node)",
    );
  }
}
