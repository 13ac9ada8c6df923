"""`mlplatform preflight` over the shipped stacks, and over a stack-shaped Plan of N resources.

The shipped stacks are planned once each; the timing covers only the preflight (every rule, the IAM
evaluations of every workload call included), median of --repeat runs. The scaling rows repeat the dev
stack's resources N/len(dev) times under fresh URNs (a Plan of many copies of the platform: the closure of
dependencies, the IAM evaluations and the schedulability sums grow with it). Run:

    .venv/bin/python benchmarks/preflight_bench.py [--copies 5 20] [--repeat 3]

and copy the table into benchmarks/README.md. Target: the dev stack in under 1 second, growth linear.
"""

from __future__ import annotations

import argparse
import copy
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mlplatform import engine  # noqa: E402
from mlplatform.plan import Plan  # noqa: E402
from mlplatform.preflight import preflight  # noqa: E402


def timed(plan: Plan, repeat: int) -> tuple[float, int, int]:
    runs, report = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        report = preflight(plan)
        runs.append(time.perf_counter() - start)
    assert report is not None
    return statistics.median(runs), sum(report.checked.values()), len(report.findings)


def copies(plan: Plan, n: int) -> Plan:
    """n copies of the plan's resources, each URN (and every reference to one) suffixed with the copy."""
    resources = []
    for i in range(n):
        for r in plan.resources:
            c = copy.copy(r)
            suffix = f"-copy{i}"
            c.urn = r.urn + suffix
            c.parent = r.parent + suffix if r.parent else None
            c.dependencies = [d + suffix for d in r.dependencies]
            c.property_dependencies = {k: [u + suffix for u in v] for k, v in r.property_dependencies.items()}
            c.provider = r.provider + suffix if r.provider else None
            resources.append(c)
    return Plan(plan.project, plan.stack, resources, plan.outputs, [], plan.config)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--copies", type=int, nargs="*", default=[5, 20])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"Python {platform.python_version()}, {platform.machine()}, median of {args.repeat} runs\n")
    print("| plan | resources | checks | findings | preflight (s) |")
    print("|---|---:|---:|---:|---:|")
    plans = {s: engine.run(ROOT, stack=s) for s in ("dev", "staging", "prod", "gcp-dev")}
    for stack, plan in plans.items():
        seconds, checks, findings = timed(plan, args.repeat)
        print(f"| {stack} | {len(plan.resources):,} | {checks:,} | {findings} | {seconds:.3f} |")
    for n in args.copies:
        big = copies(plans["dev"], n)
        seconds, checks, findings = timed(big, args.repeat)
        print(f"| dev x {n} | {len(big.resources):,} | {checks:,} | {findings} | {seconds:.3f} |")


if __name__ == "__main__":
    main()
