"""Cost of a Plan: the catalog's cost model applied to every resource, totals, savings, and renderings.

Savings reported with the totals:
- spot saving: the expected cost of the GPU pools against the same node-hours on demand;
- naive baseline saving: the platform as planned against the same platform whose GPU pools run always on, on
  demand, at their maximum size (what a hand-rolled cluster without scale-to-zero or spot costs).
"""

from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlplatform.components.catalog import load_catalog
from mlplatform.components.cost.estimate import CostContext, Estimate, money
from mlplatform.components.cost.estimators import estimate_all
from mlplatform.components.cost.usage import UsageAssumptions, load_usage, usage_file

from .plan import Plan, PlanResource, reveal

__all__ = ["CostReport", "ResourceCost", "compare", "cost_of", "default_usage", "markdown", "money", "summary_lines"]


@dataclass
class ResourceCost:
    resource: PlanResource
    estimate: Estimate
    component: str


@dataclass
class CostReport:
    project: str
    stack: str
    region: str
    lines: list[ResourceCost]
    usage: UsageAssumptions

    @property
    def not_estimated(self) -> dict[str, int]:
        """Types the cost model does not know, with how many resources of each the stack has."""
        return dict(Counter(c.resource.type for c in self.lines if not c.estimate.known))

    @property
    def estimated(self) -> list[ResourceCost]:
        return [c for c in self.lines if c.estimate.known]

    def total(self, which: str) -> float:
        return sum(getattr(c.estimate, which) for c in self.estimated)

    @property
    def unbounded(self) -> list[ResourceCost]:
        return [c for c in self.estimated if c.estimate.unbounded]

    @property
    def gpu_lines(self) -> list[ResourceCost]:
        return [c for c in self.estimated if c.estimate.gpu is not None]

    def spot_saving(self) -> tuple[float, float]:
        """(USD per month, percent) saved on GPU pools by spot against the same node-hours on demand."""
        actual = sum(c.estimate.gpu.actual(c.estimate.expected) for c in self.gpu_lines if c.estimate.gpu)
        on_demand = sum(c.estimate.gpu.expected_on_demand for c in self.gpu_lines if c.estimate.gpu)
        saved = on_demand - actual
        return saved, (100 * saved / on_demand if on_demand else 0.0)

    def naive_baseline(self) -> float:
        """The expected total with every GPU pool always on, on demand, at its maximum size."""
        gpu = self.gpu_lines
        rest = self.total("expected") - sum(c.estimate.gpu.actual(c.estimate.expected) for c in gpu if c.estimate.gpu)
        return rest + sum(c.estimate.gpu.always_on_on_demand for c in gpu if c.estimate.gpu)

    def by_component(self) -> dict[str, dict[str, float]]:
        out: dict[str, dict[str, float]] = defaultdict(lambda: {"idle": 0.0, "expected": 0.0, "peak": 0.0})
        for c in self.estimated:
            for k in ("idle", "expected", "peak"):
                out[c.component][k] += getattr(c.estimate, k)
        return dict(out)

    def to_dict(self) -> dict[str, Any]:
        saved, pct = self.spot_saving()
        naive = self.naive_baseline()

        def num(x: float) -> float | None:
            return None if math.isinf(x) else round(x, 2)

        return {
            "currency": "USD",
            "stack": self.stack,
            "project": self.project,
            "region": self.region,
            "catalog_as_of": catalog_date(),
            "resources": [
                {
                    "urn": c.resource.urn,
                    "type": c.resource.type,
                    "idle": num(c.estimate.idle),
                    "expected": num(c.estimate.expected),
                    "peak": num(c.estimate.peak),
                    "explanation": c.estimate.explanation,
                    **({"unbounded": True} if c.estimate.unbounded else {}),
                    # Of the shared system nodes' cost (already in their line), what this workload holds.
                    **({"node_share": round(c.estimate.node_share, 2)} if c.estimate.node_share else {}),
                    # At its maximum on the dearest capacity of its pool (inside the pool's peak, not added).
                    **({"pool_peak": round(c.estimate.pool_peak, 2)} if c.estimate.pool_peak else {}),
                }
                for c in self.estimated
                if not c.estimate.free or c.estimate.node_share
            ],
            "totals": {k: num(self.total(k)) for k in ("idle", "expected", "peak")},
            "unbounded": [c.resource.urn for c in self.unbounded],
            "savings": {
                "spot_usd": round(saved, 2),
                "spot_percent": round(pct, 1),
                "naive_baseline_usd": num(naive),
                "versus_naive_usd": num(naive - self.total("expected")),
            },
            "not_estimated": [{"type": t, "count": n} for t, n in sorted(self.not_estimated.items())],
        }


def catalog_date() -> str:
    """The as-of date of the oldest price table the estimate uses (dates of non-price data are left out)."""
    from mlplatform.components.catalog import load_service_prices

    prices = [s.as_of for k, s in load_catalog().sources.items() if k.startswith(("aws.", "gcp."))]
    prices += [load_service_prices(c).source.as_of for c in ("aws", "gcp")]
    return min(prices)


def plan_region(plan: Plan) -> str:
    for key in ("aws:region", "gcp:region"):
        value = reveal(plan.config.get(key))
        if value:
            return str(value)
    platform = reveal(plan.config.get(f"{plan.project}:platform"))
    if isinstance(platform, str):
        try:
            return json.loads(platform).get("region") or "us-east-1"
        except ValueError:
            pass
    return "us-east-1"


