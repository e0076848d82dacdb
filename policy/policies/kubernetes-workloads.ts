/**
 * Kubernetes workload policies: the Pod Security Standards (baseline and restricted, one policy per
 * control), resource requests/limits, image pinning, naked Pods, the `default` namespace and public
 * load balancers.
 *
 * Workload rules find the pod spec by kind, in any API group and version (`kubernetes:apps/v1:Deployment`,
 * `kubernetes:batch/v1:CronJob`, `kubernetes:core/v1:Pod`, ...), so they also judge the children that a
 * Helm v4 `Chart` or a `yaml/v2:ConfigGroup` renders. Every container list is checked: `containers`,
 * `initContainers` and `ephemeralContainers`.
 *
 * Props are read defensively (they may be partial); an unknown value (preview) is not caught: the SDK's
 * `UnknownValueError` propagates and the engine reports that the policy could not run.
 *
 * @see https://kubernetes.io/docs/concepts/security/pod-security-standards/
 */
import type {
  PolicyComplianceFramework,
  ReportViolation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationPolicy,
} from "@pulumi/policy";

// ---------------------------------------------------------------------------------------------------
// Shared helpers (also used by tenancy.ts and rbac.ts)
// ---------------------------------------------------------------------------------------------------

/** Versions of the standards these policies follow, pinned in one place. */
const standards = {
  /** Pod Security Standards version (matches the `pod-security.kubernetes.io/*-version` labels). */
  podSecurity: "v1.35",
  /** CIS Kubernetes Benchmark version whose control ids are cited. */
  cisKubernetes: "1.9.0",
  /** CIS Amazon EKS Benchmark version whose control ids are cited in tags. */
  cisEks: "1.7.0",
} as const;

/** The Pod Security Standards as a compliance framework, for one control. */
export function pssFramework(level: "Baseline" | "Restricted", control: string): PolicyComplianceFramework {
  return {
    name: "Kubernetes Pod Security Standards",
    version: standards.podSecurity,
    reference: `https://kubernetes.io/docs/concepts/security/pod-security-standards/#${level.toLowerCase()}`,
    specification: `${level}: ${control}`,
  };
}

/** The CIS Kubernetes Benchmark as a compliance framework, for one recommendation. */
export function cisFramework(id: string, title: string): PolicyComplianceFramework {
  return {
    name: "CIS Kubernetes Benchmark",
    version: standards.cisKubernetes,
    reference: "https://www.cisecurity.org/benchmark/kubernetes",
    specification: `${id} ${title}`,
  };
}

/** The EKS Best Practices Guide as a compliance framework, for one section. */
export function eksBestPracticesFramework(section: string, anchorUrl: string): PolicyComplianceFramework {
  return {
    name: "Amazon EKS Best Practices Guide",
    version: "2025",
    reference: anchorUrl,
    specification: section,
  };
}

/** A parsed Pulumi Kubernetes type token `kubernetes:<group>/<version>:<Kind>`. */
export interface KubernetesType {
  /** API group; `core` for the legacy group. */
  readonly group: string;
  readonly version: string;
  readonly kind: string;
}

/** Parses `kubernetes:apps/v1:Deployment`; undefined for anything that is not a Kubernetes object token. */
export function parseKubernetesType(type: string): KubernetesType | undefined {
  const m = /^kubernetes:([^:/]+)\/([^:/]+):([A-Za-z0-9]+)$/.exec(type);
  if (!m) return undefined;
  return { group: m[1]!, version: m[2]!, kind: m[3]! };
}

