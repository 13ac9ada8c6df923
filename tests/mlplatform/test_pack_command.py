"""`mlplatform --version`, `mlplatform pack path` and `mlplatform pack export DIR`: the policy pack for the Pulumi
CLI, wherever mlplatform is installed."""

from __future__ import annotations

import sys
from importlib.metadata import version
from pathlib import Path

import yaml
from typer.testing import CliRunner

from mlplatform import policy_pack
from mlplatform.cli import app
from tests.conftest import ROOT

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_version_is_the_distributions():
    result = invoke("--version")
    assert result.exit_code == 0
    assert result.stdout == f"mlplatform {version('mlplatform')}\n"


def test_pack_path_prints_the_pack_directory_alone_on_stdout(monkeypatch):
    monkeypatch.setenv("PULUMI_PYTHON_CMD", sys.executable)
    result = invoke("pack", "path")
    assert result.exit_code == 0
    assert result.stdout == f"{policy_pack.PACK_DIR}\n" and result.stderr == ""
    pack = Path(result.stdout.strip())
    assert pack == (ROOT / "policies").resolve()  # this checkout's, under its editable install
    assert {"PulumiPolicy.yaml", "__main__.py"} <= {p.name for p in pack.iterdir()}
    assert (pack / "config" / "dev.json").is_file()


def test_pack_path_says_when_the_pulumi_cli_would_run_another_python(monkeypatch, tmp_path):
    # GIVEN a python3 first on PATH that is not this environment's
    other = tmp_path / "bin" / "python3"
    other.parent.mkdir()
    other.write_text("#!/bin/sh\n")
    other.chmod(0o755)
    monkeypatch.delenv("PULUMI_PYTHON_CMD", raising=False)
    monkeypatch.setenv("PATH", str(other.parent))
    # WHEN the pack's path is asked for
    result = invoke("pack", "path")
    # THEN the path is still all of stdout, and stderr names both interpreters and the ways out
    assert result.exit_code == 0 and result.stdout == f"{policy_pack.PACK_DIR}\n"
    assert str(other) in result.stderr and sys.executable in result.stderr
    assert "PULUMI_PYTHON_CMD" in result.stderr and "mlplatform pack export" in result.stderr


def test_the_pulumi_cli_finds_python_as_it_does():
    assert policy_pack.pulumi_python({"PULUMI_PYTHON_CMD": sys.executable, "PATH": ""}) == sys.executable
    assert policy_pack.pulumi_python({"PATH": ""}) is None


def test_pack_export_writes_a_pack_that_names_this_environment(tmp_path):
    target = tmp_path / "pack"
    result = invoke("pack", "export", str(target))
    assert result.exit_code == 0, result.output
    assert result.stdout == f"{target.resolve()}\n"
    manifest = yaml.safe_load((target / "PulumiPolicy.yaml").read_text())
    assert manifest["runtime"] == {"name": "python", "options": {"toolchain": "pip", "virtualenv": sys.prefix}}
    assert manifest["version"] == version("mlplatform")
    shipped = yaml.safe_load((policy_pack.PACK_DIR / "PulumiPolicy.yaml").read_text())
    assert manifest["description"] == shipped["description"]
    # The CLI runs <virtualenv>/bin/python: this interpreter's environment.
    assert (Path(manifest["runtime"]["options"]["virtualenv"]) / "bin" / "python").exists()
    assert (target / "__main__.py").read_text() == (policy_pack.PACK_DIR / "__main__.py").read_text()
    shipped_configs = sorted(p.name for p in (policy_pack.PACK_DIR / "config").glob("*.json"))
    assert sorted(p.name for p in (target / "config").iterdir()) == shipped_configs
    # A second export replaces the first.
    assert invoke("pack", "export", str(target)).exit_code == 0


def test_pack_export_refuses_a_directory_that_holds_something_else(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    result = invoke("pack", "export", str(tmp_path))
    assert result.exit_code == 2
    assert f"{tmp_path}: not empty and not a policy pack" in result.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_check_in_a_project_without_policy_configs_uses_the_installed_packs(tmp_path):
    assert policy_pack.CONFIG_DIR == "config"
    from mlplatform.cli import default_policy_config

    found, note = default_policy_config(tmp_path, "dev")
    assert found.resolve() == policy_pack.PACK_DIR / "config" / "dev.json" and note is None


def test_pack_config_prints_the_config_check_uses_falling_back_to_the_stacks_environment(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "Pulumi.yaml").write_text("name: p\nruntime: python\n")
    (tmp_path / "Pulumi.mine.yaml").write_text("config:\n  p:environment: dev\n")
    mine = invoke("pack", "config", "--stack", "mine", "--program", str(tmp_path))
    assert mine.exit_code == 0, mine.output
    assert Path(mine.stdout.strip()) == policy_pack.PACK_DIR / "config" / "dev.json"
    assert "checking with the config of the stack's environment 'dev'" in mine.stderr
    (tmp_path / "policies" / "config").mkdir(parents=True)
    (tmp_path / "policies" / "config" / "mine.json").write_text("{}")
    own = invoke("pack", "config", "--stack", "mine", "--program", str(tmp_path))
    assert own.stdout == "policies/config/mine.json\n" and own.stderr == ""
    missing = invoke("pack", "config", "--stack", "nope", "--program", str(tmp_path))
    assert missing.exit_code == 2 and "stack 'nope' has no configuration file" in missing.stderr
