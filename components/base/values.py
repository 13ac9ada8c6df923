"""Building blocks shared by the stack config and component args: strict models and validated value types.

``StrictModel`` forbids unknown keys and turns validation failures into :class:`ConfigError` when a model is
constructed directly (``GpuPoolSpec(name="x", gpu="T5", max_nodes=1)``), naming the model and the field.
Cloud-dependent checks read ``cloud`` from the validation context (:func:`context_cloud`), which the stack loader
and component args provide; region-dependent ones use :func:`mlplatform.components.config.context.where`.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import re
from typing import Annotated, Any, ClassVar, Self

import pulumi
import pydantic
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    ModelWrapValidatorHandler,
    PrivateAttr,
    ValidationInfo,
    model_validator,
)
from pydantic_core import CoreSchema, core_schema

from .cloud import Cloud
from .errors import ConfigError, args_source, problems_from, spec_error

# --- value checks ------------------------------------------------------------------------------------------

_DNS_LABEL = re.compile(r"^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$")
_DNS_NAME = re.compile(r"^(?=.{1,253}$)[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$")
_LABEL_NAME = re.compile(r"^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$")
_TAG_VALUE = re.compile(r"^[\w.:/=+\-@ ]{1,256}$")
GCP_LABEL = re.compile(r"^[a-z0-9_-]{0,63}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
_IAM_PRINCIPAL = re.compile(r"^arn:aws(-[a-z]+)*:iam::\d{12}:(role|user)/[\w+=,.@/-]+$")
_GCP_MEMBER = re.compile(r"^(user|group|serviceAccount|domain):[^\s:]+$")
_KMS_KEY = re.compile(r"^arn:aws(-[a-z]+)*:kms:[a-z0-9-]+:\d{12}:key/[0-9a-f-]{36}$")
_ACM_CERT = re.compile(r"^arn:aws(-[a-z]+)*:acm:[a-z0-9-]+:\d{12}:certificate/[0-9a-f-]{36}$")
_DURATION = re.compile(r"^\d+(s|m|h)$")


def _dns_label(v: str) -> str:
    if not _DNS_LABEL.match(v):
        raise spec_error(None, "must be a DNS label: 1-63 lowercase letters, digits or '-', starting with a letter", v)
    return v


def _hostname(v: str) -> str:
    if not _DNS_NAME.match(v):
        raise spec_error(None, "must be a lowercase DNS hostname such as mlflow.example.com", v)
    return v


def _label_key(v: str) -> str:
    prefix, _, name = v.rpartition("/")
    if (prefix and not _DNS_NAME.match(prefix)) or not _LABEL_NAME.match(name):
        raise spec_error(
            None,
            "must be a Kubernetes label key: an optional DNS prefix and '/', then 1-63 letters, digits, "
            "'-', '_' or '.', starting and ending with a letter or digit",
            v,
        )
    return v


def _label_value(v: str) -> str:
    if v and not _LABEL_NAME.match(v):
        raise spec_error(None, "must be a Kubernetes label value: up to 63 letters, digits, '-', '_' or '.'", v)
    return v


def _tag_value(v: str) -> str:
    if not _TAG_VALUE.match(v):
        raise spec_error(
            None, "must be 1-256 characters of letters, digits, spaces and _ . : / = + - @ (AWS tag rules)", v
        )
    return v


def _cidr(v: str) -> str:
    try:
        net = ipaddress.IPv4Network(v, strict=True)
    except ValueError:
        raise spec_error(None, "must be an IPv4 CIDR block with no host bits set, such as 10.0.0.0/16", v) from None
    return str(net)


def _vpc_cidr(v: str) -> str:
    v = _cidr(v)
    prefix = ipaddress.IPv4Network(v).prefixlen
    if not 16 <= prefix <= 20:
        # Subnets are carved per zone from the VPC range (components/aws/network.py): /20 still leaves /23
        # private subnets, enough for the VPC CNI's pod addresses on a small cluster.
        raise spec_error(None, "must have a prefix length between /16 and /20 (room for a subnet per zone)", v)
    return v


def _email(v: str) -> str:
    if not _EMAIL.match(v):
        raise spec_error(None, "must be an email address", v)
    return v


def _https_url(v: str) -> str:
    if not re.match(r"^https://[^\s/]+(/\S*)?$", v):
        raise spec_error(None, "must be an https:// URL", v)
    return v


def _iam_principal(v: str, info: ValidationInfo) -> str:
    cloud = context_cloud(info)
    if cloud is Cloud.GCP:
        if not _GCP_MEMBER.match(v):
            raise spec_error(None, "must be an IAM member such as user:alice@example.com, group:admins@example.com", v)
        return v
    if not _IAM_PRINCIPAL.match(v):
        raise spec_error(None, "must be an IAM role or user ARN such as arn:aws:iam::123456789012:role/Admin", v)
    return v


def _kms_key(v: str) -> str:
    if not _KMS_KEY.match(v):
        raise spec_error(None, "must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<uuid>)", v)
    return v


def _acm_certificate(v: str) -> str:
    if not _ACM_CERT.match(v):
        raise spec_error(None, "must be an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<uuid>)", v)
    return v


def _duration(v: str) -> str:
    if not _DURATION.match(v):
        raise spec_error(None, "must be a duration such as 30s, 5m or 1h", v)
    return v


def duration_seconds(v: str) -> int:
    """Seconds in a validated duration: ``duration_seconds("5m") == 300``."""
    return int(v[:-1]) * {"s": 1, "m": 60, "h": 3600}[v[-1]]


def _cron(v: str) -> str:
    from .schedule import Cron, CronError

    try:
        Cron.parse(v)
    except CronError as exc:
        raise spec_error(None, f"must be a cron schedule such as '0 2 * * *' (02:00 daily); {exc}", v) from None
    return v


def _gcp_labels(v: dict[str, str]) -> dict[str, str]:
    for key, value in v.items():
        if not (GCP_LABEL.match(key) and key[:1].isalpha()) or not GCP_LABEL.match(value):
            raise spec_error(
                key,
                "GCP labels: keys start with a lowercase letter; keys and values use only lowercase letters, "
                "digits, '_' and '-' (max 63)",
                value,
            )
    return v


@dataclasses.dataclass(frozen=True)
class Matching:
    """Annotation: the string matches ``pattern``; its error says what is expected in words (``expected``,
    completing "must be ..."), not the regular expression. None passes (for optional fields). ``pattern`` is
    public, as a ``Field(pattern=...)``'s is, for the generated references."""

    pattern: str
    expected: str

    def __get_pydantic_core_schema__(self, source: Any, handler: pydantic.GetCoreSchemaHandler) -> CoreSchema:
        return core_schema.no_info_after_validator_function(self.check, handler(source))

    def check(self, v: str | None) -> str | None:
        if v is not None and not re.match(self.pattern, v):
            raise spec_error(None, f"must be {self.expected}", v)
        return v


