"""The one Plan reader: the resource view, property paths and exact Kubernetes quantities."""

from __future__ import annotations

import math

import pytest
from pulumi_policy.proxy import UnknownValueError, unknown_checking_proxy

from mlplatform.components.base.labels import POOL_LABEL
from mlplatform.components.base.resources import (
    Resource,
    cpu_millis,
    get,
    key,
    parse_path,
    quantity,
    size_bytes,
    size_gib,
    size_mib,
)
from mlplatform.components.base.types import AWS_EKS_NODE_GROUP

PROPS = {
    "scalingConfig": {"minSize": 0, "maxSize": 4, "desiredSize": None},
    "labels": {POOL_LABEL: "inference"},
    "containers": [{"name": "a", "resources": {"limits": {"nvidia.com/gpu": "1"}}}, {"name": "b"}],
}


def test_get_reads_dotted_paths_list_positions_and_keys_with_dots():
    assert get(PROPS, "scalingConfig.maxSize") == 4
    assert get(PROPS, "scalingConfig.minSize") == 0  # a falsy value is a value
    assert get(PROPS, "containers[1].name") == "b"
    assert get(PROPS, "containers[0].resources.limits") == {"nvidia.com/gpu": "1"}
    assert get(PROPS, ("labels", POOL_LABEL)) == "inference"
    assert get(PROPS, ("containers", 0, "resources", "limits", "nvidia.com/gpu")) == "1"
    assert key(PROPS["labels"], POOL_LABEL) == "inference"


def test_get_returns_the_default_when_a_step_is_missing_null_or_not_a_container():
    assert get(PROPS, "scalingConfig.desiredSize", 2) == 2
    assert get(PROPS, "scalingConfig.nope", "d") == "d"
    assert get(PROPS, "containers[5].name", "d") == "d"
    assert get(PROPS, "scalingConfig.maxSize.deeper", "d") == "d"
    assert get(PROPS, "containers.name", "d") == "d"  # a list read by key
    assert get(PROPS, "labels[0]", "d") == "d"  # a mapping read by position
    assert get("text", "[0]", "d") == "d"  # a string is not a list
    assert get(None, "a", "d") == "d"


def test_get_raises_when_a_rule_reads_a_value_unknown_during_a_preview():
    # GIVEN the read-only mapping the policy SDK hands a rule, with a value unknown in a preview
    props = unknown_checking_proxy({"known": {"a": 1}, "later": "04da6b54-80e4-46f7-96ec-b56ff0331ba9"})
    # THEN known values read as usual and the unknown one raises (the CLI reports the rule as advisory)
    assert get(props, "known.a") == 1
    assert get(props, "missing", "d") == "d"
    with pytest.raises(UnknownValueError):
        get(props, "later")


def test_parse_path_splits_keys_and_positions():
    assert parse_path("spec.template.spec.containers[0].resources") == (
        "spec",
        "template",
        "spec",
        "containers",
        0,
        "resources",
    )


def test_resource_view_reads_its_props_and_names_its_package():
    r = Resource(AWS_EKS_NODE_GROUP, "gpu", PROPS)
    assert r.get("scalingConfig.maxSize") == 4
    assert r.package == "aws"
    assert (r.urn, r.id, r.parent, r.provider, dict(r.provider_props)) == ("", None, None, None, {})


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("8", 8),
        ("500m", 0.5),
        ("1.5", 1.5),
        ("1k", 1000),
        ("1Ki", 1024),
        ("1M", 1e6),
        ("1Mi", 2**20),
        ("1G", 1e9),
        ("1Gi", 2**30),
        ("2T", 2e12),
        ("1Ti", 2**40),
        ("1e3", 1000),
        (".5", 0.5),
        (4, 4),
        (0.25, 0.25),
    ],
)
def test_quantity_is_exact_with_decimal_and_binary_suffixes(text, number):
    assert quantity(text) == pytest.approx(number)


@pytest.mark.parametrize("text", [None, True, "", "abc", "1 Gi", "1Gb", "Gi"])
def test_quantity_is_none_for_what_is_not_a_quantity(text):
    assert quantity(text) is None


def test_cpu_and_sizes_in_the_units_readers_want():
    assert cpu_millis("500m") == 500
    assert cpu_millis("2") == 2000
    assert cpu_millis(0.1) == 100
    assert cpu_millis(None) == 0
    assert cpu_millis("bogus", default=-1) == -1
    assert size_mib("512Mi") == 512
    assert size_mib("1Gi") == 1024
    assert size_mib("1G") == 953  # 10^9 bytes, rounded down
    assert size_mib(str(2**30)) == 1024  # plain bytes
    assert size_mib(None) == 0
    assert size_bytes("1Gi") == 2**30
    assert size_gib("64Gi") == 64
    assert size_gib("512Mi") == 0.5
    assert math.isclose(size_gib("1G") or 0, 1e9 / 2**30)
    assert size_gib("nope") is None
