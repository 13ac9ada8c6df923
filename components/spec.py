"""The platform's whole configuration surface, read from the stack config key ``mlplatform:platform``.

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

:func:`load_platform_spec` validates it into a :class:`PlatformSpec` with the environment's defaults applied.
Unknown keys are errors, and every problem is reported at once with the stack file, the full key path, the
value received and what is allowed (:class:`components.errors.ConfigError`).
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Any

import pulumi
from pydantic import BaseModel, Field, ValidationInfo, field_validator, model_validator

from .base.cloud import Cloud
from .base.errors import ConfigError, Problem, Problems, spec_error, validate
from .base.values import (
    GCP_LABEL,
    AcmCertificateArn,
    Cidr,
    CronSchedule,
    DnsLabel,
    Duration,
    Email,
    Hostname,
    HttpsUrl,
    IamPrincipalArn,
    KmsKeyArn,
    LabelKey,
    LabelValue,
    StrictModel,
    TagValue,
    VpcCidr,
    duplicates,
    duration_seconds,
)
from .catalog import Offering, load_catalog
from .config.context import where
from .config.lake_access import zone_roles

CONFIG_NAMESPACE = "mlplatform"
CONFIG_KEY = "platform"


# --- closed sets -------------------------------------------------------------------------------------------


class Environment(StrEnum):
    DEV = "dev"
    STAGING = "staging"
    PROD = "prod"


class GpuModelName(StrEnum):
    """GPU models a pool can ask for (the catalog's ``gpus.yaml``)."""

    T4 = "T4"
    L4 = "L4"
    A10G = "A10G"
    L40S = "L40S"
    V100 = "V100"
    A100 = "A100"
    A100_80GB = "A100-80GB"
    H100 = "H100"
    H200 = "H200"


class Capacity(StrEnum):
    """How a GPU pool buys capacity."""

    SPOT = "spot"
    ON_DEMAND = "on-demand"
    SPOT_WITH_ON_DEMAND_FALLBACK = "spot-with-on-demand-fallback"


class SystemCapacity(StrEnum):
    SPOT = "spot"
    ON_DEMAND = "on-demand"


class Provisioner(StrEnum):
    """What scales GPU nodes on AWS: Karpenter NodePools, or managed node groups with cluster-autoscaler."""

    KARPENTER = "karpenter"
    MANAGED_NODE_GROUPS = "managed-node-groups"


class NatStrategy(StrEnum):
    INSTANCE = "instance"  # one small NAT instance: the dev choice, a fifth of a NAT gateway's price
    SINGLE = "single"
    PER_AZ = "per-az"
    NONE = "none"


class TaintEffect(StrEnum):
    NO_SCHEDULE = "NoSchedule"
    PREFER_NO_SCHEDULE = "PreferNoSchedule"
    NO_EXECUTE = "NoExecute"


class LakeLayout(StrEnum):
    BUCKETS = "buckets"
    PREFIXES = "prefixes"


class LakeEncryption(StrEnum):
    KMS = "kms"
    SSE_S3 = "sse-s3"


class OfflineStore(StrEnum):
    FILE = "file"
    ATHENA = "athena"
    BIGQUERY = "bigquery"


class OnlineStore(StrEnum):
    DYNAMODB = "dynamodb"
    REDIS = "redis"
    FIRESTORE = "firestore"


class IngressScheme(StrEnum):
    INTERNAL = "internal"
    INTERNET_FACING = "internet-facing"


class EndpointMode(StrEnum):
    SERVERLESS = "serverless"
    REALTIME = "realtime"


OFFLINE_STORES = {
    Cloud.AWS: (OfflineStore.FILE, OfflineStore.ATHENA),
    Cloud.GCP: (OfflineStore.FILE, OfflineStore.BIGQUERY),
}
ONLINE_STORES = {
    Cloud.AWS: (OnlineStore.DYNAMODB, OnlineStore.REDIS),
    Cloud.GCP: (OnlineStore.FIRESTORE, OnlineStore.REDIS),
}


# --- sections ----------------------------------------------------------------------------------------------


class CostTags(StrictModel):
    """Cost-allocation tags put on every taggable resource (labels on GCP)."""

    team: TagValue
    """Owning team. Required."""
    project: TagValue
    """Project or product the spend belongs to. Required."""
    cost_center: TagValue
    """Finance cost center, tagged as ``cost-center``. Required."""
    extra: dict[LabelKey, TagValue] = {}
    """Additional tags, e.g. ``{owner: alice}``. Default: none."""

    def as_tags(self, environment: Environment | str, stack: str | None = None) -> dict[str, str]:
        """The tag set for resources: the three cost tags, environment, management markers and extras."""
        tags = {
            "team": self.team,
            "project": self.project,
            "cost-center": self.cost_center,
            "environment": str(environment),
            "managed-by": "pulumi",
        }
        if stack:
            tags["mlplatform-stack"] = stack
        return {**tags, **self.extra}


class ExistingNetwork(StrictModel):
    """A network that already exists; when given, the platform creates no network resources."""

    vpc_id: str = Field(pattern=r"^vpc-[0-9a-f]{8,17}$")
    """Id of the VPC. Required."""
    private_subnet_ids: list[Annotated[str, Field(pattern=r"^subnet-[0-9a-f]{8,17}$")]] = Field(min_length=2)
    """Private subnets (at least 2, in different availability zones) for nodes and databases. Required."""
    public_subnet_ids: list[Annotated[str, Field(pattern=r"^subnet-[0-9a-f]{8,17}$")]] = []
    """Public subnets for internet-facing load balancers. Default: none."""


class ExistingGcpNetwork(StrictModel):
    """A GCP network and subnetwork that already exist, with secondary ranges for GKE pods and services."""

    network: str = Field(min_length=1)
    """Network name or self link. Required."""
    subnetwork: str = Field(min_length=1)
    """Subnetwork name or self link, in the platform's region. Required."""
    pods_range_name: str = Field(pattern=r"^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$")
    """Name of the subnetwork's secondary range for pods. Required."""
    services_range_name: str = Field(pattern=r"^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$")
    """Name of the subnetwork's secondary range for services. Required."""
    private_services_access: bool = True
    """The network already has a private services access connection (Cloud SQL and Memorystore private IPs
    need one). Default: true."""


class NetworkSpec(StrictModel):
    cidr: VpcCidr = "10.0.0.0/16"
    """VPC address range. Default: 10.0.0.0/16."""
    availability_zones: int | None = Field(default=None, ge=2, le=6)
    """Availability zones to spread subnets over. Default: 3 in prod, else 2."""
    nat: NatStrategy | None = None
    """Internet egress of private subnets: instance (one t4g.nano NAT instance, no HA), single (one NAT gateway),
    per-az (a NAT gateway per zone), none. Default: instance in dev, single in staging, per-az in prod. On GCP:
    single (Cloud NAT, regional) or none; default single."""
    existing: ExistingNetwork | None = None
    """Use an existing VPC and subnets instead of creating a network (AWS). Default: create one."""
    gcp_existing: ExistingGcpNetwork | None = None
    """Use an existing network and subnetwork instead of creating them (GCP). Default: create them."""


class Taint(StrictModel):
    key: LabelKey
    """Taint key. Required."""
    value: LabelValue = ""
    """Taint value. Default: empty."""
    effect: TaintEffect = TaintEffect.NO_SCHEDULE
    """NoSchedule, PreferNoSchedule or NoExecute. Default: NoSchedule."""


class GpuPoolSpec(StrictModel):
    """A pool of GPU nodes, described by need (GPU model and count), not by instance type."""

    name: DnsLabel
    """Pool name, a DNS label (also the NodePool / node group name suffix). Required."""
    gpu: GpuModelName
    """GPU model, e.g. T4, L4, A10G, L40S, V100, A100, A100-80GB, H100, H200. Required."""
    gpus_per_node: int = Field(default=1, ge=1, le=8)
    """GPUs on each node. Default: 1."""
    capacity: Capacity = Capacity.SPOT
    """spot, on-demand or spot-with-on-demand-fallback. Default: spot."""
    min_nodes: int = Field(default=0, ge=0)
    """Nodes kept running with no GPU work. Default: 0 (scale from zero)."""
    max_nodes: int = Field(ge=1, le=1000)
    """Upper bound on nodes; also the pool's GPU limit (max_nodes x gpus_per_node). Required."""
    instance_types: list[str] | None = Field(default=None, min_length=1)
    """Explicit instance or machine types (each must carry gpus_per_node x gpu). Default: every type the
    catalog offers for the GPU model and count in the region."""
    labels: dict[LabelKey, LabelValue] = {}
    """Extra Kubernetes node labels. Default: none (pool and GPU labels are always set)."""
    taints: list[Taint] = []
    """Extra taints. Default: none (the nvidia.com/gpu NoSchedule taint is always set)."""
    consolidate_after: Duration = "5m"
    """How long an empty GPU node lives before it is removed. Default: 5m."""

    @model_validator(mode="after")
    def _check(self, info: ValidationInfo) -> GpuPoolSpec:
        p = Problems()
        if self.min_nodes > self.max_nodes:
            p.add("min_nodes", f"must be <= max_nodes ({self.max_nodes})", self.min_nodes)
        dup = duplicates([t.key for t in self.taints])
        if dup:
            p.add("taints", f"taint keys must be unique; repeated: {', '.join(dup)}", [t.key for t in self.taints])
        cloud, region = where(info)
        if cloud is not None and region is not None:
            self._check_offered(p, cloud, region)
        p.raise_if_any()
        return self

    def extra_tolerations(self) -> list[dict[str, str]]:
        """The pool's own taints as tolerations (every GPU pod tolerates the nvidia.com/gpu taint anyway)."""
        return [{"key": t.key, "operator": "Equal", "value": t.value, "effect": str(t.effect)} for t in self.taints]

    def smallest_node(self, cloud: Cloud | str, region: str) -> Offering | None:
        """The smallest node shape the pool may launch, which a pod sized for the pool must fit: among its
        instance types on AWS (Karpenter picks any that fits), the one machine type its GKE node pool uses."""
        cloud = Cloud(cloud)
        purchase = "on-demand" if self.capacity is Capacity.ON_DEMAND else "spot"
        offers = load_catalog().gpu_offerings(cloud, region, self.gpu, self.gpus_per_node, purchase)
        if self.instance_types:
            offers = [o for o in offers if o.machine_type in self.instance_types]
            if cloud is Cloud.GCP:
                offers = [o for o in offers if o.machine_type == self.instance_types[0]]
        elif cloud is Cloud.GCP:
            offers = offers[:1]  # the GKE pool takes the cheapest shape (gcp.gpu_cluster.gpu_pool_plans)
        return min(offers, key=lambda o: (o.vcpu, o.memory_gib)) if offers else None

    def _check_offered(self, p: Problems, cloud: Cloud, region: str) -> None:
        cat = load_catalog()
        counts = cat.gpu_counts(cloud, region, self.gpu)
        if not counts:
            offered = ", ".join(cat.gpu_models_in(cloud, region))
            p.add("gpu", f"not offered in {cloud} {region}; offered there: {offered}", str(self.gpu))
            return
        if self.gpus_per_node not in counts:
            p.add(
                "gpus_per_node",
                f"no {self.gpu} node shape with that many GPUs in {region}; allowed: {', '.join(map(str, counts))}",
                self.gpus_per_node,
            )
            return
        offers = sorted(o.machine_type for o in cat.gpu_offerings(cloud, region, self.gpu, self.gpus_per_node))
        for j, itype in enumerate(self.instance_types or []):
            if itype not in offers:
                known = cat.machine_type(cloud, itype) is not None
                what = f"does not carry {self.gpus_per_node} x {self.gpu} in {region}" if known else "unknown type"
                p.add(f"instance_types[{j}]", f"{what}; allowed: {', '.join(offers)}", itype)


class SystemNodesSpec(StrictModel):
    """The small node group that runs cluster add-ons, Karpenter and the platform's services."""

    instance_types: list[str] | None = Field(default=None, min_length=1)
    """Instance or machine types, several for spot diversity. Default: t3.large, t3a.large, m5.large on AWS;
    e2-standard-4 on GCP."""
    capacity: SystemCapacity | None = None
    """spot or on-demand. Default: on-demand in prod, else spot."""
    min_nodes: int = Field(default=2, ge=1, le=20)
    """Minimum (and initial) nodes. Default: 2."""
    max_nodes: int = Field(default=4, ge=1, le=50)
    """Maximum nodes. Default: 4."""

    @model_validator(mode="after")
    def _check(self, info: ValidationInfo) -> SystemNodesSpec:
        p = Problems()
        if self.min_nodes > self.max_nodes:
            p.add("min_nodes", f"must be <= max_nodes ({self.max_nodes})", self.min_nodes)
        cloud, region = where(info)
        if cloud is not None and region is not None:
            cat = load_catalog()
            machines = cat.aws_instances if cloud is Cloud.AWS else cat.gcp_machines
            allowed = [m.name for m in machines.values() if not m.gpu and m.offered_in(region)]
            for j, itype in enumerate(self.instance_types or []):
                if itype not in allowed:
                    p.add(
                        f"instance_types[{j}]",
                        f"not a CPU {cloud} type offered in {region}; allowed: {', '.join(allowed)}",
                        itype,
                    )
        p.raise_if_any()
        return self


class ClusterSpec(StrictModel):
    kubernetes_version: str | None = None
    """Kubernetes minor version, pinned. Default: the catalog's default (1.33); allowed: see kubernetes.yaml."""
    provisioner: Provisioner = Provisioner.KARPENTER
    """AWS GPU node provisioner: karpenter or managed-node-groups. Default: karpenter."""
    endpoint_public_access: bool | None = None
    """Whether the API server endpoint is reachable from outside the network (limited to public_access_cidrs).
    The same `pulumi up` creates Kubernetes objects through it, so a private-only endpoint needs
    deploy_from_network. Default: false with deploy_from_network, else true."""
    public_access_cidrs: list[Cidr] = []
    """CIDRs allowed to reach a public endpoint: the deployer's and admins' egress. Required in prod for a
    public endpoint (no 0.0.0.0/0 there). Default: none (0.0.0.0/0 outside prod)."""
    admin_principals: list[IamPrincipalArn] = []
    """Cluster admins: IAM role or user ARNs (AWS, EKS access entries) or IAM members such as
    group:ml-admins@example.com (GCP, roles/container.admin). Default: none."""
    gke_security_group: str | None = Field(default=None, pattern=r"^gke-security-groups@[a-z0-9.-]+\.[a-z]{2,}$")
    """GKE only: the Google Group gke-security-groups@<your domain> that contains the groups named in
    admin_principals (Google Groups for RBAC). Required on GCP when an admin is a group:. Default: none."""
    zones: list[Annotated[str, Field(pattern=r"^[a-z]+-[a-z]+[0-9]+-[a-z]$")]] = []
    """GCP only: zones of the region whose GPU capacity the cluster uses, each offering every pool's GPU model
    (gcloud compute accelerator-types list --filter=zone:<zone>); GPU node pools span them and the
    autoscaler picks one with capacity; a zonal (non-prod) cluster's control plane sits in the first.
    Required on GCP with GPU pools. Default: none."""
    deploy_from_network: bool = False
    """The deployer (CI runner, bastion) runs inside the cluster's network, so a private-only API endpoint
    is reachable for the in-cluster resources of the same stack. Default: false."""
    kms_key_arn: KmsKeyArn | None = None
    """KMS key for envelope encryption of Kubernetes secrets (AWS). Default: create one. On GCP secrets are
    encrypted at rest by Google."""
    system_nodes: SystemNodesSpec = SystemNodesSpec()
    """The system node group. Default: see SystemNodesSpec."""
    gpu_pools: list[GpuPoolSpec] = []
    """GPU node pools. Default: none."""

    @field_validator("kubernetes_version")
    @classmethod
    def _supported_version(cls, v: str | None, info: ValidationInfo) -> str | None:
        cloud, _ = where(info)
        if cloud is not None and v is not None:
            service = "eks" if cloud is Cloud.AWS else "gke"
            versions = load_catalog().kubernetes_versions[service]
            if v not in versions:
                raise spec_error(None, f"not supported on {service.upper()}; allowed: {', '.join(versions)}", v)
        return v

    @model_validator(mode="after")
    def _check(self) -> ClusterSpec:
        dup = duplicates([pool.name for pool in self.gpu_pools])
        if dup:
            raise spec_error(
                "gpu_pools",
                f"pool names must be unique; repeated: {', '.join(dup)}",
                [pool.name for pool in self.gpu_pools],
            )
        return self


def endpoint_access(cluster: ClusterSpec) -> tuple[bool, list[str]]:
    """(public endpoint, CIDRs allowed to reach it) for a cluster spec; CIDRs default to everywhere."""
    public = (
        cluster.endpoint_public_access
        if cluster.endpoint_public_access is not None
        else not cluster.deploy_from_network
    )
    return public, (list(cluster.public_access_cidrs) or ["0.0.0.0/0"]) if public else []


def check_endpoint_access(p: Problems, cluster: ClusterSpec, prod: bool) -> None:
    """Add to ``p`` why the deployer could not reach, or everyone could reach, the API endpoint (paths
    ``cluster.<field>``); the stack spec and both GpuCluster args check it the same way."""
    public, cidrs = endpoint_access(cluster)
    if not public and not cluster.deploy_from_network:
        p.add(
            "cluster.endpoint_public_access",
            "false leaves the API endpoint reachable only inside the network this stack creates, yet the same "
            "deploy creates Kubernetes objects through it: give public_access_cidrs (the deployer's egress), "
            "or set deploy_from_network: true and deploy from inside the network",
            cluster.endpoint_public_access,
        )
    if prod and public and "0.0.0.0/0" in cidrs:
        p.add(
            "cluster.public_access_cidrs",
            "required in prod for a public API endpoint, and not 0.0.0.0/0: the CI runners' and admins' egress "
            "CIDRs (or endpoint_public_access: false with deploy_from_network: true)",
            cluster.public_access_cidrs,
        )


class LifecycleSpec(StrictModel):
    """Object lifecycle of a data-lake zone."""

    intelligent_tiering_after_days: int | None = Field(default=30, ge=0)
    """Move objects to S3 Intelligent-Tiering after N days (null: never). Default: 30."""
    glacier_after_days: int | None = Field(default=None, ge=1)
    """Move objects to Glacier Flexible Retrieval after N days (null: never). Default: never."""
    expire_after_days: int | None = Field(default=None, ge=1)
    """Delete current objects after N days (null: never). Default: never."""
    noncurrent_expiry_days: int = Field(default=30, ge=1)
    """Delete non-current (overwritten) versions after N days. Default: 30."""
    abort_multipart_days: int = Field(default=7, ge=1)
    """Abort incomplete multipart uploads after N days. Default: 7."""

    @model_validator(mode="after")
    def _check(self) -> LifecycleSpec:
        p = Problems()
        tier, glacier, expire = self.intelligent_tiering_after_days, self.glacier_after_days, self.expire_after_days
        if tier is not None and glacier is not None and glacier <= tier:
            p.add("glacier_after_days", f"must be after intelligent_tiering_after_days ({tier})", glacier)
        for name, days in (("intelligent_tiering_after_days", tier), ("glacier_after_days", glacier)):
            if expire is not None and days is not None and expire <= days:
                p.add("expire_after_days", f"must be after {name} ({days})", expire)
        p.raise_if_any()
        return self


DEFAULT_ZONES = ["raw", "curated", "features", "models"]


class DataLakeSpec(StrictModel):
    zones: list[DnsLabel] = Field(default=DEFAULT_ZONES, min_length=1)
    """Zone names. Default: raw, curated, features, models."""
    layout: LakeLayout = LakeLayout.BUCKETS
    """A bucket per zone, or one bucket with a prefix per zone. Default: buckets."""
    encryption: LakeEncryption = LakeEncryption.KMS
    """kms (a customer-managed key with rotation) or sse-s3. Default: kms."""
    lifecycle: LifecycleSpec = LifecycleSpec()
    """Lifecycle applied to every zone. Default: see LifecycleSpec."""
    zone_lifecycle: dict[str, LifecycleSpec] = {}
    """Per-zone lifecycle overrides, keyed by zone name. Default: none."""
    athena_bytes_scanned_cutoff_gb: int = Field(default=10, ge=1, le=10_000)
    """Athena per-query scan limit in GB. Default: 10."""

    @model_validator(mode="after")
    def _check(self) -> DataLakeSpec:
        p = Problems()
        dup = duplicates(self.zones)
        if dup:
            p.add("zones", f"zone names must be unique; repeated: {', '.join(dup)}", self.zones)
        for zone in self.zone_lifecycle:
            if zone not in self.zones:
                p.add(f"zone_lifecycle.{zone}", f"unknown zone; zones: {', '.join(self.zones)}", zone)
        p.raise_if_any()
        return self


class FeatureServerSpec(StrictModel):
    enabled: bool = False
    """Run a Feast feature server on the cluster. Default: false."""
    replicas: int = Field(default=1, ge=1, le=20)
    """Feature server replicas. Default: 1."""


FEAST_NAME = r"^[A-Za-z][A-Za-z0-9_]{0,63}$"


class FeatureStoreSpec(StrictModel):
    enabled: bool = True
    """Create the Feast feature store. Default: true."""
    project: str | None = Field(default=None, pattern=FEAST_NAME)
    """Feast project name (letters, digits, underscores). Default: the cost tag ``project`` with - as _."""
    feature_views: list[Annotated[str, Field(pattern=FEAST_NAME)]] = []
    """Feature views whose DynamoDB online tables the platform creates ahead of ``feast apply`` (on-demand,
    point-in-time recovery, encrypted, protected in prod); others are created by Feast. Default: none."""
    redis_node_type: str = Field(default="cache.t4g.micro", pattern=r"^cache\.[a-z0-9]+\.[a-z0-9]+$")
    """ElastiCache node type when online_store is redis (AWS). Default: cache.t4g.micro."""
    redis_memory_gb: int = Field(default=1, ge=1, le=300)
    """Memorystore capacity when online_store is redis (GCP; Standard HA tier in prod). Default: 1."""
    offline_store: OfflineStore = OfflineStore.FILE
    """file (parquet in the lake), athena (AWS) or bigquery (GCP). Default: file."""
    online_store: OnlineStore | None = None
    """dynamodb or redis (AWS); firestore or redis (GCP). Default: dynamodb on AWS, firestore on GCP."""
    feature_server: FeatureServerSpec = FeatureServerSpec()
    """Optional feature server. Default: disabled."""

    @model_validator(mode="after")
    def _unique_views(self) -> FeatureStoreSpec:
        dup = duplicates(self.feature_views)
        if dup:
            raise spec_error(
                "feature_views", f"feature view names must be unique; repeated: {', '.join(dup)}", self.feature_views
            )
        return self

    @field_validator("offline_store", "online_store")
    @classmethod
    def _available_on_cloud(cls, v: Any, info: ValidationInfo) -> Any:
        cloud, _ = where(info)
        table = OFFLINE_STORES if info.field_name == "offline_store" else ONLINE_STORES
        if cloud is not None and v is not None and v not in table[cloud]:
            raise spec_error(None, f"not available on {cloud}; allowed: {', '.join(table[cloud])}", str(v))
        return v


class DatabaseSpec(StrictModel):
    instance_class: str | None = None
    """Database instance class. Default: db.t4g.micro (dev), db.t4g.small (staging), db.m7g.large (prod) on
    AWS; db-f1-micro / db-g1-small / db-custom-2-7680 on GCP."""
    engine_version: str = "16"
    """PostgreSQL major version. Default: 16; allowed: 14, 15, 16, 17."""
    storage_gb: int = Field(default=20, ge=20, le=16384)
    """Allocated storage in GB. Default: 20."""
    backup_retention_days: int | None = Field(default=None, ge=0, le=35)
    """Automated backup retention. Default: 7 in prod, else 1."""

    @model_validator(mode="after")
    def _check(self) -> DatabaseSpec:
        if self.engine_version not in ("14", "15", "16", "17"):
            raise spec_error("engine_version", "not allowed; allowed: 14, 15, 16, 17", self.engine_version)
        return self


class MlflowSpec(StrictModel):
    enabled: bool = True
    """Run MLflow tracking. Default: true."""
    replicas: int | None = Field(default=None, ge=1, le=10)
    """Server replicas. Default: 2 in prod, else 1."""
    ingress_host: Hostname | None = None
    """Hostname for an Ingress (you point its DNS record at the load balancer, output
    ``mlflow_ingress_address``). On AWS the platform installs the AWS Load Balancer Controller for it.
    Default: no Ingress (cluster-internal service only)."""
    ingress_class: DnsLabel | None = None
    """IngressClass for that Ingress: alb (AWS, installed by the platform) or a class whose controller you run
    (e.g. nginx). Default: alb on AWS, GKE's built-in class on GCP."""
    ingress_scheme: IngressScheme = IngressScheme.INTERNAL
    """internal (reachable from the VPC and what peers with it) or internet-facing. Default: internal."""
    certificate_arn: AcmCertificateArn | None = None
    """ACM certificate for ingress_host (AWS, alb): the load balancer listens on HTTPS only and tracking_uri
    is https://. Required in prod with an Ingress. Default: none (HTTP; tracking_uri is http://)."""
    database: DatabaseSpec = DatabaseSpec()
    """Backend database. Default: see DatabaseSpec."""


class ServerlessSpec(StrictModel):
    memory_mb: int = 2048
    """Memory: 1024 to 6144 in steps of 1024 on AWS; 512 to 32768 in steps of 512 on GCP (at least 16384
    with a GPU). Default: 2048."""
    max_concurrency: int = Field(default=5, ge=1, le=1000)
    """Concurrent requests across instances (AWS: 1-200). Default: 5."""
    provisioned_concurrency: int | None = Field(default=None, ge=1, le=200)
    """Pre-warmed concurrency (<= max_concurrency; it is billed while idle). On GCP, minimum instances.
    Default: none."""
    gpu: bool = False
    """One NVIDIA L4 per instance (GCP Cloud Run; 4 vCPU, at least 16384 MB). Default: false."""
    concurrency_per_instance: int | None = Field(default=None, ge=1, le=1000)
    """Requests one instance serves at once (GCP Cloud Run). Default: 1 with a GPU, else 4."""

    @model_validator(mode="after")
    def _check(self, info: ValidationInfo) -> ServerlessSpec:
        p = Problems()
        cloud, _ = where(info)
        pc = self.provisioned_concurrency
        if cloud is Cloud.GCP:
            if self.memory_mb % 512 or not 512 <= self.memory_mb <= 32768:
                p.add("memory_mb", "not allowed on gcp; allowed: 512 to 32768 in steps of 512", self.memory_mb)
            elif self.gpu and self.memory_mb < 16384:
                p.add("memory_mb", "a Cloud Run GPU instance needs at least 16384 MB", self.memory_mb)
            if self.concurrency_per_instance is None:
                self.concurrency_per_instance = 1 if self.gpu else 4
        else:
            if self.memory_mb not in range(1024, 6145, 1024):
                p.add("memory_mb", "not allowed; allowed: 1024, 2048, 3072, 4096, 5120, 6144", self.memory_mb)
            if self.max_concurrency > 200:
                p.add("max_concurrency", "SageMaker serverless allows at most 200", self.max_concurrency)
            if self.gpu:
                p.add("gpu", "SageMaker serverless endpoints cannot use GPUs; use mode: realtime", self.gpu)
            if self.concurrency_per_instance is not None:
                p.add("concurrency_per_instance", "only valid on gcp (Cloud Run)", self.concurrency_per_instance)
        if pc is not None and pc > self.max_concurrency:
            p.add("provisioned_concurrency", f"must be <= max_concurrency ({self.max_concurrency})", pc)
        p.raise_if_any()
        return self


class VariantSpec(StrictModel):
    """A production variant of a real-time endpoint: one model on one instance type."""

    name: DnsLabel
    """Variant name. Required."""
    image: str = Field(min_length=1)
    """Inference container image URI. Required."""
    model_data: str = Field(min_length=1)
    """Model artifact: a key in the lake's models zone (e.g. ranker/v3/model.tar.gz), which must exist before
    the endpoint is created (not on a first deploy: the new lake is empty), or the s3:// (AWS) / gs:// (GCP)
    URI of an existing artifact. Required."""
    instance_type: str | None = None
    """Instance type (real-time only): a SageMaker type such as ml.g5.xlarge (AWS), or a Compute Engine
    machine type such as g2-standard-4 for Vertex AI (GCP). Required in real-time mode."""
    initial_count: int = Field(default=1, ge=1, le=100)
    """Instances at creation. Default: 1."""
    weight: float = Field(default=1.0, ge=0)
    """Relative traffic weight. Default: 1."""
    min_count: int | None = Field(default=None, ge=1)
    """Autoscaling minimum. Default: initial_count."""
    max_count: int | None = Field(default=None, ge=1, le=100)
    """Autoscaling maximum. Default: initial_count (no autoscaling)."""
    revision: str | None = Field(default=None, pattern=r"^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$")
    """GCP serverless only: the existing Cloud Run revision serving this variant, for every variant but the last
    (the last is the revision this deployment creates; Cloud Run names it, see the endpoint's
    ``latest_revision`` output). Default: none."""


class AutoscalingSpec(StrictModel):
    """Target tracking on invocations per instance, for real-time variants whose max_count > min_count."""

    target_invocations_per_instance: int = Field(default=100, ge=1, le=100_000)
    """Invocations per instance per minute to hold. Default: 100."""
    scale_in_cooldown_seconds: int = Field(default=300, ge=0, le=3600)
    """Wait after a scale-in before the next. Default: 300."""
    scale_out_cooldown_seconds: int = Field(default=60, ge=0, le=3600)
    """Wait after a scale-out before the next. Default: 60."""


class ModelMonitorSpec(StrictModel):
    """SageMaker Model Monitor (data quality) over a real-time endpoint's captured requests."""

    schedule: str = Field(default="daily", pattern=r"^(hourly|daily)$")
    """hourly or daily. Default: daily."""
    instance_type: str = Field(default="ml.m5.large", pattern=r"^ml\.[a-z0-9]+\.[a-z0-9]+$")
    """Processing instance of each monitoring run (billed per run). Default: ml.m5.large."""
    max_runtime: Duration = "30m"
    """A run that takes longer is stopped (at most 1h for an hourly schedule). Default: 30m."""


class EndpointSpec(StrictModel):
    name: DnsLabel
    """Endpoint name. Required."""
    enabled: bool = True
    """false creates nothing for the endpoint yet: for a stack whose first model is not trained or registered,
    since an endpoint cannot start without its artifact. Default: true."""
    mode: EndpointMode = EndpointMode.SERVERLESS
    """serverless (scales to zero) or realtime (instances, A/B variants). Default: serverless."""
    serverless: ServerlessSpec | None = None
    """Serverless settings (serverless mode). Default: see ServerlessSpec."""
    variants: list[VariantSpec] = Field(min_length=1)
    """Production variants; exactly one in serverless mode on AWS. On GCP serverless variants are Cloud Run
    revisions split by weight: the last is deployed as the new revision, the others name revisions of
    earlier deployments (``revision``). Required."""
    shadow_variant: VariantSpec | None = None
    """A variant that receives a copy of traffic without answering (real-time only). Default: none."""
    data_capture_percent: int | None = Field(default=None, ge=1, le=100)
    """Capture this percentage of requests to the lake (real-time only). Default: off."""
    monitor: ModelMonitorSpec | None = None
    """Model Monitor data-quality schedule over the captured requests (real-time with data capture, AWS):
    baseline statistics.json and constraints.json in the lake's models zone under
    model-monitor/<endpoint>/baseline/, reports under model-monitor/<endpoint>/reports/; violations and
    failed runs alert the stack's topic. Default: none."""
    autoscaling: AutoscalingSpec = AutoscalingSpec()
    """Target tracking for real-time variants. Default: see AutoscalingSpec."""
    latency_p99_ms: int | None = Field(default=None, ge=1)
    """Model latency p99 alarm threshold. Default: monitoring.endpoint_latency_p99_ms."""

    @model_validator(mode="after")
    def _check(self, info: ValidationInfo) -> EndpointSpec:
        p = Problems()
        hint = "; use mode: realtime for that"
        cat = load_catalog()
        cloud, _ = where(info)
        if cloud is not Cloud.GCP:
            for where_, v in [(f"variants[{i}]", v) for i, v in enumerate(self.variants)] + (
                [("shadow_variant", self.shadow_variant)] if self.shadow_variant else []
            ):
                if v.revision is not None:
                    p.add(f"{where_}.revision", "only valid for Cloud Run (mode: serverless on gcp)", v.revision)
        if cloud is Cloud.GCP:
            self._check_gcp(p)
        elif self.mode is EndpointMode.SERVERLESS:
            if self.serverless is None:
                self.serverless = ServerlessSpec()
            if len(self.variants) != 1:
                p.add(
                    "variants", f"serverless endpoints allow exactly one production variant{hint}", len(self.variants)
                )
            if self.shadow_variant is not None:
                p.add("shadow_variant", f"serverless endpoints do not support shadow variants{hint}", "set")
            if self.data_capture_percent is not None:
                p.add(
                    "data_capture_percent",
                    f"serverless endpoints do not support data capture{hint}",
                    self.data_capture_percent,
                )
            for i, v in enumerate(self.variants):
                if v.instance_type is not None:
                    mt = cat.sagemaker_instance(v.instance_type)
                    gpu = (
                        f"; {v.instance_type} has a GPU, and serverless endpoints cannot use GPUs"
                        if (mt and mt.gpu)
                        else ""
                    )
                    p.add(
                        f"variants[{i}].instance_type",
                        f"serverless endpoints take no instance type{gpu}{hint}",
                        v.instance_type,
                    )
        else:
            if self.serverless is not None:
                p.add("serverless", "only valid with mode: serverless", "set")
            variants = [*self.variants, *([self.shadow_variant] if self.shadow_variant else [])]
            for i, v in enumerate(variants):
                path = f"variants[{i}]" if i < len(self.variants) else "shadow_variant"
                if v.instance_type is None:
                    p.add(f"{path}.instance_type", "required in realtime mode; e.g. ml.m5.large, ml.g5.xlarge", None)
                elif cat.sagemaker_instance(v.instance_type) is None:
                    p.add(
                        f"{path}.instance_type",
                        f"not a SageMaker instance type in the catalog; allowed: {', '.join(cat.sagemaker_instances)}",
                        v.instance_type,
                    )
                lo, hi = v.min_count or v.initial_count, v.max_count or v.initial_count
                if lo > hi:
                    p.add(f"{path}.min_count", f"must be <= max_count ({hi})", lo)
                if not lo <= v.initial_count <= hi:
                    p.add(
                        f"{path}.initial_count",
                        f"must be between min_count ({lo}) and max_count ({hi})",
                        v.initial_count,
                    )
            if sum(v.weight for v in self.variants) <= 0:
                p.add("variants", "at least one variant needs a weight > 0", [v.weight for v in self.variants])
        if self.monitor is not None:
            if cloud is Cloud.GCP:
                p.add("monitor", "SageMaker Model Monitor is AWS only", "set")
            elif self.mode is not EndpointMode.REALTIME or self.data_capture_percent is None:
                p.add("monitor", "needs mode: realtime and data_capture_percent: it analyses captured requests", "set")
            elif self.monitor.schedule == "hourly" and duration_seconds(self.monitor.max_runtime) > 3600:
                p.add("monitor.max_runtime", "at most 1h for an hourly schedule", self.monitor.max_runtime)
        names = [v.name for v in self.variants] + ([self.shadow_variant.name] if self.shadow_variant else [])
        dup = duplicates(names)
        if dup:
            p.add("variants", f"variant names must be unique; repeated: {', '.join(dup)}", names)
        p.raise_if_any()
        return self

    def _check_gcp(self, p: Problems) -> None:
        """Cloud Run (serverless: revisions split by weight) or Vertex AI (realtime: dedicated replicas)."""
        cat = load_catalog()
        if self.shadow_variant is not None:
            p.add("shadow_variant", "not available on gcp", "set")
        if self.data_capture_percent is not None:
            p.add(
                "data_capture_percent", "not available on gcp (use request-response logging)", self.data_capture_percent
            )
        if sum(v.weight for v in self.variants) <= 0:
            p.add("variants", "at least one variant needs a weight > 0", [v.weight for v in self.variants])
        if self.mode is EndpointMode.SERVERLESS:
            if self.serverless is None:
                self.serverless = ServerlessSpec.model_validate({}, context={"cloud": "gcp"})
            last = len(self.variants) - 1
            for i, v in enumerate(self.variants):
                if v.instance_type is not None:
                    p.add(
                        f"variants[{i}].instance_type",
                        "Cloud Run takes no instance type; use mode: realtime",
                        v.instance_type,
                    )
                # Revisions are immutable and their names unique: earlier variants name the revision that
                # serves them; the new one is named by Cloud Run, so a later change never collides.
                if i < last and v.revision is None:
                    p.add(
                        f"variants[{i}].revision",
                        "required for every variant but the last: the existing Cloud Run revision serving it "
                        "(gcloud run revisions list)",
                        None,
                    )
                if i == last and v.revision is not None:
                    p.add(
                        f"variants[{i}].revision",
                        "not allowed on the last variant: this deployment creates that revision and Cloud Run names it",
                        v.revision,
                    )
            return
        if self.serverless is not None:
            p.add("serverless", "only valid with mode: serverless", "set")
        for i, v in enumerate(self.variants):
            if v.revision is not None:
                p.add(f"variants[{i}].revision", "only valid for Cloud Run (mode: serverless on gcp)", v.revision)
        machines = sorted(cat.gcp_machines)
        for i, v in enumerate(self.variants):
            where_ = f"variants[{i}]"
            if v.instance_type is None:
                p.add(f"{where_}.instance_type", "required in realtime mode; e.g. n1-standard-4, g2-standard-8", None)
            elif v.instance_type not in cat.gcp_machines:
                p.add(
                    f"{where_}.instance_type",
                    f"not a machine type in the catalog; allowed: {', '.join(machines)}",
                    v.instance_type,
                )
            lo, hi = v.min_count or v.initial_count, v.max_count or v.initial_count
            if lo > hi:
                p.add(f"{where_}.min_count", f"must be <= max_count ({hi})", lo)
            if not lo <= v.initial_count <= hi:
                p.add(
                    f"{where_}.initial_count", f"must be between min_count ({lo}) and max_count ({hi})", v.initial_count
                )


class MonitoringSpec(StrictModel):
    alert_emails: list[Email] = []
    """Email addresses subscribed to the alert topic and budget notifications. Default: none."""
    alert_https_endpoints: list[HttpsUrl] = []
    """HTTPS endpoints (e.g. a chat webhook relay) subscribed to the alert topic. Default: none."""
    prometheus: bool = True
    """Run Prometheus and the DCGM exporter on the cluster. Default: true."""
    prometheus_retention_days: int | None = Field(default=None, ge=1, le=90)
    """Metric retention. Default: 15 in prod, else 3."""
    container_insights: bool | None = None
    """CloudWatch Container Insights (GPU and node metrics in CloudWatch, billed per observation).
    Default: true in prod, else false."""
    endpoint_latency_p99_ms: int = Field(default=1000, ge=1)
    """Alarm threshold for endpoint model latency p99, in milliseconds. Default: 1000."""


class BudgetSpec(StrictModel):
    monthly_limit_usd: float = Field(gt=0)
    """Monthly budget for the stack in USD. Required."""
    actual_thresholds_percent: list[int] = [80, 100]
    """Notify when actual spend crosses these percentages. Default: 80, 100."""
    forecast_thresholds_percent: list[int] = [100]
    """Notify when forecast spend crosses these percentages. Default: 100."""
    anomaly_threshold_usd: float = Field(default=50, gt=0)
    """Cost anomaly impact that triggers a notification. Default: 50."""

    @model_validator(mode="after")
    def _check(self) -> BudgetSpec:
        p = Problems()
        for name in ("actual_thresholds_percent", "forecast_thresholds_percent"):
            values = getattr(self, name)
            bad = [v for v in values if not 1 <= v <= 1000]
            if bad:
                p.add(name, "percentages must be between 1 and 1000", bad)
        p.raise_if_any()
        return self


# --- the data scientist's toolchain: notebooks, Ray, batch inference -------------------------------------------


class NotebookAuthType(StrEnum):
    DUMMY = "dummy"  # any username with one generated shared password: dev only
    GITHUB = "github"
    OIDC = "oidc"


class NotebookAuthSpec(StrictModel):
    """How people sign in to JupyterHub."""

    type: NotebookAuthType = NotebookAuthType.DUMMY
    """dummy (any username with one generated shared password, output notebooks_password; admin_users sign in
    with notebooks_admin_password; dev only), github (a GitHub OAuth app) or oidc (an OpenID Connect provider:
    Okta, Entra ID, Keycloak, Google). Default: dummy."""
    client_id: str | None = Field(default=None, min_length=1)
    """OAuth client id. Required for github and oidc."""
    client_secret_key: str = Field(default="notebooksOauthClientSecret", pattern=r"^[A-Za-z][A-Za-z0-9_]*$")
    """The stack's secret config key (namespace mlplatform) holding the OAuth client secret, set with
    ``pulumi config set --secret mlplatform:<key> ...``. Default: notebooksOauthClientSecret."""
    authorize_url: HttpsUrl | None = None
    """OIDC: the provider's authorization endpoint. Required for oidc."""
    token_url: HttpsUrl | None = None
    """OIDC: the provider's token endpoint. Required for oidc."""
    userdata_url: HttpsUrl | None = None
    """OIDC: the provider's userinfo endpoint. Required for oidc."""
    username_claim: str = "preferred_username"
    """OIDC: the userinfo claim that becomes the JupyterHub username. Default: preferred_username."""
    groups_claim: str = "groups"
    """OIDC: the userinfo claim listing the user's groups. Default: groups."""
    github_organizations: list[str] = []
    """github: organizations (or org:team) whose members may sign in. Default: none."""
    allowed_groups: list[str] = []
    """oidc: groups whose members may sign in. Default: none."""
    allowed_users: list[str] = []
    """Usernames that may sign in. Default: none (github and oidc need organizations, groups or users)."""
    admin_users: list[str] = []
    """Hub administrators. Default: none."""

    @model_validator(mode="after")
    def _check(self) -> NotebookAuthSpec:
        p = Problems()
        if self.type is NotebookAuthType.DUMMY:
            for key in ("client_id", "authorize_url", "token_url", "userdata_url"):
                if getattr(self, key) is not None:
                    p.add(key, "only valid with type github or oidc", getattr(self, key))
        else:
            if self.client_id is None:
                p.add("client_id", f"required with type {self.type}", None)
            allow = self.github_organizations if self.type is NotebookAuthType.GITHUB else self.allowed_groups
            if not allow and not self.allowed_users:
                what = "github_organizations" if self.type is NotebookAuthType.GITHUB else "allowed_groups"
                p.add(
                    what,
                    f"{what} or allowed_users is required: JupyterHub 5 lets nobody in unless told who may sign in",
                    allow,
                )
        if self.type is NotebookAuthType.OIDC:
            for key in ("authorize_url", "token_url", "userdata_url"):
                if getattr(self, key) is None:
                    p.add(key, "required with type oidc (the provider's endpoint)", None)
        elif self.allowed_groups:
            p.add("allowed_groups", "only valid with type oidc", self.allowed_groups)
        if self.type is not NotebookAuthType.GITHUB and self.github_organizations:
            p.add("github_organizations", "only valid with type github", self.github_organizations)
        p.raise_if_any()
        return self


class NotebookProfileSpec(StrictModel):
    """A server size users pick when they start a notebook."""

    name: DnsLabel
    """Profile slug, a DNS label. Required."""
    display_name: str | None = Field(default=None, min_length=1, max_length=80)
    """Shown on the spawn page. Default: derived from the pool and GPU."""
    gpu_pool: DnsLabel | None = None
    """GPU pool (cluster.gpu_pools) the server runs on, with its GPUs. Default: none (a CPU notebook on the
    system nodes, small and culled like the rest)."""
    gpus: int = Field(default=1, ge=1, le=8)
    """GPUs per server, at most the pool's gpus_per_node (GPU profiles only). Default: 1."""
    cpu: float | None = Field(default=None, gt=0, le=192)
    """Guaranteed vCPUs (the limit is the pool node's share). Default: 0.5 on system nodes; half the pool
    node's share for GPU profiles."""
    memory_gb: float | None = Field(default=None, gt=0, le=2048)
    """Guaranteed memory in GiB. Default: 1 on system nodes; half the pool node's share for GPU profiles."""
    image: str | None = Field(default=None, min_length=1)
    """Notebook image. Default: notebooks.image, or notebooks.gpu_image for GPU profiles."""
    default: bool = False
    """Preselected on the spawn page. Default: the first profile."""


NOTEBOOK_IMAGE = "quay.io/jupyter/scipy-notebook:2024-12-23"
NOTEBOOK_GPU_IMAGE = "quay.io/jupyter/pytorch-notebook:cuda12-2024-12-23"


class NotebooksSpec(StrictModel):
    """JupyterHub on the cluster: profiles per GPU pool, idle culling, per-user volumes, lake access by role."""

    enabled: bool = False
    """Run JupyterHub. Default: false."""
    auth: NotebookAuthSpec = NotebookAuthSpec()
    """Sign-in. Default: dummy (dev only)."""
    profiles: list[NotebookProfileSpec] | None = None
    """Server sizes. Default: cpu (system nodes) and one per GPU pool with 1 GPU."""
    idle_culling: bool = True
    """Stop servers with no activity for cull_timeout, so a GPU notebook left open releases its node (the pool
    then removes the empty node after consolidate_after). Default: true."""
    cull_timeout: Duration | None = None
    """Inactivity after which a server is stopped. Default: 1h in dev, 2h in staging, 8h in prod."""
    cull_every: Duration = "5m"
    """How often the culler looks. Default: 5m."""
    max_age: Duration | None = None
    """Stop servers older than this even when active (an open browser tab keeps a server active). Default: 12h
    in dev, none elsewhere."""
    storage_gb: int = Field(default=10, ge=1, le=1000)
    """Size (and limit) of each user's home volume, on the cluster's encrypted StorageClass. Default: 10."""
    image: str = Field(default=NOTEBOOK_IMAGE, min_length=1)
    """Image of CPU profiles, pinned. Default: quay.io/jupyter/scipy-notebook:2024-12-23."""
    gpu_image: str = Field(default=NOTEBOOK_GPU_IMAGE, min_length=1)
    """Image of GPU profiles, pinned. Default: quay.io/jupyter/pytorch-notebook:cuda12-2024-12-23."""
    read_zones: list[DnsLabel] | None = None
    """Lake zones user servers may read, through the hub's cloud role (no static keys). Default: all zones."""
    write_zone: DnsLabel | None = None
    """Lake zone whose notebooks/ prefix user servers may write. Default: curated (else the first zone)."""
    ingress_host: Hostname | None = None
    """Hostname of an Ingress in front of the hub (served like MLflow's: the ALB controller on AWS, sharing
    MLflow's load balancer; GKE's built-in class on GCP). Required for github and oidc sign-in (the OAuth
    callback). Default: no Ingress (kubectl port-forward svc/proxy-public 8000:80)."""
    certificate_arn: AcmCertificateArn | None = None
    """ACM certificate for ingress_host (AWS): the hub listens on HTTPS only and the OAuth callback is https.
    Required in prod with an Ingress, and for oidc sign-in on AWS. Default: none (HTTP)."""

    @model_validator(mode="after")
    def _check(self) -> NotebooksSpec:
        dup = duplicates([p.name for p in self.profiles or []])
        if dup:
            raise spec_error(
                "profiles",
                f"profile names must be unique; repeated: {', '.join(dup)}",
                [p.name for p in self.profiles or []],
            )
        return self


RAY_VERSION = "2.60.0"


class RayWorkerGroupSpec(StrictModel):
    """Ray workers on one GPU pool, scaled by the Ray autoscaler between min_workers and max_workers."""

    name: DnsLabel
    """Worker group name. Required."""
    gpu_pool: DnsLabel
    """GPU pool (cluster.gpu_pools) the workers run on; they tolerate its taints, so spot reclaims are
    retried by Ray. Required."""
    gpus: int = Field(default=1, ge=1, le=8)
    """GPUs per worker, at most the pool's gpus_per_node. Default: 1."""
    cpu: float | None = Field(default=None, gt=0, le=192)
    """vCPUs per worker (requests = limits). Default: the pool node's share less one for node agents."""
    memory_gb: float | None = Field(default=None, gt=0, le=2048)
    """Memory per worker in GiB (requests = limits). Default: three quarters of the pool node's share."""
    min_workers: int = Field(default=0, ge=0)
    """Workers kept with no work. Default: 0 (scale from zero)."""
    max_workers: int | None = Field(default=None, ge=1)
    """Upper bound. Default: the pool's GPU limit (max_nodes x gpus_per_node) / gpus."""


class RaySpec(StrictModel):
    """The KubeRay operator, and a standing autoscaling RayCluster whose workers scale from zero."""

    enabled: bool = False
    """Install the KubeRay operator. Default: false."""
    cluster: bool = True
    """Run a standing RayCluster (head on the system nodes, workers per GPU pool from zero); false installs the
    operator only, for RayJobs that bring their own cluster. Default: true."""
    version: str = Field(default=RAY_VERSION, pattern=r"^\d+\.\d+\.\d+$")
    """Ray version of the images (rayproject/ray:<version>-py311[-gpu]). Default: 2.60.0."""
    head_cpu: float = Field(default=0.5, gt=0, le=16)
    """vCPUs requested by the head (it runs no tasks: num-cpus 0). Default: 0.5."""
    head_memory_gb: float = Field(default=2, ge=1, le=64)
    """Memory of the head in GiB. Default: 2."""
    worker_groups: list[RayWorkerGroupSpec] | None = None
    """Worker groups. Default: one per GPU pool, 1 GPU per worker, 0 to the pool's GPU limit."""
    idle_timeout: Duration = "5m"
    """How long a worker may sit idle before the autoscaler removes it (its node goes after the pool's
    consolidate_after). Default: 5m."""
    spill_to_lake: bool = True
    """Spill objects that do not fit in memory to the lake (spill_zone, prefix ray/spill/) rather than to the
    node's disk. Default: true."""
    read_zones: list[DnsLabel] | None = None
    """Lake zones Ray jobs may read. Default: all zones."""
    write_zone: DnsLabel | None = None
    """Lake zone whose ray/ prefix Ray jobs write (results, checkpoints, spilled objects). Default: models (else
    the last zone)."""

    @model_validator(mode="after")
    def _check(self) -> RaySpec:
        dup = duplicates([g.name for g in self.worker_groups or []])
        if dup:
            raise spec_error(
                "worker_groups",
                f"worker group names must be unique; repeated: {', '.join(dup)}",
                [g.name for g in self.worker_groups or []],
            )
        return self


class BatchJobSpec(StrictModel):
    """A scheduled batch inference job: reads a lake prefix, writes predictions to another, on a GPU pool."""

    name: DnsLabel
    """Job name (the CronJob's). Required."""
    schedule: CronSchedule
    """Cron schedule in UTC, e.g. '0 2 * * *' (02:00 daily). Required."""
    image: str = Field(min_length=1)
    """Inference image, pinned. Required."""
    command: list[str] = Field(min_length=1)
    """Entrypoint and arguments; the job reads INPUT_URL and writes OUTPUT_URL (environment). Required."""
    gpu_pool: DnsLabel
    """GPU pool (cluster.gpu_pools) the pods run on (spot pools: a reclaimed pod is retried, not counted as
    a failure). Required."""
    gpus: int = Field(default=1, ge=1, le=8)
    """GPUs per pod, at most the pool's gpus_per_node. Default: 1."""
    cpu: float | None = Field(default=None, gt=0, le=192)
    """vCPUs requested per pod. Default: half the pool node's share."""
    memory_gb: float | None = Field(default=None, gt=0, le=2048)
    """Memory requested per pod in GiB. Default: half the pool node's share."""
    parallelism: int = Field(default=1, ge=1, le=100)
    """Pods per run, each given its shard in JOB_COMPLETION_INDEX (an Indexed Job). Default: 1."""
    retries: int = Field(default=3, ge=0, le=20)
    """Failed pods retried per run (spot reclaims do not count). Default: 3."""
    deadline: Duration = "4h"
    """A run that takes longer is stopped, so a stuck job cannot hold GPUs. Default: 4h."""
    input_zone: DnsLabel
    """Lake zone read. Required."""
    input_prefix: str = Field(default="", pattern=r"^([a-z0-9][a-z0-9._-]*/)*$")
    """Prefix read within input_zone (ends with /). Default: the whole zone."""
    output_zone: DnsLabel
    """Lake zone written. Required."""
    output_prefix: str = Field(pattern=r"^([a-z0-9][a-z0-9._-]*/)+$")
    """Prefix written within output_zone (ends with /); the job's role may write nothing else. Required."""
    model_uri: str | None = Field(default=None, min_length=1)
    """Model to load, e.g. models:/ranker/Production (through MLflow's artifact proxy). Default: none."""
    env: dict[str, str] = {}
    """Extra environment. Default: none."""
    suspend: bool = False
    """Keep the schedule but start no runs. Default: false."""


# --- on-cluster model serving: KServe on Knative, request logs, drift --------------------------------------------


class ServingRuntime(StrEnum):
    TRITON = "triton"
    VLLM = "vllm"
    MLFLOW = "mlflow"


class TritonBackend(StrEnum):
    ONNX = "onnxruntime"
    PYTORCH = "pytorch"
    TENSORFLOW = "tensorflow"
    TENSORRT = "tensorrt"
    PYTHON = "python"


class TritonDataType(StrEnum):
    BOOL = "BOOL"
    UINT8 = "UINT8"
    INT8 = "INT8"
    INT16 = "INT16"
    INT32 = "INT32"
    INT64 = "INT64"
    FP16 = "FP16"
    BF16 = "BF16"
    FP32 = "FP32"
    FP64 = "FP64"
    STRING = "STRING"


class TritonTensorSpec(StrictModel):
    """An input or output tensor of a Triton model (config.pbtxt), without the batch dimension."""

    name: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_.:-]{0,127}$")
    """Tensor name as the model file declares it. Required."""
    data_type: TritonDataType
    """Element type: BOOL, UINT8, INT8, INT16, INT32, INT64, FP16, BF16, FP32, FP64 or STRING. Required."""
    dims: list[int] = Field(min_length=1, max_length=8)
    """Shape without the batch dimension; -1 for a variable dimension. Required."""

    @field_validator("dims")
    @classmethod
    def _dims(cls, v: list[int]) -> list[int]:
        if any(d == 0 or d < -1 for d in v):
            raise spec_error(None, "each dimension is -1 (variable) or a positive size", v)
        return v


