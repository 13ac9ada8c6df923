"""The library's public surface: every component, its Args and the models its Args take import from one documented
package, which lists them in ``__all__``.

- ``mlplatform.components``: the compositions and what is cloud-neutral (``Cloud``, ``ConfigError``, the spec's
  entry points);
- ``mlplatform.components.aws``, ``.gcp``, ``.k8s``: each cloud's components and Kubernetes';
- ``mlplatform.components.config``: the stack spec's sections.

Components are found by walking the package (every ``pulumi.ComponentResource`` subclass defined in it), so a new
one fails here until its package exports it.
"""

from __future__ import annotations

import enum
import importlib
import inspect
import pkgutil
import subprocess
import sys
import typing
from types import ModuleType

import pulumi
import pydantic
import pytest

import mlplatform.components

ROOT_PACKAGE = "mlplatform.components"
# Children GpuCluster builds from its own resolved settings (not an Args a user writes): not public.
INTERNAL = {
    "mlplatform.components.aws.gpu_node_groups.ManagedGpuNodeGroups",
    "mlplatform.components.aws.karpenter.KarpenterProvisioner",
}
LAZY_PACKAGES = (ROOT_PACKAGE, f"{ROOT_PACKAGE}.k8s")


def _modules() -> list[ModuleType]:
    return [
        importlib.import_module(info.name)
        for info in pkgutil.walk_packages(mlplatform.components.__path__, f"{ROOT_PACKAGE}.")
    ]


def _qualname(cls: type) -> str:
    return f"{cls.__module__}.{cls.__name__}"


COMPONENTS = sorted(
    (
        cls
        for module in _modules()
        for cls in vars(module).values()
        if inspect.isclass(cls) and issubclass(cls, pulumi.ComponentResource) and cls.__module__ == module.__name__
    ),
    key=_qualname,
)
PUBLIC = [cls for cls in COMPONENTS if _qualname(cls) not in INTERNAL]


def documented_place(cls: type) -> str:
    """The package a user imports ``cls`` from."""
    parts = cls.__module__.split(".")
    group = parts[2] if len(parts) > 3 else None
    if group in ("aws", "gcp", "k8s", "config"):
        return f"{ROOT_PACKAGE}.{group}"
    return ROOT_PACKAGE  # compositions, base


def args_class(component: type) -> type[pydantic.BaseModel] | None:
    """The model the constructor's second parameter takes (``DataLakeArgs`` of ``DataLake(name, args, opts)``)."""
    hints = typing.get_type_hints(component.__init__)
    second = list(inspect.signature(component.__init__).parameters)[2]
    hint = hints.get(second)
    models = [t for t in typing.get_args(hint) or (hint,) if inspect.isclass(t) and issubclass(t, pydantic.BaseModel)]
    return models[0] if models else None


def models_taken(model: type[pydantic.BaseModel]) -> set[type]:
    """The library's own models and enums ``model``'s fields take, at any depth."""
    found: set[type] = set()

    def visit(hint: object) -> None:
        for inner in typing.get_args(hint):
            visit(inner)
        if not inspect.isclass(hint) or hint in found or not hint.__module__.startswith(f"{ROOT_PACKAGE}."):
            return
        if issubclass(hint, enum.Enum):
            found.add(hint)
        elif issubclass(hint, pydantic.BaseModel):
            found.add(hint)
            for field in hint.model_fields.values():
                visit(field.annotation)

    for field in model.model_fields.values():
        visit(field.annotation)
    return found


def test_the_walk_finds_every_cloud_and_the_compositions():
    places = {documented_place(cls) for cls in PUBLIC}
    assert places == {ROOT_PACKAGE, f"{ROOT_PACKAGE}.aws", f"{ROOT_PACKAGE}.gcp", f"{ROOT_PACKAGE}.k8s"}
    assert {_qualname(cls) for cls in COMPONENTS} >= INTERNAL
    assert args_class(next(c for c in PUBLIC if c.__name__ == "FeastFeatureServer")).__name__ == "FeastServerArgs"


@pytest.mark.parametrize("component", PUBLIC, ids=_qualname)
def test_every_component_its_args_and_their_models_import_from_the_documented_package(component):
    args = args_class(component)
    expected = [component] + ([args, *sorted(models_taken(args), key=_qualname)] if args is not None else [])
    misplaced = []
    for cls in expected:
        place = importlib.import_module(documented_place(cls))
        if getattr(place, cls.__name__, None) is not cls or cls.__name__ not in place.__all__:
            misplaced.append(f"{cls.__name__} (from {cls.__module__}) not exported by {place.__name__}")
    assert misplaced == []


@pytest.mark.parametrize(
    "package", [ROOT_PACKAGE, *(f"{ROOT_PACKAGE}.{p}" for p in ("aws", "gcp", "k8s", "config", "compositions"))]
)
def test_all_lists_names_that_import(package):
    module = importlib.import_module(package)
    assert len(set(module.__all__)) == len(module.__all__)
    missing = [name for name in module.__all__ if not hasattr(module, name)]
    assert missing == []


@pytest.mark.parametrize("package", LAZY_PACKAGES)
def test_a_lazy_package_lists_what_it_loads(package):
    module = importlib.import_module(package)
    assert set(module._EXPORTS) == set(module.__all__)
    assert set(module.__all__) <= set(dir(module))
    with pytest.raises(AttributeError, match="has no attribute 'Nope'"):
        module.Nope  # noqa: B018 - the attribute access is the test


def test_importing_one_part_does_not_import_the_rest():
    """The policy pack imports the catalog and cost model without a provider SDK; an AWS program does not import
    every Kubernetes component nor the GCP provider."""
    probe = (
        "import sys\n"
        "import mlplatform.policies.pack\n"
        "print(sorted(m for m in ('pulumi_aws', 'pulumi_gcp', 'pulumi_kubernetes') if m in sys.modules))\n"
        "import mlplatform.components.aws\n"
        "print(sorted(m for m in ('pulumi_gcp', 'mlplatform.components.k8s.notebooks', "
        "'mlplatform.components.compositions') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.splitlines() == ["[]", "[]"]
