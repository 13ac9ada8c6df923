"""DataLake on the Plan: encryption, versioning, public access, TLS, lifecycle, logging, catalog, grants."""

from __future__ import annotations

import json

import pulumi_aws as aws
import pytest

from mlplatform import engine
from mlplatform.components.aws import DataLake, DataLakeArgs, iam
from mlplatform.components.base.cloud import Cloud
from mlplatform.components.base.errors import ConfigError
from mlplatform.components.base.types import (
    AWS_ATHENA_WORKGROUP,
    AWS_GLUE_CATALOG_DATABASE,
    AWS_IAM_ROLE_POLICY,
    AWS_KMS_KEY,
    AWS_S3_BUCKET,
    AWS_S3_BUCKET_LIFECYCLE_CONFIGURATION,
    AWS_S3_BUCKET_LOGGING,
    AWS_S3_BUCKET_OWNERSHIP_CONTROLS,
    AWS_S3_BUCKET_POLICY,
    AWS_S3_BUCKET_PUBLIC_ACCESS_BLOCK,
    AWS_S3_BUCKET_SERVER_SIDE_ENCRYPTION_CONFIGURATION,
    AWS_S3_BUCKET_VERSIONING,
    MLPLATFORM_AWS_DATA_LAKE,
)
from mlplatform.components.interfaces import Principal
from mlplatform.plan import Plan
from tests.fixtures import aws_prod, aws_smallest

ZONES = ["raw", "curated", "features", "models"]


def lake_bucket(plan: Plan, zone: str):
    return plan.one(AWS_S3_BUCKET, f"mlplatform-lake-{zone}")


def for_bucket(plan: Plan, type_: str, bucket) -> object:
    matches = [r for r in plan.by_type(type_) if r.input("bucket") == bucket.id]
    assert len(matches) == 1, (type_, bucket.name)
    return matches[0]


@pytest.mark.parametrize("zone", ZONES)
def test_zone_bucket_is_private_encrypted_versioned_and_logged(zone):
    plan = aws_smallest()
    bucket = lake_bucket(plan, zone)
    key = plan.one(AWS_KMS_KEY, "mlplatform-lake-key")
    assert key.input("enableKeyRotation") is True
    sse = for_bucket(plan, AWS_S3_BUCKET_SERVER_SIDE_ENCRYPTION_CONFIGURATION, bucket)
    assert sse.input("rules") == [
        {
            "applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": key.output("arn")},
            "bucketKeyEnabled": True,
        }
    ]
    assert for_bucket(plan, AWS_S3_BUCKET_VERSIONING, bucket).input("versioningConfiguration.status") == "Enabled"
    block = for_bucket(plan, AWS_S3_BUCKET_PUBLIC_ACCESS_BLOCK, bucket)
    assert all(
        block.input(k) is True
        for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    )
    assert (
        for_bucket(plan, AWS_S3_BUCKET_OWNERSHIP_CONTROLS, bucket).input("rule.objectOwnership")
        == "BucketOwnerEnforced"
    )
    policy = json.loads(for_bucket(plan, AWS_S3_BUCKET_POLICY, bucket).input("policy"))
    deny = policy["Statement"][0]
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert deny["Resource"] == [bucket.output("arn"), bucket.output("arn") + "/*"]
    logging = for_bucket(plan, AWS_S3_BUCKET_LOGGING, bucket)
    assert logging.input("targetBucket") == plan.one(AWS_S3_BUCKET, "mlplatform-lake-access-logs").id
    assert logging.input("targetPrefix") == f"{zone}/"


def test_lifecycle_rules_per_zone():
    dev, prod = aws_smallest(), aws_prod()
    rule = for_bucket(dev, AWS_S3_BUCKET_LIFECYCLE_CONFIGURATION, lake_bucket(dev, "raw")).input("rules")[0]
    assert rule["status"] == "Enabled"
    assert rule["abortIncompleteMultipartUpload"] == {"daysAfterInitiation": 7}
    assert rule["transitions"] == [{"days": 30, "storageClass": "INTELLIGENT_TIERING"}]
    assert rule["noncurrentVersionExpiration"] == {"noncurrentDays": 30}
    prod_rule = for_bucket(prod, AWS_S3_BUCKET_LIFECYCLE_CONFIGURATION, lake_bucket(prod, "raw")).input("rules")[0]
    assert prod_rule["transitions"] == [
        {"days": 30, "storageClass": "INTELLIGENT_TIERING"},
        {"days": 180, "storageClass": "GLACIER"},
    ]
    assert prod_rule["noncurrentVersionExpiration"] == {"noncurrentDays": 90}


