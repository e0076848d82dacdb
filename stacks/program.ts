/**
 * The stack program: validate the configuration, then build the hub or a spoke.
 * index.ts runs it under the Pulumi engine; tools/plan runs it under the mock runtime.
 */
import * as pulumi from "@pulumi/pulumi";
import { loadConfig } from "./config";
import { hubStack } from "./hub";
import { spokeStack } from "./spoke";

/**
 * Runs the program of the current stack and returns its outputs.
 * @param raw Raw config (`pulumi.runtime.allConfig()` by default).
 * @throws ConfigError on bad configuration, before any resource is registered.
 */
export async function runProgram(
  raw: Record<string, string | undefined> = pulumi.runtime.allConfig(),
  stack: string = pulumi.getStack(),
  project: string = pulumi.getProject(),
): Promise<Record<string, unknown>> {
  const config = loadConfig(raw, stack, project);
  if (config.role === "hub") return { ...(await hubStack(config)) };
  return { ...(await spokeStack(config)) };
}
