/**
 * Pure logic of the optional AWS Private CA issuer (cert-manager's external issuer
 * `aws-privateca-issuer`): the pinned chart per Kubernetes version, its Helm values, the IAM policy
 * of its Pod Identity role and the `AWSPCAClusterIssuer` spec. Value keys follow the chart's
 * values.yaml at the pinned version; the spec follows its CRD (awspca.cert-manager.io/v1beta1).
 * https://github.com/cert-manager/aws-privateca-issuer
 */
import type { PolicyDocument } from "../shared/aws";
import type { ChartPin } from "../shared/helm";
import { replicasFor } from "../shared/kubernetes";
import { certManagerDefaults } from "./values";

/** The aws-privateca-issuer chart (= image) release for each Kubernetes minor version. */
export const AWS_PRIVATECA_ISSUER_VERSIONS: Readonly<Record<string, string>> = {
  "1.34": "v1.9.0",
  "1.35": "v1.9.0",
};

/**
 * The pinned aws-privateca-issuer chart for a Kubernetes version.
 * @throws Error naming the version and the supported ones when none is pinned.
 */
export function privateCaIssuerChart(kubernetesVersion: string): ChartPin {
  const version = AWS_PRIVATECA_ISSUER_VERSIONS[kubernetesVersion];
  if (!version) {
    throw new Error(
      `Kubernetes ${kubernetesVersion} has no pinned aws-privateca-issuer version (supported: ${Object.keys(AWS_PRIVATECA_ISSUER_VERSIONS).join(", ")})`,
    );
  }
  return {
    chart: "aws-privateca-issuer",
    version,
    repo: "https://cert-manager.github.io/aws-privateca-issuer",
  };
}

/** Module defaults of the issuer. */
export const privateCaIssuerDefaults = {
  /** Installed next to cert-manager (restricted Pod Security). */
  namespace: certManagerDefaults.namespace,
  /** The issuer's ServiceAccount, the subject of the Pod Identity association. */
  serviceAccount: "aws-privateca-issuer",
  /** The image the chart's values.yaml names; the tag is the chart's appVersion (pinned explicitly). */
  imageRepository: "public.ecr.aws/k1n1h4h4/cert-manager-aws-privateca-issuer",
  /** The chart's own user (values.yaml `podSecurityContext.runAsUser`), a distroless nonroot UID. */
  runAsUser: 65532,
  /** Name of the `AWSPCAClusterIssuer`. */
  issuerName: "aws-private-ca",
} as const;

/** An ACM Private CA certificate authority ARN, with its partition and region captured. */
export const PRIVATE_CA_ARN =
  /^arn:(aws[a-z-]*):acm-pca:([a-z]{2}(?:-gov)?-[a-z]+-\d):(\d{12}):certificate-authority\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The region of a certificate authority ARN (the issuer calls ACM PCA there).
 * @throws Error when `arn` is not a certificate authority ARN (config validation refuses it first).
 */
function privateCaRegion(arn: string): string {
  const match = PRIVATE_CA_ARN.exec(arn);
  if (!match) throw new Error(`"${arn}" is not an ACM Private CA certificate authority ARN`);
  return match[2];
}

/**
 * The issuer's policy: describe the one CA, issue certificates from it and fetch them, nothing else.
 * https://github.com/cert-manager/aws-privateca-issuer#configuration
 */
export function privateCaIssuerPolicy(caArn: string): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "IssueFromPrivateCa",
        Effect: "Allow",
        Action: [
          "acm-pca:DescribeCertificateAuthority",
          "acm-pca:GetCertificate",
          "acm-pca:IssueCertificate",
        ],
        Resource: caArn,
      },
    ],
  };
}

/**
 * Values of the aws-privateca-issuer chart: the pinned image, a named ServiceAccount, restricted
 * Pod Security (non-root, no privilege escalation, every capability dropped, RuntimeDefault seccomp,
 * read-only root filesystem), the system nodes, HA in production, and cert-manager's controller
 * allowed to approve its CertificateRequests.
 */
export function privateCaIssuerValues(args: {
  version: string;
  production: boolean;
}): Record<string, unknown> {
  const seccompProfile = { type: "RuntimeDefault" };
  return {
    replicaCount: replicasFor(args.production),
    image: { repository: privateCaIssuerDefaults.imageRepository, tag: args.version },
    serviceAccount: { create: true, name: privateCaIssuerDefaults.serviceAccount },
    podSecurityContext: {
      runAsNonRoot: true,
      runAsUser: privateCaIssuerDefaults.runAsUser,
      runAsGroup: privateCaIssuerDefaults.runAsUser,
      seccompProfile,
    },
    securityContext: {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ["ALL"] },
      seccompProfile,
    },
    tolerations: [{ key: "CriticalAddonsOnly", operator: "Exists" }],
    approverRole: {
      enabled: true,
      serviceAccountName: certManagerDefaults.serviceAccount,
      namespace: certManagerDefaults.namespace,
    },
  };
}

/**
 * The `AWSPCAClusterIssuer` spec: the CA and its region; credentials are the pod's ambient ones
 * (EKS Pod Identity), so no `secretRef` and no `role`.
 */
export function privateCaClusterIssuerSpec(caArn: string): Record<string, unknown> {
  return { arn: caArn, region: privateCaRegion(caArn) };
}
