"""The references in docs/reference/ and the README's generated tables, written from the code, never by hand.

- ``docs/reference/components.md``: every component, its type token, how to import it and its Args (field, type,
  default, allowed values, docstring), read from the Args models;
- ``docs/reference/configuration.md``: every ``mlplatform:platform`` key of a stack file (``PlatformSpec``), with
  the defaults each environment resolves (``components/config/defaults.py``), and every usage-file key;
- ``docs/reference/policies.md``: every policy of the pack, its settings and each shipped config's enforcement;
- ``docs/reference/preflight.md``: every preflight rule and what it checks;
- ``docs/reference/cli.md``: every command and option, from the definitions ``--help`` prints;
- the README's tables between ``<!-- BEGIN GENERATED: name -->`` and ``<!-- END GENERATED: name -->``: the cost of
  every shipped stack (planned and priced by the cost model) and the regions the catalog prices.

Run ``make docs`` (``python -m mlplatform.docgen``) after changing any of them; ``--check`` exits 1 when a committed
file differs from what the code generates (``tests/test_docs.py`` asserts the same).
"""

from __future__ import annotations

import argparse
import enum
import importlib
import inspect
import json
import pkgutil
import re
import sys
import types
import typing
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

if TYPE_CHECKING:
    from .plan import Plan

ROOT = Path(__file__).resolve().parent.parent
REGENERATE = "make docs"
COMPONENT_PACKAGES = ("aws", "gcp", "k8s", "compositions")
CLOUD_TITLES = {
    "aws": "AWS components",
    "gcp": "GCP components",
    "k8s": "Kubernetes components (either cloud)",
    "compositions": "Compositions",
}

# --- rendering helpers -----------------------------------------------------------------------------------------


def cell(text: Any) -> str:
    """A Markdown table cell: one line, pipes escaped."""
    return " ".join(str(text).split()).replace("|", "\\|")


def code(text: Any) -> str:
    return f"`{text}`" if str(text) else ""


def _strip_annotated(tp: Any) -> Any:
    while typing.get_origin(tp) is typing.Annotated:
        tp = typing.get_args(tp)[0]
    return tp


def _is_union(tp: Any) -> bool:
    return typing.get_origin(tp) in (typing.Union, types.UnionType)


def type_name(tp: Any) -> str:
    """A readable name of an annotation: ``list[str]``, ``int``, ``Capacity``; None left out (the default says it),
    and a Pulumi input (``Output``, ``Awaitable``) shown as ``Output``."""
    tp = _strip_annotated(tp)
    if tp is type(None):
        return "None"
    if _is_union(tp):
        names: list[str] = []
        for alt in typing.get_args(tp):
            if alt is type(None):
                continue
            name = type_name(alt)
            if name not in names:
                names.append(name)
        return " | ".join(names)
    origin = typing.get_origin(tp)
    if origin is typing.Literal:
        return " | ".join(repr(a) for a in typing.get_args(tp))
    if origin is not None:
        base = getattr(origin, "__name__", str(origin))
        if base in ("Awaitable", "Output", "OutputInstance"):
            return "Output"
        if base in ("Sequence", "Mapping", "MutableMapping", "MutableSequence"):
            base = {"Sequence": "list", "MutableSequence": "list"}.get(base, "dict")
        args = ", ".join(type_name(a) for a in typing.get_args(tp))
        return f"{base}[{args}]" if args else base
    if isinstance(tp, type):
        if tp.__name__ in ("Output", "Awaitable"):
            return "Output"
        return tp.__name__
    return str(tp).replace("typing.", "")


def _enums_in(tp: Any) -> list[type[enum.Enum]]:
    tp = _strip_annotated(tp)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return [tp]
    found: list[type[enum.Enum]] = []
    for arg in typing.get_args(tp):
        for e in _enums_in(arg):
            if e not in found:
                found.append(e)
    return found


def _literals_in(tp: Any) -> list[Any]:
    tp = _strip_annotated(tp)
    if typing.get_origin(tp) is typing.Literal:
        return list(typing.get_args(tp))
    return [v for arg in typing.get_args(tp) for v in _literals_in(arg)]


