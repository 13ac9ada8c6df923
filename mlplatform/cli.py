"""The ``mlplatform`` command line: offline plan (and, as they land, cost, check, verify, graph).

Exit codes: 0 success; 1 the program failed or a check found mandatory violations; 2 bad input (unknown
stack, missing file, invalid configuration), printed as one clear message without a traceback.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from components.errors import ConfigError

from . import engine, render, stackconfig
from .plan import Plan

app = typer.Typer(
    help="Plan, cost and check mlplatform stacks offline (no Pulumi CLI, cloud account or credentials needed).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True, highlight=False, soft_wrap=True)

StackOpt = Annotated[str, typer.Option("--stack", "-s", help="Stack name (its stacks/Pulumi.<stack>.yaml).")]
ProgramOpt = Annotated[
    Path | None,
    typer.Option("--program", "-p", help="Pulumi project directory (default: the nearest one above the cwd)."),
]


@app.callback()
def _root() -> None:
    """Plan, cost and check mlplatform stacks offline."""


class UsageError(Exception):
    """Bad input from the user: printed as-is, exit 2."""


def _program_dir(program: Path | None) -> Path:
    if program is not None:
        if not program.is_dir():
            raise UsageError(f"--program {program}: not a directory")
        return program
    found = stackconfig.find_project_dir(Path.cwd())
    if found is None:
        raise UsageError("no Pulumi.yaml in the current directory or above; pass --program DIR")
    return found


def build_plan(stack: str, program: Path | None) -> Plan:
    """Plan ``stack`` of the program, translating bad input into UsageError/ConfigError."""
    try:
        return engine.run(_program_dir(program), stack=stack)
    except stackconfig.EngineError as exc:
        raise UsageError(str(exc)) from None


def _fail(exc: BaseException) -> typer.Exit:
    if isinstance(exc, UsageError | ConfigError):
        err.print(f"[red]error:[/] {exc}", markup=True) if isinstance(exc, UsageError) else err.print(
            str(exc), markup=False
        )
        return typer.Exit(2)
    err.print(f"error: the program failed: {type(exc).__name__}: {exc}", markup=False)
    return typer.Exit(1)


@app.command()
def plan(
    stack: StackOpt,
    program: ProgramOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the Plan as JSON (secrets redacted).")] = False,
) -> None:
    """Run the program offline under mocks and show every resource it would create."""
    try:
        result = build_plan(stack, program)
    except Exception as exc:  # reported, never a traceback
        raise _fail(exc) from None
    if as_json:
        sys.stdout.write(json.dumps(result.to_dict(), indent=2, default=str) + "\n")
        return
    render.print_plan(result, Console())


def main() -> None:  # pragma: no cover - console-script entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    app()
