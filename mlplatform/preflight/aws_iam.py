"""AWS IAM policy evaluation for one request: the documented logic, conditions included.

No maintained Python library evaluates IAM policies with their conditions (policyuniverse and parliament
parse and lint; moto's enforcement ignores conditions on identity policies), so this implements what the IAM
User Guide documents for requests within one account:

- an explicit ``Deny`` in any applicable policy wins; otherwise an ``Allow`` in the identity policies or in
  the resource's policy (bucket, key, queue) allows; otherwise the request is implicitly denied;
- ``Action``/``NotAction`` match case-insensitively with ``*`` and ``?``; ``Resource``/``NotResource``
  match case-sensitively with the same wildcards;
- conditions: every operator ANDed, every key of an operator ANDed, the values of a key ORed (NORed for
  negated operators); a key absent from the request context makes a positive operator false and a negated
  one true, except ``...IfExists`` (true when absent) and ``Null``; ``ForAllValues:`` is true for an absent
  key, ``ForAnyValue:`` false (reference_policies_elements_condition_operators,
  reference_policies_multi-value-conditions).

Unsupported operators raise, so a policy the evaluator cannot read is never silently allowed.

Example::

    decision = evaluate(Request("s3:ListBucket", "arn:aws:s3:::lake-raw"), identity=[doc])
    assert decision.allowed, decision.reason
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

Document = Mapping[str, Any]


class UnsupportedPolicy(ValueError):
    """A policy uses an operator or shape the evaluator does not implement."""


@dataclass(frozen=True)
class Request:
    """One authorised call: the IAM action, the resource ARN and the request context keys AWS would set."""

    action: str
    resource: str
    context: Mapping[str, Any] = field(default_factory=dict)
    description: str = ""

    def with_context(self, **extra: Any) -> Request:
        return Request(self.action, self.resource, {**self.context, **extra}, self.description)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str
    statement: str | None = None  # the Sid (or index) of the deciding statement


def load(document: str | Document) -> Document:
    return json.loads(document) if isinstance(document, str) else document


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


@lru_cache(maxsize=4096)
def _pattern(glob: str, case_sensitive: bool) -> re.Pattern[str]:
    # IAM wildcards are only * and ? (no character classes, unlike fnmatch).
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in glob)
    return re.compile(f"^{body}$", 0 if case_sensitive else re.IGNORECASE | re.DOTALL)


def wildcard_match(glob: str, value: str, case_sensitive: bool = True) -> bool:
    return bool(_pattern(glob, case_sensitive).match(value))


def _action_matches(statement: Document, action: str) -> bool:
    if "NotAction" in statement:
        return not any(wildcard_match(a, action, False) for a in _as_list(statement["NotAction"]))
    return any(wildcard_match(a, action, False) for a in _as_list(statement.get("Action")))


def _resource_matches(statement: Document, resource: str) -> bool:
    if "NotResource" in statement:
        return not any(wildcard_match(r, resource) for r in _as_list(statement["NotResource"]))
    if "Resource" not in statement:  # resource policies may leave it out; they apply to their own resource
        return True
    return any(wildcard_match(r, resource) for r in _as_list(statement["Resource"]))


def _principal_matches(statement: Document, principal: str | None) -> bool:
    """Resource policies: ``*`` or the principal's ARN, its account root, or the account id."""
    if "Principal" not in statement:
        return True
    p = statement["Principal"]
    if p == "*":
        return True
    if principal is None:
        return False
    account = principal.split(":")[4] if principal.count(":") >= 5 else ""
    for value in _as_list(p.get("AWS") if isinstance(p, Mapping) else None):
        if value in ("*", principal, account, f"arn:aws:iam::{account}:root"):
            return True
    return False


# --- conditions -------------------------------------------------------------------------------------------


def _str_eq(a: str, b: str) -> bool:
    return a == b


def _str_eq_ci(a: str, b: str) -> bool:
    return a.lower() == b.lower()


def _str_like(policy: str, actual: str) -> bool:
    return wildcard_match(policy, actual)


def _num(fn):
    def compare(policy: str, actual: str) -> bool:
        return fn(float(actual), float(policy))

    return compare


def _bool(policy: str, actual: str) -> bool:
    return str(policy).lower() == str(actual).lower()


def _ip(policy: str, actual: str) -> bool:
    return ipaddress.ip_address(actual) in ipaddress.ip_network(policy, strict=False)


def _arn_like(policy: str, actual: str) -> bool:
    # ARNs compare segment by segment, each with wildcards (case-sensitive).
    p, a = policy.split(":", 5), actual.split(":", 5)
    return len(p) == len(a) == 6 and all(wildcard_match(x, y) for x, y in zip(p, a, strict=True))


