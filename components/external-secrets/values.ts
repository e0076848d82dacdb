/**
 * Pure logic of the External Secrets Operator add-on: the pinned chart per Kubernetes version, the
 * IAM policies of the controller and of each organization environment's store role, the Helm values
 * and the SecretStore spec. Value keys follow the chart's values.yaml at the pinned version.
 * https://external-secrets.io/latest/
 */
import type { PolicyDocument } from "../shared/aws";
import type { ChartPin } from "../shared/helm";
import { replicasFor } from "../shared/kubernetes";

/** The External Secrets chart for each Kubernetes minor version. */
export const EXTERNAL_SECRETS_VERSIONS: Readonly<Record<string, string>> = {
  "1.34": "2.9.0",
  "1.35": "2.9.0",
};

/**
 * The pinned external-secrets chart for a Kubernetes version.
 * @throws Error naming the version and the supported ones when none is pinned.
 */
export function externalSecretsChart(kubernetesVersion: string): ChartPin {
  const version = EXTERNAL_SECRETS_VERSIONS[kubernetesVersion];
  if (!version) {
    throw new Error(
      `Kubernetes ${kubernetesVersion} has no pinned External Secrets version (supported: ${Object.keys(EXTERNAL_SECRETS_VERSIONS).join(", ")})`,
    );
  }
  return { chart: "external-secrets", version, repo: "https://charts.external-secrets.io" };
}

/** Module defaults of the add-on. */
export const externalSecretsDefaults = {
  namespace: "external-secrets",
  /** The controller's ServiceAccount, the subject of the Pod Identity association. */
  serviceAccount: "external-secrets",
  /** Name of the SecretStore in every organization environment namespace. */
  storeName: "aws-secrets-manager",
  resources: { requests: { cpu: "50m", memory: "128Mi" }, limits: { memory: "512Mi" } },
} as const;

/**
 * The controller's own policy: nothing but assuming the store roles (each SecretStore names one),
 * so what a namespace can read is decided by its store's role, not by the controller.
 * https://external-secrets.io/latest/provider/aws-access/
 */
export function externalSecretsControllerPolicy(storeRoleArns: readonly string[]): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      { Sid: "AssumeStoreRoles", Effect: "Allow", Action: "sts:AssumeRole", Resource: [...storeRoleArns] },
    ],
  };
}

/** The trust policy of a store role: only the External Secrets controller's role may assume it. */
export function storeRoleTrustPolicy(controllerRoleArn: string): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { AWS: controllerRoleArn }, Action: "sts:AssumeRole" }],
  };
}

/**
 * A store role's read policy: Secrets Manager reads on the environment's ARN prefixes only
 * (`kms:Decrypt` for customer-key secrets stays with the key policy, through `kms:ViaService`).
 * https://external-secrets.io/latest/provider/aws-secrets-manager/#iam-policy
 */
export function storeReadPolicy(secretArnPrefixes: readonly string[]): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "ReadOrganizationSecrets",
        Effect: "Allow",
        Action: [
          "secretsmanager:GetSecretValue",
          "secretsmanager:DescribeSecret",
          "secretsmanager:ListSecretVersionIds",
          "secretsmanager:GetResourcePolicy",
        ],
        Resource: [...secretArnPrefixes],
      },
    ],
  };
}

/** Values of the external-secrets chart: CRDs, on the system nodes, HA with leader election in production. */
export function externalSecretsValues(args: { production: boolean }): Record<string, unknown> {
  const replicas = replicasFor(args.production);
  const tolerations = [{ key: "CriticalAddonsOnly", operator: "Exists" }];
  const pdb = { enabled: replicas > 1 };
  return {
    installCRDs: true,
    replicaCount: replicas,
    leaderElect: replicas > 1,
    podDisruptionBudget: pdb,
    serviceAccount: { create: true, name: externalSecretsDefaults.serviceAccount },
    resources: externalSecretsDefaults.resources,
    tolerations,
    webhook: { replicaCount: replicas, podDisruptionBudget: pdb, tolerations },
    certController: { replicaCount: replicas, podDisruptionBudget: pdb, tolerations },
  };
}

/** A namespaced SecretStore reading Secrets Manager in the region through a store role. */
export function secretStoreSpec(region: string, roleArn: string): Record<string, unknown> {
  return { provider: { aws: { service: "SecretsManager", region, role: roleArn } } };
}

/**
 * The IAM path of a store role, `/external-secrets/<cluster>/<namespace>/`: it puts the namespace
 * the role serves into the role's ARN, which {@link secretStoreRoleExpression} checks.
 */
export function storeRolePath(clusterName: string, namespace: string): string {
  return `/external-secrets/${clusterName}/${namespace}/`;
}

/**
 * The CEL rule of the admission policy that keeps tenants to their own store role: the controller
 * may assume every store role, so a SecretStore that uses the controller's credentials (no `auth`)
 * must name a role under its own namespace's path. Tenants (whose Flux reconciler has `admin`, which
 * ESO's ClusterRoles aggregate into) could otherwise point a store at another organization's role.
 * https://kubernetes.io/docs/reference/access-authn-authz/validating-admission-policy/
 */
export function secretStoreRoleExpression(clusterName: string): string {
  return [
    "!has(object.spec.provider) || !has(object.spec.provider.aws) || has(object.spec.provider.aws.auth) ||",
    "(has(object.spec.provider.aws.role) &&",
    ` object.spec.provider.aws.role.contains(':role/external-secrets/${clusterName}/' + namespaceObject.metadata.name + '/'))`,
  ].join(" ");
}
