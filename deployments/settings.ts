/**
 * Pure logic for the Pulumi Deployments settings of the `platform` project: which stacks exist,
 * which policy profile judges each one, and the exact `pulumiservice.DeploymentSettings` arguments
 * per stack. No resources and no `pulumi.Config` here, so everything is testable without mocks
 * (`test/deployments.test.ts`); `deployments/index.ts` only reads config and registers resources.
 *
 * @see https://www.pulumi.com/registry/packages/pulumiservice/api-docs/deploymentsettings/
 * @see https://www.pulumi.com/docs/deployments/deployments/using/settings/
 */
import * as fs from "fs";
import * as path from "path";
import type { Input } from "@pulumi/pulumi";

/** Module-level defaults; every value is documented in docs/ci-and-deployments.md. */
export const deploymentDefaults = {
  /** The Pulumi project whose stacks get deployment settings (root `Pulumi.yaml`). */
  project: "platform",
  /** The branch whose pushes run `pulumi up`. */
  branch: "main",
  /** Directory of the project's `Pulumi.yaml` inside the repository. */
  repoDir: ".",
  /** Directory of the CrossGuard pack, relative to `repoDir`. */
  policyPackDir: "policy",
  /** Directory of the pack's per-profile configs, relative to `repoDir`. */
  policyConfigDir: "policy/config",
  /**
   * Assume-role session length for the OIDC role, in AWS' `XhYmZs` format. A first hub `pulumi up`
   * (EKS, node groups, Helm releases) can take over an hour, so two hours; the IAM role's
   * `MaxSessionDuration` must be at least this (7200 s).
   */
  awsSessionDuration: "2h0m0s",
  /** Prefix of the assume-role session name (shown in CloudTrail); AWS caps names at 64 chars. */
  sessionNamePrefix: "pulumi-deploy",
  /**
   * Files (relative to the repository root) whose change can alter what a stack deploys. A push that
   * touches none of them (docs/, gitops/ which Flux owns, .github/, deployments/) deploys nothing.
   * `{stackFile}` is replaced by the stack's own `Pulumi.<stack>.yaml`, so editing one spoke's file
   * deploys that spoke only.
   */
  deployPaths: [
    "Pulumi.yaml",
    "{stackFile}",
    "index.ts",
    "components/**",
    "stacks/**",
    "policy/**",
    "package.json",
    "package-lock.json",
  ],
} as const;

/** The two policy configs shipped in `policy/config/`. */
export type PolicyProfile = "production" | "non-production";

/** Stack-name suffixes that mark a non-production stack (`spoke-staging`, `spoke-dev`, ...). */
const nonProductionSuffix =
  /-(dev|development|test|testing|qa|sandbox|staging|stage|pre|preprod|nonprod|preview)$/;

const stackFilePattern = /^Pulumi\.([A-Za-z0-9][A-Za-z0-9._-]*)\.ya?ml$/;

/**
 * The stack name a root file defines, or `undefined` when the file is not a stack file
 * (`Pulumi.yaml` itself, `PulumiPolicy.yaml`, anything else).
 */
export function stackNameFromFile(fileName: string): string | undefined {
  const match = stackFilePattern.exec(path.basename(fileName));
  return match ? match[1] : undefined;
}

/** Stack names defined by a list of file names, sorted and de-duplicated. */
export function stacksFromFileNames(fileNames: readonly string[]): string[] {
  const names = fileNames.map(stackNameFromFile).filter((n): n is string => n !== undefined);
  return [...new Set(names)].sort();
}

/** Stack names defined by the `Pulumi.<stack>.yaml` files in `dir` (the repository root). */
export function discoverStacks(dir: string): string[] {
  return stacksFromFileNames(fs.readdirSync(dir));
}

