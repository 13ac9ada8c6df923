"""The ``mlplatform`` command line: plan, cost, check and preflight a stack offline; refresh the catalog.

Exit codes: 0 success; 1 the program failed or a check found mandatory violations; 2 bad input (unknown
stack, missing file, invalid configuration), printed as one clear message without a traceback.

Each command imports only what it runs: the cost model, the policy check (jsonschema's format checkers take
over a second to import), the preflight and rich's tables load when their command or flag asks for them, so
`plan --json` pays for the program and little else (benchmarks/cli_plan_bench.py).
"""

from __future__ import annotations

import gc
import json
import sys
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from mlplatform.components.base.errors import ConfigError

from . import engine, stackconfig

if TYPE_CHECKING:
    from rich.console import Console

    from . import cost as costing
    from .plan import Plan


class _Cli(typer.Typer):
    """The command line as a process runs it (the ``mlplatform`` script, ``python -m mlplatform.cli``).

    The whole command runs with the collector settings the engine uses for a plan, and the heap is frozen when
    it ends: the process exits next, and Python's final collections would otherwise traverse every object of
    the imported provider SDKs and the Plan once more to free memory the operating system reclaims anyway
    (benchmarks/README.md). Tests invoke the commands in-process (``CliRunner``), not through this.
    """

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            with engine.collector_for_bulk_work():
                return super().__call__(*args, **kwargs)
        finally:
            gc.freeze()


app = _Cli(
    help="Plan, cost and check mlplatform stacks offline (no Pulumi CLI, cloud account or credentials needed).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@cache
def err() -> Console:
    """The console for errors (standard error), made on first use."""
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=True)


def out() -> Console:
    """A console on standard output for the human-readable renderings."""
    from rich.console import Console

    return Console()


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
        err().print(f"[red]error:[/] {exc}", markup=True) if isinstance(exc, UsageError) else err().print(
            str(exc), markup=False
        )
        return typer.Exit(2)
    err().print(f"error: the program failed: {type(exc).__name__}: {exc}", markup=False)
    return typer.Exit(1)


@app.command()
def plan(
    stack: StackOpt,
    program: ProgramOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the Plan as JSON (secrets redacted).")] = False,
    with_cost: Annotated[bool, typer.Option("--cost", help="Also print the monthly cost summary.")] = False,
    with_check: Annotated[
        bool,
        typer.Option("--check", help="Also run the policy check (policies/config/<stack>.json); exit 1 on mandatory."),
    ] = False,
    with_preflight: Annotated[
        bool,
        typer.Option("--preflight", help="Also run the preflight (what a real deploy refuses); exit 1 on a finding."),
    ] = False,
) -> None:
    """Run the program offline under mocks and show every resource it would create."""
    try:
        program_dir = _program_dir(program)
        checker = _policy_checker(program_dir, stack, None) if with_check else None
        result = build_plan(stack, program)
        report = _cost_of(result, program_dir, stack) if with_cost else None
        findings = checker(result) if checker else None
        flight = run_preflight(result) if with_preflight else None
    except Exception as exc:  # reported, never a traceback
        if with_check and _is_policy_config_error(exc):
            err().print(f"error: {exc}", markup=False)
            raise typer.Exit(2) from None
        raise _fail(exc) from None
    if as_json:
        sys.stdout.write(json.dumps(result.to_dict(), indent=2, default=str) + "\n")
        return
    from . import render

    console = out()
    render.print_plan(result, console)
    if report is not None:
        from . import cost as costing

        console.print("\n".join(costing.summary_lines(report)), markup=False, highlight=False)
    failed = False
    if findings is not None:
        render.print_check(findings, console)
        failed = failed or bool(findings.mandatory)
    if flight is not None:
        render.print_preflight(flight, console)
        failed = failed or not flight.ok
    if failed:
        raise typer.Exit(1)


class Format(StrEnum):
    table = "table"
    json = "json"
    markdown = "markdown"


def _cost_of(result: Plan, program_dir: Path, stack: str) -> costing.CostReport:
    from . import cost as costing

    return costing.cost_of(result, costing.default_usage(program_dir, stack))


