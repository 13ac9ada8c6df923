"""Small Kubernetes building blocks the workloads share: quantities from the spec's plain numbers (vCPUs, GiB),
the service account a workload runs as, and the CronJob envelope of the platform's scheduled jobs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from ..interfaces import StrInput


def cpu_quantity(cpu: float) -> str:
    """``2`` -> "2", ``0.5`` -> "500m"."""
    return f"{cpu:g}" if float(cpu).is_integer() else f"{round(cpu * 1000)}m"


def memory_quantity(gib: float) -> str:
    """``8`` -> "8Gi", ``1.5`` -> "1536Mi"."""
    mib = round(gib * 1024)
    return f"{mib // 1024}Gi" if mib % 1024 == 0 else f"{mib}Mi"


def service_account(
    resource_name: str,
    *,
    name: str,
    namespace: StrInput,
    labels: dict[str, str],
    annotations: Mapping[str, StrInput] | None,
    parent: pulumi.Resource,
) -> k8s.core.v1.ServiceAccount:
    """The Kubernetes service account a workload runs as; ``annotations`` bind it to a cloud identity (GKE
    Workload Identity; EKS Pod Identity needs none: its association names the account)."""
    return k8s.core.v1.ServiceAccount(
        resource_name,
        metadata=k8s.meta.v1.ObjectMetaArgs(
            name=name, namespace=namespace, labels=labels, annotations=annotations or None
        ),
        opts=pulumi.ResourceOptions(parent=parent),
    )


def cron_job_envelope(schedule: str, job: dict[str, Any], labels: dict[str, str], suspend: bool = False) -> dict:
    """A CronJob spec around a Job spec, the way every platform job runs: UTC, never overlapping, a missed
    start given an hour, the last three successes and failures kept."""
    return {
        "schedule": schedule,
        "timeZone": "Etc/UTC",
        "concurrencyPolicy": "Forbid",
        "startingDeadlineSeconds": 3600,
        "successfulJobsHistoryLimit": 3,
        "failedJobsHistoryLimit": 3,
        "suspend": suspend,
        "jobTemplate": {"metadata": {"labels": labels}, "spec": job},
    }
