"""The mlflow section: database, replicas and Ingress host."""

from __future__ import annotations

import pytest

from tests.components.config.documents import Mutation, assert_reported, set_key

# (id, mutation of the dev document, exact key path reported, a fragment of the message)
BAD: list[tuple[str, Mutation, str, str]] = [
    (
        "database engine version",
        set_key("mlflow.database", {"engine_version": "9.6"}),
        "mlflow.database.engine_version",
        "allowed: 14, 15, 16, 17",
    ),
    ("mlflow replicas zero", set_key("mlflow.replicas", 0), "mlflow.replicas", ">= 1"),
    (
        "ingress host not a hostname",
        set_key("mlflow.ingress_host", "http://mlflow"),
        "mlflow.ingress_host",
        "DNS hostname",
    ),
]


@pytest.mark.parametrize(("mutate", "path", "fragment"), [c[1:] for c in BAD], ids=[c[0] for c in BAD])
def test_raises_with_key_path_value_and_allowed(dev_config, mutate, path, fragment):
    assert_reported(dev_config, mutate, path, fragment)
