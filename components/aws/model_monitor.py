"""ModelMonitor: SageMaker Model Monitor (data quality) over a real-time endpoint's captured requests.

- a data-quality job definition: AWS's built-in analyzer (Deequ on Spark) reads the endpoint's captured
  requests, compares them with the baseline's ``statistics.json`` and ``constraints.json`` in the lake
  (``<models zone>/model-monitor/<endpoint>/baseline/``, written by a baselining job over the training data:
  ``DefaultModelMonitor.suggest_baseline`` in the SageMaker SDK), and writes its report under
  ``.../reports/``;
- a monitoring schedule, hourly or daily, each run on one processing instance (billed per run);
- its own execution role: read the capture prefix and the baseline, write the reports, write its logs and
  metrics, nothing else;
- an EventBridge rule relaying to the stack's alert topic every run of this schedule that ends Failed or with
  violations (a processing job's state-change event carries the schedule's ARN and the run's exit message,
  ``CompletedWithViolations: ...``).

Until the baseline exists every run fails (and alerts): run the baselining job before enabling ``monitor``.

Example::

    ModelMonitor("ranker-monitor", ModelMonitorArgs(region="us-west-2", endpoint_name=endpoint.endpoint_name,
        monitor={"schedule": "daily"}, lake=lake, capture_url="s3://lake-raw/sagemaker-capture/ranker-prod/",
        alarm_topic_arn=monitoring.alert_topic_arn))
"""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_aws as aws
from pydantic import model_validator

from ..base.cloud import Cloud
from ..base.errors import Problems
from ..base.types import MLPLATFORM_AWS_MODEL_MONITOR
from ..base.values import ComponentArgs, duration_seconds
from ..config.endpoints import ModelMonitorSpec
from ..interfaces import StrInput
from . import iam
from .data_lake import DataLake

MONITOR_PREFIX = "model-monitor/"
# Registries of the built-in analyzer image (SageMaker Python SDK, image_uri_config/model-monitor.json).
ANALYZER_ACCOUNTS = {
    "us-east-1": "156813124566",
    "us-east-2": "777275614652",
    "us-west-1": "890145073186",
    "us-west-2": "159807026194",
    "ca-central-1": "536280801234",
    "eu-west-1": "468650794304",
    "eu-west-2": "749857270468",
    "eu-west-3": "680080141114",
    "eu-central-1": "048819808253",
    "eu-north-1": "895015795356",
    "ap-south-1": "126357580389",
    "ap-northeast-1": "574779866223",
    "ap-northeast-2": "709848358524",
    "ap-southeast-1": "245545462676",
    "ap-southeast-2": "563025443158",
    "sa-east-1": "539772159869",
}
SCHEDULES = {"hourly": "cron(0 * ? * * *)", "daily": "cron(0 0 ? * * *)"}
ENDPOINT_INPUT = "/opt/ml/processing/input/endpoint"
OUTPUT = "/opt/ml/processing/output"


def analyzer_image(region: str) -> str:
    return f"{ANALYZER_ACCOUNTS[region]}.dkr.ecr.{region}.amazonaws.com/sagemaker-model-monitor-analyzer"


class ModelMonitorArgs(ComponentArgs):
    _context_cloud = Cloud.AWS

    region: str
    """AWS region (one the analyzer image is published in). Required."""
    endpoint_name: StrInput
    """The real-time endpoint monitored (data capture on). Required."""
    endpoint: pulumi.Resource | None = None
    """The endpoint resource, which the schedule waits for. Default: none."""
    monitor: ModelMonitorSpec
    """Schedule, instance type, run limit (the endpoint spec's ``monitor``). Required."""
    lake: DataLake
    """The lake: capture, baseline and reports. Required."""
    capture_zone: str = "raw"
    """Zone of the endpoint's captured data. Default: raw."""
    capture_prefix: str
    """Prefix of the endpoint's captured data in capture_zone (sagemaker-capture/<endpoint>/). Required."""
    monitor_zone: str = "models"
    """Zone holding model-monitor/<endpoint>/baseline/ and .../reports/. Default: models."""
    monitor_name: str
    """Name of the schedule and its job definition (the endpoint's name). Required."""
    alarm_topic_arn: StrInput | None = None
    """SNS topic for failed runs and violations. Default: none (no alert)."""
    tags: dict[str, str] = {}
    """Tags on every resource. Default: none."""

    @model_validator(mode="after")
    def _check(self) -> ModelMonitorArgs:
        p = Problems()
        if self.region not in ANALYZER_ACCOUNTS:
            p.add(
                "region",
                f"Model Monitor's analyzer is not listed there; regions: {', '.join(ANALYZER_ACCOUNTS)}",
                self.region,
            )
        for key in ("capture_zone", "monitor_zone"):
            if getattr(self, key) not in self.lake.zones:
                p.add(key, f"not a zone of the lake; zones: {', '.join(self.lake.zones)}", getattr(self, key))
        p.raise_if_any()
        return self


