import { strict as assert } from "node:assert";
import * as path from "node:path";
import * as k8s from "@pulumi/kubernetes";
import { recorded, setupMocks, type RecordedResource } from "./mocks";
import {
  EXTERNAL_SECRETS_VERSIONS,
  ExternalSecrets,
  externalSecretsChart,
  externalSecretsControllerPolicy,
  externalSecretsValues,
  secretStoreRoleExpression,
  secretStoreSpec,
  storeReadPolicy,
  storeRolePath,
  storeRoleTrustPolicy,
} from "../components/external-secrets";
import { loadConfig } from "../stacks/config";
import { secretStores } from "../stacks/external-secrets";
import {
  crdSpecSchema,
  helmBinary,
  helmTemplate,
  schemaProblems,
  undeclaredValues,
  upstreamCharts,
  upstreamValues,
  upstreamValuesSchema,
} from "./upstream";

const chartFolder = `external-secrets-${EXTERNAL_SECRETS_VERSIONS["1.35"]}`;
const prefix = (org: string) => `arn:aws:secretsmanager:eu-west-1:111122223333:secret:numinia/${org}/*`;

describe("add-on: External Secrets Operator", function () {
  let all: RecordedResource[];
  const of = (type: string) => all.filter((r) => r.type === type);
  before(async () => {
    setupMocks({ stack: "spoke" });
    const provider = new k8s.Provider("eso-k8s", { kubeconfig: "{}" });
    new ExternalSecrets("spoke", {
      clusterName: "production-numinia",
      eksClusterName: "production-numinia",
      kubernetesVersion: "1.35",
      region: "eu-west-1",
      stores: [
        {
          organization: "numinia",
          environment: "pre",
          namespace: "numinia-pre",
          secretArnPrefixes: [prefix("numinia")],
        },
        {
          organization: "numinia",
          environment: "pro",
          namespace: "numinia",
          secretArnPrefixes: [prefix("numinia")],
        },
        {
          organization: "r3s3t",
          environment: "pro",
          namespace: "r3s3t",
          secretArnPrefixes: [prefix("r3s3t")],
        },
      ],
      provider,
      production: true,
    });
    all = await recorded();
  });

  it("installs the pinned chart with its CRDs after the controller's Pod Identity association", () => {
    const [release] = of("kubernetes:helm.sh/v3:Release");
    assert.equal(release.inputs.chart, "external-secrets");
    assert.equal(release.inputs.version, "2.9.0");
    assert.equal(release.inputs.namespace, "external-secrets");
    assert.equal((release.inputs.values as any).installCRDs, true);
    const [assoc] = of("aws:eks/podIdentityAssociation:PodIdentityAssociation");
    assert.equal(assoc.inputs.namespace, "external-secrets");
    assert.equal(assoc.inputs.serviceAccount, "external-secrets");
    assert.ok(release.dependencies.includes(assoc.urn));
  });

  it("puts a SecretStore aws-secrets-manager in each environment namespace, each with its own store role", () => {
    const stores = of("kubernetes:external-secrets.io/v1:SecretStore");
    assert.deepEqual(
      stores.map((s) => [(s.inputs.metadata as any).namespace, (s.inputs.metadata as any).name]),
      [
        ["numinia-pre", "aws-secrets-manager"],
        ["numinia", "aws-secrets-manager"],
        ["r3s3t", "aws-secrets-manager"],
      ],
    );
    const roles = of("aws:iam/role:Role").filter((r) => r.name !== "spoke-external-secrets");
    const r3s3tRole = roles.find((r) => r.name === "spoke-external-secrets-r3s3t-pro")!;
    const r3s3tStore = stores[2].inputs.spec as any;
    assert.equal(r3s3tStore.provider.aws.service, "SecretsManager");
    assert.equal(r3s3tStore.provider.aws.region, "eu-west-1");
    assert.match(r3s3tStore.provider.aws.role, new RegExp(`role/${r3s3tRole.name}`));
  });

  it("lets each store role read only its organization's prefix, and only the controller assume it", () => {
    const policies = of("aws:iam/rolePolicy:RolePolicy");
    const r3s3t = policies.find((p) => p.name === "spoke-external-secrets-r3s3t-pro")!;
    assert.deepEqual(JSON.parse(String(r3s3t.inputs.policy)).Statement[0].Resource, [prefix("r3s3t")]);
    const controllerRole = of("aws:iam/role:Role").find((r) => r.name === "spoke-external-secrets")!;
    const storeRole = of("aws:iam/role:Role").find((r) => r.name === "spoke-external-secrets-r3s3t-pro")!;
    const trust = JSON.parse(String(storeRole.inputs.assumeRolePolicy));
    assert.match(trust.Statement[0].Principal.AWS, new RegExp(`role/${controllerRole.name}`));
    const controller = JSON.parse(
      String(policies.find((p) => p.name === "spoke-external-secrets")!.inputs.policy),
    );
    assert.equal(controller.Statement.length, 1);
    assert.equal(controller.Statement[0].Action, "sts:AssumeRole");
    assert.equal(controller.Statement[0].Resource.length, 3);
  });
});

