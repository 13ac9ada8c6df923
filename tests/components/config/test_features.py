"""The feature_store section: stores of the stack's cloud only."""

from __future__ import annotations

import pytest

from tests.components.config.documents import Mutation, assert_reported, set_key

# (id, mutation of the dev document, exact key path reported, a fragment of the message)
BAD: list[tuple[str, Mutation, str, str]] = [
    (
        "offline store of another cloud",
        set_key("feature_store.offline_store", "bigquery"),
        "feature_store.offline_store",
        "allowed: file, athena",
    ),
    (
        "online store of another cloud",
        set_key("feature_store.online_store", "firestore"),
        "feature_store.online_store",
        "allowed: dynamodb, redis",
    ),
]


@pytest.mark.parametrize(("mutate", "path", "fragment"), [c[1:] for c in BAD], ids=[c[0] for c in BAD])
def test_raises_with_key_path_value_and_allowed(dev_config, mutate, path, fragment):
    assert_reported(dev_config, mutate, path, fragment)
