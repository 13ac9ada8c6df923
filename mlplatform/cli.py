"""The ``mlplatform`` command line: plan, cost (and its change against a baseline), check and preflight a stack
offline; show and refresh the price catalog.

Exit codes (the same for every command, listed in ``mlplatform --help``): 0 success; 1 an internal error (the
program or a policy raised, a cloud API refused); 2 bad input (unknown stack, missing or malformed file, invalid
configuration or option), printed as one clear message without a traceback; 3 a mandatory policy is violated;
4 the preflight found what a real deploy would refuse. When both a check and a preflight fail, 3.

Each command imports only what it runs: the cost model, the policy check (jsonschema's format checkers take
over a second to import), the preflight and rich's tables load when their command or flag asks for them, so
`plan --json` pays for the program and little else (benchmarks/cli_plan_bench.py).
"""

from __future__ import annotations

import gc
import inspect
import json
import sys
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperCommand, TyperGroup

from mlplatform.components.base.errors import ConfigError

from . import engine, stackconfig

if TYPE_CHECKING:
    from rich.console import Console

    from . import cost as costing
    from .plan import Plan


EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_POLICY = 3
EXIT_PREFLIGHT = 4

EXIT_CODES_HELP = "\n".join(
    [
        "Exit codes (every command):",
        f"{EXIT_OK}  success",
        f"{EXIT_ERROR}  internal error: the program or a policy raised, a cloud API refused",
        f"{EXIT_USAGE}  bad input: unknown stack, missing or bad file, invalid config or option",
        f"{EXIT_POLICY}  a mandatory policy is violated (check, plan --check)",
        f"{EXIT_PREFLIGHT}  a preflight finding: a real deploy would refuse it (preflight, plan --preflight)",
        f"When plan --check --preflight finds both, it exits {EXIT_POLICY}.",
    ]
)


def _reflow(doc: str | None) -> str | None:
    """A docstring as help text: its paragraphs joined into lines, so the help wraps them at the terminal's width
    instead of keeping the source's line breaks."""
    if not doc:
        return doc
    paragraphs = inspect.cleandoc(doc).split("\n\n")
    return "\n\n".join(" ".join(line.strip() for line in p.splitlines()) for p in paragraphs)


def _plain_flags(params: list[Any]) -> list[Any]:
    # Typer shows a flag's type as a value placeholder (`--json <bool>`); a flag takes no value.
    for p in params:
        if getattr(p, "is_flag", False) and getattr(p, "metavar", "") is None:
            p.metavar = ""
    return params


class _Command(TyperCommand):
    """A command whose flags show no value placeholder: ``--json``, not ``--json <bool>``."""

    def get_params(self, ctx: Any) -> list[Any]:
        return _plain_flags(super().get_params(ctx))


class _Group(TyperGroup):
    """A group whose flags (``--help``) show no value placeholder."""

    def get_params(self, ctx: Any) -> list[Any]:
        return _plain_flags(super().get_params(ctx))


