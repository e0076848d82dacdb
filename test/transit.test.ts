import * as assert from "node:assert/strict";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import {
  isPrivateAsn,
  pickRouteTable,
  principalSuffix,
  ramPrincipalKind,
  TransitHub,
} from "../components/networking";
import { ConfigError, loadConfig, type PlatformConfig } from "../stacks/config";
import { buildFoundation } from "../stacks/foundation";
import { checkTransitAgainstHub } from "../stacks/transit";
import {
  buildTransitHub,
  buildTransitSpoke,
  TRANSIT_HUB_OUTPUT_KEYS,
  type TransitHubOutputs,
  type TransitSpokeOutputs,
} from "../stacks/transit";
import { promiseOf, recorded, resetRecorded, setupMocks, type RecordedResource } from "./mocks";

const TGW = "aws:ec2transitgateway/transitGateway:TransitGateway";
const TGW_RT = "aws:ec2transitgateway/routeTable:RouteTable";
const ATTACHMENT = "aws:ec2transitgateway/vpcAttachment:VpcAttachment";
const ACCEPTER = "aws:ec2transitgateway/vpcAttachmentAccepter:VpcAttachmentAccepter";
const ASSOCIATION = "aws:ec2transitgateway/routeTableAssociation:RouteTableAssociation";
const PROPAGATION = "aws:ec2transitgateway/routeTablePropagation:RouteTablePropagation";
const ROUTE = "aws:ec2/route:Route";
const INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule";

const ORG = "arn:aws:organizations::111122223333:organization/o-a1b2c3d4e5";
const OU = "arn:aws:organizations::111122223333:ou/o-a1b2c3d4e5/ou-ab12-cd34ef56";

function config(role: "hub" | "spoke", stack: string, extra: Record<string, string> = {}): PlatformConfig {
  const raw: Record<string, string> = {
    "aws:region": "eu-west-1",
    "platform:role": role,
    "platform:vpcCidr": role === "hub" ? "10.100.0.0/16" : "10.0.0.0/16",
    "platform:gitops": '{"repositoryUrl":"https://github.com/acme/platform"}',
    "platform:tags": JSON.stringify({ owner: "platform-team", "cost-center": "platform" }),
    ...(role === "spoke" ? { "platform:hubStackReference": "acme/platform/hub" } : {}),
    ...extra,
  };
  return loadConfig(raw, stack);
}

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ConfigError, `a ConfigError, got ${String(error)}`);
    return error;
  }
  assert.fail("expected a ConfigError");
}

/** The hub view a spoke reads (as Outputs, like a StackReference gives them). */
const hubView = {
  transitGatewayId: pulumi.output("tgw-0123456789abcdef0"),
  transitGatewayRouteTableId: pulumi.output("tgw-rtb-0spokes000000000"),
  transitGatewayHubRouteTableId: pulumi.output("tgw-rtb-0hub00000000000"),
  privateRouteTableIds: pulumi.output(["rtb-0hub0000000000a", "rtb-0hub0000000000b", "rtb-0hub0000000000c"]),
  transitGatewayShareArn: pulumi.output("arn:aws:ram:eu-west-1:111122223333:resource-share/0a1b2c3d"),
  vpcCidr: pulumi.output("10.100.0.0/16"),
  hubEndpointsSecurityGroupId: pulumi.output("sg-0hubendpoints0000"),
};

function only(resources: RecordedResource[], type: string, name: string): RecordedResource {
  const found = resources.filter((r) => r.type === type && r.name === name);
  assert.equal(found.length, 1, `one ${type} named ${name}`);
  return found[0];
}

