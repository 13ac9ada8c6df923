"""The cloud identity of one Kubernetes service account, on either cloud: what the toolchain and the model
servers give each of their workloads (an EKS Pod Identity role or a GKE Workload Identity service account)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import pulumi
from pydantic import model_validator

from ..base.cloud import Cloud
from ..base.errors import Problems
from ..base.values import ComponentArgs, DnsLabel
from ..config.lake import LakeAccess, zone_roles
from ..config.platform import PlatformSpec
from ..interfaces import Features, Lake, StrInput


class IdentityContext(ComponentArgs):
    """What every workload identity of a stack shares: the cloud and its region or project, the lake they are
    granted, the namespace of their service accounts, the EKS cluster their Pod Identity associations name.

    Example::

        IdentityContext(cloud="aws", region="us-east-1", lake=lake, cluster_name=cluster.cluster_name)
    """

    cloud: Cloud
    """aws or gcp. Required."""
    region: str
    """The cloud region (the SDKs' AWS_REGION on AWS). Required."""
    lake: Lake
    """The data lake the identities are granted (on the same cloud). Required."""
    namespace: DnsLabel = "mlplatform"
    """Namespace of the workloads' service accounts (must exist). Default: mlplatform."""
    cluster_name: StrInput | None = None
    """EKS cluster name: Pod Identity associations name it. Required on AWS; not valid on GCP."""
    gcp_project: str | None = None
    """GCP project of the service accounts. Required on GCP; not valid on AWS."""
    tags: dict[str, str] = {}
    """Tags (AWS) or labels (GCP) of the identities. Default: none."""

    @model_validator(mode="after")
    def _check(self) -> IdentityContext:
        p = Problems()
        if self.lake.cloud is not self.cloud:
            p.add("lake", f"must be a data lake on {self.cloud}", str(self.lake.cloud))
        if self.cloud is Cloud.AWS:
            if self.cluster_name is None:
                p.add("cluster_name", "required on aws (Pod Identity associations name the cluster)", None)
            if self.gcp_project is not None:
                p.add("gcp_project", "only valid when cloud is gcp", self.gcp_project)
        else:
            if not self.gcp_project:
                p.add("gcp_project", "required on gcp (the workloads' service accounts live in it)", None)
            if self.cluster_name is not None:
                p.add("cluster_name", "only valid when cloud is aws (GKE needs no cluster name)", "set")
        p.raise_if_any()
        return self

    @classmethod
    def of(
        cls, spec: PlatformSpec, lake: Lake, namespace: str, cluster_name: StrInput | None, tags: dict[str, str]
    ) -> IdentityContext:
        """The context of a stack's workloads, from its spec."""
        return cls(
            cloud=spec.cloud,
            region=spec.region,
            lake=lake,
            namespace=namespace,
            cluster_name=cluster_name,
            gcp_project=spec.gcp_project,
            tags=tags,
        )

    def sdk_env(self) -> dict[str, str]:
        """What the workloads' cloud SDKs need besides the identity: the region (AWS) or the project (GCP)."""
        if self.cloud is Cloud.AWS:
            return {"AWS_REGION": self.region, "AWS_DEFAULT_REGION": self.region}
        return {"GOOGLE_CLOUD_PROJECT": self.gcp_project or ""}


class ServiceAccountIdentity(Protocol):
    """A workload identity as its pods see it (:class:`mlplatform.components.aws.workload_role.WorkloadRole`,
    :class:`mlplatform.components.gcp.workload_identity.WorkloadIdentity`)."""

    @property
    def annotations(self) -> Mapping[str, pulumi.Output[str]]:
        """Annotations of the Kubernetes service account (none on EKS: Pod Identity needs none)."""
        ...

    @property
    def ready(self) -> Sequence[pulumi.Resource]:
        """What the pods must wait for: the binding of the identity to the service account, and its grants."""
        ...


def bind_identity(
    ctx: IdentityContext,
    name: str,
    service_account: str,
    *,
    read: list[LakeAccess],
    write: list[LakeAccess],
    description: str,
    parent: pulumi.Resource,
    feature_store: Features | None = None,
    external_reads: list[str] | None = None,
) -> tuple[dict[str, pulumi.Output[str]], list[pulumi.Resource]]:
    """(service account annotations, what the pods must wait for) of a workload's cloud identity.

    With a feature store, the features zone is read whole (Feast's offline files) and its online store too."""
    if feature_store is not None:
        features = zone_roles(ctx.lake.zones)["features"]
        if not any(a.zone == features and not a.prefix for a in read):
            read = [*[a for a in read if a.zone != features], LakeAccess(zone=features)]
    identity = _build_identity(
        ctx,
        name,
        service_account,
        read=read,
        write=write,
        feature_store=feature_store,
        external_reads=list(external_reads or []),
        description=description,
        opts=pulumi.ResourceOptions(parent=parent),
    )
    return dict(identity.annotations), list(identity.ready)


def _build_identity(
    ctx: IdentityContext,
    name: str,
    service_account: str,
    *,
    read: list[LakeAccess],
    write: list[LakeAccess],
    feature_store: Features | None,
    external_reads: list[str],
    description: str,
    opts: pulumi.ResourceOptions,
) -> ServiceAccountIdentity:
    """The cloud's own identity component: the one thing here that differs by cloud."""
    # What both clouds' identity args take, checked by each against its cloud (pydantic refuses a misspelt key).
    common: dict[str, Any] = {
        "namespace": ctx.namespace,
        "service_account": service_account,
        "lake": ctx.lake,
        "read": read,
        "write": write,
        "feature_store": feature_store,
        "external_reads": external_reads,
        "description": description,
    }
    if ctx.cloud is Cloud.AWS:
        from ..aws.workload_role import WorkloadRole, WorkloadRoleArgs

        assert ctx.cluster_name is not None  # IdentityContext requires it on AWS
        return WorkloadRole(name, WorkloadRoleArgs(cluster_name=ctx.cluster_name, tags=ctx.tags, **common), opts=opts)
    from ..gcp.workload_identity import WorkloadIdentity, WorkloadIdentityArgs

    return WorkloadIdentity(name, WorkloadIdentityArgs(project=ctx.gcp_project or "", **common), opts=opts)


__all__ = ["IdentityContext", "ServiceAccountIdentity", "bind_identity"]
