"""Stack policies: storage-lifecycle, network-cost, stack-budget-required, stack-cost-ceiling."""

from __future__ import annotations

import pytest

from mlplatform.check import check
from tests.fixtures import aws_dev_config, plan_platform, with_sections
from tests.policies.helpers import res, stack_messages

BUCKET = "aws:s3/bucket:Bucket"
LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"


def bucket(name="lake-raw"):
    return res(BUCKET, {"bucket": f"{name}-123", "tags": {}}, name=name)


def lifecycle(b, abort_days=7, by="dependency", status="Enabled"):
    rule = {"id": "tiering", "status": status, "transitions": [{"days": 30, "storageClass": "INTELLIGENT_TIERING"}]}
    if abort_days is not None:
        rule["abortIncompleteMultipartUpload"] = {"daysAfterInitiation": abort_days}
    props = {"bucket": f"{b.name}-123" if by == "name" else "resolved-later", "rules": [rule]}
    deps = {"bucket": [b.urn]} if by == "dependency" else {}
    return res(LIFECYCLE, props, name=f"{b.name}-lifecycle", property_dependencies=deps)


# --- storage-lifecycle ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("by", ["dependency", "name"])
def test_s3_bucket_with_lifecycle_and_abort_passes(by):
    b = bucket()
    assert stack_messages("storage-lifecycle", [b, lifecycle(b, by=by)]) == []


@pytest.mark.parametrize(
    "make,fragment",
    [
        (lambda b: [b], "has no lifecycle rules"),
        (lambda b: [b, lifecycle(b, abort_days=None)], "aborts incomplete multipart uploads after none"),
        (lambda b: [b, lifecycle(b, abort_days=30)], "after 30 days; required: within 7 days"),
        (lambda b: [b, lifecycle(b, status="Disabled")], "after none"),
    ],
    ids=["no lifecycle", "no abort rule", "abort too late", "rule disabled"],
)
def test_s3_bucket_lifecycle_findings(make, fragment):
    b = bucket()
    found = stack_messages("storage-lifecycle", make(b))
    assert len(found) == 1 and fragment in found[0][0] and found[0][1] == b.urn


def test_exempt_buckets_and_gcs_buckets():
    assert stack_messages("storage-lifecycle", [bucket("scratch")], exempt_buckets=["scratch*"]) == []
    good = res(
        "gcp:storage/bucket:Bucket",
        {"lifecycleRules": [{"action": {"type": "AbortIncompleteMultipartUpload"}, "condition": {"age": 3}}]},
    )
    assert stack_messages("storage-lifecycle", [good]) == []
    bare = res("gcp:storage/bucket:Bucket", {"lifecycleRules": []})
    assert "no lifecycle rules" in stack_messages("storage-lifecycle", [bare])[0][0]
    delete_only = res(
        "gcp:storage/bucket:Bucket", {"lifecycleRules": [{"action": {"type": "Delete"}, "condition": {"age": 90}}]}
    )
    assert "after none" in stack_messages("storage-lifecycle", [delete_only])[0][0]


def test_log_retention():
    log = "aws:cloudwatch/logGroup:LogGroup"
    assert stack_messages("storage-lifecycle", [res(log, {"retentionInDays": 14})], max_log_retention_days=30) == []
    forever = stack_messages("storage-lifecycle", [res(log, {})])
    assert "keeps logs forever" in forever[0][0]
    long = stack_messages("storage-lifecycle", [res(log, {"retentionInDays": 365})], max_log_retention_days=30)
    assert "keeps logs 365 days; allowed: at most 30 days" in long[0][0]


