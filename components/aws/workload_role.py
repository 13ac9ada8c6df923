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

from ..base.cloud import Cloud
from ..base.errors import Problems
from ..base.model_uri import is_bucket_uri, split_bucket_uri
from ..base.types import MLPLATFORM_AWS_WORKLOAD_ROLE
from ..base.values import ComponentArgs, DnsLabel, DnsLabelInput
from ..config.lake import LakeAccess, check_lake_access
from ..interfaces import Features, Lake, StrInput, grant_lake_access
from . import iam


def external_read_policy(uris: list[str]) -> pulumi.Output[str]:
    """Read (list under the prefix, get objects) of s3:// URIs outside the lake."""
    statements: list[dict[str, Any]] = []
    for i, uri in enumerate(uris):
        bucket, prefix = split_bucket_uri(uri)  # validated by WorkloadRoleArgs
        statements.append(
            {
                "Sid": f"List{i}",
                "Effect": "Allow",
                "Action": "s3:ListBucket",
                "Resource": f"arn:aws:s3:::{bucket}",
                "Condition": {"StringLike": {"s3:prefix": [f"{prefix}*"]}},
            }
        )
        statements.append(
            {
                "Sid": f"Read{i}",
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{bucket}/{prefix}*",
            }
        )
    return iam.document(*statements)


class WorkloadRoleArgs(ComponentArgs):
    _context_cloud = Cloud.AWS

    cluster_name: StrInput
    """EKS cluster of the service account. Required."""
    namespace: DnsLabelInput
    """Namespace of the service account. Required."""
    service_account: DnsLabel
    """The Kubernetes service account the role is for. Required."""
    lake: Lake
    """The data lake (on AWS). Required."""
    read: list[LakeAccess] = []
    """Zones or prefixes the workload reads. Default: none."""
    write: list[LakeAccess] = []
    """Prefixes the workload writes (and reads). Default: none."""
    feature_store: Features | None = None
    """A :class:`FeatureStore` (on AWS) whose online store the workload reads. Default: none."""
    external_reads: list[str] = []
    """s3:// URIs outside the lake the workload reads (a model registry bucket's prefix); the bucket's owner
    must allow this role too when the bucket is in another account. Default: none."""
    description: str = "mlplatform workload"
    """Role description. Default: mlplatform workload."""
    tags: dict[str, str] = {}
    """Tags. Default: none."""

    @model_validator(mode="after")
    def _check(self) -> WorkloadRoleArgs:
        p = Problems()
        if self.lake.cloud is not Cloud.AWS:
            p.add("lake", "must be a data lake on aws", str(self.lake.cloud))
        check_lake_access(p, self.lake.zones, self.read, self.write)
        for i, uri in enumerate(self.external_reads):
            if not is_bucket_uri(uri, "s3"):
                p.add(f"external_reads[{i}]", "must be an s3://<bucket>/<prefix> URI", uri)
        p.raise_if_any()
        return self


class WorkloadRole(pulumi.ComponentResource):
    """A Pod Identity role with lake grants (type ``mlplatform:aws:WorkloadRole``).

    Outputs: ``role_arn``, ``reads`` and ``writes`` (the ``s3://`` URLs granted). ``ready``: what the service
    account's pods wait for (the association and the grants); ``annotations``: none (Pod Identity needs none).
    """

    role: aws.iam.Role
    role_arn: pulumi.Output[str]
    reads: list[pulumi.Output[str]]
    writes: list[pulumi.Output[str]]
    association: aws.eks.PodIdentityAssociation
    grants: list[pulumi.Resource]
    annotations: dict[str, pulumi.Output[str]]
    ready: list[pulumi.Resource]

    def __init__(self, name: str, args: WorkloadRoleArgs | dict[str, Any], opts: pulumi.ResourceOptions | None = None):
        args = args if isinstance(args, WorkloadRoleArgs) else WorkloadRoleArgs(**args)
        super().__init__(MLPLATFORM_AWS_WORKLOAD_ROLE, name, None, opts)
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
        self.grants = grant_lake_access(lake, iam.principal(self.role), args.read, args.write, args.feature_store)
        if args.external_reads:
            self.grants.append(
                aws.iam.RolePolicy(
                    f"{name}-external-read",
                    role=self.role.id,
                    policy=external_read_policy(args.external_reads),
                    opts=pulumi.ResourceOptions(parent=self),
                )
            )
        self.annotations = {}
        self.ready = [self.association, *self.grants]
        self.role_arn = self.role.arn
        self.reads = [pulumi.Output.concat(lake.zone_urls[a.zone], a.prefix) for a in args.read]
        self.writes = [pulumi.Output.concat(lake.zone_urls[a.zone], a.prefix) for a in args.write]
        self.register_outputs({"role_arn": self.role_arn, "reads": self.reads, "writes": self.writes})
