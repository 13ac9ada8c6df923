"""DataLake (GCP): GCS buckets per zone (or one bucket with a prefix per zone), a BigQuery dataset for the
curated zone, and an optional customer-managed key.

Every bucket: uniform bucket-level access (IAM only, no object ACLs), public access prevention enforced,
object versioning, and lifecycle rules from the stack spec: to Nearline after ``intelligent_tiering_after_days``
(GCS has no intelligent tiering; Nearline is the first colder class), to Coldline after
``glacier_after_days``, deletion after ``expire_after_days``, deletion of non-current versions after
``noncurrent_expiry_days``, and aborting incomplete multipart uploads after ``abort_multipart_days``. With
``encryption: kms`` a Cloud KMS key (rotated every 90 days) encrypts buckets and the BigQuery dataset, and
the GCS and BigQuery service agents may use it. In production buckets, key and dataset are protected and
never destroyed with their contents.

Example::

    from mlplatform.components.gcp import DataLake, DataLakeArgs

    lake = DataLake("lake", DataLakeArgs(project="ml-dev-123", region="us-central1"))
    lake.grant_read(iam.principal(trainer), "curated")
"""

from __future__ import annotations

import re
from typing import Any

import pulumi
import pulumi_gcp as gcp
from pydantic import Field

from ..base.cloud import Cloud
from ..base.types import MLPLATFORM_GCP_DATA_LAKE
from ..base.values import ComponentArgs, GcpLabels
from ..config.environment import Environment
from ..config.lake import DEFAULT_ZONES, DataLakeSpec, LakeEncryption, LakeLayout, LifecycleSpec
from ..interfaces import Principal, check_grant


class DataLakeArgs(ComponentArgs):
    _context_cloud = Cloud.GCP

    project: str
    """GCP project id. Required."""
    region: str
    """Location of buckets, key and dataset (a region keeps data next to the cluster). Required."""
    environment: Environment = Environment.DEV
    """prod protects buckets, key and dataset from deletion; dev lets them go with the stack. Default: dev."""
    lake: DataLakeSpec = DataLakeSpec()
    """Zones, layout, encryption, lifecycle (the stack spec's ``data_lake`` section). Default: see DataLakeSpec."""
    kms_key: str | None = Field(
        default=None, pattern=r"^projects/[^/]+/locations/[^/]+/keyRings/[^/]+/cryptoKeys/[^/]+$"
    )
    """Existing Cloud KMS key to encrypt with. Default: create one (when encryption is kms)."""
    curated_dataset: bool = True
    """Create a BigQuery dataset for the curated zone. Default: true."""
    labels: GcpLabels = {}
    """Labels on every resource. Default: none."""


