"""The pack as the Pulumi CLI loads it, its configs, and `mlplatform check` over real Plans."""

from __future__ import annotations

import ast
import asyncio
import json
import tomllib
from pathlib import Path

import jsonschema
import pulumi
import pulumi_aws as aws
import pytest
import yaml
from pulumi_policy import EnforcementLevel, ResourceValidationPolicy, StackValidationPolicy
from typer.testing import CliRunner

from mlplatform import engine
from mlplatform.check import PolicyConfigError, check, load_policy_config, resolve_config, sarif
from mlplatform.cli import app
from mlplatform.policies.pack import PACK_NAME, POLICIES
from mlplatform.policies.rules import RULES
from tests.conftest import ROOT, STACKS, planned

POLICY_DIR = ROOT / "policies"
BAD_STACK = Path(__file__).parent / "bad_stack"
runner = CliRunner()


def config(stack: str) -> dict:
    return load_policy_config(POLICY_DIR / "config" / f"{stack}.json")


# --- the pack -------------------------------------------------------------------------------------------------------


def test_pack_layout_is_what_the_pulumi_cli_runs():
    manifest = yaml.safe_load((POLICY_DIR / "PulumiPolicy.yaml").read_text())
    assert manifest["runtime"]["name"] == "python"
    # The same file ships in site-packages (`mlplatform pack path`), where no virtualenv can be made: the CLI runs
    # the pack with the active environment's Python.
    assert "virtualenv" not in manifest["runtime"]["options"]
    with open(ROOT / "pyproject.toml", "rb") as fh:
        assert manifest["version"] == tomllib.load(fh)["project"]["version"]
    # __main__ only builds the pack: imports and one PolicyPack(...) call, nothing added to the import path.
    tree = ast.parse((POLICY_DIR / "__main__.py").read_text())
    calls = [n for n in tree.body if isinstance(n, ast.Expr) and isinstance(n.value, ast.Call)]
    assert [ast.unparse(c.value.func) for c in calls] == ["PolicyPack"]
    assert all(isinstance(n, ast.Import | ast.ImportFrom | ast.Expr) for n in tree.body)


def test_every_rule_is_a_policy_with_a_valid_schema():
    assert [p.name for p in POLICIES] == [r.name for r in RULES]
    assert len(POLICIES) == 18 and PACK_NAME == "mlplatform-cost-guardrails"
    stack_rules = {"storage-lifecycle", "network-cost", "stack-budget-required", "stack-cost-ceiling"}
    stack_rules |= {"public-access-blocked", "ray-worker-limits", "serving-replica-limits", "external-pool-limits"}
    for policy, rule in zip(POLICIES, RULES, strict=True):
        expected = StackValidationPolicy if rule.name in stack_rules else ResourceValidationPolicy
        assert isinstance(policy, expected), rule.name
        schema = {"type": "object", "properties": dict(policy.config_schema.properties)}
        jsonschema.Draft7Validator.check_schema(schema)
        jsonschema.validate(rule.defaults(), schema)
        assert policy.description and policy.remediation_steps, rule.name


@pytest.mark.parametrize("stack", STACKS)
def test_shipped_configs_resolve(stack):
    resolved = resolve_config(POLICIES, config(stack))
    assert set(resolved) == {p.name for p in POLICIES}
    disabled = {name for name, r in resolved.items() if r.level is EnforcementLevel.DISABLED}
    if stack == "prod":
        assert disabled == {"gpu-pools-use-spot", "gpu-pools-scale-to-zero", "network-cost", "serving-scale-to-zero"}
        assert "A100" in resolved["gpu-allowlist"].settings["allowed_gpus"]
    else:
        assert disabled == set()
        assert not {"V100", "A100", "H100", "H200"} & set(resolved["gpu-allowlist"].settings["allowed_gpus"])


# --- configuration as the CLI resolves it ---------------------------------------------------------------------------


