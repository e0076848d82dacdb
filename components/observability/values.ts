/**
 * Pure logic of the observability capability: Helm values, ECK specs, Fluent Bit configuration,
 * Alertmanager routing, ILM policy and load balancer annotations. No resources are created here, so
 * everything is tested without mocks. Value keys follow each chart's values.yaml at the version
 * pinned in versions.ts.
 */
import { stringify } from "yaml";
import { replicasFor, restrictedContainer } from "../shared/kubernetes";
import { alertmanagerConfig, receiverUrlsSecret, type AlertReceiver } from "../alerting/values";
import { fluxKubeStateMetricsValues } from "./flux-metrics";

/** Namespaces (shared names, see docs/CONVENTIONS). */
export const namespaces = { monitoring: "monitoring", logging: "logging" } as const;

/** Names the components give to things other parts (and spokes) rely on. */
export const names = {
  /** Helm release (and fullnameOverride) of kube-prometheus-stack. */
  prometheusStack: "kube-prometheus-stack",
  /** Prometheus custom resource created by the chart: `<fullname>-prometheus`. */
  prometheusCr: "kube-prometheus-stack-prometheus",
  /** Grafana fullname (the subchart's fullnameOverride). */
  grafana: "grafana",
  /** Elasticsearch and Kibana custom resources (ECK derives `logs-es-http`, `logs-es-elastic-user`, ...). */
  elastic: "logs",
  /** The file-realm user Fluent Bit ships logs with. */
  logShipperUser: "log-shipper",
  /** The Elasticsearch role of that user. */
  logShipperRole: "log-shipper",
  /** Index prefix family of all shipped logs (`k8s-<cluster>-YYYY.MM.DD`). Not `logs-*-*`: that is a built-in data stream template. */
  indexFamily: "k8s",
  /** ILM policy and index template applied to the index family. */
  ilmPolicy: "k8s-logs",
} as const;

/** Ports of the hub endpoints behind the internal load balancers. */
export const ports = {
  prometheus: 9090,
  elasticsearch: 9200,
  grafana: 80,
  grafanaTarget: 3000,
  kibana: 5601,
} as const;

/** CPU and memory requests and limits of a container. */
export interface Resources {
  requests: { cpu: string; memory: string };
  limits: { cpu?: string; memory: string };
}

/** Requests/limits of the platform's observability containers. */
export const resourceDefaults = {
  prometheusOperator: { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "512Mi" } },
  prometheus: { requests: { cpu: "500m", memory: "2Gi" }, limits: { memory: "4Gi" } },
  prometheusAgent: { requests: { cpu: "200m", memory: "512Mi" }, limits: { memory: "1Gi" } },
  alertmanager: { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "256Mi" } },
  grafana: { requests: { cpu: "100m", memory: "256Mi" }, limits: { memory: "512Mi" } },
  kubeStateMetrics: { requests: { cpu: "50m", memory: "128Mi" }, limits: { memory: "512Mi" } },
  nodeExporter: { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "128Mi" } },
  eckOperator: { requests: { cpu: "100m", memory: "150Mi" }, limits: { cpu: "1", memory: "1Gi" } },
  kibana: { requests: { cpu: "500m", memory: "1Gi" }, limits: { memory: "1Gi" } },
  fluentBit: { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "256Mi" } },
  job: { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "128Mi" } },
} satisfies Record<string, Resources>;

// ---------------------------------------------------------------------------------------------
// Load balancers

/**
 * Annotations of a Service of type LoadBalancer that the AWS Load Balancer Controller turns into an
 * internal NLB with IP targets, fronted by the given security group.
 * https://kubernetes-sigs.github.io/aws-load-balancer-controller/latest/guide/service/annotations/
 */
export function internalLoadBalancerAnnotations(securityGroupId: string): Record<string, string> {
  return {
    "service.beta.kubernetes.io/aws-load-balancer-type": "external",
    "service.beta.kubernetes.io/aws-load-balancer-scheme": "internal",
    "service.beta.kubernetes.io/aws-load-balancer-nlb-target-type": "ip",
    "service.beta.kubernetes.io/aws-load-balancer-security-groups": securityGroupId,
    // With our own security group, the controller must still open the pods' ENIs to the NLB.
    "service.beta.kubernetes.io/aws-load-balancer-manage-backend-security-group-rules": "true",
    "service.beta.kubernetes.io/aws-load-balancer-cross-zone-load-balancing-enabled": "true",
  };
}

