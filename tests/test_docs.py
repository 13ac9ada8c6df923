"""The docs say what the code does: the references are generated from it and committed as generated, their
examples import and validate, their links resolve, and each docstring's stated default is the declared one."""

from __future__ import annotations

import ast
import functools
import importlib
import re
from pathlib import Path

import pytest
import yaml
from pydantic import BaseModel

from mlplatform import docgen
from mlplatform.components import gcp
from mlplatform.components.aws import (
    DataLakeArgs,
    FeatureStoreArgs,
    GpuClusterArgs,
    MlflowTrackingArgs,
    ModelEndpointArgs,
    MonitoringArgs,
    NetworkArgs,
)
from mlplatform.components.aws.model_monitor import ModelMonitorArgs
from mlplatform.components.aws.workload_role import WorkloadRoleArgs
from mlplatform.components.config.loader import describe_fields, parse_platform_spec
from mlplatform.components.config.platform import PlatformSpec
from mlplatform.components.gcp.workload_identity import WorkloadIdentityArgs
from mlplatform.components.k8s.batch_inference import BatchInferenceArgs
from mlplatform.components.k8s.drift_monitor import DriftMonitorArgs
from mlplatform.components.k8s.kserve import KServeArgs
from mlplatform.components.k8s.model_server import ModelServerArgs
from mlplatform.components.k8s.notebooks import NotebooksArgs
from mlplatform.components.k8s.ray import RayClusterArgs
from mlplatform.components.k8s.request_log import RequestLogSinkArgs
from tests.conftest import ROOT, planned
from tests.fixtures import L4_POOL, aws_config

REFERENCE = ROOT / "docs" / "reference"
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


@functools.cache
def _generated() -> dict[str, str]:
    return docgen.generated(planned)


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


# --- the generated files are the committed ones ------------------------------------------------------------------


@pytest.mark.parametrize(
    "relative",
    [
        "README.md",
        "docs/reference/components.md",
        "docs/reference/configuration.md",
        "docs/reference/policies.md",
        "docs/reference/preflight.md",
        "docs/reference/cli.md",
    ],
)
def test_committed_docs_equal_the_generated_ones(relative):
    # GIVEN the file as committed WHEN the code generates it THEN they are the same, or the reader is told how
    committed = _read(ROOT / relative)
    assert committed == _generated()[relative], (
        f"{relative} is stale: the code has changed since it was generated. Run `make docs` "
        "(python -m mlplatform.docgen) and commit the result."
    )


def test_every_generated_file_is_checked():
    assert set(_generated()) == {
        "README.md",
        "docs/reference/components.md",
        "docs/reference/configuration.md",
        "docs/reference/policies.md",
        "docs/reference/preflight.md",
        "docs/reference/cli.md",
    }


# --- the README is an entry page -----------------------------------------------------------------------------------


def test_readme_first_screen_has_the_two_commands():
    first_screen = "\n".join(_read(ROOT / "README.md").splitlines()[:15])
    assert "make plan" in first_screen and "make test" in first_screen


def test_readme_contents_lists_every_section():
    readme = _read(ROOT / "README.md")
    contents = readme[readme.index("## Contents") :].split("\n## ", 1)[0]
    sections = [line[3:] for line in readme.splitlines() if line.startswith("## ") and line != "## Contents"]
    missing = [s for s in sections if f"(#{docgen.anchor(s)})" not in contents]
    assert not missing, f"README's contents lacks: {missing}"


def test_readme_cost_table_names_every_shipped_stack_and_the_regions_every_catalog_region():
    from mlplatform.components.base.cloud import Cloud
    from mlplatform.components.catalog import load_catalog

    readme = _read(ROOT / "README.md")
    for stack in docgen.shipped_stacks():
        assert re.search(rf"^\| {re.escape(stack)} \| (aws|gcp) \| [a-z0-9-]+ \| \$", readme, re.M), stack
    for cloud in Cloud:
        for region in load_catalog().regions(cloud):
            assert f"| {cloud.value} | {region} |" in readme, region


