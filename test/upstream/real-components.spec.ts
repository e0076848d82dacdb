/**
 * The stacks with the real @pulumi/eks and @pulumi/awsx component code (their v4.3.0 / v3.8.0
 * sources from ../shared, see components.ts): the children a real `pulumi preview` registers, the
 * components' own input validation, and the pack's verdicts on program plus children.
 *
 * Slow (each stack runs the whole program twice): `npm run test:components`, which .ci/run calls.
 */
import * as assert from "node:assert/strict";
import * as path from "node:path";
import * as eks from "@pulumi/eks";
import { loadPolicyConfig } from "../../policy/engine";
import { planStack, type PlanResult } from "../../tools/plan/run";
import { setupMocks } from "../mocks";
import {
  loadUpstreamComponents,
  repoRoot,
  upstreamMissing,
  useUpstreamComponents,
  type UpstreamComponents,
} from "./components";

const REQUIRED_TAGS = ["environment", "owner", "cost-center"];
const production = () => loadPolicyConfig(path.join(repoRoot, "policy/config/production.json"));

/** Verdicts as comparable lines. */
const lines = (plan: PlanResult, level: string) =>
  plan.violations
    .filter((v) => v.enforcementLevel === level)
    .map((v) => `${v.policy} ${v.urn ?? "(stack)"}`)
    .sort();

describe("the real eks and awsx components under the mocks", function () {
  let components: UpstreamComponents;
  let restore: (() => void) | undefined;
  const skipInputs = process.env.PULUMI_NODEJS_SKIP_COMPONENT_INPUTS;

  before(async function () {
    const missing = upstreamMissing();
    if (missing) {
      console.warn(`    skipped: ${missing}`);
      this.skip();
    }
    components = await loadUpstreamComponents();
    restore = useUpstreamComponents(components);
    // The eks 4.3.0 and awsx 3.x plugins run on @pulumi/pulumi < 3.202, whose components register
    // with empty inputs: the same here, so the pack sees what a real preview sends.
    process.env.PULUMI_NODEJS_SKIP_COMPONENT_INPUTS = "true";
  });

  after(() => {
    restore?.();
    if (skipInputs === undefined) delete process.env.PULUMI_NODEJS_SKIP_COMPONENT_INPUTS;
    else process.env.PULUMI_NODEJS_SKIP_COMPONENT_INPUTS = skipInputs;
  });

  it("runs the component's own validation: eks 4.3.0 rejects instanceRoles under authenticationMode API", () => {
    setupMocks();
    assert.throws(
      () =>
        new eks.Cluster("validation", {
          authenticationMode: "API",
          instanceRoles: [{ arn: "arn:aws:iam::111122223333:role/nodes" } as never],
          skipDefaultNodeGroup: true,
        }),
      /The 'instanceRoles' property does not support non-empty values when 'authenticationMode' is set to 'API'/,
    );
  });

  for (const stack of ["hub", "spoke-prod"]) {
    describe(stack, () => {
      let real: PlanResult;
      let offline: PlanResult;

      before(async function () {
        if (!restore) this.skip();
        real = await planStack(stack, { root: repoRoot, policyConfig: production() });
        restore!();
        try {
          offline = await planStack(stack, { root: repoRoot, policyConfig: production() });
        } finally {
          restore = useUpstreamComponents(components);
        }
      });

      const ofType = (type: string) => real.resources.filter((r) => r.type === type);

      it("builds the children a real preview sees", () => {
        for (const type of [
          "aws:ec2/vpc:Vpc",
          "aws:ec2/subnet:Subnet",
          "aws:ec2/natGateway:NatGateway",
          "aws:eks/cluster:Cluster",
          "aws:iam/openIdConnectProvider:OpenIdConnectProvider",
          "aws:eks/accessEntry:AccessEntry",
          "aws:eks/nodeGroup:NodeGroup",
        ]) {
          assert.ok(ofType(type).length > 0, `no ${type} child`);
        }
        assert.equal(
          ofType("eks:index:Cluster").length,
          1,
          "the component itself is registered once, with its children under it",
        );
      });

      it("registers the components with empty inputs, as plugins on @pulumi/pulumi < 3.202 do", () => {
        for (const type of ["eks:index:Cluster", "eks:index:ManagedNodeGroup", "awsx:ec2:Vpc"]) {
          for (const r of ofType(type)) assert.deepEqual(r.inputs, {}, `${type} ${r.name}`);
        }
      });

      it("gives the pack zero mandatory verdicts on program plus children (production config)", () => {
        assert.deepEqual(lines(real, "mandatory"), []);
      });

      it("lets the nodes join through an EC2_LINUX access entry of the node role", () => {
        const entry = ofType("aws:eks/accessEntry:AccessEntry").find((r) => r.name.endsWith("-eks-nodes"));
        assert.ok(entry, "no node access entry");
        assert.equal(entry.inputs.type, "EC2_LINUX");
        assert.match(String(entry.inputs.principalArn), new RegExp(`role/${stack}-node-`));
      });

      it("creates no EKS service role of its own: the cluster uses ours, scoped with aws:SourceAccount", () => {
        const cluster = ofType("aws:eks/cluster:Cluster")[0]!;
        assert.match(String(cluster.inputs.roleArn), new RegExp(`role/${stack}-eks-service-`));
        const component = ofType("eks:index:Cluster")[0]!;
        const rolesUnderComponent = ofType("aws:iam/role:Role").filter((r) =>
          r.urn.includes("eks:index:Cluster$"),
        );
        assert.deepEqual(
          rolesUnderComponent.map((r) => r.name),
          [],
          `roles created by ${component.name}`,
        );
      });

      it("tags the OIDC provider (created by the component without tags) through the stack provider's default tags", () => {
        const oidc = ofType("aws:iam/openIdConnectProvider:OpenIdConnectProvider")[0]!;
        assert.equal(oidc.inputs.tags, undefined, "eks 4.3.0 sets no tags on it");
        assert.ok(oidc.provider, "the OIDC provider uses the stack's explicit AWS provider");
        const providerUrn = oidc.provider.slice(0, oidc.provider.lastIndexOf("::"));
        const provider = real.resources.find((r) => r.urn === providerUrn)!;
        const defaultTags = JSON.parse(String(provider.inputs.defaultTags)) as {
          tags: Record<string, string>;
        };
        for (const tag of REQUIRED_TAGS) assert.ok(defaultTags.tags[tag], `default tag ${tag}`);
        assert.deepEqual(
          real.violations.filter((v) => v.urn === oidc.urn),
          [],
        );
      });

      it("agrees with the offline plan: same mandatory verdicts; the only extra advisory is on a child the plan cannot see", () => {
        assert.deepEqual(lines(offline, "mandatory"), lines(real, "mandatory"));
        const extra = lines(real, "advisory").filter((l) => !lines(offline, "advisory").includes(l));
        const missing = lines(offline, "advisory").filter((l) => !lines(real, "advisory").includes(l));
        assert.deepEqual(missing, []);
        // @pulumi/eks 4.3.0 hard-codes bootstrapClusterCreatorAdminPermissions: true on its
        // aws:eks/cluster:Cluster and has no input for it (docs/policies.md: advisory in production).
        assert.deepEqual(extra, [
          `eks-no-cluster-creator-admin urn:pulumi:${stack}::platform::eks:index:Cluster$aws:eks/cluster:Cluster::${stack}-eks-eksCluster`,
        ]);
      });
    });
  }
});
