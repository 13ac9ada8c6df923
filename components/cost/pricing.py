"""Prices more than one estimator module reads the same way: service prices from the catalog, what a node costs
per hour (its machine, spot or on demand, and its root volume), and AWS load balancers, whether a Pulumi resource or
a Kubernetes Service or Ingress asks for them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..base.cloud import Cloud
from ..base.resources import get, size_gib
from ..base.types import AWS_EC2_LAUNCH_TEMPLATE, K8S_KARPENTER_EC2_NODE_CLASS
from ..catalog.catalog import load_catalog, load_service_prices
from .estimate import CostContext, Estimate, H, flat, num


def aws_price(path: str, region: str) -> float:
    """An AWS service unit price from the catalog: ``aws_price("vpc.nat_gateway_per_hour", "us-east-1")``."""
    return load_service_prices(Cloud.AWS).price(path, region)


def gcp_price(path: str, region: str) -> float:
    """A Google Cloud service unit price from the catalog."""
    return load_service_prices(Cloud.GCP).price(path, region)


def ec2_hourly(itype: str, region: str, spot: bool) -> float | None:
    """An EC2 instance type's hourly price, spot or on demand; None if the catalog does not price it there."""
    return load_catalog().hourly_price("aws", region, itype, "spot" if spot else "on-demand")


def launch_template_volume_gb(ctx: CostContext, template_id: Any) -> float | None:
    """The root volume size (GB) of the stack's launch template with this id; None if it names none."""
    for lt in ctx.with_id(AWS_EC2_LAUNCH_TEMPLATE, template_id):
        for bdm in lt.props.get("blockDeviceMappings") or []:
            size = get(bdm, "ebs.volumeSize")
            if size is not None:
                return num(size)
    return None


def node_class_volume_gb(ctx: CostContext, name: str | None) -> float:
    """The root volume size (GiB) of the Karpenter EC2NodeClass ``name``. Default: 20, Karpenter's own."""
    for nc in ctx.find(K8S_KARPENTER_EC2_NODE_CLASS, lambda n: get(n.props, "metadata.name") == name):
        for bdm in get(nc.props, "spec.blockDeviceMappings") or []:
            size = size_gib(get(bdm, "ebs.volumeSize"))
            if size:
                return size
    return 20.0


def gce_node_hourly(ctx: CostContext, node_config: Mapping[str, Any]) -> tuple[float, str] | None:
    """(hourly price, label) of a GCE node of this node config: machine (spot or not), attached GPUs and boot
    disk; None if the machine type is not priced in the region."""
    cat = load_catalog()
    machine = str(node_config.get("machineType") or "e2-medium")
    spot = bool(node_config.get("spot") or node_config.get("preemptible"))
    mt = cat.machine_type("gcp", machine)
    if mt is None or ctx.region not in mt.on_demand:
        return None
    price = mt.spot.get(ctx.region, mt.on_demand[ctx.region]) if spot else mt.on_demand[ctx.region]
    for acc in node_config.get("guestAccelerators") or []:
        a = cat.gcp_accelerators.get(str(acc.get("type")))
        if a is not None:  # bundled accelerators (g2, a2, a3) are in the machine price already
            table = a.spot if spot else a.on_demand
            price += num(acc.get("count"), 1) * table.get(ctx.region, a.on_demand.get(ctx.region, 0))
    disk_gb = num(node_config.get("diskSizeGb"), 100)
    disk_rate = gcp_price(
        "persistent_disk.ssd_per_gb_month"
        if node_config.get("diskType") == "pd-ssd"
        else "persistent_disk.balanced_per_gb_month",
        ctx.region,
    )
    return price + disk_gb * disk_rate / H, f"{machine}{' (spot)' if spot else ''}"


def aws_load_balancer(kind: str, ctx: CostContext, public_ips: int, what: str) -> Estimate:
    """An ALB, NLB (``kind`` alb or nlb: one capacity unit expected) or Classic load balancer (clb), with its
    public IPv4 addresses; ``what`` asked for it."""
    hourly = aws_price(f"elb.{kind}_per_hour", ctx.region)
    idle = (hourly + public_ips * aws_price("vpc.public_ipv4_per_hour", ctx.region)) * H
    if kind == "clb":
        return flat(idle, f"{what}: Classic Load Balancer {H:.0f} h x ${hourly}/h")
    lcu = aws_price(f"elb.{kind}_lcu_per_hour", ctx.region)
    return Estimate(
        idle,
        idle + lcu * H,  # one capacity unit around the clock: a lightly used balancer
        idle + lcu * H,
        f"{what}: {kind.upper()} {H:.0f} h x ${hourly}/h"
        + (f" + {public_ips} public IPv4" if public_ips else "")
        + "; expected adds one capacity unit",
    )