describe("External Secrets: a tenant cannot point its store at another organization's role", () => {
  let all: RecordedResource[];
  before(async () => {
    setupMocks({ stack: "spoke" });
    const provider = new k8s.Provider("eso-k8s-vap", { kubeconfig: "{}" });
    new ExternalSecrets("vap", {
      clusterName: "production-numinia",
      eksClusterName: "production-numinia",
      kubernetesVersion: "1.35",
      region: "eu-west-1",
      stores: [
        {
          organization: "r3s3t",
          environment: "pro",
          namespace: "r3s3t",
          secretArnPrefixes: [prefix("r3s3t")],
        },
      ],
      provider,
    });
    all = await recorded();
  });

  it("puts each store role under its namespace's IAM path", () => {
    const role = all.find(
      (r) => r.type === "aws:iam/role:Role" && r.name === "vap-external-secrets-r3s3t-pro",
    )!;
    assert.equal(role.inputs.path, "/external-secrets/production-numinia/r3s3t/");
    assert.equal(storeRolePath("c", "ns"), "/external-secrets/c/ns/");
  });

  it("denies, by a bound ValidatingAdmissionPolicy, SecretStores that use the controller's identity with another namespace's role", () => {
    const policy = all.find(
      (r) => r.type === "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy",
    )!;
    const spec = policy.inputs.spec as any;
    assert.equal(spec.failurePolicy, "Fail");
    assert.deepEqual(spec.matchConstraints.resourceRules[0].resources, ["secretstores"]);
    const expression = spec.validations[0].expression as string;
    assert.equal(expression, secretStoreRoleExpression("production-numinia"));
    // What the rule demands is exactly what the platform's own store role ARNs carry.
    const demanded = /contains\('([^']+)' \+ namespaceObject\.metadata\.name \+ '\/'\)/.exec(expression)![1];
    const ownArn = `arn:aws:iam::111122223333:role${storeRolePath("production-numinia", "r3s3t")}vap-store-1a2b3c`;
    assert.ok(ownArn.includes(`${demanded}r3s3t/`));
    assert.ok(!ownArn.includes(`${demanded}numinia/`));
    assert.match(expression, /has\(object\.spec\.provider\.aws\.auth\)/);
    const binding = all.find(
      (r) => r.type === "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding",
    )!;
    assert.deepEqual(binding.inputs.spec, {
      policyName: "platform-secretstore-own-role",
      validationActions: ["Deny"],
    });
    const store = all.find((r) => r.type === "kubernetes:external-secrets.io/v1:SecretStore")!;
    assert.ok(store.dependencies.includes(binding.urn), "the platform's stores are admitted under the rule");
  });
});

