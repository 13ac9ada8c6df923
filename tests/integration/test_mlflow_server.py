"""The MLflow server the dev stack describes runs for real: PostgreSQL backend, artifacts in (moto) S3.

GIVEN the MLflow container's command, arguments and environment from the dev stack's Plan (environment
values taken from the Secret they reference, `$(VAR)` expanded as the kubelet does, the Secret volume
written to a temporary directory),
WHEN exactly that server is started as a local process, with only hosts and ports rewritten (the database
address to a throwaway PostgreSQL cluster on 127.0.0.1, --host/--port to loopback, and the volume's mount
path to where it was written),
THEN through the MLflow client, authenticated as the generated admin, an experiment is created, a metric and
an artifact are logged, and the artifact object exists in the moto bucket the Plan names. Requests with an
unknown Host header or without credentials are refused. The server runs with the credentials of its own
artifact role, whose policies (and the bucket's) the IAM gateway in front of moto enforces as AWS would;
every call it made is one the preflight's workload model checks.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest
import requests

from mlplatform.plan import Plan, PlanResource, reveal
from mlplatform.preflight.core import Context
from mlplatform.preflight.data_plane import AwsAccount, aws_workloads
from tests.conftest import planned
from tests.integration.iam_gateway import ADMIN_KEY, Gateway, Identity, serve
from tests.integration.postgres import PostgresUnavailable, free_port, start_postgres

pytestmark = pytest.mark.integration
SERVICE_HOST = "mlflow.mlplatform.svc.cluster.local"
MLFLOW_KEY = "AKIAMLFLOWARTIFACTS0"


@pytest.fixture
def gateway(moto_endpoint):
    """moto behind the IAM gateway, knowing the MLflow artifact role's key (moto state reset first)."""
    plan = planned("dev")
    acct = AwsAccount(Context(plan))
    role = reveal(plan.one("mlplatform:aws:MlflowTracking").outputs["artifact_role_arn"])
    requests.post(f"{moto_endpoint}/moto-api/reset", timeout=10)
    gw = Gateway(
        identities={MLFLOW_KEY: Identity(role, acct.identity_policies(role))},
        bucket_policies=dict(acct.bucket_policies),
        bucket_keys=dict(acct.bucket_keys),
        region=acct.region,
    )
    yield from serve(gw)


def mlflow_container(plan: Plan) -> tuple[PlanResource, dict]:
    for d in plan.by_type("kubernetes:apps/v1:Deployment"):
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


@pytest.fixture
def postgres():
    try:
        pg = start_postgres()
    except PostgresUnavailable as exc:
        pytest.fail(str(exc))
    yield pg
    pg.stop()


