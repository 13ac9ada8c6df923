"""GCP ModelEndpoint (Cloud Run and Vertex AI), Monitoring, and the whole platform's labels on GCP."""

from __future__ import annotations

import json

import pytest

from mlplatform import engine
from mlplatform.components.base.errors import ConfigError
from mlplatform.components.base.types import (
    GCP_BILLING_BUDGET,
    GCP_CLOUDRUNV2_SERVICE,
    GCP_CLOUDRUNV2_SERVICE_IAM_MEMBER,
    GCP_CONTAINER_CLUSTER,
    GCP_MONITORING_ALERT_POLICY,
    GCP_MONITORING_DASHBOARD,
    GCP_MONITORING_NOTIFICATION_CHANNEL,
    GCP_SERVICEACCOUNT_ACCOUNT,
    GCP_STORAGE_BUCKET_IAM_MEMBER,
    GCP_VERTEX_AI_DEPLOYMENT_RESOURCE_POOL,
    GCP_VERTEX_AI_ENDPOINT,
    K8S_HELM_RELEASE,
    MLPLATFORM_GCP_MODEL_ENDPOINT,
)
from mlplatform.components.cost.taggable import tag_property
from mlplatform.components.gcp import DataLake, DataLakeArgs, ModelEndpoint, ModelEndpointArgs
from mlplatform.components.gcp.endpoint import split_percent
from mlplatform.plan import Plan
from tests.conftest import cost_tags
from tests.fixtures import gcp_dev, gcp_prod


def test_split_percent_is_whole_and_sums_to_100():
    assert split_percent([1]) == [100]
    assert split_percent([90, 10]) == [90, 10]
    assert split_percent([1, 1, 1]) == [34, 33, 33]
    assert sum(split_percent([3, 1, 0.5])) == 100


def test_cloud_run_endpoint_scales_to_zero_and_requires_iam():
    plan = gcp_dev()
    svc = plan.one(GCP_CLOUDRUNV2_SERVICE)
    t = svc.input("template")
    assert svc.input("name") == "ranker-gcp-dev"
    assert t["scaling"] == {"minInstanceCount": 0, "maxInstanceCount": 2}  # 8 concurrent / 4 per instance
    assert t["maxInstanceRequestConcurrency"] == 4
    container = t["containers"][0]
    assert container["resources"]["limits"] == {"cpu": "1", "memory": "2048Mi"}
    assert container["resources"]["cpuIdle"] is True
    # an existing registry artifact: the lake is empty on a first deploy
    assert {e["name"]: e["value"] for e in container["envs"]}["MODEL_URI"] == "gs://recsys-model-registry/ranker/v14/"
    # Cloud Run names the revision: a fixed name would collide (409) on the next template change.
    assert "revision" not in t
    assert svc.input("traffics") == [
        {"type": "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST", "percent": 100, "tag": "current"}
    ]
    assert svc.input("invokerIamDisabled") is False
    assert plan.by_type(GCP_CLOUDRUNV2_SERVICE_IAM_MEMBER) == [], "nothing public by default"
    account = plan.one(GCP_SERVICEACCOUNT_ACCOUNT, "mlplatform-endpoint-ranker-runtime")
    assert t["serviceAccount"] == account.output("email")
    reads = [g for g in plan.by_type(GCP_STORAGE_BUCKET_IAM_MEMBER) if g.input("member") == account.output("member")]
    assert sorted(g.input("role") for g in reads) == [
        "roles/storage.legacyBucketReader",
        "roles/storage.objectViewer",
        "roles/storage.objectViewer",
    ]
    registry = plan.one(GCP_STORAGE_BUCKET_IAM_MEMBER, "mlplatform-endpoint-ranker-artifacts-0")
    assert registry.input("bucket") == "recsys-model-registry"


def test_raises_when_an_earlier_cloud_run_variant_names_no_revision():
    # GIVEN an A/B split whose first variant does not say which existing revision serves it
    with pytest.raises(ConfigError, match=r"variants\[0\]\.revision: required for every variant but the last"):
        endpoint_plan({"name": "llm", "variants": [variant("v1"), variant("v2")]})