/**
 * The policy profile that judges a stack: an explicit override wins; otherwise a stack whose name
 * ends in a non-production suffix (`-dev`, `-test`, `-staging`, `-pre`, ...) is `non-production`
 * and every other stack, including `hub` and `spoke-prod`, is `production`. Unknown means strict.
 */
export function policyProfileFor(
  stack: string,
  overrides: Readonly<Record<string, PolicyProfile>> = {},
): PolicyProfile {
  const override = overrides[stack];
  if (override !== undefined) {
    if (override !== "production" && override !== "non-production") {
      throw new Error(
        `policyProfiles.${stack}: got ${JSON.stringify(override)}, expected "production" or "non-production"`,
      );
    }
    return override;
  }
  return nonProductionSuffix.test(stack) ? "non-production" : "production";
}

/** Path of a profile's policy config relative to the project directory. */
export function policyConfigPath(profile: PolicyProfile): string {
  return `${deploymentDefaults.policyConfigDir}/${profile}.json`;
}

/** The CI matrix rows: one per stack with the policy config that judges it. */
export function stackMatrix(
  stacks: readonly string[],
  overrides: Readonly<Record<string, PolicyProfile>> = {},
): { stack: string; profile: PolicyProfile; policyConfig: string }[] {
  return stacks.map((stack) => {
    const profile = policyProfileFor(stack, overrides);
    return { stack, profile, policyConfig: policyConfigPath(profile) };
  });
}

/** Inputs for one stack's deployment settings (plain values; the program resolves config). */
export interface StackDeploymentInputs {
  /** Pulumi Cloud organization that owns the stacks. */
  readonly organization: string;
  /** GitHub repository as `owner/name`, connected through the Pulumi GitHub App. */
  readonly repository: string;
  /** Stack name, e.g. `spoke-prod`. */
  readonly stack: string;
  /** IAM role Deployments assumes through OIDC (trust: `api.pulumi.com/oidc`). */
  readonly awsRoleArn: string;
  /**
   * The customer-managed runner pool the deployments run on: the hub's (`deploymentAgentPoolId`
   * output), inside the network, since the EKS API endpoints are private. A UUID.
   * https://www.pulumi.com/docs/pulumi-cloud/deployments/customer-managed-agents/
   */
  readonly agentPoolId: Input<string>;
  /** Pulumi project. @default deploymentDefaults.project */
  readonly project?: string;
  /** Branch deployed on push. @default deploymentDefaults.branch */
  readonly branch?: string;
  /** Directory of `Pulumi.yaml` in the repository. @default deploymentDefaults.repoDir */
  readonly repoDir?: string;
  /** Policy profile; @default policyProfileFor(stack) */
  readonly policyProfile?: PolicyProfile;
  /** OIDC session length, `XhYmZs`. @default deploymentDefaults.awsSessionDuration */
  readonly awsSessionDuration?: string;
  /** Custom executor image; must have Node.js 22 or later (24 LTS recommended) on PATH, since the Pulumi CLI runs the program with the `node` it finds there. @default Pulumi's default image */
  readonly executorImage?: string;
  /** Extra environment variables for the deployment (non-secret). */
  readonly environmentVariables?: Readonly<Record<string, string>>;
}

/**
 * The plain arguments of `pulumiservice.DeploymentSettings` for one stack. Structurally a subset
 * of `DeploymentSettingsArgs` (checked where the resource is created).
 */
export interface StackDeploymentSettings {
  readonly organization: string;
  readonly project: string;
  readonly stack: string;
  readonly sourceContext: { readonly git: { readonly branch: string; readonly repoDir: string } };
  readonly vcs: {
    readonly provider: "github";
    readonly repository: string;
    readonly deployCommits: boolean;
    readonly previewPullRequests: boolean;
    readonly pullRequestTemplate: boolean;
    readonly paths: string[];
  };
  readonly operationContext: {
    readonly oidc: {
      readonly aws: { readonly roleARN: string; readonly sessionName: string; readonly duration: string };
    };
    readonly options: {
      readonly skipInstallDependencies: boolean;
      readonly skipIntermediateDeployments: boolean;
    };
    readonly preRunCommands: string[];
    readonly environmentVariables: Record<string, string>;
  };
  readonly cacheOptions: { readonly enable: boolean };
  /** The runner pool (never Pulumi-hosted runners: they cannot reach the private API endpoints). */
  readonly agentPoolId: Input<string>;
  readonly executorContext?: { readonly executorImage: string };
}