def test_defaults_all_and_per_policy_levels():
    r = resolve_config(POLICIES, {})
    assert r["gpu-pool-limits"].level is EnforcementLevel.MANDATORY
    assert r["gpu-pool-limits"].settings == {"max_gpus_per_pool": 16}
    r = resolve_config(
        POLICIES,
        {
            "all": "advisory",
            "gpu-allowlist": "mandatory",
            "gpu-pool-limits": {"enforcementLevel": "disabled", "max_gpus_per_pool": 4},
            "network-cost": {"max_nat_gateways": 2},
        },
    )
    assert r["gpu-allowlist"].level is EnforcementLevel.MANDATORY  # per-policy beats all
    assert r["gpu-pool-limits"].level is EnforcementLevel.DISABLED
    assert r["gpu-pool-limits"].settings == {"max_gpus_per_pool": 4}
    assert r["network-cost"].level is EnforcementLevel.ADVISORY and r["network-cost"].settings["max_nat_gateways"] == 2
    assert r["imdsv2-required"].level is EnforcementLevel.ADVISORY


@pytest.mark.parametrize(
    "bad,fragment",
    [
        (
            {"gpu-allowlists": "mandatory"},
            "'gpu-allowlists': no such policy in the pack; allowed: all, encryption-at-rest, endpoint-guardrails",
        ),
        ({"all": "strict"}, "all: enforcement level 'strict' is not allowed; allowed: advisory, mandatory, remediate"),
        ({"all": {"enforcementLevel": "advisory", "max": 1}}, "'all' may only set enforcementLevel"),
        (
            {"gpu-pool-limits": {"max_gpus_per_pool": "lots"}},
            "gpu-pool-limits: max_gpus_per_pool: 'lots' is not of type 'integer'",
        ),
        (
            {"gpu-pool-limits": {"max_gpu_per_pool": 4}},
            "Additional properties are not allowed ('max_gpu_per_pool' was unexpected)",
        ),
        ({"gpu-allowlist": {"allowed_gpus": ["T4", "Voodoo2"]}}, "allowed_gpus.1: 'Voodoo2' is not one of ['T4', 'L4'"),
        ({"network-cost": 3}, "network-cost: 3 is not allowed; allowed: an enforcement level or an object"),
        ({"gpu-pools-use-spot": {"enforcementLevel": "sometimes"}}, "gpu-pools-use-spot.enforcementLevel"),
    ],
)
def test_malformed_config_is_rejected_with_a_clear_message(bad, fragment):
    with pytest.raises(PolicyConfigError) as info:
        resolve_config(POLICIES, bad, source="policies/config/x.json")
    assert fragment in str(info.value) and str(info.value).startswith("policies/config/x.json: ")


def test_unreadable_config_files(tmp_path):
    with pytest.raises(PolicyConfigError, match="no such policy config file"):
        load_policy_config(tmp_path / "missing.json")
    (tmp_path / "broken.json").write_text("{not json")
    with pytest.raises(PolicyConfigError, match=r"broken\.json: not valid JSON"):
        load_policy_config(tmp_path / "broken.json")
    (tmp_path / "list.json").write_text("[]")
    with pytest.raises(PolicyConfigError, match="must be a JSON object of policy names, got list"):
        load_policy_config(tmp_path / "list.json")


# --- the shipped stacks and the bad one -------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", STACKS)
def test_shipped_stacks_pass_their_own_config(stack):
    report = check(planned(stack), config(stack))
    assert report.mandatory == 0, [v.message for v in report.violations]


def test_the_bad_stack_fails_with_exactly_the_expected_policies():
    report = check(engine.run(BAD_STACK, stack="dev"), config("dev"))
    failed = {v.policy for v in report.violations if v.enforcement == "mandatory"}
    assert failed == {
        "gpu-allowlist",  # V100 in dev
        "gpu-pools-use-spot",  # on demand
        "gpu-pools-scale-to-zero",  # min 2
        "gpu-pool-limits",  # the NodePool without limits
        "required-cost-tags",  # the node group has only `team`
        "stack-budget-required",  # no budget
        "stack-cost-ceiling",  # unbounded peak (and idle over $200)
    }
    by_policy = {v.policy: v for v in report.violations}
    assert by_policy["gpu-allowlist"].message == "GPU pool 'train' uses p3.2xlarge (V100) but dev allows T4, L4, A10G."
    assert by_policy["gpu-allowlist"].urn.endswith("aws:eks/nodeGroup:NodeGroup::train")
    assert by_policy["stack-budget-required"].urn is None


