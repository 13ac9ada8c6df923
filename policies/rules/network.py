"""network-cost: NAT gateways are billed per hour and per GB; outside production one is enough.

A stack policy: it counts the public NAT gateways (AWS) and Cloud NAT gateways (GCP) of the stack and reports
each one beyond the configured number. Private NAT gateways (VPC to VPC) are not counted.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from mlplatform.components.base.resources import Resource, get
from mlplatform.components.base.types import AWS_EC2_NAT_GATEWAY, GCP_COMPUTE_ROUTER_NAT

from .base import Rule, Settings, number


def check_nat(resources: Sequence[Resource], s: Settings) -> Iterator[tuple[str, str | None]]:
    allowed = number(s.get("max_nat_gateways"), 1) or 0
    nats = [
        r
        for r in resources
        if (r.type == AWS_EC2_NAT_GATEWAY and get(r.props, "connectivityType", "public") != "private")
        or r.type == GCP_COMPUTE_ROUTER_NAT
    ]
    for r in nats[int(allowed) :]:
        yield (
            f"NAT gateway '{r.name}' is number {nats.index(r) + 1} of {len(nats)} in this stack; allowed: at most "
            f"{allowed:g} (share one, or use a NAT instance: Network nat='single' or 'instance').",
            r.urn,
        )


RULES = [
    Rule(
        name="network-cost",
        description="Outside production the stack has at most the configured number of NAT gateways.",
        schema={
            "max_nat_gateways": {
                "type": "integer",
                "minimum": 0,
                "description": "Most public NAT gateways (AWS) or Cloud NAT gateways (GCP) in the stack.",
                "default": 1,
            },
        },
        stack_check=check_nat,
        types=(AWS_EC2_NAT_GATEWAY, GCP_COMPUTE_ROUTER_NAT),
        remediation="Use one NAT gateway (nat: single) or a NAT instance (nat: instance) outside production.",
    )
]
