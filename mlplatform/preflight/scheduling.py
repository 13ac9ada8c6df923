"""Will the platform's pods fit and land on the nodes that exist when they are created?

On a first deploy only the system nodes exist (GPU pools start at zero and only take pods that tolerate the
GPU taint). This rule adds up the CPU and memory requests of every pod the stack puts on system nodes (its
Deployments, and the Helm releases and EKS add-ons it installs, with the requests their values set or their
charts' defaults) plus the per-node DaemonSets, and compares them with the allocatable capacity of
``min_nodes`` of the system group's smallest instance type (kubelet reservations as EKS AL2023 and GKE
compute them). It also checks that every Deployment's nodeSelector matches some node's labels and that a
pod sent to GPU nodes tolerates their taint.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from mlplatform.components.base.labels import GPU_RESOURCE, GPU_TAINT_KEY, NODE_ROLE_LABEL, SYSTEM_ROLE
from mlplatform.components.base.resources import cpu_millis, size_mib
from mlplatform.components.base.types import (
    AWS_EKS_ADDON,
    AWS_EKS_NODE_GROUP,
    GCP_CONTAINER_NODE_POOL,
    K8S_CRON_JOB,
    K8S_DEPLOYMENT,
    K8S_HELM_RELEASE,
    K8S_KARPENTER_NODE_POOL,
    K8S_KNATIVE_SERVING,
    K8S_KSERVE_INFERENCE_SERVICE,
    K8S_RAY_CLUSTER,
    K8S_RAY_JOB,
    K8S_STATEFUL_SET,
)
from mlplatform.components.catalog import load_catalog

from ..plan import PlanResource, reveal
from .core import Context, Finding, Phase, rule

# Requests of chart components the platform leaves at their chart defaults (values.yaml at the pinned
# versions), per replica: (cpu millicores, memory MiB, replicas).
CHART_DEFAULTS: dict[str, list[tuple[int, int, int]]] = {
    "kube-prometheus-stack": [(100, 128, 1), (10, 32, 1)],  # operator, kube-state-metrics
    "aws-load-balancer-controller": [(100, 128, 2)],
    # The Knative operator and its webhook (chart values.yaml: 100m / 100Mi each).
    "knative-operator": [(100, 100, 1), (100, 100, 1)],
}
# Sidecars Knative and KServe add to every model server pod: Knative's queue-proxy (its config-deployment
# default requests 25m CPU) and, with request logging, KServe's agent (its inferenceservice-config default).
QUEUE_PROXY = (25, 40)
KSERVE_AGENT = (100, 100)
# DaemonSets on every GPU node beyond the system ones: NVIDIA device plugin and DCGM exporter (our values).
GPU_NODE_DAEMONSETS = (50 + 50, 64 + 128)
# EKS add-ons' Deployments (add-on default configuration): (cpu m, memory Mi, replicas).
ADDON_DEPLOYMENTS = {
    "coredns": (100, 70, 2),
    "aws-ebs-csi-driver": (30, 120, 2),
    "amazon-cloudwatch-observability": (100, 200, 1),
}
# DaemonSets on every system node: aws-node, kube-proxy, pod identity agent, EBS CSI node (EKS add-on
# defaults); GKE's node agents (kube-proxy, fluentbit, gke-metrics-agent, pdcsi) are reserved similarly.
DAEMONSET_PER_NODE = {"aws": (25 + 100 + 25 + 30, 40 + 128 + 32 + 40), "gcp": (250, 350)}
DAEMONSETS_PER_NODE = {"aws": 5, "gcp": 6}  # the DaemonSets above, and Prometheus' node exporter
# The kubelet's pod limit: the GpuCluster's vpc-cni uses prefix delegation (EKS then recommends 110), and 110 is
# GKE's default per node.
MAX_PODS = 110


@dataclass
class Pod:
    what: str
    cpu_m: int
    mem_mi: int
    replicas: int
    node_selector: dict[str, str]
    tolerations: list[dict[str, Any]]
    urn: str
    gpus: int = 0


def _requests(containers: list[dict[str, Any]]) -> tuple[int, int]:
    cpu = mem = 0
    for c in containers or []:
        req = (c.get("resources") or {}).get("requests") or {}
        cpu += cpu_millis(req.get("cpu"))
        mem += size_mib(req.get("memory"))
    return cpu, mem


def eks_allocatable(vcpu: int, memory_gib: float, max_pods: int = 110) -> tuple[int, int]:
    """EKS AL2023 kube-reserved: CPU 6%/1%/0.5%/0.25% of cores 1/2/3-4/5+, memory 255Mi + 11Mi per pod,
    plus a 100Mi eviction threshold."""
    cores = [60, 10, 5, 5] + [2.5] * max(vcpu - 4, 0)
    reserved_cpu = int(sum(cores[:vcpu]))
    reserved_mem = 255 + 11 * max_pods + 100
    return vcpu * 1000 - reserved_cpu, int(memory_gib * 1024) - reserved_mem


def gke_allocatable(vcpu: int, memory_gib: float) -> tuple[int, int]:
    """GKE: CPU as EKS; memory 25% of the first 4 GiB, 20% of the next 4, 10% of the next 8, 6% of the next
    112, plus a 100Mi eviction threshold (GKE docs: cluster architecture, node allocatable)."""
    cores = [60, 10, 5, 5] + [2.5] * max(vcpu - 4, 0)
    mem = memory_gib * 1024
    reserved, left = 0.0, mem
    for size, share in ((4096, 0.25), (4096, 0.20), (8192, 0.10), (114688, 0.06)):
        take = min(left, size)
        reserved += take * share
        left -= take
    reserved += left * 0.02
    return vcpu * 1000 - int(sum(cores[:vcpu])), int(mem - reserved - 100)


def _gpus(containers: list[dict[str, Any]]) -> int:
    total = 0
    for c in containers or []:
        res = c.get("resources") or {}
        total += int(
            float((res.get("limits") or {}).get(GPU_RESOURCE) or (res.get("requests") or {}).get(GPU_RESOURCE) or 0)
        )
    return total


def _template_pod(
    what: str, template: dict[str, Any], replicas: int, urn: str, extra_cpu: int = 0, extra_mem: int = 0
) -> Pod:
    pod = template.get("spec") or {}
    cpu, mem = _requests(pod.get("containers") or [])
    return Pod(
        what,
        cpu + extra_cpu,
        mem + extra_mem,
        replicas,
        dict(pod.get("nodeSelector") or {}),
        list(pod.get("tolerations") or []),
        urn,
        _gpus(pod.get("containers") or []),
    )


def _pods(ctx: Context) -> Iterator[Pod]:
    for d in ctx.of_type(K8S_DEPLOYMENT, K8S_STATEFUL_SET):
        spec = reveal(d.input("spec")) or {}
        kind = d.type.rsplit(":", 1)[-1]
        yield _template_pod(f"{kind} {d.name}", spec.get("template") or {}, int(spec.get("replicas", 1) or 0), d.urn)
    for c in ctx.of_type(K8S_CRON_JOB):
        job = (reveal(c.input("spec")) or {}).get("jobTemplate", {}).get("spec") or {}
        # A run's pods exist only while it runs: they must fit a node, not the first deploy's capacity.
        yield _template_pod(f"CronJob {c.name}", job.get("template") or {}, 0, c.urn)
    for rc in ctx.of_type(K8S_RAY_CLUSTER, K8S_RAY_JOB):
        spec = reveal(rc.input("spec")) or {}
        standing = rc.type.endswith("RayCluster")
        if not standing:
            spec = spec.get("rayClusterSpec") or {}
        autoscaler = ((spec.get("autoscalerOptions") or {}).get("resources") or {}).get("requests") or {}
        sidecar = (cpu_millis(autoscaler.get("cpu") or "500m"), size_mib(autoscaler.get("memory") or "512Mi"))
        if not spec.get("enableInTreeAutoscaling"):
            sidecar = (0, 0)
        head = (spec.get("headGroupSpec") or {}).get("template") or {}
        kind = rc.type.rsplit(":", 1)[-1]
        # A job's cluster exists while it runs, so it is not part of the first deploy's system load.
        yield _template_pod(f"{kind} {rc.name} head", head, 1 if standing else 0, rc.urn, *sidecar)
        for group in spec.get("workerGroupSpecs") or []:
            yield _template_pod(
                f"{kind} {rc.name} worker group {group.get('groupName')}",
                group.get("template") or {},
                0,
                rc.urn,
            )
    for ks in ctx.of_type(K8S_KNATIVE_SERVING):
        spec = reveal(ks.input("spec")) or {}
        replicas = int((spec.get("high-availability") or {}).get("replicas") or 1)
        for w in spec.get("workloads") or []:
            cpu = sum(cpu_millis((r.get("requests") or {}).get("cpu")) for r in w.get("resources") or [])
            mem = sum(size_mib((r.get("requests") or {}).get("memory")) for r in w.get("resources") or [])
            yield Pod(f"Knative {w.get('name')}", cpu, mem, replicas, dict(w.get("nodeSelector") or {}), [], ks.urn)
    for isvc in ctx.of_type(K8S_KSERVE_INFERENCE_SERVICE):
        predictor = (reveal(isvc.input("spec")) or {}).get("predictor") or {}
        model = predictor.get("model") or {}
        cpu, mem = _requests([model])
        cpu, mem = cpu + QUEUE_PROXY[0], mem + QUEUE_PROXY[1]
        if predictor.get("logger"):
            cpu, mem = cpu + KSERVE_AGENT[0], mem + KSERVE_AGENT[1]
        yield Pod(
            f"InferenceService {isvc.name}",
            cpu,
            mem,
            int(predictor.get("minReplicas") or 0),
            dict(predictor.get("nodeSelector") or {}),
            list(predictor.get("tolerations") or []),
            isvc.urn,
            _gpus([model]),
        )
    for rel in ctx.of_type(K8S_HELM_RELEASE):
        values = reveal(rel.input("values")) or {}
        chart = str(reveal(rel.input("chart")) or "").rsplit("/", 1)[-1]
        if values.get("affinity") and "tolerations" in values and not values.get("nodeSelector"):
            continue  # a GPU-node DaemonSet (device plugin, DCGM exporter)
        if chart == "jupyterhub":
            yield from _notebook_profiles(rel, values)
        for cpu, mem, replicas in _release_pods(chart, values):
            yield Pod(f"Helm release {rel.name}", cpu, mem, replicas, {}, [], rel.urn)
    for addon in ctx.of_type(AWS_EKS_ADDON):
        name = str(reveal(addon.input("addonName")))
        if name in ADDON_DEPLOYMENTS:
            cpu, mem, replicas = ADDON_DEPLOYMENTS[name]
            yield Pod(f"EKS add-on {name}", cpu, mem, replicas, {}, [], addon.urn)


def _notebook_profiles(rel: PlanResource, values: dict[str, Any]) -> Iterator[Pod]:
    """A user server of each JupyterHub profile, as KubeSpawner would create it (none exist at deploy)."""
    single = values.get("singleuser") or {}
    for profile in single.get("profileList") or []:
        o = profile.get("kubespawner_override") or {}
        cpu = cpu_millis(o.get("cpu_guarantee", (single.get("cpu") or {}).get("guarantee")))
        mem = _spawner_bytes_mib(o.get("mem_guarantee", (single.get("memory") or {}).get("guarantee")))
        yield Pod(
            f"JupyterHub {rel.name} profile {profile.get('slug')}",
            cpu,
            mem,
            0,
            # KubeSpawner merges a profile's dict overrides into the base value and replaces lists.
            {**(single.get("nodeSelector") or {}), **(o.get("node_selector") or {})},
            list(o.get("tolerations", single.get("extraTolerations")) or []),
            rel.urn,
            int(float((o.get("extra_resource_limits") or {}).get(GPU_RESOURCE) or 0)),
        )


def _spawner_bytes_mib(value: Any) -> int:
    """KubeSpawner's byte specification (1G = 1024 MiB, as kubespawner's ByteSpecification reads it)."""
    s = str(value or "0")
    units = {"K": 1 / 1024, "M": 1, "G": 1024, "T": 1024**2}
    return int(float(s[:-1]) * units[s[-1]]) if s[-1:] in units else int(float(s) / 1024**2)


def _release_pods(chart: str, values: dict[str, Any]) -> list[tuple[int, int, int]]:
    if chart == "karpenter":
        req = ((values.get("controller") or {}).get("resources") or {}).get("requests") or {}
        return [(cpu_millis(req.get("cpu")), size_mib(req.get("memory")), int(values.get("replicas", 2)))]
    if chart == "cluster-autoscaler":
        req = (values.get("resources") or {}).get("requests") or {}
        return [(cpu_millis(req.get("cpu")), size_mib(req.get("memory")), 1)]
    if chart == "kube-prometheus-stack":
        spec = (values.get("prometheus") or {}).get("prometheusSpec") or {}
        req = (spec.get("resources") or {}).get("requests") or {}
        am = (values.get("alertmanager") or {}).get("alertmanagerSpec") or {}
        am_req = (am.get("resources") or {}).get("requests") or {}
        pods = [
            (cpu_millis(req.get("cpu")), size_mib(req.get("memory")), 1),
            (
                cpu_millis(am_req.get("cpu") or "50m"),
                size_mib(am_req.get("memory") or "64Mi"),
                int(am.get("replicas", 1)),
            ),
            *CHART_DEFAULTS["kube-prometheus-stack"],
        ]
        if (values.get("grafana") or {}).get("enabled"):
            pods.append((100, 128, 1))
        return pods
    if chart == "jupyterhub":
        hub = ((values.get("hub") or {}).get("resources") or {}).get("requests") or {}
        chp = (((values.get("proxy") or {}).get("chp") or {}).get("resources") or {}).get("requests") or {}
        return [
            (cpu_millis(hub.get("cpu") or "200m"), size_mib(hub.get("memory") or "512Mi"), 1),
            (cpu_millis(chp.get("cpu") or "200m"), size_mib(chp.get("memory") or "512Mi"), 1),
        ]
    if chart == "cert-manager":

        def pods_of(part: dict[str, Any], default_replicas: int = 1) -> tuple[int, int, int]:
            r = (part.get("resources") or {}).get("requests") or {}
            return cpu_millis(r.get("cpu")), size_mib(r.get("memory")), int(part.get("replicaCount", default_replicas))

        return [pods_of(values), pods_of(values.get("webhook") or {}), pods_of(values.get("cainjector") or {})]
    if chart == "kserve-resources":
        controller = (values.get("kserve") or {}).get("controller") or {}
        r = (controller.get("resources") or {}).get("requests") or {}
        return [(cpu_millis(r.get("cpu") or "100m"), size_mib(r.get("memory") or "300Mi"), 1)]
    if chart == "kuberay-operator":
        req = (values.get("resources") or {}).get("requests") or (values.get("resources") or {}).get("limits") or {}
        return [(cpu_millis(req.get("cpu") or "100m"), size_mib(req.get("memory") or "512Mi"), 1)]
    return list(CHART_DEFAULTS.get(chart, []))


def node_labels(group: PlanResource) -> dict[str, str]:
    """The Kubernetes labels an EKS node group or a GKE node pool puts on its nodes."""
    return dict(reveal(group.input("labels" if group.type == AWS_EKS_NODE_GROUP else "nodeConfig.labels")) or {})


def system_node_groups(ctx: Context) -> list[PlanResource]:
    """The node groups and pools of the system role: the only nodes a first deploy has."""
    return [
        g
        for g in ctx.of_type(AWS_EKS_NODE_GROUP, GCP_CONTAINER_NODE_POOL)
        if node_labels(g).get(NODE_ROLE_LABEL) == SYSTEM_ROLE
    ]


def _node_labels(ctx: Context) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """(system node label sets, GPU node label sets) the stack's nodes carry."""
    system = {g.urn for g in system_node_groups(ctx)}
    groups = ctx.of_type(AWS_EKS_NODE_GROUP, GCP_CONTAINER_NODE_POOL)
    gpu = [node_labels(g) for g in groups if g.urn not in system]
    gpu += [
        dict(reveal(np.input("spec.template.metadata.labels")) or {}) for np in ctx.of_type(K8S_KARPENTER_NODE_POOL)
    ]
    return [node_labels(g) for g in groups if g.urn in system], gpu


