/**
 * The e2e run's tls provider (tools/e2e/providers/tls.ts) issues what the platform's TelemetryCa
 * asks for: a CA and a server certificate that OpenSSL verifies against it, with the DNS names,
 * usages and validity asked.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { CREATE, revealSecrets } from "../tools/e2e/providers/tls";

const create = (type: string, inputs: Record<string, unknown>): Record<string, unknown> =>
  CREATE[`tls:index/${type}`](inputs);

function openssl(files: Record<string, unknown>, ...args: string[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tls-test-"));
  for (const [name, content] of Object.entries(files))
    fs.writeFileSync(path.join(dir, name), String(content));
  const r = spawnSync("openssl", args, { cwd: dir, encoding: "utf8" });
  fs.rmSync(dir, { recursive: true, force: true });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

describe("e2e tls provider", function () {
  before(function () {
    if (spawnSync("openssl", ["version"]).error) {
      console.log("skipping: no openssl on PATH (the e2e tls provider runs it)");
      this.skip();
    }
  });

  it("issues a CA and a server certificate that verifies against it", () => {
    const caKey = create("privateKey:PrivateKey", { algorithm: "ECDSA", ecdsaCurve: "P384" });
    assert.match(String(caKey.privateKeyPem), /^-----BEGIN EC PRIVATE KEY-----/);
    const ca = create("selfSignedCert:SelfSignedCert", {
      privateKeyPem: caKey.privateKeyPem,
      isCaCertificate: true,
      subject: { commonName: "hub telemetry CA", organization: "platform" },
      validityPeriodHours: 87600,
      allowedUses: ["cert_signing", "crl_signing"],
    });
    const key = create("privateKey:PrivateKey", { algorithm: "ECDSA", ecdsaCurve: "P256" });
    const request = create("certRequest:CertRequest", {
      privateKeyPem: key.privateKeyPem,
      subject: { commonName: "logs-es-http" },
      dnsNames: ["logs-es-http", "logs-es-http.logging.svc"],
    });
    const cert = create("locallySignedCert:LocallySignedCert", {
      certRequestPem: request.certRequestPem,
      caPrivateKeyPem: caKey.privateKeyPem,
      caCertPem: ca.certPem,
      validityPeriodHours: 8760,
      allowedUses: ["digital_signature", "key_encipherment", "server_auth"],
    });
    assert.equal(
      openssl(
        { "ca.pem": ca.certPem, "cert.pem": cert.certPem },
        "verify",
        "-CAfile",
        "ca.pem",
        "cert.pem",
      ).trim(),
      "cert.pem: OK",
    );
    const caText = openssl({ "ca.pem": ca.certPem }, "x509", "-in", "ca.pem", "-noout", "-text");
    assert.match(caText, /Subject: O = platform, CN = hub telemetry CA/);
    assert.match(caText, /CA:TRUE/);
    assert.match(caText, /Certificate Sign, CRL Sign/);
    const text = openssl({ "cert.pem": cert.certPem }, "x509", "-in", "cert.pem", "-noout", "-text");
    assert.match(text, /DNS:logs-es-http, DNS:logs-es-http\.logging\.svc/);
    assert.match(text, /TLS Web Server Authentication/);
    assert.match(text, /Digital Signature, Key Encipherment/);
    const days =
      (Date.parse(String(cert.validityEndTime)) - Date.parse(String(cert.validityStartTime))) / 86400e3;
    assert.equal(days, 365);
  });

  it("refuses what it does not implement instead of issuing something else", () => {
    assert.throws(() => create("privateKey:PrivateKey", { algorithm: "DSA" }), /unsupported algorithm DSA/);
    assert.throws(
      () =>
        create("selfSignedCert:SelfSignedCert", {
          privateKeyPem: create("privateKey:PrivateKey", { algorithm: "ED25519" }).privateKeyPem,
          validityPeriodHours: 1,
          allowedUses: ["any_extended"],
        }),
      /unsupported allowedUses any_extended/,
    );
  });

  it("reads keys the engine passes as secrets", () => {
    const secret = { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value: "PEM" };
    assert.deepEqual(revealSecrets({ privateKeyPem: secret, dnsNames: ["a", secret] }), {
      privateKeyPem: "PEM",
      dnsNames: ["a", "PEM"],
    });
  });
});
