"""MlPlatform: the composition root that turns a validated PlatformSpec into the components of one stack.

Example (the whole root program)::

    from components import MlPlatform, load_platform_spec

    platform = MlPlatform("mlplatform", load_platform_spec())
"""

from __future__ import annotations

import pulumi

from .spec import PlatformSpec


class MlPlatform(pulumi.ComponentResource):
    """All components of one stack, parented under one component so the Plan and the console group them.

    Each cloud's components are added here as they are built (network, cluster, lake, feature store, MLflow,
    endpoints, monitoring); the spec is validated before this constructor runs, so nothing is registered for
    an invalid stack.
    """

    spec: PlatformSpec
    tags: dict[str, str]

    def __init__(self, name: str, spec: PlatformSpec, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlplatform:index:Platform", name, None, opts)
        self.spec = spec
        self.tags = spec.tag_set(pulumi.get_stack())
        self.outputs: dict[str, pulumi.Input[object]] = {
            "cloud": str(spec.cloud),
            "region": spec.region,
            "environment": str(spec.environment),
            "cost_tags": self.tags,
        }
        self.register_outputs(self.outputs)
