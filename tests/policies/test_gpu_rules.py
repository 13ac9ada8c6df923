"""GPU rules, for every resource type that can express each problem: one compliant, one not, per type."""

from __future__ import annotations

import pytest

from mlplatform.components.base.types import (
    AWS_AUTOSCALING_GROUP,
    AWS_EC2_INSTANCE,
    AWS_EC2_LAUNCH_TEMPLATE,
    AWS_EKS_NODE_GROUP,
    AWS_SAGEMAKER_ENDPOINT_CONFIGURATION,
    GCP_CLOUDRUNV2_SERVICE,
    GCP_COMPUTE_INSTANCE,
    GCP_COMPUTE_INSTANCE_TEMPLATE,
    GCP_CONTAINER_CLUSTER,
    GCP_CONTAINER_NODE_POOL,
    GCP_VERTEX_AI_DEPLOYMENT_RESOURCE_POOL,
    K8S_DEPLOYMENT,
    K8S_KARPENTER_NODE_POOL,
)
from tests.policies.helpers import messages, res, through_pack

DEV = {"allowed_gpus": ["T4", "L4", "A10G"], "environment": "dev"}
POOL = {"mlplatform.io/gpu-pool": "train"}


def node_group(types, capacity="SPOT", low=0, high=4, labels=POOL):
    return res(
        AWS_EKS_NODE_GROUP,
        {
            "instanceTypes": types,
            "capacityType": capacity,
            "scalingConfig": {"minSize": low, "desiredSize": low, "maxSize": high},
            "labels": labels,
        },
        name="ng",
    )


def nodepool(types=None, capacity=("spot",), limits=None, labels=POOL, gpu_names=None):
    reqs = []
    if types is not None:
        reqs.append({"key": "node.kubernetes.io/instance-type", "operator": "In", "values": list(types)})
    if gpu_names is not None:
        reqs.append({"key": "karpenter.k8s.aws/instance-gpu-name", "operator": "In", "values": list(gpu_names)})
    if capacity is not None:
        reqs.append({"key": "karpenter.sh/capacity-type", "operator": "In", "values": list(capacity)})
    spec = {"template": {"metadata": {"labels": labels}, "spec": {"requirements": reqs}}}
    if limits is not None:
        spec["limits"] = limits
    return res(K8S_KARPENTER_NODE_POOL, {"metadata": {"name": "train"}, "spec": spec}, name="np")


def asg(types, on_demand_pct=0, low=0, high=2):
    return res(
        AWS_AUTOSCALING_GROUP,
        {
            "minSize": low,
            "maxSize": high,
            "mixedInstancesPolicy": {
                "instancesDistribution": {
                    "onDemandBaseCapacity": 0,
                    "onDemandPercentageAboveBaseCapacity": on_demand_pct,
                },
                "launchTemplate": {
                    "launchTemplateSpecification": {"launchTemplateId": "lt-1"},
                    "overrides": [{"instanceType": t} for t in types],
                },
            },
        },
        name="asg",
    )


def ec2(itype, spot=True):
    props = {"instanceType": itype}
    if spot:
        props["instanceMarketOptions"] = {"marketType": "spot"}
    return res(AWS_EC2_INSTANCE, props, name="box")


def launch_template(itype):
    return res(AWS_EC2_LAUNCH_TEMPLATE, {"instanceType": itype}, name="lt")


def endpoint_config(itype):
    return res(
        AWS_SAGEMAKER_ENDPOINT_CONFIGURATION,
        {"productionVariants": [{"variantName": "a", "instanceType": itype, "initialInstanceCount": 1}]},
        name="ep",
    )


def gke_pool(machine, accelerator=None, spot=True, low=0, high=2):
    node_config = {"machineType": machine, "spot": spot, "labels": POOL}
    if accelerator:
        node_config["guestAccelerators"] = [{"type": accelerator, "count": 1}]
    return res(
        GCP_CONTAINER_NODE_POOL,
        {"nodeConfig": node_config, "autoscaling": {"totalMinNodeCount": low, "totalMaxNodeCount": high}},
        name="gke",
    )


def gke_cluster(accelerator, maximum=4):
    return res(
        GCP_CONTAINER_CLUSTER,
        {"clusterAutoscaling": {"resourceLimits": [{"resourceType": accelerator, "maximum": maximum}]}},
        name="gke-cluster",
    )


def gce(machine, accelerator=None, spot=True):
    props = {"machineType": machine, "scheduling": {"provisioningModel": "SPOT" if spot else "STANDARD"}}
    if accelerator:
        props["guestAccelerators"] = [{"type": accelerator, "count": 1}]
    return res(GCP_COMPUTE_INSTANCE, props, name="vm")


