/**
 * Pure logic of the tracing add-on: pinned charts, names, the Tempo and OpenTelemetry Collector
 * values, the trace bucket's policies, Tempo's IAM policy and Grafana's Tempo data source. No
 * resources are created here, so everything is tested without mocks. Value keys follow each chart's
 * values.yaml at the pinned version (tests check them against ../shared/upstream/charts).
 */
import type { ChartPin } from "../shared/helm";
import type { PolicyDocument } from "../shared/aws";
import { replicasFor, restrictedContainer } from "../shared/kubernetes";

/**
 * Pinned charts. Tempo runs as one binary (chart `tempo`, Tempo 2.10.8): a hub receives the
 * traces of a handful of clusters, well within one process; `tempo-distributed` is the next step
 * when ingestion outgrows it (docs/tracing.md).
 */
export const TRACING_CHARTS = {
  /** https://github.com/grafana-community/helm-charts/tree/main/charts/tempo */
  tempo: { chart: "tempo", version: "2.2.4", repo: "https://grafana-community.github.io/helm-charts" },
  /** Collector 0.158.0. https://github.com/open-telemetry/opentelemetry-helm-charts/tree/main/charts/opentelemetry-collector */
  collector: {
    chart: "opentelemetry-collector",
    version: "0.170.0",
    repo: "https://open-telemetry.github.io/opentelemetry-helm-charts",
  },
} as const satisfies Record<string, ChartPin>;

/** Names other parts (Grafana, applications, spokes) rely on. */
export const tracingNames = {
  /** Namespace of Tempo (hub) and of every cluster's collector. */
  namespace: "tracing",
  /** Tempo's release, fullname and ServiceAccount (the Pod Identity subject). */
  tempo: "tempo",
  /** The collector's fullname: applications send OTLP to `otel-collector.tracing.svc:4317|4318`. */
  collector: "otel-collector",
  /** Uid of Grafana's Tempo data source (the Elasticsearch data source links to it). */
  dataSourceUid: "tempo",
  /** Uid of Grafana's Elasticsearch data source (components/observability). */
  logsDataSourceUid: "elasticsearch",
} as const;

/** Ports (OTLP per https://opentelemetry.io/docs/specs/otlp/#default-port). */
export const tracingPorts = { otlpGrpc: 4317, otlpHttp: 4318, tempoHttp: 3200 } as const;

/**
 * The collector's pods as a NetworkPolicy peer: tenant namespaces (default-deny egress) may send
 * OTLP to them, not to Tempo. The chart labels its pods `app.kubernetes.io/name: opentelemetry-collector`
 * (its `opentelemetry-collector.selectorLabels`, no `nameOverride` set here).
 */
export const traceCollectorPeer = {
  namespace: tracingNames.namespace,
  podLabels: { "app.kubernetes.io/name": "opentelemetry-collector" },
  ports: [tracingPorts.otlpGrpc, tracingPorts.otlpHttp],
} as const;

/** Module defaults of the tracing add-on (`retentionDays` and `walStorageGiB`: the hub's, applied by stacks/tracing.ts since the fields are hub-only). */
export const tracingDefaults = {
  /** Days Tempo keeps a trace block (compactor `block_retention`). */
  retentionDays: 14,
  /** Tempo's WAL volume, GiB (gp3, the cluster's default StorageClass). */
  walStorageGiB: 10,
  /** Days before S3 expires noncurrent versions of trace blocks and aborts stale multipart uploads. */
  noncurrentVersionDays: 7,
  kmsDeletionWindowDays: 30,
  resources: {
    tempo: { requests: { cpu: "250m", memory: "1Gi" }, limits: { memory: "2Gi" } },
    collector: { requests: { cpu: "100m", memory: "256Mi" }, limits: { memory: "512Mi" } },
  },
} as const;

/** The OTLP/HTTP endpoint of Tempo inside the hub cluster. */
export const inClusterTempoOtlpUrl = `http://${tracingNames.tempo}.${tracingNames.namespace}.svc:${tracingPorts.otlpHttp}`;

