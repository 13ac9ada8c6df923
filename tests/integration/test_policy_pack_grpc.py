"""The policy pack as the Pulumi CLI drives it: `policies/__main__.py` started as a process, spoken to over
the analyzer gRPC protocol on 127.0.0.1 (GetAnalyzerInfo, Configure, Analyze, AnalyzeStack).

This is the path `pulumi preview --policy-pack policies` takes, minus the CLI itself (which cannot be
installed here): it proves the pack starts from its own directory as the CLI starts it (tests/integration/
policy_pack.py), advertises its policies and schemas, takes the shipped config, and reports violations through
the SDK's servicer.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator

import pytest
from google.protobuf import empty_pb2, json_format
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

from tests.conftest import ROOT
from tests.integration.policy_pack import LEVELS, MANDATORY, configure, running_pack, struct

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def analyzer() -> Iterator[analyzer_pb2_grpc.AnalyzerStub]:
    # The repository's pack names no virtualenv: the CLI runs it with $PULUMI_PYTHON_CMD, as a user with this
    # repository's environment active would.
    with running_pack(ROOT / "policies", {**os.environ, "PULUMI_PYTHON_CMD": sys.executable}) as stub:
        yield stub


def test_the_pack_advertises_its_policies_and_schemas(analyzer):
    info = analyzer.GetAnalyzerInfo(empty_pb2.Empty())
    assert info.name == "mlplatform-cost-guardrails" and info.supportsConfig
    names = [p.name for p in info.policies]
    assert len(names) == 18 and {
        "gpu-allowlist",
        "stack-cost-ceiling",
        "notebook-culling",
        "ray-worker-limits",
        "serving-scale-to-zero",
        "serving-replica-limits",
    } <= set(names)
    allowlist = next(p for p in info.policies if p.name == "gpu-allowlist")
    schema = json_format.MessageToDict(allowlist.configSchema)
    assert schema["properties"]["allowed_gpus"]["default"] == ["T4", "L4", "A10G"]
    assert allowlist.enforcementLevel == MANDATORY


def test_analyze_reports_an_a100_pool_in_dev(analyzer):
    configure(analyzer, json.loads((ROOT / "policies/config/dev.json").read_text()))
    request = analyzer_pb2.AnalyzeRequest(
        type="aws:eks/nodeGroup:NodeGroup",
        name="train",
        urn="urn:pulumi:dev::ml::aws:eks/nodeGroup:NodeGroup::train",
        properties=struct(
            {
                "instanceTypes": ["p4d.24xlarge"],
                "capacityType": "SPOT",
                "scalingConfig": {"minSize": 0, "maxSize": 1},
                "labels": {"mlplatform.io/gpu-pool": "train"},
                "tags": {"team": "ml", "project": "p", "cost-center": "c", "environment": "dev"},
            }
        ),
    )
    response = analyzer.Analyze(request)
    found = {d.policyName: d for d in response.diagnostics}
    assert set(found) == {"gpu-allowlist"}
    assert "GPU pool 'train' uses p4d.24xlarge (A100) but dev allows T4, L4, A10G." in found["gpu-allowlist"].message
    assert found["gpu-allowlist"].enforcementLevel == MANDATORY


def test_analyze_stack_reports_a_missing_budget(analyzer):
    configure(analyzer, json.loads((ROOT / "policies/config/dev.json").read_text()))
    bucket = analyzer_pb2.AnalyzerResource(
        type="aws:ec2/eip:Eip", name="ip", urn="urn:pulumi:dev::ml::aws:ec2/eip:Eip::ip", properties=struct({})
    )
    response = analyzer.AnalyzeStack(analyzer_pb2.AnalyzeStackRequest(resources=[bucket]))
    assert {d.policyName for d in response.diagnostics} == {"stack-budget-required"}


def test_config_levels_reach_the_pack(analyzer):
    configure(analyzer, {"all": "advisory", "gpu-allowlist": {"allowed_gpus": ["T4"]}})
    request = analyzer_pb2.AnalyzeRequest(
        type="aws:ec2/instance:Instance",
        name="box",
        urn="urn:pulumi:dev::ml::aws:ec2/instance:Instance::box",
        properties=struct(
            {
                "instanceType": "g5.xlarge",
                "instanceMarketOptions": {"marketType": "spot"},
                "metadataOptions": {"httpTokens": "required"},
                "rootBlockDevice": {"encrypted": True},
                "tags": {"team": "ml", "project": "p", "cost-center": "c", "environment": "dev"},
            }
        ),
    )
    levels = {d.policyName: d.enforcementLevel for d in analyzer.Analyze(request).diagnostics}
    assert levels == {"gpu-allowlist": LEVELS["advisory"], "gpu-pools-scale-to-zero": LEVELS["advisory"]}
