"""Every preflight rule, in the order the report lists them, and the run over a Plan.

To add a rule, write it with :func:`~mlplatform.preflight.core.rule` in the module of its concern and list it here.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..plan import Plan
from . import alerting, artifacts, data_plane, identity, names, networking, ordering, scheduling, serving
from .core import Context, PreflightReport, Rule

RULES: tuple[Rule, ...] = (
    data_plane.workload_grants,
    serving.knative_accepts_servers,
    scheduling.schedulable,
    networking.api_reachable,
    ordering.crds_first,
    ordering.nodes_first,
    ordering.grants_first,
    artifacts.artifacts_exist,
    names.names_survive,
    names.physical_names_unique,
    alerting.alerts_routed,
    networking.ingress_served,
    identity.gke_groups,
    scheduling.node_group_shapes,
)
BY_NAME: dict[str, Rule] = {r.name: r for r in RULES}


def run_rules(plan: Plan, names: Iterable[str] | None = None) -> PreflightReport:
    """Run the rules named (default: all, in :data:`RULES` order) over ``plan``; findings sorted by rule and URN."""
    ctx = Context(plan)
    chosen = list(names) if names is not None else [r.name for r in RULES]
    report = PreflightReport(project=plan.project, stack=plan.stack, rules=chosen)
    for name in chosen:
        report.findings.extend(BY_NAME[name].check(ctx))
    report.checked = dict(ctx.counts)
    report.findings.sort(key=lambda f: (f.rule, f.urn))
    return report
