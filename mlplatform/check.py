"""Run the policy pack over a Plan offline, as the Pulumi CLI would run it during `pulumi preview`.

The pack's own policy objects (``mlplatform.policies.pack.POLICIES``) are evaluated in-process:

- configuration as the CLI resolves it: each policy's settings start from its schema's defaults, then the
  config file's ``all`` (an enforcement level) and per-policy entry (a level, or an object with
  ``enforcementLevel`` and settings); the result is validated against the policy's JSON schema. Precedence of
  levels: the policy's entry, then ``all``, then the policy's own level, then the pack's;
- resource policies see every custom resource (providers included) with its inputs, options and provider;
  stack policies see every resource of the stack (components too) with its outputs, parent and dependencies;
- a rule that reads a value unknown during preview is reported as advisory ("can't be known during
  preview"), as the CLI does; a policy may declare itself not applicable.

Example::

    plan = engine.run("path/to/program", stack="dev")
    report = check(plan, load_policy_config(Path("policies/config/dev.json")))
    assert report.mandatory == 0, report.violations
"""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyCustomTimeouts,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.policy import _NotApplicableError
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError, unknown_checking_proxy

from .engine import collector_for_bulk_work
from .plan import Plan, PlanResource, reveal

LEVELS = {level.value: level for level in EnforcementLevel}


class PolicyConfigError(ValueError):
    """A policy config file the CLI would refuse: the message names the file, the key, the value, what is allowed."""


class PolicyRunError(RuntimeError):
    """A policy raised while validating a resource (a bug in the rule, not a violation)."""


@dataclass(frozen=True)
class Violation:
    policy: str
    enforcement: str  # mandatory or advisory
    urn: str | None
    message: str
    description: str = ""


@dataclass(frozen=True)
class Resolved:
    level: EnforcementLevel
    settings: dict[str, Any]


@dataclass
class CheckReport:
    project: str
    stack: str
    violations: list[Violation] = field(default_factory=list)
    not_applicable: list[tuple[str, str]] = field(default_factory=list)  # (policy, reason)
    policies: dict[str, Resolved] = field(default_factory=dict)
    config_path: str | None = None

    @property
    def mandatory(self) -> int:
        return sum(1 for v in self.violations if v.enforcement == "mandatory")

    @property
    def advisory(self) -> int:
        return sum(1 for v in self.violations if v.enforcement == "advisory")

    def to_dict(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "project": self.project,
            "config": self.config_path,
            "violations": [
                {"policy": v.policy, "enforcement": v.enforcement, "urn": v.urn, "message": v.message}
                for v in self.violations
            ],
            "summary": {"mandatory": self.mandatory, "advisory": self.advisory},
        }


# --- configuration --------------------------------------------------------------------------------------------------


