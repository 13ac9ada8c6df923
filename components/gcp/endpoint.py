"""ModelEndpoint (GCP): a Cloud Run service (serverless: scales to zero, CPU or one L4 GPU, A/B split between
revisions) or a Vertex AI endpoint with dedicated replicas (real-time).

- serverless (Cloud Run): min instances 0 (or ``provisioned_concurrency`` worth of warm instances), max
  instances from ``max_concurrency / concurrency_per_instance``, CPU allocated only while serving, an L4 GPU
  when ``serverless.gpu`` (without zonal redundancy: cheaper, and a lost zone only costs a cold start). The
  last variant is deployed as the service's new revision, named by Cloud Run (revisions are immutable, so a
  fixed name would collide on the next change); traffic is split by weight between it (the latest
  revision) and the revisions earlier variants name (``variants[].revision``, created by earlier
  deployments; the ``latest_revision`` output tells the name to use next time). Invocation needs IAM
  (``roles/run.invoker``): nothing is public;
- real-time (Vertex AI): a dedicated endpoint (invoked on its own DNS name: it refuses the shared domain)
  and, per variant, a deployment resource pool of dedicated replicas (machine type and GPU from the catalog,
  autoscaled between the variant's min and max on utilisation); each variant's model is uploaded and
  deployed onto its pool with the variant's traffic share (``traffic_weights``) by
  :class:`~mlplatform.components.gcp.vertex_deployment.VertexModelDeployment`;
- every endpoint runs as its own service account that may read only the models zone;
- Cloud Monitoring alert policies for latency p99 and server errors, to the platform's notification channels.

Example::

    endpoint = ModelEndpoint("ranker", ModelEndpointArgs(project="ml-dev-123", region="us-central1", lake=lake,
        endpoint={"name": "ranker", "mode": "serverless",
                  "variants": [{"name": "current", "image": "us-docker.pkg.dev/ml-dev-123/models/ranker:14",
                                "model_data": "ranker/v14/"}]}))
"""

from __future__ import annotations

import hashlib
import math
import posixpath
from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_gcp as gcp
from pydantic import Field, model_validator

from ..base.cloud import Cloud
from ..base.errors import Problems
from ..base.types import MLPLATFORM_GCP_MODEL_ENDPOINT
from ..base.values import ComponentArgs, GcpLabels
from ..catalog import VERTEX_ACCELERATORS, load_catalog
from ..config.endpoints import EndpointMode, EndpointSpec, variant_problems
from ..config.environment import Environment
from ..interfaces import StrInput
from . import iam
from .data_lake import DataLake
from .vertex_deployment import VertexModelDeployment

SERVICE_NAME = r"^[a-z]([-a-z0-9]{0,47}[a-z0-9])?$"


def split_percent(weights: list[float]) -> list[int]:
    """Whole percentages summing to 100 in the ratio of ``weights`` (largest remainder)."""
    total = sum(weights)
    exact = [100 * w / total for w in weights]
    floors = [math.floor(x) for x in exact]
    order = sorted(range(len(weights)), key=lambda i: exact[i] - floors[i], reverse=True)
    for i in order[: 100 - sum(floors)]:
        floors[i] += 1
    return floors


class ModelEndpointArgs(ComponentArgs):
    _context_cloud = Cloud.GCP

    project: str
    """GCP project id. Required."""
    region: str
    """Region of the service or endpoint. Required."""
    endpoint: EndpointSpec
    """Mode, variants, serverless settings (one entry of the stack spec's ``endpoints``). Required."""
    lake: DataLake
    """Data lake holding model artifacts. Required."""
    endpoint_name: str | None = Field(default=None, pattern=SERVICE_NAME)
    """Cloud Run service or Vertex endpoint display name. Default: ``<endpoint.name>-<stack>``."""
    models_zone: str = "models"
    """Zone whose paths ``variants[].model_data`` name. Default: models."""
    notification_channels: Sequence[StrInput] = []
    """Cloud Monitoring notification channels for the alert policies. Default: none."""
    latency_p99_ms: int = Field(default=1000, ge=1)
    """Latency p99 alert threshold, unless the endpoint sets its own. Default: 1000."""
    invokers: list[str] = []
    """IAM members allowed to call a Cloud Run endpoint (e.g. serviceAccount:app@p.iam.gserviceaccount.com).
    Default: none (grant roles/run.invoker elsewhere)."""
    environment: Environment = Environment.DEV
    """prod turns on deletion protection for the Cloud Run service. Default: dev."""
    labels: GcpLabels = {}
    """Labels on every resource. Default: none."""

    @model_validator(mode="after")
    def _check(self) -> ModelEndpointArgs:
        p = Problems()
        if self.models_zone not in self.lake.zones:
            p.add("models_zone", f"not a zone of the lake; zones: {', '.join(self.lake.zones)}", self.models_zone)
        for where, v in self.endpoint.variants_with_paths():
            for key, message, value in variant_problems(Cloud.GCP, v, self.models_zone):
                p.add(f"endpoint.{where}.{key}", message, value)
        p.raise_if_any()
        return self


