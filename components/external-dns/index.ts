/**
 * The ExternalDNS add-on: publishes Route 53 records for Services and Ingresses, in the configured
 * hosted zones only, owning them through TXT records with a per-cluster owner id; its Pod Identity
 * role may touch only those zones.
 * https://kubernetes-sigs.github.io/external-dns/
 */
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { podIdentityAssociation, podIdentityRole } from "../shared/pod-identity";
import { addonNamespace, release } from "../shared/helm";
import {
  externalDnsChart,
  externalDnsDefaults,
  externalDnsPolicy,
  externalDnsValues,
  type DnsZone,
} from "./values";

export * from "./values";

/** Arguments of {@link ExternalDns}. */
export interface ExternalDnsArgs {
  /** EKS cluster name (descriptions). */
  readonly clusterName: string;
  /** The cluster's name as the EKS cluster resource outputs it (the association waits for the cluster). */
  readonly eksClusterName: pulumi.Input<string>;
  /** Kubernetes minor version: picks the pinned release. */
  readonly kubernetesVersion: string;
  /** AWS region, e.g. `eu-west-1`. */
  readonly region: string;
  /** Route 53 hosted zones ExternalDNS manages (at least one). */
  readonly hostedZones: readonly DnsZone[];
  /** TXT registry owner id: unique per cluster sharing a zone. */
  readonly txtOwnerId: string;
  /** `upsert-only` (never deletes) or `sync` (deletes records it owns when their source goes). @default "upsert-only" */
  readonly policy?: "upsert-only" | "sync";
  /** Kubernetes provider of the cluster. */
  readonly provider: k8s.Provider;
  /** Tags for every AWS resource, merged last. @default {} */
  readonly tags?: Record<string, string>;
}

/** ExternalDNS on one cluster. */
export class ExternalDns extends pulumi.ComponentResource {
  /** The Helm release. */
  public readonly release: k8s.helm.v3.Release;

  constructor(name: string, args: ExternalDnsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:external-dns:ExternalDns", name, {}, opts);
    if (args.hostedZones.length === 0) throw new Error(`${name}: ExternalDNS needs at least one hosted zone`);
    const tags = args.tags ?? {};
    const chart = externalDnsChart(args.kubernetesVersion);
    const resourceName = `${name}-external-dns`;
    const partition = aws.getPartitionOutput({}, { parent: this });
    const role = podIdentityRole(
      resourceName,
      `${args.clusterName}: ExternalDNS on Route 53 (EKS Pod Identity)`,
      tags,
      {
        parent: this,
      },
    );
    const policy = new aws.iam.RolePolicy(
      resourceName,
      {
        role: role.name,
        policy: partition.partition.apply((p) => JSON.stringify(externalDnsPolicy(p, args.hostedZones))),
      },
      { parent: this },
    );
    const association = podIdentityAssociation(
      resourceName,
      {
        clusterName: args.eksClusterName,
        namespace: externalDnsDefaults.namespace,
        serviceAccount: externalDnsDefaults.serviceAccount,
        roleArn: role.arn,
        tags,
      },
      { parent: this, dependsOn: [policy] },
    );
    const k8sOpts = { parent: this, provider: args.provider };
    const namespace = addonNamespace(resourceName, externalDnsDefaults.namespace, "restricted", k8sOpts);
    this.release = release(
      resourceName,
      chart,
      externalDnsDefaults.namespace,
      externalDnsValues({
        region: args.region,
        zones: args.hostedZones,
        txtOwnerId: args.txtOwnerId,
        policy: args.policy ?? "upsert-only",
      }),
      { ...k8sOpts, dependsOn: [namespace, association] },
    );
    this.registerOutputs({ release: this.release });
  }
}
