"""Compositions: what turns the stack's sections into components, for AWS and GCP alike.

- :class:`MlPlatform` (:mod:`.platform`): the root program's composition, one stack's whole platform;
- :class:`Toolchain` (:mod:`.toolchain`): notebooks, Ray and batch inference;
- :class:`Serving` (:mod:`.serving`): KServe, the model servers, request logs and drift reports;
- :class:`IdentityContext` and ``bind_identity`` (:mod:`.workload_identity`): one cloud identity per workload.

They sit above the cloud components (``mlplatform.components.aws``, ``mlplatform.components.gcp``,
``mlplatform.components.k8s``) and take each
section of the stack spec (:mod:`mlplatform.components.config`) they use, not the whole spec, except the root.
"""

from .platform import PLATFORM_NAMESPACE, MlPlatform
from .serving import Serving, ServingArgs
from .toolchain import Toolchain, ToolchainArgs
from .workload_identity import IdentityContext, bind_identity

__all__ = [
    "PLATFORM_NAMESPACE",
    "IdentityContext",
    "MlPlatform",
    "Serving",
    "ServingArgs",
    "Toolchain",
    "ToolchainArgs",
    "bind_identity",
]
