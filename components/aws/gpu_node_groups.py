"""GPU pools as EKS managed node groups scaled by cluster-autoscaler: for teams that do not run Karpenter.

One managed node group per pool (AL2023 NVIDIA AMI, SPOT or ON_DEMAND, scaling from ``min_nodes``, usually 0),
plus an on-demand group for spot-with-fallback pools that the autoscaler's priority expander uses only when
spot cannot be had. To scale a group up from zero the autoscaler must know what a node would look like
before one exists: its labels, taints and GPU count are tagged on the Auto Scaling group as
``k8s.io/cluster-autoscaler/node-template/...``.

Used by :class:`mlplatform.components.aws.GpuCluster` with ``provisioner: managed-node-groups``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from ..base.cloud import Cloud
from ..base.labels import FALLBACK_FOR_LABEL
from ..base.types import MLPLATFORM_AWS_MANAGED_GPU_NODE_GROUPS
from ..catalog import Offering
from ..config.cluster import Capacity, GpuPoolSpec
from ..interfaces import StrListInput
from ..k8s.charts import CLUSTER_AUTOSCALER, CLUSTER_AUTOSCALER_IMAGE_TAGS
from ..k8s.gpu import GPU_MODEL_LABEL, GPU_RESOURCE, GPU_TAINT_KEY, NODE_ROLE_LABEL, POOL_LABEL, SYSTEM_ROLE
from ..k8s.helm import helm_release_args
from . import iam
from .launch_template import node_launch_template

NAMESPACE = "kube-system"
SERVICE_ACCOUNT = "cluster-autoscaler"
TEMPLATE_TAG = "k8s.io/cluster-autoscaler/node-template"
_EFFECT = {"NoSchedule": "NO_SCHEDULE", "PreferNoSchedule": "PREFER_NO_SCHEDULE", "NoExecute": "NO_EXECUTE"}


@dataclass
class NodeGroupSettings:
    cluster_name: str
    kubernetes_version: str
    region: str
    account_id: str
    pools: list[GpuPoolSpec]
    subnet_ids: StrListInput
    node_role_arn: pulumi.Input[str]
    tags: dict[str, str]
    node_volume_gib: int
    imds_hop_limit: int
    provider: k8s.Provider


def group_plans(s: NodeGroupSettings) -> list[dict[str, Any]]:
    """One entry per node group: name, pool, capacity type, instance types, labels, taints, scaling."""
    return [
        plan
        for pool in s.pools
        for suffix, types, minimum, maximum in shape_groups(pool, s.region)
        for plan in _capacity_plans(pool, suffix, types, minimum, maximum)
    ]


def shape_groups(pool: GpuPoolSpec, region: str) -> list[tuple[str, list[str], int, int]]:
    """(group name suffix, instance types, min nodes, max nodes) per node shape of a pool.

    cluster-autoscaler builds a group's template node from one instance type and assumes every node of the
    group has its CPU, memory and GPUs (its FAQ), so a group holds one shape. Without instance_types the pool
    uses the cheapest shape that carries its GPUs. Listed types of several shapes get a group each, cheapest
    first; the pool's max_nodes is split between them so the pool's ceiling still holds, and its min_nodes stay
    on the cheapest.
    """
    offers = pool.node_shapes(Cloud.AWS, region)
    if not pool.instance_types:
        cheapest = min(offers, key=lambda o: (o.on_demand_usd_hour, o.machine_type))
        return [("", [cheapest.machine_type], pool.min_nodes, pool.max_nodes)]
    by_shape: dict[tuple, list[Offering]] = {}
    for o in offers:
        by_shape.setdefault((o.vcpu, o.memory_gib, o.gpus), []).append(o)
    groups = sorted(by_shape.values(), key=lambda group: min(o.on_demand_usd_hour for o in group))
    shapes = [[o.machine_type for o in group] for group in groups]
    if len(shapes) == 1:
        return [("", shapes[0], pool.min_nodes, pool.max_nodes)]
    base, extra = divmod(pool.max_nodes, len(shapes))
    out = []
    for i, types in enumerate(shapes):
        maximum = base + (1 if i < extra else 0)
        if maximum:
            minimum = min(pool.min_nodes, maximum) if i == 0 else 0
            out.append((f"-{types[0].replace('.', '-')}", types, minimum, maximum))
    return out


def _capacity_plans(
    pool: GpuPoolSpec, suffix: str, types: list[str], minimum: int, maximum: int
) -> list[dict[str, Any]]:
    labels = {POOL_LABEL: pool.name, GPU_MODEL_LABEL: str(pool.gpu), **pool.labels}
    taints = [{"key": GPU_TAINT_KEY, "value": "true", "effect": "NoSchedule"}] + [
        {"key": t.key, "value": t.value, "effect": str(t.effect)} for t in pool.taints
    ]
    variants = {
        Capacity.SPOT: [("SPOT", f"{pool.name}{suffix}", minimum)],
        Capacity.ON_DEMAND: [("ON_DEMAND", f"{pool.name}{suffix}", minimum)],
        # The fallback group starts at zero: it only grows when the spot group cannot (priority expander).
        Capacity.SPOT_WITH_ON_DEMAND_FALLBACK: [
            ("SPOT", f"{pool.name}-spot{suffix}", minimum),
            ("ON_DEMAND", f"{pool.name}-on-demand{suffix}", 0),
        ],
    }[pool.capacity]
    return [
        {
            "group": group,
            "pool": pool,
            "capacity": capacity,
            "types": types,
            "labels": {**labels, **({FALLBACK_FOR_LABEL: pool.name} if "-on-demand" in group else {})},
            "taints": taints,
            "min": group_min,
            "max": maximum,
        }
        for capacity, group, group_min in variants
    ]


class ManagedGpuNodeGroups(pulumi.ComponentResource):
    """GPU managed node groups and cluster-autoscaler (type ``mlplatform:aws:ManagedGpuNodeGroups``)."""

    node_groups: dict[str, aws.eks.NodeGroup]

    def __init__(self, name: str, settings: NodeGroupSettings, opts: pulumi.ResourceOptions | None = None):
        super().__init__(MLPLATFORM_AWS_MANAGED_GPU_NODE_GROUPS, name, None, opts)
        s = settings
        child = pulumi.ResourceOptions(parent=self)
        self.node_groups = {}
        plans = group_plans(s)
        for plan in plans:
            group, pool = plan["group"], plan["pool"]
            template = node_launch_template(
                f"{name}-{group}", volume_gib=s.node_volume_gib, hop_limit=s.imds_hop_limit, tags=s.tags, parent=self
            )
            ng_tags = {
                **s.tags,
                f"k8s.io/cluster-autoscaler/{s.cluster_name}": "owned",
                "k8s.io/cluster-autoscaler/enabled": "true",
            }
            ng = aws.eks.NodeGroup(
                f"{name}-{group}",
                cluster_name=s.cluster_name,
                node_group_name_prefix=f"{group}-",
                node_role_arn=s.node_role_arn,
                subnet_ids=s.subnet_ids,
                ami_type="AL2023_x86_64_NVIDIA",
                capacity_type=plan["capacity"],
                instance_types=plan["types"],
                scaling_config=aws.eks.NodeGroupScalingConfigArgs(
                    min_size=plan["min"], desired_size=plan["min"], max_size=plan["max"]
                ),
                update_config=aws.eks.NodeGroupUpdateConfigArgs(max_unavailable=1),
                launch_template=aws.eks.NodeGroupLaunchTemplateArgs(
                    id=template.id, version=template.latest_version.apply(str)
                ),
                labels=plan["labels"],
                taints=[
                    aws.eks.NodeGroupTaintArgs(key=t["key"], value=t["value"] or None, effect=_EFFECT[t["effect"]])
                    for t in plan["taints"]
                ],
                tags=ng_tags,
                # The autoscaler owns the desired size; a later `pulumi up` must not reset it.
                opts=pulumi.ResourceOptions(parent=self, ignore_changes=["scalingConfig.desiredSize"]),
            )
            self.node_groups[group] = ng
            asg_name = ng.resources.apply(lambda rs: rs[0].autoscaling_groups[0].name)  # type: ignore[index]
            template_tags = {f"{TEMPLATE_TAG}/label/{k}": v for k, v in plan["labels"].items()}
            template_tags.update(
                {f"{TEMPLATE_TAG}/taint/{t['key']}": f"{t['value']}:{t['effect']}" for t in plan["taints"]}
            )
            template_tags[f"{TEMPLATE_TAG}/resources/{GPU_RESOURCE}"] = str(pool.gpus_per_node)
            for i, (key, value) in enumerate(sorted(template_tags.items())):
                aws.autoscaling.Tag(
                    f"{name}-{group}-template-{i}",
                    autoscaling_group_name=asg_name,
                    tag=aws.autoscaling.TagTagArgs(key=key, value=value, propagate_at_launch=False),
                    opts=child,
                )

        policy = iam.document(
            {
                "Sid": "ScaleOwnedGroups",
                "Effect": "Allow",
                "Resource": f"arn:aws:autoscaling:{s.region}:{s.account_id}:autoScalingGroup:*:autoScalingGroupName/*",
                "Action": ["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"],
                "Condition": {"StringEquals": {f"aws:ResourceTag/k8s.io/cluster-autoscaler/{s.cluster_name}": "owned"}},
            },
            {
                "Sid": "DescribeScalingState",
                "Effect": "Allow",
                "Resource": "*",
                "Action": [
                    "autoscaling:DescribeAutoScalingGroups",
                    "autoscaling:DescribeAutoScalingInstances",
                    "autoscaling:DescribeLaunchConfigurations",
                    "autoscaling:DescribeScalingActivities",
                    "autoscaling:DescribeTags",
                    "ec2:DescribeImages",
                    "ec2:DescribeInstanceTypes",
                    "ec2:DescribeLaunchTemplateVersions",
                    "ec2:GetInstanceTypesFromInstanceRequirements",
                ],
            },
            {
                "Sid": "ReadManagedNodeGroups",
                "Effect": "Allow",
                "Resource": f"arn:aws:eks:{s.region}:{s.account_id}:nodegroup/{s.cluster_name}/*",
                "Action": "eks:DescribeNodegroup",
            },
        )
        _, identity = iam.pod_identity_role(
            f"{name}-autoscaler",
            cluster_name=s.cluster_name,
            namespace=NAMESPACE,
            service_account=SERVICE_ACCOUNT,
            parent=self,
            tags=s.tags,
            description=f"cluster-autoscaler for EKS cluster {s.cluster_name}",
            inline={"scaling": policy},
        )
        scale_down = max((p.consolidate_after for p in s.pools), key=_seconds, default="5m")
        # Auto Scaling group names embed the node group name: prefer spot groups, use fallbacks last.
        has_fallback = any("-on-demand" in p["group"] for p in plans)
        # Keys are strings: Helm values travel as a protobuf Struct, whose keys must be strings.
        priorities = {"50": [".*-spot-.*"], "10": [".*-on-demand-.*"], "1": [".*"]} if has_fallback else {}
        values: dict[str, Any] = {
            "cloudProvider": "aws",
            "awsRegion": s.region,
            "autoDiscovery": {"clusterName": s.cluster_name},
            "image": {"tag": CLUSTER_AUTOSCALER_IMAGE_TAGS[s.kubernetes_version]},
            "rbac": {"serviceAccount": {"create": True, "name": SERVICE_ACCOUNT}},
            "nodeSelector": {NODE_ROLE_LABEL: SYSTEM_ROLE},
            "extraArgs": {
                "expander": "priority,least-waste" if has_fallback else "least-waste",
                "balance-similar-node-groups": "true",
                "skip-nodes-with-system-pods": "false",
                "scale-down-unneeded-time": scale_down,
                "scale-down-delay-after-add": "2m",
                # A spot group that gets no instance is given up on after 5 minutes (default 15) and the
                # expander moves to the next group, e.g. the on-demand fallback.
                "max-node-provision-time": "5m",
            },
            "expanderPriorities": priorities,
            "resources": {"requests": {"cpu": "100m", "memory": "300Mi"}, "limits": {"memory": "600Mi"}},
        }
        self.release = k8s.helm.v3.Release(
            name,
            k8s.helm.v3.ReleaseArgs(
                name="cluster-autoscaler", **helm_release_args(CLUSTER_AUTOSCALER, NAMESPACE, values)
            ),
            opts=pulumi.ResourceOptions(parent=self, provider=s.provider, depends_on=[identity]),
        )
        self.register_outputs({"node_groups": list(self.node_groups)})


def _seconds(duration: str) -> int:
    return int(duration[:-1]) * {"s": 1, "m": 60, "h": 3600}[duration[-1]]
