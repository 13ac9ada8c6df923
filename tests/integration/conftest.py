"""Real servers for integration tests, on 127.0.0.1 only: a moto server (S3, DynamoDB, ...) per session."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator

import pytest
import requests

from mlplatform.components.base.types import MLPLATFORM_AWS_MLFLOW_TRACKING
from mlplatform.plan import reveal
from tests.conftest import planned
from tests.integration.iam_gateway import serve_roles
from tests.integration.mlflow_server import MLFLOW_KEY, SERVICE_HOST
from tests.integration.postgres import PostgresUnavailable, start_postgres

REGION = "us-east-1"


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """A moto server on loopback; AWS SDKs in this process are pointed at it with dummy credentials."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    saved = {
        k: os.environ.get(k)
        for k in (
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN",
            "AWS_DEFAULT_REGION",
            "AWS_ENDPOINT_URL",
            "AWS_PROFILE",
        )
    }
    os.environ.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION=REGION,
        AWS_ENDPOINT_URL=endpoint,
    )
    os.environ.pop("AWS_SESSION_TOKEN", None)
    os.environ.pop("AWS_PROFILE", None)
    try:
        yield endpoint
    finally:
        server.stop()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@pytest.fixture
def moto(moto_endpoint: str) -> Iterator[str]:
    """The moto endpoint, emptied before each test."""
    requests.post(f"{moto_endpoint}/moto-api/reset", timeout=10)
    yield moto_endpoint


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


@pytest.fixture
def mlflow_gateway(moto_endpoint):
    """moto behind the IAM gateway, knowing the dev MLflow artifact role's key (moto state reset first)."""
    plan = planned("dev")
    role = reveal(plan.one(MLPLATFORM_AWS_MLFLOW_TRACKING).outputs["artifact_role_arn"])
    yield from serve_roles(plan, moto_endpoint, {MLFLOW_KEY: role})