_BOUNDS = (("ge", "≥"), ("gt", ">"), ("le", "≤"), ("lt", "<"))


def allowed(field: FieldInfo) -> str:
    """What a field accepts beyond its type: enum and literal values, bounds, lengths, a pattern."""
    parts: list[str] = []
    for e in _enums_in(field.annotation):
        parts.append(", ".join(str(m.value) for m in e))
    literals = _literals_in(field.annotation)
    if literals:
        parts.append(", ".join(str(v) for v in literals))
    for meta in field.metadata:
        for attr, sign in _BOUNDS:
            value = getattr(meta, attr, None)
            if value is not None:
                parts.append(f"{sign} {value}")
        if getattr(meta, "min_length", None) is not None:
            parts.append(f"at least {meta.min_length} long")
        if getattr(meta, "max_length", None) is not None:
            parts.append(f"at most {meta.max_length} long")
        if getattr(meta, "pattern", None):
            parts.append(f"matches `{meta.pattern}`")
    return "; ".join(parts)


def show(value: Any) -> str:
    """A default value as a stack file would spell it."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, BaseModel):
        return f"see `{type(value).__name__}`"
    if isinstance(value, list | tuple):
        return ", ".join(show(v) for v in value) if value else "[]"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {show(v)}" for k, v in value.items()) if value else "{}"
    return str(value)


def declared_default(field: FieldInfo) -> str:
    """The default where the field is declared: ``required``, a value, or ``none`` (resolved later, if at all)."""
    if field.is_required():
        return "required"
    if field.default_factory is not None:
        factory = typing.cast(Callable[[], Any], field.default_factory)
        return show(factory())
    return show(field.default if field.default is not PydanticUndefined else None)


def _models_in(tp: Any) -> list[type[BaseModel]]:
    tp = _strip_annotated(tp)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return [tp]
    found: list[type[BaseModel]] = []
    for arg in typing.get_args(tp):
        for m in _models_in(arg):
            if m not in found:
                found.append(m)
    return found


def _is_list(tp: Any) -> bool:
    tp = _strip_annotated(tp)
    if typing.get_origin(tp) in (list, tuple) or getattr(typing.get_origin(tp), "__name__", "") == "Sequence":
        return True
    return any(_is_list(alt) for alt in typing.get_args(tp)) if _is_union(tp) else False


def _is_dict(tp: Any) -> bool:
    tp = _strip_annotated(tp)
    if typing.get_origin(tp) is dict or getattr(typing.get_origin(tp), "__name__", "") == "Mapping":
        return True
    return any(_is_dict(alt) for alt in typing.get_args(tp)) if _is_union(tp) else False


def fields(
    model: type[BaseModel], prefix: str = "", stop: Callable[[type[BaseModel]], str | None] = lambda _: None
) -> Iterable[tuple[str, FieldInfo, str | None]]:
    """(key path, field, link) of every field, recursively; ``stop`` names a reference to link to instead of
    listing a nested model's fields again."""
    for name, field in model.model_fields.items():
        path = f"{prefix}.{name}" if prefix else name
        nested = _models_in(field.annotation)
        link = next((stop(m) for m in nested if stop(m)), None)
        yield path, field, link
        if link:
            continue
        suffix = "[]" if _is_list(field.annotation) else ("" if not _is_dict(field.annotation) else ".<key>")
        for sub in nested:
            yield from fields(sub, path + suffix, stop)


def field_table(rows: Iterable[tuple[str, FieldInfo, str | None]], defaults: Mapping[str, str] | None = None) -> str:
    lines = ["| key | type | default | allowed | description |", "|---|---|---|---|---|"]
    for path, field, link in rows:
        default = (defaults or {}).get(path) or declared_default(field)
        description = (field.description or "").strip()
        if link:
            description = f"{description} Its fields: {link}."
        lines.append(
            f"| `{path}` | {cell(type_name(field.annotation))} | {cell(default)} | {cell(allowed(field))} | "
            f"{cell(description)} |"
        )
    return "\n".join(lines)


