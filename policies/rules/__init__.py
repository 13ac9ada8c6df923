"""The pack's rules, one module per domain, each a pure function of resources and settings."""

from __future__ import annotations

from . import budget, cost, endpoints, gpu, network, security, storage, tags, workloads
from .base import Rule

RULES: list[Rule] = [
    *gpu.RULES,
    *endpoints.RULES,
    *tags.RULES,
    *storage.RULES,
    *network.RULES,
    *budget.RULES,
    *cost.RULES,
    *security.RULES,
    *workloads.RULES,
]
BY_NAME: dict[str, Rule] = {r.name: r for r in RULES}

__all__ = ["BY_NAME", "RULES", "Rule"]
