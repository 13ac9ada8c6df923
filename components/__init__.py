"""mlplatform components: Pulumi components for a cost-guarded ML platform on AWS and GCP.

Import what you need into any Pulumi Python program::

    from components import GpuCluster, MlPlatform, load_platform_spec
"""

from .aws import ClusterNetwork, GpuCluster, GpuClusterArgs, Network, NetworkArgs
from .errors import ConfigError, Problem
from .platform import MlPlatform
from .spec import PlatformSpec, load_platform_spec, parse_platform_spec

__all__ = [
    "ClusterNetwork",
    "ConfigError",
    "GpuCluster",
    "GpuClusterArgs",
    "MlPlatform",
    "Network",
    "NetworkArgs",
    "PlatformSpec",
    "Problem",
    "load_platform_spec",
    "parse_platform_spec",
]
