/**
 * The hub's authenticating front of Prometheus remote write: nginx terminating TLS (certificate of
 * the telemetry CA) and checking HTTP basic auth per spoke, then proxying to Prometheus. Each spoke
 * registers its own credential as a labelled Secret in `monitoring` on the hub; a k8s-sidecar
 * container writes those into the users folder nginx reads on every request, so adding a spoke
 * needs no hub change. Prometheus' own web server cannot be given basic-auth users through the
 * Prometheus Operator, hence the proxy.
 * https://nginx.org/en/docs/http/ngx_http_auth_basic_module.html
 */
import { createHash } from "node:crypto";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { K8sOpts } from "../shared/helm";
import { replicasFor, restrictedContainer } from "../shared/kubernetes";
import { names, namespaces, ports } from "./values";

/** Pinned images of the gateway. */
const gatewayImages = {
  /** nginx as a non-root user (uid 101), listening on unprivileged ports. */
  nginx: "docker.io/nginxinc/nginx-unprivileged:1.27.4-alpine",
  /** Writes labelled Secrets into a folder (the sidecar Grafana's chart uses). https://github.com/kiwigrid/k8s-sidecar */
  sidecar: "quay.io/kiwigrid/k8s-sidecar:1.30.3",
} as const;

/** Names of the gateway's objects and the label a spoke's credential Secret carries. */
export const gatewayNames = {
  name: "remote-write-gateway",
  /** Label (value "true") of the Secrets whose keys are htpasswd files, one per spoke. */
  userLabel: "platform.io/remote-write-user",
  /** TLS Secret of the gateway (`tls.crt`, `tls.key`). */
  tlsSecret: "remote-write-gateway-tls",
  /** Port nginx listens on (TLS). */
  port: 8443,
} as const;

/**
 * An htpasswd line in RFC 2307 `{SSHA}` form (salted SHA-1, which nginx's auth_basic reads). The
 * salt is derived from the password, so the line is stable across runs; the password is 32 random
 * bytes, so the hash is not the weak point.
 */
export function htpasswdLine(user: string, password: string): string {
  const salt = createHash("sha256").update(`salt:${user}:${password}`).digest().subarray(0, 8);
  const digest = createHash("sha1").update(password).update(salt).digest();
  return `${user}:{SSHA}${Buffer.concat([digest, salt]).toString("base64")}\n`;
}

/** nginx.conf of the gateway: TLS on 8443, one location per spoke path, everything else 404. */
export function gatewayNginxConf(): string {
  const prometheus = `http://${names.prometheusCr}.${namespaces.monitoring}.svc:${ports.prometheus}`;
  return [
    "worker_processes 2;",
    "pid /tmp/nginx.pid;",
    "error_log /dev/stderr warn;",
    "events { worker_connections 1024; }",
    "http {",
    "  access_log off;",
    "  client_body_temp_path /tmp/client_body;",
    "  proxy_temp_path /tmp/proxy;",
    "  fastcgi_temp_path /tmp/fastcgi;",
    "  uwsgi_temp_path /tmp/uwsgi;",
    "  scgi_temp_path /tmp/scgi;",
    "  server_tokens off;",
    "  server {",
    `    listen ${gatewayNames.port} ssl;`,
    "    ssl_certificate /etc/nginx/tls/tls.crt;",
    "    ssl_certificate_key /etc/nginx/tls/tls.key;",
    "    ssl_protocols TLSv1.2 TLSv1.3;",
    "    client_max_body_size 64m;",
    "    location = /healthz { access_log off; return 200 ok; }",
    "    location ~ ^/spokes/([a-z0-9-]+)/api/v1/write$ {",
    "      set $spoke $1;",
    '      auth_basic "prometheus remote write";',
    "      auth_basic_user_file /etc/nginx/users/$spoke;",
    `      proxy_pass ${prometheus}/api/v1/write;`,
    "      proxy_http_version 1.1;",
    "    }",
    "    location / { return 404; }",
    "  }",
    "}",
    "",
  ].join("\n");
}