describe("transit: pure rules", () => {
  it("accepts only private ASNs for the Amazon side", () => {
    assert.equal(isPrivateAsn(64512), true);
    assert.equal(isPrivateAsn(65534), true);
    assert.equal(isPrivateAsn(4200000000), true);
    assert.equal(isPrivateAsn(65535), false);
    assert.equal(isPrivateAsn(7224), false);
    assert.equal(isPrivateAsn(64512.5), false);
  });

  it("recognises account ids, organization ARNs and OU ARNs as RAM principals", () => {
    assert.equal(ramPrincipalKind("444455556666"), "account");
    assert.equal(ramPrincipalKind(ORG), "organization");
    assert.equal(ramPrincipalKind(OU), "organizationalUnit");
    assert.equal(ramPrincipalKind("arn:aws:iam::444455556666:root"), undefined);
    assert.equal(ramPrincipalKind("4444"), undefined);
    assert.equal(principalSuffix(OU), "ou-ab12-cd34ef56");
  });

  it("refuses a route table list whose length differs from the count fixed at config time", () => {
    assert.equal(pickRouteTable(["a", "b"], 1, 2, "x"), "b");
    assert.throws(
      () => pickRouteTable(["a", "b"], 0, 3, "hub privateRouteTableIds"),
      /expected 3 route tables, found 2/,
    );
  });
});