def test_every_bucket_aborts_incomplete_uploads():
    plan = aws_smallest()
    buckets = plan.by_type(AWS_S3_BUCKET)
    assert len(buckets) == 6  # 4 zones, access logs, Athena results
    for b in buckets:
        rules = for_bucket(plan, AWS_S3_BUCKET_LIFECYCLE_CONFIGURATION, b).input("rules")
        assert all("abortIncompleteMultipartUpload" in r for r in rules), b.name


def test_access_log_bucket_accepts_s3_log_delivery_only_over_sse_s3():
    plan = aws_smallest()
    logs = plan.one(AWS_S3_BUCKET, "mlplatform-lake-access-logs")
    sse = for_bucket(plan, AWS_S3_BUCKET_SERVER_SIDE_ENCRYPTION_CONFIGURATION, logs)
    assert sse.input("rules")[0]["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "AES256"}
    statements = json.loads(for_bucket(plan, AWS_S3_BUCKET_POLICY, logs).input("policy"))["Statement"]
    delivery = next(s for s in statements if s["Sid"] == "S3ServerAccessLogsPolicy")
    assert delivery["Principal"] == {"Service": "logging.s3.amazonaws.com"}
    assert delivery["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}


def test_catalog_and_athena_workgroup():
    plan = aws_smallest()
    dbs = {d.input("name"): d for d in plan.by_type(AWS_GLUE_CATALOG_DATABASE)}
    assert set(dbs) == {f"mlplatform_lake_dev_{z}" for z in ZONES}
    assert (
        dbs["mlplatform_lake_dev_curated"].input("locationUri")
        == f"s3://{lake_bucket(plan, 'curated').output('bucket')}/"
    )
    wg = plan.one(AWS_ATHENA_WORKGROUP)
    config = wg.input("configuration")
    assert config["enforceWorkgroupConfiguration"] is True
    assert config["bytesScannedCutoffPerQuery"] == 10 * 1024**3
    assert config["resultConfiguration"]["encryptionConfiguration"] == {
        "encryptionOption": "SSE_KMS",
        "kmsKeyArn": plan.one(AWS_KMS_KEY, "mlplatform-lake-key").output("arn"),
    }
    results = plan.one(AWS_S3_BUCKET, "mlplatform-lake-athena-results")
    assert config["resultConfiguration"]["outputLocation"] == f"s3://{results.output('bucket')}/results/"


def test_dvc_remote_is_a_prefix_of_the_raw_zone():
    plan = aws_smallest()
    assert plan.outputs["dvc_remote_url"] == f"s3://{lake_bucket(plan, 'raw').output('bucket')}/dvc/"


def test_prod_protects_buckets_key_and_catalog_dev_does_not():
    prod, dev = aws_prod(), aws_smallest()
    for plan, protected in ((prod, True), (dev, False)):
        for b in plan.by_type(AWS_S3_BUCKET):
            assert b.options["protect"] is protected, b.name
            if b.name != "mlplatform-lake-athena-results":
                assert b.input("forceDestroy") is (not protected), b.name
        assert plan.one(AWS_KMS_KEY, "mlplatform-lake-key").options["protect"] is protected
        assert all(d.options["protect"] is protected for d in plan.by_type(AWS_GLUE_CATALOG_DATABASE))


# --- grants ------------------------------------------------------------------------------------------------


def _lake_with_grants(layout="buckets", encryption="kms"):
    def program():
        lake = DataLake("lake", DataLakeArgs(region="us-east-1", lake={"layout": layout, "encryption": encryption}))
        role = aws.iam.Role("trainer", assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": []}))
        lake.grant_read(iam.principal(role), "curated")
        lake.grant_write(iam.principal(role), "models", prefix="mlflow/")

    return engine.run(program)


def _statements(plan, name):
    return json.loads(plan.one(AWS_IAM_ROLE_POLICY, name).input("policy"))["Statement"]


def test_grant_read_is_exactly_list_locate_read_and_decrypt():
    plan = _lake_with_grants()
    curated = plan.one(AWS_S3_BUCKET, "lake-curated").output("arn")
    key = plan.one(AWS_KMS_KEY).output("arn")
    assert _statements(plan, "lake-curated-read-trainer") == [
        {"Sid": "ListCurated", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": curated},
        {"Sid": "LocateCurated", "Effect": "Allow", "Action": "s3:GetBucketLocation", "Resource": curated},
        {
            "Sid": "ReadCurated",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:GetObjectVersion"],
            "Resource": f"{curated}/*",
        },
        {
            "Sid": "UseLakeKeyForCurated",
            "Effect": "Allow",
            "Action": ["kms:Decrypt"],
            "Resource": key,
            "Condition": {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}},
        },
    ]


def test_grant_write_on_a_prefix_is_scoped_to_it():
    plan = _lake_with_grants()
    models = plan.one(AWS_S3_BUCKET, "lake-models").output("arn")
    statements = {s["Sid"]: s for s in _statements(plan, "lake-models-write-trainer")}
    assert statements["ListModels"]["Condition"] == {"StringLike": {"s3:prefix": ["mlflow/", "mlflow/*"]}}
    assert statements["WriteModels"] == {
        "Sid": "WriteModels",
        "Effect": "Allow",
        "Resource": f"{models}/mlflow/*",
        "Action": ["s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
    }
    assert statements["UseLakeKeyForModels"]["Action"] == ["kms:Decrypt", "kms:GenerateDataKey", "kms:Encrypt"]


def test_prefix_layout_uses_one_bucket_and_scopes_zones_by_prefix():
    plan = _lake_with_grants(layout="prefixes", encryption="sse-s3")
    data = [b for b in plan.by_type(AWS_S3_BUCKET) if b.name == "lake-data"]
    assert len(data) == 1 and len(plan.by_type(AWS_S3_BUCKET)) == 3
    rules = for_bucket(plan, AWS_S3_BUCKET_LIFECYCLE_CONFIGURATION, data[0]).input("rules")
    assert [r["filter"]["prefix"] for r in rules] == ["raw/", "curated/", "features/", "models/"]
    read = {s["Sid"]: s for s in _statements(plan, "lake-curated-read-trainer")}
    assert read["ReadCurated"]["Resource"] == f"{data[0].output('arn')}/curated/*"
    assert read["ListCurated"]["Condition"] == {"StringLike": {"s3:prefix": ["curated/", "curated/*"]}}
    assert not any("kms" in json.dumps(s) for s in read.values()), "sse-s3 needs no key permissions"
    assert plan.by_type(AWS_KMS_KEY) == []


@pytest.mark.parametrize(
    ("zone", "prefix", "path", "fragment"),
    [
        ("gold", "", "zone", "unknown zone; zones of this lake: raw, curated, features, models"),
        ("raw", "/abs/", "prefix", "must be empty or end with '/'"),
        ("raw", "no-slash", "prefix", "must be empty or end with '/'"),
    ],
)
def test_raises_when_a_grant_names_an_unknown_zone_or_bad_prefix(zone, prefix, path, fragment):
    def program():
        lake = DataLake("lake", DataLakeArgs(region="us-east-1"))
        role = aws.iam.Role("r", assume_role_policy="{}")
        lake.grant_read(iam.principal(role), zone, prefix)

    with pytest.raises(ConfigError) as info:
        engine.run(program)
    assert info.value.paths() == [path]
    assert fragment in str(info.value)
    assert "DataLake 'lake': grant" in str(info.value)


def test_raises_when_a_grant_is_for_a_gcp_identity():
    def program():
        lake = DataLake("lake", DataLakeArgs(region="us-east-1"))
        account = Principal(cloud=Cloud.GCP, name="sa", identity="serviceAccount:sa@p.iam.gserviceaccount.com")
        lake.grant_read(account, "raw")

    with pytest.raises(ConfigError) as info:
        engine.run(program)
    assert info.value.paths() == ["principal"]
    assert "an identity on gcp; grants here are for aws only" in str(info.value)


def test_raises_when_lake_args_are_invalid():
    with pytest.raises(ConfigError) as info:
        DataLakeArgs(
            region="us-east-1",
            lake={
                "zones": ["raw", "Raw"],
                "encryption": "none",
                "lifecycle": {"intelligent_tiering_after_days": 60, "glacier_after_days": 30},
            },
        )
    assert {"args.lake.zones[1]", "args.lake.encryption", "args.lake.lifecycle.glacier_after_days"} <= set(
        info.value.paths()
    )


def test_lake_component_registers_its_outputs():
    lake = aws_smallest().one(MLPLATFORM_AWS_DATA_LAKE)
    assert set(lake.outputs["bucket_names"]) == set(ZONES)
    assert lake.outputs["key_arn"].startswith("arn:aws:kms:us-east-1:123456789012:key/")
