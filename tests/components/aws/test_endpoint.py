"""ModelEndpoint on the Plan: serverless and real-time A/B, data capture, autoscaling, roles, alarms, errors."""

from __future__ import annotations

import json

import pytest

from mlplatform import engine
from mlplatform.components.aws import DataLake, DataLakeArgs, ModelEndpoint, ModelEndpointArgs
from mlplatform.components.base.errors import ConfigError
from mlplatform.components.base.types import (
    AWS_APPAUTOSCALING_POLICY,
    AWS_APPAUTOSCALING_TARGET,
    AWS_CLOUDWATCH_METRIC_ALARM,
    AWS_IAM_ROLE,
    AWS_IAM_ROLE_POLICY,
    AWS_S3_BUCKET,
    AWS_SAGEMAKER_ENDPOINT,
    AWS_SAGEMAKER_ENDPOINT_CONFIGURATION,
    AWS_SAGEMAKER_MODEL,
    AWS_SNS_TOPIC,
)
from mlplatform.preflight import preflight
from tests.fixtures import SERVERLESS_RANKER, aws_config, aws_dev, aws_prod, plan_platform

IMAGE = "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.6.0-cpu-py312"


def test_serverless_endpoint_scales_to_zero_with_one_variant():
    plan = aws_dev()
    config = plan.one(AWS_SAGEMAKER_ENDPOINT_CONFIGURATION)
    assert config.input("productionVariants") == [
        {
            "variantName": "current",
            "modelName": plan.one(AWS_SAGEMAKER_MODEL).output("name"),
            "serverlessConfig": {"memorySizeInMb": 2048, "maxConcurrency": 5},
        }
    ]
    assert config.input("dataCaptureConfig") is None and config.input("shadowProductionVariants") is None
    endpoint = plan.one(AWS_SAGEMAKER_ENDPOINT)
    assert endpoint.input("name") == "ranker-dev"
    assert endpoint.input("endpointConfigName") == config.output("name")
    assert plan.by_type(AWS_APPAUTOSCALING_TARGET) == []
    assert plan.outputs["endpoint_invoke_urls"] == {
        "ranker": "https://runtime.sagemaker.us-east-1.amazonaws.com/endpoints/ranker-dev/invocations"
    }


def test_dev_model_reads_its_existing_registry_artifact_with_network_isolation():
    plan = aws_dev()
    model = plan.one(AWS_SAGEMAKER_MODEL)
    assert model.input("primaryContainer") == {
        "image": IMAGE,
        "modelDataUrl": "s3://recsys-model-registry/ranker/v14/model.tar.gz",
        "mode": "SingleModel",
    }
    assert model.input("enableNetworkIsolation") is True
    statements = {s["Sid"]: s for s in _role_statements(plan, "mlplatform-endpoint-ranker-current")}
    assert statements["ReadArtifact"] == {
        "Sid": "ReadArtifact",
        "Effect": "Allow",
        "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::recsys-model-registry/ranker/v14/model.tar.gz",
    }
    assert "ReadModels" not in statements, "no grant on the lake for an artifact outside it"


def _role_statements(plan, role_name):
    role = plan.one(AWS_IAM_ROLE, role_name)
    return [
        s
        for p in plan.by_type(AWS_IAM_ROLE_POLICY)
        if p.input("role") == role.id
        for s in json.loads(p.input("policy"))["Statement"]
    ]


def lake_model_program(enabled: bool = True):
    """A lake and an endpoint whose artifact is a key in the lake's models zone."""

    def program():
        lake = DataLake("lake", DataLakeArgs(region="us-east-1"))
        endpoint = {
            "name": "ranker",
            "enabled": enabled,
            "variants": [{"name": "current", "image": IMAGE, "model_data": "ranker/v14/model.tar.gz"}],
        }
        if enabled:
            ModelEndpoint("ranker", ModelEndpointArgs(region="us-east-1", lake=lake, endpoint=endpoint))

    return program


