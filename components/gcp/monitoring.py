"""Monitoring (GCP): notification channels, an alert on idle GPUs, a dashboard, a billing budget, and the
in-cluster Prometheus from ``mlplatform.components.k8s.observability``.

- notification channels: an email channel per ``alert_emails``, a webhook per ``alert_https_endpoints``;
  endpoint alert policies (created by each ModelEndpoint) and the budget notify them;
- idle GPUs: GKE reports each node's GPU duty cycle to Cloud Monitoring; a GPU node below 10% for
  ``gpu_idle_minutes`` is money burning and alerts;
- the budget: the billing account's budget filtered to this project and the stack's ``mlplatform-stack``
  label, with the actual and forecast thresholds of the stack spec, notifying the channels;
- a dashboard of GPU duty cycle by node pool, endpoint latency and errors, and Cloud SQL load.

Example::

    from mlplatform.components.gcp import Monitoring, MonitoringArgs

    Monitoring("monitoring", MonitoringArgs(project="ml-dev-123", billing_account="01A2B3-C4D5E6-F7A8B9",
                                            budget={"monthly_limit_usd": 500},
                                            monitoring={"alert_emails": ["ml@example.com"]}))
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_gcp as gcp
import pulumi_kubernetes as k8s
from pydantic import Field

from ..base.cloud import Cloud
from ..base.labels import POOL_LABEL
from ..base.types import MLPLATFORM_GCP_MONITORING
from ..base.values import ComponentArgs, GcpLabels
from ..config import defaults
from ..config.environment import Environment
from ..config.monitoring import BudgetSpec, MonitoringSpec
from ..interfaces import StrInput
from ..k8s.observability import ClusterObservability, ObservabilityArgs


class MonitoredGkeCluster(ComponentArgs):
    cluster_name: StrInput
    """GKE cluster name (the idle-GPU alert's scope). Required."""
    provider: k8s.Provider
    """pulumi_kubernetes Provider of the cluster. Required."""
    gpu_pools: list[str] = []
    """GPU node pool names (dashboard series). Default: none."""
    storage_class: str | None = None
    """StorageClass for Prometheus' volume in prod. Default: none."""


class MonitoringArgs(ComponentArgs):
    _context_cloud = Cloud.GCP

    project: str
    """GCP project id. Required."""
    billing_account: str = Field(pattern=r"^[0-9A-F]{6}-[0-9A-F]{6}-[0-9A-F]{6}$")
    """Billing account the budget belongs to. Required."""
    budget: BudgetSpec
    """Monthly budget and notification thresholds. Required."""
    monitoring: MonitoringSpec = MonitoringSpec()
    """Subscriptions and Prometheus (the stack spec's ``monitoring`` section). Default: see MonitoringSpec."""
    environment: Environment = Environment.DEV
    """dev, staging or prod. Default: dev."""
    stack: str | None = Field(default=None, pattern=r"^[a-z0-9_-]{1,63}$")
    """Value of the stack's cost label (mlplatform-stack) the budget filters on. Default: the Pulumi stack name."""
    cluster: MonitoredGkeCluster | None = None
    """Cluster to observe. Default: none (no GPU alert, no Prometheus)."""
    endpoints: list[str] = []
    """Cloud Run service names to chart. Default: none."""
    databases: Sequence[StrInput] = []
    """Cloud SQL instance names to chart. Default: none."""
    gpu_idle_minutes: int = Field(default=30, ge=5, le=720)
    """How long a GPU node may sit below 10% duty cycle before the alert fires. Default: 30."""
    labels: GcpLabels = {}
    """Labels on channels and policies. Default: none."""


def dashboard_json(title: str, cluster: str | None, endpoints: list[str], databases: list[str]) -> str:
    """A Cloud Monitoring dashboard of what exists: GPU duty cycle, endpoint latency and errors, database load."""

    def chart(name: str, flt: str, aligner: str, reducer: str | None = None, group_by: list[str] | None = None):
        aggregation: dict[str, Any] = {"alignmentPeriod": "60s", "perSeriesAligner": aligner}
        if reducer:
            aggregation.update(crossSeriesReducer=reducer, groupByFields=group_by or [])
        return {
            "title": name,
            "xyChart": {
                "dataSets": [{"timeSeriesQuery": {"timeSeriesFilter": {"filter": flt, "aggregation": aggregation}}}],
                "chartOptions": {"mode": "COLOR"},
            },
        }

    widgets = []
    if cluster:
        widgets.append(
            chart(
                "GPU duty cycle by node pool (%)",
                f'metric.type="kubernetes.io/node/accelerator/duty_cycle" resource.type="k8s_node" '
                f'resource.label."cluster_name"="{cluster}"',
                "ALIGN_MEAN",
                "REDUCE_MEAN",
                [f'metadata.user_labels."{POOL_LABEL}"'],
            )
        )
    for service in endpoints:
        scope = f'resource.type="cloud_run_revision" resource.label."service_name"="{service}"'
        widgets.append(
            chart(
                f"{service}: latency p99 (ms)",
                f'metric.type="run.googleapis.com/request_latencies" {scope}',
                "ALIGN_PERCENTILE_99",
            )
        )
        widgets.append(
            chart(
                f"{service}: requests by status",
                f'metric.type="run.googleapis.com/request_count" {scope}',
                "ALIGN_RATE",
                "REDUCE_SUM",
                ['metric.label."response_code_class"'],
            )
        )
    for db in databases:
        widgets.append(
            chart(
                f"{db}: CPU utilisation",
                'metric.type="cloudsql.googleapis.com/database/cpu/utilization" '
                f'resource.label."database_id"=ends_with("{db}")',
                "ALIGN_MEAN",
            )
        )
    return json.dumps({"displayName": title, "gridLayout": {"columns": "2", "widgets": widgets}})


class Monitoring(pulumi.ComponentResource):
    """Alerts, dashboard and budget for a GCP stack (type ``mlplatform:gcp:Monitoring``).

    Outputs: ``notification_channels`` (ids), ``dashboard_id``, ``budget_name``.
    """

    notification_channels: list[pulumi.Output[str]]
    dashboard_id: pulumi.Output[str]
    budget_name: pulumi.Output[str]

    def __init__(self, name: str, args: MonitoringArgs | dict[str, Any], opts: pulumi.ResourceOptions | None = None):
        args = args if isinstance(args, MonitoringArgs) else MonitoringArgs(**args)
        super().__init__(MLPLATFORM_GCP_MONITORING, name, None, opts)
        # Prometheus on the cluster (monitoring.prometheus): other components add their rules to it.
        self.observability: ClusterObservability | None = None
        child = pulumi.ResourceOptions(parent=self)
        m = args.monitoring
        stack = args.stack or pulumi.get_stack()
        prod = args.environment is Environment.PROD

        targets = [(f"email-{i}", "email", {"email_address": e}, e) for i, e in enumerate(m.alert_emails)] + [
            (f"webhook-{i}", "webhook_tokenauth", {"url": u}, f"webhook {i}")
            for i, u in enumerate(m.alert_https_endpoints)
        ]
        channels = [
            gcp.monitoring.NotificationChannel(
                f"{name}-{suffix}",
                project=args.project,
                display_name=f"mlplatform {stack}: {shown}",
                type=kind,
                labels=settings,
                user_labels=args.labels,
                opts=child,
            )
            for suffix, kind, settings, shown in targets
        ]
        self.notification_channels = [c.id for c in channels]

        cluster = args.cluster
        if cluster is not None:
            gcp.monitoring.AlertPolicy(
                f"{name}-gpu-idle",
                project=args.project,
                display_name=f"mlplatform {stack}: GPU node idle for {args.gpu_idle_minutes} minutes",
                combiner="OR",
                conditions=[
                    gcp.monitoring.AlertPolicyConditionArgs(
                        display_name="GPU duty cycle below 10%",
                        condition_threshold=gcp.monitoring.AlertPolicyConditionConditionThresholdArgs(
                            filter=pulumi.Output.concat(
                                'metric.type = "kubernetes.io/node/accelerator/duty_cycle" '
                                'AND resource.type = "k8s_node" AND resource.labels.cluster_name = "',
                                cluster.cluster_name,
                                '"',
                            ),
                            comparison="COMPARISON_LT",
                            threshold_value=10,
                            duration=f"{args.gpu_idle_minutes * 60}s",
                            aggregations=[
                                gcp.monitoring.AlertPolicyConditionConditionThresholdAggregationArgs(
                                    alignment_period="300s", per_series_aligner="ALIGN_MEAN"
                                )
                            ],
                        ),
                    )
                ],
                notification_channels=self.notification_channels,
                documentation=gcp.monitoring.AlertPolicyDocumentationArgs(
                    content="A GPU node is paid for and unused. Stop the workload holding it, or let the pool "
                    "scale to zero.",
                    mime_type="text/markdown",
                ),
                user_labels=args.labels,
                opts=child,
            )
            if m.prometheus:
                self.observability = ClusterObservability(
                    f"{name}-cluster",
                    ObservabilityArgs(
                        retention_days=m.prometheus_retention_days
                        or defaults.prometheus_retention_days(args.environment),
                        production=prod,
                        storage_class=cluster.storage_class,
                        karpenter=False,
                        dcgm_exporter=False,
                    ),
                    opts=pulumi.ResourceOptions(parent=self, provider=cluster.provider),
                )

        body = pulumi.Output.all(
            cluster=cluster.cluster_name if cluster else None, databases=list(args.databases)
        ).apply(lambda v: dashboard_json(f"mlplatform {stack}", v["cluster"], list(args.endpoints), v["databases"]))
        dashboard = gcp.monitoring.Dashboard(f"{name}-dashboard", project=args.project, dashboard_json=body, opts=child)
        self.dashboard_id = dashboard.id

        project_number = gcp.organizations.get_project_output(project_id=args.project).number
        b = args.budget
        budget = gcp.billing.Budget(
            f"{name}-budget",
            billing_account=args.billing_account,
            display_name=f"mlplatform {stack} monthly"[:60],
            budget_filter=gcp.billing.BudgetBudgetFilterArgs(
                projects=[pulumi.Output.concat("projects/", project_number)],
                labels={"mlplatform-stack": stack},
                calendar_period="MONTH",
            ),
            amount=gcp.billing.BudgetAmountArgs(
                specified_amount=gcp.billing.BudgetAmountSpecifiedAmountArgs(
                    currency_code="USD", units=str(int(b.monthly_limit_usd))
                )
            ),
            threshold_rules=[
                gcp.billing.BudgetThresholdRuleArgs(threshold_percent=p / 100, spend_basis="CURRENT_SPEND")
                for p in b.actual_thresholds_percent
            ]
            + [
                gcp.billing.BudgetThresholdRuleArgs(threshold_percent=p / 100, spend_basis="FORECASTED_SPEND")
                for p in b.forecast_thresholds_percent
            ],
            all_updates_rule=gcp.billing.BudgetAllUpdatesRuleArgs(
                monitoring_notification_channels=self.notification_channels,
                disable_default_iam_recipients=False,
            ),
            opts=child,
        )
        self.budget_name = budget.name
        self.register_outputs(
            {
                "notification_channels": self.notification_channels,
                "dashboard_id": self.dashboard_id,
                "budget_name": self.budget_name,
            }
        )
