"""Reading and writing the lake from the platform's workload scripts: s3:// (boto3) and gs:// (google-cloud-storage).

Shipped next to the scripts that import it (the request-log sink, the drift report), in the same ConfigMap.
Credentials come from the pod's cloud identity (EKS Pod Identity, GKE Workload Identity); AWS_ENDPOINT_URL
points boto3 elsewhere (tests use moto on 127.0.0.1).
"""

from __future__ import annotations

from functools import cache
from typing import Any
from urllib.parse import urlparse


def split(url: str) -> tuple[str, str, str]:
    """(scheme, bucket, key) of s3://bucket/key or gs://bucket/key."""
    parsed = urlparse(url)
    if parsed.scheme not in ("s3", "gs") or not parsed.netloc:
        raise ValueError(f"not an s3:// or gs:// URL: {url!r}")
    return parsed.scheme, parsed.netloc, parsed.path.lstrip("/")


@cache
def _s3() -> Any:
    import boto3

    return boto3.client("s3")


@cache
def _gcs() -> Any:
    from google.cloud import storage

    return storage.Client()


def write(url: str, data: bytes, content_type: str = "application/octet-stream") -> None:
    scheme, bucket, key = split(url)
    if scheme == "s3":
        _s3().put_object(Bucket=bucket, Key=key, Body=data, ContentType=content_type)
    else:
        _gcs().bucket(bucket).blob(key).upload_from_string(data, content_type=content_type)


def read(url: str) -> bytes:
    scheme, bucket, key = split(url)
    if scheme == "s3":
        return _s3().get_object(Bucket=bucket, Key=key)["Body"].read()
    return _gcs().bucket(bucket).blob(key).download_as_bytes()


def list_urls(prefix_url: str) -> list[str]:
    """Every object URL under a prefix, in key order."""
    scheme, bucket, prefix = split(prefix_url)
    if scheme == "s3":
        urls = []
        for page in _s3().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            urls += [f"s3://{bucket}/{o['Key']}" for o in page.get("Contents", [])]
        return sorted(urls)
    return sorted(f"gs://{bucket}/{b.name}" for b in _gcs().list_blobs(bucket, prefix=prefix))
