/**
 * Worker-node policies: IMDSv2, public IPs, SSH access and root-volume encryption. They judge the
 * aws:* resources a real preview sees (launch templates, `aws:eks/nodeGroup:NodeGroup`) and the
 * @pulumi/eks component inputs the offline plan sees (`eks:index:ManagedNodeGroup`, `eks:index:Cluster`).
 */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { asList, frameworks, isSet, isTrue, resourcePolicy, types, type PackPolicy } from "./common";

export const nodesImdsv2Required = (): ResourceValidationPolicy =>
  resourcePolicy({
    name: "nodes-imdsv2-required",
    description:
      'Worker nodes must require IMDSv2 (httpTokens "required") with a small hop limit, so pods cannot steal the node role.',
    severity: "high",
    framework: frameworks.eksBestPractices(
      "Identity and Access Management",
      "Restrict access to the instance profile assigned to the worker node",
    ),
    tags: ["nodes", "iam", "CKV_AWS_79", "CKV_AWS_341"],
    remediationSteps:
      'Set metadataOptions { httpTokens: "required", httpPutResponseHopLimit: 1 or 2 } on the launch template, or enableIMDSv2: true on eks.ManagedNodeGroup.',
    url: "https://aws.github.io/aws-eks-best-practices/security/docs/iam/#restrict-access-to-the-instance-profile-assigned-to-the-worker-node",
    configSchema: {
      properties: {
        maxHopLimit: {
          type: "integer",
          minimum: 1,
          maximum: 64,
          default: 2,
          description:
            "Highest allowed httpPutResponseHopLimit (2 lets pods on the host network reach IMDS; 1 blocks all pods).",
        },
      },
    },
    resourceTypes: [types.launchTemplate, types.eksNodeGroup, types.eksManagedNodeGroup],
    checks: {
      [types.launchTemplate]: (props, args, report) => {
        const { maxHopLimit } = args.getConfig<{ maxHopLimit: number }>();
        const md = props.metadataOptions;
        if (md?.httpTokens !== "required") {
          report(
            `metadataOptions.httpTokens is ${md?.httpTokens ?? "not set (optional)"}: IMDSv1 lets any SSRF read the node's credentials. Set httpTokens: "required".`,
          );
        }
        const hops = md?.httpPutResponseHopLimit;
        if (typeof hops === "number" && hops > maxHopLimit) {
          report(
            `metadataOptions.httpPutResponseHopLimit is ${hops}, above ${maxHopLimit}: containers can reach IMDS through extra hops. Set it to ${maxHopLimit} or less.`,
          );
        }
      },
      [types.eksNodeGroup]: (props, _args, report) => {
        if (!props.launchTemplate) {
          report(
            'no launchTemplate: the EKS default template does not require IMDSv2. Attach a launch template with metadataOptions.httpTokens "required".',
          );
        }
      },
      [types.eksManagedNodeGroup]: (props, _args, report) => {
        if (!props.launchTemplate && props.enableIMDSv2 !== true) {
          report(
            "neither enableIMDSv2: true nor a launchTemplate: nodes accept IMDSv1. Set enableIMDSv2: true (or pass a launch template requiring IMDSv2).",
          );
        }
      },
    },
  });

export const nodesNoPublicIp = (): ResourceValidationPolicy =>
  resourcePolicy({
    name: "nodes-no-public-ip",
    description: "Worker nodes must not get public IP addresses.",
    severity: "high",
    framework: frameworks.cisEks("5.4.3", "Ensure clusters are created with Private Nodes"),
    tags: ["nodes", "network", "CIS-EKS-5.4.3", "CKV_AWS_88"],
    remediationSteps:
      'Set nodeAssociatePublicIpAddress: false (eks.Cluster) and associatePublicIpAddress "false" on launch-template network interfaces; put nodes in private subnets.',
    url: "https://docs.aws.amazon.com/eks/latest/best-practices/subnets.html",
    resourceTypes: [
      types.launchTemplate,
      types.eksComponent,
      types.eksNodeGroupV2,
      types.eksNodeGroupComponent,
    ],
    checks: {
      [types.launchTemplate]: (props, _args, report) => {
        asList(props.networkInterfaces as Record<string, unknown>[] | undefined).forEach((ni, i) => {
          if (isTrue(ni?.associatePublicIpAddress)) {
            report(
              `networkInterfaces[${i}].associatePublicIpAddress is "true": nodes are reachable from the internet. Set it to "false".`,
            );
          }
        });
      },
      "*": (props, args, report) => {
        // eks.Cluster's default node group and eks.NodeGroup(V2) default to public IPs.
        if (args.type === types.eksComponent && props.skipDefaultNodeGroup === true) return;
        if (props.nodeAssociatePublicIpAddress !== false) {
          report(
            `nodeAssociatePublicIpAddress is ${props.nodeAssociatePublicIpAddress ?? "not set (defaults to true)"}: nodes get public IPs. Set nodeAssociatePublicIpAddress: false${args.type === types.eksComponent ? " or skipDefaultNodeGroup: true" : ""}.`,
          );
        }
      },
    },
  });

