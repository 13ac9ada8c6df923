"""What the CLI prints, as a CI log shows it (not a terminal: rich renders 80 columns): the answer first, no
identifier cut, cost and check agreeing on the peak, the cost diff against a baseline, the catalog, the policy
config fallback, exit codes CI can tell apart, and help text.

The shipped stacks are planned once per session (tests.conftest.planned) and handed to the commands.
"""

from __future__ import annotations

import json
import re
import shutil
from datetime import date
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from mlplatform import engine, render
from mlplatform.cli import EXIT_ERROR, EXIT_OK, EXIT_POLICY, EXIT_PREFLIGHT, EXIT_USAGE, app
from mlplatform.components.catalog import prices_as_of, stale_prices_warning
from mlplatform.cost import money
from tests.conftest import ROOT, STACKS, planned, stack_document

runner = CliRunner()
NARROW = {"COLUMNS": "80"}


def plan_from_cache(monkeypatch, as_stack: dict[str, str] | None = None) -> None:
    """engine.run answers a shipped stack of the root program (or a stack named in ``as_stack``, from the shipped
    stack it maps to) from the session's cache of Plans."""
    real = engine.run

    def cached(stack: str):
        monkeypatch.setattr(engine, "run", real)  # planned() plans with the real engine
        try:
            return planned(stack)
        finally:
            monkeypatch.setattr(engine, "run", run)

    def run(program_dir, stack, **kwargs):
        if not kwargs and as_stack and stack in as_stack:
            return cached(as_stack[stack])
        if not kwargs and Path(program_dir).resolve() == ROOT:
            return cached(stack)
        return real(program_dir, stack=stack, **kwargs)

    monkeypatch.setattr(engine, "run", run)


@pytest.fixture
def shipped(monkeypatch):
    """The commands plan a shipped stack of the root program from the session's cache."""
    plan_from_cache(monkeypatch)


def invoke(*args: str, env: dict[str, str] | None = None):
    return runner.invoke(app, list(args), env={**NARROW, **(env or {})}, catch_exceptions=False)


def lines_of(text: str) -> list[str]:
    return text.splitlines()


def assert_whole(output: str, names: set[str]) -> None:
    """Every name is printed intact on one line, and nothing is cut with an ellipsis."""
    assert "…" not in output
    missing = sorted(n for n in names if not any(n in line for line in lines_of(output)))
    assert not missing, missing


# --- 1. the answer first -------------------------------------------------------------------------------------------


def test_plan_leads_and_ends_with_a_one_line_summary(shipped):
    result = invoke("plan", "--stack", "dev", "--program", str(ROOT), "--cost", "--check", "--preflight")
    assert result.exit_code == EXIT_OK, result.output
    first, last = lines_of(result.stdout)[0], lines_of(result.stdout)[-1]
    assert first == last
    assert first.startswith("mlplatform/dev: 236 resources in 28 components; ")
    assert "cost idle $149.22, expected $198.60, peak $6,102.06 a month" in first
    assert "check passed (0 mandatory, 0 advisory)" in first and "preflight passed (0 finding(s))" in first
    # the detail follows
    assert "mlplatform / dev" in result.stdout and "Resources by component" in result.stdout
    assert "Policy check passed" in result.stdout and "Preflight passed" in result.stdout


def test_cost_check_and_preflight_lead_with_their_answer(shipped):
    cost = invoke("cost", "--stack", "dev", "--program", str(ROOT))
    assert (
        lines_of(cost.stdout)[0]
        == "mlplatform/dev in us-east-1: idle $149.22, expected $198.60, peak $6,102.06 a month"
    )
    check = invoke("check", "--stack", "dev", "--program", str(ROOT))
    assert lines_of(check.stdout)[0].startswith("Policy check passed: 0 mandatory, 0 advisory violation(s)")
    flight = invoke("preflight", "--stack", "dev", "--program", str(ROOT))
    assert lines_of(flight.stdout)[0].startswith("Preflight passed: 0 finding(s)")


