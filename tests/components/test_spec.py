"""The platform configuration: shipped stacks validate; bad input names the key path, value and allowed values."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from components.base.errors import ConfigError
from components.spec import (
    Capacity,
    Environment,
    NatStrategy,
    PlatformSpec,
    describe_fields,
    parse_platform_spec,
)
from tests.conftest import STACKS, stack_document

SOURCE = "stacks/Pulumi.dev.yaml"
ROOT_KEY = "mlplatform:platform"


def invalid(doc: dict[str, Any]) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        parse_platform_spec(doc, SOURCE)
    return info.value


@pytest.mark.parametrize("stack", STACKS)
def test_shipped_stack_validates(stack):
    # GIVEN a shipped stack file WHEN its document is parsed THEN it validates
    spec = parse_platform_spec(stack_document(stack), f"stacks/Pulumi.{stack}.yaml")
    assert spec.environment == Environment(stack.removeprefix("gcp-"))
    assert spec.cluster.gpu_pools, "every shipped stack has GPU pools"


def test_dev_defaults_are_cheap(dev_doc):
    spec = parse_platform_spec(dev_doc)
    assert spec.network.nat is NatStrategy.INSTANCE
    assert spec.network.availability_zones == 2
    assert spec.cluster.endpoint_public_access is True
    assert str(spec.cluster.system_nodes.capacity) == "spot"
    assert all(p.min_nodes == 0 and p.capacity is Capacity.SPOT for p in spec.cluster.gpu_pools)
    assert spec.mlflow.database.instance_class == "db.t4g.micro"
    assert spec.mlflow.replicas == 1


def test_prod_defaults_are_resilient():
    spec = parse_platform_spec(stack_document("prod"))
    assert spec.network.nat is NatStrategy.PER_AZ
    assert spec.network.availability_zones == 3
    # Public, but only to the deployer's and admins' egress: the same deploy creates in-cluster resources.
    assert spec.cluster.endpoint_public_access is True
    assert spec.cluster.public_access_cidrs and "0.0.0.0/0" not in spec.cluster.public_access_cidrs
    assert str(spec.cluster.system_nodes.capacity) == "on-demand"
    assert spec.mlflow.replicas == 2
    assert spec.mlflow.database.backup_retention_days == 14


def test_tag_set_carries_cost_tags(dev_doc):
    tags = parse_platform_spec(dev_doc).tag_set("dev")
    assert tags["team"] == "ml-platform" and tags["project"] == "recsys" and tags["cost-center"] == "cc-4521"
    assert tags["environment"] == "dev" and tags["managed-by"] == "pulumi"


def _set(path: str, value: Any) -> Callable[[dict], None]:
    """A mutation that sets `a.b[0].c` in a document."""

    def apply(doc: dict) -> None:
        parts = path.replace("]", "").replace("[", ".").split(".")
        cur: Any = doc
        for part in parts[:-1]:
            cur = cur[int(part)] if part.isdigit() else cur.setdefault(part, {})
        last = parts[-1]
        if last.isdigit():
            cur[int(last)] = value
        else:
            cur[last] = value

    return apply


def _delete(path: str) -> Callable[[dict], None]:
    def apply(doc: dict) -> None:
        parts = path.split(".")
        cur = doc
        for part in parts[:-1]:
            cur = cur[part]
        del cur[parts[-1]]

    return apply


def _pool(**fields: Any) -> Callable[[dict], None]:
    def apply(doc: dict) -> None:
        doc["cluster"]["gpu_pools"].append({"name": "extra", "gpu": "T4", "max_nodes": 2, **fields})

    return apply


REALTIME_VARIANT = {"name": "a", "image": "img", "model_data": "m/model.tar.gz", "instance_type": "ml.m5.large"}

# (id, mutation of the dev document, exact key path reported, a fragment of the message)
BAD_CONFIGS: list[tuple[str, Callable[[dict], None], str, str]] = [
    ("unknown top-level key", _set("clustr", {}), "clustr", "unknown key; allowed keys: cloud, region"),
    ("unknown nested key", _set("cluster.gpu_pools[0].gpus", 2), "cluster.gpu_pools[0].gpus", "unknown key"),
    ("bad cloud", _set("cloud", "azure"), "cloud", "allowed: aws, gcp"),
    ("bad environment", _set("environment", "qa"), "environment", "allowed: dev, staging, prod"),
    ("region not in catalog", _set("region", "ap-south-2"), "region", "allowed: us-east-1, us-west-2, eu-west-1"),
    ("missing cost tag", _delete("tags.cost_center"), "tags.cost_center", "required key is missing"),
    ("tag value with bad characters", _set("tags.team", "ml#platform"), "tags.team", "AWS tag rules"),
    ("vpc cidr with host bits", _set("network.cidr", "10.40.0.1/16"), "network.cidr", "no host bits"),
    ("vpc cidr too small", _set("network.cidr", "10.40.0.0/22"), "network.cidr", "between /16 and /20"),
    ("nat strategy", _set("network.nat", "two"), "network.nat", "allowed: instance, single, per-az, none"),
    ("one availability zone", _set("network.availability_zones", 1), "network.availability_zones", ">= 2"),
    ("kubernetes version", _set("cluster.kubernetes_version", "1.20"), "cluster.kubernetes_version", "allowed: 1.31"),
    (
        "provisioner",
        _set("cluster.provisioner", "fargate"),
        "cluster.provisioner",
        "allowed: karpenter, managed-node-groups",
    ),
    (
        "admin principal not an ARN",
        _set("cluster.admin_principals", ["alice"]),
        "cluster.admin_principals[0]",
        "IAM role or user ARN",
    ),
    ("unknown GPU model", _set("cluster.gpu_pools[0].gpu", "T5"), "cluster.gpu_pools[0].gpu", "allowed: T4, L4, A10G"),
    (
        "GPU not offered in region",
        _set("cluster.gpu_pools[0].gpu", "H200"),
        "cluster.gpu_pools[0].gpu",
        "not offered in aws us-east-1",
    ),
    (
        "impossible GPUs per node",
        _set("cluster.gpu_pools[0].gpus_per_node", 3),
        "cluster.gpu_pools[0].gpus_per_node",
        "allowed: 1, 4, 8",
    ),
    (
        "min above max",
        _set("cluster.gpu_pools[0].min_nodes", 9),
        "cluster.gpu_pools[0].min_nodes",
        "must be <= max_nodes (4)",
    ),
    ("max nodes zero", _set("cluster.gpu_pools[0].max_nodes", 0), "cluster.gpu_pools[0].max_nodes", ">= 1"),
    (
        "capacity",
        _set("cluster.gpu_pools[0].capacity", "reserved"),
        "cluster.gpu_pools[0].capacity",
        "allowed: spot, on-demand, spot-with-on-demand-fallback",
    ),
    (
        "pool name not a DNS label",
        _set("cluster.gpu_pools[0].name", "Big_Pool"),
        "cluster.gpu_pools[0].name",
        "DNS label",
    ),
    ("duplicate pool names", _pool(name="inference"), "cluster.gpu_pools", "repeated: inference"),
    (
        "instance type without the GPU",
        _pool(instance_types=["g5.xlarge"]),
        "cluster.gpu_pools[2].instance_types[0]",
        "does not carry 1 x T4",
    ),
    (
        "unknown instance type",
        _pool(instance_types=["g9.huge"]),
        "cluster.gpu_pools[2].instance_types[0]",
        "unknown type",
    ),
    ("bad label key", _pool(labels={"-bad": "x"}), "cluster.gpu_pools[2].labels.-bad", "Kubernetes label key"),
    (
        "bad taint effect",
        _pool(taints=[{"key": "a", "effect": "Never"}]),
        "cluster.gpu_pools[2].taints[0].effect",
        "allowed: NoSchedule",
    ),
    (
        "consolidation duration",
        _set("cluster.gpu_pools[0].consolidate_after", "5 minutes"),
        "cluster.gpu_pools[0].consolidate_after",
        "duration",
    ),
    (
        "system node type with a GPU",
        _set("cluster.system_nodes", {"instance_types": ["g5.xlarge"]}),
        "cluster.system_nodes.instance_types[0]",
        "not a CPU aws type",
    ),
    (
        "offline store of another cloud",
        _set("feature_store.offline_store", "bigquery"),
        "feature_store.offline_store",
        "allowed: file, athena",
    ),
    (
        "online store of another cloud",
        _set("feature_store.online_store", "firestore"),
        "feature_store.online_store",
        "allowed: dynamodb, redis",
    ),
    (
        "lifecycle days out of order",
        _set("data_lake.lifecycle", {"intelligent_tiering_after_days": 90, "glacier_after_days": 30}),
        "data_lake.lifecycle.glacier_after_days",
        "must be after intelligent_tiering_after_days (90)",
    ),
    (
        "lifecycle for unknown zone",
        _set("data_lake.zone_lifecycle", {"bronze": {}}),
        "data_lake.zone_lifecycle.bronze",
        "unknown zone",
    ),
    (
        "database engine version",
        _set("mlflow.database", {"engine_version": "9.6"}),
        "mlflow.database.engine_version",
        "allowed: 14, 15, 16, 17",
    ),
    ("mlflow replicas zero", _set("mlflow.replicas", 0), "mlflow.replicas", ">= 1"),
    (
        "ingress host not a hostname",
        _set("mlflow.ingress_host", "http://mlflow"),
        "mlflow.ingress_host",
        "DNS hostname",
    ),
    (
        "serverless memory",
        _set("endpoints[0].serverless.memory_mb", 1500),
        "endpoints[0].serverless.memory_mb",
        "allowed: 1024, 2048",
    ),
    (
        "serverless concurrency",
        _set("endpoints[0].serverless.max_concurrency", 500),
        "endpoints[0].serverless.max_concurrency",
        "SageMaker serverless allows at most 200",
    ),
    (
        "provisioned above max",
        _set("endpoints[0].serverless.provisioned_concurrency", 9),
        "endpoints[0].serverless.provisioned_concurrency",
        "must be <= max_concurrency (5)",
    ),
    (
        "GPU on serverless",
        _set("endpoints[0].variants[0].instance_type", "ml.g5.xlarge"),
        "endpoints[0].variants[0].instance_type",
        "serverless endpoints cannot use GPUs",
    ),
    (
        "data capture on serverless",
        _set("endpoints[0].data_capture_percent", 10),
        "endpoints[0].data_capture_percent",
        "use mode: realtime",
    ),
    (
        "all weights zero",
        _set(
            "endpoints[0]",
            {
                "name": "ab",
                "mode": "realtime",
                "variants": [{**REALTIME_VARIANT, "weight": 0}, {**REALTIME_VARIANT, "name": "b", "weight": 0}],
            },
        ),
        "endpoints[0].variants",
        "weight > 0",
    ),
    (
        "duplicate variant names",
        _set("endpoints[0]", {"name": "ab", "mode": "realtime", "variants": [REALTIME_VARIANT, REALTIME_VARIANT]}),
        "endpoints[0].variants",
        "repeated: a",
    ),
    (
        "instance type SageMaker does not offer",
        _set(
            "endpoints[0]",
            {"name": "ab", "mode": "realtime", "variants": [{**REALTIME_VARIANT, "instance_type": "ml.z9.mega"}]},
        ),
        "endpoints[0].variants[0].instance_type",
        "not a SageMaker instance type",
    ),
    ("alert email", _set("monitoring.alert_emails", ["not-an-email"]), "monitoring.alert_emails[0]", "email"),
    (
        "alert webhook over http",
        _set("monitoring.alert_https_endpoints", ["http://x.example.com"]),
        "monitoring.alert_https_endpoints[0]",
        "https:// URL",
    ),
    ("missing budget", _delete("budget"), "budget", "required key is missing"),
    ("negative budget", _set("budget.monthly_limit_usd", -5), "budget.monthly_limit_usd", "> 0"),
    ("gcp project on aws", _set("gcp_project", "my-project-123"), "gcp_project", "only valid when cloud is gcp"),
    ("wrong type for a list", _set("cluster.gpu_pools", "inference"), "cluster.gpu_pools", "expected a list"),
]


@pytest.mark.parametrize(("mutate", "path", "fragment"), [c[1:] for c in BAD_CONFIGS], ids=[c[0] for c in BAD_CONFIGS])
def test_raises_with_key_path_value_and_allowed(dev_doc, mutate, path, fragment):
    # GIVEN the dev document with one mistake
    mutate(dev_doc)
    # WHEN it is parsed THEN the error names the stack file and the exact full key path, with a clear message
    error = invalid(dev_doc)
    full = f"{ROOT_KEY}.{path}"
    assert full in error.paths(), f"{full} not in {error.paths()}\n{error}"
    line = next(line for line in str(error).splitlines() if f"{full}:" in line)
    assert line.strip().startswith(f"- {full}:")
    assert fragment in line, line
    assert str(error).startswith(f"{SOURCE}: ")


def test_reports_every_problem_at_once(dev_doc):
    # GIVEN mistakes in four different sections
    dev_doc["network"]["cidr"] = "nonsense"
    dev_doc["cluster"]["gpu_pools"][0]["gpu"] = "T5"
    dev_doc["cluster"]["gpu_pools"][1]["min_nodes"] = 7
    dev_doc["feature_store"]["online_store"] = "firestore"
    dev_doc["budget"]["monthly_limit_usd"] = 0
    # WHEN parsed THEN all are reported in one error
    error = invalid(dev_doc)
    assert {
        f"{ROOT_KEY}.network.cidr",
        f"{ROOT_KEY}.cluster.gpu_pools[0].gpu",
        f"{ROOT_KEY}.cluster.gpu_pools[1].min_nodes",
        f"{ROOT_KEY}.feature_store.online_store",
        f"{ROOT_KEY}.budget.monthly_limit_usd",
    } <= set(error.paths())
    assert "5 invalid settings" in str(error)


def test_message_shows_the_value_received(dev_doc):
    dev_doc["cluster"]["gpu_pools"][0]["gpu"] = "T5"
    assert "(got 'T5')" in str(invalid(dev_doc))


def test_provider_region_must_match(dev_doc):
    with pytest.raises(ConfigError) as info:
        parse_platform_spec(dev_doc, SOURCE, provider_region="eu-west-1")
    assert f"{ROOT_KEY}.region" in info.value.paths()
    assert "aws:region" in str(info.value)


def test_not_a_mapping_is_reported():
    error = invalid(["cloud", "aws"])  # type: ignore[arg-type]
    assert error.paths() == [ROOT_KEY]


def test_gcp_requires_project_and_label_safe_tags(dev_doc):
    dev_doc.update(cloud="gcp", region="us-central1")
    dev_doc["tags"]["team"] = "ML Platform"
    dev_doc["feature_store"] = {}
    dev_doc["cluster"]["gpu_pools"] = [{"name": "inference", "gpu": "L4", "max_nodes": 2}]
    dev_doc["endpoints"] = []
    dev_doc["cluster"]["admin_principals"] = ["group:ml-admins@example.com"]
    error = invalid(dev_doc)
    assert f"{ROOT_KEY}.gcp_project" in error.paths()
    assert f"{ROOT_KEY}.gcp_billing_account" in error.paths()
    assert f"{ROOT_KEY}.tags.team" in error.paths()


def test_gcp_rejects_aws_only_settings(dev_doc):
    dev_doc.update(
        cloud="gcp", region="us-central1", gcp_project="ml-dev-123", gcp_billing_account="01A2B3-C4D5E6-F7A8B9"
    )
    dev_doc["feature_store"] = {}
    dev_doc["cluster"]["gpu_pools"] = [{"name": "inference", "gpu": "L4", "max_nodes": 2}]
    dev_doc["cluster"]["zones"] = ["us-central1-a"]
    dev_doc["endpoints"] = []
    error = invalid(dev_doc)  # the AWS role ARN of the AWS dev stack
    assert error.paths() == [f"{ROOT_KEY}.cluster.admin_principals[0]"]
    assert "IAM member such as user:alice@example.com" in str(error)
    dev_doc["cluster"]["admin_principals"] = []
    dev_doc["network"] = {"nat": "per-az"}
    dev_doc["cluster"]["provisioner"] = "managed-node-groups"
    error = invalid(dev_doc)
    assert set(error.paths()) == {f"{ROOT_KEY}.network.nat", f"{ROOT_KEY}.cluster.provisioner"}
    assert "allowed: single (Cloud NAT), none" in str(error)


def test_every_field_is_documented_with_its_default():
    rows = describe_fields(PlatformSpec)
    undocumented = [path for path, doc in rows if not doc]
    assert not undocumented
    assert all("Default" in doc or "Required" in doc for _, doc in rows), [
        p for p, d in rows if "Default" not in d and "Required" not in d
    ]


# --- hypothesis: no random document produces anything but a ConfigError ------------------------------------

json_scalars = st.none() | st.booleans() | st.integers(-10, 10_000) | st.floats(allow_nan=False) | st.text(max_size=12)
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3),
    max_leaves=12,
)
KEYS = list(PlatformSpec.model_fields)


def _mutated_docs():
    """Random replacements of random keys, nested one or two levels deep, in the dev document."""
    paths = st.sampled_from(
        KEYS
        + [f"cluster.{k}" for k in ("gpu_pools", "kubernetes_version", "system_nodes", "admin_principals")]
        + [f"budget.{k}" for k in ("monthly_limit_usd", "actual_thresholds_percent")]
        + ["endpoints", "network.cidr", "tags.team", "data_lake.lifecycle", "mlflow.database"]
    )
    return st.lists(st.tuples(paths, json_values), min_size=1, max_size=4)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(changes=_mutated_docs())
def test_random_documents_never_raise_a_traceback(changes):
    doc = stack_document("dev")
    for path, value in changes:
        cur = doc
        parts = path.split(".")
        for part in parts[:-1]:
            if not isinstance(cur.get(part), dict):
                cur[part] = {}
            cur = cur[part]
        cur[parts[-1]] = copy.deepcopy(value)
    try:
        parse_platform_spec(doc, SOURCE)
    except ConfigError as error:
        assert error.problems, "a ConfigError always lists its problems"
        for problem in error.problems:
            assert str(error).count(ROOT_KEY) >= 1 and problem.message


@settings(max_examples=100, deadline=None)
@given(doc=st.dictionaries(st.text(max_size=12), json_values, max_size=6) | json_values)
def test_arbitrary_documents_never_raise_a_traceback(doc):
    try:
        parse_platform_spec(doc, SOURCE)
    except ConfigError as error:
        assert error.problems
