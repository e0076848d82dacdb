/**
 * The hub's observability endpoints: one security group and four internal NLBs (Services of type
 * LoadBalancer the AWS Load Balancer Controller provisions) for Prometheus remote write,
 * Elasticsearch, Grafana and Kibana. Spokes add their own ingress rules to the security group.
 */
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { awsTags } from "../shared/aws";
import type { K8sOpts } from "../shared/helm";
import { internalLoadBalancerAnnotations, names, namespaces, ports } from "./values";
import { RemoteWriteGateway, gatewayNames } from "./remote-write-gateway";

/** The endpoints, each with its namespace, pod selector and ports. */
const endpoints = {
  // Remote write reaches Prometheus through the authenticating gateway (TLS + basic auth per spoke).
  prometheus: {
    namespace: namespaces.monitoring,
    selector: RemoteWriteGateway.podLabels,
    port: ports.prometheus,
    targetPort: gatewayNames.port,
  },
  grafana: {
    namespace: namespaces.monitoring,
    selector: { "app.kubernetes.io/name": "grafana", "app.kubernetes.io/instance": names.prometheusStack },
    port: ports.grafana,
    targetPort: ports.grafanaTarget,
  },
  elasticsearch: {
    namespace: namespaces.logging,
    selector: {
      "common.k8s.elastic.co/type": "elasticsearch",
      "elasticsearch.k8s.elastic.co/cluster-name": names.elastic,
    },
    port: ports.elasticsearch,
    targetPort: ports.elasticsearch,
  },
  kibana: {
    namespace: namespaces.logging,
    selector: { "common.k8s.elastic.co/type": "kibana", "kibana.k8s.elastic.co/name": names.elastic },
    port: ports.kibana,
    targetPort: ports.kibana,
  },
} as const;

/** One of the hub's observability endpoints. */
export type HubEndpoint = keyof typeof endpoints;

/** Arguments of {@link HubEndpoints}. */
export interface HubEndpointsArgs {
  /** Hub VPC id (the security group lives there). */
  readonly vpcId: pulumi.Input<string>;
  /** Hub VPC CIDR block: the only source the group admits, and the only target of its egress. */
  readonly vpcCidr: string;
  /** Kubernetes provider of the hub cluster. */
  readonly provider: k8s.Provider;
  /** The `monitoring` and `logging` namespaces the Services live in. */
  readonly namespaces: readonly k8s.core.v1.Namespace[];
  /** What the Services wait for: the load balancer controller that provisions them. @default [] */
  readonly loadBalancerDependsOn?: pulumi.Input<pulumi.Resource>[];
  /** Tags for every AWS resource, merged last. @default {} */
  readonly tags?: Record<string, string>;
}

/** The hub's endpoints security group and internal NLBs. */
export class HubEndpoints extends pulumi.ComponentResource {
  /** Security group of the endpoints' load balancers. */
  public readonly securityGroupId: pulumi.Output<string>;
  /** DNS name of each endpoint's internal NLB. */
  public readonly hosts: Record<HubEndpoint, pulumi.Output<string>>;

  constructor(name: string, args: HubEndpointsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:observability:HubEndpoints", name, {}, opts);
    const tags = args.tags ?? {};
    const sg = new aws.ec2.SecurityGroup(
      `${name}-endpoints`,
      {
        description:
          "Hub observability endpoints (internal NLBs): Prometheus remote write, Elasticsearch, Grafana, Kibana",
        vpcId: args.vpcId,
        tags: awsTags(`${name}-endpoints`, tags),
      },
      { parent: this },
    );
    this.securityGroupId = sg.id;
    const k8sOpts: K8sOpts = {
      parent: this,
      provider: args.provider,
      dependsOn: [...args.namespaces, ...(args.loadBalancerDependsOn ?? [])],
    };
    const hosts: Partial<Record<HubEndpoint, pulumi.Output<string>>> = {};
    for (const [endpoint, spec] of Object.entries(endpoints) as [
      HubEndpoint,
      (typeof endpoints)[HubEndpoint],
    ][]) {
      this.rules(name, endpoint, sg.id, spec.port, spec.targetPort, args.vpcCidr, tags);
      const service = new k8s.core.v1.Service(
        `${name}-${endpoint}-lb`,
        {
          metadata: {
            name: `${endpoint}-internal`,
            namespace: spec.namespace,
            labels: {
              "app.kubernetes.io/part-of": "platform-observability",
              "platform.io/endpoint": endpoint,
            },
            annotations: sg.id.apply((id) => internalLoadBalancerAnnotations(id)),
          },
          spec: {
            type: "LoadBalancer",
            loadBalancerClass: "service.k8s.aws/nlb",
            selector: spec.selector,
            ports: [{ name: endpoint, port: spec.port, targetPort: spec.targetPort, protocol: "TCP" }],
          },
        },
        k8sOpts,
      );
      hosts[endpoint] = service.status.loadBalancer.ingress[0].hostname;
    }
    this.hosts = hosts as Record<HubEndpoint, pulumi.Output<string>>;
    this.registerOutputs({ securityGroupId: this.securityGroupId, hosts: this.hosts });
  }

  /** The listener's ingress from the hub VPC and the NLB's egress to the pods (IP targets, health checks). */
  private rules(
    name: string,
    endpoint: HubEndpoint,
    securityGroupId: pulumi.Output<string>,
    port: number,
    targetPort: number,
    vpcCidr: string,
    tags: Record<string, string>,
  ): void {
    new aws.vpc.SecurityGroupIngressRule(
      `${name}-endpoints-${endpoint}-hub`,
      {
        securityGroupId,
        description: `${endpoint} (${port}/tcp) from the hub VPC; spokes add their own rules`,
        ipProtocol: "tcp",
        fromPort: port,
        toPort: port,
        cidrIpv4: vpcCidr,
        tags: awsTags(`${name}-endpoints-${endpoint}-hub`, tags),
      },
      { parent: this },
    );
    new aws.vpc.SecurityGroupEgressRule(
      `${name}-endpoints-${endpoint}-targets`,
      {
        securityGroupId,
        description: `NLB to ${endpoint} pods (${targetPort}/tcp, IP targets and health checks) in the hub VPC`,
        ipProtocol: "tcp",
        fromPort: targetPort,
        toPort: targetPort,
        cidrIpv4: vpcCidr,
        tags: awsTags(`${name}-endpoints-${endpoint}-targets`, tags),
      },
      { parent: this },
    );
  }
}
