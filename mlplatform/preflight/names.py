"""Preflight: do fixed physical names survive the next update (replacements of immutable resources, Cloud Run
revisions)?"""

from __future__ import annotations

from collections.abc import Iterator

from mlplatform.components.base.types import (
    AWS_EC2_LAUNCH_TEMPLATE,
    AWS_SAGEMAKER_ENDPOINT_CONFIGURATION,
    AWS_SAGEMAKER_MODEL,
    GCP_CLOUDRUNV2_SERVICE,
)

from ..plan import reveal
from .core import Context, Finding, Phase, rule

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
