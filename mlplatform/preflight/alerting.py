"""Preflight: is every Prometheus alert routed by Alertmanager to a receiver that notifies someone, and may
Alertmanager's identity publish there?"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from mlplatform.components.base.types import (
    AWS_EKS_POD_IDENTITY_ASSOCIATION,
    AWS_KMS_KEY,
    AWS_SNS_TOPIC,
    K8S_HELM_RELEASE,
    K8S_PROMETHEUS_RULE,
)

from ..plan import PlanResource, reveal
from . import data_plane
from .aws_iam import Request
from .core import Context, Finding, Phase, chart_name, rule

_MATCHER = re.compile(r'^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*"?(.*?)"?\s*$')


def _route_matches(route: dict[str, Any], labels: dict[str, str]) -> bool:
    for m in route.get("matchers") or []:
        parsed = _MATCHER.match(m)
        if not parsed:
            return False
        key, op, value = parsed.groups()
        actual = labels.get(key, "")
        ok = {
            "=": actual == value,
            "!=": actual != value,
            "=~": re.fullmatch(value, actual) is not None,
            "!~": re.fullmatch(value, actual) is None,
        }[op]
        if not ok:
            return False
    return True


def route_alert(route: dict[str, Any], labels: dict[str, str]) -> str | None:
    """The receiver Alertmanager picks for an alert: the first matching child route, depth first, else the
    route's own receiver (continue: false, the default)."""
    for child in route.get("routes") or []:
        if _route_matches(child, labels):
            return route_alert({"receiver": route.get("receiver"), **child}, labels)
    return route.get("receiver")


def _alertmanager_can_publish(ctx: Context, release: PlanResource, topic_arn: str) -> str | None:
    """None when the Alertmanager's identity may publish to ``topic_arn`` (and use its key); else why not."""
    namespace = str(reveal(release.input("namespace")))
    sa = str(reveal(release.input("values.alertmanager.serviceAccount.name")) or "")
    assoc = [
        a
        for a in ctx.of_type(AWS_EKS_POD_IDENTITY_ASSOCIATION)
        if reveal(a.input("namespace")) == namespace and reveal(a.input("serviceAccount")) == sa
    ]
    if not assoc:
        return f"no Pod Identity association gives service account {namespace}/{sa} an AWS role"
    role_arn = str(reveal(assoc[0].input("roleArn")))
    acct = data_plane.AwsAccount.of(ctx)
    topic = next((t for t in ctx.of_type(AWS_SNS_TOPIC) if reveal(t.output("arn")) == topic_arn), None)
    calls = [Request("sns:Publish", topic_arn, acct.context())]
    key_id = reveal(topic.input("kmsMasterKeyId")) if topic is not None else None
    key = next(
        (k for k in ctx.of_type(AWS_KMS_KEY) if key_id in (reveal(k.output("keyId")), reveal(k.output("arn")))),
        None,
    )
    if key is not None:
        via = acct.context(**{"kms:ViaService": f"sns.{acct.region}.amazonaws.com"})
        calls.append(Request("kms:GenerateDataKey", str(reveal(key.output("arn"))), via))
    for call in calls:
        decision = acct.decide(call, role_arn)
        if decision is None:
            return f"its role {role_arn} is not one of the stack's"
        if not decision.allowed:
            return f"its role is refused {call.action} on {call.resource}: {decision.reason}"
    return None


@rule(
    "alerts-routed",
    "Checks whether every Prometheus alert the stack defines is routed by Alertmanager to a receiver that "
    "notifies someone, and whether Alertmanager's identity may publish there.",
)
def alerts_routed(ctx: Context) -> Iterator[Finding]:
    alerts = [
        {"alertname": r.get("alert", ""), **(r.get("labels") or {})}
        for pr in ctx.of_type(K8S_PROMETHEUS_RULE)
        for g in reveal(pr.input("spec.groups")) or []
        for r in g.get("rules") or []
        if r.get("alert")
    ]
    if not alerts:
        return
    for rel in ctx.of_type(K8S_HELM_RELEASE):
        if chart_name(rel) != "kube-prometheus-stack":
            continue
        config = reveal(rel.input("values.alertmanager.config")) or {}
        route = config.get("route") or {"receiver": "null"}
        receivers = {r.get("name"): r for r in config.get("receivers") or []}
        for alert in alerts:
            ctx.count("alerts-routed")
            name = route_alert(route, alert)
            target = receivers.get(name) or {}
            if not any(k.endswith("_configs") and target.get(k) for k in target):
                yield Finding(
                    "alerts-routed",
                    Phase.FIRST_DEPLOY,
                    rel.urn,
                    f"alert {alert['alertname']} is routed to receiver {name or 'null'!r}, which has no notification "
                    "config: nobody is told.",
                    "kube-prometheus-stack's default Alertmanager config routes everything to the 'null' receiver",
                )
                continue
            for sns in target.get("sns_configs") or []:
                memo_key = ("can-publish", rel.urn, str(sns.get("topic_arn")))
                if memo_key not in ctx.memo:
                    ctx.memo[memo_key] = _alertmanager_can_publish(ctx, rel, str(sns.get("topic_arn")))
                why = ctx.memo[memo_key]
                if why:
                    yield Finding(
                        "alerts-routed",
                        Phase.FIRST_DEPLOY,
                        rel.urn,
                        f"alert {alert['alertname']} goes to SNS topic {sns.get('topic_arn')}, but Alertmanager "
                        f"cannot publish: {why}.",
                        "Alertmanager's SNS receiver signs with the pod's AWS credentials (SigV4)",
                    )