class TritonModelSpec(StrictModel):
    """The Triton model configuration the platform renders to config.pbtxt in the model repository."""

    backend: TritonBackend
    """onnxruntime, pytorch, tensorflow, tensorrt or python. Required."""
    inputs: list[TritonTensorSpec] = Field(min_length=1)
    """Input tensors. Required."""
    outputs: list[TritonTensorSpec] = Field(min_length=1)
    """Output tensors. Required."""
    max_batch_size: int = Field(default=8, ge=0, le=4096)
    """Largest batch Triton forms (0: the model takes no batch dimension). Default: 8."""
    dynamic_batching: bool = True
    """Let Triton batch concurrent requests (needs max_batch_size > 0). Default: true."""
    max_queue_delay_us: int = Field(default=2000, ge=0, le=1_000_000)
    """How long a request may wait for a batch to fill, in microseconds. Default: 2000."""
    instances: int = Field(default=1, ge=1, le=16)
    """Model instances per GPU (or per server on CPU). Default: 1."""


class DriftSpec(StrictModel):
    """A scheduled drift report: the last window of logged requests against a reference dataset in the lake."""

    reference: str = Field(pattern=r"^([a-z0-9][a-z0-9._-]*/)*[a-z0-9][a-z0-9._-]*\.(parquet|csv|jsonl)$")
    """Reference dataset (the training features): a .parquet, .csv or .jsonl key in reference_zone. Required."""
    reference_zone: DnsLabel | None = None
    """Lake zone holding the reference. Default: features (else the first zone)."""
    schedule: CronSchedule = "0 4 * * *"
    """When the report runs, cron in UTC. Default: '0 4 * * *' (04:00 daily)."""
    window: Duration = "24h"
    """How far back logged requests are read. Default: 24h."""
    drift_share: float = Field(default=0.5, gt=0, le=1)
    """Share of drifted feature columns that makes the dataset drifted: the run fails and alerts. Default: 0.5."""
    min_rows: int = Field(default=100, ge=1)
    """Fewer logged requests than this: the report is written but never fails. Default: 100."""