@dataclass
class GpuShape:
    labels: dict[str, str]
    types: list[Any]  # catalog MachineType
    cloud: str
    gpus: int


def _gpu_shapes(ctx: Context) -> list[GpuShape]:
    """The node shapes each GPU node group, node pool or NodePool may launch, with their labels."""

    cat = load_catalog()
    system = {g.urn for g in system_node_groups(ctx)}
    shapes = []
    for np in ctx.of_type(K8S_KARPENTER_NODE_POOL):
        labels = dict(reveal(np.input("spec.template.metadata.labels")) or {})
        reqs = {q.get("key"): q for q in reveal(np.input("spec.template.spec.requirements")) or []}
        names = (reqs.get("node.kubernetes.io/instance-type") or {}).get("values") or []
        types = [t for t in (cat.machine_type("aws", n) for n in names) if t is not None]
        shapes.append(GpuShape(labels, types, "aws", 0))
    for g in ctx.of_type(AWS_EKS_NODE_GROUP, GCP_CONTAINER_NODE_POOL):
        if g.urn in system:
            continue
        if g.type == AWS_EKS_NODE_GROUP:
            types = [cat.machine_type("aws", n) for n in reveal(g.input("instanceTypes")) or []]
            shapes.append(GpuShape(node_labels(g), [t for t in types if t is not None], "aws", 0))
        else:
            config = reveal(g.input("nodeConfig")) or {}
            mt = cat.machine_type("gcp", str(config.get("machineType")))
            attached = sum(int(a.get("count") or 1) for a in config.get("guestAccelerators") or [])
            shapes.append(GpuShape(node_labels(g), [mt] if mt is not None else [], "gcp", attached))
    return shapes


