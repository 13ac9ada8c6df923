"""The dev stack's choices (stacks/Pulumi.dev.yaml): cheapest possible while idle."""

from __future__ import annotations

from mlplatform.components.base.types import K8S_KARPENTER_NODE_POOL
from mlplatform.components.cost.usage import load_usage
from mlplatform.cost import cost_of
from tests.components.aws.test_gpu_cluster import requirement
from tests.conftest import ROOT, planned, stack_document


def test_dev_pools_are_spot_only_and_bounded_by_the_stack_files_max_nodes():
    # how a NodePool's limits follow its pool is the component's test; here, that dev buys spot only, within its file
    plan, pools = planned("dev"), {p["name"]: p for p in stack_document("dev")["cluster"]["gpu_pools"]}
    for np in plan.by_type(K8S_KARPENTER_NODE_POOL):
        pool = pools[np.input("metadata.name")]
        assert requirement(np, "karpenter.sh/capacity-type")["values"] == ["spot"]
        assert np.input("spec.limits")["nvidia.com/gpu"] == str(pool["max_nodes"] * pool.get("gpus_per_node", 1))


def test_the_dev_platform_still_idles_under_150_dollars_with_serving_on():
    report = cost_of(planned("dev"), load_usage(ROOT / "stacks" / "usage.dev.yaml"))
    assert report.total("idle") <= 150.0
    serving = [c for c in report.estimated if "serving" in c.resource.name]
    assert serving and sum(c.estimate.idle for c in serving) == 0.0
