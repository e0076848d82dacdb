import * as assert from "node:assert/strict";
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { runResourcePolicy, type TestResource } from "../../policy/testing";
import {
  containerResourcesRequired,
  imageTag,
  kubernetesWorkloadPolicies,
  noDefaultNamespace,
  noLatestImageTag,
  noNakedPods,
  noPublicLoadBalancer,
  noInternetFacingIngress,
  podSpecOf,
  pssBaselineAppArmor,
  pssBaselineCapabilities,
  pssBaselineHostNamespaces,
  pssBaselineHostPathVolumes,
  pssBaselineHostPorts,
  pssBaselineHostProcess,
  pssBaselinePrivilegedContainers,
  pssBaselineProcMount,
  pssBaselineSeccomp,
  pssBaselineSeLinux,
  pssBaselineSysctls,
  pssRestrictedCapabilities,
  pssRestrictedPrivilegeEscalation,
  pssRestrictedRunAsNonRoot,
  pssRestrictedRunAsUser,
  pssRestrictedSeccomp,
  pssRestrictedVolumeTypes,
} from "../../policy/policies/kubernetes-workloads";

/** The SDK's sentinel for an unknown object during preview (`@pulumi/policy/proxy`). */
const unknownObject = "dd056dcd-154b-4c76-9bd3-c8f88648b5ff";
const unknownBoolean = "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7";

type Obj = Record<string, unknown>;

/** A container that satisfies every workload policy (restricted profile, pinned image, sized). */
function goodContainer(name = "app", extra: Obj = {}): Obj {
  return {
    name,
    image: "public.ecr.aws/nginx/nginx:1.27.3",
    ports: [{ containerPort: 8080 }],
    resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "256Mi" } },
    securityContext: {
      allowPrivilegeEscalation: false,
      capabilities: { drop: ["ALL"] },
      runAsNonRoot: true,
      seccompProfile: { type: "RuntimeDefault" },
    },
    ...extra,
  };
}

/** A container with `securityContext` fields merged over the good one. */
function containerWith(sc: Obj, name = "app"): Obj {
  const c = goodContainer(name);
  return { ...c, securityContext: { ...(c["securityContext"] as Obj), ...sc } };
}

function goodPodSpec(extra: Obj = {}): Obj {
  return {
    securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
    containers: [goodContainer()],
    volumes: [{ name: "config", configMap: { name: "web" } }],
    ...extra,
  };
}

function deployment(
  podSpec: Obj = goodPodSpec(),
  templateMeta: Obj = { labels: { app: "web" } },
): TestResource {
  return {
    type: "kubernetes:apps/v1:Deployment",
    name: "web",
    props: {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "web", namespace: "apps" },
      spec: {
        selector: { matchLabels: { app: "web" } },
        template: { metadata: templateMeta, spec: podSpec },
      },
    },
  };
}

async function messages(
  policy: ResourceValidationPolicy,
  resource: TestResource,
  config?: Obj,
): Promise<string[]> {
  const r = await runResourcePolicy(policy, config ? { ...resource, config } : resource);
  assert.equal(r.unknown, undefined, `unexpected unknown value: ${r.unknown}`);
  return r.violations.map((v) => v.message);
}

async function assertFires(policy: ResourceValidationPolicy, resource: TestResource, ...patterns: RegExp[]) {
  const msgs = await messages(policy, resource);
  assert.ok(msgs.length > 0, `${policy.name} should fire`);
  for (const p of patterns)
    assert.ok(
      msgs.some((m) => p.test(m)),
      `no message matches ${p}: ${JSON.stringify(msgs)}`,
    );
}

async function assertQuiet(policy: ResourceValidationPolicy, resource: TestResource, config?: Obj) {
  assert.deepEqual(await messages(policy, resource, config), [], `${policy.name} should stay quiet`);
}

