"""SageMaker Model Monitor over prod's real-time ranker: a data-quality schedule against a baseline in the lake.

GIVEN a prod platform (the ranker captures 10% of its requests, monitor: daily) WHEN it is planned THEN a
data-quality job definition runs AWS's analyzer image of the region over the endpoint's captures against the
baseline's statistics.json and constraints.json in the models zone, writing its reports beside them; a daily
schedule runs it; its own role reads the captures and the baseline and writes only the reports; and failed runs or
runs with violations reach the stack's alert topic through EventBridge, which the topic lets publish.
"""

from __future__ import annotations

import json

from mlplatform.components.base.types import (
    AWS_CLOUDWATCH_EVENT_RULE,
    AWS_CLOUDWATCH_EVENT_TARGET,
    AWS_S3_BUCKET,
    AWS_SAGEMAKER_DATA_QUALITY_JOB_DEFINITION,
    AWS_SAGEMAKER_MONITORING_SCHEDULE,
    AWS_SNS_TOPIC,
    AWS_SNS_TOPIC_POLICY,
)
from tests.components.compositions.test_toolchain import bucket, s3_access
from tests.components.config.documents import ROOT_KEY, invalid
from tests.fixtures import SERVERLESS_RANKER, aws_config, aws_prod


def test_the_prod_ranker_is_monitored_daily_against_its_baseline_in_the_lake():
    plan = aws_prod()
    definition = plan.one(AWS_SAGEMAKER_DATA_QUALITY_JOB_DEFINITION)
    models = plan.one(AWS_S3_BUCKET, "mlplatform-lake-models").output("bucket")
    baseline = f"s3://{models}/model-monitor/ranker-prod/baseline/"
    config = definition.input("dataQualityBaselineConfig")
    assert config["statisticsResource"]["s3Uri"] == baseline + "statistics.json"
    assert config["constraintsResource"]["s3Uri"] == baseline + "constraints.json"
    assert definition.input("dataQualityAppSpecification")["imageUri"] == (
        "159807026194.dkr.ecr.us-west-2.amazonaws.com/sagemaker-model-monitor-analyzer"
    )
    assert definition.input("dataQualityJobInput")["endpointInput"]["endpointName"] == "ranker-prod"
    output = definition.input("dataQualityJobOutputConfig")["monitoringOutputs"]["s3Output"]
    assert output["s3Uri"] == f"s3://{models}/model-monitor/ranker-prod/reports/"
    schedule = plan.one(AWS_SAGEMAKER_MONITORING_SCHEDULE).input("monitoringScheduleConfig")
    assert schedule["monitoringType"] == "DataQuality"
    assert schedule["scheduleConfig"]["scheduleExpression"] == "cron(0 0 ? * * *)"


def test_the_monitor_role_reads_captures_and_baseline_and_writes_only_reports():
    plan = aws_prod()
    reads, writes = s3_access(plan, "mlplatform-endpoint-ranker-monitor-role")
    assert reads >= {
        f"{bucket(plan, 'raw')}/sagemaker-capture/ranker-prod/*",
        f"{bucket(plan, 'models')}/model-monitor/ranker-prod/baseline/*",
    }
    assert writes == {f"{bucket(plan, 'models')}/model-monitor/ranker-prod/reports/*"}


def test_violations_and_failed_runs_reach_the_alert_topic():
    plan = aws_prod()
    rule = plan.one(AWS_CLOUDWATCH_EVENT_RULE, "mlplatform-endpoint-ranker-monitor-findings")
    pattern = json.loads(rule.input("eventPattern"))
    schedule = plan.one(AWS_SAGEMAKER_MONITORING_SCHEDULE)
    assert pattern["detail"]["MonitoringScheduleArn"] == [schedule.output("arn")]
    assert pattern["detail"]["$or"] == [
        {"ProcessingJobStatus": ["Failed"]},
        {"ExitMessage": [{"prefix": "CompletedWithViolations"}]},
    ]
    target = plan.one(AWS_CLOUDWATCH_EVENT_TARGET, "mlplatform-endpoint-ranker-monitor-findings")
    topic = plan.one(AWS_SNS_TOPIC, "mlplatform-monitoring-alerts")
    assert target.input("arn") == topic.output("arn")
    policy = json.loads(plan.one(AWS_SNS_TOPIC_POLICY).input("policy"))
    publishers = next(s for s in policy["Statement"] if s.get("Sid") == "AlertPublishers")["Principal"]["Service"]
    assert "events.amazonaws.com" in publishers


def test_a_monitor_needs_a_realtime_endpoint_with_data_capture():
    doc = aws_config("dev", endpoints=[{**SERVERLESS_RANKER, "monitor": {"schedule": "hourly"}}])
    error = invalid(doc)
    line = next(line for line in str(error).splitlines() if f"{ROOT_KEY}.endpoints[0].monitor:" in line)
    assert "needs mode: realtime and data_capture_percent" in line
