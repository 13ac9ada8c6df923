"""`mlplatform plan`: tree and summary, JSON, and one clear message (exit 2) for bad input."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from mlplatform.cli import app
from tests.conftest import ROOT, stack_document

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_plan_prints_tree_and_summary():
    result = invoke("plan", "--stack", "dev", "--program", str(ROOT))
    assert result.exit_code == 0, result.output
    assert "mlplatform / dev" in result.output
    assert "mlplatform:index:Platform" in result.output
    assert "Resources by type" in result.output and "Resources by component" in result.output


def test_plan_json_shape():
    result = invoke("plan", "--stack", "prod", "--program", str(ROOT), "--json")
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    assert doc["project"] == "mlplatform" and doc["stack"] == "prod"
    assert {r["type"] for r in doc["resources"]} >= {"pulumi:pulumi:Stack", "mlplatform:index:Platform"}


def test_unknown_stack_is_one_clear_message_and_exit_2():
    result = invoke("plan", "--stack", "qa", "--program", str(ROOT))
    assert result.exit_code == 2
    assert "stack 'qa' has no configuration file" in result.stderr
    assert "Traceback" not in result.output + result.stderr


def test_missing_program_directory_exits_2(tmp_path):
    result = invoke("plan", "--stack", "dev", "--program", str(tmp_path / "nope"))
    assert result.exit_code == 2 and "not a directory" in result.stderr


@pytest.fixture
def broken_project(tmp_path: Path) -> Path:
    """A copy of the platform program with an invalid dev stack."""
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    shutil.copy(ROOT / "__main__.py", tmp_path / "__main__.py")
    (tmp_path / "stacks").mkdir()
    doc = stack_document("dev")
    doc["cluster"]["gpu_pools"][0]["gpu"] = "V200"
    doc["budget"]["monthly_limit_usd"] = "a lot"
    doc["surprise"] = True
    (tmp_path / "stacks" / "Pulumi.dev.yaml").write_text(
        yaml.safe_dump({"config": {"aws:region": "us-east-1", "mlplatform:platform": doc}})
    )
    return tmp_path


def test_invalid_config_prints_every_problem_without_traceback(broken_project):
    result = invoke("plan", "--stack", "dev", "--program", str(broken_project))
    assert result.exit_code == 2
    err = result.stderr
    assert err.startswith("stacks/Pulumi.dev.yaml: 3 invalid settings:")
    assert "mlplatform:platform.cluster.gpu_pools[0].gpu: not allowed; allowed: T4" in err
    assert "(got 'V200')" in err
    assert "mlplatform:platform.budget.monthly_limit_usd" in err
    assert "mlplatform:platform.surprise: unknown key" in err
    assert "Traceback" not in result.output + err


def test_program_failure_exits_1(tmp_path):
    (tmp_path / "Pulumi.yaml").write_text("name: p\nruntime: python\n")
    (tmp_path / "__main__.py").write_text("raise RuntimeError('kaput')\n")
    (tmp_path / "Pulumi.dev.yaml").write_text("config: {}\n")
    result = invoke("plan", "--stack", "dev", "--program", str(tmp_path))
    assert result.exit_code == 1
    assert "the program failed: RuntimeError: kaput" in result.stderr


def test_preflight_passes_a_shipped_stack_and_prints_the_verdict():
    result = invoke("preflight", "--stack", "prod", "--program", str(ROOT))
    assert result.exit_code == 0, result.output
    assert "Preflight passed: 0 finding(s)" in result.output


def test_preflight_exits_4_and_names_resource_rule_and_behaviour_on_a_finding(tmp_path):
    # GIVEN a program whose SageMaker model reads an artifact from the lake it creates (empty on a first deploy)
    (tmp_path / "Pulumi.yaml").write_text("name: firstdeploy\nruntime: python\n")
    (tmp_path / "Pulumi.dev.yaml").write_text("config:\n  aws:region: us-east-1\n")
    (tmp_path / "__main__.py").write_text(
        "from mlplatform.components.aws import DataLake, DataLakeArgs, ModelEndpoint, ModelEndpointArgs\n"
        "lake = DataLake('lake', DataLakeArgs(region='us-east-1'))\n"
        "ModelEndpoint('m', ModelEndpointArgs(region='us-east-1', lake=lake, endpoint={'name': 'm', 'variants': [\n"
        "    {'name': 'v', 'image': '763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.6.0-cpu-py312',\n"
        "     'model_data': 'm/v1/model.tar.gz'}]}))\n"
    )
    result = invoke("preflight", "--stack", "dev", "--program", str(tmp_path), "--format", "json")
    # THEN exit 4 (a preflight finding), with the finding as JSON
    assert result.exit_code == 4
    doc = json.loads(result.stdout)
    assert [(f["rule"], f["resource"], f["phase"]) for f in doc["findings"]] == [
        ("artifacts-exist", "m-v", "first-deploy")
    ]
    assert "SageMaker" in doc["findings"][0]["reference"]


def test_plan_with_preflight_runs_all_three_checks():
    result = invoke("plan", "--stack", "dev", "--program", str(ROOT), "--cost", "--check", "--preflight")
    assert result.exit_code == 0, result.output
    assert "Policy check passed" in result.output and "Preflight passed" in result.output


def test_plan_with_check_and_an_invalid_policy_config_exits_2(tmp_path):
    # GIVEN a program whose own policy config sets a policy's limit below its schema's minimum
    (tmp_path / "Pulumi.yaml").write_text("name: p\nruntime: python\n")
    (tmp_path / "__main__.py").write_text("")
    (tmp_path / "Pulumi.dev.yaml").write_text("config: {}\n")
    (tmp_path / "policies" / "config").mkdir(parents=True)
    bad = {"gpu-pool-limits": {"max_gpus_per_pool": -1}}
    (tmp_path / "policies" / "config" / "dev.json").write_text(json.dumps(bad))
    # WHEN it is planned with --check
    result = invoke("plan", "--stack", "dev", "--program", str(tmp_path), "--check")
    # THEN the config error is one message, exit 2
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ")
    assert "max_gpus_per_pool: -1 is less than the minimum of 1" in result.stderr
    assert "Traceback" not in result.output + result.stderr


def test_plan_json_loads_no_check_cost_preflight_or_rendering():
    # GIVEN a fresh process running `mlplatform plan --stack dev --json` as the console script does
    script = (
        "import json, sys\n"
        "from mlplatform.cli import app\n"
        "sys.argv = ['mlplatform', 'plan', '--stack', 'dev', '--json']\n"
        "try:\n"
        "    app()\n"
        "except SystemExit as exc:\n"
        "    assert not exc.code, exc.code\n"
        "sys.stderr.write(json.dumps(sorted(sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True
    )
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    # THEN the Plan is printed, and none of the machinery of the flags it was not given was imported
    assert json.loads(done.stdout)["stack"] == "dev"
    loaded = json.loads(done.stderr)
    unused = ["jsonschema", "rich", "policies", "pulumi_policy", "mlplatform.check", "mlplatform.cost"]
    unused += ["mlplatform.preflight", "mlplatform.render"]
    assert [m for m in loaded if any(m == u or m.startswith(u + ".") for u in unused)] == []
