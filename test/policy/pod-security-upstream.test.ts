/**
 * The Pod Security policies against the upstream checks at the pinned v1.35
 * (kubernetes/pod-security-admission, tag kubernetes-1.35.0, `policy/check_*.go`). Each case is an
 * upstream fixture from `test/testdata/<level>/v1.35/{pass,fail}/<name>.yaml` (or a unit-test case of
 * `policy/check_*_test.go`), transcribed as the pod spec; the fixture name is in the test title.
 */
import * as assert from "node:assert/strict";
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { runResourcePolicy } from "../../policy/testing";
import {
  baselineSafeSysctls,
  pssBaselineProbeHost,
  pssBaselineProcMount,
  pssBaselineSysctls,
  pssRestrictedProcMount,
  pssRestrictedRunAsNonRoot,
  pssRestrictedRunAsUser,
} from "../../policy/policies/kubernetes-workloads";

type Obj = Record<string, unknown>;

const pause = "registry.k8s.io/pause";
/** The restricted fixtures' container securityContext before the check's own tweak. */
const restrictedSc = { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } };

/** Messages a policy reports for a bare Pod with this spec (as the upstream fixtures are). */
async function verdicts(policy: ResourceValidationPolicy, name: string, spec: Obj): Promise<string[]> {
  const r = await runResourcePolicy(policy, {
    type: "kubernetes:core/v1:Pod",
    name,
    props: { apiVersion: "v1", kind: "Pod", metadata: { name }, spec },
  });
  assert.equal(r.unknown, undefined);
  return r.violations.map((v) => v.message);
}

/** A restricted fixture: container1 and initcontainer1 with the given securityContexts. */
function restrictedPod(podSc: Obj, c1: Obj = {}, init1: Obj = {}, extra: Obj = {}): Obj {
  return {
    containers: [{ image: pause, name: "container1", securityContext: { ...restrictedSc, ...c1 } }],
    initContainers: [
      { image: pause, name: "initcontainer1", securityContext: { ...restrictedSc, ...init1 } },
    ],
    securityContext: { seccompProfile: { type: "RuntimeDefault" }, ...podSc },
    ...extra,
  };
}

/** A baseline fixture: container1 and initcontainer1 with extra container fields. */
function baselinePod(c1: Obj = {}, init1: Obj = {}, extra: Obj = {}): Obj {
  return {
    containers: [{ image: pause, name: "container1", ...c1 }],
    initContainers: [{ image: pause, name: "initcontainer1", ...init1 }],
    ...extra,
  };
}

