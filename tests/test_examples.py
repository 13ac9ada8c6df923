"""Every example is a standalone program that plans with its own Pulumi.yaml and stack file, passes the policy
pack of its environment, and tells the user commands that work."""

from __future__ import annotations

import ast
import json
import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mlplatform import engine
from mlplatform.plan import Secret
from tests.conftest import ROOT

EXAMPLES = ROOT / "examples"


def example_stacks() -> list[tuple[str, str]]:
    """(example, stack) for every stack file of every example program: a new one is checked without a word here."""
    return [
        (program.name, stack.name.removeprefix("Pulumi.").removesuffix(".yaml"))
        for program in sorted(EXAMPLES.iterdir())
        if (program / "__main__.py").is_file()
        for stack in sorted(program.glob("Pulumi.*.yaml"))
    ]


def test_every_example_program_has_a_stack():
    programs = {p.name for p in EXAMPLES.iterdir() if (p / "__main__.py").is_file()}
    assert programs and programs == {example for example, _ in example_stacks()}


@pytest.mark.parametrize(("example", "stack"), example_stacks())
def test_every_example_passes_the_policy_pack_of_its_environment(example, stack, monkeypatch):
    """GIVEN an example and its stack (named after its environment) WHEN a user runs `mlplatform check` on it as
    the examples say THEN it exits 0 with no mandatory violation: an example shows practice the pack accepts."""
    from mlplatform.cli import app

    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(
        app, ["check", "--program", f"examples/{example}", "--stack", stack, "--format", "json"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["config"] == f"policies/config/{stack}.json"
    mandatory = [v for v in report["violations"] if v["enforcement"] == "mandatory"]
    assert report["summary"]["mandatory"] == 0 and not mandatory, mandatory


def docstring_commands(example: str) -> list[str]:
    doc = ast.get_docstring(ast.parse((EXAMPLES / example / "__main__.py").read_text())) or ""
    return [" ".join(c.split()) for c in re.findall(r"`(mlplatform [^`]+)`", doc)]


@pytest.mark.parametrize("example", sorted({example for example, _ in example_stacks()}))
def test_the_commands_an_example_tells_the_user_name_it_and_a_stack_it_has_and_parse(example):
    """The docstring's commands target this example and one of its stacks, with options the CLI has (the check
    test above runs the policy check those commands end with)."""
    from typer.main import get_command

    from mlplatform.cli import app

    commands = docstring_commands(example)
    assert commands, f"examples/{example}/__main__.py tells no command to plan it"
    stacks = {stack for e, stack in example_stacks() if e == example}
    cli = get_command(app)
    for line in commands:
        argv = shlex.split(line)[1:]
        options = dict(zip(argv[1::2], argv[2::2], strict=False))
        assert options.get("--program") == f"examples/{example}", line
        assert options.get("--stack") in stacks, line
        command = cli.get_command(cli.make_context("mlplatform", argv, resilient_parsing=True), argv[0])
        assert command is not None, line
        command.make_context(argv[0], argv[1:])
        assert Path(ROOT / options["--program"]).is_dir()


def test_aws_gpu_cluster_example_uses_only_gpu_cluster_and_its_budget():
    plan = engine.run(EXAMPLES / "aws-gpu-cluster", stack="dev")
    assert plan.project == "aws-gpu-cluster"
    tops = {r.type for r in plan.children(plan.stack_resource)}
    assert tops == {"mlplatform:aws:GpuCluster", "mlplatform:aws:Monitoring"}
    assert plan.outputs["gpu_pools"] == ["inference", "training"]  # spot only: dev allows no on-demand fallback
    budget = plan.one("aws:budgets/budget:Budget")
    assert budget.input("costFilters") == [
        {"name": "TagKeyValue", "values": ["user:mlplatform-stack$aws-gpu-cluster-dev"]}
    ]
    assert plan.one("aws:eks/cluster:Cluster").input("tags")["mlplatform-stack"] == "aws-gpu-cluster-dev"
    assert isinstance(plan.outputs["kubeconfig"], Secret)
    cluster = plan.one("aws:eks/cluster:Cluster")
    assert cluster.input("vpcConfig.subnetIds") == ["subnet-0a1b2c3d4e5f60701", "subnet-0a1b2c3d4e5f60702"]
    assert plan.one("aws:sqs/queue:Queue").output("arn").startswith("arn:aws:sqs:us-west-2:")


def test_feature_store_example_uses_only_lake_store_and_budget():
    plan = engine.run(EXAMPLES / "feature-store", stack="dev")
    tops = {r.type for r in plan.children(plan.stack_resource)}
    assert tops == {"mlplatform:aws:DataLake", "mlplatform:aws:FeatureStore", "mlplatform:aws:Monitoring"}
    assert {t.input("name") for t in plan.by_type("aws:dynamodb/table:Table")} == {
        "payments.customer_features",
        "payments.merchant_features",
    }
    assert "region: eu-west-1" in plan.outputs["feature_store_yaml"]
    assert not [r for r in plan if r.type.startswith("kubernetes:")]


def test_mlflow_example_adds_tracking_to_an_existing_cluster():
    plan = engine.run(EXAMPLES / "mlflow", stack="dev")
    assert plan.by_type("aws:eks/cluster:Cluster") == [], "the cluster exists already"
    db = plan.one("aws:rds/instance:Instance")
    assert db.input("dbSubnetGroupName")
    assoc = plan.one("aws:eks/podIdentityAssociation:PodIdentityAssociation")
    assert assoc.input("clusterName") == "research-eks" and assoc.input("namespace") == "mlflow"
    assert plan.outputs["tracking_uri"] == "http://mlflow.mlflow.svc.cluster.local"
    assert isinstance(plan.outputs["admin_credentials"], Secret)
    deployment = plan.one("kubernetes:apps/v1:Deployment")
    assert deployment.provider == plan.one("pulumi:providers:kubernetes").urn


def test_serverless_endpoint_example():
    plan = engine.run(EXAMPLES / "serverless-endpoint", stack="dev")
    variant = plan.one("aws:sagemaker/endpointConfiguration:EndpointConfiguration").input("productionVariants")[0]
    assert variant["serverlessConfig"] == {"memorySizeInMb": 3072, "maxConcurrency": 10}
    assert plan.outputs["endpoint_name"] == "churn-dev"
    assert {r.type for r in plan.children(plan.stack_resource)} == {
        "mlplatform:aws:DataLake",
        "mlplatform:aws:ModelEndpoint",
        "mlplatform:aws:Monitoring",
    }


def test_ab_test_endpoint_example():
    plan = engine.run(EXAMPLES / "ab-test-endpoint", stack="prod")
    config = plan.one("aws:sagemaker/endpointConfiguration:EndpointConfiguration")
    assert [(v["variantName"], v["initialVariantWeight"]) for v in config.input("productionVariants")] == [
        ("current", 80),
        ("candidate", 20),
    ]
    assert [v["variantName"] for v in config.input("shadowProductionVariants")] == ["next"]
    assert config.input("dataCaptureConfig.initialSamplingPercentage") == 5
    assert len(plan.by_type("aws:appautoscaling/policy:Policy")) == 2


def test_policy_ci_workflow_is_valid_and_runs_our_commands():
    """The CI recipe validates against GitHub's workflow schema and calls commands that exist."""
    import shlex
    import subprocess
    import sys

    import yaml

    workflow = EXAMPLES / "policy-ci" / ".github" / "workflows" / "cost-guardrails.yml"
    checked = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows", str(workflow)],
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    doc = yaml.safe_load(workflow.read_text())
    runs = "\n".join(step.get("run", "") for job in doc["jobs"].values() for step in job["steps"])
    assert 'mlplatform check --stack "${{ matrix.stack }}" --format sarif' in runs
    assert 'mlplatform preflight --stack "${{ matrix.stack }}"' in runs
    # A consumer's recipe: mlplatform comes from the project's requirements, not from this checkout.
    assert "pip install -r requirements.txt" in runs and "constraints.txt" not in runs and "-e ." not in runs
    # The cost comment is the change against the base branch's saved cost.
    assert '--program "$RUNNER_TEMP/base" --format json > "base-$stack.json"' in runs
    assert 'mlplatform cost --stack "$stack" --diff "base-$stack.json" --format markdown' in runs
    assert '--policy-pack "$pack"' in runs and 'pack="$(mlplatform pack path)"' in runs
    # The preview gets the policy config check uses (the stack's environment's when it has none of its own).
    assert 'config="$(mlplatform pack config --stack "${{ matrix.stack }}")"' in runs
    assert '--policy-pack-config "$config"' in runs and "$pack/config/" not in runs
    # Every mlplatform invocation parses with the real CLI (unknown options would fail here).
    from typer.main import get_command

    from mlplatform.cli import app

    cli = get_command(app)
    for line in runs.splitlines():
        line = line.strip()
        if line.startswith("mlplatform "):
            argv = shlex.split(
                line.split(">")[0].split("||")[0].replace("${{ matrix.stack }}", "dev").replace("$stack", "dev")
            )
            if argv[1].startswith("-"):  # an option of mlplatform itself (--version)
                assert argv[1] in {opt for param in cli.params for opt in param.opts}, line
                continue
            ctx = cli.make_context("mlplatform", argv[1:], resilient_parsing=True)
            sub = cli.get_command(ctx, argv[1])
            assert sub is not None, line
            sub.make_context(argv[1], argv[2:])


def test_gcp_platform_example_composes_the_gcp_components():
    plan = engine.run(EXAMPLES / "gcp-platform", stack="dev")
    assert plan.project == "gcp-platform"
    tops = {r.type for r in plan.children(plan.stack_resource)}
    assert tops >= {
        "mlplatform:gcp:Network",
        "mlplatform:gcp:GpuCluster",
        "mlplatform:gcp:DataLake",
        "mlplatform:gcp:FeatureStore",
        "mlplatform:gcp:Monitoring",
        "mlplatform:gcp:ModelEndpoint",
    }
    assert plan.outputs["gpu_pools"] == ["inference"]
    assert isinstance(plan.outputs["kubeconfig"], Secret)
    run = plan.one("gcp:cloudrunv2/service:Service")
    assert run.input("template.nodeSelector.accelerator") == "nvidia-l4"
    assert run.input("template.scaling.minInstanceCount") == 0
    assert "provider: gcp" in plan.outputs["feature_store_yaml"]
    pool = plan.one("gcp:container/nodePool:NodePool", "vision-inference")
    assert pool.input("nodeConfig.spot") is True and pool.input("autoscaling.totalMinNodeCount") == 0


def test_notebooks_example_adds_a_hub_with_github_sign_in_and_keyless_lake_access():
    from mlplatform.plan import reveal

    plan = engine.run(EXAMPLES / "notebooks", stack="dev")
    tops = {r.type for r in plan.children(plan.stack_resource) if r.type.startswith("mlplatform:")}
    assert tops == {
        "mlplatform:aws:DataLake",
        "mlplatform:aws:WorkloadRole",
        "mlplatform:k8s:Notebooks",
        "mlplatform:aws:Monitoring",
    }
    values = reveal(plan.one("kubernetes:helm.sh/v3:Release").input("values"))
    assert values["hub"]["config"]["JupyterHub"]["authenticator_class"] == "github"
    assert values["hub"]["config"]["GitHubOAuthenticator"]["allowed_organizations"] == ["acme-research"]
    assert [p["slug"] for p in values["singleuser"]["profileList"]] == ["cpu", "t4"]
    assert values["cull"]["timeout"] == 3600 and values["ingress"]["ingressClassName"] == "nginx"
    assoc = plan.one("aws:eks/podIdentityAssociation:PodIdentityAssociation")
    assert (assoc.input("namespace"), assoc.input("serviceAccount")) == ("notebooks", "jupyter-user")
    assert plan.outputs["hub_url"] == "http://notebooks.research.example.com"


def test_ray_tune_example_submits_a_rayjob_with_its_own_cluster():
    plan = engine.run(EXAMPLES / "ray-tune", stack="dev")
    tops = {r.type for r in plan.children(plan.stack_resource) if r.type.startswith("mlplatform:")}
    assert tops == {
        "mlplatform:aws:DataLake",
        "mlplatform:aws:WorkloadRole",
        "mlplatform:k8s:KubeRayOperator",
        "mlplatform:k8s:RayJob",
        "mlplatform:aws:Monitoring",
    }
    job = plan.one("kubernetes:ray.io/v1:RayJob")
    assert job.input("metadata.name") == "ranker-sweep" and plan.outputs["job_name"] == "ranker-sweep"
    assert job.input("spec")["rayClusterSpec"]["workerGroupSpecs"][0]["maxReplicas"] == 4
    assert plan.outputs["results_url"].endswith("/ray/")


def test_kserve_endpoint_example_serves_triton_from_zero_with_a_canary():
    from mlplatform.cost import cost_of
    from mlplatform.plan import reveal

    plan = engine.run(EXAMPLES / "kserve-endpoint", stack="dev")
    tops = {r.type for r in plan.children(plan.stack_resource) if r.type.startswith("mlplatform:")}
    assert tops == {
        "mlplatform:aws:DataLake",
        "mlplatform:aws:WorkloadRole",
        "mlplatform:k8s:KServe",
        "mlplatform:k8s:ModelServer",
        "mlplatform:aws:Monitoring",
    }
    predictor = reveal(plan.one("kubernetes:serving.kserve.io/v1beta1:InferenceService").input("spec"))["predictor"]
    assert (predictor["minReplicas"], predictor["maxReplicas"], predictor["canaryTrafficPercent"]) == (0, 4, 20)
    assert predictor["timeout"] == 30 and predictor["model"]["storageUri"].endswith("/triton/")
    assert plan.one("aws:s3/bucketObjectv2:BucketObjectv2").input("key") == "triton/ranker/config.pbtxt"
    assert plan.outputs["url"] == "http://ranker-predictor.models.svc.cluster.local"
    isvc = next(c for c in cost_of(plan).lines if c.resource.type.endswith("InferenceService"))
    assert isvc.estimate.idle == 0.0  # the pool is outside this stack: priced where it is defined
