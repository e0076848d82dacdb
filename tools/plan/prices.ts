/**
 * The pinned AWS price table the plan's cost estimate reads (tools/plan/cost.ts): on-demand list
 * prices in USD, before tax and discounts (Savings Plans, Reserved Instances, Spot, free tier),
 * for the regions listed in {@link PRICES}. Each price family names the public pricing page it
 * comes from; the whole table was compiled on {@link PRICE_TABLE_DATE} from those pages (the AWS
 * Price List API is not reachable from the machines that build this project). Refresh it by hand
 * from the same pages and move the date. See docs/plan.md ("Monthly cost").
 */

/** The day the table was compiled (ISO 8601). */
export const PRICE_TABLE_DATE = "2026-11-30";

/** A price family and the public page its prices come from. */
export interface PriceFamily {
  readonly family: string;
  readonly source: string;
}

/** Where each family of prices comes from. */
export const PRICE_SOURCES: readonly PriceFamily[] = [
  { family: "EKS control plane", source: "https://aws.amazon.com/eks/pricing/" },
  { family: "EC2 on-demand (Linux)", source: "https://aws.amazon.com/ec2/pricing/on-demand/" },
  { family: "NAT gateway, public IPv4", source: "https://aws.amazon.com/vpc/pricing/" },
  { family: "Interface VPC endpoints", source: "https://aws.amazon.com/privatelink/pricing/" },
  { family: "Transit Gateway", source: "https://aws.amazon.com/transit-gateway/pricing/" },
  { family: "Elastic Load Balancing", source: "https://aws.amazon.com/elasticloadbalancing/pricing/" },
  { family: "EBS volumes", source: "https://aws.amazon.com/ebs/pricing/" },
  { family: "EFS", source: "https://aws.amazon.com/efs/pricing/" },
  { family: "CloudWatch Logs", source: "https://aws.amazon.com/cloudwatch/pricing/" },
  { family: "KMS", source: "https://aws.amazon.com/kms/pricing/" },
  { family: "AWS Backup", source: "https://aws.amazon.com/backup/pricing/" },
];

/**
 * The prices of one region. Hourly prices in USD per hour, storage in USD per GiB-month, data in
 * USD per GiB processed.
 */
export interface RegionPrices {
  /** EKS cluster in standard support, per cluster-hour. */
  readonly eksClusterHour: number;
  /**
   * EC2 Linux on-demand price of the `large` size of each instance family, per instance-hour. Within
   * a family on-demand prices scale with the size's normalization factor (`medium` half of
   * `large`, `xlarge` twice, `2xlarge` four times, ...), so one price per family prices every size.
   */
  readonly ec2LargeHour: Readonly<Record<string, number>>;
  /** NAT gateway, per gateway-hour. */
  readonly natGatewayHour: number;
  /** NAT gateway data processing, per GiB. */
  readonly natGatewayGiB: number;
  /** An in-use public IPv4 address (each NAT gateway's Elastic IP), per address-hour. */
  readonly publicIpv4Hour: number;
  /** Interface VPC endpoint, per endpoint and Availability Zone hour. */
  readonly interfaceEndpointHour: number;
  /** Interface VPC endpoint data processing, per GiB. */
  readonly interfaceEndpointGiB: number;
  /** Transit Gateway attachment, per attachment-hour. */
  readonly transitAttachmentHour: number;
  /** Transit Gateway data processing, per GiB. */
  readonly transitGiB: number;
  /** Network Load Balancer, per hour; and per NLCU-hour. */
  readonly nlbHour: number;
  readonly nlbCapacityUnitHour: number;
  /** Application Load Balancer, per hour; and per LCU-hour. */
  readonly albHour: number;
  readonly albCapacityUnitHour: number;
  /** Classic Load Balancer, per hour. */
  readonly clbHour: number;
  /** EBS volume storage per GiB-month, by volume type. */
  readonly ebsGiBMonth: Readonly<Record<"gp2" | "gp3" | "io1" | "io2" | "st1" | "sc1", number>>;
  /** EFS Standard storage, per GiB-month. */
  readonly efsStandardGiBMonth: number;
  /** CloudWatch Logs: ingestion (standard class) per GiB; storage per GiB-month. */
  readonly logsIngestGiB: number;
  readonly logsStorageGiBMonth: number;
  /** KMS customer managed key, per key-month. */
  readonly kmsKeyMonth: number;
  /** AWS Backup warm storage (EFS backups, EBS snapshots), per GiB-month. */
  readonly backupGiBMonth: number;
}

/** EC2 `large` prices shared by us-east-1, us-east-2 and us-west-2 (identical list prices). */
const EC2_US: Record<string, number> = {
  t3: 0.0832,
  t3a: 0.0752,
  t4g: 0.0672,
  m5: 0.096,
  m5a: 0.086,
  m6i: 0.096,
  m6a: 0.0864,
  m6g: 0.077,
  m7i: 0.1008,
  m7g: 0.0816,
  c5: 0.085,
  c6i: 0.085,
  c6g: 0.068,
  c7g: 0.0725,
  r5: 0.126,
  r6i: 0.126,
  r6g: 0.1008,
};

