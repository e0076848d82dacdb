/**
 * Pure helpers shared by the components: tags, IAM policy documents and KMS key policies.
 * No resources are created here, so everything is tested without mocks.
 */
import type * as pulumi from "@pulumi/pulumi";

/**
 * The `providers` option that hands a component's AWS provider (given to it through `providers`) on
 * to a multi-language component (@pulumi/eks, @pulumi/awsx). Their children are registered by the
 * provider plugin, which inherits nothing from our parents: only providers passed to the component
 * itself reach them (e.g. the stack provider's default tags). Empty when the component has none.
 * https://www.pulumi.com/docs/iac/concepts/resources/components/#inheriting-resource-providers
 */
export function awsProviders(component: pulumi.Resource): {
  providers?: Record<string, pulumi.ProviderResource>;
} {
  const provider = component.getProvider("aws::Provider");
  return provider ? { providers: { aws: provider } } : {};
}

/** An IAM policy document (the JSON AWS accepts). https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html */
export interface PolicyDocument {
  Version: "2012-10-17";
  Statement: PolicyStatement[];
}

/** One statement of an IAM policy document. */
export interface PolicyStatement {
  Sid?: string;
  Effect: "Allow" | "Deny";
  Principal?: Record<string, string | string[]>;
  Action: string | string[];
  Resource?: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

/**
 * Tags for an AWS resource: the `Name` tag first, then the component's tags, then the user's tags
 * (DESIGN.md §5.7: user tags merged last so they win).
 */
export function awsTags(
  name: string,
  ...tagSets: (Record<string, string> | undefined)[]
): Record<string, string> {
  return Object.assign({ Name: name }, ...tagSets.filter(Boolean));
}

/** The trust policy that lets one AWS service assume a role, limited to this account. */
export function serviceTrustPolicy(service: string, accountId: string): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Service: service },
        Action: "sts:AssumeRole",
        Condition: { StringEquals: { "aws:SourceAccount": accountId } },
      },
    ],
  };
}

/**
 * The trust policy of an EKS Pod Identity role: the `pods.eks.amazonaws.com` service principal with
 * `sts:AssumeRole` and `sts:TagSession`, limited to this account.
 * https://docs.aws.amazon.com/eks/latest/userguide/pod-id-role.html
 */
export function podIdentityTrustPolicy(accountId: string): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Service: "pods.eks.amazonaws.com" },
        Action: ["sts:AssumeRole", "sts:TagSession"],
        Condition: { StringEquals: { "aws:SourceAccount": accountId } },
      },
    ],
  };
}

/** Options of {@link kmsKeyPolicy}. */
export interface KmsKeyPolicyArgs {
  /** The AWS account that owns the key. */
  readonly accountId: string;
  /** The AWS partition, e.g. `aws`. */
  readonly partition: string;
  /** The AWS region, e.g. `eu-west-1`. */
  readonly region: string;
  /** Allow CloudWatch Logs in this account and region to use the key for log groups. @default false */
  readonly cloudWatchLogs?: boolean;
  /** Extra service principals (e.g. `backup.amazonaws.com`) allowed to use the key through grants in this account. */
  readonly services?: readonly string[];
  /**
   * Let the EC2 Auto Scaling service-linked role use the key: managed node groups launch through
   * Auto Scaling, which must encrypt root volumes with it.
   * https://docs.aws.amazon.com/autoscaling/ec2/userguide/key-policy-requirements-EBS-encryption.html
   * @default false
   */
  readonly autoScaling?: boolean;
}

/** What a principal needs of a key to encrypt volumes and data keys through grants. */
const KEY_USE_ACTIONS = [
  "kms:Encrypt",
  "kms:Decrypt",
  "kms:ReEncrypt*",
  "kms:GenerateDataKey*",
  "kms:DescribeKey",
  "kms:CreateGrant",
];

/**
 * A least-privilege KMS key policy: the account root administers the key (so IAM policies decide),
 * and the named AWS services may use it only on behalf of this account.
 * https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html
 */
export function kmsKeyPolicy(args: KmsKeyPolicyArgs): PolicyDocument {
  const root = `arn:${args.partition}:iam::${args.accountId}:root`;
  const statements: PolicyStatement[] = [
    {
      Sid: "AccountAdministration",
      Effect: "Allow",
      Principal: { AWS: root },
      Action: "kms:*",
      Resource: "*",
    },
  ];
  if (args.cloudWatchLogs) {
    statements.push({
      Sid: "CloudWatchLogs",
      Effect: "Allow",
      Principal: { Service: `logs.${args.region}.amazonaws.com` },
      Action: ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
      Resource: "*",
      Condition: {
        ArnLike: {
          "kms:EncryptionContext:aws:logs:arn": `arn:${args.partition}:logs:${args.region}:${args.accountId}:*`,
        },
      },
    });
  }
  for (const service of args.services ?? []) {
    statements.push({
      Sid: `Service${service.split(".")[0].replace(/[^A-Za-z0-9]/g, "")}`,
      Effect: "Allow",
      Principal: { Service: service },
      Action: KEY_USE_ACTIONS,
      Resource: "*",
      Condition: { StringEquals: { "aws:SourceAccount": args.accountId } },
    });
  }
  if (args.autoScaling) {
    statements.push({
      Sid: "AutoScalingEncryptedVolumes",
      Effect: "Allow",
      Principal: {
        AWS: `arn:${args.partition}:iam::${args.accountId}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling`,
      },
      Action: KEY_USE_ACTIONS,
      Resource: "*",
    });
  }
  return { Version: "2012-10-17", Statement: statements };
}

/** A bucket policy that refuses every request not made over TLS. https://docs.aws.amazon.com/AmazonS3/latest/userguide/security-best-practices.html */
export function tlsOnlyBucketPolicy(bucketArn: string): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: { AWS: "*" },
        Action: "s3:*",
        Resource: [bucketArn, `${bucketArn}/*`],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
    ],
  };
}