export const nodesNoSshKey = (): ResourceValidationPolicy =>
  resourcePolicy({
    name: "nodes-no-ssh-key",
    description:
      "Worker nodes must not accept SSH keys, unless remote access is limited to named source security groups.",
    severity: "high",
    framework: frameworks.checkov(
      "CKV_AWS_100",
      "Ensure AWS EKS node group does not have implicit SSH access from 0.0.0.0/0",
    ),
    tags: ["nodes", "network", "CKV_AWS_100"],
    remediationSteps:
      "Remove keyName / remoteAccess.ec2SshKey and use SSM Session Manager; if SSH is unavoidable, set remoteAccess.sourceSecurityGroupIds.",
    url: "https://docs.aws.amazon.com/eks/latest/userguide/create-managed-node-group.html",
    resourceTypes: [types.launchTemplate, types.eksNodeGroup, types.eksManagedNodeGroup, types.eksComponent],
    checks: {
      [types.launchTemplate]: (props, _args, report) => {
        if (isSet(props.keyName)) {
          report(
            `keyName "${props.keyName}" installs an SSH key on every node. Remove it and use SSM Session Manager.`,
          );
        }
      },
      [types.eksComponent]: (props, _args, report) => {
        if (props.skipDefaultNodeGroup !== true && isSet(props.nodePublicKey)) {
          report(
            "nodePublicKey installs an SSH key on the default node group. Remove it and use SSM Session Manager.",
          );
        }
      },
      "*": (props, _args, report) => {
        const ra = props.remoteAccess;
        if (isSet(ra?.ec2SshKey) && asList(ra?.sourceSecurityGroupIds).length === 0) {
          report(
            `remoteAccess.ec2SshKey "${ra.ec2SshKey}" without sourceSecurityGroupIds opens SSH (port 22) to 0.0.0.0/0. Remove the key or name the allowed sourceSecurityGroupIds.`,
          );
        }
      },
    },
  });

export const nodesEncryptedRootVolume = (): ResourceValidationPolicy =>
  resourcePolicy({
    name: "nodes-encrypted-root-volume",
    description: "Worker-node volumes must be encrypted with a customer-managed KMS key.",
    severity: "high",
    framework: frameworks.checkov(
      "CKV_AWS_8",
      "Ensure all data stored in the Launch configuration or instance Elastic Blocks Store is securely encrypted",
    ),
    tags: ["nodes", "encryption", "CKV_AWS_8", "CKV_AWS_189"],
    remediationSteps:
      'Give the launch template blockDeviceMappings [{ deviceName: "/dev/xvda", ebs: { encrypted: "true", kmsKeyId: key.arn, volumeType: "gp3" } }] and use it from the node group.',
    url: "https://docs.aws.amazon.com/eks/latest/userguide/launch-templates.html",
    resourceTypes: [types.launchTemplate, types.eksNodeGroup, types.eksManagedNodeGroup],
    checks: {
      [types.launchTemplate]: (props, _args, report) => {
        const mappings = asList(props.blockDeviceMappings as Record<string, any>[] | undefined).filter(
          (m) => m?.ebs,
        );
        if (mappings.length === 0) {
          report(
            'no blockDeviceMappings with ebs: the root volume inherits the AMI\'s settings and is not encrypted with our key. Add a mapping with ebs.encrypted "true" and ebs.kmsKeyId.',
          );
        }
        for (const m of mappings) {
          const dev = m.deviceName ?? "volume";
          if (!isTrue(m.ebs.encrypted))
            report(
              `${dev}: ebs.encrypted is not "true": node data is stored unencrypted. Set encrypted: "true".`,
            );
          else if (!isSet(m.ebs.kmsKeyId))
            report(
              `${dev}: ebs.kmsKeyId is not set: the AWS-managed aws/ebs key is used. Set kmsKeyId to the platform's customer key.`,
            );
        }
      },
      "*": (props, _args, report) => {
        if (!props.launchTemplate) {
          report(
            "no launchTemplate: node root volumes use the default (diskSize) settings, which cannot use a customer KMS key. Attach a launch template with encrypted blockDeviceMappings.",
          );
        }
      },
    },
  });

export const nodesPolicies: PackPolicy[] = [
  nodesImdsv2Required(),
  nodesNoPublicIp(),
  nodesNoSshKey(),
  nodesEncryptedRootVolume(),
];