const US: RegionPrices = {
  eksClusterHour: 0.1,
  ec2LargeHour: EC2_US,
  natGatewayHour: 0.045,
  natGatewayGiB: 0.045,
  publicIpv4Hour: 0.005,
  interfaceEndpointHour: 0.01,
  interfaceEndpointGiB: 0.01,
  transitAttachmentHour: 0.05,
  transitGiB: 0.02,
  nlbHour: 0.0225,
  nlbCapacityUnitHour: 0.006,
  albHour: 0.0225,
  albCapacityUnitHour: 0.008,
  clbHour: 0.025,
  ebsGiBMonth: { gp2: 0.1, gp3: 0.08, io1: 0.125, io2: 0.125, st1: 0.045, sc1: 0.015 },
  efsStandardGiBMonth: 0.3,
  logsIngestGiB: 0.5,
  logsStorageGiBMonth: 0.03,
  kmsKeyMonth: 1,
  backupGiBMonth: 0.05,
};

/**
 * Prices by region. The config schema accepts any well-formed region name (`aws:region`); the plan
 * prices these regions and reports any other as unpriced (the plan itself still runs).
 */
export const PRICES: Readonly<Record<string, RegionPrices>> = {
  "us-east-1": US,
  "us-east-2": US,
  "us-west-2": US,
  "eu-west-1": {
    eksClusterHour: 0.1,
    ec2LargeHour: {
      t3: 0.0912,
      t3a: 0.0816,
      t4g: 0.0736,
      m5: 0.107,
      m5a: 0.096,
      m6i: 0.107,
      m6a: 0.0963,
      m6g: 0.086,
      m7i: 0.1124,
      c5: 0.096,
      c6i: 0.096,
      c6g: 0.0768,
      r5: 0.141,
      r6i: 0.141,
      r6g: 0.1128,
    },
    natGatewayHour: 0.048,
    natGatewayGiB: 0.048,
    publicIpv4Hour: 0.005,
    interfaceEndpointHour: 0.011,
    interfaceEndpointGiB: 0.01,
    transitAttachmentHour: 0.05,
    transitGiB: 0.02,
    nlbHour: 0.0252,
    nlbCapacityUnitHour: 0.006,
    albHour: 0.0252,
    albCapacityUnitHour: 0.008,
    clbHour: 0.028,
    ebsGiBMonth: { gp2: 0.11, gp3: 0.088, io1: 0.138, io2: 0.138, st1: 0.05, sc1: 0.0168 },
    efsStandardGiBMonth: 0.33,
    logsIngestGiB: 0.57,
    logsStorageGiBMonth: 0.03,
    kmsKeyMonth: 1,
    backupGiBMonth: 0.055,
  },
  "eu-central-1": {
    eksClusterHour: 0.1,
    ec2LargeHour: {
      t3: 0.096,
      t3a: 0.0864,
      t4g: 0.0768,
      m5: 0.115,
      m6i: 0.115,
      m6g: 0.092,
      m7i: 0.1208,
      c5: 0.097,
      c6i: 0.097,
      r5: 0.152,
      r6i: 0.152,
    },
    natGatewayHour: 0.052,
    natGatewayGiB: 0.052,
    publicIpv4Hour: 0.005,
    interfaceEndpointHour: 0.012,
    interfaceEndpointGiB: 0.01,
    transitAttachmentHour: 0.06,
    transitGiB: 0.02,
    nlbHour: 0.027,
    nlbCapacityUnitHour: 0.006,
    albHour: 0.027,
    albCapacityUnitHour: 0.008,
    clbHour: 0.03,
    ebsGiBMonth: { gp2: 0.119, gp3: 0.0952, io1: 0.149, io2: 0.149, st1: 0.054, sc1: 0.018 },
    efsStandardGiBMonth: 0.36,
    logsIngestGiB: 0.63,
    logsStorageGiBMonth: 0.0324,
    kmsKeyMonth: 1,
    backupGiBMonth: 0.06,
  },
};

/** Normalization factor of an EC2 size relative to `large` (AWS's size normalization, divided by 4). */
function sizeFactor(size: string): number | undefined {
  const fixed: Record<string, number> = { nano: 0.25, micro: 0.5, small: 1, medium: 2, large: 4, xlarge: 8 };
  if (size in fixed) return fixed[size] / 4;
  const multiple = /^(\d+)xlarge$/.exec(size);
  return multiple ? (Number(multiple[1]) * 8) / 4 : undefined;
}

/**
 * The on-demand hourly price of an instance type (`m6i.large`) in a region's table.
 * @returns undefined when the family or size is not in the table (`metal` sizes, unlisted families).
 */
export function instanceHourly(prices: RegionPrices, instanceType: string): number | undefined {
  const [family, size] = instanceType.split(".");
  const large = prices.ec2LargeHour[family];
  const factor = size === undefined ? undefined : sizeFactor(size);
  return large === undefined || factor === undefined ? undefined : large * factor;
}
