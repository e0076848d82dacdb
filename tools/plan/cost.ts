/**
 * The plan's monthly cost estimate: USD per resource, per component and per stack, from the planned
 * resources' inputs and the pinned price table (tools/plan/prices.ts). Usage-driven charges (data
 * processed, logs ingested, files stored) follow the stated {@link CostAssumptions}, printed with
 * the figure. An estimate, not a bill: see docs/plan.md ("Monthly cost").
 */
import { componentOf, get, type PlannedResource } from "./model";
import { PRICES, PRICE_SOURCES, PRICE_TABLE_DATE, instanceHourly, type RegionPrices } from "./prices";

/** The usage the estimate assumes where the plan cannot know it. */
export interface CostAssumptions {
  /** Hours in a month (AWS's own monthly figure: 365 × 24 / 12). @default 730 */
  readonly hoursPerMonth: number;
  /** Data each NAT gateway processes, GiB per month. @default 100 */
  readonly natGatewayGiBPerMonth: number;
  /** Data each Transit Gateway attachment sends, GiB per month. @default 100 */
  readonly transitGiBPerMonth: number;
  /** Data each interface VPC endpoint processes, GiB per month. @default 10 */
  readonly interfaceEndpointGiBPerMonth: number;
  /** Average capacity units (NLCU/LCU) a load balancer uses each hour. @default 1 */
  readonly loadBalancerCapacityUnits: number;
  /** Data stored on each EFS file system (Standard class), GiB. @default 50 */
  readonly efsStoredGiB: number;
  /** Logs each CloudWatch log group ingests, GiB per month. @default 5 */
  readonly logGroupIngestGiBPerMonth: number;
  /** Share of protected data that changes each day (each daily backup stores the change). @default 0.02 */
  readonly backupDailyChangeRatio: number;
}

/** The assumptions the plan prints with its figure. */
const defaultCostAssumptions: CostAssumptions = {
  hoursPerMonth: 730,
  natGatewayGiBPerMonth: 100,
  transitGiBPerMonth: 100,
  interfaceEndpointGiBPerMonth: 10,
  loadBalancerCapacityUnits: 1,
  efsStoredGiB: 50,
  logGroupIngestGiBPerMonth: 5,
  backupDailyChangeRatio: 0.02,
};

/** One priced item of a resource (a resource may have several: hours, data, volumes). */
export interface CostLine {
  readonly urn: string;
  readonly type: string;
  readonly name: string;
  /** The component the resource belongs to (`<type> <name>`, or `stack`). */
  readonly component: string;
  /** What is priced, e.g. `EC2 3 × m6i.large`. */
  readonly item: string;
  /** USD per month, rounded to cents. */
  readonly monthlyUsd: number;
  /** How the figure is computed, e.g. `3 × 730 h × $0.107/h`. */
  readonly basis: string;
}

/** The cost estimate of one stack (the `cost` of the plan's JSON document). */
export interface CostEstimate {
  readonly currency: "USD";
  readonly region: string;
  /** Total USD per month; null when the region has no price table. */
  readonly monthlyUsd: number | null;
  /** USD per month by component (`<type> <name>`, or `stack`). */
  readonly byComponent: Record<string, number>;
  readonly lines: CostLine[];
  /** Things that cost money but have no price here (unlisted instance family, unpriced region). */
  readonly unpriced: string[];
  readonly assumptions: string[];
  readonly priceTable: {
    readonly date: string;
    readonly sources: readonly { family: string; source: string }[];
  };
}

const cents = (value: number) => Math.round(value * 100) / 100;
const usd = (value: number) =>
  `$${value
    .toFixed(value < 0.1 ? 4 : 3)
    .replace(/0+$/, "")
    .replace(/\.$/, "")}`;

