"""Small platform configurations and their Plans for component tests; nothing here reads stacks/.

A component test builds its component on a fixture, or the smallest platform that contains it, and asserts on the
Plan. The shipped stacks keep their own tests (tests/stacks/), so editing a stack file never breaks a component test.

``aws_config`` and ``gcp_config`` are the smallest valid ``mlplatform:platform`` documents (the required keys only),
with the sections a test adds; ``plan_platform`` plans one with the root program, once per session for equal
arguments. The per-environment fixtures (``aws_dev``, ``aws_staging``, ``aws_prod``, ``gcp_dev``, ``gcp_prod``, and
their documents ``aws_dev_config`` ...) are shared by several test modules, so each is planned once; every section in
them is there because a test relies on it.

Example::

    plan = plan_platform(aws_config("dev", cluster={"gpu_pools": [L4_POOL]}))
    assert plan.one("kubernetes:karpenter.sh/v1:NodePool")
"""

from __future__ import annotations

import copy
import functools
import json
import runpy
from collections.abc import Callable
from typing import Any

from mlplatform import engine, stackconfig
from mlplatform.plan import Plan
from tests.conftest import ROOT

Doc = dict[str, Any]

# --- sections ------------------------------------------------------------------------------------------------

TAGS = {"team": "ml-platform", "project": "recsys", "cost_center": "cc-4521"}
BUDGET = {"monthly_limit_usd": 600}
ALERT_EMAIL = "ml-platform-alerts@example.com"
ADMIN_ROLE = "arn:aws:iam::123456789012:role/PlatformAdmin"
DEPLOYER_CIDR = "203.0.113.0/24"  # the deployer's egress: prod's API endpoint is open to it only
KUBERNETES_VERSION = "1.33"

L4_POOL = {"name": "inference", "gpu": "L4", "max_nodes": 4}
T4_POOL = {"name": "experiments", "gpu": "T4", "max_nodes": 2, "consolidate_after": "2m"}

AWS_CPU_IMAGE = "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.6.0-cpu-py312"
AWS_GPU_IMAGE = "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.6.0-gpu-py312"
# An artifact in a model registry bucket that exists before the platform does (the new lake is empty).
REGISTRY_MODEL = "s3://recsys-model-registry/ranker/v14/model.tar.gz"

FEATURE_VIEWS = ["user_features", "item_features"]

SERVERLESS_RANKER = {
    "name": "ranker",
    "variants": [{"name": "current", "image": AWS_CPU_IMAGE, "model_data": REGISTRY_MODEL}],
}

NIGHTLY_SCORES = {
    "name": "nightly-scores",
    "schedule": "0 2 * * *",
    "image": AWS_GPU_IMAGE,
    "command": ["python", "/opt/ml/code/score.py"],
    "gpu_pool": "inference",
    "input_zone": "features",
    "input_prefix": "daily/",
    "output_zone": "curated",
    "output_prefix": "scores/",
    "model_uri": "models:/ranker/Production",
}

TRITON_RANKER = {
    "name": "ranker",
    "runtime": "triton",
    "model_uri": "triton/",
    "gpu_pool": "inference",
    "max_replicas": 2,
    "triton": {
        "backend": "onnxruntime",
        "max_batch_size": 64,
        "inputs": [{"name": "features", "data_type": "FP32", "dims": [64]}],
        "outputs": [{"name": "score", "data_type": "FP32", "dims": [1]}],
    },
    "request_logging": True,
    "drift": {"reference": "ranker/reference.parquet"},
}

PROD_CERTIFICATE = "arn:aws:acm:us-west-2:123456789012:certificate/0b7c1a2e-3d4f-4a5b-9c6d-7e8f9a0b1c2d"
PROD_IMAGE = "763104351884.dkr.ecr.us-west-2.amazonaws.com/pytorch-inference:2.6.0-gpu-py312"

GCP_PROJECT = "ml-platform-dev-4521"
GCP_BILLING_ACCOUNT = "01A2B3-C4D5E6-F7A8B9"


