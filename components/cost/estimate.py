"""What the cost model's estimators share: the estimate of one resource, the stack it is read in, and money.

An estimator is a pure function of a :class:`~mlplatform.components.base.resources.Resource` (type, name, inputs as the
provider receives them, in camelCase) and a :class:`CostContext` (region, usage, the stack's other resources for
lookups such as the launch template of a node group), returning an :class:`Estimate`: idle, expected and peak
monthly USD with an explanation. :mod:`mlplatform.components.cost.estimators` keeps the table of which estimator prices
which type.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..base.resources import Resource
from ..catalog.catalog import HOURS_PER_MONTH
from .usage import UsageAssumptions

H = HOURS_PER_MONTH  # every monthly formula multiplies by it
SECONDS_PER_MONTH = H * 3600


@dataclass(frozen=True)
class GpuCost:
    """How a GPU pool's expected cost compares: the same hours on demand, and a naive always-on baseline."""

    pool: str
    expected_on_demand: float
    always_on_on_demand: float
    spot: bool
    # The GPU capacity's part of the line's expected cost, when the line also prices something else (a
    # notebook hub's volumes). None: the whole line is GPU capacity.
    expected: float | None = None

    def actual(self, line_expected: float) -> float:
        return line_expected if self.expected is None else self.expected


@dataclass(frozen=True)
class Estimate:
    idle: float
    expected: float
    peak: float
    explanation: str
    known: bool = True
    unbounded: bool = False
    gpu: GpuCost | None = None
    # Monthly cost of shared nodes (the system nodes) this workload's requests hold: already in those nodes'
    # line, so reported for attribution and never added to totals.
    node_share: float = 0.0
    # Monthly cost of this workload at its maximum on the dearest type its GPU pool may launch, on demand: an
    # upper bound for the one workload, reported and never added to totals (the pool's own peak line prices the
    # pool at its limits on its own capacity type, spot for a spot pool, so it may be the lower figure).
    pool_peak: float = 0.0

    @property
    def free(self) -> bool:
        return self.known and self.idle == self.expected == self.peak == 0 and not self.unbounded


NOT_ESTIMATED = Estimate(0.0, 0.0, 0.0, "not estimated: the cost model does not know this type", known=False)


def free(reason: str) -> Estimate:
    """A resource that costs nothing of its own, and why."""
    return Estimate(0.0, 0.0, 0.0, reason)


def flat(monthly: float, explanation: str) -> Estimate:
    """The same cost idle, expected and at peak."""
    return Estimate(monthly, monthly, monthly, explanation)


@dataclass
class CostContext:
    region: str
    usage: UsageAssumptions = field(default_factory=UsageAssumptions)
    resources: list[Resource] = field(default_factory=list)
    _by_type: dict[str, list[Resource]] = field(default_factory=dict, repr=False)
    _memo: dict[str, Any] = field(default_factory=dict, repr=False)
    _indexed: list[Resource] | None = field(default=None, repr=False)

    def _index(self) -> None:
        # Rebuilt whenever `resources` is replaced (estimate_all assigns a new list), so lookups stay cheap.
        if self._indexed is not self.resources:
            self._by_type, self._memo = {}, {}
            for r in self.resources:
                self._by_type.setdefault(r.type, []).append(r)
            self._indexed = self.resources

    def find(self, type_: str, where: Callable[[Resource], bool] | None = None) -> list[Resource]:
        """The stack's resources of a type, optionally filtered."""
        self._index()
        return [r for r in self._by_type.get(type_, ()) if where is None or where(r)]

    def with_id(self, type_: str, rid: Any) -> list[Resource]:
        """Resources of a type whose provider id is ``rid`` (a node group's launch template, ...)."""
        ids = self.memo(f"ids:{type_}", lambda: _group_by_id(self.find(type_)))
        return ids.get(rid, []) if isinstance(rid, str) else []

    def memo(self, key: str, compute: Callable[[], Any]) -> Any:
        """A fact about the whole stack (which pools have a fallback, ...), computed once per resource list."""
        self._index()
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]


def _group_by_id(resources: list[Resource]) -> dict[str, list[Resource]]:
    out: dict[str, list[Resource]] = {}
    for r in resources:
        if r.id:
            out.setdefault(r.id, []).append(r)
    return out


def num(value: Any, default: float = 0.0) -> float:
    """A provider input as a number (they arrive as numbers or numeric strings); ``default`` if not one."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


def money(x: float) -> str:
    """``$1,234.50``, or ``unbounded``."""
    return "unbounded" if math.isinf(x) else f"${x:,.2f}"


# The price of one resource in its stack.
Estimator = Callable[[Resource, CostContext], Estimate]
