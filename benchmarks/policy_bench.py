"""Evaluating the policy pack over a Plan of N resources: `mlplatform check` without the Pulumi run.

The program is a platform-shaped mix, repeated until it reaches N resources: GPU node groups with launch
templates, Karpenter NodePools, buckets with lifecycle rules and public access blocks, log groups, DynamoDB
tables, endpoint configurations, IAM roles and security groups; one budget. The Plan is built once by
`mlplatform.engine`; the timing covers only `mlplatform.check.check` (13 policies, resource and stack),
median of --repeat runs; the first run of the process also imports the pack and loads the catalog. Run:

    .venv/bin/python benchmarks/policy_bench.py [--sizes 1000 5000] [--repeat 3]

and copy the table into benchmarks/README.md. Target: 5,000 resources in under 2 seconds.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pulumi_aws as aws  # noqa: E402
import pulumi_kubernetes as k8s  # noqa: E402

from mlplatform import engine  # noqa: E402
from mlplatform.check import check, load_policy_config  # noqa: E402
from mlplatform.components.base.labels import CAPACITY_TYPE_LABEL, GPU_RESOURCE, POOL_LABEL  # noqa: E402

TAGS = {"team": "ml", "project": "bench", "cost-center": "cc-1", "environment": "dev"}
PER_UNIT = 12  # resources one unit of the program registers


def program(n: int):
    def body() -> None:
        aws.budgets.Budget(
            "budget",
            budget_type="COST",
            time_unit="MONTHLY",
            limit_amount="600",
            limit_unit="USD",
            notifications=[
                {
                    "comparison_operator": "GREATER_THAN",
                    "notification_type": "FORECASTED",
                    "threshold": 100,
                    "threshold_type": "PERCENTAGE",
                    "subscriber_email_addresses": ["a@example.com"],
                }
            ],
            tags=TAGS,
        )
        for i in range(max(1, (n - 1) // PER_UNIT)):
            lt = aws.ec2.LaunchTemplate(
                f"lt-{i}",
                metadata_options={"http_tokens": "required", "http_endpoint": "enabled"},
                block_device_mappings=[{"device_name": "/dev/xvda", "ebs": {"volume_size": 100, "encrypted": "true"}}],
                tags=TAGS,
            )
            aws.eks.NodeGroup(
                f"gpu-{i}",
                cluster_name="ml",
                node_role_arn="arn:aws:iam::123456789012:role/node",
                subnet_ids=["subnet-1"],
                instance_types=["g5.xlarge", "g6.xlarge"],
                capacity_type="SPOT",
                scaling_config={"min_size": 0, "desired_size": 0, "max_size": 2},
                launch_template={"id": lt.id, "version": "1"},
                labels={POOL_LABEL: f"pool-{i}"},
                tags=TAGS,
            )
            k8s.apiextensions.CustomResource(
                f"np-{i}",
                api_version="karpenter.sh/v1",
                kind="NodePool",
                metadata={"name": f"np-{i}"},
                spec={
                    "template": {
                        "metadata": {"labels": {POOL_LABEL: f"np-{i}"}},
                        "spec": {
                            "requirements": [
                                {"key": "node.kubernetes.io/instance-type", "operator": "In", "values": ["g6.xlarge"]},
                                {"key": CAPACITY_TYPE_LABEL, "operator": "In", "values": ["spot"]},
                            ]
                        },
                    },
                    "limits": {GPU_RESOURCE: "4"},
                },
            )
            bucket = aws.s3.Bucket(f"bucket-{i}", tags=TAGS)
            aws.s3.BucketLifecycleConfiguration(
                f"bucket-{i}",
                bucket=bucket.id,
                rules=[
                    {
                        "id": "abort",
                        "status": "Enabled",
                        "filter": {},
                        "abort_incomplete_multipart_upload": {"days_after_initiation": 7},
                    }
                ],
            )
            aws.s3.BucketPublicAccessBlock(
                f"bucket-{i}",
                bucket=bucket.id,
                block_public_acls=True,
                block_public_policy=True,
                ignore_public_acls=True,
                restrict_public_buckets=True,
            )
            aws.cloudwatch.LogGroup(f"logs-{i}", retention_in_days=14, tags=TAGS)
            aws.dynamodb.Table(
                f"table-{i}",
                billing_mode="PAY_PER_REQUEST",
                hash_key="id",
                attributes=[{"name": "id", "type": "S"}],
                tags=TAGS,
            )
            aws.sagemaker.EndpointConfiguration(
                f"endpoint-{i}",
                production_variants=[
                    {
                        "variant_name": "a",
                        "model_name": "m",
                        "serverless_config": {"memory_size_in_mb": 2048, "max_concurrency": 5},
                    }
                ],
                tags=TAGS,
            )
            aws.iam.Role(f"role-{i}", assume_role_policy="{}", tags=TAGS)
            aws.ec2.SecurityGroup(f"sg-{i}", vpc_id="vpc-1", tags=TAGS)
            aws.ec2.Eip(f"eip-{i}", domain="vpc", tags=TAGS)

    return body


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", type=int, default=[1000, 5000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    config = load_policy_config(ROOT / "policies" / "config" / "dev.json")
    config["stack-cost-ceiling"] = {"max_monthly_usd": 1e9}  # the mix is big on purpose
    print(f"Python {platform.python_version()}, {platform.machine()}, median of {args.repeat} runs\n")
    print("| resources in the Plan | violations | check, median (s) | ms per 1,000 | first run (s) |")
    print("|---:|---:|---:|---:|---:|")
    for n in args.sizes:
        plan = engine.run(program(n), config={"aws:region": "us-east-1"})
        times, report = [], None
        for _ in range(args.repeat):
            start = time.perf_counter()
            report = check(plan, config)
            times.append(time.perf_counter() - start)
        median = statistics.median(times)
        assert report is not None
        found = f"{len(report.violations)} {json.dumps(sorted({v.policy for v in report.violations}))}"
        per_thousand = 1000 * median / len(plan) * 1000
        print(f"| {len(plan):,} | {found} | {median:.2f} | {per_thousand:.0f} | {times[0]:.2f} |")


if __name__ == "__main__":
    main()
