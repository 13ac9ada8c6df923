"""MlflowTracking on the Plan: database security and protections, artifact scope, secrets, server settings."""

from __future__ import annotations

import copy
import json

import pulumi_kubernetes as k8s
import pytest

from mlplatform import engine
from mlplatform.components.aws import DataLake, DataLakeArgs, MlflowTracking, MlflowTrackingArgs
from mlplatform.components.aws.placement import PrivateNetwork, WorkloadCluster
from mlplatform.components.base.errors import ConfigError
from mlplatform.components.base.types import (
    AWS_EC2_SECURITY_GROUP,
    AWS_EC2_SUBNET,
    AWS_EKS_CLUSTER,
    AWS_EKS_POD_IDENTITY_ASSOCIATION,
    AWS_IAM_ROLE,
    AWS_IAM_ROLE_POLICY,
    AWS_KMS_KEY,
    AWS_RDS_INSTANCE,
    AWS_RDS_PARAMETER_GROUP,
    AWS_RDS_SUBNET_GROUP,
    AWS_S3_BUCKET,
    AWS_VPC_SECURITY_GROUP_INGRESS_RULE,
    K8S_DEPLOYMENT,
    K8S_HELM_RELEASE,
    K8S_INGRESS,
    RANDOM_PASSWORD,
)
from mlplatform.plan import Secret, reveal
from mlplatform.preflight import preflight
from tests.fixtures import aws_dev, aws_prod, aws_prod_config, aws_smallest, aws_staging, changed, plan_platform


def mlflow_args(plan):
    container = next(
        c
        for d in plan.by_type(K8S_DEPLOYMENT)
        for c in d.input("spec.template.spec.containers")
        if c["name"] == "mlflow"
    )
    args = container["args"]
    return {
        a: args[i + 1] if i + 1 < len(args) and not args[i + 1].startswith("--") else True
        for i, a in enumerate(args)
        if a.startswith("--")
    }, container


def test_dev_database_is_small_single_az_encrypted_and_private():
    plan = aws_smallest()
    db = plan.one(AWS_RDS_INSTANCE)
    assert db.input("instanceClass") == "db.t4g.micro" and db.input("multiAz") is False
    assert db.input("engine") == "postgres" and db.input("engineVersion") == "16"
    assert db.input("storageEncrypted") is True
    assert db.input("kmsKeyId") == plan.one(AWS_KMS_KEY, "mlplatform-lake-key").output("arn")
    assert db.input("publiclyAccessible") is False
    assert db.input("skipFinalSnapshot") is True and db.input("deletionProtection") is False
    assert not db.options["protect"]
    params = plan.one(AWS_RDS_PARAMETER_GROUP)
    assert params.input("family") == "postgres16"
    assert [(p["name"], p["value"]) for p in params.input("parameters")] == [("rds.force_ssl", "1")]
    assert db.input("parameterGroupName") == params.output("name")


def test_prod_database_is_multi_az_protected_and_backed_up():
    db = aws_prod().one(AWS_RDS_INSTANCE)
    assert db.input("multiAz") is True and db.input("deletionProtection") is True
    assert db.input("backupRetentionPeriod") == 14
    assert (
        db.input("skipFinalSnapshot") is False and db.input("finalSnapshotIdentifier") == "mlplatform-mlflow-prod-final"
    )
    assert db.input("performanceInsightsEnabled") is True
    assert db.input("instanceClass") == "db.m7g.large"
    assert db.options["protect"] is True


def test_database_admits_only_the_cluster():
    plan = aws_smallest()
    db = plan.one(AWS_RDS_INSTANCE)
    sg = plan.one(AWS_EC2_SECURITY_GROUP, "mlplatform-mlflow-db")
    assert db.input("vpcSecurityGroupIds") == [sg.id]
    rules = [r for r in plan.by_type(AWS_VPC_SECURITY_GROUP_INGRESS_RULE) if r.input("securityGroupId") == sg.id]
    cluster_sg = plan.one(AWS_EKS_CLUSTER).output("vpcConfig.clusterSecurityGroupId")
    assert [(r.input("fromPort"), r.input("toPort"), r.input("referencedSecurityGroupId")) for r in rules] == [
        (5432, 5432, cluster_sg)
    ]
    assert not any(r.input("cidrIpv4") for r in rules)
    subnet_group = plan.one(AWS_RDS_SUBNET_GROUP)
    private = {s.id for s in plan.by_type(AWS_EC2_SUBNET) if "-private-" in s.name}
    assert set(subnet_group.input("subnetIds")) == private


