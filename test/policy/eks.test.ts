import * as assert from "assert";
import {
  eksAuthenticationModeApi,
  eksAuthenticationModeNoConfigMap,
  eksControlPlaneLogging,
  eksNoCreatorAdmin,
  eksPrivateEndpoint,
  eksPublicEndpointRestricted,
  eksSecretsEncryption,
  eksVersionAllowed,
  eksWorkloadIdentity,
} from "../../policy/policies/eks";
import { runResourcePolicy, runStackPolicy } from "../../policy/testing";
import { SUPPORTED_KUBERNETES_VERSIONS } from "../../components/cluster/versions";
import { CONTROL_PLANE_LOG_TYPES } from "../../components/shared/eks";

const CLUSTER = "aws:eks/cluster:Cluster";
const COMPONENT = "eks:index:Cluster";
const allLogs = ["api", "audit", "authenticator", "controllerManager", "scheduler"];

/** A cluster as the platform builds it (aws:eks child view). */
const goodCluster = {
  version: "1.35",
  vpcConfig: { subnetIds: ["subnet-a"], endpointPrivateAccess: true, endpointPublicAccess: false },
  encryptionConfig: {
    provider: { keyArn: "arn:aws:kms:eu-west-1:111122223333:key/abc" },
    resources: ["secrets"],
  },
  enabledClusterLogTypes: allLogs,
  accessConfig: { authenticationMode: "API", bootstrapClusterCreatorAdminPermissions: false },
};

/** The same cluster as eks:index:Cluster inputs (offline plan view). */
const goodComponent = {
  version: "1.35",
  endpointPrivateAccess: true,
  endpointPublicAccess: false,
  encryptionConfigKeyArn: "arn:aws:kms:eu-west-1:111122223333:key/abc",
  enabledClusterLogTypes: allLogs,
  authenticationMode: "API",
  createOidcProvider: true,
};

async function violations(
  policy: Parameters<typeof runResourcePolicy>[0],
  type: string,
  props: Record<string, unknown>,
  config?: Record<string, unknown>,
) {
  return (await runResourcePolicy(policy, { type, props, config })).violations.map((v) => v.message);
}

