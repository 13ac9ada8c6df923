"""Monitoring on the Plan: alert topic, dashboard of what exists, budget, anomalies, cluster observability."""

from __future__ import annotations

import json

from mlplatform.components.base.types import (
    AWS_BUDGETS_BUDGET,
    AWS_CLOUDWATCH_DASHBOARD,
    AWS_COSTEXPLORER_ANOMALY_MONITOR,
    AWS_COSTEXPLORER_ANOMALY_SUBSCRIPTION,
    AWS_DYNAMODB_TABLE,
    AWS_EKS_ADDON,
    AWS_EKS_CLUSTER,
    AWS_KMS_KEY,
    AWS_RDS_INSTANCE,
    AWS_SAGEMAKER_ENDPOINT,
    AWS_SAGEMAKER_ENDPOINT_CONFIGURATION,
    AWS_SNS_TOPIC,
    AWS_SNS_TOPIC_POLICY,
    AWS_SNS_TOPIC_SUBSCRIPTION,
    K8S_HELM_RELEASE,
    K8S_PROMETHEUS_RULE,
)
from tests.fixtures import aws_dev, aws_prod


def test_alert_topic_is_encrypted_with_a_key_its_publishers_can_use():
    plan = aws_prod()
    topic = plan.one(AWS_SNS_TOPIC)
    key = plan.one(AWS_KMS_KEY, "mlplatform-monitoring-alerts")
    assert topic.input("kmsMasterKeyId") == key.id
    key_policy = json.loads(key.input("policy"))
    publishers = next(s for s in key_policy["Statement"] if s["Sid"] == "AlertPublishersEncrypt")
    assert set(publishers["Principal"]["Service"]) == {
        "cloudwatch.amazonaws.com",
        "budgets.amazonaws.com",
        "costalerts.amazonaws.com",
        "events.amazonaws.com",  # EventBridge relays Model Monitor findings
    }
    topic_policy = json.loads(plan.one(AWS_SNS_TOPIC_POLICY).input("policy"))
    assert topic_policy["Statement"][0]["Action"] == "sns:Publish"
    subs = {(s.input("protocol"), s.input("endpoint")) for s in plan.by_type(AWS_SNS_TOPIC_SUBSCRIPTION)}
    assert subs == {
        ("email", "ml-platform-alerts@example.com"),
        ("email", "ml-oncall@example.com"),
        ("https", "https://hooks.example.com/alerts/ml-platform"),
    }


def _metric_refs(body: dict) -> list[tuple[str, dict[str, str]]]:
    refs = []
    for w in body["widgets"]:
        for m in w.get("properties", {}).get("metrics", []):
            parts = [p for p in m if isinstance(p, str)]
            refs.append((parts[0], dict(zip(parts[2::2], parts[3::2], strict=True))))
    return refs


def test_dashboard_is_valid_json_and_every_widget_names_a_resource_of_the_stack():
    for plan in (aws_dev(), aws_prod()):
        dashboard = plan.one(AWS_CLOUDWATCH_DASHBOARD)
        body = json.loads(dashboard.input("dashboardBody"))
        assert body["widgets"][0]["type"] == "text"
        endpoints = {e.input("name") for e in plan.by_type(AWS_SAGEMAKER_ENDPOINT)}
        variants = {
            v["variantName"]
            for c in plan.by_type(AWS_SAGEMAKER_ENDPOINT_CONFIGURATION)
            for v in c.input("productionVariants")
        }
        dbs = {d.output("identifier") for d in plan.by_type(AWS_RDS_INSTANCE)}
        tables = {t.input("name") for t in plan.by_type(AWS_DYNAMODB_TABLE)}
        clusters = {c.input("name") for c in plan.by_type(AWS_EKS_CLUSTER)}
        refs = _metric_refs(body)
        assert refs
        for namespace, dims in refs:
            if "EndpointName" in dims:
                assert dims["EndpointName"] in endpoints and dims["VariantName"] in variants
            elif "DBInstanceIdentifier" in dims:
                assert dims["DBInstanceIdentifier"] in dbs
            elif "TableName" in dims:
                assert dims["TableName"] in tables
            elif "ClusterName" in dims:
                assert dims["ClusterName"] in clusters
            else:
                raise AssertionError(f"widget metric without a resource: {namespace} {dims}")
        charted = {d.get("EndpointName") for _, d in refs} | {d.get("TableName") for _, d in refs}
        assert endpoints | tables <= charted, "every endpoint and table has its widgets"
        assert {d["DBInstanceIdentifier"] for _, d in refs if "DBInstanceIdentifier" in d} == dbs