class ModelEndpoint(pulumi.ComponentResource):
    """A Cloud Run or Vertex AI model endpoint (type ``mlplatform:gcp:ModelEndpoint``).

    Outputs: ``endpoint_name``, ``invoke_url``, ``service_account`` (email), ``traffic_weights`` (variant ->
    percent), ``deployment_resource_pools`` (real-time: variant -> pool id).
    """

    endpoint_name: str
    invoke_url: pulumi.Output[str]
    service_account: pulumi.Output[str]
    traffic_weights: dict[str, int]
    deployment_resource_pools: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: ModelEndpointArgs | dict[str, Any], opts: pulumi.ResourceOptions | None = None):
        args = args if isinstance(args, ModelEndpointArgs) else ModelEndpointArgs(**args)
        super().__init__(MLPLATFORM_GCP_MODEL_ENDPOINT, name, None, opts)
        spec = args.endpoint
        self.endpoint_name = args.endpoint_name or f"{spec.name}-{pulumi.get_stack()}"[:49].rstrip("-")
        self.traffic_weights = dict(
            zip([v.name for v in spec.variants], split_percent([v.weight for v in spec.variants]), strict=True)
        )
        account = iam.service_account(f"{name}-runtime", args.project, f"Model endpoint {self.endpoint_name}", self)
        self.service_account = account.email
        args.lake.grant_read(iam.principal(account, f"{name}-models"), args.models_zone)
        self._grant_external_models(name, args, account.member)
        self.deployment_resource_pools = {}
        self.latest_revision: pulumi.Output[str] | None = None
        self.deployed_models: list[str] = []
        if spec.mode is EndpointMode.SERVERLESS:
            self._cloud_run(name, args, account)
        else:
            self._vertex(name, args)
        self._alerts(name, args)
        self.register_outputs(
            {
                "endpoint_name": self.endpoint_name,
                "invoke_url": self.invoke_url,
                "service_account": self.service_account,
                "traffic_weights": self.traffic_weights,
                "latest_revision": self.latest_revision,
                "deployed_models": self.deployed_models,
            }
        )

    def _model_uri(self, args: ModelEndpointArgs, model_data: str) -> pulumi.Output[str]:
        if model_data.startswith("gs://"):
            return pulumi.Output.from_input(model_data)
        return pulumi.Output.concat(args.lake.zone_urls[args.models_zone], posixpath.normpath(model_data).lstrip("/"))

    def _grant_external_models(self, name: str, args: ModelEndpointArgs, member: pulumi.Input[str]) -> None:
        """Read access to buckets outside the lake that hold existing artifacts (the deployer needs
        storage.buckets.setIamPolicy there, or the bucket's owner grants it instead)."""
        buckets = sorted(
            {v.model_data[5:].split("/", 1)[0] for v in args.endpoint.variants if v.model_data.startswith("gs://")}
        )
        for i, bucket in enumerate(buckets):
            gcp.storage.BucketIAMMember(
                f"{name}-artifacts-{i}",
                bucket=bucket,
                role="roles/storage.objectViewer",
                member=member,
                opts=pulumi.ResourceOptions(parent=self),
            )

    def _cloud_run(self, name: str, args: ModelEndpointArgs, account: gcp.serviceaccount.Account) -> None:
        spec = args.endpoint
        sl = spec.serverless
        assert sl is not None
        per_instance = sl.instance_concurrency()
        warm = math.ceil((sl.provisioned_concurrency or 0) / per_instance)
        cpu = "4" if sl.gpu else ("1" if sl.memory_mb <= 4096 else "2" if sl.memory_mb <= 8192 else "4")
        limits = {"cpu": cpu, "memory": f"{sl.memory_mb}Mi"}
        if sl.gpu:
            limits["nvidia.com/gpu"] = "1"
        latest = spec.variants[-1]
        service = gcp.cloudrunv2.Service(
            name,
            name=self.endpoint_name,
            project=args.project,
            location=args.region,
            description=f"Model endpoint {spec.name}",
            ingress="INGRESS_TRAFFIC_ALL",
            invoker_iam_disabled=False,  # callers need roles/run.invoker
            deletion_protection=args.environment is Environment.PROD,
            # No revision name: Cloud Run names each new revision, so the next template change never collides.
            template=gcp.cloudrunv2.ServiceTemplateArgs(
                service_account=account.email,
                max_instance_request_concurrency=per_instance,
                timeout="300s",
                scaling=gcp.cloudrunv2.ServiceTemplateScalingArgs(
                    min_instance_count=warm, max_instance_count=max(math.ceil(sl.max_concurrency / per_instance), 1)
                ),
                node_selector=gcp.cloudrunv2.ServiceTemplateNodeSelectorArgs(accelerator="nvidia-l4")
                if sl.gpu
                else None,
                gpu_zonal_redundancy_disabled=True if sl.gpu else None,
                containers=[
                    gcp.cloudrunv2.ServiceTemplateContainerArgs(
                        image=latest.image,
                        envs=[
                            gcp.cloudrunv2.ServiceTemplateContainerEnvArgs(
                                name="MODEL_URI", value=self._model_uri(args, latest.model_data)
                            ),
                            gcp.cloudrunv2.ServiceTemplateContainerEnvArgs(name="MODEL_VARIANT", value=latest.name),
                        ],
                        ports=gcp.cloudrunv2.ServiceTemplateContainerPortsArgs(container_port=8080),
                        resources=gcp.cloudrunv2.ServiceTemplateContainerResourcesArgs(
                            limits=limits,
                            # CPU only while a request is being served: idle instances cost (almost) nothing.
                            cpu_idle=not sl.gpu,
                            startup_cpu_boost=True,
                        ),
                        startup_probe=gcp.cloudrunv2.ServiceTemplateContainerStartupProbeArgs(
                            tcp_socket=gcp.cloudrunv2.ServiceTemplateContainerStartupProbeTcpSocketArgs(port=8080),
                            period_seconds=10,
                            failure_threshold=30,  # large models take minutes to load
                        ),
                    )
                ],
                labels=args.labels,
            ),
            traffics=[
                gcp.cloudrunv2.ServiceTrafficArgs(
                    type="TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION",
                    revision=v.revision,
                    percent=self.traffic_weights[v.name],
                    tag=v.name,
                )
                for v in spec.variants[:-1]
            ]
            + [
                gcp.cloudrunv2.ServiceTrafficArgs(
                    type="TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST",
                    percent=self.traffic_weights[latest.name],
                    tag=latest.name,
                )
            ],
            labels=args.labels,
            opts=pulumi.ResourceOptions(parent=self),
        )
        for i, member in enumerate(args.invokers):
            gcp.cloudrunv2.ServiceIamMember(
                f"{name}-invoker-{i}",
                project=args.project,
                location=args.region,
                name=service.name,
                role="roles/run.invoker",
                member=member,
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.invoke_url = service.uri
        self.latest_revision = service.latest_ready_revision

    def _vertex(self, name: str, args: ModelEndpointArgs) -> None:
        spec = args.endpoint
        cat = load_catalog()
        # Vertex endpoint ids are numeric: derived from the name so a stack always gets the same one.
        endpoint_id = str(
            int(hashlib.sha256(f"{args.project}/{self.endpoint_name}".encode()).hexdigest(), 16) % 9_000_000_000
            + 1_000_000_000
        )
        self._vertex_id = endpoint_id
        endpoint = gcp.vertex.AiEndpoint(
            name,
            name=endpoint_id,
            display_name=self.endpoint_name,
            description=f"Model endpoint {spec.name}",
            project=args.project,
            location=args.region,
            region=args.region,
            dedicated_endpoint_enabled=True,
            labels=args.labels,
            opts=pulumi.ResourceOptions(parent=self),
        )
        for v in spec.variants:
            machine = cat.machine_type("gcp", v.instance_type or "")
            assert machine is not None  # validated by the spec
            accelerator = VERTEX_ACCELERATORS.get(machine.gpu) if machine.gpu else None
            low, high = v.count_range()
            pool = gcp.vertex.AiDeploymentResourcePool(
                f"{name}-{v.name}",
                name=f"{self.endpoint_name}-{v.name}"[:63].rstrip("-"),
                project=args.project,
                region=args.region,
                dedicated_resources=gcp.vertex.AiDeploymentResourcePoolDedicatedResourcesArgs(
                    machine_spec=gcp.vertex.AiDeploymentResourcePoolDedicatedResourcesMachineSpecArgs(
                        machine_type=machine.name,
                        accelerator_type=accelerator,
                        accelerator_count=machine.gpus if accelerator else None,
                    ),
                    min_replica_count=low,
                    max_replica_count=high,
                    autoscaling_metric_specs=[
                        gcp.vertex.AiDeploymentResourcePoolDedicatedResourcesAutoscalingMetricSpecArgs(
                            metric_name="aiplatform.googleapis.com/prediction/online/accelerator/duty_cycle"
                            if accelerator
                            else "aiplatform.googleapis.com/prediction/online/cpu/utilization",
                            target=60,
                        )
                    ],
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )
            self.deployment_resource_pools[v.name] = pool.id
        # The models themselves, on their pools, with the variants' traffic shares: without them the endpoint
        # answers every prediction with 400.
        VertexModelDeployment(
            f"{name}-models",
            endpoint=endpoint.id,
            region=args.region,
            display_name=self.endpoint_name,
            variants=[
                {
                    "name": v.name,
                    "image": v.image,
                    "artifact_uri": self._model_uri(args, v.model_data),
                    "pool": self.deployment_resource_pools[v.name],
                    "percent": self.traffic_weights[v.name],
                }
                for v in spec.variants
            ],
            labels=dict(args.labels),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.deployed_models = [v.name for v in spec.variants]
        # A dedicated endpoint refuses the shared {region}-aiplatform.googleapis.com domain: only its own DNS.
        self.invoke_url = pulumi.Output.concat(
            "https://", endpoint.dedicated_endpoint_dns, "/v1/", endpoint.id, ":predict"
        )

    def _alerts(self, name: str, args: ModelEndpointArgs) -> None:
        spec = args.endpoint
        threshold = spec.latency_p99_ms or args.latency_p99_ms
        if spec.mode is EndpointMode.SERVERLESS:
            scope = f'resource.type = "cloud_run_revision" AND resource.labels.service_name = "{self.endpoint_name}"'
            latency = f'metric.type = "run.googleapis.com/request_latencies" AND {scope}'
            errors = (
                'metric.type = "run.googleapis.com/request_count" AND metric.labels.response_code_class = "5xx" '
                f"AND {scope}"
            )
        else:
            scope = (
                'resource.type = "aiplatform.googleapis.com/Endpoint" '
                f'AND resource.labels.endpoint_id = "{self._vertex_id}"'
            )
            latency = f'metric.type = "aiplatform.googleapis.com/prediction/online/prediction_latencies" AND {scope}'
            errors = f'metric.type = "aiplatform.googleapis.com/prediction/online/error_count" AND {scope}'
        policies = {
            "latency-p99": (
                f"{self.endpoint_name}: latency p99 above {threshold} ms",
                latency,
                "ALIGN_PERCENTILE_99",
                float(threshold),
            ),
            "5xx": (f"{self.endpoint_name}: server errors", errors, "ALIGN_RATE", 0.05),
        }
        for suffix, (title, flt, aligner, value) in policies.items():
            gcp.monitoring.AlertPolicy(
                f"{name}-{suffix}",
                project=args.project,
                display_name=title,
                combiner="OR",
                conditions=[
                    gcp.monitoring.AlertPolicyConditionArgs(
                        display_name=title,
                        condition_threshold=gcp.monitoring.AlertPolicyConditionConditionThresholdArgs(
                            filter=flt,
                            comparison="COMPARISON_GT",
                            threshold_value=value,
                            duration="300s",
                            aggregations=[
                                gcp.monitoring.AlertPolicyConditionConditionThresholdAggregationArgs(
                                    alignment_period="300s", per_series_aligner=aligner
                                )
                            ],
                        ),
                    )
                ],
                notification_channels=args.notification_channels,
                documentation=gcp.monitoring.AlertPolicyDocumentationArgs(
                    content=f"Endpoint {spec.name} ({spec.mode}) in {args.region}.", mime_type="text/markdown"
                ),
                user_labels=args.labels,
                opts=pulumi.ResourceOptions(parent=self),
            )
