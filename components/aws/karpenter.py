"""Karpenter on EKS: GPU capacity that exists only while GPU pods are pending.

Stands up what Karpenter's v1 reference installation does, scoped to one cluster: a controller role through
EKS Pod Identity, a node role with an EKS access entry, an SQS interruption queue fed by EventBridge (spot
interruption warnings, rebalance recommendations, instance state changes, scheduled health events), the
Helm release, an EC2NodeClass for GPU nodes and one NodePool per GPU pool. The EC2NodeClass and NodePools
are registered as individual custom resources so the Plan, the cost model and the policy pack read them.

Karpenter has no minimum node count (its static-capacity `replicas` is alpha and fixes the count). A pool with
``min_nodes`` gets a *warm* Deployment instead: ``min_nodes`` pause pods of the lowest priority, one per node
(hostname anti-affinity), pinned to the pool. They request no GPU, so GPU pods share those nodes, and a node
holding one is never empty, so consolidation leaves it; a reclaimed spot node is replaced for the pod.

Used by :class:`mlplatform.components.aws.GpuCluster`; not usually built directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from ..base.cloud import Cloud
from ..base.labels import CAPACITY_TYPE_LABEL, FALLBACK_FOR_LABEL, WARM_FOR_LABEL
from ..base.types import MLPLATFORM_AWS_KARPENTER_PROVISIONER
from ..config.cluster import Capacity, GpuPoolSpec
from ..k8s.charts import KARPENTER, PAUSE_IMAGE
from ..k8s.gpu import GPU_MODEL_LABEL, GPU_RESOURCE, GPU_TAINT_KEY, NODE_ROLE_LABEL, POOL_LABEL, SYSTEM_ROLE
from ..k8s.helm import helm_release_args
from . import iam
from .network import KARPENTER_DISCOVERY_TAG, cluster_tag

NAMESPACE = "kube-system"
SERVICE_ACCOUNT = "karpenter"
NODE_CLASS = "gpu"
# Karpenter limits each NodePool on its own, so a spot pool and its on-demand fallback peak at both limits.
SPOT_WEIGHT, FALLBACK_WEIGHT = 100, 10
WARM_PRIORITY_CLASS = "mlplatform-warm-capacity"


@dataclass
class KarpenterSettings:
    """What the Karpenter provisioner needs from the cluster it serves."""

    cluster_name: str
    cluster_arn: pulumi.Input[str]
    region: str
    account_id: str
    pools: list[GpuPoolSpec]
    subnet_selector_terms: pulumi.Input[list[dict[str, Any]]]
    tags: dict[str, str]
    node_volume_gib: int
    imds_hop_limit: int
    ami_alias: str
    replicas: int
    provider: k8s.Provider


def node_pool_specs(s: KarpenterSettings) -> list[tuple[str, dict[str, Any]]]:
    """(NodePool name, spec) for every pool; a spot-with-fallback pool yields a spot and an on-demand pool."""
    out = []
    for pool in s.pools:
        shapes = pool.node_shapes(Cloud.AWS, s.region)
        types = [o.machine_type for o in shapes]
        max_vcpu = max(o.vcpu for o in shapes)
        max_mem = max(o.memory_gib for o in shapes)
        capacities = {
            Capacity.SPOT: [("spot", pool.name, SPOT_WEIGHT)],
            Capacity.ON_DEMAND: [("on-demand", pool.name, SPOT_WEIGHT)],
            Capacity.SPOT_WITH_ON_DEMAND_FALLBACK: [
                ("spot", pool.name, SPOT_WEIGHT),
                ("on-demand", f"{pool.name}-on-demand", FALLBACK_WEIGHT),
            ],
        }[pool.capacity]
        for capacity, pool_name, weight in capacities:
            labels = {POOL_LABEL: pool.name, GPU_MODEL_LABEL: str(pool.gpu), **pool.labels}
            if pool_name != pool.name:
                labels[FALLBACK_FOR_LABEL] = pool.name
            taints = [{"key": GPU_TAINT_KEY, "value": "true", "effect": "NoSchedule"}] + [
                {"key": t.key, "value": t.value, "effect": str(t.effect)}
                if t.value
                else {"key": t.key, "effect": str(t.effect)}
                for t in pool.taints
            ]
            spec = {
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {
                        "nodeClassRef": {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": NODE_CLASS},
                        "requirements": [
                            {"key": "node.kubernetes.io/instance-type", "operator": "In", "values": sorted(types)},
                            {"key": CAPACITY_TYPE_LABEL, "operator": "In", "values": [capacity]},
                            {"key": "kubernetes.io/arch", "operator": "In", "values": ["amd64"]},
                            {"key": "kubernetes.io/os", "operator": "In", "values": ["linux"]},
                        ],
                        "taints": taints,
                        # Recycle nodes monthly so they pick up patched AMIs (al2023 alias drift).
                        "expireAfter": "720h",
                    },
                },
                # The pool's ceiling: GPUs, and the CPU and memory of max_nodes of its largest allowed shape.
                "limits": {
                    GPU_RESOURCE: str(pool.max_nodes * pool.gpus_per_node),
                    "cpu": str(pool.max_nodes * max_vcpu),
                    "memory": f"{int(pool.max_nodes * max_mem)}Gi",
                },
                "disruption": {
                    # GPU jobs are long and expensive to restart: remove nodes when empty, never to repack them.
                    "consolidationPolicy": "WhenEmpty",
                    "consolidateAfter": pool.consolidate_after,
                    "budgets": [{"nodes": "10%"}],
                },
                "weight": weight,
            }
            out.append((pool_name, spec))
    return out


def warm_deployment_spec(pool: GpuPoolSpec) -> Any:
    """The spec of the Deployment that keeps ``pool.min_nodes`` nodes of a Karpenter pool running.

    A camelCase manifest, like every Kubernetes object here: tests validate it strictly against the cluster
    version's schema (the SDK's TypedDicts spell keys in snake_case, so they cannot type it).
    """
    match = {"app.kubernetes.io/name": "gpu-warm-capacity", WARM_FOR_LABEL: pool.name}
    tolerations = [
        {"key": GPU_TAINT_KEY, "operator": "Exists", "effect": "NoSchedule"},
        *({"key": t.key, "operator": "Exists", "effect": str(t.effect)} for t in pool.taints),
    ]
    return {
        "replicas": pool.min_nodes,
        "selector": {"matchLabels": match},
        "template": {
            "metadata": {"labels": match},
            "spec": {
                "priorityClassName": WARM_PRIORITY_CLASS,
                "terminationGracePeriodSeconds": 0,
                "nodeSelector": {POOL_LABEL: pool.name},
                "tolerations": tolerations,
                # One placeholder per node, so min_nodes pods hold min_nodes nodes.
                "affinity": {
                    "podAntiAffinity": {
                        "requiredDuringSchedulingIgnoredDuringExecution": [
                            {"labelSelector": {"matchLabels": match}, "topologyKey": "kubernetes.io/hostname"}
                        ]
                    }
                },
                "automountServiceAccountToken": False,
                "securityContext": {
                    "runAsNonRoot": True,
                    "runAsUser": 65535,
                    "seccompProfile": {"type": "RuntimeDefault"},
                },
                "containers": [
                    {
                        "name": "pause",
                        "image": PAUSE_IMAGE,
                        "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}, "limits": {"memory": "16Mi"}},
                        "securityContext": {
                            "allowPrivilegeEscalation": False,
                            "readOnlyRootFilesystem": True,
                            "capabilities": {"drop": ["ALL"]},
                        },
                    }
                ],
            },
        },
    }


def node_class_spec(s: KarpenterSettings, node_role_name: pulumi.Input[str]) -> dict[str, Any]:
    return {
        "role": node_role_name,
        "amiSelectorTerms": [{"alias": s.ami_alias}],
        "subnetSelectorTerms": s.subnet_selector_terms,
        "securityGroupSelectorTerms": [{"tags": {KARPENTER_DISCOVERY_TAG: s.cluster_name}}],
        "blockDeviceMappings": [
            {
                "deviceName": "/dev/xvda",
                "ebs": {
                    # CUDA base images and model weights are large; gp3 gives 3,000 IOPS at no extra cost.
                    "volumeSize": f"{s.node_volume_gib}Gi",
                    "volumeType": "gp3",
                    "encrypted": True,
                    "deleteOnTermination": True,
                },
            }
        ],
        "metadataOptions": {
            "httpEndpoint": "enabled",
            "httpProtocolIPv6": "disabled",
            "httpPutResponseHopLimit": s.imds_hop_limit,
            "httpTokens": "required",
        },
        "tags": dict(s.tags),
    }


def controller_policies(s: KarpenterSettings, queue_arn: pulumi.Input[str], node_role_arn: pulumi.Input[str]):
    """Karpenter v1's controller permissions, each scoped to this cluster, region and account."""
    region, account, cluster = s.region, s.account_id, s.cluster_name
    owned = {f"aws:ResourceTag/{cluster_tag(cluster)}": "owned"}
    request_owned = {f"aws:RequestTag/{cluster_tag(cluster)}": "owned", "aws:RequestTag/eks:eks-cluster-name": cluster}
    ec2 = f"arn:aws:ec2:{region}"
    created = [
        f"{ec2}:*:{kind}/*"
        for kind in ("fleet", "instance", "volume", "network-interface", "launch-template", "spot-instances-request")
    ]
    profile = f"arn:aws:iam::{account}:instance-profile/*"
    node_lifecycle = iam.document(
        {
            "Sid": "AllowScopedEC2InstanceAccessActions",
            "Effect": "Allow",
            "Resource": [
                f"{ec2}::image/*",
                f"{ec2}::snapshot/*",
                f"{ec2}:*:security-group/*",
                f"{ec2}:*:subnet/*",
                f"{ec2}:*:capacity-reservation/*",
            ],
            "Action": ["ec2:RunInstances", "ec2:CreateFleet"],
        },
        {
            "Sid": "AllowScopedEC2LaunchTemplateAccessActions",
            "Effect": "Allow",
            "Resource": f"{ec2}:*:launch-template/*",
            "Action": ["ec2:RunInstances", "ec2:CreateFleet"],
            "Condition": {"StringEquals": owned, "StringLike": {"aws:ResourceTag/karpenter.sh/nodepool": "*"}},
        },
        {
            "Sid": "AllowScopedEC2InstanceActionsWithTags",
            "Effect": "Allow",
            "Resource": created,
            "Action": ["ec2:RunInstances", "ec2:CreateFleet", "ec2:CreateLaunchTemplate"],
            "Condition": {"StringEquals": request_owned, "StringLike": {"aws:RequestTag/karpenter.sh/nodepool": "*"}},
        },
        {
            "Sid": "AllowScopedResourceCreationTagging",
            "Effect": "Allow",
            "Resource": created,
            "Action": "ec2:CreateTags",
            "Condition": {
                "StringEquals": {
                    **request_owned,
                    "ec2:CreateAction": ["RunInstances", "CreateFleet", "CreateLaunchTemplate"],
                },
                "StringLike": {"aws:RequestTag/karpenter.sh/nodepool": "*"},
            },
        },
        {
            "Sid": "AllowScopedResourceTagging",
            "Effect": "Allow",
            "Resource": f"{ec2}:*:instance/*",
            "Action": "ec2:CreateTags",
            "Condition": {
                "StringEquals": owned,
                "StringLike": {"aws:ResourceTag/karpenter.sh/nodepool": "*"},
                "StringEqualsIfExists": {"aws:RequestTag/eks:eks-cluster-name": cluster},
                "ForAllValues:StringEquals": {
                    "aws:TagKeys": ["eks:eks-cluster-name", "karpenter.sh/nodeclaim", "Name"]
                },
            },
        },
        {
            "Sid": "AllowScopedDeletion",
            "Effect": "Allow",
            "Resource": [f"{ec2}:*:instance/*", f"{ec2}:*:launch-template/*"],
            "Action": ["ec2:TerminateInstances", "ec2:DeleteLaunchTemplate"],
            "Condition": {"StringEquals": owned, "StringLike": {"aws:ResourceTag/karpenter.sh/nodepool": "*"}},
        },
    )
    profile_owned = {**owned, "aws:ResourceTag/topology.kubernetes.io/region": region}
    profile_request = {**request_owned, "aws:RequestTag/topology.kubernetes.io/region": region}
    iam_integration = iam.document(
        {
            "Sid": "AllowPassingInstanceRole",
            "Effect": "Allow",
            "Resource": node_role_arn,
            "Action": "iam:PassRole",
            "Condition": {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}},
        },
        {
            "Sid": "AllowScopedInstanceProfileCreationActions",
            "Effect": "Allow",
            "Resource": profile,
            "Action": "iam:CreateInstanceProfile",
            "Condition": {
                "StringEquals": profile_request,
                "StringLike": {"aws:RequestTag/karpenter.k8s.aws/ec2nodeclass": "*"},
            },
        },
        {
            "Sid": "AllowScopedInstanceProfileTagActions",
            "Effect": "Allow",
            "Resource": profile,
            "Action": "iam:TagInstanceProfile",
            "Condition": {
                "StringEquals": {**profile_owned, **profile_request},
                "StringLike": {
                    "aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass": "*",
                    "aws:RequestTag/karpenter.k8s.aws/ec2nodeclass": "*",
                },
            },
        },
        {
            "Sid": "AllowScopedInstanceProfileActions",
            "Effect": "Allow",
            "Resource": profile,
            "Action": [
                "iam:AddRoleToInstanceProfile",
                "iam:RemoveRoleFromInstanceProfile",
                "iam:DeleteInstanceProfile",
            ],
            "Condition": {
                "StringEquals": profile_owned,
                "StringLike": {"aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass": "*"},
            },
        },
    )
    eks_integration = iam.document(
        {
            "Sid": "AllowAPIServerEndpointDiscovery",
            "Effect": "Allow",
            "Resource": s.cluster_arn,
            "Action": "eks:DescribeCluster",
        },
    )
    interruption = iam.document(
        {
            "Sid": "AllowInterruptionQueueActions",
            "Effect": "Allow",
            "Resource": queue_arn,
            "Action": ["sqs:DeleteMessage", "sqs:GetQueueUrl", "sqs:ReceiveMessage"],
        },
    )
    discovery = iam.document(
        {
            "Sid": "AllowRegionalReadActions",
            "Effect": "Allow",
            "Resource": "*",
            "Action": [
                "ec2:DescribeCapacityReservations",
                "ec2:DescribeImages",
                "ec2:DescribeInstances",
                "ec2:DescribeInstanceTypeOfferings",
                "ec2:DescribeInstanceTypes",
                "ec2:DescribeLaunchTemplates",
                "ec2:DescribeSecurityGroups",
                "ec2:DescribeSpotPriceHistory",
                "ec2:DescribeSubnets",
            ],
            "Condition": {"StringEquals": {"aws:RequestedRegion": region}},
        },
        {
            "Sid": "AllowSSMReadActions",
            "Effect": "Allow",
            # AWS-owned public parameters have an empty account field, which "*" matches; customers cannot
            # create parameters under /aws/, so this reaches exactly the EKS AMI ids Karpenter resolves.
            "Resource": f"arn:aws:ssm:{region}:*:parameter/aws/service/*",
            "Action": "ssm:GetParameter",
        },
        {"Sid": "AllowPricingReadActions", "Effect": "Allow", "Resource": "*", "Action": "pricing:GetProducts"},
        {
            "Sid": "AllowUnscopedInstanceProfileListAction",
            "Effect": "Allow",
            "Resource": "*",
            "Action": "iam:ListInstanceProfiles",
        },
        {
            "Sid": "AllowInstanceProfileReadActions",
            "Effect": "Allow",
            "Resource": profile,
            "Action": "iam:GetInstanceProfile",
        },
    )
    return {
        "node-lifecycle": node_lifecycle,
        "iam-integration": iam_integration,
        "eks-integration": eks_integration,
        "interruption": interruption,
        "resource-discovery": discovery,
    }


