"""What every shipped stack must satisfy, checked on the stack files themselves (stacks/Pulumi.<stack>.yaml).

The component tests prove each behaviour on small fixtures (tests/fixtures.py); these prove the stacks we ship
keep to it, with the same checks.
"""

from __future__ import annotations

import pytest

from tests.components.aws.test_gpu_cluster import (
    assert_nodepools_carry_their_pools_gpus,
    assert_taggable_aws_resources_carry_the_cost_tags,
)
from tests.components.aws.test_iam_lint import assert_every_policy_document_passes_the_linter
from tests.components.gcp.test_endpoints_monitoring_platform import (
    assert_labelable_gcp_resources_carry_the_cost_labels,
)
from tests.conftest import AWS_STACKS, GCP_STACKS, planned, stack_document


@pytest.mark.parametrize("stack", AWS_STACKS)
def test_every_nodepool_instance_type_carries_the_requested_gpus(stack):
    assert_nodepools_carry_their_pools_gpus(planned(stack), stack_document(stack))


@pytest.mark.parametrize("stack", AWS_STACKS)
def test_every_taggable_aws_resource_carries_the_cost_tags(stack):
    assert_taggable_aws_resources_carry_the_cost_tags(planned(stack))


@pytest.mark.parametrize("stack", GCP_STACKS)
def test_every_labelable_gcp_resource_carries_the_cost_labels(stack):
    assert_labelable_gcp_resources_carry_the_cost_labels(planned(stack))


@pytest.mark.parametrize("stack", AWS_STACKS)
def test_every_policy_document_passes_the_linter(stack):
    assert_every_policy_document_passes_the_linter(planned(stack))