# operator -> (comparison of one policy value with one request value, negated)
_OPERATORS: dict[str, tuple[Any, bool]] = {
    "StringEquals": (_str_eq, False),
    "StringNotEquals": (_str_eq, True),
    "StringEqualsIgnoreCase": (_str_eq_ci, False),
    "StringNotEqualsIgnoreCase": (_str_eq_ci, True),
    "StringLike": (_str_like, False),
    "StringNotLike": (_str_like, True),
    "NumericEquals": (_num(lambda a, p: a == p), False),
    "NumericNotEquals": (_num(lambda a, p: a == p), True),
    "NumericLessThan": (_num(lambda a, p: a < p), False),
    "NumericLessThanEquals": (_num(lambda a, p: a <= p), False),
    "NumericGreaterThan": (_num(lambda a, p: a > p), False),
    "NumericGreaterThanEquals": (_num(lambda a, p: a >= p), False),
    "Bool": (_bool, False),
    "IpAddress": (_ip, False),
    "NotIpAddress": (_ip, True),
    "ArnEquals": (_arn_like, False),
    "ArnLike": (_arn_like, False),
    "ArnNotEquals": (_arn_like, True),
    "ArnNotLike": (_arn_like, True),
}


def _context_value(context: Mapping[str, Any], key: str) -> tuple[bool, list[str]]:
    """(present, values): context keys are case-insensitive."""
    for k, v in context.items():
        if k.lower() == key.lower():
            return True, [str(x).lower() if isinstance(x, bool) else str(x) for x in _as_list(v)]
    return False, []


def condition_holds(condition: Mapping[str, Any], context: Mapping[str, Any]) -> bool:
    """Whether a statement's Condition block holds for the request context."""
    for raw_operator, keys in condition.items():
        qualifier, _, operator = raw_operator.rpartition(":")
        if_exists = operator.endswith("IfExists")
        operator = operator.removesuffix("IfExists")
        for key, expected in keys.items():
            present, actual = _context_value(context, key)
            wanted = [str(x).lower() if isinstance(x, bool) else str(x) for x in _as_list(expected)]
            if operator == "Null":
                # "true": the key must be absent; "false": present.
                if any((w.lower() == "true") != (not present) for w in wanted):
                    return False
                continue
            if operator not in _OPERATORS:
                raise UnsupportedPolicy(f"condition operator {raw_operator!r} is not supported")
            compare, negated = _OPERATORS[operator]
            if not present:
                if if_exists or qualifier == "ForAllValues":
                    continue
                if qualifier == "ForAnyValue":
                    return False
                if negated:
                    continue
                return False

            def one(value: str, compare=compare, wanted=wanted) -> bool:
                return any(compare(w, value) for w in wanted)

            if qualifier == "ForAllValues":
                ok = all(one(v) for v in actual)
                ok = not ok if negated else ok
            elif qualifier == "ForAnyValue":
                ok = any(one(v) for v in actual)
                ok = not ok if negated else ok
            else:
                matched = any(one(v) for v in actual)
                ok = not matched if negated else matched
            if not ok:
                return False
    return True


# --- evaluation -------------------------------------------------------------------------------------------


@lru_cache(maxsize=2048)
def _parsed_statements(text: str) -> tuple[tuple[str, Document], ...]:
    return tuple((str(s.get("Sid") or f"#{i}"), s) for i, s in enumerate(_as_list(json.loads(text).get("Statement"))))


def _statements(document: str | Document) -> tuple[tuple[str, Document], ...]:
    if isinstance(document, str):
        return _parsed_statements(document)  # the same documents are evaluated for many calls
    return tuple((str(s.get("Sid") or f"#{i}"), s) for i, s in enumerate(_as_list(document.get("Statement"))))


def _applies(statement: Document, request: Request, principal: str | None, resource_policy: bool) -> bool:
    if resource_policy and not _principal_matches(statement, principal):
        return False
    return (
        _action_matches(statement, request.action)
        and _resource_matches(statement, request.resource)
        and condition_holds(statement.get("Condition") or {}, request.context)
    )


def evaluate(
    request: Request,
    identity: Sequence[str | Document] = (),
    resource_policies: Sequence[str | Document] = (),
    principal: str | None = None,
) -> Decision:
    """Allow or deny ``request`` for a principal with ``identity`` policies, against ``resource_policies``."""
    allow: str | None = None
    sources = [(d, False) for d in identity] + [(d, True) for d in resource_policies]
    for document, is_resource in sources:
        for sid, statement in _statements(document):
            if not _applies(statement, request, principal, is_resource):
                continue
            if statement.get("Effect") == "Deny":
                return Decision(False, f"explicitly denied by statement {sid}", sid)
            if statement.get("Effect") == "Allow" and allow is None:
                allow = sid
    if allow is not None:
        return Decision(True, f"allowed by statement {allow}", allow)
    return Decision(False, "implicitly denied: no statement allows it")


__all__ = [
    "Decision",
    "Request",
    "UnsupportedPolicy",
    "condition_holds",
    "evaluate",
    "wildcard_match",
]
