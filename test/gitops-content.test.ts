/**
 * The Git content Flux syncs (gitops/): every object is valid against its Kubernetes/Flux schema,
 * every path a Flux Kustomization or kustomization.yaml names exists, every `${var}` is a platform fact.
 */
import * as assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { parseAllDocuments } from "yaml";
import { PLATFORM_FACT_KEYS, fluxVariables } from "../components/gitops/facts";
import { FLUX_GIT_REPOSITORY, FLUX_NAMESPACE } from "../components/gitops/versions";
import { tenancyDefaults, networkPolicies } from "../components/tenancy/logic";

const ROOT = resolve(__dirname, "..");
const GITOPS = join(ROOT, "gitops");

interface Doc {
  file: string;
  object: Record<string, any>;
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return yamlFiles(path);
    return /\.ya?ml$/.test(entry) ? [path] : [];
  });
}

const files = yamlFiles(GITOPS);
const docs: Doc[] = files.flatMap((file) =>
  parseAllDocuments(readFileSync(file, "utf8"))
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(`${relative(ROOT, file)}: ${doc.errors[0].message}`);
      return { file, object: doc.toJS() };
    })
    .filter((d) => d.object !== null),
);

const isKustomizeFile = (d: Doc) => d.object.apiVersion?.startsWith("kustomize.config.k8s.io/");
const isFluxKustomization = (d: Doc) =>
  d.object.apiVersion === "kustomize.toolkit.fluxcd.io/v1" && d.object.kind === "Kustomization";
const objects = docs.filter((d) => !isKustomizeFile(d));

/** The kubernetes-models module of an apiVersion: core and Kubernetes groups, or Flux groups. */
function modelModule(apiVersion: string): string {
  if (!apiVersion.includes("/")) return `kubernetes-models/${apiVersion}`;
  if (apiVersion.includes(".toolkit.fluxcd.io/")) return `@kubernetes-models/flux-cd/${apiVersion}`;
  return `kubernetes-models/${apiVersion}`;
}

/**
 * The object as Flux applies it when the facts of its `${var:=default}` variables are empty (Flux's
 * envsubst substitutes the default for an empty value): what the schema must accept.
 */
function withDefaults(object: Record<string, any>): Record<string, any> {
  return JSON.parse(
    JSON.stringify(object).replace(/\$\{[_a-zA-Z][_a-zA-Z0-9]*:?[=-]([^}]*)\}/g, "$1"),
  ) as Record<string, any>;
}