def _report(stack: str, program: Path | None, usage: Path | None) -> costing.CostReport:
    from mlplatform.components.cost.usage import load_usage

    from . import cost as costing

    result = build_plan(stack, program)
    if usage is not None and not usage.is_file():
        raise UsageError(f"--usage {usage}: no such file")
    assumptions = load_usage(usage) if usage is not None else costing.default_usage(_program_dir(program), stack)
    return costing.cost_of(result, assumptions)


@app.command()
def cost(
    stack: StackOpt,
    program: ProgramOpt = None,
    fmt: Annotated[
        Format, typer.Option("--format", "-f", help="table, json or markdown (for a PR comment).")
    ] = Format.table,
    usage: Annotated[
        Path | None, typer.Option("--usage", help="Usage assumptions YAML (default: stacks/usage.<stack>.yaml).")
    ] = None,
    compare_to: Annotated[
        str | None, typer.Option("--compare", help="Show the difference to this other stack.")
    ] = None,
) -> None:
    """Monthly cost of a stack before it is deployed: idle, expected and peak, per component and resource."""
    from . import cost as costing
    from . import render

    try:
        report = _report(stack, program, usage)
        other = _report(compare_to, program, None) if compare_to else None
    except Exception as exc:
        raise _fail(exc) from None
    if other is not None:
        diff = costing.compare(report, other)
        if fmt is Format.json:
            sys.stdout.write(json.dumps(costing.json_safe(diff), indent=2) + "\n")
        else:
            render.print_cost_comparison(diff, out())
        return
    if fmt is Format.json:
        sys.stdout.write(json.dumps(report.to_dict(), indent=2) + "\n")
    elif fmt is Format.markdown:
        sys.stdout.write(costing.markdown(report))
    else:
        render.print_cost(report, out())


def run_preflight(result: Plan):
    from .preflight import preflight

    return preflight(result)


class PreflightFormat(StrEnum):
    table = "table"
    json = "json"


@app.command("preflight")
def preflight_command(
    stack: StackOpt,
    program: ProgramOpt = None,
    fmt: Annotated[PreflightFormat, typer.Option("--format", "-f", help="table or json.")] = PreflightFormat.table,
) -> None:
    """What a real first `pulumi up` (and the next update) would refuse that the mocks accept.

    Walks the Plan in dependency order: grants for each workload's data-plane calls, API reachability, CRDs
    before custom resources, nodes before workloads, schedulability, artifacts, names on replace, grants before
    use, alert routing. Exit 1 on a finding.
    """
    try:
        report = run_preflight(build_plan(stack, program))
    except Exception as exc:
        raise _fail(exc) from None
    if fmt is PreflightFormat.json:
        sys.stdout.write(json.dumps(report.to_dict(), indent=2) + "\n")
    else:
        from . import render

        render.print_preflight(report, out())
    if not report.ok:
        raise typer.Exit(1)


class CheckFormat(StrEnum):
    table = "table"
    json = "json"
    sarif = "sarif"


def default_policy_config(program_dir: Path, stack: str) -> Path:
    """policies/config/<stack>.json of the program, else of this package's own pack."""
    for base in (program_dir, Path(__file__).resolve().parent.parent):
        candidate = base / "policies" / "config" / f"{stack}.json"
        if candidate.is_file():
            return candidate
    raise UsageError(
        f"no policy config for stack {stack!r} (looked for policies/config/{stack}.json); pass --config FILE"
    )


