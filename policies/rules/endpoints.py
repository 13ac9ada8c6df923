"""endpoint-guardrails: model endpoints stay within concurrency, instance-type and instance-count caps.

Covers SageMaker endpoint configurations (serverless max and provisioned concurrency; real-time variant
instance types and initial counts, shadow variants included), the Application Auto Scaling targets that
scale SageMaker variants (their maximum), Cloud Run services (maximum instances) and Vertex AI deployment
resource pools (maximum replicas).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from mlplatform.components.base.resources import Resource, get
from mlplatform.components.base.types import (
    AWS_APPAUTOSCALING_TARGET,
    AWS_SAGEMAKER_ENDPOINT_CONFIGURATION,
    GCP_CLOUDRUNV2_SERVICE,
    GCP_VERTEX_AI_DEPLOYMENT_RESOURCE_POOL,
)

from .base import Rule, Settings, items, listing, number

CLOUD_RUN_DEFAULT_MAX = 100  # what Cloud Run allows when a service sets no maximum


def _variants(r: Resource) -> Iterator[Mapping]:
    for v in items(get(r.props, "productionVariants")) + items(get(r.props, "shadowProductionVariants")):
        if isinstance(v, Mapping):
            yield v


def check_endpoints(r: Resource, s: Settings) -> Iterator[str]:
    max_conc = number(s.get("max_serverless_concurrency"))
    max_prov = number(s.get("max_provisioned_concurrency"))
    allowed = list(s.get("allowed_instance_types") or [])
    max_count = number(s.get("max_instances_per_variant"))
    env = s.get("environment") or "this stack"
    if r.type == AWS_SAGEMAKER_ENDPOINT_CONFIGURATION:
        for v in _variants(r):
            name = v.get("variantName") or "?"
            serverless = v.get("serverlessConfig")
            if isinstance(serverless, Mapping):
                conc = number(serverless.get("maxConcurrency"), 0) or 0
                prov = number(serverless.get("provisionedConcurrency"), 0) or 0
                if max_conc is not None and conc > max_conc:
                    yield (
                        f"endpoint configuration '{r.name}' variant '{name}' allows {conc:g} concurrent serverless "
                        f"invocations but {env} allows at most {max_conc:g}."
                    )
                if max_prov is not None and prov > max_prov:
                    yield (
                        f"endpoint configuration '{r.name}' variant '{name}' keeps {prov:g} provisioned concurrency "
                        f"(billed while idle) but {env} allows at most {max_prov:g}."
                    )
                continue
            itype = v.get("instanceType")
            if allowed and itype and itype not in allowed:
                yield (
                    f"endpoint configuration '{r.name}' variant '{name}' uses {itype} but {env} allows "
                    f"{listing(allowed)}."
                )
            count = number(v.get("initialInstanceCount"), 1) or 0
            if max_count is not None and count > max_count:
                yield (
                    f"endpoint configuration '{r.name}' variant '{name}' starts {count:g} instances but {env} allows "
                    f"at most {max_count:g} per variant."
                )
    elif r.type == AWS_APPAUTOSCALING_TARGET:
        if get(r.props, "scalableDimension") != "sagemaker:variant:DesiredInstanceCount":
            return
        high = number(get(r.props, "maxCapacity"), 0) or 0
        if max_count is not None and high > max_count:
            yield (
                f"autoscaling of {get(r.props, 'resourceId')} can reach {high:g} instances but {env} allows at most "
                f"{max_count:g} per variant."
            )
    elif r.type == GCP_VERTEX_AI_DEPLOYMENT_RESOURCE_POOL:
        high = number(get(r.props, "dedicatedResources.maxReplicaCount"), 1) or 1
        if max_count is not None and high > max_count:
            yield f"Vertex AI pool '{r.name}' can reach {high:g} replicas but {env} allows at most {max_count:g} per variant."
    elif r.type == GCP_CLOUDRUNV2_SERVICE:
        cap = number(s.get("max_cloud_run_instances"))
        high = number(get(r.props, "template.scaling.maxInstanceCount"), CLOUD_RUN_DEFAULT_MAX) or 0
        if cap is not None and high > cap:
            unset = "" if get(r.props, "template.scaling.maxInstanceCount") is not None else " (no maximum set)"
            yield f"Cloud Run service '{r.name}' can scale to {high:g} instances{unset} but {env} allows at most {cap:g}."


RULES = [
    Rule(
        name="endpoint-guardrails",
        description="Model endpoints stay within concurrency, instance-type and instance-count caps.",
        schema={
            "max_serverless_concurrency": {
                "type": "integer",
                "minimum": 1,
                "maximum": 200,
                "description": "Largest MaxConcurrency of a serverless variant.",
                "default": 20,
            },
            "max_provisioned_concurrency": {
                "type": "integer",
                "minimum": 0,
                "description": "Largest provisioned concurrency of a serverless variant (billed while idle).",
                "default": 0,
            },
            "allowed_instance_types": {
                "type": "array",
                "items": {"type": "string", "pattern": "^ml\\.[a-z0-9]+\\.[a-z0-9]+$"},
                "description": "SageMaker instance types real-time variants may use (empty: any).",
                "default": [],
            },
            "max_instances_per_variant": {
                "type": "integer",
                "minimum": 1,
                "description": "Most instances a real-time variant may start with or scale to.",
                "default": 4,
            },
            "max_cloud_run_instances": {
                "type": "integer",
                "minimum": 1,
                "description": "Most instances a Cloud Run service may scale to.",
                "default": 10,
            },
            "environment": {"type": "string", "description": "Environment name used in messages."},
        },
        check=check_endpoints,
        types=(
            AWS_SAGEMAKER_ENDPOINT_CONFIGURATION,
            AWS_APPAUTOSCALING_TARGET,
            GCP_CLOUDRUNV2_SERVICE,
            GCP_VERTEX_AI_DEPLOYMENT_RESOURCE_POOL,
        ),
        remediation="Lower the endpoint's concurrency or instance counts, or pick an allowed instance type.",
    )
]
