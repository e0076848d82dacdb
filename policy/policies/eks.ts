/**
 * EKS control-plane policies. Each rule checks both views of a cluster: the `aws:eks/cluster:Cluster`
 * that CrossGuard sees under a real `pulumi preview` (child of the @pulumi/eks component) and the
 * `eks:index:Cluster` component inputs that the offline plan sees.
 */
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { SUPPORTED_KUBERNETES_VERSIONS } from "../../components/cluster/versions";
import { CONTROL_PLANE_LOG_TYPES } from "../../components/shared/eks";
import {
  asList,
  frameworks,
  isSet,
  resourcePolicy,
  stackPolicy,
  tryGet,
  types,
  worldCidrs,
  type PackPolicy,
} from "./common";

const clusterTypes = [types.eksCluster, types.eksComponent] as const;

/**
 * Kubernetes minor versions allowed by default: exactly those the program supports (the ones with
 * pinned EKS add-on versions in components/cluster/versions.ts, a dependency-free module), so the
 * pack and the program cannot disagree.
 */
const defaultAllowedVersions: readonly string[] = SUPPORTED_KUBERNETES_VERSIONS;

export const eksPrivateEndpoint = (): ResourceValidationPolicy =>
  resourcePolicy({
    name: "eks-private-endpoint",
    description: "EKS clusters must enable the private API server endpoint.",
    severity: "high",
    // CIS EKS 5.4.2 also asks for the public endpoint off, which eks-public-endpoint-restricted judges
    // (it allows a restricted public endpoint), so this rule names the best-practice item it implements.
    framework: frameworks.eksBestPractices(
      "Network security",
      "Enable the private cluster endpoint so traffic from nodes and operators stays in the VPC",
    ),
    tags: ["eks", "network"],
    remediationSteps:
      "Set endpointPrivateAccess: true (eks.Cluster) or vpcConfig.endpointPrivateAccess: true (aws.eks.Cluster).",
    url: "https://docs.aws.amazon.com/eks/latest/userguide/cluster-endpoint.html",
    resourceTypes: clusterTypes,
    checks: {
      [types.eksCluster]: (props, _args, report) => {
        if (props.vpcConfig?.endpointPrivateAccess !== true) {
          report(
            "vpcConfig.endpointPrivateAccess is not true: nodes and operators would reach the API over the internet. Set vpcConfig.endpointPrivateAccess: true.",
          );
        }
      },
      [types.eksComponent]: (props, _args, report) => {
        if (props.endpointPrivateAccess !== true) {
          report(
            "endpointPrivateAccess is not true (the eks.Cluster default is false): nodes would reach the API over the internet. Set endpointPrivateAccess: true.",
          );
        }
      },
    },
  });

function checkPublicAccess(
  publicAccess: unknown,
  cidrs: unknown,
  prefix: string,
  report: (m: string) => void,
) {
  // Both the EKS API and @pulumi/eks default the public endpoint to on.
  if (publicAccess === false) return;
  const list = asList(cidrs as string[] | undefined);
  if (list.length === 0) {
    report(
      `${prefix}endpointPublicAccess is on (the default) with no publicAccessCidrs, so the API is open to 0.0.0.0/0. Turn it off (endpointPublicAccess: false) or list the operator CIDRs in publicAccessCidrs.`,
    );
    return;
  }
  const open = list.filter((c) => worldCidrs.includes(c));
  if (open.length) {
    report(
      `${prefix}publicAccessCidrs contains ${open.join(", ")}: the API endpoint is open to the whole internet. Replace it with the operator/VPN CIDRs or turn the public endpoint off.`,
    );
  }
}