def load_policy_config(path: Path) -> dict[str, Any]:
    """A ``--policy-pack-config`` JSON file; PolicyConfigError (naming the file) when unreadable."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PolicyConfigError(f"{path}: no such policy config file") from None
    except json.JSONDecodeError as exc:
        raise PolicyConfigError(f"{path}: not valid JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise PolicyConfigError(f"{path}: must be a JSON object of policy names, got {type(doc).__name__}")
    return doc


def with_settings(config: Mapping[str, Any], policy: str, **settings: Any) -> dict[str, Any]:
    """``config`` with ``settings`` added to ``policy``'s entry where the entry does not set them (its level, and
    any setting it gives, are kept)."""
    entry = config.get(policy)
    if isinstance(entry, str):
        entry = {"enforcementLevel": entry}
    elif not isinstance(entry, Mapping):
        entry = {} if entry is None else entry
    if not isinstance(entry, Mapping):
        return dict(config)  # resolve_config reports the bad entry
    return {**config, policy: {**settings, **entry}}


def _schema(policy: Policy) -> dict[str, Any]:
    props = dict(policy.config_schema.properties) if policy.config_schema else {}
    required = list(policy.config_schema.required or []) if policy.config_schema else []
    return {"type": "object", "properties": props, "required": required, "additionalProperties": False}


def _level(value: Any, where: str) -> EnforcementLevel:
    if isinstance(value, str) and value in LEVELS:
        return LEVELS[value]
    raise PolicyConfigError(f"{where}: enforcement level {value!r} is not allowed; allowed: {', '.join(LEVELS)}")


def resolve_config(
    policies: Sequence[Policy],
    config: Mapping[str, Any],
    pack_level: EnforcementLevel = EnforcementLevel.MANDATORY,
    source: str = "policy config",
) -> dict[str, Resolved]:
    """Enforcement level and complete, schema-valid settings of every policy, as the CLI computes them."""
    names = {p.name for p in policies}
    unknown = [k for k in config if k != "all" and k not in names]
    if unknown:
        raise PolicyConfigError(
            f"{source}: {', '.join(repr(k) for k in unknown)}: no such policy in the pack; allowed: all, "
            + ", ".join(sorted(names))
        )
    all_level: EnforcementLevel | None = None
    if "all" in config:
        entry = config["all"]
        if isinstance(entry, dict):
            extra = set(entry) - {"enforcementLevel"}
            if extra:
                raise PolicyConfigError(
                    f"{source}: 'all' may only set enforcementLevel; got {', '.join(sorted(extra))}"
                )
            entry = entry.get("enforcementLevel")
        all_level = _level(entry, f"{source}: all")
    out: dict[str, Resolved] = {}
    for policy in policies:
        entry = config.get(policy.name)
        level = policy.enforcement_level or pack_level
        if all_level is not None:
            level = all_level
        schema = _schema(policy)
        settings = {k: v["default"] for k, v in schema["properties"].items() if "default" in v}
        if isinstance(entry, str):
            level = _level(entry, f"{source}: {policy.name}")
        elif isinstance(entry, dict):
            if "enforcementLevel" in entry:
                level = _level(entry["enforcementLevel"], f"{source}: {policy.name}.enforcementLevel")
            settings.update({k: v for k, v in entry.items() if k != "enforcementLevel"})
        elif entry is not None:
            raise PolicyConfigError(
                f"{source}: {policy.name}: {entry!r} is not allowed; allowed: an enforcement level or an object"
            )
        errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(settings), key=lambda e: list(e.path))
        if errors:
            problems = "; ".join(f"{'.'.join(str(p) for p in e.path) or '(settings)'}: {e.message}" for e in errors)
            allowed = ", ".join(sorted(schema["properties"])) or "no settings"
            raise PolicyConfigError(f"{source}: {policy.name}: {problems} (settings: {allowed})")
        out[policy.name] = Resolved(level, settings)
    return out


# --- what the policies receive ---------------------------------------------------------------------------------------


def _wire(value: Any) -> Any:
    """A Plan value as the CLI hands it to a policy: secrets revealed, unknowns as the SDK's sentinel."""
    return reveal(value, UNKNOWN_STRING_VALUE)


def _options(r: PlanResource) -> PolicyResourceOptions:
    o = r.options
    timeouts = o.get("custom_timeouts") or {}
    return PolicyResourceOptions(
        protect=bool(o.get("protect")),
        ignore_changes=list(o.get("ignore_changes") or []),
        delete_before_replace=o.get("delete_before_replace"),
        aliases=[str(a) for a in o.get("aliases") or []],
        custom_timeouts=PolicyCustomTimeouts(
            float(timeouts.get("create") or 0), float(timeouts.get("update") or 0), float(timeouts.get("delete") or 0)
        ),
        additional_secret_outputs=list(o.get("additional_secret_outputs") or []),
        parent=r.parent,
    )


