/**
 * `--diagram <file.svg>`: draws the fleet (every stack of the project: the hub, its spokes, the
 * Transit Gateway, organizations, and the metric, log and GitOps flows between them) from the
 * stacks' plans. {@link fleetTopology} reads the plans into boxes and arrows (pure);
 * {@link layoutTopology} places them with dagre (https://github.com/dagrejs/dagre, loaded only
 * here); {@link renderSvg} writes the SVG. See docs/plan.md ("Fleet topology").
 */
import { existsSync, readdirSync, statSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import type * as Dagre from "@dagrejs/dagre";
import type { CostEstimate } from "./cost";
import type { DeployEstimate } from "./deploy-time";
import { formatDuration } from "./deploy-time";
import { money } from "./format-estimates";
import { get, type PlannedResource } from "./model";
import { PlanInputError, planStack, type PlanOptions } from "./run";

/** What the diagram reads of one stack's plan. */
export interface FleetPlan {
  readonly stack: string;
  readonly resources: readonly PlannedResource[];
  readonly cost: CostEstimate;
  readonly firstDeploy: DeployEstimate;
}

/** What a box shows, and so its colour. */
export type NodeKind = "network" | "cluster" | "compute" | "metrics" | "logs" | "gitops" | "tenant" | "git";
/** What an arrow carries, and so its colour. */
export type FlowKind = "network" | "metrics" | "logs" | "gitops";

export interface TopologyNode {
  readonly id: string;
  readonly kind: NodeKind;
  /** Text lines, the first one bold. */
  readonly lines: readonly string[];
  /** The stack box it sits in (undefined: outside every stack, e.g. a Git repository). */
  readonly stack?: string;
}

export interface TopologyEdge {
  readonly from: string;
  readonly to: string;
  readonly kind: FlowKind;
  readonly label: string;
}

export interface TopologyStack {
  readonly id: string;
  readonly title: string;
  readonly subtitle: string;
}

/** The fleet as boxes (in stack boxes) and arrows. */
export interface Topology {
  readonly stacks: TopologyStack[];
  readonly nodes: TopologyNode[];
  readonly edges: TopologyEdge[];
}

const ofType = (plan: FleetPlan, type: string) => plan.resources.filter((r) => r.type === type);
const helmChart = (plan: FleetPlan, chart: string) =>
  plan.resources.find((r) => r.type === "kubernetes:helm.sh/v3:Release" && get(r.inputs, "chart") === chart);

function role(plan: FleetPlan): "hub" | "spoke" | "stack" {
  if (plan.resources.some((r) => r.type === "platform:networking:TransitHub")) return "hub";
  if (plan.resources.some((r) => r.type === "platform:networking:TransitSpoke")) return "spoke";
  return "stack";
}

/** The boxes and arrows being drawn for one stack's box. */
interface StackSketch {
  readonly plan: FleetPlan;
  readonly stack: string;
  readonly role: "hub" | "spoke" | "stack";
  readonly nodes: TopologyNode[];
  readonly edges: TopologyEdge[];
  /** The id of a part of this stack's box. */
  readonly id: (part: string) => string;
  /** The id of a Git repository's box (outside every stack), one per URL. */
  readonly repo: (url: string) => string;
}

/** The stack's box title: its role and name, region, monthly cost and first-deploy time. */
function stackBox(plan: FleetPlan, kind: StackSketch["role"]): TopologyStack {
  const s = plan.stack;
  const cost = plan.cost.monthlyUsd === null ? "cost not estimated" : `${money(plan.cost.monthlyUsd)}/month`;
  return {
    id: s,
    title: kind === "stack" ? `stack ${s}` : `${kind === "hub" ? "Hub" : "Spoke"}: stack ${s}`,
    subtitle: `${plan.cost.region} · ${cost} · first deploy ${formatDuration(plan.firstDeploy.totalSeconds)}`,
  };
}

/** The VPC (CIDR, AZs, NAT gateways), the EKS cluster, its managed node groups and the Transit Gateway. */
function drawInfrastructure({ plan, stack: s, nodes, edges, id }: StackSketch): void {
  const vpc = ofType(plan, "awsx:ec2:Vpc")[0];
  if (vpc) {
    const strategy = String(get(vpc.inputs, "natGateways", "strategy") ?? "OnePerAz");
    const zones = Number(get(vpc.inputs, "numberOfAvailabilityZones") ?? 3);
    const nats = strategy === "None" ? 0 : strategy === "Single" ? 1 : zones;
    nodes.push({
      id: id("vpc"),
      stack: s,
      kind: "network",
      lines: [
        "VPC",
        `${String(get(vpc.inputs, "cidrBlock"))}, ${zones} AZs`,
        `${nats} NAT gateway${nats === 1 ? "" : "s"}`,
      ],
    });
  }
  const cluster = ofType(plan, "eks:index:Cluster")[0];
  if (cluster) {
    nodes.push({
      id: id("eks"),
      stack: s,
      kind: "cluster",
      lines: [
        "EKS cluster",
        `${String(get(cluster.inputs, "name") ?? cluster.name)} (${String(get(cluster.inputs, "version") ?? "?")})`,
      ],
    });
    if (vpc) edges.push({ from: id("vpc"), to: id("eks"), kind: "network", label: "private subnets" });
  }
  const groups = ofType(plan, "eks:index:ManagedNodeGroup").map(
    (g) =>
      `${String(get(g.inputs, "nodeGroupName") ?? g.name)}: ${String(get(g.inputs, "scalingConfig", "desiredSize") ?? "?")} × ${String((get(g.inputs, "instanceTypes") as string[] | undefined)?.[0] ?? "?")}`,
  );
  if (groups.length > 0) {
    nodes.push({ id: id("nodes"), stack: s, kind: "compute", lines: ["Managed node groups", ...groups] });
    if (cluster) edges.push({ from: id("eks"), to: id("nodes"), kind: "network", label: "" });
  }
  const tgw = ofType(plan, "aws:ec2transitgateway/transitGateway:TransitGateway")[0];
  if (tgw) {
    nodes.push({
      id: id("tgw"),
      stack: s,
      kind: "network",
      lines: ["Transit Gateway", `ASN ${String(get(tgw.inputs, "amazonSideAsn") ?? "?")}`],
    });
    if (vpc) edges.push({ from: id("vpc"), to: id("tgw"), kind: "network", label: "attachment" });
  }
}

/**
 * The platform services: metrics (full stack on the hub, agent on spokes), the log store and
 * shipper, Flux with the repository it syncs, and one box per tenant organization.
 */
function drawPlatformServices({ plan, stack: s, role: kind, nodes, edges, id, repo }: StackSketch): void {
  if (helmChart(plan, "kube-prometheus-stack")) {
    nodes.push({
      id: id("metrics"),
      stack: s,
      kind: "metrics",
      lines: kind === "hub" ? ["Prometheus, Alertmanager", "Grafana"] : ["Prometheus agent"],
    });
  }
  if (ofType(plan, "kubernetes:elasticsearch.k8s.elastic.co/v1:Elasticsearch").length > 0) {
    nodes.push({ id: id("logstore"), stack: s, kind: "logs", lines: ["Elasticsearch", "Kibana"] });
  }
  if (helmChart(plan, "fluent-bit")) {
    nodes.push({ id: id("shipper"), stack: s, kind: "logs", lines: ["Fluent Bit"] });
  }
  if (helmChart(plan, "flux2")) {
    nodes.push({ id: id("flux"), stack: s, kind: "gitops", lines: ["Flux"] });
    const sync = ofType(plan, "kubernetes:source.toolkit.fluxcd.io/v1:GitRepository").find(
      (r) => get(r.inputs, "metadata", "namespace") === "flux-system",
    );
    const url = get(sync?.inputs, "spec", "url");
    if (typeof url === "string")
      edges.push({ from: repo(url), to: id("flux"), kind: "gitops", label: "sync" });
  }
  for (const org of ofType(plan, "platform:tenancy:Organization")) {
    const orgId = id(`org:${org.name}`);
    const envs = plan.resources.filter(
      (r) => r.type === "platform:tenancy:TenantEnvironment" && r.parent === org.urn,
    ).length;
    nodes.push({
      id: orgId,
      stack: s,
      kind: "tenant",
      lines: [
        `organization ${org.name.replace(/^tenant-/, "")}`,
        `${envs} environment${envs === 1 ? "" : "s"}`,
      ],
    });
    if (helmChart(plan, "flux2"))
      edges.push({ from: id("flux"), to: orgId, kind: "gitops", label: "tenant sync" });
  }
  if (nodes.some((n) => n.id === id("shipper")) && nodes.some((n) => n.id === id("logstore")))
    edges.push({ from: id("shipper"), to: id("logstore"), kind: "logs", label: "logs" });
}

/**
 * A spoke's flows to the hub it references (`platform:hubStackReference`), when that hub is one of
 * the plans: Transit Gateway attachment, metrics remote-write, logs, and the hub Flux's reconciliation.
 */
function drawHubFlows({ plan, edges, id }: StackSketch, hubs: ReadonlySet<string>): void {
  const reference = ofType(plan, "pulumi:pulumi:StackReference")[0];
  const hub = reference
    ? String(get(reference.inputs, "name") ?? reference.name)
        .split("/")
        .pop()
    : undefined;
  if (!hub || !hubs.has(hub)) return;
  const hubId = (part: string) => `${hub}:${part}`;
  // Arrows to a part the hub lacks are dropped by fleetTopology, with every dangling arrow.
  if (ofType(plan, "awsx:ec2:Vpc").length > 0)
    edges.push({ from: id("vpc"), to: hubId("tgw"), kind: "network", label: "TGW attachment" });
  if (helmChart(plan, "kube-prometheus-stack"))
    edges.push({ from: id("metrics"), to: hubId("metrics"), kind: "metrics", label: "remote-write" });
  if (helmChart(plan, "fluent-bit"))
    edges.push({ from: id("shipper"), to: hubId("logstore"), kind: "logs", label: "logs" });
  if (
    ofType(plan, "platform:gitops:SpokeRegistration").length > 0 &&
    ofType(plan, "eks:index:Cluster").length > 0
  )
    edges.push({ from: hubId("flux"), to: id("eks"), kind: "gitops", label: "reconciles (kubeConfig)" });
}

/**
 * Reads the stacks' plans into the fleet's boxes and arrows. Each stack is a box holding its VPC,
 * EKS cluster, node groups and platform services; a spoke's Transit Gateway attachment, metrics
 * (Prometheus remote-write), logs (Fluent Bit) and registration with the hub's Flux become arrows
 * to the hub it references (`platform:hubStackReference`); Git repositories sit outside.
 */
export function fleetTopology(plans: readonly FleetPlan[]): Topology {
  const stacks: TopologyStack[] = [];
  const nodes: TopologyNode[] = [];
  const edges: TopologyEdge[] = [];
  const repos = new Map<string, string>();
  const repo = (url: string) => {
    let id = repos.get(url);
    if (!id) {
      id = `git:${repos.size}`;
      repos.set(url, id);
      nodes.push({ id, kind: "git", lines: ["Git repository", url.replace(/^(ssh|https):\/\/(git@)?/, "")] });
    }
    return id;
  };
  const hubs = new Set(plans.filter((p) => role(p) === "hub").map((p) => p.stack));

  for (const plan of [...plans].sort((a, b) => a.stack.localeCompare(b.stack))) {
    const sketch: StackSketch = {
      plan,
      stack: plan.stack,
      role: role(plan),
      nodes,
      edges,
      id: (part) => `${plan.stack}:${part}`,
      repo,
    };
    stacks.push(stackBox(plan, sketch.role));
    drawInfrastructure(sketch);
    drawPlatformServices(sketch);
    if (sketch.role === "spoke") drawHubFlows(sketch, hubs);
  }
  const ids = new Set(nodes.map((n) => n.id));
  return { stacks, nodes, edges: edges.filter((e) => ids.has(e.from) && ids.has(e.to)) };
}

const FONT_SIZE = 12;
const LINE_HEIGHT = 16;
const CHAR_WIDTH = 7.5;
const PAD = 10;
const TITLE_HEIGHT = 40;

interface Box {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** A laid-out topology: boxes with centres and sizes, arrows as point lists. */
export interface TopologyLayout {
  readonly width: number;
  readonly height: number;
  readonly stacks: (TopologyStack & Box & { readonly titleAt: Box })[];
  readonly nodes: (TopologyNode & Box)[];
  readonly edges: (TopologyEdge & {
    readonly points: { x: number; y: number }[];
    readonly labelAt?: { x: number; y: number };
  })[];
}

/** Places the topology with dagre (left to right, stacks as clusters). Loads dagre on first use. */
async function layoutTopology(topology: Topology): Promise<TopologyLayout> {
  // Its CommonJS build, required on first use: a dynamic `import()` would keep the plan's bundle out
  // of the plan's code cache (tools/plan/code-cache.js).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const dagre = (require("@dagrejs/dagre") as typeof Dagre).default;
  const graph = new dagre.graphlib.Graph({ compound: true, multigraph: true });
  graph.setGraph({ rankdir: "LR", nodesep: 24, ranksep: 70, edgesep: 14, marginx: 20, marginy: 20 });
  graph.setDefaultEdgeLabel(() => ({}));
  for (const stack of topology.stacks) graph.setNode(`stack:${stack.id}`, { width: 0, height: 0 });
  // A title box on top of each stack keeps room for its name.
  for (const stack of topology.stacks) {
    const width = Math.max(stack.title.length, stack.subtitle.length) * CHAR_WIDTH + 2 * PAD;
    graph.setNode(`title:${stack.id}`, { width, height: TITLE_HEIGHT });
    graph.setParent(`title:${stack.id}`, `stack:${stack.id}`);
  }
  for (const node of topology.nodes) {
    const width = Math.max(...node.lines.map((l) => l.length)) * CHAR_WIDTH + 2 * PAD;
    graph.setNode(node.id, { width, height: node.lines.length * LINE_HEIGHT + 2 * PAD });
    if (node.stack) graph.setParent(node.id, `stack:${node.stack}`);
  }
  topology.edges.forEach((edge, i) => {
    const labelWidth = edge.label.length * (CHAR_WIDTH - 1);
    graph.setEdge(
      edge.from,
      edge.to,
      { width: labelWidth, height: edge.label ? LINE_HEIGHT : 0, labelpos: "c" },
      `e${i}`,
    );
  });
  dagre.layout(graph);

  const box = (id: string): Box => {
    const n = graph.node(id) as { x: number; y: number; width: number; height: number };
    return { x: n.x, y: n.y, width: n.width, height: n.height };
  };
  const label = graph.graph() as { width?: number; height?: number };
  return {
    width: label.width ?? 0,
    height: label.height ?? 0,
    stacks: topology.stacks.map((s) => {
      const cluster = box(`stack:${s.id}`);
      const title = box(`title:${s.id}`);
      return { ...s, ...cluster, titleAt: title };
    }),
    nodes: topology.nodes.map((n) => ({ ...n, ...box(n.id) })),
    edges: topology.edges.map((e, i) => {
      const laid = graph.edge(e.from, e.to, `e${i}`) as {
        points?: { x: number; y: number }[];
        x?: number;
        y?: number;
      };
      return {
        ...e,
        points: laid.points ?? [],
        ...(e.label && laid.x !== undefined && laid.y !== undefined
          ? { labelAt: { x: laid.x, y: laid.y } }
          : {}),
      };
    }),
  };
}

const NODE_COLOURS: Record<NodeKind, { fill: string; stroke: string }> = {
  network: { fill: "#e8f1fb", stroke: "#2f6db5" },
  cluster: { fill: "#fff4e0", stroke: "#d9822b" },
  compute: { fill: "#fdf8ec", stroke: "#b08d2c" },
  metrics: { fill: "#fde9e7", stroke: "#c4372b" },
  logs: { fill: "#e9f7ef", stroke: "#2e8b57" },
  gitops: { fill: "#eeeafb", stroke: "#5b45b5" },
  tenant: { fill: "#f3f3f3", stroke: "#666666" },
  git: { fill: "#ffffff", stroke: "#333333" },
};
const FLOW_COLOURS: Record<FlowKind, string> = {
  network: "#2f6db5",
  metrics: "#c4372b",
  logs: "#2e8b57",
  gitops: "#5b45b5",
};

const n1 = (value: number) => (Math.round(value * 10) / 10).toFixed(1);
const escape = (text: string) =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** Writes the laid-out topology as a standalone SVG document (deterministic for equal input). */
export function renderSvg(layout: TopologyLayout): string {
  const legendHeight = 28;
  const width = layout.width;
  const height = layout.height + legendHeight;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${n1(width)}" height="${n1(height)}" viewBox="0 0 ${n1(width)} ${n1(height)}" font-family="Helvetica, Arial, sans-serif" font-size="${FONT_SIZE}">`,
    "<title>Fleet topology</title>",
    "<defs>",
    ...Object.entries(FLOW_COLOURS).map(
      ([kind, colour]) =>
        `<marker id="arrow-${kind}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="${colour}"/></marker>`,
    ),
    "</defs>",
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
  ];
  for (const s of layout.stacks) {
    const title = s.titleAt;
    out.push(
      `<g class="stack" id="stack-${escape(s.id)}">`,
      `<rect x="${n1(s.x - s.width / 2)}" y="${n1(s.y - s.height / 2)}" width="${n1(s.width)}" height="${n1(s.height)}" rx="8" fill="#fafafa" stroke="#999999" stroke-dasharray="6 4"/>`,
      `<text x="${n1(title.x - title.width / 2 + PAD)}" y="${n1(title.y - title.height / 2 + LINE_HEIGHT)}" font-weight="bold" font-size="14">${escape(s.title)}</text>`,
      `<text x="${n1(title.x - title.width / 2 + PAD)}" y="${n1(title.y - title.height / 2 + 2 * LINE_HEIGHT + 2)}" fill="#555555">${escape(s.subtitle)}</text>`,
      "</g>",
    );
  }
  for (const e of layout.edges) {
    if (e.points.length === 0) continue;
    const d = e.points.map((p, i) => `${i === 0 ? "M" : "L"} ${n1(p.x)} ${n1(p.y)}`).join(" ");
    out.push(
      `<path d="${d}" fill="none" stroke="${FLOW_COLOURS[e.kind]}" stroke-width="1.5" marker-end="url(#arrow-${e.kind})"/>`,
    );
    if (e.labelAt)
      out.push(
        `<text x="${n1(e.labelAt.x)}" y="${n1(e.labelAt.y + 4)}" text-anchor="middle" fill="${FLOW_COLOURS[e.kind]}" font-size="11" stroke="#ffffff" stroke-width="3" paint-order="stroke">${escape(e.label)}</text>`,
      );
  }
  for (const n of layout.nodes) {
    const colour = NODE_COLOURS[n.kind];
    const left = n.x - n.width / 2;
    const top = n.y - n.height / 2;
    out.push(
      `<g class="node ${n.kind}">`,
      `<rect x="${n1(left)}" y="${n1(top)}" width="${n1(n.width)}" height="${n1(n.height)}" rx="4" fill="${colour.fill}" stroke="${colour.stroke}"/>`,
      ...n.lines.map(
        (line, i) =>
          `<text x="${n1(left + PAD)}" y="${n1(top + PAD + (i + 1) * LINE_HEIGHT - 4)}"${i === 0 ? ' font-weight="bold"' : ""}>${escape(line)}</text>`,
      ),
      "</g>",
    );
  }
  let x = 20;
  const y = layout.height + 10;
  for (const [kind, colour] of Object.entries(FLOW_COLOURS)) {
    out.push(
      `<line x1="${n1(x)}" y1="${n1(y)}" x2="${n1(x + 30)}" y2="${n1(y)}" stroke="${colour}" stroke-width="1.5" marker-end="url(#arrow-${kind})"/>`,
      `<text x="${n1(x + 36)}" y="${n1(y + 4)}">${kind}</text>`,
    );
    x += 110;
  }
  out.push("</svg>", "");
  return out.join("\n");
}

/** The fleet's SVG from the stacks' plans. */
export async function fleetSvg(plans: readonly FleetPlan[]): Promise<string> {
  return renderSvg(await layoutTopology(fleetTopology(plans)));
}

/** The stacks of a project directory (`Pulumi.<stack>.yaml`), sorted. */
export function projectStacks(root: string): string[] {
  return readdirSync(root)
    .map((f) => /^Pulumi\.(.+)\.ya?ml$/.exec(f)?.[1])
    .filter((s): s is string => Boolean(s))
    .sort();
}

/**
 * Checks, before planning, that `file` can be written: an `.svg` path in an existing directory.
 * @throws PlanInputError naming the path and what was expected.
 */
export function checkDiagramTarget(file: string): void {
  const dir = path.dirname(path.resolve(file));
  if (!file.endsWith(".svg"))
    throw new PlanInputError(`--diagram ${file}: expected a file name ending in .svg`);
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new PlanInputError(`--diagram ${file}: directory ${dir} does not exist`);
}

/**
 * Plans every other stack of the project (without policies) next to `plan` and writes the fleet's
 * SVG to `file`.
 * @throws PlanInputError when the file cannot be written.
 */
export async function writeFleetDiagram(
  file: string,
  plan: FleetPlan,
  options: Pick<PlanOptions, "root" | "cache">,
): Promise<void> {
  const root = options.root ?? process.cwd();
  const plans: FleetPlan[] = [plan];
  for (const stack of projectStacks(root)) {
    if (stack !== plan.stack) plans.push(await planStack(stack, { ...options, root, skipPolicies: true }));
  }
  const svg = await fleetSvg(plans);
  try {
    writeFileSync(path.resolve(file), svg);
  } catch (error) {
    throw new PlanInputError(
      `--diagram ${file}: cannot write the SVG (${(error as Error).message.split("\n")[0]})`,
    );
  }
}
