"""The preflight's frame: findings, the report, what a rule is, and the deploy order of a Plan.

A rule is a function ``(ctx) -> Iterable[Finding]`` made a :class:`Rule` with :func:`rule` and listed in
:data:`mlplatform.preflight.registry.RULES`; it reads the Plan through :class:`Context`, which knows what Pulumi
would have created before a resource (its transitive dependencies: explicit ``depends_on``, inputs that are
outputs of other resources, and its provider).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from typing import Any

from ..plan import Plan, PlanResource


class Phase(StrEnum):
    FIRST_DEPLOY = "first-deploy"
    UPDATE = "update"


@dataclass(frozen=True)
class Finding:
    """What a real deploy would refuse: the resource, the rule, what happens, and the documented behaviour."""

    rule: str
    phase: Phase
    urn: str
    message: str
    reference: str

    @property
    def resource_name(self) -> str:
        return self.urn.rsplit("::", 1)[-1]

    @property
    def resource_type(self) -> str:
        return self.urn.rsplit("::", 2)[-2].rsplit("$", 1)[-1]

    def to_dict(self) -> dict[str, str]:
        return {
            "rule": self.rule,
            "phase": str(self.phase),
            "resource": self.resource_name,
            "type": self.resource_type,
            "urn": self.urn,
            "message": self.message,
            "reference": self.reference,
        }


@dataclass
class PreflightReport:
    project: str
    stack: str
    findings: list[Finding] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)
    checked: dict[str, int] = field(default_factory=dict)  # rule -> how many things it examined

    @property
    def ok(self) -> bool:
        return not self.findings

    def to_dict(self) -> dict[str, Any]:
        return {
            "project": self.project,
            "stack": self.stack,
            "rules": self.rules,
            "checked": self.checked,
            "findings": [f.to_dict() for f in self.findings],
            "summary": {"findings": len(self.findings)},
        }


Check = Callable[["Context"], Iterable[Finding]]


@dataclass(frozen=True)
class Rule:
    """A preflight rule: its kebab-case name, what it checks ("Checks whether ..."), and the check."""

    name: str
    description: str
    check: Check


def rule(name: str, description: str) -> Callable[[Check], Rule]:
    """Make a check function a :class:`Rule` (the registry lists it; nothing is registered on import)."""

    def make(fn: Check) -> Rule:
        return Rule(name, description, fn)

    return make


class Context:
    """A Plan seen as a deployment: lookups, and what exists before each resource is created."""

    def __init__(self, plan: Plan):
        self.plan = plan
        self.counts: dict[str, int] = {}
        self.memo: dict[Any, Any] = {}  # views of the Plan that several rules share, built once

    def count(self, rule_name: str, n: int = 1) -> None:
        self.counts[rule_name] = self.counts.get(rule_name, 0) + n

    @cached_property
    def custom(self) -> list[PlanResource]:
        return self.plan.custom_resources()

    @cached_property
    def by_type(self) -> dict[str, list[PlanResource]]:
        out: dict[str, list[PlanResource]] = {}
        for r in self.plan.resources:
            out.setdefault(r.type, []).append(r)
        return out

    def of_type(self, *types: str) -> list[PlanResource]:
        return [r for t in types for r in self.by_type.get(t, [])]

    def direct_dependencies(self, r: PlanResource) -> set[str]:
        deps = set(r.dependencies)
        for urns in r.property_dependencies.values():
            deps.update(urns)
        if r.provider:
            deps.add(r.provider)
        return deps

    @cached_property
    def _closure(self) -> dict[str, frozenset[str]]:
        """URN -> every URN created before it (transitively), in one pass over the registration order."""
        closure: dict[str, frozenset[str]] = {}
        for r in self.plan.resources:  # a resource registers after everything it depends on
            acc: set[str] = set()
            for d in self.direct_dependencies(r):
                acc.add(d)
                acc |= closure.get(d, frozenset())
                # depends_on a component waits for its children (the SDK expands it; be explicit here).
                dep = self.plan.get(d)
                if dep is not None and not dep.custom:
                    for child in self.plan.descendants(dep):
                        acc.add(child.urn)
                        acc |= closure.get(child.urn, frozenset())
            closure[r.urn] = frozenset(acc)
        return closure

    def created_before(self, r: PlanResource) -> frozenset[str]:
        return self._closure.get(r.urn, frozenset())

    def waits_for(self, r: PlanResource, other: PlanResource) -> bool:
        return other.urn in self.created_before(r)


def iter_k8s(ctx: Context) -> Iterator[PlanResource]:
    """Every Kubernetes object the Plan creates (custom resources of the kubernetes package)."""
    for r in ctx.custom:
        if r.package == "kubernetes":
            yield r


def chart_name(release: PlanResource) -> str:
    """A Helm release's chart name, without its repository."""
    return str(release.input("chart") or "").rsplit("/", 1)[-1]
