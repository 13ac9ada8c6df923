"""What workloads on the cluster cost: JupyterHub's notebooks, Ray clusters and batch jobs.

Their GPU time runs on the stack's GPU pools, priced here at the pool's node price (the cheapest type it may
launch, spot when the pool buys spot) for the hours the usage assumptions give them; the pools' own lines price
the rest of their work (``gpu_node_hours``). At peak the pools are already at their limits, so these lines add
no peak beyond their volumes.

- Notebooks: home volumes (``notebook_users`` x size) and the hub's database volume while idle; per GPU profile,
  the active hours plus, for each session, the idle tail until the node goes: the culler's timeout (or, with
  culling off, ``notebook_forgotten_hours``) for the sessions left open, and the pool's consolidation delay
  once the server is gone.
- Ray: workers cost nothing idle; their worker-hours (``ray_worker_hours``) at the pool's price. The head runs
  on the system nodes: its requests' share of a system node is reported as ``node_share`` (already in the
  system nodes' cost, not added again).
- Batch: runs per month from the schedule x hours per run x pods, at the pool's price.
- Model servers (KServe InferenceServices): idle at ``minReplicas`` (zero when they scale to zero), expected
  adds ``model_server_busy_hours`` of one replica; their peak, ``maxReplicas`` on the dearest type the pool may
  launch, on demand, is reported as ``pool_peak``: an upper bound for the one workload, never added (the pool's own
  peak line prices every node the pool may launch, on the pool's capacity type, so it may be lower). A CPU
  server's warm replicas are a share of the system nodes (``node_share``).

Listed in :data:`mlplatform.components.cost.estimators.ESTIMATORS` from this module's ``ESTIMATORS``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..base.labels import (
    CAPACITY_TYPE_LABEL,
    FALLBACK_FOR_LABEL,
    GPU_RESOURCE,
    NODE_ROLE_LABEL,
    POOL_LABEL,
    SYSTEM_ROLE,
)
from ..base.resources import Resource, get, quantity, size_gib
from ..base.schedule import Cron, CronError
from ..base.types import (
    AWS_EKS_NODE_GROUP,
    GCP_CONTAINER_NODE_POOL,
    K8S_CRON_JOB,
    K8S_HELM_RELEASE,
    K8S_KARPENTER_NODE_POOL,
    K8S_KSERVE_INFERENCE_SERVICE,
    K8S_RAY_CLUSTER,
    K8S_RAY_JOB,
)
from ..catalog.catalog import is_aws_region, load_catalog
from .estimate import CostContext, Estimate, Estimator, GpuCost, H, free, num
from .pricing import aws_price, ec2_hourly, gce_node_hourly, gcp_price, launch_template_volume_gb, node_class_volume_gb

# cluster-autoscaler's scale-down-unneeded-time default; Karpenter pools say theirs (consolidateAfter).
AUTOSCALER_SCALE_DOWN_MINUTES = 10.0


@dataclass(frozen=True)
class PoolNode:
    """A node of a pool as it is billed: the cheapest type it may launch, how it is bought, its GPUs."""

    pool: str
    machine_type: str
    hourly: float
    on_demand_hourly: float
    spot: bool
    gpus: int
    vcpu: int
    memory_gib: float
    scale_down_minutes: float
    # The dearest type the pool may launch, on demand: what a workload at its maximum may cost (peak).
    dearest_type: str = ""
    dearest_on_demand_hourly: float = 0.0
    dearest_gpus: int = 1


def _duration_minutes(value: Any, default: float) -> float:
    text = str(value or "")
    units = {"s": 1 / 60, "m": 1.0, "h": 60.0}
    if len(text) > 1 and text[-1] in units and text[:-1].isdigit():
        return int(text[:-1]) * units[text[-1]]
    return default


def _aws_node(
    pool: str, types: list[str], spot: bool, region: str, scale_down: float, disk_gb: float
) -> PoolNode | None:
    cat = load_catalog()
    disk = disk_gb * aws_price("ebs.gp3_per_gb_month", region) / H  # the node's root volume, per hour
    priced = []
    for t in types:
        mt, price, od = cat.machine_type("aws", t), ec2_hourly(t, region, spot), ec2_hourly(t, region, False)
        if mt is not None and price is not None and od is not None:
            priced.append((price + disk, od + disk, mt))
    if not priced:
        return None
    price, od, mt = min(priced, key=lambda p: p[0])
    _, top_od, top = max(priced, key=lambda p: p[1])
    return PoolNode(
        pool,
        mt.name,
        price,
        od,
        spot,
        mt.gpus or 1,
        mt.vcpu,
        mt.memory_gib,
        scale_down,
        top.name,
        top_od,
        top.gpus or 1,
    )


def pool_node(ctx: CostContext, pool: str) -> PoolNode | None:
    """How a node of GPU pool ``pool`` is billed, from its Karpenter NodePool, EKS node group or GKE node pool
    (the spot one of a spot pool with on-demand fallback)."""

    def find() -> PoolNode | None:
        for np in ctx.find(K8S_KARPENTER_NODE_POOL):
            labels = get(np.props, "spec.template.metadata.labels") or {}
            if labels.get(POOL_LABEL) != pool or labels.get(FALLBACK_FOR_LABEL):
                continue
            req = {q.get("key"): q for q in get(np.props, "spec.template.spec.requirements") or []}
            types = list(get(req.get("node.kubernetes.io/instance-type") or {}, "values") or [])
            capacity = list(get(req.get(CAPACITY_TYPE_LABEL) or {}, "values") or [])
            scale_down = _duration_minutes(get(np.props, "spec.disruption.consolidateAfter"), 0.5)
            disk = node_class_volume_gb(ctx, get(np.props, "spec.template.spec.nodeClassRef.name"))
            return _aws_node(pool, types, capacity == ["spot"], ctx.region, scale_down, disk)
        for g in ctx.find(AWS_EKS_NODE_GROUP):
            labels = g.props.get("labels") or {}
            if labels.get(POOL_LABEL) == pool and not labels.get(FALLBACK_FOR_LABEL):
                types = list(g.props.get("instanceTypes") or [])
                spot = g.props.get("capacityType") == "SPOT"
                disk = launch_template_volume_gb(ctx, get(g.props, "launchTemplate.id")) or num(
                    g.props.get("diskSize"), 20
                )
                return _aws_node(pool, types, spot, ctx.region, AUTOSCALER_SCALE_DOWN_MINUTES, disk)
        for g in ctx.find(GCP_CONTAINER_NODE_POOL):
            config = g.props.get("nodeConfig") or {}
            labels = config.get("labels") or {}
            if labels.get(POOL_LABEL) != pool or labels.get(FALLBACK_FOR_LABEL):
                continue
            priced = gce_node_hourly(ctx, config)
            od = gce_node_hourly(ctx, {**config, "spot": False, "preemptible": False})
            mt = load_catalog().machine_type("gcp", str(config.get("machineType")))
            if priced is None or od is None or mt is None:
                return None
            gpus = sum(int(num(a.get("count"), 1)) for a in config.get("guestAccelerators") or []) or mt.gpus or 1
            spot = bool(config.get("spot") or config.get("preemptible"))
            return PoolNode(
                pool,
                mt.name,
                priced[0],
                od[0],
                spot,
                gpus,
                mt.vcpu,
                mt.memory_gib,
                AUTOSCALER_SCALE_DOWN_MINUTES,
                mt.name,
                od[0],
                gpus,
            )
        return None

    return ctx.memo(f"pool-node:{pool}", find)


def system_node(ctx: CostContext) -> tuple[str, float, int, float] | None:
    """(type, hourly price, vCPUs, GiB) of a system node: the cheapest type of the system node group."""

    def find() -> tuple[str, float, int, float] | None:
        cat = load_catalog()
        for g in ctx.find(AWS_EKS_NODE_GROUP):
            if (g.props.get("labels") or {}).get(NODE_ROLE_LABEL) != SYSTEM_ROLE:
                continue
            spot = g.props.get("capacityType") == "SPOT"
            priced = [
                (ec2_hourly(t, ctx.region, spot), cat.machine_type("aws", t))
                for t in g.props.get("instanceTypes") or []
            ]
            priced = [(p, m) for p, m in priced if p is not None and m is not None]
            if priced:
                price, mt = min(priced, key=lambda pm: pm[0])
                return mt.name, price, mt.vcpu, mt.memory_gib
        for g in ctx.find(GCP_CONTAINER_NODE_POOL):
            config = g.props.get("nodeConfig") or {}
            if (config.get("labels") or {}).get(NODE_ROLE_LABEL) != SYSTEM_ROLE:
                continue
            priced = gce_node_hourly(ctx, config)
            mt = cat.machine_type("gcp", str(config.get("machineType")))
            if priced is not None and mt is not None:
                return mt.name, priced[0], mt.vcpu, mt.memory_gib
        return None

    return ctx.memo("system-node", find)


def _share_of_system_node(ctx: CostContext, cpu: float, memory_gib: float) -> tuple[float, str]:
    node = system_node(ctx)
    if node is None:
        return 0.0, ""
    name, hourly, vcpu, mem = node
    share = max(cpu / vcpu, memory_gib / mem)
    return share * hourly * H, f"{share:.0%} of a {name} system node"


def _volume_price(ctx: CostContext) -> float:
    """Per GB-month of the cluster's default StorageClass: gp3 on EKS, pd-balanced on GKE."""
    if is_aws_region(ctx.region):
        return aws_price("ebs.gp3_per_gb_month", ctx.region)
    return gcp_price("persistent_disk.balanced_per_gb_month", ctx.region)