/** The OTLP/HTTP endpoint of Tempo behind the hub's internal NLB at `host`. */
export function tempoOtlpUrl(host: string): string {
  return `http://${host}:${tracingPorts.otlpHttp}`;
}

/** Inputs of {@link tempoValues}. */
export interface TempoValuesArgs {
  /** The trace bucket. */
  readonly bucket: string;
  /** AWS region of the bucket. */
  readonly region: string;
  /** Days a trace is kept. */
  readonly retentionDays: number;
  /** WAL volume, GiB. */
  readonly walStorageGiB: number;
}

/**
 * Values of the `tempo` chart: one Tempo process receiving OTLP (gRPC and HTTP only: no Jaeger or
 * Zipkin listeners), blocks in S3 with credentials from EKS Pod Identity (the AWS SDK chain, no
 * keys), the WAL on a volume so a restart loses nothing, no usage reporting, restricted security
 * context. https://grafana.com/docs/tempo/latest/configuration/hosted-storage/s3/
 */
export function tempoValues(args: TempoValuesArgs): Record<string, unknown> {
  return {
    fullnameOverride: tracingNames.tempo,
    replicas: 1,
    tempo: {
      reportingEnabled: false,
      retention: `${args.retentionDays * 24}h`,
      resources: tracingDefaults.resources.tempo,
      securityContext: restrictedContainer,
      storage: {
        trace: {
          backend: "s3",
          s3: { bucket: args.bucket, endpoint: `s3.${args.region}.amazonaws.com`, region: args.region },
          wal: { path: "/var/tempo/wal" },
        },
      },
      receivers: {
        otlp: {
          protocols: {
            grpc: { endpoint: `0.0.0.0:${tracingPorts.otlpGrpc}` },
            http: { endpoint: `0.0.0.0:${tracingPorts.otlpHttp}` },
          },
        },
      },
    },
    securityContext: {
      runAsUser: 10001,
      runAsGroup: 10001,
      fsGroup: 10001,
      runAsNonRoot: true,
      seccompProfile: { type: "RuntimeDefault" },
    },
    serviceAccount: { create: true, name: tracingNames.tempo, automountServiceAccountToken: false },
    persistence: { enabled: true, accessModes: ["ReadWriteOnce"], size: `${args.walStorageGiB}Gi` },
  };
}

/** Inputs of {@link collectorValues}. */
export interface CollectorValuesArgs {
  /** EKS cluster name: the `k8s.cluster.name` attribute of every span. */
  readonly clusterName: string;
  /** Tempo's OTLP/HTTP endpoint (the hub's in-cluster Service, or its internal NLB from a spoke). */
  readonly tempoUrl: string;
  /** Production: 2 replicas and a PodDisruptionBudget. */
  readonly production: boolean;
}

/**
 * Values of the `opentelemetry-collector` chart: a Deployment (gateway) that receives OTLP from the
 * cluster's applications, adds Kubernetes attributes (pod, namespace, node: the same names Fluent
 * Bit gives logs, so a trace leads to its pod's logs) and `k8s.cluster.name`, and exports traces to
 * Tempo over OTLP/HTTP. Traces only: metrics and logs have their own shippers.
 * https://opentelemetry.io/docs/platforms/kubernetes/helm/collector/
 */
