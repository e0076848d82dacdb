/**
 * Config keys of the gitops capability (merged into the `platform` namespace by stacks/config.ts):
 * where Flux syncs from (repository, branch, path, interval) and how it authenticates.
 *
 * Secrets (`gitSshPrivateKey`, `githubAppPrivateKey`) are set with `pulumi config set --secret`;
 * the stack program wraps them in `pulumi.secret` before they reach a resource.
 * Reference: https://fluxcd.io/flux/components/source/gitrepositories/
 */
import { z } from "zod";
import { namespaceName } from "../../components/tenancy/logic";
import { FLUX_NAMESPACE } from "../../components/gitops/versions";
import { ConfigError, NAMESPACE, boolean, kubernetesName, structured } from "../schema";
import type { RoleOnly, SectionConfig, SectionOf } from "./types";
import type { tenancySchema } from "./tenancy";

/** Git authentication modes: none (public HTTPS), SSH deploy key, GitHub App (Flux 2.5+ `provider: github`). */
const GIT_AUTH_MODES = ["none", "ssh", "github-app"] as const;
export type GitAuthMode = (typeof GIT_AUTH_MODES)[number];

/** A Go duration as Flux accepts it (`time.ParseDuration`): `1m`, `10m0s`, `1h30m`, `90s`. */
export function isGoDuration(value: string): boolean {
  return /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(value) && !/^0+(\.0+)?[a-zµ]+$/.test(value);
}

/** A Git URL Flux can clone: `https://host/path` or `ssh://user@host[:port]/path`. */
function isGitUrl(value: string): boolean {
  return (
    /^https:\/\/[A-Za-z0-9.-]+(:\d+)?\/[^\s]+$/.test(value) ||
    /^ssh:\/\/[A-Za-z0-9._-]+@[A-Za-z0-9.-]+(:\d+)?\/[^\s]+$/.test(value)
  );
}

/** A branch name (git check-ref-format, simplified): no spaces, no `..`, no leading `-` or `/`. */
const branchName = () =>
  z.string().regex(/^(?!-|\/)(?!.*\.\.)(?!.*\/\/)[A-Za-z0-9._/-]+(?<!\/|\.lock)$/, {
    error: "a Git branch name such as main",
  });

/** Keys of this section: zod schemas with TSDoc and @default. */
/** SSH key types Flux's Git client accepts. */
const SSH_KEY_TYPE = "(?:ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(?:256|384|521))";
/** An OpenSSH public key line (`<type> <base64> [comment]`). */
const SSH_PUBLIC_KEY = new RegExp(`^${SSH_KEY_TYPE} [A-Za-z0-9+/]+={0,3}(?: .*)?$`);
/** A known_hosts line (`<hosts> <type> <base64>`). */
const KNOWN_HOSTS_LINE = new RegExp(`^\\S+ ${SSH_KEY_TYPE} [A-Za-z0-9+/]+={0,3}(?: .*)?$`);

export const gitopsSchema = {
  /**
   * URL of the Git repository Flux syncs (`https://...` or `ssh://git@host/org/repo`). Required to
   * build Flux; empty means "not set" and the gitops wiring reports the key.
   * https://fluxcd.io/flux/components/source/gitrepositories/#url
   */
  gitRepositoryUrl: z
    .string()
    .refine(isGitUrl, {
      error: "a Git URL such as https://github.com/org/repo or ssh://git@github.com/org/repo",
    })
    .optional(),
  /** Branch Flux follows. @default "main" */
  gitBranch: branchName().default("main"),
  /** Path of this cluster's root in the repository. @default "./gitops/clusters/<stack>" */
  gitPath: z
    .string()
    .regex(/^\.\/[A-Za-z0-9._/-]*$/, {
      error: "a repository path starting with ./ such as ./gitops/clusters/hub",
    })
    .optional(),
  /** How often Flux fetches the repository and reconciles the root Kustomization (a Go duration). @default "1m" */
  gitInterval: z
    .string()
    .refine(isGoDuration, { error: "a Go duration such as 1m, 10m0s or 1h" })
    .default("1m"),
  /** Git authentication: none, ssh (deploy key) or github-app. @default "none" */
  gitAuth: z.enum(GIT_AUTH_MODES, { error: `one of ${GIT_AUTH_MODES.join(", ")}` }).default("none"),
  /** SSH deploy key (OpenSSH private key), a Pulumi secret. Required when gitAuth is ssh. */
  gitSshPrivateKey: z.string().optional(),
  /** SSH public key of the deploy key (`identity.pub`), informational. @default "" */
  gitSshPublicKey: z
    .string()
    .regex(SSH_PUBLIC_KEY, { error: "an OpenSSH public key such as ssh-ed25519 AAAA... (identity.pub)" })
    .optional(),
  /** known_hosts lines of the Git server (`ssh-keyscan github.com`). Required when gitAuth is ssh. */
  gitKnownHosts: z
    .string()
    .refine((text) => text.split("\n").every((line) => !line.trim() || KNOWN_HOSTS_LINE.test(line.trim())), {
      error: "known_hosts lines such as: github.com ssh-ed25519 AAAA... (ssh-keyscan github.com)",
    })
    .optional(),
  /** GitHub App ID. Required when gitAuth is github-app. */
  githubAppId: z.string().regex(/^\d+$/, { error: "a numeric GitHub App ID" }).optional(),
  /** GitHub App installation ID. Required when gitAuth is github-app. */
  githubAppInstallationId: z
    .string()
    .regex(/^\d+$/, { error: "a numeric GitHub App installation ID" })
    .optional(),
  /** GitHub App private key (PEM), a Pulumi secret. Required when gitAuth is github-app. */
  githubAppPrivateKey: z.string().optional(),
  /**
   * Hub only: path of the platform baseline the hub's Flux applies to every registered spoke
   * (in the hub's repository). @default "./gitops/infrastructure/baseline"
   */
  gitBaselinePath: z
    .string()
    .regex(/^\.\/[A-Za-z0-9._/-]*$/, {
      error: "a repository path starting with ./ such as ./gitops/infrastructure/baseline",
    })
    .default("./gitops/infrastructure/baseline"),
  /**
   * Allow Flux objects to reference sources in other namespaces (turns off the multi-tenancy
   * lockdown flag `--no-cross-namespace-refs`). @default false
   * https://fluxcd.io/flux/installation/configuration/multitenancy/
   */
  fluxCrossNamespaceRefs: boolean().default(false),
  /**
   * Namespaces where the repository's platform-level tree (the Kustomizations it declares in
   * flux-system) may install Helm releases, each with the chart repositories its releases name
   * (`spec.chart.spec.sourceRef`, HelmRepository in flux-system in the repository). For each, the
   * platform creates the namespace (unless built in, e.g. kube-system), a `flux-infrastructure`
   * ServiceAccount bound to cluster-admin (judged by the pack's `no-cluster-admin-binding`) and
   * copies of the chart repositories there, and the root sync makes those HelmReleases impersonate
   * the account and use the copies. Never flux-system or a tenant namespace. @default [] (such
   * HelmReleases are refused by the Flux lockdown; see docs/gitops.md)
   */
  fluxInfrastructureNamespaces: structured(
    z.array(
      z.strictObject({
        /** The namespace of the HelmReleases. */
        namespace: kubernetesName(),
        /** Chart repositories (HelmRepository copies) the releases there take charts from. @default [] */
        chartSources: z
          .array(
            z.strictObject({
              /** HelmRepository name, as the HelmReleases name it. */
              name: kubernetesName(),
              /** Chart repository URL (https:// index or oci:// registry). */
              url: z.string().regex(/^(https|oci):\/\/[^\s]+$/, {
                error:
                  "a chart repository URL such as https://charts.jetstack.io or oci://ghcr.io/org/charts",
              }),
            }),
          )
          .default([]),
      }),
    ),
  ).default([]),
};