class _Providers:
    """The provider of each resource: the one the program passed, else the default provider of its package,
    whose inputs the engine configures from the stack's ``<package>:*`` settings (``aws:region``, ...)."""

    def __init__(self, plan: Plan):
        self.plan = plan
        self._defaults: dict[str, PolicyProviderResource] = {}
        self._cache: dict[str, PolicyProviderResource | None] = {}

    def of(self, r: PlanResource) -> PolicyProviderResource | None:
        key = r.provider or r.type.split(":", 1)[0]
        if key not in self._cache:
            self._cache[key] = self._resolve(r)
        return self._cache[key]

    def _resolve(self, r: PlanResource) -> PolicyProviderResource | None:
        if r.provider:
            # The engine records a provider by URN; Pulumi's own references append "::<id>".
            found = self.plan.get(r.provider) or self.plan.get(r.provider.rsplit("::", 1)[0])
            if found is not None:
                return PolicyProviderResource(found.type, _wire(found.inputs), found.urn, found.name)
        package = r.type.split(":", 1)[0]
        if package in ("pulumi",):
            return None
        if package not in self._defaults:
            props: dict[str, Any] = {}
            for key, value in self.plan.config.items():
                ns, _, name = key.partition(":")
                if ns == package:
                    props[name] = _config_value(value)
            urn = f"urn:pulumi:{self.plan.stack}::{self.plan.project}::pulumi:providers:{package}::default"
            self._defaults[package] = PolicyProviderResource(f"pulumi:providers:{package}", props, urn, "default")
        return self._defaults[package]


def _config_value(value: Any) -> Any:
    value = _wire(value)
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _run(result: Any) -> None:
    if inspect.isawaitable(result):
        loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(result)
        finally:
            loop.close()


# --- evaluation -------------------------------------------------------------------------------------------------------


def check(
    plan: Plan,
    config: Mapping[str, Any] | None = None,
    policies: Sequence[Policy] | None = None,
    config_path: str | None = None,
) -> CheckReport:
    """Evaluate the pack (or ``policies``) over ``plan`` with ``config`` (a ``--policy-pack-config`` document)."""
    # Proxies and records for thousands of resources would otherwise trigger full collections that rescan the
    # provider SDKs: 5,000 resources took 3 s instead of 1 (benchmarks/README.md).
    with collector_for_bulk_work():
        return _check(plan, config, policies, config_path)


def _check(
    plan: Plan,
    config: Mapping[str, Any] | None,
    policies: Sequence[Policy] | None,
    config_path: str | None,
) -> CheckReport:
    if policies is None:
        from mlplatform.policies.pack import DEFAULT_ENFORCEMENT, POLICIES

        policies, pack_level = POLICIES, DEFAULT_ENFORCEMENT
    else:
        pack_level = EnforcementLevel.ADVISORY  # the SDK's default for a pack that names none
    resolved = resolve_config(policies, config or {}, pack_level, source=config_path or "policy config")
    report = CheckReport(plan.project, plan.stack, policies=resolved, config_path=config_path)
    resources = plan.custom_resources()
    providers = _Providers(plan)
    # Built once and shared by every policy: policies only read them (the CLI rebuilds them per call).
    props = {r.urn: unknown_checking_proxy(_wire(r.inputs)) for r in resources}
    options = {r.urn: _options(r) for r in resources}
    stack_resources: list[PolicyResource] | None = None

    def reporter(policy: Policy, level: EnforcementLevel, default_urn: str | None):
        shown = "mandatory" if level in (EnforcementLevel.MANDATORY, EnforcementLevel.REMEDIATE) else "advisory"

        def report_violation(message: str, urn: str | None = None) -> None:
            report.violations.append(Violation(policy.name, shown, urn or default_urn, message, policy.description))

        return report_violation

    for policy in policies:
        setting = resolved[policy.name]
        if setting.level is EnforcementLevel.DISABLED:
            continue
        if isinstance(policy, ResourceValidationPolicy):
            for r in resources:
                args = ResourceValidationArgs(
                    r.type, props[r.urn], r.urn, r.name, options[r.urn], providers.of(r), dict(setting.settings)
                )
                _validate(report, policy, args, reporter(policy, setting.level, r.urn), r.urn)
        elif isinstance(policy, StackValidationPolicy):
            if stack_resources is None:
                stack_resources = _stack_resources(plan, providers)
            args = StackValidationArgs(stack_resources, dict(setting.settings))
            _validate(report, policy, args, reporter(policy, setting.level, None), None)
    return report


