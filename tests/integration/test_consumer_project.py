"""mlplatform as another team meets it: the wheel built from this tree, installed with no network into a fresh
virtualenv, used by a Pulumi project of its own in a temporary directory.

GIVEN the wheel (``pip wheel --no-build-isolation --no-index``: the build backend is this environment's) installed
with ``pip install --no-index --no-deps`` into a new virtualenv that reaches the dependencies through a .pth line to
this environment's site-packages (where mlplatform itself is only an editable finder, which a .pth line does not run)
AND a project with its own Pulumi.yaml, stacks/Pulumi.dev.yaml, __main__.py and its own ``components/`` package
(``components.config``, ``components.util``: names mlplatform's own components package also has)
WHEN ``mlplatform plan``, ``cost``, ``check`` and ``preflight`` run there from the new virtualenv
THEN each exits 0 with the wheel's mlplatform and the project's components package, and the policy pack of the
wheel (``mlplatform pack path``) and an exported copy (``mlplatform pack export``) start as the Pulumi CLI starts
them and answer over the analyzer gRPC protocol.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from google.protobuf import empty_pb2
from pulumi.runtime.proto import analyzer_pb2

from tests.conftest import ROOT
from tests.integration.policy_pack import configure, running_pack, struct

pytestmark = pytest.mark.integration

# What the wheel is built from: the project's metadata and the three folders it installs as one package.
SOURCES = ("pyproject.toml", "README.md", "mlplatform", "components", "policies")

PROJECT = {
    "Pulumi.yaml": """\
        name: lakehouse
        description: A team's own program that uses the mlplatform library.
        runtime:
          name: python
          options:
            toolchain: pip
            virtualenv: .venv
        stackConfigDir: stacks
        """,
    "stacks/Pulumi.dev.yaml": """\
        config:
          aws:region: us-east-1
          lakehouse:team: fraud-ml
          lakehouse:monthlyBudgetUsd: 300
        """,
    "components/__init__.py": '"""This team\'s own helpers, in a package named like mlplatform\'s."""\n',
    "components/config.py": """\
        import pulumi


        def settings() -> tuple[str, str, float]:
            config = pulumi.Config()
            region = pulumi.Config("aws").require("region")
            return region, config.require("team"), config.require_float("monthlyBudgetUsd")
        """,
    "components/util.py": """\
        def cost_tags(team: str, environment: str) -> dict[str, str]:
            return {"team": team, "project": "lakehouse", "cost-center": "cc-4242", "environment": environment}
        """,
    "__main__.py": """\
        import pulumi

        import mlplatform
        from components.config import settings
        from components.util import cost_tags
        from mlplatform.components.aws import DataLake, DataLakeArgs, Monitoring, MonitoringArgs
        from mlplatform.components.config import BudgetSpec

        region, team, budget = settings()
        tags = cost_tags(team, pulumi.get_stack())
        lake = DataLake("lake", DataLakeArgs(region=region, tags=tags))
        Monitoring("monitoring", MonitoringArgs(region=region, budget=BudgetSpec(monthly_limit_usd=budget), tags=tags))
        pulumi.export("bucket_names", lake.bucket_names)
        pulumi.export("mlplatform_file", mlplatform.__file__)
        """,
}


