import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as pulumiservice from "@pulumi/pulumiservice";
import { runnerVersions } from "./versions";

/** Arguments of {@link DeploymentRunner}. */
export interface DeploymentRunnerArgs {
  /** Pulumi Cloud organization that owns the pool (the stack's organization). */
  readonly organization: string;
  /** Pool name in Pulumi Cloud, e.g. `platform-hub`. */
  readonly poolName: string;
  /** Kubernetes provider of the cluster the agents run on. */
  readonly provider: k8s.Provider;
  /** Namespace of the agents and their worker pods. @default "pulumi-deployments" */
  readonly namespace?: string;
  /** Agent replicas (each runs one deployment at a time). @default 2 */
  readonly replicas?: number;
  /** Agent image. @default runnerVersions.agentImage */
  readonly image?: string;
  /** Pulumi Cloud API the agents poll. @default "https://api.pulumi.com" */
  readonly serviceUrl?: string;
}

/** Module defaults of {@link DeploymentRunner}. */
const runnerDefaults = {
  namespace: "pulumi-deployments",
  replicas: 2,
  serviceUrl: "https://api.pulumi.com",
  /** The work directory shared by the agent and its worker pods. */
  workDirectory: "/mnt/work",
  /**
   * Pod Security of the namespace: the worker pods run the Pulumi CLI image, which runs as root, so
   * `baseline` is enforced and `restricted` audited. https://kubernetes.io/docs/concepts/security/pod-security-admission/
   */
  podSecurity: { enforce: "baseline", audit: "restricted", warn: "restricted" },
  labels: { "app.kubernetes.io/name": "customer-managed-deployment-agent" },
  /** What the agent may do in its namespace: create and watch one worker pod per deployment. */
  rules: [
    {
      apiGroups: [""],
      resources: ["pods", "pods/log", "configmaps"],
      verbs: ["create", "get", "list", "watch", "update", "delete"],
    },
  ],
};

/** The agent container's environment (the agent's own settings, the token from a Secret). */
function agentEnvironment(args: {
  image: string;
  serviceUrl: string;
  tokenSecret: pulumi.Input<string>;
  workerServiceAccount: pulumi.Input<string>;
}): k8s.types.input.core.v1.EnvVar[] {
  return [
    { name: "PULUMI_AGENT_DEPLOY_TARGET", value: "kubernetes" },
    { name: "PULUMI_AGENT_SHARED_VOLUME_DIRECTORY", value: runnerDefaults.workDirectory },
    { name: "PULUMI_AGENT_SERVICE_URL", value: args.serviceUrl },
    { name: "PULUMI_AGENT_IMAGE", value: args.image },
    { name: "PULUMI_AGENT_IMAGE_PULL_POLICY", value: "IfNotPresent" },
    { name: "PULUMI_AGENT_SERVICE_ACCOUNT_NAME", value: args.workerServiceAccount },
    {
      name: "PULUMI_AGENT_TOKEN",
      valueFrom: { secretKeyRef: { name: args.tokenSecret, key: "PULUMI_AGENT_TOKEN" } },
    },
  ];
}

/**
 * The agent pod: non-root, seccomp RuntimeDefault, no privilege escalation, every capability
 * dropped, a work directory shared with the worker pods it starts.
 */
function agentPodSpec(args: {
  image: string;
  serviceUrl: string;
  tokenSecret: pulumi.Input<string>;
  agentServiceAccount: pulumi.Input<string>;
  workerServiceAccount: pulumi.Input<string>;
}): k8s.types.input.core.v1.PodSpec {
  return {
    serviceAccountName: args.agentServiceAccount,
    securityContext: {
      runAsNonRoot: true,
      runAsUser: 65532,
      seccompProfile: { type: "RuntimeDefault" },
    },
    terminationGracePeriodSeconds: 300,
    containers: [
      {
        name: "agent",
        image: args.image,
        env: agentEnvironment(args),
        resources: {
          requests: { cpu: "200m", memory: "128Mi" },
          limits: { cpu: "500m", memory: "256Mi" },
        },
        securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
        volumeMounts: [{ name: "work", mountPath: runnerDefaults.workDirectory }],
      },
    ],
    volumes: [{ name: "work", emptyDir: {} }],
  };
}