/** The gateway's pod: nginx (TLS, basic auth per spoke) and the sidecar that collects the users. */
function gatewayPodSpec(ns: string): k8s.types.input.core.v1.PodSpec {
  return {
    serviceAccountName: gatewayNames.name,
    securityContext: {
      runAsNonRoot: true,
      runAsUser: 101,
      runAsGroup: 101,
      seccompProfile: { type: "RuntimeDefault" },
    },
    containers: [
      {
        name: "nginx",
        image: gatewayImages.nginx,
        ports: [{ name: "https", containerPort: gatewayNames.port }],
        readinessProbe: { httpGet: { path: "/healthz", port: gatewayNames.port, scheme: "HTTPS" } },
        resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "256Mi" } },
        securityContext: restrictedContainer,
        volumeMounts: [
          {
            name: "conf",
            mountPath: "/etc/nginx/nginx.conf",
            subPath: "nginx.conf",
            readOnly: true,
          },
          { name: "tls", mountPath: "/etc/nginx/tls", readOnly: true },
          { name: "users", mountPath: "/etc/nginx/users", readOnly: true },
          { name: "tmp", mountPath: "/tmp" },
        ],
      },
      {
        name: "users",
        image: gatewayImages.sidecar,
        env: [
          { name: "LABEL", value: gatewayNames.userLabel },
          { name: "LABEL_VALUE", value: "true" },
          { name: "FOLDER", value: "/etc/nginx/users" },
          { name: "RESOURCE", value: "secret" },
          { name: "NAMESPACE", value: ns },
        ],
        resources: { requests: { cpu: "10m", memory: "64Mi" }, limits: { memory: "128Mi" } },
        securityContext: restrictedContainer,
        volumeMounts: [{ name: "users", mountPath: "/etc/nginx/users" }],
      },
    ],
    volumes: [
      { name: "conf", configMap: { name: `${gatewayNames.name}-conf` } },
      { name: "tls", secret: { secretName: gatewayNames.tlsSecret } },
      { name: "users", emptyDir: {} },
      { name: "tmp", emptyDir: {} },
    ],
  };
}

/** Arguments of {@link RemoteWriteGateway}. */
export interface RemoteWriteGatewayArgs {
  /** The gateway's TLS Secret (from the telemetry CA). */
  readonly tlsSecret: k8s.core.v1.Secret;
  /** Production: 2 replicas. */
  readonly production: boolean;
  /** What nginx needs before it starts: kube-prometheus-stack (nginx resolves the Prometheus Service at load). */
  readonly upstream: pulumi.Resource;
}

/** The gateway in `monitoring`: ConfigMap, the sidecar's RBAC, the Deployment. */
export class RemoteWriteGateway extends pulumi.ComponentResource {
  /** Labels of the gateway's pods (the internal NLB selects them). */
  public static readonly podLabels = { "app.kubernetes.io/name": gatewayNames.name };

  constructor(
    name: string,
    args: RemoteWriteGatewayArgs,
    k8sOpts: Omit<K8sOpts, "parent">,
    opts?: pulumi.ComponentResourceOptions,
  ) {
    super("platform:observability:RemoteWriteGateway", name, {}, opts);
    const o: K8sOpts = { ...k8sOpts, parent: this };
    const ns = namespaces.monitoring;
    const meta = (n: string) => ({
      name: n,
      namespace: ns,
      labels: { "app.kubernetes.io/part-of": "platform-observability" },
    });
    const conf = new k8s.core.v1.ConfigMap(
      `${name}-gateway-conf`,
      { metadata: meta(`${gatewayNames.name}-conf`), data: { "nginx.conf": gatewayNginxConf() } },
      o,
    );
    const sa = new k8s.core.v1.ServiceAccount(
      `${name}-gateway`,
      { metadata: meta(gatewayNames.name), automountServiceAccountToken: true },
      o,
    );
    // The sidecar reads the labelled Secrets of this namespace, nothing else.
    const role = new k8s.rbac.v1.Role(
      `${name}-gateway`,
      {
        metadata: meta(gatewayNames.name),
        rules: [{ apiGroups: [""], resources: ["secrets"], verbs: ["get", "list", "watch"] }],
      },
      o,
    );
    const binding = new k8s.rbac.v1.RoleBinding(
      `${name}-gateway`,
      {
        metadata: meta(gatewayNames.name),
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: gatewayNames.name },
        subjects: [{ kind: "ServiceAccount", name: gatewayNames.name, namespace: ns }],
      },
      { ...o, dependsOn: [role, sa] },
    );
    new k8s.apps.v1.Deployment(
      `${name}-gateway`,
      {
        metadata: meta(gatewayNames.name),
        spec: {
          replicas: replicasFor(args.production),
          selector: { matchLabels: RemoteWriteGateway.podLabels },
          template: {
            metadata: { labels: RemoteWriteGateway.podLabels },
            spec: gatewayPodSpec(ns),
          },
        },
      },
      { ...o, dependsOn: [...(o.dependsOn ?? []), conf, binding, args.tlsSecret, args.upstream] },
    );
    this.registerOutputs({});
  }
}
