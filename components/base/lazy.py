"""Package exports that load on first use (PEP 562), so importing one submodule does not import its siblings.

A package lists each public name with the submodule it comes from, and binds the two functions this returns::

    _EXPORTS = {"KServe": ".kserve", "KServeArgs": ".kserve"}
    __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

``mlplatform.components`` needs it because the policy pack and the CLI import its catalog and cost model, which
must not pull in every provider SDK; ``mlplatform.components.k8s`` because the AWS and GCP components import a few
Kubernetes modules each, and a program using one cloud's components should not import every Kubernetes component.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping


def lazy_exports(package: str, exports: Mapping[str, str]) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """The module ``__getattr__`` and ``__dir__`` of ``package`` for ``exports`` (name -> relative submodule)."""
    namespace = vars(sys.modules[package])

    def __getattr__(name: str) -> object:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module, package), name)
        namespace[name] = value  # later lookups are plain attribute reads
        return value

    def __dir__() -> list[str]:
        return sorted({*namespace, *exports})

    return __getattr__, __dir__
