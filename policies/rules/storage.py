"""storage-lifecycle: stored data does not grow, or cost, without bound.

- every bucket (S3, GCS) has lifecycle rules, one of which aborts incomplete multipart uploads within the
  configured days (abandoned parts are billed like objects and invisible in listings);
- every CloudWatch log group has a retention period at or under the configured days;
- every Athena workgroup enforces its configuration and a bytes-scanned cutoff per query at or under the cap.

A stack policy: an S3 bucket's lifecycle lives in a separate resource, found through the dependency of its
``bucket`` property (or, failing that, the bucket's name).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator, Mapping, Sequence

from mlplatform.components.base.resources import Resource, get
from mlplatform.components.base.types import (
    AWS_ATHENA_WORKGROUP,
    AWS_CLOUDWATCH_LOG_GROUP,
    AWS_S3_BUCKET,
    AWS_S3_BUCKET_LIFECYCLE_CONFIGURATION,
    AWS_S3_BUCKET_LIFECYCLE_CONFIGURATION_V2,
    AWS_S3_BUCKET_V2,
    GCP_STORAGE_BUCKET,
)

from .base import Rule, Settings, index_by_target, items, number, targeting, truthy

S3_BUCKETS = (AWS_S3_BUCKET, AWS_S3_BUCKET_V2)
S3_LIFECYCLES = (
    AWS_S3_BUCKET_LIFECYCLE_CONFIGURATION,
    AWS_S3_BUCKET_LIFECYCLE_CONFIGURATION_V2,
)


def _exempt(r: Resource, s: Settings) -> bool:
    name = str(get(r.props, "bucket") or get(r.props, "name") or r.name)
    return any(fnmatch.fnmatch(name, pat) or fnmatch.fnmatch(r.name, pat) for pat in s.get("exempt_buckets") or [])


def _abort_days_s3(rules: list) -> float | None:
    """Shortest abort-incomplete-multipart window among enabled rules (v7 and legacy inline shapes)."""
    days = []
    for rule in rules:
        if not isinstance(rule, Mapping):
            continue
        enabled = rule.get("status", "Enabled") == "Enabled" if "status" in rule else truthy(rule.get("enabled", True))
        if not enabled:
            continue
        d = number(get(rule, "abortIncompleteMultipartUpload.daysAfterInitiation"))
        d = d if d is not None else number(rule.get("abortIncompleteMultipartUploadDays"))
        if d is not None:
            days.append(d)
    return min(days) if days else None


def _lifecycle_of(bucket: Resource, lifecycles: Mapping[str, list[Resource]]) -> Resource | None:
    found = targeting(lifecycles, bucket, get(bucket.props, "bucket"), get(bucket.props, "id"), bucket.name)
    return found[0] if found else None


def check_storage(resources: Sequence[Resource], s: Settings) -> Iterator[tuple[str, str | None]]:
    max_abort = number(s.get("max_abort_incomplete_upload_days"), 7) or 7
    max_retention = number(s.get("max_log_retention_days"), 30) or 30
    max_scan = number(s.get("max_bytes_scanned_per_query"))
    lifecycles = index_by_target([r for r in resources if r.type in S3_LIFECYCLES], "bucket")
    for r in resources:
        if r.type in S3_BUCKETS and not _exempt(r, s):
            lc = _lifecycle_of(r, lifecycles)
            rules = items(get(lc.props, "rules")) if lc else items(get(r.props, "lifecycleRules"))
            if not rules:
                yield (
                    f"S3 bucket '{r.name}' has no lifecycle rules; required: rules that expire or tier data and abort incomplete multipart uploads within {max_abort:g} days.",
                    r.urn,
                )
                continue
            days = _abort_days_s3(rules)
            if days is None or days > max_abort:
                found = "none" if days is None else f"{days:g} days"
                yield (
                    f"S3 bucket '{r.name}' aborts incomplete multipart uploads after {found}; required: within {max_abort:g} days.",
                    r.urn,
                )
        elif r.type == GCP_STORAGE_BUCKET and not _exempt(r, s):
            rules = items(get(r.props, "lifecycleRules"))
            if not rules:
                yield (
                    f"GCS bucket '{r.name}' has no lifecycle rules; required: rules that delete or tier data and abort incomplete multipart uploads within {max_abort:g} days.",
                    r.urn,
                )
                continue
            ages = [
                number(get(rule, "condition.age"))
                for rule in rules
                if get(rule, "action.type") == "AbortIncompleteMultipartUpload"
            ]
            ages = [a for a in ages if a is not None]
            if not ages or min(ages) > max_abort:
                found = "none" if not ages else f"{min(ages):g} days"
                yield (
                    f"GCS bucket '{r.name}' aborts incomplete multipart uploads after {found}; required: within {max_abort:g} days.",
                    r.urn,
                )
        elif r.type == AWS_CLOUDWATCH_LOG_GROUP:
            days = number(get(r.props, "retentionInDays"), 0) or 0
            if days == 0:
                yield (
                    f"log group '{r.name}' keeps logs forever (no retentionInDays); allowed: at most {max_retention:g} days.",
                    r.urn,
                )
            elif days > max_retention:
                yield f"log group '{r.name}' keeps logs {days:g} days; allowed: at most {max_retention:g} days.", r.urn
        elif r.type == AWS_ATHENA_WORKGROUP:
            cutoff = number(get(r.props, "configuration.bytesScannedCutoffPerQuery"))
            enforced = truthy(get(r.props, "configuration.enforceWorkgroupConfiguration", True))
            if cutoff is None:
                yield (
                    f"Athena workgroup '{r.name}' has no bytesScannedCutoffPerQuery: one query can scan (and bill) the whole lake.",
                    r.urn,
                )
            elif max_scan is not None and cutoff > max_scan:
                yield (
                    f"Athena workgroup '{r.name}' lets a query scan {cutoff / 1024**3:g} GiB; allowed: at most {max_scan / 1024**3:g} GiB.",
                    r.urn,
                )
            if not enforced:
                yield (
                    f"Athena workgroup '{r.name}' lets clients override its settings (enforceWorkgroupConfiguration is false), so its scan cutoff is advisory.",
                    r.urn,
                )


RULES = [
    Rule(
        name="storage-lifecycle",
        description="Buckets have lifecycle rules, log groups a bounded retention, Athena workgroups a scan cutoff.",
        schema={
            "max_abort_incomplete_upload_days": {
                "type": "integer",
                "minimum": 1,
                "description": "Days within which incomplete multipart uploads must be aborted.",
                "default": 7,
            },
            "max_log_retention_days": {
                "type": "integer",
                "minimum": 1,
                "description": "Longest CloudWatch log retention.",
                "default": 30,
            },
            "max_bytes_scanned_per_query": {
                "type": "integer",
                "minimum": 10485760,
                "description": "Largest Athena bytesScannedCutoffPerQuery (bytes; at least Athena's 10 MB).",
                "default": 107374182400,
            },
            "exempt_buckets": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Bucket names or resource names (glob patterns) not to check.",
                "default": [],
            },
        },
        stack_check=check_storage,
        types=(*S3_BUCKETS, *S3_LIFECYCLES, GCP_STORAGE_BUCKET, AWS_CLOUDWATCH_LOG_GROUP, AWS_ATHENA_WORKGROUP),
        remediation="Add lifecycle rules (DataLake does), set log retention, and give workgroups a scan cutoff.",
    )
]
