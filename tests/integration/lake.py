"""What the Plan creates in AWS for the data plane, created in moto: the lake's buckets and the online tables."""

from __future__ import annotations

import re

from mlplatform.components.base.types import AWS_DYNAMODB_TABLE, AWS_S3_BUCKET
from mlplatform.plan import Plan


def bucket_and_key(url: str) -> tuple[str, str]:
    match = re.match(r"^s3://([^/]+)/(.*)$", url)
    assert match, url
    return match.group(1), match.group(2)


def create_buckets_and_tables(plan: Plan, s3, dynamodb) -> list[str]:
    """Create every bucket and DynamoDB table of the Plan with the given clients; return the table names."""
    for bucket in plan.by_type(AWS_S3_BUCKET):
        s3.create_bucket(Bucket=bucket.output("bucket"))
    tables = plan.by_type(AWS_DYNAMODB_TABLE)
    for t in tables:
        dynamodb.create_table(
            TableName=t.input("name"),
            KeySchema=[{"AttributeName": t.input("hashKey"), "KeyType": "HASH"}],
            AttributeDefinitions=[
                {"AttributeName": a["name"], "AttributeType": a["type"]} for a in t.input("attributes")
            ],
            BillingMode=t.input("billingMode"),
        )
    return [t.input("name") for t in tables]