def endpoint_plan(endpoint: dict, **extra):
    def program():
        lake = DataLake("lake", DataLakeArgs(project="ml-dev-123", region="us-central1", lake={"encryption": "sse-s3"}))
        ModelEndpoint(
            "ep", ModelEndpointArgs(project="ml-dev-123", region="us-central1", lake=lake, endpoint=endpoint, **extra)
        )

    return engine.run(program, stack="dev")


def variant(name, image="us-docker.pkg.dev/p/r/m:1", **kw):
    return {"name": name, "image": image, "model_data": f"m/{name}/", **kw}


def test_cloud_run_gpu_and_ab_split_between_revisions():
    plan = endpoint_plan(
        {
            "name": "llm",
            "serverless": {"gpu": True, "memory_mb": 16384, "max_concurrency": 3},
            "variants": [variant("v1", weight=9, revision="llm-dev-00007-xyz"), variant("v2", weight=1)],
        },
        invokers=["serviceAccount:app@ml-dev-123.iam.gserviceaccount.com"],
    )
    svc = plan.one(GCP_CLOUDRUNV2_SERVICE)
    t = svc.input("template")
    assert t["nodeSelector"] == {"accelerator": "nvidia-l4"} and t["gpuZonalRedundancyDisabled"] is True
    assert t["containers"][0]["resources"]["limits"] == {"cpu": "4", "memory": "16384Mi", "nvidia.com/gpu": "1"}
    assert t["scaling"] == {"minInstanceCount": 0, "maxInstanceCount": 3} and t["maxInstanceRequestConcurrency"] == 1
    assert "revision" not in t and t["containers"][0]["image"].endswith("m:1")
    assert [(x["type"].rsplit("_", 1)[-1], x.get("revision"), x["percent"]) for x in svc.input("traffics")] == [
        ("REVISION", "llm-dev-00007-xyz", 90),
        ("LATEST", None, 10),
    ]
    invoker = plan.one(GCP_CLOUDRUNV2_SERVICE_IAM_MEMBER)
    assert invoker.input("role") == "roles/run.invoker"


def test_vertex_realtime_endpoint_gets_dedicated_replica_pools():
    plan = gcp_prod()
    endpoint = plan.one(GCP_VERTEX_AI_ENDPOINT)
    assert endpoint.input("displayName") == "scorer-gcp-dev" and endpoint.input("name").isdigit()
    pools = {
        p.name.rsplit("-", 1)[-1]: p.input("dedicatedResources")
        for p in plan.by_type(GCP_VERTEX_AI_DEPLOYMENT_RESOURCE_POOL)
    }
    assert pools["a"]["machineSpec"] == {
        "machineType": "g2-standard-8",
        "acceleratorType": "NVIDIA_L4",
        "acceleratorCount": 1,
    }
    assert (pools["a"]["minReplicaCount"], pools["a"]["maxReplicaCount"]) == (1, 3)
    assert pools["b"]["machineSpec"] == {"machineType": "n1-standard-4"}
    platform = plan.one(MLPLATFORM_GCP_MODEL_ENDPOINT, "mlplatform-endpoint-scorer")
    assert platform.outputs["traffic_weights"] == {"a": 75, "b": 25}


def test_endpoint_alerts_reach_the_notification_channels():
    plan = gcp_dev()
    channel = plan.one(GCP_MONITORING_NOTIFICATION_CHANNEL)
    assert channel.input("labels") == {"email_address": "ml-platform-alerts@example.com"}
    policies = {p.name: p for p in plan.by_type(GCP_MONITORING_ALERT_POLICY)}
    latency = policies["mlplatform-endpoint-ranker-latency-p99"]
    cond = latency.input("conditions")[0]["conditionThreshold"]
    assert (
        "run.googleapis.com/request_latencies" in cond["filter"] and 'service_name = "ranker-gcp-dev"' in cond["filter"]
    )
    assert cond["thresholdValue"] == 1000 and cond["aggregations"][0]["perSeriesAligner"] == "ALIGN_PERCENTILE_99"
    assert latency.input("notificationChannels") == [channel.id]
    assert '"5xx"' in policies["mlplatform-endpoint-ranker-5xx"].input("conditions")[0]["conditionThreshold"]["filter"]