export const eksPublicEndpointRestricted = (): ResourceValidationPolicy =>
  resourcePolicy({
    name: "eks-public-endpoint-restricted",
    description:
      "An EKS public API endpoint must be off or restricted to a CIDR allowlist without 0.0.0.0/0 or ::/0.",
    severity: "critical",
    framework: frameworks.cisEks("5.4.1", "Restrict Access to the Control Plane Endpoint"),
    tags: ["eks", "network", "CIS-EKS-5.4.1", "CKV_AWS_38"],
    remediationSteps: "Set endpointPublicAccess: false, or publicAccessCidrs to the operators' egress CIDRs.",
    url: "https://docs.aws.amazon.com/eks/latest/userguide/cluster-endpoint.html",
    resourceTypes: clusterTypes,
    checks: {
      [types.eksCluster]: (props, _args, report) =>
        checkPublicAccess(
          props.vpcConfig?.endpointPublicAccess,
          props.vpcConfig?.publicAccessCidrs,
          "vpcConfig.",
          report,
        ),
      [types.eksComponent]: (props, _args, report) =>
        checkPublicAccess(props.endpointPublicAccess, props.publicAccessCidrs, "", report),
    },
  });

export const eksSecretsEncryption = (): ResourceValidationPolicy =>
  resourcePolicy({
    name: "eks-secrets-encryption",
    description: "EKS clusters must envelope-encrypt Kubernetes secrets with a customer-managed KMS key.",
    severity: "high",
    framework: frameworks.cisEks(
      "5.3.1",
      "Ensure Kubernetes Secrets are encrypted using Customer Master Keys (CMKs) managed in AWS KMS",
    ),
    tags: ["eks", "encryption", "CIS-EKS-5.3.1", "CKV_AWS_58"],
    remediationSteps:
      'Create an aws.kms.Key with rotation and pass its ARN as encryptionConfigKeyArn (eks.Cluster) or encryptionConfig { provider.keyArn, resources: ["secrets"] }.',
    url: "https://docs.aws.amazon.com/eks/latest/userguide/envelope-encryption.html",
    resourceTypes: clusterTypes,
    checks: {
      [types.eksCluster]: (props, _args, report) => {
        const enc = props.encryptionConfig;
        if (!enc || !isSet(enc.provider?.keyArn)) {
          report(
            "encryptionConfig.provider.keyArn is not set: secrets are only encrypted with an AWS-owned key you cannot audit or revoke. Add encryptionConfig with a customer KMS key ARN.",
          );
        } else if (!asList(enc.resources).includes("secrets")) {
          report('encryptionConfig.resources does not include "secrets". Set resources: ["secrets"].');
        }
      },
      [types.eksComponent]: (props, _args, report) => {
        if (!isSet(props.encryptionConfigKeyArn)) {
          report(
            "encryptionConfigKeyArn is not set: secrets are only encrypted with an AWS-owned key. Pass a customer KMS key ARN.",
          );
        }
      },
    },
  });

export const eksControlPlaneLogging = (): ResourceValidationPolicy =>
  resourcePolicy({
    name: "eks-control-plane-logging",
    description: `EKS clusters must ship all five control-plane log types (${CONTROL_PLANE_LOG_TYPES.join(", ")}).`,
    severity: "medium",
    framework: frameworks.cisEks("2.1.1", "Enable audit Logs"),
    tags: ["eks", "logging", "CIS-EKS-2.1.1", "CKV_AWS_37"],
    remediationSteps: `Set enabledClusterLogTypes: ${JSON.stringify(CONTROL_PLANE_LOG_TYPES)}.`,
    url: "https://docs.aws.amazon.com/eks/latest/userguide/control-plane-logs.html",
    resourceTypes: clusterTypes,
    checks: {
      "*": (props, _args, report) => {
        const enabled = asList(props.enabledClusterLogTypes as string[] | undefined);
        const missing = CONTROL_PLANE_LOG_TYPES.filter((t) => !enabled.includes(t));
        if (missing.length) {
          report(
            `enabledClusterLogTypes is missing ${missing.join(", ")}: without them API calls and authentication cannot be investigated. Enable all of ${CONTROL_PLANE_LOG_TYPES.join(", ")}.`,
          );
        }
      },
    },
  });