/**
 * A Pulumi Deployments runner pool inside the cluster's VPC: the Pulumi Cloud agent pool
 * (`pulumiservice.AgentPool`) and its Kubernetes-native agents, which start one worker pod per
 * deployment, so deployments reach the private EKS API endpoints (this cluster's, and the spokes'
 * over the Transit Gateway). The pool's token is stored only in a Kubernetes Secret.
 * https://www.pulumi.com/docs/pulumi-cloud/deployments/customer-managed-agents/
 */
export class DeploymentRunner extends pulumi.ComponentResource {
  /** The pool id that DeploymentSettings name (`agentPoolId`). */
  public readonly agentPoolId: pulumi.Output<string>;
  /** The agents' namespace. */
  public readonly namespace: string;

  constructor(name: string, args: DeploymentRunnerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:runner:DeploymentRunner", name, {}, opts);
    const namespace = args.namespace ?? runnerDefaults.namespace;
    const replicas = args.replicas ?? runnerDefaults.replicas;
    if (!Number.isInteger(replicas) || replicas < 1) {
      throw new Error(`${name}: replicas is ${replicas}, expected a whole number of at least 1`);
    }
    const image = args.image ?? runnerVersions.agentImage;
    const labels = runnerDefaults.labels;
    const k8sOpts = { parent: this, provider: args.provider };

    const pool = new pulumiservice.AgentPool(
      `${name}-pool`,
      {
        organizationName: args.organization,
        name: args.poolName,
        description: `Deployments inside the ${args.poolName} network (Kubernetes agents in ${namespace})`,
      },
      { parent: this, additionalSecretOutputs: ["tokenValue"] },
    );
    this.agentPoolId = pool.agentPoolId;
    this.namespace = namespace;

    const ps = runnerDefaults.podSecurity;
    const ns = new k8s.core.v1.Namespace(
      `${name}-namespace`,
      {
        metadata: {
          name: namespace,
          labels: {
            "pod-security.kubernetes.io/enforce": ps.enforce,
            "pod-security.kubernetes.io/audit": ps.audit,
            "pod-security.kubernetes.io/warn": ps.warn,
          },
        },
      },
      k8sOpts,
    );
    const metadata = (suffix: string) => ({ name: `deployment-agent${suffix}`, namespace, labels });
    const nsOpts = { ...k8sOpts, dependsOn: [ns] };
    const token = new k8s.core.v1.Secret(
      `${name}-token`,
      { metadata: metadata("-token"), type: "Opaque", stringData: { PULUMI_AGENT_TOKEN: pool.tokenValue } },
      nsOpts,
    );
    const accounts = this.agentAccounts(name, metadata, namespace, nsOpts);
    new k8s.apps.v1.Deployment(
      `${name}-agent`,
      {
        metadata: metadata(""),
        spec: {
          replicas,
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: agentPodSpec({
              image,
              serviceUrl: args.serviceUrl ?? runnerDefaults.serviceUrl,
              tokenSecret: token.metadata.name,
              agentServiceAccount: accounts.agent,
              workerServiceAccount: accounts.worker,
            }),
          },
        },
      },
      nsOpts,
    );

    this.registerOutputs({ agentPoolId: this.agentPoolId, namespace });
  }

  /**
   * The agent's ServiceAccount with a Role to run worker pods in the namespace, and the workers'
   * ServiceAccount (no API token mounted).
   * @returns the two ServiceAccount names
   */
  private agentAccounts(
    name: string,
    metadata: (suffix: string) => k8s.types.input.meta.v1.ObjectMeta,
    namespace: string,
    opts: pulumi.CustomResourceOptions,
  ): { agent: pulumi.Output<string>; worker: pulumi.Output<string> } {
    const agent = new k8s.core.v1.ServiceAccount(`${name}-agent`, { metadata: metadata("") }, opts);
    const worker = new k8s.core.v1.ServiceAccount(
      `${name}-worker`,
      { metadata: metadata("-worker"), automountServiceAccountToken: false },
      opts,
    );
    const role = new k8s.rbac.v1.Role(
      `${name}-agent`,
      { metadata: metadata(""), rules: runnerDefaults.rules },
      opts,
    );
    new k8s.rbac.v1.RoleBinding(
      `${name}-agent`,
      {
        metadata: metadata(""),
        subjects: [{ kind: "ServiceAccount", name: agent.metadata.name, namespace }],
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata.name },
      },
      opts,
    );
    return { agent: agent.metadata.name, worker: worker.metadata.name };
  }
}