def test_execution_role_reads_only_its_artifact_prefix_and_pulls_only_its_image():
    plan = engine.run(lake_model_program())
    models = plan.one(AWS_S3_BUCKET, "lake-models")
    model = plan.one(AWS_SAGEMAKER_MODEL)
    assert model.input("primaryContainer.modelDataUrl") == f"s3://{models.output('bucket')}/ranker/v14/model.tar.gz"
    statements = {s["Sid"]: s for s in _role_statements(plan, "ranker-current")}
    assert statements["ReadModels"]["Resource"] == f"{models.output('arn')}/ranker/v14/*"
    assert statements["ListModels"]["Condition"] == {"StringLike": {"s3:prefix": ["ranker/v14/", "ranker/v14/*"]}}
    assert "WriteModels" not in statements
    assert statements["UseLakeKeyForModels"]["Action"] == ["kms:Decrypt"]
    assert statements["PullImage"]["Resource"] == "arn:aws:ecr:us-east-1:763104351884:repository/pytorch-inference"
    assert statements["EndpointLogs"]["Resource"][0] == (
        "arn:aws:logs:us-east-1:123456789012:log-group:/aws/sagemaker/Endpoints/ranker-dev"
    )
    trust = json.loads(plan.one(AWS_IAM_ROLE, "ranker-current").input("assumeRolePolicy"))
    assert trust["Statement"][0]["Principal"] == {"Service": "sagemaker.amazonaws.com"}


def test_preflight_reports_a_model_in_the_new_lake_as_missing_on_first_deploy():
    # GIVEN an endpoint whose artifact is a key in a lake the same program creates (empty)
    findings = preflight(engine.run(lake_model_program())).findings
    # THEN preflight says CreateModel would fail; an s3:// registry artifact passes
    assert [f.rule for f in findings] == ["artifacts-exist"]
    assert "nothing uploads the artifact" in findings[0].message
    assert not [f for f in preflight(aws_dev()).findings if f.rule == "artifacts-exist"]


def test_disabled_endpoint_creates_nothing_until_its_first_model_exists():
    # GIVEN a platform with its endpoint disabled (no model trained yet)
    plan = plan_platform(aws_config("dev", endpoints=[{**SERVERLESS_RANKER, "enabled": False}]))
    # THEN no model, configuration, endpoint or alarm is planned, and no invoke URL is exported
    assert not [r for r in plan.resources if r.type.startswith("aws:sagemaker/")]
    assert plan.outputs["endpoint_invoke_urls"] == {}


def test_realtime_ab_split_with_capture_and_autoscaling():
    plan = aws_prod()
    config = plan.one(AWS_SAGEMAKER_ENDPOINT_CONFIGURATION)
    variants = {v["variantName"]: v for v in config.input("productionVariants")}
    assert {
        n: (v["instanceType"], v["initialInstanceCount"], v["initialVariantWeight"]) for n, v in variants.items()
    } == {"current": ("ml.g5.xlarge", 2, 90), "candidate": ("ml.g5.xlarge", 1, 10)}
    raw = plan.one(AWS_S3_BUCKET, "mlplatform-lake-raw").output("bucket")
    capture = config.input("dataCaptureConfig")
    assert capture["enableCapture"] is True and capture["initialSamplingPercentage"] == 10
    assert capture["destinationS3Uri"] == f"s3://{raw}/sagemaker-capture/ranker-prod/"
    assert [o["captureMode"] for o in capture["captureOptions"]] == ["Input", "Output"]
    targets = {t.input("resourceId"): t for t in plan.by_type(AWS_APPAUTOSCALING_TARGET)}
    assert {k: (t.input("minCapacity"), t.input("maxCapacity")) for k, t in targets.items()} == {
        "endpoint/ranker-prod/variant/current": (2, 6),
        "endpoint/ranker-prod/variant/candidate": (1, 2),
    }
    policy = plan.by_type(AWS_APPAUTOSCALING_POLICY)[0]
    tracking = policy.input("targetTrackingScalingPolicyConfiguration")
    assert tracking["targetValue"] == 100
    assert tracking["predefinedMetricSpecification"] == {
        "predefinedMetricType": "SageMakerVariantInvocationsPerInstance"
    }
    assert (tracking["scaleInCooldown"], tracking["scaleOutCooldown"]) == (300, 60)
    writes = {s["Sid"]: s for s in _role_statements(plan, "mlplatform-endpoint-ranker-candidate")}
    assert writes["WriteRaw"]["Resource"].endswith("/sagemaker-capture/ranker-prod/*")


