/**
 * The External Secrets Operator add-on: the pinned chart, a Pod Identity role for the controller
 * that can only assume store roles, and per organization environment a store role limited to that
 * environment's Secrets Manager prefixes with a namespaced SecretStore `aws-secrets-manager` using it.
 * https://external-secrets.io/latest/
 */
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { awsTags } from "../shared/aws";
import { podIdentityAssociation, podIdentityRole } from "../shared/pod-identity";
import { addonNamespace, release } from "../shared/helm";
import {
  externalSecretsChart,
  externalSecretsControllerPolicy,
  externalSecretsDefaults,
  externalSecretsValues,
  secretStoreRoleExpression,
  secretStoreSpec,
  storeReadPolicy,
  storeRolePath,
  storeRoleTrustPolicy,
} from "./values";

export * from "./values";

/** One SecretStore: an organization environment's namespace and its Secrets Manager prefixes. */
export interface SecretStoreArgs {
  readonly organization: string;
  readonly environment: string;
  /** The environment's namespace (it must exist: see `storesDependOn`). */
  readonly namespace: string;
  /** Secrets Manager ARN prefixes the store may read, e.g. `arn:aws:secretsmanager:eu-west-1:111122223333:secret:numinia/numinia/*`. */
  readonly secretArnPrefixes: readonly string[];
}

/** Arguments of {@link ExternalSecrets}. */
export interface ExternalSecretsArgs {
  /** EKS cluster name (descriptions). */
  readonly clusterName: string;
  /** The cluster's name as the EKS cluster resource outputs it (the association waits for the cluster). */
  readonly eksClusterName: pulumi.Input<string>;
  /** Kubernetes minor version: picks the pinned release. */
  readonly kubernetesVersion: string;
  /** AWS region of Secrets Manager, e.g. `eu-west-1`. */
  readonly region: string;
  /** One SecretStore per organization environment with secrets. @default [] */
  readonly stores?: readonly SecretStoreArgs[];
  /** What the SecretStores wait for besides the release (the tenant namespaces). @default [] */
  readonly storesDependOn?: pulumi.Input<pulumi.Resource>[];
  /** Kubernetes provider of the cluster. */
  readonly provider: k8s.Provider;
  /** Production: 2 replicas of each deployment, leader election and PodDisruptionBudgets. @default false */
  readonly production?: boolean;
  /** Tags for every AWS resource, merged last. @default {} */
  readonly tags?: Record<string, string>;
}

/** External Secrets Operator on one cluster, with the organizations' SecretStores. */
export class ExternalSecrets extends pulumi.ComponentResource {
  /** The Helm release: ExternalSecrets wait for it (its CRDs). */
  public readonly release: k8s.helm.v3.Release;

