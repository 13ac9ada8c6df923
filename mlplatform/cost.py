"""Cost of a Plan: the cost model (mlplatform.components.cost) over every resource: totals, savings, renderings.

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

from mlplatform.components.catalog import prices_as_of, stale_prices_warning
from mlplatform.components.cost.estimate import CostContext, Estimate, money
from mlplatform.components.cost.estimators import estimate_all
from mlplatform.components.cost.usage import UsageAssumptions, load_usage, usage_file

from .plan import Plan, PlanResource, reveal

__all__ = [
    "COST_JSON_VERSION",
    "BaselineError",
    "CostReport",
    "ResourceCost",
    "compare",
    "compare_markdown",
    "component_label",
    "cost_of",
    "default_usage",
    "diff",
    "diff_markdown",
    "headline",
    "load_baseline",
    "markdown",
    "money",
    "signed_money",
    "summary_lines",
]

# The version of `mlplatform cost --format json`, which `--diff` reads back as a baseline: raised when a key
# changes meaning or goes away (adding keys keeps it).
COST_JSON_VERSION = 1
FIGURES = ("idle", "expected", "peak")


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
            "version": COST_JSON_VERSION,
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
            "warnings": warnings(),
        }


def catalog_date() -> str:
    """The as-of date of the oldest price table the estimate uses (dates of non-price data are left out)."""
    return prices_as_of()


def warnings() -> list[str]:
    """What the reader of an estimate should know first: prices older than six months."""
    stale = stale_prices_warning()
    return [stale] if stale else []


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


def component_label(component: str) -> str:
    """'mlplatform:aws:DataLake mlplatform-lake' -> 'DataLake mlplatform-lake': the component's kind and name."""
    type_, _, name = component.partition(" ")
    return f"{type_.rsplit(':', 1)[-1]} {name}".strip()


def resource_label(type_: str, name: str) -> str:
    """'aws:s3/bucket:Bucket', 'raw' -> 'Bucket raw'."""
    return f"{type_.rsplit(':', 1)[-1]} {name}"


def headline(report: CostReport) -> str:
    """``idle $149.22, expected $198.60, peak $6,102.06 a month``: the three totals in one phrase."""
    return ", ".join(f"{k} {money(report.total(k))}" for k in FIGURES) + " a month"


def peak_below_expected(c: ResourceCost) -> bool:
    """A workload whose GPU hours are in its pool's peak line: its own peak is only what it holds idle."""
    return c.estimate.peak < c.estimate.expected


PEAK_BELOW_EXPECTED = (
    "peak below expected (their GPU hours run on the GPU pools, whose peak already prices every node the pools "
    "may launch; not counted twice)"
)


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
            f"{resource_label(c.resource.type, c.resource.name)} {money(c.estimate.node_share)}" for c in shared
        )
        lines.append(f"  of the system nodes' cost (in the idle total once), held by: {held}")
    maxed = [c for c in report.estimated if c.estimate.pool_peak]
    if maxed:
        held = ", ".join(
            f"{resource_label(c.resource.type, c.resource.name)} {money(c.estimate.pool_peak)}" for c in maxed
        )
        lines.append(
            "  at their maximum on their pool's dearest type on demand (an upper bound, not added: the peak prices "
            f"each pool at its limits on its own capacity type): {held}"
        )
    below = [c for c in report.estimated if peak_below_expected(c)]
    if below:
        named = ", ".join(resource_label(c.resource.type, c.resource.name) for c in below)
        lines.append(f"  {PEAK_BELOW_EXPECTED}: {named}")
    for c in report.unbounded:
        lines.append(f"  UNBOUNDED peak: {c.resource.type} {c.resource.name}: {c.estimate.explanation}")
    if report.not_estimated:
        listed = ", ".join(f"{t} x{n}" for t, n in sorted(report.not_estimated.items()))
        lines.append(f"  not estimated: {listed}")
    return lines


