"""FeatureStore on the Plan: online tables, roles scoped to their resources, rendered config, variants, errors."""

from __future__ import annotations

import json

import pytest
import yaml

from mlplatform import engine
from mlplatform.components.aws import DataLake, DataLakeArgs, FeatureStore, FeatureStoreArgs
from mlplatform.components.base.errors import ConfigError
from mlplatform.components.base.types import (
    AWS_DYNAMODB_TABLE,
    AWS_EKS_POD_IDENTITY_ASSOCIATION,
    AWS_ELASTICACHE_REPLICATION_GROUP,
    AWS_IAM_ROLE,
    AWS_IAM_ROLE_POLICY,
    AWS_KMS_KEY,
    AWS_S3_BUCKET,
    AWS_VPC_SECURITY_GROUP_INGRESS_RULE,
    K8S_DEPLOYMENT,
    K8S_SERVICE,
    MLPLATFORM_AWS_DATA_LAKE,
    MLPLATFORM_AWS_FEATURE_STORE,
    MLPLATFORM_PLATFORM,
)
from mlplatform.plan import Secret, reveal
from tests.fixtures import aws_config, aws_dev, aws_prod, aws_staging, plan_platform


def role_statements(plan, role_name):
    role = plan.one(AWS_IAM_ROLE, role_name)
    docs = [json.loads(p.input("policy")) for p in plan.by_type(AWS_IAM_ROLE_POLICY) if p.input("role") == role.id]
    return [s for d in docs for s in d["Statement"]]


def test_declared_feature_views_get_protected_on_demand_tables():
    for plan, protected in ((aws_dev(), False), (aws_prod(), True)):
        key = plan.one(AWS_KMS_KEY, "mlplatform-lake-key").output("arn")
        for t in plan.by_type(AWS_DYNAMODB_TABLE):
            assert t.input("name") in {"recsys.user_features", "recsys.item_features"}
            assert t.input("billingMode") == "PAY_PER_REQUEST"
            assert t.input("hashKey") == "entity_id"
            assert t.input("pointInTimeRecovery") == {"enabled": True}
            assert t.input("serverSideEncryption") == {"enabled": True, "kmsKeyArn": key}
            assert t.input("deletionProtectionEnabled") is protected
            assert t.options["protect"] is protected


def test_materializer_role_reaches_only_features_zone_and_project_tables():
    plan = aws_dev()
    features = plan.one(AWS_S3_BUCKET, "mlplatform-lake-features").output("arn")
    statements = role_statements(plan, "mlplatform-features-materializer")
    s3_resources = {
        r for s in statements if any(a.startswith("s3:") for a in _list(s["Action"])) for r in _list(s["Resource"])
    }
    assert s3_resources == {features, f"{features}/*"}
    dynamo = next(s for s in statements if s["Sid"] == "ProjectTables")
    assert dynamo["Resource"] == "arn:aws:dynamodb:us-east-1:123456789012:table/recsys.*"
    assert "dynamodb:BatchWriteItem" in dynamo["Action"]
    assert not any(a.startswith(("athena:", "glue:")) for s in statements for a in _list(s["Action"]))


def test_server_role_reads_only_the_registry_and_the_tables():
    plan = aws_dev()
    features = plan.one(AWS_S3_BUCKET, "mlplatform-lake-features").output("arn")
    statements = {s["Sid"]: s for s in role_statements(plan, "mlplatform-features-server")}
    assert statements["ReadFeatures"]["Resource"] == f"{features}/feast/*"
    assert statements["ListFeatures"]["Condition"] == {"StringLike": {"s3:prefix": ["feast/", "feast/*"]}}
    assert "WriteFeatures" not in statements
    assert statements["ReadProjectTables"]["Action"] == [
        "dynamodb:BatchGetItem",
        "dynamodb:GetItem",
        "dynamodb:Query",
        "dynamodb:DescribeTable",
    ]


def test_roles_are_bound_to_service_accounts_through_pod_identity():
    plan = aws_dev()
    assoc = {
        a.input("serviceAccount"): a
        for a in plan.by_type(AWS_EKS_POD_IDENTITY_ASSOCIATION)
        if a.input("serviceAccount").startswith("feast-")
    }
    assert set(assoc) == {"feast-materializer", "feast-feature-server"}
    sas = {r.input("metadata.name") for r in plan.by_type("kubernetes:core/v1:ServiceAccount")}
    assert {"feast-materializer", "feast-feature-server"} <= sas
    role = plan.one(AWS_IAM_ROLE, "mlplatform-features-server")
    assert assoc["feast-feature-server"].input("roleArn") == role.output("arn")


def test_rendered_config_names_the_real_registry_tables_and_region():
    plan = aws_dev()
    config = yaml.safe_load(plan.one(MLPLATFORM_AWS_FEATURE_STORE).outputs["feature_store_yaml"])
    features = plan.one(AWS_S3_BUCKET, "mlplatform-lake-features").output("bucket")
    assert config["project"] == "recsys"
    assert config["registry"]["path"] == f"s3://{features}/feast/registry.pb"
    assert config["online_store"] == {
        "type": "dynamodb",
        "region": "us-east-1",
        "table_name_template": "{project}.{table_name}",
        "tags": plan.one(MLPLATFORM_PLATFORM).outputs["cost_tags"],
    }
    assert config["offline_store"] == {"type": "file"}
    secret = plan.one("kubernetes:core/v1:Secret", "mlplatform-features-config")
    assert secret.input("metadata.namespace") == "mlplatform" and secret.input("metadata.name") == "feast-feature-store"


