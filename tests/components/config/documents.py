"""Stack documents for config tests: the dev stack's document, mutations of it, and the error they must raise."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from mlplatform.components.base.errors import ConfigError
from mlplatform.components.config import parse_platform_spec

SOURCE = "stacks/Pulumi.dev.yaml"
ROOT_KEY = "mlplatform:platform"

Mutation = Callable[[dict], None]


def invalid(doc: Any) -> ConfigError:
    """The ConfigError a document raises (the test fails when it validates)."""
    with pytest.raises(ConfigError) as info:
        parse_platform_spec(doc, SOURCE)
    return info.value


def set_key(path: str, value: Any) -> Mutation:
    """A mutation that sets `a.b[0].c` in a document."""

    def apply(doc: dict) -> None:
        parts = path.replace("]", "").replace("[", ".").split(".")
        cur: Any = doc
        for part in parts[:-1]:
            cur = cur[int(part)] if part.isdigit() else cur.setdefault(part, {})
        last = parts[-1]
        if last.isdigit():
            cur[int(last)] = value
        else:
            cur[last] = value

    return apply


def delete_key(path: str) -> Mutation:
    """A mutation that deletes `a.b.c` from a document."""

    def apply(doc: dict) -> None:
        parts = path.split(".")
        cur = doc
        for part in parts[:-1]:
            cur = cur[part]
        del cur[parts[-1]]

    return apply


def add_pool(**fields: Any) -> Mutation:
    """A mutation that adds a third GPU pool, ``extra`` (2 x T4 nodes at most), with ``fields``."""

    def apply(doc: dict) -> None:
        doc["cluster"]["gpu_pools"].append({"name": "extra", "gpu": "T4", "max_nodes": 2, **fields})

    return apply


def assert_reported(doc: dict, mutate: Mutation, path: str, fragment: str) -> None:
    """GIVEN the dev document with one mistake WHEN it is parsed THEN the error names the stack file and the exact
    full key path, with a message that contains ``fragment``."""
    mutate(doc)
    error = invalid(doc)
    full = f"{ROOT_KEY}.{path}"
    assert full in error.paths(), f"{full} not in {error.paths()}\n{error}"
    line = next(line for line in str(error).splitlines() if f"{full}:" in line)
    assert line.strip().startswith(f"- {full}:")
    assert fragment in line, line
    assert str(error).startswith(f"{SOURCE}: ")
