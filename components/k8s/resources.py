"""Kubernetes resource quantities from the plain numbers the spec takes (vCPUs, GiB)."""

from __future__ import annotations


def cpu_quantity(cpu: float) -> str:
    """``2`` -> "2", ``0.5`` -> "500m"."""
    return f"{cpu:g}" if float(cpu).is_integer() else f"{round(cpu * 1000)}m"


def memory_quantity(gib: float) -> str:
    """``8`` -> "8Gi", ``1.5`` -> "1536Mi"."""
    mib = round(gib * 1024)
    return f"{mib // 1024}Gi" if mib % 1024 == 0 else f"{mib}Mi"