const roleArnPattern = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/;
const repositoryPattern = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;
const durationPattern = /^(\d+h)?(\d+m)?(\d+s)?$/;
const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The assume-role session name for a stack: `pulumi-deploy-<stack>`, at most 64 characters. */
export function sessionNameFor(stack: string): string {
  return `${deploymentDefaults.sessionNamePrefix}-${stack}`.replace(/[^\w+=,.@-]/g, "-").slice(0, 64);
}

/**
 * Commands run before the Pulumi operation (each line in its own shell, in `repoDir`). Dependency
 * installation is done here instead of by the executor (`skipInstallDependencies`) so the order is
 * explicit: root deps, the policy pack's deps, then a policy gate. The gate is a
 * `pulumi preview --policy-pack` of the same commit with the stack's profile config: a mandatory
 * violation fails the command and the deployment stops before `pulumi up` runs. Deployments give
 * no way to add `--policy-pack` to the `pulumi up` they run, so the gate is the preview; the
 * Pulumi Cloud policy group (optional, see index.ts) enforces the published pack on `up` itself.
 */
export function preRunCommandsFor(fqStack: string, profile: PolicyProfile): string[] {
  return [
    "npm ci --no-audit --no-fund",
    `npm ci --prefix ${deploymentDefaults.policyPackDir} --no-audit --no-fund`,
    [
      "pulumi preview",
      `--stack ${fqStack}`,
      `--policy-pack ${deploymentDefaults.policyPackDir}`,
      `--policy-pack-config ${policyConfigPath(profile)}`,
      "--non-interactive",
      "--suppress-outputs",
    ].join(" "),
  ];
}

/**
 * Builds the deployment settings of one stack: source = `repository`@`branch` at `repoDir`;
 * `pulumi up` on every push to the branch that touches the stack's paths; `pulumi preview` on every
 * pull request; AWS credentials through OIDC only (no keys); the policy gate in pre-run commands.
 * Throws with a one-line message on a malformed input.
 */
