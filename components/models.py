"""Building blocks shared by the stack spec and component args: strict models and validated value types.

``StrictModel`` forbids unknown keys and turns validation failures into :class:`ConfigError` when a model is
constructed directly (``GpuPoolSpec(name="x", gpu="T5", max_nodes=1)``), naming the model and the field.
Region- and cloud-dependent checks read ``cloud`` and ``region`` from the validation context
(:func:`where`), which the stack loader and component args provide.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Any, ClassVar

import pydantic
from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationInfo

from .catalog import Cloud, load_catalog
from .errors import ConfigError, Problems, problems_from, spec_error

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
        # Subnets are carved per zone from the VPC range (mlplatform/aws/network.py): /20 still leaves /23
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
    cloud, _ = where(info)
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


DnsLabel = Annotated[str, AfterValidator(_dns_label)]
GcpLabels = Annotated[dict[str, str], AfterValidator(_gcp_labels)]
Hostname = Annotated[str, AfterValidator(_hostname)]
LabelKey = Annotated[str, AfterValidator(_label_key)]
LabelValue = Annotated[str, AfterValidator(_label_value)]
TagValue = Annotated[str, AfterValidator(_tag_value)]
Cidr = Annotated[str, AfterValidator(_cidr)]
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
    # with the outer context (region), and shared default instances are never mutated in place.
    model_config = ConfigDict(
        extra="forbid", use_attribute_docstrings=True, validate_default=True, revalidate_instances="always"
    )

    # Cloud assumed for context-dependent checks when a model is built directly (component args set it).
    _context_cloud: ClassVar[Cloud | None] = None

    def __init__(self, /, **data: Any) -> None:
        context = {"cloud": data.get("cloud", self._context_cloud), "region": data.get("region")}
        try:
            self.__pydantic_validator__.validate_python(data, self_instance=self, context=context)
        except pydantic.ValidationError as exc:
            raise ConfigError(problems_from(exc, type(self)), source=type(self).__name__, root="args") from None

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


def where(info: ValidationInfo) -> tuple[Cloud | None, str | None]:
    """The cloud and region being validated for (validation context), when both are known and valid.

    Pool, node and store checks depend on them; taking them from the context rather than from the parent
    model lets those checks run, and report, even when another section of the document is invalid.
    """
    ctx = info.context or {}
    cloud, region = ctx.get("cloud"), ctx.get("region")
    if cloud not in ("aws", "gcp"):
        return None, None
    cloud = Cloud(cloud)
    return cloud, region if region in load_catalog().regions(cloud) else None


def duplicates(names: list[str]) -> list[str]:
    seen: set[str] = set()
    dup = []
    for n in names:
        if n in seen and n not in dup:
            dup.append(n)
        seen.add(n)
    return dup


class LakeAccess(StrictModel):
    """A data-lake zone, or a prefix of it, that a workload's identity is granted."""

    zone: str
    """Zone name. Required."""
    prefix: str = pydantic.Field(default="", pattern=r"^([a-z0-9][a-z0-9._-]*/)*$")
    """Prefix within the zone, ending with / (empty: the whole zone). Default: empty."""


def zone_roles(zones: list[str]) -> dict[str, str]:
    """Which lake zone holds what: the zone named for the role, else the first (raw, features) or last (models)."""
    return {
        "raw": "raw" if "raw" in zones else zones[0],
        "features": "features" if "features" in zones else zones[0],
        "models": "models" if "models" in zones else zones[-1],
    }


def check_lake_access(p: Problems, zones: list[str], read: list[LakeAccess], write: list[LakeAccess]) -> None:
    """Add to ``p`` what a workload identity's grants get wrong: unknown zones, a write to a whole zone."""
    for key, accesses in (("read", read), ("write", write)):
        for i, access in enumerate(accesses):
            if access.zone not in zones:
                p.add(f"{key}[{i}].zone", f"not a zone of the lake; zones: {', '.join(zones)}", access.zone)
    for i, access in enumerate(write):
        if not access.prefix:
            p.add(f"write[{i}].prefix", "a workload writes under a prefix, never a whole zone", access.prefix)
    for key, accesses in (("read", read), ("write", write)):
        repeated = duplicates([a.zone for a in accesses])
        if repeated:
            # One grant per zone and kind: a zone read whole covers its prefixes.
            p.add(key, f"each zone once; repeated: {', '.join(repeated)}", [a.zone for a in accesses])
