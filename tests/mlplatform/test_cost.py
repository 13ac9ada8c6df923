"""`mlplatform cost`: the shipped stacks' totals worked out by hand, the guardrail figures, and the command.

Stack totals are written out line by line (price x hours x count) from the catalog snapshot of 2025-07-01 and
the stacks' usage files (stacks/usage.<stack>.yaml). A month is 730 hours.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from mlplatform.cli import app
from mlplatform.components.base.errors import ConfigError
from mlplatform.components.base.types import K8S_KARPENTER_NODE_POOL
from mlplatform.components.cost.usage import UsageAssumptions, load_usage
from mlplatform.cost import compare, cost_of, markdown
from tests.conftest import ROOT, planned

H = 730
runner = CliRunner()


def report(stack: str):
    return cost_of(planned(stack), load_usage(ROOT / "stacks" / f"usage.{stack}.yaml"))


# --- the dev stack (us-east-1) ------------------------------------------------------------------------------------

S3_REQUESTS = 200_000 / 1000 * 0.005 + 800_000 / 1000 * 0.0004  # 1M requests a bucket, a fifth of them PUTs
DEV_LAKE_GB = 100 + 25 + 10 + 20 + 1 + 1  # raw, curated, features, models, access-logs, athena-results
DEV_SYSTEM_NODES = 2 * (H * 0.0752 * (1 - 0.68) + 30 * 0.08)  # 2 spot t3a.large + 30 GB gp3 each
GPU_DISK_HOUR = 100 * 0.08 / H  # the GPU EC2NodeClass's 100 GiB gp3 root volume

DEV_IDLE = {
    "EKS control plane": H * 0.10,
    "system nodes": DEV_SYSTEM_NODES,
    "NAT instance t4g.nano + 8 GB root": H * 0.0042 + 8 * 0.08,
    "its public IPv4": H * 0.005,
    "MLflow db.t4g.micro + 20 GB": H * 0.016 + 20 * 0.115,
    "lake storage": DEV_LAKE_GB * 0.023,
    "3 KMS keys": 3 * 1.00,
    "control-plane logs, 1 GB, 7 days": 1 * 0.50 + 1 * 7 / 30 * 0.03,
    "2 DynamoDB tables, 0.5 GB with PITR": 2 * 0.5 * (0.25 + 0.20),
    "dashboard": 3.00,
    "3 endpoint alarms": 3 * 0.10,
    "GPU pools (scale from zero)": 0.0,
    "serverless endpoint": 0.0,
    "JupyterHub: 5 x 10 GB homes + 1 GB hub database, gp3": (5 * 10 + 1) * 0.08,
}
L4_SPOT = 0.8048 * (1 - 0.66) + GPU_DISK_HOUR  # g6.xlarge
T4_SPOT = 0.526 * (1 - 0.70) + GPU_DISK_HOUR  # g4dn.xlarge
# Node-hours of the toolchain on the GPU pools (usage.dev.yaml): active hours, plus half the 3-hour sessions left
# open until the culler stops them (1 h timeout + half its 5-minute period), plus each session's empty node until
# the pool removes it (consolidateAfter: 5 min inference, 2 min experiments).
NOTEBOOK_L4_HOURS = 10 + (10 / 3) * 0.5 * (1 + 2.5 / 60) + (10 / 3) * 5 / 60
NOTEBOOK_T4_HOURS = 30 + 10 * 0.5 * (1 + 2.5 / 60) + 10 * 2 / 60
RAY_T4_HOURS = 10
BATCH_L4_HOURS = 365 / 12 * (0.5 + 5 / 60)  # nightly: a half-hour run, then the empty node's 5 minutes
TOOLCHAIN_GPU = (NOTEBOOK_L4_HOURS + BATCH_L4_HOURS) * L4_SPOT + (NOTEBOOK_T4_HOURS + RAY_T4_HOURS) * T4_SPOT
DEV_EXPECTED = {
    **DEV_IDLE,
    "3 KMS keys": 3 * (1.00 + 20_000 / 10_000 * 0.03),
    "control-plane logs, 1 GB, 7 days": 2 * 0.50 + 2 * 7 / 30 * 0.03,
    "lake storage": DEV_LAKE_GB * 0.023 + 6 * S3_REQUESTS,
    "Athena, 0.05 TB": 0.05 * 5.00,
    "2 DynamoDB tables, 0.5 GB with PITR": 2 * (0.5 * 0.45 + 1.0 * 0.125 + 0.5 * 0.625),
    "GPU pools (scale from zero)": 40 * (0.8048 * (1 - 0.66) + GPU_DISK_HOUR)  # inference: spot g6.xlarge
    + 20 * (0.526 * (1 - 0.70) + GPU_DISK_HOUR),  # experiments: spot g4dn.xlarge
    "serverless endpoint": 50_000 * 0.1 * 2 * 0.00002 + 50_000 * 4 / 1024**2 * 0.016,
    "notebooks, Ray workers and the nightly batch job on the GPU pools": TOOLCHAIN_GPU,
    "the Triton ranker: 30 busy replica-hours on spot g6.xlarge, $0 idle": 30 * L4_SPOT,
}


def test_dev_idle_and_expected_totals_by_hand():
    r = report("dev")
    assert r.total("idle") == pytest.approx(sum(DEV_IDLE.values()), abs=0.01)  # $149.22
    assert r.total("expected") == pytest.approx(sum(DEV_EXPECTED.values()), abs=0.01)  # $198.60
    assert r.not_estimated == {}


def test_dev_meets_the_cost_targets():
    r = report("dev")
    assert r.total("idle") <= 150, "the whole dev platform idles at $150/month or less"
    gpu = [c for c in r.lines if c.resource.type == K8S_KARPENTER_NODE_POOL]
    assert len(gpu) == 2 and all(c.estimate.idle == 0 for c in gpu), "GPU pools cost nothing idle in dev"
    endpoint = next(c for c in r.lines if c.resource.type.endswith("EndpointConfiguration"))
    assert endpoint.estimate.idle == 0, "serverless endpoints cost nothing idle"
    saved, percent = r.spot_saving()
    l4_hours = 40 + NOTEBOOK_L4_HOURS + BATCH_L4_HOURS + 30  # + the ranker's busy hours
    t4_hours = 20 + NOTEBOOK_T4_HOURS + RAY_T4_HOURS
    on_demand = l4_hours * (0.8048 + GPU_DISK_HOUR) + t4_hours * (0.526 + GPU_DISK_HOUR)
    spot = DEV_EXPECTED["GPU pools (scale from zero)"] + TOOLCHAIN_GPU + 30 * L4_SPOT
    assert saved == pytest.approx(on_demand - spot, abs=0.01)
    assert percent == pytest.approx(100 * (1 - spot / on_demand), abs=0.01)
    assert percent >= 60, "spot GPU capacity at least 60% cheaper than on demand"
    # Naive baseline: both pools always on, on demand, at their limits (4 x g6.xlarge-class, 2 x g4dn...).
    assert r.naive_baseline() > 10 * r.total("expected")


# --- the prod stack (us-west-2) -------------------------------------------------------------------------------------

PROD_LAKE_GB = 5000 + 1500 + 400 + 300 + 50 + 10
WARM_L4 = H * (0.8048 * (1 - 0.65) + GPU_DISK_HOUR)  # the inference pool's warm spot g6.xlarge

PROD_IDLE = {
    "EKS control plane": H * 0.10,
    "3 on-demand m6i.large system nodes + 30 GB": 3 * (H * 0.096 + 30 * 0.08),
    "3 NAT gateways": 3 * H * 0.045,
    "their 3 public IPv4": 3 * H * 0.005,
    "MLflow db.m7g.large multi-AZ + 100 GB": 2 * (H * 0.168 + 100 * 0.115),
    "lake storage": PROD_LAKE_GB * 0.023,
    "3 KMS keys": 3 * 1.00,
    "control-plane logs, 5 GB, 90 days": 5 * 0.50 + 5 * 3 * 0.03,
    "2 DynamoDB tables, 20 GB with PITR": 2 * 20 * 0.45,
    "Container Insights, 3 system + 1 warm GPU node": 4 * 3.00,
    "inference pool: one warm node": WARM_L4,
    "real-time endpoint: 2 current + 1 candidate ml.g5.xlarge": 3 * H * 1.408,
    "dashboard": 3.00,
    "4 endpoint alarms": 4 * 0.10,
    "internal ALB for MLflow's Ingress": H * 0.0225,
    "the vLLM assistant: one warm replica, a spot g6.xlarge": WARM_L4,
    "Model Monitor: 30.4 daily runs x 0.25 h on ml.m5.large": 365 / 12 * 0.25 * 0.115,
}
PROD_EXPECTED = {
    **PROD_IDLE,
    "3 NAT gateways": 3 * (H * 0.045 + 400 * 0.045),
    "3 KMS keys": 3 * 1.06,
    "control-plane logs, 5 GB, 90 days": 30 * 0.50 + 30 * 3 * 0.03,
    "lake storage": PROD_LAKE_GB * 0.023 + 6 * S3_REQUESTS,
    "Athena, 2 TB": 2 * 5.00,
    "2 DynamoDB tables, 20 GB with PITR": 2 * (20 * 0.45 + 60 * 0.125 + 10 * 0.625),
    "Container Insights, 3 system + 1 warm GPU node": (3 + (2920 + 60) / H) * 3.00,
    "inference pool: one warm node": 2920 * 0.9 * (0.8048 * 0.35 + GPU_DISK_HOUR),  # 90% on spot
    "inference on-demand fallback": 2920 * 0.1 * (0.8048 + GPU_DISK_HOUR),
    "training: 8 x A100 p4d.24xlarge on demand": 60 * (21.96 + GPU_DISK_HOUR),
    "internal ALB for MLflow's Ingress": H * (0.0225 + 0.008),  # one LCU
    "the vLLM assistant: one warm replica, a spot g6.xlarge": (H + 350) * WARM_L4 / H,  # + 350 busy replica-hours
}


def test_prod_idle_and_expected_totals_by_hand():
    r = report("prod")
    assert r.region == "us-west-2"
    assert r.total("idle") == pytest.approx(sum(PROD_IDLE.values()), abs=0.01)  # $4,402.62
    assert r.total("expected") == pytest.approx(sum(PROD_EXPECTED.values()), abs=0.01)  # $6,746.37
    assert r.not_estimated == {} and r.unbounded == []


def test_a_nodepool_without_limits_is_an_unbounded_finding():
    from mlplatform import engine

    program = textwrap.dedent(
        """
        import pulumi_kubernetes as k8s
        k8s.apiextensions.CustomResource(
            "gpu",
            api_version="karpenter.sh/v1",
            kind="NodePool",
            metadata={"name": "gpu"},
            spec={"template": {"spec": {"requirements": [
                {"key": "node.kubernetes.io/instance-type", "operator": "In", "values": ["g5.xlarge"]},
                {"key": "karpenter.sh/capacity-type", "operator": "In", "values": ["spot"]},
            ]}}},
        )
        """
    )
    plan = engine.run(lambda: exec(program, {}), stack="dev", project="raw", config={"aws:region": "us-east-1"})
    r = cost_of(plan)
    assert [c.resource.name for c in r.unbounded] == ["gpu"]
    doc = r.to_dict()
    assert doc["totals"]["peak"] is None and doc["unbounded"] == [r.unbounded[0].resource.urn]
    assert doc["resources"][0]["unbounded"] is True


# --- the command ------------------------------------------------------------------------------------------------------


def test_cost_json_shape():
    result = runner.invoke(app, ["cost", "--stack", "dev", "--program", str(ROOT), "--format", "json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["currency"] == "USD" and doc["stack"] == "dev"
    assert set(doc["totals"]) == {"idle", "expected", "peak"}
    assert doc["not_estimated"] == []
    row = doc["resources"][0]
    assert set(row) >= {"urn", "type", "idle", "expected", "peak", "explanation"}
    assert row["urn"].startswith("urn:pulumi:dev::mlplatform::")
    assert doc["totals"]["idle"] == pytest.approx(sum(DEV_IDLE.values()), abs=0.01)
    assert doc["savings"]["spot_percent"] >= 60
    assert doc["catalog_as_of"] == "2025-07-01"


def test_cost_table_and_markdown():
    table = runner.invoke(app, ["cost", "--stack", "dev", "--program", str(ROOT)])
    assert table.exit_code == 0 and "GpuCluster mlplatform-cluster" in table.stdout
    assert "spot saves" in table.stdout
    md = markdown(report("dev"))
    assert md.startswith("### Monthly cost: `mlplatform/dev` (us-east-1)")
    assert "| component | idle | expected | peak |" in md and "| **total** | **$149.22** |" in md
    assert "<details><summary>Per resource</summary>" in md


def test_compare_two_stacks():
    diff = compare(report("dev"), report("prod"))
    idle = diff["totals"]["idle"]
    assert idle["change"] == pytest.approx(idle["b"] - idle["a"])
    assert idle["a"] == pytest.approx(sum(DEV_IDLE.values()), abs=0.01)
    result = runner.invoke(
        app, ["cost", "--stack", "dev", "--compare", "staging", "--program", str(ROOT), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["a"] == "dev" and doc["b"] == "staging"
    assert doc["totals"]["idle"]["change"] > 0


def test_plan_with_cost_prints_the_summary():
    result = runner.invoke(app, ["plan", "--stack", "dev", "--program", str(ROOT), "--cost"])
    assert result.exit_code == 0
    assert "Monthly cost of mlplatform/dev in us-east-1 (USD, catalog 2025-07-01):" in result.stdout
    assert "idle $149.22" in result.stdout


def test_usage_file_overrides_the_stack_default(tmp_path: Path):
    doc = yaml.safe_load((ROOT / "stacks" / "usage.dev.yaml").read_text())
    doc["gpu_node_hours"] = {"inference": 0, "experiments": 0}
    usage = tmp_path / "usage.yaml"  # replaces the stack's usage file: every key not in it takes its default
    usage.write_text(yaml.safe_dump(doc))
    result = runner.invoke(app, ["cost", "--stack", "dev", "--program", str(ROOT), "--usage", str(usage), "-f", "json"])
    doc = json.loads(result.stdout)
    gpu = DEV_EXPECTED["GPU pools (scale from zero)"]
    assert doc["totals"]["expected"] == pytest.approx(sum(DEV_EXPECTED.values()) - gpu, abs=0.01)


def test_usage_errors_name_the_file_and_key(tmp_path: Path):
    missing = runner.invoke(app, ["cost", "--stack", "dev", "--program", str(ROOT), "--usage", str(tmp_path / "x")])
    assert missing.exit_code == 2 and "--usage" in missing.stderr and "no such file" in missing.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text("gpu_hours: {inference: 10}\nnat_gb: -5\n")
    result = runner.invoke(app, ["cost", "--stack", "dev", "--program", str(ROOT), "--usage", str(bad)])
    assert result.exit_code == 2
    assert "gpu_hours: unknown key" in result.stderr and "nat_gb" in result.stderr
    assert "Traceback" not in result.output + result.stderr


def test_usage_assumptions_validate():
    with pytest.raises(ConfigError, match="on_demand_fallback_fraction"):
        UsageAssumptions(on_demand_fallback_fraction=1.5)
    assert UsageAssumptions(endpoint_requests={"ranker": 5}).requests("ranker-prod") == 5
    assert UsageAssumptions(s3_gb={"raw": 7}).bucket_gb("ml-lake-raw") == 7
    assert load_usage(None) == UsageAssumptions()


def test_a_raw_program_gets_the_same_estimate(tmp_path: Path):
    """A team's own program of raw provider resources, costed like the platform (and unknown types listed)."""
    (tmp_path / "Pulumi.yaml").write_text("name: team\nruntime: python\n")
    (tmp_path / "Pulumi.dev.yaml").write_text("config:\n  aws:region: us-east-1\n")
    (tmp_path / "__main__.py").write_text(
        textwrap.dedent(
            """
            import pulumi_aws as aws
            aws.eks.Cluster("c", role_arn="arn:aws:iam::123456789012:role/eks",
                            vpc_config={"subnet_ids": ["subnet-1", "subnet-2"]})
            eip = aws.ec2.Eip("nat", domain="vpc")
            aws.ec2.NatGateway("nat", allocation_id=eip.id, subnet_id="subnet-1")
            aws.redshift.Cluster("wh", cluster_identifier="wh", node_type="ra3.xlplus", master_username="a",
                                 manage_master_password=True)
            """
        )
    )
    result = runner.invoke(app, ["cost", "--stack", "dev", "--program", str(tmp_path), "-f", "json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["totals"]["idle"] == pytest.approx(H * 0.10 + H * 0.045 + H * 0.005, abs=0.01)
    assert doc["not_estimated"] == [{"type": "aws:redshift/cluster:Cluster", "count": 1}]
    table = runner.invoke(app, ["cost", "--stack", "dev", "--program", str(tmp_path)])
    assert "not estimated: aws:redshift/cluster:Cluster x1" in table.stdout
