/**
 * AWS names and limits the configuration is checked against: EC2 instance types and AWS regions
 * from the enums @pulumi/aws ships (kept current by the provider, not typed by hand), the processor
 * architecture of an instance type, EKS AMI types, the EKS managed node group quota and the AWS
 * cron dialect of AWS Backup schedules. Pure functions, tested without mocks.
 */
import awsCron from "aws-cron-parser";
import { Region } from "@pulumi/aws/types/enums";
import { InstanceType } from "@pulumi/aws/types/enums/ec2";

/** Every EC2 instance type the AWS provider knows (`t3.medium`, `m7g.large`, ...). */
export const INSTANCE_TYPES: ReadonlySet<string> = new Set(Object.values(InstanceType));

/** Every AWS region the AWS provider knows (`eu-west-1`, ...). */
export const AWS_REGIONS: ReadonlySet<string> = new Set(Object.values(Region));

/**
 * Managed node groups per EKS cluster: the default EKS service quota (adjustable through Service
 * Quotas; ask AWS and split the cluster before going past it).
 * https://docs.aws.amazon.com/eks/latest/userguide/service-quotas.html
 */
export const MAX_MANAGED_NODE_GROUPS = 30;

/** EKS AMI types a managed node group may use, with their processor architecture. https://docs.aws.amazon.com/eks/latest/APIReference/API_Nodegroup.html#AmazonEKS-Type-Nodegroup-amiType */
export const AMI_ARCHITECTURES = {
  AL2023_x86_64_STANDARD: "x86_64",
  AL2023_ARM_64_STANDARD: "arm64",
  AL2023_x86_64_NVIDIA: "x86_64",
  AL2023_x86_64_NEURON: "x86_64",
  BOTTLEROCKET_x86_64: "x86_64",
  BOTTLEROCKET_ARM_64: "arm64",
} as const;
export type AmiType = keyof typeof AMI_ARCHITECTURES;

/**
 * The processor architecture of an EC2 instance type, derived from the AWS naming convention
 * (`<family><generation><options>.<size>`): a `g` among the options marks AWS Graviton (m7g, c6gn,
 * t4g, x2gd, im4gn, is4gen, g5g), the `a1` family is the first Graviton, and a `-g...` suffix is an
 * NVIDIA Grace host (p6e-gb200); every other family is x86_64. Mac instances (`mac*`) are not
 * supported by EKS and return undefined.
 * https://docs.aws.amazon.com/ec2/latest/instancetypes/instance-type-names.html
 */
export function instanceArchitecture(instanceType: string): "x86_64" | "arm64" | undefined {
  const family = instanceType.split(".")[0];
  if (family.startsWith("mac")) return undefined;
  if (family === "a1") return "arm64";
  const parts = /^([a-z]+)(\d+)([a-z]*)(-.*)?$/.exec(family);
  if (!parts) return "x86_64";
  const [, , , options, suffix] = parts;
  return options.includes("g") || suffix?.startsWith("-g") ? "arm64" : "x86_64";
}

// ---------------------------------------------------------------------------------------------
// AWS cron expressions (AWS Backup schedules)

interface CronField {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
  /** Extra item forms this field accepts besides numbers, ranges, steps and `*`. */
  readonly special?: RegExp;
}

const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

const CRON_FIELDS: readonly CronField[] = [
  { name: "minutes", min: 0, max: 59 },
  { name: "hours", min: 0, max: 23 },
  { name: "day-of-month", min: 1, max: 31, special: /^(\?|L|LW|L-([1-9]|[12]\d|30)|([1-9]|[12]\d|3[01])W)$/ },
  { name: "month", min: 1, max: 12, names: MONTHS },
  { name: "day-of-week", min: 1, max: 7, names: DAYS, special: /^(\?|L|[1-7]L|[1-7]#[1-5])$/ },
  { name: "year", min: 1970, max: 2199 },
];

function cronValue(text: string, field: CronField): number | undefined {
  const named = field.names?.indexOf(text.toUpperCase()) ?? -1;
  if (named >= 0) return named + 1;
  if (!/^\d+$/.test(text)) return undefined;
  const n = Number(text);
  return n >= field.min && n <= field.max ? n : undefined;
}

function cronItemValid(item: string, field: CronField): boolean {
  if (field.special?.test(item.toUpperCase())) return true;
  const [range, step, ...rest] = item.split("/");
  if (rest.length > 0) return false;
  if (step !== undefined && !(/^\d+$/.test(step) && Number(step) >= 1)) return false;
  if (range === "*") return true;
  const [from, to, ...more] = range.split("-");
  if (more.length > 0 || cronValue(from, field) === undefined) return false;
  return to === undefined || cronValue(to, field) !== undefined;
}

/**
 * Why a schedule is not an AWS Backup cron expression, or undefined when it is one. The rules of
 * the AWS cron dialect: `cron(minutes hours day-of-month month day-of-week year)`, six fields, one
 * of day-of-month and day-of-week is `?`; AWS Backup also needs at least an hour between two runs
 * and a schedule that still fires (checked with aws-cron-parser).
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html#eb-cron-expressions
 * https://docs.aws.amazon.com/aws-backup/latest/devguide/creating-a-backup-plan.html
 */
export function backupCronProblem(schedule: string, now: Date = new Date()): string | undefined {
  const match = /^cron\((.*)\)$/.exec(schedule.trim());
  if (!match) return "an AWS cron expression cron(minutes hours day-of-month month day-of-week year)";
  const fields = match[1].trim().split(/\s+/);
  if (fields.length !== 6)
    return `six fields in cron(minutes hours day-of-month month day-of-week year), not ${fields.length}`;
  for (const [i, field] of CRON_FIELDS.entries()) {
    if (!fields[i].split(",").every((item) => cronItemValid(item, field)))
      return `a valid ${field.name} field (${field.min}-${field.max}${field.names ? ` or ${field.names[0]}-${field.names[field.names.length - 1]}` : ""}, with , - * /), not ${fields[i]}`;
  }
  if ((fields[2] === "?") === (fields[4] === "?"))
    return "? in exactly one of day-of-month and day-of-week (AWS cron), such as cron(0 3 * * ? *)";
  if (fields.some((f, i) => f.includes("?") && f !== "?" && (i === 2 || i === 4)))
    return "? alone in its field";
  let parsed: ReturnType<typeof awsCron.parse>;
  try {
    parsed = awsCron.parse(match[1].trim());
  } catch (error) {
    return `a valid AWS cron expression (${(error as Error).message})`;
  }
  const first = awsCron.next(parsed, now);
  if (!first) return "a schedule that still runs (every date it names is past)";
  let previous = first;
  for (let i = 0; i < 24; i++) {
    const following = awsCron.next(parsed, new Date(previous.getTime() + 1000));
    if (!following) break;
    if (following.getTime() - previous.getTime() < 60 * 60 * 1000)
      return "at least an hour between two backups (the AWS Backup minimum)";
    previous = following;
  }
  return undefined;
}