def _work(node: PoolNode, hours: float, gpus: int) -> tuple[float, float]:
    """(cost, on-demand cost) of ``hours`` of a workload holding ``gpus`` of a node (it shares the rest)."""
    share = min(1.0, gpus / node.gpus)
    return hours * node.hourly * share, hours * node.on_demand_hourly * share


# --- JupyterHub ---------------------------------------------------------------------------------------------


def _notebooks(r: Resource, ctx: CostContext) -> Estimate:
    values = r.props.get("values") or {}
    single = values.get("singleuser") or {}
    capacity = size_gib(get(single, "storage.capacity")) or 10.0
    hub_db = size_gib(get(values, "hub.db.pvc.storage")) or 1.0
    users = ctx.usage.notebook_users
    idle = (users * capacity + hub_db) * _volume_price(ctx)
    cull = values.get("cull") or {}
    culling = bool(cull.get("enabled", True))
    tail_hours = (
        (num(cull.get("timeout"), 3600) + num(cull.get("every"), 600) / 2) / 3600
        if culling
        else ctx.usage.notebook_forgotten_hours
    )
    if culling and num(cull.get("maxAge")):
        tail_hours = min(tail_hours, num(cull.get("maxAge")) / 3600)
    expected = od_expected = 0.0
    spot = True
    parts = []
    for profile in single.get("profileList") or []:
        override = profile.get("kubespawner_override") or {}
        gpus = int(num((override.get("extra_resource_limits") or {}).get(GPU_RESOURCE)))
        pool = (override.get("node_selector") or {}).get(POOL_LABEL)
        slug = str(profile.get("slug"))
        if not gpus or not pool:
            continue  # CPU profiles run on the system nodes, paid for either way
        node = pool_node(ctx, pool)
        if node is None:
            parts.append(f"{slug}: pool {pool} not priced")
            continue
        hours = ctx.usage.notebook_hours.get(slug, ctx.usage.default_notebook_hours)
        sessions = hours / ctx.usage.notebook_session_hours if ctx.usage.notebook_session_hours else 0.0
        left_open = sessions * ctx.usage.notebook_abandoned_fraction
        node_hours = hours + left_open * tail_hours + sessions * node.scale_down_minutes / 60
        cost, od = _work(node, node_hours, gpus)
        expected += cost
        od_expected += od
        spot = spot and node.spot
        per_left_open = (tail_hours + node.scale_down_minutes / 60) * node.hourly * min(1.0, gpus / node.gpus)
        parts.append(
            f"{slug}: {hours:g} h + {left_open:.1f} sessions left open x {tail_hours:.1f} h idle = {node_hours:.1f} "
            f"node-h on {node.machine_type}{' spot' if node.spot else ''} (${cost:,.2f}; a server left open costs "
            f"${per_left_open:.2f} before {'the culler' if culling else 'someone'} stops it)"
        )
    explanation = (
        f"JupyterHub: {users:g} homes x {capacity:g} GB + {hub_db:g} GB hub database; "
        + ("culled after " + f"{num(cull.get('timeout'), 3600) / 3600:g} h idle" if culling else "NOT culled")
        + ("; " + "; ".join(parts) if parts else "")
    )
    gpu = GpuCost("notebooks", od_expected, 0.0, spot, expected=expected) if od_expected else None
    return Estimate(idle, idle + expected, idle, explanation, gpu=gpu)


