"""Configuration errors that name the key path, the value received and what is allowed.

Stack configuration (``mlplatform:platform``) and component args are pydantic models; every validation failure
becomes a :class:`Problem`, and all problems are raised together as one :class:`ConfigError` before any
resource is registered. ``ConfigError`` is a ``pulumi.RunError``, so ``pulumi up`` prints the message without
a Python traceback, and the ``mlplatform`` CLI prints it and exits 2.
"""

from __future__ import annotations

import ast
import functools
import linecache
import sys
import types
import typing
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
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


# The base package and pydantic build and validate models; the caller of an Args model is the first frame outside them.
_VALIDATING_DIRS = (str(Path(__file__).resolve().parent), str(Path(pydantic.__file__).resolve().parent))


def args_source(args_class: str) -> str:
    """The header of an Args model's :class:`ConfigError`: the component instance it is for, so two instances of
    one component in a program are told apart.

    - built by the component from a mapping (``DataLake("raw-lake", {...})``): ``DataLake "raw-lake"``;
    - built by the caller inside the component's call (``DataLake("raw-lake", DataLakeArgs(...))``), the name a
      literal: the same;
    - otherwise the Args class and where it was built: ``DataLakeArgs at __main__.py:12``.
    """
    frame = sys._getframe(1)
    while frame is not None and str(Path(frame.f_code.co_filename).resolve()).startswith(_VALIDATING_DIRS):
        frame = frame.f_back
    if frame is None:
        return args_class
    owner, name = frame.f_locals.get("self"), frame.f_locals.get("name")
    if isinstance(owner, pulumi.ComponentResource) and isinstance(name, str):
        return f'{type(owner).__name__} "{name}"'
    instance = _instance_at(frame.f_code.co_filename, frame.f_code, frame.f_lasti, args_class)
    if instance:
        return instance
    try:
        shown = str(Path(frame.f_code.co_filename).resolve().relative_to(Path.cwd()))
    except ValueError:
        shown = frame.f_code.co_filename
    return f"{args_class} at {shown}:{frame.f_lineno}"


def _instance_at(filename: str, code: types.CodeType, lasti: int, args_class: str) -> str | None:
    """``Component "name"`` for the ``args_class(...)`` call being executed at ``lasti``, when it is an argument of
    a call whose first argument is a literal name."""
    positions = list(code.co_positions())
    index = lasti // 2
    if index >= len(positions) or positions[index][0] is None:
        return None
    line, _, col, _ = positions[index]
    tree = _parsed(filename)
    if tree is None:
        return None
    parents: dict[ast.AST, ast.AST] = {}
    found: ast.Call | None = None
    for node in ast.walk(tree):
        for child in ast.iter_child_nodes(node):
            parents[child] = node
        if isinstance(node, ast.Call) and node.lineno == line and node.col_offset == col:
            found = node
    if found is None or _call_name(found) != args_class:
        return None
    component = parents.get(found)
    if isinstance(component, ast.keyword):
        component = parents.get(component)
    if not isinstance(component, ast.Call):
        return None
    first = component.args[0] if component.args else None
    if isinstance(first, ast.Constant) and isinstance(first.value, str) and _call_name(component):
        return f'{_call_name(component)} "{first.value}"'
    return None


def _call_name(call: ast.Call) -> str:
    func = call.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


@functools.lru_cache(maxsize=64)
def _parsed(filename: str) -> ast.Module | None:
    source = "".join(linecache.getlines(filename))
    try:
        return ast.parse(source) if source else None
    except SyntaxError:
        return None


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
    errors = exc.errors(include_url=False)
    problems: list[Problem] = []
    for err in errors:
        if _other_arm_explains(err, errors):
            continue
        problems.extend(_convert(err, model))
    # Unions report one error per arm; keep each (path, message) once.
    seen: set[tuple[str, str]] = set()
    unique = []
    for p in problems:
        if (p.path, p.message) not in seen:
            seen.add((p.path, p.message))
            unique.append(p)
    return unique


def _other_arm_explains(err: Any, errors: Sequence[Any]) -> bool:
    """Whether ``err`` is the "not an instance" arm of a union (a value or a Pulumi Output: DnsLabelInput) whose
    value arm says what is wrong: then it adds nothing."""
    loc = tuple(err["loc"])
    if err["type"] != "is_instance_of" or not loc or not str(loc[-1]).startswith("is-instance["):
        return False
    field = loc[:-1]
    return any(e is not err and len(e["loc"]) > len(field) and tuple(e["loc"][: len(field)]) == field for e in errors)


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
    if etype == "string_type" and isinstance(value, int | float) and not isinstance(value, bool):
        # YAML reads an unquoted 1.30 as the number 1.3: say so, or the message shows a value nobody wrote.
        return [
            Problem(
                path,
                "a number where a string is expected (YAML reads unquoted digits as one); write it quoted: "
                + quoted(value),
                value,
            )
        ]
    if etype == "string_pattern_mismatch":
        return [Problem(path, f"not in the expected form; {_field_doc(model, loc) or 'see the reference'}", value)]
    if etype.endswith("_type") or etype.endswith("_parsing"):
        return [Problem(path, f"wrong type; expected {_describe(model, loc)}", value)]
    return [Problem(path, _strip(err["msg"]), value)]


def quoted(value: int | float, candidates: Sequence[str] = ()) -> str:
    """How to write a number YAML read where a string was meant: the candidate it stands for (``1.3`` for
    ``1.30`` when ``candidates`` has "1.30"), else its text, in double quotes."""
    text = str(value)
    for candidate in candidates:
        try:
            if float(candidate) == float(value):
                return f'"{candidate}"'
        except ValueError:
            continue
    return f'"{text}"'


def _field_doc(model: type[pydantic.BaseModel], loc: Sequence[Any]) -> str:
    """The first sentence of the docstring of the field at ``loc`` (of the list or mapping holding an item)."""
    names = [i for i, part in enumerate(loc) if isinstance(part, str)]
    if not names:
        return ""
    last = names[-1]
    owner = _type_at(model, loc[:last])
    for alt in annotation_alternatives(owner) if owner is not None else []:
        if isinstance(alt, type) and issubclass(alt, pydantic.BaseModel) and loc[last] in alt.model_fields:
            doc = (alt.model_fields[loc[last]].description or "").replace("\n", " ")
            return doc.split(". ")[0].rstrip(".")
    return ""


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
        elif origin in (dict, Mapping) and isinstance(part, str):
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
