"""The network section: bad ranges, zones and NAT strategies name their key path."""

from __future__ import annotations

import pytest

from tests.components.config.documents import Mutation, assert_reported, set_key

# (id, mutation of the dev document, exact key path reported, a fragment of the message)
BAD: list[tuple[str, Mutation, str, str]] = [
    ("vpc cidr with host bits", set_key("network.cidr", "10.40.0.1/16"), "network.cidr", "no host bits"),
    ("vpc cidr too small", set_key("network.cidr", "10.40.0.0/22"), "network.cidr", "between /16 and /20"),
    ("nat strategy", set_key("network.nat", "two"), "network.nat", "allowed: instance, single, per-az, none"),
    ("one availability zone", set_key("network.availability_zones", 1), "network.availability_zones", ">= 2"),
]


@pytest.mark.parametrize(("mutate", "path", "fragment"), [c[1:] for c in BAD], ids=[c[0] for c in BAD])
def test_raises_with_key_path_value_and_allowed(dev_config, mutate, path, fragment):
    assert_reported(dev_config, mutate, path, fragment)
