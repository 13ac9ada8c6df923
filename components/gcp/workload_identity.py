"""WorkloadIdentity: the Google identity of one Kubernetes service account (notebook servers, Ray, a batch
job), with exactly the lake access it needs: its own service account, bound through GKE Workload Identity, so
no key file exists.

Reads grant object read on a zone (or a prefix of it, by an IAM condition); writes grant object read, write
and delete under one prefix; every zone also gets the bucket metadata read that clients need first. With a
feature store, the account may read the online database (and query the BigQuery offline store).

Example::

    identity = WorkloadIdentity("notebooks", WorkloadIdentityArgs(project="ml-dev", namespace="mlplatform",
        service_account="jupyter-user", lake=lake, read_zones=["raw", "curated"],
        write=LakeAccess(zone="curated", prefix="notebooks/")))
    annotations = identity.annotations   # for the Kubernetes service account
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_gcp as gcp
from pydantic import model_validator

from ..base.cloud import Cloud
from ..base.errors import Problems
from ..base.model_uri import is_bucket_uri, split_bucket_uri
from ..base.types import MLPLATFORM_GCP_WORKLOAD_IDENTITY
from ..base.values import ComponentArgs, DnsLabel
from ..config.lake import LakeAccess, check_lake_access
from ..interfaces import Features, Lake, grant_lake_access
from . import iam


class WorkloadIdentityArgs(ComponentArgs):
    _context_cloud = Cloud.GCP

    project: str
    """GCP project. Required."""
    namespace: DnsLabel
    """Namespace of the Kubernetes service account. Required."""
    service_account: DnsLabel
    """The Kubernetes service account. Required."""
    lake: Lake
    """The data lake (on GCP). Required."""
    read: list[LakeAccess] = []
    """Zones or prefixes read. Default: none."""
    write: list[LakeAccess] = []
    """Prefixes written (and read). Default: none."""
    feature_store: Features | None = None
    """A :class:`FeatureStore` (on GCP) whose online store the workload reads. Default: none."""
    external_reads: list[str] = []
    """gs:// URIs outside the lake the workload reads (a model registry bucket): object read on that bucket
    (GCS grants per bucket). Default: none."""
    description: str = "mlplatform workload"
    """Service account description. Default: mlplatform workload."""

    @model_validator(mode="after")
    def _check(self) -> WorkloadIdentityArgs:
        p = Problems()
        if self.lake.cloud is not Cloud.GCP:
            p.add("lake", "must be a data lake on gcp", str(self.lake.cloud))
        check_lake_access(p, self.lake.zones, self.read, self.write)
        for i, uri in enumerate(self.external_reads):
            if not is_bucket_uri(uri, "gs"):
                p.add(f"external_reads[{i}]", "must be a gs://<bucket>/<path> URI", uri)
        p.raise_if_any()
        return self


class WorkloadIdentity(pulumi.ComponentResource):
    """A Workload Identity service account with lake grants (type ``mlplatform:gcp:WorkloadIdentity``).

    Outputs: ``service_account`` (email), ``annotations`` (for the Kubernetes service account), ``reads`` and
    ``writes`` (the ``gs://`` URLs granted). ``ready``: what the service account's pods wait for (the Workload
    Identity binding and the grants).
    """

    service_account: pulumi.Output[str]
    annotations: dict[str, pulumi.Output[str]]
    reads: list[pulumi.Output[str]]
    writes: list[pulumi.Output[str]]
    binding: pulumi.Resource
    grants: list[pulumi.Resource]
    ready: list[pulumi.Resource]

    def __init__(
        self, name: str, args: WorkloadIdentityArgs | dict[str, Any], opts: pulumi.ResourceOptions | None = None
    ):
        args = args if isinstance(args, WorkloadIdentityArgs) else WorkloadIdentityArgs(**args)
        super().__init__(MLPLATFORM_GCP_WORKLOAD_IDENTITY, name, None, opts)
        lake = args.lake
        account = iam.service_account(name, args.project, args.description, self)
        self.binding = iam.workload_identity(
            f"{name}-binding", account, args.project, args.namespace, args.service_account, self
        )
        self.grants = grant_lake_access(lake, iam.principal(account), args.read, args.write, args.feature_store)
        for i, uri in enumerate(args.external_reads):
            self.grants.append(
                gcp.storage.BucketIAMMember(
                    f"{name}-external-read-{i}",
                    bucket=split_bucket_uri(uri)[0],
                    role="roles/storage.objectViewer",
                    member=account.member,
                    opts=pulumi.ResourceOptions(parent=self),
                )
            )
        self.ready = [self.binding, *self.grants]
        self.service_account = account.email
        self.annotations = {iam.WORKLOAD_IDENTITY_ANNOTATION: account.email}
        self.reads = [pulumi.Output.concat(lake.zone_urls[a.zone], a.prefix) for a in args.read]
        self.writes = [pulumi.Output.concat(lake.zone_urls[a.zone], a.prefix) for a in args.write]
        self.register_outputs({"service_account": self.service_account, "reads": self.reads, "writes": self.writes})
