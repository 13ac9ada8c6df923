"""The whole document of one stack (the config key ``mlplatform:platform``), and the rules across its sections.

A stack file holds one structured object::

    config:
      aws:region: us-east-1
      mlplatform:platform:
        cloud: aws
        region: us-east-1
        environment: dev
        tags: {team: ml-platform, project: recsys, cost_center: "cc-1042"}
        cluster:
          gpu_pools:
            - {name: inference, gpu: L4, max_nodes: 4}

Each section is validated by its own model (:mod:`mlplatform.components.config.network`, ...); :class:`PlatformSpec`
then checks
what reads several sections (a GPU pool a notebook profile names, a zone a batch job writes, settings of the other
cloud), and fills every setting left unset from :mod:`mlplatform.components.config.defaults`, once.
:func:`mlplatform.components.config.load_platform_spec` reads it. Unknown keys are errors, and every problem is
reported at
once with the stack file, the full key path, the value received and what is allowed
(:class:`mlplatform.components.base.errors.ConfigError`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

from pydantic import model_validator

from ..base.cloud import Cloud
from ..base.errors import Problems
from ..base.model_uri import ModelSource, ModelUriError, parse_model_uri
from ..base.values import GCP_LABEL, StrictModel, duplicates, foreign_store, matching
from ..catalog import load_catalog
from . import defaults
from .batch import BatchJobSpec
from .cluster import ClusterSpec, GpuPoolSpec, check_cluster_for_cloud, check_endpoint_access
from .endpoints import EndpointSpec
from .environment import Environment
from .features import FeatureStoreSpec
from .lake import DataLakeSpec
from .mlflow import IngressScheme, MlflowSpec
from .monitoring import BudgetSpec, MonitoringSpec
from .network import NatStrategy, NetworkSpec
from .notebooks import NotebookAuthType, NotebooksSpec
from .ray import RaySpec
from .serving import ServingRuntime, ServingSpec
from .tags import CostTags


class PlatformSpec(StrictModel):
    """The whole platform of one stack."""

    cloud: Cloud
    """aws or gcp. Required."""
    region: str
    """Cloud region; must be one the catalog prices. Required."""
    environment: Environment
    """dev, staging or prod: drives defaults and guardrails. Required."""
    gcp_project: Annotated[
        str | None,
        matching(
            r"^[a-z][-a-z0-9]{4,28}[a-z0-9]$",
            "a GCP project id: 6-30 lowercase letters, digits or '-', starting with a letter",
        ),
    ] = None
    """GCP project id (GCP only). Required on GCP."""
    gcp_billing_account: Annotated[
        str | None, matching(r"^[0-9A-F]{6}-[0-9A-F]{6}-[0-9A-F]{6}$", "a billing account id: XXXXXX-XXXXXX-XXXXXX")
    ] = None
    """Billing account the budget watches, XXXXXX-XXXXXX-XXXXXX (GCP only). Required on GCP."""
    tags: CostTags
    """Cost-allocation tags. Required."""
    network: NetworkSpec = NetworkSpec()
    """Network. Default: a new VPC, see NetworkSpec."""
    cluster: ClusterSpec = ClusterSpec()
    """Kubernetes cluster and GPU pools. Default: see ClusterSpec."""
    data_lake: DataLakeSpec = DataLakeSpec()
    """Data lake. Default: see DataLakeSpec."""
    feature_store: FeatureStoreSpec = FeatureStoreSpec()
    """Feast feature store. Default: see FeatureStoreSpec."""
    mlflow: MlflowSpec = MlflowSpec()
    """MLflow tracking. Default: see MlflowSpec."""
    endpoints: list[EndpointSpec] = []
    """Model endpoints. Default: none."""
    monitoring: MonitoringSpec = MonitoringSpec()
    """Alerts and cluster observability. Default: see MonitoringSpec."""
    budget: BudgetSpec
    """Monthly budget. Required."""
    notebooks: NotebooksSpec = NotebooksSpec()
    """JupyterHub for data scientists. Default: off."""
    ray: RaySpec = RaySpec()
    """KubeRay and a RayCluster for distributed training and hyper-parameter search. Default: off."""
    batch: list[BatchJobSpec] = []
    """Scheduled batch inference jobs on the GPU pools. Default: none."""
    serving: ServingSpec = ServingSpec()
    """Model servers on the cluster's GPU pools (KServe), with request logging and drift reports. Default:
    none."""

    @property
    def is_prod(self) -> bool:
        return self.environment is Environment.PROD

    def tag_set(self, stack: str | None = None) -> dict[str, str]:
        """Cost tags for resources of this platform."""
        return self.tags.as_tags(self.environment, stack)

    @model_validator(mode="after")
    def _check_and_default(self) -> PlatformSpec:
        p = Problems()
        self._check_cloud(p)
        check_endpoint_access(p, self.cluster, self.is_prod)
        self._check_mlflow_ingress(p)
        zones, pools = list(self.data_lake.zones), list(self.cluster.gpu_pools)
        check_toolchain(p, self.notebooks, self.ray, self.batch, pools, zones, self.cloud, self.environment)
        check_serving(p, self.serving, pools, zones, self.cloud, self.mlflow.enabled)
        dup = duplicates([e.name for e in self.endpoints])
        if dup:
            p.add(
                "endpoints",
                f"endpoint names must be unique; repeated: {', '.join(dup)}",
                [e.name for e in self.endpoints],
            )
        p.raise_if_any()
        self._apply_defaults()
        return self

    def _check_mlflow_ingress(self, p: Problems) -> None:
        m = self.mlflow
        if m.ingress_host is None:
            for key in ("certificate_arn",):
                if getattr(m, key) is not None:
                    p.add(f"mlflow.{key}", "only valid with mlflow.ingress_host", getattr(m, key))
            return
        if self.cloud is Cloud.GCP:
            if m.certificate_arn is not None:
                p.add("mlflow.certificate_arn", "an ACM certificate is not valid on gcp", m.certificate_arn)
            if m.ingress_scheme is IngressScheme.INTERNAL and m.ingress_class is None:
                p.add(
                    "mlflow.ingress_scheme",
                    "GKE's built-in Ingress is internet-facing; an internal one needs gce-internal and a proxy-only "
                    "subnet, which the platform does not create: use internet-facing, or an ingress_class you run",
                    str(m.ingress_scheme),
                )
            return
        alb = m.ingress_class in (None, "alb")
        if not alb and m.certificate_arn is not None:
            p.add(
                "mlflow.certificate_arn",
                "only used with ingress_class alb; TLS is your controller's",
                m.certificate_arn,
            )
        if alb and self.is_prod and m.certificate_arn is None:
            p.add(
                "mlflow.certificate_arn",
                "required in prod with an Ingress: MLflow's basic-auth credentials must not cross the network in "
                "clear text",
                None,
            )
        if alb and m.certificate_arn and m.certificate_arn.split(":")[3] != self.region:
            p.add("mlflow.certificate_arn", f"must be in the stack's region ({self.region})", m.certificate_arn)

    def pool(self, name: str | None) -> GpuPoolSpec | None:
        """The GPU pool of that name (None for none or an unknown name; validation reports unknown names)."""
        return next((pool for pool in self.cluster.gpu_pools if pool.name == name), None)

    def _check_cloud(self, p: Problems) -> None:
        regions = load_catalog().regions(self.cloud)
        if self.region not in regions:
            cloud = {Cloud.AWS: "an AWS", Cloud.GCP: "a GCP"}[self.cloud]
            p.add("region", f"not {cloud} region in the catalog; allowed: {', '.join(regions)}", self.region)
        for key in ("gcp_project", "gcp_billing_account"):
            value = getattr(self, key)
            if self.cloud is Cloud.GCP and not value:
                p.add(key, "required when cloud is gcp", None)
            if self.cloud is Cloud.AWS and value:
                p.add(key, "only valid when cloud is gcp", value)
        check_cluster_for_cloud(p, self.cluster, self.cloud, self.region, defaults.gke_zonal(self.environment))
        if self.cloud is Cloud.AWS and self.network.gcp_existing is not None:
            p.add("network.gcp_existing", "only valid when cloud is gcp; use network.existing", "set")
        if self.cloud is Cloud.GCP:
            for key, value in self.tag_set().items():
                if not GCP_LABEL.match(value):
                    p.add(
                        f"tags.{key.replace('-', '_')}",
                        "GCP labels allow only lowercase letters, digits, '_' and '-' (max 63)",
                        value,
                    )
            if self.network.existing is not None:
                p.add(
                    "network.existing",
                    "existing AWS VPC settings are not valid on gcp; use network.gcp_existing",
                    "set",
                )
            if self.network.nat not in (None, NatStrategy.SINGLE, NatStrategy.NONE):
                p.add("network.nat", "not available on gcp; allowed: single (Cloud NAT), none", str(self.network.nat))

    def _apply_defaults(self) -> None:
        """Every setting left unset gets the stack's default, from :mod:`mlplatform.components.config.defaults`."""
        cloud, region, env = self.cloud, self.region, self.environment
        zones, pools = list(self.data_lake.zones), list(self.cluster.gpu_pools)
        defaults.resolve_network(self.network, cloud, env)
        defaults.resolve_cluster(self.cluster, cloud, env)
        defaults.resolve_feature_store(self.feature_store, cloud, self.tags.project)
        defaults.resolve_mlflow(self.mlflow, cloud, env)
        defaults.resolve_monitoring(self.monitoring, env)
        defaults.resolve_notebooks(self.notebooks, env, zones, pools, cloud, region)
        defaults.resolve_ray(self.ray, zones, pools, cloud, region)
        defaults.resolve_batch(self.batch, pools, cloud, region)
        defaults.resolve_serving(self.serving, env, zones, pools, cloud, region)