/** Parses a Kubernetes storage quantity (`100Gi`, `10G`, `512Mi`) to GiB. */
export function quantityGiB(quantity: unknown): number | undefined {
  if (typeof quantity === "number") return quantity / 2 ** 30;
  if (typeof quantity !== "string") return undefined;
  const match = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|Pi|k|M|G|T|P)?$/.exec(quantity.trim());
  if (!match) return undefined;
  const bytes: Record<string, number> = {
    "": 1,
    Ki: 2 ** 10,
    Mi: 2 ** 20,
    Gi: 2 ** 30,
    Ti: 2 ** 40,
    Pi: 2 ** 50,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
    P: 1e15,
  };
  return (Number(match[1]) * bytes[match[2] ?? ""]) / 2 ** 30;
}

/** A persistent volume claim found in a resource's inputs. */
interface Claim {
  readonly what: string;
  readonly count: number;
  readonly gib: number;
  readonly storageClass?: string;
}

/** PVCs in Helm values: every `volumeClaimTemplate` (× the enclosing `replicas`) and enabled `persistence`. */
function helmClaims(values: unknown, path: string, replicas: number, out: Claim[]): void {
  if (!values || typeof values !== "object" || Array.isArray(values)) return;
  const object = values as Record<string, unknown>;
  const count = typeof object.replicas === "number" ? object.replicas : replicas;
  const template = get(object, "volumeClaimTemplate", "spec");
  const size = quantityGiB(get(template, "resources", "requests", "storage"));
  if (size !== undefined) {
    const storageClass = get(template, "storageClassName");
    out.push({
      what: path,
      count,
      gib: size,
      storageClass: typeof storageClass === "string" ? storageClass : undefined,
    });
  }
  const persistence = object.persistence;
  const persistenceSize = quantityGiB(get(persistence, "size"));
  if (get(persistence, "enabled") === true && persistenceSize !== undefined) {
    const storageClass = get(persistence, "storageClassName");
    out.push({
      what: path ? `${path}.persistence` : "persistence",
      count,
      gib: persistenceSize,
      storageClass: typeof storageClass === "string" ? storageClass : undefined,
    });
  }
  for (const [key, child] of Object.entries(object)) {
    if (key !== "volumeClaimTemplate" && key !== "persistence")
      helmClaims(child, path ? `${path}.${key}` : key, count, out);
  }
}

/** ECK's default data volume when a node set declares none (1Gi, per the ECK docs). */
const ECK_DEFAULT_GIB = 1;

/** Elasticsearch data volumes: each node set's claims × its node count. */
function elasticsearchClaims(inputs: Readonly<Record<string, unknown>>): Claim[] {
  const nodeSets = get(inputs, "spec", "nodeSets");
  if (!Array.isArray(nodeSets)) return [];
  return nodeSets.flatMap((nodeSet) => {
    const count = typeof get(nodeSet, "count") === "number" ? (get(nodeSet, "count") as number) : 1;
    const templates = get(nodeSet, "volumeClaimTemplates");
    const name = String(get(nodeSet, "name") ?? "default");
    if (!Array.isArray(templates) || templates.length === 0)
      return [{ what: `node set ${name}`, count, gib: ECK_DEFAULT_GIB }];
    return templates.map((t) => ({
      what: `node set ${name}`,
      count,
      gib: quantityGiB(get(t, "spec", "resources", "requests", "storage")) ?? ECK_DEFAULT_GIB,
      storageClass: (get(t, "spec", "storageClassName") as string | undefined) ?? undefined,
    }));
  });
}

/** What a StorageClass provisions, from the plan's StorageClass resources. */
interface StorageClasses {
  readonly byName: ReadonlyMap<
    string,
    { kind: "ebs" | "efs"; volumeType: string; tags: Record<string, string> }
  >;
  readonly defaultName?: string;
}

