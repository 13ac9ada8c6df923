"""The offline engine: realistic outputs and invokes, isolation, relationships, options, secrets, programs."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
import pulumi_random as random
import pytest

from mlplatform import engine
from mlplatform.components.base.types import (
    AWS_EKS_CLUSTER,
    AWS_IAM_ROLE,
    AWS_KMS_KEY,
    AWS_S3_BUCKET,
    AWS_S3_BUCKET_VERSIONING,
    AWS_SNS_TOPIC,
    AWS_SQS_QUEUE,
    K8S_KARPENTER_NODE_POOL,
    RANDOM_PASSWORD,
)
from mlplatform.plan import Secret, reveal
from mlplatform.stackconfig import EngineError


def test_outputs_are_realistic_for_aws_resources():
    def program():
        aws.s3.Bucket("data")
        aws.iam.Role("role", assume_role_policy="{}")
        aws.eks.Cluster("gpu", role_arn="arn:aws:iam::123456789012:role/x", vpc_config={"subnet_ids": ["subnet-1"]})
        aws.kms.Key("key")
        aws.sqs.Queue("interruptions")

    plan = engine.run(program, config={"aws:region": "eu-west-1"})
    bucket = plan.one(AWS_S3_BUCKET)
    assert bucket.output("bucket").startswith("data-") and len(bucket.output("bucket")) == len("data-") + 7
    assert bucket.output("arn") == f"arn:aws:s3:::{bucket.output('bucket')}"
    assert bucket.output("region") == "eu-west-1"
    assert bucket.id == bucket.output("bucket")
    role = plan.one(AWS_IAM_ROLE)
    assert role.output("arn") == f"arn:aws:iam::123456789012:role/{role.output('name')}"
    cluster = plan.one(AWS_EKS_CLUSTER)
    assert cluster.output("endpoint").endswith(".gr7.eu-west-1.eks.amazonaws.com")
    assert cluster.output("identities[0].oidcs[0].issuer").startswith("https://oidc.eks.eu-west-1.amazonaws.com/id/")
    assert cluster.output("certificateAuthority.data")
    key = plan.one(AWS_KMS_KEY)
    assert key.output("arn") == f"arn:aws:kms:eu-west-1:123456789012:key/{key.output('keyId')}"
    queue = plan.one(AWS_SQS_QUEUE)
    assert queue.output("url").startswith("https://sqs.eu-west-1.amazonaws.com/123456789012/interruptions-")


def test_apply_callbacks_see_the_computed_outputs():
    seen = {}

    def program():
        cluster = aws.eks.Cluster("c", role_arn="arn:aws:iam::123456789012:role/x", vpc_config={"subnet_ids": []})
        cluster.identities.apply(lambda ids: seen.setdefault("issuer", ids[0]["oidcs"][0]["issuer"]))

    engine.run(program)
    assert seen["issuer"].startswith("https://oidc.eks.us-east-1.amazonaws.com/id/")


def test_unknown_types_get_an_id_and_echo_inputs():
    def program():
        k8s.apiextensions.CustomResource(
            "pool", api_version="karpenter.sh/v1", kind="NodePool", spec={"limits": {"nvidia.com/gpu": 8}}
        )
        aws.cloudfront.Function("fn", runtime="cloudfront-js-2.0", code="x")

    plan = engine.run(program)
    pool = plan.one(K8S_KARPENTER_NODE_POOL)
    assert pool.input("spec.limits") == {"nvidia.com/gpu": 8}
    assert pool.output("metadata.name").startswith("pool-")
    fn = plan.one("aws:cloudfront/function:Function")
    assert fn.id and fn.output("runtime") == "cloudfront-js-2.0"


def test_invokes_answer_plausibly():
    got = {}

    def program():
        got["identity"] = aws.get_caller_identity()
        got["azs"] = aws.get_availability_zones(state="available")
        got["region"] = aws.get_region()
        got["doc"] = aws.iam.get_policy_document(
            statements=[
                {
                    "actions": ["s3:GetObject"],
                    "resources": ["arn:aws:s3:::b/*"],
                    "principals": [{"type": "Service", "identifiers": ["ec2.amazonaws.com"]}],
                }
            ]
        )
        got["ami"] = aws.ssm.get_parameter(
            name="/aws/service/eks/optimized-ami/1.33/amazon-linux-2023/x86_64/nvidia/recommended/image_id"
        )

    engine.run(program, config={"aws:region": "us-west-2"})
    assert got["identity"].account_id == "123456789012"
    assert got["azs"].names[:3] == ["us-west-2a", "us-west-2b", "us-west-2c"]
    assert got["region"].region == "us-west-2"
    doc = json.loads(got["doc"].json)
    assert doc["Statement"][0] == {
        "Effect": "Allow",
        "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::b/*",
        "Principal": {"Service": "ec2.amazonaws.com"},
    }
    assert got["ami"].value.startswith("ami-")


def test_captures_parent_dependencies_provider_and_options():
    class Lake(pulumi.ComponentResource):
        def __init__(self, name, opts=None):
            super().__init__("test:index:Lake", name, None, opts)
            self.bucket = aws.s3.Bucket(
                f"{name}-raw",
                opts=pulumi.ResourceOptions(parent=self, protect=True, retain_on_delete=True, ignore_changes=["tags"]),
            )
            aws.s3.BucketVersioning(
                f"{name}-raw",
                bucket=self.bucket.id,
                versioning_configuration={"status": "Enabled"},
                opts=pulumi.ResourceOptions(parent=self),
            )
            self.register_outputs({"bucket": self.bucket.bucket})

    def program():
        provider = aws.Provider("west", region="us-west-2")
        lake = Lake("lake")
        aws.sns.Topic("alerts", opts=pulumi.ResourceOptions(provider=provider, depends_on=[lake]))

    plan = engine.run(program)
    lake = plan.one("test:index:Lake")
    assert not lake.custom and lake.parent == plan.stack_resource.urn
    bucket = plan.one(AWS_S3_BUCKET)
    assert bucket.parent == lake.urn
    assert bucket.urn == "urn:pulumi:dev::test::test:index:Lake$aws:s3/bucket:Bucket::lake-raw"
    assert bucket.options["protect"] and bucket.options["retain_on_delete"]
    assert bucket.options["ignore_changes"] == ["tags"]
    versioning = plan.one(AWS_S3_BUCKET_VERSIONING)
    assert bucket.urn in versioning.dependencies
    assert versioning.property_dependencies["bucket"] == [bucket.urn]
    assert [r.name for r in plan.children(lake)] == ["lake-raw", "lake-raw"]
    assert lake.outputs == {"bucket": bucket.output("bucket")}
    topic = plan.one(AWS_SNS_TOPIC)
    assert topic.provider == plan.one("pulumi:providers:aws").urn
    # depends_on a component means "on everything inside it", as the SDK expands it for the engine
    assert bucket.urn in topic.dependencies and versioning.urn in topic.dependencies
    assert plan.component_of(versioning) is lake


def test_secrets_stay_secret_and_are_redacted_when_printed():
    def program():
        pw = random.RandomPassword("db", length=24)
        aws.secretsmanager.SecretVersion("v", secret_id="s", secret_string=pw.result)
        pulumi.export("password", pw.result)
        pulumi.export("plain", "hello")

    plan = engine.run(program)
    version = plan.one("aws:secretsmanager/secretVersion:SecretVersion")
    assert isinstance(version.inputs["secretString"], Secret)
    assert isinstance(plan.one(RANDOM_PASSWORD).outputs["result"], Secret)
    assert len(reveal(version.inputs["secretString"])) == 24
    text = plan.to_json()
    assert reveal(version.inputs["secretString"]) not in text
    assert '"secretString": "[secret]"' in text
    assert isinstance(plan.outputs["password"], Secret) and plan.outputs["plain"] == "hello"
    assert reveal(version.inputs["secretString"]) in plan.to_json(reveal_secrets=True)


def test_config_reaches_the_program_and_secret_config_is_secret():
    def program():
        cfg = pulumi.Config()
        pulumi.export("size", cfg.require_int("size"))
        pulumi.export("obj", cfg.require_object("obj"))
        pulumi.export("token", cfg.require_secret("token"))

    plan = engine.run(program, config={"size": 3, "obj": {"a": [1, 2]}, "token": "t0k"}, secrets=["token"])
    assert plan.outputs["size"] == 3 and plan.outputs["obj"] == {"a": [1, 2]}
    assert isinstance(plan.outputs["token"], Secret)
    assert isinstance(plan.config["test:token"], Secret)


def test_runs_are_isolated():
    def first():
        pulumi.export("cfg", pulumi.Config().get("only_in_first"))
        aws.s3.Bucket("one")

    def second():
        pulumi.export("cfg", pulumi.Config().get("only_in_first"))
        aws.s3.Bucket("two")
        aws.s3.Bucket("three")

    a = engine.run(first, stack="dev", project="alpha", config={"only_in_first": "x"})
    b = engine.run(second, stack="prod", project="beta")
    c = engine.run(first, stack="dev", project="alpha")
    assert [r.name for r in a.custom_resources()] == ["one"]
    assert sorted(r.name for r in b.custom_resources()) == ["three", "two"]
    assert all(r.urn.startswith("urn:pulumi:prod::beta::") for r in b)
    assert b.outputs == {} and c.outputs == {}
    assert a.outputs == {"cfg": "x"}
    # the same program plans to the same ids every time
    assert a.one(name="one").id == c.one(name="one").id


def test_program_exceptions_propagate_and_the_next_run_is_clean():
    def broken():
        aws.s3.Bucket("before")
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        engine.run(broken)
    plan = engine.run(lambda: aws.s3.Bucket("after"))
    assert [r.name for r in plan.custom_resources()] == ["after"]


def test_diagnostics_are_captured():
    def program():
        pulumi.log.warn("careful")

    plan = engine.run(program)
    assert [(d.severity, d.message) for d in plan.diagnostics] == [("warning", "careful")]


# --- program directories ------------------------------------------------------------------------------------


def _project(tmp_path: Path, main: str, stack_yaml: str, pulumi_yaml_extra: str = "", config_dir: str = "") -> Path:
    (tmp_path / "Pulumi.yaml").write_text(
        f"name: demo\nruntime:\n  name: python\n{'stackConfigDir: ' + config_dir if config_dir else ''}\n"
        + pulumi_yaml_extra
    )
    (tmp_path / "__main__.py").write_text(textwrap.dedent(main))
    target = tmp_path / config_dir if config_dir else tmp_path
    target.mkdir(exist_ok=True)
    (target / "Pulumi.dev.yaml").write_text(textwrap.dedent(stack_yaml))
    return tmp_path


MAIN = """
    import pulumi, pulumi_aws as aws
    import helper
    cfg = pulumi.Config()
    aws.s3.Bucket(helper.NAME)
    pulumi.export("greeting", cfg.get("greeting"))
    pulumi.export("settings", cfg.get_object("settings"))
    pulumi.export("password", cfg.get_secret("password"))
    pulumi.export("region", aws.get_region().region)
    pulumi.export("default", cfg.get("from_project"))
