"""What components take from each other: the typed seams between them.

A component that needs another one's data lake, cluster, feature store or alert sink takes it through one of
these Protocols (structural types: the AWS and the GCP component, or your own object with the same attributes,
all fit), never through ``Any``. Grants have one signature on both clouds, for one :class:`Principal`::

    lake.grant_read(principal, "curated")             # list and read a zone
    lake.grant_write(principal, "models", "mlflow/")  # read, write and delete under a prefix
    features.grant_read(principal)                    # the online store

The principal comes from the cloud's own identity: ``mlplatform.components.aws.iam.principal(role)`` or
``mlplatform.components.gcp.iam.principal(account)``.

Values that exist only at deploy time are Pulumi Outputs: :data:`StrInput` is a string now or later.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeAlias, runtime_checkable

import pulumi
import pulumi_kubernetes as k8s

from .base.cloud import Cloud
from .base.errors import ConfigError, Problem
from .config.lake import LakeAccess

# pulumi.Input[str] without its awaitables: args models check what they hold, and pydantic checks these.
StrInput: TypeAlias = str | pulumi.Output[str]
"""A string known now, or only at deploy time (a resource's output)."""
StrListInput: TypeAlias = Sequence[StrInput] | pulumi.Output[list[str]]
"""Strings (each known now or later), or a list known only at deploy time (a Network's subnet ids)."""


@dataclass(frozen=True)
class Principal:
    """Who a grant is for, on either cloud (one value for every kind of identity, like CDK's IGrantable).

    Build it from the cloud's own identity: ``mlplatform.components.aws.iam.principal(role)``,
    ``mlplatform.components.gcp.iam.principal(account)``.
    """

    cloud: Cloud
    """The cloud the identity lives in; a lake or store of the other cloud refuses it."""
    name: str
    """What the grant's resources are named after (the identity's resource name)."""
    identity: StrInput
    """How the cloud refers to the identity in a grant: the IAM role's name on AWS (what a role policy attaches
    to), the IAM member (``serviceAccount:<email>``) on GCP."""


@runtime_checkable
class Lake(Protocol):
    """A data lake as its consumers see it (:class:`mlplatform.components.aws.DataLake`,
    :class:`mlplatform.components.gcp.DataLake`).

    A zone is a bucket, or a prefix of a shared bucket: an object of ``zone`` lives in ``bucket_names[zone]``
    under the key ``zone_prefixes[zone] + key``, at ``zone_urls[zone] + key``.
    """

    @property
    def cloud(self) -> Cloud:
        """The cloud the lake lives in."""
        ...

    @property
    def zones(self) -> list[str]:
        """Zone names, in order."""
        ...

    @property
    def bucket_names(self) -> Mapping[str, pulumi.Output[str]]:
        """Bucket of each zone."""
        ...

    @property
    def zone_prefixes(self) -> Mapping[str, str]:
        """Key prefix of each zone in its bucket (empty when the zone has its own bucket)."""
        ...

    @property
    def zone_urls(self) -> Mapping[str, pulumi.Output[str]]:
        """``s3://`` or ``gs://`` URL of each zone, ending with /."""
        ...

    def grant_read(self, principal: Principal, zone: str, prefix: str = "") -> Sequence[pulumi.Resource]:
        """Let ``principal`` list and read the objects of ``zone`` (or only those under ``prefix``, ending with
        /), with the lake's key; returns what it creates."""
        ...

    def grant_write(self, principal: Principal, zone: str, prefix: str = "") -> Sequence[pulumi.Resource]:
        """Let ``principal`` read, write and delete the objects of ``zone`` (or only under ``prefix``), with the
        lake's key; never change the buckets. Returns what it creates."""
        ...


@runtime_checkable
class Features(Protocol):
    """A feature store as the workloads that read features see it (:class:`mlplatform.components.aws.FeatureStore`,
    :class:`mlplatform.components.gcp.FeatureStore`)."""

    @property
    def config_secret(self) -> str:
        """The Secret holding ``feature_store.yaml`` in the platform namespace."""
        ...

    def grant_read(self, principal: Principal) -> Sequence[pulumi.Resource]:
        """Let ``principal`` read the online store (and query the offline one); the registry and offline files
        are in the lake's features zone, granted with :meth:`Lake.grant_read`. Returns what it creates."""
        ...


@runtime_checkable
class Cluster(Protocol):
    """A Kubernetes cluster as what runs on it sees it (:class:`mlplatform.components.aws.GpuCluster`,
    :class:`mlplatform.components.gcp.GpuCluster`, or any object with these attributes)."""

    @property
    def cluster_name(self) -> pulumi.Output[str]:
        """The cluster's name (EKS Pod Identity associations name it)."""
        ...

    @property
    def provider(self) -> k8s.Provider:
        """A Kubernetes provider for the cluster, which waits for its system nodes."""
        ...

    @property
    def storage_class(self) -> str:
        """The cluster's encrypted StorageClass."""
        ...


@runtime_checkable
class AlertSink(Protocol):
    """Where in-cluster alert rules go (:class:`mlplatform.components.k8s.observability.ClusterObservability`):
    PrometheusRules in ``namespace`` reach the stack's alert topic or channels through Alertmanager."""

    @property
    def namespace(self) -> str:
        """Namespace the Prometheus operator reads rules from."""
        ...

    @property
    def release(self) -> pulumi.Resource:
        """What installs the monitoring.coreos.com CRDs: rules wait for it."""
        ...


_PREFIX = re.compile(r"^([a-z0-9][a-z0-9._-]*/)*$")


def check_grant(
    source: str,
    zones: Sequence[str],
    zone: str,
    prefix: str,
    principal: Principal | None = None,
    cloud: Cloud | None = None,
) -> None:
    """Raise one ConfigError (named after ``source``, the lake) for everything wrong with a grant: a zone the lake
    does not have, a malformed prefix, a principal of another cloud than the lake's."""
    problems = []
    if zone not in zones:
        problems.append(Problem("zone", f"unknown zone; zones of this lake: {', '.join(zones)}", zone))
    if prefix and not _PREFIX.match(prefix):
        problems.append(
            Problem("prefix", "must be empty or end with '/', e.g. mlflow/ (lowercase, no leading /)", prefix)
        )
    if principal is not None and cloud is not None:
        problems += _principal_problems(principal, cloud)
    if problems:
        raise ConfigError(problems, source=f"{source}: grant", root="")


def check_principal(source: str, principal: Principal, cloud: Cloud) -> None:
    """Raise a ConfigError (named after ``source``) when ``principal`` is not an identity of ``cloud``."""
    problems = _principal_problems(principal, cloud)
    if problems:
        raise ConfigError(problems, source=f"{source}: grant", root="")


_PRINCIPAL_BUILDERS = {
    Cloud.AWS: "mlplatform.components.aws.iam.principal(role)",
    Cloud.GCP: "mlplatform.components.gcp.iam.principal(account)",
}
"""How a grant's :class:`Principal` is built from each cloud's own identity."""


def _principal_problems(principal: object, cloud: Cloud) -> list[Problem]:
    if not isinstance(principal, Principal):
        # A role or service account passed as it is: name what was given and how to make a Principal of it.
        given = type(principal).__name__
        resource_name = getattr(principal, "pulumi_resource_name", None)
        if isinstance(resource_name, str):
            given = f"{given} {resource_name!r}"
        return [Problem("principal", f"must be a Principal: build it with {_PRINCIPAL_BUILDERS[cloud]}", given)]
    if principal.cloud is cloud:
        return []
    return [Problem("principal", f"an identity on {principal.cloud}; grants here are for {cloud} only", principal.name)]


def grant_lake_access(
    lake: Lake,
    principal: Principal,
    read: Sequence[LakeAccess],
    write: Sequence[LakeAccess],
    features: Features | None = None,
) -> list[pulumi.Resource]:
    """Every grant of a workload identity, on either cloud: each zone or prefix it reads and writes, and the
    online store of ``features`` when given. Returns what it creates."""
    grants: list[pulumi.Resource] = []
    for access in read:
        grants += lake.grant_read(principal, access.zone, access.prefix)
    for access in write:
        grants += lake.grant_write(principal, access.zone, access.prefix)
    if features is not None:
        grants += features.grant_read(principal)
    return grants


__all__ = [
    "AlertSink",
    "Cluster",
    "Features",
    "Lake",
    "Principal",
    "StrInput",
    "StrListInput",
    "check_grant",
    "check_principal",
    "grant_lake_access",
]