def check_pool_ref(
    p: Problems,
    path: str,
    pools: Sequence[GpuPoolSpec],
    name: str | None,
    gpus: int,
    *,
    pools_key: str = "cluster.gpu_pools",
    count: int | None = None,
    count_key: str = "",
) -> GpuPoolSpec | None:
    """Add to ``p`` what a workload at ``path`` gets wrong about the GPU pool it names: no such pool (``pools``,
    found at ``pools_key``), more GPUs than one of its nodes has, or ``count`` of it (``count_key``: max_workers,
    max_replicas) past the pool's GPU limit. Returns the pool when it exists. Notebooks, Ray, batch jobs and model
    servers all refer to pools through this one check."""
    known = {pool.name: pool for pool in pools}
    pool = known.get(name or "")
    if pool is None:
        p.add(f"{path}.gpu_pool", f"not a GPU pool of {pools_key}; pools: {', '.join(known) or 'none'}", name)
        return None
    limit = pool.max_nodes * pool.gpus_per_node
    if gpus > pool.gpus_per_node:
        p.add(f"{path}.gpus", f"pool {pool.name} has {pool.gpus_per_node} GPU(s) per node", gpus)
    elif count is not None and count * gpus > limit:
        p.add(
            f"{path}.{count_key}",
            f"{count} {count_key.removeprefix('max_')} x {gpus} GPU(s) exceed pool {pool.name}'s GPU limit "
            f"({limit}: max_nodes x gpus_per_node)",
            count,
        )
    return pool


