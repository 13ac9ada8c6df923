"""The ``network`` section: VPC range, zones, NAT, or an existing network."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import Field

from ..base.values import DnsLabel, StrictModel, VpcCidr, matching

SubnetId = Annotated[str, matching(r"^subnet-[0-9a-f]{8,17}$", "a subnet id such as subnet-0a1b2c3d")]


class NatStrategy(StrEnum):
    INSTANCE = "instance"  # one small NAT instance: the dev choice, a fifth of a NAT gateway's price
    SINGLE = "single"
    PER_AZ = "per-az"
    NONE = "none"


class ExistingNetwork(StrictModel):
    """A network that already exists; when given, the platform creates no network resources."""

    vpc_id: Annotated[str, matching(r"^vpc-[0-9a-f]{8,17}$", "a VPC id such as vpc-0a1b2c3d")]
    """Id of the VPC. Required."""
    private_subnet_ids: list[SubnetId] = Field(min_length=2)
    """Private subnets (at least 2, in different availability zones) for nodes and databases. Required."""
    public_subnet_ids: list[SubnetId] = []
    """Public subnets for internet-facing load balancers. Default: none."""


class ExistingGcpNetwork(StrictModel):
    """A GCP network and subnetwork that already exist, with secondary ranges for GKE pods and services."""

    network: str = Field(min_length=1)
    """Network name or self link. Required."""
    subnetwork: str = Field(min_length=1)
    """Subnetwork name or self link, in the platform's region. Required."""
    pods_range_name: DnsLabel
    """Name of the subnetwork's secondary range for pods. Required."""
    services_range_name: DnsLabel
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