def _md(text: str) -> str:
    """Text for a Markdown table cell: pipes escaped, on one line."""
    return text.replace("|", "\\|").replace("\n", " ")


def markdown(report: CostReport) -> str:
    out = [
        f"### Monthly cost: `{report.project}/{report.stack}` ({report.region})",
        "",
        *(f"> **Warning:** {w}" for w in warnings()),
        "",
        "| component | idle | expected | peak |",
        "|---|---:|---:|---:|",
    ]
    for comp, t in sorted(report.by_component().items()):
        if any(t.values()):
            out.append(f"| `{comp}` | {money(t['idle'])} | {money(t['expected'])} | {money(t['peak'])} |")
    out.append(
        f"| **total** | **{money(report.total('idle'))}** | **{money(report.total('expected'))}** | "
        f"**{money(report.total('peak'))}** |"
    )
    out.append("")
    out += [line.strip() for line in summary_lines(report)[2:]]
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
            f"{money(c.estimate.expected)} | {money(c.estimate.peak)} | {_md(c.estimate.explanation)} |"
        )
    out += ["", "</details>", "", f"_Prices: catalog as of {catalog_date()}; usage assumptions per stack._"]
    return "\n".join(line for i, line in enumerate(out) if line or (i and out[i - 1])) + "\n"


def signed_money(x: float | None) -> str:
    """``+$1.50``, ``-$0.20``, ``$0.00``; None (a change to or from an unbounded peak) is ``unbounded``."""
    if x is None or math.isinf(x):
        return "unbounded"
    if round(x, 2) == 0:
        return "$0.00"
    return f"{'+' if x > 0 else '-'}{money(abs(x))}"


# --- comparing two stacks -------------------------------------------------------------------------------------


def _by_label(report: CostReport) -> dict[str, dict[str, float]]:
    """Component totals keyed by kind and name, so the same component on AWS and GCP lines up; the full type
    stays in the key when two of the stack's components would share a label."""
    full = report.by_component()
    labels = [component_label(c) for c in full]
    return {(component_label(c) if labels.count(component_label(c)) == 1 else c): t for c, t in full.items()}


def compare(a: CostReport, b: CostReport) -> dict[str, Any]:
    """Per component and in total, each figure of stack ``a`` and ``b`` and the change from a to b.

    Components are matched by kind and name (``DataLake mlplatform-lake``), so comparing an AWS stack with a GCP
    one lines up the same component of the platform on either cloud. An unbounded peak stays infinite in the
    figures, and its change is None (no number says how much more).
    """
    zero = {"idle": 0.0, "expected": 0.0, "peak": 0.0}

    def figures(x: dict[str, float], y: dict[str, float]) -> dict[str, dict[str, float | None]]:
        out: dict[str, dict[str, float | None]] = {}
        for k in FIGURES:
            finite = not (math.isinf(x[k]) or math.isinf(y[k]))
            out[k] = {"a": x[k], "b": y[k], "change": y[k] - x[k] if finite else None}
        return out

    ca, cb = _by_label(a), _by_label(b)
    return {
        "currency": "USD",
        "a": a.stack,
        "b": b.stack,
        "components": {c: figures(ca.get(c, zero), cb.get(c, zero)) for c in sorted(set(ca) | set(cb))},
        "totals": figures({k: a.total(k) for k in FIGURES}, {k: b.total(k) for k in FIGURES}),
    }


def compare_cell(f: dict[str, Any]) -> str:
    """``$1.00 -> $2.00 (+$1.00)``."""
    change = signed_money(f["change"]) if f["change"] is not None else "unbounded"
    return f"{money(f['a'])} -> {money(f['b'])} ({change})"