def _helm_release(r: Resource, ctx: CostContext) -> Estimate:
    chart = str(r.props.get("chart") or "").rsplit("/", 1)[-1]
    if chart == "jupyterhub":
        return _notebooks(r, ctx)
    return free("a chart's pods run on the nodes, which are priced")


# --- Ray ------------------------------------------------------------------------------------------------------


def _container_requests(template: Mapping[str, Any]) -> tuple[float, float]:
    cpu = mem = 0.0
    for c in get(template, "spec.containers") or []:
        req = get(c, "resources.requests") or get(c, "resources.limits") or {}
        cpu += quantity(req.get("cpu")) or 0.0
        mem += size_gib(req.get("memory")) or 0.0
    return cpu, mem


def _ray_spec(r: Resource, ctx: CostContext, spec: Mapping[str, Any], what: str, standing: bool) -> Estimate:
    head = get(spec, "headGroupSpec.template") or {}
    cpu, mem = _container_requests(head)
    autoscaler = get(spec, "autoscalerOptions.resources.requests") or {}
    if spec.get("enableInTreeAutoscaling"):
        cpu += quantity(autoscaler.get("cpu")) or 0.5
        mem += size_gib(autoscaler.get("memory")) or 0.5
    on_system = (get(head, "spec.nodeSelector") or {}).get(NODE_ROLE_LABEL) == SYSTEM_ROLE
    share, share_text = _share_of_system_node(ctx, cpu, mem) if on_system and standing else (0.0, "")
    idle_workers = expected = od_expected = 0.0
    spot = True
    parts = []
    for group in spec.get("workerGroupSpecs") or []:
        template = group.get("template") or {}
        pool = (get(template, "spec.nodeSelector") or {}).get(POOL_LABEL)
        limits = get((get(template, "spec.containers") or [{}])[0], "resources.limits") or {}
        gpus = int(num(limits.get(GPU_RESOURCE)))
        name = str(group.get("groupName"))
        node = pool_node(ctx, pool) if pool else None
        if node is None or not gpus:
            continue
        warm = num(group.get("minReplicas")) * H  # workers kept at the minimum run all month
        hours = max(ctx.usage.ray_worker_hours.get(name, ctx.usage.default_ray_worker_hours), warm)
        cost, od = _work(node, hours, gpus)
        idle_workers += _work(node, warm, gpus)[0]
        expected += cost
        od_expected += od
        spot = spot and node.spot
        parts.append(f"{name}: {hours:g} worker-h on {node.machine_type}{' spot' if node.spot else ''} (${cost:,.2f})")
    head_text = (
        f"head {cpu:g} vCPU / {mem:g} GiB on the system nodes (${share:,.2f}/month, {share_text}, counted with them)"
        if share
        else "head runs only while the job does"
    )
    explanation = f"{what}: {head_text}; workers from {'zero' if not idle_workers else 'their minimum'}" + (
        "; " + "; ".join(parts) if parts else ""
    )
    gpu = GpuCost(f"ray {r.name}", od_expected, 0.0, spot) if od_expected else None
    return Estimate(idle_workers, expected, idle_workers, explanation, gpu=gpu, node_share=share)


