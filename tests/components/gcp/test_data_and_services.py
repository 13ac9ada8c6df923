"""GCP DataLake, FeatureStore (its config loaded by the real Feast SDK) and MlflowTracking on the Plan."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlplatform import engine
from mlplatform.components.base.cloud import Cloud
from mlplatform.components.base.errors import ConfigError
from mlplatform.components.base.types import (
    GCP_BIGQUERY_DATASET,
    GCP_COMPUTE_NETWORK,
    GCP_FIRESTORE_DATABASE,
    GCP_KMS_CRYPTO_KEY,
    GCP_KMS_CRYPTO_KEY_IAM_MEMBER,
    GCP_PROJECTS_IAM_MEMBER,
    GCP_REDIS_INSTANCE,
    GCP_SERVICEACCOUNT_ACCOUNT,
    GCP_SERVICEACCOUNT_IAM_MEMBER,
    GCP_SQL_DATABASE_INSTANCE,
    GCP_STORAGE_BUCKET,
    GCP_STORAGE_BUCKET_IAM_MEMBER,
    K8S_DEPLOYMENT,
)
from mlplatform.components.gcp import DataLake, DataLakeArgs
from mlplatform.components.interfaces import Principal
from mlplatform.plan import Secret, reveal
from tests.fixtures import gcp_dev, gcp_prod

ZONES = ["raw", "curated", "features", "models"]
READER = Principal(cloud=Cloud.GCP, name="reader", identity="serviceAccount:r@ml-dev-123.iam.gserviceaccount.com")


@pytest.mark.parametrize("zone", ZONES)
def test_zone_buckets_are_private_versioned_encrypted_and_tiered(zone):
    plan = gcp_dev()
    bucket = plan.one(GCP_STORAGE_BUCKET, f"mlplatform-lake-{zone}")
    key = plan.one(GCP_KMS_CRYPTO_KEY)
    assert bucket.input("uniformBucketLevelAccess") is True
    assert bucket.input("publicAccessPrevention") == "enforced"
    assert bucket.input("versioning.enabled") is True
    assert bucket.input("encryption.defaultKmsKeyName") == key.id
    assert bucket.input("labels")["project"] == "recsys"
    assert bucket.input("forceDestroy") is True and bucket.options["protect"] is False
    rules = [
        (r["action"]["type"], r["action"].get("storageClass"), r["condition"]) for r in bucket.input("lifecycleRules")
    ]
    assert ("SetStorageClass", "NEARLINE", {"age": 30, "matchesStorageClasses": ["STANDARD"]}) in rules
    assert ("Delete", None, {"daysSinceNoncurrentTime": 30, "withState": "ARCHIVED"}) in rules
    assert ("AbortIncompleteMultipartUpload", None, {"age": 7}) in rules


def test_the_storage_and_bigquery_agents_may_use_the_key_and_it_rotates():
    plan = gcp_dev()
    key = plan.one(GCP_KMS_CRYPTO_KEY)
    assert key.input("rotationPeriod") == "7776000s"
    members = {m.input("member") for m in plan.by_type(GCP_KMS_CRYPTO_KEY_IAM_MEMBER)}
    assert any("gs-project-accounts" in m for m in members) and any("bigquery-encryption" in m for m in members)
    dataset = plan.one(GCP_BIGQUERY_DATASET, "mlplatform-lake-curated")
    assert dataset.input("defaultEncryptionConfiguration.kmsKeyName") == key.id
    assert dataset.input("location") == "us-central1"


def test_prod_lake_is_protected_and_keeps_contents():
    plan = gcp_prod()
    for bucket in plan.by_type(GCP_STORAGE_BUCKET):
        assert bucket.options["protect"] is True and bucket.input("forceDestroy") is False
    for dataset in plan.by_type(GCP_BIGQUERY_DATASET):
        assert dataset.options["protect"] is True and dataset.input("deleteContentsOnDestroy") is False
    assert plan.one(GCP_KMS_CRYPTO_KEY).options["protect"] is True


def test_prefix_layout_grants_are_scoped_by_an_iam_condition():
    def program():
        lake = DataLake(
            "lake",
            DataLakeArgs(
                project="ml-dev-123", region="us-central1", lake={"layout": "prefixes", "encryption": "sse-s3"}
            ),
        )
        lake.grant_read(READER, "curated")

    plan = engine.run(program)
    assert len(plan.by_type(GCP_STORAGE_BUCKET)) == 1
    grants = {g.input("role"): g for g in plan.by_type(GCP_STORAGE_BUCKET_IAM_MEMBER)}
    assert grants["roles/storage.objectViewer"].input("condition.expression").endswith('/objects/curated/")')
    # Bucket metadata and listing are checked against the bucket, which a prefix condition never matches.
    assert grants["roles/storage.legacyBucketReader"].input("condition") is None
    assert plan.by_type(GCP_KMS_CRYPTO_KEY) == []
    bucket = plan.one(GCP_STORAGE_BUCKET)
    prefixes = {tuple(r["condition"].get("matchesPrefixes", [])) for r in bucket.input("lifecycleRules")}
    assert ("raw/",) in prefixes and ("models/",) in prefixes


@pytest.mark.parametrize(
    ("principal", "zone", "prefix", "paths", "msg"),
    [
        (READER, "gold", "", ["zone"], "unknown zone; zones of this lake: raw, curated, features, models"),
        (READER, "raw", "no-slash", ["prefix"], "must be empty or end with '/'"),
        (
            Principal(cloud=Cloud.AWS, name="trainer", identity="trainer"),
            "raw",
            "",
            ["principal"],
            "an identity on aws; grants here are for gcp only",
        ),
    ],
)
def test_raises_when_a_grant_names_an_unknown_zone_a_bad_prefix_or_an_aws_role(principal, zone, prefix, paths, msg):
    def program():
        lake = DataLake("lake", DataLakeArgs(project="ml-dev-123", region="us-central1"))
        lake.grant_read(principal, zone, prefix)

    with pytest.raises(ConfigError) as info:
        engine.run(program)
    assert info.value.paths() == paths
    assert msg in str(info.value) and "DataLake 'lake': grant" in str(info.value)


# --- feature store ----------------------------------------------------------------------------------------------


def load_with_feast(text: str, tmp_path: Path, extra: dict[str, str] | None = None):
    """Load a rendered feature_store.yaml with the real Feast SDK (no Google API is called)."""
    from feast import FeatureStore

    (tmp_path / "feature_store.yaml").write_text(text)
    for name, content in (extra or {}).items():
        (tmp_path / name).write_text(content)
    return FeatureStore(repo_path=str(tmp_path))


def test_dev_feature_store_renders_a_config_feast_loads(tmp_path):
    plan = gcp_dev()
    text = plan.outputs["feature_store_yaml"]
    store = load_with_feast(text, tmp_path)
    cfg = store.config
    assert cfg.provider == "gcp" and store.project == "recsys"
    features = plan.one(GCP_STORAGE_BUCKET, "mlplatform-lake-features").output("name")
    assert cfg.registry.path == f"gs://{features}/feast/registry.pb"
    db = plan.one(GCP_FIRESTORE_DATABASE)
    assert type(cfg.online_store).__name__ == "DatastoreOnlineStoreConfig"
    assert cfg.online_store.project_id == "ml-platform-dev-4521" and cfg.online_store.database == db.output("name")
    dataset = plan.one(GCP_BIGQUERY_DATASET, "mlplatform-features-offline")
    assert type(cfg.offline_store).__name__ == "BigQueryOfflineStoreConfig"
    assert cfg.offline_store.dataset == dataset.output("datasetId") and cfg.offline_store.location == "us-central1"
    assert db.input("type") == "DATASTORE_MODE" and db.input("deleteProtectionState") == "DELETE_PROTECTION_DISABLED"


def test_feast_identity_is_least_privilege_and_bound_by_workload_identity():
    plan = gcp_dev()
    account = plan.one(GCP_SERVICEACCOUNT_ACCOUNT, "mlplatform-features-feast")
    member = account.output("member")
    datastore = next(r for r in plan.by_type(GCP_PROJECTS_IAM_MEMBER) if r.input("role") == "roles/datastore.user")
    assert datastore.input("member") == member
    assert datastore.input("condition.expression").startswith(
        'resource.name == "projects/ml-platform-dev-4521/databases/'
    )
    writes = [g for g in plan.by_type(GCP_STORAGE_BUCKET_IAM_MEMBER) if g.input("member") == member]
    features = plan.one(GCP_STORAGE_BUCKET, "mlplatform-lake-features").output("name")
    assert {w.input("bucket") for w in writes} == {features}
    # objects in the zone, and the bucket's metadata that Feast's GCS registry reads first (get_bucket)
    assert sorted(w.input("role") for w in writes) == ["roles/storage.legacyBucketReader", "roles/storage.objectUser"]
    binding = plan.one(GCP_SERVICEACCOUNT_IAM_MEMBER, "mlplatform-features-feast")
    assert binding.input("member") == "serviceAccount:ml-platform-dev-4521.svc.id.goog[mlplatform/feast]"
    ksa = plan.one("kubernetes:core/v1:ServiceAccount", "mlplatform-features-feast")
    assert ksa.input("metadata.annotations")["iam.gke.io/gcp-service-account"] == account.output("email")


def test_prod_redis_online_store_is_private_tls_auth_and_feast_loads_it(tmp_path):
    plan = gcp_prod()
    redis = plan.one(GCP_REDIS_INSTANCE)
    assert redis.input("tier") == "STANDARD_HA" and redis.input("memorySizeGb") == 5
    assert redis.input("connectMode") == "PRIVATE_SERVICE_ACCESS" and redis.input("authEnabled") is True
    assert redis.input("transitEncryptionMode") == "SERVER_AUTHENTICATION"
    assert isinstance(plan.outputs["feature_store_yaml"], Secret), "it holds the AUTH string"
    text = reveal(plan.outputs["feature_store_yaml"])
    secret = plan.one("kubernetes:core/v1:Secret", "mlplatform-features-config")
    assert set(reveal(secret.input("stringData"))) == {"feature_store.yaml", "redis-ca.pem"}
    store = load_with_feast(text, tmp_path)
    conn = store.config.online_store.connection_string
    assert conn.startswith(
        f"{redis.output('host')}:{redis.output('port')},ssl=true,ssl_ca_certs=/etc/feast/redis-ca.pem"
    )
    assert (
        plan.one(K8S_DEPLOYMENT, "mlplatform-features-server").input("spec.template.spec.serviceAccountName") == "feast"
    )


def test_feature_store_rejects_aws_stores():
    from mlplatform.components.gcp import FeatureStore, FeatureStoreArgs

    def program():
        lake = DataLake("lake", DataLakeArgs(project="ml-dev-123", region="us-central1"))
        FeatureStore(
            "fs",
            FeatureStoreArgs(project="ml-dev-123", region="us-central1", lake=lake, store={"online_store": "dynamodb"}),
        )

    with pytest.raises(ConfigError, match="not available on gcp; allowed: firestore, redis"):
        engine.run(program)


# --- MLflow --------------------------------------------------------------------------------------------------------


def test_mlflow_database_is_private_tls_and_backed_up():
    plan = gcp_dev()
    db = plan.one(GCP_SQL_DATABASE_INSTANCE)
    settings = db.input("settings")
    assert db.input("databaseVersion") == "POSTGRES_16"
    assert settings["tier"] == "db-f1-micro" and settings["availabilityType"] == "ZONAL"
    assert settings["ipConfiguration"]["ipv4Enabled"] is False
    assert settings["ipConfiguration"]["sslMode"] == "ENCRYPTED_ONLY"
    assert settings["ipConfiguration"]["privateNetwork"] == plan.one(GCP_COMPUTE_NETWORK).id
    assert settings["backupConfiguration"]["enabled"] is True
    assert settings["userLabels"]["team"] == "ml-platform"
    assert db.input("deletionProtection") is False


def test_prod_mlflow_database_is_regional_protected_with_pitr():
    db = gcp_prod().one(GCP_SQL_DATABASE_INSTANCE)
    settings = db.input("settings")
    assert settings["availabilityType"] == "REGIONAL" and settings["tier"] == "db-custom-2-7680"
    assert settings["backupConfiguration"]["pointInTimeRecoveryEnabled"] is True
    assert settings["deletionProtectionEnabled"] is True and db.input("deletionProtection") is True
    assert db.options["protect"] is True


def test_mlflow_server_uses_workload_identity_and_gcs_artifacts():
    plan = gcp_dev()
    account = plan.one(GCP_SERVICEACCOUNT_ACCOUNT, "mlplatform-mlflow-artifacts")
    ksa = plan.one("kubernetes:core/v1:ServiceAccount", "mlplatform-mlflow-server-sa")
    assert ksa.input("metadata.annotations") == {"iam.gke.io/gcp-service-account": account.output("email")}
    deployment = plan.one(K8S_DEPLOYMENT, "mlplatform-mlflow-server")
    args = deployment.input("spec.template.spec.containers")[0]["args"]
    destination = args[args.index("--artifacts-destination") + 1]
    assert destination.startswith("gs://") and destination.endswith("/mlflow/")
    assert plan.outputs["mlflow_artifact_location"] == destination
    secret = reveal(plan.one("kubernetes:core/v1:Secret", "mlplatform-mlflow-server-secret").input("stringData"))
    assert secret["backend-store-uri"].startswith("postgresql+psycopg2://mlflow:")
    assert secret["backend-store-uri"].endswith("@10.20.0.3:5432/mlflow?sslmode=require")
