"""A model server's drift report: the requests logged over the last window against the reference dataset.

Reads the request events the request-log sink wrote under LOG_URL (``dt=``/``hour=`` partitions of the window),
turns their payloads into rows (KServe v1 ``instances``, Open Inference Protocol ``inputs`` tensors, MLflow
``dataframe_split``/``dataframe_records``/``inputs``), compares the columns they share with the reference
(REFERENCE_URL: .parquet, .csv or .jsonl) with Evidently's DataDriftPreset, and writes report.json and
report.html under REPORT_URL/<UTC timestamp>/.

Exit status: 0 no drift (or fewer than MIN_ROWS requests: reported, not judged); 3 drift (the share of drifted
columns reached DRIFT_SHARE): the Job fails without retrying and the stack's alert fires; 1 anything else
(retried).

Environment: LOG_URL, REFERENCE_URL, REPORT_URL, WINDOW_HOURS (24), DRIFT_SHARE (0.5), MIN_ROWS (100).
"""

from __future__ import annotations

import gzip
import io
import json
import os
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

import lake_io

REQUEST_TYPE = "org.kubeflow.serving.inference.request"
DRIFT_EXIT = 3


def _hours(start: datetime, end: datetime) -> set[str]:
    """The dt=/hour= partitions between start and end."""
    out, t = set(), start.replace(minute=0, second=0, microsecond=0)
    while t <= end:
        out.add(f"dt={t:%Y-%m-%d}/hour={t:%H}/")
        t += timedelta(hours=1)
    return out


def logged_requests(log_url: str, window_hours: float, now: datetime) -> list[Any]:
    """Payloads of the request events logged within the window."""
    prefix = log_url if log_url.endswith("/") else log_url + "/"
    start = now - timedelta(hours=window_hours)
    wanted = _hours(start, now)
    payloads = []
    for url in lake_io.list_urls(prefix):
        partition = url[len(prefix) :].rsplit("/", 1)[0] + "/"
        if partition not in wanted or not url.endswith(".jsonl.gz"):
            continue
        for line in gzip.decompress(lake_io.read(url)).decode().splitlines():
            event = json.loads(line)
            if event.get("type") != REQUEST_TYPE:
                continue
            when = _parse_time(event.get("time"))
            if when is not None and not start <= when <= now:
                continue
            payloads.append(event.get("data"))
    return payloads


def _parse_time(value: Any) -> datetime | None:
    try:
        when = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def rows_of(payload: Any, columns: list[str]) -> list[dict[str, Any]]:
    """Feature rows in one request payload; positional rows take the reference's column names."""

    def row(item: Any) -> dict[str, Any] | None:
        if isinstance(item, dict):
            return item
        if isinstance(item, list) and len(item) == len(columns):
            return dict(zip(columns, item, strict=True))
        if isinstance(item, list):
            return {f"f{i}": v for i, v in enumerate(item)}
        return None

    if not isinstance(payload, dict):
        return []
    if "dataframe_split" in payload:
        split = payload["dataframe_split"]
        return [dict(zip(split["columns"], r, strict=True)) for r in split.get("data", [])]
    if "dataframe_records" in payload:
        return [r for r in payload["dataframe_records"] if isinstance(r, dict)]
    if isinstance(payload.get("instances"), list):
        return [r for r in map(row, payload["instances"]) if r is not None]
    inputs = payload.get("inputs")
    if isinstance(inputs, list) and inputs and isinstance(inputs[0], dict) and "data" in inputs[0]:
        return _tensor_rows(inputs, columns)
    if isinstance(inputs, list):
        return [r for r in map(row, inputs) if r is not None]
    if isinstance(inputs, dict):  # MLflow named tensors: {"a": [..], "b": [..]}
        keys = list(inputs)
        return [dict(zip(keys, values, strict=True)) for values in zip(*(inputs[k] for k in keys), strict=True)]
    return []


