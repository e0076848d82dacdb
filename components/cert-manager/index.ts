/**
 * The cert-manager add-on: the pinned chart in its own namespace, a Pod Identity role allowed to
 * answer DNS-01 challenges in the configured Route 53 zones, and Let's Encrypt ClusterIssuers
 * (`letsencrypt`, `letsencrypt-staging`) that solve them.
 * https://cert-manager.io/docs/
 */
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { podIdentityAssociation, podIdentityRole } from "../shared/pod-identity";
import { addonNamespace, release } from "../shared/helm";
import {
  acmeClusterIssuerSpec,
  certManagerChart,
  certManagerDefaults,
  certManagerPolicy,
  certManagerValues,
  type HostedZone,
} from "./values";
import {
  privateCaClusterIssuerSpec,
  privateCaIssuerChart,
  privateCaIssuerDefaults,
  privateCaIssuerPolicy,
  privateCaIssuerValues,
} from "./private-ca";

export * from "./values";
export * from "./private-ca";

/** ACME settings of the ClusterIssuers. */
export interface AcmeArgs {
  /** Contact e-mail of the ACME account (expiry notices). */
  readonly email: string;
  /** Route 53 hosted zones the DNS-01 solver may write `_acme-challenge` records in (at least one). */
  readonly hostedZones: readonly HostedZone[];
}

/** The AWS Private CA issuer: the certificate authority it issues from and its issuer's name. */
export interface PrivateCaArgs {
  /** ACM Private CA certificate authority ARN; the issuer calls ACM PCA in the ARN's region. */
  readonly arn: string;
  /** Name of the `AWSPCAClusterIssuer`. @default "aws-private-ca" */
  readonly issuerName?: string;
}

/** Arguments of {@link CertManager}. */
export interface CertManagerArgs {
  /** EKS cluster name (descriptions). */
  readonly clusterName: string;
  /** The cluster's name as the EKS cluster resource outputs it (the association waits for the cluster). */
  readonly eksClusterName: pulumi.Input<string>;
  /** Kubernetes minor version: picks the pinned release. */
  readonly kubernetesVersion: string;
  /** AWS region, e.g. `eu-west-1` (Route 53 client region). */
  readonly region: string;
  /** Let's Encrypt ClusterIssuers with DNS-01 through Route 53; none when not set. @default none */
  readonly acme?: AcmeArgs;
  /**
   * The aws-privateca-issuer chart with a Pod Identity role limited to this CA and an
   * `AWSPCAClusterIssuer`; none when not set. https://github.com/cert-manager/aws-privateca-issuer
   * @default none
   */
  readonly privateCa?: PrivateCaArgs;
  /** Kubernetes provider of the cluster. */
  readonly provider: k8s.Provider;
  /** Production: 2 replicas of each deployment and PodDisruptionBudgets. @default false */
  readonly production?: boolean;
  /** Tags for every AWS resource, merged last. @default {} */
  readonly tags?: Record<string, string>;
  /** The cluster's kube-prometheus-stack release: turns the chart's ServiceMonitor on; the release waits for its CRDs. @default none */
  readonly prometheusStack?: pulumi.Resource;
}

/** cert-manager on one cluster. */
export class CertManager extends pulumi.ComponentResource {
  /** The Helm release: Certificates and Issuers wait for it (its CRDs). */
  public readonly release: k8s.helm.v3.Release;
  /** The aws-privateca-issuer release, when `privateCa` is set. */
  public readonly privateCaRelease?: k8s.helm.v3.Release;

