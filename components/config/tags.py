"""The ``tags`` section: cost-allocation tags on every taggable resource."""

from __future__ import annotations

from ..base.values import LabelKey, StrictModel, TagValue
from .environment import Environment


class CostTags(StrictModel):
    """Cost-allocation tags put on every taggable resource (labels on GCP)."""

    team: TagValue
    """Owning team. Required."""
    project: TagValue
    """Project or product the spend belongs to. Required."""
    cost_center: TagValue
    """Finance cost center, tagged as ``cost-center``. Required."""
    extra: dict[LabelKey, TagValue] = {}
    """Additional tags, e.g. ``{owner: alice}``. Default: none."""

    def as_tags(self, environment: Environment | str, stack: str | None = None) -> dict[str, str]:
        """The tag set for resources: the three cost tags, environment, management markers and extras."""
        tags = {
            "team": self.team,
            "project": self.project,
            "cost-center": self.cost_center,
            "environment": str(environment),
            "managed-by": "pulumi",
        }
        if stack:
            tags["mlplatform-stack"] = stack
        return {**tags, **self.extra}