export function collectorValues(args: CollectorValuesArgs): Record<string, unknown> {
  const production = args.production;
  return {
    mode: "deployment",
    fullnameOverride: tracingNames.collector,
    image: { repository: "otel/opentelemetry-collector-k8s" },
    replicaCount: replicasFor(production),
    // The chart's PodDisruptionBudget template reads minAvailable (not in its values.yaml).
    podDisruptionBudget: production ? { enabled: true, minAvailable: 1 } : { enabled: false },
    resources: tracingDefaults.resources.collector,
    podSecurityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
    securityContext: restrictedContainer,
    presets: { kubernetesAttributes: { enabled: true } },
    ports: {
      "jaeger-compact": { enabled: false },
      "jaeger-thrift": { enabled: false },
      "jaeger-grpc": { enabled: false },
      zipkin: { enabled: false },
    },
    config: {
      receivers: {
        jaeger: null,
        zipkin: null,
        prometheus: null,
        otlp: {
          protocols: {
            grpc: { endpoint: `\${env:MY_POD_IP}:${tracingPorts.otlpGrpc}` },
            http: { endpoint: `\${env:MY_POD_IP}:${tracingPorts.otlpHttp}` },
          },
        },
      },
      processors: {
        resource: {
          attributes: [{ key: "k8s.cluster.name", value: args.clusterName, action: "upsert" }],
        },
      },
      exporters: {
        "otlphttp/tempo": {
          endpoint: args.tempoUrl,
          sending_queue: { enabled: true, queue_size: 5000 },
          retry_on_failure: { enabled: true, max_elapsed_time: "300s" },
        },
      },
      service: {
        pipelines: {
          logs: null,
          metrics: null,
          traces: {
            receivers: ["otlp"],
            processors: ["memory_limiter", "k8s_attributes", "resource", "batch"],
            exporters: ["otlphttp/tempo"],
          },
        },
      },
    },
  };
}

/**
 * Tempo's IAM policy: the object actions Tempo documents, on its bucket only, and the KMS key only
 * through S3 in the bucket's region. https://grafana.com/docs/tempo/latest/configuration/hosted-storage/s3/
 */
export function tempoPolicy(args: { bucketArn: string; keyArn: string; region: string }): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      { Sid: "ListTraceBucket", Effect: "Allow", Action: "s3:ListBucket", Resource: args.bucketArn },
      {
        Sid: "TraceBlocks",
        Effect: "Allow",
        Action: [
          "s3:PutObject",
          "s3:GetObject",
          "s3:DeleteObject",
          "s3:GetObjectTagging",
          "s3:PutObjectTagging",
        ],
        Resource: `${args.bucketArn}/*`,
      },
      {
        Sid: "TraceBucketKey",
        Effect: "Allow",
        Action: ["kms:GenerateDataKey", "kms:Decrypt"],
        Resource: args.keyArn,
        Condition: { StringEquals: { "kms:ViaService": `s3.${args.region}.amazonaws.com` } },
      },
    ],
  };
}

/**
 * Grafana's Tempo data source (a provisioning file the Grafana sidecar loads from a labelled
 * ConfigMap), linking each span to the Elasticsearch logs of its pod in the span's time window,
 * filtered by trace id when the application logs one.
 * https://grafana.com/docs/grafana/latest/datasources/tempo/configure-tempo-data-source/
 */
export function tempoDataSource(): Record<string, unknown> {
  return {
    apiVersion: 1,
    datasources: [
      {
        name: "Tempo",
        uid: tracingNames.dataSourceUid,
        type: "tempo",
        access: "proxy",
        url: `http://${tracingNames.tempo}.${tracingNames.namespace}.svc:${tracingPorts.tempoHttp}`,
        editable: false,
        jsonData: {
          tracesToLogsV2: {
            datasourceUid: tracingNames.logsDataSourceUid,
            spanStartTimeShift: "-5m",
            spanEndTimeShift: "5m",
            filterByTraceID: true,
            filterBySpanID: false,
            // Span attribute -> log field (Fluent Bit's kubernetes filter and record_modifier).
            tags: [
              { key: "k8s.cluster.name", value: "cluster" },
              { key: "k8s.namespace.name", value: "kubernetes.namespace_name" },
              { key: "k8s.pod.name", value: "kubernetes.pod_name" },
            ],
          },
          nodeGraph: { enabled: true },
          search: { hide: false },
        },
      },
    ],
  };
}

/**
 * The data link the Elasticsearch data source gets: a `trace_id` field of a log line (applications
 * that log it; OpenTelemetry's log correlation names it so) opens the trace in Tempo.
 * https://grafana.com/docs/grafana/latest/datasources/elasticsearch/configure/#data-links
 */
export const logsToTracesDataLink = {
  field: "trace_id",
  url: "${__value.raw}",
  datasourceUid: tracingNames.dataSourceUid,
} as const;
