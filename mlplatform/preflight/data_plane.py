"""The data-plane calls each platform workload makes with its own identity, evaluated against the grants.

A role whose policies lint clean can still refuse the first call a workload makes. These are the calls,
taken from what the real clients do (and recorded from them against moto in
``tests/integration/test_workload_grants_on_moto.py``, which fails if a client makes a call not listed here):

- Feast's S3 registry (``feast/infra/registry/s3.py``) calls HeadBucket, which S3 authorises as
  ``s3:ListBucket`` with no ``s3:prefix`` in the request, then GetObject/PutObject on ``registry.pb``;
  materialization lists and reads the offline files and writes the online tables; the feature server reads
  the registry and the online tables. Its GCS registry (``gcs.py``) calls ``get_bucket``
  (``storage.buckets.get``) first.
- MLflow's artifact proxy writes, lists, reads and deletes under its artifact prefix.
- A SageMaker model's execution role reads its ``ModelDataUrl`` (and decrypts it with the lake key).
- A toolchain workload (notebook servers, Ray, a batch job: a ``WorkloadRole`` or ``WorkloadIdentity``) reads
  the prefixes it is granted the way s3fs, pyarrow and smart_open do (HeadBucket, a listing, GetObject), and
  writes its output prefix (PutObject, multipart parts, reads back, deletes: Ray restores and removes spilled
  objects).

Objects in an SSE-KMS bucket also need the key: GetObject needs ``kms:Decrypt`` and PutObject
``kms:GenerateDataKey``, requested by S3 on the caller's behalf (``kms:ViaService = s3.<region>...``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from mlplatform.components.base.types import (
    AWS_IAM_ROLE,
    AWS_IAM_ROLE_POLICY,
    AWS_S3_BUCKET_POLICY,
    AWS_S3_BUCKET_SERVER_SIDE_ENCRYPTION_CONFIGURATION,
    AWS_SAGEMAKER_MODEL,
    GCP_STORAGE_BUCKET_IAM_MEMBER,
    MLPLATFORM_AWS_FEATURE_STORE,
    MLPLATFORM_AWS_MLFLOW_TRACKING,
    MLPLATFORM_AWS_WORKLOAD_ROLE,
    MLPLATFORM_GCP_FEATURE_STORE,
    MLPLATFORM_GCP_MLFLOW_TRACKING,
    MLPLATFORM_GCP_WORKLOAD_IDENTITY,
)

from ..plan import reveal
from . import aws_iam, gcp_iam
from .aws_iam import Request
from .core import Context, Finding, Phase, rule
from .gcp_iam import Binding, GcsRequest

S3_URL = re.compile(r"^(s3|gs)://([^/]+)/?(.*)$")
HEAD_BUCKET_REF = (
    "S3 HeadBucket is authorised as s3:ListBucket and carries no s3:prefix; IAM treats a condition on an absent "
    "key as false (IAM User Guide: condition operators)"
)


def split_url(url: str) -> tuple[str, str]:
    m = S3_URL.match(url)
    if not m:
        raise ValueError(f"not an s3:// or gs:// URL: {url!r}")
    return m.group(2), m.group(3)


@dataclass
class AwsWorkload:
    """Who makes the calls (a component), with which role, and the calls themselves."""

    name: str
    urn: str
    role_arn: str
    requests: list[Request] = field(default_factory=list)


@dataclass
class GcpWorkload:
    name: str
    urn: str
    member: str
    requests: list[GcsRequest] = field(default_factory=list)


# --- AWS --------------------------------------------------------------------------------------------------


class AwsAccount:
    """The IAM side of the Plan: roles, their policies, bucket policies and bucket encryption."""

    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.roles = {reveal(r.output("arn")): r for r in ctx.of_type(AWS_IAM_ROLE)}
        self.policies: dict[str, list[str]] = {}
        for p in ctx.of_type(AWS_IAM_ROLE_POLICY):
            self.policies.setdefault(str(reveal(p.input("role"))), []).append(reveal(p.input("policy")))
        self.bucket_policies = {
            str(reveal(p.input("bucket"))): reveal(p.input("policy")) for p in ctx.of_type(AWS_S3_BUCKET_POLICY)
        }
        self.bucket_keys: dict[str, str] = {}
        for c in ctx.of_type(AWS_S3_BUCKET_SERVER_SIDE_ENCRYPTION_CONFIGURATION):
            for rule_ in reveal(c.input("rules")) or []:
                sse = rule_.get("applyServerSideEncryptionByDefault") or {}
                if sse.get("sseAlgorithm") == "aws:kms" and sse.get("kmsMasterKeyId"):
                    self.bucket_keys[str(reveal(c.input("bucket")))] = sse["kmsMasterKeyId"]
        self.region = str(ctx.plan.config.get("aws:region") or "us-east-1")

    @classmethod
    def of(cls, ctx: Context) -> AwsAccount:
        """The account view of ``ctx``'s Plan, built once per preflight run."""
        cached = ctx.memo.get("aws-account")
        if cached is None:
            cached = ctx.memo["aws-account"] = cls(ctx)
        return cached

    def decide(self, request: Request, role_arn: str) -> aws_iam.Decision | None:
        """Whether the role may make ``request``, its policies and the bucket's policy evaluated together;
        None for a role from outside the stack (its policies are not in the Plan)."""
        identity = self.identity_policies(role_arn)
        if identity is None:
            return None
        s3 = request.resource.startswith("arn:aws:s3:::")
        bucket = request.resource.split(":::", 1)[1].split("/", 1)[0] if s3 else ""
        resource_policies = [self.bucket_policies[bucket]] if bucket in self.bucket_policies else []
        return aws_iam.evaluate(request, identity, resource_policies, principal=role_arn)

    def identity_policies(self, role_arn: str) -> list[str] | None:
        role = self.roles.get(role_arn)
        if role is None:
            return None
        return self.policies.get(str(reveal(role.output("name"))), [])

    # request builders, with what AWS adds to the context for the call
    def context(self, **extra) -> dict:
        return {"aws:SecureTransport": True, **extra}

    def head_bucket(self, bucket: str) -> Request:
        return Request("s3:ListBucket", f"arn:aws:s3:::{bucket}", self.context(), "HeadBucket")

    def list_prefix(self, bucket: str, prefix: str) -> Request:
        extra = {"s3:prefix": prefix} if prefix else {}
        return Request("s3:ListBucket", f"arn:aws:s3:::{bucket}", self.context(**extra), f"ListObjectsV2 {prefix!r}")

    def object_call(self, action: str, bucket: str, key: str, api: str) -> list[Request]:
        calls = [Request(action, f"arn:aws:s3:::{bucket}/{key}", self.context(), f"{api} {key}")]
        key_arn = self.bucket_keys.get(bucket)
        if key_arn:
            kms = "kms:Decrypt" if action == "s3:GetObject" else "kms:GenerateDataKey"
            via = {"kms:ViaService": f"s3.{self.region}.amazonaws.com"}
            calls.append(Request(kms, key_arn, self.context(**via), f"{kms} for {api} {key} (SSE-KMS)"))
        return calls