/**
 * The base URL of the hub's remote-write gateway reached at `host` (TLS with the telemetry CA on
 * 9090); a spoke writes to `<base>/spokes/<spoke>/api/v1/write` ({@link spokeRemoteWriteUrl}).
 */
export function remoteWriteUrl(host: string): string {
  return `https://${host}:${ports.prometheus}`;
}

/** A spoke's name at the hub (remote-write path, users): its cluster name, lowercased, `[a-z0-9-]` only. */
export function spokeTelemetryName(clusterName: string): string {
  return clusterName.toLowerCase().replace(/[^a-z0-9-]/g, "-");
}

/** Where a spoke remote-writes: its own path on the gateway (nginx checks that spoke's users file). */
export function spokeRemoteWriteUrl(base: string, clusterName: string): string {
  return `${base.replace(/\/+$/, "")}/spokes/${spokeTelemetryName(clusterName)}/api/v1/write`;
}

/** Secrets a spoke's Prometheus agent authenticates to the hub with (namespace `monitoring`). */
export const remoteWriteSecrets = { credentials: "remote-write-credentials", ca: "telemetry-ca" } as const;

/** The host name of an URL (`https://x.elb.amazonaws.com:9200` -> `x.elb.amazonaws.com`). */
export function hostOf(url: string): string {
  return new URL(url).hostname;
}

// ---------------------------------------------------------------------------------------------
// Alertmanager (receivers and routing live in the alerting capability)

export { alertmanagerConfig, receiverUrlsSecret, type AlertReceiver } from "../alerting/values";

// ---------------------------------------------------------------------------------------------
// kube-prometheus-stack

/** Inputs of {@link hubPrometheusStackValues}. */
export interface HubPrometheusValuesArgs {
  readonly clusterName: string;
  readonly production: boolean;
  /** Prometheus retention, a Prometheus duration such as `15d`. */
  readonly retention: string;
  /** Prometheus volume size, GiB. */
  readonly storageGiB: number;
  /** StorageClass of the volumes. */
  readonly storageClass: string;
  readonly receivers: readonly AlertReceiver[];
  /** Receiver of what no other route takes. @default the first receiver */
  readonly defaultReceiver?: string;
  /** Secret with the Grafana admin user and password (keys `admin-user`, `admin-password`). */
  readonly grafanaAdminSecret: string;
  /** In-cluster URL of Elasticsearch for Grafana's data source. */
  readonly elasticsearchUrl: string;
  /** Secret in `monitoring` with `username` and `password` Grafana queries Elasticsearch with. */
  readonly elasticsearchCredentialsSecret: string;
  /**
   * Data links of the Elasticsearch data source (a log field that opens another data source, e.g. a
   * `trace_id` opening Tempo). https://grafana.com/docs/grafana/latest/datasources/elasticsearch/configure/#data-links
   * @default []
   */
  readonly elasticsearchDataLinks?: readonly Readonly<Record<string, string>>[];
}

/**
 * Values of the hub's kube-prometheus-stack: a full Prometheus that also receives remote writes from
 * the spokes, Alertmanager with receivers from config, Grafana with an existing admin Secret and
 * Prometheus + Elasticsearch data sources, dashboards with a cluster filter.
 */