describe("gitops content", () => {
  it("has YAML under clusters/hub, clusters/spoke-prod, infrastructure/{controllers,configs,baseline} and organizations", () => {
    for (const dir of [
      "clusters/hub",
      "clusters/spoke-prod",
      "infrastructure/controllers",
      "infrastructure/configs",
      "infrastructure/baseline",
      "organizations/clusters/hub",
      "organizations/clusters/spoke-prod",
    ]) {
      assert.ok(
        existsSync(join(GITOPS, dir, "kustomization.yaml")),
        `gitops/${dir}/kustomization.yaml exists`,
      );
    }
  });

  it("validates every object against its Kubernetes or Flux schema (kubernetes-models)", async () => {
    assert.ok(objects.length >= 15, `found ${objects.length} objects`);
    for (const { file, object } of objects) {
      const where = `${relative(ROOT, file)} ${object.kind}/${object.metadata?.name}`;
      const mod = (await import(modelModule(object.apiVersion))) as Record<
        string,
        new (data: unknown) => { validate(): void }
      >;
      const Model = mod[object.kind];
      assert.ok(Model, `${where}: a model for ${object.apiVersion} ${object.kind}`);
      assert.doesNotThrow(() => new Model(withDefaults(object)).validate(), `${where} is valid`);
    }
  });

  it("takes every HelmRepository from the stack's chart mirror, upstream by default (platform:chartMirror)", () => {
    const repositories = objects.filter((d) => d.object.kind === "HelmRepository");
    assert.ok(repositories.length > 0, "the content has HelmRepositories");
    for (const { file, object } of repositories) {
      const where = `${relative(ROOT, file)} HelmRepository/${object.metadata.name}`;
      assert.match(object.spec.url, /^\$\{chart_mirror_url:=https:\/\/\S+\}$/, `${where}: url`);
      assert.equal(object.spec.type, "${chart_mirror_type:=default}", `${where}: type`);
    }
    assert.equal(
      withDefaults({ url: "${chart_mirror_url:=https://kubernetes-sigs.github.io/metrics-server/}" }).url,
      "https://kubernetes-sigs.github.io/metrics-server/",
    );
  });

  it("rejects an invalid object (the validation is real)", async () => {
    const { Kustomization } = await import("@kubernetes-models/flux-cd/kustomize.toolkit.fluxcd.io/v1");
    const invalid = new Kustomization({
      metadata: { name: "x" },
      spec: { interval: "1m", sourceRef: { kind: "GitRepository" } },
    } as never) as unknown as { validate(): void };
    assert.throws(() => invalid.validate());
  });

  it("chains the cluster layers infra-controllers -> infra-configs -> organizations in flux-system", () => {
    for (const stack of ["hub", "spoke-prod"]) {
      const layers = docs
        .filter((d) => isFluxKustomization(d) && d.file.includes(`clusters/${stack}/`))
        .map((d) => d.object);
      const byName = Object.fromEntries(layers.map((k) => [k.metadata.name, k]));
      assert.deepEqual(Object.keys(byName).sort(), ["infra-configs", "infra-controllers", "organizations"]);
      assert.equal(byName["infra-controllers"].spec.dependsOn, undefined);
      assert.deepEqual(byName["infra-configs"].spec.dependsOn, [{ name: "infra-controllers" }]);
      assert.deepEqual(byName["organizations"].spec.dependsOn, [{ name: "infra-configs" }]);
      for (const k of layers) {
        assert.equal(k.metadata.namespace, FLUX_NAMESPACE);
        assert.deepEqual(k.spec.sourceRef, { kind: "GitRepository", name: FLUX_GIT_REPOSITORY });
        assert.equal(k.spec.prune, true);
        assert.equal(k.spec.serviceAccountName, "kustomize-controller");
        assert.deepEqual(k.spec.postBuild.substituteFrom, [{ kind: "ConfigMap", name: "platform-facts" }]);
      }
    }
  });

  it("points every Flux Kustomization spec.path at a directory of this repository", () => {
    const kustomizations = docs.filter(isFluxKustomization);
    assert.ok(kustomizations.length >= 6);
    for (const { file, object } of kustomizations) {
      const path = join(ROOT, object.spec.path);
      assert.ok(
        existsSync(path) && statSync(path).isDirectory(),
        `${relative(ROOT, file)}: spec.path ${object.spec.path} exists`,
      );
    }
  });

  it("lists only existing files and directories in kustomization.yaml resources", () => {
    for (const { file, object } of docs.filter(isKustomizeFile)) {
      for (const entry of object.resources ?? []) {
        assert.ok(
          existsSync(join(dirname(file), entry)),
          `${relative(ROOT, file)}: resource ${entry} exists`,
        );
      }
    }
  });

  it("declares no object components/tenancy creates in tenant namespaces (one owner each)", () => {
    const tenancyOwned = new Set([
      ...networkPolicies({
        ingressNamespaces: ["ingress-nginx"],
        egressAllowlist: [{ cidrs: ["0.0.0.0/0"], ports: [{ port: 443 }] }],
        podIdentityAgent: true,
      }).map((p) => `NetworkPolicy/${p.name}`),
      "ResourceQuota/tenant-quota",
      "LimitRange/tenant-limits",
      `ServiceAccount/${tenancyDefaults.reconcilerServiceAccount}`,
      `RoleBinding/${tenancyDefaults.reconcilerServiceAccount}`,
      `ServiceAccount/${tenancyDefaults.secretsServiceAccount}`,
    ]);
    assert.ok(
      tenancyOwned.has("NetworkPolicy/allow-same-namespace") &&
        tenancyOwned.has("NetworkPolicy/allow-dns-egress"),
    );
    for (const { file, object } of objects) {
      assert.ok(
        !tenancyOwned.has(`${object.kind}/${object.metadata?.name}`),
        `${relative(ROOT, file)}: ${object.kind} ${object.metadata?.name} is created by components/tenancy; one owner only`,
      );
    }
  });

  it("substitutes only platform facts (every ${var} is a key of the platform-facts ConfigMap)", () => {
    const used = new Set<string>();
    for (const file of files) {
      for (const variable of fluxVariables(readFileSync(file, "utf8"))) {
        assert.ok(
          (PLATFORM_FACT_KEYS as readonly string[]).includes(variable),
          `${relative(ROOT, file)}: \${${variable}} is a platform fact`,
        );
        used.add(variable);
      }
    }
    assert.ok(used.has("cluster_name") && used.has("hub_cluster_name"), "the content uses the facts");
  });
});
