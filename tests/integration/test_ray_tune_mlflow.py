"""Hyper-parameter search as the ray-tune example's RayJob runs it, on a local Ray, logging to a real MLflow server.

GIVEN the dev stack's MLflow server running for real (PostgreSQL backend, artifacts in moto S3 behind the IAM
gateway with its artifact role, as test_mlflow_server starts it) and the example RayJob's entrypoint script,
taken from the ConfigMap the RayJob mounts, with the job's own environment
WHEN the script runs on a local Ray (2.60, the version of the platform's Ray images) with six trials and no GPUs
THEN Optuna proposes every trial, each trial is an MLflow run of the job's experiment with its hyper-parameters
and its validation loss, and a "best" run carries the best trial's parameters and loss.
"""

from __future__ import annotations

import json
import os
import sys

import pytest

from mlplatform import engine
from mlplatform.components.base.types import K8S_RAY_JOB
from mlplatform.plan import reveal
from tests.conftest import ROOT, planned
from tests.integration.mlflow_server import MLFLOW_KEY, run_mlflow
from tests.integration.waits import RAY_NODE_START_TIMEOUT, run_retrying_startup

pytestmark = pytest.mark.integration


def test_the_ray_tune_job_logs_every_trial_to_mlflow(mlflow_gateway, postgres, tmp_path, monkeypatch):
    example = engine.run(ROOT / "examples" / "ray-tune", stack="dev")
    spec = reveal(example.one(K8S_RAY_JOB).input("spec"))
    job_env = json.loads(spec["runtimeEnvYAML"])["env_vars"]
    script = tmp_path / "tune_job.py"
    script.write_text(example.one("kubernetes:core/v1:ConfigMap").input("data")["tune_job.py"])
    experiment = job_env["MLFLOW_EXPERIMENT"]
    (tmp_path / "mlflow").mkdir()

    with run_mlflow(planned("dev"), postgres, mlflow_gateway.endpoint, MLFLOW_KEY, tmp_path / "mlflow") as server:
        tracking = f"http://127.0.0.1:{server.port}"  # a name the server allows (--allowed-hosts)
        env = {
            **os.environ,
            **job_env,
            "TUNE_NUM_SAMPLES": "6",  # the job asks for 24; six show the same behaviour in a test's time
            "TUNE_MAX_CONCURRENT": "2",
            "TUNE_GPUS_PER_TRIAL": "0",  # no GPU here; on the cluster each trial asks for one
            "TUNE_STORAGE_PATH": str(tmp_path / "results"),
            "MLFLOW_TRACKING_URI": tracking,
            "MLFLOW_TRACKING_USERNAME": "admin",
            "MLFLOW_TRACKING_PASSWORD": server.admin_password,
            "RAY_USAGE_STATS_ENABLED": "0",  # Ray reports usage to a remote server unless told not to
        }
        env.pop("RAY_ADDRESS", None)
        done = run_retrying_startup(
            [sys.executable, str(script)], transient=RAY_NODE_START_TIMEOUT, env=env, cwd=tmp_path, timeout=420
        )
        assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
        assert "best loss" in done.stdout

        from mlflow import MlflowClient

        monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", "admin")
        monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", server.admin_password)
        client = MlflowClient(tracking)
        found = client.get_experiment_by_name(experiment)
        assert found is not None, f"no MLflow experiment {experiment}"
        runs = client.search_runs([found.experiment_id])
        trials = [r for r in runs if r.info.run_name != "best"]
        best = [r for r in runs if r.info.run_name == "best"]
        assert len(trials) == 6 and len(best) == 1
        for run in trials:
            assert {"lr", "l2", "batch_size"} <= set(run.data.params), run.data.params
            assert "loss" in run.data.metrics and run.data.tags.get("searcher") == "optuna"
        losses = [r.data.metrics["loss"] for r in trials]
        assert best[0].data.metrics["loss"] == pytest.approx(min(losses))
        assert len({r.data.params["lr"] for r in trials}) == 6, "Optuna proposed six different learning rates"
