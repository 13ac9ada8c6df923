"""Where a served model comes from, read from one string: the lake, an object store, MLflow's registry, a hub.

- ``ranker/v14/`` (no scheme): a prefix (or key) in the stack lake's models zone; the server's identity reads it;
- ``s3://bucket/path`` (AWS) or ``gs://bucket/path`` (GCP): an existing artifact outside the lake, which the
  server's identity must be granted by whoever owns that bucket;
- ``models:/ranker/3`` or ``models:/ranker@champion``: a registered MLflow model, downloaded through the
  tracking server's artifact proxy by the platform's storage initializer (so the server needs MLflow
  credentials, not bucket access);
- ``hf://org/model``: a Hugging Face Hub repository (LLM serving), fetched by KServe's storage initializer.

Example::

    >>> parse_model_uri("models:/ranker@champion").kind
    <ModelSource.MLFLOW: 'mlflow'>
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class ModelSource(StrEnum):
    LAKE = "lake"
    S3 = "s3"
    GCS = "gcs"
    MLFLOW = "mlflow"
    HUGGING_FACE = "hf"


LAKE_KEY = re.compile(r"^([a-z0-9][a-z0-9._-]*/)*[a-z0-9][a-z0-9._-]*/?$")
BUCKET_URI = re.compile(r"^(s3|gs)://[a-z0-9][a-z0-9._-]{1,61}[a-z0-9](/[^\s]*)?$")
MLFLOW_URI = re.compile(r"^models:/[A-Za-z0-9][\w.-]*(/(\d+|latest)|@[A-Za-z0-9][\w-]*)$")
HF_URI = re.compile(r"^hf://[A-Za-z0-9][\w.-]*/[A-Za-z0-9][\w.-]*(:[\w.-]+)?$")

ALLOWED = (
    "a prefix in the lake's models zone (ranker/v14/), an s3:// or gs:// URI of the stack's cloud, "
    "models:/<name>/<version> or models:/<name>@<alias> (MLflow registry), or hf://<org>/<model>"
)


@dataclass(frozen=True)
class ModelUri:
    kind: ModelSource
    uri: str

    @property
    def lake_prefix(self) -> str:
        """The lake prefix a server reads (a directory: what KServe downloads), for a lake model."""
        key = self.uri
        if key.endswith("/"):
            return key
        parent, _, last = key.rpartition("/")
        if "." in last:  # a file (model.onnx): its directory holds what the runtime loads
            return f"{parent}/" if parent else ""
        return f"{key}/"


def split_bucket_uri(uri: str) -> tuple[str, str]:
    """(bucket, key or prefix) of an s3:// or gs:// URI that matches :data:`BUCKET_URI`."""
    bucket, _, key = uri.split("://", 1)[1].partition("/")
    return bucket, key


def is_bucket_uri(uri: str, scheme: str) -> bool:
    """Whether ``uri`` is an ``<scheme>://<bucket>/<path>`` URI (scheme s3 or gs)."""
    return uri.startswith(f"{scheme}://") and BUCKET_URI.match(uri) is not None


class ModelUriError(ValueError):
    pass


def parse_model_uri(uri: str) -> ModelUri:
    """Classify ``uri``; raise :class:`ModelUriError` (saying what is allowed) when it is none of the forms."""
    if uri.startswith("models:/"):
        if MLFLOW_URI.match(uri):
            return ModelUri(ModelSource.MLFLOW, uri)
        raise ModelUriError("an MLflow model URI is models:/<name>/<version>, models:/<name>/latest or @<alias>")
    if uri.startswith("hf://"):
        if HF_URI.match(uri):
            return ModelUri(ModelSource.HUGGING_FACE, uri)
        raise ModelUriError("a Hugging Face URI is hf://<org>/<model>[:<revision>]")
    if uri.startswith(("s3://", "gs://")):
        if BUCKET_URI.match(uri):
            return ModelUri(ModelSource.S3 if uri.startswith("s3://") else ModelSource.GCS, uri)
        raise ModelUriError("a bucket URI is s3://<bucket>/<path> or gs://<bucket>/<path>")
    if "://" in uri or not LAKE_KEY.match(uri):
        raise ModelUriError(f"must be {ALLOWED}")
    return ModelUri(ModelSource.LAKE, uri)


__all__ = ["ModelSource", "ModelUri", "ModelUriError", "is_bucket_uri", "parse_model_uri", "split_bucket_uri"]
