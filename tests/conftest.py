"""Shared test helpers: the repository root, the shipped stacks' documents and Plans, and readers of a Plan.

The shipped stacks are for their own tests (tests/stacks/) and for tests of the whole program; a component test
builds on tests/fixtures.py instead (tests/test_test_layout.py keeps it so).
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from mlplatform import engine
from mlplatform.components.base.types import AWS_EKS_CLUSTER, GCP_CONTAINER_CLUSTER, MLPLATFORM_PLATFORM
from mlplatform.plan import Plan

ROOT = Path(__file__).resolve().parent.parent
AWS_STACKS = ("dev", "staging", "prod")
GCP_STACKS = ("gcp-dev",)
STACKS = AWS_STACKS + GCP_STACKS


def stack_document(stack: str) -> dict[str, Any]:
    """The `mlplatform:platform` object of a shipped stack file."""
    with open(ROOT / "stacks" / f"Pulumi.{stack}.yaml", encoding="utf-8") as fh:
        return copy.deepcopy(yaml.safe_load(fh)["config"]["mlplatform:platform"])


@pytest.fixture
def dev_doc() -> dict[str, Any]:
    return stack_document("dev")


@pytest.fixture
def repo_root() -> Path:
    return ROOT


@functools.cache
def planned(stack: str) -> Plan:
    """The Plan of a shipped stack of the root program (computed once per test session; do not mutate)."""
    return engine.run(ROOT, stack=stack)


def plan_variant(stack: str, change: Callable[[dict[str, Any]], None]) -> Plan:
    """The Plan of a shipped stack with its `mlplatform:platform` document changed by `change`."""
    doc = stack_document(stack)
    change(doc)
    return engine.run(ROOT, stack=stack, config={"mlplatform:platform": doc})


OFFLINE_KUBECONFIG = """apiVersion: v1
kind: Config
clusters: [{name: offline, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: offline, user: {token: offline}}]
contexts: [{name: offline, context: {cluster: offline, user: offline}}]
current-context: offline
"""


@pytest.fixture
def offline_kubeconfig(tmp_path, monkeypatch):
    """KubeSpawner loads a kubeconfig when it is created; nothing here talks to a cluster."""
    from kubernetes_asyncio.config import kube_config
    from kubespawner.clients import load_config

    path = tmp_path / "kubeconfig"
    path.write_text(OFFLINE_KUBECONFIG)
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    # Read when kubernetes_asyncio is first imported, so the variable alone may come too late.
    monkeypatch.setattr(kube_config, "KUBE_CONFIG_DEFAULT_LOCATION", str(path))
    load_config.cache_clear()
    yield
    load_config.cache_clear()


def cost_tags(plan: Plan) -> dict[str, str]:
    return plan.one(MLPLATFORM_PLATFORM).outputs["cost_tags"]


def cluster_version(plan: Plan) -> str:
    """The Kubernetes version of the plan's cluster (EKS ``version``, GKE ``minMasterVersion``)."""
    eks, gke = plan.by_type(AWS_EKS_CLUSTER), plan.by_type(GCP_CONTAINER_CLUSTER)
    return eks[0].input("version") if eks else gke[0].input("minMasterVersion")