export function buildStackDeploymentSettings(inputs: StackDeploymentInputs): StackDeploymentSettings {
  const project = inputs.project ?? deploymentDefaults.project;
  const branch = inputs.branch ?? deploymentDefaults.branch;
  const repoDir = inputs.repoDir ?? deploymentDefaults.repoDir;
  const duration = inputs.awsSessionDuration ?? deploymentDefaults.awsSessionDuration;
  const profile = inputs.policyProfile ?? policyProfileFor(inputs.stack);

  if (!inputs.organization)
    throw new Error("organization: got an empty value, expected a Pulumi organization");
  if (!repositoryPattern.test(inputs.repository)) {
    throw new Error(`repository: got ${JSON.stringify(inputs.repository)}, expected "owner/name"`);
  }
  if (!roleArnPattern.test(inputs.awsRoleArn)) {
    throw new Error(
      `awsRoleArn for ${inputs.stack}: got ${JSON.stringify(inputs.awsRoleArn)}, expected arn:aws:iam::<12 digits>:role/<name>`,
    );
  }
  if (typeof inputs.agentPoolId === "string" && !uuidPattern.test(inputs.agentPoolId)) {
    throw new Error(
      `agentPoolId: got ${JSON.stringify(inputs.agentPoolId)}, expected the hub's deploymentAgentPoolId (a UUID)`,
    );
  }
  if (!durationPattern.test(duration) || duration === "") {
    throw new Error(`awsSessionDuration: got ${JSON.stringify(duration)}, expected XhYmZs, e.g. 2h0m0s`);
  }
  if (repoDir.startsWith("/") || repoDir.split("/").includes("..")) {
    throw new Error(
      `repoDir: got ${JSON.stringify(repoDir)}, expected a relative path inside the repository`,
    );
  }

  const prefix = repoDir === "." || repoDir === "" ? "" : `${repoDir.replace(/\/+$/, "")}/`;
  const stackFile = `Pulumi.${inputs.stack}.yaml`;
  const paths = deploymentDefaults.deployPaths.map((p) => prefix + (p === "{stackFile}" ? stackFile : p));
  const fqStack = `${inputs.organization}/${project}/${inputs.stack}`;

  return {
    organization: inputs.organization,
    project,
    stack: inputs.stack,
    sourceContext: { git: { branch, repoDir } },
    vcs: {
      provider: "github",
      repository: inputs.repository,
      deployCommits: true,
      previewPullRequests: true,
      // Review stacks would stand up a whole EKS cluster per pull request: off.
      pullRequestTemplate: false,
      paths,
    },
    operationContext: {
      oidc: {
        aws: { roleARN: inputs.awsRoleArn, sessionName: sessionNameFor(inputs.stack), duration },
      },
      options: { skipInstallDependencies: true, skipIntermediateDeployments: true },
      preRunCommands: preRunCommandsFor(fqStack, profile),
      environmentVariables: {
        PLATFORM_POLICY_PROFILE: profile,
        ...(inputs.environmentVariables ?? {}),
      },
    },
    cacheOptions: { enable: true },
    agentPoolId: inputs.agentPoolId,
    ...(inputs.executorImage ? { executorContext: { executorImage: inputs.executorImage } } : {}),
  };
}

/** Inputs of the optional Pulumi Cloud policy groups (server-side enforcement of the published pack). */
export interface PolicyGroupInputs {
  readonly organization: string;
  readonly project?: string;
  /** Name the pack was published under (`pulumi policy publish` in policy/). */
  readonly policyPackName: string;
  /** Published version tag to enforce; @default the latest enabled version */
  readonly policyPackVersion?: string;
  /** Stacks with their profile. */
  readonly stacks: readonly { readonly stack: string; readonly profile: PolicyProfile }[];
  /** Parsed `policy/config/<profile>.json` per profile. */
  readonly configs: Readonly<Record<PolicyProfile, Record<string, unknown>>>;
}

/** Plain `pulumiservice.PolicyGroup` arguments, one preventative group per profile with stacks. */
export interface PolicyGroupSettings {
  readonly name: string;
  readonly organizationName: string;
  readonly entityType: "stacks";
  readonly mode: "preventative";
  readonly stacks: { name: string; routingProject: string }[];
  readonly policyPacks: { name: string; versionTag?: string; config: Record<string, unknown> }[];
}

/** One preventative policy group per profile that has at least one stack. */
export function buildPolicyGroups(inputs: PolicyGroupInputs): PolicyGroupSettings[] {
  const project = inputs.project ?? deploymentDefaults.project;
  const profiles: PolicyProfile[] = ["production", "non-production"];
  return profiles
    .map((profile) => ({ profile, stacks: inputs.stacks.filter((s) => s.profile === profile) }))
    .filter((g) => g.stacks.length > 0)
    .map(({ profile, stacks }) => ({
      name: `${project}-${profile}`,
      organizationName: inputs.organization,
      entityType: "stacks" as const,
      mode: "preventative" as const,
      stacks: stacks.map((s) => ({ name: s.stack, routingProject: project })),
      policyPacks: [
        {
          name: inputs.policyPackName,
          ...(inputs.policyPackVersion ? { versionTag: inputs.policyPackVersion } : {}),
          config: inputs.configs[profile],
        },
      ],
    }));
}