def compared_rows(diff: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The components that cost something in either stack, then the total."""
    rows = [(c, r) for c, r in diff["components"].items() if not all(f["a"] == f["b"] == 0 for f in r.values())]
    return [*rows, ("total", diff["totals"])]


def compare_markdown(diff: dict[str, Any]) -> str:
    """The comparison of two stacks as a Markdown table (a pull-request comment)."""
    out = [
        f"### Monthly cost: `{diff['a']}` -> `{diff['b']}` (USD)",
        "",
        *(f"> **Warning:** {w}" for w in warnings()),
        "",
        "| component | idle | expected | peak |",
        "|---|---:|---:|---:|",
    ]
    for comp, row in compared_rows(diff):
        label = "**total**" if comp == "total" else f"`{comp}`"
        out.append(f"| {label} | " + " | ".join(compare_cell(row[k]) for k in FIGURES) + " |")
    out += ["", f"_Prices: catalog as of {catalog_date()}; usage assumptions per stack._"]
    return "\n".join(line for i, line in enumerate(out) if line or (i and out[i - 1])) + "\n"


# --- the change against a saved baseline ------------------------------------------------------------------------


class BaselineError(ValueError):
    """A baseline file that is not the JSON of ``mlplatform cost --format json`` of this version."""


def load_baseline(path: Path) -> dict[str, Any]:
    """A saved ``mlplatform cost --format json`` document; BaselineError (one message naming the file) otherwise."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BaselineError(f"--diff {path}: no such file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BaselineError(f"--diff {path}: not the JSON of `mlplatform cost --format json`: {exc}") from None
    save = "save one with `mlplatform cost --stack STACK --format json > FILE`"
    if not isinstance(doc, dict) or not isinstance(doc.get("resources"), list) or "totals" not in doc:
        raise BaselineError(f"--diff {path}: not the JSON of `mlplatform cost --format json` (no resources); {save}")
    if doc.get("version") != COST_JSON_VERSION:
        raise BaselineError(
            f"--diff {path}: baseline version {doc.get('version')!r} is not supported (this mlplatform reads "
            f"version {COST_JSON_VERSION}); {save}"
        )
    for i, row in enumerate(doc["resources"]):
        if not isinstance(row, dict) or not isinstance(row.get("urn"), str) or not isinstance(row.get("type"), str):
            raise BaselineError(f"--diff {path}: resources[{i}] has no urn and type; {save}")
        for k in FIGURES:
            if row.get(k) is not None and not isinstance(row.get(k), int | float):
                raise BaselineError(f"--diff {path}: resources[{i}].{k}: {row.get(k)!r} is not a number; {save}")
    return doc


def _key(urn: str) -> str:
    """A resource's URN without its stack and project: the same resource of another stack has the same key."""
    parts = urn.split("::", 2)
    return parts[2] if len(parts) == 3 and urn.startswith("urn:pulumi:") else urn


def _figures(row: dict[str, Any] | None) -> dict[str, float] | None:
    if row is None:
        return None
    return {k: math.inf if row.get(k) is None else float(row[k]) for k in FIGURES}


def diff(report: CostReport, baseline: dict[str, Any], baseline_name: str) -> dict[str, Any]:
    """Each resource's monthly figures against a saved ``cost --format json`` (``baseline``): the resources
    added (``+``), removed (``-``) and changed (``~``, any figure by a cent or more), and the totals.

    Resources match by URN without its stack prefix. A change to or from an unbounded peak has no delta (None).
    Resources that cost nothing are not in the JSON, so one that starts to cost something shows as added.
    """
    now = report.to_dict()
    before = {_key(r["urn"]): r for r in baseline["resources"]}
    after = {_key(r["urn"]): r for r in now["resources"]}

    def delta(a: dict[str, float] | None, b: dict[str, float] | None) -> dict[str, float | None]:
        out: dict[str, float | None] = {}
        for k in FIGURES:
            x, y = (a or {}).get(k, 0.0), (b or {}).get(k, 0.0)
            out[k] = None if math.isinf(x) or math.isinf(y) else round(y - x, 2)
        return out

    rows = []
    for key in sorted(set(before) | set(after)):
        was, new = _figures(before.get(key)), _figures(after.get(key))
        d = delta(was, new)
        if was is None:
            change = "added"
        elif new is None:
            change = "removed"
        elif any(v is None and was[k] != new[k] for k, v in d.items()) or any(v and abs(v) >= 0.01 for v in d.values()):
            change = "changed"
        else:
            continue
        row = after.get(key) or before[key]
        rows.append(
            {
                "change": change,
                "urn": row["urn"],
                "type": row["type"],
                "name": row["urn"].rsplit("::", 1)[-1],
                "before": was,
                "after": new,
                "delta": d,
            }
        )
    rows.sort(
        key=lambda r: (-abs(r["delta"]["expected"] if r["delta"]["expected"] is not None else math.inf), r["name"])
    )
    totals_before = _figures(baseline["totals"]) or {}
    totals_after = _figures(now["totals"]) or {}
    return {
        "version": COST_JSON_VERSION,
        "currency": "USD",
        "project": report.project,
        "stack": report.stack,
        "catalog_as_of": now["catalog_as_of"],
        "baseline": {
            "file": baseline_name,
            "project": baseline.get("project"),
            "stack": baseline.get("stack"),
            "catalog_as_of": baseline.get("catalog_as_of"),
        },
        "resources": rows,
        "totals": {"before": totals_before, "after": totals_after, "delta": delta(totals_before, totals_after)},
        "summary": {c: sum(1 for r in rows if r["change"] == c) for c in ("added", "removed", "changed")},
        "warnings": warnings(),
    }


MARKERS = {"added": "+", "removed": "-", "changed": "~"}


def diff_headline(d: dict[str, Any]) -> str:
    """``expected $198.60 -> $210.00 (+$11.40); ...`` for the three totals."""
    t = d["totals"]
    return "; ".join(
        f"{k} {money(t['before'][k])} -> {money(t['after'][k])} ({signed_money(t['delta'][k])})" for k in FIGURES
    )


def diff_counts(d: dict[str, Any]) -> str:
    s = d["summary"]
    n = s["added"] + s["removed"] + s["changed"]
    if not n:
        return "no resource's cost changed"
    return f"{n} resource(s) changed cost: {s['added']} added, {s['removed']} removed, {s['changed']} changed"


def diff_markdown(d: dict[str, Any]) -> str:
    """The change against the baseline as a pull-request comment: totals first, then each resource."""
    base = d["baseline"]
    t = d["totals"]
    out = [
        f"### Cost change: `{d['project']}/{d['stack']}` (monthly, USD)",
        "",
        f"Against `{base['file']}` (`{base['project']}/{base['stack']}`, catalog {base['catalog_as_of']}); "
        f"now: catalog {d['catalog_as_of']}.",
        "",
        *(f"> **Warning:** {w}" for w in d["warnings"]),
        "",
        "| | idle | expected | peak |",
        "|---|---:|---:|---:|",
        "| before | " + " | ".join(money(t["before"][k]) for k in FIGURES) + " |",
        "| after | " + " | ".join(money(t["after"][k]) for k in FIGURES) + " |",
        "| **change** | " + " | ".join(f"**{signed_money(t['delta'][k])}**" for k in FIGURES) + " |",
        "",
        f"{diff_counts(d)}.",
    ]
    if d["resources"]:
        out += [
            "",
            "<details><summary>Per resource (+ added, - removed, ~ changed)</summary>",
            "",
            "| | resource | idle | expected | peak |",
            "|---|---|---:|---:|---:|",
        ]
        for r in d["resources"]:
            out.append(
                f"| {MARKERS[r['change']]} | `{r['name']}` ({r['type'].rsplit(':', 1)[-1]}) | "
                + " | ".join(signed_money(r["delta"][k]) for k in FIGURES)
                + " |"
            )
        out += ["", "</details>"]
    return "\n".join(line for i, line in enumerate(out) if line or (i and out[i - 1])) + "\n"


def json_safe(value: Any) -> Any:
    """Round money to cents and turn infinite (unbounded) figures into null, for JSON output."""
    if isinstance(value, float):
        return None if not math.isfinite(value) else round(value, 2)
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value