def _validate(
    report: CheckReport,
    policy: ResourceValidationPolicy | StackValidationPolicy,
    args: Any,
    report_violation: Any,
    urn: str | None,
) -> None:
    try:
        _run(policy.validate(args, report_violation))
    except UnknownValueError as exc:
        report.violations.append(
            Violation(
                policy.name,
                "advisory",
                urn,
                f"can't run policy '{policy.name}' during preview: {exc.message}",
                policy.description,
            )
        )
    except _NotApplicableError as exc:
        report.not_applicable.append((policy.name, exc.reason or ""))
    except Exception as exc:
        raise PolicyRunError(
            f"policy '{policy.name}' failed on {urn or 'the stack'}: {type(exc).__name__}: {exc}"
        ) from exc


def _stack_resources(plan: Plan, providers: _Providers) -> list[PolicyResource]:
    """Every resource of the stack, as the engine hands them to stack policies after a preview: components and
    providers included, each with its outputs (over its inputs: the planned state), its parent and dependencies."""
    out: dict[str, PolicyResource] = {}
    for r in plan:
        props = {**_wire(r.inputs), **_wire(r.outputs)} if r.custom else _wire(r.outputs)
        if r.custom and r.id is not None:
            # A provider's state carries the resource's id (the Terraform-bridged providers' `id`); the mocks'
            # outputs do not, so it is added here as the real engine would pass it.
            props.setdefault("id", _wire(r.id))
        out[r.urn] = PolicyResource(
            r.type,
            unknown_checking_proxy(props),
            r.urn,
            r.name,
            _options(r),
            providers.of(r) if r.custom else None,
            None,
            [],
            {},
        )
    for r in plan:
        pr = out[r.urn]
        pr.parent = out.get(r.parent) if r.parent else None
        pr.dependencies = [out[d] for d in r.dependencies if d in out]
        pr.property_dependencies = {k: [out[d] for d in v if d in out] for k, v in r.property_dependencies.items()}
    return list(out.values())


# --- SARIF ------------------------------------------------------------------------------------------------------------


def sarif(report: CheckReport, policies: Sequence[Policy], artifact: str) -> dict[str, Any]:
    """SARIF 2.1.0 for code scanning: one rule per policy, one result per violation, located at ``artifact``."""
    from mlplatform.policies.pack import PACK_NAME

    def level_of(name: str) -> str:
        lvl = report.policies[name].level if name in report.policies else EnforcementLevel.ADVISORY
        return {EnforcementLevel.MANDATORY: "error", EnforcementLevel.ADVISORY: "warning"}.get(lvl, "none")

    rules = [
        {
            "id": p.name,
            "name": "".join(w.title() for w in p.name.split("-")),
            "shortDescription": {"text": p.description},
            "fullDescription": {"text": p.description},
            "help": {"text": p.remediation_steps or p.description},
            "defaultConfiguration": {"level": level_of(p.name)},
        }
        for p in policies
    ]
    index = {p.name: i for i, p in enumerate(policies)}
    results = []
    for v in report.violations:
        fingerprint = hashlib.sha256(f"{v.policy}|{v.urn}|{v.message}".encode()).hexdigest()
        location: dict[str, Any] = {
            "physicalLocation": {"artifactLocation": {"uri": artifact}, "region": {"startLine": 1}},
        }
        if v.urn:
            location["logicalLocations"] = [{"fullyQualifiedName": v.urn, "kind": "resource"}]
        results.append(
            {
                "ruleId": v.policy,
                "ruleIndex": index.get(v.policy, 0),
                "level": "error" if v.enforcement == "mandatory" else "warning",
                "message": {"text": v.message},
                "locations": [location],
                "partialFingerprints": {"mlplatformViolation/v1": fingerprint},
            }
        )
    return {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": PACK_NAME,
                        "informationUri": "https://www.pulumi.com/docs/iac/crossguard/",
                        "semanticVersion": "0.1.0",
                        "rules": rules,
                    }
                },
                "automationDetails": {"id": f"{report.project}/{report.stack}/"},
                "results": results,
            }
        ],
    }