def matching(pattern: str, expected: str) -> Matching:
    """The check that a string matches ``pattern``, said in words.

    Example: ``vpc_id: Annotated[str, matching(r"^vpc-[0-9a-f]{8,17}$", "a VPC id such as vpc-0a1b2c3d")]``
    """
    return Matching(pattern, expected)


DnsLabel = Annotated[str, AfterValidator(_dns_label)]
DnsLabelInput = DnsLabel | pulumi.Output[str]
"""A DNS label now (checked), or a Pulumi Output of one (passed through: ``namespace=ns.metadata.name`` orders a
component after the namespace it names)."""
GcpLabels = Annotated[dict[str, str], AfterValidator(_gcp_labels)]
Hostname = Annotated[str, AfterValidator(_hostname)]
LabelKey = Annotated[str, AfterValidator(_label_key)]
LabelValue = Annotated[str, AfterValidator(_label_value)]
TagValue = Annotated[str, AfterValidator(_tag_value)]
Cidr = Annotated[str, AfterValidator(_cidr)]
LakePrefix = Annotated[
    str, matching(r"^([a-z0-9][a-z0-9._-]*/)*$", "empty or lowercase path segments each ending with /, such as daily/")
]
VpcCidr = Annotated[str, AfterValidator(_vpc_cidr)]
Email = Annotated[str, AfterValidator(_email)]
HttpsUrl = Annotated[str, AfterValidator(_https_url)]
IamPrincipalArn = Annotated[str, AfterValidator(_iam_principal)]
KmsKeyArn = Annotated[str, AfterValidator(_kms_key)]
AcmCertificateArn = Annotated[str, AfterValidator(_acm_certificate)]
Duration = Annotated[str, AfterValidator(_duration)]
CronSchedule = Annotated[str, AfterValidator(_cron)]