"""


def test_runs_a_program_directory_with_its_stack_config(tmp_path):
    project = _project(
        tmp_path,
        MAIN,
        """
        config:
          aws:region: eu-west-1
          demo:greeting: hello
          settings: {pools: [1, 2], enabled: true}
          password:
            secure: AAABAJ2nQ0c0yJQ==
        """,
        pulumi_yaml_extra="config:\n  from_project:\n    type: string\n    default: fallback\n",
        config_dir="stacks",
    )
    (project / "helper.py").write_text("NAME = 'from-helper'\n")
    plan = engine.run(project, stack="dev")
    assert plan.project == "demo"
    assert plan.outputs["greeting"] == "hello"
    assert plan.outputs["settings"] == {"pools": [1, 2], "enabled": True}
    assert isinstance(plan.outputs["password"], Secret)
    assert plan.outputs["region"] == "eu-west-1"
    assert plan.outputs["default"] == "fallback"
    assert plan.one(AWS_S3_BUCKET).name == "from-helper"


def test_stack_file_beside_pulumi_yaml_when_no_stack_config_dir(tmp_path):
    project = _project(
        tmp_path, "import pulumi\npulumi.export('x', pulumi.Config().get('x'))\n", "config:\n  demo:x: here\n"
    )
    assert engine.run(project, stack="dev").outputs == {"x": "here"}


def test_missing_stack_file_is_an_engine_error(tmp_path):
    project = _project(tmp_path, "pass\n", "config: {}\n")
    with pytest.raises(EngineError, match=r"stack .qa. has no configuration file .*stacks with one: dev"):
        engine.run(project, stack="qa")


def test_not_a_project_is_an_engine_error(tmp_path):
    with pytest.raises(EngineError, match=r"no Pulumi\.yaml"):
        engine.run(tmp_path, stack="dev")


def test_invalid_stack_name_is_an_engine_error(tmp_path):
    project = _project(tmp_path, "pass\n", "config: {}\n")
    with pytest.raises(EngineError, match="invalid stack name"):
        engine.run(project, stack="../etc/passwd")


def test_fixture_is_available_as_a_plugin(pulumi_plan):
    plan = pulumi_plan(lambda: aws.s3.Bucket("via-fixture"))
    assert plan.one(AWS_S3_BUCKET).name == "via-fixture"
