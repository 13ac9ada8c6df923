"""The validation context of the stack config and component args: which cloud and region a model is checked for."""

from __future__ import annotations

from pydantic import ValidationInfo

from ..base.cloud import Cloud
from ..catalog import load_catalog


def where(info: ValidationInfo) -> tuple[Cloud | None, str | None]:
    """The cloud and region being validated for (validation context), when both are known and valid.

    Pool, node and store checks depend on them; taking them from the context rather than from the parent
    model lets those checks run, and report, even when another section of the document is invalid.
    """
    ctx = info.context or {}
    cloud, region = ctx.get("cloud"), ctx.get("region")
    if cloud not in ("aws", "gcp"):
        return None, None
    cloud = Cloud(cloud)
    return cloud, region if region in load_catalog().regions(cloud) else None
