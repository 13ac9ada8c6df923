"""Loading a stack's document: the provider region agrees, the reference is complete, and no document, however
malformed, raises anything but a ConfigError. (That every shipped stack validates is tested in tests/stacks.)"""

from __future__ import annotations

import copy

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlplatform.components.base.errors import ConfigError
from mlplatform.components.config import PlatformSpec, describe_fields, parse_platform_spec
from tests.components.config.documents import ROOT_KEY, SOURCE, invalid
from tests.fixtures import aws_dev_config


def test_provider_region_must_match(dev_config):
    with pytest.raises(ConfigError) as info:
        parse_platform_spec(dev_config, SOURCE, provider_region="eu-west-1")
    assert f"{ROOT_KEY}.region" in info.value.paths()
    assert "aws:region" in str(info.value)


def test_not_a_mapping_is_reported():
    error = invalid(["cloud", "aws"])  # type: ignore[arg-type]
    assert error.paths() == [ROOT_KEY]


def test_every_field_is_documented_with_its_default():
    rows = describe_fields(PlatformSpec)
    undocumented = [path for path, doc in rows if not doc]
    assert not undocumented
    assert all("Default" in doc or "Required" in doc for _, doc in rows), [
        p for p, d in rows if "Default" not in d and "Required" not in d
    ]


# --- hypothesis: no random document produces anything but a ConfigError ------------------------------------

json_scalars = st.none() | st.booleans() | st.integers(-10, 10_000) | st.floats(allow_nan=False) | st.text(max_size=12)
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3),
    max_leaves=12,
)
KEYS = list(PlatformSpec.model_fields)


def _mutated_docs():
    """Random replacements of random keys, nested one or two levels deep, in the dev fixture document."""
    paths = st.sampled_from(
        KEYS
        + [f"cluster.{k}" for k in ("gpu_pools", "kubernetes_version", "system_nodes", "admin_principals")]
        + [f"budget.{k}" for k in ("monthly_limit_usd", "actual_thresholds_percent")]
        + ["endpoints", "network.cidr", "tags.team", "data_lake.lifecycle", "mlflow.database"]
    )
    return st.lists(st.tuples(paths, json_values), min_size=1, max_size=4)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(changes=_mutated_docs())
def test_random_documents_never_raise_a_traceback(changes):
    doc = aws_dev_config()
    for path, value in changes:
        cur = doc
        parts = path.split(".")
        for part in parts[:-1]:
            if not isinstance(cur.get(part), dict):
                cur[part] = {}
            cur = cur[part]
        cur[parts[-1]] = copy.deepcopy(value)
    try:
        parse_platform_spec(doc, SOURCE)
    except ConfigError as error:
        assert error.problems, "a ConfigError always lists its problems"
        for problem in error.problems:
            assert str(error).count(ROOT_KEY) >= 1 and problem.message


@settings(max_examples=100, deadline=None)
@given(doc=st.dictionaries(st.text(max_size=12), json_values, max_size=6) | json_values)
def test_arbitrary_documents_never_raise_a_traceback(doc):
    try:
        parse_platform_spec(doc, SOURCE)
    except ConfigError as error:
        assert error.problems
