"""The pack's Pulumi policy objects, built from the pure rules in ``policies/rules``.

The Pulumi CLI runs them through ``policies/__main__.py`` (``pulumi preview --policy-pack policies``), and
``mlplatform check`` runs these same objects in-process over a Plan. Each policy's settings are the CLI's
policy config for it, completed with the defaults of its JSON schema (the CLI fills them too).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from mlplatform.components.base.resources import Resource

from .rules import RULES, Rule

PACK_NAME = "mlplatform-cost-guardrails"
DEFAULT_ENFORCEMENT = EnforcementLevel.MANDATORY
LEVELS = {level.value: level for level in EnforcementLevel}


def settings(rule: Rule, config: Mapping[str, Any] | None) -> dict[str, Any]:
    return {**rule.defaults(), **dict(config or {})}


def _provider_props(provider: Any) -> Mapping[str, Any]:
    return provider.props if provider is not None else {}


def resource_view(args: ResourceValidationArgs) -> Resource:
    return Resource(
        type=args.resource_type,
        name=args.name,
        urn=args.urn,
        props=args.props,
        parent=args.opts.parent if args.opts is not None else None,
        provider=args.provider.urn if args.provider is not None else None,
        provider_props=_provider_props(args.provider),
    )


class _DependencyUrns(Mapping[str, list[str]]):
    """A resource's property dependencies as URNs, converted only for the properties a rule reads."""

    def __init__(self, deps: Mapping[str, list[PolicyResource]]):
        self._deps = deps

    def __getitem__(self, key: str) -> list[str]:
        return [d.urn for d in self._deps[key]]

    def __iter__(self):
        return iter(self._deps)

    def __len__(self) -> int:
        return len(self._deps)


def stack_view(r: PolicyResource) -> Resource:
    return Resource(
        type=r.resource_type,
        name=r.name,
        urn=r.urn,
        props=r.props,
        parent=r.parent.urn if r.parent is not None else None,
        provider=r.provider.urn if r.provider is not None else None,
        provider_props=_provider_props(r.provider),
        dependencies=tuple(d.urn for d in r.dependencies),
        property_dependencies=_DependencyUrns(r.property_dependencies),
    )


def _metadata(rule: Rule) -> dict[str, Any]:
    """What every policy declares: name, description, enforcement, settings schema, remediation."""
    return {
        "name": rule.name,
        "description": rule.description,
        "enforcement_level": LEVELS[rule.enforcement],
        "config_schema": PolicyConfigSchema(properties=dict(rule.schema), required=list(rule.required) or None),
        "remediation_steps": rule.remediation or None,
    }


def _resource_policy(rule: Rule) -> ResourceValidationPolicy:
    types = frozenset(rule.types)
    check = rule.check
    assert check is not None

    def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
        if types and args.resource_type not in types:
            return
        for message in check(resource_view(args), settings(rule, args.get_config())):
            report(message, None)

    return ResourceValidationPolicy(validate=validate, **_metadata(rule))


def _stack_policy(rule: Rule) -> StackValidationPolicy:
    check = rule.stack_check
    assert check is not None

    def validate(args: StackValidationArgs, report: ReportViolation) -> None:
        resources = [stack_view(r) for r in args.resources]
        for message, urn in check(resources, settings(rule, args.get_config())):
            report(message, urn)

    return StackValidationPolicy(validate=validate, **_metadata(rule))


def build_policies() -> list[ResourceValidationPolicy | StackValidationPolicy]:
    return [_stack_policy(r) if r.is_stack else _resource_policy(r) for r in RULES]


POLICIES = build_policies()
