/**
 * Network policies: VPC flow logs, security-group exposure and hygiene, the default security group,
 * Transit Gateway attachment acceptance and public subnets. VPC rules see both the
 * `aws:ec2/vpc:Vpc` (real preview) and the `awsx:ec2:Vpc` component (offline plan).
 */
import type { PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import {
  asList,
  frameworks,
  isSet,
  refersTo,
  resourcePolicy,
  stackPolicy,
  types,
  worldCidrs,
  type PackPolicy,
} from "./common";

/** The VPCs to judge: an aws:ec2/vpc:Vpc inside an awsx:ec2:Vpc is judged through its component. */
function vpcsOf(resources: readonly PolicyResource[]): PolicyResource[] {
  return resources.filter(
    (r) =>
      r.type === types.awsxVpc || (r.type === types.vpc && !(r.parent && r.parent.type === types.awsxVpc)),
  );
}

/** True when `ref` is tied to `vpc`: it depends on it (or its awsx wrapper/children) or shares its parent component. */
function belongsTo(ref: PolicyResource, vpc: PolicyResource, all: readonly PolicyResource[]): boolean {
  if (refersTo(ref, vpc)) return true;
  // The aws:ec2/vpc:Vpc child of an awsx component.
  const children = all.filter((r) => r.parent?.urn === vpc.urn && r.type === types.vpc);
  if (children.some((c) => refersTo(ref, c))) return true;
  // Our networking component creates the VPC and its flow log / default SG side by side.
  const vpcParent = vpc.parent;
  return !!vpcParent && vpcParent.type.startsWith("platform:") && ref.parent?.urn === vpcParent.urn;
}

export const vpcFlowLogs = (): StackValidationPolicy =>
  stackPolicy({
    name: "vpc-flow-logs",
    description: "Every VPC must have a flow log.",
    severity: "medium",
    framework: frameworks.cisAws("3.7", "Ensure VPC flow logging is enabled in all VPCs"),
    tags: ["network", "logging", "CIS-AWS-3.7", "CKV2_AWS_11"],
    remediationSteps:
      "Create an aws.ec2.FlowLog with vpcId set to the VPC (trafficType ALL) in the same networking component.",
    url: "https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs.html",
    resourceTypes: [types.vpc, types.awsxVpc, types.flowLog],
    validateStack: (args, report) => {
      const vpcs = vpcsOf(args.resources);
      if (vpcs.length === 0) return args.notApplicable("no VPC in the stack");
      const flowLogs = args.resources.filter((r) => r.type === types.flowLog);
      for (const vpc of vpcs) {
        if (!flowLogs.some((f) => belongsTo(f, vpc, args.resources))) {
          report(
            `VPC ${vpc.name} has no aws:ec2/flowLog:FlowLog referencing it: rejected and accepted traffic cannot be investigated. Add a FlowLog with vpcId set to this VPC.`,
            vpc.urn,
          );
        }
      }
    },
  });

interface IngressRule {
  readonly label: string;
  readonly cidrs: string[];
  readonly protocol: string;
  readonly fromPort: number;
  readonly toPort: number;
}

function portsAllowed(rule: IngressRule, allowedPorts: number[]): boolean {
  if (rule.protocol === "-1" || rule.protocol === "all") return false;
  if (rule.fromPort > rule.toPort) return false;
  for (let p = rule.fromPort; p <= rule.toPort; p++) {
    if (!allowedPorts.includes(p)) return false;
  }
  return true;
}

function sgRules(type: string, props: Record<string, any>, direction: "ingress" | "egress"): IngressRule[] {
  if (type === types.securityGroup) {
    return asList(props[direction] as Record<string, any>[] | undefined).map((r, i) => ({
      label: `${direction}[${i}]`,
      cidrs: [...asList(r.cidrBlocks as string[]), ...asList(r.ipv6CidrBlocks as string[])],
      protocol: String(r.protocol ?? "-1"),
      fromPort: Number(r.fromPort ?? 0),
      toPort: Number(r.toPort ?? 65535),
    }));
  }
  if (type === types.securityGroupRule) {
    if (props.type !== direction) return [];
    return [
      {
        label: "rule",
        cidrs: [...asList(props.cidrBlocks as string[]), ...asList(props.ipv6CidrBlocks as string[])],
        protocol: String(props.protocol ?? "-1"),
        fromPort: Number(props.fromPort ?? 0),
        toPort: Number(props.toPort ?? 65535),
      },
    ];
  }
  if (type !== (direction === "ingress" ? types.vpcIngressRule : types.vpcEgressRule)) return [];
  return [
    {
      label: "rule",
      cidrs: [props.cidrIpv4, props.cidrIpv6].filter(isSet),
      protocol: String(props.ipProtocol ?? "-1"),
      fromPort: Number(props.fromPort ?? 0),
      toPort: Number(props.toPort ?? 65535),
    },
  ];
}

function ingressRules(type: string, props: Record<string, any>): IngressRule[] {
  return sgRules(type, props, "ingress");
}

export const sgNoWorldIngress = (): ResourceValidationPolicy =>
  resourcePolicy({
    name: "sg-no-world-ingress",
    description:
      "Security groups must not allow ingress from 0.0.0.0/0 or ::/0, except on allowlisted ports.",
    severity: "critical",
    framework: frameworks.cisAws(
      "5.2",
      "Ensure no security groups allow ingress from 0.0.0.0/0 to remote server administration ports",
    ),
    tags: ["network", "CIS-AWS-5.2", "CIS-AWS-5.3", "CKV_AWS_24", "CKV_AWS_25", "CKV_AWS_260"],
    remediationSteps:
      "Restrict the source to known CIDRs or security groups, or put the service behind a load balancer on an allowlisted port.",
    url: "https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html",
    configSchema: {
      properties: {
        allowedPorts: {
          type: "array",
          items: { type: "integer", minimum: 0, maximum: 65535 },
          uniqueItems: true,
          default: [443],
          description: "TCP/UDP ports that may be open to the world (e.g. public load balancers).",
        },
      },
    },
    resourceTypes: [types.securityGroup, types.securityGroupRule, types.vpcIngressRule],
    checks: {
      "*": (props, args, report) => {
        const { allowedPorts } = args.getConfig<{ allowedPorts: number[] }>();
        for (const rule of ingressRules(args.type, props)) {
          const open = rule.cidrs.filter((c) => worldCidrs.includes(c));
          if (open.length && !portsAllowed(rule, allowedPorts)) {
            const ports =
              rule.protocol === "-1" ? "all ports" : `ports ${rule.fromPort}-${rule.toPort}/${rule.protocol}`;
            report(
              `${rule.label} opens ${ports} to ${open.join(", ")}. Restrict the source, or (for public endpoints) use only allowlisted ports (${allowedPorts.join(", ") || "none"}).`,
            );
          }
        }
      },
    },
  });

export const sgNoWorldEgress = (): ResourceValidationPolicy =>
  resourcePolicy({
    name: "sg-no-world-egress",
    description:
      "Security groups should not allow egress to 0.0.0.0/0 or ::/0, except on allowlisted ports (advisory by default: nodes need the internet through NAT unless every AWS service has a VPC endpoint).",
    severity: "medium",
    enforcementLevel: "advisory",
    framework: frameworks.checkov(
      "CKV_AWS_382",
      "Ensure no security groups allow egress from 0.0.0.0:0 to port -1",
    ),
    tags: ["network", "CKV_AWS_382"],
    remediationSteps:
      "Limit egress to the VPC CIDR, VPC endpoints' prefix lists or named security groups; list the ports that must reach the internet in allowedPorts.",
    url: "https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html",
    configSchema: {
      properties: {
        allowedPorts: {
          type: "array",
          items: { type: "integer", minimum: 0, maximum: 65535 },
          uniqueItems: true,
          default: [],
          description: "TCP/UDP ports that may reach the whole internet (e.g. 443 for AWS APIs through NAT).",
        },
      },
    },
    resourceTypes: [types.securityGroup, types.securityGroupRule, types.vpcEgressRule],
    checks: {
      "*": (props, args, report) => {
        const { allowedPorts } = args.getConfig<{ allowedPorts: number[] }>();
        for (const rule of sgRules(args.type, props, "egress")) {
          const open = rule.cidrs.filter((c) => worldCidrs.includes(c));
          if (open.length && !portsAllowed(rule, allowedPorts)) {
            const ports =
              rule.protocol === "-1" ? "all ports" : `ports ${rule.fromPort}-${rule.toPort}/${rule.protocol}`;
            report(
              `${rule.label} lets traffic out to ${open.join(", ")} on ${ports}: a compromised workload can reach any host on the internet. Limit the destination, or list the ports that need it in allowedPorts (${allowedPorts.join(", ") || "none"}).`,
            );
          }
        }
      },
    },
  });

export const sgDescriptions = (): ResourceValidationPolicy =>
  resourcePolicy({
    name: "sg-descriptions",
    description: "Security groups and their rules must carry a description saying what they allow and why.",
    severity: "low",
    framework: frameworks.checkov("CKV_AWS_23", "Ensure every security group and rule has a description"),
    tags: ["network", "CKV_AWS_23"],
    remediationSteps:
      'Set description on the security group (not the "Managed by Pulumi" default) and on each rule.',
    url: "https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html",
    resourceTypes: [types.securityGroup, types.securityGroupRule, types.vpcIngressRule, types.vpcEgressRule],
    checks: {
      [types.securityGroup]: (props, _args, report) => {
        if (!isSet(props.description) || props.description === "Managed by Pulumi") {
          report(
            `description is ${isSet(props.description) ? `the default "${props.description}"` : "not set"}: reviewers cannot tell what the group is for. Describe its purpose.`,
          );
        }
        for (const dir of ["ingress", "egress"] as const) {
          asList(props[dir] as Record<string, any>[] | undefined).forEach((r, i) => {
            if (!isSet(r?.description))
              report(`${dir}[${i}] has no description. Say what the rule allows and why.`);
          });
        }
      },
      "*": (props, _args, report) => {
        if (!isSet(props.description)) report("the rule has no description. Say what it allows and why.");
      },
    },
  });

export const defaultSgClosed = (): ResourceValidationPolicy =>
  resourcePolicy({
    name: "default-sg-closed",
    description: "A VPC's default security group must have no ingress and no egress rules.",
    severity: "medium",
    framework: frameworks.cisAws(
      "5.4",
      "Ensure the default security group of every VPC restricts all traffic",
    ),
    tags: ["network", "CIS-AWS-5.4", "CKV2_AWS_12"],
    remediationSteps: "Manage it with aws.ec2.DefaultSecurityGroup { vpcId } and no ingress/egress.",
    url: "https://docs.aws.amazon.com/vpc/latest/userguide/default-security-group.html",
    resourceTypes: [types.defaultSecurityGroup],
    checks: {
      "*": (props, _args, report) => {
        const ingress = asList(props.ingress).length;
        const egress = asList(props.egress).length;
        if (ingress || egress) {
          report(
            `the default security group has ${ingress} ingress and ${egress} egress rules: anything launched without a group gets them. Remove all rules.`,
          );
        }
      },
    },
  });

export const vpcDefaultSgManaged = (): StackValidationPolicy =>
  stackPolicy({
    name: "vpc-default-sg-managed",
    description:
      "Every VPC should manage its default security group (aws.ec2.DefaultSecurityGroup) so it can be kept closed.",
    enforcementLevel: "advisory",
    severity: "medium",
    framework: frameworks.cisAws(
      "5.4",
      "Ensure the default security group of every VPC restricts all traffic",
    ),
    tags: ["network", "CIS-AWS-5.4", "CKV2_AWS_12"],
    remediationSteps:
      "Add aws.ec2.DefaultSecurityGroup { vpcId: vpc.vpcId } with no rules next to the VPC (awsx.ec2.Vpc does not manage it).",
    url: "https://docs.aws.amazon.com/vpc/latest/userguide/default-security-group.html",
    resourceTypes: [types.vpc, types.awsxVpc, types.defaultSecurityGroup],
    validateStack: (args, report) => {
      const vpcs = vpcsOf(args.resources);
      if (vpcs.length === 0) return args.notApplicable("no VPC in the stack");
      const defaults = args.resources.filter((r) => r.type === types.defaultSecurityGroup);
      for (const vpc of vpcs) {
        if (!defaults.some((d) => belongsTo(d, vpc, args.resources))) {
          report(
            `VPC ${vpc.name} leaves its default security group unmanaged (AWS creates it allowing all traffic within the group). Add an aws.ec2.DefaultSecurityGroup without rules.`,
            vpc.urn,
          );
        }
      }
    },
  });

export const tgwNoAutoAccept = (): ResourceValidationPolicy =>
  resourcePolicy({
    name: "tgw-no-auto-accept",
    description: "Transit Gateways must not auto-accept shared attachments.",
    severity: "high",
    framework: frameworks.checkov(
      "CKV_AWS_331",
      "Ensure Transit Gateways do not automatically accept VPC attachment requests",
    ),
    tags: ["network", "CKV_AWS_331"],
    remediationSteps:
      'Set autoAcceptSharedAttachments: "disable" and accept spoke attachments explicitly (aws.ec2transitgateway.VpcAttachmentAccepter).',
    url: "https://docs.aws.amazon.com/vpc/latest/tgw/tgw-vpc-attachments.html",
    resourceTypes: [types.transitGateway],
    checks: {
      "*": (props, _args, report) => {
        if (props.autoAcceptSharedAttachments === "enable") {
          report(
            'autoAcceptSharedAttachments is "enable": any account the gateway is shared with can attach a VPC to the hub network unreviewed. Set it to "disable".',
          );
        }
      },
    },
  });

const elbRoleTag = "kubernetes.io/role/elb";

export const subnetNoPublicIpOnLaunch = (): ResourceValidationPolicy =>
  resourcePolicy({
    name: "subnet-no-public-ip-on-launch",
    description: `Subnets may auto-assign public IPs only when they are public load-balancer subnets (tagged ${elbRoleTag}).`,
    severity: "medium",
    framework: frameworks.checkov("CKV_AWS_130", "Ensure VPC subnets do not assign public IP by default"),
    tags: ["network", "CKV_AWS_130"],
    remediationSteps: `Set mapPublicIpOnLaunch: false, or tag the public subnet ${elbRoleTag}: "1" if it only hosts load balancers/NAT.`,
    url: "https://docs.aws.amazon.com/eks/latest/userguide/network-load-balancing.html",
    resourceTypes: [types.subnet, types.awsxVpc],
    checks: {
      [types.subnet]: (props, _args, report) => {
        if (props.mapPublicIpOnLaunch === true && !(props.tags && elbRoleTag in props.tags)) {
          report(
            `mapPublicIpOnLaunch is true but the subnet is not tagged ${elbRoleTag}: instances launched here get public IPs. Set it to false or tag the subnet as a load-balancer subnet.`,
          );
        }
      },
      [types.awsxVpc]: (props, _args, report) => {
        // awsx creates Public subnets with mapPublicIpOnLaunch: true; the default specs are Public + Private.
        const specs =
          props.subnetSpecs === undefined
            ? [{ type: "Public" }]
            : asList(props.subnetSpecs as Record<string, any>[]);
        specs.forEach((s, i) => {
          if (s?.type === "Public" && !(s.tags && elbRoleTag in s.tags)) {
            const where =
              props.subnetSpecs === undefined
                ? "the default Public subnets"
                : `subnetSpecs[${i}] (Public${s.name ? ` "${s.name}"` : ""})`;
            report(
              `${where} assign public IPs on launch but are not tagged ${elbRoleTag}. Add tags { "${elbRoleTag}": "1" } to the Public subnet spec.`,
            );
          }
        });
      },
    },
  });

export const networkPolicies: PackPolicy[] = [
  vpcFlowLogs(),
  sgNoWorldIngress(),
  sgNoWorldEgress(),
  sgDescriptions(),
  defaultSgClosed(),
  vpcDefaultSgManaged(),
  tgwNoAutoAccept(),
  subnetNoPublicIpOnLaunch(),
];
