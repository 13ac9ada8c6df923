"""What notebooks, Ray clusters, batch jobs and model servers cost, worked out by hand from the catalog and usage.

Built on the dev fixtures of tests/fixtures.py (an L4 pool from zero, a T4 pool that consolidates after 2 minutes,
notebooks culled after the dev default of 1 h, Ray, the nightly L4 batch job, a Triton ranker of at most 2 replicas)
with the usage below; what the shipped stacks cost is tested in tests/stacks.

Prices (catalog of 2025-07-01, us-east-1): g4dn.xlarge (T4) $0.526/h on demand, 70% off on spot; g6.xlarge (L4)
$0.8048/h, 66% off; the GPU node's 100 GB gp3 root volume $8/month; a spot t3a.large system node $0.0752/h less
68%; gp3 volumes $0.08/GB-month. A month is 730 hours.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from mlplatform.components.cost.usage import UsageAssumptions
from mlplatform.cost import cost_of
from mlplatform.plan import Plan
from tests.fixtures import aws_dev, aws_dev_config, changed, gcp_dev, plan_platform

H = 730
DISK = 100 * 0.08 / H
T4_SPOT = 0.526 * 0.30 + DISK
L4_SPOT = 0.8048 * 0.34 + DISK
# Toolchain and serving usage: priced on their own lines, apart from gpu_node_hours.
TOOLCHAIN_USAGE = {
    "notebook_users": 5,
    "notebook_hours": {"experiments": 30, "inference": 10},
    "ray_worker_hours": {"experiments": 10, "inference": 0},
    "batch_run_hours": {"nightly-scores": 0.5},
    "model_server_busy_hours": {"ranker": 30},
}
USAGE = UsageAssumptions.model_validate({"gpu_node_hours": {"inference": 40, "experiments": 20}, **TOOLCHAIN_USAGE})
GCP_USAGE = UsageAssumptions.model_validate({"gpu_node_hours": {"inference": 40, "experiments": 20}})


def variant(change: Callable[[dict], object]) -> Plan:
    """The Plan of the AWS dev fixture with its document changed by ``change``."""
    return plan_platform(changed(aws_dev_config(), change))


def line(report, type_suffix: str):
    wanted = {"Release": "mlplatform-tools-notebooks", "CronJob": "mlplatform-tools-batch-nightly-scores"}
    name = next((n for suffix, n in wanted.items() if type_suffix.endswith(suffix)), None)
    return next(
        c for c in report.lines if c.resource.type.endswith(type_suffix) and (name is None or c.resource.name == name)
    )


def test_a_gpu_notebook_costs_its_hours_plus_the_idle_tail_the_culler_allows():
    hub = line(cost_of(aws_dev(), USAGE), "helm.sh/v3:Release")
    # Idle: five 10 GB homes and the hub's 1 GB database.
    assert hub.estimate.idle == pytest.approx(51 * 0.08)
    # T4: 30 active hours in 3-hour sessions; half are left open and culled after 1 h (+ half the 5-minute
    # period), and every session's node lingers 2 minutes (the pool's consolidateAfter).
    t4_hours = 30 + 10 * 0.5 * (1 + 2.5 / 60) + 10 * 2 / 60
    l4_hours = 10 + (10 / 3) * 0.5 * (1 + 2.5 / 60) + (10 / 3) * 5 / 60
    assert hub.estimate.expected == pytest.approx(51 * 0.08 + t4_hours * T4_SPOT + l4_hours * L4_SPOT)
    assert "a server left open costs $0.18 before the culler stops it" in hub.estimate.explanation


def test_turning_culling_off_prices_the_servers_left_open_for_a_weekend():
    def no_culling(doc):
        doc["notebooks"]["idle_culling"] = False

    on = line(cost_of(aws_dev(), USAGE), "helm.sh/v3:Release").estimate
    off = line(cost_of(variant(no_culling), USAGE), "helm.sh/v3:Release").estimate
    # 5 + 1.67 sessions a month left open now run 48 hours (notebook_forgotten_hours) instead of ~1.
    extra = (10 * 0.5 * T4_SPOT + (10 / 3) * 0.5 * L4_SPOT) * (48 - (1 + 2.5 / 60))
    assert off.expected - on.expected == pytest.approx(extra)
    assert "NOT culled" in off.explanation


def test_the_ray_head_is_attributed_to_the_system_nodes_and_workers_cost_nothing_idle():
    ray = line(cost_of(aws_dev(), USAGE), "ray.io/v1:RayCluster").estimate
    assert ray.idle == 0.0
    # The head requests 0.5 vCPU + the autoscaler's 0.1, and 2 GiB + 0.5 GiB: 31% of a t3a.large (2 vCPU, 8 GiB).
    assert ray.node_share == pytest.approx((2.5 / 8) * 0.0752 * (1 - 0.68) * H)
    assert ray.expected == pytest.approx(10 * T4_SPOT)  # usage: 10 T4 worker-hours, none on L4
    report = cost_of(aws_dev(), USAGE)
    assert report.total("idle") == pytest.approx(sum(c.estimate.idle for c in report.estimated))  # not added again
    assert report.to_dict()["resources"] and any(
        r["type"].endswith("RayCluster") and r["node_share"] > 0 for r in report.to_dict()["resources"]
    )


def test_a_batch_job_costs_its_runs_and_nothing_between_them():
    cron = line(cost_of(aws_dev(), USAGE), "batch/v1:CronJob").estimate
    runs = 365 / 12
    assert cron.idle == cron.peak == 0.0
    assert cron.expected == pytest.approx(runs * (0.5 + 5 / 60) * L4_SPOT)
    suspended = variant(lambda doc: doc["batch"][0].update(suspend=True))
    assert line(cost_of(suspended, USAGE), "batch/v1:CronJob").estimate.expected == 0.0


def test_more_notebook_users_cost_their_home_volumes_idle():
    more = UsageAssumptions.model_validate({**USAGE.model_dump(), "notebook_users": 25})
    hub = line(cost_of(aws_dev(), more), "helm.sh/v3:Release").estimate
    assert hub.idle == pytest.approx((25 * 10 + 1) * 0.08)


def test_gcp_notebooks_are_priced_on_the_gke_pools():
    report = cost_of(gcp_dev(), GCP_USAGE)
    hub = line(report, "helm.sh/v3:Release").estimate
    assert hub.idle == pytest.approx(51 * 0.10)  # pd-balanced homes
    assert "g2-standard-4 spot" in hub.explanation and "n1-standard-4 spot" in hub.explanation
    assert report.spot_saving()[1] >= 60


# --- model servers ------------------------------------------------------------------------------------------------


def _dearest_l4_on_demand(region: str) -> float:
    from mlplatform.components.catalog import load_catalog

    offers = load_catalog().gpu_offerings("aws", region, "L4", 1, "on-demand")
    return max(o.on_demand_usd_hour for o in offers)


def test_a_server_from_zero_costs_nothing_idle_its_busy_hours_expected_and_reports_its_maximum():
    ranker = line(cost_of(aws_dev(), USAGE), "serving.kserve.io/v1beta1:InferenceService").estimate
    assert ranker.idle == ranker.peak == 0.0
    assert ranker.expected == pytest.approx(30 * L4_SPOT)  # usage: 30 busy replica-hours
    # Its maximum (2 replicas) on the dearest type the L4 pool may launch, on demand: inside the pool's peak.
    assert ranker.pool_peak == pytest.approx(2 * (_dearest_l4_on_demand("us-east-1") + DISK) * H, rel=0.01)
    assert "$0 idle: scales to zero" in ranker.explanation
    report = cost_of(aws_dev(), USAGE)
    assert report.total("peak") == pytest.approx(sum(c.estimate.peak for c in report.estimated))  # not added again


def test_a_warm_replica_costs_its_node_share_all_month():
    warm = variant(lambda doc: doc["serving"]["servers"][0].update(min_replicas=1))
    ranker = line(cost_of(warm, USAGE), "serving.kserve.io/v1beta1:InferenceService").estimate
    assert ranker.idle == pytest.approx(H * L4_SPOT)
    assert ranker.expected == pytest.approx((H + 30) * L4_SPOT)


def test_model_servers_cost_nothing_idle_their_control_plane_fits_the_system_nodes():
    report = cost_of(aws_dev(), USAGE)
    serving = [c for c in report.estimated if "serving" in c.resource.name]
    assert serving and sum(c.estimate.idle for c in serving) == 0.0
