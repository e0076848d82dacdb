/**
 * A stand-in for the kubelet and the scheduler of the e2e control plane (docs/e2e.md): no container
 * runs here, but Helm (`atomic` releases wait for readiness) and Flux (health checks) need Pods that
 * report Ready. Like kwok (sigs.k8s.io/kwok) it fakes the status, nothing else:
 *
 * - one Node, `e2e-node`, Ready, with the capacity of an m6i.large;
 * - every Pod without a node is bound to it (a Binding, as the scheduler would);
 * - a bound Pod is reported Running and Ready, or Succeeded when a Job owns it; it gets no IP;
 * - a LoadBalancer Service gets an NLB hostname, as the AWS Load Balancer Controller reports it;
 * - a PersistentVolumeClaim of an EBS or EFS CSI StorageClass gets a PersistentVolume, as the CSI
 *   driver's external-provisioner creates it (the EKS add-ons are fake and their Pods never run);
 *   kube-controller-manager's PersistentVolume controller binds the two.
 *
 * Admission webhooks would call these Pods: the e2e API server runs without the webhook admission
 * plugins (tools/e2e/cluster.ts).
 */
import { spawn } from "node:child_process";

// Kubernetes API objects as kubectl prints them (untyped JSON).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

/**
 * kubectl, asynchronously (the caller's event loop keeps serving: the loopback Git server, the
 * stand-in's own loop); resolves with stdout, rejects with stderr.
 */
export function kubectlAsync(kubeconfig: string, args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn("kubectl", ["--kubeconfig", kubeconfig, ...args], {
      stdio: ["pipe", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d));
    child.stderr.on("data", (d: Buffer) => (err += d));
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0 ? resolve(out) : reject(new Error(`kubectl ${args.join(" ")}: ${err}`)),
    );
    // kubectl may exit before reading its input (EPIPE): its exit status tells what happened.
    child.stdin.on("error", () => undefined);
    child.stdin.end(input ?? "");
  });
}

const NODE = "e2e-node";

async function ensureNode(kubeconfig: string): Promise<void> {
  const node = {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name: NODE,
      labels: {
        "kubernetes.io/hostname": NODE,
        "kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "node.kubernetes.io/instance-type": "m6i.large",
        "topology.kubernetes.io/zone": "eu-west-1a",
      },
    },
  };
  await kubectlAsync(kubeconfig, ["apply", "-f", "-"], JSON.stringify(node));
  const now = new Date().toISOString();
  const status = {
    status: {
      capacity: { cpu: "2", memory: "8Gi", pods: "110", "ephemeral-storage": "80Gi" },
      allocatable: { cpu: "2", memory: "7Gi", pods: "110", "ephemeral-storage": "75Gi" },
      conditions: [
        {
          type: "Ready",
          status: "True",
          reason: "KubeletReady",
          lastHeartbeatTime: now,
          lastTransitionTime: now,
        },
      ],
      addresses: [{ type: "InternalIP", address: "127.0.0.1" }],
      nodeInfo: { kubeletVersion: "v1.35.4", architecture: "amd64", operatingSystem: "linux" },
    },
  };
  await kubectlAsync(kubeconfig, [
    "patch",
    "node",
    NODE,
    "--subresource=status",
    "--type=merge",
    "-p",
    JSON.stringify(status),
  ]);
}

function podStatus(pod: Json): Json {
  const now = new Date().toISOString();
  const job = (pod.metadata.ownerReferences ?? []).some((o: Json) => o.kind === "Job");
  const containers: Json[] = pod.spec.containers ?? [];
  const ready = job ? "False" : "True";
  return {
    status: {
      phase: job ? "Succeeded" : "Running",
      hostIP: "127.0.0.1",
      startTime: now,
      conditions: ["PodScheduled", "Initialized", "ContainersReady", "Ready"].map((type) => ({
        type,
        status: type === "PodScheduled" || type === "Initialized" ? "True" : ready,
        lastTransitionTime: now,
      })),
      containerStatuses: containers.map((c) => ({
        name: c.name,
        image: c.image,
        imageID: "",
        ready: !job,
        started: !job,
        restartCount: 0,
        state: job
          ? { terminated: { exitCode: 0, reason: "Completed", startedAt: now, finishedAt: now } }
          : { running: { startedAt: now } },
      })),
    },
  };
}

/** A CSI volume handle of the driver, as AWS names the volume. */
function volumeHandle(driver: string, uid: string): string {
  const hex = uid.replace(/-/g, "");
  return driver === "efs.csi.aws.com"
    ? `fs-${hex.slice(0, 17)}::fsap-${hex.slice(0, 17)}`
    : `vol-${hex.slice(0, 17)}`;
}