def _tensor_rows(tensors: list[dict[str, Any]], columns: list[str]) -> list[dict[str, Any]]:
    """Open Inference Protocol tensors: each tensor's first dimension is the batch; a tensor of one feature
    per row is the column of its name, a wider one fills the reference's columns (or name_0, name_1, ...)."""
    rows: list[dict[str, Any]] = []
    for tensor in tensors:
        shape = [int(d) for d in tensor.get("shape") or [len(tensor["data"])]]
        data = list(_flatten(tensor["data"]))
        batch = shape[0] if shape else 1
        width = len(data) // batch if batch else 0
        names = (
            [tensor["name"]]
            if width == 1
            else (columns if width == len(columns) else [f"{tensor['name']}_{i}" for i in range(width)])
        )
        for b in range(batch):
            if len(rows) <= b:
                rows.append({})
            rows[b].update(zip(names, data[b * width : (b + 1) * width], strict=True))
    return rows


def _flatten(values: Any) -> Any:
    for v in values:
        if isinstance(v, list):
            yield from _flatten(v)
        else:
            yield v


def read_table(url: str) -> Any:
    import pandas as pd

    data = lake_io.read(url)
    if url.endswith(".parquet"):
        return pd.read_parquet(io.BytesIO(data))
    if url.endswith(".csv"):
        return pd.read_csv(io.BytesIO(data))
    return pd.read_json(io.BytesIO(data), lines=True)


def main() -> int:
    import pandas as pd
    from evidently import Report
    from evidently.presets import DataDriftPreset

    now = datetime.now(UTC)
    log_url, reference_url = os.environ["LOG_URL"], os.environ["REFERENCE_URL"]
    report_url = os.environ["REPORT_URL"].rstrip("/") + f"/{now:%Y-%m-%dT%H%M%SZ}/"
    window = float(os.environ.get("WINDOW_HOURS", "24"))
    drift_share = float(os.environ.get("DRIFT_SHARE", "0.5"))
    min_rows = int(os.environ.get("MIN_ROWS", "100"))

    reference = read_table(reference_url)
    columns = [str(c) for c in reference.columns]
    rows = [r for payload in logged_requests(log_url, window, now) for r in rows_of(payload, columns)]
    current = pd.DataFrame(rows)
    shared = [c for c in columns if c in current.columns]
    summary: dict[str, Any] = {
        "generated_at": now.isoformat(),
        "window_hours": window,
        "requests_rows": len(current),
        "reference_rows": len(reference),
        "columns": shared,
        "drift_share_threshold": drift_share,
    }
    if len(current) < min_rows or not shared:
        summary["status"] = "insufficient-data"
        summary["reason"] = (
            f"{len(current)} logged row(s) in the window, fewer than {min_rows}"
            if shared
            else "no column of the logged requests matches the reference"
        )
        lake_io.write(report_url + "report.json", json.dumps(summary, indent=2).encode(), "application/json")
        print(json.dumps(summary), flush=True)
        return 0
    snapshot = Report([DataDriftPreset(drift_share=drift_share)]).run(
        current_data=pd.DataFrame(current[shared]), reference_data=pd.DataFrame(reference[shared])
    )
    result = snapshot.dict()
    drifted = next(m["value"] for m in result["metrics"] if m["metric_name"].startswith("DriftedColumnsCount"))
    summary.update(
        status="drift" if drifted["share"] >= drift_share else "ok",
        drifted_columns=int(drifted["count"]),
        drifted_share=drifted["share"],
        metrics=result["metrics"],
    )
    lake_io.write(report_url + "report.json", json.dumps(summary, indent=2, default=str).encode(), "application/json")
    lake_io.write(report_url + "report.html", _html(snapshot).encode(), "text/html")
    print(json.dumps({k: v for k, v in summary.items() if k != "metrics"}), flush=True)
    return DRIFT_EXIT if summary["status"] == "drift" else 0


def _html(snapshot: Any) -> str:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "report.html")
        snapshot.save_html(path)
        with open(path, encoding="utf-8") as f:
            return f.read()


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as exc:  # a crash is retried by the Job; drift is not
        print(f"drift report failed: {exc!r}", file=sys.stderr, flush=True)
        sys.exit(1)