def anchor(title: str) -> str:
    """GitHub's anchor for a heading."""
    slug = re.sub(r"[^\w\- ]", "", title.strip().lower())
    return slug.replace(" ", "-")


def first_paragraph(doc: str | None) -> str:
    text = inspect.cleandoc(doc or "")
    return text.split("\n\n", 1)[0].replace("\n", " ").strip()


HEADER = "<!-- Generated by `python -m mlplatform.docgen` from the code: do not edit; run `{cmd}` instead. -->\n\n"

# --- components ------------------------------------------------------------------------------------------------


def _public_path(obj: Any, package: str) -> str:
    """The module path a user imports ``obj`` from: its package (``mlplatform.components.aws``) when the package
    exports it, else its module."""
    for candidate in (f"mlplatform.components.{package}", obj.__module__):
        module = importlib.import_module(candidate)
        try:
            if getattr(module, obj.__name__) is obj:
                return candidate
        except AttributeError:
            continue
    return obj.__module__


def _type_token(cls: type) -> str:
    source = inspect.getsource(cls.__init__)  # type: ignore[misc]
    found = re.search(r"super\(\).__init__\(\s*([A-Za-z_][\w.]*|\"[^\"]+\")", source)
    if not found:
        return ""
    ref = found.group(1)
    if ref.startswith('"'):
        return ref.strip('"')
    value: Any = sys.modules[cls.__module__]
    for part in ref.split("."):
        value = getattr(value, part, None)
    return value if isinstance(value, str) else ""


def component_classes() -> list[tuple[str, type]]:
    """(package, class) of every component (a ``pulumi.ComponentResource`` subclass) of the library, in module
    order."""
    import pulumi

    found: list[tuple[str, type]] = []
    for package in COMPONENT_PACKAGES:
        pkg = importlib.import_module(f"mlplatform.components.{package}")
        for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name):
            module = importlib.import_module(f"{pkg.__name__}.{info.name}")
            for _, cls in inspect.getmembers(module, inspect.isclass):
                if issubclass(cls, pulumi.ComponentResource) and cls.__module__ == module.__name__:
                    found.append((package, cls))
    return found


def _args_parameter(cls: type) -> tuple[str, Any] | None:
    hints = typing.get_type_hints(cls.__init__)  # type: ignore[misc]
    params = [p for p in inspect.signature(cls.__init__).parameters if p not in ("self", "name", "opts")]  # type: ignore[misc]
    if not params:
        return None
    return params[0], hints.get(params[0])


def _spec_section_link(model: type[BaseModel]) -> str | None:
    """A stack-spec section a component takes whole (``ClusterSpec``): linked to the configuration reference."""
    from mlplatform.components.config.platform import PlatformSpec

    for name, field in PlatformSpec.model_fields.items():
        if model in _models_in(field.annotation):
            key = f"{name}[]" if _is_list(field.annotation) else name
            return f"[`{key}` in the configuration reference](configuration.md#{anchor(name)})"
    return None