@pytest.mark.parametrize(
    "endpoint,path,fragment",
    [
        (
            {"name": "e", "variants": [variant("a", image="123456789012.dkr.ecr.us-east-1.amazonaws.com/m:1")]},
            "args.endpoint.variants[0].image",
            "Artifact Registry",
        ),
        (
            {"name": "e", "serverless": {"gpu": True, "memory_mb": 8192}, "variants": [variant("a")]},
            "args.endpoint.serverless.memory_mb",
            "at least 16384",
        ),
        (
            {"name": "e", "mode": "realtime", "variants": [variant("a", instance_type="ml.g5.xlarge")]},
            "args.endpoint.variants[0].instance_type",
            "not a machine type in the catalog",
        ),
        (
            {"name": "e", "variants": [variant("a")], "data_capture_percent": 10},
            "args.endpoint.data_capture_percent",
            "not available on gcp",
        ),
    ],
)
def test_raises_for_endpoints_gcp_cannot_run(endpoint, path, fragment):
    with pytest.raises(ConfigError) as info:
        endpoint_plan(endpoint)
    assert path in info.value.paths() and fragment in str(info.value)


def test_monitoring_alerts_on_idle_gpus_and_budgets_the_stack():
    plan = gcp_dev()
    idle = plan.one(GCP_MONITORING_ALERT_POLICY, "mlplatform-monitoring-gpu-idle")
    cond = idle.input("conditions")[0]["conditionThreshold"]
    assert "kubernetes.io/node/accelerator/duty_cycle" in cond["filter"]
    assert plan.one(GCP_CONTAINER_CLUSTER).output("name") in cond["filter"]
    assert cond["comparison"] == "COMPARISON_LT" and cond["thresholdValue"] == 10 and cond["duration"] == "1800s"
    budget = plan.one(GCP_BILLING_BUDGET)
    assert budget.input("billingAccount") == "01A2B3-C4D5E6-F7A8B9"
    assert budget.input("amount.specifiedAmount") == {"currencyCode": "USD", "units": "600"}
    assert budget.input("budgetFilter.labels") == {"mlplatform-stack": "gcp-dev"}
    assert (
        budget.input("budgetFilter.projects")[0].startswith("projects/")
        and budget.input("budgetFilter.projects")[0][9:].isdigit()
    )
    assert [(r["thresholdPercent"], r["spendBasis"]) for r in budget.input("thresholdRules")] == [
        (0.8, "CURRENT_SPEND"),
        (1.0, "CURRENT_SPEND"),
        (1.0, "FORECASTED_SPEND"),
    ]
    dashboard = json.loads(plan.one(GCP_MONITORING_DASHBOARD).input("dashboardJson"))
    titles = [w["title"] for w in dashboard["gridLayout"]["widgets"]]
    assert titles[0] == "GPU duty cycle by node pool (%)" and "ranker-gcp-dev: latency p99 (ms)" in titles
    release = plan.one(K8S_HELM_RELEASE, "mlplatform-monitoring-cluster-prometheus")
    assert "dcgm" not in release.input("chart"), "GKE reports GPU metrics itself"


def test_every_labelable_gcp_resource_carries_the_cost_labels():
    assert_labelable_gcp_resources_carry_the_cost_labels(gcp_dev())


def assert_labelable_gcp_resources_carry_the_cost_labels(plan: Plan) -> None:
    tags = cost_tags(plan)
    checked = 0
    for r in plan.custom_resources():
        path = tag_property(r.type)
        if not r.type.startswith("gcp:") or path is None:
            continue
        labels = r.input(path)
        assert labels is not None and all(labels.get(k) == v for k, v in tags.items()), (r.type, r.name, labels)
        checked += 1
    assert checked >= 15
