"""The Alertmanager configuration the dev stack renders, checked by Alertmanager's own amtool.

GIVEN the kube-prometheus-stack values of the dev stack's Plan (topic ARN resolved by the mocks)
WHEN amtool (Debian's prometheus-alertmanager) checks it and tests the routes of every alert the stack's
PrometheusRules define
THEN the config is valid, each alert reaches the SNS receiver for the stack's alert topic, and the chart's
Watchdog heartbeat does not.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
import yaml

from mlplatform.components.base.types import AWS_SNS_TOPIC, K8S_HELM_RELEASE, K8S_PROMETHEUS_RULE
from mlplatform.plan import reveal
from tests.conftest import planned

pytestmark = pytest.mark.integration

AMTOOL = shutil.which("amtool")


@pytest.fixture
def amtool():
    if AMTOOL is None:
        if os.environ.get("CI"):
            pytest.fail("amtool is missing: .ci/run installs Debian's prometheus-alertmanager")
        pytest.skip("amtool not installed (apt-get install prometheus-alertmanager)")
    return AMTOOL


def test_rendered_alertmanager_config_routes_every_alert_to_the_alert_topic(amtool, tmp_path):
    plan = planned("dev")
    release = plan.one(K8S_HELM_RELEASE, "mlplatform-monitoring-cluster-prometheus")
    config = reveal(release.input("values.alertmanager.config"))
    path = tmp_path / "alertmanager.yaml"
    path.write_text(yaml.safe_dump(config))

    check = subprocess.run([amtool, "check-config", str(path)], capture_output=True, text=True, timeout=60)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "SUCCESS" in check.stdout

    topic = plan.one(AWS_SNS_TOPIC, "mlplatform-monitoring-alerts").output("arn")
    receiver = next(r for r in config["receivers"] if r["name"] == config["route"]["receiver"])
    assert receiver["sns_configs"][0]["topic_arn"] == topic

    rules = [r for pr in plan.by_type(K8S_PROMETHEUS_RULE) for g in reveal(pr.input("spec.groups")) for r in g["rules"]]
    assert {r["alert"] for r in rules} >= {"GPUIdle", "SpotInterruptionsFrequent"}
    for r in [*rules, {"alert": "Watchdog", "labels": {"severity": "none"}}]:
        labels = [f"alertname={r['alert']}", *(f"{k}={v}" for k, v in (r.get("labels") or {}).items())]
        routed = subprocess.run(
            [amtool, "config", "routes", "test", f"--config.file={path}", *labels],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert routed.returncode == 0, routed.stderr
        expected = "null" if r["alert"] == "Watchdog" else receiver["name"]
        assert routed.stdout.strip() == expected, (r["alert"], routed.stdout)
