/**
 * A `tls` resource provider for the e2e run (docs/e2e.md). The real pulumi-tls is a bridged
 * Terraform provider that the Go module proxy reachable here does not serve (403 for
 * `github.com/pulumi/pulumi-tls/provider/v5`), so this one implements the four resources the
 * platform uses with OpenSSL: the keys and certificates are real (the Secrets written from them hold
 * a valid chain), only the provider is ours.
 *
 * - `tls:index/privateKey:PrivateKey`: RSA, ECDSA (P224/P256/P384/P521) or ED25519; PEM as the
 *   Terraform provider gives it (PKCS#1/SEC1 `privateKeyPem`, PKCS#8 `privateKeyPemPkcs8`), the
 *   public key PEM and its SHA-256 fingerprint (no OpenSSH form: the platform does not read it).
 * - `tls:index/selfSignedCert:SelfSignedCert`, `tls:index/certRequest:CertRequest`,
 *   `tls:index/locallySignedCert:LocallySignedCert`: `openssl req` / `openssl x509 -req` with the
 *   subject, DNS names, validity (rounded up to days) and key usages asked.
 *
 * As in the Terraform provider every input forces a replacement.
 * https://registry.terraform.io/providers/hashicorp/tls/latest/docs
 */
import { spawnSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as provider from "@pulumi/pulumi/provider";
import { changedInputs, unsetOutputs } from "./outputs";

type Props = Record<string, unknown>;

/** Pulumi's signature key of a secret value in provider requests. */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";

/** The inputs with secret values (the engine passes the keys as secrets) unwrapped. */
export function revealSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(revealSecrets);
  if (value && typeof value === "object") {
    const o = value as Props;
    if (o[SECRET_SIG] === "1b47061264138c4ac30d75fd1eb44270") return revealSecrets(o.value);
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, revealSecrets(v)]));
  }
  return value;
}

interface Subject {
  commonName?: string;
  organization?: string;
  organizationalUnit?: string;
  country?: string;
  locality?: string;
  province?: string;
}

/** `-subj` of openssl: `/CN=.../O=...`. */
function subjectArg(subject: Subject | undefined): string {
  const parts: [string, string | undefined][] = [
    ["C", subject?.country],
    ["ST", subject?.province],
    ["L", subject?.locality],
    ["O", subject?.organization],
    ["OU", subject?.organizationalUnit],
    ["CN", subject?.commonName],
  ];
  const subj = parts
    .filter(([, v]) => v)
    .map(([k, v]) => `/${k}=${v!.replace(/[/\\]/g, "\\$&")}`)
    .join("");
  return subj || "/";
}

/** Terraform's `allowed_uses` as OpenSSL extension lines. */
function usageExtensions(uses: string[], isCa: boolean, dnsNames: string[]): string {
  const key: Record<string, string> = {
    digital_signature: "digitalSignature",
    content_commitment: "nonRepudiation",
    key_encipherment: "keyEncipherment",
    data_encipherment: "dataEncipherment",
    key_agreement: "keyAgreement",
    cert_signing: "keyCertSign",
    crl_signing: "cRLSign",
    encipher_only: "encipherOnly",
    decipher_only: "decipherOnly",
  };
  const extended: Record<string, string> = {
    server_auth: "serverAuth",
    client_auth: "clientAuth",
    code_signing: "codeSigning",
    email_protection: "emailProtection",
    timestamping: "timeStamping",
    ocsp_signing: "OCSPSigning",
  };
  const unknown = uses.filter((u) => !(u in key) && !(u in extended));
  if (unknown.length > 0) throw new Error(`tls: unsupported allowedUses ${unknown.join(", ")}`);
  const lines = [`basicConstraints = critical, CA:${isCa ? "TRUE" : "FALSE"}`];
  const ku = uses.filter((u) => u in key).map((u) => key[u]);
  const eku = uses.filter((u) => u in extended).map((u) => extended[u]);
  if (ku.length > 0) lines.push(`keyUsage = critical, ${ku.join(", ")}`);
  if (eku.length > 0) lines.push(`extendedKeyUsage = ${eku.join(", ")}`);
  if (dnsNames.length > 0) lines.push(`subjectAltName = ${dnsNames.map((d) => `DNS:${d}`).join(", ")}`);
  lines.push("subjectKeyIdentifier = hash");
  return lines.join("\n") + "\n";
}

