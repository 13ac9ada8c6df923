"""Preflight: are fixed physical names unique where the cloud requires it, and do they survive the next update
(replacements of immutable resources, Cloud Run revisions)?"""

from __future__ import annotations

from collections.abc import Iterator

from mlplatform.components.base.types import (
    AWS_BUDGETS_BUDGET,
    AWS_CLOUDWATCH_LOG_GROUP,
    AWS_CLOUDWATCH_METRIC_ALARM,
    AWS_DYNAMODB_TABLE,
    AWS_EC2_LAUNCH_TEMPLATE,
    AWS_IAM_INSTANCE_PROFILE,
    AWS_IAM_POLICY,
    AWS_IAM_ROLE,
    AWS_RDS_INSTANCE,
    AWS_S3_BUCKET,
    AWS_SAGEMAKER_DATA_QUALITY_JOB_DEFINITION,
    AWS_SAGEMAKER_ENDPOINT,
    AWS_SAGEMAKER_ENDPOINT_CONFIGURATION,
    AWS_SAGEMAKER_MODEL,
    AWS_SAGEMAKER_MONITORING_SCHEDULE,
    AWS_SNS_TOPIC,
    GCP_CLOUDRUNV2_SERVICE,
    GCP_SERVICEACCOUNT_ACCOUNT,
    GCP_SQL_DATABASE_INSTANCE,
    GCP_STORAGE_BUCKET,
)

from ..plan import PlanResource, reveal
from .core import Context, Finding, Phase, rule

# Cloud resources whose given name must be unique in their account and region (IAM and S3: the account or the
# world; GCP: the project), with the input that holds it. An unset name is auto-named by Pulumi, never twice.
_UNIQUE_NAME = {
    AWS_IAM_ROLE: "name",
    AWS_IAM_POLICY: "name",
    AWS_IAM_INSTANCE_PROFILE: "name",
    AWS_S3_BUCKET: "bucket",
    AWS_SNS_TOPIC: "name",
    AWS_CLOUDWATCH_METRIC_ALARM: "name",
    AWS_CLOUDWATCH_LOG_GROUP: "name",
    AWS_DYNAMODB_TABLE: "name",
    AWS_RDS_INSTANCE: "identifier",
    AWS_BUDGETS_BUDGET: "name",
    AWS_SAGEMAKER_MODEL: "name",
    AWS_SAGEMAKER_ENDPOINT: "name",
    AWS_SAGEMAKER_ENDPOINT_CONFIGURATION: "name",
    AWS_SAGEMAKER_MONITORING_SCHEDULE: "name",
    AWS_SAGEMAKER_DATA_QUALITY_JOB_DEFINITION: "name",
    GCP_SERVICEACCOUNT_ACCOUNT: "accountId",
    GCP_STORAGE_BUCKET: "name",
    GCP_SQL_DATABASE_INSTANCE: "name",
    GCP_CLOUDRUNV2_SERVICE: "name",
}
_HELM_RELEASE = "kubernetes:helm.sh/v3:Release"


def _physical_name(r: PlanResource) -> tuple[str, ...] | None:
    """Where a resource's given name must be unique, and the name: (type, provider, scope..., name), or None when
    the program leaves the name to Pulumi (or it is unknown until deploy)."""
    if r.type in _UNIQUE_NAME:
        name = reveal(r.input(_UNIQUE_NAME[r.type]), None)
        return (r.type, r.provider or "", name) if isinstance(name, str) else None
    if r.type == _HELM_RELEASE:  # a release name is unique per namespace
        name, namespace = reveal(r.input("name"), None), reveal(r.input("namespace"), None)
        return (r.type, r.provider or "", namespace or "default", name) if isinstance(name, str) else None
    if r.type.startswith("kubernetes:"):  # an object: kind (the type carries group and version) and namespace
        name, namespace = reveal(r.input("metadata.name"), None), reveal(r.input("metadata.namespace"), None)
        return (r.type, r.provider or "", namespace or "", name) if isinstance(name, str) else None
    return None


@rule(
    "physical-names-unique",
    "Checks that no two resources are given the same physical name where the cloud or Kubernetes requires it "
    "unique (IAM, S3, SageMaker, alarms, topics, GCP service accounts and buckets, Kubernetes objects per kind "
    "and namespace).",
)
def physical_names_unique(ctx: Context) -> Iterator[Finding]:
    first: dict[tuple[str, ...], PlanResource] = {}
    for r in ctx.custom:
        key = _physical_name(r)
        if key is None:
            continue
        ctx.count("physical-names-unique")
        if key not in first:
            first[key] = r
            continue
        yield Finding(
            "physical-names-unique",
            Phase.FIRST_DEPLOY,
            r.urn,
            f"{r.name} is named {key[-1]!r}, as {first[key].name} of the same type already is: the second "
            "create fails with 'already exists' (or, in Kubernetes, one overwrites the other's object).",
            "physical names are unique per account and region (IAM per account, S3 worldwide), per GCP project, "
            "and per kind and namespace in Kubernetes",
        )


# Types whose every input change replaces the resource (ForceNew); with a fixed physical name, Pulumi's
# create-before-delete replacement collides with the old resource.
_IMMUTABLE_NAMED = {
    AWS_SAGEMAKER_MODEL: "name",
    AWS_SAGEMAKER_ENDPOINT_CONFIGURATION: "name",
    AWS_EC2_LAUNCH_TEMPLATE: "name",
}


@rule(
    "names-survive-updates",
    "Checks whether fixed physical names survive the next update: replacements of immutable resources and "
    "Cloud Run revisions.",
)
def names_survive(ctx: Context) -> Iterator[Finding]:
    for type_, prop in _IMMUTABLE_NAMED.items():
        for r in ctx.of_type(type_):
            ctx.count("names-survive-updates")
            if r.input(prop) and not r.options.get("delete_before_replace"):
                yield Finding(
                    "names-survive-updates",
                    Phase.UPDATE,
                    r.urn,
                    f"{r.name} has the fixed name {r.input(prop)!r} and every change replaces it: the replacement "
                    "is created before the old one is deleted and fails with 'already exists'.",
                    "Pulumi replaces create-before-delete unless deleteBeforeReplace is set",
                )
    for svc in ctx.of_type(GCP_CLOUDRUNV2_SERVICE):
        ctx.count("names-survive-updates")
        revision = reveal(svc.input("template.revision"))
        if revision:
            yield Finding(
                "names-survive-updates",
                Phase.UPDATE,
                svc.urn,
                f"Cloud Run service {svc.name} names its revision {revision!r}: the next change to the template "
                "creates a revision with the same name and fails with 409 'revision already exists'.",
                "Cloud Run revisions are immutable and revision names unique per service",
            )
