"""Plan: every resource a Pulumi program registers, with inputs, outputs, options and relationships.

Produced by :func:`mlplatform.engine.run`; queried by tests, the CLI, the cost model and the policy checker.
Secret values are wrapped in :class:`Secret` and rendered as ``"[secret]"`` by :meth:`Plan.to_dict` unless
asked to reveal them. A value the program could not know (an unknown ``Output``, as in a preview) is
:data:`UNKNOWN`, rendered as ``"[unknown]"``; the policy checker reports rules that read one as advisory.

Example::

    plan = engine.run(program)
    bucket = plan.one("aws:s3/bucket:Bucket")
    assert bucket.options["protect"] is False
    assert [r.name for r in plan.children(plan.one(name="lake"))]
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from mlplatform.components.base.resources import PropertyPath, Resource, get
from mlplatform.components.base.types import PULUMI_STACK

REDACTED = "[secret]"


@dataclass(frozen=True)
class Secret:
    """A value Pulumi treats as secret. ``repr`` never shows it; use :func:`reveal` to read it."""

    value: Any

    def __repr__(self) -> str:
        return "Secret([secret])"


class Unknown:
    """The one value of an input Pulumi cannot know yet (it is computed by a resource that does not exist)."""

    _instance: Unknown | None = None

    def __new__(cls) -> Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN = Unknown()
UNKNOWN_TEXT = "[unknown]"


def reveal(value: Any, unknown: Any = UNKNOWN) -> Any:
    """Recursively unwrap :class:`Secret` values; values unknown to the program become ``unknown`` (by default
    they stay :data:`UNKNOWN`)."""
    if isinstance(value, Secret):
        return reveal(value.value, unknown)
    if value is UNKNOWN:
        return unknown
    if isinstance(value, dict):
        return {k: reveal(v, unknown) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [reveal(v, unknown) for v in value]
    return value


def redact(value: Any) -> Any:
    """Recursively replace :class:`Secret` values with ``"[secret]"`` (and unknowns with ``"[unknown]"``)."""
    if isinstance(value, Secret):
        return REDACTED
    if value is UNKNOWN:
        return UNKNOWN_TEXT
    if isinstance(value, dict):
        return {k: redact(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    return value


def printable(value: Any) -> Any:
    """Secrets revealed, unknowns as ``"[unknown]"``: a value that JSON can hold."""
    return reveal(value, UNKNOWN_TEXT)


def contains_secret(value: Any) -> bool:
    if isinstance(value, Secret):
        return True
    if isinstance(value, dict):
        return any(contains_secret(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(contains_secret(v) for v in value)
    return False


def lookup(value: Any, path: PropertyPath, default: Any = None) -> Any:
    """Read ``a.b[0].c`` from nested dicts and lists with secrets revealed (the path syntax of
    :func:`mlplatform.components.base.resources.get`); ``default`` when absent or null."""
    return get(reveal(value), path, default)


@dataclass
class PlanResource:
    urn: str
    type: str
    name: str
    custom: bool
    parent: str | None = None
    id: str | None = None
    inputs: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)
    dependencies: list[str] = field(default_factory=list)
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)
    provider: str | None = None
    options: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:  # the full record is huge; failures should print something readable
        return f"PlanResource({self.type} {self.name!r})"

    def input(self, path: PropertyPath, default: Any = None) -> Any:
        """An input by path, secrets revealed: ``r.input("vpcConfig.endpointPublicAccess")``."""
        return lookup(self.inputs, path, default)

    def output(self, path: PropertyPath, default: Any = None) -> Any:
        """An output by path, secrets revealed."""
        return lookup(self.outputs, path, default)

    def view(self) -> Resource:
        """This resource as the cost model and the rules read it: inputs with secrets revealed (values unknown
        to the program stay :data:`UNKNOWN`)."""
        return Resource(
            type=self.type,
            name=self.name,
            props=reveal(self.inputs),
            urn=self.urn,
            id=self.id,
            parent=self.parent,
            provider=self.provider,
            dependencies=tuple(self.dependencies),
            property_dependencies=self.property_dependencies,
        )

    @property
    def package(self) -> str:
        """``aws`` for ``aws:s3/bucket:Bucket``; ``kubernetes`` for Kubernetes kinds."""
        return self.type.split(":", 1)[0]

    def to_dict(self, reveal_secrets: bool = False) -> dict[str, Any]:
        show = printable if reveal_secrets else redact
        return {
            "urn": self.urn,
            "type": self.type,
            "name": self.name,
            "parent": self.parent,
            "custom": self.custom,
            "id": self.id,
            "inputs": show(self.inputs),
            "outputs": show(self.outputs),
            "dependencies": list(self.dependencies),
            "provider": self.provider,
            "options": dict(self.options),
        }


@dataclass
class Diagnostic:
    severity: str
    message: str
    urn: str | None = None


class PlanQueryError(LookupError):
    pass


@dataclass
class Plan:
    """The resources of one program run on one stack, in registration order."""

    project: str
    stack: str
    resources: list[PlanResource] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    config: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._index: dict[str, PlanResource] = {}
        self._children: dict[str, list[PlanResource]] = {}
        for r in self.resources:
            self._add_to_index(r)

    def _add_to_index(self, r: PlanResource) -> None:
        self._index[r.urn] = r
        if r.parent:
            self._children.setdefault(r.parent, []).append(r)

    def __repr__(self) -> str:
        return f"Plan({self.project}/{self.stack}: {len(self.resources)} resources)"

    def __iter__(self) -> Iterator[PlanResource]:
        return iter(self.resources)

    def __len__(self) -> int:
        return len(self.resources)

    # --- queries ---------------------------------------------------------------------------------------------

    def get(self, urn: str) -> PlanResource | None:
        return self._index.get(urn)

    def find(
        self,
        type: str | None = None,
        name: str | None = None,
        where: Callable[[PlanResource], bool] | None = None,
    ) -> list[PlanResource]:
        """Resources matching every given criterion (type token, logical name, predicate)."""
        return [
            r
            for r in self.resources
            if (type is None or r.type == type) and (name is None or r.name == name) and (where is None or where(r))
        ]

    def by_type(self, type: str) -> list[PlanResource]:
        return self.find(type=type)

    def one(self, type: str | None = None, name: str | None = None) -> PlanResource:
        """Exactly one resource matching ``type`` and/or ``name``; raises when none or several match."""
        found = self.find(type, name)
        if len(found) != 1:
            what = " ".join(p for p in (type, repr(name) if name else None) if p)
            listing = ", ".join(r.name for r in found[:10])
            raise PlanQueryError(f"expected exactly one {what}, found {len(found)}{': ' + listing if found else ''}")
        return found[0]

    def children(self, parent: PlanResource | str) -> list[PlanResource]:
        urn = parent if isinstance(parent, str) else parent.urn
        return list(self._children.get(urn, []))

    def descendants(self, parent: PlanResource | str) -> list[PlanResource]:
        out: list[PlanResource] = []
        stack = self.children(parent)
        while stack:
            r = stack.pop(0)
            out.append(r)
            stack.extend(self.children(r))
        return out

    def ancestors(self, r: PlanResource) -> list[PlanResource]:
        out = []
        cur = self.get(r.parent) if r.parent else None
        while cur is not None:
            out.append(cur)
            cur = self.get(cur.parent) if cur.parent else None
        return out

    def component_of(self, r: PlanResource) -> PlanResource | None:
        """The nearest enclosing component (the stack excluded)."""
        for a in self.ancestors(r):
            if not a.custom and a.type != PULUMI_STACK:
                return a
        return None

    @property
    def stack_resource(self) -> PlanResource | None:
        return next((r for r in self.resources if r.type == PULUMI_STACK), None)

    def custom_resources(self) -> list[PlanResource]:
        """Resources a provider manages (no components, no stack, no provider instances)."""
        return [r for r in self.resources if r.custom and not r.type.startswith("pulumi:providers:")]

    def components(self) -> list[PlanResource]:
        return [r for r in self.resources if not r.custom and r.type != PULUMI_STACK]

    def count_by_type(self, resources: Iterable[PlanResource] | None = None) -> Counter[str]:
        return Counter(r.type for r in (self.custom_resources() if resources is None else resources))

    def count_by_component(self) -> Counter[str]:
        """Custom resources per nearest component (``<stack>`` for top-level ones)."""
        counts: Counter[str] = Counter()
        for r in self.custom_resources():
            comp = self.component_of(r)
            counts[f"{comp.type} {comp.name}" if comp else "<stack>"] += 1
        return counts

    # --- serialisation ---------------------------------------------------------------------------------------

    def to_dict(self, reveal_secrets: bool = False) -> dict[str, Any]:
        """The JSON document of ``mlplatform plan --json``; secrets redacted unless ``reveal_secrets``."""
        return {
            "project": self.project,
            "stack": self.stack,
            "resources": [{k: v for k, v in r.to_dict(reveal_secrets).items() if k != "id"} for r in self.resources],
        }

    def to_json(self, reveal_secrets: bool = False, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(reveal_secrets), indent=indent, sort_keys=False, default=str)
