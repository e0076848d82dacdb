/**
 * Building blocks shared by the hub and spoke observability components: labelled namespaces,
 * credential Secrets (given or generated once), the Fluent Bit release.
 */
import { randomBytes } from "node:crypto";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { fluentBitValues, type FluentBitValuesArgs } from "./values";
import { addonNamespace, release, type K8sOpts } from "../shared/helm";
import { versions } from "./versions";

/** A namespace of the observability capability (see {@link addonNamespace}). */
export function platformNamespace(
  name: string,
  namespace: string,
  podSecurity: "privileged" | "baseline" | "restricted",
  opts: K8sOpts,
): k8s.core.v1.Namespace {
  return addonNamespace(name, namespace, podSecurity, opts, "platform-observability");
}

/** A fresh 32-byte URL-safe password. */
function generatePassword(): string {
  return randomBytes(32).toString("base64url");
}

/**
 * A credential Secret whose password is given (a Pulumi secret from config) or, when absent,
 * generated on the first `pulumi up` and kept afterwards (`ignoreChanges: ["data"]`: later runs
 * generate a new candidate that is never applied). Returns the Secret and the stored password, read
 * back from the Secret's own output so every consumer sees the persisted value.
 */
export function credentialSecret(
  name: string,
  args: {
    namespace: pulumi.Input<string>;
    secretName: string;
    username: string;
    password?: pulumi.Input<string>;
    type?: string;
    passwordKey?: string;
    usernameKey?: string;
    extra?: Record<string, string>;
  },
  opts: K8sOpts,
): { secret: k8s.core.v1.Secret; password: pulumi.Output<string> } {
  const passwordKey = args.passwordKey ?? "password";
  const usernameKey = args.usernameKey ?? "username";
  const given = args.password !== undefined;
  const password = pulumi.secret(pulumi.output(args.password ?? generatePassword()));
  const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");
  const secret = new k8s.core.v1.Secret(
    name,
    {
      metadata: {
        name: args.secretName,
        namespace: args.namespace,
        labels: { "app.kubernetes.io/part-of": "platform-observability" },
      },
      type: args.type ?? "Opaque",
      data: password.apply((p) => ({
        [usernameKey]: b64(args.username),
        [passwordKey]: b64(p),
        ...Object.fromEntries(Object.entries(args.extra ?? {}).map(([k, v]) => [k, b64(v)])),
      })),
    },
    { ...opts, ...(given ? {} : { ignoreChanges: ["data"] }), additionalSecretOutputs: ["data"] },
  );
  const stored = pulumi.secret(
    secret.data.apply((d) => Buffer.from(d[passwordKey], "base64").toString("utf8")),
  );
  return { secret, password: stored };
}

/** Arguments of {@link logShipperRelease}. */
export type LogShipperArgs = FluentBitValuesArgs & { readonly namespace: pulumi.Input<string> };

/** The Fluent Bit DaemonSet of a cluster (chart fluent/fluent-bit). */
export function logShipperRelease(name: string, args: LogShipperArgs, opts: K8sOpts): k8s.helm.v3.Release {
  return release(`${name}-fluent-bit`, versions.fluentBit, args.namespace, fluentBitValues(args), opts);
}