def components_reference() -> str:
    out = [
        HEADER.format(cmd=REGENERATE),
        "# Component reference\n\n",
        "Every component of the library with its Args, generated from the Args models (each field's docstring "
        "states its default; the default column is the value declared in the code). A component takes "
        "`(name, args, opts=None)`; `args` is its Args model or a dict of the same fields, validated at "
        "construction: every problem is reported at once with its key path, the value and what is allowed "
        "(`ConfigError`), before anything is registered. What each component builds and why: "
        "[the component guide](../components.md).\n\n",
    ]
    classes = component_classes()
    toc: list[str] = []
    body: list[str] = []
    for package in COMPONENT_PACKAGES:
        members = [cls for pkg, cls in classes if pkg == package]
        if not members:
            continue
        body.append(f"## {CLOUD_TITLES[package]}\n\n")
        toc.append(f"- {CLOUD_TITLES[package]}: ")
        names = []
        for cls in members:
            token = _type_token(cls)
            title = f"{cls.__name__} ({token})" if token else cls.__name__
            names.append(f"[{cls.__name__}](#{anchor(title)})")
            body.append(f"### {title}\n\n")
            summary = first_paragraph(cls.__doc__)
            if summary:
                body.append(f"{summary}\n\n")
            param = _args_parameter(cls)
            args_models = _models_in(param[1]) if param else []
            imported = [cls, *args_models[:1]]
            by_path: dict[str, list[str]] = {}
            for obj in imported:
                by_path.setdefault(_public_path(obj, package), []).append(obj.__name__)
            body.append("```python\n")
            for path, objs in by_path.items():
                body.append(f"from {path} import {', '.join(objs)}\n")
            body.append("```\n\n")
            if args_models:
                model = args_models[0]
                body.append(f"`{model.__name__}`:\n\n")
                body.append(field_table(fields(model, stop=_spec_section_link)) + "\n\n")
            elif param:
                body.append(f"Takes `{param[0]}: {type_name(param[1])}`.\n\n")
        toc[-1] += ", ".join(names)
    return "".join(out) + "\n".join(toc) + "\n\n" + "".join(body).rstrip() + "\n"


# --- stack configuration and usage -------------------------------------------------------------------------------

_MINIMAL: dict[str, dict[str, Any]] = {
    "aws": {"region": "us-east-1", "cluster": {"public_access_cidrs": ["203.0.113.0/24"]}},
    "gcp": {
        "region": "us-central1",
        "gcp_project": "example-project",
        "gcp_billing_account": "000000-000000-000000",
        # a zonal control plane (GKE's default outside prod) needs its zone
        "cluster": {"public_access_cidrs": ["203.0.113.0/24"], "zones": ["us-central1-a"]},
    },
}
_PROJECTS = ("first", "second")  # resolved twice: a value that follows the project tag is derived, not a default


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    if isinstance(value, dict):
        for k, v in value.items():
            path = f"{prefix}.{k}" if prefix else k
            out[path] = v
            out.update(_flatten(v, path))
    return out


def _is_structured(value: Any) -> bool:
    return isinstance(value, dict) or (isinstance(value, list) and any(isinstance(v, dict) for v in value))


def resolved_defaults() -> dict[str, str]:
    """Per key path the value each environment resolves when the stack leaves it unset (on a minimal stack of
    each cloud), where the declared default is none: ``dev: 2 · staging: 2 · prod: 3``."""
    from mlplatform.components.config.environment import Environment
    from mlplatform.components.config.loader import parse_platform_spec

    values: dict[str, dict[tuple[str, str], Any]] = {}
    derived: set[str] = set()
    for cloud, extra in _MINIMAL.items():
        for env in Environment:
            runs = []
            for project in _PROJECTS:
                doc = {
                    "cloud": cloud,
                    "environment": env.value,
                    "tags": {"team": "ml", "project": project, "cost_center": "cc-1"},
                    "budget": {"monthly_limit_usd": 1000},
                    **json.loads(json.dumps(extra)),
                }
                runs.append(_flatten(parse_platform_spec(doc).model_dump(mode="json")))
            for path, value in runs[0].items():
                if runs[1].get(path) != value:
                    derived.add(path)
                values.setdefault(path, {})[(cloud, env.value)] = value
    given = {path for extra in _MINIMAL.values() for path in _flatten(extra)}  # set by the stack, not defaults
    out: dict[str, str] = {}
    for path, by_run in values.items():
        if path in derived or path in given:
            continue
        if all(v is None for v in by_run.values()) or any(_is_structured(v) for v in by_run.values()):
            continue  # unset everywhere, or a section or list of items: their own keys have the rows
        per_cloud = {}
        for cloud in _MINIMAL:
            envs = {env: show(v) for (c, env), v in by_run.items() if c == cloud}
            distinct = set(envs.values())
            per_cloud[cloud] = (
                distinct.pop() if len(distinct) == 1 else " · ".join(f"{e}: {v}" for e, v in envs.items())
            )
        if len(set(per_cloud.values())) == 1:
            out[path] = next(iter(per_cloud.values()))
        else:
            out[path] = "; ".join(f"{cloud}: {v}" for cloud, v in per_cloud.items())
    return out