def _fits(pod: Pod, shape: GpuShape) -> bool:
    ds_cpu, ds_mem = DAEMONSET_PER_NODE[shape.cloud]
    ds_cpu, ds_mem = ds_cpu + GPU_NODE_DAEMONSETS[0], ds_mem + GPU_NODE_DAEMONSETS[1]
    for t in shape.types:
        cpu, mem = (eks_allocatable if shape.cloud == "aws" else gke_allocatable)(t.vcpu, t.memory_gib)
        gpus = shape.gpus or t.gpus
        if pod.cpu_m <= cpu - ds_cpu and pod.mem_mi <= mem - ds_mem and pod.gpus <= gpus:
            return True
    return False


def _system_capacity(ctx: Context) -> tuple[PlanResource, str, int, int, int, str] | None:
    """(group, instance type, nodes, allocatable cpu m, allocatable memory Mi, cloud) of the system nodes at
    creation: the group's smallest instance type, min_nodes of it."""

    cat = load_catalog()
    for g in system_node_groups(ctx):
        if g.type == AWS_EKS_NODE_GROUP:
            types = [cat.machine_type("aws", t) for t in reveal(g.input("instanceTypes")) or []]
            types = [t for t in types if t is not None]
            if not types:
                return None
            small = min(types, key=lambda m: (m.vcpu, m.memory_gib))
            cpu, mem = eks_allocatable(small.vcpu, small.memory_gib)
            return g, small.name, int(reveal(g.input("scalingConfig.minSize")) or 1), cpu, mem, "aws"
        m = cat.machine_type("gcp", str(reveal(g.input("nodeConfig.machineType"))))
        if m is None:
            return None
        cpu, mem = gke_allocatable(m.vcpu, m.memory_gib)
        nodes = int(reveal(g.input("autoscaling.totalMinNodeCount")) or reveal(g.input("initialNodeCount")) or 1)
        return g, m.name, nodes, cpu, mem, "gcp"
    return None