def cost_of(plan: Plan, usage: UsageAssumptions | None = None) -> CostReport:
    usage = usage or UsageAssumptions()
    region = plan_region(plan)
    custom = plan.custom_resources()
    ctx = CostContext(region=region, usage=usage)
    lines = []
    for (_, est), r in zip(estimate_all([r.view() for r in custom], ctx), custom, strict=True):
        comp = plan.component_of(r)
        lines.append(ResourceCost(r, est, f"{comp.type} {comp.name}" if comp else "<stack>"))
    return CostReport(plan.project, plan.stack, region, lines, usage)


def default_usage(program_dir: Path, stack: str) -> UsageAssumptions:
    """``stacks/usage.<stack>.yaml`` beside the stack files, when there is one."""
    from .stackconfig import load_project

    project = load_project(program_dir)
    return load_usage(usage_file(project.stack_config_dir, stack))


# --- rendering ---------------------------------------------------------------------------------------------


def summary_lines(report: CostReport) -> list[str]:
    saved, pct = report.spot_saving()
    naive = report.naive_baseline()
    lines = [
        f"Monthly cost of {report.project}/{report.stack} in {report.region} (USD, catalog {catalog_date()}):",
        f"  idle {money(report.total('idle'))}   expected {money(report.total('expected'))}   "
        f"peak {money(report.total('peak'))}",
    ]
    if report.gpu_lines:
        lines.append(
            f"  spot saves {money(saved)} ({pct:.0f}%) on GPU capacity against on-demand; "
            f"naive always-on on-demand GPU pools: {money(naive)} "
            f"({money(naive - report.total('expected'))} more)"
        )
    shared = [c for c in report.estimated if c.estimate.node_share]
    if shared:
        held = ", ".join(
            f"{c.resource.type.rsplit(':', 1)[-1]} {c.resource.name} {money(c.estimate.node_share)}" for c in shared
        )
        lines.append(f"  of the system nodes' cost (in the idle total once), held by: {held}")
    maxed = [c for c in report.estimated if c.estimate.pool_peak]
    if maxed:
        held = ", ".join(
            f"{c.resource.type.rsplit(':', 1)[-1]} {c.resource.name} {money(c.estimate.pool_peak)}" for c in maxed
        )
        lines.append(f"  at their maximum on the dearest GPU type (in the pools' peak once): {held}")
    for c in report.unbounded:
        lines.append(f"  UNBOUNDED peak: {c.resource.type} {c.resource.name}: {c.estimate.explanation}")
    if report.not_estimated:
        listed = ", ".join(f"{t} x{n}" for t, n in sorted(report.not_estimated.items()))
        lines.append(f"  not estimated: {listed}")
    return lines


def markdown(report: CostReport) -> str:
    out = [
        f"### Monthly cost: `{report.project}/{report.stack}` ({report.region})",
        "",
        "| component | idle | expected | peak |",
        "|---|---:|---:|---:|",
    ]
    for comp, t in sorted(report.by_component().items()):
        if any(t.values()):
            out.append(f"| {comp} | {money(t['idle'])} | {money(t['expected'])} | {money(t['peak'])} |")
    out.append(
        f"| **total** | **{money(report.total('idle'))}** | **{money(report.total('expected'))}** | "
        f"**{money(report.total('peak'))}** |"
    )
    out.append("")
    out += [line.strip() if i else f"{line}" for i, line in enumerate(summary_lines(report)[2:], 1)]
    out.append("")
    out.append("<details><summary>Per resource</summary>")
    out.append("")
    out.append("| resource | idle | expected | peak | why |")
    out.append("|---|---:|---:|---:|---|")
    for c in sorted(report.estimated, key=lambda c: -c.estimate.expected):
        if c.estimate.free:
            continue
        out.append(
            f"| `{c.resource.name}` ({c.resource.type.rsplit(':', 1)[-1]}) | {money(c.estimate.idle)} | "
            f"{money(c.estimate.expected)} | {money(c.estimate.peak)} | {c.estimate.explanation} |"
        )
    out += ["", "</details>", "", f"_Prices: catalog as of {catalog_date()}; usage assumptions per stack._"]
    return "\n".join(out) + "\n"


def compare(a: CostReport, b: CostReport) -> dict[str, Any]:
    """Per component and in total, each figure of stack ``a`` and ``b`` and the change from a to b.

    An unbounded peak stays infinite in the figures, and its change is None (no number says how much more).
    """
    zero = {"idle": 0.0, "expected": 0.0, "peak": 0.0}

    def figures(x: dict[str, float], y: dict[str, float]) -> dict[str, dict[str, float | None]]:
        out: dict[str, dict[str, float | None]] = {}
        for k in ("idle", "expected", "peak"):
            finite = not (math.isinf(x[k]) or math.isinf(y[k]))
            out[k] = {"a": x[k], "b": y[k], "change": y[k] - x[k] if finite else None}
        return out

    ca, cb = a.by_component(), b.by_component()
    return {
        "currency": "USD",
        "a": a.stack,
        "b": b.stack,
        "components": {c: figures(ca.get(c, zero), cb.get(c, zero)) for c in sorted(set(ca) | set(cb))},
        "totals": figures(
            {k: a.total(k) for k in ("idle", "expected", "peak")}, {k: b.total(k) for k in ("idle", "expected", "peak")}
        ),
    }


def json_safe(value: Any) -> Any:
    """Round money to cents and turn infinite (unbounded) figures into null, for JSON output."""
    if isinstance(value, float):
        return None if not math.isfinite(value) else round(value, 2)
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value