function storageClasses(resources: readonly PlannedResource[]): StorageClasses {
  const byName = new Map<string, { kind: "ebs" | "efs"; volumeType: string; tags: Record<string, string> }>();
  let defaultName: string | undefined;
  for (const r of resources) {
    if (r.type !== "kubernetes:storage.k8s.io/v1:StorageClass") continue;
    const name = get(r.inputs, "metadata", "name");
    if (typeof name !== "string") continue;
    const parameters = (get(r.inputs, "parameters") ?? {}) as Record<string, unknown>;
    const tags: Record<string, string> = {};
    for (const [key, value] of Object.entries(parameters)) {
      if (key.startsWith("tagSpecification_") && typeof value === "string" && value.includes("=")) {
        const at = value.indexOf("=");
        tags[value.slice(0, at)] = value.slice(at + 1);
      }
    }
    const efs = get(r.inputs, "provisioner") === "efs.csi.aws.com";
    byName.set(name, { kind: efs ? "efs" : "ebs", volumeType: String(parameters.type ?? "gp3"), tags });
    if (get(r.inputs, "metadata", "annotations", "storageclass.kubernetes.io/is-default-class") === "true")
      defaultName = name;
  }
  return { byName, defaultName };
}

/** The AWS Backup plans of a stack and what they protect. */
interface BackupScope {
  readonly efs: boolean;
  /** Tags an EBS volume needs to be selected (`aws:ResourceTag/<key>` = value), when EBS is selected. */
  readonly ebsTags?: Record<string, string>;
}

