/**
 * GitOps: Flux on every cluster (chart, lockdown, Git source, root Kustomization, platform facts),
 * the hub's Flux identity, the registration of a spoke with the hub, and the gitops config keys.
 */
import * as assert from "node:assert/strict";
import {
  HUB_FLUX_ACCESS,
  PLATFORM_FACT_KEYS,
  caPem,
  factsData,
  fluxHelmValues,
  fluxHubPolicy,
  fluxVariables,
  fluxVersions,
  gitRepositorySpec,
  kubeConfigData,
  rootSyncPatches,
  spokeNameOf,
} from "../components/gitops";
import { ConfigError, loadConfig } from "../stacks/config";
import { buildFoundation } from "../stacks/foundation";
import {
  GITOPS_HUB_OUTPUT_KEYS,
  buildGitOpsHub,
  buildGitOpsSpoke,
  gitSource,
  isGoDuration,
} from "../stacks/gitops";
import { promiseOf, recorded, setupMocks, type RecordedResource } from "./mocks";

const hubRaw = {
  "aws:region": "eu-west-1",
  "platform:role": "hub",
  "platform:clusterName": "platform-hub",
  "platform:vpcCidr": "10.100.0.0/16",
  "platform:gitops": JSON.stringify({ repositoryUrl: "https://github.com/acme/platform" }),
};
const spokeRaw = {
  "aws:region": "eu-west-1",
  "platform:role": "spoke",
  "platform:clusterName": "production-numinia",
  "platform:vpcCidr": "10.0.0.0/16",
  "platform:hubStackReference": "acme/platform/hub",
  "platform:chartMirror": JSON.stringify({ url: "oci://registry.internal/charts/" }),
  "platform:gitops": JSON.stringify({
    repositoryUrl: "ssh://git@github.com/numengames/numinia-k8s",
    path: "./clusters/prod-cluster",
    auth: "ssh",
    sshPrivateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nkey\n-----END OPENSSH PRIVATE KEY-----\n",
    knownHosts: "github.com ssh-ed25519 AAAA",
    infrastructureNamespaces: [
      { namespace: "cert-manager", chartSources: [{ name: "jetstack", url: "https://charts.jetstack.io" }] },
      { namespace: "kube-system", chartSources: [{ name: "eks", url: "oci://public.ecr.aws/eks-charts" }] },
    ],
  }),
};

const HUB_ROLE = "arn:aws:iam::111122223333:role/hub-gitops-flux";
const HUB_CA = Buffer.from("-----BEGIN CERTIFICATE-----\nhub\n-----END CERTIFICATE-----\n").toString(
  "base64",
);

function one(
  resources: RecordedResource[],
  type: string,
  predicate: (r: RecordedResource) => boolean = () => true,
): RecordedResource {
  const found = resources.filter((r) => r.type === type && predicate(r));
  assert.equal(found.length, 1, `one ${type} (found ${found.map((r) => r.name).join(", ")})`);
  return found[0];
}
const named = (stack: string) => (r: RecordedResource) => r.name.startsWith(`${stack}-`);
const k8sName = (name: string) => (r: RecordedResource) => (r.inputs.metadata as any)?.name === name;

