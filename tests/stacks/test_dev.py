"""The dev stack's choices (stacks/Pulumi.dev.yaml): cheapest possible while idle."""

from __future__ import annotations

from mlplatform.components.base.types import K8S_KARPENTER_NODE_POOL
from mlplatform.components.catalog import load_catalog
from mlplatform.components.cost.usage import load_usage
from mlplatform.cost import cost_of
from tests.components.aws.test_gpu_cluster import requirement
from tests.conftest import ROOT, planned


def test_dev_pools_are_spot_only_and_bounded():
    plan = planned("dev")
    for np in plan.by_type(K8S_KARPENTER_NODE_POOL):
        assert requirement(np, "karpenter.sh/capacity-type")["values"] == ["spot"]
    limits = {np.input("metadata.name"): np.input("spec.limits") for np in plan.by_type(K8S_KARPENTER_NODE_POOL)}
    assert limits["inference"]["nvidia.com/gpu"] == "4"  # max_nodes 4 x 1 GPU
    assert limits["experiments"]["nvidia.com/gpu"] == "2"
    # cpu and memory limits cover max_nodes of the largest allowed shape
    assert int(limits["inference"]["cpu"]) == 4 * max(
        load_catalog().machine_type("aws", t).vcpu
        for t in requirement(
            plan.one(K8S_KARPENTER_NODE_POOL, "mlplatform-cluster-karpenter-inference"),
            "node.kubernetes.io/instance-type",
        )["values"]
    )


def test_the_dev_platform_still_idles_under_150_dollars_with_serving_on():
    report = cost_of(planned("dev"), load_usage(ROOT / "stacks" / "usage.dev.yaml"))
    assert report.total("idle") <= 150.0
    serving = [c for c in report.estimated if "serving" in c.resource.name]
    assert serving and sum(c.estimate.idle for c in serving) == 0.0
