"""An MLflow pyfunc model served the way an on-cluster ``mlflow`` server serves it, from a models:/ URI.

GIVEN the dev stack's MLflow server running for real (PostgreSQL backend, artifacts in moto S3 behind the IAM
gateway), a scikit-learn model logged and registered as ``ranker`` with the alias ``champion``, and a read-only
MLflow user (what the ``mlflow-model-reader`` Secret holds)
WHEN KServe's init container for a models:/ URI runs, as the platform's ClusterStorageContainer defines it (its
program and environment, the URI and the model directory as arguments), and then the ServingRuntime's command
(``mlflow models serve`` with the runtime's arguments) runs on that directory
THEN the model arrives through MLflow's artifact proxy (the reader never touches the bucket), the server answers
the readiness path Knative probes, and a prediction request gets the model's predictions.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from mlplatform.components.config.serving import ServingRuntime
from mlplatform.components.k8s.kserve import mlflow_storage_container
from mlplatform.components.k8s.model_server import READY_PATHS, ModelServerArgs, serving_runtime_spec
from tests.conftest import planned
from tests.integration.mlflow_server import MLFLOW_KEY, run_mlflow
from tests.integration.postgres import free_port
from tests.integration.waits import wait_for_http

pytestmark = pytest.mark.integration

READER, READER_PASSWORD = "model-reader", "reader-password-0123456789"


def _register_a_model(tracking: str, admin_password: str) -> list[int]:
    """Log and register a classifier; return what it predicts for the first rows of its data."""
    import mlflow
    from mlflow import MlflowClient
    from mlflow.server.auth.client import AuthServiceClient
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    os.environ.update(MLFLOW_TRACKING_USERNAME="admin", MLFLOW_TRACKING_PASSWORD=admin_password)
    mlflow.set_tracking_uri(tracking)
    AuthServiceClient(tracking).create_user(READER, READER_PASSWORD)  # default permission: READ
    x, y = load_iris(return_X_y=True, as_frame=True)
    model = LogisticRegression(max_iter=500).fit(x, y)
    mlflow.set_experiment("serving-proof")
    with mlflow.start_run():
        mlflow.sklearn.log_model(model, name="model", registered_model_name="ranker", input_example=x.head(2))
    MlflowClient().set_registered_model_alias("ranker", "champion", "1")
    return [int(p) for p in model.predict(x.head(5))]


def test_a_registered_model_is_fetched_through_mlflow_and_served(mlflow_gateway, postgres, tmp_path, monkeypatch):
    (tmp_path / "mlflow").mkdir()
    with run_mlflow(planned("dev"), postgres, mlflow_gateway.endpoint, MLFLOW_KEY, tmp_path / "mlflow") as server:
        tracking = f"http://127.0.0.1:{server.port}"
        monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", "admin")
        expected = _register_a_model(tracking, server.admin_password)

        # KServe's init container: the platform's program and environment, the reader's credentials.
        init = mlflow_storage_container("http://mlflow.mlplatform.svc.cluster.local:5000")["container"]
        env = {e["name"]: e.get("value") for e in init["env"]}
        assert set(env) == {"MLFLOW_TRACKING_URI", "MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD"}
        models = tmp_path / "mnt-models"
        init_env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MLFLOW_"))},  # no bucket access
            "MLFLOW_TRACKING_URI": tracking,
            "MLFLOW_TRACKING_USERNAME": READER,
            "MLFLOW_TRACKING_PASSWORD": READER_PASSWORD,
        }
        command = [sys.executable, *init["command"][1:]]  # python -c <program>
        done = subprocess.run(
            [*command, "models:/ranker@champion", str(models)],
            env=init_env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert (models / "MLmodel").exists(), sorted(p.name for p in models.iterdir())

        # The ServingRuntime's container, pointed at that directory and a free port on loopback.
        runtime = serving_runtime_spec(
            ModelServerArgs(namespace="ml", server_name="ranker", runtime=ServingRuntime.MLFLOW, storage_uri="x"),
            "ranker",
        )["containers"][0]
        port = free_port()
        args = [
            a.replace("/mnt/models", str(models)).replace("0.0.0.0", "127.0.0.1").replace("8080", str(port))
            for a in runtime["args"]
        ]
        mlflow_cli = Path(sys.executable).parent / runtime["command"][0]
        serve_env = {k: v for k, v in init_env.items() if not k.startswith("MLFLOW_TRACKING_")}
        # The scoring server execs uvicorn from PATH, as in the image.
        serve_env["PATH"] = f"{mlflow_cli.parent}{os.pathsep}{serve_env.get('PATH', '')}"
        process = subprocess.Popen(
            [str(mlflow_cli), *runtime["command"][1:], *args],
            env=serve_env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            wait_for_http(
                base + READY_PATHS[ServingRuntime.MLFLOW],
                seconds=180,
                what="mlflow models serve",
                process=process,
            )
            from sklearn.datasets import load_iris

            rows = load_iris(as_frame=True).data.head(5)
            body = {"dataframe_split": {"columns": list(rows.columns), "data": rows.values.tolist()}}
            answer = requests.post(base + "/invocations", json=body, timeout=30)
            assert answer.status_code == 200, answer.text
            assert [int(p) for p in answer.json()["predictions"]] == expected
        finally:
            process.terminate()
            process.wait(timeout=30)
