"""ModelEndpoint: a SageMaker endpoint, serverless (scales to zero) or real-time with A/B production variants.

- serverless: one variant, memory 1024-6144 MB, max concurrency 1-200, optional provisioned concurrency; no GPUs,
  no data capture, no shadow variant (AWS does not offer them; the spec is rejected before this runs);
- real-time: one or more weighted production variants (A/B splits), an optional shadow variant, data capture to
  the lake, and target-tracking autoscaling on invocations per instance for variants with max > min;
- every model: a SageMaker Model from an ECR image and an artifact that must exist when the endpoint is
  created: a key in the lake's models zone (so not on the first deploy of a new lake, which is empty), or the
  ``s3://`` URI of an existing artifact (a model registry bucket); its own execution role reads only that
  artifact (prefix), pulls only its image repository, and writes only its endpoint's logs and metrics. A
  stack whose first model is not trained yet sets the endpoint's ``enabled: false`` until it is;
- CloudWatch alarms per variant (model latency p99, 5XX errors; saturated concurrency on serverless, which is
  when SageMaker throttles) routed to the platform's alert topic;
- with ``monitor`` (real-time, data capture on): a Model Monitor data-quality schedule over the captured
  requests against a baseline in the lake (:class:`mlplatform.components.aws.model_monitor.ModelMonitor`).

Example::

    endpoint = ModelEndpoint("ranker", ModelEndpointArgs(region="us-east-1", lake=lake, endpoint={
        "name": "ranker", "mode": "serverless",
        "variants": [{"name": "current", "image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/ranker:1.4",
                      "model_data": "ranker/v14/model.tar.gz"}]}))
"""

from __future__ import annotations

import posixpath
from typing import Any

import pulumi
import pulumi_aws as aws
from pydantic import Field, model_validator

from ..base.cloud import Cloud
from ..base.errors import Problems
from ..base.types import MLPLATFORM_AWS_MODEL_ENDPOINT
from ..base.values import ComponentArgs
from ..config.endpoints import (
    ECR_IMAGE,
    S3_ARTIFACT,
    EndpointMode,
    EndpointSpec,
    VariantSpec,
    hosting_problem,
    variant_problems,
)
from ..config.environment import Environment
from ..interfaces import StrInput
from . import iam
from .data_lake import DataLake

ENDPOINT_NAME = r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$"
CAPTURE_PREFIX = "sagemaker-capture/"


class ModelEndpointArgs(ComponentArgs):
    _context_cloud = Cloud.AWS

    region: str
    """AWS region. Required."""
    endpoint: EndpointSpec
    """Mode, variants, serverless settings, data capture, autoscaling (one entry of the stack spec's
    ``endpoints``). Required."""
    lake: DataLake
    """Data lake holding model artifacts (and captured data). Required."""
    endpoint_name: str | None = Field(default=None, pattern=ENDPOINT_NAME)
    """SageMaker endpoint name. Default: ``<endpoint.name>-<stack>``."""
    models_zone: str = "models"
    """Zone whose keys ``variants[].model_data`` name. Default: models."""
    capture_zone: str = "raw"
    """Zone receiving captured requests and responses (under ``sagemaker-capture/<endpoint>/``). Default: raw."""
    alarm_topic_arn: StrInput | None = None
    """SNS topic for the alarms. Default: alarms without actions."""
    latency_p99_ms: int = Field(default=1000, ge=1)
    """Model latency p99 alarm threshold, unless the endpoint sets its own. Default: 1000."""
    environment: Environment = Environment.DEV
    """dev, staging or prod. Default: dev."""
    tags: dict[str, str] = {}
    """Tags on every resource. Default: none."""

    @model_validator(mode="after")
    def _check(self) -> ModelEndpointArgs:
        p = Problems()
        for zone_field in ("models_zone", "capture_zone"):
            zone = getattr(self, zone_field)
            if zone not in self.lake.zones:
                p.add(zone_field, f"not a zone of the lake; zones: {', '.join(self.lake.zones)}", zone)
        for where, v in self.endpoint.variants_with_paths():
            for key, message, value in variant_problems(Cloud.AWS, v, self.models_zone):
                p.add(f"endpoint.{where}.{key}", message, value)
            if self.endpoint.mode is EndpointMode.REALTIME and v.instance_type:
                offered = hosting_problem(self.region, v.instance_type)
                if offered:
                    p.add(f"endpoint.{where}.instance_type", offered, v.instance_type)
        p.raise_if_any()
        return self