def _ray_cluster(r: Resource, ctx: CostContext) -> Estimate:
    return _ray_spec(r, ctx, r.props.get("spec") or {}, "RayCluster", standing=True)


def _ray_job(r: Resource, ctx: CostContext) -> Estimate:
    spec = get(r.props, "spec.rayClusterSpec") or {}
    return _ray_spec(r, ctx, spec, "RayJob (its cluster lives as long as the job)", standing=False)


# --- batch ----------------------------------------------------------------------------------------------------


def _cron_job(r: Resource, ctx: CostContext) -> Estimate:
    spec = r.props.get("spec") or {}
    job = get(spec, "jobTemplate.spec") or {}
    template = job.get("template") or {}
    pool = (get(template, "spec.nodeSelector") or {}).get(POOL_LABEL)
    container = (get(template, "spec.containers") or [{}])[0]
    gpus = int(num((get(container, "resources.limits") or {}).get(GPU_RESOURCE)))
    name = str(get(r.props, "metadata.name") or r.name)
    if not pool or not gpus:
        return free("a CPU job runs on nodes that are priced")
    node = pool_node(ctx, pool)
    if node is None:
        return Estimate(0, 0, 0, f"CronJob {name}: pool {pool} not priced", known=False)
    try:
        runs = 0.0 if spec.get("suspend") else Cron.parse(str(spec.get("schedule"))).runs_per_month()
    except CronError:
        return Estimate(0, 0, 0, f"CronJob {name}: schedule {spec.get('schedule')!r} not understood", known=False)
    pods = num(job.get("parallelism"), 1)
    hours = runs * ctx.usage.batch_run_hours.get(name, ctx.usage.default_batch_run_hours) * pods
    cost, od = _work(node, hours + runs * node.scale_down_minutes / 60 * pods, gpus)
    return Estimate(
        0.0,
        cost,
        0.0,
        f"CronJob {name}: {runs:.1f} runs/month x {pods:g} pod(s) x "
        f"{ctx.usage.batch_run_hours.get(name, ctx.usage.default_batch_run_hours):g} h on {node.machine_type}"
        f"{' spot' if node.spot else ''}; $0 between runs",
        gpu=GpuCost(f"batch {name}", od, 0.0, node.spot),
    )


