/**
 * The External Secrets capability: its config slice (`platform:externalSecrets`) and the function
 * that builds components/external-secrets from it, with one SecretStore per organization
 * environment that has Secrets Manager prefixes. docs/external-secrets.md explains it.
 */
import type * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { ExternalSecrets, type SecretStoreArgs } from "../components/external-secrets";
import { namespaceName } from "../components/tenancy";
import type { CoreConfig } from "./core";
import type { SectionOf } from "./schema";
import type { tenancySchema } from "./tenancy";
import type { Foundation } from "./foundation";
import { boolean, structured } from "./schema";

/** The `platform:externalSecrets` object. */
const externalSecretsConfigSchema = z
  .object({
    /** Install External Secrets Operator. @default true in production, false otherwise */
    enabled: boolean().optional(),
  })
  .strict();

/** Config key of the capability (merged into the `platform` namespace by stacks/config.ts). */
export const externalSecretsSchema = {
  /** External Secrets Operator and per-environment SecretStores (object, see docs/external-secrets.md). @default on in production */
  externalSecrets: structured(externalSecretsConfigSchema)
    .prefault({})
    .describe(
      "External Secrets Operator and per-environment SecretStores (object, docs/external-secrets.md); on in production by default.",
    ),
};

/** What this capability reads of a stack's configuration: the core keys and its own. */
type StackConfig = CoreConfig & SectionOf<typeof externalSecretsSchema> & SectionOf<typeof tenancySchema>;

/**
 * The SecretStores of a stack: one per organization environment whose (own or inherited)
 * `secretArnPrefixes` are not empty, in the environment's namespace.
 */
export function secretStores(config: Pick<StackConfig, "organizations">): SecretStoreArgs[] {
  return config.organizations.flatMap((org) =>
    org.environments.flatMap((env) => {
      const prefixes = env.secretArnPrefixes ?? org.secretArnPrefixes;
      if (prefixes.length === 0) return [];
      return [
        {
          organization: org.name,
          environment: env.name,
          namespace: namespaceName(org.name, env.name, env.namespace),
          secretArnPrefixes: prefixes,
        },
      ];
    }),
  );
}

/**
 * Builds External Secrets on the stack's cluster when enabled.
 * @param organizations What the SecretStores wait for: the tenant Organization components.
 */
export function buildExternalSecrets(
  config: StackConfig,
  foundation: Foundation,
  organizations: pulumi.Resource[],
): ExternalSecrets | undefined {
  if (!(config.externalSecrets.enabled ?? config.production)) return undefined;
  return new ExternalSecrets(config.stack, {
    clusterName: config.clusterName,
    eksClusterName: foundation.cluster.clusterName,
    kubernetesVersion: config.kubernetesVersion,
    region: config.region,
    stores: secretStores(config),
    storesDependOn: organizations,
    provider: foundation.provider,
    production: config.production,
    tags: foundation.tags,
  });
}
