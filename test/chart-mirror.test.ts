import * as assert from "node:assert/strict";
import { chartMirrorFacts, mirrorReleaseArgs } from "../stacks/chart-mirror";
import { loadConfig } from "../stacks/config";
import { ConfigError } from "../stacks/schema";

describe("platform:chartMirror", () => {
  const http = { url: "https://charts.example.internal/platform" };
  const oci = { url: "oci://registry.example.internal/charts" };

  it("points a Helm repository chart at the mirror repository, keeping the other repository options", () => {
    const args = {
      name: "cert-manager",
      chart: "cert-manager",
      version: "v1.21.1",
      repositoryOpts: { repo: "https://charts.jetstack.io", caFile: "/etc/ca.pem" },
      namespace: "cert-manager",
    };
    assert.deepEqual(mirrorReleaseArgs(args, http), {
      ...args,
      repositoryOpts: { repo: "https://charts.example.internal/platform", caFile: "/etc/ca.pem" },
    });
  });

  it("takes an OCI chart (Karpenter's public ECR) from a Helm repository mirror by its chart name", () => {
    const args = { chart: "oci://public.ecr.aws/karpenter/karpenter", version: "1.14.1" };
    assert.deepEqual(mirrorReleaseArgs(args, http), {
      chart: "karpenter",
      version: "1.14.1",
      repositoryOpts: { repo: "https://charts.example.internal/platform" },
    });
  });

  it("takes every chart from an OCI registry mirror as oci://<mirror>/<chart>", () => {
    assert.deepEqual(
      mirrorReleaseArgs(
        {
          chart: "flux2",
          version: "2.18.3",
          repositoryOpts: { repo: "https://fluxcd-community.github.io/helm-charts" },
        },
        oci,
      ),
      { chart: "oci://registry.example.internal/charts/flux2", version: "2.18.3" },
    );
  });

  it("gives the Git content's HelmRepositories the mirror as platform facts (type oci for a registry)", () => {
    assert.deepEqual(chartMirrorFacts(undefined), { chart_mirror_url: "", chart_mirror_type: "" });
    assert.deepEqual(chartMirrorFacts({ url: "https://charts.internal/platform" }), {
      chart_mirror_url: "https://charts.internal/platform",
      chart_mirror_type: "",
    });
    assert.deepEqual(chartMirrorFacts({ url: "oci://registry.internal/charts" }), {
      chart_mirror_url: "oci://registry.internal/charts",
      chart_mirror_type: "oci",
    });
  });

  it("leaves a chart from a local path alone", () => {
    const args = { chart: "./charts/local", version: "1.0.0" };
    assert.equal(mirrorReleaseArgs(args, http), args);
  });

  it("refuses a URL that is not http(s) or oci, naming the key and the value", () => {
    const raw = {
      "platform:role": "hub",
      "platform:vpcCidr": "10.0.0.0/16",
      "platform:gitops": JSON.stringify({ repositoryUrl: "https://github.com/example/platform" }),
      "aws:region": "eu-west-1",
      "platform:chartMirror": JSON.stringify({ url: "charts.example.internal" }),
    };
    assert.throws(
      () => loadConfig(raw, "hub", "platform"),
      (e: unknown) =>
        e instanceof ConfigError &&
        /platform:chartMirror\.url/.test(e.message) &&
        /charts\.example\.internal/.test(e.message) &&
        /https:\/\/, http:\/\/ or oci:\/\//.test(e.message),
    );
  });
});
