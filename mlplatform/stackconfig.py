"""Read a Pulumi project and a stack's configuration the way the Pulumi CLI does, without the CLI.

Project settings come from ``Pulumi.yaml`` (``name``, ``main``, ``stackConfigDir``, project-level ``config``
defaults); a stack's values from ``Pulumi.<stack>.yaml`` in the ``stackConfigDir`` (else beside
``Pulumi.yaml``). Keys without a namespace belong to the project. Structured values reach the program as
JSON, as the CLI passes them. ``secure:`` values, which only the CLI can decrypt, become secret placeholders.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from mlplatform.components.base.errors import ConfigError
from mlplatform.components.config.loader import CONFIG_KEY, CONFIG_NAMESPACE, stack_file
from mlplatform.components.config.secrets import plaintext_secrets

STACK_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")
# The top-level keys of a Pulumi.<stack>.yaml the CLI reads.
STACK_FILE_KEYS = ("config", "environment", "secretsprovider", "encryptedkey", "encryptionsalt")


class EngineError(Exception):
    """The engine could not start the program: a missing project, stack file or unreadable configuration."""


@dataclass(frozen=True)
class Project:
    name: str
    directory: Path
    main_path: Path
    stack_config_dir: Path
    defaults: dict[str, Any] = field(default_factory=dict)

    def stack_file(self, stack: str) -> Path:
        return self.stack_config_dir / f"Pulumi.{stack}.yaml"

    def stacks(self) -> list[str]:
        """Stack names that have a configuration file."""
        return sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in self.stack_config_dir.glob("Pulumi.*.yaml"))


@dataclass(frozen=True)
class StackConfig:
    path: Path
    values: dict[str, str]
    secret_keys: set[str]


def find_project_dir(start: Path) -> Path | None:
    """The nearest directory at or above ``start`` with a Pulumi.yaml, as the CLI searches."""
    for d in [start, *start.parents]:
        if (d / "Pulumi.yaml").is_file() or (d / "Pulumi.yml").is_file():
            return d
    return None


def _read_yaml(path: Path) -> Any:
    try:
        with open(path, encoding="utf-8") as fh:
            return yaml.safe_load(fh)
    except yaml.YAMLError as exc:
        raise EngineError(f"{path}: not valid YAML: {exc}") from None


def load_project(directory: Path) -> Project:
    directory = Path(directory).resolve()
    path = next((directory / n for n in ("Pulumi.yaml", "Pulumi.yml") if (directory / n).is_file()), None)
    if path is None:
        raise EngineError(f"no Pulumi.yaml in {directory}: not a Pulumi project directory")
    doc = _read_yaml(path) or {}
    if not isinstance(doc, dict) or not isinstance(doc.get("name"), str):
        raise EngineError(f"{path}: missing the project `name`")
    runtime = doc.get("runtime")
    runtime_name = runtime.get("name") if isinstance(runtime, dict) else runtime
    if runtime_name != "python":
        raise EngineError(f"{path}: runtime is {runtime_name!r}; the offline engine runs Python programs only")
    main = directory / str(doc.get("main") or ".")
    if not main.exists():
        raise EngineError(f"{path}: main {doc.get('main')!r} does not exist")
    stack_dir = directory / str(doc.get("stackConfigDir") or ".")
    defaults = {}
    for key, spec in (doc.get("config") or {}).items():
        value = (
            spec.get("value", spec.get("default"))
            if isinstance(spec, dict) and ("default" in spec or "value" in spec or "type" in spec)
            else spec
        )
        if value is not None:
            defaults[qualify(key, doc["name"])] = wire_value(value)
    return Project(name=doc["name"], directory=directory, main_path=main, stack_config_dir=stack_dir, defaults=defaults)


def load_stack_config(project: Project, stack: str) -> StackConfig:
    """Configuration for ``stack``: project defaults overlaid with the stack file's values."""
    parts = stack.split("/")
    if len(parts) > 3 or any(not STACK_NAME.match(p) or p in (".", "..") for p in parts):
        raise EngineError(
            f"invalid stack name {stack!r}: use letters, digits, '-', '_' or '.' (max 100), optionally as "
            "org/project/stack"
        )
    short = parts[-1]
    path = project.stack_file(short)
    if not path.is_file():
        known = ", ".join(project.stacks()) or "none"
        raise EngineError(f"stack {short!r} has no configuration file {path}; stacks with one: {known}")
    doc = _read_yaml(path) or {}
    if not isinstance(doc, dict):
        raise EngineError(f"{path}: expected a mapping with a `config:` key")
    unknown = [str(key) for key in doc if key not in STACK_FILE_KEYS]
    if unknown:
        # The CLI would read no configuration from a misspelt `config:`; say which key it found instead.
        near = difflib.get_close_matches(unknown[0], STACK_FILE_KEYS, n=1, cutoff=0.5)
        hint = f"; did you mean `{near[0]}:`?" if near else ""
        raise EngineError(
            f"{path}: unknown top-level key `{unknown[0]}:`{hint} (a stack file has {', '.join(STACK_FILE_KEYS)})"
        )
    config = doc.get("config") or {}
    if not isinstance(config, dict):
        raise EngineError(f"{path}: `config` must be a mapping of keys to values")
    values = dict(project.defaults)
    secret_keys: set[str] = set()
    for key, value in config.items():
        full = qualify(str(key), project.name)
        value, is_secret = _replace_secure(value, full)
        values[full] = wire_value(value)
        if is_secret:
            secret_keys.add(full)
    document = values.get(qualify(f"{CONFIG_NAMESPACE}:{CONFIG_KEY}", project.name))
    plaintext = plaintext_secrets(values, secret_keys.__contains__, _json_or_none(document), values.get)
    if plaintext:
        # Named as the program's validation names the stack file, so both errors point at the same file.
        raise ConfigError(plaintext, source=stack_file(short))
    return StackConfig(path=path, values=values, secret_keys=secret_keys)


def _json_or_none(value: str | None) -> Any:
    try:
        return json.loads(value) if value is not None else None
    except ValueError:
        return None


def qualify(key: str, project: str) -> str:
    """``region`` -> ``<project>:region``; ``aws:region`` stays."""
    return key if ":" in key else f"{project}:{key}"


def wire_value(value: Any) -> str:
    """Config values reach programs as strings; structured values and scalars as JSON, as the CLI sends them."""
    return value if isinstance(value, str) else json.dumps(value)


def _replace_secure(value: Any, key: str) -> tuple[Any, bool]:
    if isinstance(value, dict):
        if set(value) == {"secure"}:
            return f"secure-placeholder:{key}", True
        found = False
        out = {}
        for k, v in value.items():
            out[k], s = _replace_secure(v, key)
            found = found or s
        return out, found
    if isinstance(value, list):
        items = [_replace_secure(v, key) for v in value]
        return [v for v, _ in items], any(s for _, s in items)
    return value, False
