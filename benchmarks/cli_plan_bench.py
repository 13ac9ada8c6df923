"""Wall time of `mlplatform plan --stack dev --json` against the floor: the same resources under bare SDK mocks.

Each run is a fresh process, as a user runs the command: interpreter start, every import, the program, the
output. The floor is the least any Pulumi program creating the dev stack's resources pays in a fresh process:
it imports the provider resource classes the dev Plan uses (from the provider's own resource-module
registry, so the module a class lives in is the one the SDK would load) and registers the same custom
resources, in the Plan's order with the Plan's type tokens, names and inputs, through
``pulumi.CustomResource`` under ``pulumi.runtime.set_mocks`` mocks that echo inputs. Nothing else: no
configuration, no components, no validation, no output.

The list of resources is derived from the dev Plan itself (the first, untimed, run of the command), so the
floor follows the program as it changes. The two commands then alternate (plan first on odd rounds, the
floor first on even ones) so that the machine's drift affects both alike; the medians and their ratio are
printed, for wall time and for CPU time (user + system of the child: steadier on a shared machine). Run:

    .venv/bin/python benchmarks/cli_plan_bench.py [--stack dev] [--repeat 7]

and copy the table into benchmarks/README.md. Target: plan at most 1.2x the floor.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


# --- the floor, run in its own process --------------------------------------------------------------------


def floor(spec_path: str, tuned: bool = False) -> None:
    """Import the classes and register the resources listed in ``spec_path`` under bare mocks.

    ``tuned``: with the collector settings the ``mlplatform`` process uses (those of
    ``mlplatform.engine.collector_for_bulk_work`` for the whole process, the heap frozen at exit), to tell what
    the plan saves on garbage collection from what it spends beyond the floor.
    """
    import asyncio
    import gc
    import importlib

    if tuned:
        gc.freeze()
        gc.set_threshold(20_000, 50, 1_000)

    import pulumi
    from pulumi.runtime import settings
    from pulumi.runtime.stack import run_in_stack

    spec = json.loads(Path(spec_path).read_text())
    for module, class_name in spec["classes"]:
        getattr(importlib.import_module(module), class_name)

    class BareMocks(pulumi.runtime.Mocks):
        """What a team writes with the SDK alone: echo inputs, make up an id."""

        def new_resource(self, args):
            return f"{args.name}_id", dict(args.inputs)

        def call(self, args):
            return {}

    def program() -> None:
        for r in spec["resources"]:
            if r["type"].startswith("pulumi:providers:"):
                pulumi.ProviderResource(r["type"].rsplit(":", 1)[1], r["name"], r["inputs"])
            else:
                pulumi.CustomResource(r["type"], r["name"], r["inputs"])

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    monitor = pulumi.runtime.mocks.MockMonitor(BareMocks())
    pulumi.runtime.set_mocks(BareMocks(), project=spec["project"], stack=spec["stack"], preview=False, monitor=monitor)
    settings.ROOT.set(None)  # set_mocks made a root stack; run_in_stack makes the one the program uses
    loop.run_until_complete(run_in_stack(program))
    registered = len(monitor.resources)
    if registered != len(spec["resources"]):
        raise SystemExit(f"floor registered {registered} resources, expected {len(spec['resources'])}")
    if tuned:
        gc.freeze()


# --- deriving the floor from the Plan ---------------------------------------------------------------------


def provider_class(type_: str) -> tuple[str, str]:
    """(module, class) the provider SDK registers for a type token; CRDs are Kubernetes CustomResources."""
    import importlib

    from pulumi.runtime.rpc import get_resource_module

    if type_.startswith("pulumi:providers:"):
        package = type_.rsplit(":", 1)[1]
        return f"pulumi_{package}", "Provider"
    package, module_token, _ = type_.split(":")
    importlib.import_module(f"pulumi_{package}")  # its __init__ registers the package's resource modules
    found = get_resource_module(package, module_token, "")
    if found is not None:
        info = found.mod_info  # type: ignore[attr-defined]  # every generated provider's Module carries it
        return info["fqn"], info["classes"][type_]
    if package == "kubernetes":
        return "pulumi_kubernetes.apiextensions", "CustomResource"
    raise SystemExit(f"no provider class registered for {type_}")


def floor_spec(plan: dict) -> dict:
    custom = [r for r in plan["resources"] if r["custom"]]
    classes = sorted({provider_class(r["type"]) for r in custom})
    return {
        "project": plan["project"],
        "stack": plan["stack"],
        "classes": classes,
        "resources": [{"type": r["type"], "name": r["name"], "inputs": r["inputs"]} for r in custom],
    }


# --- timing -----------------------------------------------------------------------------------------------


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall, cpu) seconds of one fresh process; its output is discarded (the plan's JSON goes to a pipe)."""
    import resource
    import subprocess
    import time

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}):\n{done.stderr.decode()}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def cpu_model() -> str:
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return "unknown CPU"
    return next((line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")), "unknown CPU")


def main() -> None:
    import argparse
    import platform
    import statistics
    import subprocess
    import tempfile
    from datetime import date
    from importlib.metadata import version

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stack", default="dev")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument(
        "--tuned-floor",
        action="store_true",
        help="also time the floor with the plan's collector settings (what the plan spends beyond them)",
    )
    parser.add_argument("--floor", metavar="SPEC", help=argparse.SUPPRESS)  # the floor's own process
    parser.add_argument("--tuned", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.floor:
        floor(args.floor, tuned=args.tuned)
        return

    # The checkout this file is in, whichever mlplatform the interpreter has installed.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    script = Path(sys.executable).with_name("mlplatform")
    command = [str(script)] if script.is_file() else [sys.executable, "-m", "mlplatform.cli"]
    plan_argv = [*command, "plan", "--stack", args.stack, "--json"]

    first = subprocess.run(plan_argv, cwd=ROOT, env=env, capture_output=True, check=False)
    if first.returncode != 0:
        raise SystemExit(f"{' '.join(plan_argv)} failed:\n{first.stderr.decode()}")
    spec = floor_spec(json.loads(first.stdout))
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        json.dump(spec, fh)
    floor_argv = [sys.executable, str(Path(__file__).resolve()), "--floor", fh.name]
    sides = {"plan": plan_argv, "floor": floor_argv}
    if args.tuned_floor:
        sides["floor, plan's collector settings"] = [*floor_argv, "--tuned"]
    load_before = os.getloadavg()[0]
    runs: dict[str, list[tuple[float, float]]] = {side: [] for side in sides}
    try:
        timed(floor_argv, env)  # warm the page cache for the floor too
        names = list(sides)
        for i in range(args.repeat):
            for side in names[i % len(names) :] + names[: i % len(names)]:  # each side goes first in turn
                runs[side].append(timed(sides[side], env))
            print(f"round {i + 1}: " + ", ".join(f"{k} {v[-1][0]:.2f}s" for k, v in runs.items()), file=sys.stderr)
    finally:
        os.unlink(fh.name)

    wall = {side: statistics.median(r[0] for r in rs) for side, rs in runs.items()}
    cpu = {side: statistics.median(r[1] for r in rs) for side, rs in runs.items()}
    print(
        f"{date.today().isoformat()}: Python {platform.python_version()}, pulumi {version('pulumi')}, "
        f"pulumi-aws {version('pulumi-aws')}, pulumi-kubernetes {version('pulumi-kubernetes')}; "
        f"{cpu_model()}, {os.cpu_count()} CPUs, load average {load_before:.1f} before and "
        f"{os.getloadavg()[0]:.1f} after; median of {args.repeat} fresh processes each, interleaved\n"
    )
    shown = " ".join(["mlplatform", *plan_argv[len(command) :]])
    print(
        f"plan: `{shown}`; floor: the {len(spec['classes'])} provider classes of its Plan imported, its "
        f"{len(spec['resources'])} resources registered under bare mocks\n"
    )
    print("| process | wall (s) | CPU, user + system (s) | plan / this, wall | plan / this, CPU |")
    print("|---|---:|---:|---:|---:|")
    for side in sides:
        ratios = "| |" if side == "plan" else f"| {wall['plan'] / wall[side]:.2f} | {cpu['plan'] / cpu[side]:.2f} |"
        print(f"| {side} | {wall[side]:.2f} | {cpu[side]:.2f} {ratios}")


if __name__ == "__main__":
    main()
