"""The endpoint and budget parameters the components produce are accepted by the AWS APIs (moto on 127.0.0.1)
and read back the same: serverless config, variants and weights, data capture, budget limit, filters and
notifications.

moto lags AWS on SageMaker instance types: it rejects newer families such as ml.g5. Where that happens the
test says so (a warning naming the type) and checks the rest of the configuration with a type moto knows.
"""

from __future__ import annotations

import re
import warnings
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from mlplatform.components.base.types import (
    AWS_BUDGETS_BUDGET,
    AWS_SAGEMAKER_ENDPOINT,
    AWS_SAGEMAKER_ENDPOINT_CONFIGURATION,
    AWS_SAGEMAKER_MODEL,
)
from mlplatform.plan import Plan, reveal
from tests.conftest import planned

pytestmark = pytest.mark.integration

# Pulumi input names whose API spelling is not simply the capitalised name.
API_NAMES = {"memorySizeInMb": "MemorySizeInMB", "destinationS3Uri": "DestinationS3Uri", "kmsKeyId": "KmsKeyId"}
MOTO_KNOWN_TYPE = "ml.m5.large"


def api_shape(value: Any) -> Any:
    """Pulumi's camelCase inputs as the SageMaker API's PascalCase structures."""
    if isinstance(value, dict):
        return {API_NAMES.get(k, k[0].upper() + k[1:]): api_shape(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [api_shape(v) for v in value]
    return value


def create_models(sm, plan: Plan, role_arn: str) -> dict[str, str]:
    """Create every SageMaker model of the plan in moto; returns {plan model name: API model name}."""
    names = {}
    for m in plan.by_type(AWS_SAGEMAKER_MODEL):
        name = m.output("name")
        sm.create_model(
            ModelName=name,
            PrimaryContainer=api_shape(m.input("primaryContainer")),
            ExecutionRoleArn=role_arn,
            EnableNetworkIsolation=m.input("enableNetworkIsolation"),
        )
        names[name] = name
    return names


def _role(moto: str) -> str:
    iam = boto3.client("iam", endpoint_url=moto)
    return iam.create_role(
        RoleName="sagemaker-test", AssumeRolePolicyDocument='{"Version":"2012-10-17","Statement":[]}'
    )["Role"]["Arn"]


def test_serverless_endpoint_configuration_round_trips(moto):
    plan = planned("dev")
    sm = boto3.client("sagemaker", endpoint_url=moto)
    create_models(sm, plan, _role(moto))
    config = plan.one(AWS_SAGEMAKER_ENDPOINT_CONFIGURATION)
    variants = api_shape(config.input("productionVariants"))
    sm.create_endpoint_config(EndpointConfigName=config.output("name"), ProductionVariants=variants)
    endpoint = plan.one(AWS_SAGEMAKER_ENDPOINT)
    sm.create_endpoint(EndpointName=endpoint.input("name"), EndpointConfigName=config.output("name"))

    got = sm.describe_endpoint_config(EndpointConfigName=config.output("name"))["ProductionVariants"]
    assert len(got) == 1
    assert got[0]["VariantName"] == "current"
    assert got[0]["ServerlessConfig"]["MemorySizeInMB"] == 2048
    assert got[0]["ServerlessConfig"]["MaxConcurrency"] == 5
    assert "InstanceType" not in got[0]
    assert sm.describe_endpoint(EndpointName="ranker-dev")["EndpointConfigName"] == config.output("name")


def test_realtime_ab_configuration_round_trips(moto):
    plan = planned("prod")
    sm = boto3.client("sagemaker", endpoint_url=moto)
    create_models(sm, plan, _role(moto))
    config = plan.one(AWS_SAGEMAKER_ENDPOINT_CONFIGURATION)
    variants = api_shape(config.input("productionVariants"))
    capture = api_shape(config.input("dataCaptureConfig"))
    name = config.output("name")
    try:
        sm.create_endpoint_config(EndpointConfigName=name, ProductionVariants=variants, DataCaptureConfig=capture)
    except ClientError as exc:
        rejected = sorted({v["InstanceType"] for v in variants if v["InstanceType"] in str(exc)})
        assert rejected, f"moto rejected the configuration for another reason: {exc}"
        warnings.warn(
            f"moto does not know {', '.join(rejected)}; checking the rest with {MOTO_KNOWN_TYPE}", stacklevel=1
        )
        variants = [{**v, "InstanceType": MOTO_KNOWN_TYPE} for v in variants]
        sm.create_endpoint_config(EndpointConfigName=name, ProductionVariants=variants, DataCaptureConfig=capture)

    described = sm.describe_endpoint_config(EndpointConfigName=name)
    got = {v["VariantName"]: v for v in described["ProductionVariants"]}
    assert {n: (v["InitialInstanceCount"], v["InitialVariantWeight"]) for n, v in got.items()} == {
        "current": (2, 90.0),
        "candidate": (1, 10.0),
    }
    assert described["DataCaptureConfig"]["InitialSamplingPercentage"] == 10
    assert re.match(r"^s3://[^/]+/sagemaker-capture/ranker-prod/$", described["DataCaptureConfig"]["DestinationS3Uri"])
    assert [o["CaptureMode"] for o in described["DataCaptureConfig"]["CaptureOptions"]] == ["Input", "Output"]


def test_budget_round_trips(moto):
    plan = planned("dev")
    budget = plan.one(AWS_BUDGETS_BUDGET)
    account = budget.output("accountId")
    client = boto3.client("budgets", endpoint_url=moto, region_name="us-east-1")
    spec = {
        "BudgetName": budget.input("name"),
        "BudgetLimit": {"Amount": budget.input("limitAmount"), "Unit": budget.input("limitUnit")},
        "CostFilters": {f["name"]: f["values"] for f in budget.input("costFilters")},
        "TimeUnit": budget.input("timeUnit"),
        "BudgetType": budget.input("budgetType"),
    }
    notifications = []
    for n in reveal(budget.input("notifications")):
        subscribers = [{"SubscriptionType": "SNS", "Address": a} for a in n["subscriberSnsTopicArns"]]
        subscribers += [{"SubscriptionType": "EMAIL", "Address": a} for a in n.get("subscriberEmailAddresses") or []]
        notifications.append(
            {
                "Notification": {
                    "NotificationType": n["notificationType"],
                    "ComparisonOperator": n["comparisonOperator"],
                    "Threshold": float(n["threshold"]),
                    "ThresholdType": n["thresholdType"],
                },
                "Subscribers": subscribers,
            }
        )
    client.create_budget(AccountId=account, Budget=spec, NotificationsWithSubscribers=notifications)

    got = client.describe_budget(AccountId=account, BudgetName=spec["BudgetName"])["Budget"]
    assert float(got["BudgetLimit"]["Amount"]) == 600.0 and got["BudgetLimit"]["Unit"] == "USD"
    assert got["TimeUnit"] == "MONTHLY" and got["BudgetType"] == "COST"
    assert got["CostFilters"] == {"TagKeyValue": ["user:mlplatform-stack$dev"]}
    stored = client.describe_notifications_for_budget(AccountId=account, BudgetName=spec["BudgetName"])["Notifications"]
    assert sorted((n["NotificationType"], n["Threshold"]) for n in stored) == [
        ("ACTUAL", 80.0),
        ("ACTUAL", 100.0),
        ("FORECASTED", 100.0),
    ]
    # moto does not implement DescribeSubscribersForNotification (NotImplementedError): the subscribers were
    # accepted by CreateBudget above, but cannot be read back here.
    warnings.warn("moto cannot read budget subscribers back; checked that CreateBudget accepted them", stacklevel=1)
    assert all(sorted(s["SubscriptionType"] for s in n["Subscribers"]) == ["EMAIL", "SNS"] for n in notifications)
