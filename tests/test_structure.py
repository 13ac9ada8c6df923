"""The source tree's import graph: no cycles, and no module reaching into another's private names.

Read with ``ast`` from the files (nothing is imported), so a cycle is found even where today's import order would
hide it. Imports under ``if TYPE_CHECKING:`` are left out: they never run.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT

PACKAGES = ("components", "mlplatform", "policies")


def _modules() -> dict[str, Path]:
    out: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            out[".".join(parts)] = path
    return out


MODULES = _modules()


def _is_package(module: str) -> bool:
    return MODULES[module].name == "__init__.py"


def _resolve(module: str, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".") if _is_package(module) else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _runtime_nodes(tree: ast.Module) -> Iterator[ast.AST]:
    """Every node except those under ``if TYPE_CHECKING:``."""
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            stack.extend(node.orelse)
            continue
        yield node
        stack.extend(ast.iter_child_nodes(node))


def _imports(module: str) -> Iterator[tuple[str, str | None, int]]:
    """(imported project module, name taken from it or None, line) for every import the module runs."""
    tree = ast.parse(MODULES[module].read_text(), filename=str(MODULES[module]))
    for node in _runtime_nodes(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in MODULES:
                    yield alias.name, None, node.lineno
        elif isinstance(node, ast.ImportFrom):
            target = _resolve(module, node)
            for alias in node.names:
                submodule = f"{target}.{alias.name}"
                if submodule in MODULES:
                    yield submodule, None, node.lineno
                elif target in MODULES:
                    yield target, alias.name, node.lineno


GRAPH = {m: sorted({target for target, _, _ in _imports(m) if target != m}) for m in MODULES}


def _cycles() -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in GRAPH[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in MODULES:
        if v not in index:
            visit(v)
    return found


def test_the_source_tree_is_read():
    assert {"components.base.types", "components.base.resources", "mlplatform.plan", "policies.pack"} <= set(MODULES)
    assert "components.base.resources" in GRAPH["components.cost.estimate"]


def test_no_import_cycle():
    assert _cycles() == []


def test_no_module_imports_a_private_name_of_another():
    found = [
        f"{m} line {line}: {name} from {target}"
        for m in MODULES
        for target, name, line in _imports(m)
        if name is not None and name.startswith("_") and not name.startswith("__") and target != m
    ]
    assert found == []


@pytest.mark.parametrize(
    ("layer", "forbidden"),
    [
        ("components.base", ("components.catalog", "components.config", "components.cost", "mlplatform", "policies")),
        ("components.catalog", ("components.config", "components.cost", "mlplatform", "policies")),
        (
            "components.config",
            ("components.cost", "components.aws", "components.gcp", "components.k8s", "mlplatform", "policies"),
        ),
        ("components.cost", ("components.config", "components.aws", "components.gcp", "components.k8s", "mlplatform")),
        ("components.interfaces", ("components.aws", "components.gcp", "components.k8s", "components.compositions")),
        ("components.aws", ("components.gcp", "components.compositions")),
        ("components.gcp", ("components.aws", "components.compositions")),
        ("components.k8s", ("components.aws", "components.gcp", "components.compositions")),
        ("components", ("mlplatform", "policies")),
    ],
)
def test_imports_point_down_the_layers(layer, forbidden):
    upward = [
        f"{m} imports {t}"
        for m, targets in GRAPH.items()
        if m == layer or m.startswith(f"{layer}.")
        for t in targets
        if any(t == f or t.startswith(f"{f}.") for f in forbidden)
    ]
    assert upward == []


def test_the_plan_reader_and_type_tokens_load_no_provider_sdk():
    for module in ("components.base.types", "components.base.resources"):
        tree = ast.parse(MODULES[module].read_text())
        imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        imported |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        assert not {i for i in imported if i.startswith(("pulumi", "components.", "mlplatform", "policies"))}, module