@app.command("check")
def check_command(
    stack: StackOpt,
    program: ProgramOpt = None,
    config: Annotated[
        Path | None,
        typer.Option("--config", "-c", help="Policy pack config (default: policies/config/<stack>.json)."),
    ] = None,
    fmt: Annotated[CheckFormat, typer.Option("--format", "-f", help="table, json or sarif.")] = CheckFormat.table,
) -> None:
    """Run the cost-guardrail policy pack over the stack offline, as `pulumi preview --policy-pack` would.

    Exit 1 when a mandatory policy is violated.
    """
    from . import check as checking

    try:
        program_dir = _program_dir(program)
        checker = _policy_checker(program_dir, stack, config)
        report = checker(build_plan(stack, program))
    except checking.PolicyConfigError as exc:
        err().print(f"error: {exc}", markup=False)
        raise typer.Exit(2) from None
    except Exception as exc:
        raise _fail(exc) from None
    if fmt is CheckFormat.json:
        sys.stdout.write(json.dumps(report.to_dict(), indent=2) + "\n")
    elif fmt is CheckFormat.sarif:
        from mlplatform.policies.pack import POLICIES

        artifact = _stack_file(program_dir, stack)
        sys.stdout.write(json.dumps(checking.sarif(report, POLICIES, artifact), indent=2) + "\n")
    else:
        from . import render

        render.print_check(report, out())
    if report.mandatory:
        raise typer.Exit(1)


def _is_policy_config_error(exc: Exception) -> bool:
    from .check import PolicyConfigError  # loaded already when a check was asked for

    return isinstance(exc, PolicyConfigError)


def _policy_checker(program_dir: Path, stack: str, config: Path | None):
    """Load (and so validate) the policy config before any planning; return the check to run on the Plan."""
    from . import check as checking

    config_path = config if config is not None else default_policy_config(program_dir, stack)
    policy_config = checking.load_policy_config(config_path)
    return lambda result: checking.check(result, policy_config, config_path=_shown(config_path))


def _shown(path: Path) -> str:
    """A path as the user would type it: relative to the working directory when inside it."""
    resolved = path.resolve()
    cwd = Path.cwd().resolve()
    return resolved.relative_to(cwd).as_posix() if resolved.is_relative_to(cwd) else resolved.as_posix()


def _stack_file(program_dir: Path, stack: str) -> str:
    """The stack's config file: where code scanning shows the findings."""
    return _shown(stackconfig.load_project(program_dir).stack_file(stack))


catalog_app = typer.Typer(help="The GPU and price catalog.", no_args_is_help=True)
app.add_typer(catalog_app, name="catalog")


class CatalogCloud(StrEnum):
    aws = "aws"
    gcp = "gcp"


@catalog_app.command("refresh")
def catalog_refresh(
    cloud: Annotated[CatalogCloud, typer.Option("--cloud", help="Whose prices to refresh.")],
    region: Annotated[
        list[str] | None, typer.Option("--region", "-r", help="Region to re-price (repeatable; default: all listed).")
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print what would change; write nothing.")] = False,
) -> None:
    """Update instance prices from the AWS Price List API and spot price history (needs AWS credentials)."""
    if cloud is CatalogCloud.gcp:
        err().print(
            "error: --cloud gcp: not supported yet; refresh gcp_compute.yaml by hand from the Cloud Billing "
            "Catalog (allowed: aws)",
            markup=False,
        )
        raise typer.Exit(2)
    try:
        import boto3
        from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError
    except ImportError:
        err().print("error: catalog refresh needs boto3: pip install 'mlplatform[refresh]'", markup=False)
        raise typer.Exit(2) from None

    from mlplatform.components.catalog.refresh import PRICING_API_REGION, RefreshError, refresh_aws

    session = boto3.Session()
    if session.get_credentials() is None:
        err().print(
            "error: no AWS credentials: set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY "
            "(needs pricing:GetProducts and ec2:DescribeSpotPriceHistory)",
            markup=False,
        )
        raise typer.Exit(2)
    try:
        result = refresh_aws(
            pricing=session.client("pricing", region_name=PRICING_API_REGION),
            ec2_for=lambda r: session.client("ec2", region_name=r),
            regions=region,
            dry_run=dry_run,
        )
    except RefreshError as exc:
        err().print(f"error: {exc}", markup=False)
        raise typer.Exit(2) from None
    except (NoCredentialsError, ClientError, BotoCoreError) as exc:
        err().print(f"error: AWS refused the refresh: {exc}", markup=False)
        raise typer.Exit(1) from None
    from . import render

    render.print_refresh(result, out(), dry_run=dry_run)


def main() -> None:  # pragma: no cover - console-script entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    app()
