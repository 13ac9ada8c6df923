"""Reading a stack's ``mlplatform:platform`` document into a validated PlatformSpec, and its field reference."""

from __future__ import annotations

import difflib
from typing import Any

import pulumi
from pydantic import BaseModel

from ..base.errors import ConfigError, Problem, annotation_alternatives, validate
from .platform import PlatformSpec
from .secrets import plaintext_secrets

CONFIG_NAMESPACE = "mlplatform"
CONFIG_KEY = "platform"


def stack_file(stack: str) -> str:
    return f"stacks/Pulumi.{stack}.yaml"


def parse_platform_spec(document: Any, source: str = "", provider_region: str | None = None) -> PlatformSpec:
    """Validate a ``mlplatform:platform`` document (already parsed from YAML/JSON).

    ``provider_region`` is the stack's ``aws:region`` / ``gcp:region``; it must agree with ``region``, since the
    provider decides where resources go and the spec decides what they cost.
    Raises :class:`ConfigError` listing every problem.
    """
    root = f"{CONFIG_NAMESPACE}:{CONFIG_KEY}"
    context = {"cloud": document.get("cloud"), "region": document.get("region")} if isinstance(document, dict) else {}
    spec = validate(PlatformSpec, document, source=source, root=root, context=context)
    if provider_region is not None and provider_region != spec.region:
        key = f"{spec.cloud}:region"
        raise ConfigError(
            [Problem("region", f"must equal the provider setting {key} ({provider_region!r})", spec.region)],
            source,
            root,
        )
    return spec


def load_platform_spec(config: pulumi.Config | None = None, stack: str | None = None) -> PlatformSpec:
    """Read and validate the current stack's ``mlplatform:platform`` (inside a Pulumi program).

    Example::

        spec = load_platform_spec()
        MlPlatform("platform", spec)
    """
    stack = stack or pulumi.get_stack()
    source = stack_file(stack)
    config = config or pulumi.Config(CONFIG_NAMESPACE)
    try:
        document: Any = config.get_object(CONFIG_KEY)
    except Exception as exc:  # malformed JSON from the CLI: report it as a config problem, not a traceback
        raise ConfigError(
            [Problem("", f"is not a structured object: {exc}", None, has_value=False)],
            source,
            f"{CONFIG_NAMESPACE}:{CONFIG_KEY}",
        ) from None
    keys = _config_keys()
    if document is None:
        raise ConfigError(
            [
                Problem(
                    "",
                    f"is not set; add a `mlplatform:platform:` mapping to the stack file{_nearest(keys)}",
                    has_value=False,
                )
            ],
            source,
            f"{CONFIG_NAMESPACE}:{CONFIG_KEY}",
        )
    plaintext = plaintext_secrets(keys, pulumi.runtime.is_config_secret, document, pulumi.runtime.get_config)
    if plaintext:
        raise ConfigError(plaintext, source)
    cloud = document.get("cloud") if isinstance(document, dict) else None
    provider_region = None
    if cloud in ("aws", "gcp"):
        provider_region = pulumi.Config(cloud).get("region")
    return parse_platform_spec(document, source, provider_region)


def _config_keys() -> list[str]:
    """Every configuration key of the running stack (the CLI hands the program all of them)."""
    from pulumi.runtime import config as runtime_config

    return sorted({*runtime_config.get_config_env(), *runtime_config.CONFIG.get()})


def _nearest(keys: list[str]) -> str:
    """``; found mlplatform:platfrom: did you mean mlplatform:platform?`` when a key looks like a misspelling."""
    full = f"{CONFIG_NAMESPACE}:{CONFIG_KEY}"
    ours = [k for k in keys if k.startswith(f"{CONFIG_NAMESPACE}:")]
    close = difflib.get_close_matches(full, ours, n=1, cutoff=0.6) or difflib.get_close_matches(
        full, keys, n=1, cutoff=0.75
    )
    if close:
        return f"; found {close[0]}: did you mean {full}?"
    return f"; the stack's {CONFIG_NAMESPACE} keys: {', '.join(ours)}" if ours else ""


def describe_fields(model: type[BaseModel] = PlatformSpec, prefix: str = "") -> list[tuple[str, str]]:
    """(key path, docstring) of every field, recursively: the reference table of the README."""
    rows: list[tuple[str, str]] = []
    for name, field in model.model_fields.items():
        path = f"{prefix}.{name}" if prefix else name
        rows.append((path, (field.description or "").replace("\n", " ")))
        for sub in _models_in(field.annotation):
            rows.extend(describe_fields(sub, path + ("[]" if _is_list(field.annotation) else "")))
    return rows


def _models_in(tp: Any) -> list[type[BaseModel]]:
    out = []
    for alt in annotation_alternatives(tp):
        args = getattr(alt, "__args__", ())
        if isinstance(alt, type) and issubclass(alt, BaseModel):
            out.append(alt)
        for arg in args:
            if isinstance(arg, type) and issubclass(arg, BaseModel):
                out.append(arg)
    return out


def _is_list(tp: Any) -> bool:
    return any(getattr(alt, "__origin__", None) is list for alt in annotation_alternatives(tp))