describe("External Secrets against the upstream chart and CRDs", function () {
  it("sets only keys the chart's values.yaml (or values.schema.json) at the pinned version declares", function () {
    const chart = upstreamValues(chartFolder);
    if (!chart) this.skip();
    const schema = upstreamValuesSchema(chartFolder);
    const values = externalSecretsValues({ production: true });
    assert.deepEqual(
      undeclaredValues(
        values,
        chart,
        ["tolerations", "webhook.tolerations", "certController.tolerations"],
        schema && { root: schema },
      ),
      [],
    );
  });

  it("renders with helm: three HA deployments on the system nodes, the controller with leader election", function () {
    const helm = helmBinary();
    if (!helm || !upstreamValues(chartFolder)) this.skip();
    const objects = helmTemplate(
      helm,
      chartFolder,
      "external-secrets",
      externalSecretsValues({ production: true }),
    );
    const deployments = objects.filter((o) => o.kind === "Deployment");
    assert.equal(deployments.length, 3);
    for (const d of deployments) {
      assert.equal(d.spec.replicas, 2, d.metadata.name);
      assert.deepEqual(d.spec.template.spec.tolerations, [{ key: "CriticalAddonsOnly", operator: "Exists" }]);
    }
    const controller = deployments.find(
      (d) => d.spec.template.spec.serviceAccountName === "external-secrets",
    );
    assert.ok(controller, "the controller runs as the association's ServiceAccount");
    assert.ok(controller.spec.template.spec.containers[0].args.includes("--enable-leader-election=true"));
  });

  it("writes SecretStores the v1 CRD schema of the packaged chart accepts", function () {
    const schema = crdSpecSchema(
      path.join(upstreamCharts, chartFolder, "crds-bundle.yaml"),
      "v1",
      "SecretStore",
    );
    if (!schema) this.skip();
    const spec = secretStoreSpec("eu-west-1", "arn:aws:iam::111122223333:role/store");
    assert.deepEqual(schemaProblems(spec, schema), []);
  });

  it("pins a release for every supported Kubernetes version and rejects others", () => {
    assert.equal(externalSecretsChart("1.34").version, "2.9.0");
    assert.throws(
      () => externalSecretsChart("1.20"),
      /Kubernetes 1.20 has no pinned External Secrets version/,
    );
  });
});

describe("External Secrets IAM policies", () => {
  it("the controller may only assume the named store roles", () => {
    assert.deepEqual(externalSecretsControllerPolicy(["arn:a", "arn:b"]).Statement, [
      { Sid: "AssumeStoreRoles", Effect: "Allow", Action: "sts:AssumeRole", Resource: ["arn:a", "arn:b"] },
    ]);
  });
  it("a store role trusts only the controller role and reads only Secrets Manager under its prefixes", () => {
    assert.deepEqual(storeRoleTrustPolicy("arn:controller").Statement[0].Principal, {
      AWS: "arn:controller",
    });
    const read = storeReadPolicy([prefix("numinia")]).Statement[0];
    assert.deepEqual(read.Resource, [prefix("numinia")]);
    for (const action of read.Action as string[]) assert.match(action, /^secretsmanager:(Get|Describe|List)/);
  });
});

describe("SecretStores from the organizations config", () => {
  it("gives every numinia environment with secrets a store in its namespace, and none without", () => {
    const config = loadConfig(
      {
        "aws:region": "eu-west-1",
        "platform:role": "spoke",
        "platform:hubStackReference": "o/p/hub",
        "platform:vpcCidr": "10.0.0.0/16",
        "platform:gitops": '{"repositoryUrl":"https://github.com/acme/platform"}',
        "platform:organizations": JSON.stringify([
          {
            name: "numinia",
            environments: [{ name: "pre" }, { name: "pro" }],
            secretArnPrefixes: [prefix("numinia")],
          },
          { name: "quiet", environments: [{ name: "pro" }] },
          {
            name: "r3s3t",
            environments: [{ name: "pro", secretArnPrefixes: [prefix("r3s3t-pro")] }, { name: "pre" }],
            secretArnPrefixes: [prefix("r3s3t")],
          },
        ]),
      },
      "spoke-prod",
    );
    assert.deepEqual(
      secretStores(config).map((s) => [s.namespace, s.secretArnPrefixes[0]]),
      [
        ["numinia-pre", prefix("numinia")],
        ["numinia", prefix("numinia")],
        ["r3s3t", prefix("r3s3t-pro")],
        ["r3s3t-pre", prefix("r3s3t")],
      ],
    );
  });
});
