"""The cloud identity of one Kubernetes service account, on either cloud: what the toolchain and the model
servers give each of their workloads (an EKS Pod Identity role or a GKE Workload Identity service account)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi

from .base.cloud import Cloud
from .config.lake import LakeAccess, zone_roles


@dataclass
class IdentityContext:
    """What every identity of a stack shares: the cloud, the lake, the namespace, where the cluster is."""

    cloud: Cloud
    region: str
    lake: Any
    namespace: str
    cluster_name: Any = None  # EKS: Pod Identity associations name the cluster
    gcp_project: str | None = None
    tags: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, spec: Any, lake: Any, namespace: str, cluster_name: Any, tags: dict[str, str]) -> IdentityContext:
        """The context of a stack's workloads, from its spec (a :class:`components.config.PlatformSpec`)."""
        return cls(spec.cloud, spec.region, lake, namespace, cluster_name, spec.gcp_project, tags)

    def sdk_env(self) -> dict[str, str]:
        """What the workloads' cloud SDKs need besides the identity: the region (AWS) or the project (GCP)."""
        if self.cloud is Cloud.AWS:
            return {"AWS_REGION": self.region, "AWS_DEFAULT_REGION": self.region}
        return {"GOOGLE_CLOUD_PROJECT": self.gcp_project or ""}


def bind_identity(
    ctx: IdentityContext,
    name: str,
    service_account: str,
    *,
    read: list[LakeAccess],
    write: list[LakeAccess],
    description: str,
    parent: pulumi.Resource,
    feature_store: Any = None,
    external_reads: list[str] | None = None,
) -> tuple[dict[str, Any], list[pulumi.Resource]]:
    """(service account annotations, what the pods must wait for) of a workload's cloud identity.

    With a feature store, the features zone is read whole (Feast's offline files) and its online store too."""
    if feature_store is not None:
        features = zone_roles(ctx.lake.zones)["features"]
        if not any(a.zone == features and not a.prefix for a in read):
            read = [*[a for a in read if a.zone != features], LakeAccess(zone=features)]
    child = pulumi.ResourceOptions(parent=parent)
    if ctx.cloud is Cloud.AWS:
        from .aws.workload_role import WorkloadRole, WorkloadRoleArgs

        role = WorkloadRole(
            name,
            WorkloadRoleArgs(
                cluster_name=ctx.cluster_name,
                namespace=ctx.namespace,
                service_account=service_account,
                lake=ctx.lake,
                read=read,
                write=write,
                feature_store=feature_store,
                external_reads=list(external_reads or []),
                description=description,
                tags=ctx.tags,
            ),
            opts=child,
        )
        return {}, [role.association, *role.grants]
    from .gcp.workload_identity import WorkloadIdentity, WorkloadIdentityArgs

    identity = WorkloadIdentity(
        name,
        WorkloadIdentityArgs(
            project=ctx.gcp_project or "",
            namespace=ctx.namespace,
            service_account=service_account,
            lake=ctx.lake,
            read=read,
            write=write,
            feature_store=feature_store,
            external_reads=list(external_reads or []),
            description=description,
        ),
        opts=child,
    )
    return dict(identity.annotations), [identity.binding, *identity.grants]


__all__ = ["IdentityContext", "bind_identity"]
