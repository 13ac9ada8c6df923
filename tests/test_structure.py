"""The source tree's import graph: no cycles, and no module reaching into another's private names.

Read with ``ast`` from the files (nothing is imported), so a cycle is found even where today's import order would
hide it. Imports under ``if TYPE_CHECKING:`` are left out: they never run.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT

PACKAGES = ("components", "mlplatform", "policies")


def _through_symlink(path: Path) -> bool:
    return any(parent.is_symlink() for parent in path.relative_to(ROOT).parents if parent != Path("."))


def _modules() -> dict[str, Path]:
    out: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted(p for p in (ROOT / package).rglob("*.py") if not _through_symlink(p)):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if package != "mlplatform":  # installed as mlplatform.components and mlplatform.policies (the symlinks)
                parts.insert(0, "mlplatform")
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
    assert {
        "mlplatform.components.base.types",
        "mlplatform.components.base.resources",
        "mlplatform.plan",
        "mlplatform.policies.pack",
    } <= set(MODULES)
    assert "mlplatform.components.base.resources" in GRAPH["mlplatform.components.cost.estimate"]


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


C = "mlplatform.components"
POLICIES = "mlplatform.policies"
# mlplatform's own modules (engine, CLI, preflight): the package minus the two folders mapped into it.
ENGINE = "mlplatform (engine, CLI, preflight)"


def _in(module: str, layer: str) -> bool:
    if layer == ENGINE:
        return module.startswith("mlplatform") and not _in(module, C) and not _in(module, POLICIES)
    return module == layer or module.startswith(f"{layer}.")


# The layers below the components import only the layers below them, named here: a module added anywhere else in
# components/ (a new top-level module, a new package) is above them whatever its name.
LOWER_LAYERS = {
    f"{C}.base": (f"{C}.base",),
    f"{C}.catalog": (f"{C}.base", f"{C}.catalog"),
    f"{C}.config": (f"{C}.base", f"{C}.catalog", f"{C}.config"),
    f"{C}.cost": (f"{C}.base", f"{C}.catalog", f"{C}.cost"),
}


def _imports_of(layer: str, wrong: Callable[[str], bool]) -> list[str]:
    """``"<module> imports <target>"`` for every import of a module in ``layer`` that is ``wrong``."""
    return [f"{m} imports {t}" for m, targets in GRAPH.items() if _in(m, layer) for t in targets if wrong(t)]


@pytest.mark.parametrize(("layer", "allowed"), LOWER_LAYERS.items())
def test_the_lower_layers_import_only_the_layers_below(layer, allowed):
    assert _imports_of(layer, lambda t: not any(_in(t, a) for a in allowed)) == []


@pytest.mark.parametrize(
    ("layer", "forbidden"),
    [
        (f"{C}.interfaces", (f"{C}.aws", f"{C}.gcp", f"{C}.k8s", f"{C}.compositions")),
        (f"{C}.aws", (f"{C}.gcp", f"{C}.compositions")),
        (f"{C}.gcp", (f"{C}.aws", f"{C}.compositions")),
        (f"{C}.k8s", (f"{C}.aws", f"{C}.gcp", f"{C}.compositions")),
        (C, (ENGINE, POLICIES)),
    ],
)
def test_imports_point_down_the_layers(layer, forbidden):
    assert _imports_of(layer, lambda t: any(_in(t, f) for f in forbidden)) == []


def test_the_source_tree_imports_itself_through_the_one_namespace():
    """``components`` and ``policies`` install as ``mlplatform.components`` and ``mlplatform.policies``: a bare
    ``import components`` would load a second copy in this checkout and fail in an installed wheel, or pick up a
    consumer project's own ``components/`` folder."""
    bare = [
        f"{m}: {name}"
        for m, path in MODULES.items()
        for node in ast.walk(ast.parse(path.read_text()))
        for name in (
            [a.name for a in node.names]
            if isinstance(node, ast.Import)
            else [node.module or ""]
            if isinstance(node, ast.ImportFrom) and not node.level
            else []
        )
        if name.split(".")[0] in ("components", "policies")
    ]
    assert bare == []


def test_the_plan_reader_and_type_tokens_load_no_provider_sdk():
    for module in ("mlplatform.components.base.types", "mlplatform.components.base.resources"):
        tree = ast.parse(MODULES[module].read_text())
        imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        imported |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        assert not {i for i in imported if i.startswith(("pulumi", "mlplatform"))}, module
