/**
 * The `eks` provider plugin of the e2e run: the real pulumi-eks component provider
 * (`nodejs/eks/cmd/provider`, what the released `pulumi-resource-eks` binary packages), run from its
 * source. Two files its release build generates are supplied here, nothing else is changed:
 * `cmd/provider/schema.json` (the provider serves it from GetSchema; the engine does not need it to
 * construct components, so a minimal one) and the version in `package.json` (a `${VERSION}`
 * placeholder in source). The OIDC issuer's certificate is read from the local API server (below).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import Module from "node:module";
import { useNodeSourceMaps } from "../../../stacks/source-maps";
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

// With createOidcProvider, pulumi-eks reads the TLS certificate chain of the EKS OIDC issuer
// (https://oidc.eks.<region>.amazonaws.com) for the provider's thumbprint, at preview time. No
// network here: that one request goes to the local API server's TLS endpoint (trusting the e2e
// CA), so the real thumbprint code runs on a real chain.
const kubeEndpoint = process.env.E2E_KUBE_ENDPOINT;
const kubeCa = process.env.E2E_KUBE_CA;
type Get = (options: unknown, ...rest: unknown[]) => unknown;
// The module object itself: an `import * as` namespace is a read-only copy.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const httpsModule = require("node:https") as { get: Get };
const get = httpsModule.get;
httpsModule.get = (options: unknown, ...rest: unknown[]) => {
  const o = options as Record<string, unknown> | null;
  const host = String(o?.hostname ?? o?.host ?? "");
  if (kubeEndpoint && kubeCa && o && typeof o === "object" && /^oidc\.eks\./.test(host)) {
    const local = new URL(kubeEndpoint);
    options = {
      ...o,
      host: local.hostname,
      hostname: local.hostname,
      port: local.port,
      path: "/",
      ca: Buffer.from(kubeCa, "base64"),
      servername: undefined,
      checkServerIdentity: () => undefined,
    };
  }
  return get.call(httpsModule, options, ...rest);
};

// The upstream entry point calls main(process.argv.slice(2)) when loaded.
// eslint-disable-next-line @typescript-eslint/no-require-imports
require(path.join(root, "cmd/provider/index.ts"));
// main() installed source-map-support, blind to tsx's source maps and slow for the stack the SDK
// records per resource (stacks/source-maps.ts); Node.js's own source maps take over.
useNodeSourceMaps();