def _feast_aws(ctx: Context, acct: AwsAccount) -> Iterator[AwsWorkload]:
    for fs in ctx.of_type(MLPLATFORM_AWS_FEATURE_STORE):
        out = reveal(fs.outputs)
        registry = out.get("registry_path")
        if not isinstance(registry, str):
            continue
        bucket, key = split_url(registry)
        zone_prefix = key.rsplit("feast/", 1)[0]
        project = out.get("project") or "feast"
        tables = [t for t in out.get("online_tables") or [] if isinstance(t, str)]
        materializer, server = out.get("materializer_role_arn"), out.get("server_role_arn")
        account = str(materializer or server or "").split(":")[4:5] or ["*"]

        def table(name: str, account: str = account[0]) -> str:
            return f"arn:aws:dynamodb:{acct.region}:{account}:table/{name}"

        registry_reads = [acct.head_bucket(bucket), *acct.object_call("s3:GetObject", bucket, key, "GetObject")]

        if isinstance(materializer, str):
            reqs = list(registry_reads) + acct.object_call("s3:PutObject", bucket, key, "PutObject")
            data_key = f"{zone_prefix}{project}/driver_stats/part-0.parquet"
            reqs += [acct.list_prefix(bucket, f"{zone_prefix}{project}/driver_stats/")]
            reqs += acct.object_call("s3:GetObject", bucket, data_key, "GetObject")
            # feast apply creates the tables of views the platform did not declare.
            new_table = f"{project}.new_view"
            reqs.append(Request("dynamodb:CreateTable", table(new_table), acct.context(), "CreateTable"))
            for t in [*tables, new_table]:
                # apply tags the tables with the store's tags (reading them first), materialize writes them
                for action in (
                    "dynamodb:DescribeTable",
                    "dynamodb:ListTagsOfResource",
                    "dynamodb:TagResource",
                    "dynamodb:BatchWriteItem",
                ):
                    reqs.append(Request(action, table(t), acct.context(), action.split(":")[1]))
            yield AwsWorkload("Feast apply and materialization", fs.urn, materializer, reqs)
        if isinstance(server, str):
            reqs = list(registry_reads)
            for t in tables:
                reqs.append(Request("dynamodb:BatchGetItem", table(t), acct.context(), "BatchGetItem"))
            yield AwsWorkload("Feast feature server", fs.urn, server, reqs)


