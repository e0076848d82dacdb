import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { awsTags } from "../shared/aws";
import { accessPolicyArn } from "../shared/eks";
import { factsData, type PlatformFacts } from "./facts";
import {
  FLUX_GIT_REPOSITORY,
  FLUX_NAMESPACE,
  FLUX_OBJECT_ANNOTATIONS,
  KUSTOMIZE_CONTROLLER_SA,
} from "./versions";

/**
 * The EKS access policy the hub's Flux gets on a spoke, and its scope. The baseline holds
 * cluster-scoped objects (ClusterRoles, admission policies, namespaces) and the hub impersonates
 * the spoke's `flux-system/kustomize-controller`, so nothing narrower than cluster admin works.
 * https://docs.aws.amazon.com/eks/latest/userguide/access-policy-permissions.html
 */
export const HUB_FLUX_ACCESS = { policy: "AmazonEKSClusterAdminPolicy", scope: "cluster" } as const;

/** Arguments of {@link SpokeRegistration}. */
export interface SpokeRegistrationArgs {
  /** Short name of the spoke (Kubernetes name), used for the hub-side objects: `<spokeName>-kubeconfig`, `<spokeName>-baseline`. */
  readonly spokeName: string;
  /** The spoke's EKS cluster name. */
  readonly clusterName: pulumi.Input<string>;
  /** The spoke's EKS cluster ARN (the ConfigMap's `cluster`, which also gives Flux the region). */
  readonly clusterArn: pulumi.Input<string>;
  /** The spoke's API server URL (the ConfigMap's `address`). */
  readonly endpoint: pulumi.Input<string>;
  /** The spoke's CA certificate, base64 as EKS returns it (`certificateAuthority.data`); written as PEM. */
  readonly certificateAuthority: pulumi.Input<string>;
  /** ARN of the hub's Flux IAM role (hub output `fluxRoleArn`). */
  readonly hubFluxRoleArn: pulumi.Input<string>;
  /** Kubernetes provider of the hub cluster (flux-system there). */
  readonly hubProvider: k8s.Provider;
  /** Path of the baseline in the hub's repository. @default "./gitops/infrastructure/baseline" */
  readonly baselinePath?: string;
  /** Reconcile interval of the baseline Kustomization. @default "10m" */
  readonly interval?: string;
  /** The spoke's platform facts, substituted into the baseline inline (`postBuild.substitute`). @default {} */
  readonly facts?: PlatformFacts;
  /** Tags for every AWS resource, merged last. @default {} */
  readonly tags?: Record<string, string>;
}

/** Module defaults of {@link SpokeRegistration}. */
const registrationDefaults = {
  baselinePath: "./gitops/infrastructure/baseline",
  interval: "10m",
  timeout: "5m",
};

/** The hub-side object names of a spoke. */
function registrationNames(spokeName: string): { configMap: string; kustomization: string } {
  return { configMap: `${spokeName}-kubeconfig`, kustomization: `${spokeName}-baseline` };
}

/** PEM text of a base64 CA bundle (EKS returns the PEM base64-encoded). */
export function caPem(base64: string): string {
  return Buffer.from(base64, "base64").toString("utf8");
}

/**
 * The data of the ConfigMap `spec.kubeConfig.configMapRef` names: secret-less access to an EKS
 * cluster through workload identity (Flux 2.7+). Keys: `provider`, `cluster`, `address`, `ca.crt`.
 * https://fluxcd.io/flux/components/kustomize/kustomizations/#secret-less-authentication
 */
export function kubeConfigData(args: {
  clusterArn: string;
  endpoint: string;
  caBase64: string;
}): Record<string, string> {
  return {
    provider: "aws",
    cluster: args.clusterArn,
    address: args.endpoint,
    "ca.crt": caPem(args.caBase64),
  };
}

/** The spec of the hub-side Kustomization that applies the baseline on a spoke. */
function baselineKustomizationSpec(args: {
  configMapName: string;
  path: string;
  interval: string;
  substitute: Record<string, pulumi.Input<string>>;
}): Record<string, unknown> {
  return {
    interval: args.interval,
    timeout: registrationDefaults.timeout,
    path: args.path,
    prune: true,
    sourceRef: { kind: "GitRepository", name: FLUX_GIT_REPOSITORY },
    kubeConfig: { configMapRef: { name: args.configMapName } },
    // Impersonated on the spoke (it exists there: every cluster runs Flux). Lockdown would otherwise
    // impersonate flux-system/default, which has no rights.
    serviceAccountName: KUSTOMIZE_CONTROLLER_SA,
    postBuild: { substitute: args.substitute },
  };
}

/**
 * Registers a spoke with the hub's Flux. On the spoke (AWS): an EKS access entry for the hub's
 * Flux role with {@link HUB_FLUX_ACCESS}. On the hub (Kubernetes, flux-system): a ConfigMap for
 * `spec.kubeConfig.configMapRef` and a Kustomization that reconciles the platform baseline onto the
 * spoke. No long-lived credential exists anywhere.
 * https://fluxcd.io/flux/components/kustomize/kustomizations/#kubeconfig-remote-clusters
 */