/** True for plain (non-null, non-array) objects. Safe on the SDK's unknown-checking proxy. */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** `v` if it is an array, else `[]`. */
export function asArray(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

/** `v` if it is a plain object, else `{}`. */
export function asObject(v: unknown): Record<string, unknown> {
  return isObject(v) ? v : {};
}

/** String entries of a string list (ignores non-strings). */
export function asStrings(v: unknown): string[] {
  return asArray(v).filter((x): x is string => typeof x === "string");
}

/** `namespace/name` (or `name`) of a Kubernetes object, falling back to the Pulumi resource name. */
export function objectName(props: Record<string, unknown>, resourceName: string): string {
  const meta = asObject(props["metadata"]);
  const name = typeof meta["name"] === "string" ? meta["name"] : resourceName;
  return typeof meta["namespace"] === "string" ? `${meta["namespace"]}/${name}` : name;
}

/** A human label like `Deployment "apps/web"` for messages. */
function describe(args: ResourceValidationArgs): string {
  const kind = parseKubernetesType(args.type)?.kind ?? args.type;
  return `${kind} "${objectName(args.props, args.name)}"`;
}

// ---------------------------------------------------------------------------------------------------
// Pod specs and containers
// ---------------------------------------------------------------------------------------------------

/** Where the pod template lives, by kind (any group and version). */
const podSpecPaths: Readonly<Record<string, readonly string[]>> = {
  Pod: ["spec"],
  PodTemplate: ["template", "spec"],
  Deployment: ["spec", "template", "spec"],
  StatefulSet: ["spec", "template", "spec"],
  DaemonSet: ["spec", "template", "spec"],
  ReplicaSet: ["spec", "template", "spec"],
  ReplicationController: ["spec", "template", "spec"],
  Job: ["spec", "template", "spec"],
  CronJob: ["spec", "jobTemplate", "spec", "template", "spec"],
  // Argo Rollouts uses the Deployment shape.
  Rollout: ["spec", "template", "spec"],
};

/** The pod spec of a workload and the metadata of its pod template. */
export interface PodSpecRef {
  readonly kind: string;
  /** Dotted path of the pod spec inside the props, e.g. `spec.template.spec`. */
  readonly path: string;
  readonly spec: Record<string, unknown>;
  /** Metadata of the pod (template): its annotations carry legacy AppArmor settings. */
  readonly metadata: Record<string, unknown>;
  /** True for `*Patch` resources (server-side apply patches), where absent fields mean "unchanged". */
  readonly isPatch: boolean;
}

/**
 * Finds the pod spec of a workload resource: Pod, PodTemplate, Deployment, StatefulSet, DaemonSet,
 * ReplicaSet, ReplicationController, Job, CronJob (and their `*Patch` variants), in any group/version.
 */
export function podSpecOf(type: string, props: Record<string, unknown>): PodSpecRef | undefined {
  const t = parseKubernetesType(type);
  if (!t || t.group === "helm.sh" || t.group === "yaml" || t.group === "kustomize") return undefined;
  const isPatch = t.kind.endsWith("Patch");
  const kind = isPatch ? t.kind.slice(0, -"Patch".length) : t.kind;
  const path = podSpecPaths[kind];
  if (!path) return undefined;
  let node: unknown = props;
  let parent: unknown = undefined;
  for (const key of path) {
    if (!isObject(node)) return undefined;
    parent = node;
    node = node[key];
  }
  if (!isObject(node)) return undefined;
  return {
    kind,
    path: path.join("."),
    spec: node,
    metadata: asObject(asObject(parent)["metadata"]),
    isPatch,
  };
}

export type ContainerList = "containers" | "initContainers" | "ephemeralContainers";

/** One container of a pod spec, with where it came from. */
export interface ContainerRef {
  readonly list: ContainerList;
  readonly name: string;
  readonly container: Record<string, unknown>;
  /** `container "app"`, `init container "migrate"`, `ephemeral container "debug"`. */
  readonly label: string;
}

const listLabels: Record<ContainerList, string> = {
  containers: "container",
  initContainers: "init container",
  ephemeralContainers: "ephemeral container",
};

/** Every container of a pod spec: regular, init and ephemeral. */
function containersOf(
  spec: Record<string, unknown>,
  lists: readonly ContainerList[] = ["containers", "initContainers", "ephemeralContainers"],
): ContainerRef[] {
  const out: ContainerRef[] = [];
  for (const list of lists) {
    asArray(spec[list]).forEach((c, i) => {
      const container = asObject(c);
      const name = typeof container["name"] === "string" ? container["name"] : `#${i}`;
      out.push({ list, name, container, label: `${listLabels[list]} "${name}"` });
    });
  }
  return out;
}

/** The securityContext of a container (or `{}`). */
function sc(c: ContainerRef): Record<string, unknown> {
  return asObject(c.container["securityContext"]);
}

/** The pod-level securityContext (or `{}`). */
function podSc(spec: Record<string, unknown>): Record<string, unknown> {
  return asObject(spec["securityContext"]);
}

/** PSS exempts Windows pods from some restricted controls. */
function isWindowsPod(spec: Record<string, unknown>): boolean {
  return asObject(spec["os"])["name"] === "windows";
}

type PodCheck = (pod: PodSpecRef, args: ResourceValidationArgs) => string[];

interface WorkloadPolicyDef {
  readonly name: string;
  readonly description: string;
  readonly severity: "low" | "medium" | "high" | "critical";
  readonly framework: PolicyComplianceFramework;
  readonly tags: readonly string[];
  readonly remediationSteps: string;
  readonly url?: string;
  readonly configSchema?: ResourceValidationPolicy["configSchema"];
  /**
   * Whether the rule requires a field to be present (skipped for `*Patch` resources, where an absent
   * field means "left as is"). Rules that forbid a value also judge patches.
   */
  readonly requiresPresence?: boolean;
  readonly check: PodCheck;
}

/** Builds a resource policy that runs `check` on the pod spec of every workload. */
function workloadPolicy(def: WorkloadPolicyDef): ResourceValidationPolicy {
  const policy: ResourceValidationPolicy = {
    name: def.name,
    description: def.description,
    severity: def.severity,
    framework: def.framework,
    tags: [...def.tags],
    remediationSteps: def.remediationSteps,
    configSchema: {
      properties: {
        exemptNamespaces: {
          type: "array",
          items: { type: "string" },
          default: [...defaultExemptNamespaces],
          description:
            "Namespaces whose workloads this policy skips (node agents and add-ons that Pod Security Admission also exempts).",
        },
        ...(def.configSchema?.properties ?? {}),
      },
    },
    validateResource: (args: ResourceValidationArgs, report: ReportViolation) => {
      const pod = podSpecOf(args.type, args.props);
      if (!pod) return;
      if (pod.isPatch && def.requiresPresence) return;
      const exempt =
        args.getConfig<{ exemptNamespaces?: string[] }>().exemptNamespaces ?? defaultExemptNamespaces;
      const ns = asObject(args.props["metadata"])["namespace"];
      if (typeof ns === "string" && exempt.includes(ns)) return;
      for (const problem of def.check(pod, args)) {
        report(`${describe(args)}: ${problem}`);
      }
    },
  };
  if (def.url) policy.url = def.url;
  return policy;
}

/** Namespaces the workload policies skip by default: EKS system add-ons live there. */
const defaultExemptNamespaces: readonly string[] = ["kube-system"];

const pssUrl = "https://kubernetes.io/docs/concepts/security/pod-security-standards/";

// ---------------------------------------------------------------------------------------------------
// Pod Security Standards: Baseline
// ---------------------------------------------------------------------------------------------------

/** PSS Baseline "Host Namespaces": hostNetwork, hostPID and hostIPC must be unset or false. */
export function pssBaselineHostNamespaces(): ResourceValidationPolicy {
  return workloadPolicy({
    name: "pss-baseline-host-namespaces",
    description:
      "Pods must not share the node's network, PID or IPC namespace (PSS Baseline: Host Namespaces).",
    severity: "high",
    framework: pssFramework("Baseline", "Host Namespaces"),
    tags: ["kubernetes", "pod-security", "pss-baseline", "cis-k8s-5.2.3", "cis-k8s-5.2.4", "cis-k8s-5.2.5"],
    remediationSteps: "Remove hostNetwork, hostPID and hostIPC from the pod spec (or set them to false).",
    url: `${pssUrl}#baseline`,
    check: (pod) =>
      (["hostNetwork", "hostPID", "hostIPC"] as const)
        .filter((f) => pod.spec[f] === true)
        .map(
          (f) =>
            `${pod.path}.${f} is true. Sharing a host namespace lets the pod see and reach node processes ` +
            `and traffic, bypassing container isolation. Remove ${f} or set it to false.`,
        ),
  });
}

/** PSS Baseline "Privileged Containers". */
export function pssBaselinePrivilegedContainers(): ResourceValidationPolicy {
  return workloadPolicy({
    name: "pss-baseline-privileged-containers",
    description: "Containers must not run privileged (PSS Baseline: Privileged Containers).",
    severity: "critical",
    framework: pssFramework("Baseline", "Privileged Containers"),
    tags: ["kubernetes", "pod-security", "pss-baseline", "cis-k8s-5.2.2"],
    remediationSteps:
      "Remove securityContext.privileged (or set it to false) and grant only the capabilities needed.",
    url: `${pssUrl}#baseline`,
    check: (pod) =>
      containersOf(pod.spec)
        .filter((c) => sc(c)["privileged"] === true)
        .map(
          (c) =>
            `${c.label} sets securityContext.privileged: true. A privileged container has every capability ` +
            `and full access to the node's devices, so it can take over the node. Remove privileged ` +
            `(or set it to false) and add only the specific capabilities it needs.`,
        ),
  });
}

/** Capabilities the PSS Baseline allows containers to add. */
const baselineAllowedCapabilities: readonly string[] = [
  "AUDIT_WRITE",
  "CHOWN",
  "DAC_OVERRIDE",
  "FOWNER",
  "FSETID",
  "KILL",
  "MKNOD",
  "NET_BIND_SERVICE",
  "SETFCAP",
  "SETGID",
  "SETPCAP",
  "SETUID",
  "SYS_CHROOT",
];

/** PSS Baseline "Capabilities": only the default set may be added. */
export function pssBaselineCapabilities(): ResourceValidationPolicy {
  return workloadPolicy({
    name: "pss-baseline-capabilities",
    description:
      "Containers may add only the capabilities of the runtime's default set (PSS Baseline: Capabilities).",
    severity: "high",
    framework: pssFramework("Baseline", "Capabilities"),
    tags: ["kubernetes", "pod-security", "pss-baseline", "cis-k8s-5.2.9"],
    remediationSteps: `Remove the extra entries from securityContext.capabilities.add; allowed: ${baselineAllowedCapabilities.join(", ")}.`,
    url: `${pssUrl}#baseline`,
    check: (pod) =>
      containersOf(pod.spec).flatMap((c) => {
        const extra = asStrings(asObject(sc(c)["capabilities"])["add"]).filter(
          (cap) => !baselineAllowedCapabilities.includes(cap),
        );
        return extra.length === 0
          ? []
          : [
              `${c.label} adds capabilities ${extra.join(", ")}. Capabilities beyond the runtime default ` +
                `set (such as SYS_ADMIN or NET_ADMIN) allow escaping or reconfiguring the node. Remove ` +
                `them from securityContext.capabilities.add; allowed: ${baselineAllowedCapabilities.join(", ")}.`,
            ];
      }),
  });
}

/** PSS Baseline "HostPath Volumes". */
export function pssBaselineHostPathVolumes(): ResourceValidationPolicy {
  return workloadPolicy({
    name: "pss-baseline-host-path-volumes",
    description: "Pods must not mount hostPath volumes (PSS Baseline: HostPath Volumes).",
    severity: "high",
    framework: pssFramework("Baseline", "HostPath Volumes"),
    tags: ["kubernetes", "pod-security", "pss-baseline", "cis-k8s-5.2.12"],
    remediationSteps:
      "Replace hostPath volumes with emptyDir, a PersistentVolumeClaim, a ConfigMap/Secret or a CSI volume.",
    url: `${pssUrl}#baseline`,
    check: (pod) =>
      asArray(pod.spec["volumes"])
        .map(asObject)
        .filter((v) => v["hostPath"] !== undefined && v["hostPath"] !== null)
        .map(
          (v) =>
            `volume "${String(v["name"] ?? "?")}" is a hostPath volume. hostPath exposes the node's ` +
            `file system (kubelet credentials, container runtime socket) to the pod. Use emptyDir, a ` +
            `PersistentVolumeClaim, a ConfigMap/Secret or a CSI volume instead.`,
        ),
  });
}

/** PSS Baseline "Host Ports": hostPort unset or 0, or in the known list (`allowedHostPorts`). */
export function pssBaselineHostPorts(): ResourceValidationPolicy {
  return workloadPolicy({
    name: "pss-baseline-host-ports",
    description: "Containers must not bind node ports with hostPort (PSS Baseline: Host Ports).",
    severity: "medium",
    framework: pssFramework("Baseline", "Host Ports"),
    tags: ["kubernetes", "pod-security", "pss-baseline", "cis-k8s-5.2.13"],
    remediationSteps:
      "Remove hostPort from the container ports and expose the pod through a Service instead.",
    url: `${pssUrl}#baseline`,
    configSchema: {
      properties: {
        allowedHostPorts: {
          type: "array",
          items: { type: "integer", minimum: 1, maximum: 65535 },
          default: [],
          description: "The PSS 'known list' of host ports that may be used.",
        },
      },
    },
    check: (pod, args) => {
      const allowed = args.getConfig<{ allowedHostPorts?: number[] }>().allowedHostPorts ?? [];
      return containersOf(pod.spec).flatMap((c) =>
        asArray(c.container["ports"])
          .map(asObject)
          .filter((p) => typeof p["hostPort"] === "number" && p["hostPort"] !== 0)
          .filter((p) => !allowed.includes(p["hostPort"] as number))
          .map(
            (p) =>
              `${c.label} binds hostPort ${p["hostPort"]}. Host ports tie the pod to one node's ` +
              `network and bypass NetworkPolicies. Remove hostPort and expose the pod through a ` +
              `Service (or add the port to this policy's allowedHostPorts config if it is a known exception).`,
          ),
      );
    },
  });
}

/** PSS Baseline "HostProcess": Windows HostProcess containers are forbidden. */
export function pssBaselineHostProcess(): ResourceValidationPolicy {
  return workloadPolicy({
    name: "pss-baseline-host-process",
    description: "Pods must not run Windows HostProcess containers (PSS Baseline: HostProcess).",
    severity: "high",
    framework: pssFramework("Baseline", "HostProcess"),
    tags: ["kubernetes", "pod-security", "pss-baseline", "cis-k8s-5.2.11"],
    remediationSteps: "Remove securityContext.windowsOptions.hostProcess from the pod and its containers.",
    url: `${pssUrl}#baseline`,
    check: (pod) => {
      const fix =
        "HostProcess containers run directly on the Windows node with host privileges. Remove " +
        "securityContext.windowsOptions.hostProcess (or set it to false).";
      const out: string[] = [];
      if (asObject(podSc(pod.spec)["windowsOptions"])["hostProcess"] === true) {
        out.push(`${pod.path}.securityContext.windowsOptions.hostProcess is true. ${fix}`);
      }
      for (const c of containersOf(pod.spec)) {
        if (asObject(sc(c)["windowsOptions"])["hostProcess"] === true) {
          out.push(`${c.label} sets securityContext.windowsOptions.hostProcess: true. ${fix}`);
        }
      }
      return out;
    },
  });
}

/** PSS Baseline "AppArmor": the profile must not be Unconfined. */
export function pssBaselineAppArmor(): ResourceValidationPolicy {
  const annotationPrefix = "container.apparmor.security.beta.kubernetes.io/";
  const fix =
    "AppArmor confines what a container can do on the node. Use RuntimeDefault or a Localhost profile.";
  const badType = (p: unknown) => {
    const type = asObject(p)["type"];
    return typeof type === "string" && type !== "RuntimeDefault" && type !== "Localhost";
  };
  return workloadPolicy({
    name: "pss-baseline-apparmor",
    description: "Pods must not disable AppArmor (PSS Baseline: AppArmor).",
    severity: "medium",
    framework: pssFramework("Baseline", "AppArmor"),
    tags: ["kubernetes", "pod-security", "pss-baseline"],
    remediationSteps:
      "Set securityContext.appArmorProfile.type to RuntimeDefault (or Localhost), or leave it unset.",
    url: `${pssUrl}#baseline`,
    check: (pod) => {
      const out: string[] = [];
      const podProfile = podSc(pod.spec)["appArmorProfile"];
      if (badType(podProfile)) {
        out.push(
          `${pod.path}.securityContext.appArmorProfile.type is "${asObject(podProfile)["type"]}". ${fix}`,
        );
      }
      for (const c of containersOf(pod.spec)) {
        const p = sc(c)["appArmorProfile"];
        if (badType(p)) {
          out.push(`${c.label} sets securityContext.appArmorProfile.type "${asObject(p)["type"]}". ${fix}`);
        }
      }
      for (const [key, value] of Object.entries(asObject(pod.metadata["annotations"]))) {
        if (
          key.startsWith(annotationPrefix) &&
          typeof value === "string" &&
          value !== "runtime/default" &&
          !value.startsWith("localhost/")
        ) {
          out.push(`annotation ${key} is "${value}". ${fix}`);
        }
      }
      return out;
    },
  });
}

/** SELinux types the PSS Baseline allows. */
const baselineSeLinuxTypes = ["container_t", "container_init_t", "container_kvm_t", "container_engine_t"];

/** PSS Baseline "SELinux": only the container types, no custom user or role. */
export function pssBaselineSeLinux(): ResourceValidationPolicy {
  const problems = (where: string, opts: unknown): string[] => {
    const o = asObject(opts);
    const out: string[] = [];
    const fix =
      "A custom SELinux user, role or type can lift the confinement of the container. Remove them or use " +
      `a type among ${baselineSeLinuxTypes.join(", ")}.`;
    if (typeof o["type"] === "string" && o["type"] !== "" && !baselineSeLinuxTypes.includes(o["type"])) {
      out.push(`${where} sets seLinuxOptions.type "${o["type"]}". ${fix}`);
    }
    for (const f of ["user", "role"]) {
      if (typeof o[f] === "string" && o[f] !== "")
        out.push(`${where} sets seLinuxOptions.${f} "${o[f]}". ${fix}`);
    }
    return out;
  };
  return workloadPolicy({
    name: "pss-baseline-selinux",
    description:
      "Pods must not set a custom SELinux user or role, or a non-container type (PSS Baseline: SELinux).",
    severity: "medium",
    framework: pssFramework("Baseline", "SELinux"),
    tags: ["kubernetes", "pod-security", "pss-baseline"],
    remediationSteps:
      "Remove seLinuxOptions.user/role and use a container_* type, or leave seLinuxOptions unset.",
    url: `${pssUrl}#baseline`,
    check: (pod) => [
      ...problems(`${pod.path}.securityContext`, podSc(pod.spec)["seLinuxOptions"]),
      ...containersOf(pod.spec).flatMap((c) => problems(c.label, sc(c)["seLinuxOptions"])),
    ],
  });
}

/**
 * True when the pod runs in its own user namespace (`hostUsers: false`): Pod Security v1.35 relaxes
 * the baseline /proc mount check and the restricted run-as-non-root and run-as-user checks for such pods
 * (upstream `relaxPolicyForUserNamespacePod`).
 */
function inUserNamespace(spec: Record<string, unknown>): boolean {
  return spec["hostUsers"] === false;
}

/** Containers whose procMount is set to something other than Default. */
function unmaskedProcMounts(pod: PodSpecRef, fix: string): string[] {
  return containersOf(pod.spec)
    .filter((c) => typeof sc(c)["procMount"] === "string" && sc(c)["procMount"] !== "Default")
    .map(
      (c) =>
        `${c.label} sets securityContext.procMount "${sc(c)["procMount"]}". An unmasked /proc exposes ` +
        `kernel interfaces that the default mask hides. ${fix}`,
    );
}

/**
 * PSS Baseline "/proc Mount Type": only the Default proc mount, unless the pod runs in a user namespace
 * (`hostUsers: false`, relaxed since v1.35; upstream `check_procMount_baseline.go`).
 */
export function pssBaselineProcMount(): ResourceValidationPolicy {
  return workloadPolicy({
    name: "pss-baseline-proc-mount",
    description:
      "Containers must use the default masked /proc mount unless the pod sets hostUsers: false (PSS Baseline: /proc Mount Type).",
    severity: "medium",
    framework: pssFramework("Baseline", "/proc Mount Type"),
    tags: ["kubernetes", "pod-security", "pss-baseline"],
    remediationSteps:
      "Remove securityContext.procMount or set it to Default (or run the pod with hostUsers: false).",
    url: `${pssUrl}#baseline`,
    check: (pod) =>
      inUserNamespace(pod.spec)
        ? []
        : unmaskedProcMounts(
            pod,
            "Remove procMount or set it to Default, or run the pod with hostUsers: false.",
          ),
  });
}

/**
 * PSS Restricted "/proc Mount Type": only the Default proc mount, also in a user namespace (upstream
 * `check_procMount_restricted.go`, v1.35: the restricted profile keeps the v1.0 rule).
 */
export function pssRestrictedProcMount(): ResourceValidationPolicy {
  return workloadPolicy({
    name: "pss-restricted-proc-mount",
    description:
      "Containers must use the default masked /proc mount, even with hostUsers: false (PSS Restricted: /proc Mount Type).",
    severity: "medium",
    framework: pssFramework("Restricted", "/proc Mount Type"),
    tags: ["kubernetes", "pod-security", "pss-restricted"],
    remediationSteps: "Remove securityContext.procMount or set it to Default.",
    url: `${pssUrl}#restricted`,
    check: (pod) => unmaskedProcMounts(pod, "Remove procMount or set it to Default."),
  });
}

/** PSS Baseline "Seccomp": the profile must not be Unconfined. */
export function pssBaselineSeccomp(): ResourceValidationPolicy {
  const fix =
    "Without seccomp every system call reaches the kernel. Set seccompProfile.type to RuntimeDefault (or " +
    "Localhost with a profile).";
  return workloadPolicy({
    name: "pss-baseline-seccomp",
    description: "Pods and containers must not set an Unconfined seccomp profile (PSS Baseline: Seccomp).",
    severity: "medium",
    framework: pssFramework("Baseline", "Seccomp"),
    tags: ["kubernetes", "pod-security", "pss-baseline"],
    remediationSteps: "Set securityContext.seccompProfile.type to RuntimeDefault.",
    url: `${pssUrl}#baseline`,
    check: (pod) => {
      const out: string[] = [];
      if (asObject(podSc(pod.spec)["seccompProfile"])["type"] === "Unconfined") {
        out.push(`${pod.path}.securityContext.seccompProfile.type is Unconfined. ${fix}`);
      }
      for (const c of containersOf(pod.spec)) {
        if (asObject(sc(c)["seccompProfile"])["type"] === "Unconfined") {
          out.push(`${c.label} sets securityContext.seccompProfile.type Unconfined. ${fix}`);
        }
      }
      return out;
    },
  });
}

/** Namespaced sysctls the PSS Baseline considers safe at v1.35 (upstream `check_sysctls.go`, `sysctlsAllowedV1Dot32`). */
export const baselineSafeSysctls: readonly string[] = [
  "kernel.shm_rmid_forced",
  "net.ipv4.ip_local_port_range",
  "net.ipv4.ip_unprivileged_port_start",
  "net.ipv4.tcp_syncookies",
  "net.ipv4.ping_group_range",
  "net.ipv4.ip_local_reserved_ports",
  "net.ipv4.tcp_keepalive_time",
  "net.ipv4.tcp_fin_timeout",
  "net.ipv4.tcp_keepalive_intvl",
  "net.ipv4.tcp_keepalive_probes",
  // Added in v1.32.
  "net.ipv4.tcp_rmem",
  "net.ipv4.tcp_wmem",
];

/** PSS Baseline "Sysctls": only the safe subset. */
export function pssBaselineSysctls(): ResourceValidationPolicy {
  return workloadPolicy({
    name: "pss-baseline-sysctls",
    description: "Pods may set only the safe namespaced sysctls (PSS Baseline: Sysctls).",
    severity: "medium",
    framework: pssFramework("Baseline", "Sysctls"),
    tags: ["kubernetes", "pod-security", "pss-baseline"],
    remediationSteps: `Remove the unsafe sysctls from securityContext.sysctls; allowed: ${baselineSafeSysctls.join(", ")}.`,
    url: `${pssUrl}#baseline`,
    check: (pod) =>
      asArray(podSc(pod.spec)["sysctls"])
        .map((s) => asObject(s)["name"])
        .filter((n): n is string => typeof n === "string" && !baselineSafeSysctls.includes(n))
        .map(
          (n) =>
            `${pod.path}.securityContext.sysctls sets "${n}". Unsafe sysctls can affect other pods on ` +
            `the node or the node itself. Remove it; allowed: ${baselineSafeSysctls.join(", ")}.`,
        ),
  });
}

/** Probe and lifecycle-handler fields whose `httpGet`/`tcpSocket` handlers the baseline checks. */
const probeFields = ["livenessProbe", "readinessProbe", "startupProbe"] as const;
const lifecycleFields = ["postStart", "preStop"] as const;

/**
 * PSS Baseline "Probes / Lifecycle Hooks" (since v1.34; upstream `check_hostProbesAndhostLifecycle.go`):
 * the `host` of every probe and lifecycle `httpGet`/`tcpSocket` handler must be unset or empty, so
 * the kubelet cannot be used to reach other hosts.
 */
export function pssBaselineProbeHost(): ResourceValidationPolicy {
  return workloadPolicy({
    name: "pss-baseline-probe-host",
    description:
      "Probe and lifecycle-hook httpGet/tcpSocket handlers must not set host (PSS Baseline: Probes / Lifecycle Hooks).",
    severity: "medium",
    framework: pssFramework("Baseline", "Probes / Lifecycle Hooks"),
    tags: ["kubernetes", "pod-security", "pss-baseline"],
    remediationSteps:
      "Remove host from the probe or lifecycle handler (the kubelet then targets the pod IP); use an httpHeaders Host header for virtual hosts.",
    url: `${pssUrl}#baseline`,
    check: (pod) =>
      containersOf(pod.spec).flatMap((c) => {
        const handlers: [string, unknown][] = [
          ...probeFields.map((f): [string, unknown] => [f, c.container[f]]),
          ...lifecycleFields.map((f): [string, unknown] => [
            `lifecycle.${f}`,
            asObject(c.container["lifecycle"])[f],
          ]),
        ];
        return handlers.flatMap(([where, handler]) =>
          (["httpGet", "tcpSocket"] as const)
            .map((kind) => [kind, asObject(asObject(handler)[kind])["host"]] as const)
            .filter(([, host]) => typeof host === "string" && host !== "")
            .map(
              ([kind, host]) =>
                `${c.label} sets ${where}.${kind}.host "${host}". The kubelet would connect to that host ` +
                `on the pod's behalf, reaching addresses the pod itself may not. Remove host (the pod IP is used).`,
            ),
        );
      }),
  });
}

// ---------------------------------------------------------------------------------------------------
// Pod Security Standards: Restricted
// ---------------------------------------------------------------------------------------------------

/** Volume types the PSS Restricted profile allows (`image` since Kubernetes 1.33). */
const restrictedVolumeTypes: readonly string[] = [
  "configMap",
  "csi",
  "downwardAPI",
  "emptyDir",
  "ephemeral",
  "image",
  "persistentVolumeClaim",
  "projected",
  "secret",
];

/** PSS Restricted "Volume Types". */
export function pssRestrictedVolumeTypes(): ResourceValidationPolicy {
  return workloadPolicy({
    name: "pss-restricted-volume-types",
    description: "Pods may use only the core volume types (PSS Restricted: Volume Types).",
    severity: "medium",
    framework: pssFramework("Restricted", "Volume Types"),
    tags: ["kubernetes", "pod-security", "pss-restricted"],
    remediationSteps: `Use only ${restrictedVolumeTypes.join(", ")} volumes; reach other storage through a PersistentVolumeClaim.`,
    url: `${pssUrl}#restricted`,
    check: (pod) =>
      asArray(pod.spec["volumes"]).flatMap((v) => {
        const vol = asObject(v);
        const types = Object.keys(vol).filter((k) => k !== "name" && vol[k] !== null && vol[k] !== undefined);
        const bad = types.filter((k) => !restrictedVolumeTypes.includes(k));
        return bad.length === 0
          ? []
          : [
              `volume "${String(vol["name"] ?? "?")}" has type ${bad.join(", ")}. Volume types other than ` +
                `the core ones give the pod direct access to node or network storage drivers. Use one of ` +
                `${restrictedVolumeTypes.join(", ")} (other storage through a PersistentVolumeClaim).`,
            ];
      }),
  });
}

/** PSS Restricted "Privilege Escalation": allowPrivilegeEscalation must be false on every container. */
export function pssRestrictedPrivilegeEscalation(): ResourceValidationPolicy {
  return workloadPolicy({
    name: "pss-restricted-privilege-escalation",
    description:
      "Every container must set securityContext.allowPrivilegeEscalation: false (PSS Restricted: Privilege Escalation).",
    severity: "high",
    framework: pssFramework("Restricted", "Privilege Escalation"),
    tags: ["kubernetes", "pod-security", "pss-restricted", "cis-k8s-5.2.6"],
    remediationSteps: "Set securityContext.allowPrivilegeEscalation: false on every container.",
    url: `${pssUrl}#restricted`,
    requiresPresence: true,
    check: (pod) =>
      isWindowsPod(pod.spec)
        ? []
        : containersOf(pod.spec)
            .filter((c) => sc(c)["allowPrivilegeEscalation"] !== false)
            .map(
              (c) =>
                `${c.label} does not set securityContext.allowPrivilegeEscalation: false. Without it a ` +
                `process can gain more privileges than its parent (setuid binaries). Set ` +
                `allowPrivilegeEscalation: false in the container's securityContext.`,
            ),
  });
}

/** PSS Restricted "Running as Non-root": runAsNonRoot true on the pod or on every container. */
export function pssRestrictedRunAsNonRoot(): ResourceValidationPolicy {
  return workloadPolicy({
    name: "pss-restricted-run-as-non-root",
    description:
      "Pods must set runAsNonRoot: true on the pod or on every container, and neither may set it to false, unless the pod sets hostUsers: false (PSS Restricted: Running as Non-root).",
    severity: "high",
    framework: pssFramework("Restricted", "Running as Non-root"),
    tags: ["kubernetes", "pod-security", "pss-restricted", "cis-k8s-5.2.7"],
    remediationSteps:
      "Set securityContext.runAsNonRoot: true on the pod (and a non-zero runAsUser if the image has no numeric USER).",
    url: `${pssUrl}#restricted`,
    requiresPresence: true,
    check: (pod) => {
      if (inUserNamespace(pod.spec)) return [];
      const podValue = podSc(pod.spec)["runAsNonRoot"];
      const why =
        "A container running as root is one kernel bug away from root on the node. Set " +
        `${pod.path}.securityContext.runAsNonRoot: true (and a non-zero runAsUser if the image has no numeric USER), ` +
        "or run the pod in a user namespace with hostUsers: false.";
      const out: string[] = [];
      if (podValue === false) out.push(`${pod.path}.securityContext.runAsNonRoot is false. ${why}`);
      for (const c of containersOf(pod.spec)) {
        const v = sc(c)["runAsNonRoot"];
        if (v === false) out.push(`${c.label} sets securityContext.runAsNonRoot: false. ${why}`);
        else if (v !== true && podValue !== true)
          out.push(`${c.label} may run as root: neither it nor the pod sets runAsNonRoot: true. ${why}`);
      }
      return out;
    },
  });
}

/** PSS Restricted "Running as Non-root user": runAsUser must not be 0. */
export function pssRestrictedRunAsUser(): ResourceValidationPolicy {
  const why =
    "UID 0 is root. Use a non-zero UID (e.g. 65532) or remove runAsUser and rely on the image's USER.";
  return workloadPolicy({
    name: "pss-restricted-run-as-user",
    description:
      "Pods and containers must not set runAsUser: 0 unless the pod sets hostUsers: false (PSS Restricted: Running as Non-root user).",
    severity: "high",
    framework: pssFramework("Restricted", "Running as Non-root user"),
    tags: ["kubernetes", "pod-security", "pss-restricted", "cis-k8s-5.2.7"],
    remediationSteps: "Set runAsUser to a non-zero UID, or remove it.",
    url: `${pssUrl}#restricted`,
    check: (pod) => {
      if (inUserNamespace(pod.spec)) return [];
      const out: string[] = [];
      if (podSc(pod.spec)["runAsUser"] === 0) out.push(`${pod.path}.securityContext.runAsUser is 0. ${why}`);
      for (const c of containersOf(pod.spec)) {
        if (sc(c)["runAsUser"] === 0) out.push(`${c.label} sets securityContext.runAsUser: 0. ${why}`);
      }
      return out;
    },
  });
}

/** PSS Restricted "Seccomp": RuntimeDefault or Localhost on the pod or on every container. */
export function pssRestrictedSeccomp(): ResourceValidationPolicy {
  const ok = (p: unknown) => {
    const type = asObject(p)["type"];
    return type === "RuntimeDefault" || type === "Localhost";
  };
  return workloadPolicy({
    name: "pss-restricted-seccomp",
    description:
      "Pods must set seccompProfile.type RuntimeDefault or Localhost on the pod or on every container (PSS Restricted: Seccomp).",
    severity: "medium",
    framework: pssFramework("Restricted", "Seccomp"),
    tags: ["kubernetes", "pod-security", "pss-restricted", "cis-k8s-5.7.2"],
    remediationSteps: "Set securityContext.seccompProfile: { type: RuntimeDefault } on the pod.",
    url: `${pssUrl}#restricted`,
    requiresPresence: true,
    check: (pod) => {
      if (isWindowsPod(pod.spec)) return [];
      const podProfile = asObject(podSc(pod.spec)["seccompProfile"]);
      const podOk = ok(podProfile);
      const why =
        "The seccomp profile filters the system calls a container may make. Set " +
        `${pod.path}.securityContext.seccompProfile: { type: RuntimeDefault } (or Localhost with a profile).`;
      const out: string[] = [];
      if (podProfile["type"] !== undefined && !podOk) {
        out.push(`${pod.path}.securityContext.seccompProfile.type is "${podProfile["type"]}". ${why}`);
      }
      for (const c of containersOf(pod.spec)) {
        const p = asObject(sc(c)["seccompProfile"]);
        if (p["type"] !== undefined && !ok(p)) {
          out.push(`${c.label} sets securityContext.seccompProfile.type "${p["type"]}". ${why}`);
        } else if (p["type"] === undefined && !podOk) {
          out.push(`${c.label} has no seccomp profile: neither it nor the pod sets one. ${why}`);
        }
      }
      return out;
    },
  });
}

/** PSS Restricted "Capabilities": drop ALL, add at most NET_BIND_SERVICE. */
export function pssRestrictedCapabilities(): ResourceValidationPolicy {
  return workloadPolicy({
    name: "pss-restricted-capabilities",
    description:
      "Every container must drop ALL capabilities and may add back only NET_BIND_SERVICE (PSS Restricted: Capabilities).",
    severity: "high",
    framework: pssFramework("Restricted", "Capabilities"),
    tags: ["kubernetes", "pod-security", "pss-restricted", "cis-k8s-5.2.8", "cis-k8s-5.2.10"],
    remediationSteps:
      'Set securityContext.capabilities: { drop: ["ALL"] } (add: ["NET_BIND_SERVICE"] only if needed).',
    url: `${pssUrl}#restricted`,
    requiresPresence: true,
    check: (pod) => {
      if (isWindowsPod(pod.spec)) return [];
      return containersOf(pod.spec).flatMap((c) => {
        const caps = asObject(sc(c)["capabilities"]);
        const out: string[] = [];
        if (!asStrings(caps["drop"]).includes("ALL")) {
          out.push(
            `${c.label} does not drop ALL capabilities. Default capabilities (NET_RAW, CHOWN, ...) ` +
              `widen what a compromised process can do. Set securityContext.capabilities.drop: ["ALL"].`,
          );
        }
        const extra = asStrings(caps["add"]).filter((cap) => cap !== "NET_BIND_SERVICE");
        if (extra.length > 0) {
          out.push(
            `${c.label} adds capabilities ${extra.join(", ")}. The restricted profile allows adding back ` +
              `only NET_BIND_SERVICE. Remove them from securityContext.capabilities.add.`,
          );
        }
        return out;
      });
    },
  });
}

// ---------------------------------------------------------------------------------------------------
// Workload hygiene
// ---------------------------------------------------------------------------------------------------

/** Containers have cpu and memory requests and a memory limit. */
export function containerResourcesRequired(): ResourceValidationPolicy {
  return workloadPolicy({
    name: "container-resources-required",
    description:
      "Containers and init containers must request cpu and memory and limit memory, so the scheduler and quotas work.",
    severity: "medium",
    framework: eksBestPracticesFramework(
      "Reliability: configure and size resource requests and limits",
      "https://docs.aws.amazon.com/eks/latest/best-practices/application.html",
    ),
    tags: ["kubernetes", "reliability", "resources", "eks-best-practices"],
    remediationSteps:
      "Set resources.requests.cpu, resources.requests.memory and resources.limits.memory on every container.",
    url: "https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/",
    requiresPresence: true,
    // Ephemeral containers may not set resources (the API rejects them), so they are exempt.
    check: (pod) =>
      containersOf(pod.spec, ["containers", "initContainers"]).flatMap((c) => {
        const res = asObject(c.container["resources"]);
        const requests = asObject(res["requests"]);
        const limits = asObject(res["limits"]);
        const missing = [
          requests["cpu"] === undefined || requests["cpu"] === null ? "requests.cpu" : undefined,
          requests["memory"] === undefined || requests["memory"] === null ? "requests.memory" : undefined,
          limits["memory"] === undefined || limits["memory"] === null ? "limits.memory" : undefined,
        ].filter((m): m is string => m !== undefined);
        return missing.length === 0
          ? []
          : [
              `${c.label} has no resources.${missing.join(", resources.")}. Without requests the scheduler ` +
                `overpacks nodes and the namespace ResourceQuota rejects the pod; without a memory limit ` +
                `one container can exhaust the node's memory. Set ${missing.map((m) => `resources.${m}`).join(", ")}.`,
            ];
      }),
  });
}

/** The tag of an image reference, `undefined` if untagged; `"@digest"` when pinned by digest. */
export function imageTag(image: string): string | undefined {
  if (image.includes("@")) return "@digest";
  const lastSegment = image.slice(image.lastIndexOf("/") + 1);
  const colon = lastSegment.lastIndexOf(":");
  return colon === -1 ? undefined : lastSegment.slice(colon + 1);
}

/** Images are pinned: no `:latest`, no untagged image (a digest is best). */
export function noLatestImageTag(): ResourceValidationPolicy {
  return workloadPolicy({
    name: "no-latest-image-tag",
    description: "Container images must be pinned to a version tag or digest, never `:latest` or untagged.",
    severity: "medium",
    framework: eksBestPracticesFramework(
      "Security: image security (use immutable tags)",
      "https://docs.aws.amazon.com/eks/latest/best-practices/image-security.html",
    ),
    tags: ["kubernetes", "supply-chain", "images", "eks-best-practices"],
    remediationSteps:
      "Reference images as repository:version (e.g. nginx:1.27.3) or repository@sha256:<digest>.",
    url: "https://kubernetes.io/docs/concepts/containers/images/#image-names",
    check: (pod) =>
      containersOf(pod.spec).flatMap((c) => {
        const image = c.container["image"];
        if (typeof image !== "string") return [];
        const tag = imageTag(image);
        if (tag !== undefined && tag !== "latest") return [];
        const what = tag === undefined ? "has no tag (it means :latest)" : "uses the :latest tag";
        return [
          `${c.label} image "${image}" ${what}. A moving tag makes rollouts unreproducible and pulls ` +
            `untested code on every restart. Pin a version tag (e.g. nginx:1.27.3) or a digest (@sha256:...).`,
        ];
      }),
  });
}

/** Pods are created by controllers, never directly. */
export function noNakedPods(): ResourceValidationPolicy {
  return {
    name: "no-naked-pods",
    description:
      "Pods must be created by a controller (Deployment, StatefulSet, DaemonSet, Job), not directly.",
    severity: "low",
    framework: eksBestPracticesFramework(
      "Reliability: avoid running singleton (naked) Pods",
      "https://docs.aws.amazon.com/eks/latest/best-practices/application.html",
    ),
    tags: ["kubernetes", "reliability", "eks-best-practices"],
    remediationSteps: "Wrap the pod spec in a Deployment (long-running) or a Job (run to completion).",
    url: "https://kubernetes.io/docs/concepts/configuration/overview/#naked-pods-vs-replicasets-deployments-and-jobs",
    validateResource: (args, report) => {
      const t = parseKubernetesType(args.type);
      if (!t || t.group !== "core" || t.kind !== "Pod") return;
      report(
        `${describe(args)} is created directly. A naked Pod is not rescheduled when its node fails or is ` +
          `drained. Put its spec in a Deployment (long-running) or a Job (run to completion).`,
      );
    },
  };
}

/** Kinds that are not namespaced (built-in plus common cluster-scoped custom resources). */
const clusterScopedKinds: readonly string[] = [
  "APIService",
  "AWSPCAClusterIssuer",
  "CertificateSigningRequest",
  "ComponentStatus",
  "CSIDriver",
  "CSINode",
  "CustomResourceDefinition",
  "DeviceClass",
  "EC2NodeClass",
  "FlowSchema",
  "IngressClass",
  "IngressClassParams",
  "IPAddress",
  "MutatingAdmissionPolicy",
  "MutatingAdmissionPolicyBinding",
  "MutatingWebhookConfiguration",
  "Namespace",
  "Node",
  "NodeClaim",
  "NodePool",
  "PersistentVolume",
  "PodSecurityPolicy",
  "PriorityClass",
  "PriorityLevelConfiguration",
  "ResourceSlice",
  "RuntimeClass",
  "SelfSubjectAccessReview",
  "SelfSubjectReview",
  "SelfSubjectRulesReview",
  "ServiceCIDR",
  "StorageClass",
  "StorageVersion",
  "StorageVersionMigration",
  "SubjectAccessReview",
  "TokenReview",
  "ValidatingAdmissionPolicy",
  "ValidatingAdmissionPolicyBinding",
  "ValidatingWebhookConfiguration",
  "VolumeAttachment",
  "VolumeAttributesClass",
  "VolumeSnapshotClass",
  "VolumeSnapshotContent",
];

/** True when a Kubernetes kind is cluster-scoped: listed, or named `Cluster*` (ClusterRole, ClusterIssuer...). */
function isClusterScopedKind(kind: string, extra: readonly string[] = []): boolean {
  const base = kind.endsWith("Patch") ? kind.slice(0, -"Patch".length) : kind;
  return clusterScopedKinds.includes(base) || extra.includes(base) || /^Cluster[A-Z]/.test(base);
}

/** Nothing lives in the `default` namespace (CIS 5.7.4). */
export function noDefaultNamespace(): ResourceValidationPolicy {
  return {
    name: "no-default-namespace",
    description:
      "Namespaced Kubernetes objects and Helm releases must name a namespace other than `default` (CIS 5.7.4).",
    severity: "medium",
    framework: cisFramework("5.7.4", "The default namespace should not be used"),
    tags: ["kubernetes", "tenancy", "cis-k8s-5.7.4", "cis-eks-4.6.3"],
    remediationSteps:
      "Set metadata.namespace (Helm v3 Release: namespace) to the owning team's or component's namespace.",
    url: "https://kubernetes.io/docs/concepts/overview/working-with-objects/namespaces/",
    configSchema: {
      properties: {
        clusterScopedKinds: {
          type: "array",
          items: { type: "string" },
          default: [],
          description:
            "Extra cluster-scoped kinds (custom resources) to skip, beyond the built-in list and `Cluster*` kinds.",
        },
      },
    },
    validateResource: (args, report) => {
      const why =
        "The default namespace has no quota, limits, network policy or Pod Security label, and every " +
        "user can usually see it.";
      const providerNamespace = args.provider?.props?.["namespace"];
      const inherited =
        typeof providerNamespace === "string" && providerNamespace !== "" ? providerNamespace : undefined;
      if (args.type === "kubernetes:helm.sh/v3:Release") {
        const ns = args.props["namespace"] ?? inherited;
        if (ns === undefined || ns === null || ns === "" || ns === "default") {
          report(
            `Helm release "${String(args.props["name"] ?? args.name)}" installs into the default namespace. ` +
              `${why} Set the release's namespace (with createNamespace or an existing Namespace).`,
          );
        }
        return;
      }
      const t = parseKubernetesType(args.type);
      if (!t || ["helm.sh", "yaml", "kustomize"].includes(t.group) || t.kind.endsWith("List")) return;
      const extra = args.getConfig<{ clusterScopedKinds?: string[] }>().clusterScopedKinds ?? [];
      if (isClusterScopedKind(t.kind, extra)) return;
      const ns = asObject(args.props["metadata"])["namespace"] ?? inherited;
      if (ns === undefined || ns === null || ns === "" || ns === "default") {
        const detail =
          ns === "default"
            ? 'sets metadata.namespace "default"'
            : "has no metadata.namespace, so it lands in default";
        report(
          `${describe(args)} ${detail}. ${why} Set metadata.namespace to the owning team's or component's namespace.`,
        );
      }
    },
  };
}

/** Annotation values that make an AWS load balancer internal. */
function isInternalLoadBalancer(annotations: Record<string, unknown>): boolean {
  const scheme = annotations["service.beta.kubernetes.io/aws-load-balancer-scheme"];
  const legacy = annotations["service.beta.kubernetes.io/aws-load-balancer-internal"];
  return scheme === "internal" || legacy === "true" || legacy === true;
}

/** LoadBalancer Services are internal unless explicitly allowed. */
export function noPublicLoadBalancer(): ResourceValidationPolicy {
  return {
    name: "no-public-load-balancer",
    description:
      "Services of type LoadBalancer must be internal (aws-load-balancer-scheme: internal) unless allowlisted.",
    severity: "high",
    framework: eksBestPracticesFramework(
      "Security: network security (limit exposure of load balancers)",
      "https://docs.aws.amazon.com/eks/latest/best-practices/network-security.html",
    ),
    tags: ["kubernetes", "network", "exposure", "eks-best-practices"],
    remediationSteps:
      "Annotate the Service with service.beta.kubernetes.io/aws-load-balancer-scheme: internal, publish it through the shared ingress, or add it to allowedPublicServices.",
    url: "https://kubernetes-sigs.github.io/aws-load-balancer-controller/latest/guide/service/annotations/#lb-scheme",
    configSchema: {
      properties: {
        allowedPublicServices: {
          type: "array",
          items: { type: "string" },
          default: [],
          description: "Services that may be internet-facing, as `namespace/name` or `name`.",
        },
      },
    },
    validateResource: (args, report) => {
      const t = parseKubernetesType(args.type);
      if (!t || t.group !== "core" || t.kind !== "Service") return;
      if (asObject(args.props["spec"])["type"] !== "LoadBalancer") return;
      const meta = asObject(args.props["metadata"]);
      if (isInternalLoadBalancer(asObject(meta["annotations"]))) return;
      const name = typeof meta["name"] === "string" ? meta["name"] : args.name;
      const qualified = objectName(args.props, args.name);
      const allowed = args.getConfig<{ allowedPublicServices?: string[] }>().allowedPublicServices ?? [];
      if (allowed.includes(name) || allowed.includes(qualified)) return;
      report(
        `${describe(args)} is a LoadBalancer without an internal scheme, so AWS creates an internet-facing ` +
          `load balancer. Annotate it with service.beta.kubernetes.io/aws-load-balancer-scheme: internal, ` +
          `publish it through the shared ingress, or add "${qualified}" to this policy's allowedPublicServices config.`,
      );
    },
  };
}

/** What makes an ingress-side AWS load balancer internet-facing, by kind; undefined when it does not. */
function internetFacingIngress(args: ResourceValidationArgs): string | undefined {
  const internetFacing = "internet-facing";
  if (args.type === "kubernetes:helm.sh/v3:Release") {
    if (args.props["chart"] !== "aws-load-balancer-controller") return undefined;
    const values = asObject(args.props["values"]);
    if (values["defaultLoadBalancerScheme"] === internetFacing)
      return "sets defaultLoadBalancerScheme: internet-facing, so every Service and Ingress without a scheme gets a public load balancer";
    const params = asObject(values["ingressClassParams"]);
    if (asObject(params["spec"])["scheme"] === internetFacing)
      return "creates an IngressClassParams with scheme internet-facing, so every Ingress of its class gets a public load balancer";
    return undefined;
  }
  const t = parseKubernetesType(args.type);
  if (!t) return undefined;
  if (t.group === "elbv2.k8s.aws" && t.kind === "IngressClassParams")
    return asObject(args.props["spec"])["scheme"] === internetFacing
      ? "sets scheme internet-facing, so every Ingress of its IngressClass gets a public load balancer"
      : undefined;
  if (t.group === "networking.k8s.io" && t.kind === "Ingress") {
    const annotations = asObject(asObject(args.props["metadata"])["annotations"]);
    return annotations["alb.ingress.kubernetes.io/scheme"] === internetFacing
      ? "is annotated alb.ingress.kubernetes.io/scheme: internet-facing, so its load balancer is public"
      : undefined;
  }
  return undefined;
}

/**
 * Ingress-side AWS load balancers (IngressClassParams, Ingress annotations, the controller's Helm
 * values) are internal unless the object is allowlisted. Services are `no-public-load-balancer`'s.
 */
export function noInternetFacingIngress(): ResourceValidationPolicy {
  return {
    name: "no-internet-facing-ingress",
    description:
      "IngressClassParams, Ingresses and the AWS Load Balancer Controller's defaults must not make internet-facing load balancers unless allowlisted.",
    severity: "high",
    framework: eksBestPracticesFramework(
      "Security: network security (limit exposure of load balancers)",
      "https://docs.aws.amazon.com/eks/latest/best-practices/network-security.html",
    ),
    tags: ["kubernetes", "network", "exposure", "ingress", "eks-best-practices"],
    remediationSteps:
      "Use scheme internal (the platform's alb IngressClass), or, for a reviewed public entry point, add the IngressClassParams name, the Ingress's namespace/name or the release name to allowedInternetFacing.",
    url: "https://kubernetes-sigs.github.io/aws-load-balancer-controller/latest/guide/ingress/ingress_class/#specscheme",
    configSchema: {
      properties: {
        allowedInternetFacing: {
          type: "array",
          items: { type: "string" },
          default: [],
          description:
            "Objects that may be internet-facing: IngressClassParams names (`alb-internet-facing`), Ingresses as `namespace/name`, Helm release names.",
        },
      },
    },
    validateResource: (args, report) => {
      const why = internetFacingIngress(args);
      if (!why) return;
      const qualified =
        args.type === "kubernetes:helm.sh/v3:Release"
          ? String(args.props["name"] ?? args.name)
          : objectName(args.props, args.name);
      const allowed = args.getConfig<{ allowedInternetFacing?: string[] }>().allowedInternetFacing ?? [];
      if (allowed.includes(qualified)) return;
      const label =
        args.type === "kubernetes:helm.sh/v3:Release" ? `Helm release "${qualified}"` : describe(args);
      report(
        `${label} ${why}. Keep load balancers internal (scheme internal, the platform's alb IngressClass), ` +
          `or after review add "${qualified}" to this policy's allowedInternetFacing config.`,
      );
    },
  };
}

/** Every Kubernetes workload policy, in catalogue order. */
export const kubernetesWorkloadPolicies: (ResourceValidationPolicy | StackValidationPolicy)[] = [
  pssBaselineHostNamespaces(),
  pssBaselinePrivilegedContainers(),
  pssBaselineCapabilities(),
  pssBaselineHostPathVolumes(),
  pssBaselineHostPorts(),
  pssBaselineHostProcess(),
  pssBaselineAppArmor(),
  pssBaselineSeLinux(),
  pssBaselineProcMount(),
  pssBaselineSeccomp(),
  pssBaselineSysctls(),
  pssBaselineProbeHost(),
  pssRestrictedVolumeTypes(),
  pssRestrictedPrivilegeEscalation(),
  pssRestrictedRunAsNonRoot(),
  pssRestrictedRunAsUser(),
  pssRestrictedSeccomp(),
  pssRestrictedCapabilities(),
  pssRestrictedProcMount(),
  containerResourcesRequired(),
  noLatestImageTag(),
  noNakedPods(),
  noDefaultNamespace(),
  noPublicLoadBalancer(),
  noInternetFacingIngress(),
];