def test_passwords_never_appear_in_plain_text():
    plan = aws_dev()
    db = plan.one(AWS_RDS_INSTANCE)
    assert isinstance(db.inputs["password"], Secret)
    secrets = [reveal(db.inputs["password"])]
    secrets += [reveal(p.outputs["result"]) for p in plan.by_type(RANDOM_PASSWORD)]
    text = plan.to_json()
    assert all(s and s not in text for s in secrets)
    assert isinstance(plan.outputs["mlflow_admin_credentials"], Secret)
    server_secret = next(
        s for s in plan.by_type("kubernetes:core/v1:Secret") if s.input("metadata.name") == "mlflow-server"
    )
    assert isinstance(server_secret.inputs["stringData"], Secret)
    _, container = mlflow_args(plan)
    assert not any(s in json.dumps(container) for s in secrets), "the Deployment holds only secret references"


def test_artifact_role_alone_writes_the_mlflow_prefix():
    plan = aws_dev()
    models = plan.one(AWS_S3_BUCKET, "mlplatform-lake-models").output("arn")
    writers = []
    for p in plan.by_type(AWS_IAM_ROLE_POLICY):
        for st in json.loads(p.input("policy"))["Statement"]:
            actions = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
            resources = st["Resource"] if isinstance(st["Resource"], list) else [st["Resource"]]
            if "s3:PutObject" in actions and any(r.startswith(models) for r in resources):
                writers.append((p.input("role"), resources))
    role = plan.one(AWS_IAM_ROLE, "mlplatform-mlflow-artifacts")
    # Ray writes its own prefix of the same zone (results, spilled objects); nobody else writes mlflow/.
    ray = plan.one(AWS_IAM_ROLE, "mlplatform-tools-ray-identity")
    assert sorted(writers) == sorted([(role.id, [f"{models}/mlflow/*"]), (ray.id, [f"{models}/ray/*"])])
    assoc = next(a for a in plan.by_type(AWS_EKS_POD_IDENTITY_ASSOCIATION) if a.input("serviceAccount") == "mlflow")
    assert assoc.input("roleArn") == role.output("arn") and assoc.input("namespace") == "mlplatform"


def test_server_flags_and_shape():
    plan = aws_smallest()
    flags, container = mlflow_args(plan)
    models = plan.one(AWS_S3_BUCKET, "mlplatform-lake-models").output("bucket")
    assert flags["--serve-artifacts"] is True
    assert flags["--artifacts-destination"] == f"s3://{models}/mlflow/"
    assert flags["--backend-store-uri"] == "$(MLFLOW_BACKEND_STORE_URI)"
    assert flags["--app-name"] == "basic-auth"
    hosts = flags["--allowed-hosts"].split(",")
    assert {"mlflow", "mlflow.mlplatform", "mlflow.mlplatform.svc.cluster.local"} <= set(hosts)
    assert container["image"] == "ghcr.io/mlflow/mlflow:v3.17.0-full"
    assert container["readinessProbe"]["httpGet"]["path"] == "/health"
    assert plan.outputs["mlflow_tracking_uri"] == "http://mlflow.mlplatform.svc.cluster.local"
    assert plan.by_type(K8S_INGRESS) == []


def test_prod_runs_two_replicas_behind_an_ingress():
    plan = aws_prod()
    flags, _ = mlflow_args(plan)
    assert "mlflow.ml.example.com" in flags["--allowed-hosts"].split(",")
    deployment = next(d for d in plan.by_type(K8S_DEPLOYMENT) if d.input("metadata.name") == "mlflow")
    assert deployment.input("spec.replicas") == 2
    pdb = next(
        p for p in plan.by_type("kubernetes:policy/v1:PodDisruptionBudget") if p.input("metadata.name") == "mlflow"
    )
    assert pdb.input("spec.minAvailable") == 1
    ingress = plan.one(K8S_INGRESS)
    assert ingress.input("spec.rules")[0]["host"] == "mlflow.ml.example.com"
    assert plan.outputs["mlflow_tracking_uri"] == "https://mlflow.ml.example.com"


