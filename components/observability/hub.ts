import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { awsTags, podIdentityTrustPolicy } from "../shared/aws";
import { credentialSecret, logShipperRelease, platformNamespace, release, type K8sOpts } from "./shared";
import {
  eckOperatorValues,
  elasticsearchSpec,
  hubPrometheusStackValues,
  ilmBootstrapScript,
  internalLoadBalancerAnnotations,
  kibanaSpec,
  loadBalancerControllerPolicy,
  loadBalancerControllerValues,
  logShipperRolesYaml,
  names,
  namespaces,
  ports,
  receiverUrlKey,
  receiverUrlsSecret,
  remoteWriteUrl,
  replicasFor,
  resourceDefaults,
  type AlertReceiver,
} from "./values";
import { elasticsearchImage, versions } from "./versions";

/** Module defaults of {@link ObservabilityHub}. */
export const hubDefaults = {
  storageClass: "gp3",
  prometheusRetention: "15d",
  prometheusStorageGiB: 100,
  elasticsearchNodeCount: 3,
  elasticsearchStorageGiB: 100,
  elasticsearchMemoryGiB: 4,
  logRetentionDays: 30,
  loadBalancerControllerServiceAccount: "aws-load-balancer-controller",
};

/** Arguments of {@link ObservabilityHub}. */
export interface ObservabilityHubArgs {
  /** EKS cluster name: the `cluster` label/field of the hub's own metrics and logs, and the LB controller's cluster. */
  readonly clusterName: string;
  /**
   * The cluster's name as the EKS cluster resource outputs it, so AWS resources naming the cluster
   * (the LB controller's Pod Identity association) wait for the cluster. @default clusterName
   */
  readonly eksClusterName?: pulumi.Input<string>;
  /**
   * Resources the Helm releases with persistent volumes wait for: the `gp3` StorageClass and the EBS
   * CSI driver (an atomic release would otherwise time out on unbound volumes). @default []
   */
  readonly storageDependsOn?: pulumi.Input<pulumi.Resource>[];
  /** AWS region, e.g. `eu-west-1`. */
  readonly region: string;
  /** Hub VPC id (the endpoints' security group lives there). */
  readonly vpcId: pulumi.Input<string>;
  /** Hub VPC CIDR block: the only ingress rule this component adds to the endpoints' security group. */
  readonly vpcCidr: string;
  /** Kubernetes provider of the hub cluster. */
  readonly provider: k8s.Provider;
  /** Production: 2 replicas and PodDisruptionBudgets where the software supports it. @default false */
  readonly production?: boolean;
  /** StorageClass of every volume. @default "gp3" */
  readonly storageClass?: string;
  /** Prometheus retention, a Prometheus duration. https://prometheus.io/docs/prometheus/latest/storage/ @default "15d" */
  readonly prometheusRetention?: string;
  /** Prometheus volume, GiB. @default 100 */
  readonly prometheusStorageGiB?: number;
  /** Alertmanager receivers (URLs are secrets: written to a Secret, never to Helm values). @default [] */
  readonly alertReceivers?: readonly AlertReceiver[];
  /** Grafana admin password (a Pulumi secret). @default generated on the first up and kept */
  readonly grafanaAdminPassword?: pulumi.Input<string>;
  /** Password of the Elasticsearch `log-shipper` user. @default generated on the first up and kept */
  readonly logShipperPassword?: pulumi.Input<string>;
  /** Elasticsearch nodes (master+data). https://www.elastic.co/docs/deploy-manage/deploy/cloud-on-k8s/nodes-orchestration @default 3 */
  readonly elasticsearchNodeCount?: number;
  /** Elasticsearch volume per node, GiB. @default 100 */
  readonly elasticsearchStorageGiB?: number;
  /** Elasticsearch memory per node, GiB (request = limit; the heap is half). @default 4 */
  readonly elasticsearchMemoryGiB?: number;
  /** Days an index of shipped logs is kept (ILM delete phase). @default 30 */
  readonly logRetentionDays?: number;
  /**
   * Install the AWS Load Balancer Controller (Helm, Pod Identity role): it provisions the internal
   * NLBs of the endpoints. https://kubernetes-sigs.github.io/aws-load-balancer-controller/
   * @default true
   */
  readonly installLoadBalancerController?: boolean;
  /** Tags for every AWS resource, merged last. @default {} */
  readonly tags?: Record<string, string>;
}

