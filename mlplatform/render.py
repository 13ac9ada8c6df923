"""Human-readable rendering: a Plan as a tree with each resource's key settings, cost reports, checks, catalog.

Everything is printed as plain lines, never as tables that squeeze columns: CI logs are not terminals, and rich
renders them 80 columns wide, where a table cuts names and URIs with an ellipsis. Figures come first in fixed-width
columns and the identifier last, whole; prose is wrapped between words; a line holding an identifier longer than
the width stays one line (``soft_wrap``), so whatever a finding is about can be searched for and copied.
"""

from __future__ import annotations

import contextlib
import json
import textwrap
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from rich.console import Console

from mlplatform.components.base.resources import get
from mlplatform.components.base.types import (
    AWS_BUDGETS_BUDGET,
    AWS_EC2_NAT_GATEWAY,
    AWS_EC2_SUBNET,
    AWS_EC2_VPC,
    AWS_EKS_ADDON,
    AWS_EKS_CLUSTER,
    AWS_EKS_NODE_GROUP,
    AWS_RDS_INSTANCE,
    AWS_S3_BUCKET,
    AWS_SAGEMAKER_ENDPOINT_CONFIGURATION,
    K8S_HELM_RELEASE,
    K8S_KARPENTER_NODE_POOL,
    PULUMI_STACK,
)

from .plan import Plan, PlanResource, redact

if TYPE_CHECKING:
    from mlplatform.components.catalog.refresh import RefreshResult

# Inputs worth showing per type, as dotted paths; the value is shown as `label=value`.
KEY_SETTINGS: dict[str, list[tuple[str, str]]] = {
    AWS_EC2_VPC: [("cidr", "cidrBlock")],
    AWS_EC2_SUBNET: [("cidr", "cidrBlock"), ("az", "availabilityZone"), ("public", "mapPublicIpOnLaunch")],
    AWS_EC2_NAT_GATEWAY: [("connectivity", "connectivityType")],
    AWS_EKS_CLUSTER: [
        ("version", "version"),
        ("public", "vpcConfig.endpointPublicAccess"),
        ("auth", "accessConfig.authenticationMode"),
    ],
    AWS_EKS_NODE_GROUP: [
        ("types", "instanceTypes"),
        ("capacity", "capacityType"),
        ("min", "scalingConfig.minSize"),
        ("max", "scalingConfig.maxSize"),
    ],
    AWS_EKS_ADDON: [("addon", "addonName")],
    AWS_S3_BUCKET: [("bucket", "bucket")],
    AWS_RDS_INSTANCE: [("class", "instanceClass"), ("engine", "engine"), ("multi_az", "multiAz")],
    AWS_SAGEMAKER_ENDPOINT_CONFIGURATION: [("variants", "productionVariants")],
    AWS_BUDGETS_BUDGET: [("limit", "limitAmount")],
    K8S_HELM_RELEASE: [("chart", "chart"), ("version", "version"), ("namespace", "namespace")],
    K8S_KARPENTER_NODE_POOL: [("limits", "spec.limits"), ("weight", "spec.weight")],
}


# Keys whose values identify something (a model's name, an ARN, a URI, an instance type): a document too long to
# show whole is summarized by these, never cut through one.
_IDENTIFIER_KEYS = ("name", "arn", "uri", "url", "id", "type", "bucket", "key")


def _short(value: Any, limit: int = 60) -> str:
    """A setting's value for the tree. Identifiers (one word: names, ARNs, URIs) are shown whole; a document
    (a mapping, a list, or JSON text) longer than ``limit`` is summarized by the identifiers in it, whole, and
    the count of what it leaves out; only prose is cut at ``limit`` characters with ``...``."""
    value = redact(value)
    if isinstance(value, str):
        if not any(ch.isspace() for ch in value) and not value.startswith(("{", "[")):
            return value
        if value.startswith(("{", "[")):
            with contextlib.suppress(ValueError):  # text that only looks like JSON stays text
                value = json.loads(value)
    if isinstance(value, str):  # prose
        return value if len(value) <= limit else value[: limit - 3] + "..."
    text = json.dumps(value, default=str, separators=(",", ":"))
    return text if len(text) <= limit else _identifiers(value)