def configuration_reference() -> str:
    from mlplatform.components.config.platform import PlatformSpec
    from mlplatform.components.cost.usage import UsageAssumptions

    resolved = resolved_defaults()
    declared = {path: declared_default(field) for path, field, _ in fields(PlatformSpec)}
    defaults = {p: v for p, v in resolved.items() if declared.get(p) in ("none", "[]")}
    out = [
        HEADER.format(cmd=REGENERATE),
        "# Configuration reference\n\n",
        "Every key of a stack file's `mlplatform:platform` object (`stacks/Pulumi.<stack>.yaml`), generated from "
        "the stack spec's models (`components/config/`). Unknown keys are errors. Where a key is left unset and "
        "its value depends on the stack, the default column shows what each environment resolves "
        "(`components/config/defaults.py`, computed on a minimal stack of each cloud: `dev · staging · prod`, "
        "per cloud where they differ); list items (`gpu_pools[]`, `servers[]`, ...) resolve theirs from the "
        "pool they name, as their description says. How to write a stack: "
        "[the configuration guide](../configuration.md).\n\n",
    ]
    sections = list(PlatformSpec.model_fields)
    top = [s for s in sections if not _models_in(PlatformSpec.model_fields[s].annotation)]
    grouped = [s for s in sections if s not in top]
    out.append("Sections: " + ", ".join(f"[`{s}`](#{anchor(s)})" for s in grouped))
    out.append(", [usage assumptions](#usage-assumptions-stacksusagestackyaml).\n\n")
    out.append("## Top-level keys\n\n")
    rows = [(p, f, link) for p, f, link in fields(PlatformSpec) if p in top]
    out.append(field_table(rows, defaults) + "\n\n")
    for section in grouped:
        out.append(f"## {section}\n\n")
        rows = [
            (p, f, link)
            for p, f, link in fields(PlatformSpec)
            if p == section or p.startswith((section + ".", section + "["))
        ]
        out.append(field_table(rows, defaults) + "\n\n")
    out.append("## Usage assumptions (`stacks/usage.<stack>.yaml`)\n\n")
    out.append(
        "The expected cost's assumptions, one file per stack beside the stack files (`mlplatform cost --usage FILE` "
        "reads another). Every key is optional; unknown keys and negative values are errors naming the file and "
        "the key.\n\n"
    )
    out.append(field_table(fields(UsageAssumptions)) + "\n")
    return "".join(out)


# --- policy pack -------------------------------------------------------------------------------------------------


def _setting(name: str, schema: Mapping[str, Any]) -> str:
    kind = schema.get("type", "")
    if kind == "array":
        kind = f"list of {schema.get('items', {}).get('type', 'values')}"
    default = show(schema["default"]) if "default" in schema else "none"
    return f"`{name}` ({kind}, default {default}): {schema.get('description', '')}"


