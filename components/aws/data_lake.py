"""DataLake: S3 zones (raw, curated, features, models) that are private, encrypted, versioned, tiered and logged,
with a Glue database per zone, an Athena workgroup, and least-privilege grant helpers.

Example::

    from mlplatform.components.aws import DataLake, DataLakeArgs

    lake = DataLake("lake", DataLakeArgs(region="us-east-1", environment="dev", tags={"team": "ml"}))
    lake.grant_read(iam.principal(training_role), "curated")
    lake.grant_write(iam.principal(mlflow_role), "models", prefix="mlflow/")
    pulumi.export("dvc_remote", lake.dvc_remote_url)
"""

from __future__ import annotations

import re
from typing import Any

import pulumi
import pulumi_aws as aws
from pydantic import Field

from ..base.cloud import Cloud
from ..base.types import MLPLATFORM_AWS_DATA_LAKE
from ..base.values import ComponentArgs, KmsKeyArn
from ..config.environment import Environment
from ..config.lake import DEFAULT_ZONES, DataLakeSpec, LakeEncryption, LakeLayout, LifecycleSpec
from ..interfaces import Principal, check_grant
from . import iam

# Object and bucket-level S3 actions a reader and a writer need; nothing that changes bucket configuration.
READ_OBJECT_ACTIONS = ["s3:GetObject", "s3:GetObjectVersion"]
WRITE_OBJECT_ACTIONS = ["s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"]


class DataLakeArgs(ComponentArgs):
    _context_cloud = Cloud.AWS

    region: str
    """AWS region. Required."""
    environment: Environment = Environment.DEV
    """prod protects buckets, key and catalog from deletion; dev lets them go with the stack. Default: dev."""
    lake: DataLakeSpec = DataLakeSpec()
    """Zones, layout, encryption, lifecycle, Athena cutoff (the stack spec's ``data_lake`` section).
    Default: see DataLakeSpec."""
    kms_key_arn: KmsKeyArn | None = None
    """Customer-managed key to encrypt with. Default: create one (when encryption is kms)."""
    access_log_expiry_days: int = Field(default=90, ge=1, le=3650)
    """How long S3 server access logs are kept. Default: 90."""
    tags: dict[str, str] = {}
    """Tags on every resource. Default: none."""