def _identifiers(value: Any) -> str:
    """A document by its identifiers: ``[{variantName=current modelName=... +4 more}, ...]``."""
    if isinstance(value, list):
        return "[" + ", ".join(_identifiers(v) for v in value) + "]"
    if isinstance(value, dict):
        shown = [
            f"{k}={v}"
            for k, v in value.items()
            if isinstance(v, str | int | float) and not isinstance(v, bool) and k.lower().endswith(_IDENTIFIER_KEYS)
        ]
        left = len(value) - len(shown)
        return "{" + " ".join([*shown, *([f"+{left} more"] if left else [])]) + "}"
    return str(value)


def key_settings(r: PlanResource) -> str:
    """A short `key=value` summary of a resource's most telling inputs."""
    paths = KEY_SETTINGS.get(r.type)
    parts: list[str] = []
    if paths:
        for label, path in paths:
            value = get(r.inputs, path)  # a secret value stays wrapped, and is shown redacted
            if value is not None:
                parts.append(f"{label}={_short(value)}")
    else:
        for key, value in r.inputs.items():
            if key in ("tags", "tagsAll", "labels", "metadata") or isinstance(value, dict | list):
                continue
            parts.append(f"{key}={_short(value, 40)}")
            if len(parts) == 3:
                break
    if r.options.get("protect"):
        parts.append("protect")
    return " ".join(parts)


# --- plain lines ----------------------------------------------------------------------------------------------


def emit(console: Console, lines: Iterable[str]) -> None:
    """Print lines as they are: no markup, no highlighting, never folded or cut by the console."""
    lines = list(lines)
    if lines:
        console.print("\n".join(lines), markup=False, highlight=False, soft_wrap=True)


def prose(lines: Iterable[str], width: int) -> list[str]:
    """Summary sentences wrapped between words at ``width``, each continuing indented under its first line."""
    out: list[str] = []
    for line in lines:
        indent = line[: len(line) - len(line.lstrip())]
        out += textwrap.wrap(
            line.strip(),
            width=max(width, len(indent) + 40),
            initial_indent=indent,
            subsequent_indent=indent + "  ",
            break_long_words=False,
            break_on_hyphens=False,
        ) or [""]
    return out


def columns(rows: Sequence[Sequence[str]], right: Sequence[int] = (), indent: str = "  ") -> list[str]:
    """Rows as aligned lines: every column but the last padded to its widest cell (``right``: right-aligned);
    the last column, where identifiers go, is never padded or cut."""
    if not rows:
        return []
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    out = []
    for r in rows:
        cells = [c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths, strict=False))]
        out.append((indent + "  ".join([*cells, r[-1]])).rstrip())
    return out


def wrap(text: str, indent: str, width: int) -> list[str]:
    """Prose wrapped between words at ``width``; a word (a name, a URI) is never broken."""
    return textwrap.wrap(
        text,
        width=max(width, len(indent) + 40),
        initial_indent=indent,
        subsequent_indent=indent,
        break_long_words=False,
        break_on_hyphens=False,
    ) or [indent.rstrip()]


# --- the plan -------------------------------------------------------------------------------------------------


def plan_tree_lines(plan: Plan, width: int = 80) -> list[str]:
    """Every resource under its parent: ``type name`` on its own line, its key settings wrapped below it."""
    root = plan.stack_resource
    lines = [f"{plan.project} / {plan.stack}"]

    def add(r: PlanResource, prefix: str, last: bool) -> None:
        lines.append(f"{prefix}{'└── ' if last else '├── '}{r.type} {r.name}")
        inner = prefix + ("    " if last else "│   ")
        kids = plan.children(r)
        settings = key_settings(r)
        if settings:
            lines.extend(wrap(settings, inner + ("│   " if kids else "    ") + "  ", width))
        for i, c in enumerate(kids):
            add(c, inner, i == len(kids) - 1)

    tops = plan.children(root) if root else [r for r in plan if r.parent is None and r.type != PULUMI_STACK]
    for i, r in enumerate(tops):
        add(r, "", i == len(tops) - 1)
    return lines


def count_lines(plan: Plan) -> list[str]:
    """Resources by type and by component, counts first."""
    lines = ["Resources by type"]
    lines += columns([[str(n), t] for t, n in sorted(plan.count_by_type().items())], right=[0])
    lines.append("Resources by component")
    lines += columns([[str(n), c] for c, n in sorted(plan.count_by_component().items())], right=[0])
    lines.append(f"{len(plan.custom_resources())} resources in {len(plan.components())} components")
    return lines


def print_plan(plan: Plan, console: Console | None = None) -> None:
    console = console or Console()
    emit(console, [*plan_tree_lines(plan, console.width), *count_lines(plan)])


