"""The idle culler the dev hub runs, with the dev stack's settings, against a JupyterHub API stand-in.

GIVEN the dev stack's jupyterhub values (cull after 1 h idle, every 5 min, at most 12 h) turned into the culler
service the chart starts (the chart's flag mapping: mlplatform.components.k8s.notebooks.culler_command)
WHEN the real jupyterhub-idle-culler (1.4, as the chart's hub image runs it) polls a stand-in of the hub's REST
API (JupyterHub 5.4's user model and pagination) on 127.0.0.1 with three users' servers
THEN it stops the server idle for two hours and the one running for thirteen hours despite activity, and leaves
the server in use alone; it authenticates with the token the hub gives its services.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from mlplatform.components.base.types import K8S_HELM_RELEASE
from mlplatform.components.k8s.notebooks import culler_command
from mlplatform.plan import reveal
from tests.conftest import planned
from tests.integration.waits import wait_until

pytestmark = pytest.mark.integration
TOKEN = "culler-service-token"


def stamp(ago: timedelta) -> str:
    return (datetime.now(UTC) - ago).isoformat().replace("+00:00", "Z")


def user(name: str, started: timedelta, idle: timedelta, profile: str) -> dict:
    server = {
        "name": "",
        "ready": True,
        "pending": None,
        "url": f"/user/{name}/",
        "started": stamp(started),
        "last_activity": stamp(idle),
        "user_options": {"profile": profile},
    }
    return {"name": name, "admin": False, "kind": "user", "last_activity": stamp(idle), "servers": {"": server}}


class HubApi(BaseHTTPRequestHandler):
    users: list[dict] = []
    deleted: list[str] = []
    unauthorised: list[str] = []

    def _send(self, code: int, body: object) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _authorised(self) -> bool:
        if self.headers.get("Authorization") != f"token {TOKEN}":
            type(self).unauthorised.append(self.path)
            self._send(403, {"status": 403, "message": "missing or invalid token"})
            return False
        return True

    def do_GET(self):
        if not self._authorised():
            return
        if self.path == "/hub/api/":
            self._send(200, {"version": "5.4.4"})
        elif self.path.startswith("/hub/api/users"):
            items = type(self).users
            page = {"offset": 0, "limit": 200, "total": len(items), "next": None}
            self._send(200, {"items": items, "_pagination": page})
        else:
            self._send(404, {"status": 404})

    def do_DELETE(self):
        if not self._authorised():
            return
        type(self).deleted.append(self.path)
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):  # keep the test output quiet
        pass


def test_the_culler_stops_idle_and_overlong_servers_only():
    cull = reveal(planned("dev").one(K8S_HELM_RELEASE, "mlplatform-tools-notebooks").input("values"))["cull"]
    assert cull["timeout"] == 3600 and cull["maxAge"] == 12 * 3600
    HubApi.users = [
        user("left-open", started=timedelta(hours=3), idle=timedelta(hours=2), profile="experiments"),
        user("working", started=timedelta(hours=2), idle=timedelta(minutes=10), profile="inference"),
        user("marathon", started=timedelta(hours=13), idle=timedelta(minutes=1), profile="experiments"),
    ]
    HubApi.deleted, HubApi.unauthorised = [], []
    server = ThreadingHTTPServer(("127.0.0.1", 0), HubApi)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    command = culler_command(cull)
    assert command[:3] == ["python3", "-m", "jupyterhub_idle_culler"]
    url = f"http://127.0.0.1:{server.server_address[1]}/hub/api"
    args = [a if not a.startswith("--url=") else f"--url={url}" for a in command[3:]]
    culler = subprocess.Popen(
        [sys.executable, "-m", "jupyterhub_idle_culler", *args],
        env={**os.environ, "JUPYTERHUB_API_TOKEN": TOKEN},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_until(lambda: len(HubApi.deleted) >= 2, seconds=120, what="the culler's two deletions", process=culler)
        time.sleep(1)  # a third deletion would show up now
    finally:
        culler.terminate()
        culler.wait(timeout=10)
        server.shutdown()
    assert sorted(HubApi.deleted) == ["/hub/api/users/left-open/server", "/hub/api/users/marathon/server"]
    assert HubApi.unauthorised == []
