/**
 * The stack program: validate the configuration, then build the hub or a spoke.
 * index.ts runs it under the Pulumi engine; tools/plan runs it under the mock runtime.
 */
import * as pulumi from "@pulumi/pulumi";
import { registerChartMirror } from "./chart-mirror";
import { loadConfig } from "./config";
import { hubStack } from "./hub";
import { spokeStack } from "./spoke";

/**
 * True when Pulumi marks the config key secret. The language host passes the secret keys next to
 * the config (`PULUMI_CONFIG_SECRET_KEYS`); `pulumi.runtime.setAllConfig(config, secretKeys)` sets
 * them under mocks. The SDK exports the reader at run time without a type declaration.
 */
export function isConfigSecret(key: string): boolean {
  const runtime = pulumi.runtime as unknown as { isConfigSecret?: (k: string) => boolean };
  if (runtime.isConfigSecret) return runtime.isConfigSecret(key);
  const keys: unknown = JSON.parse(process.env.PULUMI_CONFIG_SECRET_KEYS ?? "[]");
  return Array.isArray(keys) && keys.includes(key);
}

/**
 * Runs the program of the current stack and returns its outputs.
 * @param raw Raw config (`pulumi.runtime.allConfig()` by default).
 * @param isSecret Whether a config key is a Pulumi secret. @default {@link isConfigSecret}
 * @throws ConfigError on bad configuration, before any resource is registered.
 */
export async function runProgram(
  raw: Record<string, string | undefined> = pulumi.runtime.allConfig(),
  stack: string = pulumi.getStack(),
  project: string = pulumi.getProject(),
  isSecret: (key: string) => boolean = isConfigSecret,
): Promise<Record<string, unknown>> {
  const config = loadConfig(raw, stack, project, { isSecret });
  if (config.chartMirror) registerChartMirror(config.chartMirror);
  if (config.role === "hub") return { ...(await hubStack(config)) };
  return { ...(await spokeStack(config)) };
}
