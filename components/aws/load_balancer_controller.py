"""AwsLoadBalancerController: what an ``alb`` Ingress needs to become a load balancer on EKS.

An Ingress on EKS is only an object until a controller turns it into an ALB; without one, Pulumi waits for
its address for ten minutes and fails. This installs the AWS Load Balancer Controller (pinned chart, two
replicas on the system nodes, the ``alb`` IngressClass) with its own role through EKS Pod Identity. The
role may create load balancers, target groups and security groups only when it tags them
``elbv2.k8s.aws/cluster: <cluster>``, and may change or delete only resources carrying that tag, so it
cannot touch another cluster's (or anyone's) load balancers; it may read certificates (ACM), not issue them.

Example::

    AwsLoadBalancerController("alb", AwsLoadBalancerControllerArgs(
        cluster_name=cluster.cluster_name, vpc_id=network.vpc_id, region="us-east-1"),
        opts=pulumi.ResourceOptions(provider=cluster.provider))
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from ..base.types import MLPLATFORM_AWS_LOAD_BALANCER_CONTROLLER
from ..base.values import ComponentArgs
from ..interfaces import StrInput
from ..k8s.charts import AWS_LOAD_BALANCER_CONTROLLER
from ..k8s.gpu import NODE_ROLE_LABEL, SYSTEM_ROLE
from ..k8s.helm import helm_release_args
from . import iam

NAMESPACE = "kube-system"
SERVICE_ACCOUNT = "aws-load-balancer-controller"
INGRESS_CLASS = "alb"
CLUSTER_TAG = "elbv2.k8s.aws/cluster"


class AwsLoadBalancerControllerArgs(ComponentArgs):
    cluster_name: StrInput
    """EKS cluster name (the controller's scope and tag value). Required."""
    vpc_id: StrInput
    """VPC of the cluster (saves the controller an IMDS lookup, which the hop limit of 1 blocks). Required."""
    region: str
    """AWS region. Required."""
    replicas: int = 2
    """Controller replicas (leader-elected). Default: 2."""
    tags: dict[str, str] = {}
    """Tags on the role and on every load balancer the controller creates. Default: none."""


def alb_annotations(
    scheme: str, certificate_arn: str | None, health_path: str, tags: dict[str, str], group: str | None = None
) -> dict[str, str]:
    """What the controller needs to serve an Ingress: scheme, pod targets, the health path the app answers
    without auth, HTTPS only when a certificate is given, and the group whose Ingresses share one ALB."""
    annotations = {
        "alb.ingress.kubernetes.io/scheme": scheme,
        "alb.ingress.kubernetes.io/target-type": "ip",
        "alb.ingress.kubernetes.io/healthcheck-path": health_path,
        "alb.ingress.kubernetes.io/tags": ",".join(f"{k}={v}" for k, v in sorted(tags.items())),
    }
    if group:
        annotations["alb.ingress.kubernetes.io/group.name"] = group
    if certificate_arn:
        annotations.update(
            {
                "alb.ingress.kubernetes.io/certificate-arn": certificate_arn,
                "alb.ingress.kubernetes.io/listen-ports": '[{"HTTPS": 443}]',
                "alb.ingress.kubernetes.io/ssl-policy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
            }
        )
    else:
        annotations["alb.ingress.kubernetes.io/listen-ports"] = '[{"HTTP": 80}]'
    return annotations


def controller_policy(cluster: str, region: str, account: str) -> pulumi.Output[str]:
    """The controller's permissions: reads, and mutations only of resources tagged for this cluster."""
    owned = {"StringEquals": {f"aws:ResourceTag/{CLUSTER_TAG}": cluster}}
    creating = {"StringEquals": {f"aws:RequestTag/{CLUSTER_TAG}": cluster}}
    ec2 = f"arn:aws:ec2:{region}:{account}"
    elb = f"arn:aws:elasticloadbalancing:{region}:{account}"
    security_groups = f"{ec2}:security-group/*"
    load_balancers = [f"{elb}:loadbalancer/app/*/*", f"{elb}:loadbalancer/net/*/*"]
    target_groups = f"{elb}:targetgroup/*/*"
    listeners = [
        f"{elb}:listener/app/*/*/*",
        f"{elb}:listener/net/*/*/*",
        f"{elb}:listener-rule/app/*/*/*/*",
        f"{elb}:listener-rule/net/*/*/*/*",
    ]
    return iam.document(
        {
            "Sid": "ServiceLinkedRole",
            "Effect": "Allow",
            "Action": "iam:CreateServiceLinkedRole",
            "Resource": f"arn:aws:iam::{account}:role/aws-service-role/elasticloadbalancing.amazonaws.com/"
            "AWSServiceRoleForElasticLoadBalancing",
            "Condition": {"StringEquals": {"iam:AWSServiceName": "elasticloadbalancing.amazonaws.com"}},
        },
        {
            # Describe and List calls take no resource-level permissions.
            "Sid": "Discover",
            "Effect": "Allow",
            "Resource": "*",
            "Action": [
                "ec2:DescribeAccountAttributes",
                "ec2:DescribeAddresses",
                "ec2:DescribeAvailabilityZones",
                "ec2:DescribeInternetGateways",
                "ec2:DescribeVpcs",
                "ec2:DescribeSubnets",
                "ec2:DescribeSecurityGroups",
                "ec2:DescribeInstances",
                "ec2:DescribeNetworkInterfaces",
                "ec2:DescribeTags",
                "ec2:DescribeRouteTables",
                "elasticloadbalancing:DescribeLoadBalancers",
                "elasticloadbalancing:DescribeLoadBalancerAttributes",
                "elasticloadbalancing:DescribeListeners",
                "elasticloadbalancing:DescribeListenerCertificates",
                "elasticloadbalancing:DescribeSSLPolicies",
                "elasticloadbalancing:DescribeRules",
                "elasticloadbalancing:DescribeTargetGroups",
                "elasticloadbalancing:DescribeTargetGroupAttributes",
                "elasticloadbalancing:DescribeTargetHealth",
                "elasticloadbalancing:DescribeTags",
                "acm:ListCertificates",
            ],
        },
        {
            "Sid": "ReadCertificatesAndVpcGroups",
            "Effect": "Allow",
            "Action": ["acm:DescribeCertificate", "ec2:GetSecurityGroupsForVpc"],
            "Resource": [f"arn:aws:acm:{region}:{account}:certificate/*", f"{ec2}:vpc/*"],
        },
        {
            "Sid": "CreateSecurityGroups",
            "Effect": "Allow",
            "Action": "ec2:CreateSecurityGroup",
            "Resource": [security_groups, f"{ec2}:vpc/*"],
        },
        {
            "Sid": "CreateLoadBalancersTaggedForThisCluster",
            "Effect": "Allow",
            "Action": ["elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:CreateTargetGroup"],
            "Resource": [*load_balancers, target_groups],
            "Condition": creating,
        },
        {
            # Tag on creation, or claim only what carries no cluster tag yet.
            "Sid": "TagNewResourcesForThisCluster",
            "Effect": "Allow",
            "Action": ["ec2:CreateTags", "elasticloadbalancing:AddTags"],
            "Resource": [security_groups, *load_balancers, target_groups],
            "Condition": {**creating, "Null": {f"aws:ResourceTag/{CLUSTER_TAG}": "true"}},
        },
        {
            "Sid": "ManageThisClustersSecurityGroups",
            "Effect": "Allow",
            "Action": [
                "ec2:AuthorizeSecurityGroupIngress",
                "ec2:RevokeSecurityGroupIngress",
                "ec2:DeleteSecurityGroup",
                "ec2:CreateTags",
                "ec2:DeleteTags",
            ],
            "Resource": security_groups,
            "Condition": owned,
        },
        {
            # The node security group (not the controller's) must admit the ALB: the controller adds the rule.
            "Sid": "AdmitLoadBalancersToNodes",
            "Effect": "Allow",
            "Action": ["ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress"],
            "Resource": security_groups,
            "Condition": {"StringEquals": {f"aws:ResourceTag/kubernetes.io/cluster/{cluster}": "owned"}},
        },
        {
            "Sid": "ManageThisClustersLoadBalancers",
            "Effect": "Allow",
            "Action": [
                "elasticloadbalancing:ModifyLoadBalancerAttributes",
                "elasticloadbalancing:SetIpAddressType",
                "elasticloadbalancing:SetSecurityGroups",
                "elasticloadbalancing:SetSubnets",
                "elasticloadbalancing:DeleteLoadBalancer",
                "elasticloadbalancing:ModifyTargetGroup",
                "elasticloadbalancing:ModifyTargetGroupAttributes",
                "elasticloadbalancing:DeleteTargetGroup",
                "elasticloadbalancing:RegisterTargets",
                "elasticloadbalancing:DeregisterTargets",
                "elasticloadbalancing:AddTags",
                "elasticloadbalancing:RemoveTags",
                "elasticloadbalancing:CreateListener",
            ],
            "Resource": [*load_balancers, target_groups],
            "Condition": owned,
        },
        {
            # Listeners and rules carry no tags of their own here; they live under this cluster's load balancers.
            "Sid": "ManageListenersAndRules",
            "Effect": "Allow",
            "Action": [
                "elasticloadbalancing:DeleteListener",
                "elasticloadbalancing:ModifyListener",
                "elasticloadbalancing:ModifyListenerAttributes",
                "elasticloadbalancing:AddListenerCertificates",
                "elasticloadbalancing:RemoveListenerCertificates",
                "elasticloadbalancing:CreateRule",
                "elasticloadbalancing:DeleteRule",
                "elasticloadbalancing:ModifyRule",
            ],
            "Resource": listeners,
        },
    )


class AwsLoadBalancerController(pulumi.ComponentResource):
    """The AWS Load Balancer Controller and its role (type ``mlplatform:aws:AwsLoadBalancerController``).

    Output: ``ingress_class`` (``alb``).
    """

    ingress_class: str
    release: k8s.helm.v3.Release

    def __init__(
        self,
        name: str,
        args: AwsLoadBalancerControllerArgs | dict[str, Any],
        opts: pulumi.ResourceOptions | None = None,
    ):
        args = args if isinstance(args, AwsLoadBalancerControllerArgs) else AwsLoadBalancerControllerArgs(**args)
        super().__init__(MLPLATFORM_AWS_LOAD_BALANCER_CONTROLLER, name, None, opts)
        cluster = pulumi.Output.from_input(args.cluster_name)
        account = aws.get_caller_identity().account_id
        _, identity = iam.pod_identity_role(
            f"{name}-controller",
            cluster_name=args.cluster_name,
            namespace=NAMESPACE,
            service_account=SERVICE_ACCOUNT,
            parent=self,
            tags=args.tags,
            description="AWS Load Balancer Controller: load balancers for this cluster's Ingresses",
            inline={"load-balancers": cluster.apply(lambda c: controller_policy(c, args.region, account))},
        )
        values = {
            "clusterName": args.cluster_name,
            "region": args.region,
            "vpcId": args.vpc_id,
            "replicaCount": args.replicas,
            "serviceAccount": {"create": True, "name": SERVICE_ACCOUNT},
            "ingressClass": INGRESS_CLASS,
            "createIngressClassResource": True,
            "nodeSelector": {NODE_ROLE_LABEL: SYSTEM_ROLE},
            "defaultTags": dict(args.tags),
            # No WAF or Shield on these load balancers: the controller then never calls those APIs (or needs
            # their permissions).
            "enableWaf": False,
            "enableWafv2": False,
            "enableShield": False,
            "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "256Mi"}},
        }
        self.release = k8s.helm.v3.Release(
            name,
            k8s.helm.v3.ReleaseArgs(
                name="aws-load-balancer-controller",
                **helm_release_args(AWS_LOAD_BALANCER_CONTROLLER, NAMESPACE, values),
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[identity]),
        )
        self.ingress_class = INGRESS_CLASS
        self.register_outputs({"ingress_class": self.ingress_class})
