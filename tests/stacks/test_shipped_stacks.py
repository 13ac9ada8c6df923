"""What every shipped stack must satisfy, checked on the stack files themselves (stacks/Pulumi.<stack>.yaml).

The component tests prove each behaviour on small fixtures (tests/fixtures.py); these prove that the stacks we ship
keep to it, with the same checks.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from mlplatform.components.config import Environment, parse_platform_spec
from mlplatform.plan import Plan
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


def on_plan(check: Callable[[Plan], None]) -> Callable[[Plan, str], None]:
    """A component test's check of a whole Plan, as a check of a shipped stack's Plan."""
    return lambda plan, _stack: check(plan)


def nodepools_carry_their_pools_gpus(plan: Plan, stack: str) -> None:
    assert_nodepools_carry_their_pools_gpus(plan, stack_document(stack))


# The component tests' checks of a whole Plan, and the shipped stacks each applies to.
CHECKS: dict[str, tuple[Callable[[Plan, str], None], list[str]]] = {
    "nodepool-types-carry-the-pools-gpus": (nodepools_carry_their_pools_gpus, AWS_STACKS),
    "aws-cost-tags": (on_plan(assert_taggable_aws_resources_carry_the_cost_tags), AWS_STACKS),
    "gcp-cost-labels": (on_plan(assert_labelable_gcp_resources_carry_the_cost_labels), GCP_STACKS),
    "policy-documents-lint": (on_plan(assert_every_policy_document_passes_the_linter), AWS_STACKS),
    "builtin-kinds-validate": (on_plan(assert_builtin_kinds_validate_strictly), STACKS),
    "helm-pod-fragments-validate": (on_plan(assert_helm_values_pod_fragments_validate), STACKS),
    "karpenter-v1-api": (on_plan(assert_karpenter_objects_match_the_v1_api), AWS_STACKS),
    "ray-cluster-validates": (
        on_plan(assert_ray_cluster_validates_against_the_kuberay_crd_and_kubernetes),
        stacks_with("ray"),
    ),
    "jupyterhub-values-validate": (on_plan(assert_values_validate_against_the_charts_schema), stacks_with("notebooks")),
    "notebook-profiles-spawn": (
        on_plan(assert_every_profile_spawns_a_valid_pod_on_its_nodes),
        stacks_with("notebooks"),
    ),
    "serving-resources-validate": (
        on_plan(assert_serving_custom_resources_validate_against_the_pinned_apis),
        stacks_serving_models(),
    ),
}


@pytest.mark.parametrize(
    ("check", "stack"),
    [pytest.param(check, stack, id=f"{name}-{stack}") for name, (check, stacks) in CHECKS.items() for stack in stacks],
)
def test_every_shipped_stack_passes_the_component_tests_checks(check, stack, offline_kubeconfig):
    # offline_kubeconfig: the notebook profiles' check creates a KubeSpawner, which loads a kubeconfig
    check(planned(stack), stack)


@pytest.mark.parametrize("stack", STACKS)
def test_shipped_stack_validates(stack):
    # GIVEN a shipped stack file WHEN its document is parsed THEN it validates
    spec = parse_platform_spec(stack_document(stack), f"stacks/Pulumi.{stack}.yaml")
    assert spec.environment == Environment(stack.removeprefix("gcp-"))
    assert spec.cluster.gpu_pools, "every shipped stack has GPU pools"
