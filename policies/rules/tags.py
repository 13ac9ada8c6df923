"""required-cost-tags: every taggable resource carries the cost tags (labels on GCP).

Which types take tags, and where, comes from :func:`mlplatform.components.cost.taggable.tag_property` (read from the
provider SDKs, with the nested cases: a GKE node pool's VM labels, a Cloud SQL instance's user labels, a
Karpenter EC2NodeClass's instance tags), so a taggable resource without the tags is a finding and an IAM
attachment is not. Tags set by the provider's ``defaultTags`` (AWS) or ``defaultLabels`` (GCP) count.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from mlplatform.components.base.resources import Resource, get
from mlplatform.components.cost.taggable import tag_property

from .base import Rule, Settings, display_name, items, listing


def _as_dict(tags: Any) -> dict[str, Any]:
    """Tags as a map; Auto Scaling groups list them as [{key, value, propagateAtLaunch}]."""
    if isinstance(tags, Mapping):
        return dict(tags)
    return {str(t.get("key")): t.get("value") for t in items(tags) if isinstance(t, Mapping) and t.get("key")}


def tags_of(r: Resource) -> dict[str, Any] | None:
    """The resource's effective cost tags, or None when its type cannot carry them."""
    path = tag_property(r.type)
    if path is None:
        return None
    own = _as_dict(get(r.props, path))
    if r.type.startswith("aws:"):
        return {**_as_dict(get(r.provider_props, "defaultTags.tags")), **own}
    if r.type.startswith("gcp:"):
        return {**_as_dict(get(r.provider_props, "defaultLabels")), **own}
    return own


def check_tags(r: Resource, s: Settings) -> Iterator[str]:
    if r.type in set(s.get("exempt_types") or []):
        return
    tags = tags_of(r)
    if tags is None:
        return
    required = list(s.get("required_tags") or [])
    missing = [k for k in required if not tags.get(k)]
    if missing:
        word = "labels" if r.type.startswith("gcp:") else "tags"
        yield (
            f"{display_name(r)} lacks cost {word} {listing(missing)} (has: {listing(sorted(tags)) if tags else 'none'}); "
            f"required: {listing(required)}."
        )


RULES = [
    Rule(
        name="required-cost-tags",
        description="Every taggable resource carries the cost tags (labels on GCP).",
        schema={
            "required_tags": {
                "type": "array",
                "items": {"type": "string", "minLength": 1},
                "minItems": 1,
                "uniqueItems": True,
                "description": "Tag (label) keys every taggable resource must carry, with a non-empty value.",
                "default": ["team", "project", "cost-center", "environment"],
            },
            "exempt_types": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Resource types not to check (type tokens such as aws:ec2/eip:Eip).",
                "default": [],
            },
        },
        check=check_tags,
        remediation="Pass the stack's cost tags to the component (tags=...) or set the provider's defaultTags.",
    )
]
