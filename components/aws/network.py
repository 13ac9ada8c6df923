"""Network: a VPC across availability zones with public and private subnets, NAT by environment, and a free
S3 gateway endpoint; or an existing VPC passed through untouched.

Example::

    from mlplatform.components.aws import Network, NetworkArgs

    net = Network("ml", NetworkArgs(region="us-east-1", environment="staging",  # 2 zones, one NAT gateway
                                    cluster_name="ml-staging", tags={"team": "ml"}))
    pulumi.export("private_subnets", net.private_subnet_ids)
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

import pulumi
import pulumi_aws as aws
from pydantic import Field, field_validator

from ..base.cloud import Cloud
from ..base.errors import spec_error
from ..base.types import MLPLATFORM_AWS_NETWORK
from ..base.values import ComponentArgs, VpcCidr
from ..config import defaults
from ..config.environment import Environment
from ..config.network import ExistingNetwork, NatStrategy

# Tags the AWS Load Balancer Controller and Karpenter discover subnets and security groups by.
PUBLIC_ELB_TAG = "kubernetes.io/role/elb"
INTERNAL_ELB_TAG = "kubernetes.io/role/internal-elb"
KARPENTER_DISCOVERY_TAG = "karpenter.sh/discovery"


def cluster_tag(cluster_name: str) -> str:
    return f"kubernetes.io/cluster/{cluster_name}"


class NetworkArgs(ComponentArgs):
    _context_cloud = Cloud.AWS

    region: str
    """AWS region (its availability zones are looked up). Required."""
    cidr: VpcCidr = "10.0.0.0/16"
    """VPC range, /16 to /20. Default: 10.0.0.0/16."""
    environment: Environment = Environment.DEV
    """dev, staging or prod: picks the zone count and NAT left unset, as in a stack. Default: dev."""
    availability_zones: int | None = Field(default=None, ge=2, le=6)
    """Zones to spread subnets over. Default: 3 in prod, else 2 (:func:`defaults.availability_zones`)."""
    nat: NatStrategy | None = None
    """instance (one t4g.nano NAT instance, for dev), single (one NAT gateway shared by all zones), per-az, or
    none (no internet egress). Default: instance in dev, single in staging, per-az in prod
    (:data:`defaults.AWS_NAT`)."""
    nat_instance_type: str = "t4g.nano"
    """Instance type of the NAT instance (arm64). Default: t4g.nano."""

    @field_validator("nat_instance_type")
    @classmethod
    def _graviton(cls, v: str) -> str:
        # The NAT instance boots the arm64 Amazon Linux AMI: an x86 type would never start.
        family = v.split(".", 1)[0]
        if "." not in v or not re.fullmatch(r"[a-z]+\d+g[a-z]*", family):
            raise spec_error(None, "must be a Graviton (arm64) instance type such as t4g.nano or t4g.micro", v)
        return v

    cluster_name: str | None = None
    """EKS cluster these subnets serve: tags them for the load balancer controller and Karpenter. Default: none."""
    tags: dict[str, str] = {}
    """Tags on every resource. Default: none."""
    existing: ExistingNetwork | None = None
    """Use this VPC and subnets; nothing is created. Default: create a network."""


def subnet_ranges(cidr: str, zones: int) -> tuple[list[str], list[str]]:
    """Private and public subnet ranges, one each per zone, carved from the VPC range.

    The range is split in eight: private subnets take the first ``zones`` eighths (the VPC CNI gives every pod
    an address, so they get the space), public subnets share the last eighth (they hold only NAT gateways and
    load balancers). A /16 gives /19 private and /22 public subnets.
    """
    eighths = list(ipaddress.IPv4Network(cidr).subnets(prefixlen_diff=3))
    private = [str(n) for n in eighths[:zones]]
    public = [str(n) for n in list(eighths[7].subnets(prefixlen_diff=3))[:zones]]
    return private, public


class Network(pulumi.ComponentResource):
    """VPC, subnets, routes, NAT gateways and an S3 gateway endpoint (type ``mlplatform:aws:Network``)."""

    vpc_id: pulumi.Output[str]
    private_subnet_ids: pulumi.Output[list[str]]
    public_subnet_ids: pulumi.Output[list[str]]
    availability_zones: list[str]
    nat_gateway_count: int
    nat_instance_count: int

    def __init__(self, name: str, args: NetworkArgs | dict[str, Any], opts: pulumi.ResourceOptions | None = None):
        args = args if isinstance(args, NetworkArgs) else NetworkArgs(**args)
        super().__init__(MLPLATFORM_AWS_NETWORK, name, None, opts)
        self.args = args
        if args.existing is not None:
            self._use_existing(args.existing)
        else:
            self._create(name, args)
        self.register_outputs(
            {
                "vpc_id": self.vpc_id,
                "private_subnet_ids": self.private_subnet_ids,
                "public_subnet_ids": self.public_subnet_ids,
            }
        )

    def _use_existing(self, existing: ExistingNetwork) -> None:
        self.vpc_id = pulumi.Output.from_input(existing.vpc_id)
        self.private_subnet_ids = pulumi.Output.from_input(list(existing.private_subnet_ids))
        self.public_subnet_ids = pulumi.Output.from_input(list(existing.public_subnet_ids))
        self.availability_zones = []
        self.nat_gateway_count = 0
        self.nat_instance_count = 0

    def _tags(self, name: str, extra: dict[str, str] | None = None) -> dict[str, str]:
        return {**self.args.tags, "Name": name, **(extra or {})}

    def _create(self, name: str, args: NetworkArgs) -> None:
        child = pulumi.ResourceOptions(parent=self)
        count = args.availability_zones or defaults.availability_zones(args.environment)
        nat = args.nat or defaults.nat(Cloud.AWS, args.environment)
        zones = aws.get_availability_zones(state="available", region=args.region).names
        if len(zones) < count:
            raise ValueError(f"{args.region} has {len(zones)} available zones; availability_zones is {count}")
        zones = sorted(zones)[:count]
        self.availability_zones = zones
        private_ranges, public_ranges = subnet_ranges(args.cidr, len(zones))

        vpc = aws.ec2.Vpc(
            name,
            cidr_block=args.cidr,
            enable_dns_hostnames=True,
            enable_dns_support=True,
            tags=self._tags(name),
            opts=child,
        )
        # Lock down the default security group: nothing should ever rely on it (CIS AWS 5.4).
        aws.ec2.DefaultSecurityGroup(f"{name}-default", vpc_id=vpc.id, tags=self._tags(f"{name}-default"), opts=child)
        igw = aws.ec2.InternetGateway(f"{name}-igw", vpc_id=vpc.id, tags=self._tags(f"{name}-igw"), opts=child)

        cluster = {cluster_tag(args.cluster_name): "shared"} if args.cluster_name else {}
        discovery = {KARPENTER_DISCOVERY_TAG: args.cluster_name} if args.cluster_name else {}
        public_rt = aws.ec2.RouteTable(
            f"{name}-public",
            vpc_id=vpc.id,
            routes=[aws.ec2.RouteTableRouteArgs(cidr_block="0.0.0.0/0", gateway_id=igw.id)],
            tags=self._tags(f"{name}-public"),
            opts=child,
        )
        public, private = [], []
        for zone, pub_range, priv_range in zip(zones, public_ranges, private_ranges, strict=True):
            suffix = zone.rsplit("-", 1)[1]  # us-east-1a -> 1a: stable while the zone set is
            pub = aws.ec2.Subnet(
                f"{name}-public-{suffix}",
                vpc_id=vpc.id,
                cidr_block=pub_range,
                availability_zone=zone,
                map_public_ip_on_launch=False,
                tags=self._tags(f"{name}-public-{suffix}", {PUBLIC_ELB_TAG: "1", **cluster}),
                opts=child,
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-public-{suffix}", subnet_id=pub.id, route_table_id=public_rt.id, opts=child
            )
            priv = aws.ec2.Subnet(
                f"{name}-private-{suffix}",
                vpc_id=vpc.id,
                cidr_block=priv_range,
                availability_zone=zone,
                map_public_ip_on_launch=False,
                tags=self._tags(f"{name}-private-{suffix}", {INTERNAL_ELB_TAG: "1", **cluster, **discovery}),
                opts=child,
            )
            public.append(pub)
            private.append(priv)

        nat_count = {NatStrategy.SINGLE: 1, NatStrategy.PER_AZ: len(zones)}.get(nat, 0)
        nat_instance = self._nat_instance(name, args, vpc, public[0]) if nat is NatStrategy.INSTANCE else None
        nats = []
        for zone, pub in list(zip(zones, public, strict=True))[:nat_count]:
            suffix = zone.rsplit("-", 1)[1]
            eip = aws.ec2.Eip(f"{name}-nat-{suffix}", domain="vpc", tags=self._tags(f"{name}-nat-{suffix}"), opts=child)
            nats.append(
                aws.ec2.NatGateway(
                    f"{name}-nat-{suffix}",
                    allocation_id=eip.id,
                    subnet_id=pub.id,
                    connectivity_type="public",
                    tags=self._tags(f"{name}-nat-{suffix}"),
                    opts=pulumi.ResourceOptions(parent=self, depends_on=[igw]),
                )
            )
        self.nat_gateway_count = len(nats)

        private_rts = []
        for i, (zone, priv) in enumerate(zip(zones, private, strict=True)):
            suffix = zone.rsplit("-", 1)[1]
            routes = []
            if nats:
                nat = nats[i] if len(nats) > 1 else nats[0]
                routes = [aws.ec2.RouteTableRouteArgs(cidr_block="0.0.0.0/0", nat_gateway_id=nat.id)]
            elif nat_instance is not None:
                routes = [
                    aws.ec2.RouteTableRouteArgs(
                        cidr_block="0.0.0.0/0", network_interface_id=nat_instance.primary_network_interface_id
                    )
                ]
            rt = aws.ec2.RouteTable(
                f"{name}-private-{suffix}",
                vpc_id=vpc.id,
                routes=routes,
                tags=self._tags(f"{name}-private-{suffix}"),
                opts=child,
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-private-{suffix}", subnet_id=priv.id, route_table_id=rt.id, opts=child
            )
            private_rts.append(rt)

        # Gateway endpoints are free and keep data-lake traffic off the NAT gateways ($0.045/GB there).
        aws.ec2.VpcEndpoint(
            f"{name}-s3",
            vpc_id=vpc.id,
            service_name=f"com.amazonaws.{args.region}.s3",
            vpc_endpoint_type="Gateway",
            route_table_ids=[rt.id for rt in [*private_rts, public_rt]],
            tags=self._tags(f"{name}-s3"),
            opts=child,
        )

        self.nat_instance_count = 1 if nat_instance is not None else 0
        self.vpc_id = vpc.id
        self.private_subnet_ids = pulumi.Output.all(*[s.id for s in private])
        self.public_subnet_ids = pulumi.Output.all(*[s.id for s in public])

    def _nat_instance(self, name: str, args: NetworkArgs, vpc: aws.ec2.Vpc, subnet: aws.ec2.Subnet) -> aws.ec2.Instance:
        """One small NAT instance for dev: egress for the private subnets at a fifth of a NAT gateway's price.

        No high availability: if the instance stops, private subnets lose internet egress until it is back (the
        S3 gateway endpoint keeps working). Use `single` or `per-az` where that matters.
        """
        child = pulumi.ResourceOptions(parent=self)
        sg = aws.ec2.SecurityGroup(
            f"{name}-nat",
            vpc_id=vpc.id,
            description="NAT instance: forward traffic from the VPC to the internet",
            ingress=[
                aws.ec2.SecurityGroupIngressArgs(
                    protocol="-1", from_port=0, to_port=0, cidr_blocks=[args.cidr], description="from the VPC"
                )
            ],
            egress=[
                aws.ec2.SecurityGroupEgressArgs(
                    protocol="-1", from_port=0, to_port=0, cidr_blocks=["0.0.0.0/0"], description="to the internet"
                )
            ],
            tags=self._tags(f"{name}-nat"),
            opts=child,
        )
        ami = aws.ssm.get_parameter(
            name="/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64", region=args.region
        ).value
        instance = aws.ec2.Instance(
            f"{name}-nat",
            ami=ami,
            instance_type=args.nat_instance_type,
            subnet_id=subnet.id,
            vpc_security_group_ids=[sg.id],
            source_dest_check=False,  # it forwards packets that are not addressed to it
            user_data=NAT_USER_DATA,
            user_data_replace_on_change=True,
            metadata_options=aws.ec2.InstanceMetadataOptionsArgs(http_tokens="required", http_endpoint="enabled"),
            root_block_device=aws.ec2.InstanceRootBlockDeviceArgs(volume_size=8, volume_type="gp3", encrypted=True),
            tags=self._tags(f"{name}-nat"),
            volume_tags=self._tags(f"{name}-nat"),
            # A newer AMI must not replace a working NAT instance on every `pulumi up`.
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["ami"]),
        )
        aws.ec2.Eip(f"{name}-nat", domain="vpc", instance=instance.id, tags=self._tags(f"{name}-nat"), opts=child)
        return instance


# Amazon Linux 2023: forward IPv4 and masquerade what leaves the default interface, now and after a reboot.
NAT_USER_DATA = "\n".join(
    [
        "#!/bin/bash",
        "set -euo pipefail",
        "dnf install -y nftables",
        "echo 'net.ipv4.ip_forward = 1' > /etc/sysctl.d/90-nat.conf",
        "sysctl --system",
        "out=$(ip route show default | awk '{print $5; exit}')",
        "printf 'table ip nat {\\n  chain postrouting {\\n"
        "    type nat hook postrouting priority srcnat; policy accept;\\n"
        '    oifname "%s" masquerade\\n  }\\n}\\n\' "$out" > /etc/sysconfig/nftables.conf',
        "systemctl enable --now nftables",
        "",
    ]
)
