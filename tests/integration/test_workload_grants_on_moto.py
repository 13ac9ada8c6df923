"""The real Feast SDK, run with each Feast role's own credentials, against moto behind an IAM gateway.

GIVEN the dev stack's Plan: the feature store's config, buckets, tables, and the materializer's and feature
server's role policies (and the bucket policies), enforced per access key by ``iam_gateway`` in front of moto
WHEN `feast apply` and `feast materialize` run with the materializer's credentials, and the feature server's
read path (registry, then online features) with the server's
THEN both succeed; with the feature server's grant as it was before the fix (listing only under its prefix)
Feast's S3 registry is refused at HeadBucket; and every call the real clients made is one the preflight's
workload model checks (so the model cannot drift from what Feast does).
"""

from __future__ import annotations

import io
import json
import os
from datetime import UTC, datetime, timedelta

import boto3
import pytest
import requests
import yaml

from mlplatform.components.base.types import MLPLATFORM_AWS_DATA_LAKE, MLPLATFORM_AWS_FEATURE_STORE
from mlplatform.plan import reveal
from mlplatform.preflight.core import Context
from mlplatform.preflight.data_plane import AwsAccount, aws_workloads
from tests.conftest import planned
from tests.integration.iam_gateway import ADMIN_KEY, Gateway, Identity, serve
from tests.integration.lake import bucket_and_key, create_buckets_and_tables

pytestmark = pytest.mark.integration

MATERIALIZER_KEY = "AKIAFEASTMATERIALIZE"
SERVER_KEY = "AKIAFEASTSERVER00000"


@pytest.fixture
def gateway(moto_endpoint):  # the session moto server sets region and dummy credentials; state is shared
    plan = planned("dev")
    acct = AwsAccount(Context(plan))
    store = reveal(plan.one(MLPLATFORM_AWS_FEATURE_STORE).outputs)
    gw = Gateway(
        identities={
            MATERIALIZER_KEY: Identity(
                store["materializer_role_arn"], acct.identity_policies(store["materializer_role_arn"])
            ),
            SERVER_KEY: Identity(store["server_role_arn"], acct.identity_policies(store["server_role_arn"])),
        },
        bucket_policies=dict(acct.bucket_policies),
        bucket_keys=dict(acct.bucket_keys),
        region=acct.region,
    )
    requests.post(f"{moto_endpoint}/moto-api/reset", timeout=10)
    yield from serve(gw)


def as_key(monkeypatch, key: str) -> None:
    """Use ``key`` from now on: boto3's default session caches the credentials it resolved first."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    boto3.DEFAULT_SESSION = None


def test_feast_roles_are_enough_for_the_real_sdk_and_the_old_grant_was_not(gateway, tmp_path, monkeypatch):
    plan = planned("dev")
    config = yaml.safe_load(reveal(plan.one(MLPLATFORM_AWS_FEATURE_STORE).outputs["feature_store_yaml"]))
    endpoint = gateway.endpoint
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    monkeypatch.setenv("FEAST_S3_ENDPOINT_URL", endpoint)

    # --- set up as an administrator: the buckets and declared tables, and an offline parquet file ---
    as_key(monkeypatch, ADMIN_KEY)
    s3 = boto3.client("s3", endpoint_url=endpoint)
    dynamodb = boto3.client("dynamodb", endpoint_url=endpoint, region_name=config["online_store"]["region"])
    create_buckets_and_tables(plan, s3, dynamodb)
    import pandas as pd

    features_url = plan.one(MLPLATFORM_AWS_DATA_LAKE).outputs["zone_urls"]["features"]
    data_bucket, data_prefix = bucket_and_key(features_url)
    now = datetime.now(UTC).replace(microsecond=0)
    frame = pd.DataFrame({"user_id": [1, 2], "clicks_7d": [12, 7], "event_timestamp": [now - timedelta(hours=1)] * 2})
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    data_key = f"{data_prefix}recsys/user_features/part-0.parquet"
    s3.put_object(Bucket=data_bucket, Key=data_key, Body=buffer.getvalue())

    config["online_store"]["endpoint_url"] = endpoint
    (tmp_path / "feature_store.yaml").write_text(yaml.safe_dump(config))

    from feast import Entity, FeatureStore, FeatureView, Field, FileSource, ValueType
    from feast.types import Int64

    user = Entity(name="user", join_keys=["user_id"], value_type=ValueType.INT64)
    view = FeatureView(
        name="user_features",
        entities=[user],
        ttl=timedelta(days=1),
        schema=[Field(name="clicks_7d", dtype=Int64)],
        source=FileSource(
            path=f"s3://{data_bucket}/{data_key}", timestamp_field="event_timestamp", s3_endpoint_override=endpoint
        ),
    )

    # --- apply and materialize with the materializer's role ---
    as_key(monkeypatch, MATERIALIZER_KEY)
    store = FeatureStore(repo_path=str(tmp_path))
    store.apply([user, view])
    store.materialize(start_date=now - timedelta(days=1), end_date=now)

    # --- serve with the feature server's role ---
    as_key(monkeypatch, SERVER_KEY)
    online = (
        FeatureStore(repo_path=str(tmp_path))
        .get_online_features(features=["user_features:clicks_7d"], entity_rows=[{"user_id": 1}, {"user_id": 2}])
        .to_dict()
    )
    assert online["clicks_7d"] == [12, 7]

    refused = [c for c in gateway.calls if not c.allowed]
    assert not refused, [(c.request.action, c.request.resource, c.reason) for c in refused]

    # --- every call the real clients made is modelled by the preflight, per workload ---
    modelled = {w.role_arn: {r.action for r in w.requests} for w in aws_workloads(Context(plan))}
    for key in (MATERIALIZER_KEY, SERVER_KEY):
        made = {c.request.action for c in gateway.calls_of(key)}
        assert made, key
        missing = made - modelled[gateway.identities[key].role_arn]
        assert not missing, f"calls Feast made with {key} that preflight does not check: {missing}"
    assert "s3:ListBucket" in {c.request.action for c in gateway.calls_of(SERVER_KEY)}, "HeadBucket was exercised"

    # --- the feature server's grant before the fix: listing only under feast/, so HeadBucket is refused ---
    old = []
    for doc in gateway.identities[SERVER_KEY].policies:
        parsed = json.loads(doc)
        parsed["Statement"] = [s for s in parsed["Statement"] if not str(s.get("Sid", "")).startswith("Head")]
        old.append(json.dumps(parsed))
    gateway.identities[SERVER_KEY] = Identity(gateway.identities[SERVER_KEY].role_arn, old)
    with pytest.raises(Exception) as info:
        FeatureStore(repo_path=str(tmp_path)).get_online_features(
            features=["user_features:clicks_7d"], entity_rows=[{"user_id": 1}]
        )
    denied = [c for c in gateway.calls if not c.allowed]
    assert [c.request.description for c in denied] == ["HeadBucket"], info.value
    assert os.environ["AWS_ACCESS_KEY_ID"] == SERVER_KEY
