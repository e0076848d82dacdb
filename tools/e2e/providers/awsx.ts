/**
 * The `awsx` provider plugin of the e2e run: the real pulumi-awsx `ec2.Vpc` component, run from
 * its source. Upstream's provider entry point (`index.ts` + `resources.ts`) also loads the ECR, ECS
 * and load-balancer components, which need Docker packages this project does not install; the
 * platform uses only `awsx:ec2:Vpc`, so this entry point constructs that one component exactly as
 * upstream's `Provider.construct` does (`resourceToConstructResult` from upstream's utils.ts).
 */
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { upstream } from "./upstream";

const version = process.env.E2E_AWSX_VERSION ?? "3.8.0";
const root = upstream(`pulumi-awsx-v${version}`);
// eslint-disable-next-line @typescript-eslint/no-require-imports
const ec2 = require(path.join(root, "ec2")) as { Vpc: new (...args: unknown[]) => pulumi.ComponentResource };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const utils = require(path.join(root, "utils")) as {
  resourceToConstructResult: (r: pulumi.ComponentResource) => pulumi.provider.ConstructResult;
};

class AwsxProvider implements pulumi.provider.Provider {
  readonly version = version;

  async construct(
    name: string,
    type: string,
    inputs: pulumi.Inputs,
    options: pulumi.ComponentResourceOptions,
  ): Promise<pulumi.provider.ConstructResult> {
    if (type !== "awsx:ec2:Vpc") {
      throw new Error(`the e2e awsx provider constructs awsx:ec2:Vpc only, not ${type}`);
    }
    return utils.resourceToConstructResult(new ec2.Vpc(name, inputs, options));
  }
}

void pulumi.provider.main(new AwsxProvider(), process.argv.slice(2));
