"""Guardrails on workloads that start GPU nodes on their own: notebooks, Ray and on-cluster model servers.

- ``notebook-culling``: a JupyterHub release culls idle servers within the environment's limit (a GPU notebook
  left open otherwise holds its node, at full price, until someone notices);
- ``ray-worker-limits``: every Ray worker group (RayCluster or RayJob) stays within the GPU limit of the pool it
  runs on, and scales down to the allowed minimum;
- ``serving-scale-to-zero``: an on-cluster model server (KServe InferenceService) keeps at most the allowed
  warm replicas (0 outside production: a warm GPU replica holds a node all month);
- ``serving-replica-limits``: a model server's maximum replicas x GPUs stay within its pool's GPU limit, and a
  maximum is set (Knative treats none as unbounded);
- ``external-pool-limits``: the same bound for Ray worker groups and model servers of a stack that defines no
  nodes, i.e. a program deploying onto a cluster that exists already (another stack's, or one made by hand).

Where a pool's limit comes from. A stack that defines its cluster's nodes (a Karpenter NodePool, an EKS node
group or a GKE node pool; its GPU pools are the ones labelled ``mlplatform.io/gpu-pool``) runs its workloads on
them: ``ray-worker-limits`` and ``serving-replica-limits`` read the limit there, and a pool name none of them has
is a mistake (as before existing clusters were served). A stack that defines no nodes cannot know the limit from
its own resources: the pool belongs to whoever owns the cluster. Its workloads' node selectors name the pool and the GPU model, which say what
one node has, not how many nodes the pool may add; and a limit the program declared about itself (a stack
setting, an annotation) would let the program grade its own work. So ``external-pool-limits`` reads the limit
from the policy config (``pools``: GPU limit by pool name), which the cluster's owner controls, and judges the
workloads against it; when a pool is not declared there, nothing is knowable and it says so. It is a policy of
its own because a policy has one enforcement level for all it reports (in the Pulumi CLI as here): shipped
advisory, so a program on an existing cluster is told its pools are unchecked without being blocked; a platform
team that has declared its clusters' pools sets it to mandatory, so every workload must fit a declared pool.

Which GPU models a notebook profile or worker group may use is ``gpu-allowlist``'s to judge (it reads them).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from mlplatform.components.base.labels import FALLBACK_FOR_LABEL, GPU_RESOURCE, POOL_LABEL
from mlplatform.components.base.resources import Resource, get, key
from mlplatform.components.base.types import (
    AWS_EKS_NODE_GROUP,
    GCP_CONTAINER_NODE_POOL,
    K8S_HELM_RELEASE,
    K8S_KARPENTER_NODE_POOL,
    K8S_KSERVE_INFERENCE_SERVICE,
    K8S_RAY_CLUSTER,
    K8S_RAY_JOB,
)

from .base import Rule, Settings, items, number
from .gpu import gpu_capacity


def check_notebook_culling(r: Resource, settings: Settings) -> Iterator[str]:
    if not str(get(r.props, "chart") or "").endswith("jupyterhub"):
        return
    cull = get(r.props, "values.cull", {})
    limit = number(settings.get("max_idle_seconds"), 3600) or 3600
    # The chart culls unless told not to (its cull.enabled defaults to true, timeout 3600).
    if get(cull, "enabled") is False:
        yield (
            f"JupyterHub release '{r.name}' must cull idle notebook servers (an open GPU notebook holds its node): "
            "got cull.enabled false."
        )
        return
    timeout = number(get(cull, "timeout"), 3600) or 3600
    if timeout > limit:
        yield (
            f"JupyterHub release '{r.name}' must stop idle servers within {limit:g} s: got cull.timeout {timeout:g}."
        )
    max_age = number(settings.get("max_server_age_seconds"), 0) or 0
    age = number(get(cull, "maxAge"), 0) or 0
    if max_age and not 0 < age <= max_age:
        yield (
            f"JupyterHub release '{r.name}' must stop servers older than {max_age:g} s even when active (an open "
            f"browser tab keeps one active): got cull.maxAge {age:g}."
        )


def _pool_name(r: Resource) -> str | None:
    if r.type == K8S_KARPENTER_NODE_POOL:
        labels = get(r.props, "spec.template.metadata.labels", {})
    elif r.type == AWS_EKS_NODE_GROUP:
        labels = get(r.props, "labels", {})
    else:
        labels = get(r.props, "nodeConfig.labels", {})
    if key(labels, FALLBACK_FOR_LABEL):
        return None  # a fallback pool adds capacity under the same name; the primary pool's limit is the bound
    return key(labels, POOL_LABEL)


POOL_TYPES = (K8S_KARPENTER_NODE_POOL, AWS_EKS_NODE_GROUP, GCP_CONTAINER_NODE_POOL)


def _pools(resources: Sequence[Resource]) -> list[Resource]:
    return [r for r in resources if r.type in POOL_TYPES]


def defines_nodes(resources: Sequence[Resource]) -> bool:
    """Whether the stack defines node pools (any: system nodes too), and so runs its workloads on its own cluster."""
    return bool(_pools(resources))


def pool_gpu_limits(resources: Sequence[Resource]) -> dict[str, float]:
    """GPU ceiling of every GPU pool, by pool name (math.inf: unbounded)."""
    limits: dict[str, float] = {}
    for r in _pools(resources):
        name, cap = _pool_name(r), gpu_capacity(r)
        if name and cap is not None and cap.max_gpus is not None:
            limits[name] = limits.get(name, 0) + cap.max_gpus
    return limits


@dataclass(frozen=True)
class GpuDemand:
    """What a GPU workload may ask of its pool at most: ``units`` (replicas, workers) x ``gpus`` each."""

    resource: Resource
    what: str  # "InferenceService 'ranker'", "RayJob 'tune' worker group 't4'"
    pool: str
    units: float | None  # None: no maximum (unbounded)
    gpus: float
    unit: str  # the property that bounds it, for messages: maxReplicas
    low: float = 0

    @property
    def total(self) -> float:
        return (self.units or 0) * self.gpus

    def over(self, limit: float, where: str = "") -> str | None:
        """The message when the demand exceeds ``limit`` (None within it, or when the pool is unbounded)."""
        if self.units is None or math.isinf(limit) or self.total <= limit:
            return None
        return (
            f"{self.what} must stay within pool '{self.pool}''s GPU limit ({limit:g}{where}): got {self.unit} "
            f"{self.units:g} x {self.gpus:g} GPU(s) = {self.total:g}."
        )


def ray_demands(r: Resource) -> Iterator[GpuDemand]:
    """Every worker group of a RayCluster or RayJob (its own cluster), with or without GPUs or a pool."""
    spec = get(r.props, "spec.rayClusterSpec" if r.type == K8S_RAY_JOB else "spec", {})
    kind = r.type.rsplit(":", 1)[-1]
    for group in items(get(spec, "workerGroupSpecs")):
        template = get(group, "template", {})
        yield GpuDemand(
            resource=r,
            what=f"{kind} '{r.name}' worker group '{get(group, 'groupName')}'",
            pool=str(key(get(template, "spec.nodeSelector"), POOL_LABEL) or ""),
            units=number(get(group, "maxReplicas")),
            gpus=sum(
                number(key(get(c, "resources.limits"), GPU_RESOURCE), 0) or 0
                for c in items(get(template, "spec.containers"))
            ),
            unit="maxReplicas",
            low=number(get(group, "minReplicas"), 0) or 0,
        )


def _predictor(r: Resource) -> tuple[object, float]:
    predictor = get(r.props, "spec.predictor", {})
    gpus = number(key(get(get(predictor, "model", {}), "resources.limits"), GPU_RESOURCE), 0) or 0
    return predictor, gpus


def serving_demand(r: Resource) -> GpuDemand:
    """An InferenceService's predictor; ``units`` None when it sets no maxReplicas (0 counts as none: Knative
    reads it as unbounded)."""
    predictor, gpus = _predictor(r)
    return GpuDemand(
        resource=r,
        what=f"InferenceService '{r.name}'",
        pool=str(key(get(predictor, "nodeSelector"), POOL_LABEL) or ""),
        units=number(get(predictor, "maxReplicas"), 0) or None,
        gpus=gpus,
        unit="maxReplicas",
    )


def _undefined(d: GpuDemand) -> str:
    return f"{d.what} must run on a GPU pool of the stack: got pool '{d.pool}', which none defines."


def check_ray_workers(resources: Sequence[Resource], settings: Settings) -> Iterator[tuple[str, str | None]]:
    limits = pool_gpu_limits(resources)
    # A stack with no node pool of its own runs its workloads on a cluster defined elsewhere: that pool's limit
    # is external-pool-limits' to judge (from the policy config), not a mistake of this stack.
    own_nodes = defines_nodes(resources)
    min_allowed = number(settings.get("max_min_workers"), 0) or 0
    for r in resources:
        if r.type not in (K8S_RAY_CLUSTER, K8S_RAY_JOB):
            continue
        for d in ray_demands(r):
            if d.gpus and d.pool:
                limit = limits.get(d.pool)
                if d.units is None:
                    yield (
                        f"{d.what} must set maxReplicas within pool '{d.pool}''s GPU limit: got none (unbounded).",
                        r.urn,
                    )
                elif limit is None:
                    if own_nodes:
                        yield _undefined(d), r.urn
                elif message := d.over(limit):
                    yield message, r.urn
            if d.low > min_allowed:
                yield (
                    f"{d.what} must scale down to at most {min_allowed:g} idle worker(s): got minReplicas {d.low:g}.",
                    r.urn,
                )


def check_serving_scale_to_zero(r: Resource, settings: Settings) -> Iterator[str]:
    predictor, gpus = _predictor(r)
    allowed = number(settings.get("max_min_replicas"), 0) or 0
    low = number(get(predictor, "minReplicas"), 1)  # KServe's default minReplicas is 1
    if low is not None and low > allowed and (gpus or settings.get("include_cpu")):
        yield (
            f"InferenceService '{r.name}' must scale to {allowed:g} replica(s) when idle"
            f"{' (a warm GPU replica holds its node all month)' if gpus else ''}: got minReplicas {low:g}."
        )


def check_serving_replicas(resources: Sequence[Resource], settings: Settings) -> Iterator[tuple[str, str | None]]:
    limits = pool_gpu_limits(resources)
    own_nodes = defines_nodes(resources)  # none: the servers run on a cluster defined elsewhere (check_ray_workers)
    for r in resources:
        if r.type != K8S_KSERVE_INFERENCE_SERVICE:
            continue
        d = serving_demand(r)
        if d.units is None:
            yield f"{d.what} must set maxReplicas: got none (Knative scales it without bound).", r.urn
            continue
        if not (d.gpus and d.pool):
            continue
        limit = limits.get(d.pool)
        if limit is None:
            if own_nodes:
                yield _undefined(d), r.urn
        elif message := d.over(limit):
            yield message, r.urn


def check_external_pools(resources: Sequence[Resource], settings: Settings) -> Iterator[tuple[str, str | None]]:
    if defines_nodes(resources):
        return  # the workloads run on the stack's own cluster: ray-worker-limits and serving-replica-limits judge
    declared = settings.get("pools") or {}
    for r in resources:
        if r.type == K8S_KSERVE_INFERENCE_SERVICE:
            demands: Iterable[GpuDemand] = [serving_demand(r)]
        elif r.type in (K8S_RAY_CLUSTER, K8S_RAY_JOB):
            demands = ray_demands(r)
        else:
            continue
        for d in demands:
            if not (d.gpus and d.pool) or d.units is None:
                continue  # no GPU, or no maximum (which the workload's own rule reports)
            limit = number(declared.get(d.pool)) if isinstance(declared, Mapping) else None
            if limit is None:
                yield (
                    f"{d.what} must run on a GPU pool whose limit is known: got pool '{d.pool}' of a cluster "
                    f"outside the stack, which the policy config does not declare ({d.unit} {d.units:g} x "
                    f"{d.gpus:g} GPU(s) = {d.total:g} unchecked); declare its GPU limit in external-pool-limits.pools.",
                    r.urn,
                )
            elif message := d.over(limit, ", declared in the policy config"):
                yield message, r.urn


RULES = [
    Rule(
        name="notebook-culling",
        description="Checks whether every JupyterHub stops idle notebook servers within the environment's limit.",
        schema={
            "max_idle_seconds": {
                "type": "integer",
                "minimum": 60,
                "description": "Longest cull.timeout allowed: a server idle that long is stopped.",
                "default": 3600,
            },
            "max_server_age_seconds": {
                "type": "integer",
                "minimum": 0,
                "description": "When above 0, servers must also be stopped at this age (cull.maxAge).",
                "default": 0,
            },
        },
        check=check_notebook_culling,
        types=(K8S_HELM_RELEASE,),
        remediation="Set notebooks.idle_culling: true and a notebooks.cull_timeout within the limit.",
    ),
    Rule(
        name="ray-worker-limits",
        description="Checks whether every Ray worker group stays within its GPU pool's limit and scales down when idle.",
        schema={
            "max_min_workers": {
                "type": "integer",
                "minimum": 0,
                "description": "Largest minReplicas a GPU worker group may keep with no work.",
                "default": 0,
            },
        },
        stack_check=check_ray_workers,
        types=(K8S_RAY_CLUSTER, K8S_RAY_JOB, *POOL_TYPES),
        remediation="Lower ray.worker_groups[].max_workers (or raise the pool's max_nodes), and min_workers to 0.",
    ),
    Rule(
        name="serving-scale-to-zero",
        description="Checks whether every on-cluster model server scales down to the allowed warm replicas when idle.",
        schema={
            "max_min_replicas": {
                "type": "integer",
                "minimum": 0,
                "description": "Largest minReplicas a model server may keep with no traffic.",
                "default": 0,
            },
            "include_cpu": {
                "type": "boolean",
                "description": "Also hold CPU-only servers (on the system nodes) to the limit.",
                "default": False,
            },
        },
        check=check_serving_scale_to_zero,
        types=(K8S_KSERVE_INFERENCE_SERVICE,),
        remediation="Set serving.servers[].min_replicas: 0 (a cold start on the first request after idle), or "
        "raise max_min_replicas for this stack.",
    ),
    Rule(
        name="serving-replica-limits",
        description="Checks whether every on-cluster model server has a maximum within its GPU pool's limit.",
        schema={},
        stack_check=check_serving_replicas,
        types=(K8S_KSERVE_INFERENCE_SERVICE, *POOL_TYPES),
        remediation="Lower serving.servers[].max_replicas (or raise the pool's max_nodes).",
    ),
    Rule(
        name="external-pool-limits",
        description="Checks whether every Ray worker group and model server on a GPU pool of a cluster outside "
        "the stack stays within the GPU limit the policy config declares for that pool.",
        schema={
            "pools": {
                "type": "object",
                "additionalProperties": {"type": "number", "minimum": 0},
                "description": "GPU limit of each pool of the clusters that programs deploy onto without defining "
                "them, by pool name (the mlplatform.io/gpu-pool label), as the cluster's owner set it. A workload "
                "on a pool not listed is reported, since its limit can't be checked.",
                "default": {},
            },
        },
        stack_check=check_external_pools,
        enforcement="advisory",
        types=(K8S_KSERVE_INFERENCE_SERVICE, K8S_RAY_CLUSTER, K8S_RAY_JOB, *POOL_TYPES),
        remediation="Declare the pool's GPU limit (max nodes x GPUs per node) in external-pool-limits.pools of "
        "the stack's policy config, or lower the workload's maximum replicas or workers to fit it.",
    ),
]