export const eksVersionAllowed = (): ResourceValidationPolicy =>
  resourcePolicy({
    name: "eks-version-allowed",
    description: "EKS clusters must pin a Kubernetes version from the supported allowlist.",
    severity: "medium",
    framework: frameworks.eksBestPractices(
      "Cluster Upgrades",
      "Keep clusters on a supported Kubernetes version",
    ),
    tags: ["eks", "versions"],
    remediationSteps: "Set version to one of the allowed versions (policy config allowedVersions).",
    url: "https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html",
    configSchema: {
      properties: {
        allowedVersions: {
          type: "array",
          items: { type: "string", pattern: "^1\\.[0-9]+$" },
          minItems: 1,
          default: [...defaultAllowedVersions],
          description:
            "Kubernetes minor versions clusters may run. Default: the versions the platform supports (components/cluster/versions.ts).",
        },
      },
    },
    resourceTypes: clusterTypes,
    checks: {
      "*": (props, args, report) => {
        const { allowedVersions } = args.getConfig<{ allowedVersions: string[] }>();
        const version = props.version;
        if (!isSet(version)) {
          report(
            `version is not set, so EKS picks its current default and upgrades happen by accident. Pin one of ${allowedVersions.join(", ")}.`,
          );
        } else if (!allowedVersions.includes(String(version))) {
          report(
            `version ${version} is not in the allowlist (${allowedVersions.join(", ")}). Upgrade the cluster or extend allowedVersions in the policy config.`,
          );
        }
      },
    },
  });

function authMode(args: { type: string }, props: Record<string, any>): unknown {
  return args.type === types.eksCluster ? props.accessConfig?.authenticationMode : props.authenticationMode;
}

export const eksAuthenticationModeApi = (): ResourceValidationPolicy =>
  resourcePolicy({
    name: "eks-authentication-mode-api",
    description:
      "EKS clusters must use access entries (authenticationMode API or API_AND_CONFIG_MAP), not the aws-auth ConfigMap alone.",
    severity: "high",
    framework: frameworks.eksBestPractices(
      "Identity and Access Management",
      "Use EKS access entries instead of the aws-auth ConfigMap",
    ),
    tags: ["eks", "iam"],
    remediationSteps:
      'Set authenticationMode: "API" (eks.Cluster) or accessConfig.authenticationMode: "API" and grant access with aws.eks.AccessEntry.',
    url: "https://docs.aws.amazon.com/eks/latest/userguide/access-entries.html",
    resourceTypes: clusterTypes,
    checks: {
      "*": (props, args, report) => {
        const mode = authMode(args, props);
        if (mode !== "API" && mode !== "API_AND_CONFIG_MAP") {
          report(
            `authenticationMode is ${mode === undefined ? "not set (CONFIG_MAP)" : mode}: cluster access lives in the aws-auth ConfigMap, which is unaudited and easy to break. Set it to "API" and use access entries.`,
          );
        }
      },
    },
  });

export const eksAuthenticationModeNoConfigMap = (): ResourceValidationPolicy =>
  resourcePolicy({
    name: "eks-authentication-mode-no-config-map",
    description:
      "EKS clusters should use authenticationMode API only; API_AND_CONFIG_MAP keeps the aws-auth ConfigMap as a second way in.",
    enforcementLevel: "advisory",
    severity: "medium",
    framework: frameworks.eksBestPractices(
      "Identity and Access Management",
      "Use EKS access entries instead of the aws-auth ConfigMap",
    ),
    tags: ["eks", "iam"],
    remediationSteps:
      'Migrate remaining aws-auth mappings to access entries, then set authenticationMode: "API".',
    url: "https://docs.aws.amazon.com/eks/latest/userguide/setting-up-access-entries.html",
    resourceTypes: clusterTypes,
    checks: {
      "*": (props, args, report) => {
        if (authMode(args, props) === "API_AND_CONFIG_MAP") {
          report(
            'authenticationMode is API_AND_CONFIG_MAP: the aws-auth ConfigMap still grants access. Move its mappings to access entries and set "API".',
          );
        }
      },
    },
  });

