"""GCP components: network, GPU cluster (GKE), data lake (GCS + BigQuery), feature store (Feast on Firestore or
Memorystore), MLflow (Cloud SQL + GKE), model endpoints (Cloud Run or Vertex AI), monitoring (+ budgets), and the
service account a workload runs as (Workload Identity); each with its Args and the models its Args take::

    from mlplatform.components.gcp import DataLake, DataLakeArgs
"""

from .data_lake import DataLake, DataLakeArgs
from .endpoint import ModelEndpoint, ModelEndpointArgs
from .feature_store import FeatureStore, FeatureStoreArgs
from .gpu_cluster import GkeNetwork, GpuCluster, GpuClusterArgs
from .mlflow import MlflowTracking, MlflowTrackingArgs
from .monitoring import MonitoredGkeCluster, Monitoring, MonitoringArgs
from .network import Network, NetworkArgs
from .placement import GkeWorkloads, PrivateServices
from .workload_identity import WorkloadIdentity, WorkloadIdentityArgs

__all__ = [
    "DataLake",
    "DataLakeArgs",
    "FeatureStore",
    "FeatureStoreArgs",
    "GkeNetwork",
    "GkeWorkloads",
    "GpuCluster",
    "GpuClusterArgs",
    "MlflowTracking",
    "MlflowTrackingArgs",
    "ModelEndpoint",
    "ModelEndpointArgs",
    "MonitoredGkeCluster",
    "Monitoring",
    "MonitoringArgs",
    "Network",
    "NetworkArgs",
    "PrivateServices",
    "WorkloadIdentity",
    "WorkloadIdentityArgs",
]
