/**
 * The first-deploy estimate: how long a first `pulumi up` of a stack takes, from the plan's
 * dependency graph. Pulumi creates a resource once everything it waits for exists, so the
 * duration of a first deploy is the longest (critical) path through the graph, weighted by each
 * resource type's typical creation time ({@link CREATION_TIMES}). See docs/plan.md
 * ("First-deploy time") for the times and their sources.
 */
import { get, isPlatformComponent, type PlannedResource } from "./model";

/** A typical creation time and why. */
export interface CreationTime {
  /** Seconds from the create call until Pulumi considers the resource created. */
  readonly seconds: number;
  readonly why: string;
}

/** Time for a resource whose creation is one API call Pulumi does not wait on further. */
const API_CALL: CreationTime = { seconds: 5, why: "one API call; no waiter" };

/**
 * Typical creation times by resource type (first match wins; types not listed take
 * {@link API_CALL}). Figures are typical durations, not upper bounds; docs/plan.md cites their
 * sources.
 */
const CREATION_TIMES: Readonly<Record<string, CreationTime>> = {
  "eks:index:Cluster": {
    seconds: 600,
    why: "EKS control plane until ACTIVE (aws/containers-roadmap#1227: 15 min average, since reduced to about 10), plus its OIDC provider and security groups",
  },
  "aws:eks/cluster:Cluster": { seconds: 600, why: "EKS control plane until ACTIVE" },
  "eks:index:ManagedNodeGroup": {
    seconds: 240,
    why: "managed node group until ACTIVE: instances launch, boot and join (3-5 min)",
  },
  "aws:eks/nodeGroup:NodeGroup": { seconds: 240, why: "managed node group until ACTIVE (3-5 min)" },
  "aws:eks/addon:Addon": {
    seconds: 60,
    why: "EKS add-on until ACTIVE (its pods must be ready on the nodes)",
  },
  "aws:ec2/natGateway:NatGateway": { seconds: 120, why: "NAT gateway until available (1-2 min)" },
  "aws:ec2transitgateway/transitGateway:TransitGateway": {
    seconds: 180,
    why: "Transit Gateway until available (2-4 min)",
  },
  "aws:ec2transitgateway/vpcAttachment:VpcAttachment": {
    seconds: 90,
    why: "Transit Gateway VPC attachment until available (1-2 min)",
  },
  "aws:ec2transitgateway/routeTable:RouteTable": {
    seconds: 30,
    why: "Transit Gateway route table until available",
  },
  "aws:ec2/vpcEndpoint:VpcEndpoint": {
    seconds: 90,
    why: "interface endpoint until available (gateway endpoints: seconds)",
  },
  "aws:efs/fileSystem:FileSystem": { seconds: 15, why: "EFS file system until available" },
  "aws:efs/mountTarget:MountTarget": { seconds: 90, why: "EFS mount target until available (about 1.5 min)" },
  "kubernetes:helm.sh/v3:Release": {
    seconds: 90,
    why: "Helm release, Pulumi waits until its workloads are ready (kube-prometheus-stack: 3 min)",
  },
  "kubernetes:core/v1:Service": {
    seconds: 5,
    why: "Service; type LoadBalancer: 30 s until the load balancer controller reports its address",
  },
  "kubernetes:batch/v1:Job": { seconds: 60, why: "Job, Pulumi waits until it completes" },
  "kubernetes:apps/v1:Deployment": { seconds: 60, why: "Deployment, Pulumi waits until it is available" },
  "pulumi:providers:kubernetes": { seconds: 0, why: "provider configuration, no cloud call" },
  "pulumi:pulumi:StackReference": { seconds: 1, why: "reads another stack's outputs" },
};

