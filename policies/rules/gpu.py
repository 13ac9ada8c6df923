"""GPU capacity rules: which GPUs, bought how, scaled down to what, bounded by what.

Every resource type that can launch GPUs is read into one :class:`GpuCapacity` (its machine types and the
GPU each carries, resolved through the catalog; how it buys; its minimum; its GPU ceiling), and the four
rules judge that record, so a rule covers EKS managed node groups, launch templates, Auto Scaling groups,
EC2 instances, Karpenter NodePools (and the warm Deployments that hold their minimum), SageMaker endpoint
configurations, GKE node pools and cluster autoscaling limits, Compute Engine instances and instance
templates, and Cloud Run services alike.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from mlplatform.components.base.labels import (
    CAPACITY_TYPE_LABEL,
    FALLBACK_FOR_LABEL,
    GPU_MODEL_LABEL,
    GPU_RESOURCE,
    POOL_LABEL,
    WARM_FOR_LABEL,
)
from mlplatform.components.base.resources import Resource, get, key, quantity
from mlplatform.components.base.types import (
    AWS_AUTOSCALING_GROUP,
    AWS_EC2_INSTANCE,
    AWS_EC2_LAUNCH_TEMPLATE,
    AWS_EKS_NODE_GROUP,
    AWS_SAGEMAKER_ENDPOINT_CONFIGURATION,
    GCP_CLOUDRUNV2_SERVICE,
    GCP_COMPUTE_INSTANCE,
    GCP_COMPUTE_INSTANCE_TEMPLATE,
    GCP_COMPUTE_REGION_INSTANCE_TEMPLATE,
    GCP_CONTAINER_CLUSTER,
    GCP_CONTAINER_NODE_POOL,
    GCP_VERTEX_AI_DEPLOYMENT_RESOURCE_POOL,
    K8S_CRON_JOB,
    K8S_DEPLOYMENT,
    K8S_HELM_RELEASE,
    K8S_KARPENTER_NODE_POOL,
    K8S_KSERVE_INFERENCE_SERVICE,
    K8S_RAY_CLUSTER,
    K8S_RAY_JOB,
)
from mlplatform.components.catalog import VERTEX_ACCELERATORS, load_catalog

from .base import Rule, Settings, display_name, items, listing, number, truthy

UNKNOWN_GPU = "an unknown GPU"

_VERTEX_GPUS = {enum: model for model, enum in VERTEX_ACCELERATORS.items()}  # Vertex's enum -> catalog model

# EC2 families that carry GPUs (p*, g*, gr*), for types the catalog does not list.
_AWS_GPU_FAMILY = re.compile(r"^(p|g|gr)\d+[a-z]*(-|$)")


@dataclass
class GpuCapacity:
    """What a resource says about GPU capacity. ``None`` fields: the resource cannot express that."""

    what: str  # "GPU pool 'train'", "EC2 instance 'x'": the subject of messages
    gpus: dict[str, tuple[str, int | None]] = field(default_factory=dict)  # machine type -> (model, per node)
    any_type: bool = False  # a NodePool that does not restrict instance types: it may launch any GPU
    purchase: frozenset[str] | None = None  # {"spot"}, {"on-demand"}, or both (spot with on-demand fallback)
    fallback_for: str | None = None  # the spot pool an on-demand pool backs (mlplatform.io/fallback-for)
    min_nodes: float | None = None
    max_gpus: float | None = None  # math.inf: unbounded
    bound_note: str = ""  # how the ceiling was found, for messages

    def shapes(self) -> str:
        """'p4d.24xlarge (A100)' or 'g5.xlarge (A10G), g6.xlarge (L4)'."""
        return listing(f"{t} ({m})" for t, (m, _) in sorted(self.gpus.items()))


# --- resolving machine types to GPUs ---------------------------------------------------------------------------


def aws_gpu(instance_type: str) -> tuple[str, int | None] | None:
    """(GPU model, GPUs per node) of an EC2 or SageMaker type; an unlisted type in a GPU family is unknown."""
    cat = load_catalog()
    found = cat.gpu_of("aws", instance_type)
    if found is not None:
        return found
    family = instance_type.removeprefix("ml.").split(".", 1)[0]
    for mt in [*cat.aws_instances.values(), *cat.sagemaker_instances.values()]:
        if mt.gpu and mt.family.removeprefix("ml.") == family:
            return mt.gpu, None
    if _AWS_GPU_FAMILY.match(family):
        return UNKNOWN_GPU, None
    return None


def gcp_gpu(machine_type: str | None, accelerator: str | None = None, count: float | None = None):
    """(GPU model, GPUs per node) of a machine type, or of an attached accelerator type."""
    cat = load_catalog()
    if accelerator:
        found = cat.gpu_of("gcp", machine_type or "", accelerator)
        if found is not None:
            return found[0], int(count or 1)
        if accelerator.startswith("nvidia-"):
            return UNKNOWN_GPU, int(count or 1)
    if machine_type:
        found = cat.gpu_of("gcp", machine_type)
        if found is not None:
            return found
        if re.match(r"^(a2|a3|a4|g2|g4)-", machine_type):
            return UNKNOWN_GPU, None
    return None


def _resolve(types: list[str], resolve: Callable[[str], tuple[str, int | None] | None]) -> dict:
    out = {}
    for t in types:
        found = resolve(t)
        if found is not None:
            out[t] = found
    return out


def _ceiling(gpus: dict, high: float | None, bound: str, unbounded: str) -> dict[str, Any]:
    """``max_gpus`` and ``bound_note`` of a pool of up to ``high`` nodes of its largest shape (None: unbounded).
    ``bound`` is a template naming ``high`` and ``most`` (GPUs per node)."""
    most = max((n or 1) for _, n in gpus.values())
    if high is None:
        return {"max_gpus": math.inf, "bound_note": unbounded}
    return {"max_gpus": high * most, "bound_note": bound.format(high=high, most=most)}


def _pool(labels: object, fallback: str) -> str:
    return str(key(labels, POOL_LABEL) or fallback)


# --- one reader per resource type ------------------------------------------------------------------------------


def _node_group(r: Resource) -> GpuCapacity | None:
    p = r.props
    gpus = _resolve([str(t) for t in items(get(p, "instanceTypes"))], aws_gpu)
    if not gpus:
        return None
    labels = get(p, "labels", {})
    return GpuCapacity(
        what=f"GPU pool '{_pool(labels, r.name)}'",
        gpus=gpus,
        purchase=frozenset({"spot"} if get(p, "capacityType") == "SPOT" else {"on-demand"}),
        fallback_for=key(labels, FALLBACK_FOR_LABEL),
        min_nodes=number(get(p, "scalingConfig.minSize"), 0),
        **_ceiling(gpus, number(get(p, "scalingConfig.maxSize")), "maxSize {high:g} x {most} GPUs", "no maxSize"),
    )


def _launch_template(r: Resource) -> GpuCapacity | None:
    itype = get(r.props, "instanceType")
    gpus = _resolve([str(itype)], aws_gpu) if itype else {}
    if not gpus:
        return None
    market = get(r.props, "instanceMarketOptions.marketType")
    # A template without market options is bought however its node group or Auto Scaling group says.
    return GpuCapacity(what=display_name(r), gpus=gpus, purchase=frozenset({"spot"}) if market == "spot" else None)


def _autoscaling_group(r: Resource) -> GpuCapacity | None:
    p = r.props
    overrides = items(get(p, "mixedInstancesPolicy.launchTemplate.overrides"))
    gpus = _resolve([str(o.get("instanceType")) for o in overrides if isinstance(o, Mapping)], aws_gpu)
    if not gpus:
        return None  # the instance type is in a launch template: that template is checked
    dist = get(p, "mixedInstancesPolicy.instancesDistribution", {})
    base = number(get(dist, "onDemandBaseCapacity"), 0) or 0
    above = number(get(dist, "onDemandPercentageAboveBaseCapacity"), 100)
    purchase = {"spot"} if (base == 0 and above == 0) else {"on-demand"} if above == 100 else {"spot", "on-demand"}
    return GpuCapacity(
        what=f"GPU pool '{r.name}'",
        gpus=gpus,
        purchase=frozenset(purchase),
        min_nodes=number(get(p, "minSize"), 0),
        **_ceiling(gpus, number(get(p, "maxSize")), "maxSize {high:g} x {most} GPUs", "no maxSize"),
    )


def _ec2_instance(r: Resource) -> GpuCapacity | None:
    itype = get(r.props, "instanceType")
    gpus = _resolve([str(itype)], aws_gpu) if itype else {}
    if not gpus:
        return None
    spot = get(r.props, "instanceMarketOptions.marketType") == "spot"
    count = next(iter(gpus.values()))[1] or 1
    return GpuCapacity(
        what=display_name(r).replace("instance", "EC2 instance", 1),
        gpus=gpus,
        purchase=frozenset({"spot"} if spot else {"on-demand"}),
        min_nodes=1,  # a standalone instance runs until someone stops it
        max_gpus=count,
        bound_note="one instance",
    )


def _requirement(requirements: list, name: str) -> Mapping | None:
    return next((q for q in requirements if isinstance(q, Mapping) and q.get("key") == name), None)


def _nodepool(r: Resource) -> GpuCapacity | None:
    spec = get(r.props, "spec", {})
    reqs = items(get(spec, "template.spec.requirements"))
    labels = get(spec, "template.metadata.labels", {})
    type_req = _requirement(reqs, "node.kubernetes.io/instance-type")
    gpu_name_req = _requirement(reqs, "karpenter.k8s.aws/instance-gpu-name")
    limits = get(spec, "limits", {})
    restricted = type_req is not None and type_req.get("operator") == "In"
    gpus = _resolve([str(t) for t in items(type_req.get("values"))], aws_gpu) if restricted and type_req else {}
    gpu_evidence = (
        bool(gpus)
        or gpu_name_req is not None
        or _requirement(reqs, "karpenter.k8s.aws/instance-gpu-count") is not None
        or quantity(key(limits, GPU_RESOURCE)) is not None
        or key(labels, POOL_LABEL) is not None
    )
    if not gpu_evidence:
        return None
    any_type = not restricted
    if any_type and gpu_name_req is not None and gpu_name_req.get("operator") == "In":
        # Restricted by GPU name instead (t4, l4, a10g, ...): map names to catalog models.
        models = {m.lower().replace("-", ""): m for m in load_catalog().gpus}
        gpus: dict[str, tuple[str, int | None]] = {
            f"gpu-name={n}": (models.get(str(n).lower(), UNKNOWN_GPU), None) for n in items(gpu_name_req["values"])
        }
        any_type = False
    capacity = _requirement(reqs, CAPACITY_TYPE_LABEL)
    # Karpenter launches on-demand capacity when a NodePool does not ask for spot.
    purchase = frozenset(str(v) for v in items(capacity.get("values"))) if capacity else frozenset({"on-demand"})
    gpu_limit = quantity(key(limits, GPU_RESOURCE))
    cpu_limit = quantity(key(limits, "cpu"))
    cat = load_catalog()
    if gpu_limit is not None:
        max_gpus, note = gpu_limit, f"limits {GPU_RESOURCE}: {gpu_limit:g}"
    elif cpu_limit is not None and gpus and not any_type:
        # No GPU limit, but a CPU limit bounds the nodes: the most GPUs that many vCPUs can bring.
        per_vcpu = []
        for t, (_, n) in gpus.items():
            shape = cat.machine_type("aws", t)
            if shape is not None:
                per_vcpu.append((n or 1) * math.floor(cpu_limit / shape.vcpu))
        max_gpus = max(per_vcpu) if per_vcpu else math.inf
        note = f"limits cpu: {cpu_limit:g}"
    else:
        max_gpus, note = math.inf, f"no {GPU_RESOURCE} limit"
    return GpuCapacity(
        what=f"GPU pool '{_pool(labels, get(r.props, 'metadata.name') or r.name)}'",
        gpus=gpus,
        any_type=any_type,
        purchase=purchase,
        fallback_for=key(labels, FALLBACK_FOR_LABEL),
        min_nodes=None,  # Karpenter has no minimum; a warm Deployment expresses one (below)
        max_gpus=max_gpus,
        bound_note=note,
    )


def _warm_deployment(r: Resource) -> GpuCapacity | None:
    pool = key(get(r.props, "metadata.labels"), WARM_FOR_LABEL)
    if not pool:
        return None
    return GpuCapacity(
        what=f"GPU pool '{pool}' (warm Deployment '{r.name}')", min_nodes=number(get(r.props, "spec.replicas"), 1)
    )


def _endpoint_config(r: Resource) -> GpuCapacity | None:
    variants = items(get(r.props, "productionVariants")) + items(get(r.props, "shadowProductionVariants"))
    types = [str(v.get("instanceType")) for v in variants if isinstance(v, Mapping) and v.get("instanceType")]
    gpus = _resolve(types, aws_gpu)
    return GpuCapacity(what=f"endpoint configuration '{r.name}'", gpus=gpus) if gpus else None


def _node_config_gpus(node_config: object) -> dict:
    machine = get(node_config, "machineType")
    out = {}
    for acc in items(get(node_config, "guestAccelerators")):
        found = gcp_gpu(machine, get(acc, "type"), number(get(acc, "count"), 1))
        if found:
            out[f"{machine} + {get(acc, 'type')}"] = found
    if not out and machine:
        found = gcp_gpu(str(machine))
        if found:
            out[str(machine)] = found
    return out


def _gcp_spot(node_config: object) -> bool:
    return truthy(get(node_config, "spot")) or truthy(get(node_config, "preemptible"))


def _gke_node_pool(r: Resource) -> GpuCapacity | None:
    p = r.props
    node_config = get(p, "nodeConfig", {})
    gpus = _node_config_gpus(node_config)
    if not gpus:
        return None
    zones = len(items(get(p, "nodeLocations"))) or 1
    auto = get(p, "autoscaling")
    if auto:
        total_min = number(get(auto, "totalMinNodeCount"))
        low = total_min if total_min is not None else (number(get(auto, "minNodeCount"), 0) or 0) * zones
        total_max = number(get(auto, "totalMaxNodeCount"))
        per_zone_max = number(get(auto, "maxNodeCount"))
        high = total_max if total_max is not None else per_zone_max * zones if per_zone_max is not None else None
    else:
        low = high = (number(get(p, "nodeCount"), number(get(p, "initialNodeCount"), 1)) or 0) * zones
    labels = get(node_config, "labels", {})
    return GpuCapacity(
        what=f"GPU pool '{_pool(labels, r.name)}'",
        gpus=gpus,
        purchase=frozenset({"spot"} if _gcp_spot(node_config) else {"on-demand"}),
        fallback_for=key(labels, FALLBACK_FOR_LABEL),
        min_nodes=low,
        **_ceiling(gpus, high, "{high:g} nodes x {most} GPUs", "no maximum node count"),
    )


def _gke_cluster(r: Resource) -> GpuCapacity | None:
    # Node auto-provisioning: GPU resource limits name the accelerators it may create pools of.
    limits = items(get(r.props, "clusterAutoscaling.resourceLimits"))
    gpus = {}
    total = 0.0
    for lim in limits:
        kind = str(get(lim, "resourceType") or "")
        found = gcp_gpu(None, kind) if kind.startswith("nvidia-") else None
        if found:
            gpus[kind] = (found[0], None)
            total += number(get(lim, "maximum"), 0) or 0
    if not gpus:
        return None
    return GpuCapacity(
        what=f"GKE node auto-provisioning of cluster '{r.name}'",
        gpus=gpus,
        max_gpus=total,
        bound_note="resourceLimits maximum",
    )


def _gce_instance(r: Resource) -> GpuCapacity | None:
    gpus = _node_config_gpus(r.props)
    if not gpus:
        return None
    spot = get(r.props, "scheduling.provisioningModel") == "SPOT" or truthy(get(r.props, "scheduling.preemptible"))
    count = sum((n or 1) for _, n in gpus.values())
    return GpuCapacity(
        what=f"Compute Engine instance '{r.name}'",
        gpus=gpus,
        purchase=frozenset({"spot"} if spot else {"on-demand"}),
        min_nodes=1,
        max_gpus=count,
        bound_note="one instance",
    )


def _gce_template(r: Resource) -> GpuCapacity | None:
    gpus = _node_config_gpus(r.props)
    if not gpus:
        return None
    spot = get(r.props, "scheduling.provisioningModel") == "SPOT" or truthy(get(r.props, "scheduling.preemptible"))
    return GpuCapacity(what=display_name(r), gpus=gpus, purchase=frozenset({"spot"}) if spot else None)


def _cloud_run(r: Resource) -> GpuCapacity | None:
    template = get(r.props, "template", {})
    accelerator = get(template, "nodeSelector.accelerator")
    containers = items(get(template, "containers"))
    count = sum(number(key(get(c, "resources.limits"), GPU_RESOURCE), 0) or 0 for c in containers)
    if not accelerator and not count:
        return None
    found = gcp_gpu(None, str(accelerator or "nvidia-l4"), count or 1)
    high = number(get(template, "scaling.maxInstanceCount"), 100)  # Cloud Run's default maximum
    return GpuCapacity(
        what=f"Cloud Run service '{r.name}'",
        gpus={str(accelerator or "nvidia-l4"): found} if found else {},
        min_nodes=number(get(template, "scaling.minInstanceCount"), 0),
        max_gpus=(high or 0) * (count or 1),
        bound_note=f"maxInstanceCount {high:g}",
    )


def _vertex_pool(r: Resource) -> GpuCapacity | None:
    dedicated = get(r.props, "dedicatedResources", {})
    accelerator = get(dedicated, "machineSpec.acceleratorType")
    machine = str(get(dedicated, "machineSpec.machineType") or "")
    count = number(get(dedicated, "machineSpec.acceleratorCount"), 1) or 1
    gpus: dict[str, tuple[str, int | None]]
    if accelerator:
        gpus = {f"{machine} + {accelerator}": (_VERTEX_GPUS.get(str(accelerator), UNKNOWN_GPU), int(count))}
    else:
        found = gcp_gpu(machine)
        gpus = {machine: found} if found else {}
    if not gpus:
        return None
    high = number(get(dedicated, "maxReplicaCount"), number(get(dedicated, "minReplicaCount"), 1)) or 1
    return GpuCapacity(
        what=f"Vertex AI pool '{r.name}'",
        gpus=gpus,
        min_nodes=number(get(dedicated, "minReplicaCount"), 1),
        **_ceiling(gpus, high, "maxReplicaCount {high:g} x {most} GPUs", "no maxReplicaCount"),
    )


# --- workloads that ask for a GPU model: they launch nothing themselves, but a profile or worker group on a GPU
# the environment refuses would (a pool of it must exist for them to run), so the allowlist judges them too.


def _asks(what: str, selector: object, count: float | None) -> tuple[str, tuple[str, int | None]] | None:
    model = key(selector, GPU_MODEL_LABEL)
    if not model or not count:
        return None
    return what, (str(model), int(count))


def _notebook_profiles(r: Resource) -> GpuCapacity | None:
    if not str(get(r.props, "chart") or "").endswith("jupyterhub"):
        return None
    gpus = {}
    for profile in items(get(r.props, "values.singleuser.profileList")):
        override = get(profile, "kubespawner_override", {})
        found = _asks(
            f"profile {get(profile, 'slug')}",
            get(override, "node_selector"),
            number(key(get(override, "extra_resource_limits"), GPU_RESOURCE)),
        )
        if found:
            gpus[found[0]] = found[1]
    return GpuCapacity(what=f"JupyterHub '{r.name}'", gpus=gpus) if gpus else None


def _pod_gpus(template: object) -> float | None:
    return sum(
        number(key(get(c, "resources.limits"), GPU_RESOURCE), 0) or 0 for c in items(get(template, "spec.containers"))
    )


def _ray_groups(r: Resource) -> GpuCapacity | None:
    spec = get(r.props, "spec.rayClusterSpec" if r.type == K8S_RAY_JOB else "spec", {})
    gpus = {}
    for group in items(get(spec, "workerGroupSpecs")):
        template = get(group, "template", {})
        found = _asks(
            f"worker group {get(group, 'groupName')}", get(template, "spec.nodeSelector"), _pod_gpus(template)
        )
        if found:
            gpus[found[0]] = found[1]
    return GpuCapacity(what=f"{r.type.rsplit(':', 1)[-1]} '{r.name}'", gpus=gpus) if gpus else None


def _cron_job(r: Resource) -> GpuCapacity | None:
    template = get(r.props, "spec.jobTemplate.spec.template", {})
    found = _asks("pods", get(template, "spec.nodeSelector"), _pod_gpus(template))
    return GpuCapacity(what=f"CronJob '{r.name}'", gpus=dict([found])) if found else None


def _inference_service(r: Resource) -> GpuCapacity | None:
    predictor = get(r.props, "spec.predictor", {})
    model = get(predictor, "model", {})
    found = _asks("replicas", get(predictor, "nodeSelector"), number(key(get(model, "resources.limits"), GPU_RESOURCE)))
    return GpuCapacity(what=f"InferenceService '{r.name}'", gpus=dict([found])) if found else None


READERS: dict[str, Callable[[Resource], GpuCapacity | None]] = {
    AWS_EKS_NODE_GROUP: _node_group,
    AWS_EC2_LAUNCH_TEMPLATE: _launch_template,
    AWS_AUTOSCALING_GROUP: _autoscaling_group,
    AWS_EC2_INSTANCE: _ec2_instance,
    K8S_KARPENTER_NODE_POOL: _nodepool,
    K8S_DEPLOYMENT: _warm_deployment,
    AWS_SAGEMAKER_ENDPOINT_CONFIGURATION: _endpoint_config,
    GCP_CONTAINER_NODE_POOL: _gke_node_pool,
    GCP_CONTAINER_CLUSTER: _gke_cluster,
    GCP_COMPUTE_INSTANCE: _gce_instance,
    GCP_COMPUTE_INSTANCE_TEMPLATE: _gce_template,
    GCP_COMPUTE_REGION_INSTANCE_TEMPLATE: _gce_template,
    GCP_CLOUDRUNV2_SERVICE: _cloud_run,
    GCP_VERTEX_AI_DEPLOYMENT_RESOURCE_POOL: _vertex_pool,
    K8S_HELM_RELEASE: _notebook_profiles,
    K8S_RAY_CLUSTER: _ray_groups,
    K8S_RAY_JOB: _ray_groups,
    K8S_CRON_JOB: _cron_job,
    K8S_KSERVE_INFERENCE_SERVICE: _inference_service,
}


def gpu_capacity(r: Resource) -> GpuCapacity | None:
    reader = READERS.get(r.type)
    return reader(r) if reader else None


# --- the rules --------------------------------------------------------------------------------------------------


def _env(settings: Settings) -> str:
    return str(settings.get("environment") or "this stack")


def check_allowlist(r: Resource, settings: Settings) -> Iterator[str]:
    cap = gpu_capacity(r)
    if cap is None:
        return
    allowed = list(settings.get("allowed_gpus") or [])
    if cap.any_type:
        yield (
            f"{cap.what} does not restrict instance types, so it may launch any GPU, but {_env(settings)} allows "
            f"{listing(allowed)}: add a node.kubernetes.io/instance-type (or karpenter.k8s.aws/instance-gpu-name) "
            "requirement with operator In"
        )
        return
    bad = {t: g for t, g in cap.gpus.items() if g[0] not in allowed}
    if bad:
        shapes = listing(f"{t} ({m})" for t, (m, _) in sorted(bad.items()))
        yield f"{cap.what} uses {shapes} but {_env(settings)} allows {listing(allowed)}."


def check_spot(r: Resource, settings: Settings) -> Iterator[str]:
    cap = gpu_capacity(r)
    if cap is None or cap.purchase is None:
        return
    fallback_ok = bool(settings.get("allow_on_demand_fallback", True))
    if cap.purchase == {"spot"}:
        return
    if cap.purchase == {"spot", "on-demand"} and fallback_ok:
        return
    if cap.purchase == {"on-demand"} and cap.fallback_for and fallback_ok:
        return  # the on-demand half of a spot pool with on-demand fallback
    bought = " or ".join(sorted(cap.purchase))
    allowed = "spot, or spot with on-demand fallback" if fallback_ok else "spot only"
    yield f"{cap.what} buys {bought} capacity ({cap.shapes()}) but outside production GPU capacity must be {allowed}."


def check_scale_to_zero(r: Resource, settings: Settings) -> Iterator[str]:
    cap = gpu_capacity(r)
    if cap is None or cap.min_nodes is None:
        return
    ceiling = number(settings.get("max_min_nodes"), 0) or 0
    if cap.min_nodes > ceiling:
        yield (
            f"{cap.what} keeps {cap.min_nodes:g} GPU node(s) running with no work"
            + (f" ({cap.shapes()})" if cap.gpus else "")
            + f" but outside production the minimum must be at most {ceiling:g} (scale to zero)."
        )


def check_limits(r: Resource, settings: Settings) -> Iterator[str]:
    cap = gpu_capacity(r)
    if cap is None or cap.max_gpus is None:
        return
    ceiling = number(settings.get("max_gpus_per_pool"), 0) or 0
    if math.isinf(cap.max_gpus):
        yield f"{cap.what} has no upper bound ({cap.bound_note}): its GPU capacity is unbounded; allowed: at most {ceiling:g} GPUs."
    elif cap.max_gpus > ceiling:
        yield f"{cap.what} can grow to {cap.max_gpus:g} GPUs ({cap.bound_note}) but the ceiling is {ceiling:g}."


GPU_TYPES = tuple(READERS)
GPU_MODELS = ["T4", "L4", "A10G", "L40S", "V100", "A100", "A100-80GB", "H100", "H200", UNKNOWN_GPU]
ENVIRONMENT = {"type": "string", "description": "Environment name used in messages (dev, staging, prod)."}

RULES = [
    Rule(
        name="gpu-allowlist",
        description="GPU capacity uses only the GPU models this environment allows.",
        schema={
            "allowed_gpus": {
                "type": "array",
                "items": {"type": "string", "enum": GPU_MODELS[:-1]},
                "uniqueItems": True,
                "description": "GPU models (catalog names) that may be launched.",
                "default": ["T4", "L4", "A10G"],
            },
            "environment": ENVIRONMENT,
        },
        check=check_allowlist,
        types=GPU_TYPES,
        remediation="Pick an allowed GPU model, or run the workload in an environment that allows it.",
    ),
    Rule(
        name="gpu-pools-use-spot",
        description="Outside production, GPU capacity is spot (or spot with on-demand fallback where allowed).",
        schema={
            "allow_on_demand_fallback": {
                "type": "boolean",
                "description": "Accept spot pools that fall back to on-demand capacity.",
                "default": True,
            },
        },
        check=check_spot,
        types=GPU_TYPES,
        remediation="Set the pool's capacity to spot (or spot-with-on-demand-fallback).",
    ),
    Rule(
        name="gpu-pools-scale-to-zero",
        description="Outside production, GPU pools scale to zero when idle.",
        schema={
            "max_min_nodes": {
                "type": "integer",
                "minimum": 0,
                "description": "Largest minimum node count a GPU pool may keep running.",
                "default": 0,
            },
        },
        check=check_scale_to_zero,
        types=GPU_TYPES,
        remediation="Set min_nodes to 0; GPU nodes then exist only while GPU pods are pending or running.",
    ),
    Rule(
        name="gpu-pool-limits",
        description="Every GPU pool has an upper bound at or under the configured ceiling.",
        schema={
            "max_gpus_per_pool": {
                "type": "integer",
                "minimum": 1,
                "description": "Most GPUs one pool (node group, NodePool, ...) may grow to.",
                "default": 16,
            },
        },
        check=check_limits,
        types=GPU_TYPES,
        remediation="Give the pool a max size, or a NodePool an nvidia.com/gpu limit, within the ceiling.",
    ),
]
