"""Request logging to the lake and the drift report, with the programs the platform ships, against moto's S3.

GIVEN the request-log sink's program (scripts/request_log_sink.py, what the RequestLogSink Deployment runs) on
loopback, writing to a lake bucket in moto, and a reference dataset (the training features) in the lake
WHEN KServe-style CloudEvents arrive for a Triton server (Open Inference Protocol tensors, binary mode: ce-*
headers) and a batch of structured events for an MLflow server, the sink is stopped with SIGTERM (a rollout),
and the drift report's program runs with Evidently over the window, as the DriftMonitor's CronJob runs it
THEN every acknowledged event is in the lake, partitioned by server, day and hour; requests drawn from the
training distribution report no drift (exit 0); shifted requests report drift (exit 3: the Job fails at once
and alerts) with report.json and report.html under the server's report prefix; too few requests are reported
as such and never fail.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import boto3
import numpy as np
import pandas as pd
import pytest
import requests

from mlplatform.components.k8s.drift_monitor import DRIFT_EXIT_CODE
from tests.integration.postgres import free_port
from tests.integration.waits import wait_for_http

pytestmark = pytest.mark.integration

SCRIPTS = Path(__file__).resolve().parents[2] / "components" / "k8s" / "scripts"
BUCKET = "mlplatform-lake-raw-test"
FEATURES = ["f0", "f1", "f2", "f3"]


def _sink(env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, str(SCRIPTS / "request_log_sink.py")],
        env={**env, "PORT": str(port), "FLUSH_SECONDS": "3600", "LOG_URL": f"s3://{BUCKET}/serving-logs/"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    wait_for_http(url + "/healthz", seconds=60, what="request-log sink /healthz", process=process)
    return process, url


def _triton_request(rows: np.ndarray) -> dict:
    return {"inputs": [{"name": "features", "shape": list(rows.shape), "datatype": "FP32", "data": rows.tolist()}]}


def _post_binary(url: str, server: str, kind: str, body: dict, event_id: str) -> None:
    headers = {
        "Content-Type": "application/json",
        "Ce-Specversion": "1.0",
        "Ce-Id": event_id,
        "Ce-Type": f"org.kubeflow.serving.inference.{kind}",
        "Ce-Source": f"http://localhost:9081/{server}",
        "Ce-Inferenceservicename": server,
        "Ce-Namespace": "mlplatform",
        "Ce-Component": "predictor",
        "Ce-Endpoint": "",
    }
    assert requests.post(url, data=json.dumps(body), headers=headers, timeout=5).status_code == 202


def _drift(env: dict[str, str], server: str, min_rows: int = 50) -> tuple[int, dict]:
    report = f"s3://{BUCKET}/drift-reports/{server}/"
    done = subprocess.run(
        [sys.executable, str(SCRIPTS / "drift_report.py")],
        env={
            **env,
            "LOG_URL": f"s3://{BUCKET}/serving-logs/{server}/",
            "REFERENCE_URL": f"s3://{BUCKET}/reference/ranker.parquet",
            "REPORT_URL": report,
            "WINDOW_HOURS": "24",
            "DRIFT_SHARE": "0.5",
            "MIN_ROWS": str(min_rows),
        },
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode in (0, DRIFT_EXIT_CODE), done.stdout + done.stderr
    s3 = boto3.client("s3")
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix=f"drift-reports/{server}/")["Contents"])
    newest = [k for k in keys if k.endswith("report.json")][-1]
    summary = json.loads(s3.get_object(Bucket=BUCKET, Key=newest)["Body"].read())
    return done.returncode, {**summary, "keys": keys}


def test_logged_requests_reach_the_lake_and_the_drift_report_tells_drift_from_none(moto):
    env = {**os.environ}  # moto's endpoint and dummy credentials (AWS_ENDPOINT_URL), as Pod Identity would give
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    rng = np.random.default_rng(7)
    reference = pd.DataFrame(rng.normal(0, 1, size=(2000, 4)), columns=FEATURES)
    buffer = io.BytesIO()
    reference.to_parquet(buffer)
    s3.put_object(Bucket=BUCKET, Key="reference/ranker.parquet", Body=buffer.getvalue())

    process, url = _sink(env)
    try:
        for server, shift in (("ranker", 0.0), ("ranker-shifted", 1.5)):
            for _ in range(20):  # 20 requests of 16 rows each
                rows = rng.normal(0, 1, size=(16, 4)).astype(np.float32)
                rows[:, :3] += shift
                event_id = str(uuid.uuid4())
                _post_binary(url, server, "request", _triton_request(rows), event_id)
                _post_binary(url, server, "response", {"outputs": [{"name": "score", "data": [0.5] * 16}]}, event_id)
        # An MLflow server's batched, structured events (application/cloudevents-batch+json).
        batch = [
            {
                "specversion": "1.0",
                "id": str(uuid.uuid4()),
                "type": "org.kubeflow.serving.inference.request",
                "source": "http://localhost:9081/churn",
                "inferenceservicename": "churn",
                "datacontenttype": "application/json",
                "data": {"dataframe_split": {"columns": FEATURES, "data": [[0.1, 0.2, 0.3, 0.4]]}},
            }
        ]
        answer = requests.post(
            url, data=json.dumps(batch), headers={"Content-Type": "application/cloudevents-batch+json"}, timeout=5
        )
        assert answer.status_code == 202
    finally:
        process.send_signal(signal.SIGTERM)  # a rollout: the sink flushes what it acknowledged, then exits
        output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output
    assert "flushed 81 event(s) on shutdown" in output

    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix="serving-logs/")["Contents"]]
    assert {k.split("/")[1] for k in keys} == {"ranker", "ranker-shifted", "churn"}
    assert all(k.split("/")[2].startswith("dt=") and k.split("/")[3].startswith("hour=") for k in keys)
    ranker = [k for k in keys if k.split("/")[1] == "ranker"]
    events = [
        json.loads(line)
        for k in ranker
        for line in gzip.decompress(s3.get_object(Bucket=BUCKET, Key=k)["Body"].read()).decode().splitlines()
    ]
    assert len(events) == 40 and {e["type"].rsplit(".", 1)[-1] for e in events} == {"request", "response"}
    assert events[0]["inferenceservice"] == "ranker" and events[0]["namespace"] == "mlplatform"

    status, same = _drift(env, "ranker")
    assert (status, same["status"], same["requests_rows"]) == (0, "ok", 320)
    assert same["columns"] == FEATURES

    status, shifted = _drift(env, "ranker-shifted")
    assert (status, shifted["status"]) == (DRIFT_EXIT_CODE, "drift") and shifted["drifted_columns"] >= 3
    assert any(k.endswith("report.html") for k in shifted["keys"])

    status, few = _drift(env, "churn")
    assert (status, few["status"]) == (0, "insufficient-data") and "1 logged row(s)" in few["reason"]
