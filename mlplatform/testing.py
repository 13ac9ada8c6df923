"""pytest support: test your own Pulumi programs offline, the way mlplatform tests its components.

Installed as a pytest plugin (entry point ``pytest11``), so with mlplatform installed the fixture is simply
available::

    def test_bucket_is_private(pulumi_plan):
        plan = pulumi_plan(my_program, config={"aws:region": "eu-west-1"})
        block = plan.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
        assert block.input("blockPublicAcls") is True

    def test_dev_stack(pulumi_plan):
        plan = pulumi_plan("path/to/project", stack="dev")   # reads stacks the way Pulumi does
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from . import engine
from .plan import Plan

PlanFn = Callable[..., Plan]


@pytest.fixture
def pulumi_plan() -> PlanFn:
    """``pulumi_plan(program, stack="dev", config=None, project=None, secrets=(), mocks=None) -> Plan``.

    ``program`` is a callable (the body of a Pulumi program) or a project directory. Each call is an isolated
    run: nothing leaks between calls, so one test may plan several programs or stacks.
    """

    def plan(program: engine.Program, **kwargs: Any) -> Plan:
        return engine.run(program, **kwargs)

    return plan
