"""Configuration errors that name the key path, the value received and what is allowed.

Stack configuration (``mlplatform:platform``) and component args are pydantic models; every validation failure
becomes a :class:`Problem`, and all problems are raised together as one :class:`ConfigError` before any
resource is registered. ``ConfigError`` is a ``pulumi.RunError``, so ``pulumi up`` prints the message without
a Python traceback, and the ``mlplatform`` CLI prints it and exits 2.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

import pulumi
import pydantic
from pydantic_core import PydanticCustomError

# Error type of problems raised by our own validators; ctx carries the sub-path and the allowed values.
SPEC_ERROR = "spec"


@dataclass(frozen=True)
class Problem:
    """One invalid setting: where it is, what was received, and what is allowed."""

    path: str
    message: str
    value: Any = None
    has_value: bool = True

    def render(self, prefix: str = "") -> str:
        where = f"{prefix}.{self.path}" if prefix and self.path else (prefix or self.path or "<root>")
        got = f" (got {_show(self.value)})" if self.has_value else ""
        return f"{where}: {self.message}{got}"


class ConfigError(pulumi.RunError, ValueError):
    """Invalid configuration: every problem found, each with its full key path.

    ``source`` says where the configuration came from (``stacks/Pulumi.dev.yaml``, or a component such as
    ``GpuCluster 'gpu'``); ``root`` is the key path prefix (``mlplatform:platform`` or ``args``).
    """

    def __init__(self, problems: Sequence[Problem], source: str = "", root: str = ""):
        self.problems = list(problems)
        self.source = source
        self.root = root
        super().__init__(self._message())

    def _message(self) -> str:
        head = f"{self.source}: " if self.source else ""
        count = len(self.problems)
        lines = [f"{head}{count} invalid setting{'s' if count != 1 else ''}:"]
        lines += [f"  - {p.render(self.root)}" for p in self.problems]
        return "\n".join(lines)

    def paths(self) -> list[str]:
        """Full key paths of the problems, root included (``mlplatform:platform.cluster.gpu_pools[0].gpu``)."""
        return [f"{self.root}.{p.path}" if self.root and p.path else (self.root or p.path) for p in self.problems]


def spec_error(field: str | None, message: str, value: Any = None, *, has_value: bool = True) -> PydanticCustomError:
    """An error for a validator to raise: ``field`` extends the validator's location (may be dotted)."""
    return PydanticCustomError(
        SPEC_ERROR,
        "{message}",
        {"message": message, "field": field or "", "value": value, "has_value": has_value},
    )


class Problems:
    """Collects several problems inside one model validator, then raises them as a single pydantic error."""

    def __init__(self) -> None:
        self.items: list[tuple[str, str, Any]] = []

    def add(self, field: str, message: str, value: Any) -> None:
        self.items.append((field, message, value))

    def raise_if_any(self) -> None:
        if self.items:
            raise PydanticCustomError(
                SPEC_ERROR,
                "{message}",
                {"message": "; ".join(m for _, m, _ in self.items), "problems": list(self.items)},
            )


M = typing.TypeVar("M", bound=pydantic.BaseModel)


