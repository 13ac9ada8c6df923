"""IAM policy documents as JSON strings, built from statements that may hold Pulumi outputs.

Components write their policies through these helpers so every document has the same shape (a Version, a
list of Statement objects) and can be linted as JSON from the Plan.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_aws as aws

from ..base.cloud import Cloud
from ..interfaces import Principal

VERSION = "2012-10-17"

# AWS managed policies the cluster and its nodes need (ARNs in the aws partition).
EKS_CLUSTER_POLICY = "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"
EKS_WORKER_NODE_POLICY = "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy"
EKS_CNI_POLICY = "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy"
ECR_PULL_ONLY_POLICY = "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPullOnly"
SSM_MANAGED_INSTANCE_POLICY = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
EBS_CSI_DRIVER_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy"
EKS_CLUSTER_ADMIN_ACCESS_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"

NODE_POLICIES = (EKS_WORKER_NODE_POLICY, EKS_CNI_POLICY, ECR_PULL_ONLY_POLICY, SSM_MANAGED_INSTANCE_POLICY)


def document(*statements: dict[str, Any]) -> pulumi.Output[str]:
    """A policy document as a JSON string; statement values may be Outputs."""
    return pulumi.Output.json_dumps({"Version": VERSION, "Statement": list(statements)})


def service_trust(*services: str, tag_session: bool = False) -> pulumi.Output[str]:
    """A trust policy letting AWS services (``eks.amazonaws.com``) assume the role."""
    actions = ["sts:AssumeRole", "sts:TagSession"] if tag_session else "sts:AssumeRole"
    principal = services[0] if len(services) == 1 else list(services)
    return document({"Effect": "Allow", "Principal": {"Service": principal}, "Action": actions})


def pod_identity_trust() -> pulumi.Output[str]:
    """Trust policy for EKS Pod Identity: the pod identity agent assumes the role and tags the session."""
    return service_trust("pods.eks.amazonaws.com", tag_session=True)


def role(
    name: str,
    trust: pulumi.Input[str],
    *,
    parent: pulumi.Resource,
    tags: dict[str, str],
    description: str,
    managed_policies: tuple[str, ...] = (),
    inline: Mapping[str, pulumi.Input[str]] | None = None,
) -> aws.iam.Role:
    """An IAM role with managed policy attachments and inline policies, all children of ``parent``.

    ``inline`` maps a stable suffix to a policy document; each becomes ``aws.iam.RolePolicy`` ``{name}-{suffix}``.
    """
    opts = pulumi.ResourceOptions(parent=parent)
    r = aws.iam.Role(name, assume_role_policy=trust, description=description, tags=tags, opts=opts)
    for arn in managed_policies:
        short = arn.rsplit("/", 1)[1]
        aws.iam.RolePolicyAttachment(f"{name}-{short}", role=r.name, policy_arn=arn, opts=opts)
    for suffix, doc in (inline or {}).items():
        aws.iam.RolePolicy(f"{name}-{suffix}", role=r.id, policy=doc, opts=opts)
    return r


def principal(role: aws.iam.Role) -> Principal:
    """The principal of ``role`` for grants (``lake.grant_read(principal(role), "curated")``): its policies are
    named after the role's resource name and attach to the role."""
    return Principal(cloud=Cloud.AWS, name=role.pulumi_resource_name, identity=role.id)


def pod_identity_role(
    name: str,
    *,
    cluster_name: pulumi.Input[str],
    namespace: pulumi.Input[str],
    service_account: str,
    parent: pulumi.Resource,
    tags: dict[str, str],
    description: str,
    managed_policies: tuple[str, ...] = (),
    inline: Mapping[str, pulumi.Input[str]] | None = None,
) -> tuple[aws.iam.Role, aws.eks.PodIdentityAssociation]:
    """A role for exactly one Kubernetes service account, through EKS Pod Identity: the role (trusted by the
    pod identity agent only) and its association, both named ``name``.

    Example::

        role, association = pod_identity_role("alb-controller", cluster_name=cluster.name, namespace="kube-system",
                                              service_account="aws-load-balancer-controller", parent=self,
                                              tags=tags, description="...", inline={"lb": policy})
    """
    r = role(
        name,
        pod_identity_trust(),
        parent=parent,
        tags=tags,
        description=description,
        managed_policies=managed_policies,
        inline=inline,
    )
    association = aws.eks.PodIdentityAssociation(
        name,
        cluster_name=cluster_name,
        namespace=namespace,
        service_account=service_account,
        role_arn=r.arn,
        tags=tags,
        opts=pulumi.ResourceOptions(parent=parent),
    )
    return r, association