function backupScope(resources: readonly PlannedResource[]): BackupScope {
  let efs = false;
  let ebsTags: Record<string, string> | undefined;
  for (const r of resources) {
    if (r.type !== "aws:backup/selection:Selection") continue;
    const arns = (get(r.inputs, "resources") ?? []) as unknown[];
    if (arns.some((a) => typeof a === "string" && a.includes(":elasticfilesystem:"))) efs = true;
    if (arns.some((a) => typeof a === "string" && /:ec2:.*:volume\//.test(a))) {
      ebsTags = {};
      for (const condition of (get(r.inputs, "conditions") ?? []) as unknown[]) {
        for (const match of (get(condition, "stringEquals") ?? []) as unknown[]) {
          const key = String(get(match, "key") ?? "").replace(/^aws:ResourceTag\//, "");
          ebsTags[key] = String(get(match, "value") ?? "");
        }
      }
    }
  }
  return { efs, ebsTags };
}

/** The priced lines of one resource. */
type Pricer = (
  resource: PlannedResource,
  context: {
    readonly prices: RegionPrices;
    readonly assume: CostAssumptions;
    readonly line: (item: string, monthlyUsd: number, basis: string) => void;
    readonly unpriced: (what: string) => void;
    readonly volume: (claim: Claim) => void;
    readonly launchTemplateGiB: (nodeGroup: PlannedResource) => number;
  },
) => void;

const hours = (assume: CostAssumptions) => assume.hoursPerMonth;

function nodeGroup(desired: unknown, instanceTypes: unknown): Pricer {
  return (r, { prices, assume, line, unpriced, launchTemplateGiB }) => {
    const count = typeof desired === "number" ? desired : 0;
    const type =
      Array.isArray(instanceTypes) && typeof instanceTypes[0] === "string" ? instanceTypes[0] : "t3.medium";
    const hourly = instanceHourly(prices, type);
    if (hourly === undefined) {
      if (count > 0) unpriced(`${r.name}: instance type ${type} is not in the price table`);
      return;
    }
    line(
      `EC2 ${count} × ${type}`,
      count * hourly * hours(assume),
      `${count} × ${hours(assume)} h × ${usd(hourly)}/h`,
    );
    const gib = launchTemplateGiB(r);
    line(
      `EBS root volumes ${count} × ${gib} GiB gp3`,
      count * gib * prices.ebsGiBMonth.gp3,
      `${count * gib} GiB × ${usd(prices.ebsGiBMonth.gp3)}/GiB-month`,
    );
  };
}

function natGateways(count: number): Pricer {
  return (_r, { prices, assume, line }) => {
    if (count === 0) return;
    const h = hours(assume);
    line(
      `NAT gateway × ${count}`,
      count * prices.natGatewayHour * h,
      `${count} × ${h} h × ${usd(prices.natGatewayHour)}/h`,
    );
    line(
      `NAT gateway data, ${count} × ${assume.natGatewayGiBPerMonth} GiB (assumed)`,
      count * assume.natGatewayGiBPerMonth * prices.natGatewayGiB,
      `${count * assume.natGatewayGiBPerMonth} GiB × ${usd(prices.natGatewayGiB)}/GiB`,
    );
    line(
      `NAT gateway public IPv4 × ${count}`,
      count * prices.publicIpv4Hour * h,
      `${count} × ${h} h × ${usd(prices.publicIpv4Hour)}/h`,
    );
  };
}

function loadBalancer(kind: "nlb" | "alb" | "clb"): Pricer {
  return (_r, { prices, assume, line }) => {
    const h = hours(assume);
    if (kind === "clb") {
      line("Classic Load Balancer", prices.clbHour * h, `${h} h × ${usd(prices.clbHour)}/h`);
      return;
    }
    const [hourly, unit, label] =
      kind === "nlb"
        ? [prices.nlbHour, prices.nlbCapacityUnitHour, "Network Load Balancer"]
        : [prices.albHour, prices.albCapacityUnitHour, "Application Load Balancer"];
    const units = assume.loadBalancerCapacityUnits;
    line(
      `${label} (${units} capacity unit assumed)`,
      (hourly + units * unit) * h,
      `${h} h × (${usd(hourly)}/h + ${units} × ${usd(unit)}/h)`,
    );
  };
}

/** How a Kubernetes Service of type LoadBalancer is provisioned on EKS. */
function serviceLoadBalancer(inputs: Readonly<Record<string, unknown>>): "nlb" | "clb" | undefined {
  if (get(inputs, "spec", "type") !== "LoadBalancer") return undefined;
  const annotations = (get(inputs, "metadata", "annotations") ?? {}) as Record<string, unknown>;
  const type = annotations["service.beta.kubernetes.io/aws-load-balancer-type"];
  const className = get(inputs, "spec", "loadBalancerClass");
  return className === "service.k8s.aws/nlb" || type === "nlb" || type === "external" ? "nlb" : "clb";
}

const PRICERS: Record<string, (r: PlannedResource) => Pricer | undefined> = {
  "eks:index:Cluster": () => controlPlane,
  "aws:eks/cluster:Cluster": () => controlPlane,
  "eks:index:ManagedNodeGroup": (r) =>
    nodeGroup(get(r.inputs, "scalingConfig", "desiredSize"), get(r.inputs, "instanceTypes")),
  "aws:eks/nodeGroup:NodeGroup": (r) =>
    nodeGroup(get(r.inputs, "scalingConfig", "desiredSize"), get(r.inputs, "instanceTypes")),
  "awsx:ec2:Vpc": (r) => {
    const strategy = get(r.inputs, "natGateways", "strategy") ?? "OnePerAz";
    const zones = Number(get(r.inputs, "numberOfAvailabilityZones") ?? 3);
    return natGateways(strategy === "None" ? 0 : strategy === "Single" ? 1 : zones);
  },
  "aws:ec2/natGateway:NatGateway": (r) =>
    get(r.inputs, "connectivityType") === "private" ? undefined : natGateways(1),
  "aws:ec2/vpcEndpoint:VpcEndpoint": (r) => {
    if (get(r.inputs, "vpcEndpointType") !== "Interface") return undefined;
    const zones = ((get(r.inputs, "subnetIds") ?? []) as unknown[]).length || 1;
    return (_r, { prices, assume, line }) => {
      const h = hours(assume);
      line(
        `Interface endpoint × ${zones} AZ`,
        zones * prices.interfaceEndpointHour * h,
        `${zones} × ${h} h × ${usd(prices.interfaceEndpointHour)}/h`,
      );
      line(
        `Interface endpoint data, ${assume.interfaceEndpointGiBPerMonth} GiB (assumed)`,
        assume.interfaceEndpointGiBPerMonth * prices.interfaceEndpointGiB,
        `${assume.interfaceEndpointGiBPerMonth} GiB × ${usd(prices.interfaceEndpointGiB)}/GiB`,
      );
    };
  },
  "aws:ec2transitgateway/vpcAttachment:VpcAttachment":
    () =>
    (_r, { prices, assume, line }) => {
      const h = hours(assume);
      line(
        "Transit Gateway attachment",
        prices.transitAttachmentHour * h,
        `${h} h × ${usd(prices.transitAttachmentHour)}/h`,
      );
      line(
        `Transit Gateway data, ${assume.transitGiBPerMonth} GiB (assumed)`,
        assume.transitGiBPerMonth * prices.transitGiB,
        `${assume.transitGiBPerMonth} GiB × ${usd(prices.transitGiB)}/GiB`,
      );
    },
  "kubernetes:core/v1:Service": (r) => {
    const kind = serviceLoadBalancer(r.inputs);
    return kind ? loadBalancer(kind) : undefined;
  },
  "kubernetes:networking.k8s.io/v1:Ingress": (r) =>
    get(r.inputs, "spec", "ingressClassName") === "alb" ? loadBalancer("alb") : undefined,
  "aws:lb/loadBalancer:LoadBalancer": (r) => {
    const type = get(r.inputs, "loadBalancerType") ?? "application";
    return loadBalancer(type === "network" ? "nlb" : "alb");
  },
  "kubernetes:helm.sh/v3:Release":
    (r) =>
    (_r, { volume }) => {
      const claims: Claim[] = [];
      helmClaims(get(r.inputs, "values"), "", 1, claims);
      claims.forEach(volume);
    },
  "kubernetes:elasticsearch.k8s.elastic.co/v1:Elasticsearch":
    (r) =>
    (_r, { volume }) =>
      elasticsearchClaims(r.inputs).forEach(volume),
  "kubernetes:core/v1:PersistentVolumeClaim":
    (r) =>
    (_r, { volume }) => {
      const gib = quantityGiB(get(r.inputs, "spec", "resources", "requests", "storage"));
      const storageClass = get(r.inputs, "spec", "storageClassName");
      if (gib !== undefined)
        volume({
          what: "claim",
          count: 1,
          gib,
          storageClass: typeof storageClass === "string" ? storageClass : undefined,
        });
    },
  "aws:ebs/volume:Volume":
    (r) =>
    (_r, { prices, line }) => {
      const gib = Number(get(r.inputs, "size") ?? 0);
      const type = String(get(r.inputs, "type") ?? "gp3") as keyof RegionPrices["ebsGiBMonth"];
      const price = prices.ebsGiBMonth[type] ?? prices.ebsGiBMonth.gp3;
      line(`EBS ${gib} GiB ${type}`, gib * price, `${gib} GiB × ${usd(price)}/GiB-month`);
    },
  "aws:efs/fileSystem:FileSystem":
    () =>
    (_r, { prices, assume, line }) =>
      line(
        `EFS Standard, ${assume.efsStoredGiB} GiB stored (assumed)`,
        assume.efsStoredGiB * prices.efsStandardGiBMonth,
        `${assume.efsStoredGiB} GiB × ${usd(prices.efsStandardGiBMonth)}/GiB-month`,
      ),
  "aws:cloudwatch/logGroup:LogGroup":
    (r) =>
    (_r, { prices, assume, line }) => {
      const ingest = assume.logGroupIngestGiBPerMonth;
      const retention = Number(get(r.inputs, "retentionInDays") ?? 0);
      const storedMonths = retention > 0 ? retention / 30 : 12;
      const stored = ingest * storedMonths;
      line(
        `CloudWatch Logs ${ingest} GiB/month ingested (assumed)`,
        ingest * prices.logsIngestGiB,
        `${ingest} GiB × ${usd(prices.logsIngestGiB)}/GiB`,
      );
      line(
        `CloudWatch Logs storage, ${retention > 0 ? `${retention} days` : "never expires, 1 year"} kept`,
        stored * prices.logsStorageGiBMonth,
        `${cents(stored)} GiB × ${usd(prices.logsStorageGiBMonth)}/GiB-month (steady state, uncompressed)`,
      );
    },
  "aws:kms/key:Key":
    () =>
    (_r, { prices, line }) =>
      line("KMS customer managed key", prices.kmsKeyMonth, `${usd(prices.kmsKeyMonth)}/key-month`),
};

function controlPlane(_r: PlannedResource, { prices, assume, line }: Parameters<Pricer>[1]): void {
  const h = hours(assume);
  line("EKS control plane", prices.eksClusterHour * h, `${h} h × ${usd(prices.eksClusterHour)}/h`);
}

/** The assumptions as the plan prints them. */
function describeAssumptions(assume: CostAssumptions): string[] {
  return [
    `on-demand list prices, USD, ${assume.hoursPerMonth} h a month, no tax, discounts or free tier`,
    `node groups run their desired size of their first instance type`,
    `each NAT gateway processes ${assume.natGatewayGiBPerMonth} GiB a month; each Transit Gateway attachment sends ${assume.transitGiBPerMonth} GiB`,
    `each interface endpoint processes ${assume.interfaceEndpointGiBPerMonth} GiB a month; each load balancer uses ${assume.loadBalancerCapacityUnits} capacity unit an hour`,
    `each EFS file system stores ${assume.efsStoredGiB} GiB (Standard); each log group ingests ${assume.logGroupIngestGiBPerMonth} GiB a month`,
    `backups: a full copy plus ${assume.backupDailyChangeRatio * 100}% daily change for each retained day`,
    `not priced: data transfer between AZs and to the internet, API requests, EKS extended support, Elastic IPs beyond NAT`,
  ];
}

/**
 * Prices one volume claim as the StorageClass it names (or the default class) provisions it: EFS
 * per GiB stored, else EBS of the class's volume type.
 * @returns the GiB an AWS Backup plan protects (EBS volumes carrying the selection's tags), else 0
 */
function priceClaim(
  claim: Claim,
  context: {
    prices: RegionPrices;
    classes: StorageClasses;
    scope: BackupScope;
    line: (item: string, monthlyUsd: number, basis: string) => void;
  },
): number {
  const { prices, classes, scope, line } = context;
  const className = claim.storageClass ?? classes.defaultName;
  const storageClass = className ? classes.byName.get(className) : undefined;
  const total = claim.count * claim.gib;
  const label = `${claim.count > 1 ? `${claim.count} × ` : ""}${cents(claim.gib)} GiB`;
  if (storageClass?.kind === "efs") {
    line(
      `EFS volume ${claim.what} ${label}`,
      total * prices.efsStandardGiBMonth,
      `${cents(total)} GiB × ${usd(prices.efsStandardGiBMonth)}/GiB-month`,
    );
    return 0;
  }
  const volumeType = (storageClass?.volumeType ?? "gp3") as keyof RegionPrices["ebsGiBMonth"];
  const price = prices.ebsGiBMonth[volumeType] ?? prices.ebsGiBMonth.gp3;
  line(
    `EBS volume ${claim.what} ${label} ${volumeType}`,
    total * price,
    `${cents(total)} GiB × ${usd(price)}/GiB-month`,
  );
  const tags = storageClass?.tags ?? {};
  return scope.ebsTags && Object.entries(scope.ebsTags).every(([k, v]) => tags[k] === v) ? total : 0;
}

/**
 * The root volume size of a managed node group, GiB: from the launch template whose instance tags
 * carry the group's `Name`, else the group's `diskSize`, else EKS's 20.
 */
function nodeGroupDiskGiB(group: PlannedResource, launchTemplates: readonly PlannedResource[]): number {
  const name = get(group.inputs, "tags", "Name");
  const template = launchTemplates.find((t) =>
    ((get(t.inputs, "tagSpecifications") ?? []) as unknown[]).some(
      (spec) => get(spec, "resourceType") === "instance" && get(spec, "tags", "Name") === name,
    ),
  );
  const size = get(template?.inputs, "blockDeviceMappings", 0, "ebs", "volumeSize");
  return Number(size ?? get(group.inputs, "diskSize") ?? 20);
}

/**
 * One line per AWS Backup plan: a full copy of the protected GiB plus the assumed daily change for
 * each further retained day.
 */
function backupLines(
  resources: readonly PlannedResource[],
  backedUpGiB: number,
  context: { prices: RegionPrices; assume: CostAssumptions; byUrn: Map<string, PlannedResource> },
): CostLine[] {
  const { prices, assume, byUrn } = context;
  return resources
    .filter((r) => r.type === "aws:backup/plan:Plan")
    .map((plan) => {
      const days = Number(get(plan.inputs, "rules", 0, "lifecycle", "deleteAfter") ?? 365);
      const stored = backedUpGiB * (1 + assume.backupDailyChangeRatio * Math.max(0, days - 1));
      return {
        urn: plan.urn,
        type: plan.type,
        name: plan.name,
        component: componentOf(plan, byUrn),
        item: `Backup storage, ${cents(backedUpGiB)} GiB protected, ${days} days kept`,
        monthlyUsd: cents(stored * prices.backupGiBMonth),
        basis: `${cents(stored)} GiB × ${usd(prices.backupGiBMonth)}/GiB-month`,
      };
    });
}

/**
 * Estimates the monthly cost of a stack's planned resources in a region.
 * @param resources The plan's resources.
 * @param region The stack's `aws:region`.
 * @param assume Usage assumptions (defaults: {@link defaultCostAssumptions}).
 * @returns The estimate; `monthlyUsd` is null when the region has no price table.
 */
export function estimateCost(
  resources: readonly PlannedResource[],
  region: string,
  assume: CostAssumptions = defaultCostAssumptions,
): CostEstimate {
  const base = {
    currency: "USD" as const,
    region,
    assumptions: describeAssumptions(assume),
    priceTable: { date: PRICE_TABLE_DATE, sources: PRICE_SOURCES },
  };
  const prices = PRICES[region];
  if (!prices) {
    return {
      ...base,
      monthlyUsd: null,
      byComponent: {},
      lines: [],
      unpriced: [`region ${region}: no price table (priced regions: ${Object.keys(PRICES).join(", ")})`],
    };
  }
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const classes = storageClasses(resources);
  const scope = backupScope(resources);
  const lines: CostLine[] = [];
  const unpriced: string[] = [];
  let backedUpGiB = 0;
  const launchTemplates = resources.filter((r) => r.type === "aws:ec2/launchTemplate:LaunchTemplate");

  for (const r of resources) {
    const pricer = PRICERS[r.type]?.(r);
    if (!pricer) continue;
    const component = componentOf(r, byUrn);
    const line = (item: string, monthly: number, basis: string) =>
      lines.push({
        urn: r.urn,
        type: r.type,
        name: r.name,
        component,
        item,
        monthlyUsd: cents(monthly),
        basis,
      });
    pricer(r, {
      prices,
      assume,
      line,
      unpriced: (what) => unpriced.push(what),
      volume: (claim) => {
        backedUpGiB += priceClaim(claim, { prices, classes, scope, line });
      },
      launchTemplateGiB: (group) => nodeGroupDiskGiB(group, launchTemplates),
    });
  }

  if (scope.efs)
    backedUpGiB +=
      resources.filter((r) => r.type === "aws:efs/fileSystem:FileSystem").length * assume.efsStoredGiB;
  lines.push(...backupLines(resources, backedUpGiB, { prices, assume, byUrn }));

  const byComponent: Record<string, number> = {};
  for (const l of lines) byComponent[l.component] = cents((byComponent[l.component] ?? 0) + l.monthlyUsd);
  return {
    ...base,
    monthlyUsd: cents(lines.reduce((sum, l) => sum + l.monthlyUsd, 0)),
    byComponent,
    lines,
    unpriced,
  };
}

/** One changed figure of a {@link CostComparison}. */
export interface CostChange {
  /** A component (`<type> <name>`) or a resource (`<type> <name>`). */
  readonly key: string;
  readonly baseUsd: number;
  readonly headUsd: number;
  readonly deltaUsd: number;
}

/** The cost difference between a base plan and this one (`--compare`). */
export interface CostComparison {
  /** The base plan it compares with (the `--compare` file). */
  readonly base?: string;
  readonly baseMonthlyUsd: number | null;
  readonly headMonthlyUsd: number | null;
  /** Head minus base, USD per month; null when either side is unpriced. */
  readonly deltaUsd: number | null;
  /** Components whose cost changed, biggest change first. */
  readonly components: CostChange[];
  /** Resources whose cost changed (added, removed, resized), biggest change first. */
  readonly resources: CostChange[];
  /** Set when the base document carried no cost and was priced here. */
  readonly note?: string;
}

function changes(base: Map<string, number>, head: Map<string, number>): CostChange[] {
  const keys = new Set([...base.keys(), ...head.keys()]);
  return [...keys]
    .map((key) => {
      const baseUsd = cents(base.get(key) ?? 0);
      const headUsd = cents(head.get(key) ?? 0);
      return { key, baseUsd, headUsd, deltaUsd: cents(headUsd - baseUsd) };
    })
    .filter((c) => c.deltaUsd !== 0)
    .sort((a, b) => Math.abs(b.deltaUsd) - Math.abs(a.deltaUsd) || a.key.localeCompare(b.key));
}

function byResource(cost: CostEstimate): Map<string, number> {
  const totals = new Map<string, number>();
  for (const l of cost.lines)
    totals.set(`${l.type} ${l.name}`, (totals.get(`${l.type} ${l.name}`) ?? 0) + l.monthlyUsd);
  return totals;
}

/**
 * Compares a base plan's cost with this plan's.
 * @param base The base plan's JSON document (`npm run plan -- --json` of the base revision). A
 *   document without `cost` (planned before the estimate existed) is priced here from its
 *   `resources`, in the head plan's region.
 * @param head This plan's cost.
 * @throws Error when `base` is not a plan document (no `resources` array).
 */
export function compareCost(base: unknown, head: CostEstimate): CostComparison {
  const document = (base ?? {}) as { cost?: CostEstimate; resources?: PlannedResource[] };
  let baseCost = document.cost;
  let note: string | undefined;
  if (!baseCost || typeof baseCost !== "object" || !Array.isArray(baseCost.lines)) {
    if (!Array.isArray(document.resources))
      throw new Error("expected a plan JSON document (npm run plan -- --json) with a resources list");
    baseCost = estimateCost(document.resources, head.region);
    note = `the base plan has no cost estimate: priced here in ${head.region}`;
  }
  const delta =
    baseCost.monthlyUsd === null || head.monthlyUsd === null
      ? null
      : cents(head.monthlyUsd - baseCost.monthlyUsd);
  return {
    baseMonthlyUsd: baseCost.monthlyUsd,
    headMonthlyUsd: head.monthlyUsd,
    deltaUsd: delta,
    components: changes(
      new Map(Object.entries(baseCost.byComponent)),
      new Map(Object.entries(head.byComponent)),
    ),
    resources: changes(byResource(baseCost), byResource(head)),
    ...(note ? { note } : {}),
  };
}
