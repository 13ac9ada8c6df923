"""The document config tests mutate: the AWS dev fixture (tests/fixtures.py), fresh for each test."""

from __future__ import annotations

import pytest

from tests.fixtures import Doc, aws_dev_config


@pytest.fixture
def dev_config() -> Doc:
    """The AWS dev fixture document: two GPU pools (L4 ``inference``, T4 ``experiments``), the feature store, a
    serverless endpoint, the toolchain and a Triton server; every test may change its copy."""
    return aws_dev_config()
