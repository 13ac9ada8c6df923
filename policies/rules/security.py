"""A small security baseline next to the cost rules: encryption at rest, no public data, IMDSv2.

- encryption-at-rest: databases, caches, volumes (and the volumes of instances, launch templates and
  Karpenter node classes), topics, queues and EKS secrets are encrypted; with ``require_customer_managed_keys``
  buckets, tables and databases must use a KMS key of the account's (S3 and DynamoDB encrypt with AWS keys by
  default, so without it they pass).
- public-access-blocked (stack): every S3 bucket has a public access block with all four settings on (or the
  account has one), no bucket ACL grants public access, no database is publicly accessible, every GCS bucket
  enforces public access prevention.
- imdsv2-required: instances, launch templates and Karpenter node classes require session tokens for the
  instance metadata service (IMDSv1 lets any SSRF read the node's credentials).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

from mlplatform.components.base.resources import Resource, get
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
    AWS_S3_BUCKET_ACL,
    AWS_S3_BUCKET_ACL_V2,
    AWS_S3_BUCKET_PUBLIC_ACCESS_BLOCK,
    AWS_S3_BUCKET_SERVER_SIDE_ENCRYPTION_CONFIGURATION,
    AWS_S3_BUCKET_V2,
    AWS_SNS_TOPIC,
    AWS_SQS_QUEUE,
    GCP_SQL_DATABASE_INSTANCE,
    GCP_STORAGE_BUCKET,
    K8S_KARPENTER_EC2_NODE_CLASS,
)

from .base import Rule, Settings, display_name, index_by_target, items, targeting, truthy


def _unencrypted_devices(devices: list, encrypted_key: str = "encrypted") -> list[str]:
    out = []
    for d in devices:
        ebs = get(d, "ebs", d)
        if not truthy(get(ebs, encrypted_key, False)):
            out.append(str(get(d, "deviceName") or "root"))
    return out


def check_encryption(r: Resource, s: Settings) -> Iterator[str]:
    cmk = bool(s.get("require_customer_managed_keys", False))
    p = r.props
    what = display_name(r)
    if r.type in (AWS_RDS_INSTANCE, AWS_RDS_CLUSTER):
        if not truthy(get(p, "storageEncrypted")):
            yield f"{what} stores data unencrypted (storageEncrypted is not true); required: encrypted storage."
        elif cmk and not get(p, "kmsKeyId"):
            yield f"{what} is encrypted with the AWS-managed key; required: a customer-managed KMS key (kmsKeyId)."
    elif r.type in (AWS_EBS_VOLUME, AWS_EFS_FILE_SYSTEM):
        if not truthy(get(p, "encrypted")):
            yield f"{what} is not encrypted; required: encrypted = true."
    elif r.type == AWS_EC2_INSTANCE:
        devices = [{"deviceName": "root", "ebs": get(p, "rootBlockDevice", {})}] + [
            {"deviceName": get(d, "deviceName"), "ebs": d} for d in items(get(p, "ebsBlockDevices"))
        ]
        bad = _unencrypted_devices(devices)
        if bad:
            yield f"{what} has unencrypted volumes ({', '.join(bad)}); required: encrypted = true on every volume."
    elif r.type == AWS_EC2_LAUNCH_TEMPLATE:
        bad = _unencrypted_devices([d for d in items(get(p, "blockDeviceMappings")) if get(d, "ebs")])
        if bad:
            yield f"{what} launches unencrypted volumes ({', '.join(bad)}); required: ebs.encrypted = true."
    elif r.type == K8S_KARPENTER_EC2_NODE_CLASS:
        bad = _unencrypted_devices(items(get(p, "spec.blockDeviceMappings")))
        if bad:
            yield f"{what} launches nodes with unencrypted volumes ({', '.join(bad)}); required: ebs.encrypted: true."
    elif r.type == AWS_ELASTICACHE_REPLICATION_GROUP:
        if not truthy(get(p, "atRestEncryptionEnabled")):
            yield f"{what} keeps data unencrypted at rest; required: atRestEncryptionEnabled = true."
    elif r.type == AWS_DYNAMODB_TABLE and cmk:
        if not (truthy(get(p, "serverSideEncryption.enabled")) and get(p, "serverSideEncryption.kmsKeyArn")):
            yield f"{what} uses an AWS-owned key; required: serverSideEncryption with a customer-managed kmsKeyArn."
    elif r.type == AWS_S3_BUCKET_SERVER_SIDE_ENCRYPTION_CONFIGURATION and cmk:
        for rule in items(get(p, "rules")):
            algo = get(rule, "applyServerSideEncryptionByDefault.sseAlgorithm")
            if algo not in ("aws:kms", "aws:kms:dsse") or not get(
                rule, "applyServerSideEncryptionByDefault.kmsMasterKeyId"
            ):
                yield f"{what} encrypts with {algo}; required: aws:kms with a customer-managed key."
    elif r.type == AWS_SNS_TOPIC:
        if not get(p, "kmsMasterKeyId"):
            yield f"{what} is not encrypted (SNS does not encrypt by default); required: kmsMasterKeyId."
    elif r.type == AWS_SQS_QUEUE:
        if get(p, "sqsManagedSseEnabled") is False and not get(p, "kmsMasterKeyId"):
            yield f"{what} turns server-side encryption off; required: SQS-managed or KMS encryption."
    elif r.type == AWS_EKS_CLUSTER:
        if not items(get(p, "encryptionConfig.resources")) and not get(p, "encryptionConfig.provider.keyArn"):
            yield f"{what} stores Kubernetes secrets without envelope encryption; required: encryptionConfig with a KMS key."
    elif r.type == GCP_STORAGE_BUCKET and cmk and not get(p, "encryption.defaultKmsKeyName"):
        yield f"{what} uses Google-managed keys; required: encryption.defaultKmsKeyName."
    elif r.type == GCP_SQL_DATABASE_INSTANCE and cmk and not get(p, "encryptionKeyName"):
        yield f"{what} uses Google-managed keys; required: encryptionKeyName."


S3_BUCKETS = (AWS_S3_BUCKET, AWS_S3_BUCKET_V2)
BUCKET_ACLS = (AWS_S3_BUCKET_ACL, AWS_S3_BUCKET_ACL_V2)
PUBLIC_ACLS = {"public-read", "public-read-write", "authenticated-read"}
BLOCK_SETTINGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")


def _targets(bucket: Resource, index: Mapping[str, list[Resource]]) -> list[Resource]:
    return targeting(index, bucket, get(bucket.props, "bucket"), get(bucket.props, "id"), bucket.name)


def check_public_access(resources: Sequence[Resource], s: Settings) -> Iterator[tuple[str, str | None]]:
    blocks = index_by_target([r for r in resources if r.type == AWS_S3_BUCKET_PUBLIC_ACCESS_BLOCK], "bucket")
    acls = index_by_target([r for r in resources if r.type in BUCKET_ACLS], "bucket")
    account_blocked = any(
        all(truthy(get(r.props, k)) for k in BLOCK_SETTINGS)
        for r in resources
        if r.type == AWS_S3_ACCOUNT_PUBLIC_ACCESS_BLOCK
    )
    for r in resources:
        if r.type in S3_BUCKETS:
            if not account_blocked:
                mine = _targets(r, blocks)
                if not mine:
                    yield (
                        f"S3 bucket '{r.name}' has no public access block; required: all of {', '.join(BLOCK_SETTINGS)}.",
                        r.urn,
                    )
                else:
                    off = [k for k in BLOCK_SETTINGS if not any(truthy(get(b.props, k)) for b in mine)]
                    if off:
                        yield f"S3 bucket '{r.name}' leaves {', '.join(off)} off; required: all four on.", r.urn
            for acl in _targets(r, acls):
                canned = get(acl.props, "acl")
                if canned in PUBLIC_ACLS:
                    yield f"S3 bucket '{r.name}' has the public ACL {canned!r}; allowed: private ACLs only.", acl.urn
            if get(r.props, "acl") in PUBLIC_ACLS:
                yield (
                    f"S3 bucket '{r.name}' has the public ACL {get(r.props, 'acl')!r}; allowed: private ACLs only.",
                    r.urn,
                )
        elif r.type in (AWS_RDS_INSTANCE, AWS_RDS_CLUSTER) and truthy(get(r.props, "publiclyAccessible")):
            yield f"database '{r.name}' is publicly accessible; required: publiclyAccessible = false.", r.urn
        elif (
            r.type == GCP_SQL_DATABASE_INSTANCE
            and truthy(get(r.props, "settings.ipConfiguration.ipv4Enabled"))
            and any(
                get(n, "value") == "0.0.0.0/0"
                for n in items(get(r.props, "settings.ipConfiguration.authorizedNetworks"))
            )
        ):
            yield (
                f"Cloud SQL instance '{r.name}' accepts connections from 0.0.0.0/0; required: private IP or named networks.",
                r.urn,
            )
        elif r.type == GCP_STORAGE_BUCKET and get(r.props, "publicAccessPrevention") != "enforced":
            found = get(r.props, "publicAccessPrevention") or "inherited"
            yield f"GCS bucket '{r.name}' has publicAccessPrevention {found!r}; required: 'enforced'.", r.urn


def check_imdsv2(r: Resource, s: Settings) -> Iterator[str]:
    if r.type in (AWS_EC2_INSTANCE, AWS_EC2_LAUNCH_TEMPLATE):
        tokens = get(r.props, "metadataOptions.httpTokens")
        endpoint = get(r.props, "metadataOptions.httpEndpoint", "enabled")
        if endpoint != "disabled" and tokens != "required":
            yield f"{display_name(r)} allows IMDSv1 (metadataOptions.httpTokens is {tokens or 'unset'!r}); required: 'required'."
    elif r.type == K8S_KARPENTER_EC2_NODE_CLASS:
        tokens = get(r.props, "spec.metadataOptions.httpTokens")
        if tokens is not None and tokens != "required":  # Karpenter defaults to required
            yield f"{display_name(r)} allows IMDSv1 (spec.metadataOptions.httpTokens is {tokens!r}); required: 'required'."


RULES = [
    Rule(
        name="encryption-at-rest",
        description="Databases, caches, volumes, topics, queues and cluster secrets are encrypted at rest.",
        schema={
            "require_customer_managed_keys": {
                "type": "boolean",
                "description": "Also require KMS keys of the account (not AWS-owned or AWS-managed keys).",
                "default": False,
            },
        },
        check=check_encryption,
        types=(
            AWS_RDS_INSTANCE,
            AWS_RDS_CLUSTER,
            AWS_EBS_VOLUME,
            AWS_EFS_FILE_SYSTEM,
            AWS_EC2_INSTANCE,
            AWS_EC2_LAUNCH_TEMPLATE,
            K8S_KARPENTER_EC2_NODE_CLASS,
            AWS_ELASTICACHE_REPLICATION_GROUP,
            AWS_DYNAMODB_TABLE,
            AWS_S3_BUCKET_SERVER_SIDE_ENCRYPTION_CONFIGURATION,
            AWS_SNS_TOPIC,
            AWS_SQS_QUEUE,
            AWS_EKS_CLUSTER,
            GCP_STORAGE_BUCKET,
            GCP_SQL_DATABASE_INSTANCE,
        ),
        remediation="Turn encryption on (the components do by default).",
    ),
    Rule(
        name="public-access-blocked",
        description="No bucket or database is open to the public.",
        schema={},
        stack_check=check_public_access,
        types=(
            *S3_BUCKETS,
            AWS_S3_BUCKET_PUBLIC_ACCESS_BLOCK,
            AWS_S3_ACCOUNT_PUBLIC_ACCESS_BLOCK,
            *BUCKET_ACLS,
            AWS_RDS_INSTANCE,
            GCP_STORAGE_BUCKET,
        ),
        remediation="Add a public access block to every bucket; keep databases private.",
    ),
    Rule(
        name="imdsv2-required",
        description="Instances require IMDSv2 session tokens for instance metadata.",
        schema={},
        check=check_imdsv2,
        types=(AWS_EC2_INSTANCE, AWS_EC2_LAUNCH_TEMPLATE, K8S_KARPENTER_EC2_NODE_CLASS),
        remediation="Set metadataOptions.httpTokens to 'required'.",
    ),
]
