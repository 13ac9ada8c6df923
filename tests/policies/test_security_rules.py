"""The security baseline: encryption-at-rest, public-access-blocked, imdsv2-required."""

from __future__ import annotations

import pytest

from mlplatform.components.base.types import (
    AWS_DYNAMODB_TABLE,
    AWS_EBS_VOLUME,
    AWS_EC2_INSTANCE,
    AWS_EC2_LAUNCH_TEMPLATE,
    AWS_EFS_FILE_SYSTEM,
    AWS_EKS_CLUSTER,
    AWS_ELASTICACHE_REPLICATION_GROUP,
    AWS_RDS_CLUSTER,
    AWS_RDS_INSTANCE,
    AWS_S3_ACCOUNT_PUBLIC_ACCESS_BLOCK,
    AWS_S3_BUCKET,
    AWS_S3_BUCKET_ACL_V2,
    AWS_S3_BUCKET_PUBLIC_ACCESS_BLOCK,
    AWS_S3_BUCKET_SERVER_SIDE_ENCRYPTION_CONFIGURATION,
    AWS_SNS_TOPIC,
    AWS_SQS_QUEUE,
    GCP_SQL_DATABASE_INSTANCE,
    GCP_STORAGE_BUCKET,
    K8S_KARPENTER_EC2_NODE_CLASS,
)
from tests.policies.helpers import messages, res, stack_messages

ENCRYPTION_CASES = [
    ("RDS instance", AWS_RDS_INSTANCE, {"storageEncrypted": True}, {"storageEncrypted": False}),
    ("RDS cluster", AWS_RDS_CLUSTER, {"storageEncrypted": True}, {}),
    ("EBS volume", AWS_EBS_VOLUME, {"encrypted": True, "size": 10}, {"size": 10}),
    ("EFS", AWS_EFS_FILE_SYSTEM, {"encrypted": True}, {"encrypted": False}),
    (
        "EC2 instance",
        AWS_EC2_INSTANCE,
        {"rootBlockDevice": {"encrypted": True}, "ebsBlockDevices": [{"deviceName": "/dev/sdf", "encrypted": True}]},
        {"rootBlockDevice": {"encrypted": True}, "ebsBlockDevices": [{"deviceName": "/dev/sdf", "encrypted": False}]},
    ),
    (
        "launch template",
        AWS_EC2_LAUNCH_TEMPLATE,
        {"blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": {"encrypted": "true", "volumeSize": 100}}]},
        {"blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": {"encrypted": "false", "volumeSize": 100}}]},
    ),
    (
        "Karpenter EC2NodeClass",
        K8S_KARPENTER_EC2_NODE_CLASS,
        {"spec": {"blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": {"encrypted": True}}]}},
        {"spec": {"blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": {"volumeSize": "100Gi"}}]}},
    ),
    (
        "ElastiCache",
        AWS_ELASTICACHE_REPLICATION_GROUP,
        {"atRestEncryptionEnabled": True},
        {"atRestEncryptionEnabled": False},
    ),
    ("SNS topic", AWS_SNS_TOPIC, {"kmsMasterKeyId": "alias/alerts"}, {}),
    ("SQS queue", AWS_SQS_QUEUE, {"sqsManagedSseEnabled": True}, {"sqsManagedSseEnabled": False}),
    (
        "EKS cluster",
        AWS_EKS_CLUSTER,
        {"encryptionConfig": {"provider": {"keyArn": "arn:aws:kms:k"}, "resources": ["secrets"]}},
        {},
    ),
]


@pytest.mark.parametrize("kind,type_,good,bad", ENCRYPTION_CASES, ids=[c[0] for c in ENCRYPTION_CASES])
def test_encryption_at_rest(kind, type_, good, bad):
    assert messages("encryption-at-rest", res(type_, good)) == []
    found = messages("encryption-at-rest", res(type_, bad))
    assert len(found) == 1 and "required" in found[0]


CMK_CASES = [
    ("DynamoDB", AWS_DYNAMODB_TABLE, {"serverSideEncryption": {"enabled": True, "kmsKeyArn": "arn:k"}}, {}),
    (
        "S3 encryption",
        AWS_S3_BUCKET_SERVER_SIDE_ENCRYPTION_CONFIGURATION,
        {"rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": "arn:k"}}]},
        {"rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]},
    ),
    (
        "RDS key",
        AWS_RDS_INSTANCE,
        {"storageEncrypted": True, "kmsKeyId": "arn:k"},
        {"storageEncrypted": True},
    ),
    ("GCS", GCP_STORAGE_BUCKET, {"encryption": {"defaultKmsKeyName": "projects/p/k"}}, {}),
    ("Cloud SQL", GCP_SQL_DATABASE_INSTANCE, {"encryptionKeyName": "projects/p/k"}, {}),
]