export function hubPrometheusStackValues(args: HubPrometheusValuesArgs): Record<string, unknown> {
  const replicas = replicasFor(args.production);
  return {
    fullnameOverride: names.prometheusStack,
    cleanPrometheusOperatorObjectNames: false,
    crds: { enabled: true },
    defaultRules: { create: true },
    prometheusOperator: { resources: resourceDefaults.prometheusOperator },
    // Flux objects' state as gotk_resource_info (FluxReconciliationFailing reads it).
    "kube-state-metrics": { resources: resourceDefaults.kubeStateMetrics, ...fluxKubeStateMetricsValues() },
    "prometheus-node-exporter": { resources: resourceDefaults.nodeExporter },
    prometheus: {
      agentMode: false,
      podDisruptionBudget: { enabled: false },
      prometheusSpec: {
        // One replica: spokes remote-write through one load balancer, so a second replica would hold
        // a different half of their series (see docs/observability.md).
        replicas: 1,
        retention: args.retention,
        enableRemoteWriteReceiver: true,
        externalLabels: { cluster: args.clusterName },
        // Pick up ServiceMonitors/rules of every release, not only this chart's.
        serviceMonitorSelectorNilUsesHelmValues: false,
        podMonitorSelectorNilUsesHelmValues: false,
        ruleSelectorNilUsesHelmValues: false,
        resources: resourceDefaults.prometheus,
        storageSpec: {
          volumeClaimTemplate: {
            spec: {
              storageClassName: args.storageClass,
              accessModes: ["ReadWriteOnce"],
              resources: { requests: { storage: `${args.storageGiB}Gi` } },
            },
          },
        },
      },
    },
    alertmanager: {
      enabled: true,
      config: alertmanagerConfig(args.receivers, args.defaultReceiver),
      podDisruptionBudget: { enabled: args.production, minAvailable: 1 },
      alertmanagerSpec: {
        replicas,
        secrets: [receiverUrlsSecret],
        resources: resourceDefaults.alertmanager,
        storage: {
          volumeClaimTemplate: {
            spec: {
              storageClassName: args.storageClass,
              accessModes: ["ReadWriteOnce"],
              resources: { requests: { storage: "10Gi" } },
            },
          },
        },
      },
    },
    grafana: {
      enabled: true,
      fullnameOverride: names.grafana,
      // One replica: Grafana's default SQLite database is per pod (sessions, users); HA needs an external database.
      replicas: 1,
      resources: resourceDefaults.grafana,
      admin: {
        existingSecret: args.grafanaAdminSecret,
        userKey: "admin-user",
        passwordKey: "admin-password",
      },
      persistence: { enabled: true, storageClassName: args.storageClass, size: "10Gi" },
      sidecar: {
        dashboards: { enabled: true, multicluster: { global: { enabled: true }, etcd: { enabled: true } } },
        datasources: { enabled: true },
      },
      additionalDataSources: [
        {
          name: "Elasticsearch",
          uid: "elasticsearch",
          type: "elasticsearch",
          access: "proxy",
          url: args.elasticsearchUrl,
          basicAuth: true,
          basicAuthUser: "$ES_USER",
          editable: false,
          // In-cluster hop to ECK's self-signed endpoint: its CA Secret lives in another namespace
          // (see docs/observability.md); spokes verify the CA, Grafana does not.
          jsonData: {
            index: `${names.indexFamily}-*`,
            timeField: "@timestamp",
            logMessageField: "log",
            tlsSkipVerify: true,
            ...(args.elasticsearchDataLinks?.length ? { dataLinks: [...args.elasticsearchDataLinks] } : {}),
          },
          secureJsonData: { basicAuthPassword: "$ES_PASSWORD" },
        },
      ],
      // Grafana expands $VAR in provisioning files from its environment: the values hold no credential.
      envValueFrom: {
        ES_USER: { secretKeyRef: { name: args.elasticsearchCredentialsSecret, key: "username" } },
        ES_PASSWORD: { secretKeyRef: { name: args.elasticsearchCredentialsSecret, key: "password" } },
      },
    },
  };
}

/** Inputs of {@link spokePrometheusAgentValues}. */
export interface SpokePrometheusValuesArgs {
  readonly clusterName: string;
  readonly production: boolean;
  /** The spoke's remote-write URL on the hub's gateway ({@link spokeRemoteWriteUrl}). */
  readonly remoteWriteUrl: string;
  readonly storageClass: string;
}

/**
 * Values of a spoke's kube-prometheus-stack: Prometheus in agent mode (scrape and forward only, no
 * rules, no alerting, no Grafana), every series labelled `cluster`, remote-written to the hub.
 */