def check_toolchain(
    p: Problems,
    notebooks: NotebooksSpec,
    ray: RaySpec,
    batch: Sequence[BatchJobSpec],
    pools: Sequence[GpuPoolSpec],
    zones: Sequence[str],
    cloud: Cloud,
    environment: Environment,
    pools_key: str = "cluster.gpu_pools",
) -> None:
    """Add to ``p`` where notebooks, Ray and batch jobs name GPU pools (``pools``, found at ``pools_key``) or lake
    zones that do not exist, or do not fit them; the stack spec and ToolchainArgs check it the same way."""

    def zone_ref(path: str, zone: str | None) -> None:
        if zone is not None and zone not in zones:
            p.add(path, f"not a lake zone; zones: {', '.join(zones)}", zone)

    nb = notebooks
    if nb.enabled:
        if nb.auth.type is not NotebookAuthType.DUMMY and nb.ingress_host is None:
            p.add(
                "notebooks.ingress_host",
                f"required with auth.type {nb.auth.type}: the provider sends users back to "
                "<ingress_host>/hub/oauth_callback",
                None,
            )
        if nb.certificate_arn is not None and (cloud is Cloud.GCP or nb.ingress_host is None):
            p.add("notebooks.certificate_arn", "only valid on aws with notebooks.ingress_host", nb.certificate_arn)
        elif cloud is Cloud.AWS and nb.ingress_host and nb.certificate_arn is None:
            if environment is Environment.PROD:
                p.add(
                    "notebooks.certificate_arn",
                    "required in prod with an Ingress: sign-in must not cross the network in clear text",
                    None,
                )
            elif nb.auth.type is NotebookAuthType.OIDC:
                p.add(
                    "notebooks.certificate_arn",
                    "required for oidc sign-in: providers call back over https only",
                    None,
                )
        if nb.auth.type is NotebookAuthType.DUMMY and environment is not Environment.DEV:
            p.add(
                "notebooks.auth.type",
                "dummy lets anyone who has the shared password in under any name: dev only; use github or oidc",
                str(nb.auth.type),
            )
        for i, prof in enumerate(nb.profiles or []):
            if prof.gpu_pool is not None:
                check_pool_ref(p, f"notebooks.profiles[{i}]", pools, prof.gpu_pool, prof.gpus, pools_key=pools_key)
            elif "gpus" in prof.model_fields_set:
                p.add(f"notebooks.profiles[{i}].gpus", "only valid with gpu_pool", prof.gpus)
        for j, zone in enumerate(nb.read_zones or []):
            zone_ref(f"notebooks.read_zones[{j}]", zone)
        zone_ref("notebooks.write_zone", nb.write_zone)
    if ray.enabled:
        for i, group in enumerate(ray.worker_groups or []):
            path = f"ray.worker_groups[{i}]"
            pool = check_pool_ref(
                p,
                path,
                pools,
                group.gpu_pool,
                group.gpus,
                pools_key=pools_key,
                count=group.max_workers,
                count_key="max_workers",
            )
            if pool is not None and group.max_workers is not None and group.min_workers > group.max_workers:
                p.add(f"{path}.min_workers", f"must be <= max_workers ({group.max_workers})", group.min_workers)
        for j, zone in enumerate(ray.read_zones or []):
            zone_ref(f"ray.read_zones[{j}]", zone)
        zone_ref("ray.write_zone", ray.write_zone)
    for i, job in enumerate(batch):
        check_pool_ref(p, f"batch[{i}]", pools, job.gpu_pool, job.gpus, pools_key=pools_key)
        if job.model_uri is not None and (foreign := foreign_store(cloud, job.model_uri)):
            p.add(f"batch[{i}].model_uri", foreign, job.model_uri)
        zone_ref(f"batch[{i}].input_zone", job.input_zone)
        zone_ref(f"batch[{i}].output_zone", job.output_zone)
    dup = duplicates([job.name for job in batch])
    if dup:
        p.add("batch", f"job names must be unique; repeated: {', '.join(dup)}", [job.name for job in batch])


