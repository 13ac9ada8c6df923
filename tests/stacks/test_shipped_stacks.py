"""What every shipped stack must satisfy, checked on the stack files themselves (stacks/Pulumi.<stack>.yaml).

The component tests prove each behaviour on small fixtures (tests/fixtures.py); these prove that the stacks we ship
keep to it, with the same checks.
"""

from __future__ import annotations

import pytest

from mlplatform.components.config import Environment, parse_platform_spec
from tests.components.aws.test_gpu_cluster import (
    assert_nodepools_carry_their_pools_gpus,
    assert_taggable_aws_resources_carry_the_cost_tags,
)
from tests.components.aws.test_iam_lint import assert_every_policy_document_passes_the_linter
from tests.components.compositions.test_serving import assert_serving_custom_resources_validate_against_the_pinned_apis
from tests.components.gcp.test_endpoints_monitoring_platform import (
    assert_labelable_gcp_resources_carry_the_cost_labels,
)
from tests.components.k8s.test_manifests import (
    assert_builtin_kinds_validate_strictly,
    assert_helm_values_pod_fragments_validate,
    assert_karpenter_objects_match_the_v1_api,
)
from tests.components.k8s.test_notebooks import (
    assert_every_profile_spawns_a_valid_pod_on_its_nodes,
    assert_values_validate_against_the_charts_schema,
)
from tests.components.k8s.test_ray import assert_ray_cluster_validates_against_the_kuberay_crd_and_kubernetes
from tests.conftest import AWS_STACKS, GCP_STACKS, STACKS, planned, stack_document


def stacks_with(section: str) -> list[str]:
    """The shipped stacks that enable ``section`` (notebooks, ray)."""
    return [s for s in STACKS if stack_document(s).get(section, {}).get("enabled")]


def stacks_serving_models() -> list[str]:
    return [s for s in STACKS if stack_document(s).get("serving", {}).get("servers")]


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


@pytest.mark.parametrize("stack", STACKS)
def test_builtin_kinds_validate_strictly(stack):
    assert_builtin_kinds_validate_strictly(planned(stack))


@pytest.mark.parametrize("stack", STACKS)
def test_helm_values_pod_fragments_validate(stack):
    assert_helm_values_pod_fragments_validate(planned(stack))


@pytest.mark.parametrize("stack", AWS_STACKS)
def test_karpenter_objects_match_the_v1_api(stack):
    assert_karpenter_objects_match_the_v1_api(planned(stack))


@pytest.mark.parametrize("stack", stacks_with("ray"))
def test_ray_cluster_validates_against_the_kuberay_crd_and_kubernetes(stack):
    assert_ray_cluster_validates_against_the_kuberay_crd_and_kubernetes(planned(stack))


@pytest.mark.parametrize("stack", stacks_with("notebooks"))
def test_jupyterhub_values_validate_against_the_charts_schema(stack):
    assert_values_validate_against_the_charts_schema(planned(stack))


@pytest.mark.parametrize("stack", stacks_with("notebooks"))
def test_every_notebook_profile_spawns_a_valid_pod_on_its_nodes(stack, offline_kubeconfig):
    assert_every_profile_spawns_a_valid_pod_on_its_nodes(planned(stack))


@pytest.mark.parametrize("stack", stacks_serving_models())
def test_every_serving_custom_resource_validates_against_the_pinned_apis(stack):
    assert_serving_custom_resources_validate_against_the_pinned_apis(planned(stack))


@pytest.mark.parametrize("stack", STACKS)
def test_shipped_stack_validates(stack):
    # GIVEN a shipped stack file WHEN its document is parsed THEN it validates
    spec = parse_platform_spec(stack_document(stack), f"stacks/Pulumi.{stack}.yaml")
    assert spec.environment == Environment(stack.removeprefix("gcp-"))
    assert spec.cluster.gpu_pools, "every shipped stack has GPU pools"