export function spokePrometheusAgentValues(args: SpokePrometheusValuesArgs): Record<string, unknown> {
  return {
    fullnameOverride: names.prometheusStack,
    cleanPrometheusOperatorObjectNames: false,
    crds: { enabled: true },
    // Rules are evaluated on the hub (an agent cannot evaluate them); the hub's rules see every cluster.
    defaultRules: { create: false },
    alertmanager: { enabled: false },
    grafana: { enabled: false },
    prometheusOperator: { resources: resourceDefaults.prometheusOperator },
    // Flux objects' state as gotk_resource_info (FluxReconciliationFailing reads it).
    "kube-state-metrics": { resources: resourceDefaults.kubeStateMetrics, ...fluxKubeStateMetricsValues() },
    "prometheus-node-exporter": { resources: resourceDefaults.nodeExporter },
    prometheus: {
      agentMode: true,
      podDisruptionBudget: { enabled: false },
      prometheusSpec: {
        // One agent: two would send every series twice (the hub does not deduplicate).
        replicas: 1,
        externalLabels: { cluster: args.clusterName },
        serviceMonitorSelectorNilUsesHelmValues: false,
        podMonitorSelectorNilUsesHelmValues: false,
        resources: resourceDefaults.prometheusAgent,
        remoteWrite: [
          {
            url: args.remoteWriteUrl,
            // Basic auth with the spoke's own credential, TLS verified with the hub's telemetry CA.
            basicAuth: {
              username: { name: remoteWriteSecrets.credentials, key: "username" },
              password: { name: remoteWriteSecrets.credentials, key: "password" },
            },
            tlsConfig: { ca: { secret: { name: remoteWriteSecrets.ca, key: "ca.crt" } } },
            queueConfig: { maxSamplesPerSend: 2000, capacity: 10000, maxShards: 50 },
          },
        ],
        // The WAL survives restarts, so a hub outage of a few hours loses nothing.
        storageSpec: {
          volumeClaimTemplate: {
            spec: {
              storageClassName: args.storageClass,
              accessModes: ["ReadWriteOnce"],
              resources: { requests: { storage: "20Gi" } },
            },
          },
        },
      },
    },
  };
}

// ---------------------------------------------------------------------------------------------
// ECK

/** Values of the eck-operator chart. */
export function eckOperatorValues(production: boolean): Record<string, unknown> {
  return {
    installCRDs: true,
    replicaCount: replicasFor(production),
    podDisruptionBudget: { enabled: production, minAvailable: 1 },
    resources: resourceDefaults.eckOperator,
    podSecurityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
    securityContext: restrictedContainer,
    managedNamespaces: [namespaces.logging],
    config: { logVerbosity: "0" },
  };
}

/** Inputs of {@link elasticsearchSpec}. */
export interface ElasticsearchSpecArgs {
  readonly version: string;
  readonly nodeCount: number;
  readonly storageGiB: number;
  readonly memoryGiB: number;
  readonly storageClass: string;
  /** Secret of the HTTP certificate (`tls.crt`, `tls.key`, `ca.crt`) issued by the telemetry CA. */
  readonly httpCertificateSecret: string;
  /** Secret of the log-shipper file-realm user (type kubernetes.io/basic-auth with `roles`). */
  readonly fileRealmSecrets: readonly string[];
  /** Secret with `roles.yml`. */
  readonly rolesSecret: string;
}

/**
 * The spec of the `elasticsearch.k8s.elastic.co/v1` Elasticsearch: one node set of `nodeCount`
 * master+data nodes on gp3 volumes, memory requests = limits (the JVM heap is derived from it),
 * HTTP TLS on with the certificate the platform's telemetry CA issues (spokes verify it with the
 * CA from the hub's outputs), the file-realm log-shipper user.
 * https://www.elastic.co/docs/deploy-manage/deploy/cloud-on-k8s/elasticsearch-configuration
 */
export function elasticsearchSpec(args: ElasticsearchSpecArgs): Record<string, unknown> {
  return {
    version: args.version,
    http: { tls: { certificate: { secretName: args.httpCertificateSecret } } },
    auth: {
      fileRealm: args.fileRealmSecrets.map((secretName) => ({ secretName })),
      roles: [{ secretName: args.rolesSecret }],
    },
    nodeSets: [
      {
        name: "default",
        count: args.nodeCount,
        // No mmap: no privileged init container raising vm.max_map_count.
        config: { "node.store.allow_mmap": false },
        podTemplate: {
          spec: {
            securityContext: {
              runAsNonRoot: true,
              fsGroup: 1000,
              seccompProfile: { type: "RuntimeDefault" },
            },
            containers: [
              {
                name: "elasticsearch",
                resources: {
                  requests: { cpu: "500m", memory: `${args.memoryGiB}Gi` },
                  limits: { memory: `${args.memoryGiB}Gi` },
                },
                securityContext: {
                  allowPrivilegeEscalation: false,
                  capabilities: { drop: ["ALL"] },
                  runAsNonRoot: true,
                },
              },
            ],
          },
        },
        volumeClaimTemplates: [
          {
            metadata: { name: "elasticsearch-data" },
            spec: {
              accessModes: ["ReadWriteOnce"],
              storageClassName: args.storageClass,
              resources: { requests: { storage: `${args.storageGiB}Gi` } },
            },
          },
        ],
      },
    ],
  };
}

