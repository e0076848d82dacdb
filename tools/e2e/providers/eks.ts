/**
 * The `eks` provider plugin of the e2e run: the real pulumi-eks component provider
 * (`nodejs/eks/cmd/provider`, what the released `pulumi-resource-eks` binary packages), run from its
 * source. Two files its release build generates are supplied here, nothing else is changed:
 * `cmd/provider/schema.json` (the provider serves it from GetSchema; the engine does not need it to
 * construct components, so a minimal one) and the version in `package.json` (a `${VERSION}`
 * placeholder in source).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import Module from "node:module";
import { upstream } from "./upstream";

const version = process.env.E2E_EKS_VERSION ?? "4.3.0";
const root = upstream(`pulumi-eks-v${version}`);
const generated = fs.mkdtempSync(path.join(os.tmpdir(), "e2e-eks-"));
fs.writeFileSync(path.join(generated, "schema.json"), JSON.stringify({ name: "eks", version }));
fs.writeFileSync(path.join(generated, "package.json"), JSON.stringify({ name: "@pulumi/eks", version }));

type Resolve = (request: string, parent: { filename?: string } | undefined, ...rest: unknown[]) => string;
const moduleInternals = Module as unknown as { _resolveFilename: Resolve };
const resolve = moduleInternals._resolveFilename;
moduleInternals._resolveFilename = function (request, parent, ...rest) {
  const from = parent?.filename ?? "";
  if (from.startsWith(root)) {
    if (request === "./schema.json" && from.includes(`${path.sep}cmd${path.sep}provider${path.sep}`)) {
      return path.join(generated, "schema.json");
    }
    if (request === "./package.json" && path.dirname(from) === root)
      return path.join(generated, "package.json");
  }
  return resolve.call(this, request, parent, ...rest);
};

// The upstream entry point calls main(process.argv.slice(2)) when loaded.
// eslint-disable-next-line @typescript-eslint/no-require-imports
require(path.join(root, "cmd/provider/index.ts"));