describe("transit: configuration", () => {
  it("defaults to ASN 64512, no auto-accept, no RAM principals and ports 443/9090/9200", () => {
    const c = config("hub", "hub");
    assert.equal(c.transit.amazonSideAsn, 64512);
    assert.equal(c.transit.autoAcceptSharedAttachments, false);
    assert.deepEqual(c.transit.ramSharePrincipals, []);
    assert.equal(c.transit.ramAllowExternalPrincipals, false);
    assert.deepEqual(config("spoke", "s").transit.hubEndpointPorts, [443, 9090, 9200]);
  });

  it("parses values as Pulumi passes them (strings and JSON arrays)", () => {
    const c = config("hub", "hub", {
      "platform:transit": JSON.stringify({
        amazonSideAsn: "4200000001",
        ramSharePrincipals: JSON.stringify(["444455556666", ORG]),
        ramAllowExternalPrincipals: "true",
      }),
    });
    assert.equal(c.transit.amazonSideAsn, 4200000001);
    assert.deepEqual(c.transit.ramSharePrincipals, ["444455556666", ORG]);
    assert.equal(c.transit.ramAllowExternalPrincipals, true);
    assert.deepEqual(
      config("spoke", "s", { "platform:transit": JSON.stringify({ hubEndpointPorts: "[443,9090]" }) }).transit
        .hubEndpointPorts,
      [443, 9090],
    );
  });

  it("rejects a public or malformed ASN, naming the key", () => {
    for (const bad of ["65535", "100", "abc", "64512.5"]) {
      const error = configError(() =>
        config("hub", "hub", { "platform:transit": JSON.stringify({ amazonSideAsn: bad }) }),
      );
      assert.equal(error.key, "platform:transit.amazonSideAsn");
      assert.match(error.message, /private ASN/);
    }
  });

  it("rejects principals that are not account ids, organization or OU ARNs", () => {
    const error = configError(() =>
      config("hub", "hub", {
        "platform:transit": JSON.stringify({ ramSharePrincipals: '["arn:aws:iam::444455556666:root"]' }),
      }),
    );
    assert.equal(error.key, "platform:transit.ramSharePrincipals[0]");
  });

  it("rejects a principal or a port listed twice", () => {
    const p = configError(() =>
      config("hub", "hub", {
        "platform:transit": JSON.stringify({ ramSharePrincipals: '["444455556666","444455556666"]' }),
      }),
    );
    assert.equal(p.key, "platform:transit.ramSharePrincipals[1]");
    const q = configError(() =>
      config("spoke", "s", { "platform:transit": JSON.stringify({ hubEndpointPorts: "[443,443]" }) }),
    );
    assert.equal(q.key, "platform:transit.hubEndpointPorts[1]");
  });

  it("rejects ports outside 1-65535 and an empty port list", () => {
    assert.equal(
      configError(() =>
        config("spoke", "s", { "platform:transit": JSON.stringify({ hubEndpointPorts: "[0]" }) }),
      ).key,
      "platform:transit.hubEndpointPorts[0]",
    );
    assert.equal(
      configError(() =>
        config("spoke", "s", { "platform:transit": JSON.stringify({ hubEndpointPorts: "[]" }) }),
      ).key,
      "platform:transit.hubEndpointPorts",
    );
  });

  it("keeps hub-only keys off spokes and spoke-only keys off the hub", () => {
    assert.equal(
      configError(() =>
        config("spoke", "s", {
          "platform:transit": JSON.stringify({ ramSharePrincipals: '["444455556666"]' }),
        }),
      ).key,
      "platform:transit.ramSharePrincipals",
    );
    assert.equal(
      configError(() =>
        config("hub", "hub", {
          "platform:transit": JSON.stringify({ hubAccountRoleArn: "arn:aws:iam::111122223333:role/transit" }),
        }),
      ).key,
      "platform:transit.hubAccountRoleArn",
    );
  });

  it("requires hubAccountRoleArn when a spoke accepts the RAM invitation", () => {
    const error = configError(() =>
      config("spoke", "s", { "platform:transit": JSON.stringify({ acceptShareInvitation: "true" }) }),
    );
    assert.equal(error.key, "platform:transit.hubAccountRoleArn");
  });

  it("counts the hub's route tables from its output and checks its region before anything is created", () => {
    const c = config("spoke", "s");
    assert.equal(checkTransitAgainstHub(c, "eu-west-1", ["rtb-a", "rtb-b"]), 2);
    assert.equal(checkTransitAgainstHub(c, "eu-west-1", ["rtb-a", "rtb-b", "rtb-c"]), 3);
    const retired = configError(() => config("spoke", "s", { "platform:hubPrivateRouteTableCount": "2" }));
    assert.equal(retired.key, "platform:hubPrivateRouteTableCount");
    assert.match(retired.message, /removed: the spoke counts the hub's privateRouteTableIds output/);
    assert.equal(
      configError(() => checkTransitAgainstHub(c, "us-east-1", ["rtb-a", "rtb-b"])).key,
      "aws:region",
    );
    assert.equal(
      configError(() => checkTransitAgainstHub(c, "eu-west-1", undefined)).key,
      "platform:hubStackReference",
    );
  });
});

describe("transit: hub", () => {
  let resources: RecordedResource[];
  let outputs: TransitHubOutputs;
  let hubPrivateSubnets: string[];

  before(async () => {
    setupMocks({ region: "eu-west-1", stack: "hub" });
    resetRecorded();
    const c = config("hub", "hub", {
      "platform:transit": JSON.stringify({
        amazonSideAsn: "64600",
        ramSharePrincipals: JSON.stringify(["444455556666", OU]),
      }),
    });
    const foundation = await buildFoundation(c);
    outputs = buildTransitHub(c, foundation);
    hubPrivateSubnets = await promiseOf(foundation.network.privateSubnetIds);
    resources = await recorded();
  });

  it("creates a TGW with the configured ASN, auto-accept disabled, DNS on and no default route tables", () => {
    const tgw = only(resources, TGW, "hub-tgw");
    assert.equal(tgw.inputs.amazonSideAsn, 64600);
    assert.equal(tgw.inputs.autoAcceptSharedAttachments, "disable");
    assert.equal(tgw.inputs.defaultRouteTableAssociation, "disable");
    assert.equal(tgw.inputs.defaultRouteTablePropagation, "disable");
    assert.equal(tgw.inputs.dnsSupport, "enable");
    assert.deepEqual(
      [(tgw.inputs.tags as Record<string, string>).Name, (tgw.inputs.tags as Record<string, string>).owner],
      ["hub-tgw", "platform-team"],
    );
  });

  it("attaches the hub VPC on its private subnets, outside any default route table", async () => {
    assert.equal(hubPrivateSubnets.length, 3);
    const attachment = only(resources, ATTACHMENT, "hub-attachment");
    assert.deepEqual(attachment.inputs.subnetIds, hubPrivateSubnets);
    assert.equal(attachment.inputs.transitGatewayId, await promiseOf(outputs.transitGatewayId));
    assert.equal(attachment.inputs.dnsSupport, "enable");
    assert.equal(attachment.inputs.transitGatewayDefaultRouteTableAssociation, false);
    assert.equal(attachment.inputs.transitGatewayDefaultRouteTablePropagation, false);
  });

  it("associates the hub with the hub table and propagates the hub CIDR into the spokes table only", async () => {
    const hubTable = only(resources, TGW_RT, "hub-tgw-hub");
    const spokeTable = only(resources, TGW_RT, "hub-tgw-spokes");
    assert.equal(await promiseOf(outputs.transitGatewayHubRouteTableId), hubTable.id);
    assert.equal(await promiseOf(outputs.transitGatewayRouteTableId), spokeTable.id);
    const attachment = only(resources, ATTACHMENT, "hub-attachment");
    const associations = resources.filter((r) => r.type === ASSOCIATION);
    assert.deepEqual(
      associations.map((a) => [a.inputs.transitGatewayAttachmentId, a.inputs.transitGatewayRouteTableId]),
      [[attachment.id, hubTable.id]],
    );
    const propagations = resources.filter((r) => r.type === PROPAGATION);
    assert.deepEqual(
      propagations.map((p) => [p.inputs.transitGatewayAttachmentId, p.inputs.transitGatewayRouteTableId]),
      [[attachment.id, spokeTable.id]],
    );
  });

  it("exports the route tables of the hub's private subnets, one per AZ", async () => {
    const ids = await promiseOf(outputs.privateRouteTableIds);
    assert.equal(ids.length, 3);
    assert.equal(new Set(ids).size, 3);
    for (const id of ids) assert.match(id, /^rtb-/);
  });

  it("shares the TGW through RAM with each configured principal, internal to the organization", async () => {
    const share = only(resources, "aws:ram/resourceShare:ResourceShare", "hub-tgw");
    assert.equal(share.inputs.allowExternalPrincipals, false);
    assert.equal(await promiseOf(outputs.transitGatewayShareArn), share.id);
    const tgw = only(resources, TGW, "hub-tgw");
    const association = only(resources, "aws:ram/resourceAssociation:ResourceAssociation", "hub-tgw");
    assert.deepEqual(
      [association.inputs.resourceArn, association.inputs.resourceShareArn],
      [tgw.outputs.arn, share.id],
    );
    const principals = resources.filter(
      (r) => r.type === "aws:ram/principalAssociation:PrincipalAssociation",
    );
    assert.deepEqual(principals.map((p) => p.inputs.principal).sort(), ["444455556666", OU].sort());
    for (const p of principals) assert.equal(p.inputs.resourceShareArn, share.id);
  });

  it("lists the hub output keys it produces", () => {
    assert.deepEqual([...TRANSIT_HUB_OUTPUT_KEYS].sort(), Object.keys(outputs).sort());
  });

  it("creates no RAM share without principals", async () => {
    resetRecorded();
    const hub = new TransitHub("lonely", {
      vpcId: "vpc-1",
      privateSubnetIds: ["subnet-a", "subnet-b"],
      privateSubnetCount: 2,
    });
    const all = await recorded();
    assert.equal(all.filter((r) => r.type.startsWith("aws:ram/")).length, 0);
    assert.equal(await promiseOf(hub.resourceShareArn), "");
    assert.deepEqual(await promiseOf(hub.privateRouteTableIds), [
      await rtbOf("subnet-a"),
      await rtbOf("subnet-b"),
    ]);
  });
});

/** The route table id the mocks answer for a subnet (the same invoke the component makes). */
async function rtbOf(subnetId: string): Promise<string> {
  return promiseOf(aws.ec2.getRouteTableOutput({ subnetId }).routeTableId);
}

describe("transit: spoke (same account)", () => {
  let resources: RecordedResource[];
  let outputs: TransitSpokeOutputs;
  let spokePrivateSubnets: string[];
  let clusterSg: string;

  before(async () => {
    setupMocks({ region: "eu-west-1", stack: "spoke-prod" });
    resetRecorded();
    const c = config("spoke", "spoke-prod");
    const foundation = await buildFoundation(c);
    outputs = buildTransitSpoke(c, foundation, hubView, 3);
    spokePrivateSubnets = await promiseOf(foundation.network.privateSubnetIds);
    clusterSg = await promiseOf(foundation.cluster.nodeSecurityGroupId);
    resources = await recorded();
  });

  it("attaches the spoke's private subnets to the hub's TGW", async () => {
    const attachment = only(resources, ATTACHMENT, "spoke-prod-attachment");
    assert.equal(spokePrivateSubnets.length, 3);
    assert.deepEqual(attachment.inputs.subnetIds, spokePrivateSubnets);
    assert.equal(attachment.inputs.transitGatewayId, "tgw-0123456789abcdef0");
    assert.equal(attachment.inputs.transitGatewayDefaultRouteTableAssociation, false);
    assert.equal(await promiseOf(outputs.transitGatewayAttachmentId), attachment.id);
  });

  it("associates with the spokes table and propagates into the hub table (isolated from other spokes)", () => {
    const attachment = only(resources, ATTACHMENT, "spoke-prod-attachment");
    const association = only(resources, ASSOCIATION, "spoke-prod-attachment");
    assert.deepEqual(
      [association.inputs.transitGatewayAttachmentId, association.inputs.transitGatewayRouteTableId],
      [attachment.id, "tgw-rtb-0spokes000000000"],
    );
    const propagation = only(resources, PROPAGATION, "spoke-prod-propagate-to-hub");
    assert.deepEqual(
      [propagation.inputs.transitGatewayAttachmentId, propagation.inputs.transitGatewayRouteTableId],
      [attachment.id, "tgw-rtb-0hub00000000000"],
    );
    assert.equal(resources.filter((r) => r.type === ACCEPTER).length, 0);
  });

  it("routes the hub CIDR from each spoke private route table to the TGW", async () => {
    const toHub = resources.filter((r) => r.type === ROUTE && r.name.startsWith("spoke-prod-to-hub-"));
    const expected = await Promise.all(spokePrivateSubnets.map(rtbOf));
    assert.deepEqual(toHub.map((r) => r.inputs.routeTableId).sort(), [...expected].sort());
    for (const r of toHub) {
      assert.equal(r.inputs.destinationCidrBlock, "10.100.0.0/16");
      assert.equal(r.inputs.transitGatewayId, "tgw-0123456789abcdef0");
    }
  });

  it("routes the spoke CIDR from each hub private route table to the TGW", () => {
    const fromHub = resources.filter((r) => r.type === ROUTE && r.name.startsWith("spoke-prod-from-hub-"));
    assert.deepEqual(fromHub.map((r) => r.inputs.routeTableId).sort(), [
      "rtb-0hub0000000000a",
      "rtb-0hub0000000000b",
      "rtb-0hub0000000000c",
    ]);
    for (const r of fromHub) {
      assert.equal(r.inputs.destinationCidrBlock, "10.0.0.0/16");
      assert.equal(r.inputs.transitGatewayId, "tgw-0123456789abcdef0");
    }
  });

  it("opens the spoke's EKS API (443) to the hub CIDR only", () => {
    const rule = only(resources, INGRESS, "spoke-prod-api-from-hub");
    assert.deepEqual(
      [
        rule.inputs.securityGroupId,
        rule.inputs.ipProtocol,
        rule.inputs.fromPort,
        rule.inputs.toPort,
        rule.inputs.cidrIpv4,
      ],
      [clusterSg, "tcp", 443, 443, "10.100.0.0/16"],
    );
    assert.match(String(rule.inputs.description), /hub/);
  });

  it("lets the spoke CIDR reach the hub endpoints security group on each endpoint port", () => {
    const rules = resources.filter(
      (r) => r.type === INGRESS && r.name.startsWith("spoke-prod-hub-endpoints-"),
    );
    assert.deepEqual(
      rules.map((r) => [
        r.inputs.securityGroupId,
        r.inputs.ipProtocol,
        r.inputs.fromPort,
        r.inputs.toPort,
        r.inputs.cidrIpv4,
      ]),
      [443, 9090, 9200].map((p) => ["sg-0hubendpoints0000", "tcp", p, p, "10.0.0.0/16"]),
    );
    for (const r of rules) assert.ok(String(r.inputs.description).length > 0);
  });

  it("adds nothing else to the hub's security groups (no world-open rule)", () => {
    for (const r of resources.filter((x) => x.type === INGRESS))
      assert.notEqual(r.inputs.cidrIpv4, "0.0.0.0/0");
  });
});

describe("transit: spoke in another account", () => {
  let resources: RecordedResource[];
  const role = "arn:aws:iam::999988887777:role/platform-transit";

  before(async () => {
    setupMocks({ region: "eu-west-1", stack: "spoke-x" });
    resetRecorded();
    const c = config("spoke", "spoke-x", {
      "platform:vpcCidr": "10.1.0.0/16",
      "platform:transit": JSON.stringify({
        hubAccountRoleArn: role,
        acceptShareInvitation: "true",
        hubEndpointPorts: "[443]",
      }),
    });
    buildTransitSpoke(c, await buildFoundation(c), hubView, 3);
    resources = await recorded();
  });

  it("accepts the RAM invitation before attaching", async () => {
    const accepter = only(
      resources,
      "aws:ram/resourceShareAccepter:ResourceShareAccepter",
      "spoke-x-tgw-share",
    );
    assert.equal(accepter.inputs.shareArn, await promiseOf(hubView.transitGatewayShareArn));
    const attachment = only(resources, ATTACHMENT, "spoke-x-attachment");
    assert.ok(attachment.dependencies.includes(accepter.urn));
    // The owner-only settings are left to the accepter on a shared gateway.
    assert.equal(attachment.inputs.transitGatewayDefaultRouteTableAssociation, undefined);
  });

  it("does the hub-side part through a provider assuming the hub-account role", () => {
    const provider = only(resources, "pulumi:providers:aws", "spoke-x-hub-account");
    // Provider inputs reach the engine as JSON text.
    const assumeRoles = provider.inputs.assumeRoles;
    const roles = (typeof assumeRoles === "string" ? JSON.parse(assumeRoles) : assumeRoles) as {
      roleArn: string;
    }[];
    assert.deepEqual(
      roles.map((r) => r.roleArn),
      [role],
    );
    assert.equal(provider.inputs.region, "eu-west-1");
    const accepter = only(resources, ACCEPTER, "spoke-x-attachment");
    assert.equal(accepter.inputs.transitGatewayDefaultRouteTableAssociation, false);
    assert.equal(accepter.inputs.transitGatewayDefaultRouteTablePropagation, false);
    const hubSide = [
      accepter,
      only(resources, ASSOCIATION, "spoke-x-attachment"),
      only(resources, PROPAGATION, "spoke-x-propagate-to-hub"),
      only(resources, INGRESS, "spoke-x-hub-endpoints-443"),
      ...resources.filter((r) => r.type === ROUTE && r.name.startsWith("spoke-x-from-hub-")),
    ];
    assert.equal(hubSide.length, 7);
    for (const r of hubSide)
      assert.match(String(r.provider), /spoke-x-hub-account/, `${r.name} uses the hub provider`);
    const spokeSide = [
      only(resources, INGRESS, "spoke-x-api-from-hub"),
      ...resources.filter((r) => r.type === ROUTE && r.name.startsWith("spoke-x-to-hub-")),
    ];
    for (const r of spokeSide)
      assert.doesNotMatch(String(r.provider ?? ""), /hub-account/, `${r.name} uses the spoke's provider`);
  });

  it("associates the accepted attachment", () => {
    const accepter = only(resources, ACCEPTER, "spoke-x-attachment");
    const association = only(resources, ASSOCIATION, "spoke-x-attachment");
    assert.equal(association.inputs.transitGatewayAttachmentId, accepter.id);
    assert.ok(association.dependencies.includes(accepter.urn));
  });
});