/** The spec of the `kibana.k8s.elastic.co/v1` Kibana, connected to {@link names.elastic}. */
export function kibanaSpec(args: {
  version: string;
  count: number;
  subjectAltNames: readonly string[];
}): Record<string, unknown> {
  return {
    version: args.version,
    count: args.count,
    elasticsearchRef: { name: names.elastic },
    http: {
      tls: {
        selfSignedCertificate: {
          disabled: false,
          subjectAltNames: args.subjectAltNames.map((dns) => ({ dns })),
        },
      },
    },
    podTemplate: {
      spec: {
        securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
        containers: [
          {
            name: "kibana",
            resources: resourceDefaults.kibana,
            securityContext: {
              allowPrivilegeEscalation: false,
              capabilities: { drop: ["ALL"] },
              runAsNonRoot: true,
            },
          },
        ],
      },
    },
  };
}

/** The `roles.yml` of the log-shipper role: write daily indices of the index family, nothing else. */
export function logShipperRolesYaml(): string {
  return stringify({
    [names.logShipperRole]: {
      cluster: ["monitor"],
      indices: [
        {
          names: [`${names.indexFamily}-*`],
          privileges: ["create_doc", "create_index", "auto_configure", "view_index_metadata", "read"],
        },
      ],
    },
  });
}

/** The ILM policy: roll nothing (daily indices), delete an index `days` after creation. */
export function ilmPolicy(days: number): Record<string, unknown> {
  return {
    policy: {
      phases: {
        hot: { min_age: "0ms", actions: { set_priority: { priority: 100 } } },
        delete: { min_age: `${days}d`, actions: { delete: { delete_searchable_snapshot: true } } },
      },
    },
  };
}

/** The index template that attaches the ILM policy to every shipped index. */
function logIndexTemplate(replicas: number): Record<string, unknown> {
  return {
    index_patterns: [`${names.indexFamily}-*`],
    priority: 200,
    template: {
      settings: { "index.lifecycle.name": names.ilmPolicy, "index.number_of_replicas": replicas },
    },
  };
}

/** The shell script of the ILM bootstrap Job (idempotent PUTs, retried until Elasticsearch answers). */
export function ilmBootstrapScript(esUrl: string, days: number, replicas: number): string {
  const policy = JSON.stringify(ilmPolicy(days));
  const template = JSON.stringify(logIndexTemplate(replicas));
  return [
    "set -eu",
    `ES='${esUrl}'`,
    `CURL="curl -sS --fail --cacert /ca/ca.crt -u elastic:$ELASTIC_PASSWORD -H Content-Type:application/json"`,
    `until $CURL "$ES/_cluster/health?wait_for_status=yellow&timeout=30s" >/dev/null; do echo waiting for Elasticsearch; sleep 10; done`,
    `$CURL -X PUT "$ES/_ilm/policy/${names.ilmPolicy}" -d '${policy}'`,
    `$CURL -X PUT "$ES/_index_template/${names.ilmPolicy}" -d '${template}'`,
    `echo done`,
  ].join("\n");
}

// ---------------------------------------------------------------------------------------------
// Fluent Bit

/** Inputs of {@link fluentBitValues}. */
export interface FluentBitValuesArgs {
  readonly clusterName: string;
  /** Elasticsearch host name. */
  readonly esHost: string;
  /** Elasticsearch port. @default 9200 */
  readonly esPort?: number;
  /** Secret with `username` and `password` of the shipping user. */
  readonly credentialsSecret: string;
  /** Secret with the Elasticsearch CA (`ca.crt`); without it TLS is on but the server is not verified. */
  readonly caSecret?: string;
}

/** The lowercase index prefix of a cluster's container logs (`k8s-<cluster>`). */
export function indexPrefix(clusterName: string): string {
  return `${names.indexFamily}-${clusterName.toLowerCase().replace(/[^a-z0-9-]/g, "-")}`;
}

