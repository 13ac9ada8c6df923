"""The platform program: stack config -> PlatformSpec -> MlPlatform -> stack outputs."""

import pulumi

from mlplatform.components import MlPlatform, load_platform_spec

platform = MlPlatform("mlplatform", load_platform_spec())
for key, value in platform.outputs.items():
    pulumi.export(key, value)