def _mlflow_aws(ctx: Context, acct: AwsAccount) -> Iterator[AwsWorkload]:
    for m in ctx.of_type(MLPLATFORM_AWS_MLFLOW_TRACKING):
        out = reveal(m.outputs)
        location, role = out.get("artifact_location"), out.get("artifact_role_arn")
        if not isinstance(location, str) or not isinstance(role, str):
            continue
        bucket, prefix = split_url(location)
        run = f"{prefix}1/0123456789abcdef/artifacts/"
        reqs = [
            *acct.object_call("s3:PutObject", bucket, f"{run}model/model.pkl", "PutObject"),
            acct.list_prefix(bucket, run),
            *acct.object_call("s3:GetObject", bucket, f"{run}model/model.pkl", "GetObject"),
            *acct.object_call("s3:DeleteObject", bucket, f"{run}model/model.pkl", "DeleteObject")[:1],
        ]
        yield AwsWorkload("MLflow artifact proxy", m.urn, role, reqs)


def _sagemaker_models(ctx: Context, acct: AwsAccount) -> Iterator[AwsWorkload]:
    for model in ctx.of_type(AWS_SAGEMAKER_MODEL):
        role = reveal(model.input("executionRoleArn"))
        url = reveal(model.input("primaryContainer.modelDataUrl"))
        if not isinstance(role, str) or not isinstance(url, str) or not url.startswith("s3://"):
            continue
        bucket, key = split_url(url)
        yield AwsWorkload(
            "SageMaker model (CreateModel and endpoint start)",
            model.urn,
            role,
            acct.object_call("s3:GetObject", bucket, key, "GetObject"),
        )


def _toolchain_aws(ctx: Context, acct: AwsAccount) -> Iterator[AwsWorkload]:
    for w in ctx.of_type(MLPLATFORM_AWS_WORKLOAD_ROLE):
        out = reveal(w.outputs)
        role = out.get("role_arn")
        if not isinstance(role, str):
            continue
        reqs: list[Request] = []
        for url in out.get("reads") or []:
            bucket, prefix = split_url(str(url))
            reqs += [acct.head_bucket(bucket), acct.list_prefix(bucket, prefix)]
            reqs += acct.object_call("s3:GetObject", bucket, f"{prefix}part-0.parquet", "GetObject")
        for url in out.get("writes") or []:
            bucket, prefix = split_url(str(url))
            key = f"{prefix}part-0.parquet"
            reqs += [acct.head_bucket(bucket), acct.list_prefix(bucket, prefix)]
            reqs += acct.object_call("s3:PutObject", bucket, key, "PutObject")
            reqs += acct.object_call("s3:GetObject", bucket, key, "GetObject")
            reqs += acct.object_call("s3:DeleteObject", bucket, key, "DeleteObject")[:1]
        yield AwsWorkload(f"workload {w.name}", w.urn, role, reqs)


def aws_workloads(ctx: Context) -> list[AwsWorkload]:
    acct = AwsAccount.of(ctx)
    return [
        *_feast_aws(ctx, acct),
        *_mlflow_aws(ctx, acct),
        *_sagemaker_models(ctx, acct),
        *_toolchain_aws(ctx, acct),
    ]


# --- GCP --------------------------------------------------------------------------------------------------


def gcp_bindings(ctx: Context) -> list[Binding]:
    out = []
    for b in ctx.of_type(GCP_STORAGE_BUCKET_IAM_MEMBER):
        cond = reveal(b.input("condition")) or {}
        out.append(
            Binding(
                role=str(reveal(b.input("role"))),
                member=str(reveal(b.input("member"))),
                bucket=str(reveal(b.input("bucket"))),
                condition=cond.get("expression") if isinstance(cond, dict) else None,
                urn=b.urn,
            )
        )
    return out


