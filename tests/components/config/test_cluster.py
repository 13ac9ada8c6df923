"""The cluster section: GPU pools checked against the catalog, system nodes, versions and admins."""

from __future__ import annotations

import pytest

from mlplatform.components.aws.gpu_node_groups import shape_groups
from mlplatform.components.aws.karpenter import KarpenterSettings, node_pool_specs
from mlplatform.components.base.cloud import Cloud
from mlplatform.components.config import GpuPoolSpec
from mlplatform.components.gcp.gpu_cluster import gpu_pool_plans
from tests.components.config.documents import Mutation, add_pool, assert_reported, set_key

# (id, mutation of the dev document, exact key path reported, a fragment of the message)
BAD: list[tuple[str, Mutation, str, str]] = [
    ("unknown nested key", set_key("cluster.gpu_pools[0].gpus", 2), "cluster.gpu_pools[0].gpus", "unknown key"),
    (
        "kubernetes version",
        set_key("cluster.kubernetes_version", "1.20"),
        "cluster.kubernetes_version",
        "allowed: 1.31",
    ),
    (
        "provisioner",
        set_key("cluster.provisioner", "fargate"),
        "cluster.provisioner",
        "allowed: karpenter, managed-node-groups",
    ),
    (
        "admin principal not an ARN",
        set_key("cluster.admin_principals", ["alice"]),
        "cluster.admin_principals[0]",
        "IAM role or user ARN",
    ),
    (
        "unknown GPU model",
        set_key("cluster.gpu_pools[0].gpu", "T5"),
        "cluster.gpu_pools[0].gpu",
        "allowed: T4, L4, A10G",
    ),
    (
        "GPU not offered in region",
        set_key("cluster.gpu_pools[0].gpu", "H200"),
        "cluster.gpu_pools[0].gpu",
        "not offered in aws us-east-1",
    ),
    (
        "impossible GPUs per node",
        set_key("cluster.gpu_pools[0].gpus_per_node", 3),
        "cluster.gpu_pools[0].gpus_per_node",
        "allowed: 1, 4, 8",
    ),
    (
        "min above max",
        set_key("cluster.gpu_pools[0].min_nodes", 9),
        "cluster.gpu_pools[0].min_nodes",
        "must be <= max_nodes (4)",
    ),
    ("max nodes zero", set_key("cluster.gpu_pools[0].max_nodes", 0), "cluster.gpu_pools[0].max_nodes", ">= 1"),
    (
        "capacity",
        set_key("cluster.gpu_pools[0].capacity", "reserved"),
        "cluster.gpu_pools[0].capacity",
        "allowed: spot, on-demand, spot-with-on-demand-fallback",
    ),
    (
        "pool name not a DNS label",
        set_key("cluster.gpu_pools[0].name", "Big_Pool"),
        "cluster.gpu_pools[0].name",
        "DNS label",
    ),
    ("duplicate pool names", add_pool(name="inference"), "cluster.gpu_pools", "repeated: inference"),
    (
        "instance type without the GPU",
        add_pool(instance_types=["g5.xlarge"]),
        "cluster.gpu_pools[2].instance_types[0]",
        "does not carry 1 x T4",
    ),
    (
        "unknown instance type",
        add_pool(instance_types=["g9.huge"]),
        "cluster.gpu_pools[2].instance_types[0]",
        "unknown type",
    ),
    ("bad label key", add_pool(labels={"-bad": "x"}), "cluster.gpu_pools[2].labels.-bad", "Kubernetes label key"),
    (
        "bad taint effect",
        add_pool(taints=[{"key": "a", "effect": "Never"}]),
        "cluster.gpu_pools[2].taints[0].effect",
        "allowed: NoSchedule",
    ),
    (
        "consolidation duration",
        set_key("cluster.gpu_pools[0].consolidate_after", "5 minutes"),
        "cluster.gpu_pools[0].consolidate_after",
        "duration",
    ),
    (
        "system node type with a GPU",
        set_key("cluster.system_nodes", {"instance_types": ["g5.xlarge"]}),
        "cluster.system_nodes.instance_types[0]",
        "not a CPU aws type",
    ),
    ("wrong type for a list", set_key("cluster.gpu_pools", "inference"), "cluster.gpu_pools", "expected a list"),
]


@pytest.mark.parametrize(("mutate", "path", "fragment"), [c[1:] for c in BAD], ids=[c[0] for c in BAD])
def test_raises_with_key_path_value_and_allowed(dev_config, mutate, path, fragment):
    assert_reported(dev_config, mutate, path, fragment)


# --- a pool's node shapes: read from the catalog in one place, the same for every component ------------------------


def test_node_shapes_are_the_types_given_in_order_else_every_offering_cheapest_first():
    listed = GpuPoolSpec(name="p", gpu="L4", max_nodes=2, instance_types=["g6.2xlarge", "g6.xlarge"])
    assert [o.machine_type for o in listed.node_shapes(Cloud.AWS, "us-east-1")] == ["g6.2xlarge", "g6.xlarge"]
    spot = GpuPoolSpec(name="p", gpu="L4", max_nodes=2)
    shapes = spot.node_shapes(Cloud.AWS, "us-east-1")
    assert len(shapes) > 1 and all(o.gpu == "L4" and o.gpus == 1 for o in shapes)
    assert [o.usd_hour("spot") for o in shapes] == sorted(o.usd_hour("spot") for o in shapes)


def test_the_shapes_components_launch_are_the_pools_shapes():
    # GIVEN a pool with several shapes WHEN each provisioner reads it THEN they take their types from node_shapes
    pool = GpuPoolSpec(name="p", gpu="L4", max_nodes=3, instance_types=["g6.xlarge", "g6.2xlarge", "g6.4xlarge"])
    shapes = pool.node_shapes(Cloud.AWS, "us-east-1")
    settings = KarpenterSettings(
        cluster_name="c",
        cluster_arn="arn:aws:eks:us-east-1:123456789012:cluster/c",
        region="us-east-1",
        account_id="123456789012",
        pools=[pool],
        subnet_selector_terms=[],
        tags={},
        node_volume_gib=100,
        imds_hop_limit=1,
        ami_alias="al2023@latest",
        replicas=1,
        provider=None,  # type: ignore[arg-type]  # node_pool_specs reads no provider
    )
    (_, nodepool), *_ = node_pool_specs(settings)
    requirement = nodepool["template"]["spec"]["requirements"][0]
    assert requirement["values"] == sorted(o.machine_type for o in shapes)
    assert nodepool["limits"]["cpu"] == str(3 * max(o.vcpu for o in shapes))
    groups = shape_groups(pool, "us-east-1")
    assert sorted(t for _, types, _, _ in groups for t in types) == sorted(o.machine_type for o in shapes)
    # a GKE node pool has one machine type: the first shape, which is also the one workloads are sized for
    gke = GpuPoolSpec(name="g", gpu="L4", max_nodes=2)
    (plan,) = gpu_pool_plans("us-central1", [gke])
    first = gke.node_shapes(Cloud.GCP, "us-central1")[0]
    smallest = gke.smallest_node(Cloud.GCP, "us-central1")
    assert smallest is not None and plan["machine_type"] == first.machine_type == smallest.machine_type