def gce_template(machine, accelerator):
    props = {"machineType": machine, "guestAccelerators": [{"type": accelerator, "count": 1}]}
    return res(GCP_COMPUTE_INSTANCE_TEMPLATE, props, name="tpl")


def cloud_run(accelerator="nvidia-l4", low=0, high=3):
    return res(
        GCP_CLOUDRUNV2_SERVICE,
        {
            "template": {
                "nodeSelector": {"accelerator": accelerator},
                "scaling": {"minInstanceCount": low, "maxInstanceCount": high},
                "containers": [{"resources": {"limits": {"cpu": "4", "memory": "16Gi", "nvidia.com/gpu": "1"}}}],
            }
        },
        name="run",
    )


# --- gpu-allowlist ------------------------------------------------------------------------------------------------

ALLOWLIST_CASES = [
    ("node group", node_group(["g5.xlarge"]), node_group(["p4d.24xlarge"]), "p4d.24xlarge (A100)"),
    ("launch template", launch_template("g4dn.xlarge"), launch_template("p3.2xlarge"), "p3.2xlarge (V100)"),
    ("auto scaling group", asg(["g6.xlarge"]), asg(["p5.48xlarge"]), "p5.48xlarge (H100)"),
    ("EC2 instance", ec2("g5.xlarge"), ec2("p3.2xlarge"), "p3.2xlarge (V100)"),
    ("NodePool", nodepool(["g6.xlarge"], limits={"nvidia.com/gpu": "4"}), nodepool(["p4d.24xlarge"]), "(A100)"),
    ("NodePool by GPU name", nodepool(gpu_names=["t4", "l4"]), nodepool(gpu_names=["a100"]), "(A100)"),
    ("SageMaker endpoint", endpoint_config("ml.g5.xlarge"), endpoint_config("ml.p4d.24xlarge"), "(A100)"),
    ("GKE node pool", gke_pool("n1-standard-4", "nvidia-tesla-t4"), gke_pool("a2-highgpu-1g"), "(A100)"),
    ("GKE auto-provisioning", gke_cluster("nvidia-l4"), gke_cluster("nvidia-h100-80gb"), "(H100)"),
    ("Compute Engine instance", gce("g2-standard-4"), gce("a3-highgpu-8g"), "(H100)"),
    (
        "instance template",
        gce_template("n1-standard-8", "nvidia-tesla-t4"),
        gce_template("n1-standard-8", "nvidia-tesla-v100"),
        "(V100)",
    ),
]


@pytest.mark.parametrize("kind,good,bad,shape", ALLOWLIST_CASES, ids=[c[0] for c in ALLOWLIST_CASES])
def test_gpu_allowlist(kind, good, bad, shape):
    assert messages("gpu-allowlist", good, **DEV) == []
    found = messages("gpu-allowlist", bad, **DEV)
    assert len(found) == 1 and shape in found[0] and "dev allows T4, L4, A10G" in found[0]


def test_allowlist_message_reads_as_the_issue_says():
    found = messages("gpu-allowlist", node_group(["p4d.24xlarge"]), **DEV)
    assert found == ["GPU pool 'train' uses p4d.24xlarge (A100) but dev allows T4, L4, A10G."]


def test_allowlist_cloud_run_and_overrides():
    assert messages("gpu-allowlist", cloud_run(), **DEV) == []
    found = messages("gpu-allowlist", cloud_run(), allowed_gpus=["T4"], environment="dev")
    assert found and "nvidia-l4 (L4)" in found[0] and "dev allows T4" in found[0]
    prod = {"allowed_gpus": ["T4", "L4", "A10G", "A100"], "environment": "prod"}
    assert messages("gpu-allowlist", node_group(["p4d.24xlarge"]), **prod) == []


def test_allowlist_unknown_and_unrestricted_gpus_are_not_allowed():
    unknown = messages("gpu-allowlist", node_group(["p6-b200.48xlarge"]), **DEV)
    assert unknown and "an unknown GPU" in unknown[0]
    anything = messages("gpu-allowlist", nodepool(types=None, limits={"nvidia.com/gpu": "4"}), **DEV)
    assert anything and "may launch any GPU" in anything[0]
    # CPU capacity is none of this rule's business.
    assert messages("gpu-allowlist", node_group(["m5.large"]), **DEV) == []
    assert messages("gpu-allowlist", ec2("t3.large"), **DEV) == []


# --- gpu-pools-use-spot --------------------------------------------------------------------------------------------