class _Cli(typer.Typer):
    """The command line as a process runs it (the ``mlplatform`` script, ``python -m mlplatform.cli``).

    The whole command runs with the collector settings the engine uses for a plan, and the heap is frozen when
    it ends: the process exits next, and Python's final collections would otherwise traverse every object of
    the imported provider SDKs and the Plan once more to free memory the operating system reclaims anyway
    (benchmarks/README.md). Tests invoke the commands in-process (``CliRunner``), not through this.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(cls=_Group, **kwargs)

    def command(self, name: str | None = None, **kwargs: Any) -> Any:  # type: ignore[override]
        """Every command with flags that show no ``<bool>`` and its docstring reflowed as its help."""
        register = super().command(name, cls=kwargs.pop("cls", _Command), **kwargs)

        def decorator(fn: Any) -> Any:
            if "help" not in kwargs:
                fn.__doc__ = _reflow(fn.__doc__)
            return register(fn)

        return decorator

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            with engine.collector_for_bulk_work():
                return super().__call__(*args, **kwargs)
        finally:
            gc.freeze()


app = _Cli(
    help="Plan, cost and check mlplatform stacks offline (no Pulumi CLI, cloud account or credentials needed).",
    epilog=EXIT_CODES_HELP,
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


def _print_version(value: bool) -> None:
    if value:
        from . import installed_version

        sys.stdout.write(f"mlplatform {installed_version()}\n")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_print_version, is_eager=True, help="Print the installed version."),
    ] = False,
) -> None:
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
    if isinstance(exc, UsageError):
        err().print(f"error: {exc}", markup=False)
        return typer.Exit(EXIT_USAGE)
    if isinstance(exc, ConfigError):
        err().print(str(exc), markup=False)
        return typer.Exit(EXIT_USAGE)
    err().print(f"error: the program failed: {type(exc).__name__}: {exc}", markup=False)
    return typer.Exit(EXIT_ERROR)


def _warn(lines: list[str]) -> None:
    for line in lines:
        err().print(f"warning: {line}", markup=False)


def _verdict_exit(policy_failed: bool, preflight_failed: bool) -> None:
    if policy_failed:
        raise typer.Exit(EXIT_POLICY)
    if preflight_failed:
        raise typer.Exit(EXIT_PREFLIGHT)


@app.command()
def plan(
    stack: StackOpt,
    program: ProgramOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the Plan as JSON (secrets redacted).")] = False,
    with_cost: Annotated[bool, typer.Option("--cost", help="Also print the monthly cost summary.")] = False,
    with_check: Annotated[
        bool,
        typer.Option(
            "--check",
            help="Also run the policy check (policies/config/<stack>.json, else the config of the stack's "
            f"environment); exit {EXIT_POLICY} on a mandatory violation.",
        ),
    ] = False,
    with_preflight: Annotated[
        bool,
        typer.Option(
            "--preflight",
            help=f"Also run the preflight (what a real deploy refuses); exit {EXIT_PREFLIGHT} on a finding.",
        ),
    ] = False,
) -> None:
    """Run the program offline under mocks and show every resource it would create.

    The first line is the answer: how many resources, and with --cost, --check and --preflight the monthly cost
    (idle, expected, peak) and both verdicts. The resource tree, the counts and each section's detail follow, and
    the answer is repeated as the last line.
    """
    try:
        program_dir = _program_dir(program)
        checker = _policy_checker(program_dir, stack, None, advice=_PLAN_CONFIG_ADVICE) if with_check else None
        result = build_plan(stack, program)
        report = _cost_of(result, program_dir, stack) if with_cost else None
        findings = checker(result) if checker else None
        flight = run_preflight(result) if with_preflight else None
    except Exception as exc:  # reported, never a traceback
        raise _fail(exc) from None
    if as_json:
        sys.stdout.write(json.dumps(result.to_dict(), indent=2, default=str) + "\n")
        return
    from . import render

    console = out()
    headline = render.plan_headline(result, report, findings, flight)
    render.emit(console, [headline, ""])
    render.print_plan(result, console)
    if report is not None:
        from . import cost as costing

        render.emit(console, ["", *render.prose(costing.summary_lines(report), console.width)])
        _warn(costing.warnings())
    if findings is not None:
        render.emit(console, [""])
        render.print_check(findings, console)
    if flight is not None:
        render.emit(console, [""])
        render.print_preflight(flight, console)
    render.emit(console, ["", headline])
    _verdict_exit(bool(findings and findings.mandatory), bool(flight and not flight.ok))


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


def _baseline(path: Path) -> dict[str, Any]:
    from . import cost as costing

    try:
        return costing.load_baseline(path)
    except costing.BaselineError as exc:
        raise UsageError(str(exc)) from None


@app.command()
def cost(
    stack: StackOpt,
    program: ProgramOpt = None,
    fmt: Annotated[
        Format, typer.Option("--format", "-f", help="table, json or markdown (for a pull-request comment).")
    ] = Format.table,
    usage: Annotated[
        Path | None, typer.Option("--usage", help="Usage assumptions YAML (default: stacks/usage.<stack>.yaml).")
    ] = None,
    compare_to: Annotated[
        str | None, typer.Option("--compare", help="Show the difference to this other stack, component by component.")
    ] = None,
    diff_base: Annotated[
        Path | None,
        typer.Option(
            "--diff",
            help="Show the change against this baseline: a file saved from `mlplatform cost --format json`.",
        ),
    ] = None,
) -> None:
    """Monthly cost of a stack before it is deployed: idle, expected and peak, per component and resource.

    The first line gives the three totals; the detail follows. --compare STACK shows the difference to another
    stack per component (the same component on AWS and on GCP is one row).

    --diff FILE prices a change, as Infracost's `diff --compare-to` does: save a baseline with
    `mlplatform cost --stack dev --format json > base.json` (on the main branch), then
    `mlplatform cost --stack dev --diff base.json` shows each resource whose monthly cost changed, marked
    + added, - removed, ~ changed, with its idle, expected and peak deltas and the totals before and after;
    `--format markdown` makes it a pull-request comment, `--format json` a document for scripts. A baseline that
    is not that JSON (or of another version) is refused with exit 2.

    A warning goes to standard error (and into the JSON's `warnings`) when the catalog's prices are older than
    six months.
    """
    from . import cost as costing
    from . import render

    try:
        if compare_to and diff_base:
            raise UsageError("--compare and --diff: give one (another stack, or a saved baseline)")
        baseline = _baseline(diff_base) if diff_base is not None else None
        report = _report(stack, program, usage)
        other = _report(compare_to, program, None) if compare_to else None
    except Exception as exc:
        raise _fail(exc) from None
    _warn(costing.warnings())
    if baseline is not None and diff_base is not None:
        change = costing.diff(report, baseline, diff_base.as_posix())
        if fmt is Format.json:
            sys.stdout.write(json.dumps(costing.json_safe(change), indent=2) + "\n")
        elif fmt is Format.markdown:
            sys.stdout.write(costing.diff_markdown(change))
        else:
            render.print_cost_diff(change, out())
        return
    if other is not None:
        comparison = costing.compare(report, other)
        if fmt is Format.json:
            sys.stdout.write(json.dumps(costing.json_safe(comparison), indent=2) + "\n")
        elif fmt is Format.markdown:
            sys.stdout.write(costing.compare_markdown(comparison))
        else:
            render.print_cost_comparison(comparison, out())
        return
    if fmt is Format.json:
        sys.stdout.write(json.dumps(report.to_dict(), indent=2) + "\n")
    elif fmt is Format.markdown:
        sys.stdout.write(costing.markdown(report))
    else:
        console = out()
        render.emit(console, [f"{report.project}/{report.stack} in {report.region}: {costing.headline(report)}", ""])
        render.print_cost(report, console)


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
    use, alert routing. The verdict is the first line. Exit 4 on a finding.
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
    _verdict_exit(False, not report.ok)


class CheckFormat(StrEnum):
    table = "table"
    json = "json"
    sarif = "sarif"


_CHECK_CONFIG_ADVICE = "pass --config FILE, or add policies/config/{stack}.json"
_PACK_CONFIG_ADVICE = "add policies/config/{stack}.json"
_PLAN_CONFIG_ADVICE = (
    "add policies/config/{stack}.json, or run `mlplatform check --stack {stack} --config FILE` instead of plan --check"
)


def _stack_environment(program_dir: Path, stack: str) -> str | None:
    """The environment a stack declares (``<project>:platform``'s ``environment``, else ``<project>:environment``).

    A missing or unreadable project or stack file is bad input, said as plan/cost/preflight say it: it is the
    mistake to fix, not the policy config that could not be found for want of the stack's environment.
    """
    try:
        project = stackconfig.load_project(program_dir)
        values = stackconfig.load_stack_config(project, stack).values
    except stackconfig.EngineError as exc:
        raise UsageError(str(exc)) from None
    platform = values.get(f"{project.name}:platform")
    if platform:
        try:
            env = json.loads(platform).get("environment")
        except (ValueError, AttributeError):
            env = None
        if isinstance(env, str) and env:
            return env
    env = values.get(f"{project.name}:environment")
    return env or None


def default_policy_config(program_dir: Path, stack: str, advice: str = _CHECK_CONFIG_ADVICE) -> tuple[Path, str | None]:
    """The policy config of a stack and, when it is not the stack's own, a note saying whose it is.

    Looked for in order: policies/config/<stack>.json of the program, then of this package's own pack; then the
    same for the stack's environment (policies/config/<environment>.json: a stack `mine` with `environment: dev`
    gets the dev guardrails).
    """
    bases = (program_dir / "policies" / "config", Path(__file__).resolve().parent / "policies" / "config")
    for base in bases:
        if (base / f"{stack}.json").is_file():
            return base / f"{stack}.json", None
    environment = _stack_environment(program_dir, stack)
    if environment:
        for base in bases:
            if (base / f"{environment}.json").is_file():
                found = base / f"{environment}.json"
                return found, (
                    f"no policies/config/{stack}.json: checking with the config of the stack's environment "
                    f"{environment!r}, {_shown(found)}"
                )
    looked = f"policies/config/{stack}.json" + (f" or {environment}.json (its environment)" if environment else "")
    raise UsageError(f"no policy config for stack {stack!r} (looked for {looked}); " + advice.format(stack=stack))


@app.command("check")
def check_command(
    stack: StackOpt,
    program: ProgramOpt = None,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            "-c",
            help="Policy pack config (default: policies/config/<stack>.json, else the one of the stack's "
            "environment, policies/config/<environment>.json).",
        ),
    ] = None,
    fmt: Annotated[CheckFormat, typer.Option("--format", "-f", help="table, json or sarif.")] = CheckFormat.table,
) -> None:
    """Run the cost-guardrail policy pack over the stack offline, as `pulumi preview --policy-pack` would.

    The verdict is the first line, then each violation. The stack's cost ceiling is checked against the same
    peak `mlplatform cost` prints (the stack's usage assumptions, stacks/usage.<stack>.yaml). Exit 3 when a
    mandatory policy is violated.
    """
    from . import check as checking

    try:
        program_dir = _program_dir(program)
        checker = _policy_checker(program_dir, stack, config)
        report = checker(build_plan(stack, program))
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
    _verdict_exit(bool(report.mandatory), False)


def _policy_checker(program_dir: Path, stack: str, config: Path | None, advice: str = _CHECK_CONFIG_ADVICE):
    """Load (and so validate) the policy config before any planning; return the check to run on the Plan.

    The stack-cost-ceiling policy gets the stack's usage assumptions unless the config sets its own, so the
    check prices the stack as `mlplatform cost` does.
    """
    from . import check as checking
    from . import cost as costing

    if config is not None:
        config_path = config
    else:
        config_path, note = default_policy_config(program_dir, stack, advice)
        if note:
            err().print(f"note: {note}", markup=False)
    try:
        policy_config = checking.load_policy_config(config_path)
    except checking.PolicyConfigError as exc:
        raise UsageError(str(exc)) from None
    try:
        usage = costing.default_usage(program_dir, stack)
    except stackconfig.EngineError as exc:  # no project there: bad input, as planning says it
        raise UsageError(str(exc)) from None
    policy_config = checking.with_settings(
        policy_config, "stack-cost-ceiling", usage=usage.model_dump(mode="json", exclude_defaults=True)
    )

    def run(result: Plan) -> checking.CheckReport:
        try:
            return checking.check(result, policy_config, config_path=_shown(config_path))
        except checking.PolicyConfigError as exc:
            raise UsageError(str(exc)) from None

    return run


def _shown(path: Path) -> str:
    """A path as the user would type it: relative to the working directory when inside it."""
    resolved = path.resolve()
    cwd = Path.cwd().resolve()
    return resolved.relative_to(cwd).as_posix() if resolved.is_relative_to(cwd) else resolved.as_posix()


def _stack_file(program_dir: Path, stack: str) -> str:
    """The stack's config file: where code scanning shows the findings."""
    return _shown(stackconfig.load_project(program_dir).stack_file(stack))


catalog_app = _Cli(help="The GPU and price catalog: what it prices, and refreshing it.", no_args_is_help=True)
app.add_typer(catalog_app, name="catalog")


class CatalogCloud(StrEnum):
    aws = "aws"
    gcp = "gcp"


@catalog_app.command("show")
def catalog_show(
    cloud: Annotated[CatalogCloud | None, typer.Option("--cloud", help="Only this cloud (default: both).")] = None,
    region: Annotated[str | None, typer.Option("--region", "-r", help="Only this region.")] = None,
    gpu: Annotated[
        str | None, typer.Option("--gpu", help="Only shapes with this GPU model (T4, L4, A100, ...); `none`: CPU only.")
    ] = None,
    fmt: Annotated[PreflightFormat, typer.Option("--format", "-f", help="table or json.")] = PreflightFormat.table,
) -> None:
    """What the catalog prices: regions, GPU models, instance and machine types with their hourly prices, and
    the date each price table is from.

    Read-only, offline (no credentials). One line per shape and region: cloud, region, GPUs, vCPUs, memory,
    on-demand and spot USD per hour, and the shape (EC2 instance type, SageMaker `ml.` type, or GCE machine type,
    with `+ N x accelerator` for a GPU attached to an N1 machine). Filters combine. A warning goes to standard
    error (and into the JSON's `warnings`) when the prices are older than six months.
    """
    from mlplatform.components.catalog import load_catalog, price_sources, prices_as_of

    from . import cost as costing

    cat = load_catalog()
    clouds = [str(cloud)] if cloud else ["aws", "gcp"]
    try:
        if region is not None and not any(region in cat.regions(c) for c in clouds):
            known = "; ".join(f"{c}: {', '.join(cat.regions(c))}" for c in clouds)
            raise UsageError(f"--region {region}: not in the catalog; regions: {known}")
        if gpu is not None and gpu != "none" and gpu not in cat.gpus:
            raise UsageError(f"--gpu {gpu}: unknown GPU model; known: {', '.join(cat.gpus)}, or none (CPU shapes)")
    except UsageError as exc:
        raise _fail(exc) from None
    shapes = [s.to_dict() for c in clouds for s in cat.shapes(c, region=region, gpu=gpu)]
    doc = {
        "prices_as_of": prices_as_of(),
        "sources": {k: {"as_of": s.as_of, "source": s.source} for k, s in sorted(price_sources().items())},
        "regions": {c: list(cat.regions(c)) for c in clouds},
        "gpus": {
            g.name: {"memory_gib": g.memory_gib, "architecture": g.architecture, "tier": g.tier}
            for g in cat.gpus.values()
        },
        "shapes": shapes,
        "warnings": costing.warnings(),
    }
    _warn(doc["warnings"])
    if fmt is PreflightFormat.json:
        sys.stdout.write(json.dumps(doc, indent=2) + "\n")
        return
    from . import render

    render.print_catalog(doc, out())


@catalog_app.command("refresh")
def catalog_refresh(
    cloud: Annotated[CatalogCloud, typer.Option("--cloud", help="Whose prices to refresh: aws (gcp: by hand).")],
    region: Annotated[
        list[str] | None, typer.Option("--region", "-r", help="Region to re-price (repeatable; default: all listed).")
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print what would change; write nothing.")] = False,
) -> None:
    """Update AWS instance prices from the AWS Price List API and spot price history (needs AWS credentials).

    Only --cloud aws is refreshed automatically. GCP prices are kept by hand: edit
    components/catalog/data/gcp_compute.yaml and gcp_services.yaml from the Cloud Billing Catalog and set their
    as_of date; `mlplatform catalog show` prints every price with its date.
    """
    if cloud is CatalogCloud.gcp:
        err().print(
            "error: --cloud gcp: catalog refresh supports aws only (allowed: aws; it reads the AWS Price List API "
            "and spot price history, with AWS credentials). GCP prices are updated by hand: edit "
            "components/catalog/data/gcp_compute.yaml and gcp_services.yaml from the Cloud Billing Catalog "
            "(cloud.google.com/skus) and set their as_of date; "
            "`mlplatform catalog show --cloud gcp` shows the prices in use and their date.",
            markup=False,
        )
        raise typer.Exit(EXIT_USAGE)
    try:
        import boto3
        from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError
    except ImportError:
        err().print("error: catalog refresh needs boto3: pip install 'mlplatform[refresh]'", markup=False)
        raise typer.Exit(EXIT_USAGE) from None

    from mlplatform.components.catalog.refresh import PRICING_API_REGION, RefreshError, refresh_aws

    session = boto3.Session()
    if session.get_credentials() is None:
        err().print(
            "error: no AWS credentials: set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY "
            "(needs pricing:GetProducts and ec2:DescribeSpotPriceHistory)",
            markup=False,
        )
        raise typer.Exit(EXIT_USAGE)
    try:
        result = refresh_aws(
            pricing=session.client("pricing", region_name=PRICING_API_REGION),
            ec2_for=lambda r: session.client("ec2", region_name=r),
            regions=region,
            dry_run=dry_run,
        )
    except RefreshError as exc:
        err().print(f"error: {exc}", markup=False)
        raise typer.Exit(EXIT_USAGE) from None
    except (NoCredentialsError, ClientError, BotoCoreError) as exc:
        err().print(f"error: AWS refused the refresh: {exc}", markup=False)
        raise typer.Exit(EXIT_ERROR) from None
    from . import render

    render.print_refresh(result, out(), dry_run=dry_run)


# --- the policy pack, for the Pulumi CLI (`pulumi preview --policy-pack DIR`) ---------------------------------------

pack_app = typer.Typer(
    help='The policy pack as the Pulumi CLI runs it: `pulumi preview --policy-pack "$(mlplatform pack path)"`.',
    no_args_is_help=True,
)
app.add_typer(pack_app, name="pack")


@pack_app.command("path")
def pack_path() -> None:
    """Print the installed policy pack's directory (its config/<stack>.json beside it).

    The Pulumi CLI runs it with the active environment's Python ($PULUMI_PYTHON_CMD, else python3 on PATH); a note
    on standard error says when that is not this environment's.
    """
    from . import policy_pack

    sys.stdout.write(f"{policy_pack.PACK_DIR}\n")
    note = policy_pack.interpreter_note()
    if note is not None:
        err().print(f"note: {note}", markup=False)


@pack_app.command("config")
def pack_config(stack: StackOpt, program: ProgramOpt = None) -> None:
    """Print the policy config `mlplatform check` would use for the stack, for `pulumi preview --policy-pack-config`.

    policies/config/<stack>.json of the program, else the pack's own; else the same for the stack's environment
    (a note on standard error says so). Exit 2 when there is none or the stack file is missing or invalid.
    """
    try:
        found, note = default_policy_config(_program_dir(program), stack, _PACK_CONFIG_ADVICE)
    except Exception as exc:
        raise _fail(exc) from None
    if note:
        err().print(f"note: {note}", markup=False)
    sys.stdout.write(f"{_shown(found)}\n")


@pack_app.command("export")
def pack_export(
    directory: Annotated[Path, typer.Argument(help="Where to write the pack (made if missing; replaces an export).")],
) -> None:
    """Write a self-contained copy of the policy pack that runs with this environment's Python, and print its path.

    PulumiPolicy.yaml names this virtualenv (runtime.options.virtualenv), so the Pulumi CLI runs the pack with it
    whatever comes first on PATH; __main__.py and config/<stack>.json are copied from the installed pack.
    """
    from . import policy_pack

    try:
        exported = policy_pack.export(directory)
    except policy_pack.ExportError as exc:
        err().print(f"error: {exc}", markup=False)
        raise typer.Exit(EXIT_USAGE) from None
    if exported.virtualenv is None:
        err().print(
            f"note: no virtualenv is active: the Pulumi CLI will run this pack with $PULUMI_PYTHON_CMD, else python3 "
            f"on PATH; set PULUMI_PYTHON_CMD={sys.executable}",
            markup=False,
        )
    sys.stdout.write(f"{exported.directory.resolve()}\n")


def main() -> None:  # pragma: no cover - console-script entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    app()
