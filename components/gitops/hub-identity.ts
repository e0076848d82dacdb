import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { awsTags, podIdentityTrustPolicy, type PolicyDocument } from "../shared/aws";
import { FLUX_NAMESPACE, KUSTOMIZE_CONTROLLER_SA } from "./versions";

/** Arguments of {@link FluxHubIdentity}. */
export interface FluxHubIdentityArgs {
  /** Name of the hub's EKS cluster (the Pod Identity association lives there). */
  readonly clusterName: pulumi.Input<string>;
  /** Tags for every AWS resource, merged last. @default {} */
  readonly tags?: Record<string, string>;
}

/**
 * The permissions of the hub's kustomize-controller: read the EKS clusters of this account (the
 * `aws` kubeConfig provider calls `eks:DescribeCluster` for the endpoint/CA/region of a spoke).
 * Kubernetes permissions on a spoke come from the spoke's access entry, not from IAM.
 * https://fluxcd.io/flux/integrations/aws/#for-amazon-elastic-kubernetes-service
 */
export function fluxHubPolicy(partition: string, accountId: string): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "DescribeSpokeClusters",
        Effect: "Allow",
        Action: "eks:DescribeCluster",
        Resource: `arn:${partition}:eks:*:${accountId}:cluster/*`,
      },
    ],
  };
}

/**
 * The IAM identity of the hub's Flux: a role that EKS Pod Identity hands to the
 * `flux-system/kustomize-controller` ServiceAccount. Spokes grant this role an access entry; the
 * controller then reconciles Kustomizations with `spec.kubeConfig.configMapRef` (provider `aws`) on
 * them without any static credential.
 * https://docs.aws.amazon.com/eks/latest/userguide/pod-identities.html
 */
export class FluxHubIdentity extends pulumi.ComponentResource {
  /** The IAM role. */
  public readonly role: aws.iam.Role;
  /** ARN of the role (the hub output `fluxRoleArn`). */
  public readonly roleArn: pulumi.Output<string>;
  /** The Pod Identity association of kustomize-controller. */
  public readonly association: aws.eks.PodIdentityAssociation;

  constructor(name: string, args: FluxHubIdentityArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:gitops:FluxHubIdentity", name, {}, opts);
    const tags = args.tags ?? {};
    const identity = aws.getCallerIdentityOutput({}, { parent: this });
    const partition = aws.getPartitionOutput({}, { parent: this });

    this.role = new aws.iam.Role(
      `${name}-flux`,
      {
        description:
          "Flux kustomize-controller of the hub: reconciles the platform baseline on registered spokes",
        assumeRolePolicy: identity.accountId.apply((accountId) =>
          JSON.stringify(podIdentityTrustPolicy(accountId)),
        ),
        maxSessionDuration: 3600,
        tags: awsTags(`${name}-flux`, tags),
      },
      { parent: this },
    );
    new aws.iam.RolePolicy(
      `${name}-flux`,
      {
        role: this.role.name,
        policy: pulumi
          .all([partition.partition, identity.accountId])
          .apply(([part, accountId]) => JSON.stringify(fluxHubPolicy(part, accountId))),
      },
      { parent: this },
    );
    this.association = new aws.eks.PodIdentityAssociation(
      `${name}-flux`,
      {
        clusterName: args.clusterName,
        namespace: FLUX_NAMESPACE,
        serviceAccount: KUSTOMIZE_CONTROLLER_SA,
        roleArn: this.role.arn,
        tags: awsTags(`${name}-flux`, tags),
      },
      { parent: this },
    );
    this.roleArn = this.role.arn;
    this.registerOutputs({ roleArn: this.roleArn, association: this.association });
  }
}
