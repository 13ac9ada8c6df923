"""Helm on the platform's clusters: a chart pinned by repository and version, and the arguments of the
``helm.v3.Release`` that installs it (atomic, cleaned up on failure), for OCI and https repositories alike.

The pins themselves live in :mod:`mlplatform.components.k8s.charts`.

Example::

    args = helm_release_args(NVIDIA_DEVICE_PLUGIN, "kube-system", values={})
    k8s.helm.v3.Release("nvidia", k8s.helm.v3.ReleaseArgs(**args))
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi_kubernetes as k8s


@dataclass(frozen=True)
class HelmChart:
    """A chart pinned to one version in one repository."""

    name: str
    repo: str  # an https chart repository, or an oci:// registry path
    version: str

    @property
    def is_oci(self) -> bool:
        return self.repo.startswith("oci://")

    @property
    def chart_ref(self) -> str:
        """The ``chart`` argument of a helm Release: the full reference for OCI, else the name."""
        return f"{self.repo}/{self.name}" if self.is_oci else self.name


def helm_release_args(chart: HelmChart, namespace: str, values: dict[str, Any]) -> dict[str, Any]:
    """Arguments of a ``helm.v3.Release`` for a pinned chart (OCI or https repository)."""
    args: dict[str, Any] = {
        "chart": chart.chart_ref,
        "version": chart.version,
        "namespace": namespace,
        "values": values,
        "atomic": True,
        "cleanup_on_fail": True,
    }
    if not chart.is_oci:
        args["repository_opts"] = k8s.helm.v3.RepositoryOptsArgs(repo=chart.repo)
    return args