/** The creation time of one planned resource (some types depend on their inputs). */
function creationTime(resource: PlannedResource): CreationTime {
  switch (resource.type) {
    case "awsx:ec2:Vpc": {
      const strategy = get(resource.inputs, "natGateways", "strategy") ?? "OnePerAz";
      return strategy === "None"
        ? { seconds: 30, why: "VPC, subnets and route tables" }
        : {
            seconds: 150,
            why: "VPC, subnets and route tables (30 s), NAT gateways in parallel until available (2 min)",
          };
    }
    case "aws:ec2/vpcEndpoint:VpcEndpoint":
      return get(resource.inputs, "vpcEndpointType") === "Interface"
        ? CREATION_TIMES[resource.type]
        : { seconds: 10, why: "gateway endpoint" };
    case "kubernetes:core/v1:Service":
      return get(resource.inputs, "spec", "type") === "LoadBalancer"
        ? { seconds: 30, why: "Service of type LoadBalancer until it has an address" }
        : CREATION_TIMES[resource.type];
    case "kubernetes:helm.sh/v3:Release":
      if (get(resource.inputs, "skipAwait") === true)
        return { seconds: 15, why: "Helm release without await" };
      return get(resource.inputs, "chart") === "kube-prometheus-stack"
        ? { seconds: 180, why: "kube-prometheus-stack until its operator, Prometheus and Grafana are ready" }
        : CREATION_TIMES[resource.type];
  }
  if (isPlatformComponent(resource.type) || resource.type === "pulumi:pulumi:Stack")
    return { seconds: 0, why: "component (groups its children)" };
  return CREATION_TIMES[resource.type] ?? API_CALL;
}

/** One resource on the critical path. */
export interface DeployStep {
  readonly urn: string;
  readonly type: string;
  readonly name: string;
  /** Its creation time, seconds. */
  readonly seconds: number;
  /** When it finishes, seconds after `pulumi up` starts creating. */
  readonly finishSeconds: number;
  readonly why: string;
}

/** The first-deploy estimate of a stack (the `firstDeploy` of the plan's JSON document). */
export interface DeployEstimate {
  /** Estimated wall time of a first `pulumi up`, seconds (the critical path's length). */
  readonly totalSeconds: number;
  /** The longest chain of resources that wait for each other, first created first. */
  readonly criticalPath: DeployStep[];
  /** What the estimate assumes. */
  readonly assumptions: string[];
}

/** Resource references among a resource's inputs (the plan shows a resource input as its URN). */
function referencedUrns(value: unknown, out: Set<string>): void {
  if (typeof value === "string") {
    if (value.startsWith("urn:pulumi:")) out.add(value);
  } else if (Array.isArray(value)) {
    for (const v of value) referencedUrns(v, out);
  } else if (value && typeof value === "object") {
    for (const v of Object.values(value)) referencedUrns(v, out);
  }
}

/**
 * The resources a resource waits for in the plan: its dependencies, the resources its inputs
 * reference, its provider, and a parent that is not a component.
 */
function waitsFor(resource: PlannedResource, byUrn: ReadonlyMap<string, PlannedResource>): string[] {
  const edges = new Set(resource.dependencies);
  referencedUrns(resource.inputs, edges);
  if (resource.provider) edges.add(resource.provider.slice(0, resource.provider.lastIndexOf("::")));
  const parent = resource.parent ? byUrn.get(resource.parent) : undefined;
  if (parent && !isPlatformComponent(parent.type) && parent.type !== "pulumi:pulumi:Stack")
    edges.add(parent.urn);
  return [...edges].filter((urn) => urn !== resource.urn && byUrn.has(urn));
}

const NODE_GROUP_TYPES = new Set(["eks:index:ManagedNodeGroup", "aws:eks/nodeGroup:NodeGroup"]);
/** EKS add-ons that run a Deployment: EKS reports them ACTIVE only once their pods run on a node. */
const ADDONS_NEEDING_NODES = new Set([
  "coredns",
  "snapshot-controller",
  "aws-ebs-csi-driver",
  "aws-efs-csi-driver",
  "metrics-server",
]);