# --- 2. never truncate an identifier ------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", STACKS)
def test_at_80_columns_every_name_is_printed_whole(shipped, stack):
    plan = planned(stack)
    result = invoke("plan", "--stack", stack, "--program", str(ROOT), "--cost", "--check", "--preflight")
    assert result.exit_code == EXIT_OK, result.output
    assert_whole(result.stdout, {r.name for r in plan if r.type != "pulumi:pulumi:Stack"})
    cost = invoke("cost", "--stack", stack, "--program", str(ROOT))
    priced = {
        r["urn"].rsplit("::", 1)[-1]
        for r in json.loads(invoke("cost", "--stack", stack, "-f", "json").stdout)["resources"]
    }
    assert_whole(cost.stdout, priced)


@pytest.mark.parametrize("stack", STACKS)
def test_the_tree_cuts_only_prose_never_an_identifier_in_a_setting(stack):
    """A setting's value is cut with ``...`` only where it is prose (it has a space); a document too long to show
    (SageMaker's production variants, a JSON monitoring spec) is summarized by its identifiers, whole."""
    settings = [render.key_settings(r) for r in planned(stack)]
    cut = [m for line in settings for m in re.findall(r"(\w+)=((?:(?! \w+=).)*?)\.\.\.(?= \w+=|$)", line)]
    assert all(" " in value for _, value in cut), cut


def test_a_long_document_is_summarized_by_its_identifiers_whole():
    variants = [{"variantName": "current", "modelName": "mlplatform-endpoint-ranker-current-3f9a1c2", "x": 1}] * 2
    shown = render._short(variants)
    assert shown.count("modelName=mlplatform-endpoint-ranker-current-3f9a1c2") == 2 and "+1 more" in shown
    monitoring = json.dumps({"Tags": {"Key": "mlplatform-stack"}, "RoleArn": "arn:aws:iam::1:role/" + "m" * 60})
    assert render._short(monitoring) == "{RoleArn=arn:aws:iam::1:role/" + "m" * 60 + " +1 more}"


def test_three_alarms_of_one_endpoint_are_three_names(shipped):
    cost = invoke("cost", "--stack", "dev", "--program", str(ROOT))
    alarms = [line for line in lines_of(cost.stdout) if "MetricAlarm mlplatform-endpoint-ranker-current-" in line]
    assert len({line.split()[-1] for line in alarms}) == 3


def test_check_violations_name_their_resources_whole_at_80_columns(shipped, tmp_path):
    # GIVEN a config under which the dev stack violates rules on resources with long names
    config = tmp_path / "strict.json"
    config.write_text(
        json.dumps(
            {
                "all": "mandatory",
                "stack-cost-ceiling": {"max_monthly_usd": 1},
                "encryption-at-rest": {"require_customer_managed_keys": True},
            }
        )
    )
    result = invoke("check", "--stack", "dev", "--program", str(ROOT), "--config", str(config))
    assert result.exit_code == EXIT_POLICY
    doc = json.loads(invoke("check", "--stack", "dev", "--config", str(config), "-f", "json").stdout)
    named = {v["urn"].rsplit("::", 1)[-1] for v in doc["violations"] if v["urn"]}
    assert named
    assert_whole(result.stdout, named)
    assert lines_of(result.stdout)[0].startswith("Policy check FAILED")


PREFLIGHT_PROGRAM = (
    "from mlplatform.components.aws import DataLake, DataLakeArgs, ModelEndpoint, ModelEndpointArgs\n"
    "lake = DataLake('a-lake-with-a-rather-long-name-for-the-recommendations-team', DataLakeArgs(region='us-east-1'))\n"
    "ModelEndpoint('an-endpoint-with-a-long-name', ModelEndpointArgs(region='us-east-1', lake=lake, endpoint={\n"
    "    'name': 'recommendations', 'variants': [{'name': 'current-production-variant',\n"
    "    'image': '763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.6.0-cpu-py312',\n"
    "    'model_data': 'models/recommendations/ranker/2026-12-01/model.tar.gz'}]}))\n"
)