describe("Pod Security policies against the upstream v1.35 checks", () => {
  describe("pss-baseline-probe-host (check_hostProbesAndhostLifecycle.go, since v1.34)", () => {
    const fail: [string, Obj, RegExp][] = [
      [
        "hostprobesandhostlifecycle0",
        baselinePod({ livenessProbe: { httpGet: { host: "bad.host", port: 8080 } } }),
        /container "container1" sets livenessProbe\.httpGet\.host "bad\.host"/,
      ],
      [
        "hostprobesandhostlifecycle1",
        baselinePod(
          {},
          { readinessProbe: { tcpSocket: { host: "8.8.8.8", port: 8080 } }, restartPolicy: "Always" },
        ),
        /init container "initcontainer1" sets readinessProbe\.tcpSocket\.host "8\.8\.8\.8"/,
      ],
      [
        "hostprobesandhostlifecycle2",
        baselinePod({ lifecycle: { postStart: { httpGet: { host: "bad.host", port: 8080 } } } }),
        /lifecycle\.postStart\.httpGet\.host "bad\.host"/,
      ],
      [
        "hostprobesandhostlifecycle3",
        baselinePod({ livenessProbe: { httpGet: { host: "127.0.0.1", port: 8080 } } }),
        /livenessProbe\.httpGet\.host "127\.0\.0\.1"/,
      ],
      [
        "hostprobesandhostlifecycle4",
        baselinePod({ readinessProbe: { tcpSocket: { host: "::1", port: 8080 } } }),
        /readinessProbe\.tcpSocket\.host "::1"/,
      ],
      [
        "preStop tcpSocket (deprecated handler, still checked upstream)",
        baselinePod({ lifecycle: { preStop: { tcpSocket: { host: "10.0.0.1", port: 80 } } } }),
        /lifecycle\.preStop\.tcpSocket\.host "10\.0\.0\.1".*Remove host/,
      ],
      [
        "startupProbe of an ephemeral container",
        {
          ...baselinePod(),
          ephemeralContainers: [
            { name: "debug", image: pause, startupProbe: { httpGet: { host: "x", port: 1 } } },
          ],
        },
        /ephemeral container "debug" sets startupProbe\.httpGet\.host "x"/,
      ],
    ];
    for (const [name, spec, pattern] of fail) {
      it(`fires on fail/${name}`, async () => {
        const msgs = await verdicts(pssBaselineProbeHost(), name, spec);
        assert.equal(msgs.length, 1, JSON.stringify(msgs));
        assert.match(msgs[0]!, pattern);
      });
    }
    const pass: [string, Obj][] = [
      ["hostprobesandhostlifecycle0", baselinePod()],
      ["hostprobesandhostlifecycle1", baselinePod({ livenessProbe: { httpGet: { port: 8080 } } })],
      ["hostprobesandhostlifecycle2", baselinePod({ readinessProbe: { tcpSocket: { port: 8080 } } })],
      [
        'empty host (allowed value "")',
        baselinePod({ livenessProbe: { httpGet: { host: "", port: 8080 } } }),
      ],
    ];
    for (const [name, spec] of pass) {
      it(`stays quiet on pass/${name}`, async () => {
        assert.deepEqual(await verdicts(pssBaselineProbeHost(), name, spec), []);
      });
    }
  });

  describe("pss-baseline-sysctls (check_sysctls.go, sysctlsAllowedV1Dot32)", () => {
    it("allows exactly the upstream v1.32+ list", () => {
      assert.deepEqual([...baselineSafeSysctls].sort(), [
        "kernel.shm_rmid_forced",
        "net.ipv4.ip_local_port_range",
        "net.ipv4.ip_local_reserved_ports",
        "net.ipv4.ip_unprivileged_port_start",
        "net.ipv4.ping_group_range",
        "net.ipv4.tcp_fin_timeout",
        "net.ipv4.tcp_keepalive_intvl",
        "net.ipv4.tcp_keepalive_probes",
        "net.ipv4.tcp_keepalive_time",
        "net.ipv4.tcp_rmem",
        "net.ipv4.tcp_syncookies",
        "net.ipv4.tcp_wmem",
      ]);
    });
    it("stays quiet on pass/sysctls1 (net.ipv4.tcp_rmem, net.ipv4.tcp_wmem)", async () => {
      const spec = baselinePod(
        {},
        {},
        {
          securityContext: {
            sysctls: [
              { name: "net.ipv4.tcp_rmem", value: "4096 87380 16777216" },
              { name: "net.ipv4.tcp_wmem", value: "4096 65536 16777216" },
            ],
          },
        },
      );
      assert.deepEqual(await verdicts(pssBaselineSysctls(), "sysctls1", spec), []);
    });
    it("fires on fail/sysctls0 (othersysctl)", async () => {
      const spec = baselinePod(
        {},
        {},
        { securityContext: { sysctls: [{ name: "othersysctl", value: "other" }] } },
      );
      const msgs = await verdicts(pssBaselineSysctls(), "sysctls0", spec);
      assert.equal(msgs.length, 1);
      assert.match(msgs[0]!, /sysctls sets "othersysctl"/);
    });
  });

  describe("pss-baseline-proc-mount (check_procMount_baseline.go, relaxed for hostUsers: false at v1.35)", () => {
    it("fires on fail/procmount0 (Unmasked, hostUsers: true)", async () => {
      const spec = baselinePod(
        { securityContext: { procMount: "Unmasked" } },
        { securityContext: {} },
        { hostUsers: true, securityContext: {} },
      );
      const msgs = await verdicts(pssBaselineProcMount(), "procmount0", spec);
      assert.equal(msgs.length, 1);
      assert.match(
        msgs[0]!,
        /container "container1" sets securityContext\.procMount "Unmasked".*hostUsers: false/,
      );
    });
    it("fires when hostUsers is unset (the default is the host user namespace)", async () => {
      const spec = baselinePod({ securityContext: { procMount: "Unmasked" } });
      assert.equal((await verdicts(pssBaselineProcMount(), "unset", spec)).length, 1);
    });
    it("stays quiet on pass/procmount1 (Unmasked with hostUsers: false)", async () => {
      const spec = baselinePod(
        { securityContext: { procMount: "Unmasked" } },
        { securityContext: { procMount: "Unmasked" } },
        { hostUsers: false, securityContext: {} },
      );
      assert.deepEqual(await verdicts(pssBaselineProcMount(), "procmount1", spec), []);
    });
  });

  describe("pss-restricted-proc-mount (check_procMount_restricted.go, v1.35)", () => {
    it("fires on fail/procmount_restricted0 and 1 (Unmasked even with hostUsers: false)", async () => {
      const c = await verdicts(
        pssRestrictedProcMount(),
        "procmount_restricted0",
        restrictedPod({ runAsNonRoot: true }, { procMount: "Unmasked" }, {}, { hostUsers: false }),
      );
      assert.equal(c.length, 1);
      assert.match(c[0]!, /container "container1" sets securityContext\.procMount "Unmasked"/);
      const i = await verdicts(
        pssRestrictedProcMount(),
        "procmount_restricted1",
        restrictedPod({ runAsNonRoot: true }, {}, { procMount: "Unmasked" }, { hostUsers: false }),
      );
      assert.equal(i.length, 1);
      assert.match(i[0]!, /init container "initcontainer1"/);
    });
    it("stays quiet on pass/procmount_restricted0 (Default with hostUsers: false)", async () => {
      const spec = restrictedPod(
        { runAsNonRoot: true },
        { procMount: "Default" },
        { procMount: "Default" },
        { hostUsers: false },
      );
      assert.deepEqual(await verdicts(pssRestrictedProcMount(), "procmount_restricted0", spec), []);
    });
  });

  describe("pss-restricted-run-as-non-root (check_runAsNonRoot.go, relaxed for hostUsers: false at v1.35)", () => {
    const fail: [string, Obj, RegExp][] = [
      ["runasnonroot0", restrictedPod({}), /container "container1" may run as root/],
      [
        "runasnonroot1",
        restrictedPod({ runAsNonRoot: false }),
        /spec\.securityContext\.runAsNonRoot is false/,
      ],
      [
        "runasnonroot2",
        restrictedPod({ runAsNonRoot: true }, { runAsNonRoot: false }),
        /container "container1" sets securityContext\.runAsNonRoot: false/,
      ],
      [
        "runasnonroot3",
        restrictedPod({ runAsNonRoot: true }, {}, { runAsNonRoot: false }),
        /init container "initcontainer1" sets securityContext\.runAsNonRoot: false/,
      ],
      [
        "pod false, containers true (upstream: the pod must not set false)",
        restrictedPod({ runAsNonRoot: false }, { runAsNonRoot: true }, { runAsNonRoot: true }),
        /spec\.securityContext\.runAsNonRoot is false/,
      ],
    ];
    for (const [name, spec, pattern] of fail) {
      it(`fires on fail/${name}`, async () => {
        const msgs = await verdicts(pssRestrictedRunAsNonRoot(), name, spec);
        assert.ok(
          msgs.some((m) => pattern.test(m)),
          JSON.stringify(msgs),
        );
      });
    }
    it("stays quiet on pass/runasnonroot1 (set on every container)", async () => {
      const spec = restrictedPod({}, { runAsNonRoot: true }, { runAsNonRoot: true });
      assert.deepEqual(await verdicts(pssRestrictedRunAsNonRoot(), "runasnonroot1", spec), []);
    });
    it('stays quiet on the unit case "host users false allowed" (and on runasnonroot0 with hostUsers: false)', async () => {
      assert.deepEqual(await verdicts(pssRestrictedRunAsNonRoot(), "userns", { hostUsers: false }), []);
      const spec = restrictedPod({}, {}, {}, { hostUsers: false });
      assert.deepEqual(await verdicts(pssRestrictedRunAsNonRoot(), "runasnonroot0-userns", spec), []);
    });
  });

  describe("pss-restricted-run-as-user (check_runAsUser.go, relaxed for hostUsers: false at v1.35)", () => {
    const fail: [string, Obj, RegExp][] = [
      [
        "runasuser0",
        restrictedPod({ runAsNonRoot: true, runAsUser: 0 }),
        /spec\.securityContext\.runAsUser is 0/,
      ],
      [
        "runasuser1",
        restrictedPod({ runAsNonRoot: true }, { runAsUser: 0 }),
        /container "container1" sets securityContext\.runAsUser: 0/,
      ],
      [
        "runasuser2",
        restrictedPod({ runAsNonRoot: true }, {}, { runAsUser: 0 }),
        /init container "initcontainer1" sets securityContext\.runAsUser: 0/,
      ],
    ];
    for (const [name, spec, pattern] of fail) {
      it(`fires on fail/${name}`, async () => {
        const msgs = await verdicts(pssRestrictedRunAsUser(), name, spec);
        assert.equal(msgs.length, 1, JSON.stringify(msgs));
        assert.match(msgs[0]!, pattern);
      });
    }
    it("stays quiet on pass/runasuser0 (UID 1000)", async () => {
      const spec = restrictedPod(
        { runAsNonRoot: true, runAsUser: 1000 },
        { runAsUser: 1000 },
        { runAsUser: 1000 },
      );
      assert.deepEqual(await verdicts(pssRestrictedRunAsUser(), "runasuser0", spec), []);
    });
    it("stays quiet on runAsUser: 0 in a user namespace (hostUsers: false)", async () => {
      const spec = restrictedPod(
        { runAsNonRoot: true, runAsUser: 0 },
        { runAsUser: 0 },
        {},
        { hostUsers: false },
      );
      assert.deepEqual(await verdicts(pssRestrictedRunAsUser(), "userns", spec), []);
    });
  });
});
