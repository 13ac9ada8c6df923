"""Service accounts and the bindings GCP components share: project roles, and GKE Workload Identity.

Every workload gets its own Google service account with only the roles it needs, bound to one Kubernetes
service account through Workload Identity, so no key file ever exists.
"""

from __future__ import annotations

import hashlib
import re

import pulumi
import pulumi_gcp as gcp

from ..base.cloud import Cloud
from ..interfaces import Principal

# The annotation GKE reads to map a Kubernetes service account to a Google one.
WORKLOAD_IDENTITY_ANNOTATION = "iam.gke.io/gcp-service-account"


def account_id(name: str) -> str:
    """A valid service account id (6-30 characters, [a-z][-a-z0-9]*[a-z0-9]) derived from a resource name."""
    base = re.sub(r"[^a-z0-9-]", "-", name.lower()).strip("-")
    if not base[:1].isalpha():
        base = f"sa-{base}"
    if len(base) > 30:
        digest = hashlib.sha256(name.encode()).hexdigest()[:6]
        base = f"{base[:23].rstrip('-')}-{digest}"
    return base.ljust(6, "0")


def service_account(name: str, project: str, description: str, parent: pulumi.Resource) -> gcp.serviceaccount.Account:
    return gcp.serviceaccount.Account(
        name,
        account_id=account_id(name),
        display_name=name[:100],
        description=description,
        project=project,
        opts=pulumi.ResourceOptions(parent=parent),
    )


def principal(account: gcp.serviceaccount.Account, name: str | None = None) -> Principal:
    """The principal of ``account`` for grants (``lake.grant_read(principal(account), "curated")``): its IAM
    member, and the grants' resources named after ``name``. Default name: the account's resource name."""
    return Principal(cloud=Cloud.GCP, name=name or account.pulumi_resource_name, identity=account.member)


def project_roles(
    name: str, project: str, member: pulumi.Input[str], roles: list[str], parent: pulumi.Resource
) -> list[gcp.projects.IAMMember]:
    """One additive binding per role (IAMMember never removes other members of the role)."""
    return [
        gcp.projects.IAMMember(
            f"{name}-{role.rsplit('/', 1)[-1].replace('.', '-').lower()}",
            project=project,
            role=role,
            member=member,
            opts=pulumi.ResourceOptions(parent=parent),
        )
        for role in roles
    ]


def workload_identity(
    name: str,
    account: gcp.serviceaccount.Account,
    project: str,
    namespace: str,
    kubernetes_service_account: str,
    parent: pulumi.Resource,
) -> gcp.serviceaccount.IAMMember:
    """Let one Kubernetes service account act as ``account`` (and nothing else may)."""
    return gcp.serviceaccount.IAMMember(
        name,
        service_account_id=account.name,
        role="roles/iam.workloadIdentityUser",
        member=f"serviceAccount:{project}.svc.id.goog[{namespace}/{kubernetes_service_account}]",
        opts=pulumi.ResourceOptions(parent=parent),
    )