/** Runs openssl in a scratch directory holding `files`; returns stdout. */
function openssl(files: Record<string, string>, args: string[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "e2e-tls-"));
  try {
    for (const [name, content] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), content);
    const r = spawnSync("openssl", args, { cwd: dir, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`openssl ${args[0]}: ${r.stderr.trim()}`);
    return r.stdout;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function validity(hours: number): { days: string; start: string; end: string } {
  const days = Math.max(1, Math.ceil(hours / 24));
  const now = new Date();
  const end = new Date(now.getTime() + days * 24 * 3600 * 1000);
  return { days: String(days), start: now.toISOString(), end: end.toISOString() };
}

function privateKey(inputs: Props): Props {
  const algorithm = (inputs.algorithm as string | undefined) ?? "RSA";
  let pair: crypto.KeyPairKeyObjectResult;
  if (algorithm === "RSA")
    pair = crypto.generateKeyPairSync("rsa", {
      modulusLength: (inputs.rsaBits as number | undefined) ?? 2048,
    });
  else if (algorithm === "ECDSA") {
    const curves: Record<string, string> = {
      P224: "secp224r1",
      P256: "prime256v1",
      P384: "secp384r1",
      P521: "secp521r1",
    };
    const curve = curves[(inputs.ecdsaCurve as string | undefined) ?? "P224"];
    if (!curve) throw new Error(`tls: unsupported ecdsaCurve ${String(inputs.ecdsaCurve)}`);
    pair = crypto.generateKeyPairSync("ec", { namedCurve: curve });
  } else if (algorithm === "ED25519") pair = crypto.generateKeyPairSync("ed25519");
  else throw new Error(`tls: unsupported algorithm ${algorithm}`);
  const legacy = algorithm === "RSA" ? "pkcs1" : algorithm === "ECDSA" ? "sec1" : "pkcs8";
  const publicKeyPem = pair.publicKey.export({ type: "spki", format: "pem" }) as string;
  const der = pair.publicKey.export({ type: "spki", format: "der" });
  return {
    ...inputs,
    algorithm,
    privateKeyPem: pair.privateKey.export({ type: legacy as "pkcs1", format: "pem" }) as string,
    privateKeyPemPkcs8: pair.privateKey.export({ type: "pkcs8", format: "pem" }) as string,
    publicKeyPem,
    publicKeyFingerprintSha256: `SHA256:${crypto.createHash("sha256").update(der).digest("base64").replace(/=+$/, "")}`,
  };
}

function selfSignedCert(inputs: Props): Props {
  const v = validity(inputs.validityPeriodHours as number);
  const ext = usageExtensions(
    (inputs.allowedUses as string[] | undefined) ?? [],
    inputs.isCaCertificate === true,
    (inputs.dnsNames as string[] | undefined) ?? [],
  );
  const config = `[req]\ndistinguished_name = dn\nx509_extensions = v3\n[dn]\n[v3]\n${ext}`;
  const certPem = openssl({ "key.pem": inputs.privateKeyPem as string, "req.cnf": config }, [
    "req",
    "-x509",
    "-new",
    "-key",
    "key.pem",
    "-subj",
    subjectArg(inputs.subject as Subject | undefined),
    "-days",
    v.days,
    "-config",
    "req.cnf",
  ]);
  return { ...inputs, certPem, validityStartTime: v.start, validityEndTime: v.end, readyForRenewal: false };
}

function certRequest(inputs: Props): Props {
  const dnsNames = (inputs.dnsNames as string[] | undefined) ?? [];
  const args = ["req", "-new", "-key", "key.pem", "-subj", subjectArg(inputs.subject as Subject | undefined)];
  if (dnsNames.length > 0)
    args.push("-addext", `subjectAltName = ${dnsNames.map((d) => `DNS:${d}`).join(", ")}`);
  args.push("-config", "req.cnf");
  const config = "[req]\ndistinguished_name = dn\n[dn]\n";
  return {
    ...inputs,
    certRequestPem: openssl({ "key.pem": inputs.privateKeyPem as string, "req.cnf": config }, args),
  };
}

function locallySignedCert(inputs: Props): Props {
  const v = validity(inputs.validityPeriodHours as number);
  const csr = inputs.certRequestPem as string;
  // The request's DNS names, as the Terraform provider copies them into the certificate.
  const text = openssl({ "req.pem": csr }, ["req", "-in", "req.pem", "-noout", "-text"]);
  const san = /X509v3 Subject Alternative Name:\s*\n\s*(.+)/.exec(text)?.[1] ?? "";
  const dnsNames = [...san.matchAll(/DNS:([^,\s]+)/g)].map((m) => m[1]);
  const ext = usageExtensions(
    (inputs.allowedUses as string[] | undefined) ?? [],
    inputs.isCaCertificate === true,
    dnsNames,
  );
  const certPem = openssl(
    {
      "req.pem": csr,
      "ca.pem": inputs.caCertPem as string,
      "ca.key": inputs.caPrivateKeyPem as string,
      "ext.cnf": ext,
    },
    [
      "x509",
      "-req",
      "-in",
      "req.pem",
      "-CA",
      "ca.pem",
      "-CAkey",
      "ca.key",
      "-set_serial",
      `0x${crypto.randomBytes(16).toString("hex")}`,
      "-days",
      v.days,
      "-extfile",
      "ext.cnf",
    ],
  );
  return { ...inputs, certPem, validityStartTime: v.start, validityEndTime: v.end, readyForRenewal: false };
}

/** The outputs of each resource type created from its inputs. */
export const CREATE: Record<string, (inputs: Props) => Props> = {
  "tls:index/privateKey:PrivateKey": privateKey,
  "tls:index/selfSignedCert:SelfSignedCert": selfSignedCert,
  "tls:index/certRequest:CertRequest": certRequest,
  "tls:index/locallySignedCert:LocallySignedCert": locallySignedCert,
};

class Tls implements provider.Provider {
  readonly version = process.env.E2E_TLS_VERSION ?? "5.6.1";

  async check(_urn: string, _olds: Props, news: Props): Promise<provider.CheckResult> {
    return { inputs: news };
  }

  async diff(_id: string, _urn: string, olds: Props, news: Props): Promise<provider.DiffResult> {
    const keys = changedInputs(olds, news);
    return { changes: keys.length > 0, replaces: keys, deleteBeforeReplace: false };
  }

  async create(urn: string, inputs: Props): Promise<provider.CreateResult> {
    const type = urn.split("::")[2].split("$").pop()!;
    const create = CREATE[type];
    if (!create) throw new Error(`tls: resource type ${type} is not implemented by the e2e provider`);
    return {
      id: crypto.randomUUID(),
      outs: { ...unsetOutputs("tls", type), ...create(revealSecrets(inputs) as Props), __inputs: inputs },
    };
  }

  async delete(): Promise<void> {}
}

if (require.main === module) void provider.main(new Tls(), process.argv.slice(2));