def _matches(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in selector.items())


@rule(
    "workloads-schedulable",
    "Checks whether the pods the stack creates fit on the system nodes that exist at first deploy (requests "
    "vs allocatable), and whether every nodeSelector and GPU toleration matches a node the stack creates.",
)
def schedulable(ctx: Context) -> Iterator[Finding]:
    pods = list(_pods(ctx))
    system_labels, gpu_labels = _node_labels(ctx)
    if not system_labels and not gpu_labels:
        return  # a cluster from outside the stack: its nodes are not in the Plan
    on_system: list[Pod] = []
    for pod in pods:
        ctx.count("workloads-schedulable")
        sel = pod.node_selector
        to_gpu = bool(sel) and any(_matches(sel, labels) for labels in gpu_labels)
        to_system = not sel or any(_matches(sel, labels) for labels in system_labels)
        if sel and not to_gpu and not to_system:
            yield Finding(
                "workloads-schedulable",
                Phase.FIRST_DEPLOY,
                pod.urn,
                f"{pod.what} selects nodes {sel}, which no node group, node pool or NodePool of the stack labels: "
                "its pods stay Pending.",
                "Kubernetes schedules a pod only on a node whose labels match its nodeSelector",
            )
        elif to_gpu and not to_system and not any(t.get("key") == GPU_TAINT_KEY for t in pod.tolerations):
            yield Finding(
                "workloads-schedulable",
                Phase.FIRST_DEPLOY,
                pod.urn,
                f"{pod.what} selects GPU nodes but does not tolerate their {GPU_TAINT_KEY} taint: it stays Pending "
                "and no node is provisioned for it.",
                "NoSchedule taints repel pods without a matching toleration; autoscalers do not scale for them",
            )
        elif to_gpu and not to_system:
            shapes = [shape for shape in _gpu_shapes(ctx) if _matches(sel, shape.labels)]
            if shapes and not any(_fits(pod, shape) for shape in shapes):
                largest = max((t for shape in shapes for t in shape.types), key=lambda t: (t.vcpu, t.memory_gib))
                yield Finding(
                    "workloads-schedulable",
                    Phase.FIRST_DEPLOY,
                    pod.urn,
                    f"{pod.what} requests {pod.cpu_m}m CPU, {pod.mem_mi}Mi and {pod.gpus} GPU(s), more than any node "
                    f"its pool may launch offers (largest: {largest.name}, after kubelet reservations and GPU "
                    "DaemonSets): it stays Pending while nodes that cannot hold it come and go.",
                    "A pod must fit on a single node; Karpenter and the cluster autoscaler launch only shapes the "
                    "pool allows",
                )
        elif to_system:
            on_system.append(pod)
    capacity = _system_capacity(ctx)
    if capacity is None:
        return
    group, itype, nodes, cpu_alloc, mem_alloc, cloud = capacity
    ds_cpu, ds_mem = DAEMONSET_PER_NODE[cloud]
    free_cpu, free_mem = nodes * (cpu_alloc - ds_cpu), nodes * (mem_alloc - ds_mem)
    need_cpu = sum(p.cpu_m * p.replicas for p in on_system)
    need_mem = sum(p.mem_mi * p.replicas for p in on_system)
    ctx.count("workloads-schedulable")
    urn = group.urn
    if need_cpu > free_cpu or need_mem > free_mem:
        yield Finding(
            "workloads-schedulable",
            Phase.FIRST_DEPLOY,
            urn,
            f"the system pods request {need_cpu}m CPU and {need_mem}Mi memory, but {nodes} x {itype} offer "
            f"{free_cpu}m and {free_mem}Mi after kubelet reservations and DaemonSets: some stay Pending until the "
            "group scales (and atomic Helm releases time out meanwhile).",
            "Node allocatable = capacity - kube-reserved - eviction threshold (EKS AL2023 / GKE reservations)",
        )
    pods = sum(p.replicas for p in on_system) + nodes * DAEMONSETS_PER_NODE[cloud]
    if pods > nodes * MAX_PODS:
        yield Finding(
            "workloads-schedulable",
            Phase.FIRST_DEPLOY,
            urn,
            f"{pods} pods (DaemonSets included) need system nodes, more than {nodes} x {MAX_PODS} pods the nodes "
            "admit: the rest stay Pending.",
            "kubelet max-pods: 110 per node with VPC CNI prefix delegation (EKS) and by default on GKE",
        )
    for p in on_system:
        if p.cpu_m > cpu_alloc - ds_cpu or p.mem_mi > mem_alloc - ds_mem:
            yield Finding(
                "workloads-schedulable",
                Phase.FIRST_DEPLOY,
                p.urn,
                f"one pod of {p.what} requests {p.cpu_m}m CPU / {p.mem_mi}Mi, more than one {itype} can offer "
                f"({cpu_alloc - ds_cpu}m / {mem_alloc - ds_mem}Mi): it never schedules.",
                "A pod must fit on a single node",
            )