# --- documents -----------------------------------------------------------------------------------------------


def with_sections(doc: Doc, **sections: Any) -> Doc:
    """A copy of ``doc`` with each top-level section set; a mapping merges into the mapping already there."""
    out = copy.deepcopy(doc)
    for key, value in sections.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = {**out[key], **copy.deepcopy(value)}
        else:
            out[key] = copy.deepcopy(value)
    return out


def aws_config(environment: str = "dev", **sections: Any) -> Doc:
    """The smallest valid AWS platform document for ``environment`` (us-east-1), with ``sections`` added."""
    doc: Doc = {"cloud": "aws", "region": "us-east-1", "environment": environment, "tags": TAGS, "budget": BUDGET}
    if environment == "prod":
        doc["cluster"] = {"public_access_cidrs": [DEPLOYER_CIDR]}  # prod refuses an API endpoint open to everyone
    return with_sections(doc, **sections)


def gcp_config(environment: str = "dev", **sections: Any) -> Doc:
    """The smallest valid GCP platform document for ``environment`` (us-central1), with ``sections`` added."""
    doc: Doc = {
        "cloud": "gcp",
        "region": "us-central1",
        "environment": environment,
        "gcp_project": GCP_PROJECT,
        "gcp_billing_account": GCP_BILLING_ACCOUNT,
        "tags": TAGS,
        "budget": BUDGET,
    }
    if environment == "prod":
        doc["cluster"] = {"public_access_cidrs": [DEPLOYER_CIDR]}
    return with_sections(doc, **sections)


def changed(doc: Doc, *changes: Callable[[Doc], object]) -> Doc:
    """``doc`` after applying each change to it in place (``changed(aws_dev_config(), lambda d: d.pop("serving"))``)."""
    for change in changes:
        change(doc)
    return doc


# --- planning ------------------------------------------------------------------------------------------------


def platform_program() -> None:
    """The root program (__main__.py): the stack's ``mlplatform:platform`` -> MlPlatform -> stack outputs."""
    runpy.run_path(str(ROOT / "__main__.py"), run_name="__main__")


def plan_platform(
    doc: Doc, *, stack: str | None = None, config: dict[str, Any] | None = None, secrets: tuple[str, ...] = ()
) -> Plan:
    """The Plan of the root program for ``doc`` as stack ``stack`` (default: the environment), provider settings
    from the document; planned once per session for equal arguments, so do not mutate it (copy it first)."""
    key = json.dumps([doc, stack or doc["environment"], config or {}], sort_keys=True)
    return _plan(key, secrets)


@functools.cache
def _plan(key: str, secrets: tuple[str, ...]) -> Plan:
    doc, stack, extra = json.loads(key)
    if doc["cloud"] == "aws":
        provider = {"aws:region": doc["region"]}
    else:
        provider = {"gcp:project": doc["gcp_project"], "gcp:region": doc["region"]}
    return engine.run(
        platform_program,
        project=_project_name(),
        stack=stack,
        config={**provider, "mlplatform:platform": doc, **extra},
        secrets=secrets,
    )


@functools.cache
def _project_name() -> str:
    return stackconfig.load_project(ROOT).name


# --- the platforms several test modules share --------------------------------------------------------------------


def aws_dev_config() -> Doc:
    """dev on AWS: two spot GPU pools from zero, the feature store, a serverless endpoint reading a registry
    artifact, the toolchain (notebooks, Ray, a nightly batch job) and a Triton server with request logs and drift."""
    return aws_config(
        "dev",
        cluster={
            "kubernetes_version": KUBERNETES_VERSION,
            "admin_principals": [ADMIN_ROLE],
            "gpu_pools": [L4_POOL, T4_POOL],
        },
        feature_store={"feature_views": FEATURE_VIEWS},
        endpoints=[SERVERLESS_RANKER],
        notebooks={"enabled": True},
        ray={"enabled": True},
        batch=[NIGHTLY_SCORES],
        serving={"servers": [TRITON_RANKER]},
        monitoring={"alert_emails": [ALERT_EMAIL]},
    )


