"""The one way to read a Plan's resources: the resource view, the property-path reader and the Kubernetes quantities.

The cost model, the policy pack and preflight read resources through this module, so a property path means the
same thing everywhere and ``"1G"`` of memory is the same number of bytes in a cost line, a policy and a preflight
finding. Properties are read as the provider receives them (camelCase: ``scalingConfig.minSize``).

Free of any provider SDK: the offline engine's ``PlanResource`` and the Pulumi policy SDK's resources are adapted
to :class:`Resource` where they are read (``PlanResource.view()``, ``mlplatform.policies.pack``). Secrets and values
unknown
during a preview are the Plan's business (``mlplatform.plan``): this module reads whatever mappings it is given.

Example::

    from mlplatform.components.base.resources import Resource, get, size_gib

    r = Resource("aws:eks/nodeGroup:NodeGroup", "gpu", props={"scalingConfig": {"maxSize": 4}})
    r.get("scalingConfig.maxSize")                          # 4
    get({"labels": {"mlplatform.io/gpu-pool": "a"}}, ("labels", "mlplatform.io/gpu-pool"))   # "a"
    size_gib("1G")                                          # 0.931...: G is 10^9 bytes, Gi is 2^30
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

# --- the resource view ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Resource:
    """One resource as the cost model, a policy rule or a preflight rule reads it.

    ``props`` are its inputs as the provider receives them (camelCase). ``provider`` is the URN of the provider
    that manages it and ``provider_props`` that provider's inputs (region, default tags); ``dependencies`` and
    ``property_dependencies`` (property -> URNs) name what it waits for. Every field but the type and the name
    defaults to empty: a unit test states only what its rule reads.
    """

    type: str
    name: str
    props: Mapping[str, Any] = field(default_factory=dict)
    urn: str = ""
    id: str | None = None  # the provider id, when known (lets related resources be matched)
    parent: str | None = None
    provider: str | None = None
    provider_props: Mapping[str, Any] = field(default_factory=dict)
    dependencies: Sequence[str] = ()
    property_dependencies: Mapping[str, Sequence[str]] = field(default_factory=dict)

    def get(self, path: PropertyPath, default: Any = None) -> Any:
        """A property by path: ``r.get("scalingConfig.minSize")`` (see :func:`get`)."""
        return get(self.props, path, default)

    @property
    def package(self) -> str:
        """``aws`` for ``aws:s3/bucket:Bucket``; ``kubernetes`` for Kubernetes kinds."""
        return self.type.split(":", 1)[0]


# --- property paths -------------------------------------------------------------------------------------------

# A path: "a.b[0].c" (keys separated by dots, list positions in brackets), or its parts as a sequence of keys and
# positions for keys that contain dots: ("metadata", "labels", "mlplatform.io/gpu-pool").
PropertyPath = str | Sequence[str | int]

_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


@functools.lru_cache(maxsize=1024)
def parse_path(path: str) -> tuple[str | int, ...]:
    """``"a.b[0].c"`` -> ``("a", "b", 0, "c")``."""
    return tuple(int(index) if index else name for name, index in _PART.findall(path))


def get(value: Any, path: PropertyPath, default: Any = None) -> Any:
    """Read ``path`` from nested mappings and lists; ``default`` when a step is missing or null.

    ``get(props, "scalingConfig.minSize")``, ``get(props, "spec.containers[0].resources.limits")``, and for keys
    that contain dots (labels, extended resources) the parts: ``get(props, ("labels", POOL_LABEL))``. Mappings are
    read by key, so a read-only mapping that raises on a value unknown during a preview raises here too.
    """
    cur = value
    for part in parse_path(path) if isinstance(path, str) else path:
        if isinstance(part, int):
            if not isinstance(cur, Sequence) or isinstance(cur, str | bytes) or not -len(cur) <= part < len(cur):
                return default
            cur = cur[part]
        else:
            if not isinstance(cur, Mapping):
                return default
            try:
                cur = cur[part]
            except KeyError:
                return default
        if cur is None:
            return default
    return default if cur is None else cur


def key(mapping: Any, name: str, default: Any = None) -> Any:
    """One key that may contain dots (a label ``mlplatform.io/gpu-pool``, a resource ``nvidia.com/gpu``)."""
    return get(mapping, (name,), default)


# --- Kubernetes quantities ------------------------------------------------------------------------------------

# Suffixes of a Kubernetes quantity (k8s.io/apimachinery resource.Quantity): binary (Ki = 2^10 ... Ei = 2^60),
# decimal (n = 10^-9 ... E = 10^18; m is milli), or a decimal exponent (1e3).
_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {"n": "1e-9", "u": "1e-6", "m": "1e-3", "": "1", "k": "1e3", "M": "1e6", "G": "1e9", "T": "1e12"}
_DECIMAL |= {"P": "1e15", "E": "1e18"}
_QUANTITY = re.compile(r"^([+-]?(?:\d+\.?\d*|\.\d+))([eE][+-]?\d+|[A-Za-z]*)$")
_MIB, _GIB = Decimal(2**20), Decimal(2**30)


def _exact(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return Decimal(str(value))
    match = _QUANTITY.match(str(value).strip())
    if not match:
        return None
    number, suffix = Decimal(match.group(1)), match.group(2)
    if suffix in _BINARY:
        return number * _BINARY[suffix]
    if suffix in _DECIMAL:
        return number * Decimal(_DECIMAL[suffix])
    try:
        return number * Decimal("1" + suffix.lower())  # an exponent: 1e3
    except InvalidOperation:
        return None


def quantity(value: Any) -> float | None:
    """A Kubernetes quantity as the number it stands for, exactly: ``"8"`` -> 8, ``"500m"`` -> 0.5,
    ``"1k"`` -> 1000, ``"1Ki"`` -> 1024, ``"1G"`` -> 1e9, ``"1Gi"`` -> 2^30; None if it is not one."""
    exact = _exact(value)
    return None if exact is None else float(exact)


def cpu_millis(value: Any, default: int = 0) -> int:
    """CPU in millicores: ``"500m"`` -> 500, ``"2"`` -> 2000, ``0.25`` -> 250; ``default`` if not a quantity."""
    exact = _exact(value)
    return default if exact is None else int(exact * 1000)


def size_bytes(value: Any) -> float | None:
    """Memory or storage in bytes: ``"1Gi"`` -> 1073741824, ``"1G"`` -> 1e9, ``"512"`` -> 512."""
    return quantity(value)


def size_mib(value: Any, default: int = 0) -> int:
    """Memory or storage in whole MiB (rounded down): ``"512Mi"`` -> 512, ``"1G"`` -> 953, ``"1Gi"`` -> 1024."""
    exact = _exact(value)
    return default if exact is None else int(exact / _MIB)


def size_gib(value: Any) -> float | None:
    """Memory or storage in GiB: ``"64Gi"`` -> 64, ``"512Mi"`` -> 0.5, ``"1G"`` -> 0.931; None if not one."""
    exact = _exact(value)
    return None if exact is None else float(exact / _GIB)