@pytest.fixture
def service_host_resolves_to_loopback(monkeypatch):
    """In-cluster DNS for the test client: the Service name resolves to 127.0.0.1 (and nothing else changes)."""
    real = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        return real("127.0.0.1" if host == SERVICE_HOST else host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


def test_dev_mlflow_server_runs_with_postgres_and_s3(
    gateway, postgres, tmp_path, service_host_resolves_to_loopback, monkeypatch
):
    moto = gateway.endpoint
    plan = planned("dev")
    _, container = mlflow_container(plan)
    env = resolve_env(plan, container)
    assert container["command"] == ["mlflow", "server"]
    args = [expand(a, env) for a in container["args"]]
    assert "--serve-artifacts" in args and option(args, "--app-name") == "basic-auth"

    # --- the database the URI names, re-homed on 127.0.0.1 ---
    uri = option(args, "--backend-store-uri")
    match = re.match(
        r"^postgresql\+psycopg2://(?P<user>[^:]+):(?P<pw>[^@]+)@(?P<host>[^:/]+):(?P<port>\d+)/"
        r"(?P<db>[^?]+)\?sslmode=require$",
        uri,
    )
    assert match, "the backend URI must name psycopg2 (SQLAlchemy 2.1 defaults to psycopg 3) and require TLS"
    rds = plan.one("aws:rds/instance:Instance")
    assert match["host"] == rds.output("address") and match["port"] == "5432"
    postgres.psql(f"CREATE ROLE {match['user']} LOGIN PASSWORD '{match['pw']}'")
    postgres.psql(f"CREATE DATABASE {match['db']} OWNER {match['user']}")
    local_uri = uri.replace(f"@{match['host']}:{match['port']}/", f"@127.0.0.1:{postgres.port}/")
    args[args.index(uri)] = local_uri
    env["MLFLOW_BACKEND_STORE_URI"] = local_uri

    # --- the artifact bucket, in moto ---
    destination = option(args, "--artifacts-destination")
    bucket, prefix = re.match(r"^s3://([^/]+)/(.+)$", destination).groups()
    assert prefix == "mlflow/"
    s3 = boto3.client("s3", endpoint_url=moto, aws_access_key_id=ADMIN_KEY, aws_secret_access_key="admin")
    s3.create_bucket(Bucket=bucket)

    # --- the Secret volume, and loopback host and port ---
    mount = container["volumeMounts"][0]["mountPath"]
    for key, value in secret_data(plan, "mlflow-server").items():
        (tmp_path / key).write_text(value.replace(f"@{match['host']}:{match['port']}/", f"@127.0.0.1:{postgres.port}/"))
    env["MLFLOW_AUTH_CONFIG_PATH"] = env["MLFLOW_AUTH_CONFIG_PATH"].replace(mount, str(tmp_path))
    port = free_port()
    args[args.index("--host") + 1] = "127.0.0.1"
    args[args.index("--port") + 1] = str(port)

    # The server's own identity: the artifact role (EKS Pod Identity gives the pod exactly these credentials).
    process_env = {
        **os.environ,
        **env,
        "MLFLOW_S3_ENDPOINT_URL": moto,
        "AWS_ENDPOINT_URL": moto,
        "AWS_ACCESS_KEY_ID": MLFLOW_KEY,
        "AWS_SECRET_ACCESS_KEY": "secret",
    }
    mlflow_bin = shutil.which("mlflow", path=str(Path(sys.executable).parent)) or "mlflow"
    server = subprocess.Popen(
        [mlflow_bin, *container["command"][1:], *args],
        env=process_env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base = f"http://{SERVICE_HOST}:{port}"
        deadline = time.monotonic() + 120
        while True:
            if server.poll() is not None:
                raise AssertionError(f"mlflow server exited ({server.returncode}):\n{server.stdout.read()}")
            try:
                if requests.get(f"{base}/health", timeout=2).ok:
                    break
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError("mlflow server did not become healthy in 120 s")
            time.sleep(0.5)

        # Security the component configured: unknown Host headers and anonymous callers are refused.
        api = f"{base}/api/2.0/mlflow/experiments/search"
        assert (
            requests.post(api, json={"max_results": 1}, headers={"Host": "evil.example.com"}, timeout=10).status_code
            == 403
        )
        assert requests.post(api, json={"max_results": 1}, timeout=10).status_code == 401

        import mlflow
        from mlflow import MlflowClient

        admin = secret_data(plan, "mlflow-server")["admin-password"]
        monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", "admin")
        monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", admin)
        mlflow.set_tracking_uri(base)
        client = MlflowClient(base)
        experiment_id = client.create_experiment("platform-smoke-test")
        run = client.create_run(experiment_id)
        client.log_metric(run.info.run_id, "auc", 0.91)
        artifact = tmp_path / "model-card.md"
        artifact.write_text("# ranker v14\n")
        client.log_artifact(run.info.run_id, str(artifact))
        client.set_terminated(run.info.run_id)

        assert client.get_run(run.info.run_id).data.metrics == {"auc": 0.91}
        assert [f.path for f in client.list_artifacts(run.info.run_id)] == ["model-card.md"]
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])]
        assert any(k.endswith(f"{run.info.run_id}/artifacts/model-card.md") for k in keys), keys
        downloaded = client.download_artifacts(run.info.run_id, "model-card.md", str(tmp_path / "down"))
        assert Path(downloaded).read_text() == "# ranker v14\n"

        # The server made its S3 calls as its role, all allowed, all modelled by the preflight.
        made = gateway.calls_of(MLFLOW_KEY)
        assert made and all(c.allowed for c in made), [(c.request.action, c.reason) for c in made if not c.allowed]
        modelled = {
            r.action
            for w in aws_workloads(Context(plan))
            if w.role_arn == gateway.identities[MLFLOW_KEY].role_arn
            for r in w.requests
        }
        assert {c.request.action for c in made} <= modelled, {c.request.action for c in made} - modelled
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
