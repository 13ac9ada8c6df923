"""Human-readable rendering: a Plan as a tree with each resource's key settings, cost reports, catalog refreshes."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from rich.console import Console, Group
from rich.table import Table
from rich.tree import Tree

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


def _short(value: Any, limit: int = 60) -> str:
    value = redact(value)
    text = value if isinstance(value, str) else json.dumps(value, default=str, separators=(",", ":"))
    return text if len(text) <= limit else text[: limit - 3] + "..."


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


def plan_tree(plan: Plan) -> Tree:
    root = plan.stack_resource
    tree = Tree(f"[bold]{plan.project}[/] / [bold]{plan.stack}[/]")

    def add(node: Tree, r: PlanResource) -> None:
        style = "cyan" if not r.custom else "white"
        settings = key_settings(r)
        label = f"[{style}]{r.type}[/] [bold]{r.name}[/]" + (f"  [dim]{settings}[/]" if settings else "")
        child = node.add(label)
        for c in plan.children(r):
            add(child, c)

    tops = plan.children(root) if root else [r for r in plan if r.parent is None and r.type != PULUMI_STACK]
    for r in tops:
        add(tree, r)
    return tree


def summary_tables(plan: Plan) -> Group:
    by_type = Table(title="Resources by type", min_width=60)
    by_type.add_column("type")
    by_type.add_column("count", justify="right")
    for t, n in sorted(plan.count_by_type().items()):
        by_type.add_row(t, str(n))
    by_comp = Table(title="Resources by component", min_width=60)
    by_comp.add_column("component")
    by_comp.add_column("resources", justify="right")
    for c, n in sorted(plan.count_by_component().items()):
        by_comp.add_row(c, str(n))
    total = len(plan.custom_resources())
    comps = len(plan.components())
    return Group(by_type, by_comp, f"[bold]{total}[/] resources in [bold]{comps}[/] components")


def print_plan(plan: Plan, console: Console | None = None) -> None:
    console = console or Console()
    console.print(plan_tree(plan))
    console.print(summary_tables(plan))


def short_component(component: str) -> str:
    """'mlplatform:aws:DataLake mlplatform-lake' -> 'DataLake mlplatform-lake': tables stay readable at 80 columns."""
    type_, _, name = component.partition(" ")
    return f"{type_.rsplit(':', 1)[-1]} {name}".strip()


def print_cost(report: Any, console: Console) -> None:
    """Per-component and per-resource cost tables, then the summary (totals, savings, findings)."""
    from .cost import money, summary_lines

    comps = Table(title=f"Monthly cost by component: {report.project}/{report.stack}", min_width=60)
    for col in ("component", "idle", "expected", "peak"):
        comps.add_column(col, justify="right" if col != "component" else "left")
    for comp, t in sorted(report.by_component().items()):
        if any(t.values()):
            comps.add_row(short_component(comp), money(t["idle"]), money(t["expected"]), money(t["peak"]))
    comps.add_row("[bold]total[/]", *(f"[bold]{money(report.total(k))}[/]" for k in ("idle", "expected", "peak")))
    rows = Table(title="Per resource (free resources omitted)", min_width=60)
    for col in ("resource", "idle", "expected", "peak", "why"):
        rows.add_column(col, justify="right" if col in ("idle", "expected", "peak") else "left")
    for c in sorted(report.estimated, key=lambda c: -c.estimate.expected if c.estimate.expected else 0):
        if not c.estimate.free:
            rows.add_row(
                f"{c.resource.type.rsplit(':', 1)[-1]} {c.resource.name}",
                money(c.estimate.idle),
                money(c.estimate.expected),
                money(c.estimate.peak),
                c.estimate.explanation,
            )
    console.print(comps)
    console.print(rows)
    console.print("\n".join(summary_lines(report)), markup=False, highlight=False)


def print_cost_comparison(diff: dict, console: Console) -> None:
    """One row per component that costs something in either stack: a -> b (change) per figure."""
    from .cost import money

    def cell(f: dict) -> str:
        d = f["change"]
        change = "unbounded" if d is None else f"{'+' if d > 0 else '-' if d < 0 else ''}{money(abs(d))}"
        return f"{money(f['a'])} -> {money(f['b'])} ({change})"

    table = Table(title=f"Monthly cost: {diff['a']} -> {diff['b']}", min_width=60)
    table.add_column("component")
    for k in ("idle", "expected", "peak"):
        table.add_column(k, justify="right")
    for comp, row in [*diff["components"].items(), ("[bold]total[/]", diff["totals"])]:
        if all(f["a"] == f["b"] == 0 for f in row.values()):
            continue
        table.add_row(short_component(comp), *(cell(row[k]) for k in ("idle", "expected", "peak")))
    console.print(table)


def print_refresh(result: RefreshResult, console: Console, dry_run: bool = False) -> None:
    """What a catalog refresh changed, biggest moves first."""
    verb = "would change" if dry_run else "changed"
    console.print(
        f"Prices as of {result.as_of}: {len(result.changes)} {verb}, {result.unchanged} unchanged", markup=False
    )
    if result.changes:
        table = Table(show_edge=False)
        for col in ("table", "price", "region", "old", "new", "change"):
            table.add_column(col, justify="right" if col in ("old", "new", "change") else "left")
        for c in sorted(result.changes, key=lambda c: -abs(c.percent or 100.0)):
            table.add_row(
                c.table,
                c.item,
                c.region,
                "-" if c.old is None else f"{c.old:g}",
                f"{c.new:g}",
                "new" if c.percent is None else f"{c.percent:+.1f}%",
            )
        console.print(table)
    for table_name, item, region in result.missing:
        console.print(f"kept: {table_name} {item} {region} (the API returned no price)", markup=False)
    for path in result.written:
        console.print(f"wrote {path}", markup=False)


def print_check(report: Any, console: Console) -> None:
    """Violations grouped by policy, mandatory first; then the count and the config used."""
    if report.violations:
        table = Table(title=f"Policy violations: {report.project}/{report.stack}", min_width=60, show_lines=True)
        for col in ("policy", "level", "resource", "message"):
            table.add_column(col)
        order = sorted(report.violations, key=lambda v: (v.enforcement != "mandatory", v.policy))
        for v in order:
            resource = v.urn.rsplit("::", 1)[-1] if v.urn else "(stack)"
            style = "red" if v.enforcement == "mandatory" else "yellow"
            table.add_row(v.policy, f"[{style}]{v.enforcement}[/]", resource, v.message)
        console.print(table)
    enabled = sum(1 for r in report.policies.values() if r.level.value != "disabled")
    verdict = "FAILED" if report.mandatory else "passed"
    console.print(
        f"Policy check {verdict}: {report.mandatory} mandatory, {report.advisory} advisory violation(s); "
        f"{enabled} of {len(report.policies)} policies enabled ({report.config_path or 'defaults'})",
        markup=False,
        highlight=False,
    )


def print_preflight(report: Any, console: Console) -> None:
    """Findings in deploy order of concern (first deploy, then update), then a one-line verdict."""
    if report.findings:
        table = Table(title=f"Preflight findings: {report.project}/{report.stack}", min_width=60, show_lines=True)
        for col in ("rule", "phase", "resource", "finding", "documented behaviour"):
            table.add_column(col)
        for f in sorted(report.findings, key=lambda f: (str(f.phase) != "first-deploy", f.rule)):
            table.add_row(f.rule, str(f.phase), f.resource_name, f.message, f.reference)
        console.print(table)
    checked = sum(report.checked.values())
    verdict = "FAILED" if report.findings else "passed"
    console.print(
        f"Preflight {verdict}: {len(report.findings)} finding(s); {len(report.rules)} rules, {checked} checks",
        markup=False,
        highlight=False,
    )
