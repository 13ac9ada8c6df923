"""The toolchain (notebooks, Ray, batch inference) from the stack spec to the Plan, on AWS and GCP.

Spec: defaults per environment and per pool, and every mistake reported with its key path, value and what is
allowed. Plan: each workload's identity may read and write exactly what its spec names; the batch job survives
spot reclaims without spending retries, stops at its deadline and alerts when it fails.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import kubernetes_validate
import pulumi_kubernetes as k8s
import pytest

from mlplatform import engine
from mlplatform.components import aws
from mlplatform.components.base.errors import ConfigError
from mlplatform.components.base.types import (
    AWS_EKS_POD_IDENTITY_ASSOCIATION,
    AWS_IAM_ROLE,
    AWS_IAM_ROLE_POLICY,
    AWS_S3_BUCKET,
    GCP_PROJECTS_IAM_MEMBER,
    GCP_STORAGE_BUCKET_IAM_MEMBER,
    K8S_CRON_JOB,
    K8S_PROMETHEUS_RULE,
    K8S_RAY_CLUSTER,
    MLPLATFORM_K8S_KUBE_RAY_OPERATOR,
    MLPLATFORM_TOOLCHAIN,
)
from mlplatform.components.compositions import IdentityContext, ToolchainArgs
from mlplatform.components.config.loader import parse_platform_spec
from mlplatform.plan import Plan, reveal
from tests.components.config.documents import ROOT_KEY, invalid, set_key
from tests.fixtures import aws_config, aws_dev, aws_dev_config, aws_smallest, gcp_dev, plan_platform

# --- spec ---------------------------------------------------------------------------------------------------


def test_dev_defaults_cull_after_an_hour_and_size_profiles_from_their_pools():
    spec = parse_platform_spec(aws_dev_config())
    nb = spec.notebooks
    assert (nb.cull_timeout, nb.max_age, nb.write_zone, nb.storage_gb) == ("1h", "12h", "curated", 10)
    profiles = {p.name: (p.gpu_pool, p.gpus, p.cpu, p.memory_gb) for p in nb.profiles or []}
    # L4 and T4 pools start g6.xlarge / g4dn.xlarge (4 vCPU, 16 GiB): half a node guaranteed.
    assert profiles == {
        "cpu": (None, 1, 0.5, 1),
        "inference": ("inference", 1, 2, 8),
        "experiments": ("experiments", 1, 2, 8),
    }
    groups = {
        g.name: (g.gpu_pool, g.min_workers, g.max_workers, g.cpu, g.memory_gb) for g in spec.ray.worker_groups or []
    }
    assert groups == {"inference": ("inference", 0, 4, 3, 12), "experiments": ("experiments", 0, 2, 3, 12)}
    assert spec.ray.write_zone == "models"


def test_staging_and_prod_keep_servers_longer_and_have_no_maximum_age():
    for env, timeout in (("staging", "2h"), ("prod", "8h")):
        doc = aws_config(env)
        certificate = "certificate/0b7c1a2e-3d4f-4a5b-9c6d-7e8f9a0b1c2d"
        doc["notebooks"] = {
            "enabled": True,
            "ingress_host": "notebooks.ml.example.com",
            "certificate_arn": f"arn:aws:acm:{doc['region']}:123456789012:{certificate}",
            "auth": {"type": "github", "client_id": "Iv1.x", "github_organizations": ["acme"]},
        }
        nb = parse_platform_spec(doc).notebooks
        assert (nb.cull_timeout, nb.max_age) == (timeout, None)


def _toolchain(**sections: Any):
    def apply(doc: dict) -> None:
        for key, value in sections.items():
            doc[key] = value

    return apply


BAD = [
    (
        "dummy sign-in in prod",
        lambda: aws_config("prod"),
        _toolchain(notebooks={"enabled": True}),
        "notebooks.auth.type",
        "dev only; use github or oidc",
    ),
    (
        "github without organizations or users",
        aws_dev_config,
        _toolchain(
            notebooks={"enabled": True, "ingress_host": "n.example.com", "auth": {"type": "github", "client_id": "x"}}
        ),
        "notebooks.auth.github_organizations",
        "JupyterHub 5 lets nobody in",
    ),
    (
        "oidc without its endpoints",
        aws_dev_config,
        _toolchain(
            notebooks={
                "enabled": True,
                "ingress_host": "n.example.com",
                "auth": {"type": "oidc", "client_id": "x", "allowed_groups": ["ml"]},
            }
        ),
        "notebooks.auth.token_url",
        "required with type oidc",
    ),
    (
        "oauth without an ingress",
        aws_dev_config,
        _toolchain(notebooks={"enabled": True, "auth": {"type": "github", "client_id": "x", "allowed_users": ["ada"]}}),
        "notebooks.ingress_host",
        "oauth_callback",
    ),
    (
        "profile on an unknown pool",
        aws_dev_config,
        _toolchain(notebooks={"enabled": True, "profiles": [{"name": "a100", "gpu_pool": "training"}]}),
        "notebooks.profiles[0].gpu_pool",
        "pools: inference, experiments",
    ),
    (
        "profile asking more GPUs than a node has",
        aws_dev_config,
        _toolchain(notebooks={"enabled": True, "profiles": [{"name": "big", "gpu_pool": "inference", "gpus": 4}]}),
        "notebooks.profiles[0].gpus",
        "1 GPU(s) per node",
    ),
    (
        "notebooks writing to a zone the lake lacks",
        aws_dev_config,
        _toolchain(notebooks={"enabled": True, "write_zone": "scratch"}),
        "notebooks.write_zone",
        "zones: raw, curated, features, models",
    ),
    (
        "ray workers beyond the pool",
        aws_dev_config,
        _toolchain(
            ray={"enabled": True, "worker_groups": [{"name": "t4", "gpu_pool": "experiments", "max_workers": 5}]}
        ),
        "ray.worker_groups[0].max_workers",
        "GPU limit (2: max_nodes x gpus_per_node)",
    ),
    (
        "batch job with a bad schedule",
        aws_dev_config,
        set_key("batch[0].schedule", "every night"),
        "batch[0].schedule",
        "must be a cron schedule",
    ),
    (
        "batch job writing a whole zone",
        aws_dev_config,
        set_key("batch[0].output_prefix", ""),
        "batch[0].output_prefix",
        "must be lowercase path segments each ending with /",
    ),
    (
        "batch job on an unknown pool",
        aws_dev_config,
        set_key("batch[0].gpu_pool", "h100s"),
        "batch[0].gpu_pool",
        "not a GPU pool",
    ),
]


@pytest.mark.parametrize(("base", "mutate", "path", "fragment"), [c[1:] for c in BAD], ids=[c[0] for c in BAD])
def test_toolchain_mistakes_name_the_key_value_and_what_is_allowed(base, mutate, path, fragment):
    doc = base()
    mutate(doc)
    error = invalid(doc)
    full = f"{ROOT_KEY}.{path}"
    assert full in error.paths(), f"{full} not in {error.paths()}\n{error}"
    line = next(line for line in str(error).splitlines() if f"{full}:" in line)
    assert fragment in line, line


# --- plan: identities ----------------------------------------------------------------------------------------


def policies_of(plan: Plan, role_name: str) -> list[dict]:
    role = plan.one(AWS_IAM_ROLE, role_name)
    return [
        st
        for p in plan.by_type(AWS_IAM_ROLE_POLICY)
        if p.input("role") == role.id
        for st in json.loads(p.input("policy"))["Statement"]
    ]


def s3_access(plan: Plan, role_name: str) -> tuple[set[str], set[str]]:
    """(object ARNs the role may read, object ARNs it may write)."""
    reads, writes = set(), set()
    for st in policies_of(plan, role_name):
        actions = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
        resources = st["Resource"] if isinstance(st["Resource"], list) else [st["Resource"]]
        if "s3:GetObject" in actions:
            reads.update(resources)
        if "s3:PutObject" in actions:
            writes.update(resources)
    return reads, writes


def bucket(plan: Plan, zone: str) -> str:
    return plan.one(AWS_S3_BUCKET, f"mlplatform-lake-{zone}").output("arn")


def test_each_workload_role_reads_and_writes_only_what_its_spec_names():
    plan = aws_dev()
    zones = ("raw", "curated", "features", "models")
    reads, writes = s3_access(plan, "mlplatform-tools-notebooks-identity")
    assert reads == {f"{bucket(plan, z)}/*" for z in zones} | {f"{bucket(plan, 'curated')}/notebooks/*"}
    assert writes == {f"{bucket(plan, 'curated')}/notebooks/*"}
    reads, writes = s3_access(plan, "mlplatform-tools-batch-nightly-scores-identity")
    assert reads == {f"{bucket(plan, 'features')}/daily/*", f"{bucket(plan, 'curated')}/scores/*"}
    assert writes == {f"{bucket(plan, 'curated')}/scores/*"}
    # Notebooks and Ray read the online store; the batch job does not.
    tables = {
        st["Resource"]
        for st in policies_of(plan, "mlplatform-tools-notebooks-identity")
        if "dynamodb:GetItem" in (st["Action"] if isinstance(st["Action"], list) else [st["Action"]])
    }
    assert tables == {"arn:aws:dynamodb:us-east-1:123456789012:table/recsys.*"}
    assert not any(
        "dynamodb" in json.dumps(st) for st in policies_of(plan, "mlplatform-tools-batch-nightly-scores-identity")
    )
    associations = {
        (a.input("namespace"), a.input("serviceAccount")) for a in plan.by_type(AWS_EKS_POD_IDENTITY_ASSOCIATION)
    }
    assert {("mlplatform", "jupyter-user"), ("mlplatform", "ray"), ("mlplatform", "nightly-scores")} <= associations


def test_gcp_workloads_get_their_own_service_accounts_with_prefix_conditions():
    plan = gcp_dev()
    members = {}
    for b in plan.by_type(GCP_STORAGE_BUCKET_IAM_MEMBER):
        cond = b.input("condition")
        members.setdefault(b.input("member"), []).append((b.input("role"), cond["expression"] if cond else None))
    notebook = next(m for m in members if "mlplatform-tools-notebo" in m)  # ids are hashed down to 30 characters
    writes = [c for role, c in members[notebook] if role == "roles/storage.objectUser"]
    assert len(writes) == 1 and writes[0].endswith('/objects/notebooks/")')
    ray = next(m for m in members if "mlplatform-tools-ray" in m)
    assert any(role == "roles/storage.objectUser" and c.endswith('/objects/ray/")') for role, c in members[ray])
    viewers = [r for r in plan.by_type(GCP_PROJECTS_IAM_MEMBER) if r.input("role") == "roles/datastore.viewer"]
    assert {r.input("member") for r in viewers} == {notebook, ray}


# --- plan: batch inference ------------------------------------------------------------------------------------


def test_the_nightly_job_is_spot_safe_bounded_sharded_and_alerts_on_failure():
    plan = aws_dev()
    cron = plan.one(K8S_CRON_JOB, "mlplatform-tools-batch-nightly-scores")
    kubernetes_validate.validate(
        {"apiVersion": "batch/v1", "kind": "CronJob", **{k: reveal(v) for k, v in cron.inputs.items()}},
        "1.33",
        strict=True,
    )
    spec = reveal(cron.input("spec"))
    job = spec["jobTemplate"]["spec"]
    assert spec["schedule"] == "0 2 * * *" and spec["concurrencyPolicy"] == "Forbid" and spec["timeZone"] == "Etc/UTC"
    assert job["completionMode"] == "Indexed" and job["backoffLimit"] == 3 and job["activeDeadlineSeconds"] == 4 * 3600
    assert job["podFailurePolicy"]["rules"] == [
        {"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget", "status": "True"}]}
    ]
    pod = job["template"]["spec"]
    env = {e["name"]: e["value"] for e in pod["containers"][0]["env"]}
    features, curated = (
        plan.one(AWS_S3_BUCKET, f"mlplatform-lake-{z}").output("bucket") for z in ("features", "curated")
    )
    assert env["INPUT_URL"] == f"s3://{features}/daily/" and env["OUTPUT_URL"] == f"s3://{curated}/scores/"
    assert env["MODEL_URI"] == "models:/ranker/Production" and env["MLFLOW_TRACKING_URI"].startswith("http://mlflow.")
    assert pod["serviceAccountName"] == "nightly-scores" and pod["restartPolicy"] == "Never"
    assert pod["nodeSelector"] == {"mlplatform.io/gpu-pool": "inference", "mlplatform.io/gpu": "L4"}
    rule = plan.one(K8S_PROMETHEUS_RULE, "mlplatform-tools-batch-nightly-scores-alert")
    expr = rule.input("spec")["groups"][0]["rules"][0]["expr"]
    assert 'job_name=~"nightly-scores-[0-9]+"' in expr and 'condition="true"' in expr
    assert plan.outputs["batch_jobs"] == ["nightly-scores"]


def test_a_platform_without_the_toolchain_plans_none_of_it():
    # GIVEN no notebooks, no Ray and no batch jobs (the defaults)
    plan = aws_smallest()
    assert not plan.by_type(MLPLATFORM_TOOLCHAIN)
    assert not [k for k in plan.outputs if k.startswith(("notebooks", "ray", "batch"))]


def test_ray_without_a_standing_cluster_installs_only_the_operator():
    plan = plan_platform(aws_config("dev", ray={"enabled": True, "cluster": False}))
    assert plan.by_type(MLPLATFORM_K8S_KUBE_RAY_OPERATOR) and not plan.by_type(K8S_RAY_CLUSTER)
    with pytest.raises(ConfigError):
        parse_platform_spec(aws_config("dev", ray={"enabled": True, "version": "latest"}))


# --- the toolchain built directly ---------------------------------------------------------------------------


def _toolchain_args(build: Callable[[IdentityContext, SimpleNamespace], Any]) -> Any:
    """What ``build`` returns, given an identity context on an AWS lake and a cluster, under the mocks."""
    result: dict[str, Any] = {}

    def program():
        lake = aws.DataLake("lake", aws.DataLakeArgs(region="us-east-1"))
        identity = IdentityContext(cloud="aws", region="us-east-1", lake=lake, cluster_name="c")
        cluster = SimpleNamespace(cluster_name="c", provider=k8s.Provider("k8s"), storage_class="gp3")
        result["value"] = build(identity, cluster)

    engine.run(program)
    return result["value"]


def test_toolchain_args_take_the_sections_and_check_their_names_as_the_stack_does():
    def build(identity, cluster):
        with pytest.raises(ConfigError) as info:
            ToolchainArgs(
                identity=identity,
                cluster=cluster,
                notebooks={"enabled": True, "profiles": [{"name": "gpu", "gpu_pool": "training"}]},
                batch=[
                    {
                        "name": "scores",
                        "schedule": "0 2 * * *",
                        "image": "i",
                        "command": ["x"],
                        "gpu_pool": "inference",
                        "input_zone": "gold",
                        "output_zone": "curated",
                        "output_prefix": "scores/",
                    }
                ],
                gpu_pools=[{"name": "inference", "gpu": "L4", "max_nodes": 2}],
            )
        return info.value

    error = _toolchain_args(build)
    assert error.paths() == ["args.notebooks.profiles[0].gpu_pool", "args.batch[0].input_zone"]
    assert "not a GPU pool of gpu_pools; pools: inference (got 'training')" in str(error)
    assert "not a lake zone; zones: raw, curated, features, models (got 'gold')" in str(error)


@pytest.mark.parametrize(
    ("context", "paths", "fragment"),
    [
        ({"cloud": "aws", "region": "us-east-1"}, ["args.cluster_name"], "required on aws"),
        ({"cloud": "gcp", "region": "us-central1", "gcp_project": "p-123456"}, ["args.lake"], "on gcp (got 'aws')"),
        (
            {"cloud": "aws", "region": "us-east-1", "cluster_name": "c", "gcp_project": "p-123456"},
            ["args.gcp_project"],
            "only valid when cloud is gcp",
        ),
    ],
)
def test_raises_when_the_identity_context_does_not_fit_its_cloud(context, paths, fragment):
    def build(_identity, _cluster):
        lake = aws.DataLake("other", aws.DataLakeArgs(region="us-east-1"))
        with pytest.raises(ConfigError) as info:
            IdentityContext(lake=lake, **context)
        return info.value

    error = _toolchain_args(build)
    assert error.paths() == paths and fragment in str(error)
