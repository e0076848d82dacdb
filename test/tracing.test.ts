import { tlsOnlyBucketPolicy } from "../components/shared/aws";
import { strict as assert } from "node:assert";
import * as path from "node:path";
import { readFileSync } from "node:fs";
import * as k8s from "@pulumi/kubernetes";
import { parse } from "yaml";
import { recorded, setupMocks, type RecordedResource } from "./mocks";
import {
  TRACING_CHARTS,
  TracingHub,
  collectorValues,
  tempoDataSource,
  tempoPolicy,
  tempoValues,
} from "../components/tracing";
import { hubPrometheusStackValues } from "../components/observability";
import { traceCollectorPeer } from "../components/tracing/values";
import { ConfigError, loadConfig } from "../stacks/config";
import { tracingEnabled } from "../stacks/tracing";
import { planStack, type PlanResult } from "../tools/plan/run";
import { helmBinary, helmTemplate, undeclaredValues, upstreamValues, upstreamValuesSchema } from "./upstream";
import { minimalHub, minimalSpoke } from "./config-fixtures";

const repo = path.resolve(__dirname, "..");
const tempoChart = `tempo-${TRACING_CHARTS.tempo.version}`;
const collectorChart = `opentelemetry-collector-${TRACING_CHARTS.collector.version}`;
const tempoArgs = { bucket: "hub-traces-abc", region: "eu-west-1", retentionDays: 14, walStorageGiB: 10 };
const collectorArgs = { clusterName: "production-numinia", tempoUrl: "http://nlb:4318", production: true };

