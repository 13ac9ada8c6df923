"""AWS components: network, GPU cluster (EKS + Karpenter), data lake, feature store, MLflow, and, as they land,
endpoints and monitoring."""

from .data_lake import DataLake, DataLakeArgs
from .feature_store import FeatureStore, FeatureStoreArgs, PrivateNetwork, WorkloadCluster
from .gpu_cluster import ClusterNetwork, GpuCluster, GpuClusterArgs
from .mlflow import MlflowTracking, MlflowTrackingArgs
from .network import Network, NetworkArgs

__all__ = [
    "ClusterNetwork",
    "DataLake",
    "DataLakeArgs",
    "FeatureStore",
    "FeatureStoreArgs",
    "GpuCluster",
    "GpuClusterArgs",
    "MlflowTracking",
    "MlflowTrackingArgs",
    "Network",
    "NetworkArgs",
    "PrivateNetwork",
    "WorkloadCluster",
]
