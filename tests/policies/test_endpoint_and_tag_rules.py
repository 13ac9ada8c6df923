"""endpoint-guardrails and required-cost-tags, per covered resource type."""

from __future__ import annotations

import pytest

from mlplatform.components.base.types import (
    AWS_APPAUTOSCALING_TARGET,
    AWS_AUTOSCALING_GROUP,
    AWS_EC2_EIP,
    AWS_EC2_INSTANCE,
    AWS_EC2_LAUNCH_TEMPLATE,
    AWS_EKS_NODE_GROUP,
    AWS_IAM_ROLE_POLICY_ATTACHMENT,
    AWS_S3_BUCKET,
    AWS_SAGEMAKER_ENDPOINT,
    AWS_SAGEMAKER_ENDPOINT_CONFIGURATION,
    GCP_CLOUDRUNV2_SERVICE,
    GCP_CONTAINER_CLUSTER,
    GCP_CONTAINER_NODE_POOL,
    GCP_SQL_DATABASE_INSTANCE,
    GCP_STORAGE_BUCKET,
    GCP_VERTEX_AI_DEPLOYMENT_RESOURCE_POOL,
    K8S_KARPENTER_EC2_NODE_CLASS,
)
from tests.policies.helpers import messages, res, through_pack

DEV = {
    "environment": "dev",
    "max_serverless_concurrency": 10,
    "max_provisioned_concurrency": 0,
    "allowed_instance_types": ["ml.m5.large", "ml.g5.xlarge"],
    "max_instances_per_variant": 2,
    "max_cloud_run_instances": 5,
}


def serverless(concurrency=5, provisioned=0):
    config = {"memorySizeInMb": 2048, "maxConcurrency": concurrency}
    if provisioned:
        config["provisionedConcurrency"] = provisioned
    return res(
        AWS_SAGEMAKER_ENDPOINT_CONFIGURATION,
        {"productionVariants": [{"variantName": "current", "serverlessConfig": config}]},
        name="ranker",
    )


def realtime(itype="ml.g5.xlarge", count=1, shadow=None):
    props = {"productionVariants": [{"variantName": "current", "instanceType": itype, "initialInstanceCount": count}]}
    if shadow:
        props["shadowProductionVariants"] = [
            {"variantName": "shadow", "instanceType": shadow, "initialInstanceCount": 1}
        ]
    return res(AWS_SAGEMAKER_ENDPOINT_CONFIGURATION, props, name="ranker")


def scaling_target(high, dimension="sagemaker:variant:DesiredInstanceCount"):
    return res(
        AWS_APPAUTOSCALING_TARGET,
        {
            "resourceId": "endpoint/ranker/variant/current",
            "scalableDimension": dimension,
            "minCapacity": 1,
            "maxCapacity": high,
        },
    )


def cloud_run(high=None):
    scaling = {"minInstanceCount": 0}
    if high is not None:
        scaling["maxInstanceCount"] = high
    return res(GCP_CLOUDRUNV2_SERVICE, {"template": {"scaling": scaling}}, name="ranker")


ENDPOINT_CASES = [
    ("serverless concurrency", serverless(10), serverless(11), "allows 11 concurrent serverless invocations"),
    ("provisioned concurrency", serverless(5, 0), serverless(5, 2), "keeps 2 provisioned concurrency"),
    ("instance type", realtime("ml.g5.xlarge"), realtime("ml.p4d.24xlarge"), "uses ml.p4d.24xlarge"),
    ("shadow variant type", realtime(shadow="ml.m5.large"), realtime(shadow="ml.g6e.12xlarge"), "ml.g6e.12xlarge"),
    ("instance count", realtime(count=2), realtime(count=3), "starts 3 instances"),
    ("autoscaling maximum", scaling_target(2), scaling_target(6), "can reach 6 instances"),
    ("Cloud Run maximum", cloud_run(5), cloud_run(6), "can scale to 6 instances"),
    ("Cloud Run default maximum", cloud_run(5), cloud_run(None), "100 instances (no maximum set)"),
]


@pytest.mark.parametrize("kind,good,bad,fragment", ENDPOINT_CASES, ids=[c[0] for c in ENDPOINT_CASES])
def test_endpoint_guardrails(kind, good, bad, fragment):
    assert messages("endpoint-guardrails", good, **DEV) == []
    found = messages("endpoint-guardrails", bad, **DEV)
    assert len(found) == 1 and fragment in found[0] and "dev allows" in found[0]


