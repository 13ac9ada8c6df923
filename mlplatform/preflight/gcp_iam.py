"""GCP IAM for one request: the permissions of the predefined roles the platform grants, and IAM conditions.

A binding grants a permission on a resource when the role carries it and its condition (a CEL expression)
holds for the resource being accessed. Cloud Storage evaluates bucket-level permissions
(``storage.buckets.get``, ``storage.objects.list``) against the bucket, whose ``resource.name`` is
``projects/_/buckets/<bucket>``, and object permissions against ``projects/_/buckets/<bucket>/objects/<key>``
(cloud.google.com/storage/docs/access-control/iam, "IAM Conditions"). So a binding limited to an object
prefix never grants listing or reading the bucket's metadata.

Only the role permissions listed here are known; conditions are the subset of CEL the platform writes
(``resource.name.startsWith("...")``, ``resource.name == "..."``, ``resource.type == "..."``, ``&&``, ``||``,
parentheses). Anything else raises, so an unreadable binding is never silently allowed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Predefined roles (Cloud IAM "roles/storage.*" reference and the Storage client libraries' role lists).
ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "roles/storage.objectViewer": frozenset({"storage.objects.get", "storage.objects.list"}),
    "roles/storage.objectUser": frozenset(
        {
            "storage.objects.get",
            "storage.objects.list",
            "storage.objects.create",
            "storage.objects.delete",
            "storage.objects.update",
            "storage.multipartUploads.create",
            "storage.multipartUploads.abort",
            "storage.multipartUploads.list",
            "storage.multipartUploads.listParts",
        }
    ),
    "roles/storage.objectCreator": frozenset({"storage.objects.create"}),
    "roles/storage.objectAdmin": frozenset(
        {
            "storage.objects.get",
            "storage.objects.list",
            "storage.objects.create",
            "storage.objects.delete",
            "storage.objects.update",
            "storage.objects.getIamPolicy",
            "storage.objects.setIamPolicy",
        }
    ),
    "roles/storage.legacyBucketReader": frozenset({"storage.buckets.get", "storage.objects.list"}),
    "roles/storage.legacyBucketWriter": frozenset(
        {"storage.buckets.get", "storage.objects.list", "storage.objects.create", "storage.objects.delete"}
    ),
    "roles/storage.bucketViewer": frozenset({"storage.buckets.get", "storage.buckets.list"}),
}


class UnsupportedCondition(ValueError):
    pass


@dataclass(frozen=True)
class GcsRequest:
    permission: str
    bucket: str
    key: str | None = None  # None: a bucket-level permission
    description: str = ""

    @property
    def resource_name(self) -> str:
        base = f"projects/_/buckets/{self.bucket}"
        return base if self.key is None else f"{base}/objects/{self.key}"

    @property
    def resource_type(self) -> str:
        return "storage.googleapis.com/Bucket" if self.key is None else "storage.googleapis.com/Object"


@dataclass(frozen=True)
class Binding:
    role: str
    member: str
    bucket: str
    condition: str | None = None
    urn: str = ""


_TOKEN = re.compile(
    r"\s*(?:(?P<lp>\()|(?P<rp>\))|(?P<and>&&)|(?P<or>\|\|)|"
    r'resource\.name\.startsWith\("(?P<prefix>[^"]*)"\)|'
    r'resource\.(?P<attr>name|type)\s*==\s*"(?P<eq>[^"]*)")'
)


def condition_holds(expression: str | None, request: GcsRequest) -> bool:
    if not expression:
        return True
    tokens: list[tuple[str, str]] = []
    pos = 0
    text = expression.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise UnsupportedCondition(f"unsupported IAM condition near {text[pos : pos + 40]!r}")
        pos = m.end()
        if m["lp"]:
            tokens.append(("(", ""))
        elif m["rp"]:
            tokens.append((")", ""))
        elif m["and"]:
            tokens.append(("&&", ""))
        elif m["or"]:
            tokens.append(("||", ""))
        elif m["prefix"] is not None:
            tokens.append(("val", "1" if request.resource_name.startswith(m["prefix"]) else "0"))
        else:
            actual = request.resource_name if m["attr"] == "name" else request.resource_type
            tokens.append(("val", "1" if actual == m["eq"] else "0"))

    def parse_or(i: int) -> tuple[bool, int]:
        left, i = parse_and(i)
        while i < len(tokens) and tokens[i][0] == "||":
            right, i = parse_and(i + 1)
            left = left or right
        return left, i

    def parse_and(i: int) -> tuple[bool, int]:
        left, i = parse_atom(i)
        while i < len(tokens) and tokens[i][0] == "&&":
            right, i = parse_atom(i + 1)
            left = left and right
        return left, i

    def parse_atom(i: int) -> tuple[bool, int]:
        kind, value = tokens[i]
        if kind == "(":
            result, i = parse_or(i + 1)
            if i >= len(tokens) or tokens[i][0] != ")":
                raise UnsupportedCondition(f"unbalanced parentheses in {expression!r}")
            return result, i + 1
        if kind != "val":
            raise UnsupportedCondition(f"unexpected {kind!r} in {expression!r}")
        return value == "1", i + 1

    result, end = parse_or(0)
    if end != len(tokens):
        raise UnsupportedCondition(f"trailing tokens in {expression!r}")
    return result


def allowed(request: GcsRequest, member: str, bindings: list[Binding]) -> Binding | None:
    """The binding that grants ``request`` to ``member``, or None (GCP IAM has no deny in these bindings)."""
    for b in bindings:
        if b.member != member or b.bucket != request.bucket:
            continue
        if request.permission in ROLE_PERMISSIONS.get(b.role, frozenset()) and condition_holds(b.condition, request):
            return b
    return None
