/**
 * The `awsx` provider plugin of the e2e run: the real pulumi-awsx `ec2.Vpc` component, run from
 * its source. Upstream's provider entry point (`index.ts` + `resources.ts`) also loads the ECR, ECS
 * and load-balancer components, which need Docker packages this project does not install; the
 * platform uses only `awsx:ec2:Vpc`, so this entry point constructs that one component exactly as
 * upstream's `Provider.construct` does (`resourceToConstructResult` from upstream's utils.ts).
 */
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { useNodeSourceMaps } from "../../../stacks/source-maps";
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
// main() installed source-map-support, blind to tsx's source maps and slow for the stack the SDK
// records per resource (stacks/source-maps.ts); Node.js's own source maps take over.
useNodeSourceMaps();

// Diagnosis aid (docs/e2e.md, defects): with @pulumi/pulumi 3.276 the construct response of
// awsx:ec2:Vpc carries `undefined` values that google-protobuf's Struct.fromJavaScript rejects
// ("Unexpected struct type."). Drop them (JSON semantics, as the SDK's own serializer does for
// object keys) and report where they were.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const structproto = require("google-protobuf/google/protobuf/struct_pb") as {
  Struct: { fromJavaScript: (o: unknown) => unknown };
};
const fromJavaScript = structproto.Struct.fromJavaScript;
function undefinedPaths(value: unknown, at: string, out: string[]): string[] {
  if (value === undefined) out.push(at);
  else if (Array.isArray(value)) value.forEach((v, i) => undefinedPaths(v, `${at}[${i}]`, out));
  else if (value && typeof value === "object")
    for (const [k, v] of Object.entries(value)) undefinedPaths(v, `${at}.${k}`, out);
  return out;
}
structproto.Struct.fromJavaScript = (o: unknown) => {
  const paths = undefinedPaths(o, "", []);
  if (paths.length > 0)
    console.error(`[e2e awsx] dropping undefined values at ${paths.slice(0, 10).join(", ")}`);
  return fromJavaScript(paths.length > 0 ? JSON.parse(JSON.stringify(o)) : o);
};