@pytest.fixture
def first_deploy(tmp_path: Path) -> Path:
    """A program whose SageMaker model reads an artifact from the lake it creates (empty on a first deploy)."""
    (tmp_path / "Pulumi.yaml").write_text("name: firstdeploy\nruntime: python\n")
    (tmp_path / "Pulumi.dev.yaml").write_text("config:\n  aws:region: us-east-1\n")
    (tmp_path / "__main__.py").write_text(PREFLIGHT_PROGRAM)
    return tmp_path


def test_preflight_findings_print_uris_and_names_whole_at_80_columns(first_deploy):
    result = invoke("preflight", "--stack", "dev", "--program", str(first_deploy))
    assert result.exit_code == EXIT_PREFLIGHT
    doc = json.loads(invoke("preflight", "--stack", "dev", "--program", str(first_deploy), "-f", "json").stdout)
    assert doc["findings"]
    uris = set(re.findall(r"s3://[^\s,;)'\"]+", " ".join(f["message"] for f in doc["findings"])))
    assert uris and all(len(u) > 40 for u in uris)
    assert_whole(result.stdout, {f["resource"] for f in doc["findings"]} | uris)
    assert lines_of(result.stdout)[0].startswith("Preflight FAILED: 1 finding(s)")


# --- 3. comparing two stacks ---------------------------------------------------------------------------------------


def test_compare_lines_up_each_component_once_across_clouds(shipped):
    doc = json.loads(
        invoke("cost", "--stack", "dev", "--compare", "gcp-dev", "--program", str(ROOT), "-f", "json").stdout
    )
    lake = doc["components"]["DataLake mlplatform-lake"]
    assert lake["expected"]["a"] > 0 and lake["expected"]["b"] > 0
    table = invoke("cost", "--stack", "dev", "--compare", "gcp-dev", "--program", str(ROOT))
    labels = [
        line.strip() for line in lines_of(table.stdout) if line.startswith("  ") and not line.startswith("      ")
    ]
    assert labels and len(labels) == len(set(labels)) and "DataLake mlplatform-lake" in labels
    assert_whole(table.stdout, {"DataLake mlplatform-lake", "GpuCluster mlplatform-cluster"})


def test_compare_prints_markdown_when_asked(shipped):
    md = invoke("cost", "--stack", "dev", "--compare", "staging", "--program", str(ROOT), "-f", "markdown").stdout
    assert md.startswith("### Monthly cost: `dev` -> `staging` (USD)")
    assert "| component | idle | expected | peak |" in md
    assert re.search(r"\| \*\*total\*\* \| \$149\.22 -> \$[\d,.]+ \(\+\$[\d,.]+\) \|", md)
    assert "┃" not in md and "│" not in md


# --- 4. the change against a saved baseline -----------------------------------------------------------------------


@pytest.fixture
def baseline(shipped, tmp_path: Path) -> tuple[Path, dict]:
    """The dev stack's `cost --format json`, edited as if the change removed, added and resized resources."""
    saved = invoke("cost", "--stack", "dev", "--program", str(ROOT), "-f", "json")
    assert saved.exit_code == EXIT_OK
    doc = json.loads(saved.stdout)
    by_name = {r["urn"].rsplit("::", 1)[-1]: r for r in doc["resources"]}
    doc["resources"] = [r for r in doc["resources"] if not r["urn"].endswith("::mlplatform-monitoring-dashboard")]
    by_name["mlplatform-lake-raw"]["expected"] -= 2.0  # the change adds $2 of raw-zone storage
    gone = dict(by_name["mlplatform-cluster"], urn=by_name["mlplatform-cluster"]["urn"] + "-old", idle=73.0)
    doc["resources"].append(gone)  # a resource the change removes
    doc["totals"] = {"idle": 100.0, "expected": 150.0, "peak": 6000.0}
    path = tmp_path / "base.json"
    path.write_text(json.dumps(doc))
    return path, doc


