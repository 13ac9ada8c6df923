"""The ``data_lake`` section (zones, layout, encryption, lifecycle), which zone holds what, and what a
workload's identity may read and write in it."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field, model_validator

from ..base.errors import Problems
from ..base.values import DnsLabel, LakePrefix, StrictModel, duplicates


class LakeLayout(StrEnum):
    BUCKETS = "buckets"
    PREFIXES = "prefixes"


class LakeEncryption(StrEnum):
    KMS = "kms"
    SSE_S3 = "sse-s3"


class LifecycleSpec(StrictModel):
    """Object lifecycle of a data-lake zone."""

    intelligent_tiering_after_days: int | None = Field(default=30, ge=0)
    """Move objects to S3 Intelligent-Tiering after N days (null: never). Default: 30."""
    glacier_after_days: int | None = Field(default=None, ge=1)
    """Move objects to Glacier Flexible Retrieval after N days (null: never). Default: never."""
    expire_after_days: int | None = Field(default=None, ge=1)
    """Delete current objects after N days (null: never). Default: never."""
    noncurrent_expiry_days: int = Field(default=30, ge=1)
    """Delete non-current (overwritten) versions after N days. Default: 30."""
    abort_multipart_days: int = Field(default=7, ge=1)
    """Abort incomplete multipart uploads after N days. Default: 7."""

    @model_validator(mode="after")
    def _check(self) -> LifecycleSpec:
        p = Problems()
        tier, glacier, expire = self.intelligent_tiering_after_days, self.glacier_after_days, self.expire_after_days
        if tier is not None and glacier is not None and glacier <= tier:
            p.add("glacier_after_days", f"must be after intelligent_tiering_after_days ({tier})", glacier)
        for name, days in (("intelligent_tiering_after_days", tier), ("glacier_after_days", glacier)):
            if expire is not None and days is not None and expire <= days:
                p.add("expire_after_days", f"must be after {name} ({days})", expire)
        p.raise_if_any()
        return self


DEFAULT_ZONES = ["raw", "curated", "features", "models"]


class DataLakeSpec(StrictModel):
    zones: list[DnsLabel] = Field(default=DEFAULT_ZONES, min_length=1)
    """Zone names. Default: raw, curated, features, models."""
    layout: LakeLayout = LakeLayout.BUCKETS
    """A bucket per zone, or one bucket with a prefix per zone. Default: buckets."""
    encryption: LakeEncryption = LakeEncryption.KMS
    """kms (a customer-managed key with rotation) or sse-s3. Default: kms."""
    lifecycle: LifecycleSpec = LifecycleSpec()
    """Lifecycle applied to every zone. Default: see LifecycleSpec."""
    zone_lifecycle: dict[str, LifecycleSpec] = {}
    """Per-zone lifecycle overrides, keyed by zone name. Default: none."""
    athena_bytes_scanned_cutoff_gb: int = Field(default=10, ge=1, le=10_000)
    """Athena per-query scan limit in GB. Default: 10."""

    @model_validator(mode="after")
    def _check(self) -> DataLakeSpec:
        p = Problems()
        dup = duplicates(self.zones)
        if dup:
            p.add("zones", f"zone names must be unique; repeated: {', '.join(dup)}", self.zones)
        for zone in self.zone_lifecycle:
            if zone not in self.zones:
                p.add(f"zone_lifecycle.{zone}", f"unknown zone; zones: {', '.join(self.zones)}", zone)
        p.raise_if_any()
        return self


# --- zone roles and workload access ---


class LakeAccess(StrictModel):
    """A data-lake zone, or a prefix of it, that a workload's identity is granted."""

    zone: str
    """Zone name. Required."""
    prefix: LakePrefix = ""
    """Prefix within the zone, ending with / (empty: the whole zone). Default: empty."""


def zone_roles(zones: list[str]) -> dict[str, str]:
    """Which lake zone holds what: the zone named for the role, else the first (raw, features) or last (models)."""
    return {
        "raw": "raw" if "raw" in zones else zones[0],
        "features": "features" if "features" in zones else zones[0],
        "models": "models" if "models" in zones else zones[-1],
    }


def check_lake_access(p: Problems, zones: list[str], read: list[LakeAccess], write: list[LakeAccess]) -> None:
    """Add to ``p`` what a workload identity's grants get wrong: unknown zones, a write to a whole zone."""
    for key, accesses in (("read", read), ("write", write)):
        for i, access in enumerate(accesses):
            if access.zone not in zones:
                p.add(f"{key}[{i}].zone", f"not a zone of the lake; zones: {', '.join(zones)}", access.zone)
    for i, access in enumerate(write):
        if not access.prefix:
            p.add(f"write[{i}].prefix", "a workload writes under a prefix, never a whole zone", access.prefix)
    for key, accesses in (("read", read), ("write", write)):
        repeated = duplicates([a.zone for a in accesses])
        if repeated:
            # One grant per zone and kind: a zone read whole covers its prefixes.
            p.add(key, f"each zone once; repeated: {', '.join(repeated)}", [a.zone for a in accesses])
