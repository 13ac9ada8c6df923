"""stack-cost-ceiling: the stack's peak monthly cost, from the cost model, stays under the ceiling.

Peak is everything at its maximum: node groups at max size, NodePools at their limits priced at the dearest
type they allow, endpoints at their autoscaling maximum. Capacity without an upper bound makes the peak
unbounded, which fails the policy whatever the ceiling. Optionally the idle cost (everything at its minimum,
no traffic) has a ceiling too. The region comes from the resources' provider (the stack's default region).

The stack is priced as ``mlplatform cost`` prices it, through the same estimators with the same usage assumptions
(the ``usage`` setting: ``mlplatform check`` fills it from the stack's ``stacks/usage.<stack>.yaml``), so both
print the same peak. Stored data (buckets, tables, logs) is priced at its assumed size at peak too.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import replace

from mlplatform.components.base.errors import ConfigError
from mlplatform.components.base.resources import Resource, get
from mlplatform.components.cost.estimate import CostContext, money
from mlplatform.components.cost.estimators import estimate_all
from mlplatform.components.cost.usage import UsageAssumptions

from .base import Rule, Settings, number


def pricing_region(resources: Sequence[Resource], s: Settings) -> str:
    """The region to price in: the resources' provider's (the stack's default region), else the setting."""
    for r in resources:
        region = get(r.provider_props, "region")
        if region:
            return str(region)
    return str(s.get("region") or "us-east-1")


def check_ceiling(resources: Sequence[Resource], s: Settings) -> Iterator[tuple[str, str | None]]:
    ceiling = number(s.get("max_monthly_usd"), 0) or 0
    idle_ceiling = number(s.get("max_idle_monthly_usd"))
    # A stack policy sees each resource's planned state, its provider id among the properties; the cost model
    # matches related resources by it (a node group's launch template).
    records = [replace(r, id=get(r.props, "id")) for r in resources]
    try:
        usage = UsageAssumptions(**dict(s.get("usage") or {}))
    except ConfigError as exc:
        yield f"the usage setting must be valid usage assumptions: got {exc}", None
        return
    priced = estimate_all(records, CostContext(region=pricing_region(resources, s), usage=usage))
    unbounded = [(r, e) for r, e in priced if e.known and e.unbounded]
    for r, e in unbounded:
        yield (
            f"the stack's peak monthly cost is unbounded: {r.type.rsplit(':', 1)[-1]} '{r.name}' ({e.explanation}); "
            f"the ceiling is {money(ceiling)}.",
            r.urn,
        )
    known = [(r, e) for r, e in priced if e.known]
    peak = sum(e.peak for _, e in known if not math.isinf(e.peak))
    if not unbounded and peak > ceiling:
        top = sorted((x for x in known if x[1].peak > 0), key=lambda re: -re[1].peak)[:3]
        largest = ", ".join(f"{r.name} {money(e.peak)}" for r, e in top)
        yield (
            f"the stack's peak monthly cost is {money(peak)}, over the ceiling of {money(ceiling)} (largest: {largest}).",
            None,
        )
    idle = sum(e.idle for _, e in known)
    if idle_ceiling is not None and idle > idle_ceiling:
        top = sorted((x for x in known if x[1].idle > 0), key=lambda re: -re[1].idle)[:3]
        largest = ", ".join(f"{r.name} {money(e.idle)}" for r, e in top)
        yield (
            f"the stack costs {money(idle)} a month idle, over the ceiling of {money(idle_ceiling)} (largest: {largest}).",
            None,
        )


RULES = [
    Rule(
        name="stack-cost-ceiling",
        description="The stack's peak monthly cost (cost model) is at or under the ceiling; unbounded capacity fails.",
        schema={
            "max_monthly_usd": {
                "type": "number",
                "exclusiveMinimum": 0,
                "description": "Ceiling on the stack's peak monthly cost, USD.",
                "default": 10000,
            },
            "max_idle_monthly_usd": {
                "type": "number",
                "exclusiveMinimum": 0,
                "description": "Ceiling on the stack's idle monthly cost, USD (no ceiling when unset).",
            },
            "region": {
                "type": "string",
                "description": "Region to price in when no resource names one through its provider.",
            },
            "usage": {
                "type": "object",
                "description": "Usage assumptions to price with (the keys of stacks/usage.<stack>.yaml); "
                "`mlplatform check` sets them from the stack's usage file. Default: the cost model's defaults.",
            },
        },
        stack_check=check_ceiling,
        remediation="Lower pool limits and endpoint maxima, or raise the ceiling for this environment deliberately.",
    )
]
