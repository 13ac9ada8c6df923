"""The ``cluster`` section: Kubernetes version, endpoint access, admins, system nodes, GPU pools and taints."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated

from pydantic import Field, ValidationInfo, field_validator, model_validator

from ..base.cloud import Cloud
from ..base.errors import Problems, quoted, spec_error
from ..base.values import (
    Cidr,
    DnsLabel,
    Duration,
    IamPrincipalArn,
    KmsKeyArn,
    LabelKey,
    LabelValue,
    StrictModel,
    duplicates,
    matching,
)
from ..catalog import Offering, load_catalog
from .context import where

GCP_ZONE = re.compile(r"^[a-z]+-[a-z]+[0-9]+-[a-z]$")


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


class TaintEffect(StrEnum):
    NO_SCHEDULE = "NoSchedule"
    PREFER_NO_SCHEDULE = "PreferNoSchedule"
    NO_EXECUTE = "NoExecute"


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

    def node_shapes(self, cloud: Cloud | str, region: str) -> list[Offering]:
        """The node shapes the pool may launch, with their vCPUs, memory, GPUs and prices from the catalog: its
        instance_types in the order given, else every type that carries gpus_per_node x gpu in the region, cheapest
        first for the pool's capacity. Karpenter launches any of them; a GKE node pool uses the first. Every
        component reads a pool's shapes here (and the catalog nowhere else for them)."""
        purchase = "on-demand" if self.capacity is Capacity.ON_DEMAND else "spot"
        offers = load_catalog().gpu_offerings(cloud, region, self.gpu, self.gpus_per_node, purchase)
        if not self.instance_types:
            return offers
        by_type = {o.machine_type: o for o in offers}
        return [by_type[t] for t in self.instance_types if t in by_type]

    def smallest_node(self, cloud: Cloud | str, region: str) -> Offering | None:
        """The smallest node shape the pool may launch, which a pod sized for the pool must fit: among its
        shapes on AWS (Karpenter picks any that fits), the one machine type its GKE node pool uses."""
        shapes = self.node_shapes(cloud, region)
        if Cloud(cloud) is Cloud.GCP:
            shapes = shapes[:1]
        return min(shapes, key=lambda o: (o.vcpu, o.memory_gib)) if shapes else None

    def node_share(self, cloud: Cloud | str, region: str, gpus: int) -> tuple[float, float]:
        """(vCPUs, GiB) of the pool's smallest node that a workload with ``gpus`` of its GPUs may take."""
        node = self.smallest_node(cloud, region)
        if node is None:  # the pool's own checks reported it
            return 1.0, 4.0
        share = gpus / self.gpus_per_node
        return node.vcpu * share, node.memory_gib * share

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
    gke_security_group: Annotated[
        str | None, matching(r"^gke-security-groups@[a-z0-9.-]+\.[a-z]{2,}$", "gke-security-groups@<your domain>")
    ] = None
    """GKE only: the Google Group gke-security-groups@<your domain> that contains the groups named in
    admin_principals (Google Groups for RBAC). Required on GCP when an admin is a group:. Default: none."""
    zones: list[str] = []
    """GCP only: zones of the region whose GPU capacity the cluster uses, each offering every pool's GPU model
    (gcloud compute accelerator-types list --filter=zone:<zone>); GPU node pools span them and the
    autoscaler picks one with capacity; a zonal (non-prod) cluster's control plane sits in the first.
    Required on GCP with GPU pools or a zonal control plane (the default outside prod). Default: none."""
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

    @field_validator("kubernetes_version", mode="before")
    @classmethod
    def _version_not_a_number(cls, v: object) -> object:
        if isinstance(v, int | float) and not isinstance(v, bool):
            # YAML reads an unquoted 1.30 as 1.3: name the version meant, not the number read.
            known = [x for versions in load_catalog().kubernetes_versions.values() for x in versions]
            raise spec_error(None, f"a YAML number, not a version; write it quoted: {quoted(v, [*known, f'{v}0'])}", v)
        return v

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


def check_cluster_for_cloud(p: Problems, cluster: ClusterSpec, cloud: Cloud, region: str, zonal: bool) -> None:
    """Add to ``p`` the cluster settings that do not apply on ``cloud`` (GKE-only fields on AWS, AWS-only fields
    on GCP) and what GKE requires (zones of the region with GPU pools or a ``zonal`` control plane, the security
    group for group admins); paths ``cluster.<field>``. The stack spec and both GpuCluster args check it the same
    way, before anything is built."""
    if cloud is Cloud.AWS:
        if cluster.zones:
            p.add("cluster.zones", "only valid when cloud is gcp (EKS nodes use the network's subnets)", cluster.zones)
        if cluster.gke_security_group is not None:
            p.add("cluster.gke_security_group", "only valid when cloud is gcp", cluster.gke_security_group)
        return
    if cluster.kms_key_arn is not None:
        p.add("cluster.kms_key_arn", "an AWS KMS key is not valid on gcp", cluster.kms_key_arn)
    if cluster.gpu_pools and not cluster.zones:
        p.add(
            "cluster.zones",
            "required on gcp with GPU pools: GPU models are offered per zone, not per region (e.g. "
            f"[{region}-a, {region}-b]; check gcloud compute accelerator-types list)",
            None,
        )
    elif zonal and not cluster.zones:
        p.add(
            "cluster.zones",
            f"required for a zonal cluster (the default outside prod): its control plane's zone (e.g. [{region}-a])",
            None,
        )
    for i, zone in enumerate(cluster.zones):
        if not GCP_ZONE.match(zone):
            p.add(f"cluster.zones[{i}]", f"must be a GCP zone: the region and a letter, such as {region}-a", zone)
        elif zone.rsplit("-", 1)[0] != region:
            p.add(f"cluster.zones[{i}]", f"must be a zone of the stack's region {region}", zone)
    groups = [a for a in cluster.admin_principals if a.startswith("group:")]
    if groups and not cluster.gke_security_group:
        p.add(
            "cluster.gke_security_group",
            f"required when an admin is a Google Group ({', '.join(groups)}): GKE grants group RBAC only "
            "through gke-security-groups@<domain>",
            None,
        )
    if cluster.provisioner is not Provisioner.KARPENTER:
        p.add(
            "cluster.provisioner", "AWS only; GKE scales node pools with its own autoscaler", str(cluster.provisioner)
        )
