"""Configuration errors say which component instance is wrong, and what a YAML number or a pattern means in words."""

from __future__ import annotations

import pytest

from mlplatform.components.aws import DataLake, DataLakeArgs
from mlplatform.components.base.errors import ConfigError, quoted


def test_names_the_component_instance_when_args_are_built_in_its_call():
    # GIVEN a program with two lakes WHEN the second lake's args are wrong THEN the header names that lake
    with pytest.raises(ConfigError) as info:
        DataLake("raw-lake", DataLakeArgs(region="us-east-1", access_log_expiry_days=0))
    assert str(info.value).startswith('DataLake "raw-lake": 1 invalid setting:')
    assert "args.access_log_expiry_days" in info.value.paths()


def test_names_the_component_instance_when_args_are_a_mapping():
    with pytest.raises(ConfigError) as info:
        DataLake("curated-lake", {"region": "us-east-1", "access_log_expiry_days": 0})
    assert str(info.value).startswith('DataLake "curated-lake": 1 invalid setting:')


def test_names_where_args_were_built_when_no_component_call_is_around_them():
    with pytest.raises(ConfigError) as info:
        DataLakeArgs(region="us-east-1", access_log_expiry_days=0)
    assert str(info.value).startswith("DataLakeArgs at tests/components/base/test_errors.py:")


def test_a_number_where_a_string_is_expected_says_to_quote_it():
    with pytest.raises(ConfigError) as info:
        DataLakeArgs(region=1.5)  # type: ignore[arg-type]
    assert (
        'a number where a string is expected (YAML reads unquoted digits as one); write it quoted: "1.5" (got 1.5)'
        in str(info.value)
    )


def test_quoted_names_the_candidate_a_number_stands_for():
    assert quoted(1.3, ["1.29", "1.30"]) == '"1.30"'
    assert quoted(1.3) == '"1.3"'
    assert quoted(float("inf"), ["inf0"]) == '"inf"'