/** Keys that only one role reads (the hub's Flux applies the baseline to every spoke). */
export const gitopsRoles: RoleOnly<typeof gitopsSchema> = { gitBaselinePath: "hub" };

/** The keys of this section as the validated config carries them. */
export type GitOpsConfig = SectionOf<typeof gitopsSchema>;

const key = (name: string) => `${NAMESPACE}:${name}`;

/** Cross-key rules of this section; throws ConfigError on bad input. */
export function gitopsChecks(
  config: SectionConfig<typeof gitopsSchema> & SectionOf<typeof tenancySchema>,
): void {
  const c = config;
  if (c.gitAuth === "ssh") {
    if (!c.gitSshPrivateKey)
      throw new ConfigError(
        key("gitSshPrivateKey"),
        undefined,
        "an SSH private key (pulumi config set --secret) when gitAuth is ssh",
      );
    if (!c.gitKnownHosts)
      throw new ConfigError(
        key("gitKnownHosts"),
        undefined,
        "known_hosts lines of the Git server when gitAuth is ssh",
      );
    if (c.gitRepositoryUrl && !c.gitRepositoryUrl.startsWith("ssh://")) {
      throw new ConfigError(key("gitRepositoryUrl"), c.gitRepositoryUrl, "an ssh:// URL when gitAuth is ssh");
    }
  }
  if (c.gitAuth === "github-app") {
    if (!c.githubAppId)
      throw new ConfigError(key("githubAppId"), undefined, "the GitHub App ID when gitAuth is github-app");
    if (!c.githubAppInstallationId)
      throw new ConfigError(
        key("githubAppInstallationId"),
        undefined,
        "the GitHub App installation ID when gitAuth is github-app",
      );
    if (!c.githubAppPrivateKey)
      throw new ConfigError(
        key("githubAppPrivateKey"),
        undefined,
        "the GitHub App private key (pulumi config set --secret) when gitAuth is github-app",
      );
    if (c.gitRepositoryUrl && !c.gitRepositoryUrl.startsWith("https://")) {
      throw new ConfigError(
        key("gitRepositoryUrl"),
        c.gitRepositoryUrl,
        "an https:// URL when gitAuth is github-app (Flux's github provider)",
      );
    }
  }
  const tenantNamespaces = new Map<string, string>();
  for (const org of c.organizations)
    for (const env of org.environments)
      tenantNamespaces.set(namespaceName(org.name, env.name, env.namespace), `${org.name}/${env.name}`);
  const infra = new Set<string>();
  c.fluxInfrastructureNamespaces.forEach((entry, i) => {
    const k = key(`fluxInfrastructureNamespaces[${i}].namespace`);
    if (entry.namespace === FLUX_NAMESPACE)
      throw new ConfigError(k, entry.namespace, "a namespace other than flux-system (the platform's own)");
    const tenant = tenantNamespaces.get(entry.namespace);
    if (tenant)
      throw new ConfigError(
        k,
        entry.namespace,
        `a namespace that is not a tenant's (${tenant} uses it; tenants reconcile as their own flux-reconciler)`,
      );
    if (infra.has(entry.namespace)) throw new ConfigError(k, entry.namespace, "a namespace listed once");
    infra.add(entry.namespace);
  });
  if (c.gitAuth === "none" && c.gitRepositoryUrl?.startsWith("ssh://")) {
    throw new ConfigError(key("gitAuth"), c.gitAuth, "ssh when gitRepositoryUrl is an ssh:// URL");
  }
}
