/**
 * Helm chart mirror (`platform:chartMirror`): every Helm release the program installs pulls its
 * chart from one mirror instead of the chart's upstream repository — what an air-gapped or
 * egress-restricted installation needs (a Harbor, Artifactory, Nexus or ChartMuseum repository, or
 * an OCI registry, holding the pinned charts by their upstream name and version).
 *
 * The rewrite is one Pulumi resource transform on `kubernetes:helm.sh/v3:Release`, so it covers the
 * releases of every component (and those added later) without each component knowing about it, and
 * the policy pack judges the rewritten release.
 * https://www.pulumi.com/docs/iac/concepts/options/transforms/
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import type { SectionOf } from "./schema";
import { structured } from "./schema";

/** The `platform:chartMirror` object. */
const chartMirrorConfigSchema = z
  .object({
    /**
     * The mirror: an `https://` (or `http://`) Helm chart repository URL, or an `oci://` registry
     * path. Every chart is looked up there by its upstream chart name and pinned version.
     */
    url: z
      .string()
      .regex(/^(https?|oci):\/\/[^\s/]+(\/\S*)?$/, {
        error: "an https://, http:// or oci:// URL of a Helm chart repository or OCI registry path",
      })
      .transform((url) => url.replace(/\/+$/, "")),
  })
  .strict();

/** Config key of the mirror (merged into the `platform` namespace by stacks/config.ts). */
export const chartMirrorSchema = {
  /** Helm chart mirror (object, see docs/configuration.md). @default not set: upstream repositories */
  chartMirror: structured(chartMirrorConfigSchema).optional(),
};

/** The validated mirror setting. */
export type ChartMirror = NonNullable<SectionOf<typeof chartMirrorSchema>["chartMirror"]>;

/** The chart fields of a `kubernetes:helm.sh/v3:Release`'s arguments. */
interface ReleaseChart {
  chart?: unknown;
  repositoryOpts?: unknown;
  [key: string]: unknown;
}

/**
 * The Release arguments with the chart taken from the mirror: `chart` becomes the bare chart name
 * (the last path segment of an `oci://` reference or of `repo/name`), and the repository the mirror
 * (`repositoryOpts.repo` for a Helm repository; an `oci://<mirror>/<name>` chart for a registry).
 * Other repository options (credentials, CA) are kept for a Helm repository mirror. A release with
 * a local chart path (no repository, not `oci://`) is left alone.
 */
export function mirrorReleaseArgs<T extends ReleaseChart>(args: T, mirror: ChartMirror): T {
  const chart = typeof args.chart === "string" ? args.chart : undefined;
  const repoOpts =
    args.repositoryOpts && typeof args.repositoryOpts === "object"
      ? (args.repositoryOpts as Record<string, unknown>)
      : undefined;
  const fromRepository = repoOpts?.repo !== undefined && repoOpts.repo !== "";
  if (!chart || (!fromRepository && !chart.startsWith("oci://"))) return args;
  const name = chart.split("/").pop()!;
  if (mirror.url.startsWith("oci://")) {
    const { repositoryOpts: _dropped, ...rest } = args;
    return { ...rest, chart: `${mirror.url}/${name}` } as T;
  }
  return { ...args, chart: name, repositoryOpts: { ...repoOpts, repo: mirror.url } };
}

/**
 * Registers the stack transform that points every Helm release at the mirror. The offline plan
 * (Pulumi mocks) does not run stack transforms: it shows the upstream repositories.
 */
export function registerChartMirror(mirror: ChartMirror): void {
  pulumi.runtime.registerResourceTransform((args) =>
    args.type === "kubernetes:helm.sh/v3:Release"
      ? { props: mirrorReleaseArgs(args.props, mirror), opts: args.opts }
      : undefined,
  );
}

/**
 * The platform facts (components/gitops/facts.ts) of the mirror, for the HelmRepositories of the
 * platform's Git content (`${chart_mirror_url:=<upstream>}`, `${chart_mirror_type:=default}`):
 * Flux's chart sources follow the mirror as the Pulumi releases do. Empty without a mirror (Flux
 * then substitutes the upstream defaults).
 * https://fluxcd.io/flux/components/source/helmrepositories/#type
 */
export function chartMirrorFacts(mirror: ChartMirror | undefined): {
  chart_mirror_url: string;
  chart_mirror_type: string;
} {
  if (!mirror) return { chart_mirror_url: "", chart_mirror_type: "" };
  return { chart_mirror_url: mirror.url, chart_mirror_type: mirror.url.startsWith("oci://") ? "oci" : "" };
}