def violation_pattern(schedule_arn: str) -> str:
    """EventBridge pattern: a run of this schedule that failed or found violations."""
    return json.dumps(
        {
            "source": ["aws.sagemaker"],
            "detail-type": ["SageMaker Processing Job State Change"],
            "detail": {
                "MonitoringScheduleArn": [schedule_arn],
                "$or": [
                    {"ProcessingJobStatus": ["Failed"]},
                    {"ExitMessage": [{"prefix": "CompletedWithViolations"}]},
                ],
            },
        }
    )


class ModelMonitor(pulumi.ComponentResource):
    """A data-quality monitoring schedule (type ``mlplatform:aws:ModelMonitor``).

    Outputs: ``schedule_name``, ``baseline_url``, ``reports_url``.
    """

    schedule_name: pulumi.Output[str]
    baseline_url: pulumi.Output[str]
    reports_url: pulumi.Output[str]

    def __init__(self, name: str, args: ModelMonitorArgs | dict[str, Any], opts: pulumi.ResourceOptions | None = None):
        args = args if isinstance(args, ModelMonitorArgs) else ModelMonitorArgs(**args)
        super().__init__(MLPLATFORM_AWS_MODEL_MONITOR, name, None, opts)
        lake, child = args.lake, pulumi.ResourceOptions(parent=self)
        base = f"{MONITOR_PREFIX}{args.monitor_name}/"
        baseline_prefix, reports_prefix = f"{base}baseline/", f"{base}reports/"
        self.baseline_url = pulumi.Output.concat(lake.zone_urls[args.monitor_zone], baseline_prefix)
        self.reports_url = pulumi.Output.concat(lake.zone_urls[args.monitor_zone], reports_prefix)
        account = aws.get_caller_identity().account_id
        logs = f"arn:aws:logs:{args.region}:{account}:log-group:/aws/sagemaker/ProcessingJobs"
        role = iam.role(
            f"{name}-role",
            iam.service_trust("sagemaker.amazonaws.com"),
            parent=self,
            tags=args.tags,
            description=f"Model Monitor of endpoint {args.monitor_name}: read captures and baseline, write reports",
            inline={
                "run": iam.document(
                    {
                        "Sid": "Logs",
                        "Effect": "Allow",
                        "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                        "Resource": [logs, f"{logs}:log-stream:*"],
                    },
                    {
                        "Sid": "Metrics",
                        "Effect": "Allow",
                        "Action": "cloudwatch:PutMetricData",
                        "Resource": "*",
                        "Condition": {"StringLike": {"cloudwatch:namespace": "aws/sagemaker/Endpoints/*"}},
                    },
                    {
                        "Sid": "PullAnalyzer",
                        "Effect": "Allow",
                        "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
                        "Resource": f"arn:aws:ecr:{args.region}:{ANALYZER_ACCOUNTS[args.region]}:repository/"
                        "sagemaker-model-monitor-analyzer",
                    },
                    {"Sid": "RegistryToken", "Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
                )
            },
        )
        principal = iam.principal(role)
        grants = lake.grant_read(principal, args.capture_zone, args.capture_prefix)
        if args.monitor_zone != args.capture_zone:
            grants += lake.grant_read(principal, args.monitor_zone, baseline_prefix)
        grants += lake.grant_write(principal, args.monitor_zone, reports_prefix)
        definition = aws.sagemaker.DataQualityJobDefinition(
            f"{name}-data-quality",
            name=args.monitor_name,
            role_arn=role.arn,
            data_quality_app_specification=aws.sagemaker.DataQualityJobDefinitionDataQualityAppSpecificationArgs(
                image_uri=analyzer_image(args.region),
            ),
            data_quality_baseline_config=aws.sagemaker.DataQualityJobDefinitionDataQualityBaselineConfigArgs(
                constraints_resource=aws.sagemaker.DataQualityJobDefinitionDataQualityBaselineConfigConstraintsResourceArgs(
                    s3_uri=pulumi.Output.concat(self.baseline_url, "constraints.json")
                ),
                statistics_resource=aws.sagemaker.DataQualityJobDefinitionDataQualityBaselineConfigStatisticsResourceArgs(
                    s3_uri=pulumi.Output.concat(self.baseline_url, "statistics.json")
                ),
            ),
            data_quality_job_input=aws.sagemaker.DataQualityJobDefinitionDataQualityJobInputArgs(
                endpoint_input=aws.sagemaker.DataQualityJobDefinitionDataQualityJobInputEndpointInputArgs(
                    endpoint_name=args.endpoint_name, local_path=ENDPOINT_INPUT
                )
            ),
            data_quality_job_output_config=aws.sagemaker.DataQualityJobDefinitionDataQualityJobOutputConfigArgs(
                monitoring_outputs=aws.sagemaker.DataQualityJobDefinitionDataQualityJobOutputConfigMonitoringOutputsArgs(
                    s3_output=aws.sagemaker.DataQualityJobDefinitionDataQualityJobOutputConfigMonitoringOutputsS3OutputArgs(
                        s3_uri=self.reports_url, local_path=OUTPUT, s3_upload_mode="EndOfJob"
                    )
                ),
                kms_key_id=lake.key_arn,
            ),
            job_resources=aws.sagemaker.DataQualityJobDefinitionJobResourcesArgs(
                cluster_config=aws.sagemaker.DataQualityJobDefinitionJobResourcesClusterConfigArgs(
                    instance_count=1, instance_type=args.monitor.instance_type, volume_size_in_gb=20
                )
            ),
            stopping_condition=aws.sagemaker.DataQualityJobDefinitionStoppingConditionArgs(
                max_runtime_in_seconds=duration_seconds(args.monitor.max_runtime)
            ),
            tags=args.tags,
            # SageMaker checks the role when the definition is created; the endpoint must exist for its input.
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[*grants, *([args.endpoint] if args.endpoint is not None else [])]
            ),
        )
        schedule = aws.sagemaker.MonitoringSchedule(
            f"{name}-schedule",
            name=args.monitor_name,
            monitoring_schedule_config=aws.sagemaker.MonitoringScheduleMonitoringScheduleConfigArgs(
                monitoring_type="DataQuality",
                monitoring_job_definition_name=definition.name,
                schedule_config=aws.sagemaker.MonitoringScheduleMonitoringScheduleConfigScheduleConfigArgs(
                    schedule_expression=SCHEDULES[args.monitor.schedule]
                ),
            ),
            tags=args.tags,
            opts=child,
        )
        if args.alarm_topic_arn is not None:
            rule = aws.cloudwatch.EventRule(
                f"{name}-findings",
                description=f"Model Monitor runs of {args.monitor_name} that failed or found violations",
                event_pattern=schedule.arn.apply(violation_pattern),
                tags=args.tags,
                opts=child,
            )
            aws.cloudwatch.EventTarget(
                f"{name}-findings",
                rule=rule.name,
                arn=args.alarm_topic_arn,
                opts=child,
            )
        self.schedule_name = schedule.name
        self.register_outputs(
            {"schedule_name": self.schedule_name, "baseline_url": self.baseline_url, "reports_url": self.reports_url}
        )


__all__ = ["ANALYZER_ACCOUNTS", "ModelMonitor", "ModelMonitorArgs", "analyzer_image", "violation_pattern"]
