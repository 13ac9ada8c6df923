"""The tags section: cost tags required, valid for AWS tags, and put on every resource."""

from __future__ import annotations

import pytest

from mlplatform.components.config import parse_platform_spec
from tests.components.config.documents import Mutation, assert_reported, delete_key, set_key

# (id, mutation of the dev document, exact key path reported, a fragment of the message)
BAD: list[tuple[str, Mutation, str, str]] = [
    ("missing cost tag", delete_key("tags.cost_center"), "tags.cost_center", "required key is missing"),
    ("tag value with bad characters", set_key("tags.team", "ml#platform"), "tags.team", "AWS tag rules"),
]


@pytest.mark.parametrize(("mutate", "path", "fragment"), [c[1:] for c in BAD], ids=[c[0] for c in BAD])
def test_raises_with_key_path_value_and_allowed(dev_config, mutate, path, fragment):
    assert_reported(dev_config, mutate, path, fragment)


def test_tag_set_carries_cost_tags(dev_config):
    tags = parse_platform_spec(dev_config).tag_set("dev")
    assert tags["team"] == "ml-platform" and tags["project"] == "recsys" and tags["cost-center"] == "cc-4521"
    assert tags["environment"] == "dev" and tags["managed-by"] == "pulumi"
