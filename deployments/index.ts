/**
 * `platform-deployments`: Pulumi Deployments settings for every stack of the `platform` project.
 *
 * One `pulumiservice.DeploymentSettings` per `Pulumi.<stack>.yaml` at the repository root: push to
 * `main` runs `pulumi up`, a pull request runs `pulumi preview`, both on the hub's runner pool inside
 * the network (the EKS API endpoints are private), AWS credentials come from OIDC, and a
 * pre-run policy gate runs the CrossGuard pack in policy/ with the stack's profile config. Optionally
 * (`policyGroups: true`, paid Pulumi Cloud editions) one preventative policy group per profile makes
 * Pulumi Cloud enforce the published pack on every `pulumi up`, wherever it runs.
 *
 * All decisions live in ./settings.ts (pure, tested); this file reads config and registers resources.
 */
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as pulumiservice from "@pulumi/pulumiservice";
import {
  buildPolicyGroups,
  buildStackDeploymentSettings,
  deploymentDefaults,
  discoverStacks,
  policyConfigPath,
  policyProfileFor,
  type PolicyProfile,
} from "./settings";

const config = new pulumi.Config();
const organization = pulumi.getOrganization();
const project = config.get("project") ?? deploymentDefaults.project;
const repoDir = config.get("repoDir") ?? deploymentDefaults.repoDir;
const repository = config.require("repository");
const awsRoleArn = config.require("awsRoleArn");
const awsRoleArns = config.getObject<Record<string, string>>("awsRoleArns") ?? {};
const policyProfiles = config.getObject<Record<string, PolicyProfile>>("policyProfiles") ?? {};
/**
 * The runner pool in the hub VPC: config `agentPoolId`, else the hub stack's `deploymentAgentPoolId`
 * output (stack `hubStack`, default `<organization>/<project>/hub`).
 */
const agentPoolId: pulumi.Input<string> =
  config.get("agentPoolId") ??
  (new pulumi.StackReference(config.get("hubStack") ?? `${organization}/${project}/hub`).requireOutput(
    "deploymentAgentPoolId",
  ) as pulumi.Output<string>);

/** The repository's project directory, seen from this program (deployments/ sits at the root). */
const projectDir = path.resolve(__dirname, "..", repoDir);
const stacks = config.getObject<string[]>("stacks") ?? discoverStacks(projectDir);
if (stacks.length === 0) {
  throw new Error(`stacks: found no Pulumi.<stack>.yaml in ${projectDir}, expected at least one stack file`);
}

const settings: Record<string, pulumiservice.DeploymentSettings> = {};
for (const stack of stacks) {
  const args = buildStackDeploymentSettings({
    organization,
    repository,
    stack,
    project,
    repoDir,
    awsRoleArn: awsRoleArns[stack] ?? awsRoleArn,
    agentPoolId,
    branch: config.get("branch"),
    awsSessionDuration: config.get("awsSessionDuration"),
    executorImage: config.get("executorImage"),
    policyProfile: policyProfileFor(stack, policyProfiles),
  });
  const resourceArgs: pulumiservice.DeploymentSettingsArgs = args;
  settings[stack] = new pulumiservice.DeploymentSettings(`${project}-${stack}`, resourceArgs);
}

if (config.getBoolean("policyGroups") ?? false) {
  const readConfig = (profile: PolicyProfile): Record<string, unknown> =>
    JSON.parse(fs.readFileSync(path.join(projectDir, policyConfigPath(profile)), "utf8")) as Record<
      string,
      unknown
    >;
  const groups = buildPolicyGroups({
    organization,
    project,
    policyPackName: config.require("policyPackName"),
    policyPackVersion: config.get("policyPackVersion"),
    stacks: stacks.map((stack) => ({ stack, profile: policyProfileFor(stack, policyProfiles) })),
    configs: { production: readConfig("production"), "non-production": readConfig("non-production") },
  });
  for (const group of groups) {
    new pulumiservice.PolicyGroup(group.name, group);
  }
}

/** Stack names with deployment settings. */
export const deployedStacks = stacks;
/** Per stack: the policy profile its pre-run gate (and policy group, if enabled) applies. */
export const profiles = Object.fromEntries(stacks.map((s) => [s, policyProfileFor(s, policyProfiles)]));
/** Per stack: the deployment settings resource id (`org/project/stack`). */
export const settingsIds = Object.fromEntries(Object.entries(settings).map(([s, r]) => [s, r.id]));
