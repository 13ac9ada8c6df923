"""Kubernetes objects the components produce validate against the schemas of the cluster's version, offline.

Built-in kinds (Deployments, Services, ConfigMaps, ...) validate strictly with kubernetes-validate (a
misspelt field fails). Helm releases are rendered by the provider, so the pod-spec fragments our values put
into charts (affinity, tolerations, nodeSelector, resources, env) are validated inside a Pod. Karpenter
objects validate against the fields of Karpenter's v1 API (tests/schemas/karpenter_v1.py).
"""

from __future__ import annotations

import jsonschema
import kubernetes_validate
import pytest

from mlplatform.components.base.types import K8S_HELM_RELEASE, K8S_KARPENTER_NODE_POOL
from mlplatform.plan import Plan, PlanResource, reveal
from tests.conftest import cluster_version
from tests.fixtures import aws_dev, aws_prod, aws_staging, gcp_dev
from tests.schemas.karpenter_v1 import SCHEMAS

POD_FRAGMENTS = ("affinity", "tolerations", "nodeSelector")


AWS_PLATFORMS = {"dev": aws_dev, "staging": aws_staging, "prod": aws_prod}
PLATFORMS = {**AWS_PLATFORMS, "gcp-dev": gcp_dev}


def manifest(r: PlanResource) -> dict:
    """The object as the provider sends it: apiVersion, kind, metadata and the rest of the inputs."""
    obj = {k: v for k, v in reveal(r.inputs).items() if k not in ("__inputs",)}
    obj.setdefault("metadata", {}).setdefault("name", r.output("metadata.name"))
    return obj


BUILTIN_GROUPS = {"core", "apps", "batch", "policy", "autoscaling"}


def builtin_objects(plan: Plan) -> list[PlanResource]:
    """Objects of built-in API groups (kubernetes:core/v1:Service, kubernetes:networking.k8s.io/v1:Ingress, ...)."""
    out = []
    for r in plan.custom_resources():
        if not r.type.startswith("kubernetes:") or r.type.startswith("kubernetes:helm.sh"):
            continue
        group = r.type.split(":")[1].split("/")[0]
        if group in BUILTIN_GROUPS or group.endswith(".k8s.io"):
            out.append(r)
    return out


def assert_builtin_kinds_validate_strictly(plan: Plan) -> None:
    objects = builtin_objects(plan)
    assert {"Namespace", "Secret", "ServiceAccount"} <= {r.input("kind") for r in objects}
    for r in objects:
        kubernetes_validate.validate(manifest(r), cluster_version(plan), strict=True)


@pytest.mark.parametrize("platform", PLATFORMS)
def test_builtin_kinds_validate_strictly(platform):
    assert_builtin_kinds_validate_strictly(PLATFORMS[platform]())


def _pod_with(values: dict) -> dict:
    container = {"name": "c", "image": "example/c:1"}
    for key in ("resources", "env"):
        if key in values:
            container[key] = values[key]
    spec = {"containers": [container], **{k: values[k] for k in POD_FRAGMENTS if k in values}}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "fragment"}, "spec": spec}


def _fragments(values: dict) -> list[dict]:
    """Pod-spec fragments in Helm values: every section, at any depth, that sets scheduling, resources or env
    (the top, `controller`, kube-prometheus-stack's `prometheus.prometheusSpec`, `alertmanager...`, ...)."""
    found = []
    if any(k in values for k in (*POD_FRAGMENTS, "resources", "env")):
        found.append(values)
    for value in values.values():
        if isinstance(value, dict):
            found.extend(_fragments(value))
    return found


def assert_helm_values_pod_fragments_validate(plan: Plan) -> None:
    releases = plan.by_type(K8S_HELM_RELEASE)
    assert releases
    checked = 0
    for r in releases:
        for fragment in _fragments(reveal(r.input("values")) or {}):
            kubernetes_validate.validate(_pod_with(fragment), cluster_version(plan), strict=True)
            checked += 1
    assert checked >= len(releases)


@pytest.mark.parametrize("platform", PLATFORMS)
def test_helm_values_pod_fragments_validate(platform):
    assert_helm_values_pod_fragments_validate(PLATFORMS[platform]())


def assert_karpenter_objects_match_the_v1_api(plan: Plan) -> None:
    objects = [r for r in plan.custom_resources() if r.type.startswith("kubernetes:karpenter.")]
    assert {r.input("kind") for r in objects} == {"NodePool", "EC2NodeClass"}
    for r in objects:
        schema = SCHEMAS[(r.input("apiVersion"), r.input("kind"))]
        jsonschema.validate(reveal(r.input("spec")), schema)
        assert set(r.inputs) <= {"apiVersion", "kind", "metadata", "spec"}


@pytest.mark.parametrize("platform", AWS_PLATFORMS)
def test_karpenter_objects_match_the_v1_api(platform):
    assert_karpenter_objects_match_the_v1_api(AWS_PLATFORMS[platform]())


def test_schema_catches_a_misspelt_field():
    spec = reveal(aws_dev().by_type(K8S_KARPENTER_NODE_POOL)[0].input("spec"))
    spec["disruption"]["consolidateAftr"] = "5m"
    with pytest.raises(jsonschema.ValidationError, match="consolidateAftr"):
        jsonschema.validate(spec, SCHEMAS[("karpenter.sh/v1", "NodePool")])
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(
            _pod_with({"tolerations": [{"key": "a", "efect": "NoSchedule"}]}), "1.33", strict=True
        )


def test_feature_server_objects_validate_in_prod():
    kinds = {r.input("kind") for r in builtin_objects(aws_prod())}
    assert {"Deployment", "Service", "PodDisruptionBudget"} <= kinds