def test_diff_marks_added_removed_and_changed_resources_with_their_deltas(baseline):
    path, _ = baseline
    doc = json.loads(invoke("cost", "--stack", "dev", "--program", str(ROOT), "--diff", str(path), "-f", "json").stdout)
    rows = {r["name"]: r for r in doc["resources"]}
    assert doc["summary"] == {"added": 1, "removed": 1, "changed": 1}
    assert rows["mlplatform-monitoring-dashboard"]["change"] == "added"
    assert rows["mlplatform-monitoring-dashboard"]["delta"] == {"idle": 3.0, "expected": 3.0, "peak": 3.0}
    assert rows["mlplatform-cluster-old"]["change"] == "removed"
    assert rows["mlplatform-cluster-old"]["delta"]["idle"] == -73.0
    assert rows["mlplatform-lake-raw"]["change"] == "changed"
    assert rows["mlplatform-lake-raw"]["delta"] == {"idle": 0.0, "expected": 2.0, "peak": 0.0}
    assert doc["totals"]["before"]["idle"] == 100.0 and doc["totals"]["after"]["idle"] == 149.22
    assert doc["totals"]["delta"]["idle"] == 49.22
    assert doc["baseline"]["file"] == path.as_posix() and doc["baseline"]["stack"] == "dev"


def test_diff_table_and_markdown(baseline):
    path, _ = baseline
    table = invoke("cost", "--stack", "dev", "--program", str(ROOT), "--diff", str(path))
    assert table.exit_code == EXIT_OK
    out = lines_of(table.stdout)
    assert out[0].startswith("Cost change of mlplatform/dev against ")
    assert "idle $100.00 -> $149.22 (+$49.22)" in out[1]
    assert "3 resource(s) changed cost: 1 added, 1 removed, 1 changed" in out[2]
    marked = {line.split()[0]: line for line in out[4:]}
    assert marked["+"].endswith("Dashboard mlplatform-monitoring-dashboard")
    assert marked["-"].endswith("Cluster mlplatform-cluster-old") and "-$73.00" in marked["-"]
    assert marked["~"].endswith("Bucket mlplatform-lake-raw") and "+$2.00" in marked["~"]
    md = invoke("cost", "--stack", "dev", "--program", str(ROOT), "--diff", str(path), "-f", "markdown").stdout
    assert md.startswith("### Cost change: `mlplatform/dev` (monthly, USD)")
    assert "| **change** | **+$49.22** | **+$48.60** | **+$102.06** |" in md
    assert "| + | `mlplatform-monitoring-dashboard` (Dashboard) | +$3.00 | +$3.00 | +$3.00 |" in md
    assert "| ~ | `mlplatform-lake-raw` (Bucket) | $0.00 | +$2.00 | $0.00 |" in md
    assert "<details><summary>Per resource (+ added, - removed, ~ changed)</summary>" in md


def test_diff_against_itself_changes_nothing(shipped, tmp_path):
    path = tmp_path / "same.json"
    path.write_text(invoke("cost", "--stack", "dev", "--program", str(ROOT), "-f", "json").stdout)
    result = invoke("cost", "--stack", "dev", "--program", str(ROOT), "--diff", str(path))
    assert result.exit_code == EXIT_OK
    assert "no resource's cost changed" in result.stdout and "(+$" not in result.stdout


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("not json", "not the JSON of `mlplatform cost --format json`"),
        ('{"currency": "USD"}', "(no resources)"),
        ('{"version": 2, "resources": [], "totals": {}}', "baseline version 2 is not supported"),
        ('{"resources": [], "totals": {}}', "baseline version None is not supported"),
        ('{"version": 1, "resources": [{"urn": 3}], "totals": {}}', "resources[0] has no urn and type"),
    ],
)
def test_a_bad_baseline_is_one_clear_error_exit_2(shipped, tmp_path, content, expected):
    path = tmp_path / "base.json"
    path.write_text(content)
    result = invoke("cost", "--stack", "dev", "--program", str(ROOT), "--diff", str(path))
    assert result.exit_code == EXIT_USAGE
    assert result.stderr.startswith(f"error: --diff {path}") and expected in result.stderr
    assert "Traceback" not in result.output + result.stderr
    assert len([line for line in lines_of(result.stderr) if line.startswith("error:")]) == 1


