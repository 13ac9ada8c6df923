"""AWS components: network, GPU cluster (EKS + Karpenter), and, as they land, lake, feature store, MLflow,
endpoints and monitoring."""

from .gpu_cluster import ClusterNetwork, GpuCluster, GpuClusterArgs
from .network import Network, NetworkArgs

__all__ = ["ClusterNetwork", "GpuCluster", "GpuClusterArgs", "Network", "NetworkArgs"]