function esOutput(match: string, prefix: string, args: FluentBitValuesArgs): string {
  const lines = [
    "[OUTPUT]",
    "    Name es",
    `    Match ${match}`,
    `    Host ${args.esHost}`,
    `    Port ${args.esPort ?? ports.elasticsearch}`,
    "    HTTP_User ${ES_USER}",
    "    HTTP_Passwd ${ES_PASSWORD}",
    "    tls On",
    `    tls.verify ${args.caSecret ? "On" : "Off"}`,
    ...(args.caSecret ? ["    tls.ca_file /fluent-bit/tls/ca.crt"] : []),
    "    Logstash_Format On",
    `    Logstash_Prefix ${prefix}`,
    "    Suppress_Type_Name On",
    "    Replace_Dots On",
    "    Trace_Error On",
    "    Retry_Limit False",
    "    storage.total_limit_size 1G",
  ];
  return lines.join("\n");
}

/**
 * Values of the fluent-bit chart: a DaemonSet tailing container logs and the kubelet journal,
 * enriched with Kubernetes metadata and a `cluster` field, shipped to Elasticsearch over TLS with
 * basic auth (credentials from a Secret, as environment variables).
 * https://docs.fluentbit.io/manual/pipeline/outputs/elasticsearch
 */
export function fluentBitValues(args: FluentBitValuesArgs): Record<string, unknown> {
  const prefix = indexPrefix(args.clusterName);
  return {
    kind: "DaemonSet",
    resources: resourceDefaults.fluentBit,
    // Root without capabilities: reads the root-owned files under /var/log, can do nothing else.
    podSecurityContext: { seccompProfile: { type: "RuntimeDefault" } },
    securityContext: {
      runAsUser: 0,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ["ALL"] },
    },
    tolerations: [{ operator: "Exists" }],
    priorityClassName: "system-node-critical",
    env: [
      { name: "ES_USER", valueFrom: { secretKeyRef: { name: args.credentialsSecret, key: "username" } } },
      { name: "ES_PASSWORD", valueFrom: { secretKeyRef: { name: args.credentialsSecret, key: "password" } } },
    ],
    extraVolumes: args.caSecret
      ? [{ name: "es-ca", secret: { secretName: args.caSecret, items: [{ key: "ca.crt", path: "ca.crt" }] } }]
      : [],
    extraVolumeMounts: args.caSecret ? [{ name: "es-ca", mountPath: "/fluent-bit/tls", readOnly: true }] : [],
    config: {
      service: [
        "[SERVICE]",
        "    Daemon Off",
        "    Flush {{ .Values.flush }}",
        "    Log_Level {{ .Values.logLevel }}",
        "    Parsers_File /fluent-bit/etc/parsers.conf",
        "    Parsers_File /fluent-bit/etc/conf/custom_parsers.conf",
        "    HTTP_Server On",
        "    HTTP_Listen 0.0.0.0",
        "    HTTP_Port {{ .Values.metricsPort }}",
        "    Health_Check On",
        "    storage.path /var/log/flb-storage/",
        "    storage.sync normal",
        "",
      ].join("\n"),
      inputs: [
        "[INPUT]",
        "    Name tail",
        "    Path /var/log/containers/*.log",
        "    multiline.parser docker, cri",
        "    Tag kube.*",
        "    DB /var/log/flb_kube.db",
        "    Mem_Buf_Limit 5MB",
        "    Skip_Long_Lines On",
        "    storage.type filesystem",
        "",
        "[INPUT]",
        "    Name systemd",
        "    Tag host.*",
        "    Systemd_Filter _SYSTEMD_UNIT=kubelet.service",
        "    Systemd_Filter _SYSTEMD_UNIT=containerd.service",
        "    Read_From_Tail On",
        "    storage.type filesystem",
        "",
      ].join("\n"),
      filters: [
        "[FILTER]",
        "    Name kubernetes",
        "    Match kube.*",
        "    Merge_Log On",
        "    Keep_Log Off",
        "    K8S-Logging.Parser On",
        "    K8S-Logging.Exclude On",
        "",
        "[FILTER]",
        "    Name record_modifier",
        "    Match *",
        `    Record cluster ${args.clusterName}`,
        "",
      ].join("\n"),
      outputs: [esOutput("kube.*", prefix, args), "", esOutput("host.*", `${prefix}-node`, args), ""].join(
        "\n",
      ),
    },
  };
}
