"""WorkloadRole: the AWS identity of one Kubernetes service account (notebook servers, Ray, a batch job),
with exactly the lake access it needs: no static keys, nothing beyond the zones and prefixes named.

The role is trusted by the EKS Pod Identity agent only and associated with one service account; reads cover
listing, reading and decrypting a zone (or a prefix of it), writes add put and delete under one prefix. With a
feature store, the role may also read the online store (and query the offline one through Athena).

Example::

    role = WorkloadRole("notebooks", WorkloadRoleArgs(cluster_name=cluster.cluster_name, namespace="mlplatform",
        service_account="jupyter-user", lake=lake, read=[LakeAccess(zone="raw"), LakeAccess(zone="curated")],
        write=[LakeAccess(zone="curated", prefix="notebooks/")], feature_store=store))
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws
from pydantic import model_validator

from ..catalog import Cloud
from ..errors import Problems
from ..models import ComponentArgs, DnsLabel, LakeAccess, check_lake_access
from . import iam
from .data_lake import DataLake


class WorkloadRoleArgs(ComponentArgs):
    _context_cloud = Cloud.AWS

    cluster_name: Any
    """EKS cluster of the service account. Required."""
    namespace: DnsLabel
    """Namespace of the service account. Required."""
    service_account: DnsLabel
    """The Kubernetes service account the role is for. Required."""
    lake: DataLake
    """The data lake. Required."""
    read: list[LakeAccess] = []
    """Zones or prefixes the workload reads. Default: none."""
    write: list[LakeAccess] = []
    """Prefixes the workload writes (and reads). Default: none."""
    feature_store: Any = None
    """A :class:`FeatureStore` whose online store the workload reads. Default: none."""
    description: str = "mlplatform workload"
    """Role description. Default: mlplatform workload."""
    tags: dict[str, str] = {}
    """Tags. Default: none."""

    @model_validator(mode="after")
    def _check(self) -> WorkloadRoleArgs:
        p = Problems()
        check_lake_access(p, self.lake.zones, self.read, self.write)
        p.raise_if_any()
        return self


class WorkloadRole(pulumi.ComponentResource):
    """A Pod Identity role with lake grants (type ``mlplatform:aws:WorkloadRole``).

    Outputs: ``role_arn``, ``reads`` and ``writes`` (the ``s3://`` URLs granted).
    """

    role: aws.iam.Role
    role_arn: pulumi.Output[str]
    reads: list[pulumi.Output[str]]
    writes: list[pulumi.Output[str]]
    association: aws.eks.PodIdentityAssociation
    grants: list[pulumi.Resource]

    def __init__(self, name: str, args: WorkloadRoleArgs | dict[str, Any], opts: pulumi.ResourceOptions | None = None):
        args = args if isinstance(args, WorkloadRoleArgs) else WorkloadRoleArgs(**args)
        super().__init__("mlplatform:aws:WorkloadRole", name, None, opts)
        lake = args.lake
        self.role, self.association = iam.pod_identity_role(
            name,
            cluster_name=args.cluster_name,
            namespace=args.namespace,
            service_account=args.service_account,
            parent=self,
            tags=args.tags,
            description=args.description,
        )
        self.grants = [lake.grant_read(self.role, a.zone, a.prefix) for a in args.read]
        self.grants += [lake.grant_write(self.role, a.zone, a.prefix) for a in args.write]
        if args.feature_store is not None:
            self.grants.extend(args.feature_store.grant_read(self.role))
        self.role_arn = self.role.arn
        self.reads = [pulumi.Output.concat(lake.zone_urls[a.zone], a.prefix) for a in args.read]
        self.writes = [pulumi.Output.concat(lake.zone_urls[a.zone], a.prefix) for a in args.write]
        self.register_outputs({"role_arn": self.role_arn, "reads": self.reads, "writes": self.writes})
