"""mlplatform components: Pulumi components for a cost-guarded ML platform on AWS and GCP.

Where each part is imported from:

- ``mlplatform.components``: what is cloud-neutral: the compositions (:class:`MlPlatform`, the whole platform of
  one stack; :class:`Toolchain` and :class:`Serving` with their Args), the stack spec's entry points
  (:class:`PlatformSpec`, :func:`load_platform_spec`, :func:`parse_platform_spec`), :class:`Cloud` and the
  configuration error (:class:`ConfigError`, :class:`Problem`);
- ``mlplatform.components.aws``, ``.gcp``, ``.k8s``: each cloud's components and Kubernetes' (on either cloud),
  every one with its Args and the models its Args take (``from mlplatform.components.aws import DataLake,
  DataLakeArgs``);
- ``mlplatform.components.config``: every section of the stack spec (``GpuPoolSpec``, ``LakeAccess``, ...).

Example::

    from mlplatform.components import MlPlatform, load_platform_spec

    MlPlatform("ml", load_platform_spec())

Names load on first use, so ``mlplatform.components.catalog`` and ``mlplatform.components.cost`` (the price facts
and the cost model, which the policy pack imports) do not pull in every provider SDK.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .base.lazy import lazy_exports

_EXPORTS = {
    "Cloud": ".base.cloud",
    "ConfigError": ".base.errors",
    "Problem": ".base.errors",
    "IdentityContext": ".compositions",
    "MlPlatform": ".compositions",
    "Serving": ".compositions",
    "ServingArgs": ".compositions",
    "Toolchain": ".compositions",
    "ToolchainArgs": ".compositions",
    "PlatformSpec": ".config",
    "load_platform_spec": ".config",
    "parse_platform_spec": ".config",
}

if TYPE_CHECKING:
    from .base.cloud import Cloud
    from .base.errors import ConfigError, Problem
    from .compositions import IdentityContext, MlPlatform, Serving, ServingArgs, Toolchain, ToolchainArgs
    from .config import PlatformSpec, load_platform_spec, parse_platform_spec

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

__all__ = [
    "Cloud",
    "ConfigError",
    "IdentityContext",
    "MlPlatform",
    "PlatformSpec",
    "Problem",
    "Serving",
    "ServingArgs",
    "Toolchain",
    "ToolchainArgs",
    "load_platform_spec",
    "parse_platform_spec",
]