def aws_staging_config() -> Doc:
    """staging on AWS: a fallback L4 pool and a 4 x A10G pool, Athena as the offline store, MLflow behind an
    Ingress without a certificate."""
    return aws_config(
        "staging",
        cluster={
            "kubernetes_version": KUBERNETES_VERSION,
            "public_access_cidrs": [DEPLOYER_CIDR],
            "gpu_pools": [
                {"name": "inference", "gpu": "L4", "capacity": "spot-with-on-demand-fallback", "max_nodes": 6},
                {"name": "training", "gpu": "A10G", "gpus_per_node": 4, "max_nodes": 2},
            ],
        },
        feature_store={"feature_views": FEATURE_VIEWS, "offline_store": "athena"},
        mlflow={"ingress_host": "mlflow.staging.ml.example.com"},
    )


def aws_prod_config() -> Doc:
    """prod on AWS (us-west-2): an API endpoint open to two CIDRs, on-demand system nodes, a warm fallback L4 pool
    and an on-demand 8 x A100 pool, a lake archiving to Glacier, a feature server, MLflow behind an HTTPS Ingress, a
    real-time A/B endpoint capturing data with Model Monitor, a warm vLLM server, and three alert destinations."""
    return aws_config(
        "prod",
        region="us-west-2",
        cluster={
            "kubernetes_version": KUBERNETES_VERSION,
            "admin_principals": [ADMIN_ROLE, "arn:aws:iam::123456789012:role/BreakGlass"],
            "public_access_cidrs": ["198.51.100.0/28", DEPLOYER_CIDR],
            "system_nodes": {"instance_types": ["m6i.large", "m5.large"], "min_nodes": 3, "max_nodes": 6},
            "gpu_pools": [
                {
                    "name": "inference",
                    "gpu": "L4",
                    "capacity": "spot-with-on-demand-fallback",
                    "min_nodes": 1,
                    "max_nodes": 12,
                },
                {
                    "name": "training",
                    "gpu": "A100",
                    "gpus_per_node": 8,
                    "capacity": "on-demand",
                    "max_nodes": 2,
                    "consolidate_after": "10m",
                },
            ],
        },
        data_lake={"lifecycle": {"glacier_after_days": 180, "noncurrent_expiry_days": 90}},
        feature_store={
            "feature_views": FEATURE_VIEWS,
            "offline_store": "athena",
            "feature_server": {"enabled": True, "replicas": 2},
        },
        mlflow={
            "ingress_host": "mlflow.ml.example.com",
            "certificate_arn": PROD_CERTIFICATE,
            "database": {"storage_gb": 100, "backup_retention_days": 14},
        },
        endpoints=[
            {
                "name": "ranker",
                "mode": "realtime",
                "data_capture_percent": 10,
                "monitor": {"schedule": "daily"},
                "variants": [
                    {
                        "name": "current",
                        "image": PROD_IMAGE,
                        "model_data": REGISTRY_MODEL,
                        "instance_type": "ml.g5.xlarge",
                        "initial_count": 2,
                        "min_count": 2,
                        "max_count": 6,
                        "weight": 90,
                    },
                    {
                        "name": "candidate",
                        "image": PROD_IMAGE,
                        "model_data": "s3://recsys-model-registry/ranker/v15/model.tar.gz",
                        "instance_type": "ml.g5.xlarge",
                        "max_count": 2,
                        "weight": 10,
                    },
                ],
            }
        ],
        serving={
            "servers": [
                {
                    "name": "assistant",
                    "runtime": "vllm",
                    "model_uri": "hf://Qwen/Qwen2.5-1.5B-Instruct",
                    "gpu_pool": "inference",
                    "max_replicas": 6,
                    "timeout": "120s",
                    "args": ["--max-model-len=8192", "--gpu-memory-utilization=0.9"],
                    "canary_traffic_percent": 10,
                    "request_logging": True,
                }
            ]
        },
        monitoring={
            "alert_emails": [ALERT_EMAIL, "ml-oncall@example.com"],
            "alert_https_endpoints": ["https://hooks.example.com/alerts/ml-platform"],
        },
    )