def test_endpoint_guardrails_ignore_other_scaling_targets_and_an_empty_allowlist_allows_any_type():
    assert messages("endpoint-guardrails", scaling_target(50, "ecs:service:DesiredCount"), **DEV) == []
    assert messages("endpoint-guardrails", realtime("ml.p4d.24xlarge"), **{**DEV, "allowed_instance_types": []}) == []


# --- required-cost-tags -----------------------------------------------------------------------------------------------

TAGS = {"team": "ml", "project": "recsys", "cost-center": "cc-1", "environment": "dev"}
REQUIRED = {"required_tags": ["team", "project", "cost-center", "environment"]}
PARTIAL = {"team": "ml"}

TAG_CASES = [
    ("S3 bucket", AWS_S3_BUCKET, lambda t: {"tags": t}),
    ("EKS node group", AWS_EKS_NODE_GROUP, lambda t: {"tags": t}),
    ("launch template", AWS_EC2_LAUNCH_TEMPLATE, lambda t: {"tags": t}),
    ("EC2 instance", AWS_EC2_INSTANCE, lambda t: {"tags": t}),
    ("SageMaker endpoint", AWS_SAGEMAKER_ENDPOINT, lambda t: {"tags": t}),
    (
        "Auto Scaling group (tag list)",
        AWS_AUTOSCALING_GROUP,
        lambda t: {"tags": [{"key": k, "value": v, "propagateAtLaunch": True} for k, v in t.items()]},
    ),
    ("Karpenter EC2NodeClass", K8S_KARPENTER_EC2_NODE_CLASS, lambda t: {"spec": {"tags": t}}),
    ("GCS bucket (labels)", GCP_STORAGE_BUCKET, lambda t: {"labels": t}),
    ("GKE cluster (resource labels)", GCP_CONTAINER_CLUSTER, lambda t: {"resourceLabels": t}),
    (
        "GKE node pool (node VM labels)",
        GCP_CONTAINER_NODE_POOL,
        lambda t: {"nodeConfig": {"resourceLabels": t}},
    ),
    ("Cloud SQL (user labels)", GCP_SQL_DATABASE_INSTANCE, lambda t: {"settings": {"userLabels": t}}),
]


@pytest.mark.parametrize("kind,type_,shape", TAG_CASES, ids=[c[0] for c in TAG_CASES])
def test_required_cost_tags(kind, type_, shape):
    assert messages("required-cost-tags", res(type_, shape(TAGS)), **REQUIRED) == []
    found = messages("required-cost-tags", res(type_, shape(PARTIAL)), **REQUIRED)
    assert len(found) == 1 and "lacks cost" in found[0] and "project, cost-center, environment" in found[0]


def test_tags_from_the_provider_count_and_untaggable_types_are_skipped():
    assert (
        messages("required-cost-tags", res(AWS_S3_BUCKET, {}, provider={"defaultTags": {"tags": TAGS}}), **REQUIRED)
        == []
    )
    assert (
        messages("required-cost-tags", res(GCP_STORAGE_BUCKET, {}, provider={"defaultLabels": TAGS}), **REQUIRED) == []
    )
    assert messages("required-cost-tags", res(AWS_IAM_ROLE_POLICY_ATTACHMENT, {}), **REQUIRED) == []
    assert messages("required-cost-tags", res("kubernetes:core/v1:ConfigMap", {}), **REQUIRED) == []
    empty_value = res(AWS_S3_BUCKET, {"tags": {**TAGS, "team": ""}})
    assert "lacks cost tags team" in messages("required-cost-tags", empty_value, **REQUIRED)[0]
    exempt = res(AWS_EC2_EIP, {})
    assert messages("required-cost-tags", exempt, **REQUIRED, exempt_types=[AWS_EC2_EIP]) == []


def test_tag_rule_through_the_pack_reads_the_providers_default_tags():
    assert (
        through_pack("required-cost-tags", AWS_S3_BUCKET, {}, REQUIRED, provider={"defaultTags": {"tags": TAGS}}) == []
    )
    assert through_pack("required-cost-tags", AWS_S3_BUCKET, {"tags": PARTIAL}, REQUIRED)


def test_vertex_pool_replicas_are_capped():
    def pool(high):
        return res(
            GCP_VERTEX_AI_DEPLOYMENT_RESOURCE_POOL,
            {"dedicatedResources": {"machineSpec": {"machineType": "n1-standard-4"}, "maxReplicaCount": high}},
            name="scorer-b",
        )

    assert messages("endpoint-guardrails", pool(2), **DEV) == []
    assert "can reach 3 replicas" in messages("endpoint-guardrails", pool(3), **DEV)[0]