def test_athena_offline_store_in_staging():
    plan = aws_staging()
    config = yaml.safe_load(plan.one(MLPLATFORM_AWS_FEATURE_STORE).outputs["feature_store_yaml"])
    lake = plan.one(MLPLATFORM_AWS_DATA_LAKE).outputs
    assert config["offline_store"] == {
        "type": "athena",
        "data_source": "AwsDataCatalog",
        "region": "us-east-1",
        "database": lake["glue_databases"]["features"],
        "workgroup": lake["athena_workgroup"],
        "s3_staging_location": lake["athena_results_url"],
    }
    statements = role_statements(plan, "mlplatform-features-materializer")
    workgroup = next(s for s in statements if s["Sid"] == "QueryThroughWorkgroup")
    assert workgroup["Resource"] == f"arn:aws:athena:us-east-1:123456789012:workgroup/{lake['athena_workgroup']}"


def test_feature_server_in_prod():
    plan = aws_prod()
    deployment = plan.one(K8S_DEPLOYMENT, "mlplatform-features-server")
    spec = deployment.input("spec")
    assert spec["replicas"] == 2
    pod = spec["template"]["spec"]
    assert pod["serviceAccountName"] == "feast-feature-server"
    container = pod["containers"][0]
    assert container["image"] == "feastdev/feature-server:0.67.0"
    assert container["readinessProbe"]["httpGet"]["path"] == "/health"
    assert pod["volumes"] == [{"name": "config", "secret": {"secretName": "feast-feature-store"}}]
    assert (
        plan.one("kubernetes:policy/v1:PodDisruptionBudget", "mlplatform-features-server").input("spec.maxUnavailable")
        == 1
    )
    assert plan.one(K8S_SERVICE, "mlplatform-features-server").input("spec.ports")[0]["targetPort"] == "http"
    assert aws_dev().find(K8S_DEPLOYMENT, "mlplatform-features-server") == []


def test_redis_online_store_is_encrypted_and_its_token_stays_secret():
    plan = plan_platform(aws_config("dev", feature_store={"online_store": "redis"}))
    group = plan.one(AWS_ELASTICACHE_REPLICATION_GROUP)
    assert group.input("transitEncryptionEnabled") is True and group.input("atRestEncryptionEnabled") is True
    assert isinstance(group.inputs["authToken"], Secret)
    token = reveal(group.inputs["authToken"])
    assert token not in plan.to_json()
    store = plan.one(MLPLATFORM_AWS_FEATURE_STORE)
    assert isinstance(store.outputs["feature_store_yaml"], Secret)
    config = yaml.safe_load(reveal(store.outputs["feature_store_yaml"]))
    assert config["online_store"]["connection_string"].endswith(f",ssl=true,password={token}")
    rule = plan.one(AWS_VPC_SECURITY_GROUP_INGRESS_RULE, "mlplatform-features-redis-from-cluster")
    assert rule.input("fromPort") == 6379 and rule.input("referencedSecurityGroupId").startswith("sg-")
    assert plan.by_type(AWS_DYNAMODB_TABLE) == []


def _list(v):
    return v if isinstance(v, list) else [v]


# --- standalone use and bad input --------------------------------------------------------------------------


def test_standalone_store_without_a_cluster_registers_no_kubernetes_objects():
    def program():
        lake = DataLake("lake", DataLakeArgs(region="eu-west-1"))
        FeatureStore("fs", FeatureStoreArgs(region="eu-west-1", lake=lake, store={"feature_views": ["u"]}))

    plan = engine.run(program, config={"aws:region": "eu-west-1"})
    assert not [r for r in plan if r.type.startswith("kubernetes:")]
    assert plan.one(AWS_DYNAMODB_TABLE).input("name") == "fs.u"


@pytest.mark.parametrize(
    ("store", "extra", "path", "fragment"),
    [
        ({"online_store": "firestore"}, {}, "args.store.online_store", "allowed: dynamodb, redis"),
        ({"offline_store": "bigquery"}, {}, "args.store.offline_store", "allowed: file, athena"),
        ({"online_store": "redis"}, {}, "args.network", "required when store.online_store is redis"),
        ({}, {"features_zone": "gold"}, "args.features_zone", "zones: raw, curated, features, models"),
        ({"feature_server": {"enabled": True}}, {}, "args.cluster", "required when store.feature_server.enabled"),
        ({"feature_views": ["a", "a"]}, {}, "args.store.feature_views", "repeated: a"),
        ({"project": "bad-name"}, {}, "args.store.project", "must be a Feast name"),
    ],
)
def test_raises_when_store_args_are_invalid(store, extra, path, fragment):
    def program():
        lake = DataLake("lake", DataLakeArgs(region="us-east-1"))
        FeatureStoreArgs(region="us-east-1", lake=lake, store=store, **extra)

    with pytest.raises(ConfigError) as info:
        engine.run(program)
    assert path in info.value.paths(), info.value
    assert fragment in str(info.value)
