"""The stack configuration, in one place: the schema of ``mlplatform:platform`` by stack-file section, the rules
across sections, every environment default, and the loader.

- one module per section: :mod:`.network`, :mod:`.cluster` (GPU pools, system nodes, endpoint access),
  :mod:`.lake` (and what a workload may access in it), :mod:`.features`, :mod:`.mlflow`, :mod:`.endpoints`,
  :mod:`.monitoring` (and budget), :mod:`.notebooks`, :mod:`.ray`, :mod:`.batch`, :mod:`.serving`, :mod:`.tags`;
  :mod:`.environment` holds what every section shares;
- :mod:`.platform`: :class:`PlatformSpec`, the whole document, and the rules that read several sections;
- :mod:`.defaults`: every default that depends on the environment, cloud, zones or pools (the one owner: the
  stack resolves through it, and so do components built directly);
- :mod:`.loader`: :func:`load_platform_spec` (inside a Pulumi program) and :func:`parse_platform_spec`.

Example::

    from mlplatform.components.config import load_platform_spec

    spec = load_platform_spec()
    spec.mlflow.database.instance_class   # resolved: db.t4g.micro in dev on AWS unless the stack says otherwise
"""

from __future__ import annotations

from .batch import BatchJobSpec
from .cluster import (
    Capacity,
    ClusterSpec,
    GpuModelName,
    GpuPoolSpec,
    Provisioner,
    SystemCapacity,
    SystemNodesSpec,
    Taint,
    TaintEffect,
)
from .endpoints import AutoscalingSpec, EndpointMode, EndpointSpec, ModelMonitorSpec, ServerlessSpec, VariantSpec
from .environment import Environment
from .features import FeatureServerSpec, FeatureStoreSpec, OfflineStore, OnlineStore
from .lake import DataLakeSpec, LakeAccess, LakeEncryption, LakeLayout, LifecycleSpec
from .loader import describe_fields, load_platform_spec, parse_platform_spec, stack_file
from .mlflow import DatabaseSpec, IngressScheme, MlflowSpec
from .monitoring import BudgetSpec, MonitoringSpec
from .network import ExistingGcpNetwork, ExistingNetwork, NatStrategy, NetworkSpec
from .notebooks import NotebookAuthSpec, NotebookAuthType, NotebookProfileSpec, NotebooksSpec
from .platform import PlatformSpec
from .ray import RaySpec, RayWorkerGroupSpec
from .serving import (
    DriftSpec,
    ModelServerSpec,
    ServingRuntime,
    ServingSpec,
    TritonBackend,
    TritonDataType,
    TritonModelSpec,
    TritonTensorSpec,
)
from .tags import CostTags

__all__ = [
    "AutoscalingSpec",
    "BatchJobSpec",
    "BudgetSpec",
    "Capacity",
    "ClusterSpec",
    "CostTags",
    "DataLakeSpec",
    "DatabaseSpec",
    "DriftSpec",
    "EndpointMode",
    "EndpointSpec",
    "Environment",
    "ExistingGcpNetwork",
    "ExistingNetwork",
    "FeatureServerSpec",
    "FeatureStoreSpec",
    "GpuModelName",
    "GpuPoolSpec",
    "IngressScheme",
    "LakeAccess",
    "LakeEncryption",
    "LakeLayout",
    "LifecycleSpec",
    "MlflowSpec",
    "ModelMonitorSpec",
    "ModelServerSpec",
    "MonitoringSpec",
    "NatStrategy",
    "NetworkSpec",
    "NotebookAuthSpec",
    "NotebookAuthType",
    "NotebookProfileSpec",
    "NotebooksSpec",
    "OfflineStore",
    "OnlineStore",
    "PlatformSpec",
    "Provisioner",
    "RaySpec",
    "RayWorkerGroupSpec",
    "ServerlessSpec",
    "ServingRuntime",
    "ServingSpec",
    "SystemCapacity",
    "SystemNodesSpec",
    "Taint",
    "TaintEffect",
    "TritonBackend",
    "TritonDataType",
    "TritonModelSpec",
    "TritonTensorSpec",
    "VariantSpec",
    "describe_fields",
    "load_platform_spec",
    "parse_platform_spec",
    "stack_file",
]
