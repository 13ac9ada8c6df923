"""The data_lake section: lifecycle order and per-zone overrides."""

from __future__ import annotations

import pytest

from tests.components.config.documents import Mutation, assert_reported, set_key

# (id, mutation of the dev document, exact key path reported, a fragment of the message)
BAD: list[tuple[str, Mutation, str, str]] = [
    (
        "lifecycle days out of order",
        set_key("data_lake.lifecycle", {"intelligent_tiering_after_days": 90, "glacier_after_days": 30}),
        "data_lake.lifecycle.glacier_after_days",
        "must be after intelligent_tiering_after_days (90)",
    ),
    (
        "lifecycle for unknown zone",
        set_key("data_lake.zone_lifecycle", {"bronze": {}}),
        "data_lake.zone_lifecycle.bronze",
        "unknown zone",
    ),
]


@pytest.mark.parametrize(("mutate", "path", "fragment"), [c[1:] for c in BAD], ids=[c[0] for c in BAD])
def test_raises_with_key_path_value_and_allowed(dev_config, mutate, path, fragment):
    assert_reported(dev_config, mutate, path, fragment)