/**
 * The hub's observability: kube-prometheus-stack (Prometheus receiving the spokes' remote writes,
 * Alertmanager, Grafana), Elasticsearch and Kibana through ECK, Fluent Bit for the hub's own logs,
 * and internal NLBs (AWS Load Balancer Controller) behind one security group spokes are let into.
 */
export class ObservabilityHub extends pulumi.ComponentResource {
  /** Security group of the endpoints' load balancers; spokes add their own ingress rules. */
  public readonly endpointsSecurityGroupId: pulumi.Output<string>;
  /** Prometheus remote-write endpoint for spokes (`http://<internal-nlb>:9090/api/v1/write`). */
  public readonly prometheusRemoteWriteUrl: pulumi.Output<string>;
  /** Elasticsearch endpoint (`https://<internal-nlb>:9200`, ECK self-signed TLS). */
  public readonly elasticsearchUrl: pulumi.Output<string>;
  /** Grafana (`http://<internal-nlb>`). */
  public readonly grafanaUrl: pulumi.Output<string>;
  /** Kibana (`https://<internal-nlb>:5601`). */
  public readonly kibanaUrl: pulumi.Output<string>;
  /** Password of the Elasticsearch `log-shipper` user (a secret), read by spokes. */
  public readonly logShipperPassword: pulumi.Output<string>;
  /** The Grafana admin password (a secret). */
  public readonly grafanaAdminPassword: pulumi.Output<string>;