def test_prod_ingress_is_an_internal_https_alb_served_by_the_controller_it_waits_for():
    plan = aws_prod()
    ingress = plan.one(K8S_INGRESS)
    annotations = ingress.input("metadata.annotations")
    assert ingress.input("spec.ingressClassName") == "alb"
    assert annotations["alb.ingress.kubernetes.io/scheme"] == "internal"
    assert annotations["alb.ingress.kubernetes.io/listen-ports"] == '[{"HTTPS": 443}]'
    assert annotations["alb.ingress.kubernetes.io/certificate-arn"].startswith("arn:aws:acm:us-west-2:")
    assert annotations["alb.ingress.kubernetes.io/healthcheck-path"] == "/health"
    release = plan.one(K8S_HELM_RELEASE, "mlplatform-alb-controller")
    assert release.input("chart") == "aws-load-balancer-controller" and release.input("version") == "1.16.0"
    assert release.urn in ingress.dependencies, "the Ingress waits for its controller"
    identity = plan.one(AWS_EKS_POD_IDENTITY_ASSOCIATION, "mlplatform-alb-controller-controller")
    assert (identity.input("namespace"), identity.input("serviceAccount")) == (
        "kube-system",
        "aws-load-balancer-controller",
    )
    policy = json.loads(
        plan.one(AWS_IAM_ROLE_POLICY, "mlplatform-alb-controller-controller-load-balancers").input("policy")
    )
    mutations = next(s for s in policy["Statement"] if s["Sid"] == "ManageThisClustersLoadBalancers")
    assert mutations["Condition"] == {"StringEquals": {"aws:ResourceTag/elbv2.k8s.aws/cluster": "mlplatform-prod"}}
    assert plan.outputs["mlflow_ingress_address"].endswith(".us-west-2.elb.amazonaws.com")


def test_staging_ingress_without_a_certificate_advertises_http_not_https():
    plan = aws_staging()
    ingress = plan.one(K8S_INGRESS)
    assert ingress.input("metadata.annotations")["alb.ingress.kubernetes.io/listen-ports"] == '[{"HTTP": 80}]'
    assert plan.outputs["mlflow_tracking_uri"] == "http://mlflow.staging.ml.example.com"


def test_raises_when_a_prod_ingress_has_no_certificate():
    def no_cert(doc):
        del doc["mlflow"]["certificate_arn"]

    with pytest.raises(ConfigError, match=r"mlflow\.certificate_arn: required in prod with an Ingress"):
        plan_platform(changed(aws_prod_config(), no_cert))


def test_preflight_finds_an_ingress_that_does_not_wait_for_its_controller():
    plan = copy.deepcopy(aws_prod())
    ingress = plan.one(K8S_INGRESS)
    ingress.dependencies = []
    findings = [f for f in preflight(plan).findings if f.rule == "ingress-served"]
    assert len(findings) == 1 and "not ordered after the aws-load-balancer-controller release" in findings[0].message


# --- bad input ---------------------------------------------------------------------------------------------


def _args(**changes):
    lake = DataLake("lake", DataLakeArgs(region="us-east-1"))
    base = dict(
        region="us-east-1",
        lake=lake,
        cluster=WorkloadCluster(cluster_name="c", provider=k8s.Provider("k8s"), security_group_id="sg-1"),
        network=PrivateNetwork(vpc_id="vpc-1", subnet_ids=["subnet-1", "subnet-2"]),
    )
    return MlflowTrackingArgs(**{**base, **changes})


@pytest.mark.parametrize(
    ("changes", "path", "fragment"),
    [
        (
            {"mlflow": {"database": {"engine_version": "12"}}},
            "args.mlflow.database.engine_version",
            "allowed: 14, 15, 16",
        ),
        ({"mlflow": {"replicas": 0}}, "args.mlflow.replicas", ">= 1"),
        ({"mlflow": {"ingress_host": "https://mlflow.example.com/"}}, "args.mlflow.ingress_host", "DNS hostname"),
        (
            {"mlflow": {"database": {"instance_class": "large"}}},
            "args.mlflow.database.instance_class",
            "RDS instance class",
        ),
        (
            {"environment": "prod", "mlflow": {"database": {"instance_class": "db.t4g.micro"}}},
            "args.mlflow.database.instance_class",
            "burstable",
        ),
        (
            {"environment": "prod", "mlflow": {"database": {"backup_retention_days": 3}}},
            "args.mlflow.database.backup_retention_days",
            "must be >= 7 in prod",
        ),
        ({"artifacts_zone": "gold"}, "args.artifacts_zone", "zones: raw, curated, features, models"),
    ],
)
def test_raises_when_mlflow_args_are_invalid(changes, path, fragment):
    with pytest.raises(ConfigError) as info:
        engine.run(lambda: _args(**changes))
    assert path in info.value.paths(), info.value
    assert fragment in str(info.value)


def test_component_builds_standalone():
    plan = engine.run(lambda: MlflowTracking("tracking", _args()))
    assert plan.one(AWS_RDS_INSTANCE).input("dbName") == "mlflow"