class DataLake(pulumi.ComponentResource):
    """The lake's buckets, key, catalog and query workgroup (type ``mlplatform:aws:DataLake``).

    Outputs: ``bucket_names`` and ``bucket_arns`` per zone, ``zone_urls`` (``s3://bucket/prefix/``),
    ``key_arn``, ``glue_databases``, ``athena_workgroup``, ``athena_results_url``, ``dvc_remote_url``.
    """

    cloud: Cloud
    zones: list[str]
    bucket_names: dict[str, pulumi.Output[str]]
    bucket_arns: dict[str, pulumi.Output[str]]
    zone_prefixes: dict[str, str]
    zone_urls: dict[str, pulumi.Output[str]]
    key_arn: pulumi.Output[str] | None
    glue_databases: dict[str, pulumi.Output[str]]
    athena_workgroup: pulumi.Output[str]
    athena_results_url: pulumi.Output[str]
    dvc_remote_url: pulumi.Output[str]

    def __init__(self, name: str, args: DataLakeArgs | dict[str, Any], opts: pulumi.ResourceOptions | None = None):
        args = args if isinstance(args, DataLakeArgs) else DataLakeArgs(**args)
        super().__init__(MLPLATFORM_AWS_DATA_LAKE, name, None, opts)
        self._lake = name
        self.cloud = Cloud.AWS
        self.args = args
        spec = args.lake
        prod = args.environment is Environment.PROD
        self.zones = list(spec.zones or DEFAULT_ZONES)
        child = pulumi.ResourceOptions(parent=self)
        # Stateful: in prod nothing here is deleted by accident (protect), and buckets refuse to delete while
        # they hold objects (force_destroy off). In dev the lake goes with the stack.
        keep = pulumi.ResourceOptions(parent=self, protect=prod)
        self._kms = spec.encryption is LakeEncryption.KMS

        self.key_arn = None
        if self._kms:
            if args.kms_key_arn:
                self.key_arn = pulumi.Output.from_input(args.kms_key_arn)
            else:
                key = aws.kms.Key(
                    f"{name}-key",
                    description=f"Data lake {name}: S3 objects and Athena results",
                    enable_key_rotation=True,
                    deletion_window_in_days=30 if prod else 7,
                    tags=args.tags,
                    opts=keep,
                )
                aws.kms.Alias(
                    f"{name}-key", name=f"alias/{name}-{pulumi.get_stack()}-lake", target_key_id=key.key_id, opts=child
                )
                self.key_arn = key.arn

        # Access logs: the log bucket must use SSE-S3 (S3 log delivery cannot write with SSE-KMS).
        logs = self._bucket(f"{name}-access-logs", prod, kms=False)
        self._lifecycle(
            logs,
            f"{name}-access-logs",
            [
                (
                    "",
                    LifecycleSpec(
                        intelligent_tiering_after_days=None,
                        expire_after_days=args.access_log_expiry_days,
                        noncurrent_expiry_days=1,
                    ),
                )
            ],
        )
        aws.s3.BucketPolicy(
            f"{name}-access-logs",
            bucket=logs.id,
            policy=iam.document(
                self._tls_only(logs),
                {
                    "Sid": "S3ServerAccessLogsPolicy",
                    "Effect": "Allow",
                    "Principal": {"Service": "logging.s3.amazonaws.com"},
                    "Action": "s3:PutObject",
                    "Resource": pulumi.Output.concat(logs.arn, "/*"),
                    "Condition": {"StringEquals": {"aws:SourceAccount": aws.get_caller_identity().account_id}},
                },
            ),
            opts=child,
        )

        self.bucket_names, self.bucket_arns, self.zone_prefixes, self.zone_urls = {}, {}, {}, {}
        if spec.layout is LakeLayout.BUCKETS:
            for zone in self.zones:
                bucket = self._data_bucket(f"{name}-{zone}", logs, f"{zone}/", prod)
                self._lifecycle(bucket, f"{name}-{zone}", [("", self._zone_lifecycle(zone))])
                self.bucket_names[zone], self.bucket_arns[zone] = bucket.bucket, bucket.arn
                self.zone_prefixes[zone] = ""
        else:
            bucket = self._data_bucket(f"{name}-data", logs, "data/", prod)
            self._lifecycle(bucket, f"{name}-data", [(f"{z}/", self._zone_lifecycle(z)) for z in self.zones])
            for zone in self.zones:
                self.bucket_names[zone], self.bucket_arns[zone] = bucket.bucket, bucket.arn
                self.zone_prefixes[zone] = f"{zone}/"
        for zone in self.zones:
            self.zone_urls[zone] = pulumi.Output.concat("s3://", self.bucket_names[zone], "/", self.zone_prefixes[zone])

        # One catalog database per zone holds its tables; names are Glue-safe (lowercase, underscores).
        self.glue_databases = {}
        for zone in self.zones:
            db_name = re.sub(r"[^a-z0-9_]", "_", f"{name}_{pulumi.get_stack()}_{zone}".lower())
            db = aws.glue.CatalogDatabase(
                f"{name}-{zone}",
                name=db_name,
                description=f"Tables of the {zone} zone of data lake {name}",
                location_uri=self.zone_urls[zone],
                tags=args.tags,
                opts=keep,
            )
            self.glue_databases[zone] = db.name

        results = self._bucket(f"{name}-athena-results", prod, kms=self._kms, force_destroy=True)
        # Query results are scratch: keep them a week.
        self._lifecycle(
            results,
            f"{name}-athena-results",
            [("", LifecycleSpec(intelligent_tiering_after_days=None, expire_after_days=7, noncurrent_expiry_days=1))],
        )
        aws.s3.BucketPolicy(
            f"{name}-athena-results", bucket=results.id, policy=iam.document(self._tls_only(results)), opts=child
        )
        self.athena_results_url = pulumi.Output.concat("s3://", results.bucket, "/results/")
        encryption = (
            aws.athena.WorkgroupConfigurationResultConfigurationEncryptionConfigurationArgs(
                encryption_option="SSE_KMS", kms_key_arn=self.key_arn
            )
            if self._kms
            else aws.athena.WorkgroupConfigurationResultConfigurationEncryptionConfigurationArgs(
                encryption_option="SSE_S3"
            )
        )
        workgroup = aws.athena.Workgroup(
            name,
            name=f"{name}-{pulumi.get_stack()}",
            description=f"Queries over data lake {name}",
            force_destroy=not prod,
            configuration=aws.athena.WorkgroupConfigurationArgs(
                enforce_workgroup_configuration=True,
                publish_cloudwatch_metrics_enabled=True,
                bytes_scanned_cutoff_per_query=spec.athena_bytes_scanned_cutoff_gb * 1024**3,
                result_configuration=aws.athena.WorkgroupConfigurationResultConfigurationArgs(
                    output_location=self.athena_results_url, encryption_configuration=encryption
                ),
            ),
            tags=args.tags,
            opts=child,
        )
        self.athena_workgroup = workgroup.name
        self.athena_results_bucket_arn = results.arn

        raw = self.zones[0] if "raw" not in self.zones else "raw"
        self.dvc_remote_url = pulumi.Output.concat(self.zone_urls[raw], "dvc/")
        self.register_outputs(
            {
                "bucket_names": self.bucket_names,
                "bucket_arns": self.bucket_arns,
                "zone_urls": self.zone_urls,
                "key_arn": self.key_arn,
                "glue_databases": self.glue_databases,
                "athena_workgroup": self.athena_workgroup,
                "athena_results_url": self.athena_results_url,
                "dvc_remote_url": self.dvc_remote_url,
            }
        )

    # --- grants --------------------------------------------------------------------------------------------

    def grant_read(self, principal: Principal, zone: str, prefix: str = "") -> list[aws.iam.RolePolicy]:
        """Let ``principal`` (an IAM role: ``iam.principal(role)``) list and read objects of ``zone``
        (optionally under ``prefix``), and decrypt them."""
        return [self._grant(principal, zone, prefix, write=False)]

    def grant_write(self, principal: Principal, zone: str, prefix: str = "") -> list[aws.iam.RolePolicy]:
        """Let ``principal`` read, write and delete objects of ``zone`` (optionally under ``prefix``), with the
        key."""
        return [self._grant(principal, zone, prefix, write=True)]

    def grant_statements(self, zone: str, prefix: str = "", write: bool = False) -> list[dict[str, Any]]:
        """The statements of a grant, for components that bundle them with others in one document."""
        check_grant(f"DataLake {self._lake!r}", self.zones, zone, prefix)
        bucket_arn = self.bucket_arns[zone]
        key_prefix = self.zone_prefixes[zone] + prefix
        objects = pulumi.Output.concat(bucket_arn, "/", key_prefix, "*")
        # Statement ids name the zone so several grants can share one document (Sids must be unique).
        sid = re.sub(r"[^A-Za-z0-9]", "", zone.title())
        statements: list[dict[str, Any]] = [
            # s3:prefix scopes listing only; GetBucketLocation has no prefix, so it gets its own statement.
            {
                "Sid": f"List{sid}",
                "Effect": "Allow",
                "Action": "s3:ListBucket",
                "Resource": bucket_arn,
                **({"Condition": {"StringLike": {"s3:prefix": [key_prefix, f"{key_prefix}*"]}}} if key_prefix else {}),
            },
            {"Sid": f"Locate{sid}", "Effect": "Allow", "Action": "s3:GetBucketLocation", "Resource": bucket_arn},
        ]
        if key_prefix:
            # HeadBucket (Feast's S3 registry, s3fs and most SDKs call it first) is authorised as s3:ListBucket
            # with no s3:prefix in the request, so the prefix condition above refuses it. AWS has no condition
            # key that tells HeadBucket from a listing without a prefix: this lets the role list key *names*
            # across the bucket, never read objects outside its prefix.
            statements.append(
                {
                    "Sid": f"Head{sid}",
                    "Effect": "Allow",
                    "Action": "s3:ListBucket",
                    "Resource": bucket_arn,
                    "Condition": {"Null": {"s3:prefix": "true"}},
                }
            )
        statements.append({"Sid": f"Read{sid}", "Effect": "Allow", "Action": READ_OBJECT_ACTIONS, "Resource": objects})
        if write:
            statements.append(
                {"Sid": f"Write{sid}", "Effect": "Allow", "Action": WRITE_OBJECT_ACTIONS, "Resource": objects}
            )
        if self.key_arn is not None:
            key_actions = ["kms:Decrypt"] + (["kms:GenerateDataKey", "kms:Encrypt"] if write else [])
            statements.append(
                {
                    "Sid": f"UseLakeKeyFor{sid}",
                    "Effect": "Allow",
                    "Action": key_actions,
                    "Resource": self.key_arn,
                    "Condition": {"StringEquals": {"kms:ViaService": f"s3.{self.args.region}.amazonaws.com"}},
                }
            )
        return statements

    def _grant(self, principal: Principal, zone: str, prefix: str, write: bool) -> aws.iam.RolePolicy:
        check_grant(f"DataLake {self._lake!r}", self.zones, zone, prefix, principal, self.cloud)
        access = "write" if write else "read"
        return aws.iam.RolePolicy(
            f"{self._lake}-{zone}-{access}-{principal.name}",
            role=principal.identity,
            policy=iam.document(*self.grant_statements(zone, prefix, write)),
            opts=pulumi.ResourceOptions(parent=self),
        )

    # --- building blocks -----------------------------------------------------------------------------------

    def _zone_lifecycle(self, zone: str) -> LifecycleSpec:
        return self.args.lake.zone_lifecycle.get(zone, self.args.lake.lifecycle)

    def _tls_only(self, bucket: aws.s3.Bucket) -> dict[str, Any]:
        return {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [bucket.arn, pulumi.Output.concat(bucket.arn, "/*")],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }

    def _bucket(self, name: str, prod: bool, *, kms: bool, force_destroy: bool | None = None) -> aws.s3.Bucket:
        """A private, versioned, encrypted bucket whose objects belong to the bucket owner."""
        child = pulumi.ResourceOptions(parent=self)
        bucket = aws.s3.Bucket(
            name,
            force_destroy=(not prod) if force_destroy is None else force_destroy,
            tags={**self.args.tags, "Name": name},
            opts=pulumi.ResourceOptions(parent=self, protect=prod),
        )
        aws.s3.BucketOwnershipControls(
            name,
            bucket=bucket.id,
            rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
            opts=child,
        )
        aws.s3.BucketPublicAccessBlock(
            name,
            bucket=bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child,
        )
        aws.s3.BucketVersioning(
            name,
            bucket=bucket.id,
            versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(status="Enabled"),
            opts=child,
        )
        sse = (
            aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                sse_algorithm="aws:kms", kms_master_key_id=self.key_arn
            )
            if kms
            else aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                sse_algorithm="AES256"
            )
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            name,
            bucket=bucket.id,
            # Bucket keys cut KMS requests (and their cost) by orders of magnitude for busy prefixes.
            rules=[
                aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                    apply_server_side_encryption_by_default=sse, bucket_key_enabled=kms or None
                )
            ],
            opts=child,
        )
        return bucket

    def _data_bucket(self, name: str, logs: aws.s3.Bucket, log_prefix: str, prod: bool) -> aws.s3.Bucket:
        bucket = self._bucket(name, prod, kms=self._kms)
        child = pulumi.ResourceOptions(parent=self)
        aws.s3.BucketPolicy(name, bucket=bucket.id, policy=iam.document(self._tls_only(bucket)), opts=child)
        aws.s3.BucketLogging(name, bucket=bucket.id, target_bucket=logs.id, target_prefix=log_prefix, opts=child)
        return bucket

    def _lifecycle(self, bucket: aws.s3.Bucket, name: str, scopes: list[tuple[str, LifecycleSpec]]) -> None:
        rules = []
        for prefix, lc in scopes:
            rule_id = (prefix.rstrip("/") or "all") + "-objects"
            transitions = []
            if lc.intelligent_tiering_after_days is not None:
                transitions.append(
                    aws.s3.BucketLifecycleConfigurationRuleTransitionArgs(
                        days=lc.intelligent_tiering_after_days, storage_class="INTELLIGENT_TIERING"
                    )
                )
            if lc.glacier_after_days is not None:
                transitions.append(
                    aws.s3.BucketLifecycleConfigurationRuleTransitionArgs(
                        days=lc.glacier_after_days, storage_class="GLACIER"
                    )
                )
            rules.append(
                aws.s3.BucketLifecycleConfigurationRuleArgs(
                    id=rule_id,
                    status="Enabled",
                    filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=prefix),
                    abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                        days_after_initiation=lc.abort_multipart_days
                    ),
                    transitions=transitions or None,
                    expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(days=lc.expire_after_days)
                    if lc.expire_after_days
                    else None,
                    noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                        noncurrent_days=lc.noncurrent_expiry_days
                    ),
                )
            )
        aws.s3.BucketLifecycleConfiguration(
            name, bucket=bucket.id, rules=rules, opts=pulumi.ResourceOptions(parent=self)
        )
