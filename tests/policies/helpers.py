"""Building resources and running one rule, directly and through the pack's Pulumi policy object."""

from __future__ import annotations

from typing import Any

from pulumi_policy import PolicyCustomTimeouts, PolicyProviderResource, PolicyResourceOptions, ResourceValidationArgs
from pulumi_policy.proxy import unknown_checking_proxy

from mlplatform.components.base.resources import Resource
from mlplatform.policies.pack import POLICIES, settings
from mlplatform.policies.rules import BY_NAME


def res(type_: str, props: dict[str, Any], name: str = "r", provider: dict | None = None, **kw: Any) -> Resource:
    urn = f"urn:pulumi:dev::proj::{type_}::{name}"
    return Resource(type_, name, unknown_checking_proxy(props), urn, provider_props=provider or {}, **kw)


def messages(rule: str, r: Resource, **config: Any) -> list[str]:
    """What a resource rule says about one resource, with the rule's defaults completed by ``config``."""
    spec = BY_NAME[rule]
    assert spec.check is not None, f"{rule} is a stack rule"
    return list(spec.check(r, settings(spec, config)))


def stack_messages(rule: str, resources: list[Resource], **config: Any) -> list[tuple[str, str | None]]:
    spec = BY_NAME[rule]
    assert spec.stack_check is not None, f"{rule} is a resource rule"
    return list(spec.stack_check(resources, settings(spec, config)))


def through_pack(rule: str, type_: str, props: dict[str, Any], config: dict | None = None, provider=None) -> list[str]:
    """The same check through the Pulumi policy object the CLI runs (args, proxy, report_violation)."""
    policy = next(p for p in POLICIES if p.name == rule)
    found: list[str] = []
    opts = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], None)
    prov = PolicyProviderResource("pulumi:providers:aws", provider or {}, "urn:prov", "default") if provider else None
    args = ResourceValidationArgs(
        type_, unknown_checking_proxy(props), f"urn:pulumi:dev::proj::{type_}::r", "r", opts, prov, config or {}
    )
    policy.validate(args, lambda message, urn=None: found.append(message))
    return found