def gcp_dev_config() -> Doc:
    """dev on GCP: a zonal cluster over three zones with an L4 and a T4 pool, Firestore and BigQuery for features,
    a Cloud Run endpoint reading a registry artifact, notebooks and Ray."""
    return gcp_config(
        "dev",
        network={"cidr": "10.50.0.0/16"},
        cluster={
            "kubernetes_version": KUBERNETES_VERSION,
            "admin_principals": ["group:ml-platform-admins@example.com"],
            "gke_security_group": "gke-security-groups@example.com",
            "zones": ["us-central1-a", "us-central1-b", "us-central1-c"],
            "system_nodes": {"min_nodes": 1, "max_nodes": 3},
            "gpu_pools": [
                {"name": "inference", "gpu": "L4", "max_nodes": 4},
                {"name": "experiments", "gpu": "T4", "max_nodes": 2},
            ],
        },
        feature_store={"feature_views": FEATURE_VIEWS, "offline_store": "bigquery"},
        endpoints=[
            {
                "name": "ranker",
                "serverless": {"max_concurrency": 8},
                "variants": [
                    {
                        "name": "current",
                        "image": f"us-docker.pkg.dev/{GCP_PROJECT}/models/ranker:14",
                        "model_data": "gs://recsys-model-registry/ranker/v14/",
                    }
                ],
            }
        ],
        notebooks={"enabled": True},
        ray={"enabled": True},
        monitoring={"alert_emails": [ALERT_EMAIL]},
    )


def gcp_prod_config() -> Doc:
    """gcp dev as production: regional cluster, HA database, protection, Redis online store, a Vertex A/B endpoint."""
    doc = gcp_dev_config()
    doc["environment"] = "prod"
    doc["cluster"]["public_access_cidrs"] = [DEPLOYER_CIDR]
    doc["cluster"]["gpu_pools"][0].update(capacity="spot-with-on-demand-fallback", min_nodes=1, max_nodes=8)
    doc["feature_store"].update(online_store="redis", redis_memory_gb=5, feature_server={"enabled": True})
    doc["notebooks"]["enabled"] = False  # dummy sign-in is dev only; prod notebooks are tested on their own
    doc["endpoints"].append(
        {
            "name": "scorer",
            "mode": "realtime",
            "variants": [
                {
                    "name": "a",
                    "image": "us-docker.pkg.dev/p/m/scorer:1",
                    "model_data": "scorer/1/",
                    "instance_type": "g2-standard-8",
                    "min_count": 1,
                    "max_count": 3,
                    "weight": 3,
                },
                {
                    "name": "b",
                    "image": "us-docker.pkg.dev/p/m/scorer:2",
                    "model_data": "scorer/2/",
                    "instance_type": "n1-standard-4",
                    "weight": 1,
                },
            ],
        }
    )
    return doc


def aws_smallest() -> Plan:
    """The smallest dev platform on AWS: every section takes its defaults."""
    return plan_platform(aws_config("dev"))


def aws_dev() -> Plan:
    return plan_platform(aws_dev_config())


def aws_dev_managed_node_groups() -> Plan:
    """The dev fixture with its GPU pools as EKS managed node groups (Cluster Autoscaler) instead of Karpenter."""
    return plan_platform(with_sections(aws_dev_config(), cluster={"provisioner": "managed-node-groups"}))


def aws_staging() -> Plan:
    return plan_platform(aws_staging_config())


def aws_prod() -> Plan:
    return plan_platform(aws_prod_config())


def gcp_dev() -> Plan:
    return plan_platform(gcp_dev_config(), stack="gcp-dev")


def gcp_prod() -> Plan:
    return plan_platform(gcp_prod_config(), stack="gcp-dev")