def policies_reference() -> str:
    from mlplatform.policies.rules import RULES

    configs = sorted((ROOT / "policies" / "config").glob("*.json"))
    out = [
        HEADER.format(cmd=REGENERATE),
        "# Policy reference\n\n",
        "Every policy of the pack (`policies/rules/`), its settings with their defaults, and its enforcement in "
        "each shipped config (`policies/config/<stack>.json`). How to run it: "
        "[the policy pack guide](../policies.md).\n\n",
        "| policy | kind | checks | settings |\n|---|---|---|---|\n",
    ]
    for rule in RULES:
        settings = "<br>".join(cell(_setting(k, v)) for k, v in rule.schema.items()) or "none"
        kind = "stack" if rule.is_stack else "resource"
        out.append(f"| `{rule.name}` | {kind} | {cell(rule.description)} | {settings} |\n")
    out.append("\n## Enforcement per shipped config\n\n")
    out.append("`default` is the policy's own level; a config sets `all` and then each policy.\n\n")
    out.append("| policy | " + " | ".join(f"`{c.stem}`" for c in configs) + " |\n")
    out.append("|---|" + "---|" * len(configs) + "\n")
    loaded = [json.loads(c.read_text()) for c in configs]
    for rule in RULES:
        levels = []
        for doc in loaded:
            entry = doc.get(rule.name)
            level = entry if isinstance(entry, str) else (entry or {}).get("enforcementLevel")
            levels.append(level or doc.get("all") or f"{rule.enforcement} (default)")
        out.append(f"| `{rule.name}` | " + " | ".join(levels) + " |\n")
    out.append("\n## Settings per shipped config\n\n")
    out.append("The settings each config gives (the rest take the defaults above).\n\n")
    for config, doc in zip(configs, loaded, strict=True):
        out.append(f"### `policies/config/{config.name}`\n\n")
        rows = []
        for rule in RULES:
            entry = doc.get(rule.name)
            if isinstance(entry, dict):
                given = {k: v for k, v in entry.items() if k != "enforcementLevel"}
                if given:
                    rows.append(
                        f"| `{rule.name}` | " + cell("; ".join(f"{k}: {show(v)}" for k, v in given.items())) + " |"
                    )
        out.append("| policy | settings |\n|---|---|\n" + "\n".join(rows) + "\n\n" if rows else "No settings.\n\n")
    return "".join(out).rstrip() + "\n"


def preflight_reference() -> str:
    from .preflight.registry import RULES

    out = [
        HEADER.format(cmd=REGENERATE),
        "# Preflight reference\n\n",
        "Every preflight rule (`mlplatform/preflight/registry.py`), in the order they run. What the preflight is "
        "for: [the preflight guide](../preflight.md).\n\n",
        "| rule | checks |\n|---|---|\n",
    ]
    out += [f"| `{r.name}` | {cell(r.description)} |\n" for r in RULES]
    return "".join(out)


# --- CLI ---------------------------------------------------------------------------------------------------------


def _commands(group: Any, prefix: str) -> Iterable[tuple[str, Any]]:
    # typer ships its own copy of click's classes: commands and options are told apart by what they have.
    for name in sorted(group.commands):
        command = group.commands[name]
        path = f"{prefix} {name}"
        if hasattr(command, "commands"):
            yield from _commands(command, path)
        else:
            yield path, command


def exit_codes(root: Any) -> str:
    """The exit codes as ``mlplatform --help`` lists them (its epilog), else as the CLI module's docstring does."""
    from . import cli

    if getattr(root, "epilog", None):
        return f"```\n{inspect.cleandoc(root.epilog)}\n```"
    paragraphs = inspect.cleandoc(cli.__doc__ or "").split("\n\n")
    found = next((p for p in paragraphs if p.startswith("Exit codes")), "")
    return " ".join(found.split())


def cli_reference() -> str:
    import typer

    from .cli import app

    root: Any = typer.main.get_command(app)
    out = [
        HEADER.format(cmd=REGENERATE),
        "# CLI reference\n\n",
        f"{first_paragraph(root.help)}\n\n",
        "Generated from the command definitions that `mlplatform COMMAND --help` prints. What each command is "
        "for: [the CLI guide](../cli.md).\n\n",
        "## Exit codes\n\n",
        f"{exit_codes(root)}\n\n",
    ]
    for path, command in _commands(root, "mlplatform"):
        out.append(f"## `{path}`\n\n")
        usage = " ".join(command.collect_usage_pieces(command.context_class(command, info_name=path)))  # as --help
        out.append(f"```\n{path} {usage}\n```\n\n")
        help_text = inspect.cleandoc(command.help or "")
        if help_text:
            out.append(help_text + "\n\n")
        ctx = command.context_class(command, info_name=path)
        records = [p.get_help_record(ctx) for p in command.params if p.param_type_name == "option"]
        rows = [f"| `{cell(opts)}` | {cell(meaning)} |" for opts, meaning in filter(None, records)]
        if rows:
            out.append("| option | meaning |\n|---|---|\n" + "\n".join(rows) + "\n\n")
    return "".join(out).rstrip() + "\n"


