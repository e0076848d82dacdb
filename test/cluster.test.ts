import * as assert from "node:assert/strict";
import {
  ADDON_VERSIONS,
  Cluster,
  accessEntriesInput,
  addonVersions,
  nodePoolPlacement,
} from "../components/cluster";
import { CONTROL_PLANE_LOG_TYPES } from "../components/shared/eks";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { nodePoolSchema } from "../stacks/core";
import { AUTOSCALING_ROLE_PATH, autoScalingRoleExists } from "../stacks/foundation";
import { PlatformMocks } from "../tools/plan/mocks";
import { recorded, recordedResource, setupMocks } from "./mocks";

// Node pools as the configuration schema returns them (its defaults filled in).
const pools = [
  { name: "general", instanceTypes: ["t3.medium"], minSize: 1, desiredSize: 3, maxSize: 8 },
  {
    name: "base-apps",
    instanceTypes: ["m5.large"],
    minSize: 0,
    desiredSize: 0,
    maxSize: 1,
    labels: { "node-group": "base-apps" },
    diskSizeGiB: 80,
  },
  { name: "system", instanceTypes: ["m6i.large"], minSize: 2, desiredSize: 2, maxSize: 3, system: true },
].map((pool) => nodePoolSchema.parse(pool));

describe("cluster: Cluster", () => {
  before(async () => {
    setupMocks({ region: "eu-west-1" });
    new Cluster("prod", {
      clusterName: "production-numinia",
      kubernetesVersion: "1.35",
      region: "eu-west-1",
      vpcId: "vpc-123",
      privateSubnetIds: ["subnet-a", "subnet-b", "subnet-c"],
      nodePools: pools,
      logRetentionDays: 30,
      apiAccessCidrs: ["10.100.0.0/16"],
      protect: true,
      accessEntries: [
        {
          name: "bastion",
          principalArn: "arn:aws:iam::111122223333:role/bastion",
          accessPolicy: "AmazonEKSClusterAdminPolicy",
        },
        {
          name: "dev",
          principalArn: "arn:aws:iam::111122223333:role/dev",
          accessPolicy: "AmazonEKSEditPolicy",
          namespaces: ["numinia-pre"],
        },
      ],
    });
    await recorded();
  });

  it("keeps the API endpoint private", async () => {
    const eks = await recordedResource("eks:index:Cluster", "prod-eks");
    assert.equal(eks.inputs.endpointPrivateAccess, true);
    assert.equal(eks.inputs.endpointPublicAccess, false);
    assert.equal(eks.inputs.publicAccessCidrs, undefined);
    assert.equal(eks.inputs.nodeAssociatePublicIpAddress, false);
    assert.deepEqual(eks.inputs.privateSubnetIds, ["subnet-a", "subnet-b", "subnet-c"]);
  });

  it("admits only the configured CIDRs to the private API on 443", async () => {
    const rules = (await recorded()).filter(
      (r) => r.type === "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    );
    assert.deepEqual(
      rules.map((r) => [r.inputs.cidrIpv4, r.inputs.fromPort, r.inputs.toPort, r.inputs.ipProtocol]),
      [["10.100.0.0/16", 443, 443, "tcp"]],
    );
    assert.match(String(rules[0].inputs.securityGroupId), /^sg-/);
  });

  it("encrypts secrets with a rotating customer KMS key", async () => {
    const eks = await recordedResource("eks:index:Cluster", "prod-eks");
    const key = await recordedResource("aws:kms/key:Key", "prod-key");
    assert.equal(eks.inputs.encryptionConfigKeyArn, key.outputs.arn);
    assert.equal(key.inputs.enableKeyRotation, true);
    assert.equal(key.protect, true);
    const statements = JSON.parse(key.inputs.policy as string).Statement as {
      Sid: string;
      Principal: Record<string, string>;
    }[];
    assert.deepEqual(
      statements.map((st) => st.Sid),
      ["AccountAdministration", "CloudWatchLogs", "AutoScalingEncryptedVolumes"],
    );
    assert.equal(
      statements[2].Principal.AWS,
      "arn:aws:iam::111122223333:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling",
    );
  });

  it("turns on all five control-plane log types into a retained, encrypted log group", async () => {
    const eks = await recordedResource("eks:index:Cluster", "prod-eks");
    const group = await recordedResource("aws:cloudwatch/logGroup:LogGroup", "prod-control-plane");
    assert.deepEqual(eks.inputs.enabledClusterLogTypes, [
      "api",
      "audit",
      "authenticator",
      "controllerManager",
      "scheduler",
    ]);
    assert.equal(CONTROL_PLANE_LOG_TYPES.length, 5);
    assert.equal(group.inputs.name, "/aws/eks/production-numinia/cluster");
    assert.equal(group.inputs.retentionInDays, 30);
    assert.ok(String(group.inputs.kmsKeyId).startsWith("arn:aws:kms:eu-west-1:"));
  });

  it("uses API authentication with the configured access entries", async () => {
    const eks = await recordedResource("eks:index:Cluster", "prod-eks");
    assert.equal(eks.inputs.authenticationMode, "API");
    const entries = eks.inputs.accessEntries as Record<
      string,
      { principalArn: string; accessPolicies: Record<string, { accessScope: unknown; policyArn: string }> }
    >;
    assert.equal(entries.bastion.principalArn, "arn:aws:iam::111122223333:role/bastion");
    assert.deepEqual(entries.bastion.accessPolicies.AmazonEKSClusterAdminPolicy, {
      policyArn: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
      accessScope: { type: "cluster" },
    });
    assert.deepEqual(entries.dev.accessPolicies.AmazonEKSEditPolicy.accessScope, {
      type: "namespace",
      namespaces: ["numinia-pre"],
    });
  });

  it("lets the nodes join through an EC2_LINUX access entry, not instanceRoles (rejected under API mode)", async () => {
    const eks = await recordedResource("eks:index:Cluster", "prod-eks");
    const nodeRole = await recordedResource("aws:iam/role:Role", "prod-node");
    assert.equal(eks.inputs.instanceRoles, undefined);
    const entries = eks.inputs.accessEntries as Record<string, { principalArn: string; type?: string }>;
    assert.deepEqual(entries.nodes, { principalArn: nodeRole.outputs.arn, type: "EC2_LINUX" });
  });

  it("gives EKS its own cluster role, trusted by eks.amazonaws.com from this account only", async () => {
    const eks = await recordedResource("eks:index:Cluster", "prod-eks");
    const role = await recordedResource("aws:iam/role:Role", "prod-eks-service");
    assert.equal(eks.inputs.serviceRole, role.urn);
    const trust = JSON.parse(role.inputs.assumeRolePolicy as string);
    assert.deepEqual(trust.Statement[0].Principal, { Service: "eks.amazonaws.com" });
    assert.deepEqual(trust.Statement[0].Condition, { StringEquals: { "aws:SourceAccount": "111122223333" } });
    const attachment = await recordedResource(
      "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
      "prod-eks-service-AmazonEKSClusterPolicy",
    );
    assert.equal(attachment.inputs.policyArn, "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy");
    assert.ok(eks.dependencies.includes(attachment.urn), "the cluster waits for its role's policy");
  });

  it("creates no Auto Scaling service-linked role unless asked", async () => {
    const all = await recorded();
    assert.equal(all.filter((r) => r.type === "aws:iam/serviceLinkedRole:ServiceLinkedRole").length, 0);
  });

  it("creates the OIDC provider and the Pod Identity agent", async () => {
    const eks = await recordedResource("eks:index:Cluster", "prod-eks");
    const agent = await recordedResource("aws:eks/addon:Addon", "prod-pod-identity-agent");
    assert.equal(eks.inputs.createOidcProvider, true);
    assert.equal(agent.inputs.addonName, "eks-pod-identity-agent");
    assert.equal(agent.inputs.addonVersion, ADDON_VERSIONS["1.35"]["eks-pod-identity-agent"]);
    assert.equal(agent.inputs.clusterName, "production-numinia");
  });

  it("pins vpc-cni, coredns and kube-proxy to the versions of the Kubernetes release", async () => {
    const eks = await recordedResource("eks:index:Cluster", "prod-eks");
    const v = addonVersions("1.35");
    assert.equal(eks.inputs.version, "1.35");
    const cni = eks.inputs.vpcCniOptions as { addonVersion: string; enableNetworkPolicy: boolean };
    assert.deepEqual([cni.addonVersion, cni.enableNetworkPolicy], [v["vpc-cni"], true]);
    assert.equal((eks.inputs.corednsAddonOptions as { enabled: boolean }).enabled, false);
    const coredns = await recordedResource("aws:eks/addon:Addon", "prod-coredns");
    assert.equal(coredns.inputs.addonVersion, v.coredns);
    assert.deepEqual(JSON.parse(String(coredns.inputs.configurationValues)).tolerations, [
      { key: "CriticalAddonsOnly", operator: "Exists" },
    ]);
    assert.equal((eks.inputs.kubeProxyAddonOptions as { version: string }).version, v["kube-proxy"]);
    assert.equal(eks.inputs.skipDefaultNodeGroup, true);
  });

  it("creates CoreDNS after the node groups, so its pods can schedule", async () => {
    const coredns = await recordedResource("aws:eks/addon:Addon", "prod-coredns");
    const groups = (await recorded())
      .filter((r) => r.type === "eks:index:ManagedNodeGroup")
      .map((r) => r.urn);
    assert.equal(groups.length, 3);
    for (const urn of groups) assert.ok(coredns.dependencies.includes(urn), `coredns waits for ${urn}`);
  });

  it("creates one managed node group per pool with its sizes, instance types and AMI type", async () => {
    const general = await recordedResource("eks:index:ManagedNodeGroup", "prod-general");
    const baseApps = await recordedResource("eks:index:ManagedNodeGroup", "prod-base-apps");
    assert.deepEqual(general.inputs.scalingConfig, { minSize: 1, desiredSize: 3, maxSize: 8 });
    assert.deepEqual(general.inputs.instanceTypes, ["t3.medium"]);
    assert.equal(general.inputs.amiType, "AL2023_x86_64_STANDARD");
    assert.deepEqual(baseApps.inputs.scalingConfig, { minSize: 0, desiredSize: 0, maxSize: 1 });
    assert.deepEqual(baseApps.inputs.labels, { "node-group": "base-apps" });
    assert.deepEqual(baseApps.inputs.subnetIds, ["subnet-a", "subnet-b", "subnet-c"]);
  });

  it("taints the system pool for critical add-ons only", async () => {
    const system = await recordedResource("eks:index:ManagedNodeGroup", "prod-system");
    assert.deepEqual(system.inputs.taints, [
      { key: "CriticalAddonsOnly", value: "true", effect: "NO_SCHEDULE" },
    ]);
    assert.equal((system.inputs.labels as Record<string, string>)["node-role"], "system");
    const general = await recordedResource("eks:index:ManagedNodeGroup", "prod-general");
    assert.deepEqual(general.inputs.taints, []);
  });

  it("launches nodes that require IMDSv2 and encrypt their root volume with the cluster key", async () => {
    const key = await recordedResource("aws:kms/key:Key", "prod-key");
    const lt = await recordedResource("aws:ec2/launchTemplate:LaunchTemplate", "prod-base-apps");
    const group = await recordedResource("eks:index:ManagedNodeGroup", "prod-base-apps");
    assert.deepEqual(lt.inputs.metadataOptions, {
      httpEndpoint: "enabled",
      httpTokens: "required",
      httpPutResponseHopLimit: 2,
    });
    const ebs = (lt.inputs.blockDeviceMappings as { ebs: Record<string, unknown> }[])[0].ebs;
    assert.equal(ebs.encrypted, "true");
    assert.equal(ebs.kmsKeyId, key.outputs.arn);
    assert.equal(ebs.volumeSize, 80);
    assert.equal(ebs.volumeType, "gp3");
    assert.equal(lt.inputs.keyName, undefined);
    assert.equal((group.inputs.launchTemplate as { id: string }).id, lt.id);
  });

  it("builds a Kubernetes provider from the cluster's kubeconfig", async () => {
    const provider = (await recorded()).find((r) => r.type === "pulumi:providers:kubernetes");
    assert.ok(provider, "a kubernetes provider is registered");
    const kubeconfig = JSON.parse(String(provider.inputs.kubeconfig));
    assert.deepEqual(kubeconfig.users[0].user.exec.args.slice(0, 4), [
      "eks",
      "get-token",
      "--cluster-name",
      "production-numinia",
    ]);
  });
});

describe("cluster: pure helpers", () => {
  it("refuses a public endpoint without an allowlist", () => {
    setupMocks();
    assert.throws(
      () =>
        new Cluster("open", {
          clusterName: "c",
          kubernetesVersion: "1.35",
          region: "eu-west-1",
          vpcId: "vpc",
          privateSubnetIds: [],
          nodePools: [],
          logRetentionDays: 90,
          endpointPublicAccess: true,
        }),
      /publicAccessCidrs is empty/,
    );
  });

  it("creates the Auto Scaling service-linked role before the key whose policy names it, and keeps it", async () => {
    setupMocks();
    new Cluster("fresh", {
      clusterName: "fresh",
      kubernetesVersion: "1.35",
      region: "eu-west-1",
      vpcId: "vpc",
      privateSubnetIds: ["subnet-a"],
      nodePools: [],
      logRetentionDays: 90,
      createAutoScalingServiceLinkedRole: true,
    });
    const role = await recordedResource("aws:iam/serviceLinkedRole:ServiceLinkedRole", "fresh-autoscaling");
    const key = await recordedResource("aws:kms/key:Key", "fresh-key");
    assert.equal(role.inputs.awsServiceName, "autoscaling.amazonaws.com");
    assert.ok(key.dependencies.includes(role.urn), "the key waits for the role its policy names");
    const policy = JSON.parse(key.inputs.policy as string);
    const statement = policy.Statement.find((s: { Sid: string }) => s.Sid === "AutoScalingEncryptedVolumes");
    assert.match(
      statement.Principal.AWS,
      /role\/aws-service-role\/autoscaling.amazonaws.com\/AWSServiceRoleForAutoScaling$/,
    );
  });

  it("refuses an access entry named like the node role's", () => {
    setupMocks();
    assert.throws(
      () =>
        new Cluster("clash", {
          clusterName: "c",
          kubernetesVersion: "1.35",
          region: "eu-west-1",
          vpcId: "vpc",
          privateSubnetIds: [],
          nodePools: [],
          logRetentionDays: 90,
          accessEntries: [
            {
              name: "nodes",
              principalArn: "arn:aws:iam::111122223333:role/x",
              accessPolicy: "AmazonEKSViewPolicy",
            },
          ],
        }),
      /access entry name "nodes" is reserved for the node role/,
    );
  });

  it("has an exact version for every managed add-on of every supported Kubernetes version", () => {
    for (const [k8s, versions] of Object.entries(ADDON_VERSIONS)) {
      for (const [addon, version] of Object.entries(versions))
        assert.match(version, /^v\d+\.\d+\.\d+-eksbuild\.\d+$/, `${k8s} ${addon}`);
      assert.ok(versions["kube-proxy"].startsWith(`v${k8s}.`), `kube-proxy follows Kubernetes ${k8s}`);
    }
    assert.throws(() => addonVersions("1.20"), /no pinned EKS add-on versions \(supported: 1\.34, 1\.35\)/);
  });

  it("does not duplicate a system taint the user already set", () => {
    const placement = nodePoolPlacement(
      nodePoolSchema.parse({
        name: "s",
        instanceTypes: ["m5.large"],
        minSize: 1,
        desiredSize: 1,
        maxSize: 1,
        system: true,
        taints: [{ key: "CriticalAddonsOnly", value: "true", effect: "NO_EXECUTE" }],
      }),
    );
    assert.deepEqual(placement.taints, [{ key: "CriticalAddonsOnly", value: "true", effect: "NO_EXECUTE" }]);
  });

  it("maps namespaced and cluster-wide access entries", () => {
    const input = accessEntriesInput(
      [
        {
          name: "v",
          principalArn: "arn:aws:iam::1:role/v",
          accessPolicy: "AmazonEKSViewPolicy",
          namespaces: [],
        },
      ],
      "aws-cn",
    );
    assert.deepEqual(input.v.accessPolicies, {
      AmazonEKSViewPolicy: {
        policyArn: "arn:aws-cn:eks::aws:cluster-access-policy/AmazonEKSViewPolicy",
        accessScope: { type: "cluster" },
      },
    });
  });
});

describe("foundation: the Auto Scaling service-linked role lookup", () => {
  const lookup = async (names: string[]) => {
    class Account extends PlatformMocks {
      call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
        if (args.token === "aws:iam/getRoles:getRoles") {
          assert.equal(args.inputs.pathPrefix, AUTOSCALING_ROLE_PATH);
          return {
            names,
            arns: names.map((n) => `arn:aws:iam::111122223333:role${AUTOSCALING_ROLE_PATH}${n}`),
          };
        }
        return super.call(args);
      }
    }
    await pulumi.runtime.setMocks(new Account(), "platform", "test", false, "organization");
    return autoScalingRoleExists(new aws.Provider("lookup", { region: "eu-west-1" }));
  };

  it("finds the role in an account that has it", async () => {
    assert.equal(await lookup(["AWSServiceRoleForAutoScaling"]), true);
  });

  it("reports it absent in a fresh account (the plan's), so the stack creates it", async () => {
    assert.equal(await lookup([]), false);
  });
});