/** PersistentVolumes for the pending claims of the AWS CSI drivers' StorageClasses. */
async function provisionVolumes(kubeconfig: string): Promise<void> {
  const claims = (
    JSON.parse(await kubectlAsync(kubeconfig, ["get", "pvc", "-A", "-o", "json"])) as { items: Json[] }
  ).items;
  const pending = claims.filter((c) => c.status?.phase === "Pending" && !c.spec.volumeName);
  if (pending.length === 0) return;
  const classes = (
    JSON.parse(await kubectlAsync(kubeconfig, ["get", "storageclass", "-o", "json"])) as { items: Json[] }
  ).items;
  const defaultClass = classes.find(
    (c) => c.metadata.annotations?.["storageclass.kubernetes.io/is-default-class"] === "true",
  );
  for (const claim of pending) {
    const cls = classes.find(
      (c) => c.metadata.name === (claim.spec.storageClassName ?? defaultClass?.metadata.name),
    );
    if (!cls || !["ebs.csi.aws.com", "efs.csi.aws.com"].includes(cls.provisioner)) continue;
    const { namespace, name, uid } = claim.metadata as { namespace: string; name: string; uid: string };
    const volume = {
      apiVersion: "v1",
      kind: "PersistentVolume",
      metadata: { name: `pvc-${uid}`, annotations: { "pv.kubernetes.io/provisioned-by": cls.provisioner } },
      spec: {
        capacity: { storage: claim.spec.resources?.requests?.storage ?? "1Gi" },
        accessModes: claim.spec.accessModes,
        volumeMode: claim.spec.volumeMode ?? "Filesystem",
        storageClassName: cls.metadata.name,
        persistentVolumeReclaimPolicy: cls.reclaimPolicy ?? "Delete",
        claimRef: { apiVersion: "v1", kind: "PersistentVolumeClaim", namespace, name, uid },
        csi: { driver: cls.provisioner, volumeHandle: volumeHandle(cls.provisioner, uid) },
      },
    };
    await kubectlAsync(kubeconfig, ["create", "-f", "-"], JSON.stringify(volume)).catch(() => undefined);
  }
}

/** Starts the loop; returns a function that stops it. */
export async function startKubelet(kubeconfig: string, intervalMs = 2000): Promise<() => Promise<void>> {
  await ensureNode(kubeconfig);
  let stopped = false;
  const done = new Set<string>();
  const tick = async (): Promise<void> => {
    const pods = JSON.parse(await kubectlAsync(kubeconfig, ["get", "pods", "-A", "-o", "json"])) as {
      items: Json[];
    };
    for (const pod of pods.items) {
      const key = `${pod.metadata.namespace}/${pod.metadata.name}/${pod.metadata.uid}`;
      if (pod.metadata.deletionTimestamp) {
        // No kubelet confirms the containers stopped: finish the deletion as it would.
        await kubectlAsync(kubeconfig, [
          "delete",
          "pod",
          "-n",
          pod.metadata.namespace,
          pod.metadata.name,
          "--grace-period=0",
          "--force",
          "--wait=false",
        ]).catch(() => undefined);
        continue;
      }
      if (!pod.spec.nodeName) {
        const binding = {
          apiVersion: "v1",
          kind: "Binding",
          metadata: { name: pod.metadata.name, namespace: pod.metadata.namespace },
          target: { apiVersion: "v1", kind: "Node", name: NODE },
        };
        await kubectlAsync(kubeconfig, ["create", "-f", "-"], JSON.stringify(binding)).catch(() => undefined);
      }
      if (done.has(key)) continue;
      if (pod.status?.phase === "Running" || pod.status?.phase === "Succeeded") {
        done.add(key);
        continue;
      }
      await kubectlAsync(kubeconfig, [
        "patch",
        "pod",
        "-n",
        pod.metadata.namespace,
        pod.metadata.name,
        "--subresource=status",
        "--type=merge",
        "-p",
        JSON.stringify(podStatus(pod)),
      ])
        .then(() => done.add(key))
        .catch(() => undefined);
    }
    // What the AWS Load Balancer Controller (installed, but its Pod does not run) reports for a
    // LoadBalancer Service once its NLB exists: the NLB's DNS name.
    const services = JSON.parse(await kubectlAsync(kubeconfig, ["get", "services", "-A", "-o", "json"])) as {
      items: Json[];
    };
    for (const svc of services.items) {
      if (svc.spec.type !== "LoadBalancer" || (svc.status?.loadBalancer?.ingress ?? []).length > 0) continue;
      const { namespace, name, uid } = svc.metadata as { namespace: string; name: string; uid: string };
      const hostname =
        `k8s-${namespace}-${name}`.slice(0, 32) + `-${uid.slice(0, 10)}.elb.eu-west-1.amazonaws.com`;
      const status = { status: { loadBalancer: { ingress: [{ hostname }] } } };
      await kubectlAsync(kubeconfig, [
        "patch",
        "service",
        "-n",
        namespace,
        name,
        "--subresource=status",
        "--type=merge",
        "-p",
        JSON.stringify(status),
      ]).catch(() => undefined);
    }
    await provisionVolumes(kubeconfig);
  };
  const loop = (async () => {
    while (!stopped) {
      await tick().catch((e: unknown) => process.stderr.write(`[e2e kubelet] ${String(e)}\n`));
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  })();
  return async () => {
    stopped = true;
    await loop;
  };
}
