/**
 * The hub's telemetry certificate authority: a CA Pulumi generates and keeps in its state, and the
 * server certificate of the hub's Elasticsearch HTTP endpoint it signs (ECK's "custom HTTP
 * certificate"). Spokes receive the CA certificate (not its key) through the hub's stack outputs and
 * verify the hub with it: no certificate is copied by hand.
 * https://www.elastic.co/docs/deploy-manage/security/k8s-https-settings#k8s-setting-up-your-own-certificate
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import type { K8sOpts } from "../shared/helm";
import { names, namespaces } from "./values";

/** Lifetimes, hours. */
const telemetryCaDefaults = {
  /** The CA: 10 years. */
  caValidityHours: 10 * 365 * 24,
  /** A server certificate: 1 year. */
  serverValidityHours: 365 * 24,
  /** Any `pulumi up` in a server certificate's last 30 days issues a new one. */
  serverEarlyRenewalHours: 30 * 24,
} as const;

/** Name of the Secret ECK reads the Elasticsearch HTTP certificate from (`tls.crt`, `tls.key`, `ca.crt`). */
export const elasticsearchHttpCertSecret = `${names.elastic}-es-http-custom-tls`;

/** DNS names of the Elasticsearch HTTP certificate: ECK's Service names and the internal NLB. */
export function elasticsearchDnsNames(loadBalancerHost: string): string[] {
  const service = `${names.elastic}-es-http`;
  return [
    service,
    `${service}.${namespaces.logging}`,
    `${service}.${namespaces.logging}.svc`,
    `${service}.${namespaces.logging}.svc.cluster.local`,
    loadBalancerHost,
  ];
}

/** RFC 5280's upper bound of a certificate's common name (ub-common-name), characters. */
const MAX_COMMON_NAME_LENGTH = 64;

/**
 * The common name of a server certificate: its first DNS name that fits in a common name (at most
 * 64 characters, RFC 5280 ub-common-name). An NLB's DNS name (`k8s-<ns>-<svc>-<hash>.elb.<region>.amazonaws.com`)
 * is often longer, and OpenSSL and other X.509 encoders refuse such a subject. Clients match the
 * subject alternative names, which keep every DNS name. `undefined` when none fits (no common name).
 * https://www.rfc-editor.org/rfc/rfc5280#appendix-A.1
 */
export function serverCommonName(dnsNames: readonly string[]): string | undefined {
  return dnsNames.find((name) => name.length <= MAX_COMMON_NAME_LENGTH);
}

/** One server certificate the CA issues into a `kubernetes.io/tls` Secret (with `ca.crt`). */
export interface TelemetryServer {
  /** Secret name. */
  readonly secretName: string;
  /** Secret namespace. */
  readonly namespace: string;
  /** The certificate's DNS names (the first of at most 64 characters is also its common name: {@link serverCommonName}). */
  readonly dnsNames: pulumi.Input<string[]>;
}

/** Arguments of {@link TelemetryCa}. */
export interface TelemetryCaArgs {
  /** EKS cluster name (the CA's common name). */
  readonly clusterName: string;
  /** The server certificates to issue, by a short name (resource names). */
  readonly servers: Readonly<Record<string, TelemetryServer>>;
}

/** The hub's telemetry CA and the server certificate Secrets it signs (Elasticsearch HTTP, the remote-write gateway). */
export class TelemetryCa extends pulumi.ComponentResource {
  /** PEM of the CA certificate (public: the hub output spokes verify with). */
  public readonly caCertificate: pulumi.Output<string>;
  /** The issued Secrets, by the keys of `servers`. */
  public readonly secrets: Record<string, k8s.core.v1.Secret> = {};

  constructor(
    name: string,
    args: TelemetryCaArgs,
    k8sOpts: Omit<K8sOpts, "parent">,
    opts?: pulumi.ComponentResourceOptions,
  ) {
    super("platform:observability:TelemetryCa", name, {}, opts);
    const caKey = new tls.PrivateKey(
      `${name}-telemetry-ca`,
      { algorithm: "ECDSA", ecdsaCurve: "P384" },
      {
        parent: this,
      },
    );
    const ca = new tls.SelfSignedCert(
      `${name}-telemetry-ca`,
      {
        privateKeyPem: caKey.privateKeyPem,
        isCaCertificate: true,
        subject: { commonName: `${args.clusterName} telemetry CA`, organization: "platform" },
        validityPeriodHours: telemetryCaDefaults.caValidityHours,
        allowedUses: ["cert_signing", "crl_signing"],
      },
      { parent: this },
    );
    this.caCertificate = ca.certPem;
    for (const [server, spec] of Object.entries(args.servers)) {
      const key = new tls.PrivateKey(
        `${name}-${server}-tls`,
        { algorithm: "ECDSA", ecdsaCurve: "P256" },
        {
          parent: this,
        },
      );
      const dnsNames = pulumi.output(spec.dnsNames);
      const request = new tls.CertRequest(
        `${name}-${server}-tls`,
        {
          privateKeyPem: key.privateKeyPem,
          subject: { commonName: dnsNames.apply(serverCommonName) },
          dnsNames,
        },
        { parent: this },
      );
      const cert = new tls.LocallySignedCert(
        `${name}-${server}-tls`,
        {
          certRequestPem: request.certRequestPem,
          caPrivateKeyPem: caKey.privateKeyPem,
          caCertPem: ca.certPem,
          validityPeriodHours: telemetryCaDefaults.serverValidityHours,
          earlyRenewalHours: telemetryCaDefaults.serverEarlyRenewalHours,
          allowedUses: ["digital_signature", "key_encipherment", "server_auth"],
        },
        { parent: this },
      );
      this.secrets[server] = new k8s.core.v1.Secret(
        `${name}-${server}-tls`,
        {
          metadata: { name: spec.secretName, namespace: spec.namespace },
          type: "kubernetes.io/tls",
          stringData: {
            "tls.crt": cert.certPem,
            "tls.key": pulumi.secret(key.privateKeyPem),
            "ca.crt": ca.certPem,
          },
        },
        { ...k8sOpts, parent: this },
      );
    }
    this.registerOutputs({ caCertificate: this.caCertificate });
  }
}