def plan_headline(plan: Plan, cost: Any = None, check: Any = None, preflight: Any = None) -> str:
    """The answer in one line, as `pulumi preview` ends with its summary: what the stack creates, what it costs,
    and the verdicts of the checks that ran."""
    parts = [
        f"{plan.project}/{plan.stack}: {len(plan.custom_resources())} resources in {len(plan.components())} components"
    ]
    if cost is not None:
        from .cost import headline

        parts.append(f"cost {headline(cost)}")
    if check is not None:
        parts.append(
            f"check {'FAILED' if check.mandatory else 'passed'} "
            f"({check.mandatory} mandatory, {check.advisory} advisory)"
        )
    if preflight is not None:
        parts.append(f"preflight {'FAILED' if preflight.findings else 'passed'} ({len(preflight.findings)} finding(s))")
    return "; ".join(parts)


# --- cost -----------------------------------------------------------------------------------------------------


PEAK_FOOTNOTE = "  * peak below expected: its GPU hours are in its GPU pool's peak line, not added twice"


def _money_rows(rows: Iterable[tuple[Sequence[str], str]], header: str) -> list[str]:
    table = [["idle", "expected", "peak", header], *([*figures, label] for figures, label in rows)]
    return columns(table, right=[0, 1, 2])


def cost_component_lines(report: Any) -> list[str]:
    from .cost import component_label, money

    marked = False
    rows = []
    for comp, t in sorted(report.by_component().items()):
        if any(t.values()):
            below = t["peak"] < t["expected"]
            marked = marked or below
            rows.append(
                (
                    (money(t["idle"]), money(t["expected"]), money(t["peak"]) + ("*" if below else "")),
                    component_label(comp),
                )
            )
    rows.append((tuple(money(report.total(k)) for k in ("idle", "expected", "peak")), "total"))
    lines = [f"Monthly cost by component: {report.project}/{report.stack} (USD)", *_money_rows(rows, "component")]
    return [*lines, PEAK_FOOTNOTE] if marked else lines


def print_cost(report: Any, console: Console) -> None:
    """Per-component and per-resource cost, each resource's explanation below it, then the summary."""
    from .cost import money, peak_below_expected, resource_label, summary_lines

    lines = cost_component_lines(report)
    lines += ["", "Per resource (free resources omitted), most expected first"]
    priced = sorted(
        (c for c in report.estimated if not c.estimate.free),
        key=lambda c: -c.estimate.expected if c.estimate.expected else 0,
    )
    table = _money_rows(
        (
            (
                (
                    money(c.estimate.idle),
                    money(c.estimate.expected),
                    money(c.estimate.peak) + ("*" if peak_below_expected(c) else ""),
                ),
                resource_label(c.resource.type, c.resource.name),
            )
            for c in priced
        ),
        "resource",
    )
    lines.append(table[0])
    pad = " " * (len(table[0]) - len("resource"))
    for c, row in zip(priced, table[1:], strict=True):
        lines.append(row)
        lines += wrap(c.estimate.explanation, pad, console.width)
    if any(peak_below_expected(c) for c in priced):
        lines.append(PEAK_FOOTNOTE)
    lines += ["", *prose(summary_lines(report), console.width)]
    emit(console, lines)


def print_cost_comparison(diff: dict, console: Console) -> None:
    """One block per component that costs something in either stack: a -> b (change) per figure."""
    from .cost import compare_cell, compared_rows

    lines = [f"Monthly cost: {diff['a']} -> {diff['b']} (USD)"]
    for comp, row in compared_rows(diff):
        lines.append(f"  {comp}")
        lines += columns([[k, compare_cell(row[k])] for k in ("idle", "expected", "peak")], indent="      ")
    emit(console, lines)


def print_cost_diff(d: dict, console: Console) -> None:
    """The change against a saved baseline: the totals, then each resource's deltas marked + added, - removed,
    ~ changed."""
    from .cost import MARKERS, diff_counts, diff_headline, resource_label, signed_money

    base = d["baseline"]
    lines = [
        f"Cost change of {d['project']}/{d['stack']} against {base['file']} ({base['project']}/{base['stack']}), "
        "monthly USD:",
        f"  {diff_headline(d)}",
        f"  {diff_counts(d)}",
    ]
    if d["resources"]:
        rows = [["", "idle", "expected", "peak", "resource (+ added, - removed, ~ changed)"]]
        for r in d["resources"]:
            rows.append(
                [
                    MARKERS[r["change"]],
                    *(signed_money(r["delta"][k]) for k in ("idle", "expected", "peak")),
                    resource_label(r["type"], r["name"]),
                ]
            )
        lines += columns(rows, right=[1, 2, 3])
    emit(console, lines)