def test_the_docs_are_generated_from_the_tracked_stacks_only(tmp_path, monkeypatch):
    import subprocess

    from tests.conftest import STACKS

    tracked = subprocess.run(
        ["git", "ls-files", "stacks/Pulumi.*.yaml"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    assert sorted(f"stacks/Pulumi.{s}.yaml" for s in docgen.SHIPPED_STACKS) == sorted(tracked)
    assert tuple(docgen.shipped_stacks()) == docgen.SHIPPED_STACKS == STACKS
    # A user's quickstart copy (or an invalid scratch file) beside the shipped ones is not a shipped stack.
    (tmp_path / "stacks").mkdir()
    for name in [*docgen.SHIPPED_STACKS, "mine", "scratch"]:
        (tmp_path / "stacks" / f"Pulumi.{name}.yaml").write_text("config: {}\n")
    monkeypatch.setattr(docgen, "ROOT", tmp_path)
    assert docgen.shipped_stacks() == list(docgen.SHIPPED_STACKS)


# --- the references list everything the code accepts --------------------------------------------------------------


def test_configuration_reference_lists_every_key():
    # A map's entries are written `key.<key>.field` here, as the stack file nests them.
    reference = _read(REFERENCE / "configuration.md").replace(".<key>", "")
    missing = [path for path, _ in describe_fields(PlatformSpec) if f"| `{path}` |" not in reference]
    assert not missing, f"docs/reference/configuration.md lacks these mlplatform:platform keys: {missing}"


def test_configuration_reference_shows_environment_defaults():
    reference = _read(REFERENCE / "configuration.md")
    row = next(line for line in reference.splitlines() if line.startswith("| `network.availability_zones` |"))
    assert "dev: 2 · staging: 2 · prod: 3" in row
    row = next(line for line in reference.splitlines() if line.startswith("| `mlflow.database.instance_class` |"))
    assert "aws: dev: db.t4g.micro" in row and "gcp: dev: db-f1-micro" in row


def test_usage_reference_lists_every_key():
    from mlplatform.components.cost.usage import UsageAssumptions

    reference = _read(REFERENCE / "configuration.md")
    section = reference[reference.index("## Usage assumptions") :]
    missing = [path for path, _ in describe_fields(UsageAssumptions) if f"| `{path}` |" not in section]
    assert not missing, f"docs/reference/configuration.md lacks these usage keys: {missing}"


ARGS = [
    NetworkArgs,
    GpuClusterArgs,
    DataLakeArgs,
    FeatureStoreArgs,
    MlflowTrackingArgs,
    ModelEndpointArgs,
    MonitoringArgs,
    gcp.NetworkArgs,
    gcp.GpuClusterArgs,
    gcp.DataLakeArgs,
    gcp.FeatureStoreArgs,
    gcp.MlflowTrackingArgs,
    gcp.ModelEndpointArgs,
    gcp.MonitoringArgs,
    WorkloadRoleArgs,
    WorkloadIdentityArgs,
    NotebooksArgs,
    RayClusterArgs,
    BatchInferenceArgs,
    ModelMonitorArgs,
    KServeArgs,
    ModelServerArgs,
    RequestLogSinkArgs,
    DriftMonitorArgs,
]


def _component_section(model) -> str:
    """The reference's entry of the component whose Args is ``model``: the one importing it from its cloud."""
    package = ".".join(model.__module__.split(".")[:3])  # mlplatform.components.aws
    for section in _read(REFERENCE / "components.md").split("\n### "):
        imports = [line for line in section.splitlines() if line.startswith(f"from {package}")]
        if f"`{model.__name__}`:" in section and any(re.search(rf"\b{model.__name__}\b", line) for line in imports):
            return section
    raise AssertionError(f"docs/reference/components.md has no entry for {model.__module__}.{model.__name__}")


@pytest.mark.parametrize("model", ARGS, ids=lambda m: f"{m.__module__.split('.')[2]}.{m.__name__}")
def test_component_reference_documents_every_arg(model):
    section = _component_section(model)
    missing = [
        path for path, _, _ in docgen.fields(model, stop=docgen._spec_section_link) if f"| `{path}` |" not in section
    ]
    assert not missing, f"docs/reference/components.md lacks these {model.__name__} fields: {missing}"


def test_component_reference_shows_the_declared_default():
    # The hand-kept README said 50 here while the code declared 30.
    row = next(
        line
        for line in _component_section(GpuClusterArgs).splitlines()
        if line.startswith("| `system_node_volume_gib` |")
    )
    assert f"| {GpuClusterArgs.model_fields['system_node_volume_gib'].default} |" in row


def test_component_reference_has_every_component():
    reference = _read(REFERENCE / "components.md")
    missing = [cls.__qualname__ for _, cls in docgen.component_classes() if f"### {cls.__name__}" not in reference]
    assert not missing and len(docgen.component_classes()) >= len(ARGS), missing


def test_policy_reference_documents_every_policy_and_setting():
    from mlplatform.policies.rules import RULES

    reference = _read(REFERENCE / "policies.md")
    for rule in RULES:
        row = next((line for line in reference.splitlines() if line.startswith(f"| `{rule.name}` |")), None)
        assert row, f"docs/reference/policies.md lacks policy {rule.name}"
        missing = [k for k in rule.schema if f"`{k}`" not in row]
        assert not missing, f"docs/reference/policies.md lacks settings of {rule.name}: {missing}"


def test_cli_reference_documents_every_command_and_option():
    import typer

    from mlplatform.cli import app

    reference = _read(REFERENCE / "cli.md")
    for path, command in docgen._commands(typer.main.get_command(app), "mlplatform"):
        section = reference[reference.index(f"## `{path}`") :].split("\n## ", 1)[0]
        for param in command.params:
            if param.param_type_name == "option" and not param.hidden:
                assert all(opt in section for opt in param.opts), f"{path}: {param.opts}"
    assert "check --json" not in reference


# --- docstrings state the declared defaults ------------------------------------------------------------------------


def _documented_models() -> list[type[BaseModel]]:
    from mlplatform.components.cost.usage import UsageAssumptions

    models: list[type[BaseModel]] = [PlatformSpec, UsageAssumptions]
    for _, cls in docgen.component_classes():
        param = docgen._args_parameter(cls)
        if param:
            models += docgen._models_in(param[1])[:1]
    return models


def test_every_docstring_default_is_the_declared_default():
    # A docstring's "Default: 50." over `= Field(default=30)` is how the hand-kept reference drifted: the stated
    # default, where it is a plain value, must be the declared one.
    wrong = []
    for model in _documented_models():
        for path, field, _ in docgen.fields(model):
            found = re.search(r"Default: (.+?)(?:\.\s|\.$|$)", " ".join((field.description or "").split()))
            if not found or field.is_required():
                continue
            stated, value = found.group(1).strip().strip("`"), field.default
            if isinstance(value, bool):
                if stated in ("true", "false") and stated != str(value).lower():
                    wrong.append((model.__name__, path, stated, value))
            elif isinstance(value, int | float):
                if re.fullmatch(r"-?[\d,]+(\.\d+)?", stated) and float(stated.replace(",", "")) != float(value):
                    wrong.append((model.__name__, path, stated, value))
            elif isinstance(value, str) and value and " " not in stated and stated != value:
                wrong.append((model.__name__, path, stated, value))
    assert not wrong, f"docstring defaults that are not the declared ones (model, key, stated, declared): {wrong}"


# --- the docs' examples work and their links resolve ----------------------------------------------------------------


def _code_blocks(language: str) -> list[tuple[Path, str]]:
    blocks = []
    for path in DOCS:
        blocks += [(path, m.group(1)) for m in re.finditer(rf"```{language}\n(.*?)```", _read(path), re.S)]
    return blocks


def test_python_examples_in_the_docs_import():
    imports = 0
    for path, block in _code_blocks("python"):
        for node in ast.walk(ast.parse(block)):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert node.module.startswith(("mlplatform", "pulumi")), f"{path.name}: from {node.module}"
                module = importlib.import_module(node.module)
                for alias in node.names:
                    assert hasattr(module, alias.name), f"{path.name}: from {node.module} import {alias.name}"
                    imports += 1
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    importlib.import_module(alias.name)
    assert imports > 10


def test_stack_examples_in_the_docs_validate():
    # A whole stack file validates as it is; a snippet of sections (notebooks:, serving:, ...) validates inside the
    # smallest AWS dev platform with the L4 pool the snippets name.
    validated = 0
    for path, block in _code_blocks("yaml"):
        document = yaml.safe_load(block)
        if not isinstance(document, dict):
            continue
        platform = (document.get("config") or {}).get("mlplatform:platform")
        if platform is None and set(document) <= set(PlatformSpec.model_fields):
            platform = aws_config("dev", cluster={"gpu_pools": [L4_POOL]}, **document)
        if platform is not None:
            parse_platform_spec(platform, source=path.name)
            validated += 1
    assert validated >= 3


def test_docs_import_through_the_namespace():
    bare = re.compile(r"(?:^|\s)(?:from|import) (?:components|policies)\b|`components\.[a-z_]+\.|`policies\.[a-z_]+\.")
    found = [(p.name, m.group(0)) for p in DOCS for m in bare.finditer(_read(p))]
    assert not found, f"docs name modules outside the mlplatform namespace: {found}"


def test_dotted_names_in_the_docs_exist():
    missing = []
    for path in DOCS:
        for ref in set(re.findall(r"`(mlplatform(?:\.\w+)+)(?![\w/])", _read(path))):
            parts, obj = ref.split("."), None
            for i in range(len(parts), 0, -1):
                try:
                    obj = importlib.import_module(".".join(parts[:i]))
                except ImportError:
                    continue
                for attr in parts[i:]:
                    obj = getattr(obj, attr, None)
                break
            if obj is None:
                missing.append((path.name, ref))
    assert not missing, f"docs name modules or attributes that do not exist: {missing}"


def _prose(path: Path) -> str:
    """The text of a Markdown file without its code blocks and code spans."""
    return re.sub(r"`[^`\n]*`", "", re.sub(r"```.*?```", "", _read(path), flags=re.S))


def _anchors(path: Path) -> set[str]:
    text = re.sub(r"```.*?```", "", _read(path), flags=re.S)
    return {docgen.anchor(line.lstrip("#").strip()) for line in text.splitlines() if line.startswith("#")}


def test_links_in_the_docs_resolve():
    broken = []
    for path in DOCS:
        for target in re.findall(r"\]\(([^)\s]+)\)", _prose(path)):
            if target.startswith(("http://", "https://", "mailto:")):
                continue
            file, _, fragment = target.partition("#")
            resolved = (path.parent / file).resolve() if file else path
            if (
                not resolved.exists()
                or not resolved.is_relative_to(ROOT)
                or (fragment and resolved.suffix == ".md" and fragment not in _anchors(resolved))
            ):
                broken.append((path.name, target))
    assert not broken, f"links that point nowhere (file, link): {broken}"


def test_paths_in_the_docs_exist():
    # `stacks/Pulumi.mine.yaml` and `policies/config/NAME.json` are the reader's own files, not the repository's.
    named = r"`((?:components|mlplatform|policies|tests|stacks|examples|benchmarks|docs)/[\w./-]*)`"
    missing = [
        (path.name, named_path)
        for path in DOCS
        for named_path in sorted(set(re.findall(named, _read(path))))
        if not re.search(r"\bmine\b|NAME", named_path) and not (ROOT / named_path.rstrip("/")).exists()
    ]
    assert not missing, f"docs name paths that do not exist: {missing}"