@dataclass(frozen=True)
class Installed:
    venv: Path
    env: dict[str, str]

    def run(self, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(args, cwd=cwd, env=self.env, capture_output=True, text=True, timeout=300)

    def mlplatform(self, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
        result = self.run(str(self.venv / "bin" / "mlplatform"), *args, cwd=cwd)
        assert result.returncode == 0, f"mlplatform {' '.join(args)}: exit {result.returncode}\n{result.stderr}"
        return result


def build_wheel(out: Path) -> Path:
    """The wheel of this tree, built offline from a copy (the build leaves build/ and *.egg-info behind)."""
    source = out / "source"
    source.mkdir()
    for name in SOURCES:
        if (ROOT / name).is_dir():
            # Symlinks stay symlinks: setuptools follows mlplatform/components and mlplatform/policies.
            shutil.copytree(ROOT / name, source / name, symlinks=True, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(ROOT / name, source / name)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    subprocess.run(
        [*pip, "wheel", "-q", "--no-deps", "--no-build-isolation", "--no-index", "-w", str(out), str(source)],
        check=True,
        capture_output=True,
        text=True,
    )
    (wheel,) = out.glob("mlplatform-*.whl")
    return wheel


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Iterator[Installed]:
    work = tmp_path_factory.mktemp("wheel")
    wheel = build_wheel(work)
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    # The dependencies, from this environment; mlplatform comes only from the wheel.
    (site / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--python", str(python)]
    subprocess.run(
        [*pip, "install", "-q", "--no-index", "--no-deps", str(wheel)],
        check=True,
        capture_output=True,
        text=True,
    )
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PULUMI_PYTHON_CMD")}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"  # the virtualenv active, as in CI
    yield Installed(venv=venv, env=env)


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("lakehouse")
    for name, text in PROJECT.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(textwrap.dedent(text))
    return root


def test_the_wheel_plans_costs_checks_and_preflights_a_project_with_its_own_components(installed, project):
    found = json.loads(installed.mlplatform("plan", "--stack", "dev", "--json", cwd=project).stdout)
    # The wheel's mlplatform ran the program, and the project's own components package was not shadowed.
    (stack,) = (r for r in found["resources"] if r["type"] == "pulumi:pulumi:Stack")
    assert Path(stack["outputs"]["mlplatform_file"]).is_relative_to(installed.venv)
    types = {r["type"] for r in found["resources"]}
    assert {"mlplatform:aws:DataLake", "mlplatform:aws:Monitoring", "aws:budgets/budget:Budget"} <= types

    cost = json.loads(installed.mlplatform("cost", "--stack", "dev", "--format", "json", cwd=project).stdout)
    assert cost["stack"] == "dev"
    # No policies/config/dev.json in the project: the check takes the installed pack's (exit 0: nothing mandatory).
    check = installed.mlplatform("check", "--stack", "dev", "--format", "json", cwd=project)
    assert str(installed.venv / "lib") in check.stdout
    installed.mlplatform("preflight", "--stack", "dev", cwd=project)
    version = installed.mlplatform("--version", cwd=project).stdout
    assert version.startswith("mlplatform ") and "unknown" not in version


def test_the_installed_and_the_exported_pack_answer_over_the_analyzer_protocol(installed, project):
    pack = Path(installed.mlplatform("pack", "path", cwd=project).stdout.strip())
    assert pack.is_relative_to(installed.venv) and (pack / "PulumiPolicy.yaml").is_file()
    exported = Path(installed.mlplatform("pack", "export", str(project / "policy-pack"), cwd=project).stdout.strip())

    a100_in_dev = analyzer_pb2.AnalyzeRequest(
        type="aws:eks/nodeGroup:NodeGroup",
        name="train",
        urn="urn:pulumi:dev::lakehouse::aws:eks/nodeGroup:NodeGroup::train",
        properties=struct(
            {
                "instanceTypes": ["p4d.24xlarge"],
                "capacityType": "SPOT",
                "scalingConfig": {"minSize": 0, "maxSize": 1},
                "labels": {"mlplatform.io/gpu-pool": "train"},
                "tags": {"team": "ml", "project": "p", "cost-center": "c", "environment": "dev"},
            }
        ),
    )
    # The installed pack runs with python3 on PATH (the active virtualenv); the exported one with the virtualenv
    # its PulumiPolicy.yaml names, whatever PATH says.
    without_venv = {**installed.env, "PATH": os.defpath}
    for directory, env in ((pack, installed.env), (exported, without_venv)):
        with running_pack(directory, env) as analyzer:
            info = analyzer.GetAnalyzerInfo(empty_pb2.Empty())
            assert info.name == "mlplatform-cost-guardrails" and len(info.policies) == 18
            configure(analyzer, json.loads((directory / "config" / "dev.json").read_text()))
            found = {d.policyName for d in analyzer.Analyze(a100_in_dev).diagnostics}
            assert found == {"gpu-allowlist"}, directory
