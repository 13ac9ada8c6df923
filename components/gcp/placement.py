"""Where the platform's own services (MLflow, Feast) go on GCP: the GKE cluster their pods run on, and the
network whose private services range their Cloud SQL and Memorystore instances get addresses from. Both are plain
values that components take, not resources.

Example::

    workloads = GkeWorkloads(provider=cluster.provider)
    private = PrivateServices(network=network.network_id, connection=network.private_services_connection)
"""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from ..base.values import ComponentArgs, DnsLabel
from ..interfaces import StrInput


class GkeWorkloads(ComponentArgs):
    """The GKE cluster the platform's workloads run on."""

    provider: k8s.Provider
    """A pulumi_kubernetes Provider for the cluster. Required."""
    namespace: DnsLabel = "mlplatform"
    """Namespace of the platform's workloads (must exist). Default: mlplatform."""


class PrivateServices(ComponentArgs):
    """The network whose private services range Cloud SQL and Memorystore get addresses from."""

    network: StrInput
    """Network id. Required."""
    connection: pulumi.Resource | None = None
    """The private services connection to wait for (the Network's ``private_services_connection``). Default:
    none (it exists already)."""


__all__ = ["GkeWorkloads", "PrivateServices"]