describe("add-on: tracing (OpenTelemetry Collector, Tempo)", function () {
  describe("values against the upstream charts", () => {
    it("sets only keys the tempo chart declares (storage, receivers and the pod security context are passed verbatim)", function () {
      const chart = upstreamValues(tempoChart);
      if (!chart) this.skip();
      assert.deepEqual(
        undeclaredValues(tempoValues(tempoArgs), chart, [
          "tempo.storage",
          "tempo.receivers",
          "securityContext",
        ]),
        [],
      );
    });

    it("sets only keys the opentelemetry-collector chart declares (config is the collector's own)", function () {
      const chart = upstreamValues(collectorChart);
      if (!chart) this.skip();
      const schema = upstreamValuesSchema(collectorChart);
      assert.deepEqual(
        undeclaredValues(
          collectorValues(collectorArgs),
          chart,
          // config is the collector's own; the PodDisruptionBudget template reads minAvailable.
          ["config", "podDisruptionBudget"],
          schema ? { root: schema } : undefined,
        ),
        [],
      );
    });

    it("renders Tempo with the S3 backend, OTLP receivers, and no usage reporting", function () {
      const helm = helmBinary();
      if (!helm || !upstreamValues(tempoChart)) this.skip();
      const objects = helmTemplate(helm, tempoChart, "tracing", tempoValues(tempoArgs));
      const configMap = objects.find((o) => o.kind === "ConfigMap" && o.metadata.name === "tempo")!;
      const config = parse(configMap.data["tempo.yaml"] as string) as Record<string, any>;
      assert.equal(config.storage.trace.backend, "s3");
      assert.deepEqual(config.storage.trace.s3, {
        bucket: "hub-traces-abc",
        endpoint: "s3.eu-west-1.amazonaws.com",
        region: "eu-west-1",
      });
      assert.deepEqual(config.distributor.receivers.otlp.protocols, {
        grpc: { endpoint: "0.0.0.0:4317" },
        http: { endpoint: "0.0.0.0:4318" },
      });
      assert.equal(config.usage_report.reporting_enabled, false);
      assert.equal(config.compactor.compaction.block_retention, "336h");
      const sts = objects.find((o) => o.kind === "StatefulSet")!;
      assert.equal(sts.spec.template.spec.serviceAccountName, "tempo");
      assert.equal(sts.spec.volumeClaimTemplates[0].spec.resources.requests.storage, "10Gi");
      const container = sts.spec.template.spec.containers[0];
      assert.equal(container.securityContext.readOnlyRootFilesystem, true);
      assert.equal(sts.spec.template.spec.securityContext.seccompProfile.type, "RuntimeDefault");
      const sa = objects.find((o) => o.kind === "ServiceAccount")!;
      assert.equal(sa.metadata.name, "tempo");
    });

    it("renders the collector as a 2-replica Deployment exporting traces only to Tempo, without host ports", function () {
      const helm = helmBinary();
      if (!helm || !upstreamValues(collectorChart)) this.skip();
      const objects = helmTemplate(helm, collectorChart, "tracing", collectorValues(collectorArgs));
      const deployment = objects.find((o) => o.kind === "Deployment")!;
      assert.equal(deployment.metadata.name, "otel-collector");
      assert.equal(deployment.spec.replicas, 2);
      const container = deployment.spec.template.spec.containers[0];
      assert.match(container.image as string, /^otel\/opentelemetry-collector-k8s:0\.158\.0$/);
      assert.ok((container.ports as { hostPort?: number }[]).every((p) => p.hostPort === undefined));
      assert.deepEqual(
        (container.ports as { containerPort: number }[]).map((p) => p.containerPort).sort(),
        [4317, 4318],
      );
      const configMap = objects.find((o) => o.kind === "ConfigMap")!;
      const config = parse(configMap.data.relay as string) as Record<string, any>;
      assert.deepEqual(Object.keys(config.service.pipelines as object), ["traces"]);
      assert.deepEqual(config.service.pipelines.traces.exporters, ["otlphttp/tempo"]);
      assert.ok(config.service.pipelines.traces.processors.includes("k8s_attributes"));
      assert.equal(config.exporters["otlphttp/tempo"].endpoint, "http://nlb:4318");
      assert.deepEqual(Object.keys(config.receivers as object), ["otlp"]);
      assert.deepEqual(config.processors.resource.attributes, [
        { key: "k8s.cluster.name", value: "production-numinia", action: "upsert" },
      ]);
      assert.equal(objects.find((o) => o.kind === "PodDisruptionBudget")!.spec.minAvailable, 1);
      assert.ok(
        objects.some((o) => o.kind === "ClusterRole"),
        "k8sattributes reads pods and namespaces",
      );
    });

    it("renders collector pods that tenant namespaces' allow-trace-export policy selects", function () {
      const helm = helmBinary();
      if (!helm || !upstreamValues(collectorChart)) this.skip();
      const objects = helmTemplate(
        helm,
        collectorChart,
        traceCollectorPeer.namespace,
        collectorValues(collectorArgs),
      );
      const deployment = objects.find((o) => o.kind === "Deployment")!;
      const labels = deployment.spec.template.metadata.labels as Record<string, string>;
      for (const [key, value] of Object.entries(traceCollectorPeer.podLabels))
        assert.equal(labels[key], value, key);
      const ports = (deployment.spec.template.spec.containers[0].ports as { containerPort: number }[]).map(
        (p) => p.containerPort,
      );
      for (const port of traceCollectorPeer.ports) assert.ok(ports.includes(port), String(port));
      // Tempo's pods (same namespace on the hub) are not selected: tenants reach the collector only.
      const tempo = helmTemplate(helm, tempoChart, "tracing", tempoValues(tempoArgs)).find(
        (o) => o.kind === "StatefulSet" || o.kind === "Deployment",
      )!;
      const tempoLabels = tempo.spec.template.metadata.labels as Record<string, string>;
      assert.ok(
        Object.entries(traceCollectorPeer.podLabels).some(([key, value]) => tempoLabels[key] !== value),
        JSON.stringify(tempoLabels),
      );
    });
  });

  describe("policies", () => {
    const bucketArn = "arn:aws:s3:::hub-traces-abc";
    const keyArn = "arn:aws:kms:eu-west-1:111122223333:key/k";

    it("Tempo's IAM policy names its bucket and its key (through S3 only), nothing else", () => {
      const doc = tempoPolicy({ bucketArn, keyArn, region: "eu-west-1" });
      const resources = doc.Statement.flatMap((s) => [s.Resource].flat());
      assert.deepEqual(resources.sort(), [bucketArn, `${bucketArn}/*`, keyArn].sort());
      const kms = doc.Statement.find((s) => s.Sid === "TraceBucketKey")!;
      assert.deepEqual(kms.Condition, { StringEquals: { "kms:ViaService": "s3.eu-west-1.amazonaws.com" } });
      assert.ok(doc.Statement.every((s) => s.Effect === "Allow" && ![s.Action].flat().includes("s3:*")));
    });

    it("the bucket policy refuses every request without TLS", () => {
      const [deny] = tlsOnlyBucketPolicy(bucketArn).Statement;
      assert.equal(deny.Effect, "Deny");
      assert.deepEqual(deny.Condition, { Bool: { "aws:SecureTransport": "false" } });
      assert.deepEqual(deny.Resource, [bucketArn, `${bucketArn}/*`]);
    });
  });

  describe("Grafana: traces linked to logs", () => {
    it("provisions a Tempo data source whose spans open their pod's logs in Elasticsearch", () => {
      const [ds] = tempoDataSource().datasources as Record<string, any>[];
      assert.equal(ds.type, "tempo");
      assert.equal(ds.url, "http://tempo.tracing.svc:3200");
      const link = ds.jsonData.tracesToLogsV2;
      assert.equal(link.datasourceUid, "elasticsearch");
      assert.equal(link.filterByTraceID, true);
      assert.deepEqual(
        link.tags.map((t: { key: string }) => t.key),
        ["k8s.cluster.name", "k8s.namespace.name", "k8s.pod.name"],
      );
    });

    it("gives the Elasticsearch data source a trace_id link to Tempo only when asked", () => {
      const base = {
        clusterName: "hub",
        production: true,
        retention: "15d",
        storageGiB: 100,
        storageClass: "gp3",
        receivers: [],
        grafanaAdminSecret: "grafana-admin",
        elasticsearchUrl: "https://logs-es-http.logging.svc:9200",
        elasticsearchCredentialsSecret: "grafana-elasticsearch",
      };
      const es = (v: Record<string, any>) => v.grafana.additionalDataSources[0].jsonData;
      assert.equal(es(hubPrometheusStackValues(base)).dataLinks, undefined);
      const link = { field: "trace_id", url: "${__value.raw}", datasourceUid: "tempo" };
      assert.deepEqual(es(hubPrometheusStackValues({ ...base, elasticsearchDataLinks: [link] })).dataLinks, [
        link,
      ]);
    });
  });

  describe("the hub component", () => {
    let all: RecordedResource[];
    const of = (type: string) => all.filter((r) => r.type === type);
    before(async () => {
      setupMocks({ stack: "hub" });
      new TracingHub("hub", {
        clusterName: "platform-hub",
        eksClusterName: "platform-hub",
        region: "eu-west-1",
        vpcCidr: "10.100.0.0/16",
        endpointsSecurityGroupId: "sg-endpoints",
        retentionDays: 14,
        walStorageGiB: 10,
        provider: new k8s.Provider("tracing-k8s", { kubeconfig: "{}" }),
        production: true,
        tags: { owner: "platform-team" },
      });
      all = await recorded();
    });

    it("keeps traces in a versioned, KMS-encrypted, non-public bucket that expires them after retention", () => {
      const [sse] = of(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
      );
      const rule = (sse.inputs.rules as Record<string, any>[])[0];
      assert.equal(rule.applyServerSideEncryptionByDefault.sseAlgorithm, "aws:kms");
      assert.match(rule.applyServerSideEncryptionByDefault.kmsMasterKeyId as string, /^arn:aws:kms:/);
      const [block] = of("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock");
      for (const flag of [
        "blockPublicAcls",
        "blockPublicPolicy",
        "ignorePublicAcls",
        "restrictPublicBuckets",
      ])
        assert.equal(block.inputs[flag], true, flag);
      const [versioning] = of("aws:s3/bucketVersioning:BucketVersioning");
      assert.equal((versioning.inputs.versioningConfiguration as Record<string, string>).status, "Enabled");
      const [lifecycle] = of("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration");
      const lifecycleRule = (lifecycle.inputs.rules as Record<string, any>[])[0];
      assert.equal(lifecycleRule.expiration.days, 15);
      assert.equal(lifecycleRule.abortIncompleteMultipartUpload.daysAfterInitiation, 1);
      const [policy] = of("aws:s3/bucketPolicy:BucketPolicy");
      assert.match(policy.inputs.policy as string, /aws:SecureTransport/);
      const [key] = of("aws:kms/key:Key");
      assert.equal(key.inputs.enableKeyRotation, true);
    });

    it("gives Tempo its role through EKS Pod Identity for tracing/tempo, with the bucket-scoped policy", () => {
      const [assoc] = of("aws:eks/podIdentityAssociation:PodIdentityAssociation");
      assert.equal(assoc.inputs.namespace, "tracing");
      assert.equal(assoc.inputs.serviceAccount, "tempo");
      const [rolePolicy] = of("aws:iam/rolePolicy:RolePolicy");
      const doc = JSON.parse(rolePolicy.inputs.policy as string) as { Statement: { Resource: string }[] };
      assert.ok(doc.Statement.every((s) => s.Resource !== "*"));
      const [role] = of("aws:iam/role:Role");
      assert.match(role.inputs.assumeRolePolicy as string, /pods\.eks\.amazonaws\.com/);
    });

    it("installs the pinned tempo and opentelemetry-collector charts in tracing", () => {
      const releases = of("kubernetes:helm.sh/v3:Release");
      const tempo = releases.find((r) => r.inputs.chart === "tempo")!;
      const collector = releases.find((r) => r.inputs.chart === "opentelemetry-collector")!;
      assert.equal(tempo.inputs.version, "2.2.4");
      assert.equal(collector.inputs.version, "0.170.0");
      assert.equal(tempo.inputs.namespace, "tracing");
      const values = collector.inputs.values as Record<string, any>;
      assert.equal(values.config.exporters["otlphttp/tempo"].endpoint, "http://tempo.tracing.svc:4318");
      assert.ok(collector.dependencies.includes(tempo.urn));
    });

    it("exposes Tempo's OTLP/HTTP port on an internal NLB behind the endpoints' security group", () => {
      const service = of("kubernetes:core/v1:Service").find((s) => s.name === "hub-tempo-lb")!;
      const annotations = (service.inputs.metadata as Record<string, any>).annotations;
      assert.equal(annotations["service.beta.kubernetes.io/aws-load-balancer-scheme"], "internal");
      assert.equal(
        annotations["service.beta.kubernetes.io/aws-load-balancer-security-groups"],
        "sg-endpoints",
      );
      assert.deepEqual(
        (service.inputs.spec as Record<string, any>).ports.map((p: { port: number }) => p.port),
        [4318],
      );
      const rules = of("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule");
      assert.deepEqual(
        rules.map((r) => [r.inputs.cidrIpv4, r.inputs.fromPort]),
        [["10.100.0.0/16", 4318]],
      );
    });

    it("provisions Grafana's Tempo data source as a sidecar ConfigMap in monitoring", () => {
      const [cm] = of("kubernetes:core/v1:ConfigMap");
      const metadata = cm.inputs.metadata as Record<string, any>;
      assert.equal(metadata.namespace, "monitoring");
      assert.equal(metadata.labels.grafana_datasource, "1");
      const file = parse((cm.inputs.data as Record<string, string>)["tempo.yaml"]) as Record<string, any>;
      assert.equal(file.datasources[0].uid, "tempo");
    });
  });

  describe("configuration", () => {
    const hub = minimalHub;
    const spoke = minimalSpoke;
    it("is on in production and off elsewhere unless set", () => {
      assert.equal(tracingEnabled(loadConfig({ ...hub, "platform:environment": "production" }, "hub")), true);
      assert.equal(tracingEnabled(loadConfig(hub, "hub")), false);
      assert.equal(
        tracingEnabled(loadConfig({ ...hub, "platform:tracing": '{"enabled":true}' }, "hub")),
        true,
      );
    });

    it("refuses the hub-only retention on a spoke, and unknown fields", () => {
      assert.throws(
        () => loadConfig({ ...spoke, "platform:tracing": '{"retentionDays":30}' }, "s"),
        (e: unknown) =>
          e instanceof ConfigError &&
          e.message ===
            "invalid configuration platform:tracing.retentionDays = 30: expected no value on a spoke (a hub-only field: Tempo stores every cluster's traces on the hub)",
      );
      assert.throws(
        () => loadConfig({ ...hub, "platform:tracing": '{"retention":30}' }, "hub"),
        (e: unknown) => e instanceof ConfigError && e.key === "platform:tracing.retention",
      );
    });
  });

  describe("in the plans", function () {
    const policyConfig = JSON.parse(
      readFileSync(path.join(repo, "policy/config/production.json"), "utf8"),
    ) as Record<string, unknown>;
    const off = { "platform:tracing": JSON.stringify({ enabled: false }) };
    const plans: Record<string, PlanResult> = {};
    before(async () => {
      plans.hub = await planStack("hub", { root: repo, policyConfig });
      plans.hubOff = await planStack("hub", { root: repo, policyConfig, configOverrides: off });
      plans.spoke = await planStack("spoke-prod", { root: repo, policyConfig });
      plans.spokeOff = await planStack("spoke-prod", { root: repo, policyConfig, configOverrides: off });
    });

    const underTracing = (plan: PlanResult, urn: string) => {
      const byUrn = new Map(plan.resources.map((r) => [r.urn, r]));
      for (let r = byUrn.get(urn); r; r = r.parent ? byUrn.get(r.parent) : undefined)
        if (r.type.startsWith("platform:tracing:")) return true;
      return false;
    };

    for (const [on, offPlan] of [
      ["hub", "hubOff"],
      ["spoke", "spokeOff"],
    ] as const) {
      it(`${on}: tracing planned with zero mandatory violations; disabling it removes all of its resources and nothing else`, () => {
        const plan = plans[on];
        assert.equal(plan.summary.mandatory, 0, JSON.stringify(plan.violations));
        assert.ok(plan.resources.some((r) => r.inputs.chart === "opentelemetry-collector"));
        const offUrns = new Set(plans[offPlan].resources.map((r) => r.urn));
        const onUrns = new Set(plan.resources.map((r) => r.urn));
        assert.ok(plans[offPlan].resources.every((r) => onUrns.has(r.urn)));
        assert.ok(!plans[offPlan].resources.some((r) => r.type.startsWith("platform:tracing:")));
        const removed = plan.resources.filter((r) => !offUrns.has(r.urn));
        assert.ok(removed.length > 2);
        // Besides tracing's own resources, only the tenant namespaces' egress allowance to the collector goes.
        const traceExport = (r: (typeof removed)[number]) =>
          r.type === "kubernetes:networking.k8s.io/v1:NetworkPolicy" &&
          r.name.endsWith("-allow-trace-export");
        for (const r of removed)
          assert.ok(underTracing(plan, r.urn) || traceExport(r), `${r.type} ${r.name} is not tracing's`);
        const organizations = plan.resources.filter(
          (r) => r.type === "platform:tenancy:TenantEnvironment",
        ).length;
        assert.equal(removed.filter(traceExport).length, organizations);
      });
    }

    it("hub: exports tempoOtlpUrl only with tracing on; the spoke ships to it", () => {
      assert.match(
        plans.hub.outputs.tempoOtlpUrl as string,
        /^http:\/\/internal-.*\.elb\.amazonaws\.com:4318$/,
      );
      assert.equal(plans.hubOff.outputs.tempoOtlpUrl, undefined);
      const collector = plans.spoke.resources.find((r) => r.inputs.chart === "opentelemetry-collector")!;
      const values = collector.inputs.values as Record<string, any>;
      assert.equal(values.config.exporters["otlphttp/tempo"].endpoint, plans.hub.outputs.tempoOtlpUrl);
      const rule = plans.spoke.resources.find((r) => r.name === "spoke-prod-hub-endpoints-tempo")!;
      assert.equal(rule.inputs.cidrIpv4, "10.0.0.0/16");
      assert.equal(rule.inputs.fromPort, 4318);
    });
  });
});
