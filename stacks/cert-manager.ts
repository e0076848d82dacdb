/**
 * The cert-manager capability: its config slice (`platform:certManager`) and the function that
 * builds components/cert-manager from it. docs/cert-manager.md explains it.
 */
import type { Resource } from "@pulumi/pulumi";
import { z } from "zod";
import { CertManager, PRIVATE_CA_ARN, privateCaIssuerDefaults } from "../components/cert-manager";
import type { CoreConfig } from "./core";
import type { SectionOf } from "./schema";
import type { Foundation } from "./foundation";
import { ConfigError, NAMESPACE, boolean, kubernetesName, structured } from "./schema";

/** A Route 53 hosted zone: id and domain. Shared with stacks/external-dns.ts. */
export const hostedZoneSchema = z
  .object({
    /** Hosted zone id, e.g. `Z0123456789ABCDEFGHIJ`. */
    id: z
      .string()
      .regex(/^Z[A-Z0-9]{1,31}$/, { error: "a Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ" }),
    /** The zone's domain, e.g. `numinia.xyz`. */
    name: z.string().regex(/^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, {
      error: "a DNS domain such as example.com",
    }),
  })
  .strict();

/** The `platform:certManager` object. */
const certManagerConfigSchema = z
  .object({
    /** Install cert-manager. @default true in production, false otherwise */
    enabled: boolean().optional(),
    /** Let's Encrypt ClusterIssuers with DNS-01 through Route 53. @default not set (no issuers) */
    acme: z
      .object({
        /** ACME account e-mail (expiry notices). */
        email: z.email({ error: "an e-mail address" }),
        /** Route 53 hosted zones the solver may answer challenges in. */
        hostedZones: z.array(hostedZoneSchema).min(1, { error: "at least one hosted zone" }),
      })
      .strict()
      .optional(),
    /**
     * An AWSPCAClusterIssuer issuing from an AWS Private CA (the aws-privateca-issuer chart).
     * @default not set (no Private CA issuer)
     */
    privateCa: z
      .object({
        /** The certificate authority's ARN; the issuer calls ACM PCA in the ARN's region. */
        arn: z.string().regex(PRIVATE_CA_ARN, {
          error:
            "an ACM Private CA certificate authority ARN such as arn:aws:acm-pca:eu-west-1:111122223333:certificate-authority/11111111-2222-3333-4444-555555555555",
        }),
        /** Name of the AWSPCAClusterIssuer. @default "aws-private-ca" */
        issuerName: kubernetesName().default(privateCaIssuerDefaults.issuerName),
      })
      .strict()
      .optional(),
  })
  .strict();

/** Config key of the capability (merged into the `platform` namespace by stacks/config.ts). */
export const certManagerSchema = {
  /** cert-manager and its ClusterIssuers (object, see docs/cert-manager.md). @default on in production */
  certManager: structured(certManagerConfigSchema)
    .prefault({})
    .describe(
      "cert-manager, its Let's Encrypt ClusterIssuers and optionally an AWS Private CA issuer (object, docs/cert-manager.md); on in production by default.",
    ),
};

/** What this capability reads of a stack's configuration: the core keys and its own. */
type StackConfig = CoreConfig & SectionOf<typeof certManagerSchema>;

/** True when the stack installs cert-manager (`enabled`, by default on in production). */
const certManagerOn = (config: Pick<StackConfig, "certManager" | "production">): boolean =>
  config.certManager.enabled ?? config.production;

/** The Private CA issuer is a cert-manager add-on: refused (ConfigError) on a stack without cert-manager. */
export function certManagerChecks(config: Pick<StackConfig, "certManager" | "production">): void {
  if (config.certManager.privateCa && !certManagerOn(config)) {
    throw new ConfigError(
      `${NAMESPACE}:certManager.enabled`,
      config.certManager.enabled,
      "true when privateCa is set (the AWS Private CA issuer is a cert-manager add-on; cert-manager is off on this stack)",
    );
  }
}

/** Builds cert-manager on the stack's cluster when enabled (scraped by `prometheusStack`'s Prometheus). */
export function buildCertManager(
  config: StackConfig,
  foundation: Foundation,
  prometheusStack?: Resource,
): CertManager | undefined {
  if (!certManagerOn(config)) return undefined;
  return new CertManager(config.stack, {
    clusterName: config.clusterName,
    eksClusterName: foundation.cluster.clusterName,
    kubernetesVersion: config.kubernetesVersion,
    region: config.region,
    acme: config.certManager.acme,
    privateCa: config.certManager.privateCa,
    provider: foundation.provider,
    production: config.production,
    tags: foundation.tags,
    prometheusStack,
  });
}
