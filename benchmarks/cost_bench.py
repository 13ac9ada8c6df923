"""The cost engine: what the shipped stacks cost, and how long pricing a large Plan takes.

1. Figures: idle, expected and peak of every shipped stack with its usage file, the spot saving and the naive
   baseline, with the catalog's price date.
2. Speed: the cost model over N resource records (a realistic mix: node groups with launch templates,
   Karpenter NodePools, buckets, tables, endpoints, free plumbing), the same records the policy pack hands it,
   so no Pulumi run is in the timing. Median of --repeat runs.

Run:

    .venv/bin/python benchmarks/cost_bench.py [--sizes 1000 5000] [--repeat 5]

and copy the tables into benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mlplatform import engine  # noqa: E402
from mlplatform.components.base.labels import CAPACITY_TYPE_LABEL, GPU_RESOURCE, POOL_LABEL  # noqa: E402
from mlplatform.components.base.resources import Resource  # noqa: E402
from mlplatform.components.base.types import (  # noqa: E402
    AWS_CLOUDWATCH_METRIC_ALARM,
    AWS_DYNAMODB_TABLE,
    AWS_EC2_LAUNCH_TEMPLATE,
    AWS_EC2_SECURITY_GROUP,
    AWS_EKS_NODE_GROUP,
    AWS_IAM_ROLE,
    AWS_S3_BUCKET_V2,
    K8S_KARPENTER_NODE_POOL,
)
from mlplatform.components.cost.estimate import CostContext  # noqa: E402
from mlplatform.components.cost.estimators import estimate_all  # noqa: E402
from mlplatform.components.cost.usage import load_usage  # noqa: E402
from mlplatform.cost import catalog_date, cost_of, money  # noqa: E402


def stack_figures(stacks: list[str]) -> None:
    print(f"Catalog prices as of {catalog_date()}; usage from stacks/usage.<stack>.yaml\n")
    print("| stack | region | idle | expected | peak | spot saving | naive baseline |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for stack in stacks:
        report = cost_of(engine.run(ROOT, stack=stack), load_usage(ROOT / "stacks" / f"usage.{stack}.yaml"))
        saved, pct = report.spot_saving()
        print(
            f"| {stack} | {report.region} | {money(report.total('idle'))} | {money(report.total('expected'))} | "
            f"{money(report.total('peak'))} | {pct:.1f}% ({money(saved)}) | {money(report.naive_baseline())} |"
        )


def records(n: int) -> list[Resource]:
    """N records in the proportions of a large platform: a tenth priced through lookups, most plumbing."""
    out: list[Resource] = []
    i = 0
    while len(out) < n:
        lt = f"lt-{i}"
        out += [
            Resource(AWS_EC2_LAUNCH_TEMPLATE, f"lt{i}", {"instanceType": "m5.large"}, id=lt),
            Resource(
                AWS_EKS_NODE_GROUP,
                f"ng{i}",
                {
                    "instanceTypes": ["g5.xlarge"],
                    "capacityType": "SPOT",
                    "scalingConfig": {"minSize": 0, "desiredSize": 0, "maxSize": 4},
                    "launchTemplate": {"id": lt},
                    "labels": {POOL_LABEL: f"pool{i}"},
                },
            ),
            Resource(
                K8S_KARPENTER_NODE_POOL,
                f"np{i}",
                {
                    "metadata": {"name": f"np{i}"},
                    "spec": {
                        "template": {
                            "metadata": {"labels": {POOL_LABEL: f"np{i}"}},
                            "spec": {
                                "requirements": [
                                    {
                                        "key": "node.kubernetes.io/instance-type",
                                        "operator": "In",
                                        "values": ["g5.xlarge", "g5.2xlarge", "g6.xlarge"],
                                    },
                                    {"key": CAPACITY_TYPE_LABEL, "operator": "In", "values": ["spot"]},
                                ]
                            },
                        },
                        "limits": {GPU_RESOURCE: "8", "cpu": "64"},
                    },
                },
            ),
            Resource(AWS_S3_BUCKET_V2, f"b{i}-raw", {}),
            Resource(AWS_DYNAMODB_TABLE, f"t{i}", {"billingMode": "PAY_PER_REQUEST"}),
            Resource(AWS_CLOUDWATCH_METRIC_ALARM, f"a{i}", {"period": 60}),
        ]
        out += [Resource(AWS_IAM_ROLE, f"role{i}-{k}", {}) for k in range(4)]
        out += [Resource(AWS_EC2_SECURITY_GROUP, f"sg{i}-{k}", {}) for k in range(4)]
        i += 1
    return out[:n]


def speed(sizes: list[int], repeat: int) -> None:
    print(f"\nPython {platform.python_version()}, {platform.machine()}, median of {repeat} runs\n")
    print("| N records | cost model (s) | ms per 1,000 |")
    print("|---:|---:|---:|")
    for n in sizes:
        recs = records(n)
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            estimate_all(recs, CostContext(region="us-east-1"))
            times.append(time.perf_counter() - start)
        median = statistics.median(times)
        print(f"| {n:,} | {median:.3f} | {1000 * median / n * 1000:.1f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stacks", nargs="+", default=["dev", "staging", "prod", "gcp-dev"])
    parser.add_argument("--sizes", nargs="+", type=int, default=[1000, 5000])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    stack_figures(args.stacks)
    speed(args.sizes, args.repeat)


if __name__ == "__main__":
    main()
