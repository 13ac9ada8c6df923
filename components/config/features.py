"""The ``feature_store`` section: Feast's offline and online stores, feature views and server."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import Field, ValidationInfo, field_validator, model_validator

from ..base.cloud import Cloud
from ..base.errors import spec_error
from ..base.values import StrictModel, duplicates, matching
from .context import where


class OfflineStore(StrEnum):
    FILE = "file"
    ATHENA = "athena"
    BIGQUERY = "bigquery"


class OnlineStore(StrEnum):
    DYNAMODB = "dynamodb"
    REDIS = "redis"
    FIRESTORE = "firestore"


OFFLINE_STORES = {
    Cloud.AWS: (OfflineStore.FILE, OfflineStore.ATHENA),
    Cloud.GCP: (OfflineStore.FILE, OfflineStore.BIGQUERY),
}
ONLINE_STORES = {
    Cloud.AWS: (OnlineStore.DYNAMODB, OnlineStore.REDIS),
    Cloud.GCP: (OnlineStore.FIRESTORE, OnlineStore.REDIS),
}


class FeatureServerSpec(StrictModel):
    enabled: bool = False
    """Run a Feast feature server on the cluster. Default: false."""
    replicas: int = Field(default=1, ge=1, le=20)
    """Feature server replicas. Default: 1."""


FEAST_NAME = r"^[A-Za-z][A-Za-z0-9_]{0,63}$"
FEAST_WORDS = "a Feast name: up to 64 letters, digits or '_', starting with a letter"
FeastName = Annotated[str, matching(FEAST_NAME, FEAST_WORDS)]


class FeatureStoreSpec(StrictModel):
    enabled: bool = True
    """Create the Feast feature store. Default: true."""
    project: Annotated[str | None, matching(FEAST_NAME, FEAST_WORDS)] = None
    """Feast project name (letters, digits, underscores). Default: the cost tag ``project`` with - as _ (a
    FeatureStore built directly: its name)."""
    feature_views: list[FeastName] = []
    """Feature views whose DynamoDB online tables the platform creates ahead of ``feast apply`` (on-demand,
    point-in-time recovery, encrypted, protected in prod); others are created by Feast. Default: none."""
    redis_node_type: Annotated[
        str, matching(r"^cache\.[a-z0-9]+\.[a-z0-9]+$", "an ElastiCache node type such as cache.t4g.micro")
    ] = "cache.t4g.micro"
    """ElastiCache node type when online_store is redis (AWS). Default: cache.t4g.micro."""
    redis_memory_gb: int = Field(default=1, ge=1, le=300)
    """Memorystore capacity when online_store is redis (GCP; Standard HA tier in prod). Default: 1."""
    offline_store: OfflineStore = OfflineStore.FILE
    """file (parquet in the lake), athena (AWS) or bigquery (GCP). Default: file."""
    online_store: OnlineStore | None = None
    """dynamodb or redis (AWS); firestore or redis (GCP). Default: dynamodb on AWS, firestore on GCP."""
    feature_server: FeatureServerSpec = FeatureServerSpec()
    """Optional feature server. Default: disabled."""

    @model_validator(mode="after")
    def _unique_views(self) -> FeatureStoreSpec:
        dup = duplicates(self.feature_views)
        if dup:
            raise spec_error(
                "feature_views", f"feature view names must be unique; repeated: {', '.join(dup)}", self.feature_views
            )
        return self

    @field_validator("offline_store", "online_store")
    @classmethod
    def _available_on_cloud(cls, v: Any, info: ValidationInfo) -> Any:
        cloud, _ = where(info)
        table = OFFLINE_STORES if info.field_name == "offline_store" else ONLINE_STORES
        if cloud is not None and v is not None and v not in table[cloud]:
            raise spec_error(None, f"not available on {cloud}; allowed: {', '.join(table[cloud])}", str(v))
        return v
