"""Where the platform's own services (MLflow, Feast) go on AWS: the EKS cluster their pods run on, and the
private network their databases and caches live in. Both are plain values that components take, not resources.

Example::

    workloads = WorkloadCluster(cluster_name=cluster.cluster_name, provider=cluster.provider,
                                security_group_id=cluster.cluster_security_group_id)
    private = PrivateNetwork(vpc_id=network.vpc_id, subnet_ids=network.private_subnet_ids)
"""

from __future__ import annotations

import pulumi_kubernetes as k8s

from ..base.values import ComponentArgs, DnsLabel
from ..interfaces import StrInput, StrListInput


class WorkloadCluster(ComponentArgs):
    """The Kubernetes cluster the platform's workloads run on (EKS)."""

    cluster_name: StrInput
    """EKS cluster name (for Pod Identity associations). Required."""
    provider: k8s.Provider
    """A pulumi_kubernetes Provider for the cluster. Required."""
    namespace: DnsLabel = "mlplatform"
    """Namespace of the platform's workloads (must exist). Default: mlplatform."""
    security_group_id: StrInput | None = None
    """Security group of the cluster's nodes and pods; databases and caches admit only it. Default: none."""


class PrivateNetwork(ComponentArgs):
    """Where private data services (ElastiCache, RDS) live."""

    vpc_id: StrInput
    """VPC id. Required."""
    subnet_ids: StrListInput
    """Private subnets (two or more zones). Required."""


__all__ = ["PrivateNetwork", "WorkloadCluster"]