def test_diff_and_compare_are_one_or_the_other(shipped, tmp_path):
    result = invoke("cost", "--stack", "dev", "--compare", "prod", "--diff", str(tmp_path / "x.json"))
    assert result.exit_code == EXIT_USAGE and "give one" in result.stderr


# --- 5. cost and check agree on the peak ---------------------------------------------------------------------------


@pytest.mark.parametrize("stack", STACKS)
def test_cost_and_check_print_the_same_peak(shipped, tmp_path, stack):
    cost = json.loads(invoke("cost", "--stack", stack, "--program", str(ROOT), "-f", "json").stdout)
    config = json.loads((ROOT / "policies" / "config" / f"{stack}.json").read_text())
    config["stack-cost-ceiling"] = {"enforcementLevel": "advisory", "max_monthly_usd": 1}
    path = tmp_path / "ceiling.json"
    path.write_text(json.dumps(config))
    check = json.loads(
        invoke("check", "--stack", stack, "--program", str(ROOT), "--config", str(path), "-f", "json").stdout
    )
    [message] = [v["message"] for v in check["violations"] if v["policy"] == "stack-cost-ceiling"]
    assert f"the stack's peak monthly cost is {money(cost['totals']['peak'])}," in message


def test_a_workloads_maximum_is_not_said_to_be_within_a_smaller_pool_peak(shipped):
    out = invoke("cost", "--stack", "dev", "--program", str(ROOT)).stdout
    assert "within pool" not in out
    assert "an upper bound, not added" in out
    assert "peak below expected" in out and "$0.00*" in out


# --- 6. the catalog ------------------------------------------------------------------------------------------------


def test_prices_are_stale_six_months_after_their_date():
    as_of = date.fromisoformat(prices_as_of())
    assert stale_prices_warning(today=as_of) is None
    assert stale_prices_warning(today=date(as_of.year, as_of.month + 5, 28) if as_of.month <= 7 else as_of) is None
    later = date(as_of.year + 1, as_of.month, as_of.day)
    warning = stale_prices_warning(today=later)
    assert warning is not None and f"from {prices_as_of()}" in warning and "over 6 months" in warning


def test_catalog_show_filters_and_dates_every_price():
    doc = json.loads(invoke("catalog", "show", "--cloud", "gcp", "--gpu", "L4", "-f", "json").stdout)
    assert doc["prices_as_of"] == prices_as_of()
    assert all(s["as_of"] for s in doc["sources"].values())
    assert doc["regions"] == {"gcp": ["us-central1", "europe-west4"]}
    assert doc["shapes"] and {(s["cloud"], s["gpu"]) for s in doc["shapes"]} == {("gcp", "L4")}
    t4 = json.loads(invoke("catalog", "show", "--region", "us-central1", "--gpu", "T4", "-f", "json").stdout)
    assert any(s["shape"].startswith("n1-standard-4 + 1 x nvidia-tesla-t4") for s in t4["shapes"])
    table = invoke("catalog", "show", "--cloud", "aws", "--region", "eu-west-1", "--gpu", "A10G")
    assert table.exit_code == EXIT_OK
    assert lines_of(table.stdout)[0] == f"Prices as of {prices_as_of()} (oldest table):"
    assert "g5.xlarge" in table.stdout and "us-east-1" not in table.stdout.split("shape\n", 1)[-1]


