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
      'Worker nodes must require IMDSv2 (httpTokens "required") with a hop limit of at most maxHopLimit (default 2), or disable IMDS (httpEndpoint "disabled"), so pods cannot steal the node role.',
    severity: "high",
    framework: frameworks.eksBestPractices(
      "Identity and Access Management",
      "Restrict access to the instance profile assigned to the worker node",
    ),
    tags: ["nodes", "iam", "CKV_AWS_79"],
    remediationSteps:
      'Set metadataOptions { httpTokens: "required", httpPutResponseHopLimit: 1 or 2 } (or httpEndpoint: "disabled") on the launch template, or enableIMDSv2: true on eks.ManagedNodeGroup.',
    url: "https://aws.github.io/aws-eks-best-practices/security/docs/iam/#restrict-access-to-the-instance-profile-assigned-to-the-worker-node",
    configSchema: {
      properties: {
        maxHopLimit: {
          type: "integer",
          minimum: 1,
          maximum: 64,
          default: 2,
          description:
            "Highest allowed httpPutResponseHopLimit. 1: only the node and hostNetwork pods reach IMDS; 2 (default, what the platform's launch templates use): pods on the pod network reach it too, which the EBS CSI node plugin needs for exact volume-attachment limits. When unset, the AMI's or the account's IMDS default applies; set it explicitly.",
        },
      },
    },
    resourceTypes: [types.launchTemplate, types.eksNodeGroup, types.eksManagedNodeGroup],
    checks: {
      [types.launchTemplate]: (props, args, report) => {
        const { maxHopLimit } = args.getConfig<{ maxHopLimit: number }>();
        const md = props.metadataOptions;
        // No IMDS at all: nothing to steal through it (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/configuring-IMDS-new-instances.html).
        if (md?.httpEndpoint === "disabled") return;
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
    tags: ["nodes", "encryption", "CKV_AWS_8"],
    remediationSteps:
      'Give the launch template blockDeviceMappings [{ deviceName: "/dev/xvda", ebs: { encrypted: "true", kmsKeyId: key.arn, volumeType: "gp3" } }] and use it from the node group.',
    url: "https://docs.aws.amazon.com/eks/latest/userguide/launch-templates.html",
    configSchema: {
      properties: {
        encryptedSnapshotIds: {
          type: "array",
          items: { type: "string", pattern: "^snap-[0-9a-f]+$" },
          uniqueItems: true,
          default: [],
          description:
            "Snapshots reviewed to be encrypted with a customer key (e.g. made by aws.ebs.SnapshotCopy with encrypted and kmsKeyId) that block device mappings may restore from.",
        },
      },
    },
    resourceTypes: [types.launchTemplate, types.eksNodeGroup, types.eksManagedNodeGroup],
    checks: {
      [types.launchTemplate]: (props, args, report) => {
        const mappings = asList(props.blockDeviceMappings as Record<string, any>[] | undefined).filter(
          (m) => m?.ebs,
        );
        if (mappings.length === 0) {
          report(
            'no blockDeviceMappings with ebs: the root volume inherits the AMI\'s settings and is not encrypted with our key. Add a mapping with ebs.encrypted "true" and ebs.kmsKeyId.',
          );
        }
        const { encryptedSnapshotIds } = args.getConfig<{ encryptedSnapshotIds: string[] }>();
        for (const m of mappings) {
          const dev = m.deviceName ?? "volume";
          if (isSet(m.ebs.snapshotId) && m.ebs.encrypted === undefined) {
            // A volume restored from a snapshot takes the snapshot's encryption; the provider refuses
            // `encrypted` next to `snapshotId`, so the snapshot itself must be encrypted with our key.
            if (!encryptedSnapshotIds.includes(m.ebs.snapshotId))
              report(
                `${dev}: restored from snapshot ${m.ebs.snapshotId}, whose encryption the pack cannot see (the volume takes the snapshot's). Use a copy encrypted with the customer key (aws.ebs.SnapshotCopy { encrypted: true, kmsKeyId }) and list its id in this policy's encryptedSnapshotIds config.`,
              );
            continue;
          }
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

/**
 * Secret patterns in user data: checkov's AWS category (`checkov/common/util/secrets.py`, the
 * git-secrets AWS patterns) less the bare 40-character token (it matches any base64 run of that
 * length, such as hashes), plus private keys and literal password assignments.
 */
export const userDataSecretPatterns: readonly { readonly what: string; readonly re: RegExp }[] = [
  { what: "an AWS access key ID", re: /(A3T[A-Z0-9]|AKIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|ASIA)[A-Z0-9]{16}/ },
  {
    what: "an AWS secret access key",
    re: /("|')?(AWS|aws|Aws)?_?(SECRET|secret|Secret)?_?(ACCESS|access|Access)?_?(KEY|key|Key)("|')?\s*(:|=>|=)\s*("|')?[A-Za-z0-9/+=]{40}("|')?/,
  },
  { what: "a private key", re: /-----BEGIN ((RSA|EC|DSA|OPENSSH|ENCRYPTED|PGP) )?PRIVATE KEY( BLOCK)?-----/ },
  {
    what: "a password",
    // password=..., PASSWORD: "...", --password ... with a literal value (not $VAR, ${VAR} or a command).
    re: /\b[A-Za-z_]*(PASSWORD|PASSWD|password|passwd|Password)\b["']?\s*(=|:|\s)\s*["']?(?![$`<{(])[^\s"']{4,}/,
  },
];

/** User data as the node sees it: base64-decoded when it is base64 (as the AWS provider wants it). */
export function decodeUserData(userData: string): string {
  const compact = userData.replace(/\s+/g, "");
  if (compact.length > 0 && compact.length % 4 === 0 && /^[A-Za-z0-9+/]+={0,2}$/.test(compact)) {
    const text = Buffer.from(compact, "base64").toString("utf8");
    // Keep the decoded text only when it is text (a random base64-looking string decodes to binary).
    const binary = [...text].some((ch) => {
      const c = ch.charCodeAt(0);
      return (
        c === 0xfffd || (c < 0x20 && ch !== "\n" && ch !== "\r" && ch !== "\t" && ch !== "\f" && ch !== "\v")
      );
    });
    if (!binary) return text;
  }
  return userData;
}

export const nodesNoUserDataSecrets = (): ResourceValidationPolicy =>
  resourcePolicy({
    name: "nodes-no-user-data-secrets",
    description:
      "Launch-template user data must not contain secrets (AWS keys, private keys, passwords): anyone who can describe the template or reach IMDS reads it.",
    severity: "critical",
    framework: frameworks.checkov("CKV_AWS_46", "Ensure no hard-coded secrets exist in EC2 user data"),
    tags: ["nodes", "secrets", "CKV_AWS_46"],
    remediationSteps:
      "Remove the secret from userData; let the node fetch it at boot from Secrets Manager or SSM Parameter Store with its instance role, or use the node role/Pod Identity instead of keys.",
    url: "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/user-data.html",
    resourceTypes: [types.launchTemplate],
    checks: {
      "*": (props, _args, report) => {
        if (!isSet(props.userData)) return;
        const text = decodeUserData(props.userData);
        for (const { what, re } of userDataSecretPatterns) {
          const m = re.exec(text);
          if (m) {
            const line = text.slice(0, m.index).split("\n").length;
            report(
              `userData line ${line} contains ${what}: user data is readable by anyone who can describe the launch template or reach IMDS. Fetch the secret at boot from Secrets Manager or SSM Parameter Store instead.`,
            );
          }
        }
      },
    },
  });

export const nodesPolicies: PackPolicy[] = [
  nodesImdsv2Required(),
  nodesNoPublicIp(),
  nodesNoSshKey(),
  nodesEncryptedRootVolume(),
  nodesNoUserDataSecrets(),
];
