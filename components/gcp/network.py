"""Network (GCP): a VPC with one regional subnet and secondary ranges for GKE pods and services, Cloud NAT
for egress from private nodes, private Google access, and private services access for Cloud SQL and
Memorystore; or an existing network passed through untouched.

Example::

    from mlplatform.components.gcp import Network, NetworkArgs

    net = Network("ml", NetworkArgs(project="ml-dev-123", region="us-central1", cidr="10.60.0.0/16"))
    pulumi.export("subnetwork", net.subnetwork_self_link)
"""

from __future__ import annotations

import ipaddress
from typing import Any

import pulumi
import pulumi_gcp as gcp
from pydantic import field_validator

from ..base.cloud import Cloud
from ..base.errors import spec_error
from ..base.types import MLPLATFORM_GCP_NETWORK
from ..base.values import ComponentArgs, GcpLabels, VpcCidr
from ..config import defaults
from ..config.network import ExistingGcpNetwork, NatStrategy

PODS_RANGE = "pods"
SERVICES_RANGE = "services"


def gke_ranges(cidr: str) -> tuple[str, str, str]:
    """(nodes, services, pods) ranges carved from one range.

    Pods take half (the VPC-native pod range gives every node a /24), nodes and services a sixteenth each:
    a /16 gives /20 nodes (4,096 addresses), /20 services and a /17 for pods (128 nodes at 110 pods each).
    """
    net = ipaddress.IPv4Network(cidr)
    first, second = net.subnets(prefixlen_diff=1)
    sixteenths = list(first.subnets(new_prefix=net.prefixlen + 4))
    return str(sixteenths[0]), str(sixteenths[1]), str(second)


class NetworkArgs(ComponentArgs):
    _context_cloud = Cloud.GCP

    project: str
    """GCP project id. Required."""
    region: str
    """Region of the subnetwork, router and NAT. Required."""
    cidr: VpcCidr = "10.0.0.0/16"
    """Range for nodes, services and pods (split as gke_ranges does), /16 to /20. Default: 10.0.0.0/16."""
    nat: NatStrategy = defaults.CLOUD_NAT
    """single (Cloud NAT for the subnetwork) or none (no internet egress from private nodes). Default: single."""
    private_services_access: bool = True
    """Reserve a range and peer it with Google's service producers (Cloud SQL and Memorystore private IPs).
    Default: true."""
    flow_logs: bool = False
    """VPC flow logs on the subnetwork (sampled at 10%; billed per GB). Default: false."""
    labels: GcpLabels = {}
    """Labels on every resource that takes them. Default: none."""
    existing: ExistingGcpNetwork | None = None
    """Use this network and subnetwork; nothing is created. Default: create a network."""

    @field_validator("nat")
    @classmethod
    def _gcp_nat(cls, v: NatStrategy) -> NatStrategy:
        if v not in (NatStrategy.SINGLE, NatStrategy.NONE):
            raise spec_error(None, "not available on gcp; allowed: single (Cloud NAT), none", str(v))
        return v