def test_dev_stack_variants_are_caught(tmp_path):
    from tests.conftest import plan_variant

    def on_demand_everything(doc):
        pool = doc["cluster"]["gpu_pools"][0]
        pool.update(capacity="on-demand", min_nodes=1, max_nodes=12)
        doc["network"] = {**doc.get("network", {}), "nat": "per-az"}

    report = check(plan_variant("dev", on_demand_everything), config("dev"))
    assert {v.policy for v in report.violations} == {
        "gpu-pools-use-spot",
        "gpu-pools-scale-to-zero",  # the warm Deployment that holds min_nodes
        "gpu-pool-limits",
        "network-cost",
        "stack-cost-ceiling",
        "stack-budget-required",  # a warm on-demand L4 node idles above the $600 budget
    }


# --- evaluation semantics -------------------------------------------------------------------------------------------


TAGS = {"team": "ml", "project": "p", "cost-center": "c", "environment": "dev"}


def test_a_value_unknown_during_preview_makes_the_rule_advisory():
    def program():
        loop = asyncio.get_event_loop()

        def done(value):
            future = loop.create_future()
            future.set_result(value)
            return future

        unknown = pulumi.Output(set(), done(None), done(False))  # as an output of a resource not yet created
        aws.eks.NodeGroup(
            "ng",
            cluster_name="c",
            node_role_arn="arn:aws:iam::123456789012:role/n",
            subnet_ids=["s"],
            instance_types=unknown,
            scaling_config={"min_size": 0, "desired_size": 0, "max_size": 1},
            tags=TAGS,
        )

    plan = engine.run(program, config={"aws:region": "us-east-1"})
    report = check(plan, {"all": "mandatory"})
    gpu = [v for v in report.violations if v.policy.startswith("gpu-")]
    assert gpu and all(v.enforcement == "advisory" for v in gpu)
    assert "can't be known during preview" in gpu[0].message and ".instanceTypes" in gpu[0].message


def test_not_applicable_and_what_stack_policies_receive():
    seen = {}

    def validate(args, report):
        seen.update({r.urn: r for r in args.resources})
        args.not_applicable("nothing to see")

    policy = StackValidationPolicy(name="probe", description="inspects what stack policies receive", validate=validate)
    plan = planned("dev")
    report = check(plan, {}, policies=[policy])
    assert report.not_applicable == [("probe", "nothing to see")]
    assert set(seen) == {r.urn for r in plan}  # components and the stack too, as the engine sends them
    lifecycle = next(r for r in seen.values() if r.resource_type.endswith("BucketLifecycleConfiguration"))
    assert lifecycle.parent.resource_type == "mlplatform:aws:DataLake"
    assert [d.resource_type for d in lifecycle.property_dependencies["bucket"]] == ["aws:s3/bucket:Bucket"]
    assert lifecycle.props["rules"][0]["status"] == "Enabled"


def test_resource_policies_get_the_default_provider_from_stack_config():
    seen = []

    def validate(args, report):
        if args.resource_type == "aws:s3/bucket:Bucket":
            seen.append(args.provider.props.get("region"))

    policy = ResourceValidationPolicy(name="probe", description="reads the provider", validate=validate)
    check(planned("prod"), {}, policies=[policy])
    assert seen and set(seen) == {"us-west-2"}


# --- the command ----------------------------------------------------------------------------------------------------


def test_check_command_passes_the_dev_stack():
    result = runner.invoke(app, ["check", "--stack", "dev", "--program", str(ROOT)])
    assert result.exit_code == 0, result.output
    assert "Policy check passed: 0 mandatory" in result.stdout


def test_check_command_json_and_exit_1_on_mandatory():
    result = runner.invoke(
        app,
        [
            "check",
            "--stack",
            "dev",
            "--program",
            str(BAD_STACK),
            "--config",
            str(POLICY_DIR / "config/dev.json"),
            "-f",
            "json",
        ],
    )
    assert result.exit_code == 3  # a mandatory violation
    doc = json.loads(result.stdout)
    assert set(doc) >= {"stack", "violations", "summary"} and doc["stack"] == "dev"
    assert doc["summary"] == {"mandatory": len(doc["violations"]), "advisory": 0}
    assert set(doc["violations"][0]) == {"policy", "enforcement", "urn", "message"}


