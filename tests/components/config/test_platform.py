"""The whole document: top-level keys, and the rules across sections (every problem at once, GCP versus AWS)."""

from __future__ import annotations

import pytest

from mlplatform.components.base.errors import Problems
from mlplatform.components.config import GpuPoolSpec
from mlplatform.components.config.platform import check_pool_ref
from tests.components.config.documents import ROOT_KEY, Mutation, assert_reported, invalid, set_key

# (id, mutation of the dev document, exact key path reported, a fragment of the message)
BAD: list[tuple[str, Mutation, str, str]] = [
    ("unknown top-level key", set_key("clustr", {}), "clustr", "unknown key; allowed keys: cloud, region"),
    ("bad cloud", set_key("cloud", "azure"), "cloud", "allowed: aws, gcp"),
    ("bad environment", set_key("environment", "qa"), "environment", "allowed: dev, staging, prod"),
    ("region not in catalog", set_key("region", "ap-south-2"), "region", "allowed: us-east-1, us-west-2, eu-west-1"),
    ("gcp project on aws", set_key("gcp_project", "my-project-123"), "gcp_project", "only valid when cloud is gcp"),
]


@pytest.mark.parametrize(("mutate", "path", "fragment"), [c[1:] for c in BAD], ids=[c[0] for c in BAD])
def test_raises_with_key_path_value_and_allowed(dev_config, mutate, path, fragment):
    assert_reported(dev_config, mutate, path, fragment)


def test_reports_every_problem_at_once(dev_config):
    # GIVEN mistakes in four different sections
    dev_config["network"] = {"cidr": "nonsense"}
    dev_config["cluster"]["gpu_pools"][0]["gpu"] = "T5"
    dev_config["cluster"]["gpu_pools"][1]["min_nodes"] = 7
    dev_config["feature_store"]["online_store"] = "firestore"
    dev_config["budget"]["monthly_limit_usd"] = 0
    # WHEN parsed THEN all are reported in one error
    error = invalid(dev_config)
    assert {
        f"{ROOT_KEY}.network.cidr",
        f"{ROOT_KEY}.cluster.gpu_pools[0].gpu",
        f"{ROOT_KEY}.cluster.gpu_pools[1].min_nodes",
        f"{ROOT_KEY}.feature_store.online_store",
        f"{ROOT_KEY}.budget.monthly_limit_usd",
    } <= set(error.paths())
    assert "5 invalid settings" in str(error)


def test_message_shows_the_value_received(dev_config):
    dev_config["cluster"]["gpu_pools"][0]["gpu"] = "T5"
    assert "(got 'T5')" in str(invalid(dev_config))


def test_gcp_requires_project_and_label_safe_tags(dev_config):
    dev_config.update(cloud="gcp", region="us-central1")
    dev_config["tags"]["team"] = "ML Platform"
    dev_config["feature_store"] = {}
    dev_config["cluster"]["gpu_pools"] = [{"name": "inference", "gpu": "L4", "max_nodes": 2}]
    dev_config["endpoints"] = []
    dev_config["cluster"]["admin_principals"] = ["group:ml-admins@example.com"]
    error = invalid(dev_config)
    assert f"{ROOT_KEY}.gcp_project" in error.paths()
    assert f"{ROOT_KEY}.gcp_billing_account" in error.paths()
    assert f"{ROOT_KEY}.tags.team" in error.paths()


def test_gcp_rejects_aws_only_settings(dev_config):
    dev_config.update(
        cloud="gcp", region="us-central1", gcp_project="ml-dev-123", gcp_billing_account="01A2B3-C4D5E6-F7A8B9"
    )
    dev_config["feature_store"] = {}
    dev_config["cluster"]["gpu_pools"] = [{"name": "inference", "gpu": "L4", "max_nodes": 2}]
    dev_config["cluster"]["zones"] = ["us-central1-a"]
    dev_config["endpoints"] = []
    error = invalid(dev_config)  # the AWS role ARN of the AWS dev stack
    assert error.paths() == [f"{ROOT_KEY}.cluster.admin_principals[0]"]
    assert "IAM member such as user:alice@example.com" in str(error)
    dev_config["cluster"]["admin_principals"] = []
    dev_config["network"] = {"nat": "per-az"}
    dev_config["cluster"]["provisioner"] = "managed-node-groups"
    error = invalid(dev_config)
    assert set(error.paths()) == {f"{ROOT_KEY}.network.nat", f"{ROOT_KEY}.cluster.provisioner"}
    assert "allowed: single (Cloud NAT), none" in str(error)


# --- one check for every workload that names a GPU pool ------------------------------------------------------------


def test_a_pool_reference_is_checked_once_for_name_gpus_and_limit():
    pools = [GpuPoolSpec(name="inference", gpu="L4", max_nodes=2)]  # 2 GPUs at most
    p = Problems()
    assert check_pool_ref(p, "ray.worker_groups[0]", pools, "inference", 1, count=2, count_key="max_workers")
    assert check_pool_ref(p, "batch[0]", pools, "h100s", 1) is None
    check_pool_ref(p, "notebooks.profiles[1]", pools, "inference", 2)
    check_pool_ref(p, "serving.servers[0]", pools, "inference", 1, count=3, count_key="max_replicas")
    assert p.items == [
        ("batch[0].gpu_pool", "not a GPU pool of cluster.gpu_pools; pools: inference", "h100s"),
        ("notebooks.profiles[1].gpus", "pool inference has 1 GPU(s) per node", 2),
        (
            "serving.servers[0].max_replicas",
            "3 replicas x 1 GPU(s) exceed pool inference's GPU limit (2: max_nodes x gpus_per_node)",
            3,
        ),
    ]