class DataLake(pulumi.ComponentResource):
    """The lake's buckets, key and BigQuery dataset (type ``mlplatform:gcp:DataLake``).

    Outputs: ``bucket_names`` per zone, ``zone_urls`` (``gs://bucket/prefix/``), ``key_id``,
    ``bigquery_datasets`` (zone -> dataset id), ``dvc_remote_url``.
    """

    cloud: Cloud
    zones: list[str]
    bucket_names: dict[str, pulumi.Output[str]]
    zone_prefixes: dict[str, str]
    zone_urls: dict[str, pulumi.Output[str]]
    key_id: pulumi.Output[str] | None
    bigquery_datasets: dict[str, pulumi.Output[str]]
    dvc_remote_url: pulumi.Output[str]

    def __init__(self, name: str, args: DataLakeArgs | dict[str, Any], opts: pulumi.ResourceOptions | None = None):
        args = args if isinstance(args, DataLakeArgs) else DataLakeArgs(**args)
        super().__init__(MLPLATFORM_GCP_DATA_LAKE, name, None, opts)
        self._lake = name
        self.cloud = Cloud.GCP
        self.args = args
        spec = args.lake
        prod = args.environment is Environment.PROD
        self._prod = prod
        self.zones = list(spec.zones or DEFAULT_ZONES)
        self._buckets: dict[str, gcp.storage.Bucket] = {}
        self._bucket_readers: set[tuple[str, str]] = set()
        # The service agents' grants on the lake key: GCS and BigQuery refuse to create a CMEK-encrypted
        # bucket or dataset (403) until their agent may use the key, so those wait for these.
        self._key_grants: dict[str, gcp.kms.CryptoKeyIAMMember] = {}
        self.key_id = None
        if spec.encryption is LakeEncryption.KMS:
            self.key_id = pulumi.Output.from_input(args.kms_key) if args.kms_key else self._key(name, args, prod)

        self.bucket_names, self.zone_prefixes, self.zone_urls = {}, {}, {}
        if spec.layout is LakeLayout.BUCKETS:
            for zone in self.zones:
                bucket = self._bucket(f"{name}-{zone}", args, [("", self._zone_lifecycle(zone))])
                self._buckets[zone] = bucket
                self.bucket_names[zone], self.zone_prefixes[zone] = bucket.name, ""
        else:
            bucket = self._bucket(f"{name}-data", args, [(f"{z}/", self._zone_lifecycle(z)) for z in self.zones])
            for zone in self.zones:
                self._buckets[zone] = bucket
                self.bucket_names[zone], self.zone_prefixes[zone] = bucket.name, f"{zone}/"
        for zone in self.zones:
            self.zone_urls[zone] = pulumi.Output.concat("gs://", self.bucket_names[zone], "/", self.zone_prefixes[zone])

        self.bigquery_datasets = {}
        if args.curated_dataset and "curated" in self.zones:
            self.bigquery_datasets["curated"] = self.dataset(f"{name}-curated", "curated tables of the lake").dataset_id
        first = self.zones[0]
        self.dvc_remote_url = pulumi.Output.concat(
            "gs://", self.bucket_names[first], "/", self.zone_prefixes[first], "dvc"
        )
        self.register_outputs(
            {
                "bucket_names": self.bucket_names,
                "zone_urls": self.zone_urls,
                "key_id": self.key_id,
                "bigquery_datasets": self.bigquery_datasets,
                "dvc_remote_url": self.dvc_remote_url,
            }
        )

    # --- pieces ------------------------------------------------------------------------------------------------

    def _key(self, name: str, args: DataLakeArgs, prod: bool) -> pulumi.Output[str]:
        # Key rings cannot be deleted in GCP; the key is only scheduled for destruction, and never in prod.
        ring = gcp.kms.KeyRing(
            f"{name}-keys", project=args.project, location=args.region, opts=pulumi.ResourceOptions(parent=self)
        )
        key = gcp.kms.CryptoKey(
            f"{name}-key",
            key_ring=ring.id,
            purpose="ENCRYPT_DECRYPT",
            rotation_period="7776000s",
            labels=args.labels,
            opts=pulumi.ResourceOptions(parent=self, protect=prod),
        )
        # The service agents encrypt on the callers' behalf; callers need no key permissions.
        agents = {
            "gcs": gcp.storage.get_project_service_account_output(project=args.project).email_address,
            "bigquery": gcp.bigquery.get_default_service_account_output(project=args.project).email,
        }
        for agent, email in agents.items():
            self._key_grants[agent] = gcp.kms.CryptoKeyIAMMember(
                f"{name}-key-{agent}",
                crypto_key_id=key.id,
                role="roles/cloudkms.cryptoKeyEncrypterDecrypter",
                member=pulumi.Output.concat("serviceAccount:", email),
                opts=pulumi.ResourceOptions(parent=self),
            )
        return key.id

    def _zone_lifecycle(self, zone: str) -> LifecycleSpec:
        return self.args.lake.zone_lifecycle.get(zone, self.args.lake.lifecycle)

    @staticmethod
    def lifecycle_rules(scopes: list[tuple[str, LifecycleSpec]]) -> list[gcp.storage.BucketLifecycleRuleArgs]:
        """GCS rules for each (prefix, lifecycle): colder classes, expiry, old versions, abandoned uploads."""
        rules = []
        for prefix, lc in scopes:
            prefixes = [prefix] if prefix else None

            def rule(action: str, storage_class: str | None = None, prefixes=prefixes, **condition: Any):
                return gcp.storage.BucketLifecycleRuleArgs(
                    action=gcp.storage.BucketLifecycleRuleActionArgs(type=action, storage_class=storage_class),
                    condition=gcp.storage.BucketLifecycleRuleConditionArgs(matches_prefixes=prefixes, **condition),
                )

            if lc.intelligent_tiering_after_days is not None:
                rules.append(
                    rule(
                        "SetStorageClass",
                        "NEARLINE",
                        age=lc.intelligent_tiering_after_days,
                        matches_storage_classes=["STANDARD"],
                    )
                )
            if lc.glacier_after_days is not None:
                rules.append(
                    rule(
                        "SetStorageClass",
                        "COLDLINE",
                        age=lc.glacier_after_days,
                        matches_storage_classes=["STANDARD", "NEARLINE"],
                    )
                )
            if lc.expire_after_days is not None:
                rules.append(rule("Delete", age=lc.expire_after_days, with_state="LIVE"))
            rules.append(rule("Delete", days_since_noncurrent_time=lc.noncurrent_expiry_days, with_state="ARCHIVED"))
            rules.append(rule("AbortIncompleteMultipartUpload", age=lc.abort_multipart_days))
        return rules

    def _bucket(self, name: str, args: DataLakeArgs, scopes: list[tuple[str, LifecycleSpec]]) -> gcp.storage.Bucket:
        prod = self._prod
        return gcp.storage.Bucket(
            name,
            project=args.project,
            location=args.region.upper(),
            storage_class="STANDARD",
            uniform_bucket_level_access=True,
            public_access_prevention="enforced",
            versioning=gcp.storage.BucketVersioningArgs(enabled=True),
            lifecycle_rules=self.lifecycle_rules(scopes),
            encryption=gcp.storage.BucketEncryptionArgs(default_kms_key_name=self.key_id)
            if self.key_id is not None
            else None,
            # Soft delete keeps deleted objects 7 days (billed); versioning already keeps old versions.
            soft_delete_policy=gcp.storage.BucketSoftDeletePolicyArgs(
                retention_duration_seconds=0 if not prod else 604800
            ),
            force_destroy=not prod,
            labels=args.labels,
            opts=pulumi.ResourceOptions(parent=self, protect=prod, depends_on=self._grants_for("gcs")),
        )

    def _grants_for(self, agent: str) -> list[pulumi.Resource]:
        grant = self._key_grants.get(agent)
        return [grant] if grant is not None else []

    def dataset(self, name: str, description: str) -> gcp.bigquery.Dataset:
        """A BigQuery dataset in the lake's location, encrypted like the lake, protected in prod."""
        args, prod = self.args, self._prod
        dataset_id = re.sub(r"[^A-Za-z0-9_]", "_", f"{name}_{pulumi.get_stack()}")[:1024]
        return gcp.bigquery.Dataset(
            name,
            project=args.project,
            dataset_id=dataset_id,
            location=args.region,
            description=f"{description} ({name})",
            default_encryption_configuration=gcp.bigquery.DatasetDefaultEncryptionConfigurationArgs(
                kms_key_name=self.key_id
            )
            if self.key_id is not None
            else None,
            delete_contents_on_destroy=not prod,
            labels=args.labels,
            opts=pulumi.ResourceOptions(parent=self, protect=prod, depends_on=self._grants_for("bigquery")),
        )

    # --- grants ------------------------------------------------------------------------------------------------

    def _grant(self, principal: Principal, role: str, zone: str, within: str) -> list[gcp.storage.BucketIAMMember]:
        check_grant(f"DataLake {self._lake!r}", self.zones, zone, within, principal, self.cloud)
        name, member = principal.name, principal.identity
        out = []
        prefix = self.zone_prefixes[zone] + within
        # Clients read the bucket's metadata before its objects (Feast's GCS registry calls get_bucket,
        # storage.buckets.get), and Cloud Storage evaluates listing against the bucket itself, where an
        # object-prefix condition never matches. So each member also gets legacyBucketReader on the bucket,
        # unconditioned: bucket metadata and key names, no object contents.
        bucket_key = zone if not self.zone_prefixes[zone] else "data"
        if (name, bucket_key) not in self._bucket_readers:
            self._bucket_readers.add((name, bucket_key))
            out.append(
                gcp.storage.BucketIAMMember(
                    f"{name}-{bucket_key}-bucket-reader",
                    bucket=self.bucket_names[zone],
                    role="roles/storage.legacyBucketReader",
                    member=member,
                    opts=pulumi.ResourceOptions(parent=self),
                )
            )
        condition = (
            gcp.storage.BucketIAMMemberConditionArgs(
                title=f"{zone} {within}".strip() + " prefix",
                expression=pulumi.Output.concat(
                    'resource.name.startsWith("projects/_/buckets/',
                    self.bucket_names[zone],
                    "/objects/",
                    prefix,
                    '")',
                ),
            )
            if prefix
            else None
        )
        out.append(
            gcp.storage.BucketIAMMember(
                f"{name}-{zone}-{role.rsplit('.', 1)[-1].lower()}",
                bucket=self.bucket_names[zone],
                role=role,
                member=member,
                condition=condition,
                opts=pulumi.ResourceOptions(parent=self),
            )
        )
        return out

    def grant_read(self, principal: Principal, zone: str, prefix: str = "") -> list[gcp.storage.BucketIAMMember]:
        """Let ``principal`` (a service account: ``iam.principal(account)``) read the objects of ``zone``, or
        only those under ``prefix`` (ending with /)."""
        return self._grant(principal, "roles/storage.objectViewer", zone, prefix)

    def grant_write(self, principal: Principal, zone: str, prefix: str = "") -> list[gcp.storage.BucketIAMMember]:
        """Let ``principal`` read, write and delete the objects of ``zone``, or only under ``prefix``; never
        change the buckets."""
        return self._grant(principal, "roles/storage.objectUser", zone, prefix)
