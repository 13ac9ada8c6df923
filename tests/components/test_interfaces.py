"""The seams between components: both clouds' lakes and feature stores fit the same Protocols, grant with the same
signature, and args refuse what does not fit, with the key path, before anything is registered."""

from __future__ import annotations

import inspect

import pulumi_aws
import pulumi_gcp
import pytest

from mlplatform import engine
from mlplatform.components import aws, gcp
from mlplatform.components.aws.monitoring import MonitoredCluster
from mlplatform.components.aws.workload_role import WorkloadRoleArgs
from mlplatform.components.base.errors import ConfigError
from mlplatform.components.gcp.workload_identity import WorkloadIdentityArgs
from mlplatform.components.interfaces import Features, Lake
from mlplatform.components.k8s.batch_inference import BatchInferenceArgs
from mlplatform.components.k8s.model_server import ModelServerArgs


def _lakes() -> tuple[aws.DataLake, gcp.DataLake]:
    return (
        aws.DataLake("lake", aws.DataLakeArgs(region="us-east-1")),
        gcp.DataLake("lake", gcp.DataLakeArgs(project="ml-dev-123", region="us-central1")),
    )


def test_both_lakes_and_feature_stores_are_what_their_consumers_take():
    found: dict[str, list[bool]] = {}

    def program():
        aws_lake, gcp_lake = _lakes()
        aws_store = aws.FeatureStore("fs", aws.FeatureStoreArgs(region="us-east-1", lake=aws_lake))
        gcp_store = gcp.FeatureStore(
            "fs", gcp.FeatureStoreArgs(project="ml-dev-123", region="us-central1", lake=gcp_lake)
        )
        found["lakes"] = [isinstance(lake, Lake) for lake in (aws_lake, gcp_lake)]
        found["stores"] = [isinstance(store, Features) for store in (aws_store, gcp_store)]

    engine.run(program)
    assert found == {"lakes": [True, True], "stores": [True, True]}


@pytest.mark.parametrize(
    ("aws_method", "gcp_method"),
    [
        (aws.DataLake.grant_read, gcp.DataLake.grant_read),
        (aws.DataLake.grant_write, gcp.DataLake.grant_write),
        (aws.FeatureStore.grant_read, gcp.FeatureStore.grant_read),
    ],
    ids=["lake.grant_read", "lake.grant_write", "feature_store.grant_read"],
)
def test_grants_take_the_same_parameters_on_both_clouds(aws_method, gcp_method):
    def params(method) -> list[tuple[str, object]]:
        return [(p.name, p.default) for p in inspect.signature(method).parameters.values()]

    assert params(aws_method) == params(gcp_method)


@pytest.mark.parametrize(
    ("lake", "identity", "given", "builder"),
    [
        (0, lambda: pulumi_aws.iam.Role("trainer", assume_role_policy="{}"), "Role", "aws.iam.principal(role)"),
        (
            1,
            lambda: pulumi_gcp.serviceaccount.Account("trainer", account_id="trainer"),
            "Account",
            "gcp.iam.principal(account)",
        ),
    ],
    ids=["aws", "gcp"],
)
def test_raises_when_a_grant_is_given_the_cloud_identity_instead_of_its_principal(lake, identity, given, builder):
    # GIVEN a library user who passes the role or service account itself, as grants took before Principal
    def program():
        _lakes()[lake].grant_read(identity(), "raw")

    # THEN one problem names what was given and how to build the Principal, instead of an AttributeError
    with pytest.raises(ConfigError) as info:
        engine.run(program)
    assert info.value.paths() == ["principal"]
    message = str(info.value)
    assert f"must be a Principal: build it with mlplatform.components.{builder}" in message
    assert f"{given} 'trainer'" in message


def test_raises_when_a_workload_identity_is_given_the_other_clouds_lake():
    problems: dict[str, tuple[list[str], str]] = {}

    def program():
        aws_lake, gcp_lake = _lakes()
        for key, build in (
            ("aws", lambda: WorkloadRoleArgs(cluster_name="c", namespace="ml", service_account="sa", lake=gcp_lake)),
            ("gcp", lambda: WorkloadIdentityArgs(project="p", namespace="ml", service_account="sa", lake=aws_lake)),
        ):
            with pytest.raises(ConfigError) as info:
                build()
            problems[key] = (info.value.paths(), str(info.value))

    engine.run(program)
    assert problems["aws"][0] == ["args.lake"] and "must be a data lake on aws (got 'gcp')" in problems["aws"][1]
    assert problems["gcp"][0] == ["args.lake"] and "must be a data lake on gcp (got 'aws')" in problems["gcp"][1]


@pytest.mark.parametrize(
    ("build", "path"),
    [
        (lambda: MonitoredCluster(cluster_name="c", provider="not a provider"), "args.provider"),
        (lambda: MonitoredCluster(cluster_name=7, provider=None), "args.cluster_name"),
        (
            lambda: BatchInferenceArgs(
                job_name="j",
                schedule="0 2 * * *",
                image="i",
                command=["x"],
                pool="p",
                gpu_model="L4",
                input_url="s3://b/in/",
                output_url="s3://b/out/",
                alerts="monitoring",
            ),
            "args.alerts",
        ),
        (
            lambda: ModelServerArgs(namespace="ml", runtime="mlflow", storage_uri="s3://b/m/", env={"WORKERS": 2}),
            "args.env.WORKERS",
        ),
    ],
    ids=["provider", "cluster_name", "alerts", "env"],
)
def test_raises_when_a_seam_gets_something_else(build, path):
    with pytest.raises(ConfigError) as info:
        build()
    assert path in info.value.paths()