export class SpokeRegistration extends pulumi.ComponentResource {
  /** The spoke's access entry for the hub's Flux role. */
  public readonly accessEntry: aws.eks.AccessEntry;
  /** The access policy association. */
  public readonly accessPolicy: aws.eks.AccessPolicyAssociation;
  /** The hub-side kubeConfig ConfigMap. */
  public readonly kubeConfig: k8s.core.v1.ConfigMap;
  /** The hub-side baseline Kustomization. */
  public readonly kustomization: k8s.apiextensions.CustomResource;

  constructor(name: string, args: SpokeRegistrationArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:gitops:SpokeRegistration", name, {}, opts);
    const tags = args.tags ?? {};
    const names = registrationNames(args.spokeName);
    const partition = aws.getPartitionOutput({}, { parent: this });

    this.accessEntry = new aws.eks.AccessEntry(
      `${name}-hub-flux`,
      {
        clusterName: args.clusterName,
        principalArn: args.hubFluxRoleArn,
        type: "STANDARD",
        tags: awsTags(`${name}-hub-flux`, tags),
      },
      { parent: this },
    );
    this.accessPolicy = new aws.eks.AccessPolicyAssociation(
      `${name}-hub-flux`,
      {
        clusterName: args.clusterName,
        principalArn: this.accessEntry.principalArn,
        policyArn: partition.partition.apply((p) => accessPolicyArn(p, HUB_FLUX_ACCESS.policy)),
        accessScope: { type: HUB_FLUX_ACCESS.scope },
      },
      { parent: this },
    );

    const hubOpts = { parent: this, provider: args.hubProvider };
    this.kubeConfig = new k8s.core.v1.ConfigMap(
      `${name}-kubeconfig`,
      {
        metadata: {
          name: names.configMap,
          namespace: FLUX_NAMESPACE,
          labels: {
            "app.kubernetes.io/managed-by": "pulumi",
            "platform.io/spoke": args.spokeName,
            "reconcile.fluxcd.io/watch": "Enabled",
          },
        },
        data: pulumi
          .all([args.clusterArn, args.endpoint, args.certificateAuthority])
          .apply(([clusterArn, endpoint, caBase64]) => kubeConfigData({ clusterArn, endpoint, caBase64 })),
      },
      hubOpts,
    );
    this.kustomization = new k8s.apiextensions.CustomResource(
      `${name}-baseline`,
      {
        apiVersion: "kustomize.toolkit.fluxcd.io/v1",
        kind: "Kustomization",
        metadata: {
          name: names.kustomization,
          namespace: FLUX_NAMESPACE,
          labels: { "platform.io/spoke": args.spokeName },
          annotations: FLUX_OBJECT_ANNOTATIONS,
        },
        spec: baselineKustomizationSpec({
          configMapName: names.configMap,
          path: args.baselinePath ?? registrationDefaults.baselinePath,
          interval: args.interval ?? registrationDefaults.interval,
          substitute: factsData(args.facts ?? {}),
        }),
      },
      // The access must exist while the hub applies (and, on deletion, prunes) the baseline.
      { ...hubOpts, dependsOn: [this.kubeConfig, this.accessPolicy] },
    );

    this.registerOutputs({
      accessEntry: this.accessEntry,
      accessPolicy: this.accessPolicy,
      kubeConfig: this.kubeConfig,
      kustomization: this.kustomization,
    });
  }
}

/**
 * A kubeconfig (JSON) for an EKS cluster that authenticates with `aws eks get-token`: built from the
 * cluster's name, endpoint and CA, so a stack can reach another cluster without reading its
 * (secret) kubeconfig output. https://docs.aws.amazon.com/eks/latest/userguide/create-kubeconfig.html
 */
export function eksKubeconfig(args: {
  clusterName: string;
  endpoint: string;
  caBase64: string;
  region: string;
}): string {
  return JSON.stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [
      {
        name: args.clusterName,
        cluster: { server: args.endpoint, "certificate-authority-data": args.caBase64 },
      },
    ],
    contexts: [{ name: args.clusterName, context: { cluster: args.clusterName, user: args.clusterName } }],
    "current-context": args.clusterName,
    users: [
      {
        name: args.clusterName,
        user: {
          exec: {
            apiVersion: "client.authentication.k8s.io/v1beta1",
            command: "aws",
            args: [
              "eks",
              "get-token",
              "--cluster-name",
              args.clusterName,
              "--region",
              args.region,
              "--output",
              "json",
            ],
          },
        },
      },
    ],
  });
}

/** A Kubernetes name for a spoke from its cluster name (lowercase, '-' for other characters, at most 50). */
export function spokeNameOf(clusterName: string): string {
  return clusterName
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 50)
    .replace(/-+$/g, "");
}
