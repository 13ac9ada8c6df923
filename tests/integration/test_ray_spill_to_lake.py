"""Ray spills objects to the lake exactly as the dev stack configures it, with the Ray role's own grants.

GIVEN the dev stack's RayCluster (its RAY_object_spilling_config, as every Ray container gets it) and the Ray
workload role's policies and the buckets' policies, enforced per access key by the IAM gateway in front of moto
WHEN a real Ray (2.60, the version of the platform's images, smart_open for S3) holds more objects than its
object store, with the Ray role's credentials, and reads them all back
THEN the objects spill under ray/spill/ of the models zone and come back intact; every S3 (and SSE-KMS) call Ray
made was allowed, and is one the preflight's workload model checks for that role.
"""

from __future__ import annotations

import os
import sys
import textwrap

import boto3
import pytest

from mlplatform.components.base.types import K8S_RAY_CLUSTER, MLPLATFORM_AWS_WORKLOAD_ROLE
from mlplatform.plan import reveal
from mlplatform.preflight.core import Context
from mlplatform.preflight.data_plane import aws_workloads
from tests.conftest import planned
from tests.integration.iam_gateway import ADMIN_KEY, serve_roles
from tests.integration.lake import bucket_and_key
from tests.integration.waits import RAY_NODE_START_TIMEOUT, run_retrying_startup

pytestmark = pytest.mark.integration
RAY_KEY = "AKIARAYSPILLOBJECTS0"
ROLE = "mlplatform-tools-ray-identity"

WORKLOAD = textwrap.dedent(
    """
    import numpy as np
    import ray

    # The smallest object store Ray allows; five 24 MiB objects cannot all stay in it.
    ray.init(num_cpus=1, object_store_memory=80 * 1024**2, include_dashboard=False)
    refs = [ray.put(np.full(3 * 1024**2, i, dtype=np.float64)) for i in range(5)]
    assert [int(ray.get(r)[-1]) for r in refs] == [0, 1, 2, 3, 4]
    print("restored", len(refs))
    ray.shutdown()
    """
)


@pytest.fixture
def gateway(moto_endpoint):
    plan = planned("dev")
    role = reveal(plan.one(MLPLATFORM_AWS_WORKLOAD_ROLE, ROLE).outputs["role_arn"])
    yield from serve_roles(plan, moto_endpoint, {RAY_KEY: role})


def test_ray_spills_to_the_lake_with_its_own_role(gateway, tmp_path):
    plan = planned("dev")
    head = reveal(plan.one(K8S_RAY_CLUSTER).input("spec"))["headGroupSpec"]["template"]["spec"]
    env = {e["name"]: e["value"] for e in head["containers"][0]["env"] if "value" in e}
    spill = env["RAY_object_spilling_config"]
    bucket, prefix = bucket_and_key(reveal(plan.one(MLPLATFORM_AWS_WORKLOAD_ROLE, ROLE).outputs["writes"])[0])
    assert prefix == "ray/" and f"s3://{bucket}/ray/spill" in spill

    admin = boto3.client("s3", endpoint_url=gateway.endpoint, aws_access_key_id=ADMIN_KEY, aws_secret_access_key="x")
    admin.create_bucket(Bucket=bucket)
    process_env = {
        **os.environ,
        "RAY_object_spilling_config": spill,
        "AWS_ENDPOINT_URL": gateway.endpoint,
        "AWS_ACCESS_KEY_ID": RAY_KEY,
        "AWS_SECRET_ACCESS_KEY": "secret",
        "AWS_REGION": env["AWS_REGION"],
        "AWS_DEFAULT_REGION": env["AWS_REGION"],
        "RAY_USAGE_STATS_ENABLED": "0",
    }
    process_env.pop("RAY_ADDRESS", None)
    done = run_retrying_startup(
        [sys.executable, "-c", WORKLOAD], transient=RAY_NODE_START_TIMEOUT, env=process_env, cwd=tmp_path, timeout=300
    )
    assert done.returncode == 0 and "restored 5" in done.stdout, done.stdout[-3000:] + done.stderr[-3000:]

    made = gateway.calls_of(RAY_KEY)
    puts = [c for c in made if c.request.action == "s3:PutObject"]
    assert puts and all(c.request.resource.startswith(f"arn:aws:s3:::{bucket}/ray/spill/") for c in puts)
    assert all(c.allowed for c in made), [
        (c.request.action, c.request.resource, c.reason) for c in made if not c.allowed
    ]
    modelled = {
        r.action
        for w in aws_workloads(Context(plan))
        if w.role_arn == gateway.identities[RAY_KEY].role_arn
        for r in w.requests
    }
    assert {c.request.action for c in made} <= modelled, {c.request.action for c in made} - modelled