class ModelServerSpec(StrictModel):
    """A model served on the cluster's own nodes by KServe: scales from zero, splits traffic on rollout."""

    name: DnsLabel = Field(max_length=40)
    """Server (InferenceService) name; Knative adds revision suffixes, hence at most 40 characters. Required."""
    runtime: ServingRuntime
    """triton (Triton Inference Server), vllm (OpenAI-compatible LLM server) or mlflow (an MLflow pyfunc
    model behind ``mlflow models serve``). Required."""
    model_uri: str = Field(min_length=1)
    """A prefix in the lake's models zone (ranker/v14/), an s3:// or gs:// URI, models:/<name>/<version> or
    models:/<name>@<alias> (MLflow registry), or hf://<org>/<model> (vllm). For triton, the model repository:
    the platform writes <model_uri>/<name>/config.pbtxt, training writes <model_uri>/<name>/<version>/. Required."""
    gpu_pool: DnsLabel | None = None
    """GPU pool (cluster.gpu_pools) the replicas run on; spot pools with on-demand fallback keep serving when
    spot capacity is gone. Required for vllm; without it the server runs on CPU (system nodes). Default: none."""
    gpus: int = Field(default=1, ge=1, le=8)
    """GPUs per replica, at most the pool's gpus_per_node. Default: 1."""
    cpu: float | None = Field(default=None, gt=0, le=192)
    """vCPUs requested per replica. Default: half the pool node's share (1 on CPU)."""
    memory_gb: float | None = Field(default=None, gt=0, le=2048)
    """Memory per replica in GiB. Default: half the pool node's share (2 on CPU)."""
    min_replicas: int | None = Field(default=None, ge=0, le=100)
    """Replicas kept with no traffic. 0 scales to zero: $0 idle, and the first request after idle waits for a
    cold start (node, image, model). 1 keeps a replica warm for sub-100 ms answers. Default: 1 in prod, else 0."""
    max_replicas: int | None = Field(default=None, ge=1, le=1000)
    """Upper bound; replicas x gpus must fit the pool's GPU limit. Default: the pool's GPU limit / gpus, at
    most 4 (2 on CPU)."""
    concurrency_target: int | None = Field(default=None, ge=1, le=1000)
    """In-flight requests per replica the autoscaler holds (Knative concurrency target). Default: 8 (triton),
    32 (vllm), 4 (mlflow)."""
    timeout: Duration = "60s"
    """Longest a request may take before the server answers 504. Default: 60s."""
    keep_warm: Duration = "5m"
    """How long the last replica stays after traffic stops before scaling to zero (GPU minutes traded for
    fewer cold starts). Default: 5m."""
    canary_traffic_percent: int | None = Field(default=None, ge=1, le=99)
    """Roll a change of this server out to this share of traffic: the new revision gets it, the last revision
    that took all traffic keeps the rest, until this is removed (promote) or the change is reverted. Default:
    none (a change takes all traffic once ready)."""
    image: str | None = Field(default=None, min_length=1)
    """Runtime image, pinned. Default: the platform's pinned image for the runtime."""
    args: list[str] = []
    """Extra runtime arguments (e.g. --max-model-len=8192 for vllm). Default: none."""
    env: dict[str, str] = {}
    """Extra environment. Default: none."""
    triton: TritonModelSpec | None = None
    """Triton model configuration, rendered to config.pbtxt. Required for triton."""
    request_logging: bool = False
    """Log every request and response (CloudEvents from KServe's agent) to the lake: raw zone,
    serving-logs/<name>/. Default: false."""
    drift: DriftSpec | None = None
    """A scheduled drift report over the logged requests (needs request_logging). Default: none."""