def test_advisory_only_exits_0(tmp_path):
    advisory = tmp_path / "advisory.json"
    advisory.write_text(json.dumps({"all": "advisory"}))
    result = runner.invoke(app, ["check", "--stack", "dev", "--program", str(BAD_STACK), "--config", str(advisory)])
    assert result.exit_code == 0 and "0 mandatory" in result.stdout


def test_check_command_bad_config_is_exit_2(tmp_path):
    missing = runner.invoke(
        app, ["check", "--stack", "dev", "--program", str(ROOT), "--config", str(tmp_path / "x.json")]
    )
    assert missing.exit_code == 2 and "no such policy config file" in missing.stderr
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"gpu-pool-limits": {"max_gpus_per_pool": -1}}))
    result = runner.invoke(app, ["check", "--stack", "dev", "--program", str(ROOT), "--config", str(bad)])
    assert result.exit_code == 2 and "max_gpus_per_pool: -1 is less than the minimum of 1" in result.stderr
    assert "Traceback" not in result.output + result.stderr


# What GitHub code scanning requires of an upload (SARIF 2.1.0): version, a driver with a name, results with a
# rule id, a level, a message text and a physical location (an artifact URI).
SARIF_UPLOAD = {
    "type": "object",
    "required": ["version", "runs"],
    "properties": {
        "version": {"const": "2.1.0"},
        "runs": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["tool", "results"],
                "properties": {
                    "tool": {
                        "type": "object",
                        "required": ["driver"],
                        "properties": {
                            "driver": {
                                "type": "object",
                                "required": ["name", "rules"],
                                "properties": {
                                    "rules": {
                                        "type": "array",
                                        "items": {"type": "object", "required": ["id", "shortDescription"]},
                                    }
                                },
                            }
                        },
                    },
                    "results": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["ruleId", "level", "message", "locations"],
                            "properties": {
                                "level": {"enum": ["none", "note", "warning", "error"]},
                                "message": {"type": "object", "required": ["text"]},
                                "locations": {
                                    "type": "array",
                                    "minItems": 1,
                                    "items": {
                                        "type": "object",
                                        "required": ["physicalLocation"],
                                        "properties": {
                                            "physicalLocation": {
                                                "type": "object",
                                                "required": ["artifactLocation"],
                                                "properties": {
                                                    "artifactLocation": {"type": "object", "required": ["uri"]}
                                                },
                                            }
                                        },
                                    },
                                },
                            },
                        },
                    },
                },
            },
        },
    },
}


def test_sarif_output_is_a_code_scanning_upload():
    report = check(engine.run(BAD_STACK, stack="dev"), config("dev"))
    doc = sarif(report, POLICIES, "tests/policies/bad_stack/Pulumi.dev.yaml")
    jsonschema.validate(doc, SARIF_UPLOAD)
    run = doc["runs"][0]
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == [p.name for p in POLICIES]
    assert len(run["results"]) == report.mandatory and {r["level"] for r in run["results"]} == {"error"}
    located = [r for r in run["results"] if "logicalLocations" in r["locations"][0]]
    assert located and located[0]["locations"][0]["logicalLocations"][0]["fullyQualifiedName"].startswith("urn:pulumi:")
    result = runner.invoke(
        app,
        [
            "check",
            "--stack",
            "dev",
            "--program",
            str(BAD_STACK),
            "--config",
            str(POLICY_DIR / "config/dev.json"),
            "-f",
            "sarif",
        ],
    )
    assert result.exit_code == 3  # a mandatory violation
    jsonschema.validate(json.loads(result.stdout), SARIF_UPLOAD)


def test_plan_with_check_runs_the_pack_on_the_same_plan():
    good = runner.invoke(app, ["plan", "--stack", "dev", "--program", str(ROOT), "--cost", "--check"])
    assert good.exit_code == 0 and "Policy check passed: 0 mandatory" in good.stdout
    bad = runner.invoke(app, ["plan", "--stack", "dev", "--program", str(BAD_STACK), "--check"])
    assert bad.exit_code == 3 and "Policy check FAILED" in bad.stdout