SPOT_CASES = [
    ("node group", node_group(["g5.xlarge"], "SPOT"), node_group(["g5.xlarge"], "ON_DEMAND")),
    ("auto scaling group", asg(["g5.xlarge"], 0), asg(["g5.xlarge"], 100)),
    ("EC2 instance", ec2("g5.xlarge", spot=True), ec2("g5.xlarge", spot=False)),
    ("NodePool", nodepool(["g5.xlarge"], ("spot",)), nodepool(["g5.xlarge"], ("on-demand",))),
    ("NodePool without capacity type", nodepool(["g5.xlarge"], ("spot",)), nodepool(["g5.xlarge"], None)),
    ("GKE node pool", gke_pool("g2-standard-4", spot=True), gke_pool("g2-standard-4", spot=False)),
    ("Compute Engine instance", gce("g2-standard-4", spot=True), gce("g2-standard-4", spot=False)),
]


@pytest.mark.parametrize("kind,good,bad", SPOT_CASES, ids=[c[0] for c in SPOT_CASES])
def test_gpu_pools_use_spot(kind, good, bad):
    assert messages("gpu-pools-use-spot", good) == []
    found = messages("gpu-pools-use-spot", bad)
    assert len(found) == 1 and "buys on-demand capacity" in found[0]


def test_spot_with_fallback_is_allowed_only_where_configured():
    mixed = nodepool(["g5.xlarge"], ("spot", "on-demand"))
    fallback_pool = nodepool(["g5.xlarge"], ("on-demand",), labels={**POOL, "mlplatform.io/fallback-for": "train"})
    fallback_group = node_group(["g5.xlarge"], "ON_DEMAND", labels={**POOL, "mlplatform.io/fallback-for": "train"})
    for r in (mixed, fallback_pool, fallback_group):
        assert messages("gpu-pools-use-spot", r, allow_on_demand_fallback=True) == []
        found = messages("gpu-pools-use-spot", r, allow_on_demand_fallback=False)
        assert found and "must be spot only" in found[0]


def test_spot_rule_skips_what_cannot_say_how_it_buys():
    assert messages("gpu-pools-use-spot", launch_template("g5.xlarge")) == []  # its node group decides
    assert messages("gpu-pools-use-spot", endpoint_config("ml.g5.xlarge")) == []


# --- gpu-pools-scale-to-zero ----------------------------------------------------------------------------------------

WARM = res(
    K8S_DEPLOYMENT,
    {"metadata": {"name": "warm-train", "labels": {"mlplatform.io/warm-for": "train"}}, "spec": {"replicas": 2}},
    name="warm",
)
COLD = res(
    K8S_DEPLOYMENT,
    {"metadata": {"name": "warm-train", "labels": {"mlplatform.io/warm-for": "train"}}, "spec": {"replicas": 0}},
    name="warm",
)
ZERO_CASES = [
    ("node group", node_group(["g5.xlarge"], low=0), node_group(["g5.xlarge"], low=2)),
    ("auto scaling group", asg(["g5.xlarge"], low=0), asg(["g5.xlarge"], low=1)),
    ("Karpenter warm Deployment", COLD, WARM),
    ("GKE node pool", gke_pool("g2-standard-4", low=0), gke_pool("g2-standard-4", low=1)),
    ("Cloud Run", cloud_run(low=0), cloud_run(low=1)),
]


@pytest.mark.parametrize("kind,good,bad", ZERO_CASES, ids=[c[0] for c in ZERO_CASES])
def test_gpu_pools_scale_to_zero(kind, good, bad):
    assert messages("gpu-pools-scale-to-zero", good) == []
    found = messages("gpu-pools-scale-to-zero", bad)
    assert len(found) == 1 and "running with no work" in found[0] and "at most 0" in found[0]


def test_always_on_gpu_instances_do_not_scale_to_zero():
    assert messages("gpu-pools-scale-to-zero", ec2("g5.xlarge"))
    assert messages("gpu-pools-scale-to-zero", gce("g2-standard-4"))
    assert messages("gpu-pools-scale-to-zero", node_group(["g5.xlarge"], low=1), max_min_nodes=1) == []


def test_gke_pool_without_autoscaling_keeps_its_node_count():
    fixed = res(
        GCP_CONTAINER_NODE_POOL,
        {"nodeConfig": {"machineType": "g2-standard-4", "spot": True}, "nodeCount": 2, "nodeLocations": ["a", "b"]},
    )
    found = messages("gpu-pools-scale-to-zero", fixed)
    assert found and "keeps 4 GPU node(s)" in found[0]


# --- gpu-pool-limits ------------------------------------------------------------------------------------------------