class ServingSpec(StrictModel):
    """On-cluster model serving: KServe in serverless mode on Knative (with its Kourier gateway)."""

    servers: list[ModelServerSpec] = []
    """Model servers. Default: none (nothing is installed)."""
    progress_deadline: Duration = "20m"
    """How long a new revision may take to become ready (a GPU node from zero, the image pull and the model
    load) before Knative gives up on it. Default: 20m."""

    @model_validator(mode="after")
    def _check(self) -> ServingSpec:
        dup = duplicates([s.name for s in self.servers])
        if dup:
            raise spec_error(
                "servers", f"server names must be unique; repeated: {', '.join(dup)}", [s.name for s in self.servers]
            )
        return self


class PlatformSpec(StrictModel):
    """The whole platform of one stack."""

    cloud: Cloud
    """aws or gcp. Required."""
    region: str
    """Cloud region; must be one the catalog prices. Required."""
    environment: Environment
    """dev, staging or prod: drives defaults and guardrails. Required."""
    gcp_project: str | None = Field(default=None, pattern=r"^[a-z][-a-z0-9]{4,28}[a-z0-9]$")
    """GCP project id (GCP only). Required on GCP."""
    gcp_billing_account: str | None = Field(default=None, pattern=r"^[0-9A-F]{6}-[0-9A-F]{6}-[0-9A-F]{6}$")
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
        self._check_toolchain(p)
        self._check_serving(p)
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

    def _check_toolchain(self, p: Problems) -> None:
        """Notebooks, Ray and batch jobs name GPU pools and lake zones of this stack, and fit them."""
        pools = {pool.name: pool for pool in self.cluster.gpu_pools}
        zones = list(self.data_lake.zones)

        def pool_ref(path: str, name: str | None, gpus: int) -> GpuPoolSpec | None:
            pool = pools.get(name or "")
            if pool is None:
                p.add(
                    f"{path}.gpu_pool",
                    f"not a GPU pool of cluster.gpu_pools; pools: {', '.join(pools) or 'none'}",
                    name,
                )
            elif gpus > pool.gpus_per_node:
                p.add(f"{path}.gpus", f"pool {name} has {pool.gpus_per_node} GPU(s) per node", gpus)
            return pool

        def zone_ref(path: str, zone: str | None) -> None:
            if zone is not None and zone not in zones:
                p.add(path, f"not a lake zone; zones: {', '.join(zones)}", zone)

        nb = self.notebooks
        if nb.enabled:
            if nb.auth.type is not NotebookAuthType.DUMMY and nb.ingress_host is None:
                p.add(
                    "notebooks.ingress_host",
                    f"required with auth.type {nb.auth.type}: the provider sends users back to "
                    "<ingress_host>/hub/oauth_callback",
                    None,
                )
            if nb.certificate_arn is not None and (self.cloud is Cloud.GCP or nb.ingress_host is None):
                p.add("notebooks.certificate_arn", "only valid on aws with notebooks.ingress_host", nb.certificate_arn)
            elif self.cloud is Cloud.AWS and nb.ingress_host and nb.certificate_arn is None:
                if self.is_prod:
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
            if nb.auth.type is NotebookAuthType.DUMMY and self.environment is not Environment.DEV:
                p.add(
                    "notebooks.auth.type",
                    "dummy lets anyone who has the shared password in under any name: dev only; use github or oidc",
                    str(nb.auth.type),
                )
            for i, prof in enumerate(nb.profiles or []):
                if prof.gpu_pool is not None:
                    pool_ref(f"notebooks.profiles[{i}]", prof.gpu_pool, prof.gpus)
                elif "gpus" in prof.model_fields_set:
                    p.add(f"notebooks.profiles[{i}].gpus", "only valid with gpu_pool", prof.gpus)
            for j, zone in enumerate(nb.read_zones or []):
                zone_ref(f"notebooks.read_zones[{j}]", zone)
            zone_ref("notebooks.write_zone", nb.write_zone)
        ray = self.ray
        if ray.enabled:
            for i, group in enumerate(ray.worker_groups or []):
                path = f"ray.worker_groups[{i}]"
                pool = pool_ref(path, group.gpu_pool, group.gpus)
                if pool is None or group.max_workers is None:
                    continue
                limit = pool.max_nodes * pool.gpus_per_node
                if group.max_workers * group.gpus > limit:
                    p.add(
                        f"{path}.max_workers",
                        f"{group.max_workers} workers x {group.gpus} GPU(s) exceed pool {pool.name}'s GPU limit "
                        f"({limit}: max_nodes x gpus_per_node)",
                        group.max_workers,
                    )
                if group.min_workers > group.max_workers:
                    p.add(f"{path}.min_workers", f"must be <= max_workers ({group.max_workers})", group.min_workers)
            for j, zone in enumerate(ray.read_zones or []):
                zone_ref(f"ray.read_zones[{j}]", zone)
            zone_ref("ray.write_zone", ray.write_zone)
        for i, job in enumerate(self.batch):
            pool_ref(f"batch[{i}]", job.gpu_pool, job.gpus)
            zone_ref(f"batch[{i}].input_zone", job.input_zone)
            zone_ref(f"batch[{i}].output_zone", job.output_zone)
        dup = duplicates([job.name for job in self.batch])
        if dup:
            p.add("batch", f"job names must be unique; repeated: {', '.join(dup)}", [job.name for job in self.batch])

    def _check_serving(self, p: Problems) -> None:
        """Model servers name GPU pools, lake zones and model sources this stack has, and fit their pools."""
        from .model_uri import ModelSource, ModelUriError, parse_model_uri

        pools = {pool.name: pool for pool in self.cluster.gpu_pools}
        zones = list(self.data_lake.zones)
        for i, server in enumerate(self.serving.servers):
            path = f"serving.servers[{i}]"
            try:
                source = parse_model_uri(server.model_uri)
            except ModelUriError as exc:
                p.add(f"{path}.model_uri", str(exc), server.model_uri)
                source = None
            if source is not None:
                own = {Cloud.AWS: ModelSource.S3, Cloud.GCP: ModelSource.GCS}[self.cloud]
                if source.kind in (ModelSource.S3, ModelSource.GCS) and source.kind is not own:
                    p.add(f"{path}.model_uri", f"not an object store of {self.cloud}", server.model_uri)
                if source.kind is ModelSource.MLFLOW and not self.mlflow.enabled:
                    p.add(f"{path}.model_uri", "a models:/ URI needs mlflow.enabled", server.model_uri)
                if source.kind is ModelSource.HUGGING_FACE and server.runtime is not ServingRuntime.VLLM:
                    p.add(f"{path}.model_uri", "hf:// models are served by the vllm runtime", server.model_uri)
                if source.kind is ModelSource.LAKE and not source.lake_prefix:
                    p.add(
                        f"{path}.model_uri", "a lake model lives under a prefix, such as ranker/v14/", server.model_uri
                    )
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
            pool = pools.get(server.gpu_pool or "")
            if server.gpu_pool is not None and pool is None:
                p.add(
                    f"{path}.gpu_pool",
                    f"not a GPU pool of cluster.gpu_pools; pools: {', '.join(pools) or 'none'}",
                    server.gpu_pool,
                )
            if pool is not None:
                limit = pool.max_nodes * pool.gpus_per_node
                if server.gpus > pool.gpus_per_node:
                    p.add(f"{path}.gpus", f"pool {pool.name} has {pool.gpus_per_node} GPU(s) per node", server.gpus)
                elif server.max_replicas is not None and server.max_replicas * server.gpus > limit:
                    p.add(
                        f"{path}.max_replicas",
                        f"{server.max_replicas} replicas x {server.gpus} GPU(s) exceed pool {pool.name}'s GPU limit "
                        f"({limit}: max_nodes x gpus_per_node)",
                        server.max_replicas,
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

    def pool(self, name: str | None) -> GpuPoolSpec | None:
        """The GPU pool of that name (None for none or an unknown name; validation reports unknown names)."""
        return next((pool for pool in self.cluster.gpu_pools if pool.name == name), None)

    def _known_pool(self, name: str | None) -> GpuPoolSpec:
        pool = self.pool(name)
        assert pool is not None, name  # pool names are validated before defaults are applied
        return pool

    def node_share(self, pool_name: str, gpus: int) -> tuple[float, float]:
        """(vCPUs, GiB) of the smallest node of a GPU pool that a workload with ``gpus`` of its GPUs may take."""
        pool = self._known_pool(pool_name)
        node = pool.smallest_node(self.cloud, self.region)
        if node is None:  # the pool's own checks reported it
            return 1.0, 4.0
        share = gpus / pool.gpus_per_node
        return node.vcpu * share, node.memory_gib * share

    def _check_cloud(self, p: Problems) -> None:
        regions = load_catalog().regions(self.cloud)
        if self.region not in regions:
            p.add("region", f"not a {self.cloud} region in the catalog; allowed: {', '.join(regions)}", self.region)
        for key in ("gcp_project", "gcp_billing_account"):
            value = getattr(self, key)
            if self.cloud is Cloud.GCP and not value:
                p.add(key, "required when cloud is gcp", None)
            if self.cloud is Cloud.AWS and value:
                p.add(key, "only valid when cloud is gcp", value)
        if self.cloud is Cloud.AWS and self.cluster.zones:
            p.add(
                "cluster.zones",
                "only valid when cloud is gcp (EKS nodes use the network's subnets)",
                self.cluster.zones,
            )
        if self.cloud is Cloud.AWS and self.cluster.gke_security_group is not None:
            p.add("cluster.gke_security_group", "only valid when cloud is gcp", self.cluster.gke_security_group)
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
            if self.cluster.kms_key_arn is not None:
                p.add("cluster.kms_key_arn", "an AWS KMS key is not valid on gcp", self.cluster.kms_key_arn)
            if self.cluster.gpu_pools and not self.cluster.zones:
                p.add(
                    "cluster.zones",
                    "required on gcp with GPU pools: GPU models are offered per zone, not per region (e.g. "
                    f"[{self.region}-a, {self.region}-b]; check gcloud compute accelerator-types list)",
                    None,
                )
            for i, zone in enumerate(self.cluster.zones):
                if zone.rsplit("-", 1)[0] != self.region:
                    p.add(f"cluster.zones[{i}]", f"must be a zone of the stack's region {self.region}", zone)
            groups = [a for a in self.cluster.admin_principals if a.startswith("group:")]
            if groups and not self.cluster.gke_security_group:
                p.add(
                    "cluster.gke_security_group",
                    f"required when an admin is a Google Group ({', '.join(groups)}): GKE grants group RBAC only "
                    "through gke-security-groups@<domain>",
                    None,
                )
            if self.cluster.provisioner is not Provisioner.KARPENTER:
                p.add(
                    "cluster.provisioner",
                    "AWS only; GKE scales node pools with its own autoscaler",
                    str(self.cluster.provisioner),
                )

    def _apply_defaults(self) -> None:
        prod = self.is_prod
        cat = load_catalog()
        net = self.network
        if net.availability_zones is None:
            net.availability_zones = 3 if prod else 2
        if net.nat is None and self.cloud is Cloud.GCP:
            net.nat = NatStrategy.SINGLE  # Cloud NAT is regional and billed per VM: one is enough everywhere
        if net.nat is None:
            net.nat = {
                Environment.DEV: NatStrategy.INSTANCE,
                Environment.STAGING: NatStrategy.SINGLE,
                Environment.PROD: NatStrategy.PER_AZ,
            }[self.environment]
        cl = self.cluster
        if cl.kubernetes_version is None:
            cl.kubernetes_version = cat.default_kubernetes_version
        if cl.endpoint_public_access is None:
            cl.endpoint_public_access = not cl.deploy_from_network
        if cl.system_nodes.capacity is None:
            cl.system_nodes.capacity = SystemCapacity.ON_DEMAND if prod else SystemCapacity.SPOT
        if cl.system_nodes.instance_types is None:
            cl.system_nodes.instance_types = (
                ["t3.large", "t3a.large", "m5.large"] if self.cloud is Cloud.AWS else ["e2-standard-4"]
            )
        if self.feature_store.project is None:
            self.feature_store.project = re.sub(r"[^A-Za-z0-9_]", "_", self.tags.project)
            if not self.feature_store.project[0].isalpha():
                self.feature_store.project = f"p_{self.feature_store.project}"
        if self.feature_store.online_store is None:
            self.feature_store.online_store = OnlineStore.DYNAMODB if self.cloud is Cloud.AWS else OnlineStore.FIRESTORE
        db = self.mlflow.database
        if db.instance_class is None:
            db.instance_class = {
                Cloud.AWS: {
                    Environment.DEV: "db.t4g.micro",
                    Environment.STAGING: "db.t4g.small",
                    Environment.PROD: "db.m7g.large",
                },
                Cloud.GCP: {
                    Environment.DEV: "db-f1-micro",
                    Environment.STAGING: "db-g1-small",
                    Environment.PROD: "db-custom-2-7680",
                },
            }[self.cloud][self.environment]
        if db.backup_retention_days is None:
            db.backup_retention_days = 7 if prod else 1
        if self.mlflow.replicas is None:
            self.mlflow.replicas = 2 if prod else 1
        if self.monitoring.container_insights is None:
            self.monitoring.container_insights = prod
        if self.monitoring.prometheus_retention_days is None:
            self.monitoring.prometheus_retention_days = 15 if prod else 3
        self._apply_toolchain_defaults()

    def _apply_toolchain_defaults(self) -> None:
        zones = list(self.data_lake.zones)
        nb = self.notebooks
        if nb.cull_timeout is None:
            nb.cull_timeout = {Environment.DEV: "1h", Environment.STAGING: "2h", Environment.PROD: "8h"}[
                self.environment
            ]
        if nb.max_age is None and self.environment is Environment.DEV and "max_age" not in nb.model_fields_set:
            nb.max_age = "12h"
        if nb.profiles is None:
            nb.profiles = [NotebookProfileSpec(name="cpu", display_name="CPU (small, on the system nodes)")]
            nb.profiles += [NotebookProfileSpec(name=pool.name, gpu_pool=pool.name) for pool in self.cluster.gpu_pools]
        for prof in nb.profiles:
            if prof.gpu_pool is None:
                prof.cpu = prof.cpu or 0.5
                prof.memory_gb = prof.memory_gb or 1
                prof.image = prof.image or nb.image
                prof.display_name = prof.display_name or f"CPU ({prof.name})"
                continue
            pool = self._known_pool(prof.gpu_pool)
            vcpu, memory = self.node_share(pool.name, prof.gpus)
            prof.cpu = prof.cpu or max(0.5, vcpu // 2)
            prof.memory_gb = prof.memory_gb or max(1.0, memory // 2)
            prof.image = prof.image or nb.gpu_image
            prof.display_name = prof.display_name or f"{prof.gpus} x {pool.gpu} GPU ({pool.name} pool, {pool.capacity})"
        if not any(prof.default for prof in nb.profiles) and nb.profiles:
            nb.profiles[0].default = True
        if nb.write_zone is None:
            nb.write_zone = "curated" if "curated" in zones else zones[0]
        ray = self.ray
        if ray.worker_groups is None:
            ray.worker_groups = [
                RayWorkerGroupSpec(name=pool.name, gpu_pool=pool.name) for pool in self.cluster.gpu_pools
            ]
        for group in ray.worker_groups:
            pool = self._known_pool(group.gpu_pool)
            vcpu, memory = self.node_share(pool.name, group.gpus)
            # Ray schedules by what the pod declares: requests = limits, leaving a node's agents their share.
            group.cpu = group.cpu or max(1.0, vcpu - 1)
            group.memory_gb = group.memory_gb or max(2.0, float(int(memory * 0.75)))
            if group.max_workers is None:
                group.max_workers = max(1, pool.max_nodes * pool.gpus_per_node // group.gpus)
        if ray.write_zone is None:
            ray.write_zone = zone_roles(zones)["models"]
        for job in self.batch:
            vcpu, memory = self.node_share(job.gpu_pool, job.gpus)
            job.cpu = job.cpu or max(0.5, vcpu // 2)
            job.memory_gb = job.memory_gb or max(1.0, memory // 2)
        self._apply_serving_defaults()

    def _apply_serving_defaults(self) -> None:
        zones = list(self.data_lake.zones)
        concurrency = {ServingRuntime.TRITON: 8, ServingRuntime.VLLM: 32, ServingRuntime.MLFLOW: 4}
        for server in self.serving.servers:
            if server.min_replicas is None:
                server.min_replicas = 1 if self.is_prod else 0
            if server.concurrency_target is None:
                server.concurrency_target = concurrency[server.runtime]
            if server.gpu_pool is None:
                server.cpu = server.cpu or 1.0
                server.memory_gb = server.memory_gb or 2.0
                server.max_replicas = server.max_replicas or max(2, server.min_replicas)
            else:
                pool = self._known_pool(server.gpu_pool)
                vcpu, memory = self.node_share(pool.name, server.gpus)
                server.cpu = server.cpu or max(1.0, vcpu // 2)
                server.memory_gb = server.memory_gb or max(2.0, memory // 2)
                if server.max_replicas is None:
                    limit = pool.max_nodes * pool.gpus_per_node // server.gpus
                    server.max_replicas = max(min(4, limit), min(server.min_replicas, limit), 1)
            if server.drift is not None and server.drift.reference_zone is None:
                server.drift.reference_zone = zone_roles(zones)["features"]


# --- loading -----------------------------------------------------------------------------------------------


def stack_file(stack: str) -> str:
    return f"stacks/Pulumi.{stack}.yaml"


def parse_platform_spec(document: Any, source: str = "", provider_region: str | None = None) -> PlatformSpec:
    """Validate a ``mlplatform:platform`` document (already parsed from YAML/JSON).

    ``provider_region`` is the stack's ``aws:region`` / ``gcp:region``; it must agree with ``region``, since the
    provider decides where resources go and the spec decides what they cost.
    Raises :class:`ConfigError` listing every problem.
    """
    root = f"{CONFIG_NAMESPACE}:{CONFIG_KEY}"
    context = {"cloud": document.get("cloud"), "region": document.get("region")} if isinstance(document, dict) else {}
    spec = validate(PlatformSpec, document, source=source, root=root, context=context)
    if provider_region is not None and provider_region != spec.region:
        key = f"{spec.cloud}:region"
        raise ConfigError(
            [Problem("region", f"must equal the provider setting {key} ({provider_region!r})", spec.region)],
            source,
            root,
        )
    return spec


def load_platform_spec(config: pulumi.Config | None = None, stack: str | None = None) -> PlatformSpec:
    """Read and validate the current stack's ``mlplatform:platform`` (inside a Pulumi program).

    Example::

        spec = load_platform_spec()
        MlPlatform("platform", spec)
    """
    stack = stack or pulumi.get_stack()
    source = stack_file(stack)
    config = config or pulumi.Config(CONFIG_NAMESPACE)
    try:
        document: Any = config.get_object(CONFIG_KEY)
    except Exception as exc:  # malformed JSON from the CLI: report it as a config problem, not a traceback
        raise ConfigError(
            [Problem("", f"is not a structured object: {exc}", None, has_value=False)],
            source,
            f"{CONFIG_NAMESPACE}:{CONFIG_KEY}",
        ) from None
    if document is None:
        raise ConfigError(
            [Problem("", "is not set; add a `mlplatform:platform:` mapping to the stack file", has_value=False)],
            source,
            f"{CONFIG_NAMESPACE}:{CONFIG_KEY}",
        )
    cloud = document.get("cloud") if isinstance(document, dict) else None
    provider_region = None
    if cloud in ("aws", "gcp"):
        provider_region = pulumi.Config(cloud).get("region")
    return parse_platform_spec(document, source, provider_region)


def describe_fields(model: type[BaseModel] = PlatformSpec, prefix: str = "") -> list[tuple[str, str]]:
    """(key path, docstring) of every field, recursively: the reference table of the README."""
    rows: list[tuple[str, str]] = []
    for name, field in model.model_fields.items():
        path = f"{prefix}.{name}" if prefix else name
        rows.append((path, (field.description or "").replace("\n", " ")))
        for sub in _models_in(field.annotation):
            rows.extend(describe_fields(sub, path + ("[]" if _is_list(field.annotation) else "")))
    return rows


def _models_in(tp: Any) -> list[type[BaseModel]]:
    from .base.errors import _unwrap

    out = []
    for alt in _unwrap(tp):
        args = getattr(alt, "__args__", ())
        if isinstance(alt, type) and issubclass(alt, BaseModel):
            out.append(alt)
        for arg in args:
            if isinstance(arg, type) and issubclass(arg, BaseModel):
                out.append(arg)
    return out


def _is_list(tp: Any) -> bool:
    from .base.errors import _unwrap

    return any(getattr(alt, "__origin__", None) is list for alt in _unwrap(tp))
