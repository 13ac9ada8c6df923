"""stack-budget-required: the stack contains a monthly cost budget that notifies someone, and is no lower than
what the stack costs idle.

AWS: an ``aws:budgets/budget:Budget`` of type COST, time unit MONTHLY, with at least the configured number
of notifications that each have a subscriber (email or SNS). GCP: a ``gcp:billing/budget:Budget`` with
threshold rules and a notification channel or Pub/Sub topic (``allUpdatesRule``). On both, the budget's amount
(the stack's ``budget.monthly_limit_usd``) must cover the idle cost (the cost model, everything at its minimum and
no traffic): a budget below it alerts every month before anything has run, and alerts nobody reads are no guard.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace

from mlplatform.components.base.resources import Resource, get
from mlplatform.components.base.types import AWS_BUDGETS_BUDGET, GCP_BILLING_BUDGET
from mlplatform.components.cost.estimate import CostContext, money
from mlplatform.components.cost.estimators import estimate_all

from .base import Rule, Settings, items, number
from .cost import pricing_region


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
            findings = []  # one budget that notifies is enough
            break
        findings.append((r, problems))
    if not budgets:
        yield (
            "the stack has no monthly cost budget (aws:budgets/budget:Budget or gcp:billing/budget:Budget); required: "
            "one with notifications (Monitoring creates it from the stack's budget settings).",
            None,
        )
    for r, problems in findings:
        yield f"budget '{r.name}' does not notify as required: {'; '.join(problems)}.", r.urn
    yield from _below_idle(resources, budgets, s)


def _amount(r: Resource) -> float | None:
    if r.type == AWS_BUDGETS_BUDGET:
        return number(get(r.props, "limitAmount"))
    return number(get(r.props, "amount.specifiedAmount.units"))


def _below_idle(
    resources: Sequence[Resource], budgets: Sequence[Resource], s: Settings
) -> Iterator[tuple[str, str | None]]:
    """A budget whose amount is under the stack's idle cost (only known once the stack is priced)."""
    amounts = [(r, _amount(r)) for r in budgets]
    amounts = [(r, a) for r, a in amounts if a is not None]
    if not amounts:
        return
    records = [replace(r, id=get(r.props, "id")) for r in resources]  # the cost model matches by provider id
    priced = estimate_all(records, CostContext(region=pricing_region(resources, s)))
    idle = sum(e.idle for _, e in priced if e.known)
    for r, amount in amounts:
        if amount < idle:
            yield (
                f"budget.monthly_limit_usd must be at least the stack's idle cost ({money(idle)} a month with nothing "
                f"running), or budget '{r.name}' alerts every month before anything has run: got {money(amount)}.",
                r.urn,
            )


RULES = [
    Rule(
        name="stack-budget-required",
        description="The stack contains a monthly cost budget with notifications, at least its idle cost.",
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
