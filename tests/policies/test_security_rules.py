"""The security baseline: encryption-at-rest, public-access-blocked, imdsv2-required."""

from __future__ import annotations

import pytest

from tests.policies.helpers import messages, res, stack_messages

ENCRYPTION_CASES = [
    ("RDS instance", "aws:rds/instance:Instance", {"storageEncrypted": True}, {"storageEncrypted": False}),
    ("RDS cluster", "aws:rds/cluster:Cluster", {"storageEncrypted": True}, {}),
    ("EBS volume", "aws:ebs/volume:Volume", {"encrypted": True, "size": 10}, {"size": 10}),
    ("EFS", "aws:efs/fileSystem:FileSystem", {"encrypted": True}, {"encrypted": False}),
    (
        "EC2 instance",
        "aws:ec2/instance:Instance",
        {"rootBlockDevice": {"encrypted": True}, "ebsBlockDevices": [{"deviceName": "/dev/sdf", "encrypted": True}]},
        {"rootBlockDevice": {"encrypted": True}, "ebsBlockDevices": [{"deviceName": "/dev/sdf", "encrypted": False}]},
    ),
    (
        "launch template",
        "aws:ec2/launchTemplate:LaunchTemplate",
        {"blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": {"encrypted": "true", "volumeSize": 100}}]},
        {"blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": {"encrypted": "false", "volumeSize": 100}}]},
    ),
    (
        "Karpenter EC2NodeClass",
        "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass",
        {"spec": {"blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": {"encrypted": True}}]}},
        {"spec": {"blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": {"volumeSize": "100Gi"}}]}},
    ),
    (
        "ElastiCache",
        "aws:elasticache/replicationGroup:ReplicationGroup",
        {"atRestEncryptionEnabled": True},
        {"atRestEncryptionEnabled": False},
    ),
    ("SNS topic", "aws:sns/topic:Topic", {"kmsMasterKeyId": "alias/alerts"}, {}),
    ("SQS queue", "aws:sqs/queue:Queue", {"sqsManagedSseEnabled": True}, {"sqsManagedSseEnabled": False}),
    (
        "EKS cluster",
        "aws:eks/cluster:Cluster",
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
    ("DynamoDB", "aws:dynamodb/table:Table", {"serverSideEncryption": {"enabled": True, "kmsKeyArn": "arn:k"}}, {}),
    (
        "S3 encryption",
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        {"rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": "arn:k"}}]},
        {"rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]},
    ),
    (
        "RDS key",
        "aws:rds/instance:Instance",
        {"storageEncrypted": True, "kmsKeyId": "arn:k"},
        {"storageEncrypted": True},
    ),
    ("GCS", "gcp:storage/bucket:Bucket", {"encryption": {"defaultKmsKeyName": "projects/p/k"}}, {}),
    ("Cloud SQL", "gcp:sql/databaseInstance:DatabaseInstance", {"encryptionKeyName": "projects/p/k"}, {}),
]


@pytest.mark.parametrize("kind,type_,good,bad", CMK_CASES, ids=[c[0] for c in CMK_CASES])
def test_customer_managed_keys_when_required(kind, type_, good, bad):
    assert messages("encryption-at-rest", res(type_, bad)) == [], "AWS/Google keys are fine unless CMKs are required"
    assert messages("encryption-at-rest", res(type_, good), require_customer_managed_keys=True) == []
    assert messages("encryption-at-rest", res(type_, bad), require_customer_managed_keys=True)


# --- public-access-blocked --------------------------------------------------------------------------------------------

BLOCK_ALL = {k: True for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")}


def bucket():
    return res("aws:s3/bucket:Bucket", {"bucket": "lake-raw-1"}, name="raw")


def block(b, **off):
    return res(
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
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
    account = res("aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock", dict(BLOCK_ALL))
    assert stack_messages("public-access-blocked", [b, account]) == []


def test_public_acls_and_databases_fail():
    b = bucket()
    acl = res("aws:s3/bucketAclV2:BucketAclV2", {"bucket": "lake-raw-1", "acl": "public-read"}, name="acl")
    found = stack_messages("public-access-blocked", [b, block(b), acl])
    assert len(found) == 1 and "public ACL 'public-read'" in found[0][0] and found[0][1] == acl.urn
    db = res("aws:rds/instance:Instance", {"publiclyAccessible": True}, name="db")
    assert "publicly accessible" in stack_messages("public-access-blocked", [db])[0][0]
    assert (
        stack_messages("public-access-blocked", [res("aws:rds/instance:Instance", {"publiclyAccessible": False})]) == []
    )


def test_gcp_buckets_and_cloud_sql():
    good = res("gcp:storage/bucket:Bucket", {"publicAccessPrevention": "enforced"})
    assert stack_messages("public-access-blocked", [good]) == []
    loose = res("gcp:storage/bucket:Bucket", {})
    assert "publicAccessPrevention 'inherited'" in stack_messages("public-access-blocked", [loose])[0][0]
    open_sql = res(
        "gcp:sql/databaseInstance:DatabaseInstance",
        {"settings": {"ipConfiguration": {"ipv4Enabled": True, "authorizedNetworks": [{"value": "0.0.0.0/0"}]}}},
    )
    assert "0.0.0.0/0" in stack_messages("public-access-blocked", [open_sql])[0][0]


# --- imdsv2-required --------------------------------------------------------------------------------------------------

IMDS_CASES = [
    ("EC2 instance", "aws:ec2/instance:Instance", {"metadataOptions": {"httpTokens": "required"}}, {}),
    (
        "launch template",
        "aws:ec2/launchTemplate:LaunchTemplate",
        {"metadataOptions": {"httpTokens": "required"}},
        {"metadataOptions": {"httpTokens": "optional"}},
    ),
    (
        "Karpenter EC2NodeClass",
        "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass",
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
    off = res("aws:ec2/instance:Instance", {"metadataOptions": {"httpEndpoint": "disabled"}})
    assert messages("imdsv2-required", off) == []