describe("policy: eks", () => {
  describe("eks-private-endpoint", () => {
    it("fires on an aws:eks cluster without the private endpoint", async () => {
      const m = await violations(eksPrivateEndpoint(), CLUSTER, {
        ...goodCluster,
        vpcConfig: { subnetIds: ["s"], endpointPrivateAccess: false },
      });
      assert.strictEqual(m.length, 1);
      assert.match(m[0]!, /vpcConfig\.endpointPrivateAccess is not true/);
    });
    it("fires on an eks.Cluster left at the component default (false)", async () => {
      const { endpointPrivateAccess: _omit, ...props } = goodComponent;
      assert.match(
        (await violations(eksPrivateEndpoint(), COMPONENT, props))[0]!,
        /endpointPrivateAccess is not true/,
      );
    });
    it("is quiet on private clusters in both views", async () => {
      assert.deepStrictEqual(await violations(eksPrivateEndpoint(), CLUSTER, goodCluster), []);
      assert.deepStrictEqual(await violations(eksPrivateEndpoint(), COMPONENT, goodComponent), []);
    });
    it("does not apply to other types", async () => {
      const r = await runResourcePolicy(eksPrivateEndpoint(), { type: "aws:s3/bucket:Bucket", props: {} });
      assert.deepStrictEqual(r.violations, []);
      assert.match(r.notApplicable!, /aws:eks\/cluster:Cluster/);
    });
  });

  describe("eks-public-endpoint-restricted", () => {
    it("fires when the public endpoint is on by default without CIDRs", async () => {
      const m = await violations(eksPublicEndpointRestricted(), CLUSTER, {
        vpcConfig: { subnetIds: ["s"], endpointPrivateAccess: true },
      });
      assert.match(m[0]!, /no publicAccessCidrs/);
    });
    it("fires on 0.0.0.0/0 and ::/0 in the component's publicAccessCidrs", async () => {
      const m = await violations(eksPublicEndpointRestricted(), COMPONENT, {
        endpointPublicAccess: true,
        publicAccessCidrs: ["203.0.113.0/24", "0.0.0.0/0", "::/0"],
      });
      assert.match(m[0]!, /0\.0\.0\.0\/0, ::\/0/);
    });
    it("accepts a disabled public endpoint or a CIDR allowlist", async () => {
      assert.deepStrictEqual(await violations(eksPublicEndpointRestricted(), CLUSTER, goodCluster), []);
      assert.deepStrictEqual(
        await violations(eksPublicEndpointRestricted(), COMPONENT, {
          endpointPublicAccess: true,
          publicAccessCidrs: ["203.0.113.0/24"],
        }),
        [],
      );
    });
  });

  describe("eks-secrets-encryption", () => {
    it("fires without a customer key in both views", async () => {
      assert.match(
        (
          await violations(eksSecretsEncryption(), CLUSTER, { ...goodCluster, encryptionConfig: undefined })
        )[0]!,
        /encryptionConfig\.provider\.keyArn is not set/,
      );
      assert.match(
        (
          await violations(eksSecretsEncryption(), COMPONENT, {
            ...goodComponent,
            encryptionConfigKeyArn: undefined,
          })
        )[0]!,
        /encryptionConfigKeyArn is not set/,
      );
    });
    it("fires when the key does not cover secrets", async () => {
      const m = await violations(eksSecretsEncryption(), CLUSTER, {
        ...goodCluster,
        encryptionConfig: { provider: { keyArn: "arn:k" }, resources: [] },
      });
      assert.match(m[0]!, /does not include "secrets"/);
    });
    it("is quiet with a customer key", async () => {
      assert.deepStrictEqual(await violations(eksSecretsEncryption(), CLUSTER, goodCluster), []);
      assert.deepStrictEqual(await violations(eksSecretsEncryption(), COMPONENT, goodComponent), []);
    });
  });

  describe("eks-control-plane-logging", () => {
    it("names the missing log types", async () => {
      const m = await violations(eksControlPlaneLogging(), COMPONENT, {
        enabledClusterLogTypes: ["api", "audit"],
      });
      assert.match(m[0]!, /missing authenticator, controllerManager, scheduler/);
    });
    it("is quiet with all five", async () => {
      assert.deepStrictEqual(await violations(eksControlPlaneLogging(), CLUSTER, goodCluster), []);
    });
    it("requires exactly the log types the program enables (components/shared/eks.ts, one source)", async () => {
      assert.deepStrictEqual(
        await violations(eksControlPlaneLogging(), COMPONENT, {
          enabledClusterLogTypes: [...CONTROL_PLANE_LOG_TYPES],
        }),
        [],
      );
      for (const type of CONTROL_PLANE_LOG_TYPES) {
        const m = await violations(eksControlPlaneLogging(), COMPONENT, {
          enabledClusterLogTypes: CONTROL_PLANE_LOG_TYPES.filter((t) => t !== type),
        });
        assert.match(m[0]!, new RegExp(`missing ${type}:`));
      }
    });
  });

  describe("eks-version-allowed", () => {
    it("fires on a version outside the default allowlist", async () => {
      assert.match(
        (await violations(eksVersionAllowed(), CLUSTER, { ...goodCluster, version: "1.29" }))[0]!,
        /1\.29 is not in the allowlist \(1\.34, 1\.35\)/,
      );
    });
    it("allows by default exactly the versions the program supports (one source), so 1.33 fires", async () => {
      assert.deepStrictEqual(eksVersionAllowed().configSchema?.properties?.["allowedVersions"], {
        ...(eksVersionAllowed().configSchema!.properties!["allowedVersions"] as object),
        default: SUPPORTED_KUBERNETES_VERSIONS,
      });
      for (const v of SUPPORTED_KUBERNETES_VERSIONS) {
        assert.deepStrictEqual(
          await violations(eksVersionAllowed(), COMPONENT, { ...goodComponent, version: v }),
          [],
        );
      }
      assert.match(
        (await violations(eksVersionAllowed(), CLUSTER, { ...goodCluster, version: "1.33" }))[0]!,
        /version 1\.33 is not in the allowlist/,
      );
    });
    it("fires on an unpinned version", async () => {
      assert.match(
        (await violations(eksVersionAllowed(), COMPONENT, { ...goodComponent, version: undefined }))[0]!,
        /version is not set/,
      );
    });
    it("honours allowedVersions from the policy config", async () => {
      assert.deepStrictEqual(
        await violations(eksVersionAllowed(), COMPONENT, { version: "1.29" }, { allowedVersions: ["1.29"] }),
        [],
      );
      assert.strictEqual(
        (await violations(eksVersionAllowed(), COMPONENT, { version: "1.35" }, { allowedVersions: ["1.29"] }))
          .length,
        1,
      );
    });
    it("accepts 1.35 by default", async () => {
      assert.deepStrictEqual(await violations(eksVersionAllowed(), COMPONENT, goodComponent), []);
    });
  });

  describe("eks-authentication-mode-api", () => {
    it("fires on CONFIG_MAP and on an unset mode", async () => {
      assert.match(
        (
          await violations(eksAuthenticationModeApi(), CLUSTER, {
            accessConfig: { authenticationMode: "CONFIG_MAP" },
          })
        )[0]!,
        /authenticationMode is CONFIG_MAP/,
      );
      assert.match(
        (await violations(eksAuthenticationModeApi(), COMPONENT, { version: "1.35" }))[0]!,
        /not set \(CONFIG_MAP\)/,
      );
    });
    it("accepts API and API_AND_CONFIG_MAP", async () => {
      assert.deepStrictEqual(await violations(eksAuthenticationModeApi(), CLUSTER, goodCluster), []);
      assert.deepStrictEqual(
        await violations(eksAuthenticationModeApi(), COMPONENT, { authenticationMode: "API_AND_CONFIG_MAP" }),
        [],
      );
    });
  });

  describe("eks-authentication-mode-no-config-map (advisory)", () => {
    it("is advisory by default", () =>
      assert.strictEqual(eksAuthenticationModeNoConfigMap().enforcementLevel, "advisory"));
    it("fires on API_AND_CONFIG_MAP", async () => {
      assert.match(
        (
          await violations(eksAuthenticationModeNoConfigMap(), COMPONENT, {
            authenticationMode: "API_AND_CONFIG_MAP",
          })
        )[0]!,
        /aws-auth ConfigMap still grants access/,
      );
    });
    it("is quiet on API", async () => {
      assert.deepStrictEqual(await violations(eksAuthenticationModeNoConfigMap(), CLUSTER, goodCluster), []);
    });
  });

  describe("eks-no-cluster-creator-admin", () => {
    it("fires when bootstrapClusterCreatorAdminPermissions is left at its default", async () => {
      assert.match(
        (await violations(eksNoCreatorAdmin(), CLUSTER, { accessConfig: { authenticationMode: "API" } }))[0]!,
        /bootstrapClusterCreatorAdminPermissions is not false/,
      );
    });
    it("is quiet when it is false", async () => {
      assert.deepStrictEqual(await violations(eksNoCreatorAdmin(), CLUSTER, goodCluster), []);
    });
    it("reports the component view as not applicable (no such input)", async () => {
      const r = await runResourcePolicy(eksNoCreatorAdmin(), { type: COMPONENT, props: goodComponent });
      assert.deepStrictEqual(r.violations, []);
      assert.match(r.notApplicable!, /no bootstrapClusterCreatorAdminPermissions input/);
    });
  });

  describe("eks-workload-identity", () => {
    it("fires on a cluster without OIDC provider or Pod Identity agent", async () => {
      const r = await runStackPolicy(eksWorkloadIdentity(), {
        resources: [
          { type: COMPONENT, name: "spoke", props: { ...goodComponent, createOidcProvider: false } },
        ],
      });
      assert.strictEqual(r.violations.length, 1);
      assert.match(r.violations[0]!.message, /no IAM OIDC provider and no eks-pod-identity-agent/);
      assert.match(r.violations[0]!.urn!, /eks:index:Cluster::spoke$/);
    });
    it("accepts createOidcProvider on the component", async () => {
      const r = await runStackPolicy(eksWorkloadIdentity(), {
        resources: [{ type: COMPONENT, props: goodComponent }],
      });
      assert.deepStrictEqual(r.violations, []);
    });
    it("accepts an aws:iam OIDC provider or the pod identity add-on next to an aws:eks cluster", async () => {
      const oidc = await runStackPolicy(eksWorkloadIdentity(), {
        resources: [
          { type: CLUSTER, props: goodCluster },
          { type: "aws:iam/openIdConnectProvider:OpenIdConnectProvider", props: { url: "https://oidc.eks" } },
        ],
      });
      const podId = await runStackPolicy(eksWorkloadIdentity(), {
        resources: [
          { type: CLUSTER, props: goodCluster },
          {
            type: "aws:eks/addon:Addon",
            props: { addonName: "eks-pod-identity-agent", addonVersion: "v1.3.4-eksbuild.1" },
          },
        ],
      });
      assert.deepStrictEqual([oidc.violations, podId.violations], [[], []]);
    });
    it("is not applicable without clusters", async () => {
      const r = await runStackPolicy(eksWorkloadIdentity(), {
        resources: [{ type: "aws:s3/bucket:Bucket", props: {} }],
      });
      assert.strictEqual(r.notApplicable, "no EKS cluster in the stack");
    });
  });
});
