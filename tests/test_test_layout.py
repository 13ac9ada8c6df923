"""The tests' own layout: component tests build on fixtures, never on a shipped stack or example.

A component test builds its component, or the smallest platform that contains it, on tests/fixtures.py; what a
shipped stack chose is tested in tests/stacks/. So editing stacks/Pulumi.<stack>.yaml or an example breaks no
component test. Checked statically: no module under tests/components names the helpers that read a shipped stack
or joins a path into the stacks/ or examples/ directories.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import ROOT

COMPONENT_TESTS = ROOT / "tests" / "components"

# tests/conftest.py's readers of the shipped stacks (and the stack lists that go with them).
STACK_READERS = {"planned", "stack_document", "plan_variant", "dev_doc", "STACKS", "AWS_STACKS", "GCP_STACKS"}
SHIPPED_DIRECTORIES = {"stacks", "examples"}


def shipped_stack_uses(path: Path) -> list[str]:
    """Where ``path`` names a stack reader or a shipped directory: ``["line 12: planned", ...]``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Name):
            name = node.id
        elif isinstance(node, ast.arg):
            name = node.arg  # a pytest fixture asked for by name
        elif isinstance(node, ast.alias):
            name = node.asname or node.name
        elif isinstance(node, ast.Attribute):
            name = node.attr
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            name = node.value if node.value in SHIPPED_DIRECTORIES else None  # ROOT / "stacks" / ...
        else:
            continue
        if name in STACK_READERS or (isinstance(node, ast.Constant) and name):
            found.append((node.lineno, name))
    return [f"line {line}: {name}" for line, name in sorted(found)]


def test_no_component_test_reads_a_shipped_stack_or_example():
    offenders = {
        path.relative_to(COMPONENT_TESTS).as_posix(): uses
        for path in sorted(COMPONENT_TESTS.rglob("*.py"))
        if (uses := shipped_stack_uses(path))
    }
    assert not offenders, (
        "component tests build on tests/fixtures.py (aws_dev_config() is a dev document no stack edit changes), and "
        f"what a shipped stack chose is tested in tests/stacks/: {offenders}"
    )


def test_the_check_finds_each_way_of_reading_a_shipped_stack(tmp_path):
    module = tmp_path / "test_x.py"
    module.write_text(
        "from tests.conftest import planned\n"
        "def test_a(dev_doc):\n"
        "    conftest.stack_document('dev')\n"
        "    engine.run(ROOT / 'examples' / 'mlflow')\n"
        "    load_usage(ROOT / 'stacks' / 'usage.dev.yaml')\n"
    )
    assert shipped_stack_uses(module) == [
        "line 1: planned",
        "line 2: dev_doc",
        "line 3: stack_document",
        "line 4: examples",
        "line 5: stacks",
    ]