def validate(model: type[M], data: Any, *, source: str = "", root: str = "", context: Any = None) -> M:
    """Validate ``data`` against ``model``; on failure raise :class:`ConfigError` with every problem."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(
            [Problem("", f"must be a mapping of keys ({', '.join(model.model_fields)})", data)], source, root
        )
    try:
        return model.model_validate(data, context=context)
    except pydantic.ValidationError as exc:
        raise ConfigError(problems_from(exc, model), source, root) from None


def problems_from(exc: pydantic.ValidationError, model: type[pydantic.BaseModel]) -> list[Problem]:
    problems: list[Problem] = []
    for err in exc.errors(include_url=False):
        problems.extend(_convert(err, model))
    # Unions report one error per arm; keep each (path, message) once.
    seen: set[tuple[str, str]] = set()
    unique = []
    for p in problems:
        if (p.path, p.message) not in seen:
            seen.add((p.path, p.message))
            unique.append(p)
    return unique


def format_loc(loc: Iterable[Any]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _join(path: str, field: str) -> str:
    if not field:
        return path
    if not path:
        return field
    return path + ("" if field.startswith("[") else ".") + field


def _convert(err: Any, model: type[pydantic.BaseModel]) -> list[Problem]:
    loc = _strip_union_tags(err["loc"], model)
    path = format_loc(loc)
    etype = err["type"]
    ctx = err.get("ctx") or {}
    value = err.get("input")

    if etype == SPEC_ERROR:
        if "problems" in ctx:
            return [Problem(_join(path, f), m, v) for f, m, v in ctx["problems"]]
        return [
            Problem(_join(path, ctx.get("field", "")), ctx["message"], ctx.get("value"), ctx.get("has_value", True))
        ]
    if etype == "extra_forbidden":
        allowed = _allowed_keys(model, loc[:-1])
        hint = f"; allowed keys: {', '.join(allowed)}" if allowed else ""
        return [Problem(path, f"unknown key{hint}", value)]
    if etype == "missing":
        return [Problem(path, f"required key is missing; expected {_describe(model, loc)}", has_value=False)]
    if etype in ("enum", "literal_error"):
        expected = str(ctx.get("expected", "")).replace("'", "").replace(" or ", ", ")
        return [Problem(path, f"not allowed; allowed: {expected}", value)]
    if etype in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        op = {"greater_than_equal": ">=", "greater_than": ">", "less_than_equal": "<=", "less_than": "<"}[etype]
        limit = next(iter(ctx.values()), "?")
        return [Problem(path, f"must be {op} {limit}", value)]
    if etype in ("too_short", "too_long", "string_too_short", "string_too_long"):
        return [Problem(path, _strip(err["msg"]).lower(), value)]
    if etype.endswith("_type") or etype.endswith("_parsing"):
        return [Problem(path, f"wrong type; expected {_describe(model, loc)}", value)]
    return [Problem(path, _strip(err["msg"]), value)]


def _strip(msg: str) -> str:
    for prefix in ("Value error, ", "Assertion failed, "):
        if msg.startswith(prefix):
            return msg[len(prefix) :]
    return msg


def _show(value: Any) -> str:
    if isinstance(value, Enum):
        value = value.value
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


# --- walking a model along an error location, to say which keys and types are allowed ----------------------


def annotation_alternatives(tp: Any) -> list[Any]:
    """The concrete alternatives of an annotation (Optional/Union/Annotated removed)."""
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return annotation_alternatives(typing.get_args(tp)[0])
    if origin in (typing.Union, types.UnionType):
        out = []
        for arg in typing.get_args(tp):
            if arg is not type(None):
                out.extend(annotation_alternatives(arg))
        return out
    return [tp]


def _step(tp: Any, part: Any) -> Any:
    for alt in annotation_alternatives(tp):
        origin = typing.get_origin(alt)
        if isinstance(alt, type) and issubclass(alt, pydantic.BaseModel) and isinstance(part, str):
            if part in alt.model_fields:
                return alt.model_fields[part].annotation
        elif origin in (list, tuple, set, frozenset) and isinstance(part, int):
            return typing.get_args(alt)[0]
        elif origin is dict and isinstance(part, str):
            return typing.get_args(alt)[1]
    return None


def _strip_union_tags(loc: tuple, model: type[pydantic.BaseModel]) -> tuple:
    """Drop the arm names pydantic inserts for unions (``function-after[...]``, model names)."""
    out: list[Any] = []
    tp: Any = model
    for part in loc:
        nxt = _step(tp, part) if tp is not None else None
        if nxt is None and isinstance(part, str) and _is_union_tag(tp, part):
            continue
        out.append(part)
        tp = nxt
    return tuple(out)


def _is_union_tag(tp: Any, part: str) -> bool:
    """Pydantic names union arms in locations: ``function-after[...]``, ``int``, ``GpuPoolSpec``."""
    if "[" in part or "(" in part:
        return True
    alts = annotation_alternatives(tp) if tp is not None else []
    return len(alts) > 1 and any(getattr(a, "__name__", None) == part for a in alts)


def _type_at(model: type[pydantic.BaseModel], loc: Sequence[Any]) -> Any:
    tp: Any = model
    for part in loc:
        tp = _step(tp, part)
        if tp is None:
            return None
    return tp


def _allowed_keys(model: type[pydantic.BaseModel], loc: Sequence[Any]) -> list[str]:
    tp = _type_at(model, loc)
    for alt in annotation_alternatives(tp) if tp is not None else []:
        if isinstance(alt, type) and issubclass(alt, pydantic.BaseModel):
            return list(alt.model_fields)
    return []


def _describe(model: type[pydantic.BaseModel], loc: Sequence[Any]) -> str:
    tp = _type_at(model, loc)
    if tp is None:
        return "a value"
    names = []
    for alt in annotation_alternatives(tp):
        origin = typing.get_origin(alt)
        if isinstance(alt, type) and issubclass(alt, Enum):
            names.append("one of " + ", ".join(str(m.value) for m in alt))
        elif isinstance(alt, type) and issubclass(alt, pydantic.BaseModel):
            names.append("a mapping with keys " + ", ".join(alt.model_fields))
        elif origin in (list, tuple, set, frozenset):
            names.append("a list")
        elif origin is dict:
            names.append("a mapping")
        elif origin is typing.Literal:
            names.append("one of " + ", ".join(map(str, typing.get_args(alt))))
        elif isinstance(alt, type):
            names.append(
                {"str": "a string", "int": "an integer", "float": "a number", "bool": "true or false"}.get(
                    alt.__name__, alt.__name__
                )
            )
        else:
            names.append(str(alt))
    return " or ".join(names)
