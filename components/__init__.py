"""mlplatform components: Pulumi components for a cost-guarded ML platform on AWS and GCP.

Import what you need into any Pulumi Python program::

    from mlplatform.components import GpuCluster, MlPlatform, load_platform_spec

Names load on first use, so ``mlplatform.components.catalog`` and ``mlplatform.components.cost`` (the price facts
and the cost model, which the policy pack imports) do not pull in every provider SDK.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "ClusterNetwork": ".aws",
    "GpuCluster": ".aws",
    "GpuClusterArgs": ".aws",
    "Network": ".aws",
    "NetworkArgs": ".aws",
    "ConfigError": ".base.errors",
    "Problem": ".base.errors",
    "IdentityContext": ".compositions",
    "MlPlatform": ".compositions",
    "KServe": ".k8s.kserve",
    "ModelServer": ".k8s.model_server",
    "Serving": ".compositions",
    "ServingArgs": ".compositions",
    "Toolchain": ".compositions",
    "ToolchainArgs": ".compositions",
    "PlatformSpec": ".config",
    "load_platform_spec": ".config",
    "parse_platform_spec": ".config",
}

if TYPE_CHECKING:
    from .aws import ClusterNetwork, GpuCluster, GpuClusterArgs, Network, NetworkArgs
    from .base.errors import ConfigError, Problem
    from .compositions import IdentityContext, MlPlatform, Serving, ServingArgs, Toolchain, ToolchainArgs
    from .config import PlatformSpec, load_platform_spec, parse_platform_spec
    from .k8s.kserve import KServe
    from .k8s.model_server import ModelServer


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


__all__ = [
    "ClusterNetwork",
    "ConfigError",
    "GpuCluster",
    "GpuClusterArgs",
    "IdentityContext",
    "KServe",
    "MlPlatform",
    "ModelServer",
    "Network",
    "NetworkArgs",
    "PlatformSpec",
    "Problem",
    "Serving",
    "ServingArgs",
    "Toolchain",
    "ToolchainArgs",
    "load_platform_spec",
    "parse_platform_spec",
]
