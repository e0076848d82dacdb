/** Version pinning: EKS add-ons and Helm charts deploy exactly the version that was reviewed. */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { frameworks, isSet, resourcePolicy, types, type PackPolicy } from "./common";

/** An exact SemVer 2.0 version (optionally v-prefixed), no ranges. */
const exactSemver = /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;

export const eksAddonVersionPinned = (): ResourceValidationPolicy =>
  resourcePolicy({
    name: "eks-addon-version-pinned",
    description: "EKS add-ons must pin addonVersion.",
    severity: "medium",
    framework: frameworks.eksBestPractices(
      "Cluster Upgrades",
      "Pin and upgrade add-on versions deliberately",
    ),
    tags: ["versions", "eks"],
    remediationSteps: "Set addonVersion (e.g. v1.19.2-eksbuild.1) from `aws eks describe-addon-versions`.",
    url: "https://docs.aws.amazon.com/eks/latest/userguide/managing-add-ons.html",
    resourceTypes: [types.eksAddon, types.eksAddonComponent],
    checks: {
      "*": (props, _args, report) => {
        if (!isSet(props.addonVersion)) {
          report(
            `addonVersion is not set for ${props.addonName ?? "the add-on"}: EKS installs its current default and the version drifts between clusters. Pin addonVersion.`,
          );
        }
      },
    },
  });

export const helmChartVersionPinned = (): ResourceValidationPolicy =>
  resourcePolicy({
    name: "helm-chart-version-pinned",
    description: "Helm releases must pin an exact chart version.",
    severity: "medium",
    framework: frameworks.platform(
      "versions",
      "Chart versions are pinned in one place and upgraded deliberately",
    ),
    tags: ["versions", "kubernetes", "helm"],
    remediationSteps: 'Set version to an exact chart version (e.g. "1.16.3"), not a range or "latest".',
    url: "https://www.pulumi.com/registry/packages/kubernetes/api-docs/helm/v3/release/",
    resourceTypes: [types.helmRelease, types.helmChartV4],
    checks: {
      "*": (props, _args, report) => {
        const chart = String(props.chart ?? "");
        if (chart.includes("@sha256:")) return; // OCI digest: pinned by content
        const version = props.version;
        if (!isSet(version)) {
          report(
            `version is not set for chart ${chart || "(unnamed)"}: every deploy may install a different chart. Pin an exact version.`,
          );
        } else if (!exactSemver.test(version)) {
          report(
            `version "${version}" is not an exact version (ranges and tags float). Pin an exact SemVer such as 1.2.3.`,
          );
        }
      },
    },
  });

export const versionsPolicies: PackPolicy[] = [eksAddonVersionPinned(), helmChartVersionPinned()];
