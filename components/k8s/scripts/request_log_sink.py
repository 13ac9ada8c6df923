"""Receives the CloudEvents KServe's agent sends for every logged request and response, and writes them to the
lake as gzipped JSON lines, one object per server, hour and flush:

    <LOG_URL><inference service>/dt=<YYYY-MM-DD>/hour=<HH>/<HHMMSS>-<random>.jsonl.gz

Each line: id (request and response share it), type (``org.kubeflow.serving.inference.request`` or
``...response``), time, inferenceservice, namespace, component, endpoint, content_type, and data (the parsed
JSON body, else the body as text). Binary-mode events (``ce-*`` headers) and structured or batched JSON events
are accepted.

Environment: LOG_URL (s3://bucket/serving-logs/ or gs://...), PORT (8080), FLUSH_SECONDS (60), FLUSH_RECORDS
(1000). A flush happens on whichever limit comes first, and on SIGTERM, so a scale-down or a rollout loses
nothing that was acknowledged.
"""

from __future__ import annotations

import gzip
import json
import os
import secrets
import signal
import sys
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import lake_io


class Buffer:
    """Events waiting to be written, by inference service; flushed by size, age or shutdown."""

    def __init__(self, log_url: str, flush_records: int) -> None:
        self.log_url = log_url if log_url.endswith("/") else log_url + "/"
        self.flush_records = flush_records
        self.events: dict[str, list[dict[str, Any]]] = {}
        self.count = 0
        self.lock = threading.Lock()
        self.written = 0

    def add(self, events: list[dict[str, Any]]) -> None:
        with self.lock:
            for event in events:
                self.events.setdefault(event.get("inferenceservice") or "unknown", []).append(event)
                self.count += 1
            full = self.count >= self.flush_records
        if full:
            self.flush()

    def flush(self) -> int:
        with self.lock:
            pending, self.events, self.count = self.events, {}, 0
        now = datetime.now(UTC)
        written = 0
        for service, events in list(pending.items()):
            body = "".join(json.dumps(e, separators=(",", ":")) + "\n" for e in events).encode()
            key = f"{service}/dt={now:%Y-%m-%d}/hour={now:%H}/{now:%H%M%S}-{secrets.token_hex(4)}.jsonl.gz"
            try:
                lake_io.write(self.log_url + key, gzip.compress(body), "application/gzip")
            except Exception:
                self.add([e for rest in pending.values() for e in rest])  # kept for the next flush
                raise
            written += len(pending.pop(service))
        self.written += written
        return written


def _decode(body: bytes, content_type: str) -> Any:
    text = body.decode("utf-8", errors="replace")
    if "json" in content_type or text[:1] in "{[":
        try:
            return json.loads(text)
        except ValueError:
            pass
    return text


def events_from(headers: dict[str, str], body: bytes) -> list[dict[str, Any]]:
    """The events of one HTTP request: a binary-mode event (ce-* headers), a structured one, or a batch."""
    content_type = headers.get("content-type", "")
    if content_type.startswith("application/cloudevents-batch+json"):
        return [_structured(e) for e in json.loads(body)]
    if content_type.startswith("application/cloudevents+json"):
        return [_structured(json.loads(body))]
    return [
        {
            "id": headers.get("ce-id"),
            "type": headers.get("ce-type"),
            "time": headers.get("ce-time") or datetime.now(UTC).isoformat(),
            "inferenceservice": headers.get("ce-inferenceservicename"),
            "namespace": headers.get("ce-namespace"),
            "component": headers.get("ce-component"),
            "endpoint": headers.get("ce-endpoint"),
            "content_type": content_type,
            "data": _decode(body, content_type),
        }
    ]


def _structured(event: dict[str, Any]) -> dict[str, Any]:
    data = event.get("data")
    if data is None and "data_base64" in event:
        import base64

        data = _decode(base64.b64decode(event["data_base64"]), str(event.get("datacontenttype", "")))
    return {
        "id": event.get("id"),
        "type": event.get("type"),
        "time": event.get("time") or datetime.now(UTC).isoformat(),
        "inferenceservice": event.get("inferenceservicename"),
        "namespace": event.get("namespace"),
        "component": event.get("component"),
        "endpoint": event.get("endpoint"),
        "content_type": event.get("datacontenttype", ""),
        "data": data,
    }


def serve(buffer: Buffer, port: int, flush_seconds: float) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length)
            try:
                events = events_from({k.lower(): v for k, v in self.headers.items()}, body)
            except ValueError as exc:
                self.send_response(400)
                self.end_headers()
                self.wfile.write(str(exc).encode())
                return
            buffer.add(events)
            self.send_response(202)
            self.end_headers()

        def do_GET(self) -> None:
            self.send_response(200 if self.path == "/healthz" else 404)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass  # one line per event would drown the pod's log

    server = ThreadingHTTPServer(("0.0.0.0", port), Handler)

    def flusher() -> None:
        while True:
            time.sleep(flush_seconds)
            try:
                buffer.flush()
            except Exception as exc:  # the next flush retries what is still buffered
                print(f"flush failed: {exc}", file=sys.stderr, flush=True)

    threading.Thread(target=flusher, daemon=True).start()
    return server


def main() -> int:
    buffer = Buffer(os.environ["LOG_URL"], int(os.environ.get("FLUSH_RECORDS", "1000")))
    server = serve(buffer, int(os.environ.get("PORT", "8080")), float(os.environ.get("FLUSH_SECONDS", "60")))

    def stop(signum: int, frame: Any) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"request log sink on :{server.server_address[1]} -> {buffer.log_url}", flush=True)
    server.serve_forever()
    written = buffer.flush()
    print(f"flushed {written} event(s) on shutdown ({buffer.written} in all)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
