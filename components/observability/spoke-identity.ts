/**
 * A spoke's own identity at the hub's Elasticsearch: a native user and a role that may only write
 * that spoke's log indices, created by the spoke's stack on the hub cluster (through a provider for
 * the hub, as the Flux registration), so adding a spoke never edits the hub stack.
 * https://www.elastic.co/docs/api/doc/elasticsearch/operation/operation-security-put-user
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { K8sOpts } from "../shared/helm";
import { credentialSecret } from "./shared";
import { elasticsearchAdminJob, inClusterElasticsearchUrl } from "./elastic";
import { htpasswdLine, gatewayNames } from "./remote-write-gateway";
import { indexPrefix, namespaces, spokeTelemetryName } from "./values";

/** The Elasticsearch user (and role) name of a spoke's log shipper. */
function spokeShipperName(clusterName: string): string {
  return `shipper-${spokeTelemetryName(clusterName)}`;
}

/**
 * The role of a spoke's log shipper: create documents and daily indices of its own index family
 * only (`k8s-<cluster>-YYYY.MM.DD`, `k8s-<cluster>-node-YYYY.MM.DD`, as a Lucene regular expression
 * so `k8s-prod-*` cannot reach the indices of a cluster named `prod-eu`), nothing cluster-wide.
 * https://www.elastic.co/docs/deploy-manage/users-roles/cluster-or-deployment-auth/role-structure
 */
export function spokeShipperRole(clusterName: string): Record<string, unknown> {
  return {
    cluster: [],
    indices: [
      {
        names: [`/${indexPrefix(clusterName)}(-node)?-[0-9]{4}\\.[0-9]{2}\\.[0-9]{2}/`],
        privileges: ["create_doc", "create_index", "auto_configure"],
      },
    ],
  };
}

/** The script of the Job that creates (or updates) the role and the user with the elastic superuser. */
export function spokeUserScript(clusterName: string): string {
  const user = spokeShipperName(clusterName);
  return [
    "set -eu",
    `ES='${inClusterElasticsearchUrl}'`,
    `CURL="curl -sS --fail --cacert /ca/ca.crt -u elastic:$ELASTIC_PASSWORD -H Content-Type:application/json"`,
    `until $CURL "$ES/_cluster/health?wait_for_status=yellow&timeout=30s" >/dev/null; do echo waiting for Elasticsearch; sleep 10; done`,
    `$CURL -X PUT "$ES/_security/role/${user}" -d '${JSON.stringify(spokeShipperRole(clusterName))}'`,
    // The password is base64url (no quotes or backslashes): safe inside the JSON string.
    `$CURL -X PUT "$ES/_security/user/${user}" -d "{\\"password\\":\\"$SHIPPER_PASSWORD\\",\\"roles\\":[\\"${user}\\"]}"`,
    "echo done",
  ].join("\n");
}

/** Arguments of {@link SpokeTelemetryIdentity}. */
export interface SpokeTelemetryIdentityArgs {
  /** The spoke's EKS cluster name. */
  readonly clusterName: string;
  /** Kubernetes provider of the hub cluster. */
  readonly hubProvider: k8s.Provider;
}

/**
 * A spoke's identities on the hub, created by the spoke's stack: its Elasticsearch user (role limited
 * to its own indices) and its remote-write user (an htpasswd file the hub's gateway reads). Both
 * passwords are generated once and kept in hub Secrets.
 */
export class SpokeTelemetryIdentity extends pulumi.ComponentResource {
  /** The Elasticsearch user name. */
  public readonly username: string;
  /** The Elasticsearch user's password (a secret). */
  public readonly password: pulumi.Output<string>;
  /** The remote-write user name (the spoke's name at the hub). */
  public readonly remoteWriteUsername: string;
  /** The remote-write password (a secret). */
  public readonly remoteWritePassword: pulumi.Output<string>;

  constructor(name: string, args: SpokeTelemetryIdentityArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:observability:SpokeTelemetryIdentity", name, {}, opts);
    const hubOpts: K8sOpts = { parent: this, provider: args.hubProvider };
    this.username = spokeShipperName(args.clusterName);
    const secretName = `${this.username}-credentials`;
    const credentials = credentialSecret(
      `${name}-es-shipper`,
      { namespace: namespaces.logging, secretName, username: this.username },
      hubOpts,
    );
    this.password = credentials.password;
    elasticsearchAdminJob(
      `${name}-es-shipper`,
      {
        jobName: `es-user-${this.username}`.slice(0, 63),
        appName: "elasticsearch-spoke-user",
        containerName: "user",
        script: spokeUserScript(args.clusterName),
        env: [
          { name: "SHIPPER_PASSWORD", valueFrom: { secretKeyRef: { name: secretName, key: "password" } } },
        ],
      },
      { ...hubOpts, dependsOn: [credentials.secret] },
    );
    this.remoteWriteUsername = spokeTelemetryName(args.clusterName);
    const remoteWrite = credentialSecret(
      `${name}-remote-write`,
      {
        namespace: namespaces.monitoring,
        secretName: `remote-write-${this.remoteWriteUsername}-credentials`,
        username: this.remoteWriteUsername,
      },
      hubOpts,
    );
    this.remoteWritePassword = remoteWrite.password;
    // The gateway's sidecar writes each key of the labelled Secrets into nginx's users folder.
    new k8s.core.v1.Secret(
      `${name}-remote-write-htpasswd`,
      {
        metadata: {
          name: `remote-write-${this.remoteWriteUsername}`,
          namespace: namespaces.monitoring,
          labels: { [gatewayNames.userLabel]: "true" },
        },
        stringData: remoteWrite.password.apply((p) => ({
          [this.remoteWriteUsername]: htpasswdLine(this.remoteWriteUsername, p),
        })),
      },
      { ...hubOpts, additionalSecretOutputs: ["stringData", "data"] },
    );
    this.registerOutputs({
      username: this.username,
      password: this.password,
      remoteWriteUsername: this.remoteWriteUsername,
      remoteWritePassword: this.remoteWritePassword,
    });
  }
}
