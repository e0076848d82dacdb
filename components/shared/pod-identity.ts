/**
 * EKS Pod Identity for an add-on's controller: an IAM role only the EKS Pod Identity service of this
 * account may assume, and the association that binds it to a Kubernetes ServiceAccount.
 * https://docs.aws.amazon.com/eks/latest/userguide/pod-identities.html
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { awsTags, podIdentityTrustPolicy } from "./aws";

/** A role for EKS Pod Identity, trusted by `pods.eks.amazonaws.com` of this account only. */
export function podIdentityRole(
  name: string,
  description: pulumi.Input<string>,
  tags: Record<string, string>,
  opts: pulumi.CustomResourceOptions & { parent: pulumi.Resource },
): aws.iam.Role {
  const accountId = aws.getCallerIdentityOutput({}, { parent: opts.parent }).accountId;
  return new aws.iam.Role(
    name,
    {
      description,
      assumeRolePolicy: accountId.apply((id) => JSON.stringify(podIdentityTrustPolicy(id))),
      tags: awsTags(name, tags),
    },
    opts,
  );
}

/** Arguments of {@link podIdentityAssociation}. */
export interface PodIdentityAssociationArgs {
  /** The EKS cluster's name as its resource outputs it (the association waits for the cluster). */
  readonly clusterName: pulumi.Input<string>;
  /** Namespace of the ServiceAccount. */
  readonly namespace: string;
  /** The ServiceAccount the role is bound to. */
  readonly serviceAccount: string;
  /** The role (from {@link podIdentityRole}). */
  readonly roleArn: pulumi.Input<string>;
  /** Tags, merged last. */
  readonly tags: Record<string, string>;
}

/** Binds a role to a ServiceAccount through EKS Pod Identity. */
export function podIdentityAssociation(
  name: string,
  args: PodIdentityAssociationArgs,
  opts: pulumi.CustomResourceOptions,
): aws.eks.PodIdentityAssociation {
  return new aws.eks.PodIdentityAssociation(
    name,
    {
      clusterName: args.clusterName,
      namespace: args.namespace,
      serviceAccount: args.serviceAccount,
      roleArn: args.roleArn,
      tags: awsTags(name, args.tags),
    },
    opts,
  );
}