describe("kubernetes workload policies", () => {
  describe("the catalogue", () => {
    it("names every policy in kebab-case, uniquely, with a description and compliance metadata", () => {
      const names = kubernetesWorkloadPolicies.map((p) => p.name);
      assert.equal(new Set(names).size, names.length);
      for (const p of kubernetesWorkloadPolicies) {
        assert.match(p.name, /^[a-z0-9]+(-[a-z0-9]+)*$/);
        assert.ok(p.description.length > 20, p.name);
        assert.ok(p.framework?.name && p.framework.specification, p.name);
        assert.ok(p.severity, p.name);
        assert.ok(p.remediationSteps, p.name);
        assert.ok((p.tags ?? []).includes("kubernetes"), p.name);
      }
    });

    for (const policy of kubernetesWorkloadPolicies as ResourceValidationPolicy[]) {
      it(`${policy.name} stays quiet on a hardened, pinned, sized Deployment`, async () => {
        await assertQuiet(policy, deployment());
      });
    }

    it("ties PSS policies to the named Pod Security Standards control", () => {
      assert.deepEqual(pssBaselineHostNamespaces().framework, {
        name: "Kubernetes Pod Security Standards",
        version: "v1.35",
        reference: "https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline",
        specification: "Baseline: Host Namespaces",
      });
      assert.equal(pssRestrictedCapabilities().framework?.specification, "Restricted: Capabilities");
      assert.equal(
        noDefaultNamespace().framework?.specification,
        "5.7.4 The default namespace should not be used",
      );
    });
  });

  describe("finding the pod spec", () => {
    it("reads the pod template of every workload kind, in any API version", () => {
      const tpl = { spec: { containers: [] } };
      assert.equal(podSpecOf("kubernetes:core/v1:Pod", { spec: { containers: [] } })?.path, "spec");
      for (const type of [
        "kubernetes:apps/v1:Deployment",
        "kubernetes:apps/v1:StatefulSet",
        "kubernetes:apps/v1:DaemonSet",
        "kubernetes:apps/v1:ReplicaSet",
        "kubernetes:apps/v1beta2:Deployment",
        "kubernetes:batch/v1:Job",
        "kubernetes:core/v1:ReplicationController",
      ]) {
        assert.equal(podSpecOf(type, { spec: { template: tpl } })?.path, "spec.template.spec", type);
      }
      assert.equal(
        podSpecOf("kubernetes:batch/v1:CronJob", { spec: { jobTemplate: { spec: { template: tpl } } } })
          ?.path,
        "spec.jobTemplate.spec.template.spec",
      );
      assert.equal(podSpecOf("kubernetes:core/v1:ConfigMap", { data: {} }), undefined);
      assert.equal(podSpecOf("kubernetes:helm.sh/v3:Release", { chart: "x" }), undefined);
      assert.equal(
        podSpecOf("kubernetes:apps/v1:DeploymentPatch", { spec: { template: tpl } })?.isPatch,
        true,
      );
    });

    it("judges a CronJob's job template", async () => {
      const cron: TestResource = {
        type: "kubernetes:batch/v1:CronJob",
        props: {
          metadata: { name: "backup", namespace: "ops" },
          spec: {
            schedule: "0 3 * * *",
            jobTemplate: {
              spec: { template: { spec: { containers: [containerWith({ privileged: true })] } } },
            },
          },
        },
      };
      await assertFires(
        pssBaselinePrivilegedContainers(),
        cron,
        /CronJob "ops\/backup": container "app" sets securityContext\.privileged: true/,
      );
    });

    it("lets an unknown value during preview propagate instead of guessing", async () => {
      const r = await runResourcePolicy(
        pssBaselineHostNamespaces(),
        deployment(goodPodSpec({ hostNetwork: unknownBoolean })),
      );
      assert.match(r.unknown ?? "", /can't be known during preview/);
      const r2 = await runResourcePolicy(containerResourcesRequired(), {
        ...deployment(),
        props: { metadata: { name: "web", namespace: "apps" }, spec: { template: unknownObject } },
      });
      assert.match(r2.unknown ?? "", /can't be known during preview/);
    });

    it("skips presence rules on a *Patch resource but still forbids bad values there", async () => {
      const patch: TestResource = {
        type: "kubernetes:apps/v1:DeploymentPatch",
        props: {
          metadata: { name: "coredns", namespace: "dns" },
          spec: {
            template: { spec: { containers: [{ name: "coredns", securityContext: { privileged: true } }] } },
          },
        },
      };
      await assertQuiet(pssRestrictedRunAsNonRoot(), patch);
      await assertQuiet(containerResourcesRequired(), patch);
      await assertFires(pssBaselinePrivilegedContainers(), patch, /privileged/);
    });
  });

  describe("exempt namespaces", () => {
    const agent = (namespace: string): TestResource => ({
      type: "kubernetes:apps/v1:DaemonSet",
      props: {
        metadata: { name: "node-agent", namespace },
        spec: {
          template: { spec: { hostNetwork: true, containers: [containerWith({ privileged: true })] } },
        },
      },
    });
    it("skips workloads in kube-system by default", async () => {
      assert.deepEqual(pssBaselinePrivilegedContainers().configSchema?.properties["exemptNamespaces"], {
        type: "array",
        items: { type: "string" },
        default: ["kube-system"],
        description:
          "Namespaces whose workloads this policy skips (node agents and add-ons that Pod Security Admission also exempts).",
      });
      await assertQuiet(pssBaselinePrivilegedContainers(), agent("kube-system"));
      await assertQuiet(pssBaselineHostNamespaces(), agent("kube-system"));
    });
    it("judges kube-system when the exemption is removed, and skips configured namespaces", async () => {
      const msgs = await messages(pssBaselinePrivilegedContainers(), agent("kube-system"), {
        exemptNamespaces: [],
      });
      assert.match(
        msgs[0]!,
        /^DaemonSet "kube-system\/node-agent": container "app" sets securityContext\.privileged: true/,
      );
      await assertFires(pssBaselineHostNamespaces(), agent("logging"), /hostNetwork is true/);
      await assertQuiet(pssBaselineHostNamespaces(), agent("logging"), {
        exemptNamespaces: ["kube-system", "logging"],
      });
    });
  });

  describe("pss-baseline-host-namespaces", () => {
    it("fires on hostNetwork, hostPID and hostIPC", async () => {
      const msgs = await messages(
        pssBaselineHostNamespaces(),
        deployment(goodPodSpec({ hostNetwork: true, hostPID: true, hostIPC: true })),
      );
      assert.equal(msgs.length, 3);
      assert.match(
        msgs[0]!,
        /^Deployment "apps\/web": spec\.template\.spec\.hostNetwork is true\..*set it to false/,
      );
      assert.match(msgs[1]!, /hostPID/);
      assert.match(msgs[2]!, /hostIPC/);
    });
    it("stays quiet when they are false", async () => {
      await assertQuiet(
        pssBaselineHostNamespaces(),
        deployment(goodPodSpec({ hostNetwork: false, hostPID: false })),
      );
    });
  });

  describe("pss-baseline-privileged-containers", () => {
    it("fires on privileged init and ephemeral containers", async () => {
      await assertFires(
        pssBaselinePrivilegedContainers(),
        deployment(
          goodPodSpec({
            initContainers: [containerWith({ privileged: true }, "setup")],
            ephemeralContainers: [containerWith({ privileged: true }, "debug")],
          }),
        ),
        /init container "setup" sets securityContext\.privileged: true.*take over the node/,
        /ephemeral container "debug" sets securityContext\.privileged: true/,
      );
    });
    it("stays quiet on privileged: false", async () => {
      await assertQuiet(
        pssBaselinePrivilegedContainers(),
        deployment(goodPodSpec({ containers: [containerWith({ privileged: false })] })),
      );
    });
  });

  describe("pss-baseline-capabilities", () => {
    it("fires on SYS_ADMIN", async () => {
      await assertFires(
        pssBaselineCapabilities(),
        deployment(
          goodPodSpec({ containers: [containerWith({ capabilities: { add: ["SYS_ADMIN", "CHOWN"] } })] }),
        ),
        /container "app" adds capabilities SYS_ADMIN\..*Remove them/,
      );
    });
    it("stays quiet on capabilities of the default set", async () => {
      await assertQuiet(
        pssBaselineCapabilities(),
        deployment(
          goodPodSpec({
            containers: [containerWith({ capabilities: { add: ["CHOWN", "NET_BIND_SERVICE"] } })],
          }),
        ),
      );
    });
  });

  describe("pss-baseline-host-path-volumes", () => {
    it("fires on a hostPath volume", async () => {
      await assertFires(
        pssBaselineHostPathVolumes(),
        deployment(
          goodPodSpec({ volumes: [{ name: "docker", hostPath: { path: "/var/run/docker.sock" } }] }),
        ),
        /volume "docker" is a hostPath volume\..*Use emptyDir/,
      );
    });
    it("stays quiet on emptyDir", async () => {
      await assertQuiet(
        pssBaselineHostPathVolumes(),
        deployment(goodPodSpec({ volumes: [{ name: "tmp", emptyDir: {} }] })),
      );
    });
  });

  describe("pss-baseline-host-ports", () => {
    const withHostPort = deployment(
      goodPodSpec({ containers: [goodContainer("app", { ports: [{ containerPort: 80, hostPort: 8080 }] })] }),
    );
    it("fires on a hostPort", async () => {
      await assertFires(
        pssBaselineHostPorts(),
        withHostPort,
        /container "app" binds hostPort 8080\..*Service/,
      );
    });
    it("stays quiet on hostPort 0 and on a port in allowedHostPorts", async () => {
      await assertQuiet(
        pssBaselineHostPorts(),
        deployment(
          goodPodSpec({
            containers: [goodContainer("app", { ports: [{ containerPort: 80, hostPort: 0 }] })],
          }),
        ),
      );
      await assertQuiet(pssBaselineHostPorts(), withHostPort, { allowedHostPorts: [8080] });
    });
  });

  describe("pss-baseline-host-process", () => {
    it("fires on a Windows HostProcess pod", async () => {
      await assertFires(
        pssBaselineHostProcess(),
        deployment(goodPodSpec({ securityContext: { windowsOptions: { hostProcess: true } } })),
        /spec\.template\.spec\.securityContext\.windowsOptions\.hostProcess is true/,
      );
    });
    it("stays quiet when hostProcess is false", async () => {
      await assertQuiet(
        pssBaselineHostProcess(),
        deployment(goodPodSpec({ containers: [containerWith({ windowsOptions: { hostProcess: false } })] })),
      );
    });
  });

  describe("pss-baseline-apparmor", () => {
    it("fires on an Unconfined profile and on the legacy unconfined annotation", async () => {
      await assertFires(
        pssBaselineAppArmor(),
        deployment(
          goodPodSpec({ containers: [containerWith({ appArmorProfile: { type: "Unconfined" } })] }),
          {
            annotations: { "container.apparmor.security.beta.kubernetes.io/app": "unconfined" },
          },
        ),
        /container "app" sets securityContext\.appArmorProfile\.type "Unconfined"/,
        /annotation container\.apparmor\.security\.beta\.kubernetes\.io\/app is "unconfined"/,
      );
    });
    it("stays quiet on RuntimeDefault and localhost/ profiles", async () => {
      await assertQuiet(
        pssBaselineAppArmor(),
        deployment(goodPodSpec({ securityContext: { appArmorProfile: { type: "RuntimeDefault" } } }), {
          annotations: { "container.apparmor.security.beta.kubernetes.io/app": "localhost/k8s-nginx" },
        }),
      );
    });
  });

  describe("pss-baseline-selinux", () => {
    it("fires on a custom SELinux user and a non-container type", async () => {
      await assertFires(
        pssBaselineSeLinux(),
        deployment(
          goodPodSpec({
            containers: [containerWith({ seLinuxOptions: { user: "system_u", type: "spc_t" } })],
          }),
        ),
        /container "app" sets seLinuxOptions\.type "spc_t"/,
        /container "app" sets seLinuxOptions\.user "system_u"/,
      );
    });
    it("stays quiet on container_t with a level", async () => {
      await assertQuiet(
        pssBaselineSeLinux(),
        deployment(
          goodPodSpec({
            securityContext: { seLinuxOptions: { type: "container_t", level: "s0:c123,c456" } },
          }),
        ),
      );
    });
  });

  describe("pss-baseline-proc-mount", () => {
    it("fires on an Unmasked /proc", async () => {
      await assertFires(
        pssBaselineProcMount(),
        deployment(goodPodSpec({ containers: [containerWith({ procMount: "Unmasked" })] })),
        /container "app" sets securityContext\.procMount "Unmasked".*set it to Default/,
      );
    });
    it("stays quiet on the Default proc mount", async () => {
      await assertQuiet(
        pssBaselineProcMount(),
        deployment(goodPodSpec({ containers: [containerWith({ procMount: "Default" })] })),
      );
    });
  });

  describe("pss-baseline-seccomp", () => {
    it("fires on an Unconfined profile", async () => {
      await assertFires(
        pssBaselineSeccomp(),
        deployment(goodPodSpec({ securityContext: { seccompProfile: { type: "Unconfined" } } })),
        /spec\.template\.spec\.securityContext\.seccompProfile\.type is Unconfined\..*RuntimeDefault/,
      );
    });
    it("stays quiet when no profile is set (baseline allows the default)", async () => {
      await assertQuiet(
        pssBaselineSeccomp(),
        deployment({ containers: [{ name: "app", image: "nginx:1.27.3" }] }),
      );
    });
  });

  describe("pss-baseline-sysctls", () => {
    it("fires on an unsafe sysctl", async () => {
      await assertFires(
        pssBaselineSysctls(),
        deployment(
          goodPodSpec({ securityContext: { sysctls: [{ name: "kernel.msgmax", value: "65536" }] } }),
        ),
        /sysctls sets "kernel\.msgmax"\..*Remove it/,
      );
    });
    it("stays quiet on a safe sysctl", async () => {
      await assertQuiet(
        pssBaselineSysctls(),
        deployment(
          goodPodSpec({ securityContext: { sysctls: [{ name: "net.ipv4.tcp_syncookies", value: "1" }] } }),
        ),
      );
    });
  });

  describe("pss-restricted-volume-types", () => {
    it("fires on an nfs volume", async () => {
      await assertFires(
        pssRestrictedVolumeTypes(),
        deployment(goodPodSpec({ volumes: [{ name: "share", nfs: { server: "10.0.0.5", path: "/" } }] })),
        /volume "share" has type nfs\..*PersistentVolumeClaim/,
      );
    });
    it("stays quiet on the core volume types", async () => {
      await assertQuiet(
        pssRestrictedVolumeTypes(),
        deployment(
          goodPodSpec({
            volumes: [
              { name: "a", configMap: { name: "x" } },
              { name: "b", persistentVolumeClaim: { claimName: "data" } },
              { name: "c", projected: { sources: [] } },
              { name: "d", image: { reference: "ghcr.io/acme/model:1.0" } },
            ],
          }),
        ),
      );
    });
  });

  describe("pss-restricted-privilege-escalation", () => {
    it("fires on a container that does not set allowPrivilegeEscalation: false", async () => {
      await assertFires(
        pssRestrictedPrivilegeEscalation(),
        deployment(goodPodSpec({ ephemeralContainers: [{ name: "debug", image: "busybox:1.37" }] })),
        /ephemeral container "debug" does not set securityContext\.allowPrivilegeEscalation: false/,
      );
    });
    it("stays quiet on a Windows pod (exempt)", async () => {
      await assertQuiet(
        pssRestrictedPrivilegeEscalation(),
        deployment({
          os: { name: "windows" },
          containers: [{ name: "iis", image: "mcr.microsoft.com/windows/servercore/iis:ltsc2022" }],
        }),
      );
    });
  });

  describe("pss-restricted-run-as-non-root", () => {
    it("fires when neither the pod nor the container sets runAsNonRoot", async () => {
      await assertFires(
        pssRestrictedRunAsNonRoot(),
        deployment({ containers: [{ name: "app", image: "nginx:1.27.3" }] }),
        /container "app" may run as root: neither it nor the pod sets runAsNonRoot: true\..*runAsNonRoot: true/,
      );
    });
    it("fires when a container overrides the pod with runAsNonRoot: false", async () => {
      await assertFires(
        pssRestrictedRunAsNonRoot(),
        deployment(goodPodSpec({ initContainers: [containerWith({ runAsNonRoot: false }, "chown")] })),
        /init container "chown" sets securityContext\.runAsNonRoot: false/,
      );
    });
    it("stays quiet when only the pod sets runAsNonRoot: true", async () => {
      await assertQuiet(
        pssRestrictedRunAsNonRoot(),
        deployment({
          securityContext: { runAsNonRoot: true },
          containers: [{ name: "app", image: "nginx:1.27.3" }],
        }),
      );
    });
  });

  describe("pss-restricted-run-as-user", () => {
    it("fires on runAsUser: 0", async () => {
      await assertFires(
        pssRestrictedRunAsUser(),
        deployment(goodPodSpec({ containers: [containerWith({ runAsUser: 0 })] })),
        /container "app" sets securityContext\.runAsUser: 0\. UID 0 is root/,
      );
    });
    it("stays quiet on a non-zero UID", async () => {
      await assertQuiet(
        pssRestrictedRunAsUser(),
        deployment(goodPodSpec({ securityContext: { runAsNonRoot: true, runAsUser: 65532 } })),
      );
    });
  });

  describe("pss-restricted-seccomp", () => {
    it("fires when no profile is set anywhere", async () => {
      await assertFires(
        pssRestrictedSeccomp(),
        deployment({ containers: [{ name: "app", image: "nginx:1.27.3" }] }),
        /container "app" has no seccomp profile.*type: RuntimeDefault/,
      );
    });
    it("fires on a container that sets Unconfined under a RuntimeDefault pod", async () => {
      await assertFires(
        pssRestrictedSeccomp(),
        deployment(goodPodSpec({ containers: [containerWith({ seccompProfile: { type: "Unconfined" } })] })),
        /container "app" sets securityContext\.seccompProfile\.type "Unconfined"/,
      );
    });
    it("stays quiet on a pod-level Localhost profile", async () => {
      await assertQuiet(
        pssRestrictedSeccomp(),
        deployment({
          securityContext: { seccompProfile: { type: "Localhost", localhostProfile: "profiles/app.json" } },
          containers: [{ name: "app", image: "nginx:1.27.3" }],
        }),
      );
    });
  });

  describe("pss-restricted-capabilities", () => {
    it("fires when ALL is not dropped and on an added NET_RAW", async () => {
      await assertFires(
        pssRestrictedCapabilities(),
        deployment(goodPodSpec({ containers: [containerWith({ capabilities: { add: ["NET_RAW"] } })] })),
        /container "app" does not drop ALL capabilities\..*drop: \["ALL"\]/,
        /container "app" adds capabilities NET_RAW\..*only NET_BIND_SERVICE/,
      );
    });
    it("stays quiet on drop ALL with NET_BIND_SERVICE added back", async () => {
      await assertQuiet(
        pssRestrictedCapabilities(),
        deployment(
          goodPodSpec({
            containers: [containerWith({ capabilities: { drop: ["ALL"], add: ["NET_BIND_SERVICE"] } })],
          }),
        ),
      );
    });
  });

  describe("container-resources-required", () => {
    it("fires on a container without a memory limit and an init container without requests", async () => {
      await assertFires(
        containerResourcesRequired(),
        deployment(
          goodPodSpec({
            containers: [goodContainer("app", { resources: { requests: { cpu: "100m", memory: "128Mi" } } })],
            initContainers: [goodContainer("migrate", { resources: {} })],
          }),
        ),
        /container "app" has no resources\.limits\.memory\..*Set resources\.limits\.memory/,
        /init container "migrate" has no resources\.requests\.cpu, resources\.requests\.memory, resources\.limits\.memory/,
      );
    });
    it("stays quiet on sized containers and exempts ephemeral containers (the API forbids their resources)", async () => {
      await assertQuiet(
        containerResourcesRequired(),
        deployment(goodPodSpec({ ephemeralContainers: [{ name: "debug", image: "busybox:1.37" }] })),
      );
    });
  });

  describe("no-latest-image-tag", () => {
    it("parses tags, registry ports and digests", () => {
      assert.equal(imageTag("nginx"), undefined);
      assert.equal(imageTag("registry.local:5000/team/app"), undefined);
      assert.equal(imageTag("registry.local:5000/team/app:2.1"), "2.1");
      assert.equal(imageTag("nginx@sha256:abc"), "@digest");
    });
    it("fires on :latest and on untagged images", async () => {
      await assertFires(
        noLatestImageTag(),
        deployment(
          goodPodSpec({
            containers: [goodContainer("app", { image: "nginx:latest" })],
            initContainers: [goodContainer("init", { image: "registry.local:5000/tools" })],
          }),
        ),
        /container "app" image "nginx:latest" uses the :latest tag\..*Pin a version tag/,
        /init container "init" image "registry\.local:5000\/tools" has no tag/,
      );
    });
    it("stays quiet on version tags and digests", async () => {
      await assertQuiet(
        noLatestImageTag(),
        deployment(
          goodPodSpec({ containers: [goodContainer("app", { image: `nginx@sha256:${"a".repeat(64)}` })] }),
        ),
      );
    });
  });

  describe("no-naked-pods", () => {
    it("fires on a Pod created directly", async () => {
      await assertFires(
        noNakedPods(),
        {
          type: "kubernetes:core/v1:Pod",
          props: { metadata: { name: "one-off", namespace: "apps" }, spec: goodPodSpec() },
        },
        /Pod "apps\/one-off" is created directly\..*Deployment.*Job/,
      );
    });
    it("stays quiet on a Deployment", async () => {
      await assertQuiet(noNakedPods(), deployment());
    });
  });

  describe("no-default-namespace", () => {
    it("fires on a namespaced object without a namespace, or in default", async () => {
      await assertFires(
        noDefaultNamespace(),
        { type: "kubernetes:core/v1:ConfigMap", name: "settings", props: { data: { a: "b" } } },
        /ConfigMap "settings" has no metadata\.namespace, so it lands in default\..*Set metadata\.namespace/,
      );
      await assertFires(
        noDefaultNamespace(),
        { type: "kubernetes:core/v1:Service", props: { metadata: { name: "web", namespace: "default" } } },
        /Service "default\/web" sets metadata\.namespace "default"/,
      );
      await assertFires(
        noDefaultNamespace(),
        {
          type: "kubernetes:awspca.cert-manager.io/v1beta1:AWSPCAIssuer",
          props: { metadata: { name: "team-ca" }, spec: {} },
        },
        /AWSPCAIssuer "team-ca" has no metadata\.namespace, so it lands in default/,
      );
    });
    it("fires on a Helm release without a namespace", async () => {
      await assertFires(
        noDefaultNamespace(),
        {
          type: "kubernetes:helm.sh/v3:Release",
          props: { name: "redis", chart: "redis", version: "20.1.0" },
        },
        /Helm release "redis" installs into the default namespace/,
      );
    });
    it("stays quiet on cluster-scoped kinds and namespaced objects elsewhere", async () => {
      await assertQuiet(noDefaultNamespace(), deployment());
      await assertQuiet(noDefaultNamespace(), {
        type: "kubernetes:core/v1:Namespace",
        props: { metadata: { name: "apps" } },
      });
      await assertQuiet(noDefaultNamespace(), {
        type: "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole",
        props: { rules: [] },
      });
      await assertQuiet(noDefaultNamespace(), {
        type: "kubernetes:cert-manager.io/v1:ClusterIssuer",
        props: { spec: {} },
      });
      await assertQuiet(noDefaultNamespace(), {
        type: "kubernetes:storage.k8s.io/v1:StorageClass",
        props: { provisioner: "ebs.csi.aws.com" },
      });
      await assertQuiet(noDefaultNamespace(), {
        type: "kubernetes:helm.sh/v3:Release",
        props: { chart: "redis", namespace: "cache" },
      });
      await assertQuiet(noDefaultNamespace(), {
        type: "kubernetes:awspca.cert-manager.io/v1beta1:AWSPCAClusterIssuer",
        props: { metadata: { name: "aws-private-ca" }, spec: { arn: "arn:aws:acm-pca:..." } },
      });
      await assertQuiet(noDefaultNamespace(), {
        type: "kubernetes:karpenter.sh/v1:NodePool",
        props: { spec: {} },
      });
      await assertQuiet(noDefaultNamespace(), {
        type: "kubernetes:elbv2.k8s.aws/v1beta1:IngressClassParams",
        props: { metadata: { name: "alb" }, spec: { scheme: "internal" } },
      });
      await assertQuiet(
        noDefaultNamespace(),
        { type: "kubernetes:acme.io/v1:GlobalThing", props: { spec: {} } },
        { clusterScopedKinds: ["GlobalThing"] },
      );
      await assertQuiet(noDefaultNamespace(), { type: "aws:s3/bucket:Bucket", props: {} });
    });
  });

  describe("no-public-load-balancer", () => {
    const lb = (annotations: Obj = {}, name = "web"): TestResource => ({
      type: "kubernetes:core/v1:Service",
      props: {
        metadata: { name, namespace: "apps", annotations },
        spec: { type: "LoadBalancer", ports: [{ port: 443 }] },
      },
    });
    it("fires on a LoadBalancer Service without an internal scheme", async () => {
      await assertFires(
        noPublicLoadBalancer(),
        lb({ "service.beta.kubernetes.io/aws-load-balancer-type": "external" }),
        /Service "apps\/web" is a LoadBalancer without an internal scheme.*aws-load-balancer-scheme: internal.*"apps\/web"/,
      );
    });
    it("stays quiet when annotated internal (current or legacy annotation), allowlisted, or not a LoadBalancer", async () => {
      await assertQuiet(
        noPublicLoadBalancer(),
        lb({ "service.beta.kubernetes.io/aws-load-balancer-scheme": "internal" }),
      );
      await assertQuiet(
        noPublicLoadBalancer(),
        lb({ "service.beta.kubernetes.io/aws-load-balancer-internal": "true" }),
      );
      await assertQuiet(noPublicLoadBalancer(), lb({}, "ingress-nginx"), {
        allowedPublicServices: ["ingress-nginx"],
      });
      await assertQuiet(noPublicLoadBalancer(), lb({}), { allowedPublicServices: ["apps/web"] });
      await assertQuiet(noPublicLoadBalancer(), {
        type: "kubernetes:core/v1:Service",
        props: { metadata: { name: "web", namespace: "apps" }, spec: { type: "ClusterIP" } },
      });
    });
  });
  describe("no-internet-facing-ingress", () => {
    const params = (scheme: string, name = "alb-internet-facing"): TestResource => ({
      type: "kubernetes:elbv2.k8s.aws/v1beta1:IngressClassParams",
      props: { metadata: { name }, spec: { scheme, ipAddressType: "ipv4" } },
    });
    const ingress = (annotations: Obj, name = "shop"): TestResource => ({
      type: "kubernetes:networking.k8s.io/v1:Ingress",
      props: { metadata: { name, namespace: "web", annotations }, spec: { ingressClassName: "alb" } },
    });
    const controller = (values: Obj): TestResource => ({
      type: "kubernetes:helm.sh/v3:Release",
      props: { name: "aws-load-balancer-controller", chart: "aws-load-balancer-controller", values },
    });
    it("fires on internet-facing IngressClassParams, Ingress annotations and controller defaults", async () => {
      await assertFires(
        noInternetFacingIngress(),
        params("internet-facing"),
        /IngressClassParams "alb-internet-facing" sets scheme internet-facing.*allowedInternetFacing/,
      );
      await assertFires(
        noInternetFacingIngress(),
        ingress({ "alb.ingress.kubernetes.io/scheme": "internet-facing" }),
        /Ingress "web\/shop" is annotated alb.ingress.kubernetes.io\/scheme: internet-facing.*add "web\/shop"/,
      );
      await assertFires(
        noInternetFacingIngress(),
        controller({ defaultLoadBalancerScheme: "internet-facing" }),
        /Helm release "aws-load-balancer-controller" sets defaultLoadBalancerScheme: internet-facing/,
      );
      await assertFires(
        noInternetFacingIngress(),
        controller({ ingressClassParams: { create: true, spec: { scheme: "internet-facing" } } }),
        /creates an IngressClassParams with scheme internet-facing/,
      );
    });
    it("stays quiet on internal schemes and on allowlisted objects", async () => {
      await assertQuiet(noInternetFacingIngress(), params("internal", "alb"));
      await assertQuiet(
        noInternetFacingIngress(),
        ingress({ "alb.ingress.kubernetes.io/scheme": "internal" }),
      );
      await assertQuiet(noInternetFacingIngress(), ingress({}));
      await assertQuiet(noInternetFacingIngress(), controller({ defaultLoadBalancerScheme: "internal" }));
      await assertQuiet(noInternetFacingIngress(), params("internet-facing"), {
        allowedInternetFacing: ["alb-internet-facing"],
      });
      await assertQuiet(
        noInternetFacingIngress(),
        ingress({ "alb.ingress.kubernetes.io/scheme": "internet-facing" }),
        { allowedInternetFacing: ["web/shop"] },
      );
    });
  });
});