class ModelEndpoint(pulumi.ComponentResource):
    """A SageMaker endpoint with its models, roles, autoscaling and alarms (type ``mlplatform:aws:ModelEndpoint``).

    Outputs: ``endpoint_name``, ``endpoint_arn``, ``invoke_url``, ``variant_names``.
    """

    endpoint_name: pulumi.Output[str]
    endpoint_arn: pulumi.Output[str]
    invoke_url: pulumi.Output[str]
    variant_names: list[str]

    def __init__(self, name: str, args: ModelEndpointArgs | dict[str, Any], opts: pulumi.ResourceOptions | None = None):
        args = args if isinstance(args, ModelEndpointArgs) else ModelEndpointArgs(**args)
        super().__init__(MLPLATFORM_AWS_MODEL_ENDPOINT, name, None, opts)
        spec, lake = args.endpoint, args.lake
        endpoint_name = args.endpoint_name or f"{spec.name}-{pulumi.get_stack()}"
        account = aws.get_caller_identity().account_id
        child = pulumi.ResourceOptions(parent=self)
        capture = spec.mode is EndpointMode.REALTIME and spec.data_capture_percent is not None
        capture_prefix = f"{CAPTURE_PREFIX}{endpoint_name}/"

        models: dict[str, aws.sagemaker.Model] = {}
        for _, v in spec.variants_with_paths():
            role = iam.role(
                f"{name}-{v.name}",
                iam.service_trust("sagemaker.amazonaws.com"),
                parent=self,
                tags=args.tags,
                description=f"SageMaker model {v.name} of endpoint {endpoint_name}",
                inline={"runtime": self._runtime_policy(v, endpoint_name, args.region, account)},
            )
            external = S3_ARTIFACT.match(v.model_data)
            if external:
                # An artifact that already exists (a registry bucket, an earlier lake): read exactly that object.
                # A bucket in another account must also allow this role in its bucket policy (and its key).
                grants = [
                    aws.iam.RolePolicy(
                        f"{name}-{v.name}-artifact",
                        role=role.id,
                        policy=iam.document(
                            {
                                "Sid": "ReadArtifact",
                                "Effect": "Allow",
                                "Action": "s3:GetObject",
                                "Resource": f"arn:aws:s3:::{external['bucket']}/{external['key']}",
                            }
                        ),
                        opts=child,
                    )
                ]
                model_url: pulumi.Input[str] = v.model_data
            else:
                artifact_prefix = posixpath.dirname(v.model_data) + "/" if "/" in v.model_data else ""
                grants = lake.grant_read(iam.principal(role), args.models_zone, prefix=artifact_prefix)
                model_url = pulumi.Output.concat(lake.zone_urls[args.models_zone], v.model_data)
            if capture:
                grants += lake.grant_write(iam.principal(role), args.capture_zone, prefix=capture_prefix)
            models[v.name] = aws.sagemaker.Model(
                f"{name}-{v.name}",
                execution_role_arn=role.arn,
                primary_container=aws.sagemaker.ModelPrimaryContainerArgs(
                    image=v.image,
                    model_data_url=model_url,
                    mode="SingleModel",
                ),
                # The container needs no internet: SageMaker fetches the artifact and the image for it.
                enable_network_isolation=True,
                tags=args.tags,
                # SageMaker checks the role can read the artifact when the model is created.
                opts=pulumi.ResourceOptions(parent=self, depends_on=grants),
            )

        def production_variant(v: VariantSpec) -> aws.sagemaker.EndpointConfigurationProductionVariantArgs:
            if spec.mode is EndpointMode.SERVERLESS:
                s = spec.serverless
                assert s is not None  # EndpointSpec fills it for serverless mode
                return aws.sagemaker.EndpointConfigurationProductionVariantArgs(
                    variant_name=v.name,
                    model_name=models[v.name].name,
                    serverless_config=aws.sagemaker.EndpointConfigurationProductionVariantServerlessConfigArgs(
                        memory_size_in_mb=s.memory_mb,
                        max_concurrency=s.max_concurrency,
                        provisioned_concurrency=s.provisioned_concurrency,
                    ),
                )
            return aws.sagemaker.EndpointConfigurationProductionVariantArgs(
                variant_name=v.name,
                model_name=models[v.name].name,
                instance_type=v.instance_type,
                initial_instance_count=v.initial_count,
                initial_variant_weight=v.weight,
            )

        def shadow_variant(v: VariantSpec) -> aws.sagemaker.EndpointConfigurationShadowProductionVariantArgs:
            return aws.sagemaker.EndpointConfigurationShadowProductionVariantArgs(
                variant_name=v.name,
                model_name=models[v.name].name,
                instance_type=v.instance_type,
                initial_instance_count=v.initial_count,
                initial_variant_weight=v.weight,
            )

        data_capture = None
        if capture:
            data_capture = aws.sagemaker.EndpointConfigurationDataCaptureConfigArgs(
                enable_capture=True,
                initial_sampling_percentage=spec.data_capture_percent or 0,
                destination_s3_uri=pulumi.Output.concat(lake.zone_urls[args.capture_zone], capture_prefix),
                kms_key_id=lake.key_arn,
                capture_options=[
                    aws.sagemaker.EndpointConfigurationDataCaptureConfigCaptureOptionArgs(capture_mode="Input"),
                    aws.sagemaker.EndpointConfigurationDataCaptureConfigCaptureOptionArgs(capture_mode="Output"),
                ],
                capture_content_type_header=aws.sagemaker.EndpointConfigurationDataCaptureConfigCaptureContentTypeHeaderArgs(
                    json_content_types=["application/json"]
                ),
            )
        config = aws.sagemaker.EndpointConfiguration(
            name,
            production_variants=[production_variant(v) for v in spec.variants],
            shadow_production_variants=[shadow_variant(spec.shadow_variant)] if spec.shadow_variant else None,
            data_capture_config=data_capture,
            tags=args.tags,
            opts=child,
        )
        endpoint = aws.sagemaker.Endpoint(
            name, name=endpoint_name, endpoint_config_name=config.name, tags=args.tags, opts=child
        )

        if spec.mode is EndpointMode.REALTIME:
            self._autoscaling(name, spec, endpoint, args.tags)
        self._alarms(name, args, spec, endpoint_name, endpoint)
        if spec.monitor is not None and capture:
            from .model_monitor import ModelMonitor, ModelMonitorArgs

            ModelMonitor(
                f"{name}-monitor",
                ModelMonitorArgs(
                    region=args.region,
                    endpoint_name=endpoint.name,
                    endpoint=endpoint,
                    monitor=spec.monitor,
                    lake=lake,
                    capture_zone=args.capture_zone,
                    capture_prefix=capture_prefix,
                    monitor_zone=args.models_zone,
                    monitor_name=endpoint_name,
                    alarm_topic_arn=args.alarm_topic_arn,
                    tags=args.tags,
                ),
                opts=child,
            )

        self.endpoint_name = endpoint.name
        self.endpoint_arn = endpoint.arn
        self.invoke_url = pulumi.Output.concat(
            f"https://runtime.sagemaker.{args.region}.amazonaws.com/endpoints/", endpoint.name, "/invocations"
        )
        self.variant_names = [v.name for v in spec.variants]
        self.register_outputs(
            {
                "endpoint_name": self.endpoint_name,
                "endpoint_arn": self.endpoint_arn,
                "invoke_url": self.invoke_url,
                "variant_names": self.variant_names,
            }
        )

    @staticmethod
    def _runtime_policy(v: VariantSpec, endpoint_name: str, region: str, account: str) -> pulumi.Output[str]:
        image = ECR_IMAGE.match(v.image)
        assert image is not None  # validated by ModelEndpointArgs
        repo = f"arn:aws:ecr:{image['region']}:{image['account']}:repository/{image['repo']}"
        logs = f"arn:aws:logs:{region}:{account}:log-group:/aws/sagemaker/Endpoints/{endpoint_name}"
        return iam.document(
            {
                "Sid": "PullImage",
                "Effect": "Allow",
                "Resource": repo,
                "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"],
            },
            {"Sid": "RegistryToken", "Effect": "Allow", "Resource": "*", "Action": "ecr:GetAuthorizationToken"},
            {
                "Sid": "EndpointLogs",
                "Effect": "Allow",
                "Resource": [logs, f"{logs}:log-stream:*"],
                "Action": [
                    "logs:CreateLogGroup",
                    "logs:CreateLogStream",
                    "logs:PutLogEvents",
                    "logs:DescribeLogStreams",
                ],
            },
            {
                "Sid": "EndpointMetrics",
                "Effect": "Allow",
                "Resource": "*",
                "Action": "cloudwatch:PutMetricData",
                "Condition": {"StringLike": {"cloudwatch:namespace": ["/aws/sagemaker/Endpoints", "AWS/SageMaker"]}},
            },
        )

    def _autoscaling(
        self, name: str, spec: EndpointSpec, endpoint: aws.sagemaker.Endpoint, tags: dict[str, str]
    ) -> None:
        a = spec.autoscaling
        for v in spec.variants:
            low, high = v.count_range()
            if high <= low:
                continue  # a fixed-size variant: nothing to scale
            target = aws.appautoscaling.Target(
                f"{name}-{v.name}",
                service_namespace="sagemaker",
                scalable_dimension="sagemaker:variant:DesiredInstanceCount",
                resource_id=pulumi.Output.concat("endpoint/", endpoint.name, f"/variant/{v.name}"),
                min_capacity=low,
                max_capacity=high,
                tags=tags,
                opts=pulumi.ResourceOptions(parent=self),
            )
            aws.appautoscaling.Policy(
                f"{name}-{v.name}",
                policy_type="TargetTrackingScaling",
                service_namespace=target.service_namespace,
                scalable_dimension=target.scalable_dimension,
                resource_id=target.resource_id,
                target_tracking_scaling_policy_configuration=aws.appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationArgs(
                    target_value=float(a.target_invocations_per_instance),
                    predefined_metric_specification=aws.appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecificationArgs(
                        predefined_metric_type="SageMakerVariantInvocationsPerInstance"
                    ),
                    scale_in_cooldown=a.scale_in_cooldown_seconds,
                    scale_out_cooldown=a.scale_out_cooldown_seconds,
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )

    def _alarms(
        self,
        name: str,
        args: ModelEndpointArgs,
        spec: EndpointSpec,
        endpoint_name: str,
        endpoint: aws.sagemaker.Endpoint,
    ) -> None:
        actions = [args.alarm_topic_arn] if args.alarm_topic_arn is not None else []
        latency_ms = spec.latency_p99_ms or args.latency_p99_ms
        # Alarms evaluate the endpoint's metrics by name; they must not exist before the endpoint does.
        opts = pulumi.ResourceOptions(parent=self, depends_on=[endpoint])
        for v in spec.variants:
            dims = {"EndpointName": endpoint_name, "VariantName": v.name}
            common: dict[str, Any] = dict(
                namespace="AWS/SageMaker",
                dimensions=dims,
                period=300,
                evaluation_periods=3,
                datapoints_to_alarm=2,
                treat_missing_data="notBreaching",
                alarm_actions=actions,
                ok_actions=actions,
                tags=args.tags,
            )
            aws.cloudwatch.MetricAlarm(
                f"{name}-{v.name}-latency-p99",
                alarm_description=f"{endpoint_name}/{v.name}: model latency p99 above {latency_ms} ms",
                metric_name="ModelLatency",  # microseconds
                extended_statistic="p99",
                comparison_operator="GreaterThanThreshold",
                threshold=latency_ms * 1000,
                opts=opts,
                **common,
            )
            aws.cloudwatch.MetricAlarm(
                f"{name}-{v.name}-5xx",
                alarm_description=f"{endpoint_name}/{v.name}: model or container errors (5XX)",
                metric_name="Invocation5XXErrors",
                statistic="Sum",
                comparison_operator="GreaterThanThreshold",
                threshold=0,
                opts=opts,
                **common,
            )
            if spec.mode is EndpointMode.SERVERLESS:
                # Serverless endpoints publish no throttle count: requests beyond max concurrency are throttled,
                # which is exactly when concurrent executions reach the maximum.
                aws.cloudwatch.MetricAlarm(
                    f"{name}-{v.name}-throttles",
                    alarm_description=f"{endpoint_name}/{v.name}: concurrency at its maximum; requests are throttled",
                    metric_name="ServerlessConcurrentExecutionsUtilization",
                    statistic="Maximum",
                    comparison_operator="GreaterThanOrEqualToThreshold",
                    threshold=1.0,
                    opts=opts,
                    **common,
                )
