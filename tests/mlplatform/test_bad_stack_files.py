"""Hand-made bad stack files of the root program, each a mistake in one fixture document (tests/fixtures.py)
written as ``stacks/Pulumi.bad.yaml``: every one is stopped before any resource is registered, with one error
that names the stack file, the key path, the value received and what is allowed (never a traceback from inside
Pulumi). Secrets are refused without their value being shown."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml

from mlplatform import engine
from mlplatform.components.base.errors import ConfigError
from mlplatform.stackconfig import EngineError, load_project, load_stack_config
from tests.conftest import ROOT
from tests.fixtures import PROD_CERTIFICATE, Doc, aws_dev_config, gcp_dev_config

PLATFORM = "mlplatform:platform"
SECRET = "s3cr3t-value-nobody-may-read"


class Registrations(pulumi.runtime.Mocks):
    """Mocks that only record what the program registers."""

    def __init__(self) -> None:
        self.types: list[str] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict]:
        self.types.append(args.typ)
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict, None]:
        return {}, None


def stack_text(doc: Doc, **extra: Any) -> str:
    provider = {"aws:region": doc["region"]} if doc["cloud"] == "aws" else {"gcp:region": doc["region"]}
    return yaml.safe_dump({"config": {**provider, **extra, PLATFORM: doc}}, sort_keys=False)


def aws(change: Callable[[Doc], object], **extra: Any) -> Callable[[], str]:
    def build() -> str:
        doc = aws_dev_config()
        change(doc)
        return stack_text(doc, **extra)

    return build


def gcp(change: Callable[[Doc], object], **extra: Any) -> Callable[[], str]:
    def build() -> str:
        doc = gcp_dev_config()
        change(doc)
        return stack_text(doc, **extra)

    return build


def edited(build: Callable[[], str], old: str, new: str) -> Callable[[], str]:
    """A stack file whose YAML text is changed (what a person types: an unquoted number, a misspelt key)."""

    def apply() -> str:
        text = build()
        assert old in text, old
        return text.replace(old, new, 1)

    return apply


def unchanged(doc: Doc) -> None:
    return None


def set_in(path: str, value: Any) -> Callable[[Doc], None]:
    def apply(doc: Doc) -> None:
        parts = path.replace("]", "").replace("[", ".").split(".")
        cur: Any = doc
        for part in parts[:-1]:
            cur = cur[int(part)] if part.isdigit() else cur.setdefault(part, {})
        cur[int(parts[-1]) if parts[-1].isdigit() else parts[-1]] = value

    return apply


LONG_NAME = "ranker-with-a-name-longer-than-knative-allows"

CASES: list[tuple[str, Callable[[], str], list[str]]] = [
    (
        "a gs:// artifact for a SageMaker endpoint",
        aws(set_in("endpoints[0].variants[0].model_data", "gs://registry/ranker/v14/model.tar.gz")),
        [
            f"{PLATFORM}.endpoints[0].variants[0].model_data: a gs:// URI is Google Cloud Storage",
            "allowed: a key in the models zone",
            "(got 'gs://registry/ranker/v14/model.tar.gz')",
        ],
    ),
    (
        "an s3:// artifact for a Cloud Run endpoint",
        gcp(set_in("endpoints[0].variants[0].model_data", "s3://registry/ranker/v14/")),
        [f"{PLATFORM}.endpoints[0].variants[0].model_data: an s3:// URI is Amazon S3", "(got 's3://registry"],
    ),
    (
        "a docker.io image for SageMaker",
        aws(set_in("endpoints[0].variants[0].image", "docker.io/pytorch/torchserve:0.12")),
        [f"{PLATFORM}.endpoints[0].variants[0].image: SageMaker pulls from Amazon ECR", "<account>.dkr.ecr."],
    ),
    (
        "a gs:// model for a batch job on aws",
        aws(set_in("batch[0].model_uri", "gs://models/ranker/")),
        [f"{PLATFORM}.batch[0].model_uri: not an object store of aws", "use s3://", "(got 'gs://models/ranker/')"],
    ),
    (
        "a gs:// model for a KServe server on aws",
        aws(set_in("serving.servers[0].model_uri", "gs://models/triton/")),
        [f"{PLATFORM}.serving.servers[0].model_uri: not an object store of aws", "(got 'gs://models/triton/')"],
    ),
    (
        "the OAuth client secret in plain text",
        aws(unchanged, **{"mlplatform:notebooksOauthClientSecret": SECRET}),
        [
            "mlplatform:notebooksOauthClientSecret: a secret set in plain text in the stack file",
            "pulumi config set --secret mlplatform:notebooksOauthClientSecret <value>",
        ],
    ),
    (
        "an AWS secret key in plain text",
        aws(unchanged, **{"aws:secretKey": SECRET}),
        ["aws:secretKey: a secret set in plain text", "pulumi config set --secret aws:secretKey"],
    ),
    (
        "GCP credentials in plain text",
        gcp(unchanged, **{"gcp:credentials": f'{{"type": "service_account", "private_key": "{SECRET}"}}'}),
        ["gcp:credentials: a secret set in plain text", "pulumi config set --secret gcp:credentials"],
    ),
    (
        "a misspelt mlplatform:platform",
        edited(aws(unchanged), f"{PLATFORM}:", "mlplatform:platfrom:"),
        [f"{PLATFORM}: is not set", "found mlplatform:platfrom: did you mean mlplatform:platform?"],
    ),
    (
        "a misspelt config:",
        edited(aws(unchanged), "config:", "configs:"),
        ["unknown top-level key `configs:`; did you mean `config:`?"],
    ),
    (
        "an unquoted Kubernetes version",
        edited(aws(unchanged), "kubernetes_version: '1.33'", "kubernetes_version: 1.30"),
        [f"{PLATFORM}.cluster.kubernetes_version: a YAML number", 'write it quoted: "1.30"', "(got 1.3)"],
    ),
    (
        "an unsupported Kubernetes version",
        aws(set_in("cluster.kubernetes_version", "1.20")),
        [f"{PLATFORM}.cluster.kubernetes_version: not supported on EKS; allowed:", "(got '1.20')"],
    ),
    (
        "GKE zones on aws",
        aws(set_in("cluster.zones", ["us-east-1a"])),
        [f"{PLATFORM}.cluster.zones: only valid when cloud is gcp", "(got ['us-east-1a'])"],
    ),
    (
        "a zone without its letter on gcp",
        gcp(set_in("cluster.zones[0]", "us-central1")),
        [f"{PLATFORM}.cluster.zones[0]: must be a GCP zone: the region and a letter", "(got 'us-central1')"],
    ),
    (
        "a region the catalog does not price",
        aws(set_in("region", "eu-central-1")),
        [f"{PLATFORM}.region: not an AWS region in the catalog; allowed: us-east-1", "(got 'eu-central-1')"],
    ),
    (
        "a GPU model that does not exist",
        aws(set_in("cluster.gpu_pools[0].gpu", "T5")),
        [f"{PLATFORM}.cluster.gpu_pools[0].gpu: not allowed; allowed: T4, L4", "(got 'T5')"],
    ),
    (
        "a budget of nothing",
        aws(set_in("budget.monthly_limit_usd", 0)),
        [f"{PLATFORM}.budget.monthly_limit_usd: must be > 0", "(got 0)"],
    ),
    (
        "a budget in words",
        aws(set_in("budget.monthly_limit_usd", "lots")),
        [f"{PLATFORM}.budget.monthly_limit_usd: wrong type; expected a number", "(got 'lots')"],
    ),
    (
        "a model server name Knative cannot take",
        aws(set_in("serving.servers[0].name", LONG_NAME)),
        [f"{PLATFORM}.serving.servers[0].name: string should have at most 40 characters", f"(got '{LONG_NAME}')"],
    ),
    (
        "a notebook profile on a pool that does not exist",
        aws(set_in("notebooks.profiles", [{"name": "gpu", "gpu_pool": "training"}])),
        [f"{PLATFORM}.notebooks.profiles[0].gpu_pool: not a GPU pool of cluster.gpu_pools", "(got 'training')"],
    ),
    (
        "a cost tag missing",
        aws(lambda doc: doc["tags"].pop("cost_center")),
        [f"{PLATFORM}.tags.cost_center: required key is missing"],
    ),
    (
        "two endpoints of one name",
        aws(lambda doc: doc["endpoints"].append(dict(doc["endpoints"][0]))),
        [f"{PLATFORM}.endpoints: endpoint names must be unique; repeated: ranker"],
    ),
    (
        "an ACM certificate on gcp",
        gcp(
            set_in(
                "mlflow",
                {
                    "ingress_host": "mlflow.example.com",
                    "ingress_scheme": "internet-facing",
                    "certificate_arn": PROD_CERTIFICATE,
                },
            )
        ),
        [f"{PLATFORM}.mlflow.certificate_arn: an ACM certificate is not valid on gcp", "(got 'arn:aws:acm:"],
    ),
    (
        "a batch output prefix without its slash",
        aws(set_in("batch[0].output_prefix", "scores")),
        [f"{PLATFORM}.batch[0].output_prefix: must be lowercase path segments each ending with /", "(got 'scores')"],
    ),
    (
        "a GCP project id with capitals",
        gcp(set_in("gcp_project", "ML-Platform")),
        [f"{PLATFORM}.gcp_project: must be a GCP project id", "(got 'ML-Platform')"],
    ),
]


def write_project(tmp_path: Path, stack_yaml: str) -> Path:
    """A project whose program is the root program (__main__.py) and whose only stack is ``bad``."""
    (tmp_path / "Pulumi.yaml").write_text(
        yaml.safe_dump(
            {"name": load_project(ROOT).name, "runtime": "python", "main": str(ROOT), "stackConfigDir": "stacks"}
        )
    )
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks" / "Pulumi.bad.yaml").write_text(stack_yaml)
    return tmp_path


@pytest.mark.parametrize(("build", "fragments"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_a_bad_stack_file_is_stopped_before_any_resource_with_path_value_and_allowed(tmp_path, build, fragments):
    project = write_project(tmp_path, build())
    registrations = Registrations()
    with pytest.raises((ConfigError, EngineError)) as info:
        engine.run(project, stack="bad", mocks=registrations)
    message = str(info.value)
    assert "stacks/Pulumi.bad.yaml" in message.splitlines()[0], message
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in:\n{message}"
    assert SECRET not in message
    assert [t for t in registrations.types if t != "pulumi:pulumi:Stack"] == []
    if isinstance(info.value, ConfigError):
        assert len(info.value.problems) == 1, message  # one mistake, one problem
        assert str(tmp_path) not in message  # the stack file as validation names it, never its absolute path


def test_a_secure_secret_is_accepted(tmp_path):
    text = stack_text(aws_dev_config(), **{"aws:secretKey": {"secure": "AAABAJ0mD6Nn"}})
    project = load_project(write_project(tmp_path, text))
    assert "aws:secretKey" in load_stack_config(project, "bad").secret_keys


def test_gcp_credentials_naming_the_key_file_are_accepted(tmp_path):
    text = stack_text(gcp_dev_config(), **{"gcp:credentials": "/home/runner/gcp-key.json", "aws:accessKey": "AKIAX"})
    project = load_project(write_project(tmp_path, text))
    assert load_stack_config(project, "bad").values["gcp:credentials"] == "/home/runner/gcp-key.json"
