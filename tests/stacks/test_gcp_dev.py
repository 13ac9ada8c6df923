"""The gcp-dev stack's choices (stacks/Pulumi.gcp-dev.yaml): the dev platform on GCP, as cheap idle as on AWS."""

from __future__ import annotations

from mlplatform.check import check, load_policy_config
from mlplatform.components.cost.usage import load_usage
from mlplatform.cost import cost_of
from tests.conftest import ROOT, planned


def test_gcp_dev_costs_and_passes_its_policies():
    plan = planned("gcp-dev")
    report = cost_of(plan, load_usage(ROOT / "stacks" / "usage.gcp-dev.yaml"))
    assert report.not_estimated == {}
    pools = [c for c in report.lines if c.estimate.gpu is not None and c.resource.type.startswith("gcp:")]
    assert len(pools) == 2 and all(c.estimate.idle == 0 for c in pools)
    assert report.spot_saving()[1] >= 60
    assert report.total("idle") <= 150
    result = check(plan, load_policy_config(ROOT / "policies" / "config" / "gcp-dev.json"))
    assert result.mandatory == 0, [v.message for v in result.violations]
