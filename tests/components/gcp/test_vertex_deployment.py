"""Vertex model deployment: the dedicated endpoint's URL, the deployment on the Plan, and the API calls the
dynamic resource makes, against a local stand-in of the Vertex AI REST API that refuses what Vertex refuses
(a traffic split that does not sum to 100 or names unknown deployed models, undeploying a model with traffic).
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from mlplatform.components.base.types import (
    GCP_VERTEX_AI_DEPLOYMENT_RESOURCE_POOL,
    GCP_VERTEX_AI_ENDPOINT,
    PULUMI_DYNAMIC_RESOURCE,
)
from mlplatform.components.gcp.vertex_deployment import VertexApi, deploy_all, undeploy_all
from mlplatform.preflight import preflight
from tests.fixtures import gcp_prod

ENDPOINT = "projects/p/locations/us-central1/endpoints/123"


class FakeVertex(BaseHTTPRequestHandler):
    state: dict = {}

    def log_message(self, *args):  # quiet
        pass

    def _reply(self, code: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> dict:
        n = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(n) or b"{}")

    def _split_ok(self, split: dict, new: bool) -> bool:
        known = set(self.state["traffic"]) | ({"0"} if new else set())
        return sum(split.values()) == 100 and set(split) <= known

    def do_POST(self):
        s, body, path = self.state, self._body(), self.path.removeprefix("/v1/")
        if path.endswith("/models:upload"):
            name = f"projects/p/locations/us-central1/models/{len(s['models']) + 1}"
            s["models"].add(name)
            return self._reply(200, {"name": "op/1", "done": True, "response": {"model": name}})
        if path == f"{ENDPOINT}:deployModel":
            if not self._split_ok(body["trafficSplit"], new=True) or body["deployedModel"]["model"] not in s["models"]:
                return self._reply(400, {"error": "bad trafficSplit or model"})
            deployed_id = str(100 + len(s["traffic"]))
            s["traffic"] = {k if k != "0" else deployed_id: v for k, v in body["trafficSplit"].items()}
            s["pools"][deployed_id] = body["deployedModel"]["sharedResources"]
            return self._reply(200, {"name": "op/2", "done": True, "response": {"deployedModel": {"id": deployed_id}}})
        if path == f"{ENDPOINT}:undeployModel":
            gone = body["deployedModelId"]
            rest = {k: v for k, v in body["trafficSplit"].items()}
            if gone in rest or (rest and sum(rest.values()) != 100):
                return self._reply(400, {"error": "traffic still routed to the model"})
            s["traffic"] = rest
            return self._reply(200, {"name": "op/3", "done": True})
        return self._reply(404, {})

    def do_PATCH(self):
        body = self._body()
        if not self._split_ok(body["trafficSplit"], new=False):
            return self._reply(400, {"error": "bad trafficSplit"})
        self.state["traffic"] = body["trafficSplit"]
        return self._reply(200, {})

    def do_DELETE(self):
        name = self.path.removeprefix("/v1/")
        self.state["models"].discard(name)
        return self._reply(200, {"name": "op/4", "done": True})


@pytest.fixture
def vertex():
    FakeVertex.state = {"models": set(), "traffic": {}, "pools": {}}
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeVertex)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield VertexApi("us-central1", session=requests.Session(), base_url=f"http://127.0.0.1:{server.server_port}/v1")
    server.shutdown()


def test_variants_are_deployed_on_their_pools_with_their_traffic_shares_and_removed_cleanly(vertex):
    props = {
        "endpoint": ENDPOINT,
        "region": "us-central1",
        "display_name": "scorer",
        "labels": {"team": "ml"},
        "variants": [
            {"name": "a", "image": "img:1", "artifact_uri": "gs://r/a/", "pool": "pools/a", "percent": 75},
            {"name": "b", "image": "img:2", "artifact_uri": "gs://r/b/", "pool": "pools/b", "percent": 25},
        ],
    }
    outs = deploy_all(vertex, props)
    state = FakeVertex.state
    ids = {name: d["id"] for name, d in outs["deployed"].items()}
    assert state["traffic"] == {ids["a"]: 75, ids["b"]: 25}
    assert state["pools"] == {ids["a"]: "pools/a", ids["b"]: "pools/b"}
    undeploy_all(vertex, outs)
    assert state["traffic"] == {} and state["models"] == set()


def test_realtime_endpoint_deploys_its_models_and_exports_the_dedicated_url():
    plan = gcp_prod()
    endpoint = plan.one(GCP_VERTEX_AI_ENDPOINT)
    deployment = plan.one(PULUMI_DYNAMIC_RESOURCE, "mlplatform-endpoint-scorer-models")
    assert deployment.input("endpoint") == endpoint.id
    assert [(v["name"], v["percent"]) for v in deployment.input("variants")] == [("a", 75), ("b", 25)]
    pools = {p.name.rsplit("-", 1)[-1]: p.id for p in plan.by_type(GCP_VERTEX_AI_DEPLOYMENT_RESOURCE_POOL)}
    assert [v["pool"] for v in deployment.input("variants")] == [pools["a"], pools["b"]]
    url = plan.outputs["endpoint_invoke_urls"]["scorer"]
    assert url == f"https://{endpoint.output('dedicatedEndpointDns')}/v1/{endpoint.id}:predict"
    assert "-aiplatform.googleapis.com" not in url, "dedicated endpoints refuse the shared domain"


def test_preflight_finds_a_vertex_model_uploaded_from_the_new_lake():
    findings = [f for f in preflight(gcp_prod()).findings if f.rule == "artifacts-exist"]
    assert any("Vertex model a is uploaded from gs://" in f.message for f in findings)
