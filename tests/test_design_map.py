"""The design map (docs/architecture.md) matches the tree: what it names exists, and it names every package."""

from __future__ import annotations

import re

from tests.conftest import ROOT

MAP = ROOT / "docs" / "architecture.md"
PACKAGES = ("components", "mlplatform", "policies")


def _named_paths() -> set[str]:
    return set(
        re.findall(
            r"`((?:components|mlplatform|policies|tests|stacks|examples|benchmarks)/[\w./<>|-]*)`", MAP.read_text()
        )
    )


def test_every_path_the_map_names_exists():
    missing = []
    for path in sorted(_named_paths()):
        if "<" in path or "|" in path or "*" in path:
            continue  # a pattern (`components/aws|gcp|k8s/<name>.py`), not a path
        if not (ROOT / path.rstrip("/")).exists():
            missing.append(path)
    assert not missing, f"docs/architecture.md names paths that do not exist: {missing}"


def test_the_map_names_every_package():
    text = MAP.read_text()
    packages = sorted(
        str(init.parent.relative_to(ROOT))
        for top in PACKAGES
        for init in (ROOT / top).rglob("__init__.py")
        if "scripts" not in init.parts
    )
    unnamed = [p for p in packages if f"`{p}/`" not in text and f"`{p}`" not in text]
    assert not unnamed, f"docs/architecture.md does not place these packages: {unnamed}"