class Network(pulumi.ComponentResource):
    """VPC, subnetwork with pod and service ranges, Cloud Router and NAT (type ``mlplatform:gcp:Network``).

    Outputs: ``network_id``, ``network_self_link``, ``subnetwork_self_link``, ``pods_range_name``,
    ``services_range_name``.
    """

    network_id: pulumi.Output[str]
    network_self_link: pulumi.Output[str]
    subnetwork_self_link: pulumi.Output[str]
    pods_range_name: str
    services_range_name: str
    # What a private IP for Cloud SQL or Memorystore must wait for (None when access already exists).
    private_services_connection: pulumi.Resource | None

    def __init__(self, name: str, args: NetworkArgs | dict[str, Any], opts: pulumi.ResourceOptions | None = None):
        args = args if isinstance(args, NetworkArgs) else NetworkArgs(**args)
        super().__init__(MLPLATFORM_GCP_NETWORK, name, None, opts)
        self.args = args
        self.private_services_connection = None
        # The range Cloud SQL and Memorystore take addresses from (a created network's peering range).
        self.private_services_cidr: pulumi.Output[str] | None = None
        if args.existing is not None:
            ex = args.existing
            self.network_id = pulumi.Output.from_input(ex.network)
            self.network_self_link = pulumi.Output.from_input(ex.network)
            self.subnetwork_self_link = pulumi.Output.from_input(ex.subnetwork)
            self.pods_range_name, self.services_range_name = ex.pods_range_name, ex.services_range_name
        else:
            self._create(name, args)
        self.register_outputs(
            {
                "network_id": self.network_id,
                "subnetwork_self_link": self.subnetwork_self_link,
                "pods_range_name": self.pods_range_name,
                "services_range_name": self.services_range_name,
            }
        )

    def _create(self, name: str, args: NetworkArgs) -> None:
        child = pulumi.ResourceOptions(parent=self)
        nodes, services, pods = gke_ranges(args.cidr)
        network = gcp.compute.Network(
            name,
            project=args.project,
            auto_create_subnetworks=False,
            routing_mode="REGIONAL",
            description=f"mlplatform network {name}",
            opts=child,
        )
        subnetwork = gcp.compute.Subnetwork(
            f"{name}-{args.region}",
            project=args.project,
            region=args.region,
            network=network.id,
            ip_cidr_range=nodes,
            secondary_ip_ranges=[
                gcp.compute.SubnetworkSecondaryIpRangeArgs(range_name=PODS_RANGE, ip_cidr_range=pods),
                gcp.compute.SubnetworkSecondaryIpRangeArgs(range_name=SERVICES_RANGE, ip_cidr_range=services),
            ],
            # Private nodes reach Google APIs (GCS, BigQuery, Artifact Registry) without NAT or public IPs.
            private_ip_google_access=True,
            log_config=gcp.compute.SubnetworkLogConfigArgs(
                aggregation_interval="INTERVAL_5_MIN", flow_sampling=0.1, metadata="INCLUDE_ALL_METADATA"
            )
            if args.flow_logs
            else None,
            opts=child,
        )
        if args.nat is NatStrategy.SINGLE:
            router = gcp.compute.Router(
                f"{name}-router", project=args.project, region=args.region, network=network.id, opts=child
            )
            gcp.compute.RouterNat(
                f"{name}-nat",
                project=args.project,
                region=args.region,
                router=router.name,
                nat_ip_allocate_option="AUTO_ONLY",
                source_subnetwork_ip_ranges_to_nat="ALL_SUBNETWORKS_ALL_IP_RANGES",
                # Image pulls from many nodes at once need ports; dynamic allocation grows them on demand.
                enable_dynamic_port_allocation=True,
                min_ports_per_vm=64,
                log_config=gcp.compute.RouterNatLogConfigArgs(enable=True, filter="ERRORS_ONLY"),
                opts=child,
            )
        if args.private_services_access:
            peering = gcp.compute.GlobalAddress(
                f"{name}-services",
                project=args.project,
                network=network.id,
                purpose="VPC_PEERING",
                address_type="INTERNAL",
                prefix_length=20,
                labels=args.labels,
                opts=child,
            )
            self.private_services_cidr = pulumi.Output.concat(peering.address, "/20")
            self.private_services_connection = gcp.servicenetworking.Connection(
                f"{name}-services",
                network=network.id,
                service="servicenetworking.googleapis.com",
                reserved_peering_ranges=[peering.name],
                # Deleting the peering while Cloud SQL still uses it fails; leave it to the network's deletion.
                deletion_policy="ABANDON",
                opts=child,
            )
        self.network_id = network.id
        self.network_self_link = network.self_link
        self.subnetwork_self_link = subnetwork.self_link
        self.pods_range_name, self.services_range_name = PODS_RANGE, SERVICES_RANGE
