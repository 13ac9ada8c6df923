"""Shared test helpers: the repository root and the shipped stack documents."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
STACKS = ("dev", "staging", "prod")


def stack_document(stack: str) -> dict[str, Any]:
    """The `mlplatform:platform` object of a shipped stack file."""
    with open(ROOT / "stacks" / f"Pulumi.{stack}.yaml", encoding="utf-8") as fh:
        return copy.deepcopy(yaml.safe_load(fh)["config"]["mlplatform:platform"])


@pytest.fixture
def dev_doc() -> dict[str, Any]:
    return stack_document("dev")


@pytest.fixture
def repo_root() -> Path:
    return ROOT