  constructor(name: string, args: ExternalSecretsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:external-secrets:ExternalSecrets", name, {}, opts);
    const tags = args.tags ?? {};
    const stores = args.stores ?? [];
    const resourceName = `${name}-external-secrets`;
    const controllerRole = podIdentityRole(
      resourceName,
      `${args.clusterName}: External Secrets controller, assumes store roles only (EKS Pod Identity)`,
      tags,
      { parent: this },
    );
    const storeRoles = this.storeRoles(resourceName, args, controllerRole, tags);
    const dependsOn: pulumi.Resource[] = [];
    if (storeRoles.length > 0) {
      dependsOn.push(
        new aws.iam.RolePolicy(
          resourceName,
          {
            role: controllerRole.name,
            policy: pulumi
              .all(storeRoles.map((r) => r.arn))
              .apply((arns) => JSON.stringify(externalSecretsControllerPolicy(arns))),
          },
          { parent: this },
        ),
      );
    }
    const association = podIdentityAssociation(
      resourceName,
      {
        clusterName: args.eksClusterName,
        namespace: externalSecretsDefaults.namespace,
        serviceAccount: externalSecretsDefaults.serviceAccount,
        roleArn: controllerRole.arn,
        tags,
      },
      { parent: this, dependsOn },
    );
    const k8sOpts = { parent: this, provider: args.provider };
    const namespace = addonNamespace(resourceName, externalSecretsDefaults.namespace, "restricted", k8sOpts);
    this.release = release(
      resourceName,
      externalSecretsChart(args.kubernetesVersion),
      externalSecretsDefaults.namespace,
      externalSecretsValues({ production: args.production ?? false }),
      { ...k8sOpts, dependsOn: [namespace, association] },
    );
    const admission = this.storeRoleAdmission(resourceName, args.clusterName, k8sOpts);
    stores.forEach((store, i) => {
      new k8s.apiextensions.CustomResource(
        `${resourceName}-${store.organization}-${store.environment}`,
        {
          apiVersion: "external-secrets.io/v1",
          kind: "SecretStore",
          metadata: {
            name: externalSecretsDefaults.storeName,
            namespace: store.namespace,
            labels: {
              "platform.io/organization": store.organization,
              "platform.io/environment": store.environment,
            },
          },
          spec: storeRoles[i].arn.apply((arn) => secretStoreSpec(args.region, arn)),
        },
        { ...k8sOpts, dependsOn: [this.release, admission, ...(args.storesDependOn ?? [])] },
      );
    });
    this.registerOutputs({ release: this.release });
  }

  /** Per store: a role under its namespace's path, trusted by the controller's role only, reading its prefixes. */
  private storeRoles(
    resourceName: string,
    args: ExternalSecretsArgs,
    controllerRole: aws.iam.Role,
    tags: Record<string, string>,
  ): aws.iam.Role[] {
    return (args.stores ?? []).map((store) => {
      const storeName = `${resourceName}-${store.organization}-${store.environment}`;
      const role = new aws.iam.Role(
        storeName,
        {
          description: `${args.clusterName}: External Secrets store of ${store.organization}/${store.environment}`,
          path: storeRolePath(args.clusterName, store.namespace),
          assumeRolePolicy: controllerRole.arn.apply((arn) => JSON.stringify(storeRoleTrustPolicy(arn))),
          tags: awsTags(storeName, { "platform.io/organization": store.organization }, tags),
        },
        { parent: this },
      );
      new aws.iam.RolePolicy(
        storeName,
        { role: role.name, policy: JSON.stringify(storeReadPolicy(store.secretArnPrefixes)) },
        { parent: this },
      );
      return role;
    });
  }

  /** The admission policy (and its binding) that keeps every SecretStore to its namespace's store role. */
  private storeRoleAdmission(
    resourceName: string,
    clusterName: string,
    k8sOpts: { parent: pulumi.Resource; provider: k8s.Provider },
  ): k8s.admissionregistration.v1.ValidatingAdmissionPolicyBinding {
    const policyName = "platform-secretstore-own-role";
    const policy = new k8s.admissionregistration.v1.ValidatingAdmissionPolicy(
      `${resourceName}-own-role`,
      {
        metadata: { name: policyName },
        spec: {
          failurePolicy: "Fail",
          matchConstraints: {
            resourceRules: [
              {
                apiGroups: ["external-secrets.io"],
                apiVersions: ["*"],
                operations: ["CREATE", "UPDATE"],
                resources: ["secretstores"],
              },
            ],
          },
          validations: [
            {
              expression: secretStoreRoleExpression(clusterName),
              message: `a SecretStore without auth must use its namespace's store role (role ARN under /external-secrets/${clusterName}/<namespace>/)`,
            },
          ],
        },
      },
      k8sOpts,
    );
    return new k8s.admissionregistration.v1.ValidatingAdmissionPolicyBinding(
      `${resourceName}-own-role`,
      { metadata: { name: policyName }, spec: { policyName, validationActions: ["Deny"] } },
      { ...k8sOpts, dependsOn: [policy] },
    );
  }
}
