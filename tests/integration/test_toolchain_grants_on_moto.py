"""The notebook servers' and the batch job's roles do what their specs say, and nothing else, as AWS decides it.

GIVEN the dev stack's Plan: the roles of the notebook servers and of the nightly batch job, and the lake's bucket
policies and SSE-KMS keys, enforced per access key by the IAM gateway in front of moto
WHEN boto3 makes the calls a notebook and a scoring job make (list, read, write, with the KMS key through S3)
THEN each role reads and writes exactly its spec's prefixes; a write outside its prefix, or a batch job's read
outside its input, is refused with AccessDenied.
"""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError

from mlplatform.components.base.types import AWS_S3_BUCKET, MLPLATFORM_AWS_WORKLOAD_ROLE
from mlplatform.plan import reveal
from tests.conftest import planned
from tests.integration.iam_gateway import ADMIN_KEY, serve_roles

pytestmark = pytest.mark.integration
NOTEBOOK_KEY = "AKIANOTEBOOKSERVERS0"
BATCH_KEY = "AKIABATCHNIGHTLYJOB0"


@pytest.fixture
def gateway(moto_endpoint):
    plan = planned("dev")
    roles = {
        key: reveal(plan.one(MLPLATFORM_AWS_WORKLOAD_ROLE, name).outputs["role_arn"])
        for key, name in (
            (NOTEBOOK_KEY, "mlplatform-tools-notebooks-identity"),
            (BATCH_KEY, "mlplatform-tools-batch-nightly-scores-identity"),
        )
    }
    yield from serve_roles(plan, moto_endpoint, roles)


def client(gateway, key: str):
    return boto3.client("s3", endpoint_url=gateway.endpoint, aws_access_key_id=key, aws_secret_access_key="x")


def refused(call) -> bool:
    try:
        call()
    except ClientError as exc:
        return exc.response["Error"]["Code"] == "AccessDenied"
    return False


def test_notebook_and_batch_roles_reach_their_prefixes_only(gateway):
    plan = planned("dev")
    bucket = {
        z: plan.one(AWS_S3_BUCKET, f"mlplatform-lake-{z}").output("bucket") for z in ("raw", "features", "curated")
    }
    admin = client(gateway, ADMIN_KEY)
    for name in bucket.values():
        admin.create_bucket(Bucket=name)
    admin.put_object(Bucket=bucket["features"], Key="daily/part-0.parquet", Body=b"features")
    admin.put_object(Bucket=bucket["features"], Key="training/part-0.parquet", Body=b"other")
    admin.put_object(Bucket=bucket["raw"], Key="events/2026-12-01.json", Body=b"{}")

    batch = client(gateway, BATCH_KEY)
    assert batch.get_object(Bucket=bucket["features"], Key="daily/part-0.parquet")["Body"].read() == b"features"
    assert [o["Key"] for o in batch.list_objects_v2(Bucket=bucket["features"], Prefix="daily/")["Contents"]] == [
        "daily/part-0.parquet"
    ]
    batch.put_object(Bucket=bucket["curated"], Key="scores/2026-12-01/part-0.parquet", Body=b"scores")
    assert refused(lambda: batch.get_object(Bucket=bucket["features"], Key="training/part-0.parquet"))
    assert refused(lambda: batch.put_object(Bucket=bucket["curated"], Key="reports/x.parquet", Body=b"x"))
    assert refused(lambda: batch.get_object(Bucket=bucket["raw"], Key="events/2026-12-01.json"))

    notebook = client(gateway, NOTEBOOK_KEY)
    assert notebook.get_object(Bucket=bucket["raw"], Key="events/2026-12-01.json")["Body"].read() == b"{}"
    assert notebook.get_object(Bucket=bucket["curated"], Key="scores/2026-12-01/part-0.parquet")["Body"].read()
    notebook.put_object(Bucket=bucket["curated"], Key="notebooks/ada/experiment.parquet", Body=b"mine")
    assert refused(lambda: notebook.put_object(Bucket=bucket["curated"], Key="scores/forged.parquet", Body=b"x"))
    assert refused(lambda: notebook.put_object(Bucket=bucket["raw"], Key="events/forged.json", Body=b"x"))
    assert refused(lambda: notebook.delete_object(Bucket=bucket["features"], Key="daily/part-0.parquet"))
