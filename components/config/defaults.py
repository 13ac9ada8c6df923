"""Every default that depends on the stack (its environment, cloud, lake zones or GPU pools), in one place.

A stack's :class:`~mlplatform.components.config.platform.PlatformSpec` fills every setting left unset through the
``resolve_*`` functions at the end of this module, once, after validation. A component built directly, with a
setting left unset, asks the same function here for it, so a library user gets exactly the value a stack of the
same environment gets::

    from mlplatform.components.config import defaults

    defaults.mlflow_database_class(Cloud.AWS, Environment.STAGING)   # "db.t4g.small", for stack and library alike

Defaults that depend on nothing (a pinned image, a 5m consolidation delay) stay where the field is declared, and
so do those derived from other settings of the same section (a public API endpoint unless ``deploy_from_network``,
a variant's ``min_count`` from its ``initial_count``): the section's model answers them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TypeVar

from ..base.cloud import Cloud
from ..catalog import load_catalog
from .batch import BatchJobSpec
from .cluster import ClusterSpec, GpuPoolSpec, SystemCapacity, endpoint_access
from .environment import Environment
from .features import FeatureStoreSpec, OnlineStore
from .lake import zone_roles
from .mlflow import MlflowSpec
from .monitoring import MonitoringSpec
from .network import NatStrategy, NetworkSpec
from .notebooks import NotebookProfileSpec, NotebooksSpec
from .ray import RaySpec, RayWorkerGroupSpec
from .serving import ServingRuntime, ServingSpec

DEV, STAGING, PROD = Environment.DEV, Environment.STAGING, Environment.PROD


# --- platform services ---------------------------------------------------------------------------------------


def service_replicas(environment: Environment) -> int:
    """Replicas of a platform service (MLflow, Karpenter, KServe's controllers, the request-log sink): 2 in prod,
    so a node's loss or a rollout never stops it, else 1."""
    return 2 if environment is PROD else 1


# --- network -------------------------------------------------------------------------------------------------


def availability_zones(environment: Environment) -> int:
    """Zones the network spans: 3 in prod, else 2 (the least EKS and an RDS subnet group accept)."""
    return 3 if environment is PROD else 2


# dev: one t4g.nano NAT instance, a fifth of a NAT gateway's price; prod: a gateway per zone, no shared failure.
AWS_NAT: dict[Environment, NatStrategy] = {
    DEV: NatStrategy.INSTANCE,
    STAGING: NatStrategy.SINGLE,
    PROD: NatStrategy.PER_AZ,
}
# Cloud NAT is regional and billed per VM: one is enough in every environment.
CLOUD_NAT = NatStrategy.SINGLE


def nat(cloud: Cloud, environment: Environment) -> NatStrategy:
    """Internet egress of the private subnets: :data:`AWS_NAT` on AWS, :data:`CLOUD_NAT` on GCP."""
    return AWS_NAT[environment] if cloud is Cloud.AWS else CLOUD_NAT


# --- cluster -------------------------------------------------------------------------------------------------


def kubernetes_version() -> str:
    """The Kubernetes minor version clusters run unless pinned: the catalog's default (``kubernetes.yaml``)."""
    return load_catalog().default_kubernetes_version


def system_capacity(environment: Environment) -> SystemCapacity:
    """How system nodes are bought: on-demand in prod (they run the controllers), else spot."""
    return SystemCapacity.ON_DEMAND if environment is PROD else SystemCapacity.SPOT


SYSTEM_INSTANCE_TYPES: dict[Cloud, tuple[str, ...]] = {
    # Three types of one size: spot capacity of any of them will do.
    Cloud.AWS: ("t3.large", "t3a.large", "m5.large"),
    Cloud.GCP: ("e2-standard-4",),
}


def system_instance_types(cloud: Cloud) -> list[str]:
    """Instance or machine types of the system nodes (:data:`SYSTEM_INSTANCE_TYPES`)."""
    return list(SYSTEM_INSTANCE_TYPES[cloud])


def control_plane_log_retention_days(environment: Environment) -> int:
    """Days EKS control-plane logs are kept: 90 in prod (audit), else 7."""
    return 90 if environment is PROD else 7


def gke_zonal(environment: Environment) -> bool:
    """Whether a GKE control plane is zonal (one zone, free tier) rather than regional: outside prod."""
    return environment is not PROD


def gke_release_channel(environment: Environment) -> str:
    """The GKE release channel: STABLE in prod, else REGULAR."""
    return "STABLE" if environment is PROD else "REGULAR"


# --- data lake and feature store ----------------------------------------------------------------------------


def feast_project(name: str) -> str:
    """A Feast project name (letters, digits, underscores, starting with a letter) from the cost tag ``project``
    (stack) or the component's name (library)."""
    project = re.sub(r"[^A-Za-z0-9_]", "_", name)
    return project if project[0].isalpha() else f"p_{project}"


ONLINE_STORE: dict[Cloud, OnlineStore] = {Cloud.AWS: OnlineStore.DYNAMODB, Cloud.GCP: OnlineStore.FIRESTORE}


def online_store(cloud: Cloud) -> OnlineStore:
    """Feast's online store: the cloud's serverless key-value store (:data:`ONLINE_STORE`)."""
    return ONLINE_STORE[cloud]


# --- MLflow --------------------------------------------------------------------------------------------------


MLFLOW_DATABASE_CLASS: dict[Cloud, dict[Environment, str]] = {
    # Burstable classes outside prod; prod gets steady CPU (burstable ones run out of credits under load).
    Cloud.AWS: {DEV: "db.t4g.micro", STAGING: "db.t4g.small", PROD: "db.m7g.large"},
    Cloud.GCP: {DEV: "db-f1-micro", STAGING: "db-g1-small", PROD: "db-custom-2-7680"},
}


def mlflow_database_class(cloud: Cloud, environment: Environment) -> str:
    """MLflow's database instance class (RDS) or tier (Cloud SQL) (:data:`MLFLOW_DATABASE_CLASS`)."""
    return MLFLOW_DATABASE_CLASS[cloud][environment]


def backup_retention_days(environment: Environment) -> int:
    """Days of automated database backups: 7 in prod (the least it allows), else 1."""
    return 7 if environment is PROD else 1


def mlflow_replicas(environment: Environment) -> int:
    """MLflow server replicas: a platform service's (:func:`service_replicas`)."""
    return service_replicas(environment)


# --- monitoring ----------------------------------------------------------------------------------------------


def container_insights(environment: Environment) -> bool:
    """CloudWatch Container Insights (billed per observation): prod only."""
    return environment is PROD


def prometheus_retention_days(environment: Environment) -> int:
    """Days Prometheus keeps metrics: 15 in prod, else 3."""
    return 15 if environment is PROD else 3


# --- notebooks -----------------------------------------------------------------------------------------------


CULL_TIMEOUT: dict[Environment, str] = {DEV: "1h", STAGING: "2h", PROD: "8h"}


def cull_timeout(environment: Environment) -> str:
    """Inactivity after which a notebook server is stopped (:data:`CULL_TIMEOUT`)."""
    return CULL_TIMEOUT[environment]


def notebook_max_age(environment: Environment) -> str | None:
    """Age at which a notebook server is stopped even when active: 12h in dev (an open tab keeps it active),
    none elsewhere."""
    return "12h" if environment is DEV else None


def notebook_write_zone(zones: Sequence[str]) -> str:
    """The lake zone notebooks write (under notebooks/): curated, else the first zone."""
    return "curated" if "curated" in zones else zones[0]


def notebook_profiles(pools: Sequence[GpuPoolSpec]) -> list[NotebookProfileSpec]:
    """The spawn page's sizes: a small CPU server on the system nodes, and one GPU per pool."""
    profiles = [NotebookProfileSpec(name="cpu", display_name="CPU (small, on the system nodes)")]
    return profiles + [NotebookProfileSpec(name=pool.name, gpu_pool=pool.name) for pool in pools]


CPU_NOTEBOOK_SIZE = (0.5, 1.0)
"""(vCPUs, GiB) guaranteed to a CPU notebook on the system nodes."""


def notebook_size(pool: GpuPoolSpec, cloud: Cloud, region: str, gpus: int) -> tuple[float, float]:
    """(vCPUs, GiB) guaranteed to a GPU notebook: half its share of the pool's smallest node."""
    vcpu, memory = pool.node_share(cloud, region, gpus)
    return max(0.5, vcpu // 2), max(1.0, memory // 2)


# --- Ray and batch -------------------------------------------------------------------------------------------


def ray_write_zone(zones: Sequence[str]) -> str:
    """The lake zone Ray writes (under ray/: results, checkpoints, spilled objects): the models zone."""
    return zone_roles(list(zones))["models"]


def ray_worker_groups(pools: Sequence[GpuPoolSpec]) -> list[RayWorkerGroupSpec]:
    """One worker group per GPU pool, 1 GPU per worker."""
    return [RayWorkerGroupSpec(name=pool.name, gpu_pool=pool.name) for pool in pools]


def ray_worker_size(pool: GpuPoolSpec, cloud: Cloud, region: str, gpus: int) -> tuple[float, float]:
    """(vCPUs, GiB) of a Ray worker, requests = limits: Ray schedules by what the pod declares, so a worker takes
    its share of the node less what the node's agents need."""
    vcpu, memory = pool.node_share(cloud, region, gpus)
    return max(1.0, vcpu - 1), max(2.0, float(int(memory * 0.75)))


def ray_max_workers(pool: GpuPoolSpec, gpus: int) -> int:
    """Upper bound of a worker group: the pool's GPU limit (max_nodes x gpus_per_node) / gpus per worker."""
    return max(1, pool.max_nodes * pool.gpus_per_node // gpus)


def batch_size(pool: GpuPoolSpec, cloud: Cloud, region: str, gpus: int) -> tuple[float, float]:
    """(vCPUs, GiB) requested by a batch inference pod: half its share of the pool's smallest node."""
    vcpu, memory = pool.node_share(cloud, region, gpus)
    return max(0.5, vcpu // 2), max(1.0, memory // 2)


# --- serving -------------------------------------------------------------------------------------------------


def server_min_replicas(environment: Environment) -> int:
    """Replicas a model server keeps with no traffic: 1 in prod (no cold start), else 0 (scale to zero)."""
    return 1 if environment is PROD else 0


CONCURRENCY_TARGET: dict[ServingRuntime, int] = {
    ServingRuntime.TRITON: 8,  # batches concurrent requests on the GPU
    ServingRuntime.VLLM: 32,  # continuous batching: many sequences per replica
    ServingRuntime.MLFLOW: 4,  # a pyfunc under a few gunicorn workers
}


def concurrency_target(runtime: ServingRuntime) -> int:
    """In-flight requests per replica the Knative autoscaler holds (:data:`CONCURRENCY_TARGET`)."""
    return CONCURRENCY_TARGET[runtime]


CPU_SERVER_SIZE = (1.0, 2.0)
"""(vCPUs, GiB) of a model server replica on CPU (the system nodes)."""


def server_size(pool: GpuPoolSpec | None, cloud: Cloud, region: str, gpus: int) -> tuple[float, float]:
    """(vCPUs, GiB) of a model server replica: half its share of the pool's smallest node, or
    :data:`CPU_SERVER_SIZE` on CPU."""
    if pool is None:
        return CPU_SERVER_SIZE
    vcpu, memory = pool.node_share(cloud, region, gpus)
    return max(1.0, vcpu // 2), max(2.0, memory // 2)


def server_max_replicas(pool: GpuPoolSpec | None, gpus: int, min_replicas: int) -> int:
    """Upper bound of a model server: the pool's GPU limit / gpus, at most 4 (at least min_replicas where the pool
    allows); on CPU, 2 or min_replicas."""
    if pool is None:
        return max(2, min_replicas)
    limit = pool.max_nodes * pool.gpus_per_node // gpus
    return max(min(4, limit), min(min_replicas, limit), 1)


def drift_reference_zone(zones: Sequence[str]) -> str:
    """The lake zone a drift report's reference dataset is read from: the features zone."""
    return zone_roles(list(zones))["features"]


# --- resolving a stack's sections (PlatformSpec, once, after validation) ----------------------------------------

T = TypeVar("T")


def resolved(value: T | None) -> T:
    """A setting a ``resolve_*`` function has filled: never None from then on (this says so to the type checker)."""
    assert value is not None, "read before its section was resolved"
    return value


def _pool(pools: Sequence[GpuPoolSpec], name: str) -> GpuPoolSpec:
    pool = next((p for p in pools if p.name == name), None)
    assert pool is not None, name  # pool names are validated before defaults are resolved
    return pool


def resolve_network(net: NetworkSpec, cloud: Cloud, environment: Environment) -> None:
    if net.availability_zones is None:
        net.availability_zones = availability_zones(environment)
    if net.nat is None:
        net.nat = nat(cloud, environment)


def resolve_cluster(cluster: ClusterSpec, cloud: Cloud, environment: Environment) -> None:
    if cluster.kubernetes_version is None:
        cluster.kubernetes_version = kubernetes_version()
    if cluster.endpoint_public_access is None:
        cluster.endpoint_public_access, _ = endpoint_access(cluster)
    nodes = cluster.system_nodes
    if nodes.capacity is None:
        nodes.capacity = system_capacity(environment)
    if nodes.instance_types is None:
        nodes.instance_types = system_instance_types(cloud)


def resolve_feature_store(store: FeatureStoreSpec, cloud: Cloud, project_tag: str) -> None:
    if store.project is None:
        store.project = feast_project(project_tag)
    if store.online_store is None:
        store.online_store = online_store(cloud)


def resolve_mlflow(mlflow: MlflowSpec, cloud: Cloud, environment: Environment) -> None:
    db = mlflow.database
    if db.instance_class is None:
        db.instance_class = mlflow_database_class(cloud, environment)
    if db.backup_retention_days is None:
        db.backup_retention_days = backup_retention_days(environment)
    if mlflow.replicas is None:
        mlflow.replicas = mlflow_replicas(environment)


def resolve_monitoring(monitoring: MonitoringSpec, environment: Environment) -> None:
    if monitoring.container_insights is None:
        monitoring.container_insights = container_insights(environment)
    if monitoring.prometheus_retention_days is None:
        monitoring.prometheus_retention_days = prometheus_retention_days(environment)


def resolve_notebooks(
    nb: NotebooksSpec,
    environment: Environment,
    zones: Sequence[str],
    pools: Sequence[GpuPoolSpec],
    cloud: Cloud,
    region: str,
) -> None:
    if nb.cull_timeout is None:
        nb.cull_timeout = cull_timeout(environment)
    if nb.max_age is None and "max_age" not in nb.model_fields_set:  # an explicit null means no max age
        max_age = notebook_max_age(environment)
        if max_age is not None:
            nb.max_age = max_age
    if nb.profiles is None:
        nb.profiles = notebook_profiles(pools)
    for prof in nb.profiles:
        if prof.gpu_pool is None:
            cpu, memory = CPU_NOTEBOOK_SIZE
            prof.image = prof.image or nb.image
            prof.display_name = prof.display_name or f"CPU ({prof.name})"
        else:
            pool = _pool(pools, prof.gpu_pool)
            cpu, memory = notebook_size(pool, cloud, region, prof.gpus)
            prof.image = prof.image or nb.gpu_image
            prof.display_name = prof.display_name or f"{prof.gpus} x {pool.gpu} GPU ({pool.name} pool, {pool.capacity})"
        prof.cpu = prof.cpu or cpu
        prof.memory_gb = prof.memory_gb or memory
    if nb.profiles and not any(prof.default for prof in nb.profiles):
        nb.profiles[0].default = True
    if nb.write_zone is None:
        nb.write_zone = notebook_write_zone(zones)


def resolve_ray(ray: RaySpec, zones: Sequence[str], pools: Sequence[GpuPoolSpec], cloud: Cloud, region: str) -> None:
    if ray.worker_groups is None:
        ray.worker_groups = ray_worker_groups(pools)
    for group in ray.worker_groups:
        pool = _pool(pools, group.gpu_pool)
        cpu, memory = ray_worker_size(pool, cloud, region, group.gpus)
        group.cpu = group.cpu or cpu
        group.memory_gb = group.memory_gb or memory
        if group.max_workers is None:
            group.max_workers = ray_max_workers(pool, group.gpus)
    if ray.write_zone is None:
        ray.write_zone = ray_write_zone(zones)


def resolve_batch(jobs: Sequence[BatchJobSpec], pools: Sequence[GpuPoolSpec], cloud: Cloud, region: str) -> None:
    for job in jobs:
        cpu, memory = batch_size(_pool(pools, job.gpu_pool), cloud, region, job.gpus)
        job.cpu = job.cpu or cpu
        job.memory_gb = job.memory_gb or memory


def resolve_serving(
    serving: ServingSpec,
    environment: Environment,
    zones: Sequence[str],
    pools: Sequence[GpuPoolSpec],
    cloud: Cloud,
    region: str,
) -> None:
    for server in serving.servers:
        if server.min_replicas is None:
            server.min_replicas = server_min_replicas(environment)
        if server.concurrency_target is None:
            server.concurrency_target = concurrency_target(server.runtime)
        pool = _pool(pools, server.gpu_pool) if server.gpu_pool is not None else None
        cpu, memory = server_size(pool, cloud, region, server.gpus)
        server.cpu = server.cpu or cpu
        server.memory_gb = server.memory_gb or memory
        if server.max_replicas is None:
            server.max_replicas = server_max_replicas(pool, server.gpus, server.min_replicas)
        if server.drift is not None and server.drift.reference_zone is None:
            server.drift.reference_zone = drift_reference_zone(zones)
