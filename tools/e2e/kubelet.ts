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
import { kubeClient, type Json, type KubeClient } from "./kube-client";

const NODE = "e2e-node";

async function ensureNode(api: KubeClient): Promise<void> {
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
  await api.create("/api/v1/nodes", node).catch((e: { status?: number }) => {
    if (e.status !== 409) throw e;
  });
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
  await api.mergePatch(`/api/v1/nodes/${NODE}/status`, status);
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
async function provisionVolumes(api: KubeClient): Promise<void> {
  const claims = (await api.get("/api/v1/persistentvolumeclaims")).items as Json[];
  const pending = claims.filter((c) => c.status?.phase === "Pending" && !c.spec.volumeName);
  if (pending.length === 0) return;
  const classes = (await api.get("/apis/storage.k8s.io/v1/storageclasses")).items as Json[];
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
    await api.create("/api/v1/persistentvolumes", volume).catch(() => undefined);
  }
}

/** One Pod's step: finish its deletion, bind it to the Node, report it Running (or Succeeded). */
async function standInFor(api: KubeClient, pod: Json, done: Set<string>): Promise<void> {
  const { namespace, name, uid } = pod.metadata as { namespace: string; name: string; uid: string };
  const path = `/api/v1/namespaces/${namespace}/pods/${name}`;
  if (pod.metadata.deletionTimestamp) {
    // No kubelet confirms the containers stopped: finish the deletion as it would.
    await api.delete(path, "gracePeriodSeconds=0").catch(() => undefined);
    return;
  }
  if (!pod.spec.nodeName) {
    const binding = {
      apiVersion: "v1",
      kind: "Binding",
      metadata: { name, namespace },
      target: { apiVersion: "v1", kind: "Node", name: NODE },
    };
    await api.create(`${path}/binding`, binding).catch(() => undefined);
  }
  const key = `${namespace}/${name}/${uid}`;
  if (done.has(key)) return;
  if (pod.status?.phase === "Running" || pod.status?.phase === "Succeeded") {
    done.add(key);
    return;
  }
  await api
    .mergePatch(`${path}/status`, podStatus(pod))
    .then(() => done.add(key))
    .catch(() => undefined);
}

/**
 * Starts the loop (every `intervalMs`, Pods handled concurrently, over one kept-alive connection
 * pool: tools/e2e/kube-client.ts); returns a function that stops it.
 */
export async function startKubelet(kubeconfig: string, intervalMs = 1000): Promise<() => Promise<void>> {
  const api = kubeClient(kubeconfig);
  await ensureNode(api);
  let stopped = false;
  const done = new Set<string>();
  const tick = async (): Promise<void> => {
    const pods = (await api.get("/api/v1/pods")).items as Json[];
    await Promise.all(pods.map((pod) => standInFor(api, pod, done)));
    // What the AWS Load Balancer Controller (installed, but its Pod does not run) reports for a
    // LoadBalancer Service once its NLB exists: the NLB's DNS name.
    const services = (await api.get("/api/v1/services")).items as Json[];
    for (const svc of services) {
      if (svc.spec.type !== "LoadBalancer" || (svc.status?.loadBalancer?.ingress ?? []).length > 0) continue;
      const { namespace, name, uid } = svc.metadata as { namespace: string; name: string; uid: string };
      const hostname =
        `k8s-${namespace}-${name}`.slice(0, 32) + `-${uid.slice(0, 10)}.elb.eu-west-1.amazonaws.com`;
      const status = { status: { loadBalancer: { ingress: [{ hostname }] } } };
      await api
        .mergePatch(`/api/v1/namespaces/${namespace}/services/${name}/status`, status)
        .catch(() => undefined);
    }
    await provisionVolumes(api);
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
    api.close();
  };
}
