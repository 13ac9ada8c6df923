"""Preflight: do the objects a resource needs when it is created exist by then (a SageMaker model's artifact, a
deployed model behind an endpoint URL, a warm model server's model in the lake)?"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from mlplatform.components.base.types import (
    AWS_S3_BUCKET,
    AWS_S3_BUCKET_OBJECT,
    AWS_S3_BUCKET_OBJECT_V2,
    AWS_SAGEMAKER_MODEL,
    GCP_CLOUDRUNV2_SERVICE,
    GCP_STORAGE_BUCKET,
    GCP_STORAGE_BUCKET_OBJECT,
    GCP_VERTEX_AI_ENDPOINT,
    GCP_VERTEX_AI_ENDPOINT_WITH_MODEL_GARDEN_DEPLOYMENT,
    K8S_KSERVE_INFERENCE_SERVICE,
    PULUMI_DYNAMIC_RESOURCE,
)

from ..plan import PlanResource, reveal
from . import data_plane
from .core import Context, Finding, Phase, rule


def _served_models_exist(ctx: Context, stack_buckets: dict[Any, PlanResource]) -> Iterator[Finding]:
    """An InferenceService that starts replicas when it is created (initial scale >= 1) must find its model;
    one that starts at zero loads it on the first request, so an empty new lake does not fail the deploy."""
    uploads = [
        (reveal(o.input("bucket")), str(reveal(o.input("key")) or reveal(o.input("name")) or ""))
        for o in ctx.of_type(
            AWS_S3_BUCKET_OBJECT_V2,
            AWS_S3_BUCKET_OBJECT,
            GCP_STORAGE_BUCKET_OBJECT,
        )
    ]
    for isvc in ctx.of_type(K8S_KSERVE_INFERENCE_SERVICE):
        predictor = (reveal(isvc.input("spec")) or {}).get("predictor") or {}
        uri = (predictor.get("model") or {}).get("storageUri")
        if not isinstance(uri, str) or not uri.startswith(("s3://", "gs://")):
            continue
        ctx.count("artifacts-exist")
        initial = (predictor.get("annotations") or {}).get("autoscaling.knative.dev/initial-scale")
        starts = int(initial) if initial is not None else max(1, int(predictor.get("minReplicas") or 0))
        bucket, prefix = data_plane.split_url(uri)
        # The platform writes a Triton model's config.pbtxt; the model file itself comes from training.
        models = [k for b, k in uploads if b == bucket and k.startswith(prefix) and not k.endswith("config.pbtxt")]
        if starts and bucket in stack_buckets and not models:
            yield Finding(
                "artifacts-exist",
                Phase.FIRST_DEPLOY,
                isvc.urn,
                f"InferenceService {isvc.name} starts {starts} replica(s) when created and loads {uri}, in bucket "
                f"{stack_buckets[bucket].name} that this stack creates empty: the revision never becomes ready and "
                "the rollout fails at Knative's progress deadline. Deploy with min_replicas: 0 until training has "
                "written the model, or serve an existing artifact.",
                "Knative marks a revision failed when its first replicas are not ready within progress-deadline",
            )


@rule(
    "artifacts-exist",
    "Checks whether objects a resource needs at creation (a SageMaker model's artifact, a deployed model "
    "behind an endpoint URL) can exist when it is created.",
)
def artifacts_exist(ctx: Context) -> Iterator[Finding]:
    stack_buckets = {reveal(b.output("bucket")): b for b in ctx.of_type(AWS_S3_BUCKET)}
    uploads = {
        (reveal(o.input("bucket")), reveal(o.input("key")))
        for o in ctx.of_type(AWS_S3_BUCKET_OBJECT_V2, AWS_S3_BUCKET_OBJECT)
    }
    for model in ctx.of_type(AWS_SAGEMAKER_MODEL):
        url = reveal(model.input("primaryContainer.modelDataUrl"))
        if not isinstance(url, str) or not url.startswith("s3://"):
            continue
        ctx.count("artifacts-exist")
        bucket, key = data_plane.split_url(url)
        if bucket in stack_buckets and (bucket, key) not in uploads:
            yield Finding(
                "artifacts-exist",
                Phase.FIRST_DEPLOY,
                model.urn,
                f"model {model.name} reads {url}, in bucket {stack_buckets[bucket].name} that this stack creates "
                "empty, and nothing uploads the artifact: CreateModel and the endpoint fail on a first deploy. "
                "Point model_data at an existing s3:// URI, or set the endpoint's enabled: false until the first "
                "model is registered.",
                "SageMaker downloads ModelDataUrl when the endpoint starts; CreateModel checks it is readable",
            )
    stack_gcs = {reveal(b.output("name")): b for b in ctx.of_type(GCP_STORAGE_BUCKET)}
    yield from _served_models_exist(ctx, {**stack_buckets, **stack_gcs})
    # (resource, what loads the model, URI, what fails, documented behaviour) for GCP model loaders
    loaders: list[tuple[PlanResource, str, Any, str, str]] = []
    for svc in ctx.of_type(GCP_CLOUDRUNV2_SERVICE):
        for container in reveal(svc.input("template.containers")) or []:
            env = {e.get("name"): e.get("value") for e in container.get("envs") or []}
            loaders.append(
                (
                    svc,
                    f"Cloud Run service {svc.name} loads its model",
                    env.get("MODEL_URI"),
                    "the revision fails its startup probe and the deploy fails",
                    "Cloud Run routes traffic to a revision only once its container passes the startup probe",
                )
            )
    for deployment in ctx.of_type(PULUMI_DYNAMIC_RESOURCE):
        for v in reveal(deployment.input("variants")) or []:
            loaders.append(
                (
                    deployment,
                    f"Vertex model {v.get('name')} is uploaded",
                    v.get("artifact_uri"),
                    "models.upload fails on a first deploy",
                    "Vertex AI models.upload reads the artifact directory when the model is created",
                )
            )
    for r, who, uri, fails, reference in loaders:
        if not isinstance(uri, str) or not uri.startswith("gs://"):
            continue
        ctx.count("artifacts-exist")
        bucket, _ = data_plane.split_url(uri)
        if bucket in stack_gcs:
            yield Finding(
                "artifacts-exist",
                Phase.FIRST_DEPLOY,
                r.urn,
                f"{who} from {uri}, in bucket {stack_gcs[bucket].name} that this stack creates empty: {fails}. "
                "Point model_data at an existing gs:// URI, or set the endpoint's enabled: false.",
                reference,
            )
    for endpoint in ctx.of_type(GCP_VERTEX_AI_ENDPOINT):
        ctx.count("artifacts-exist")
        comp = ctx.plan.component_of(endpoint)
        deployed = [d for d in ctx.of_type(GCP_VERTEX_AI_ENDPOINT_WITH_MODEL_GARDEN_DEPLOYMENT)]
        if comp is not None and not reveal(comp.outputs.get("deployed_models")) and not deployed:
            yield Finding(
                "artifacts-exist",
                Phase.FIRST_DEPLOY,
                endpoint.urn,
                f"Vertex endpoint {endpoint.name} has no deployed model: its invoke URL answers 400 until the "
                "release pipeline deploys one.",
                "Vertex AI endpoints serve predictions only from deployed models",
            )