def test_gpu_widgets_only_where_container_insights_collects_them():
    def namespaces(plan):
        body = json.loads(plan.one(AWS_CLOUDWATCH_DASHBOARD).input("dashboardBody"))
        return {ns for ns, _ in _metric_refs(body)}

    assert "ContainerInsights" not in namespaces(aws_dev())
    assert "ContainerInsights" in namespaces(aws_prod())
    addon = next(
        a for a in aws_prod().by_type(AWS_EKS_ADDON) if a.input("addonName") == "amazon-cloudwatch-observability"
    )
    assert addon.input("podIdentityAssociations")[0]["serviceAccount"] == "cloudwatch-agent"
    assert not [
        a for a in aws_dev().by_type(AWS_EKS_ADDON) if a.input("addonName") == "amazon-cloudwatch-observability"
    ]


def test_budget_filters_by_the_stack_tag_and_notifies_at_thresholds():
    plan = aws_dev()
    budget = plan.one(AWS_BUDGETS_BUDGET)
    topic = plan.one(AWS_SNS_TOPIC).output("arn")
    assert budget.input("limitAmount") == "600.00" and budget.input("timeUnit") == "MONTHLY"
    assert budget.input("costFilters") == [{"name": "TagKeyValue", "values": ["user:mlplatform-stack$dev"]}]
    notes = {(n["notificationType"], n["threshold"]) for n in budget.input("notifications")}
    assert notes == {("ACTUAL", 80), ("ACTUAL", 100), ("FORECASTED", 100)}
    for n in budget.input("notifications"):
        assert n["subscriberSnsTopicArns"] == [topic]
        assert n["subscriberEmailAddresses"] == ["ml-platform-alerts@example.com"]
        assert n["comparisonOperator"] == "GREATER_THAN" and n["thresholdType"] == "PERCENTAGE"


def test_cost_anomaly_monitor_watches_the_stack_tag():
    plan = aws_dev()
    monitor = plan.one(AWS_COSTEXPLORER_ANOMALY_MONITOR)
    assert json.loads(monitor.input("monitorSpecification")) == {
        "Tags": {"Key": "mlplatform-stack", "Values": ["dev"], "MatchOptions": ["EQUALS"]}
    }
    subscription = plan.one(AWS_COSTEXPLORER_ANOMALY_SUBSCRIPTION)
    assert subscription.input("monitorArnLists") == [monitor.output("arn")]
    assert subscription.input("subscribers") == [{"type": "SNS", "address": plan.one(AWS_SNS_TOPIC).output("arn")}]
    assert subscription.input("thresholdExpression.dimension.values") == ["50"]


def test_prometheus_sized_by_environment_and_dcgm_only_on_gpu_nodes():
    dev = next(r for r in aws_dev().by_type(K8S_HELM_RELEASE) if r.input("name") == "kube-prometheus-stack")
    prod = next(r for r in aws_prod().by_type(K8S_HELM_RELEASE) if r.input("name") == "kube-prometheus-stack")
    assert dev.input("values.prometheus.prometheusSpec.retention") == "3d"
    assert dev.input("values.prometheus.prometheusSpec.storageSpec") is None
    assert prod.input("values.prometheus.prometheusSpec.retention") == "15d"
    assert prod.input("values.prometheus.prometheusSpec.storageSpec.volumeClaimTemplate.spec.storageClassName") == "gp3"
    assert prod.input("version") == "82.6.0"
    dcgm = next(r for r in aws_dev().by_type(K8S_HELM_RELEASE) if r.input("name") == "dcgm-exporter")
    terms = dcgm.input("values.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms")
    assert terms == [{"matchExpressions": [{"key": "mlplatform.io/gpu", "operator": "Exists"}]}]
    assert dcgm.input("values.tolerations") == [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]


def test_alert_rules_cover_idle_gpus_memory_pressure_and_spot_churn():
    plan = aws_dev()
    rule = plan.one(K8S_PROMETHEUS_RULE, "mlplatform-monitoring-cluster-gpu-rules")
    alerts = {r["alert"]: r for g in rule.input("spec.groups") for r in g["rules"]}
    assert set(alerts) == {"GPUIdle", "GPUMemoryPressure", "SpotInterruptionsFrequent"}
    assert "DCGM_FI_DEV_GPU_UTIL" in alerts["GPUIdle"]["expr"] and alerts["GPUIdle"]["for"] == "30m"
    assert "karpenter_interruption_received_messages_total" in alerts["SpotInterruptionsFrequent"]["expr"]
    monitor = plan.one("kubernetes:monitoring.coreos.com/v1:ServiceMonitor")
    assert monitor.input("spec.namespaceSelector") == {"matchNames": ["kube-system"]}
