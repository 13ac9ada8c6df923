"""VertexModelDeployment: upload a model and deploy it onto a Vertex AI endpoint, as a Pulumi resource.

pulumi-gcp has endpoints and deployment resource pools but no resource for a deployed custom model, so an
endpoint it creates serves nothing (predictions answer 400) until someone deploys a model. This dynamic
resource does what the Vertex AI API documents for that (``models.upload``, ``endpoints.deployModel`` onto
a deployment resource pool, ``endpoints.undeployModel`` and ``models.delete`` on delete), waiting for each
long-running operation, with the deployer's Application Default Credentials (the same the gcp provider
uses). One resource holds every variant of an endpoint: they are deployed in order and the endpoint's
traffic split is then set to the variants' weights in one call. Any change replaces it (new models,
deployed before the old ones are undeployed, so serving never stops).

Under the offline engine the resource is recorded with its inputs like any other; nothing is called.
"""

from __future__ import annotations

import time
from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ResourceProvider

API = "https://{region}-aiplatform.googleapis.com/v1"
OPERATION_TIMEOUT_S = 45 * 60  # deploying onto new replicas (image pull, model load) takes minutes


class VertexApi:
    """The few Vertex AI REST calls the resource makes; ``session`` is an authorised requests session."""

    def __init__(self, region: str, session: Any = None, base_url: str | None = None, poll_seconds: float = 5.0):
        self.base = base_url or API.format(region=region)
        self.session = session if session is not None else _default_session()
        self.poll_seconds = poll_seconds

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        response = self.session.request(method, f"{self.base}/{path}", json=body, timeout=60)
        if response.status_code >= 400:
            raise RuntimeError(f"Vertex AI {method} {path}: {response.status_code} {response.text[:500]}")
        return response.json() if response.content else {}

    def _wait(self, operation: dict[str, Any]) -> dict[str, Any]:
        deadline = time.monotonic() + OPERATION_TIMEOUT_S
        while not operation.get("done"):
            if time.monotonic() > deadline:
                raise RuntimeError(f"Vertex AI operation {operation.get('name')} did not finish in time")
            time.sleep(self.poll_seconds)
            operation = self._call("GET", operation["name"])
        if "error" in operation:
            raise RuntimeError(f"Vertex AI operation {operation.get('name')} failed: {operation['error']}")
        return operation.get("response", {})

    def upload(self, parent: str, display_name: str, image: str, artifact_uri: str, labels: dict[str, str]) -> str:
        body = {
            "model": {
                "displayName": display_name,
                "artifactUri": artifact_uri,
                "containerSpec": {"imageUri": image},
                "labels": labels,
            }
        }
        return self._wait(self._call("POST", f"{parent}/models:upload", body))["model"]

    def deploy(self, endpoint: str, model: str, display_name: str, pool: str, split: dict[str, int]) -> str:
        body = {
            "deployedModel": {"model": model, "displayName": display_name, "sharedResources": pool},
            "trafficSplit": split,
        }
        return self._wait(self._call("POST", f"{endpoint}:deployModel", body))["deployedModel"]["id"]

    def set_traffic(self, endpoint: str, split: dict[str, int]) -> None:
        self._call("PATCH", f"{endpoint}?updateMask=trafficSplit", {"trafficSplit": split})

    def undeploy(self, endpoint: str, deployed_id: str, split: dict[str, int]) -> None:
        self._wait(
            self._call("POST", f"{endpoint}:undeployModel", {"deployedModelId": deployed_id, "trafficSplit": split})
        )

    def delete_model(self, model: str) -> None:
        self._wait(self._call("DELETE", model))


def _default_session() -> Any:
    import google.auth
    from google.auth.transport.requests import AuthorizedSession

    credentials, _ = google.auth.default(scopes=["https://www.googleapis.com/auth/cloud-platform"])
    return AuthorizedSession(credentials)


def deploy_all(api: VertexApi, props: dict[str, Any]) -> dict[str, Any]:
    """Upload and deploy every variant, then split traffic by weight. Returns the resource's outputs."""
    endpoint = props["endpoint"]
    parent = endpoint.rsplit("/endpoints/", 1)[0]
    deployed: dict[str, dict[str, str]] = {}
    for v in props["variants"]:
        model = api.upload(
            parent, f"{props['display_name']}-{v['name']}", v["image"], v["artifact_uri"], props["labels"]
        )
        # The first variant takes all traffic until the others exist; the split is set once all are deployed.
        split = (
            {"0": 100}
            if not deployed
            else {"0": 0, **{d["id"]: (100 if i == 0 else 0) for i, d in enumerate(deployed.values())}}
        )
        deployed_id = api.deploy(endpoint, model, v["name"], v["pool"], split)
        deployed[v["name"]] = {"model": model, "id": deployed_id}
    api.set_traffic(endpoint, {deployed[v["name"]]["id"]: v["percent"] for v in props["variants"]})
    return {**props, "deployed": deployed}


def undeploy_all(api: VertexApi, props: dict[str, Any]) -> None:
    remaining = dict(props.get("deployed") or {})
    for name in list(remaining):
        gone = remaining.pop(name)
        # Whatever is left takes the traffic (Vertex refuses to undeploy a model that still has a share).
        split = {d["id"]: (100 if i == 0 else 0) for i, d in enumerate(remaining.values())}
        api.undeploy(props["endpoint"], gone["id"], split)
        api.delete_model(gone["model"])


class _Provider(ResourceProvider):
    def create(self, props: dict[str, Any]) -> CreateResult:
        outs = deploy_all(VertexApi(props["region"]), props)
        return CreateResult(id_=props["endpoint"] + "/deployments", outs=outs)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        keys = ("endpoint", "variants", "labels", "display_name", "region")
        changed = [k for k in keys if olds.get(k) != news.get(k)]
        return DiffResult(changes=bool(changed), replaces=changed, delete_before_replace=False)

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        undeploy_all(VertexApi(props["region"]), props)


class VertexModelDeployment(pulumi.dynamic.Resource):
    """The variants of a Vertex endpoint, uploaded and deployed onto their pools with their traffic shares.

    ``variants``: list of ``{name, image, artifact_uri, pool, percent}`` (``pool`` a deployment resource pool
    name, ``percent`` the traffic share; shares sum to 100).
    """

    deployed: pulumi.Output[dict[str, Any]]

    def __init__(
        self,
        name: str,
        *,
        endpoint: pulumi.Input[str],
        region: str,
        display_name: str,
        variants: pulumi.Input[list[dict[str, Any]]],
        labels: dict[str, str],
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__(
            _Provider(),
            name,
            {
                "endpoint": endpoint,
                "region": region,
                "display_name": display_name,
                "variants": variants,
                "labels": labels,
                "deployed": None,
            },
            opts,
        )