def test_athena_scan_cutoff():
    wg = "aws:athena/workgroup:Workgroup"
    ten_gib = 10 * 1024**3
    good = res(wg, {"configuration": {"bytesScannedCutoffPerQuery": ten_gib, "enforceWorkgroupConfiguration": True}})
    assert stack_messages("storage-lifecycle", [good], max_bytes_scanned_per_query=ten_gib) == []
    none = stack_messages("storage-lifecycle", [res(wg, {"configuration": {}})])
    assert "no bytesScannedCutoffPerQuery" in none[0][0]
    big = res(wg, {"configuration": {"bytesScannedCutoffPerQuery": 2 * ten_gib}})
    assert (
        "scan 20 GiB; allowed: at most 10 GiB"
        in stack_messages("storage-lifecycle", [big], max_bytes_scanned_per_query=ten_gib)[0][0]
    )
    loose = res(wg, {"configuration": {"bytesScannedCutoffPerQuery": ten_gib, "enforceWorkgroupConfiguration": False}})
    assert "override its settings" in stack_messages("storage-lifecycle", [loose])[0][0]


# --- network-cost ---------------------------------------------------------------------------------------------------


def nat(name, connectivity="public"):
    return res("aws:ec2/natGateway:NatGateway", {"connectivityType": connectivity}, name=name)


def test_one_nat_gateway_passes_the_second_fails():
    assert stack_messages("network-cost", [nat("a")]) == []
    assert stack_messages("network-cost", [nat("a"), nat("private", "private")]) == []
    found = stack_messages("network-cost", [nat("a"), nat("b"), nat("c")])
    assert [urn.rsplit("::", 1)[-1] for _, urn in found] == ["b", "c"]
    assert "number 2 of 3" in found[0][0] and "at most 1" in found[0][0]
    assert stack_messages("network-cost", [nat("a"), nat("b")], max_nat_gateways=2) == []
    cloud_nat = [res("gcp:compute/routerNat:RouterNat", {}, name=n) for n in ("x", "y")]
    assert len(stack_messages("network-cost", cloud_nat)) == 1


# --- stack-budget-required ------------------------------------------------------------------------------------------


def aws_budget(notifications=None, time_unit="MONTHLY", limit="600"):
    if notifications is None:
        notifications = [
            {"notificationType": "ACTUAL", "threshold": 80, "subscriberEmailAddresses": ["a@example.com"]},
            {"notificationType": "FORECASTED", "threshold": 100, "subscriberSnsTopicArns": ["arn:aws:sns:x"]},
        ]
    return res(
        "aws:budgets/budget:Budget",
        {"budgetType": "COST", "timeUnit": time_unit, "limitAmount": limit, "notifications": notifications},
        name="budget",
    )


def test_a_monthly_budget_with_notifications_passes():
    assert stack_messages("stack-budget-required", [bucket(), aws_budget()]) == []


def test_no_budget_or_a_silent_one_fails():
    none = stack_messages("stack-budget-required", [bucket()])
    assert len(none) == 1 and none[0][1] is None and "no monthly cost budget" in none[0][0]
    silent = stack_messages("stack-budget-required", [aws_budget(notifications=[])])
    assert "0 notification(s) with a subscriber" in silent[0][0]
    yearly = stack_messages("stack-budget-required", [aws_budget(time_unit="ANNUALLY")])
    assert "MONTHLY required" in yearly[0][0]
    actual_only = aws_budget(
        notifications=[{"notificationType": "ACTUAL", "threshold": 80, "subscriberEmailAddresses": ["a@example.com"]}]
    )
    assert "no FORECASTED notification" in stack_messages("stack-budget-required", [actual_only])[0][0]
    assert stack_messages("stack-budget-required", [actual_only], require_forecast_notification=False) == []
    assert (
        "2 required"
        in stack_messages(
            "stack-budget-required", [actual_only], min_notifications=2, require_forecast_notification=False
        )[0][0]
    )


def test_gcp_budget():
    good = res(
        "gcp:billing/budget:Budget",
        {"thresholdRules": [{"thresholdPercent": 0.8}], "allUpdatesRule": {"monitoringNotificationChannels": ["c"]}},
    )
    assert stack_messages("stack-budget-required", [good]) == []
    mute = res("gcp:billing/budget:Budget", {"thresholdRules": [{"thresholdPercent": 0.8}], "allUpdatesRule": {}})
    assert "no notification channel" in stack_messages("stack-budget-required", [mute])[0][0]


