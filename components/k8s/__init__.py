"""Kubernetes components, the same on EKS and GKE: notebooks (JupyterHub), Ray (the KubeRay operator, clusters and
jobs), batch inference, KServe and model servers, request logs and drift reports, the Feast feature server, the
MLflow server, cluster observability (Prometheus, DCGM) and the NVIDIA device plugin.

Each takes a ``pulumi_kubernetes`` provider for its cluster through ``opts``::

    from mlplatform.components.k8s import KServe, KServeArgs, ModelServer, ModelServerArgs

Names load on first use: the AWS and GCP components import the few Kubernetes modules they build on, and a
program using them does not import every Kubernetes component.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..base.lazy import lazy_exports

_EXPORTS = {
    "BatchInference": ".batch_inference",
    "BatchInferenceArgs": ".batch_inference",
    "DriftMonitor": ".drift_monitor",
    "DriftMonitorArgs": ".drift_monitor",
    "FeastFeatureServer": ".feast_server",
    "FeastServerArgs": ".feast_server",
    "NvidiaDevicePlugin": ".gpu",
    "KServe": ".kserve",
    "KServeArgs": ".kserve",
    "MlflowServer": ".mlflow_server",
    "MlflowServerArgs": ".mlflow_server",
    "ModelServer": ".model_server",
    "ModelServerArgs": ".model_server",
    "Authenticator": ".notebooks",
    "CullSettings": ".notebooks",
    "NotebookProfile": ".notebooks",
    "Notebooks": ".notebooks",
    "NotebooksArgs": ".notebooks",
    "ClusterObservability": ".observability",
    "ObservabilityArgs": ".observability",
    "KubeRayOperator": ".ray",
    "RayCluster": ".ray",
    "RayClusterArgs": ".ray",
    "RayJob": ".ray",
    "RayJobArgs": ".ray",
    "RayWorkerGroup": ".ray",
    "RequestLogSink": ".request_log",
    "RequestLogSinkArgs": ".request_log",
}

if TYPE_CHECKING:
    from .batch_inference import BatchInference, BatchInferenceArgs
    from .drift_monitor import DriftMonitor, DriftMonitorArgs
    from .feast_server import FeastFeatureServer, FeastServerArgs
    from .gpu import NvidiaDevicePlugin
    from .kserve import KServe, KServeArgs
    from .mlflow_server import MlflowServer, MlflowServerArgs
    from .model_server import ModelServer, ModelServerArgs
    from .notebooks import Authenticator, CullSettings, NotebookProfile, Notebooks, NotebooksArgs
    from .observability import ClusterObservability, ObservabilityArgs
    from .ray import KubeRayOperator, RayCluster, RayClusterArgs, RayJob, RayJobArgs, RayWorkerGroup
    from .request_log import RequestLogSink, RequestLogSinkArgs

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

__all__ = [
    "Authenticator",
    "BatchInference",
    "BatchInferenceArgs",
    "ClusterObservability",
    "CullSettings",
    "DriftMonitor",
    "DriftMonitorArgs",
    "FeastFeatureServer",
    "FeastServerArgs",
    "KServe",
    "KServeArgs",
    "KubeRayOperator",
    "MlflowServer",
    "MlflowServerArgs",
    "ModelServer",
    "ModelServerArgs",
    "NotebookProfile",
    "Notebooks",
    "NotebooksArgs",
    "NvidiaDevicePlugin",
    "ObservabilityArgs",
    "RayCluster",
    "RayClusterArgs",
    "RayJob",
    "RayJobArgs",
    "RayWorkerGroup",
    "RequestLogSink",
    "RequestLogSinkArgs",
]
