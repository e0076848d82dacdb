/**
 * Pinned versions of the Pulumi Deployments customer-managed agent.
 * https://github.com/pulumi/customer-managed-workflow-agent (multi-arch image `pulumi/customer-managed-workflow-agent:<tag>`; 2.1.0 added non-root execution)
 */
export const runnerVersions = {
  /** The agent image: polls the pool for work and starts one worker pod per deployment (the same image). */
  agentImage: "docker.io/pulumi/customer-managed-workflow-agent:v2.1.1",
} as const;
