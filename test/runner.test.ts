import * as assert from "node:assert/strict";
import * as path from "node:path";
import * as k8s from "@pulumi/kubernetes";
import { DeploymentRunner, runnerVersions } from "../components/runner";
import { planStack } from "../tools/plan/run";
import { promiseOf, recorded, recordedResource, setupMocks } from "./mocks";

describe("runner: DeploymentRunner", () => {
  let poolId: string;

  before(async () => {
    setupMocks({ region: "eu-west-1", stack: "hub" });
    const provider = new k8s.Provider("hub-k8s", { kubeconfig: "{}" });
    const runner = new DeploymentRunner("hub-runner", {
      organization: "acme",
      poolName: "platform-hub",
      provider,
    });
    poolId = await promiseOf(runner.agentPoolId);
    await recorded();
  });

  it("creates the Pulumi Cloud agent pool in the stack's organization", async () => {
    const pool = await recordedResource("pulumiservice:index:AgentPool", "hub-runner-pool");
    assert.equal(pool.inputs.organizationName, "acme");
    assert.equal(pool.inputs.name, "platform-hub");
    assert.match(poolId, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });

  it("keeps the pool token in a Secret the agent reads, never in the Deployment", async () => {
    const secret = await recordedResource("kubernetes:core/v1:Secret", "hub-runner-token");
    assert.match((secret.inputs.stringData as Record<string, string>).PULUMI_AGENT_TOKEN, /^pul-/);
    assert.ok(!JSON.stringify(secret.shownInputs).includes("pul-"), "the token is a secret in the plan");
    const deployment = await recordedResource("kubernetes:apps/v1:Deployment", "hub-runner-agent");
    const env = (deployment.inputs as any).spec.template.spec.containers[0].env as any[];
    const token = env.find((e) => e.name === "PULUMI_AGENT_TOKEN");
    assert.deepEqual(token.valueFrom, {
      secretKeyRef: { name: "deployment-agent-token", key: "PULUMI_AGENT_TOKEN" },
    });
    assert.ok(!JSON.stringify(deployment.inputs).includes("pul-"), "no token value in the Deployment");
  });

  it("runs the pinned agent image in Kubernetes mode, with worker pods of the same image", async () => {
    const deployment = await recordedResource("kubernetes:apps/v1:Deployment", "hub-runner-agent");
    const spec = (deployment.inputs as any).spec;
    assert.equal(spec.replicas, 2);
    const container = spec.template.spec.containers[0];
    assert.equal(container.image, runnerVersions.agentImage);
    assert.doesNotMatch(container.image, /:latest/);
    const env = Object.fromEntries(
      (container.env as any[]).filter((e) => e.value).map((e) => [e.name, e.value]),
    );
    assert.equal(env.PULUMI_AGENT_DEPLOY_TARGET, "kubernetes");
    assert.equal(env.PULUMI_AGENT_IMAGE, runnerVersions.agentImage);
    assert.equal(env.PULUMI_AGENT_SERVICE_ACCOUNT_NAME, "deployment-agent-worker");
  });

  it("lets the agent manage only pods, their logs and config maps in its own namespace", async () => {
    const role = await recordedResource("kubernetes:rbac.authorization.k8s.io/v1:Role", "hub-runner-agent");
    assert.equal((role.inputs as any).metadata.namespace, "pulumi-deployments");
    assert.deepEqual((role.inputs as any).rules[0].resources, ["pods", "pods/log", "configmaps"]);
    const all = await recorded();
    assert.equal(all.filter((r) => r.type.includes("ClusterRole")).length, 0);
  });

  it("enforces Pod Security baseline on the namespace and audits restricted", async () => {
    const ns = await recordedResource("kubernetes:core/v1:Namespace", "hub-runner-namespace");
    const labels = (ns.inputs as any).metadata.labels;
    assert.equal(labels["pod-security.kubernetes.io/enforce"], "baseline");
    assert.equal(labels["pod-security.kubernetes.io/audit"], "restricted");
  });

  it("refuses zero replicas", () => {
    setupMocks();
    const provider = new k8s.Provider("p", { kubeconfig: "{}" });
    assert.throws(
      () => new DeploymentRunner("r", { organization: "o", poolName: "p", provider, replicas: 0 }),
      /r: replicas is 0, expected a whole number of at least 1/,
    );
  });
});

describe("runner: the hub plan", () => {
  it("contains the runner pool and exports its id for the deployment settings", async () => {
    const plan = await planStack("hub", { root: path.resolve(__dirname, ".."), skipPolicies: true });
    const pool = plan.resources.find((r) => r.type === "pulumiservice:index:AgentPool");
    assert.ok(pool, "no AgentPool in the hub plan");
    assert.ok(
      plan.resources.some((r) => r.type === "kubernetes:apps/v1:Deployment" && r.name === "hub-runner-agent"),
    );
    assert.match(String(plan.outputs.deploymentAgentPoolId), /^[0-9a-f-]{36}$/);
  });
});
