"""AWS components: network, GPU cluster (EKS + Karpenter), data lake, feature store, MLflow (with the AWS Load
Balancer Controller for its Ingress), model endpoints (and their Model Monitor schedules), monitoring, and the IAM
role a workload runs as; each with its Args and the models its Args take::

    from mlplatform.components.aws import DataLake, DataLakeArgs
"""

from .data_lake import DataLake, DataLakeArgs
from .endpoint import ModelEndpoint, ModelEndpointArgs
from .feature_store import FeatureStore, FeatureStoreArgs
from .gpu_cluster import ClusterNetwork, GpuCluster, GpuClusterArgs
from .load_balancer_controller import AwsLoadBalancerController, AwsLoadBalancerControllerArgs
from .mlflow import MlflowTracking, MlflowTrackingArgs
from .model_monitor import ModelMonitor, ModelMonitorArgs
from .monitoring import DashboardEndpoint, MonitoredCluster, Monitoring, MonitoringArgs
from .network import Network, NetworkArgs
from .placement import PrivateNetwork, WorkloadCluster
from .workload_role import WorkloadRole, WorkloadRoleArgs

__all__ = [
    "AwsLoadBalancerController",
    "AwsLoadBalancerControllerArgs",
    "ClusterNetwork",
    "DashboardEndpoint",
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
    "ModelMonitor",
    "ModelMonitorArgs",
    "MonitoredCluster",
    "Monitoring",
    "MonitoringArgs",
    "Network",
    "NetworkArgs",
    "PrivateNetwork",
    "WorkloadCluster",
    "WorkloadRole",
    "WorkloadRoleArgs",
]
