/**
 * Entry point: reads `platform:role` and runs the hub or the spoke program (stacks/program.ts).
 * A configuration mistake ends the run with its one-line message and no stack trace.
 */
import * as pulumi from "@pulumi/pulumi";
import { ConfigError } from "./stacks/config";
import { runProgram } from "./stacks/program";
import { useNodeSourceMaps } from "./stacks/source-maps";

// Before any resource: the SDK records a stack trace for each (stacks/source-maps.ts).
useNodeSourceMaps();

export = async (): Promise<Record<string, unknown>> => {
  try {
    return await runProgram();
  } catch (error) {
    if (error instanceof ConfigError) throw new pulumi.RunError(error.message);
    throw error;
  }
};
