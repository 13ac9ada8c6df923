"""The root program: each shipped stack plans; an invalid stack registers nothing."""

from __future__ import annotations

import pulumi
import pytest

from mlplatform import engine
from mlplatform.components.base.errors import ConfigError
from mlplatform.components.base.types import MLPLATFORM_PLATFORM
from mlplatform.mocks import MockEnv, PlatformMocks
from tests.conftest import ROOT, STACKS


@pytest.mark.parametrize("stack", STACKS)
def test_stack_plans(stack):
    plan = engine.run(ROOT, stack=stack)
    platform = plan.one(MLPLATFORM_PLATFORM)
    assert platform.outputs["environment"] == stack.removeprefix("gcp-")
    assert platform.outputs["cloud"] == ("gcp" if stack.startswith("gcp-") else "aws")
    assert plan.outputs["cost_tags"]["cost-center"] == "cc-4521"


class CountingMocks(PlatformMocks):
    def __init__(self):
        super().__init__(MockEnv("mlplatform", "dev"))
        self.created: list[str] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        self.created.append(args.typ)
        return super().new_resource(args)


def test_invalid_stack_fails_before_any_resource_is_registered():
    mocks = CountingMocks()
    with pytest.raises(ConfigError) as info:
        engine.run(ROOT, stack="dev", config={"mlplatform:platform": {"cloud": "aws"}}, mocks=mocks)
    assert "mlplatform:platform.region" in info.value.paths()
    assert mocks.created == []
    assert isinstance(info.value, pulumi.RunError), "pulumi up prints RunError without a traceback"


def test_mismatched_provider_region_is_rejected():
    with pytest.raises(ConfigError, match=r"must equal the provider setting aws:region \('eu-west-1'\)"):
        engine.run(ROOT, stack="dev", config={"aws:region": "eu-west-1"})