describe("gitops", () => {
  let resources: RecordedResource[];
  let hubOutputs: ReturnType<typeof buildGitOpsHub>;

  before(async () => {
    setupMocks({ region: "eu-west-1", stack: "hub" });
    const hubConfig = loadConfig(hubRaw, "hub");
    hubOutputs = buildGitOpsHub(hubConfig, await buildFoundation(hubConfig), {
      grafana_url: "https://grafana.hub.internal",
    });
    const spokeConfig = loadConfig(spokeRaw, "spoke-prod");
    buildGitOpsSpoke(spokeConfig, await buildFoundation(spokeConfig), {
      region: "eu-west-1",
      vpcCidr: "10.100.0.0/16",
      clusterName: "platform-hub",
      clusterEndpoint: "https://HUB.gr7.eu-west-1.eks.amazonaws.com",
      clusterArn: "arn:aws:eks:eu-west-1:111122223333:cluster/platform-hub",
      clusterCertificateAuthority: HUB_CA,
      fluxRoleArn: HUB_ROLE,
    });
    resources = await recorded();
  });

  describe("Flux install (flux2 Helm chart)", () => {
    it("installs the pinned flux2 chart into flux-system without creating the namespace", () => {
      const release = one(resources, "kubernetes:helm.sh/v3:Release", named("hub"));
      assert.equal(release.inputs.chart, "flux2");
      assert.equal(release.inputs.version, "2.18.3");
      assert.equal(fluxVersions.fluxVersion, "2.8.5");
      assert.deepEqual(release.inputs.repositoryOpts, {
        repo: "https://fluxcd-community.github.io/helm-charts",
      });
      assert.equal(release.inputs.namespace, "flux-system");
      assert.equal(release.inputs.createNamespace, false);
    });

    it("turns on the multi-tenancy lockdown: no cross-namespace refs, no remote bases, default service account", () => {
      const values = one(resources, "kubernetes:helm.sh/v3:Release", named("hub")).inputs.values as any;
      assert.deepEqual(values.multitenancy, {
        enabled: true,
        defaultServiceAccount: "default",
        privileged: true,
      });
      assert.deepEqual(values.kustomizeController.container.additionalArgs, ["--no-remote-bases=true"]);
      assert.equal(values.imageAutomationController.create, false);
      assert.deepEqual(values.kustomizeController.resources, {
        requests: { cpu: "100m", memory: "64Mi" },
        limits: { cpu: "1000m", memory: "1Gi" },
      });
    });

    it("re-allows cross-namespace references only when gitops.crossNamespaceRefs is true", () => {
      const values = fluxHelmValues({ crossNamespaceRefs: true }) as any;
      assert.deepEqual(values.kustomizeController.container.additionalArgs, [
        "--no-remote-bases=true",
        "--no-cross-namespace-refs=false",
      ]);
      assert.deepEqual(values.helmController.container.additionalArgs, ["--no-cross-namespace-refs=false"]);
    });

    it("labels flux-system with Pod Security levels", () => {
      const ns = one(
        resources,
        "kubernetes:core/v1:Namespace",
        (r) => named("hub")(r) && k8sName("flux-system")(r),
      );
      const labels = (ns.inputs.metadata as any).labels;
      assert.equal(labels["pod-security.kubernetes.io/enforce"], "baseline");
      assert.equal(labels["pod-security.kubernetes.io/warn"], "restricted");
      assert.equal(labels["pod-security.kubernetes.io/warn-version"], "v1.35");
    });
  });

  describe("GitRepository and root Kustomization", () => {
    const types: Record<string, string> = {
      GitRepository: "kubernetes:source.toolkit.fluxcd.io/v1:GitRepository",
      Kustomization: "kubernetes:kustomize.toolkit.fluxcd.io/v1:Kustomization",
    };
    const cr = (stack: string, kind: string) =>
      one(resources, types[kind], (r) => named(stack)(r) && !r.name.includes("baseline"));

    it("hub: syncs this repository's gitops/clusters/hub over HTTPS every minute, no secret", () => {
      const repo = cr("hub", "GitRepository");
      assert.equal(repo.inputs.apiVersion, "source.toolkit.fluxcd.io/v1");
      assert.deepEqual(repo.inputs.metadata, {
        name: "flux-system",
        namespace: "flux-system",
        annotations: { "pulumi.com/deletionPropagationPolicy": "background" },
      });
      assert.deepEqual(repo.inputs.spec, {
        url: "https://github.com/acme/platform",
        ref: { branch: "main" },
        interval: "1m",
      });
    });

    it("spoke-prod: syncs numinia-k8s ./clusters/prod-cluster over SSH with the deploy key Secret", () => {
      const repo = cr("spoke-prod", "GitRepository");
      assert.deepEqual(repo.inputs.spec, {
        url: "ssh://git@github.com/numengames/numinia-k8s",
        ref: { branch: "main" },
        interval: "1m",
        secretRef: { name: "flux-system" },
      });
      const secret = one(resources, "kubernetes:core/v1:Secret", named("spoke-prod"));
      assert.deepEqual(Object.keys(secret.inputs.stringData as object).sort(), [
        "identity",
        "identity.pub",
        "known_hosts",
      ]);
      assert.equal((secret.inputs.stringData as any).known_hosts, "github.com ssh-ed25519 AAAA");
      assert.deepEqual(secret.inputs.metadata, {
        name: "flux-system",
        namespace: "flux-system",
        labels: { "app.kubernetes.io/managed-by": "pulumi" },
      });
    });

    it("the deploy key stays a Pulumi secret", async () => {
      const source = gitSource(loadConfig(spokeRaw, "spoke-prod"));
      assert.equal(source.auth?.mode, "ssh");
      const key = (source.auth as { privateKey: any }).privateKey;
      assert.equal(await key.isSecret, true);
    });

    it("GitHub App auth uses provider github and the githubApp* secret keys", () => {
      const spec = gitRepositorySpec({
        url: "https://github.com/acme/platform",
        path: "./x",
        auth: { mode: "github-app", appId: "1", installationId: "2", privateKey: "k" },
      });
      assert.equal(spec.provider, "github");
      assert.deepEqual(spec.secretRef, { name: "flux-system" });
    });

    it("root Kustomization: stack path, prune, 10m, runs as kustomize-controller, substitutes the platform facts", () => {
      const hub = cr("hub", "Kustomization");
      assert.equal(hub.inputs.apiVersion, "kustomize.toolkit.fluxcd.io/v1");
      assert.deepEqual(hub.inputs.spec, {
        interval: "10m",
        path: "./gitops/clusters/hub",
        prune: true,
        sourceRef: { kind: "GitRepository", name: "flux-system" },
        serviceAccountName: "kustomize-controller",
        patches: rootSyncPatches(),
        postBuild: { substituteFrom: [{ kind: "ConfigMap", name: "platform-facts" }] },
      });
      assert.equal((cr("spoke-prod", "Kustomization").inputs.spec as any).path, "./clusters/prod-cluster");
    });

    it("the root sync drops a Flux install, the bootstrap objects and the replaced Kustomizations", () => {
      const patches = rootSyncPatches({ supersededKustomizations: ["numinia-pro-apps"] });
      const drop = patches.find((p) => p.target.kind === "Kustomization" && p.target.name);
      assert.equal(drop?.target.name, "^(flux-system|numinia-pro-apps)$");
      assert.equal(drop?.target.namespace, "flux-system");
      assert.match(drop!.patch, /^\$patch: delete$/m);
      assert.ok(patches.some((p) => p.target.labelSelector === "app.kubernetes.io/part-of=flux"));
    });

    it("GitRepository and Kustomization wait for the Flux release", () => {
      const release = one(resources, "kubernetes:helm.sh/v3:Release", named("hub"));
      assert.ok(cr("hub", "GitRepository").dependencies.includes(release.urn));
      assert.ok(cr("hub", "Kustomization").dependencies.includes(release.urn));
    });
  });

  describe("infrastructure namespaces (gitops.infrastructureNamespaces)", () => {
    const infra = (r: RecordedResource) => r.name.startsWith("spoke-prod-flux-infra-");

    it("creates the listed namespace, but never a built-in one such as kube-system", () => {
      const namespaces = resources.filter((r) => infra(r) && r.type === "kubernetes:core/v1:Namespace");
      assert.deepEqual(
        namespaces.map((r) => (r.inputs.metadata as any).name),
        ["cert-manager"],
      );
      assert.equal(
        (namespaces[0].inputs.metadata as any).labels["pod-security.kubernetes.io/enforce"],
        "baseline",
      );
    });

    it("gives each namespace a flux-infrastructure account bound to cluster-admin, labelled for the pack", () => {
      for (const ns of ["cert-manager", "kube-system"]) {
        const sa = one(
          resources,
          "kubernetes:core/v1:ServiceAccount",
          (r) => infra(r) && (r.inputs.metadata as any).namespace === ns,
        );
        assert.equal((sa.inputs.metadata as any).name, "flux-infrastructure");
        const crb = one(
          resources,
          "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
          k8sName(`flux-infrastructure-${ns}`),
        );
        assert.deepEqual(crb.inputs.roleRef, {
          apiGroup: "rbac.authorization.k8s.io",
          kind: "ClusterRole",
          name: "cluster-admin",
        });
        assert.deepEqual(crb.inputs.subjects, [
          { kind: "ServiceAccount", name: "flux-infrastructure", namespace: ns },
        ]);
        assert.equal((crb.inputs.metadata as any).labels["app.kubernetes.io/part-of"], "flux-infrastructure");
      }
    });

    it("declares the chart source copies in their namespace (oci:// as type oci)", () => {
      const repos = resources.filter(
        (r) => infra(r) && r.type === "kubernetes:source.toolkit.fluxcd.io/v1:HelmRepository",
      );
      assert.deepEqual(
        repos.map((r) => [
          (r.inputs.metadata as any).namespace,
          (r.inputs.metadata as any).name,
          r.inputs.spec,
        ]),
        [
          ["cert-manager", "jetstack", { interval: "1h", url: "https://charts.jetstack.io" }],
          ["kube-system", "eks", { interval: "1h", url: "oci://public.ecr.aws/eks-charts", type: "oci" }],
        ],
      );
    });

    it("the root sync patches the repository's flux-system Kustomizations for those namespaces", () => {
      const root = one(
        resources,
        "kubernetes:kustomize.toolkit.fluxcd.io/v1:Kustomization",
        (r) => named("spoke-prod")(r) && k8sName("flux-system")(r),
      );
      const patch = (root.inputs.spec as any).patches[0].patch as string;
      assert.match(patch, /serviceAccountName: flux-infrastructure/);
      assert.match(patch, /namespace: \^\(cert-manager\)\$/);
      assert.match(patch, /namespace: \^\(kube-system\)\$/);
    });
  });

  describe("platform facts", () => {
    it("writes every fact key to platform-facts in flux-system, with the stack's values", () => {
      const facts = one(
        resources,
        "kubernetes:core/v1:ConfigMap",
        (r) => named("hub")(r) && k8sName("platform-facts")(r),
      );
      assert.equal((facts.inputs.metadata as any).namespace, "flux-system");
      const data = facts.inputs.data as Record<string, string>;
      assert.deepEqual(Object.keys(data).sort(), [...PLATFORM_FACT_KEYS].sort());
      assert.equal(data.cluster_name, "platform-hub");
      assert.equal(data.cluster_role, "hub");
      assert.equal(data.aws_region, "eu-west-1");
      assert.equal(data.aws_account_id, "111122223333");
      assert.match(data.vpc_id, /^vpc-/);
      assert.match(data.flux_role_arn, /^arn:aws:iam::111122223333:role\//);
      assert.equal(data.grafana_url, "https://grafana.hub.internal");
      assert.equal(data.kibana_url, "");
      // No platform:chartMirror on the hub: empty, so the Git content's HelmRepositories keep upstream.
      assert.equal(data.chart_mirror_url, "");
      assert.equal(data.chart_mirror_type, "");
    });

    it("writes the stack's chart mirror for the Git content's HelmRepositories (platform:chartMirror)", () => {
      const facts = one(
        resources,
        "kubernetes:core/v1:ConfigMap",
        (r) => named("spoke-prod")(r) && k8sName("platform-facts")(r),
      );
      const data = facts.inputs.data as Record<string, string>;
      assert.equal(data.chart_mirror_url, "oci://registry.internal/charts");
      assert.equal(data.chart_mirror_type, "oci");
    });

    it("rejects unknown fact keys and finds ${var} uses", () => {
      assert.throws(() => factsData({ nope: "x" } as never), /unknown platform fact keys: nope/);
      assert.deepEqual(fluxVariables("a: ${cluster_name} b: ${x:=1} c: $notavar"), ["cluster_name", "x"]);
    });
  });

  describe("hub Flux identity", () => {
    it("gives kustomize-controller an IAM role through Pod Identity and outputs fluxRoleArn", async () => {
      const association = one(resources, "aws:eks/podIdentityAssociation:PodIdentityAssociation");
      assert.equal(association.inputs.namespace, "flux-system");
      assert.equal(association.inputs.serviceAccount, "kustomize-controller");
      assert.equal(association.inputs.clusterName, "platform-hub");
      const role = one(resources, "aws:iam/role:Role", (r) => r.name === "hub-gitops-flux");
      const trust = JSON.parse(role.inputs.assumeRolePolicy as string);
      assert.deepEqual(trust.Statement[0].Principal, { Service: "pods.eks.amazonaws.com" });
      assert.match(
        await promiseOf(hubOutputs.fluxRoleArn),
        /^arn:aws:iam::111122223333:role\/hub-gitops-flux/,
      );
      assert.deepEqual([...GITOPS_HUB_OUTPUT_KEYS], ["fluxRoleArn", "clusterCertificateAuthority"]);
    });

    it("may only describe EKS clusters of its account", () => {
      assert.deepEqual(fluxHubPolicy("aws", "111122223333").Statement, [
        {
          Sid: "DescribeSpokeClusters",
          Effect: "Allow",
          Action: "eks:DescribeCluster",
          Resource: "arn:aws:eks:*:111122223333:cluster/*",
        },
      ]);
    });

    it("the Flux release waits for the Pod Identity association", () => {
      const association = one(resources, "aws:eks/podIdentityAssociation:PodIdentityAssociation");
      assert.ok(
        one(resources, "kubernetes:helm.sh/v3:Release", named("hub")).dependencies.includes(association.urn),
      );
    });
  });

  describe("spoke registration", () => {
    it("grants the hub's Flux role a STANDARD access entry on the spoke", () => {
      const entry = one(resources, "aws:eks/accessEntry:AccessEntry", named("spoke-prod"));
      assert.equal(entry.inputs.clusterName, "production-numinia");
      assert.equal(entry.inputs.principalArn, HUB_ROLE);
      assert.equal(entry.inputs.type, "STANDARD");
    });

    it("associates the cluster-admin access policy at cluster scope (the baseline is cluster-scoped)", () => {
      const association = one(
        resources,
        "aws:eks/accessPolicyAssociation:AccessPolicyAssociation",
        named("spoke-prod"),
      );
      assert.equal(association.inputs.principalArn, HUB_ROLE);
      assert.equal(
        association.inputs.policyArn,
        "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
      );
      assert.deepEqual(association.inputs.accessScope, { type: "cluster" });
      assert.deepEqual(HUB_FLUX_ACCESS, { policy: "AmazonEKSClusterAdminPolicy", scope: "cluster" });
    });

    it("writes the kubeConfig ConfigMap (provider aws, cluster ARN, address, PEM ca.crt) on the hub", () => {
      const cm = one(resources, "kubernetes:core/v1:ConfigMap", k8sName("production-numinia-kubeconfig"));
      assert.equal((cm.inputs.metadata as any).namespace, "flux-system");
      const data = cm.inputs.data as Record<string, string>;
      assert.deepEqual(Object.keys(data).sort(), ["address", "ca.crt", "cluster", "provider"]);
      assert.equal(data.provider, "aws");
      assert.equal(data.cluster, "arn:aws:eks:eu-west-1:111122223333:cluster/production-numinia");
      assert.match(data.address, /^https:\/\/.*\.eks\.amazonaws\.com$/);
      assert.equal(data["ca.crt"], "mock-ca-spoke-prod-eks");
      assert.ok(cm.provider?.includes("spoke-prod-hub-k8s"), `hub provider, got ${cm.provider}`);
    });

    it("creates the hub-side baseline Kustomization with kubeConfig.configMapRef and the spoke's facts", () => {
      const k = one(
        resources,
        "kubernetes:kustomize.toolkit.fluxcd.io/v1:Kustomization",
        k8sName("production-numinia-baseline"),
      );
      const spec = k.inputs.spec as any;
      assert.equal((k.inputs.metadata as any).namespace, "flux-system");
      // Deleted by Pulumi with background propagation (components/gitops/versions.ts).
      assert.deepEqual((k.inputs.metadata as any).annotations, {
        "pulumi.com/deletionPropagationPolicy": "background",
      });
      assert.deepEqual(spec.kubeConfig, { configMapRef: { name: "production-numinia-kubeconfig" } });
      assert.equal(spec.path, "./gitops/infrastructure/baseline");
      assert.equal(spec.prune, true);
      assert.equal(spec.serviceAccountName, "kustomize-controller");
      assert.deepEqual(spec.sourceRef, { kind: "GitRepository", name: "flux-system" });
      assert.equal(spec.postBuild.substitute.cluster_name, "production-numinia");
      assert.equal(spec.postBuild.substitute.hub_cluster_name, "platform-hub");
      assert.ok(k.provider?.includes("spoke-prod-hub-k8s"));
      const association = one(
        resources,
        "aws:eks/accessPolicyAssociation:AccessPolicyAssociation",
        named("spoke-prod"),
      );
      assert.ok(k.dependencies.includes(association.urn), "waits for the access entry");
    });

    it("builds the hub provider from the hub's name, endpoint and CA (exec aws eks get-token), not its kubeconfig output", () => {
      const provider = one(resources, "pulumi:providers:kubernetes", (r) => r.name === "spoke-prod-hub-k8s");
      const kubeconfig = JSON.parse(provider.inputs.kubeconfig as string);
      assert.equal(kubeconfig.clusters[0].cluster.server, "https://HUB.gr7.eu-west-1.eks.amazonaws.com");
      assert.equal(kubeconfig.clusters[0].cluster["certificate-authority-data"], HUB_CA);
      assert.deepEqual(kubeconfig.users[0].user.exec.args, [
        "eks",
        "get-token",
        "--cluster-name",
        "platform-hub",
        "--region",
        "eu-west-1",
        "--output",
        "json",
      ]);
    });

    it("leaves the spoke API's 443 rule from the hub VPC to the transit capability (no duplicate rule)", () => {
      const rules = resources.filter(
        (r) =>
          r.type === "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule" &&
          r.name.startsWith("spoke-prod-registration"),
      );
      assert.deepEqual(rules, []);
    });

    it("pure helpers: ConfigMap data, PEM decoding, spoke names", () => {
      assert.equal(caPem(Buffer.from("PEM").toString("base64")), "PEM");
      assert.deepEqual(
        kubeConfigData({
          clusterArn: "arn",
          endpoint: "https://x",
          caBase64: Buffer.from("C").toString("base64"),
        }),
        {
          provider: "aws",
          cluster: "arn",
          address: "https://x",
          "ca.crt": "C",
        },
      );
      assert.equal(spokeNameOf("Production_Numinia"), "production-numinia");
    });
  });

  describe("configuration", () => {
    /** Asserts the stack is refused when `fields` are merged into its `platform:gitops` object. */
    function rejects(
      fields: Record<string, unknown>,
      key: string,
      expected: RegExp,
      base: Record<string, string> = hubRaw,
      drop: string[] = [],
    ): void {
      const gitops = { ...JSON.parse(base["platform:gitops"]), ...fields } as Record<string, unknown>;
      for (const field of drop) delete gitops[field];
      assert.throws(
        () => loadConfig({ ...base, "platform:gitops": JSON.stringify(gitops) }, "hub"),
        (error: unknown) => {
          assert.ok(error instanceof ConfigError, String(error));
          assert.equal(error.key, key);
          assert.match(error.message, expected);
          return true;
        },
      );
    }

    it("defaults: branch main, interval 1m, auth none, derived path, baseline path", () => {
      const config = loadConfig(hubRaw, "hub");
      assert.equal(config.gitops.branch, "main");
      assert.equal(config.gitops.interval, "1m");
      assert.equal(config.gitops.auth, "none");
      assert.equal(config.gitops.path, undefined);
      assert.equal(gitSource(config).path, "./gitops/clusters/hub");
      assert.equal(config.gitops.baselinePath, "./gitops/infrastructure/baseline");
      assert.equal(config.gitops.crossNamespaceRefs, false);
    });

    it("validates the interval as a Go duration", () => {
      for (const ok of ["1m", "10m0s", "1h30m", "90s", "1.5h"]) assert.ok(isGoDuration(ok), ok);
      for (const bad of ["1", "m", "1 m", "1d", "0s", ""]) assert.ok(!isGoDuration(bad), bad);
      rejects({ interval: "1d" }, "platform:gitops.interval", /Go duration/);
    });

    it("names the key of a bad URL, branch, path or auth mode", () => {
      rejects({ repositoryUrl: "github.com/acme/platform" }, "platform:gitops.repositoryUrl", /Git URL/);
      rejects({ branch: "bad branch" }, "platform:gitops.branch", /branch/);
      rejects({ path: "gitops/clusters/hub" }, "platform:gitops.path", /starting with \.\//);
      rejects({ auth: "token" }, "platform:gitops.auth", /none, ssh, github-app/);
    });

    it("requires the deploy key and known_hosts for ssh, and an ssh:// URL", () => {
      rejects({}, "platform:gitops.sshPrivateKey", /SSH private key/, spokeRaw, ["sshPrivateKey"]);
      rejects({ knownHosts: "" }, "platform:gitops.knownHosts", /known_hosts/, spokeRaw);
      rejects(
        { repositoryUrl: "https://github.com/acme/x" },
        "platform:gitops.repositoryUrl",
        /ssh:\/\//,
        spokeRaw,
      );
      rejects({ auth: "none" }, "platform:gitops.auth", /ssh when/, spokeRaw);
    });

    it("requires the GitHub App id, installation id and key for github-app", () => {
      rejects({ auth: "github-app" }, "platform:gitops.githubAppId", /GitHub App ID/);
      rejects(
        { auth: "github-app", githubAppId: "12" },
        "platform:gitops.githubAppInstallationId",
        /installation ID/,
      );
      rejects(
        { auth: "github-app", githubAppId: "12", githubAppInstallationId: "34" },
        "platform:gitops.githubAppPrivateKey",
        /private key/,
      );
      rejects({ githubAppId: "abc" }, "platform:gitops.githubAppId", /numeric/);
    });

    it("requires the repository URL in the schema, before anything is built", () => {
      rejects({}, "platform:gitops.repositoryUrl", /Git URL.*\(the key is required\)/, hubRaw, [
        "repositoryUrl",
      ]);
      assert.throws(
        () => loadConfig({ ...hubRaw, "platform:gitops": undefined }, "hub"),
        (e: unknown) => e instanceof ConfigError && e.key === "platform:gitops.repositoryUrl",
      );
    });
  });
});