class StrictModel(BaseModel):
    """Base of every spec and args model: unknown keys are errors; field docstrings are the reference docs."""

    # revalidate_instances: a model instance nested in another (GpuPoolSpec inside ClusterSpec) is checked again
    # with the outer context (region), and shared default instances are never mutated in place; unless it was
    # already checked for that context (_once_per_context).
    model_config = ConfigDict(
        extra="forbid", use_attribute_docstrings=True, validate_default=True, revalidate_instances="always"
    )

    # Cloud assumed for context-dependent checks when a model is built directly (component args set it).
    _context_cloud: ClassVar[Cloud | None] = None
    # The (cloud, region) this instance was validated for: the stack's sections, checked with the stack's cloud and
    # region, are not checked again when a composition hands them to component args of the same cloud and region.
    _checked_for: tuple[str | None, str | None] | None = PrivateAttr(default=None)

    @model_validator(mode="wrap")
    @classmethod
    def _once_per_context(cls, value: Any, handler: ModelWrapValidatorHandler[Self], info: ValidationInfo) -> Self:
        cloud, region = _context_key(info)
        if type(value) is cls and value._checked_for is not None:
            done_cloud, done_region = value._checked_for
            if cloud in (None, done_cloud) and region in (None, done_region):
                return value
        model = handler(value)
        model._checked_for = (cloud, region)
        return model

    def __init__(self, /, **data: Any) -> None:
        context = {"cloud": data.get("cloud", self._context_cloud), "region": data.get("region")}
        try:
            self.__pydantic_validator__.validate_python(data, self_instance=self, context=context)
        except pydantic.ValidationError as exc:
            source = args_source(type(self).__name__)
            raise ConfigError(problems_from(exc, type(self)), source=source, root="args") from None

    # Tell pydantic this __init__ only wraps its own: nested validation must not call it (it would raise
    # ConfigError mid-validation and lose the context). pydantic's RootModel marks its __init__ the same way.
    __init__.__pydantic_base_init__ = True  # type: ignore[attr-defined]


class ComponentArgs(StrictModel):
    """Args of a component: like spec models, but may hold Pulumi inputs (Outputs) for ids and ARNs."""

    model_config = ConfigDict(
        extra="forbid",
        use_attribute_docstrings=True,
        validate_default=True,
        arbitrary_types_allowed=True,
        revalidate_instances="always",
    )


def _context_key(info: ValidationInfo) -> tuple[str | None, str | None]:
    context = info.context or {}
    cloud, region = context.get("cloud"), context.get("region")
    return (str(cloud) if cloud is not None else None), (str(region) if region is not None else None)


OBJECT_STORE_SCHEMES = {Cloud.AWS: "s3://", Cloud.GCP: "gs://"}


def foreign_store(cloud: Cloud, uri: str) -> str | None:
    """Why a workload on ``cloud`` cannot read ``uri``: it is the other cloud's object store (None when not)."""
    for other, scheme in OBJECT_STORE_SCHEMES.items():
        if other is not cloud and uri.startswith(scheme):
            own = OBJECT_STORE_SCHEMES[cloud]
            return f"not an object store of {cloud}: {scheme} is {other.upper()} storage; use {own} or a lake key"
    return None


def context_cloud(info: ValidationInfo) -> Cloud | None:
    """The cloud being validated for (validation context), when known: the stack loader and component args set it."""
    cloud = (info.context or {}).get("cloud")
    return Cloud(cloud) if cloud in ("aws", "gcp") else None


def duplicates(names: list[str]) -> list[str]:
    seen: set[str] = set()
    dup = []
    for n in names:
        if n in seen and n not in dup:
            dup.append(n)
        seen.add(n)
    return dup
