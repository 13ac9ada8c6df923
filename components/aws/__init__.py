"""AWS components: network, GPU cluster (EKS + Karpenter), data lake, feature store, MLflow (with the AWS Load
Balancer Controller for its Ingress), model endpoints and monitoring."""

from .data_lake import DataLake, DataLakeArgs
from .endpoint import ModelEndpoint, ModelEndpointArgs
from .feature_store import FeatureStore, FeatureStoreArgs
from .gpu_cluster import ClusterNetwork, GpuCluster, GpuClusterArgs
from .load_balancer_controller import AwsLoadBalancerController, AwsLoadBalancerControllerArgs
from .mlflow import MlflowTracking, MlflowTrackingArgs
from .monitoring import Monitoring, MonitoringArgs
from .network import Network, NetworkArgs
from .placement import PrivateNetwork, WorkloadCluster

__all__ = [
    "AwsLoadBalancerController",
    "AwsLoadBalancerControllerArgs",
    "ClusterNetwork",
    "DataLake",
    "DataLakeArgs",
    "FeatureStore",
    "FeatureStoreArgs",
    "GpuCluster",
    "GpuClusterArgs",
    "MlflowTracking",
    "MlflowTrackingArgs",
    "ModelEndpoint",
    "ModelEndpointArgs",
    "Monitoring",
    "MonitoringArgs",
    "Network",
    "NetworkArgs",
    "PrivateNetwork",
    "WorkloadCluster",
]