LIMIT_CASES = [
    ("node group", node_group(["g5.12xlarge"], high=2), node_group(["g5.12xlarge"], high=5), "20 GPUs"),
    ("auto scaling group", asg(["g5.xlarge"], high=8), asg(["g5.xlarge"], high=9), "9 GPUs"),
    (
        "NodePool",
        nodepool(["g5.xlarge"], limits={"nvidia.com/gpu": "8"}),
        nodepool(["g5.xlarge"], limits={"nvidia.com/gpu": "16"}),
        "16 GPUs",
    ),
    ("GKE node pool", gke_pool("g2-standard-4", high=8), gke_pool("g2-standard-4", high=10), "10 GPUs"),
    ("GKE auto-provisioning", gke_cluster("nvidia-l4", 8), gke_cluster("nvidia-l4", 32), "32 GPUs"),
    ("Cloud Run", cloud_run(high=8), cloud_run(high=20), "20 GPUs"),
]


@pytest.mark.parametrize("kind,good,bad,grown", LIMIT_CASES, ids=[c[0] for c in LIMIT_CASES])
def test_gpu_pool_limits(kind, good, bad, grown):
    assert messages("gpu-pool-limits", good, max_gpus_per_pool=8) == []
    found = messages("gpu-pool-limits", bad, max_gpus_per_pool=8)
    assert len(found) == 1 and f"can grow to {grown}" in found[0] and "the ceiling is 8" in found[0]


def test_a_nodepool_without_a_gpu_limit_is_unbounded():
    found = messages("gpu-pool-limits", nodepool(["g5.xlarge"], limits=None))
    assert found == [
        "GPU pool 'train' has no upper bound (no nvidia.com/gpu limit): its GPU capacity is unbounded; "
        "allowed: at most 16 GPUs."
    ]
    # A CPU limit bounds the nodes, so the GPUs: 64 vCPU of g5.xlarge (4 vCPU, 1 GPU) = 16 GPUs.
    assert messages("gpu-pool-limits", nodepool(["g5.xlarge"], limits={"cpu": "64"}), max_gpus_per_pool=16) == []
    assert messages("gpu-pool-limits", nodepool(["g5.xlarge"], limits={"cpu": "68"}), max_gpus_per_pool=16)
    no_max = res(AWS_EKS_NODE_GROUP, {"instanceTypes": ["g5.xlarge"], "scalingConfig": {"minSize": 0}})
    assert "unbounded" in messages("gpu-pool-limits", no_max)[0]


def test_rules_run_the_same_through_the_pulumi_policy_objects():
    bad = {"instanceTypes": ["p4d.24xlarge"], "capacityType": "ON_DEMAND", "labels": POOL}
    bad["scalingConfig"] = {"minSize": 1, "maxSize": 4}
    found = through_pack("gpu-allowlist", AWS_EKS_NODE_GROUP, bad, DEV)
    assert found == ["GPU pool 'train' uses p4d.24xlarge (A100) but dev allows T4, L4, A10G."]
    assert through_pack("gpu-pools-use-spot", AWS_EKS_NODE_GROUP, bad)
    assert through_pack("gpu-pools-scale-to-zero", AWS_EKS_NODE_GROUP, bad)
    assert "32 GPUs" in through_pack("gpu-pool-limits", AWS_EKS_NODE_GROUP, bad)[0]
    # Defaults apply when the CLI passes no settings: T4, L4, A10G allowed.
    assert through_pack("gpu-allowlist", AWS_EKS_NODE_GROUP, {**bad, "instanceTypes": ["g5.xlarge"]}) == []


def test_vertex_ai_pools_are_gpu_capacity_too():
    def pool(accelerator, high):
        return res(
            GCP_VERTEX_AI_DEPLOYMENT_RESOURCE_POOL,
            {
                "dedicatedResources": {
                    "machineSpec": {
                        "machineType": "a2-highgpu-1g",
                        "acceleratorType": accelerator,
                        "acceleratorCount": 1,
                    },
                    "minReplicaCount": 1,
                    "maxReplicaCount": high,
                }
            },
            name="scorer-a",
        )

    assert messages("gpu-allowlist", pool("NVIDIA_L4", 2), **DEV) == []
    found = messages("gpu-allowlist", pool("NVIDIA_TESLA_A100", 2), **DEV)
    assert found and "(A100)" in found[0]
    assert "can grow to 20 GPUs" in messages("gpu-pool-limits", pool("NVIDIA_L4", 20), max_gpus_per_pool=8)[0]
    assert messages("gpu-pools-scale-to-zero", pool("NVIDIA_L4", 2))  # a replica is always up