  constructor(name: string, args: ObservabilityHubArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:observability:ObservabilityHub", name, {}, opts);
    const production = args.production ?? false;
    const storageClass = args.storageClass ?? hubDefaults.storageClass;
    const tags = args.tags ?? {};
    const k8sOpts: K8sOpts = { parent: this, provider: args.provider };

    const monitoring = platformNamespace(`${name}-monitoring`, namespaces.monitoring, "privileged", k8sOpts);
    const logging = platformNamespace(`${name}-logging`, namespaces.logging, "privileged", k8sOpts);
    const inMonitoring: K8sOpts = { ...k8sOpts, dependsOn: [monitoring] };
    const inLogging: K8sOpts = { ...k8sOpts, dependsOn: [logging] };

    // --- The endpoints' security group --------------------------------------------------------
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
    this.endpointsSecurityGroupId = sg.id;
    const listeners = {
      prometheus: ports.prometheus,
      elasticsearch: ports.elasticsearch,
      grafana: ports.grafana,
      kibana: ports.kibana,
    };
    for (const [endpoint, port] of Object.entries(listeners)) {
      new aws.vpc.SecurityGroupIngressRule(
        `${name}-endpoints-${endpoint}-hub`,
        {
          securityGroupId: sg.id,
          description: `${endpoint} (${port}/tcp) from the hub VPC; spokes add their own rules`,
          ipProtocol: "tcp",
          fromPort: port,
          toPort: port,
          cidrIpv4: args.vpcCidr,
          tags: awsTags(`${name}-endpoints-${endpoint}-hub`, tags),
        },
        { parent: this },
      );
    }
    const targets = {
      prometheus: ports.prometheus,
      elasticsearch: ports.elasticsearch,
      grafana: ports.grafanaTarget,
      kibana: ports.kibana,
    };
    for (const [endpoint, port] of Object.entries(targets)) {
      new aws.vpc.SecurityGroupEgressRule(
        `${name}-endpoints-${endpoint}-targets`,
        {
          securityGroupId: sg.id,
          description: `NLB to ${endpoint} pods (${port}/tcp, IP targets and health checks) in the hub VPC`,
          ipProtocol: "tcp",
          fromPort: port,
          toPort: port,
          cidrIpv4: args.vpcCidr,
          tags: awsTags(`${name}-endpoints-${endpoint}-targets`, tags),
        },
        { parent: this },
      );
    }

    // --- AWS Load Balancer Controller (Pod Identity) ------------------------------------------
    const lbDependencies: pulumi.Resource[] = [];
    if (args.installLoadBalancerController ?? true) {
      const identity = aws.getCallerIdentityOutput({}, { parent: this });
      const role = new aws.iam.Role(
        `${name}-lb-controller`,
        {
          description: `${args.clusterName}: AWS Load Balancer Controller (EKS Pod Identity)`,
          assumeRolePolicy: identity.accountId.apply((accountId) =>
            JSON.stringify(podIdentityTrustPolicy(accountId)),
          ),
          tags: awsTags(`${name}-lb-controller`, tags),
        },
        { parent: this },
      );
      const policy = new aws.iam.Policy(
        `${name}-lb-controller`,
        {
          description: `${args.clusterName}: AWS Load Balancer Controller v3.5.0 permissions, limited to ${args.region}`,
          policy: JSON.stringify(loadBalancerControllerPolicy(args.region)),
          tags: awsTags(`${name}-lb-controller`, tags),
        },
        { parent: this },
      );
      const attachment = new aws.iam.RolePolicyAttachment(
        `${name}-lb-controller`,
        { role: role.name, policyArn: policy.arn },
        { parent: this },
      );
      const association = new aws.eks.PodIdentityAssociation(
        `${name}-lb-controller`,
        {
          clusterName: args.eksClusterName ?? args.clusterName,
          namespace: "kube-system",
          serviceAccount: hubDefaults.loadBalancerControllerServiceAccount,
          roleArn: role.arn,
          tags: awsTags(`${name}-lb-controller`, tags),
        },
        { parent: this, dependsOn: [attachment] },
      );
      lbDependencies.push(
        release(
          `${name}-lb-controller`,
          versions.awsLoadBalancerController,
          "kube-system",
          pulumi.output(args.vpcId).apply((vpcId) =>
            loadBalancerControllerValues({
              clusterName: args.clusterName,
              region: args.region,
              vpcId,
              serviceAccount: hubDefaults.loadBalancerControllerServiceAccount,
              production,
            }),
          ),
          { ...k8sOpts, dependsOn: [association] },
        ),
      );
    }

    const loadBalancer = (
      endpoint: string,
      namespace: string,
      nsResource: k8s.core.v1.Namespace,
      selector: Record<string, string>,
      port: number,
      targetPort: number,
    ) =>
      new k8s.core.v1.Service(
        `${name}-${endpoint}-lb`,
        {
          metadata: {
            name: `${endpoint}-internal`,
            namespace,
            labels: {
              "app.kubernetes.io/part-of": "platform-observability",
              "platform.io/endpoint": endpoint,
            },
            annotations: sg.id.apply((id) => internalLoadBalancerAnnotations(id)),
          },
          spec: {
            type: "LoadBalancer",
            loadBalancerClass: "service.k8s.aws/nlb",
            selector,
            ports: [{ name: endpoint, port, targetPort, protocol: "TCP" }],
          },
        },
        { ...k8sOpts, dependsOn: [nsResource, ...lbDependencies] },
      );
    const hostOf = (svc: k8s.core.v1.Service) => svc.status.loadBalancer.ingress[0].hostname;

    const prometheusLb = loadBalancer(
      "prometheus",
      namespaces.monitoring,
      monitoring,
      { "app.kubernetes.io/name": "prometheus", "operator.prometheus.io/name": names.prometheusCr },
      ports.prometheus,
      ports.prometheus,
    );
    const grafanaLb = loadBalancer(
      "grafana",
      namespaces.monitoring,
      monitoring,
      { "app.kubernetes.io/name": "grafana", "app.kubernetes.io/instance": names.prometheusStack },
      ports.grafana,
      ports.grafanaTarget,
    );
    const elasticsearchLb = loadBalancer(
      "elasticsearch",
      namespaces.logging,
      logging,
      {
        "common.k8s.elastic.co/type": "elasticsearch",
        "elasticsearch.k8s.elastic.co/cluster-name": names.elastic,
      },
      ports.elasticsearch,
      ports.elasticsearch,
    );
    const kibanaLb = loadBalancer(
      "kibana",
      namespaces.logging,
      logging,
      { "common.k8s.elastic.co/type": "kibana", "kibana.k8s.elastic.co/name": names.elastic },
      ports.kibana,
      ports.kibana,
    );

    // --- Credentials ----------------------------------------------------------------------------
    const grafanaAdmin = credentialSecret(
      `${name}-grafana-admin`,
      {
        namespace: namespaces.monitoring,
        secretName: "grafana-admin",
        username: "admin",
        password: args.grafanaAdminPassword,
        usernameKey: "admin-user",
        passwordKey: "admin-password",
      },
      inMonitoring,
    );
    this.grafanaAdminPassword = grafanaAdmin.password;
    // ECK file realm: a kubernetes.io/basic-auth Secret with username, password and roles.
    // https://www.elastic.co/docs/deploy-manage/users-roles/cluster-or-deployment-auth/file-based
    const shipper = credentialSecret(
      `${name}-log-shipper`,
      {
        namespace: namespaces.logging,
        secretName: `${names.logShipperUser}-user`,
        username: names.logShipperUser,
        password: args.logShipperPassword,
        type: "kubernetes.io/basic-auth",
        extra: { roles: names.logShipperRole },
      },
      inLogging,
    );
    this.logShipperPassword = shipper.password;
    const roles = new k8s.core.v1.Secret(
      `${name}-log-shipper-roles`,
      {
        metadata: { name: `${names.logShipperRole}-roles`, namespace: namespaces.logging },
        stringData: { "roles.yml": logShipperRolesYaml() },
      },
      inLogging,
    );
    const grafanaEs = new k8s.core.v1.Secret(
      `${name}-grafana-elasticsearch`,
      {
        metadata: { name: "grafana-elasticsearch", namespace: namespaces.monitoring },
        stringData: { username: names.logShipperUser, password: shipper.password },
      },
      inMonitoring,
    );
    const receivers = args.alertReceivers ?? [];
    const receiverUrls = new k8s.core.v1.Secret(
      `${name}-alertmanager-receivers`,
      {
        metadata: { name: receiverUrlsSecret, namespace: namespaces.monitoring },
        stringData: pulumi.secret(Object.fromEntries(receivers.map((r) => [receiverUrlKey(r), r.url]))),
      },
      inMonitoring,
    );

    // --- Elasticsearch and Kibana (ECK) -------------------------------------------------------
    const eck = release(
      `${name}-eck-operator`,
      versions.eckOperator,
      namespaces.logging,
      eckOperatorValues(production),
      inLogging,
    );
    const elasticsearch = new k8s.apiextensions.CustomResource(
      `${name}-elasticsearch`,
      {
        apiVersion: "elasticsearch.k8s.elastic.co/v1",
        kind: "Elasticsearch",
        metadata: { name: names.elastic, namespace: namespaces.logging },
        spec: hostOf(elasticsearchLb).apply((host) =>
          elasticsearchSpec({
            version: versions.elasticStack,
            nodeCount: args.elasticsearchNodeCount ?? hubDefaults.elasticsearchNodeCount,
            storageGiB: args.elasticsearchStorageGiB ?? hubDefaults.elasticsearchStorageGiB,
            memoryGiB: args.elasticsearchMemoryGiB ?? hubDefaults.elasticsearchMemoryGiB,
            storageClass,
            subjectAltNames: [host],
            fileRealmSecrets: [`${names.logShipperUser}-user`],
            rolesSecret: `${names.logShipperRole}-roles`,
          }),
        ),
      },
      { ...k8sOpts, dependsOn: [eck, shipper.secret, roles] },
    );
    new k8s.apiextensions.CustomResource(
      `${name}-kibana`,
      {
        apiVersion: "kibana.k8s.elastic.co/v1",
        kind: "Kibana",
        metadata: { name: names.elastic, namespace: namespaces.logging },
        spec: hostOf(kibanaLb).apply((host) =>
          kibanaSpec({
            version: versions.elasticStack,
            count: replicasFor(production),
            subjectAltNames: [host],
          }),
        ),
      },
      { ...k8sOpts, dependsOn: [eck, elasticsearch] },
    );
    const inClusterEs = `https://${names.elastic}-es-http.${namespaces.logging}.svc:${ports.elasticsearch}`;
    const nodeCount = args.elasticsearchNodeCount ?? hubDefaults.elasticsearchNodeCount;
    // ILM policy + index template, applied by a Job with the elastic superuser (idempotent PUTs).
    new k8s.batch.v1.Job(
      `${name}-ilm`,
      {
        metadata: { name: "elasticsearch-ilm-bootstrap", namespace: namespaces.logging },
        spec: {
          backoffLimit: 10,
          template: {
            metadata: { labels: { "app.kubernetes.io/name": "elasticsearch-ilm-bootstrap" } },
            spec: {
              restartPolicy: "OnFailure",
              automountServiceAccountToken: false,
              securityContext: {
                runAsNonRoot: true,
                runAsUser: 1000,
                runAsGroup: 1000,
                seccompProfile: { type: "RuntimeDefault" },
              },
              containers: [
                {
                  name: "ilm",
                  image: elasticsearchImage,
                  command: ["/bin/bash", "-c"],
                  args: [
                    ilmBootstrapScript(
                      inClusterEs,
                      args.logRetentionDays ?? hubDefaults.logRetentionDays,
                      nodeCount > 1 ? 1 : 0,
                    ),
                  ],
                  env: [
                    {
                      name: "ELASTIC_PASSWORD",
                      valueFrom: {
                        secretKeyRef: { name: `${names.elastic}-es-elastic-user`, key: "elastic" },
                      },
                    },
                  ],
                  volumeMounts: [{ name: "ca", mountPath: "/ca", readOnly: true }],
                  resources: resourceDefaults.job,
                  securityContext: {
                    allowPrivilegeEscalation: false,
                    capabilities: { drop: ["ALL"] },
                    runAsNonRoot: true,
                    readOnlyRootFilesystem: true,
                  },
                },
              ],
              volumes: [{ name: "ca", secret: { secretName: `${names.elastic}-es-http-certs-public` } }],
            },
          },
        },
      },
      { ...k8sOpts, dependsOn: [elasticsearch], customTimeouts: { create: "30m", update: "30m" } },
    );

    // --- Metrics: kube-prometheus-stack --------------------------------------------------------
    release(
      `${name}-prometheus-stack`,
      versions.kubePrometheusStack,
      namespaces.monitoring,
      hubPrometheusStackValues({
        clusterName: args.clusterName,
        production,
        retention: args.prometheusRetention ?? hubDefaults.prometheusRetention,
        storageGiB: args.prometheusStorageGiB ?? hubDefaults.prometheusStorageGiB,
        storageClass,
        receivers,
        grafanaAdminSecret: "grafana-admin",
        elasticsearchUrl: inClusterEs,
        elasticsearchCredentialsSecret: "grafana-elasticsearch",
      }),
      {
        ...k8sOpts,
        dependsOn: [
          monitoring,
          grafanaAdmin.secret,
          grafanaEs,
          receiverUrls,
          ...(args.storageDependsOn ?? []),
        ],
      },
      names.prometheusStack,
    );

    // --- The hub's own logs ----------------------------------------------------------------------
    logShipperRelease(
      name,
      {
        namespace: namespaces.logging,
        clusterName: args.clusterName,
        esHost: `${names.elastic}-es-http.${namespaces.logging}.svc`,
        credentialsSecret: `${names.logShipperUser}-user`,
        caSecret: `${names.elastic}-es-http-certs-public`,
      },
      { ...k8sOpts, dependsOn: [elasticsearch, shipper.secret] },
    );

    this.prometheusRemoteWriteUrl = hostOf(prometheusLb).apply(remoteWriteUrl);
    this.elasticsearchUrl = pulumi.interpolate`https://${hostOf(elasticsearchLb)}:${ports.elasticsearch}`;
    this.grafanaUrl = pulumi.interpolate`http://${hostOf(grafanaLb)}`;
    this.kibanaUrl = pulumi.interpolate`https://${hostOf(kibanaLb)}:${ports.kibana}`;

    this.registerOutputs({
      endpointsSecurityGroupId: this.endpointsSecurityGroupId,
      prometheusRemoteWriteUrl: this.prometheusRemoteWriteUrl,
      elasticsearchUrl: this.elasticsearchUrl,
      grafanaUrl: this.grafanaUrl,
      kibanaUrl: this.kibanaUrl,
      logShipperPassword: this.logShipperPassword,
      grafanaAdminPassword: this.grafanaAdminPassword,
    });
  }
}
