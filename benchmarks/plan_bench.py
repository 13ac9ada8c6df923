"""Time to plan N simple resources: mlplatform's engine against the same program under bare SDK mocks.

Both sides run the same program (N S3 buckets with tags) in a fresh context and event loop, one after the
other in one process, so the ratio measures only what the engine adds: recording every registration,
table-driven outputs, and building the Plan. Run:

    .venv/bin/python benchmarks/plan_bench.py [--sizes 100 1000 5000] [--repeat 3]

and copy the table into benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextvars
import os
import platform
import statistics
import sys
import time
from importlib.metadata import version
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pulumi
import pulumi_aws as aws
from pulumi.runtime import settings
from pulumi.runtime.stack import run_in_stack

from mlplatform import engine


def program(n: int):
    def body() -> None:
        for i in range(n):
            aws.s3.Bucket(f"bucket-{i}", tags={"team": "ml", "index": str(i)})

    return body


class BareMocks(pulumi.runtime.Mocks):
    """What a team writes with the SDK alone: echo inputs, make up an id."""

    def new_resource(self, args):
        return f"{args.name}_id", dict(args.inputs)

    def call(self, args):
        return {}


def run_bare(n: int) -> float:
    def in_context() -> float:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        settings.ROOT.set(None)
        monitor = pulumi.runtime.mocks.MockMonitor(BareMocks())
        pulumi.runtime.set_mocks(BareMocks(), project="bench", stack="dev", preview=False, monitor=monitor)
        settings.ROOT.set(None)  # set_mocks made a root stack; run_in_stack makes the one the program uses
        start = time.perf_counter()
        loop.run_until_complete(run_in_stack(program(n)))
        elapsed = time.perf_counter() - start
        assert len(monitor.resources) == n
        loop.close()
        return elapsed

    return contextvars.Context().run(in_context)


def run_engine(n: int) -> float:
    start = time.perf_counter()
    plan = engine.run(program(n), project="bench", stack="dev")
    elapsed = time.perf_counter() - start
    assert len(plan.custom_resources()) == n
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 5000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    run_engine(20)  # warm imports and caches for both sides
    run_bare(20)
    rows = []
    for n in args.sizes:
        bare, eng = [], []
        for _ in range(args.repeat):  # interleave so drift affects both sides alike
            bare.append(run_bare(n))
            eng.append(run_engine(n))
        b, e = statistics.median(bare), statistics.median(eng)
        rows.append((n, b, e))
        print(f"N={n}: bare {b:.2f}s, engine {e:.2f}s, ratio {e / b:.2f}", file=sys.stderr)

    print(
        f"Python {platform.python_version()}, pulumi {version('pulumi')}, pulumi-aws {version('pulumi-aws')}, "
        f"{platform.machine()}, {os.cpu_count()} CPUs, median of {args.repeat} runs\n"
    )
    print("| N resources | bare SDK mocks (s) | mlplatform engine (s) | engine / bare | engine ms per resource |")
    print("|---:|---:|---:|---:|---:|")
    for n, b, e in rows:
        print(f"| {n:,} | {b:.2f} | {e:.2f} | {e / b:.2f} | {1000 * e / n:.2f} |")


if __name__ == "__main__":
    main()