__all__ = ["eks_allocatable", "gke_allocatable", "schedulable"]


@rule(
    "node-group-shapes",
    "Checks whether each autoscaled managed node group has one node shape (cluster-autoscaler simulates a "
    "group from a single template node).",
)
def node_group_shapes(ctx: Context) -> Iterator[Finding]:
    cat = load_catalog()
    for g in ctx.of_type(AWS_EKS_NODE_GROUP):
        tags = reveal(g.input("tags")) or {}
        if not any(k.startswith("k8s.io/cluster-autoscaler/") for k in tags):
            continue
        ctx.count("node-group-shapes")
        shapes = set()
        for t in reveal(g.input("instanceTypes")) or []:
            m = cat.machine_type("aws", t)
            if m is not None:
                shapes.add((m.vcpu, m.memory_gib, m.gpus))
        if len(shapes) > 1:
            yield Finding(
                "node-group-shapes",
                Phase.FIRST_DEPLOY,
                g.urn,
                f"node group {g.name} mixes {len(shapes)} node shapes "
                f"({', '.join(sorted(reveal(g.input('instanceTypes'))))}): cluster-autoscaler plans with one of "
                "them and over- or under-provisions.",
                "cluster-autoscaler FAQ: instance types in a node group must have the same CPU, memory and GPUs",
            )
