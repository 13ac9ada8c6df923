"""What every rule is made of: the rule record and small readers of provider inputs.

Rules are pure: a resource rule maps one :class:`Resource` and its settings to messages; a stack rule maps
all of the stack's resources to (message, urn) pairs. ``policies/pack.py`` turns them into the Pulumi policy
objects the CLI runs, and ``mlplatform check`` runs those same objects offline.

Properties are read as the provider receives them (camelCase: ``scalingConfig.minSize``). During a preview
some are unknown; the mapping the CLI hands the policy raises when a rule reads one, and the CLI (and
``mlplatform check``) reports that rule as advisory for that resource.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mlplatform.components.base.resources import Resource, get

Settings = Mapping[str, Any]


ResourceCheck = Callable[[Resource, Settings], Iterable[str]]
StackCheck = Callable[[Sequence[Resource], Settings], Iterable[tuple[str, str | None]]]


@dataclass(frozen=True)
class Rule:
    """A policy: its name, what it checks, its settings' JSON schema and its default enforcement."""

    name: str
    description: str
    schema: Mapping[str, Any]  # JSON-schema "properties" of its settings, each with a default where sensible
    check: ResourceCheck | None = None
    stack_check: StackCheck | None = None
    required: tuple[str, ...] = ()
    enforcement: str = "mandatory"
    types: tuple[str, ...] = ()  # resource types it reads (for the README and for a fast skip)
    remediation: str = ""

    @property
    def is_stack(self) -> bool:
        return self.stack_check is not None

    def defaults(self) -> dict[str, Any]:
        return {k: v["default"] for k, v in self.schema.items() if isinstance(v, Mapping) and "default" in v}


# --- readers ----------------------------------------------------------------------------------------------------


def number(value: Any, default: float | None = None) -> float | None:
    if isinstance(value, bool):
        return default
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return default
    return default


def truthy(value: Any) -> bool:
    """Provider booleans arrive as booleans, and in launch templates as the strings "true"/"false"."""
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value)


def items(value: Any) -> list[Any]:
    # Lists arrive as lists, or during policy evaluation as the SDK's read-only Sequence proxies.
    return list(value) if isinstance(value, Sequence) and not isinstance(value, str | bytes) else []


def listing(values: Iterable[Any]) -> str:
    """``T4, L4, A10G`` for messages; "none" when empty."""
    out = ", ".join(str(v) for v in values)
    return out or "none"


def index_by_target(resources: Sequence[Resource], prop: str) -> dict[str, list[Resource]]:
    """Resources that point at another through ``prop`` (a lifecycle's ``bucket``), keyed by the target's URN
    (from the property's dependency) and by the property's value (a name or id): one pass, then O(1) lookups."""
    out: dict[str, list[Resource]] = {}
    for r in resources:
        keys = set(r.property_dependencies.get(prop) or ()) if prop in r.property_dependencies else set()
        value = get(r.props, prop)
        if isinstance(value, str):
            keys.add(value)
        for k in keys:
            out.setdefault(k, []).append(r)
    return out


def targeting(index: Mapping[str, list[Resource]], target: Resource, *names: Any) -> list[Resource]:
    """The indexed resources that point at ``target`` (by URN, or by one of its ``names``)."""
    found: dict[str, Resource] = {}
    for k in (target.urn, *(str(n) for n in names if n)):
        for r in index.get(k, ()):
            found[r.urn] = r
    return list(found.values())


def display_name(r: Resource) -> str:
    """'aws:eks/nodeGroup:NodeGroup' 'ml-gpu' -> "node group 'ml-gpu'" for messages."""
    kind = r.type.rsplit(":", 1)[-1]
    words = "".join(f" {c.lower()}" if c.isupper() else c for c in kind).strip()
    return f"{words} '{r.name}'"