def print_refresh(result: RefreshResult, console: Console, dry_run: bool = False) -> None:
    """What a catalog refresh changed, biggest moves first."""
    verb = "would change" if dry_run else "changed"
    lines = [f"Prices as of {result.as_of}: {len(result.changes)} {verb}, {result.unchanged} unchanged"]
    if result.changes:
        rows = [["old", "new", "change", "region", "table", "price"]]
        for c in sorted(result.changes, key=lambda c: -abs(c.percent or 100.0)):
            rows.append(
                [
                    "-" if c.old is None else f"{c.old:g}",
                    f"{c.new:g}",
                    "new" if c.percent is None else f"{c.percent:+.1f}%",
                    c.region,
                    c.table,
                    c.item,
                ]
            )
        lines += columns(rows, right=[0, 1, 2])
    for table_name, item, region in result.missing:
        lines.append(f"kept: {table_name} {item} {region} (the API returned no price)")
    for path in result.written:
        lines.append(f"wrote {path}")
    emit(console, lines)


# --- check and preflight --------------------------------------------------------------------------------------


def check_verdict(report: Any) -> str:
    enabled = sum(1 for r in report.policies.values() if r.level.value != "disabled")
    verdict = "FAILED" if report.mandatory else "passed"
    return (
        f"Policy check {verdict}: {report.mandatory} mandatory, {report.advisory} advisory violation(s); "
        f"{enabled} of {len(report.policies)} policies enabled ({report.config_path or 'defaults'})"
    )


def print_check(report: Any, console: Console) -> None:
    """The verdict, then each violation (mandatory first): level, policy and resource, the message below."""
    lines = [check_verdict(report)]
    order = sorted(report.violations, key=lambda v: (v.enforcement != "mandatory", v.policy))
    for v in order:
        resource = v.urn.rsplit("::", 1)[-1] if v.urn else "(the stack)"
        lines.append(f"  {v.enforcement:<9}  {v.policy}  {resource}")
        lines += wrap(v.message, "      ", console.width)
    emit(console, lines)


def preflight_verdict(report: Any) -> str:
    checked = sum(report.checked.values())
    verdict = "FAILED" if report.findings else "passed"
    return f"Preflight {verdict}: {len(report.findings)} finding(s); {len(report.rules)} rules, {checked} checks"


def print_preflight(report: Any, console: Console) -> None:
    """The verdict, then each finding in deploy order of concern (first deploy, then update): phase, rule and
    resource, what happens, and the documented behaviour."""
    lines = [preflight_verdict(report)]
    for f in sorted(report.findings, key=lambda f: (str(f.phase) != "first-deploy", f.rule)):
        lines.append(f"  {f.phase!s:<12}  {f.rule}  {f.resource_name}")
        lines += wrap(f.message, "      ", console.width)
        lines += wrap(f"documented: {f.reference}", "      ", console.width)
    emit(console, lines)


# --- the catalog ----------------------------------------------------------------------------------------------


def print_catalog(doc: dict[str, Any], console: Console) -> None:
    """What the catalog holds (``catalog show``): price dates, regions, then one line per shape and region."""
    lines = [f"Prices as of {doc['prices_as_of']} (oldest table):"]
    lines += columns([[s["as_of"], name, s["source"]] for name, s in doc["sources"].items()])
    for cloud, regions in doc["regions"].items():
        lines.append(f"{cloud} regions: {', '.join(regions)}")
    lines.append(f"GPU models: {', '.join(doc['gpus'])}")
    if doc["shapes"]:
        rows = [["cloud", "region", "gpu", "vcpu", "GiB", "on-demand/h", "spot/h", "shape"]]
        for s in doc["shapes"]:
            rows.append(
                [
                    s["cloud"],
                    s["region"],
                    f"{s['gpus']}x {s['gpu']}" if s["gpu"] else "-",
                    str(s["vcpu"]),
                    f"{s['memory_gib']:g}",
                    f"${s['on_demand_usd_hour']:.4f}",
                    "-" if s["spot_usd_hour"] is None else f"${s['spot_usd_hour']:.4f}",
                    s["shape"],
                ]
            )
        lines += columns(rows, right=[3, 4, 5, 6])
    lines.append(f"{len(doc['shapes'])} shape(s) and region(s)")
    emit(console, lines)