# --- README tables -----------------------------------------------------------------------------------------------


SHIPPED_STACKS = ("dev", "staging", "prod", "gcp-dev")
"""The stacks the repository ships (its tracked stacks/Pulumi.<stack>.yaml), in the README's order. Named here, not
globbed, so a user's own stack file beside them (a quickstart copy, a scratch file) never reaches the docs."""


def shipped_stacks() -> list[str]:
    """The shipped stacks of the root program (:data:`SHIPPED_STACKS`): dev, staging, prod, gcp-dev."""
    return list(SHIPPED_STACKS)


def cost_table(plan_of: Callable[[str], Plan]) -> str:
    from mlplatform.components.cost.usage import load_usage

    from .cost import catalog_date, cost_of, money

    lines = [
        f"Monthly USD, catalog prices as of {catalog_date()}, usage from `stacks/usage.<stack>.yaml`, 730 hours a "
        "month (`mlplatform cost --stack <stack>` prints the detail):",
        "",
        "| stack | cloud | region | idle | expected | peak | spot saving | naive baseline |",
        "|---|---|---|---:|---:|---:|---:|---:|",
    ]
    for stack in shipped_stacks():
        plan = plan_of(stack)
        report = cost_of(plan, load_usage(ROOT / "stacks" / f"usage.{stack}.yaml"))
        cloud = "gcp" if any(r.type.startswith("gcp:") for r in plan.custom_resources()) else "aws"
        saved, pct = report.spot_saving()
        lines.append(
            f"| {stack} | {cloud} | {report.region} | {money(report.total('idle'))} | "
            f"{money(report.total('expected'))} | {money(report.total('peak'))} | {pct:.1f}% ({money(saved)}) | "
            f"{money(report.naive_baseline())} |"
        )
    return "\n".join(lines)


def regions_table() -> str:
    from mlplatform.components.base.cloud import Cloud
    from mlplatform.components.catalog import load_catalog

    catalog = load_catalog()
    lines = ["| cloud | region | GPU models priced |", "|---|---|---|"]
    for cloud in Cloud:
        for region in catalog.regions(cloud):
            lines.append(f"| {cloud.value} | {region} | {', '.join(catalog.gpu_models_in(cloud, region))} |")
    return "\n".join(lines)


def replace_block(text: str, name: str, content: str) -> str:
    """``text`` with what lies between ``<!-- BEGIN GENERATED: name -->`` and its END marker replaced."""
    begin, end = f"<!-- BEGIN GENERATED: {name} -->", f"<!-- END GENERATED: {name} -->"
    start, stop = text.find(begin), text.find(end)
    if start == -1 or stop < start:
        raise ValueError(f"no {begin} ... {end} block")
    return text[: start + len(begin)] + "\n" + content + "\n" + text[stop:]


def readme(plan_of: Callable[[str], Plan], current: str) -> str:
    text = replace_block(current, "cost", cost_table(plan_of))
    return replace_block(text, "regions", regions_table())


def _engine_plan(stack: str) -> Plan:
    from . import engine

    return engine.run(ROOT, stack=stack)


def generated(plan_of: Callable[[str], Plan] = _engine_plan) -> dict[str, str]:
    """Every generated file (path relative to the repository) and its text as the code makes it now."""
    return {
        "docs/reference/components.md": components_reference(),
        "docs/reference/configuration.md": configuration_reference(),
        "docs/reference/policies.md": policies_reference(),
        "docs/reference/preflight.md": preflight_reference(),
        "docs/reference/cli.md": cli_reference(),
        "README.md": readme(plan_of, (ROOT / "README.md").read_text(encoding="utf-8")),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mlplatform.docgen", description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 when a file is out of date")
    options = parser.parse_args(argv)
    stale = []
    for relative, text in generated().items():
        path = ROOT / relative
        if path.is_file() and path.read_text(encoding="utf-8") == text:
            continue
        stale.append(relative)
        if not options.check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    verb = "out of date" if options.check else "rewritten"
    for relative in stale:
        print(f"{relative}: {verb}")
    return 1 if options.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
