"""The feature store the dev stack describes works with the real Feast SDK (S3 and DynamoDB served by moto).

GIVEN the `feature_store.yaml` the FeatureStore component rendered into the dev stack's Plan, and the
buckets and DynamoDB tables that Plan names, created in a moto server on 127.0.0.1,
WHEN the Feast SDK loads that file (only endpoints pointed at moto), applies an entity and a feature view over
a parquet file in the features zone, and materializes,
THEN get_online_features returns the values written.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import boto3
import pytest
import yaml

from mlplatform.components.base.types import MLPLATFORM_AWS_DATA_LAKE, MLPLATFORM_AWS_FEATURE_STORE
from mlplatform.plan import reveal
from tests.conftest import planned
from tests.integration.lake import bucket_and_key, create_buckets_and_tables

pytestmark = pytest.mark.integration


def test_dev_feature_store_round_trips_with_feast(moto, tmp_path, monkeypatch):
    plan = planned("dev")
    store = plan.one(MLPLATFORM_AWS_FEATURE_STORE)
    config_text = reveal(store.outputs["feature_store_yaml"])
    config = yaml.safe_load(config_text)
    # The Secret on the cluster carries exactly the same file.
    secret = plan.one("kubernetes:core/v1:Secret", "mlplatform-features-config")
    assert reveal(secret.input("stringData"))["feature_store.yaml"] == config_text

    # --- create in moto what the Plan creates in AWS: the lake buckets and the declared online tables ---
    s3 = boto3.client("s3", endpoint_url=moto)
    dynamodb = boto3.client("dynamodb", endpoint_url=moto, region_name=config["online_store"]["region"])
    tables = create_buckets_and_tables(plan, s3, dynamodb)
    assert set(tables) == {"recsys.user_features", "recsys.item_features"}

    # --- offline data: a parquet file in the features zone ---
    import pandas as pd

    registry_bucket, registry_key = bucket_and_key(config["registry"]["path"])
    features_url = plan.one(MLPLATFORM_AWS_DATA_LAKE).outputs["zone_urls"]["features"]
    data_bucket, data_prefix = bucket_and_key(features_url)
    assert registry_bucket == data_bucket and registry_key == f"{data_prefix}feast/registry.pb"
    now = datetime.now(UTC).replace(microsecond=0)
    frame = pd.DataFrame(
        {
            "user_id": [1, 2, 3],
            "clicks_7d": [12, 0, 7],
            "ctr_30d": [0.031, 0.0, 0.018],
            "event_timestamp": [now - timedelta(hours=2)] * 3,
        }
    )
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    data_key = f"{data_prefix}user_features/data.parquet"
    s3.put_object(Bucket=data_bucket, Key=data_key, Body=buffer.getvalue())

    # --- the rendered file, with only the endpoints pointed at moto ---
    config["online_store"]["endpoint_url"] = moto
    (tmp_path / "feature_store.yaml").write_text(yaml.safe_dump(config))
    monkeypatch.setenv("FEAST_S3_ENDPOINT_URL", moto)

    from feast import Entity, FeatureStore, FeatureView, Field, FileSource, ValueType
    from feast.types import Float64, Int64

    fs = FeatureStore(repo_path=str(tmp_path))
    user = Entity(name="user", join_keys=["user_id"], value_type=ValueType.INT64)
    source = FileSource(
        path=f"s3://{data_bucket}/{data_key}", timestamp_field="event_timestamp", s3_endpoint_override=moto
    )
    view = FeatureView(
        name="user_features",
        entities=[user],
        ttl=timedelta(days=1),
        schema=[Field(name="clicks_7d", dtype=Int64), Field(name="ctr_30d", dtype=Float64)],
        source=source,
    )
    fs.apply([user, view])
    assert s3.head_object(Bucket=registry_bucket, Key=registry_key)["ContentLength"] > 0

    fs.materialize(start_date=now - timedelta(days=1), end_date=now)
    online = fs.get_online_features(
        features=["user_features:clicks_7d", "user_features:ctr_30d"],
        entity_rows=[{"user_id": 1}, {"user_id": 3}],
    ).to_dict()
    assert online["clicks_7d"] == [12, 7]
    assert online["ctr_30d"] == pytest.approx([0.031, 0.018])
    items = dynamodb.scan(TableName="recsys.user_features")["Items"]
    assert len(items) == 3, "materialize wrote into the table the platform created"