export const eksNoCreatorAdmin = (): ResourceValidationPolicy =>
  resourcePolicy({
    name: "eks-no-cluster-creator-admin",
    description:
      "EKS clusters must not grant the creating IAM principal permanent cluster-admin; grant access with explicit access entries.",
    severity: "high",
    framework: frameworks.eksBestPractices(
      "Identity and Access Management",
      "Don't rely on the cluster creator's implicit admin access",
    ),
    tags: ["eks", "iam"],
    remediationSteps:
      "Set accessConfig.bootstrapClusterCreatorAdminPermissions: false and add an aws.eks.AccessEntry for the admin role.",
    url: "https://docs.aws.amazon.com/eks/latest/userguide/access-entries.html",
    resourceTypes: clusterTypes,
    checks: {
      [types.eksCluster]: (props, _args, report) => {
        if (props.accessConfig?.bootstrapClusterCreatorAdminPermissions !== false) {
          report(
            "accessConfig.bootstrapClusterCreatorAdminPermissions is not false (the default is true): whoever ran `pulumi up` keeps invisible cluster-admin. Set it to false and grant admins through access entries.",
          );
        }
      },
      // @pulumi/eks 4.x has no input for it: only the aws:eks/cluster:Cluster child (visible to a
      // real `pulumi preview`) can be judged, so the component view is reported not applicable.
      [types.eksComponent]: (_props, args) =>
        args.notApplicable(
          "eks:index:Cluster has no bootstrapClusterCreatorAdminPermissions input; its aws:eks/cluster:Cluster child is checked under `pulumi preview`",
        ),
    },
  });

export const eksWorkloadIdentity = (): StackValidationPolicy =>
  stackPolicy({
    name: "eks-workload-identity",
    description:
      "A stack with an EKS cluster must provide workload identity: an IAM OIDC provider (IRSA) or the EKS Pod Identity agent add-on.",
    severity: "high",
    framework: frameworks.eksBestPractices(
      "Identity and Access Management",
      "Use IRSA or EKS Pod Identity; don't share the node role with pods",
    ),
    tags: ["eks", "iam"],
    remediationSteps:
      'Set createOidcProvider: true on eks.Cluster (or create aws.iam.OpenIdConnectProvider), or install the "eks-pod-identity-agent" add-on.',
    url: "https://docs.aws.amazon.com/eks/latest/userguide/pod-identities.html",
    resourceTypes: [types.eksCluster, types.eksComponent, types.oidcProvider, types.eksAddon],
    validateStack: (args, report) => {
      const clusters = args.resources.filter(
        (r) => r.type === types.eksCluster || r.type === types.eksComponent,
      );
      if (clusters.length === 0) return args.notApplicable("no EKS cluster in the stack");
      const hasOidc = args.resources.some(
        (r) =>
          r.type === types.oidcProvider ||
          (r.type === types.eksComponent && tryGet(r.props, "createOidcProvider") === true),
      );
      const hasPodIdentity = args.resources.some(
        (r) =>
          (r.type === types.eksAddon || r.type === types.eksAddonComponent) &&
          tryGet(r.props, "addonName") === "eks-pod-identity-agent",
      );
      if (!hasOidc && !hasPodIdentity) {
        for (const c of clusters) {
          // Under a real preview the component and its aws:eks child are both present: report once.
          if (c.type === types.eksCluster && c.parent?.type === types.eksComponent) continue;
          report(
            "no IAM OIDC provider and no eks-pod-identity-agent add-on: pods can only use the node role, which every pod shares. Set createOidcProvider: true or add the eks-pod-identity-agent add-on.",
            c.urn,
          );
        }
      }
    },
  });

export const eksPolicies: PackPolicy[] = [
  eksPrivateEndpoint(),
  eksPublicEndpointRestricted(),
  eksSecretsEncryption(),
  eksControlPlaneLogging(),
  eksVersionAllowed(),
  eksAuthenticationModeApi(),
  eksAuthenticationModeNoConfigMap(),
  eksNoCreatorAdmin(),
  eksWorkloadIdentity(),
];