# --- on-cluster model servers -------------------------------------------------------------------------------


def _inference_service(r: Resource, ctx: CostContext) -> Estimate:
    predictor = get(r.props, "spec.predictor") or {}
    model = predictor.get("model") or {}
    limits = get(model, "resources.limits") or {}
    requests = get(model, "resources.requests") or {}
    gpus = int(num(limits.get(GPU_RESOURCE)))
    pool = (predictor.get("nodeSelector") or {}).get(POOL_LABEL)
    low, high = int(num(predictor.get("minReplicas"))), int(num(predictor.get("maxReplicas"), 1))
    name = str(get(r.props, "metadata.name") or r.name)
    busy = ctx.usage.model_server_busy_hours.get(name, ctx.usage.default_model_server_busy_hours)
    if not pool or not gpus:
        cpu, mem = quantity(requests.get("cpu")) or 0.0, size_gib(requests.get("memory")) or 0.0
        share, text = _share_of_system_node(ctx, cpu * low, mem * low) if low else (0.0, "")
        return Estimate(
            0.0,
            0.0,
            0.0,
            f"InferenceService {name} on CPU: {low} to {high} replicas on the system nodes"
            + (f" ({text}, counted with them)" if text else ", none while idle"),
            node_share=share,
        )
    node = pool_node(ctx, pool)
    if node is None:
        return Estimate(0, 0, 0, f"InferenceService {name}: pool {pool} not priced", known=False)
    warm = low * H
    idle = _work(node, warm, gpus)[0]
    cost, od = _work(node, warm + busy, gpus)
    top_share = min(1.0, gpus / node.dearest_gpus)
    peak = high * node.dearest_on_demand_hourly * top_share * H
    return Estimate(
        idle,
        cost,
        idle,
        f"InferenceService {name}: {low} replica(s) x {gpus} GPU always on "
        f"({'$0 idle: scales to zero' if not low else f'${idle:,.2f} idle'}) + {busy:g} busy replica-h on "
        f"{node.machine_type}{' spot' if node.spot else ''}; at its maximum {high} replica(s) on "
        f"{node.dearest_type} on demand: ${peak:,.2f}/month (an upper bound, not added: pool {pool}'s own line "
        "prices the pool at its limits on its own capacity type)",
        gpu=GpuCost(f"serving {name}", od, 0.0, node.spot),
        pool_peak=peak,
    )


ESTIMATORS: dict[str, Estimator] = {
    K8S_HELM_RELEASE: _helm_release,
    K8S_RAY_CLUSTER: _ray_cluster,
    K8S_RAY_JOB: _ray_job,
    K8S_CRON_JOB: _cron_job,
    K8S_KSERVE_INFERENCE_SERVICE: _inference_service,
}