def test_alarms_per_variant_route_to_the_alert_topic():
    dev, prod = aws_dev(), aws_prod()
    topic = dev.one(AWS_SNS_TOPIC).output("arn")
    alarms = {a.name: a for a in dev.by_type(AWS_CLOUDWATCH_METRIC_ALARM)}
    assert set(alarms) == {
        "mlplatform-endpoint-ranker-current-latency-p99",
        "mlplatform-endpoint-ranker-current-5xx",
        "mlplatform-endpoint-ranker-current-throttles",
    }
    latency = alarms["mlplatform-endpoint-ranker-current-latency-p99"]
    assert latency.input("metricName") == "ModelLatency" and latency.input("extendedStatistic") == "p99"
    assert latency.input("threshold") == 1_000_000  # 1000 ms in microseconds
    assert latency.input("dimensions") == {"EndpointName": "ranker-dev", "VariantName": "current"}
    assert all(a.input("alarmActions") == [topic] for a in alarms.values())
    throttles = alarms["mlplatform-endpoint-ranker-current-throttles"]
    assert throttles.input("metricName") == "ServerlessConcurrentExecutionsUtilization"
    prod_alarms = {a.name for a in prod.by_type(AWS_CLOUDWATCH_METRIC_ALARM)}
    assert "mlplatform-endpoint-ranker-candidate-5xx" in prod_alarms
    assert not any(n.endswith("throttles") for n in prod_alarms), "real-time endpoints publish no such metric"


# --- standalone and bad input -----------------------------------------------------------------------------


def _endpoint_program(endpoint: dict, **extra):
    def program():
        lake = DataLake("lake", DataLakeArgs(region=extra.pop("region", "us-east-1")))
        ModelEndpoint("ep", ModelEndpointArgs(region=lake.args.region, lake=lake, endpoint=endpoint, **extra))

    return program


REALTIME = {"name": "a", "image": IMAGE, "model_data": "m/model.tar.gz", "instance_type": "ml.m5.large"}


def test_shadow_variant_is_registered_as_shadow():
    plan = engine.run(
        _endpoint_program(
            {"name": "ab", "mode": "realtime", "variants": [REALTIME], "shadow_variant": {**REALTIME, "name": "shadow"}}
        )
    )
    config = plan.one(AWS_SAGEMAKER_ENDPOINT_CONFIGURATION)
    assert [v["variantName"] for v in config.input("shadowProductionVariants")] == ["shadow"]
    assert len(plan.by_type(AWS_SAGEMAKER_MODEL)) == 2


@pytest.mark.parametrize(
    ("endpoint", "extra", "path", "fragment"),
    [
        (
            {"name": "x", "variants": [{"name": "v", "image": "docker.io/me/model:1", "model_data": "m/model.tar.gz"}]},
            {},
            "args.endpoint.variants[0].image",
            "pulls from Amazon ECR",
        ),
        (
            {"name": "x", "variants": [{"name": "v", "image": IMAGE, "model_data": "s3://models/ranker/"}]},
            {},
            "args.endpoint.variants[0].model_data",
            "an s3:// URI must name an object",
        ),
        (
            {"name": "x", "mode": "realtime", "variants": [{**REALTIME, "instance_type": "ml.p5.48xlarge"}]},
            {"region": "eu-west-1"},
            "args.endpoint.variants[0].instance_type",
            "not offered for hosting in eu-west-1",
        ),
        (
            {
                "name": "x",
                "variants": [{"name": "v", "image": IMAGE, "model_data": "m.tar.gz", "instance_type": "ml.g5.xlarge"}],
            },
            {},
            "args.endpoint.variants[0].instance_type",
            "serverless endpoints cannot use GPUs",
        ),
        (
            {"name": "x", "mode": "realtime", "variants": [{**REALTIME, "weight": 0}]},
            {},
            "args.endpoint.variants",
            "at least one variant needs a weight > 0",
        ),
        (
            {"name": "x", "variants": [{"name": "v", "image": IMAGE, "model_data": "m.tar.gz"}]},
            {"models_zone": "gold"},
            "args.models_zone",
            "zones: raw, curated, features, models",
        ),
    ],
)
def test_raises_when_an_endpoint_is_impossible(endpoint, extra, path, fragment):
    with pytest.raises(ConfigError) as info:
        engine.run(_endpoint_program(endpoint, **extra), config={"aws:region": extra.get("region", "us-east-1")})
    assert path in info.value.paths(), info.value
    assert fragment in str(info.value)
