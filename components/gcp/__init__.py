"""GCP components: network, GPU cluster (GKE), data lake (GCS + BigQuery), feature store (Feast on Firestore or
Memorystore), MLflow (Cloud SQL + GKE), model endpoints (Cloud Run or Vertex AI) and monitoring (+ budgets)."""

from .data_lake import DataLake, DataLakeArgs
from .endpoint import ModelEndpoint, ModelEndpointArgs
from .feature_store import FeatureStore, FeatureStoreArgs
from .gpu_cluster import GkeNetwork, GpuCluster, GpuClusterArgs
from .mlflow import MlflowTracking, MlflowTrackingArgs
from .monitoring import MonitoredGkeCluster, Monitoring, MonitoringArgs
from .network import Network, NetworkArgs
from .placement import GkeWorkloads, PrivateServices

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
]