def gcp_workloads(ctx: Context) -> list[GcpWorkload]:
    found = []
    for fs in ctx.of_type(MLPLATFORM_GCP_FEATURE_STORE):
        out = reveal(fs.outputs)
        registry, email = out.get("registry_path"), out.get("service_account")
        if isinstance(registry, str) and isinstance(email, str):
            bucket, key = split_url(registry)
            zone_prefix = key.rsplit("feast/", 1)[0]
            reqs = [
                GcsRequest("storage.buckets.get", bucket, None, "get_bucket (registry)"),
                GcsRequest("storage.objects.get", bucket, key, "download registry.pb"),
                GcsRequest("storage.objects.create", bucket, key, "upload registry.pb"),
                GcsRequest("storage.objects.delete", bucket, key, "replace registry.pb"),
                GcsRequest("storage.objects.list", bucket, None, "list offline files"),
                GcsRequest("storage.objects.get", bucket, f"{zone_prefix}data/part-0.parquet", "read offline file"),
            ]
            found.append(
                GcpWorkload("Feast (apply, materialization, feature server)", fs.urn, f"serviceAccount:{email}", reqs)
            )
    for m in ctx.of_type(MLPLATFORM_GCP_MLFLOW_TRACKING):
        out = reveal(m.outputs)
        location, email = out.get("artifact_location"), out.get("service_account")
        if isinstance(location, str) and isinstance(email, str):
            bucket, prefix = split_url(location)
            obj = f"{prefix}1/0123456789abcdef/artifacts/model/model.pkl"
            reqs = [
                GcsRequest("storage.objects.create", bucket, obj, "upload artifact"),
                GcsRequest("storage.objects.list", bucket, None, "list artifacts"),
                GcsRequest("storage.objects.get", bucket, obj, "download artifact"),
                GcsRequest("storage.objects.delete", bucket, obj, "delete artifact"),
            ]
            found.append(GcpWorkload("MLflow artifact proxy", m.urn, f"serviceAccount:{email}", reqs))
    for w in ctx.of_type(MLPLATFORM_GCP_WORKLOAD_IDENTITY):
        out = reveal(w.outputs)
        email = out.get("service_account")
        if not isinstance(email, str):
            continue
        reqs = []
        for url in out.get("reads") or []:
            bucket, prefix = split_url(str(url))
            reqs += [
                GcsRequest("storage.buckets.get", bucket, None, "get_bucket"),
                GcsRequest("storage.objects.list", bucket, None, f"list {prefix!r}"),
                GcsRequest("storage.objects.get", bucket, f"{prefix}part-0.parquet", "download"),
            ]
        for url in out.get("writes") or []:
            bucket, prefix = split_url(str(url))
            obj = f"{prefix}part-0.parquet"
            reqs += [
                GcsRequest("storage.objects.create", bucket, obj, "upload"),
                GcsRequest("storage.objects.get", bucket, obj, "download"),
                GcsRequest("storage.objects.delete", bucket, obj, "delete"),
            ]
        found.append(GcpWorkload(f"workload {w.name}", w.urn, f"serviceAccount:{email}", reqs))
    return found


@rule(
    "workload-grants",
    "Checks whether every data-plane call a platform workload makes (Feast, MLflow, SageMaker models, notebook "
    "servers, Ray, batch jobs) is allowed by the grants of its own identity, conditions and bucket policies "
    "included.",
)
def workload_grants(ctx: Context) -> Iterator[Finding]:
    acct = AwsAccount.of(ctx)
    for w in aws_workloads(ctx):
        for req in w.requests:
            decision = acct.decide(req, w.role_arn)
            if decision is None:
                break  # a role from outside the stack: its policies are not in the Plan
            ctx.count("workload-grants")
            if not decision.allowed:
                ref = HEAD_BUCKET_REF if req.description == "HeadBucket" else "IAM policy evaluation logic"
                yield Finding(
                    "workload-grants",
                    Phase.FIRST_DEPLOY,
                    w.urn,
                    f"{w.name} (role {w.role_arn.rsplit('/', 1)[-1]}) is refused {req.action} on {req.resource} "
                    f"({req.description}): {decision.reason}.",
                    ref,
                )
    bindings = gcp_bindings(ctx)
    for w in gcp_workloads(ctx):
        for req in w.requests:
            ctx.count("workload-grants")
            if gcp_iam.allowed(req, w.member, bindings) is None:
                yield Finding(
                    "workload-grants",
                    Phase.FIRST_DEPLOY,
                    w.urn,
                    f"{w.name} ({w.member.split(':', 1)[1]}) lacks {req.permission} on {req.resource_name} "
                    f"({req.description}): no binding on bucket {req.bucket} grants it"
                    + (" (object-prefix conditions never match the bucket itself)" if req.key is None else "")
                    + ".",
                    "Cloud Storage checks bucket-level permissions against projects/_/buckets/<bucket> "
                    "(cloud.google.com/storage/docs/access-control/iam-permissions)",
                )