def check_serving(
    p: Problems,
    serving: ServingSpec,
    pools: Sequence[GpuPoolSpec],
    zones: Sequence[str],
    cloud: Cloud,
    mlflow: bool,
    pools_key: str = "cluster.gpu_pools",
) -> None:
    """Add to ``p`` where model servers name GPU pools (at ``pools_key``), lake zones or model sources that do not
    exist (``mlflow``: whether MLflow runs), or do not fit their pools; the stack spec and ServingArgs check it the
    same way."""
    for i, server in enumerate(serving.servers):
        path = f"serving.servers[{i}]"
        try:
            source = parse_model_uri(server.model_uri)
        except ModelUriError as exc:
            p.add(f"{path}.model_uri", str(exc), server.model_uri)
            source = None
        if source is not None:
            if source.kind in (ModelSource.S3, ModelSource.GCS) and (foreign := foreign_store(cloud, server.model_uri)):
                p.add(f"{path}.model_uri", foreign, server.model_uri)
            if source.kind is ModelSource.MLFLOW and not mlflow:
                p.add(f"{path}.model_uri", "a models:/ URI needs mlflow.enabled", server.model_uri)
            if source.kind is ModelSource.HUGGING_FACE and server.runtime is not ServingRuntime.VLLM:
                p.add(f"{path}.model_uri", "hf:// models are served by the vllm runtime", server.model_uri)
            if source.kind is ModelSource.LAKE and not source.lake_prefix:
                p.add(f"{path}.model_uri", "a lake model lives under a prefix, such as ranker/v14/", server.model_uri)
            lake_file = source.kind is ModelSource.LAKE and not server.model_uri.endswith("/")
            if server.runtime is ServingRuntime.TRITON and lake_file:
                p.add(
                    f"{path}.model_uri",
                    "a Triton model repository is a prefix ending with /, such as triton/",
                    server.model_uri,
                )
        if server.runtime is ServingRuntime.TRITON and server.triton is None:
            p.add(f"{path}.triton", "required for the triton runtime: the model's inputs and outputs", None)
        if server.runtime is not ServingRuntime.TRITON and server.triton is not None:
            p.add(f"{path}.triton", "only valid with runtime: triton", "set")
        if server.triton is not None and server.triton.dynamic_batching and not server.triton.max_batch_size:
            p.add(f"{path}.triton.dynamic_batching", "needs max_batch_size > 0", True)
        if server.runtime is ServingRuntime.VLLM and server.gpu_pool is None:
            p.add(f"{path}.gpu_pool", "required for vllm: it serves on GPUs only", None)
        if server.gpu_pool is None and "gpus" in server.model_fields_set:
            p.add(f"{path}.gpus", "only valid with gpu_pool", server.gpus)
        if server.gpu_pool is not None:
            check_pool_ref(
                p,
                path,
                pools,
                server.gpu_pool,
                server.gpus,
                pools_key=pools_key,
                count=server.max_replicas,
                count_key="max_replicas",
            )
        lo, hi = server.min_replicas, server.max_replicas
        if lo is not None and hi is not None and lo > hi:
            p.add(f"{path}.min_replicas", f"must be <= max_replicas ({hi})", lo)
        if server.drift is not None:
            if not server.request_logging:
                p.add(f"{path}.drift", "needs request_logging: the report reads the logged requests", "set")
            zone = server.drift.reference_zone
            if zone is not None and zone not in zones:
                p.add(f"{path}.drift.reference_zone", f"not a lake zone; zones: {', '.join(zones)}", zone)
        if "raw" not in zones and server.request_logging:
            p.add(f"{path}.request_logging", "logs go to the raw zone, which this lake does not have", True)
