"""The MLflow server a stack's Plan describes, started for real on 127.0.0.1.

The container's command, arguments and environment come from the Plan (environment values taken from the Secret
they reference, ``$(VAR)`` expanded as the kubelet does, the Secret volume written to a directory); only hosts
and ports are rewritten: the database address to a throwaway PostgreSQL cluster, --host/--port to loopback, the
artifact endpoint to moto (behind the IAM gateway, with the artifact role's access key).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import boto3

from mlplatform.components.base.types import K8S_DEPLOYMENT
from mlplatform.plan import Plan, PlanResource, reveal
from tests.integration.iam_gateway import ADMIN_KEY
from tests.integration.postgres import free_port
from tests.integration.waits import wait_for_http

SERVICE_HOST = "mlflow.mlplatform.svc.cluster.local"
MLFLOW_KEY = "AKIAMLFLOWARTIFACTS0"  # the artifact role's access key at the IAM gateway
BACKEND_URI = re.compile(
    r"^postgresql\+psycopg2://(?P<user>[^:]+):(?P<pw>[^@]+)@(?P<host>[^:/]+):(?P<port>\d+)/(?P<db>[^?]+)\?sslmode=require$"
)


def mlflow_container(plan: Plan) -> tuple[PlanResource, dict]:
    for d in plan.by_type(K8S_DEPLOYMENT):
        pod = d.input("spec.template.spec")
        for c in pod["containers"]:
            if c["name"] == "mlflow":
                return d, c
    raise AssertionError("no mlflow container in the Plan")


def secret_data(plan: Plan, name: str) -> dict[str, str]:
    secret = next(s for s in plan.by_type("kubernetes:core/v1:Secret") if s.input("metadata.name") == name)
    return reveal(secret.inputs["stringData"])


def resolve_env(plan: Plan, container: dict) -> dict[str, str]:
    env = {}
    for e in container["env"]:
        if "value" in e:
            env[e["name"]] = e["value"]
        else:
            ref = e["valueFrom"]["secretKeyRef"]
            env[e["name"]] = secret_data(plan, ref["name"])[ref["key"]]
    return env


def expand(arg: str, env: dict[str, str]) -> str:
    """$(VAR) expansion as the kubelet does for command and args."""
    return re.sub(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)", lambda m: env.get(m.group(1), m.group(0)), arg)


def option(args: list[str], flag: str) -> str:
    return args[args.index(flag) + 1]


@dataclass
class RunningMlflow:
    base: str  # http://<service host>:<port>; the test resolves the service host to 127.0.0.1
    port: int
    args: list[str]
    container: dict
    backend_match: re.Match[str]
    bucket: str
    prefix: str
    admin_password: str
    s3: object


@contextmanager
def run_mlflow(plan: Plan, postgres, endpoint: str, access_key: str, workdir: Path) -> Iterator[RunningMlflow]:
    """Start the Plan's MLflow server against ``postgres`` and the S3 at ``endpoint`` as ``access_key``."""
    _, container = mlflow_container(plan)
    env = resolve_env(plan, container)
    args = [expand(a, env) for a in container["args"]]

    uri = option(args, "--backend-store-uri")
    match = BACKEND_URI.match(uri)
    assert match, "the backend URI must name psycopg2 (SQLAlchemy 2.1 defaults to psycopg 3) and require TLS"
    postgres.psql(f"CREATE ROLE {match['user']} LOGIN PASSWORD '{match['pw']}'")
    postgres.psql(f"CREATE DATABASE {match['db']} OWNER {match['user']}")
    address = f"@{match['host']}:{match['port']}/"
    local = f"@127.0.0.1:{postgres.port}/"
    args[args.index(uri)] = uri.replace(address, local)
    env["MLFLOW_BACKEND_STORE_URI"] = uri.replace(address, local)

    bucket, prefix = re.match(r"^s3://([^/]+)/(.+)$", option(args, "--artifacts-destination")).groups()
    s3 = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=ADMIN_KEY, aws_secret_access_key="admin")
    s3.create_bucket(Bucket=bucket)

    mount = container["volumeMounts"][0]["mountPath"]
    for key, value in secret_data(plan, "mlflow-server").items():
        (workdir / key).write_text(value.replace(address, local))
    env["MLFLOW_AUTH_CONFIG_PATH"] = env["MLFLOW_AUTH_CONFIG_PATH"].replace(mount, str(workdir))
    port = free_port()
    args[args.index("--host") + 1] = "127.0.0.1"
    args[args.index("--port") + 1] = str(port)

    # The server's own identity: the artifact role (EKS Pod Identity gives the pod exactly these credentials).
    process_env = {
        **os.environ,
        **env,
        "MLFLOW_S3_ENDPOINT_URL": endpoint,
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": access_key,
        "AWS_SECRET_ACCESS_KEY": "secret",
    }
    mlflow_bin = shutil.which("mlflow", path=str(Path(sys.executable).parent)) or "mlflow"
    server = subprocess.Popen(
        [mlflow_bin, *container["command"][1:], *args],
        env=process_env,
        cwd=workdir,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base = f"http://{SERVICE_HOST}:{port}"
        wait_for_http(f"http://127.0.0.1:{port}/health", seconds=180, what="mlflow server /health", process=server)
        admin = secret_data(plan, "mlflow-server")["admin-password"]
        yield RunningMlflow(base, port, args, container, match, bucket, prefix, admin, s3)
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