  constructor(name: string, args: CertManagerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:cert-manager:CertManager", name, {}, opts);
    const tags = args.tags ?? {};
    const chart = certManagerChart(args.kubernetesVersion);
    const resourceName = `${name}-cert-manager`;
    const k8sOpts = { parent: this, provider: args.provider };
    const namespace = addonNamespace(resourceName, certManagerDefaults.namespace, "restricted", k8sOpts);
    const dependsOn: pulumi.Resource[] = [namespace, ...(args.prometheusStack ? [args.prometheusStack] : [])];
    if (args.acme) dependsOn.push(this.route53Identity(resourceName, args, args.acme.hostedZones, tags));
    this.release = release(
      resourceName,
      chart,
      certManagerDefaults.namespace,
      certManagerValues({ production: args.production ?? false, serviceMonitor: !!args.prometheusStack }),
      { ...k8sOpts, dependsOn },
    );
    if (args.acme) {
      for (const issuer of ["letsencrypt", "letsencrypt-staging"] as const) {
        new k8s.apiextensions.CustomResource(
          `${resourceName}-${issuer}`,
          {
            apiVersion: "cert-manager.io/v1",
            kind: "ClusterIssuer",
            metadata: { name: issuer },
            spec: acmeClusterIssuerSpec({
              name: issuer,
              email: args.acme.email,
              region: args.region,
              zones: args.acme.hostedZones,
            }),
          },
          { ...k8sOpts, dependsOn: [this.release] },
        );
      }
    }
    if (args.privateCa)
      this.privateCaRelease = this.privateCaIssuer(name, args, args.privateCa, tags, k8sOpts);
    this.registerOutputs({ release: this.release, privateCaRelease: this.privateCaRelease });
  }

  /**
   * The aws-privateca-issuer release after cert-manager's (its CertificateRequests need cert-manager's
   * CRDs and approver), its Pod Identity role limited to the one CA, and the `AWSPCAClusterIssuer`
   * once the release has installed the issuer's CRDs.
   */
  private privateCaIssuer(
    name: string,
    args: CertManagerArgs,
    privateCa: PrivateCaArgs,
    tags: Record<string, string>,
    k8sOpts: { parent: pulumi.Resource; provider: k8s.Provider },
  ): k8s.helm.v3.Release {
    const resourceName = `${name}-aws-privateca-issuer`;
    const role = podIdentityRole(
      resourceName,
      `${args.clusterName}: aws-privateca-issuer issues from one AWS Private CA (EKS Pod Identity)`,
      tags,
      { parent: this },
    );
    const policy = new aws.iam.RolePolicy(
      resourceName,
      { role: role.name, policy: JSON.stringify(privateCaIssuerPolicy(privateCa.arn)) },
      { parent: this },
    );
    const association = podIdentityAssociation(
      resourceName,
      {
        clusterName: args.eksClusterName,
        namespace: privateCaIssuerDefaults.namespace,
        serviceAccount: privateCaIssuerDefaults.serviceAccount,
        roleArn: role.arn,
        tags,
      },
      { parent: this, dependsOn: [policy] },
    );
    const chart = privateCaIssuerChart(args.kubernetesVersion);
    const issuerRelease = release(
      resourceName,
      chart,
      privateCaIssuerDefaults.namespace,
      privateCaIssuerValues({ version: chart.version, production: args.production ?? false }),
      { ...k8sOpts, dependsOn: [this.release, association] },
    );
    new k8s.apiextensions.CustomResource(
      `${resourceName}-issuer`,
      {
        apiVersion: "awspca.cert-manager.io/v1beta1",
        kind: "AWSPCAClusterIssuer",
        metadata: { name: privateCa.issuerName ?? privateCaIssuerDefaults.issuerName },
        spec: privateCaClusterIssuerSpec(privateCa.arn),
      },
      { ...k8sOpts, dependsOn: [issuerRelease] },
    );
    return issuerRelease;
  }

  /** The controller's Pod Identity role for Route 53 and its association. */
  private route53Identity(
    resourceName: string,
    args: CertManagerArgs,
    zones: readonly HostedZone[],
    tags: Record<string, string>,
  ): aws.eks.PodIdentityAssociation {
    const partition = aws.getPartitionOutput({}, { parent: this });
    const role = podIdentityRole(
      resourceName,
      `${args.clusterName}: cert-manager DNS-01 through Route 53 (EKS Pod Identity)`,
      tags,
      { parent: this },
    );
    const policy = new aws.iam.RolePolicy(
      resourceName,
      {
        role: role.name,
        policy: partition.partition.apply((p) => JSON.stringify(certManagerPolicy(p, zones))),
      },
      { parent: this },
    );
    return podIdentityAssociation(
      resourceName,
      {
        clusterName: args.eksClusterName,
        namespace: certManagerDefaults.namespace,
        serviceAccount: certManagerDefaults.serviceAccount,
        roleArn: role.arn,
        tags,
      },
      { parent: this, dependsOn: [policy] },
    );
  }
}
