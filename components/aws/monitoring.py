"""Monitoring: alerts, a dashboard of what the stack contains, budgets and cost anomalies, cluster observability.

- an encrypted SNS alert topic (a customer-managed key whose policy lets CloudWatch, AWS Budgets and Cost
  Anomaly Detection publish; the AWS-managed SNS key would silently drop their messages) with the spec's email
  and HTTPS subscriptions;
- a CloudWatch dashboard rendered from a jinja2 template with widgets only for resources the stack has:
  endpoints and their variants, GPU pools (when Container Insights is on), the MLflow database, feature tables;
- an AWS Budgets monthly cost budget filtered by the stack's cost-allocation tag, notifying at actual 80% and
  100% and forecast 100% (configurable), and a Cost Anomaly Detection monitor for the stack's tag with an
  immediate subscription to the topic;
- on the cluster: Container Insights (optional, the EKS add-on, through Pod Identity), and Prometheus with the
  DCGM exporter and GPU alert rules (:class:`mlplatform.components.k8s.observability.ClusterObservability`),
  whose Alertmanager publishes to the alert topic (SNS receiver, SigV4 with a Pod Identity role allowed only that
  topic and key).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
from pydantic import Field

from ..base.cloud import Cloud
from ..base.types import MLPLATFORM_AWS_MONITORING
from ..base.values import ComponentArgs
from ..config import defaults
from ..config.environment import Environment
from ..config.monitoring import BudgetSpec, MonitoringSpec
from ..interfaces import StrInput
from ..k8s.observability import ClusterObservability, ObservabilityArgs
from ..templates import render
from . import iam

STACK_TAG = "mlplatform-stack"
CLOUDWATCH_AGENT_POLICY = "arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy"
# Services that publish to the alert topic, and so must be able to use its key.
ALERTMANAGER_SA = "alertmanager"
OBSERVABILITY_NAMESPACE = ObservabilityArgs.model_fields["namespace"].default
# EventBridge relays SageMaker Model Monitor findings (mlplatform.components.aws.model_monitor).
PUBLISHERS = ("cloudwatch.amazonaws.com", "budgets.amazonaws.com", "costalerts.amazonaws.com", "events.amazonaws.com")


class DashboardEndpoint(ComponentArgs):
    name: str
    """SageMaker endpoint name. Required."""
    variants: list[str]
    """Production variant names. Required."""
    serverless: bool = False
    """Serverless endpoint (adds cold-start latency). Default: false."""


class MonitoredCluster(ComponentArgs):
    cluster_name: StrInput
    """EKS cluster name. Required."""
    provider: k8s.Provider
    """pulumi_kubernetes Provider of the cluster. Required."""
    gpu_pools: list[str] = []
    """GPU pool names (dashboard labels). Default: none."""
    karpenter: bool = True
    """The cluster runs Karpenter (scrape it, alert on spot churn). Default: true."""
    storage_class: str | None = None
    """StorageClass for Prometheus' volume in prod. Default: none."""
    nodes: pulumi.Resource | None = None
    """The cluster's system nodes (a NodeGroup): add-ons that run Deployments wait for them. Default: none."""


class MonitoringArgs(ComponentArgs):
    _context_cloud = Cloud.AWS

    region: str
    """AWS region. Required."""
    budget: BudgetSpec
    """Monthly budget and notification thresholds. Required."""
    monitoring: MonitoringSpec = MonitoringSpec()
    """Subscriptions, Prometheus, Container Insights (the stack spec's ``monitoring`` section).
    Default: see MonitoringSpec."""
    environment: Environment = Environment.DEV
    """dev, staging or prod. Default: dev."""
    stack: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.-]{1,100}$")
    """Value of the stack's cost-allocation tag (mlplatform-stack). Default: the Pulumi stack name."""
    endpoints: list[DashboardEndpoint] = []
    """Endpoints to chart. Default: none."""
    cluster: MonitoredCluster | None = None
    """Cluster to observe. Default: none (no cluster observability)."""
    databases: Sequence[StrInput] = []
    """RDS instance identifiers to chart. Default: none."""
    tables: Sequence[StrInput] = []
    """DynamoDB table names to chart. Default: none."""
    tags: dict[str, str] = {}
    """Tags on every resource. Default: none."""


def dashboard_body(
    *,
    title: str,
    region: str,
    endpoints: list[DashboardEndpoint],
    gpu_cluster: str | None,
    gpu_pools: list[str],
    databases: list[str],
    tables: list[str],
) -> str:
    """The dashboard JSON, minified and checked to parse."""
    text = render(
        "dashboard.json.j2",
        title=title,
        subtitle="Managed by mlplatform: widgets for what this stack contains.",
        region=region,
        endpoints=[e.model_dump() for e in endpoints],
        gpu_cluster=gpu_cluster,
        gpu_pools=gpu_pools,
        databases=databases,
        tables=tables,
    )
    return json.dumps(json.loads(text), separators=(",", ":"))


