"""stack-budget-required: the stack contains a monthly cost budget that notifies someone.

AWS: an ``aws:budgets/budget:Budget`` of type COST, time unit MONTHLY, with at least the configured number
of notifications that each have a subscriber (email or SNS). GCP: a ``gcp:billing/budget:Budget`` with
threshold rules and a notification channel or Pub/Sub topic (``allUpdatesRule``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from mlplatform.components.base.resources import Resource, get
from mlplatform.components.base.types import AWS_BUDGETS_BUDGET, GCP_BILLING_BUDGET

from .base import Rule, Settings, items, number


def _aws_problems(r: Resource, needed: float, forecast: bool) -> list[str]:
    problems = []
    if get(r.props, "timeUnit") != "MONTHLY":
        problems.append(f"time unit {get(r.props, 'timeUnit')!r} (MONTHLY required)")
    if get(r.props, "budgetType", "COST") != "COST":
        problems.append(f"type {get(r.props, 'budgetType')!r} (COST required)")
    notified = [
        n
        for n in items(get(r.props, "notifications"))
        if items(get(n, "subscriberEmailAddresses")) or items(get(n, "subscriberSnsTopicArns"))
    ]
    if len(notified) < needed:
        problems.append(f"{len(notified)} notification(s) with a subscriber ({needed:g} required)")
    if forecast and not any(get(n, "notificationType") == "FORECASTED" for n in notified):
        problems.append("no FORECASTED notification (required: warn before the money is spent)")
    return problems


def _gcp_problems(r: Resource, needed: float) -> list[str]:
    problems = []
    thresholds = items(get(r.props, "thresholdRules"))
    if len(thresholds) < needed:
        problems.append(f"{len(thresholds)} threshold rule(s) ({needed:g} required)")
    rule = get(r.props, "allUpdatesRule", {})
    if not (items(get(rule, "monitoringNotificationChannels")) or get(rule, "pubsubTopic")):
        problems.append("no notification channel or Pub/Sub topic in allUpdatesRule")
    return problems


def check_budget(resources: Sequence[Resource], s: Settings) -> Iterator[tuple[str, str | None]]:
    needed = number(s.get("min_notifications"), 1) or 1
    forecast = bool(s.get("require_forecast_notification", True))
    budgets = [r for r in resources if r.type in (AWS_BUDGETS_BUDGET, GCP_BILLING_BUDGET)]
    findings = []
    for r in budgets:
        problems = _aws_problems(r, needed, forecast) if r.type == AWS_BUDGETS_BUDGET else _gcp_problems(r, needed)
        if not problems:
            return  # one good budget is enough
        findings.append((r, problems))
    if not budgets:
        yield (
            "the stack has no monthly cost budget (aws:budgets/budget:Budget or gcp:billing/budget:Budget); required: "
            "one with notifications (Monitoring creates it from the stack's budget settings).",
            None,
        )
    for r, problems in findings:
        yield f"budget '{r.name}' does not notify as required: {'; '.join(problems)}.", r.urn


RULES = [
    Rule(
        name="stack-budget-required",
        description="The stack contains a monthly cost budget with notifications.",
        schema={
            "min_notifications": {
                "type": "integer",
                "minimum": 1,
                "description": "Notifications (AWS) or threshold rules (GCP) the budget must have.",
                "default": 1,
            },
            "require_forecast_notification": {
                "type": "boolean",
                "description": "AWS: one notification must fire on forecast spend.",
                "default": True,
            },
        },
        stack_check=check_budget,
        types=(AWS_BUDGETS_BUDGET, GCP_BILLING_BUDGET),
        remediation="Set the stack's budget (budget.monthly_limit_usd); Monitoring creates the budget and alerts.",
    )
]
