"""What a workload's identity may read and write in the data lake, and which zone holds what."""

from __future__ import annotations

import pydantic

from ..base.errors import Problems
from ..base.values import StrictModel, duplicates


class LakeAccess(StrictModel):
    """A data-lake zone, or a prefix of it, that a workload's identity is granted."""

    zone: str
    """Zone name. Required."""
    prefix: str = pydantic.Field(default="", pattern=r"^([a-z0-9][a-z0-9._-]*/)*$")
    """Prefix within the zone, ending with / (empty: the whole zone). Default: empty."""


def zone_roles(zones: list[str]) -> dict[str, str]:
    """Which lake zone holds what: the zone named for the role, else the first (raw, features) or last (models)."""
    return {
        "raw": "raw" if "raw" in zones else zones[0],
        "features": "features" if "features" in zones else zones[0],
        "models": "models" if "models" in zones else zones[-1],
    }


def check_lake_access(p: Problems, zones: list[str], read: list[LakeAccess], write: list[LakeAccess]) -> None:
    """Add to ``p`` what a workload identity's grants get wrong: unknown zones, a write to a whole zone."""
    for key, accesses in (("read", read), ("write", write)):
        for i, access in enumerate(accesses):
            if access.zone not in zones:
                p.add(f"{key}[{i}].zone", f"not a zone of the lake; zones: {', '.join(zones)}", access.zone)
    for i, access in enumerate(write):
        if not access.prefix:
            p.add(f"write[{i}].prefix", "a workload writes under a prefix, never a whole zone", access.prefix)
    for key, accesses in (("read", read), ("write", write)):
        repeated = duplicates([a.zone for a in accesses])
        if repeated:
            # One grant per zone and kind: a zone read whole covers its prefixes.
            p.add(key, f"each zone once; repeated: {', '.join(repeated)}", [a.zone for a in accesses])