@pytest.mark.parametrize("kind,type_,good,bad", CMK_CASES, ids=[c[0] for c in CMK_CASES])
def test_customer_managed_keys_when_required(kind, type_, good, bad):
    assert messages("encryption-at-rest", res(type_, bad)) == [], "AWS/Google keys are fine unless CMKs are required"
    assert messages("encryption-at-rest", res(type_, good), require_customer_managed_keys=True) == []
    assert messages("encryption-at-rest", res(type_, bad), require_customer_managed_keys=True)


# --- public-access-blocked --------------------------------------------------------------------------------------------

BLOCK_ALL = {k: True for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")}


def bucket():
    return res(AWS_S3_BUCKET, {"bucket": "lake-raw-1"}, name="raw")


def block(b, **off):
    return res(
        AWS_S3_BUCKET_PUBLIC_ACCESS_BLOCK,
        {"bucket": "lake-raw-1", **BLOCK_ALL, **off},
        name="raw-block",
        property_dependencies={"bucket": [b.urn]},
    )


def test_buckets_need_a_full_public_access_block():
    b = bucket()
    assert stack_messages("public-access-blocked", [b, block(b)]) == []
    assert "has no public access block" in stack_messages("public-access-blocked", [b])[0][0]
    partial = stack_messages("public-access-blocked", [b, block(b, restrictPublicBuckets=False)])
    assert "leaves restrictPublicBuckets off" in partial[0][0]
    account = res(AWS_S3_ACCOUNT_PUBLIC_ACCESS_BLOCK, dict(BLOCK_ALL))
    assert stack_messages("public-access-blocked", [b, account]) == []


def test_public_acls_and_databases_fail():
    b = bucket()
    acl = res(AWS_S3_BUCKET_ACL_V2, {"bucket": "lake-raw-1", "acl": "public-read"}, name="acl")
    found = stack_messages("public-access-blocked", [b, block(b), acl])
    assert len(found) == 1 and "public ACL 'public-read'" in found[0][0] and found[0][1] == acl.urn
    db = res(AWS_RDS_INSTANCE, {"publiclyAccessible": True}, name="db")
    assert "publicly accessible" in stack_messages("public-access-blocked", [db])[0][0]
    assert stack_messages("public-access-blocked", [res(AWS_RDS_INSTANCE, {"publiclyAccessible": False})]) == []


def test_gcp_buckets_and_cloud_sql():
    good = res(GCP_STORAGE_BUCKET, {"publicAccessPrevention": "enforced"})
    assert stack_messages("public-access-blocked", [good]) == []
    loose = res(GCP_STORAGE_BUCKET, {})
    assert "publicAccessPrevention 'inherited'" in stack_messages("public-access-blocked", [loose])[0][0]
    open_sql = res(
        GCP_SQL_DATABASE_INSTANCE,
        {"settings": {"ipConfiguration": {"ipv4Enabled": True, "authorizedNetworks": [{"value": "0.0.0.0/0"}]}}},
    )
    assert "0.0.0.0/0" in stack_messages("public-access-blocked", [open_sql])[0][0]


# --- imdsv2-required --------------------------------------------------------------------------------------------------

IMDS_CASES = [
    ("EC2 instance", AWS_EC2_INSTANCE, {"metadataOptions": {"httpTokens": "required"}}, {}),
    (
        "launch template",
        AWS_EC2_LAUNCH_TEMPLATE,
        {"metadataOptions": {"httpTokens": "required"}},
        {"metadataOptions": {"httpTokens": "optional"}},
    ),
    (
        "Karpenter EC2NodeClass",
        K8S_KARPENTER_EC2_NODE_CLASS,
        {"spec": {}},  # Karpenter's default is required
        {"spec": {"metadataOptions": {"httpTokens": "optional"}}},
    ),
]


@pytest.mark.parametrize("kind,type_,good,bad", IMDS_CASES, ids=[c[0] for c in IMDS_CASES])
def test_imdsv2_required(kind, type_, good, bad):
    assert messages("imdsv2-required", res(type_, good)) == []
    found = messages("imdsv2-required", res(type_, bad))
    assert len(found) == 1 and "allows IMDSv1" in found[0]


def test_a_disabled_metadata_endpoint_passes():
    off = res(AWS_EC2_INSTANCE, {"metadataOptions": {"httpEndpoint": "disabled"}})
    assert messages("imdsv2-required", off) == []
