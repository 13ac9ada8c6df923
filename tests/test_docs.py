"""The README is the user's reference: it must document every stack configuration key the code accepts."""

from __future__ import annotations

import pytest

from mlplatform.components import gcp
from mlplatform.components.aws import (
    DataLakeArgs,
    FeatureStoreArgs,
    GpuClusterArgs,
    MlflowTrackingArgs,
    ModelEndpointArgs,
    MonitoringArgs,
    NetworkArgs,
)
from mlplatform.components.aws.model_monitor import ModelMonitorArgs
from mlplatform.components.aws.workload_role import WorkloadRoleArgs
from mlplatform.components.config.loader import describe_fields
from mlplatform.components.config.platform import PlatformSpec
from mlplatform.components.gcp.workload_identity import WorkloadIdentityArgs
from mlplatform.components.k8s.batch_inference import BatchInferenceArgs
from mlplatform.components.k8s.drift_monitor import DriftMonitorArgs
from mlplatform.components.k8s.kserve import KServeArgs
from mlplatform.components.k8s.model_server import ModelServerArgs
from mlplatform.components.k8s.notebooks import NotebooksArgs
from mlplatform.components.k8s.ray import RayClusterArgs
from mlplatform.components.k8s.request_log import RequestLogSinkArgs
from tests.conftest import ROOT


def test_readme_first_screen_has_the_two_commands():
    first_screen = "\n".join((ROOT / "README.md").read_text().splitlines()[:15])
    assert "make plan" in first_screen and "make test" in first_screen


def test_readme_documents_every_configuration_key():
    readme = (ROOT / "README.md").read_text()
    missing = [path for path, _ in describe_fields(PlatformSpec) if f"`{path}`" not in readme]
    assert not missing, f"README lacks these mlplatform:platform keys: {missing}"


SPEC_SECTIONS = (
    "cluster.",
    "lake.",
    "store.",
    "mlflow.",
    "endpoint.",
    "budget.",
    "monitoring.",
)  # documented once, in the configuration reference


@pytest.mark.parametrize(
    "model",
    [
        NetworkArgs,
        GpuClusterArgs,
        DataLakeArgs,
        FeatureStoreArgs,
        MlflowTrackingArgs,
        ModelEndpointArgs,
        MonitoringArgs,
        gcp.NetworkArgs,
        gcp.GpuClusterArgs,
        gcp.DataLakeArgs,
        gcp.FeatureStoreArgs,
        gcp.MlflowTrackingArgs,
        gcp.ModelEndpointArgs,
        gcp.MonitoringArgs,
        WorkloadRoleArgs,
        WorkloadIdentityArgs,
        NotebooksArgs,
        RayClusterArgs,
        BatchInferenceArgs,
        ModelMonitorArgs,
        KServeArgs,
        ModelServerArgs,
        RequestLogSinkArgs,
        DriftMonitorArgs,
    ],
    ids=lambda m: f"{m.__module__.split('.')[2]}.{m.__name__}",
)
def test_readme_documents_every_component_arg(model):
    readme = (ROOT / "README.md").read_text()
    cloud = model.__module__.split(".")[2]  # mlplatform.components.aws.network -> aws
    start = readme.index(f"(`mlplatform:{cloud}:{model.__name__.removesuffix('Args')}`)")
    end = readme.find("\n### ", start)
    section = readme[start : end if end != -1 else None]
    missing = [
        path for path, _ in describe_fields(model) if not path.startswith(SPEC_SECTIONS) and f"`{path}`" not in section
    ]
    assert not missing, f"README lacks these {model.__name__} fields: {missing}"


def test_readme_documents_every_usage_assumption():
    from mlplatform.components.cost.usage import UsageAssumptions

    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("### Usage assumptions") :]
    missing = [path for path, _ in describe_fields(UsageAssumptions) if f"| `{path}` |" not in section]
    assert not missing, f"README lacks these usage keys: {missing}"


def test_readme_documents_every_policy_and_setting():
    from mlplatform.policies.rules import RULES

    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Policy pack") : readme.index("## Stack configuration reference")]
    for rule in RULES:
        row = next((line for line in section.splitlines() if line.startswith(f"| `{rule.name}` |")), None)
        assert row, f"README lacks policy {rule.name}"
        missing = [k for k in rule.schema if f"`{k}`" not in row]
        assert not missing, f"README lacks settings of {rule.name}: {missing}"