def test_catalog_show_warns_of_stale_prices_on_stderr_and_in_json():
    warning = stale_prices_warning()
    doc = json.loads((result := invoke("catalog", "show", "--cloud", "aws", "-f", "json")).stdout)
    assert doc["warnings"] == ([warning] if warning else [])
    if warning:  # the shipped prices are dated: the warning shows once they are six months old
        assert f"warning: {warning}" in result.stderr


def test_catalog_show_refuses_an_unknown_region_or_gpu():
    region = invoke("catalog", "show", "--region", "eu-central-1")
    assert region.exit_code == EXIT_USAGE and "aws: us-east-1, us-west-2, eu-west-1" in region.stderr
    gpu = invoke("catalog", "show", "--gpu", "B200")
    assert gpu.exit_code == EXIT_USAGE and "unknown GPU model" in gpu.stderr


def test_catalog_refresh_for_gcp_says_what_is_supported():
    result = invoke("catalog", "refresh", "--cloud", "gcp")
    assert result.exit_code == EXIT_USAGE
    assert "catalog refresh supports aws only (allowed: aws" in result.stderr and "gcp_compute.yaml" in result.stderr
    assert "catalog show" in result.stderr


def test_cost_warns_of_stale_prices():
    warning = stale_prices_warning()
    result = invoke("cost", "--stack", "dev", "--program", str(ROOT), "-f", "markdown")
    if warning:
        assert f"warning: {warning}" in result.stderr and f"> **Warning:** {warning}" in result.stdout


# --- 7. the policy config of the stack's environment ---------------------------------------------------------------


@pytest.fixture
def mine(tmp_path: Path) -> Path:
    """The platform program with a stack `mine` (environment dev) and no policies/config/mine.json."""
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    shutil.copy(ROOT / "__main__.py", tmp_path / "__main__.py")
    (tmp_path / "stacks").mkdir()
    doc = yaml.safe_load((ROOT / "stacks" / "Pulumi.dev.yaml").read_text())
    (tmp_path / "stacks" / "Pulumi.mine.yaml").write_text(yaml.safe_dump(doc))
    return tmp_path


def test_check_falls_back_to_the_environments_config_and_says_so(mine, monkeypatch):
    plan_from_cache(monkeypatch, {"mine": "dev"})
    result = invoke("check", "--stack", "mine", "--program", str(mine))
    assert result.exit_code == EXIT_OK, result.output + result.stderr
    assert "no policies/config/mine.json" in result.stderr and "environment 'dev'" in result.stderr
    assert "policies/config/dev.json)" in lines_of(result.stdout)[0]


def test_plan_check_falls_back_to_the_environments_config(mine):
    assert stack_document("dev")["environment"] == "dev"
    result = invoke("plan", "--stack", "mine", "--program", str(mine), "--check")
    assert result.exit_code == EXIT_OK, result.output + result.stderr
    assert "check passed" in lines_of(result.stdout)[0]
    assert "environment 'dev'" in result.stderr


def test_without_any_config_the_advice_names_options_that_exist(tmp_path):
    (tmp_path / "Pulumi.yaml").write_text("name: p\nruntime: python\n")
    (tmp_path / "__main__.py").write_text("")
    (tmp_path / "Pulumi.qa.yaml").write_text("config: {}\n")
    plan = invoke("plan", "--stack", "qa", "--program", str(tmp_path), "--check")
    assert plan.exit_code == EXIT_USAGE
    assert "no policy config for stack 'qa'" in plan.stderr
    assert "mlplatform check --stack qa --config FILE" in plan.stderr
    plan_help = invoke("plan", "--help").stdout
    assert "--config" not in plan_help  # so the advice may not tell plan to take it
    check = invoke("check", "--stack", "qa", "--program", str(tmp_path))
    assert check.exit_code == EXIT_USAGE and "pass --config FILE" in check.stderr


# --- 8. exit codes -------------------------------------------------------------------------------------------------