def test_a_budget_below_the_idle_cost_fails():
    # GIVEN a NAT gateway (about $33 a month idle) WHEN the budget is $20 THEN it would alert every month
    found = stack_messages("stack-budget-required", [nat("a"), aws_budget(limit="20")])
    assert len(found) == 1 and found[0][1] and found[0][1].endswith("::budget")
    assert found[0][0].startswith("budget.monthly_limit_usd must be at least the stack's idle cost ($32.")
    assert found[0][0].endswith("got $20.00.")
    assert stack_messages("stack-budget-required", [nat("a"), aws_budget(limit="40")]) == []
    gcp = res(
        "gcp:billing/budget:Budget",
        {
            "thresholdRules": [{"thresholdPercent": 0.8}],
            "allUpdatesRule": {"monitoringNotificationChannels": ["c"]},
            "amount": {"specifiedAmount": {"units": "10"}},
        },
    )
    assert "got $10.00" in stack_messages("stack-budget-required", [nat("a"), gcp])[0][0]


def test_a_fixture_stack_with_a_budget_below_its_idle_cost_fails_the_check():
    # GIVEN the dev fixture with a $50 budget WHEN it is planned and checked THEN the budget rule names the key,
    # the amount and the idle cost
    plan = plan_platform(with_sections(aws_dev_config(), budget={"monthly_limit_usd": 50}))
    report = check(plan, {"all": "mandatory"})
    found = [v.message for v in report.violations if v.policy == "stack-budget-required"]
    assert len(found) == 1, found
    assert found[0].startswith("budget.monthly_limit_usd must be at least the stack's idle cost ($")
    assert found[0].endswith("got $50.00.")
    idle = float(found[0].split("($", 1)[1].split(" ", 1)[0].replace(",", ""))
    assert idle > 50


# --- stack-cost-ceiling ---------------------------------------------------------------------------------------------


def gpu_group(high):
    return res(
        "aws:eks/nodeGroup:NodeGroup",
        {
            "instanceTypes": ["g5.xlarge"],
            "capacityType": "ON_DEMAND",
            "diskSize": 20,
            "scalingConfig": {"minSize": 0, "desiredSize": 0, "maxSize": high},
        },
        name="gpu",
        provider={"region": "us-east-1"},
    )


def test_peak_under_the_ceiling_passes_over_fails():
    # Peak: 10 x g5.xlarge on demand all month = 10 x 730 h x ($1.006 + 20 GB x $0.08 / 730) = $7,359.80.
    assert stack_messages("stack-cost-ceiling", [gpu_group(10)], max_monthly_usd=7400) == []
    found = stack_messages("stack-cost-ceiling", [gpu_group(10)], max_monthly_usd=7000)
    assert len(found) == 1 and "$7,359.80, over the ceiling of $7,000.00" in found[0][0]


def test_unbounded_capacity_fails_whatever_the_ceiling():
    pool = res(
        "kubernetes:karpenter.sh/v1:NodePool",
        {
            "spec": {
                "template": {
                    "spec": {
                        "requirements": [
                            {"key": "node.kubernetes.io/instance-type", "operator": "In", "values": ["g5.xlarge"]}
                        ]
                    }
                }
            }
        },
        name="gpu",
    )
    found = stack_messages("stack-cost-ceiling", [pool], max_monthly_usd=1e9)
    assert len(found) == 1 and "unbounded" in found[0][0] and found[0][1] == pool.urn


def test_idle_ceiling_and_region_from_the_provider():
    eks = res("aws:eks/cluster:Cluster", {}, name="eks", provider={"region": "eu-west-1"})
    nat_gw = res("aws:ec2/natGateway:NatGateway", {}, name="nat", provider={"region": "eu-west-1"})
    # eu-west-1: $73.00 (control plane) + 730 h x $0.048 (NAT gateway) = $108.04 idle.
    found = stack_messages("stack-cost-ceiling", [eks, nat_gw], max_monthly_usd=1000, max_idle_monthly_usd=100)
    assert len(found) == 1 and "$108.04 a month idle, over the ceiling of $100.00" in found[0][0]