class Monitoring(pulumi.ComponentResource):
    """Alert topic, dashboard, budget, anomaly detection, cluster observability (``mlplatform:aws:Monitoring``).

    Outputs: ``alert_topic_arn``, ``dashboard_name``, ``budget_name``.
    """

    alert_topic_arn: pulumi.Output[str]
    dashboard_name: pulumi.Output[str]
    budget_name: pulumi.Output[str]

    def __init__(self, name: str, args: MonitoringArgs | dict[str, Any], opts: pulumi.ResourceOptions | None = None):
        args = args if isinstance(args, MonitoringArgs) else MonitoringArgs(**args)
        super().__init__(MLPLATFORM_AWS_MONITORING, name, None, opts)
        # Prometheus on the cluster (monitoring.prometheus): other components add their rules to it.
        self.observability: ClusterObservability | None = None
        stack = args.stack or pulumi.get_stack()
        account = aws.get_caller_identity().account_id
        child = pulumi.ResourceOptions(parent=self)
        m, b = args.monitoring, args.budget

        topic = self._alert_topic(name, args, account)
        self.alert_topic_arn = topic.arn
        for i, email in enumerate(m.alert_emails):
            aws.sns.TopicSubscription(
                f"{name}-email-{i}", topic=topic.arn, protocol="email", endpoint=email, opts=child
            )
        for i, url in enumerate(m.alert_https_endpoints):
            aws.sns.TopicSubscription(
                f"{name}-https-{i}",
                topic=topic.arn,
                protocol="https",
                endpoint=url,
                endpoint_auto_confirms=False,
                opts=child,
            )

        # --- cost: budget and anomaly detection, both scoped by the stack's cost-allocation tag ---
        def notification(kind: str, threshold: int) -> aws.budgets.BudgetNotificationArgs:
            return aws.budgets.BudgetNotificationArgs(
                notification_type=kind,
                comparison_operator="GREATER_THAN",
                threshold=float(threshold),
                threshold_type="PERCENTAGE",
                subscriber_email_addresses=list(m.alert_emails) or None,
                subscriber_sns_topic_arns=[topic.arn],
            )

        budget = aws.budgets.Budget(
            f"{name}-monthly",
            name=f"mlplatform-{stack}-monthly",
            budget_type="COST",
            limit_amount=f"{b.monthly_limit_usd:.2f}",
            limit_unit="USD",
            time_unit="MONTHLY",
            cost_filters=[aws.budgets.BudgetCostFilterArgs(name="TagKeyValue", values=[f"user:{STACK_TAG}${stack}"])],
            notifications=[notification("ACTUAL", t) for t in b.actual_thresholds_percent]
            + [notification("FORECASTED", t) for t in b.forecast_thresholds_percent],
            tags=args.tags,
            opts=child,
        )
        self.budget_name = budget.name
        monitor = aws.costexplorer.AnomalyMonitor(
            f"{name}-anomalies",
            name=f"mlplatform-{stack}",
            monitor_type="CUSTOM",
            monitor_specification=json.dumps(
                {"Tags": {"Key": STACK_TAG, "Values": [stack], "MatchOptions": ["EQUALS"]}}
            ),
            tags=args.tags,
            opts=child,
        )
        aws.costexplorer.AnomalySubscription(
            f"{name}-anomalies",
            name=f"mlplatform-{stack}",
            frequency="IMMEDIATE",  # immediate alerts go to SNS only
            monitor_arn_lists=[monitor.arn],
            subscribers=[aws.costexplorer.AnomalySubscriptionSubscriberArgs(type="SNS", address=topic.arn)],
            threshold_expression=aws.costexplorer.AnomalySubscriptionThresholdExpressionArgs(
                dimension=aws.costexplorer.AnomalySubscriptionThresholdExpressionDimensionArgs(
                    key="ANOMALY_TOTAL_IMPACT_ABSOLUTE",
                    match_options=["GREATER_THAN_OR_EQUAL"],
                    values=[f"{b.anomaly_threshold_usd:g}"],
                )
            ),
            tags=args.tags,
            opts=child,
        )

        # --- the cluster ---
        insights = (
            m.container_insights if m.container_insights is not None else defaults.container_insights(args.environment)
        )
        insights = insights and args.cluster is not None
        if args.cluster is not None:
            cluster = args.cluster
            if insights:
                agent = iam.role(
                    f"{name}-cloudwatch-agent",
                    iam.pod_identity_trust(),
                    parent=self,
                    tags=args.tags,
                    description="CloudWatch agent (Container Insights)",
                    managed_policies=(CLOUDWATCH_AGENT_POLICY,),
                )
                aws.eks.Addon(
                    f"{name}-container-insights",
                    cluster_name=cluster.cluster_name,
                    addon_name="amazon-cloudwatch-observability",
                    pod_identity_associations=[
                        aws.eks.AddonPodIdentityAssociationArgs(role_arn=agent.arn, service_account="cloudwatch-agent")
                    ],
                    resolve_conflicts_on_create="OVERWRITE",
                    resolve_conflicts_on_update="OVERWRITE",
                    tags=args.tags,
                    # The add-on is ACTIVE only once its pods run: on a cluster with no nodes it never is.
                    opts=pulumi.ResourceOptions(parent=self, depends_on=[cluster.nodes] if cluster.nodes else []),
                )
            if m.prometheus:
                prod = args.environment is Environment.PROD
                identity = self._alertmanager_identity(name, args, topic)
                self.observability = ClusterObservability(
                    f"{name}-cluster",
                    ObservabilityArgs(
                        retention_days=m.prometheus_retention_days
                        or defaults.prometheus_retention_days(args.environment),
                        production=prod,
                        storage_class=cluster.storage_class,
                        karpenter=cluster.karpenter,
                        # GPU-idle and spot alerts reach the same topic (and subscribers) as the CloudWatch alarms.
                        alert_receiver={
                            "sns_configs": [
                                {
                                    "topic_arn": topic.arn,
                                    "sigv4": {"region": args.region},
                                    "subject": "[{{ .Status | toUpper }}] {{ .CommonLabels.alertname }}",
                                    "send_resolved": True,
                                }
                            ]
                        },
                        alertmanager_service_account=ALERTMANAGER_SA,
                    ),
                    opts=pulumi.ResourceOptions(parent=self, provider=cluster.provider, depends_on=[identity]),
                )

        # --- the dashboard: rendered from what exists ---
        gpu_cluster = args.cluster.cluster_name if insights and args.cluster and args.cluster.gpu_pools else None
        body = pulumi.Output.all(
            gpu_cluster=gpu_cluster, databases=list(args.databases), tables=list(args.tables)
        ).apply(
            lambda v: dashboard_body(
                title=f"mlplatform {stack}",
                region=args.region,
                endpoints=list(args.endpoints),
                gpu_cluster=v["gpu_cluster"],
                gpu_pools=list(args.cluster.gpu_pools) if args.cluster else [],
                databases=v["databases"],
                tables=v["tables"],
            )
        )
        dashboard = aws.cloudwatch.Dashboard(
            f"{name}-dashboard", dashboard_name=f"mlplatform-{stack}", dashboard_body=body, opts=child
        )
        self.dashboard_name = dashboard.dashboard_name
        self.register_outputs(
            {
                "alert_topic_arn": self.alert_topic_arn,
                "dashboard_name": self.dashboard_name,
                "budget_name": self.budget_name,
            }
        )

    def _alertmanager_identity(self, name: str, args: MonitoringArgs, topic: aws.sns.Topic) -> pulumi.Resource:
        """Alertmanager publishes to the alert topic (and encrypts with its key) through EKS Pod Identity."""
        assert args.cluster is not None
        _, identity = iam.pod_identity_role(
            f"{name}-alertmanager",
            cluster_name=args.cluster.cluster_name,
            namespace=OBSERVABILITY_NAMESPACE,
            service_account=ALERTMANAGER_SA,
            parent=self,
            tags=args.tags,
            description="Alertmanager: publish cluster alerts to the stack's alert topic",
            inline={
                "publish": iam.document(
                    {"Sid": "PublishAlerts", "Effect": "Allow", "Action": "sns:Publish", "Resource": topic.arn},
                    {
                        # SNS encrypts with the topic's key on the publisher's behalf.
                        "Sid": "UseTopicKey",
                        "Effect": "Allow",
                        "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
                        "Resource": self._alert_key.arn,
                        "Condition": {"StringEquals": {"kms:ViaService": f"sns.{args.region}.amazonaws.com"}},
                    },
                )
            },
        )
        return identity

    def _alert_topic(self, name: str, args: MonitoringArgs, account: str) -> aws.sns.Topic:
        child = pulumi.ResourceOptions(parent=self)
        key = aws.kms.Key(
            f"{name}-alerts",
            description="Alert topic encryption; usable by the AWS services that publish alerts",
            enable_key_rotation=True,
            deletion_window_in_days=7,
            policy=iam.document(
                {
                    "Sid": "AccountAdministers",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                    "Action": "kms:*",
                    "Resource": "*",
                },
                {
                    "Sid": "AlertPublishersEncrypt",
                    "Effect": "Allow",
                    "Principal": {"Service": list(PUBLISHERS)},
                    "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
                    "Resource": "*",
                    "Condition": {"StringEquals": {"aws:SourceAccount": account}},
                },
            ),
            tags=args.tags,
            opts=child,
        )
        self._alert_key = key
        topic = aws.sns.Topic(f"{name}-alerts", kms_master_key_id=key.id, tags=args.tags, opts=child)
        aws.sns.TopicPolicy(
            f"{name}-alerts",
            arn=topic.arn,
            policy=iam.document(
                {
                    "Sid": "AlertPublishers",
                    "Effect": "Allow",
                    "Principal": {"Service": list(PUBLISHERS)},
                    "Action": "sns:Publish",
                    "Resource": topic.arn,
                    "Condition": {"StringEquals": {"aws:SourceAccount": account}},
                },
                {
                    "Sid": "DenyInsecureTransport",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "sns:Publish",
                    "Resource": topic.arn,
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                },
            ),
            opts=child,
        )
        return topic
