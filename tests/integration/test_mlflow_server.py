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

from pathlib import Path

import pytest
import requests

from mlplatform.components.base.types import AWS_RDS_INSTANCE
from mlplatform.preflight.core import Context
from mlplatform.preflight.data_plane import aws_workloads
from tests.conftest import planned
from tests.integration.mlflow_server import MLFLOW_KEY, mlflow_container, option, run_mlflow

pytestmark = pytest.mark.integration


def test_dev_mlflow_server_runs_with_postgres_and_s3(
    mlflow_gateway, postgres, tmp_path, service_host_resolves_to_loopback, monkeypatch
):
    gateway = mlflow_gateway
    plan = planned("dev")
    _, container = mlflow_container(plan)
    assert container["command"] == ["mlflow", "server"]
    with run_mlflow(plan, postgres, gateway.endpoint, MLFLOW_KEY, tmp_path) as server:
        args = server.args
        assert "--serve-artifacts" in args and option(args, "--app-name") == "basic-auth"
        rds = plan.one(AWS_RDS_INSTANCE)
        assert server.backend_match["host"] == rds.output("address") and server.backend_match["port"] == "5432"
        assert server.prefix == "mlflow/"
        base, bucket, prefix, s3 = server.base, server.bucket, server.prefix, server.s3

        # Security the component configured: unknown Host headers and anonymous callers are refused.
        api = f"{base}/api/2.0/mlflow/experiments/search"
        assert (
            requests.post(api, json={"max_results": 1}, headers={"Host": "evil.example.com"}, timeout=10).status_code
            == 403
        )
        assert requests.post(api, json={"max_results": 1}, timeout=10).status_code == 401

        import mlflow
        from mlflow import MlflowClient

        monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", "admin")
        monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", server.admin_password)
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