/** Whether creating the resource completes only once its pods run (so it needs a node). */
function runsPods(resource: PlannedResource): boolean {
  switch (resource.type) {
    case "aws:eks/addon:Addon":
      return ADDONS_NEEDING_NODES.has(String(get(resource.inputs, "addonName")));
    case "kubernetes:helm.sh/v3:Release":
      return get(resource.inputs, "skipAwait") !== true;
    case "kubernetes:batch/v1:Job":
    case "kubernetes:apps/v1:Deployment":
    case "kubernetes:apps/v1:StatefulSet":
      return true;
    default:
      return false;
  }
}

/**
 * The whole wait graph: the plan's edges ({@link waitsFor}) plus the implicit wait of a workload
 * for the node groups (a pod needs a node; the plan does not record that as a dependency), except
 * where a node group itself waits for that workload.
 */
function waitGraph(resources: readonly PlannedResource[]): Map<string, string[]> {
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const graph = new Map(resources.map((r) => [r.urn, waitsFor(r, byUrn)]));
  const nodeGroups = resources.filter(
    (r) => NODE_GROUP_TYPES.has(r.type) && Number(get(r.inputs, "scalingConfig", "desiredSize") ?? 1) > 0,
  );
  const beforeNodes = new Set<string>();
  const stack = nodeGroups.map((g) => g.urn);
  while (stack.length > 0) {
    const urn = stack.pop() as string;
    for (const dependency of graph.get(urn) ?? []) {
      if (!beforeNodes.has(dependency)) {
        beforeNodes.add(dependency);
        stack.push(dependency);
      }
    }
  }
  for (const r of resources) {
    if (runsPods(r) && !beforeNodes.has(r.urn)) {
      graph.set(r.urn, [...new Set([...(graph.get(r.urn) ?? []), ...nodeGroups.map((g) => g.urn)])]);
    }
  }
  return graph;
}

/**
 * Estimates the first deploy of a stack: the critical path of its dependency graph.
 * @throws Error naming a resource when the dependencies form a cycle (Pulumi could not create them).
 */
export function estimateFirstDeploy(resources: readonly PlannedResource[]): DeployEstimate {
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const graph = waitGraph(resources);
  const finish = new Map<string, number>();
  const previous = new Map<string, string | undefined>();
  const visiting = new Set<string>();

  const visit = (urn: string): number => {
    const done = finish.get(urn);
    if (done !== undefined) return done;
    if (visiting.has(urn)) throw new Error(`dependency cycle through ${urn}`);
    visiting.add(urn);
    const resource = byUrn.get(urn) as PlannedResource;
    let start = 0;
    let before: string | undefined;
    for (const dependency of graph.get(urn) ?? []) {
      const end = visit(dependency);
      if (before === undefined || end > start) {
        start = end;
        before = dependency;
      }
    }
    visiting.delete(urn);
    const end = start + creationTime(resource).seconds;
    finish.set(urn, end);
    previous.set(urn, before);
    return end;
  };

  let last: string | undefined;
  let total = 0;
  for (const r of resources) {
    const end = visit(r.urn);
    if (end > total) {
      total = end;
      last = r.urn;
    }
  }
  const criticalPath: DeployStep[] = [];
  for (let urn = last; urn !== undefined; urn = previous.get(urn)) {
    const r = byUrn.get(urn) as PlannedResource;
    const time = creationTime(r);
    if (time.seconds === 0) continue;
    criticalPath.unshift({
      urn,
      type: r.type,
      name: r.name,
      seconds: time.seconds,
      finishSeconds: finish.get(urn) as number,
      why: time.why,
    });
  }
  return {
    totalSeconds: total,
    criticalPath,
    assumptions: [
      "typical creation times per resource type (docs/plan.md), no retries or throttling",
      "Pulumi runs every resource whose dependencies exist in parallel (enough --parallel)",
      "workloads (Helm releases, add-ons that run Deployments, Jobs) wait for the node groups",
    ],
  };
}

/** `1h 02m 05s` / `12m 30s` / `45s`. */
export function formatDuration(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = Math.round(seconds % 60);
  const pad = (n: number) => String(n).padStart(2, "0");
  if (h > 0) return `${h}h ${pad(m)}m ${pad(s)}s`;
  return m > 0 ? `${m}m ${pad(s)}s` : `${s}s`;
}