INTERRUPTION_EVENTS = {
    # rule suffix: (event source, detail-type)
    "scheduled-change": ("aws.health", "AWS Health Event"),
    "spot-interruption": ("aws.ec2", "EC2 Spot Instance Interruption Warning"),
    "rebalance": ("aws.ec2", "EC2 Instance Rebalance Recommendation"),
    "instance-state-change": ("aws.ec2", "EC2 Instance State-change Notification"),
}


class KarpenterProvisioner(pulumi.ComponentResource):
    """Karpenter and its GPU NodePools for one EKS cluster (type ``mlplatform:aws:KarpenterProvisioner``)."""

    node_role: aws.iam.Role
    queue: aws.sqs.Queue
    release: k8s.helm.v3.Release
    node_pools: dict[str, k8s.apiextensions.CustomResource]

    def __init__(self, name: str, settings: KarpenterSettings, opts: pulumi.ResourceOptions | None = None):
        super().__init__(MLPLATFORM_AWS_KARPENTER_PROVISIONER, name, None, opts)
        s = settings
        child = pulumi.ResourceOptions(parent=self)
        tags = s.tags

        self.node_role = iam.role(
            f"{name}-node",
            iam.service_trust("ec2.amazonaws.com"),
            parent=self,
            tags=tags,
            description=f"Nodes Karpenter launches for EKS cluster {s.cluster_name}",
            managed_policies=iam.NODE_POLICIES,
        )
        # Karpenter nodes join through an access entry (no aws-auth ConfigMap in API authentication mode).
        node_access = aws.eks.AccessEntry(
            f"{name}-node",
            cluster_name=s.cluster_name,
            principal_arn=self.node_role.arn,
            type="EC2_LINUX",
            tags=tags,
            opts=child,
        )

        self.queue = aws.sqs.Queue(
            f"{name}-interruptions",
            message_retention_seconds=300,
            sqs_managed_sse_enabled=True,
            tags=tags,
            opts=child,
        )
        aws.sqs.QueuePolicy(
            f"{name}-interruptions",
            queue_url=self.queue.url,
            policy=iam.document(
                {
                    "Sid": "AllowEventBridge",
                    "Effect": "Allow",
                    "Principal": {"Service": ["events.amazonaws.com", "sqs.amazonaws.com"]},
                    "Action": "sqs:SendMessage",
                    "Resource": self.queue.arn,
                },
                {
                    "Sid": "DenyHTTP",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "sqs:*",
                    "Resource": self.queue.arn,
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                },
            ),
            opts=child,
        )
        for suffix, (source, detail_type) in INTERRUPTION_EVENTS.items():
            rule = aws.cloudwatch.EventRule(
                f"{name}-{suffix}",
                description=f"{detail_type} events for Karpenter in {s.cluster_name}",
                event_pattern=pulumi.Output.json_dumps({"source": [source], "detail-type": [detail_type]}),
                tags=tags,
                opts=child,
            )
            aws.cloudwatch.EventTarget(
                f"{name}-{suffix}",
                rule=rule.name,
                target_id="KarpenterInterruptionQueue",
                arn=self.queue.arn,
                opts=child,
            )

        _, identity = iam.pod_identity_role(
            f"{name}-controller",
            cluster_name=s.cluster_name,
            namespace=NAMESPACE,
            service_account=SERVICE_ACCOUNT,
            parent=self,
            tags=tags,
            description=f"Karpenter controller for EKS cluster {s.cluster_name}",
            inline=controller_policies(s, self.queue.arn, self.node_role.arn),
        )

        k8s_opts = pulumi.ResourceOptions(parent=self, provider=s.provider)
        values = {
            "settings": {"clusterName": s.cluster_name, "interruptionQueue": self.queue.name},
            "serviceAccount": {"create": True, "name": SERVICE_ACCOUNT},
            "replicas": s.replicas,
            "nodeSelector": {NODE_ROLE_LABEL: SYSTEM_ROLE},
            "controller": {
                "env": [{"name": "AWS_REGION", "value": s.region}],
                "resources": {"requests": {"cpu": "250m", "memory": "512Mi"}, "limits": {"memory": "1Gi"}},
            },
        }
        self.release = k8s.helm.v3.Release(
            name,
            k8s.helm.v3.ReleaseArgs(name="karpenter", **helm_release_args(KARPENTER, NAMESPACE, values)),
            opts=pulumi.ResourceOptions.merge(k8s_opts, pulumi.ResourceOptions(depends_on=[identity, node_access])),
        )

        after_crds = pulumi.ResourceOptions.merge(k8s_opts, pulumi.ResourceOptions(depends_on=[self.release]))
        node_class = k8s.apiextensions.CustomResource(
            f"{name}-{NODE_CLASS}",
            api_version="karpenter.k8s.aws/v1",
            kind="EC2NodeClass",
            metadata={"name": NODE_CLASS},
            spec=node_class_spec(s, self.node_role.name),
            opts=after_crds,
        )
        self.node_pools = {}
        for pool_name, spec in node_pool_specs(s):
            self.node_pools[pool_name] = k8s.apiextensions.CustomResource(
                f"{name}-{pool_name}",
                api_version="karpenter.sh/v1",
                kind="NodePool",
                metadata={
                    "name": pool_name,
                    "labels": {POOL_LABEL: spec["template"]["metadata"]["labels"][POOL_LABEL]},
                },
                spec=spec,
                opts=pulumi.ResourceOptions.merge(after_crds, pulumi.ResourceOptions(depends_on=[node_class])),
            )
        warm = [p for p in s.pools if p.min_nodes]
        if warm:
            # Below every workload (priority 0), and never preempts one to get scheduled.
            priority = k8s.scheduling.v1.PriorityClass(
                f"{name}-warm",
                metadata={"name": WARM_PRIORITY_CLASS},
                value=-10,
                preemption_policy="Never",
                global_default=False,
                description="Placeholder pods that keep min_nodes GPU nodes of a Karpenter pool running",
                opts=k8s_opts,
            )
            for pool in warm:
                k8s.apps.v1.Deployment(
                    f"{name}-warm-{pool.name}",
                    metadata={
                        "name": f"warm-{pool.name}",
                        "namespace": NAMESPACE,
                        "labels": {WARM_FOR_LABEL: pool.name},
                    },
                    spec=warm_deployment_spec(pool),
                    opts=pulumi.ResourceOptions.merge(
                        k8s_opts, pulumi.ResourceOptions(depends_on=[priority, *self.node_pools.values()])
                    ),
                )
        self.register_outputs(
            {
                "node_role_arn": self.node_role.arn,
                "interruption_queue": self.queue.name,
                "node_pools": list(self.node_pools),
            }
        )