def test_exit_codes_are_listed_in_the_help():
    out = invoke("--help", env={"COLUMNS": "120"}).stdout
    for code, words in [
        (EXIT_OK, "success"),
        (EXIT_ERROR, "internal error"),
        (EXIT_USAGE, "bad input"),
        (EXIT_POLICY, "a mandatory policy"),
        (EXIT_PREFLIGHT, "a preflight finding"),
    ]:
        assert re.search(rf"\b{code}  {words}", out), (code, out)


def test_each_exit_code(shipped, tmp_path, first_deploy):
    assert invoke("check", "--stack", "dev", "--program", str(ROOT)).exit_code == EXIT_OK
    crash = tmp_path / "crash"
    crash.mkdir()
    (crash / "Pulumi.yaml").write_text("name: p\nruntime: python\n")
    (crash / "__main__.py").write_text("raise RuntimeError('kaput')\n")
    (crash / "Pulumi.dev.yaml").write_text("config: {}\n")
    assert invoke("cost", "--stack", "dev", "--program", str(crash)).exit_code == EXIT_ERROR
    assert invoke("check", "--stack", "nope", "--program", str(ROOT)).exit_code == EXIT_USAGE
    not_a_project = tmp_path / "empty"
    not_a_project.mkdir()
    for command in ("check", "plan", "cost", "preflight"):
        assert invoke(command, "--stack", "dev", "--program", str(not_a_project)).exit_code == EXIT_USAGE, command
    assert invoke("cost", "--stack", "dev", "--format", "yaml").exit_code == EXIT_USAGE
    strict = tmp_path / "strict.json"
    strict.write_text(json.dumps({"stack-cost-ceiling": {"enforcementLevel": "mandatory", "max_monthly_usd": 1}}))
    assert invoke("check", "--stack", "dev", "--program", str(ROOT), "--config", str(strict)).exit_code == EXIT_POLICY
    assert invoke("preflight", "--stack", "dev", "--program", str(first_deploy)).exit_code == EXIT_PREFLIGHT
    flagged = invoke("plan", "--stack", "dev", "--program", str(first_deploy), "--preflight")
    assert flagged.exit_code == EXIT_PREFLIGHT and "preflight FAILED" in lines_of(flagged.stdout)[0]
    (first_deploy / "policies" / "config").mkdir(parents=True)
    (first_deploy / "policies" / "config" / "dev.json").write_text(strict.read_text())
    both = invoke("plan", "--stack", "dev", "--program", str(first_deploy), "--check", "--preflight")
    assert both.exit_code == EXIT_POLICY  # a mandatory violation and a finding: the policy's code


def test_check_says_what_is_wrong_with_the_stack_before_looking_for_its_policy_config(shipped, tmp_path):
    missing = invoke("check", "--stack", "nope", "--program", str(ROOT))
    planned_missing = invoke("plan", "--stack", "nope", "--program", str(ROOT))
    assert missing.exit_code == planned_missing.exit_code == EXIT_USAGE
    assert "stack 'nope' has no configuration file" in missing.stderr
    assert missing.stderr == planned_missing.stderr and "policy config" not in missing.stderr
    (tmp_path / "Pulumi.yaml").write_text("name: p\nruntime: python\n")
    (tmp_path / "Pulumi.mine.yaml").write_text("configs:\n  p:environment: dev\n")
    misspelt = invoke("check", "--stack", "mine", "--program", str(tmp_path))
    assert misspelt.exit_code == EXIT_USAGE
    assert "unknown top-level key `configs:`; did you mean `config:`?" in misspelt.stderr
    assert "policy config" not in misspelt.stderr


# --- 9. help text --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [[], ["plan"], ["cost"], ["check"], ["preflight"], ["catalog"], ["catalog", "show"], ["catalog", "refresh"]],
)
def test_flags_take_no_value_placeholder(command):
    out = invoke(*command, "--help", env={"COLUMNS": "120"}).stdout
    assert "<bool>" not in out


def test_help_reflows_the_docstring_paragraphs():
    out = invoke("preflight", "--help", env={"COLUMNS": "200"}).stdout
    assert "data-plane calls, API reachability, CRDs before custom resources, nodes before workloads" in out
