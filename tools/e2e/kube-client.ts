/**
 * A minimal Kubernetes API client for the e2e run's own loops (the kubelet stand-in, the Flux
 * waits): requests go from this process over one kept-alive TLS connection pool, with the
 * kubeconfig's CA and client certificate (or bearer token). Spawning `kubectl` for every poll cost
 * a process start, a TLS handshake and discovery each time; with several Pods to report Ready at
 * once the stand-in fell seconds behind and every `pulumi up` waited on it (docs/e2e.md).
 */
import * as fs from "node:fs";
import * as https from "node:https";
import { parse } from "yaml";

// Kubernetes API objects (untyped JSON).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = Record<string, any>;

/** An API error: the HTTP status and the server's message (a `Status` object's `message`). */
export class KubeApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface KubeClient {
  /** GET a path (`/api/v1/pods`); the parsed JSON. @throws KubeApiError */
  get(path: string): Promise<Json>;
  /** POST an object to a collection path. @throws KubeApiError */
  create(path: string, body: Json): Promise<Json>;
  /** PATCH with a JSON merge patch (RFC 7386). @throws KubeApiError */
  mergePatch(path: string, body: Json): Promise<Json>;
  /** DELETE with query parameters (`gracePeriodSeconds=0`). @throws KubeApiError */
  delete(path: string, query?: string): Promise<Json>;
  /** Closes the kept-alive connections. */
  close(): void;
}

/**
 * A client for the current context of a kubeconfig file with embedded data (`certificate-authority-data`,
 * `client-certificate-data`/`client-key-data` or `token`), as tools/e2e/cluster.ts writes it.
 * @throws Error when the kubeconfig lacks a server or credentials.
 */
export function kubeClient(kubeconfig: string): KubeClient {
  const config = parse(fs.readFileSync(kubeconfig, "utf8")) as Json;
  const contextName = config["current-context"] ?? config.contexts?.[0]?.name;
  const context = (config.contexts ?? []).find((c: Json) => c.name === contextName)?.context ?? {};
  const cluster = (config.clusters ?? []).find((c: Json) => c.name === context.cluster)?.cluster;
  const user = (config.users ?? []).find((u: Json) => u.name === context.user)?.user ?? {};
  if (!cluster?.server) throw new Error(`${kubeconfig}: no server for context ${contextName}`);
  const b64 = (v: string | undefined) => (v ? Buffer.from(v, "base64") : undefined);
  const agent = new https.Agent({
    keepAlive: true,
    maxSockets: 8,
    ca: b64(cluster["certificate-authority-data"]),
    cert: b64(user["client-certificate-data"]),
    key: b64(user["client-key-data"]),
  });
  if (!user["client-certificate-data"] && !user.token)
    throw new Error(`${kubeconfig}: user of context ${contextName} has no client certificate or token`);
  const base = new URL(cluster.server);

  const request = (method: string, path: string, body?: Json, contentType = "application/json") =>
    new Promise<Json>((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = https.request(
        {
          agent,
          hostname: base.hostname,
          port: base.port,
          path,
          method,
          headers: {
            Accept: "application/json",
            ...(payload === undefined
              ? {}
              : { "Content-Type": contentType, "Content-Length": Buffer.byteLength(payload) }),
            ...(user.token ? { Authorization: `Bearer ${user.token}` } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            let json: Json = {};
            try {
              json = text ? (JSON.parse(text) as Json) : {};
            } catch {
              json = { message: text };
            }
            const status = res.statusCode ?? 0;
            if (status >= 200 && status < 300) resolve(json);
            else reject(new KubeApiError(status, `${method} ${path}: ${status} ${json.message ?? text}`));
          });
          res.on("error", reject);
        },
      );
      req.on("error", reject);
      req.end(payload);
    });

  return {
    get: (path) => request("GET", path),
    create: (path, body) => request("POST", path, body),
    mergePatch: (path, body) => request("PATCH", path, body, "application/merge-patch+json"),
    delete: (path, query) => request("DELETE", query ? `${path}?${query}` : path),
    close: () => agent.destroy(),
  };
}
