"""Guardrails on workloads that start GPU nodes on their own: notebooks, Ray and on-cluster model servers.

- ``notebook-culling``: a JupyterHub release culls idle servers within the environment's limit (a GPU notebook
  left open otherwise holds its node, at full price, until someone notices);
- ``ray-worker-limits``: every Ray worker group (RayCluster or RayJob) stays within the GPU limit of the pool it
  runs on, and scales down to the allowed minimum;
- ``serving-scale-to-zero``: an on-cluster model server (KServe InferenceService) keeps at most the allowed
  warm replicas (0 outside production: a warm GPU replica holds a node all month);
- ``serving-replica-limits``: a model server's maximum replicas x GPUs stay within its pool's GPU limit, and a
  maximum is set (Knative treats none as unbounded).

Which GPU models a notebook profile or worker group may use is ``gpu-allowlist``'s to judge (it reads them).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence

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


def pool_gpu_limits(resources: Sequence[Resource]) -> dict[str, float]:
    """GPU ceiling of every GPU pool, by pool name (math.inf: unbounded)."""
    limits: dict[str, float] = {}
    for r in resources:
        if r.type not in (K8S_KARPENTER_NODE_POOL, AWS_EKS_NODE_GROUP, GCP_CONTAINER_NODE_POOL):
            continue
        name, cap = _pool_name(r), gpu_capacity(r)
        if name and cap is not None and cap.max_gpus is not None:
            limits[name] = limits.get(name, 0) + cap.max_gpus
    return limits


def check_ray_workers(resources: Sequence[Resource], settings: Settings) -> Iterator[tuple[str, str | None]]:
    limits = pool_gpu_limits(resources)
    min_allowed = number(settings.get("max_min_workers"), 0) or 0
    for r in resources:
        if r.type not in (K8S_RAY_CLUSTER, K8S_RAY_JOB):
            continue
        spec = get(r.props, "spec.rayClusterSpec" if r.type == K8S_RAY_JOB else "spec", {})
        kind = r.type.rsplit(":", 1)[-1]
        for group in items(get(spec, "workerGroupSpecs")):
            name = get(group, "groupName")
            template = get(group, "template", {})
            pool = key(get(template, "spec.nodeSelector"), POOL_LABEL)
            per_worker = sum(
                number(key(get(c, "resources.limits"), GPU_RESOURCE), 0) or 0
                for c in items(get(template, "spec.containers"))
            )
            high = number(get(group, "maxReplicas"))
            low = number(get(group, "minReplicas"), 0) or 0
            what = f"{kind} '{r.name}' worker group '{name}'"
            if per_worker and pool:
                limit = limits.get(str(pool))
                if high is None:
                    yield f"{what} must set maxReplicas within pool '{pool}''s GPU limit: got none (unbounded).", r.urn
                elif limit is None:
                    yield f"{what} must run on a GPU pool of the stack: got pool '{pool}', which none defines.", r.urn
                elif not math.isinf(limit) and high * per_worker > limit:
                    yield (
                        f"{what} must stay within pool '{pool}''s GPU limit ({limit:g}): got maxReplicas {high:g} x "
                        f"{per_worker:g} GPU(s) = {high * per_worker:g}.",
                        r.urn,
                    )
            if low > min_allowed:
                yield (
                    f"{what} must scale down to at most {min_allowed:g} idle worker(s): got minReplicas {low:g}.",
                    r.urn,
                )


def _predictor(r: Resource) -> tuple[object, float]:
    predictor = get(r.props, "spec.predictor", {})
    gpus = number(key(get(get(predictor, "model", {}), "resources.limits"), GPU_RESOURCE), 0) or 0
    return predictor, gpus


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
    for r in resources:
        if r.type != K8S_KSERVE_INFERENCE_SERVICE:
            continue
        predictor, gpus = _predictor(r)
        pool = key(get(predictor, "nodeSelector"), POOL_LABEL)
        high = number(get(predictor, "maxReplicas"), 0) or 0
        what = f"InferenceService '{r.name}'"
        if not high:
            yield f"{what} must set maxReplicas: got none (Knative scales it without bound).", r.urn
            continue
        if not (gpus and pool):
            continue
        limit = limits.get(str(pool))
        if limit is None:
            yield f"{what} must run on a GPU pool of the stack: got pool '{pool}', which none defines.", r.urn
        elif not math.isinf(limit) and high * gpus > limit:
            yield (
                f"{what} must stay within pool '{pool}''s GPU limit ({limit:g}): got maxReplicas {high:g} x "
                f"{gpus:g} GPU(s) = {high * gpus:g}.",
                r.urn,
            )


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
        types=(K8S_RAY_CLUSTER, K8S_RAY_JOB, K8S_KARPENTER_NODE_POOL, AWS_EKS_NODE_GROUP, GCP_CONTAINER_NODE_POOL),
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
        types=(K8S_KSERVE_INFERENCE_SERVICE, K8S_KARPENTER_NODE_POOL, AWS_EKS_NODE_GROUP, GCP_CONTAINER_NODE_POOL),
        remediation="Lower serving.servers[].max_replicas (or raise the pool's max_nodes).",
    ),
]
