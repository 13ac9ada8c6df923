"""GpuCluster on the Plan: EKS settings, GPU pools (Karpenter and managed node groups), IMDSv2, tags, validation."""

from __future__ import annotations

import copy
import json

import pytest

from mlplatform import engine
from mlplatform.components.aws import GpuCluster, GpuClusterArgs
from mlplatform.components.base.errors import ConfigError
from mlplatform.components.base.types import (
    AWS_AUTOSCALING_TAG,
    AWS_CLOUDWATCH_EVENT_RULE,
    AWS_CLOUDWATCH_EVENT_TARGET,
    AWS_CLOUDWATCH_LOG_GROUP,
    AWS_EC2_LAUNCH_TEMPLATE,
    AWS_EC2_TAG,
    AWS_EKS_ACCESS_ENTRY,
    AWS_EKS_ACCESS_POLICY_ASSOCIATION,
    AWS_EKS_ADDON,
    AWS_EKS_CLUSTER,
    AWS_EKS_NODE_GROUP,
    AWS_EKS_POD_IDENTITY_ASSOCIATION,
    AWS_IAM_ROLE,
    AWS_IAM_ROLE_POLICY,
    AWS_KMS_KEY,
    AWS_SQS_QUEUE,
    AWS_SQS_QUEUE_POLICY,
    K8S_DEPLOYMENT,
    K8S_HELM_RELEASE,
    K8S_KARPENTER_EC2_NODE_CLASS,
    K8S_KARPENTER_NODE_POOL,
    PROVIDER_KUBERNETES,
)
from mlplatform.components.catalog import load_catalog
from mlplatform.components.config import parse_platform_spec
from mlplatform.components.config.cluster import ClusterSpec, GpuPoolSpec
from mlplatform.components.cost.taggable import tag_argument
from mlplatform.plan import Plan, Secret
from mlplatform.preflight import preflight
from tests.conftest import cost_tags
from tests.fixtures import (
    L4_POOL,
    T4_POOL,
    aws_config,
    aws_dev,
    aws_dev_config,
    aws_dev_managed_node_groups,
    aws_prod,
    aws_prod_config,
    aws_staging,
    aws_staging_config,
    changed,
    plan_platform,
)


def requirement(pool, key):
    return next(r for r in pool.input("spec.template.spec.requirements") if r["key"] == key)


def release(plan: Plan, chart_fragment: str):
    return next(r for r in plan.by_type(K8S_HELM_RELEASE) if chart_fragment in r.input("chart"))


def assert_nodepools_carry_their_pools_gpus(plan: Plan, doc: dict) -> None:
    """Every NodePool of ``plan`` allows only instance types with its pool's GPU model and count (``doc``'s pools)."""
    cat = load_catalog()
    pools = {p["name"]: p for p in doc["cluster"]["gpu_pools"]}
    nodepools = plan.by_type(K8S_KARPENTER_NODE_POOL)
    assert nodepools
    for np in nodepools:
        pool = pools[np.input("spec.template.metadata.labels")["mlplatform.io/gpu-pool"]]
        types = requirement(np, "node.kubernetes.io/instance-type")["values"]
        assert types, np.name
        for t in types:
            assert cat.gpu_of("aws", t) == (pool["gpu"], pool.get("gpus_per_node", 1)), (np.name, t)
        assert np.input("spec.template.metadata.labels")["mlplatform.io/gpu"] == pool["gpu"]


@pytest.mark.parametrize("doc", [aws_dev_config, aws_staging_config, aws_prod_config], ids=["dev", "staging", "prod"])
def test_every_nodepool_instance_type_carries_the_requested_gpus(doc):
    # GIVEN pools of L4, T4, 4 x A10G and 8 x A100, with and without on-demand fallback
    assert_nodepools_carry_their_pools_gpus(plan_platform(doc()), doc())


def test_spot_pools_are_spot_only_and_bounded_by_max_nodes_of_their_largest_shape():
    plan = aws_dev()
    for np in plan.by_type(K8S_KARPENTER_NODE_POOL):
        assert requirement(np, "karpenter.sh/capacity-type")["values"] == ["spot"]
    limits = {np.input("metadata.name"): np.input("spec.limits") for np in plan.by_type(K8S_KARPENTER_NODE_POOL)}
    assert limits["inference"]["nvidia.com/gpu"] == "4"  # max_nodes 4 x 1 GPU
    assert limits["experiments"]["nvidia.com/gpu"] == "2"
    # cpu and memory limits cover max_nodes of the largest allowed shape
    assert int(limits["inference"]["cpu"]) == 4 * max(
        load_catalog().machine_type("aws", t).vcpu
        for t in requirement(
            plan.one(K8S_KARPENTER_NODE_POOL, "mlplatform-cluster-karpenter-inference"),
            "node.kubernetes.io/instance-type",
        )["values"]
    )


def test_gpu_nodes_are_tainted_and_consolidated_when_empty():
    plan = aws_dev()
    for np in plan.by_type(K8S_KARPENTER_NODE_POOL):
        assert {"key": "nvidia.com/gpu", "value": "true", "effect": "NoSchedule"} in np.input(
            "spec.template.spec.taints"
        )
        disruption = np.input("spec.disruption")
        assert disruption["consolidationPolicy"] == "WhenEmpty"
        assert disruption["budgets"] == [{"nodes": "10%"}]
    assert (
        plan.one(K8S_KARPENTER_NODE_POOL, "mlplatform-cluster-karpenter-experiments").input(
            "spec.disruption.consolidateAfter"
        )
        == "2m"
    )
    assert (
        plan.one(K8S_KARPENTER_NODE_POOL, "mlplatform-cluster-karpenter-inference").input(
            "spec.disruption.consolidateAfter"
        )
        == "5m"
    )


def test_spot_with_fallback_adds_a_lower_weight_on_demand_pool():
    plan = aws_prod()
    spot = plan.one(K8S_KARPENTER_NODE_POOL, "mlplatform-cluster-karpenter-inference")
    fallback = plan.one(K8S_KARPENTER_NODE_POOL, "mlplatform-cluster-karpenter-inference-on-demand")
    assert requirement(spot, "karpenter.sh/capacity-type")["values"] == ["spot"]
    assert requirement(fallback, "karpenter.sh/capacity-type")["values"] == ["on-demand"]
    assert spot.input("spec.weight") > fallback.input("spec.weight")
    assert fallback.input("spec.template.metadata.labels")["mlplatform.io/fallback-for"] == "inference"
    training = plan.one(K8S_KARPENTER_NODE_POOL, "mlplatform-cluster-karpenter-training")
    assert requirement(training, "karpenter.sh/capacity-type")["values"] == ["on-demand"]
    assert requirement(training, "node.kubernetes.io/instance-type")["values"] == ["p4d.24xlarge"]


def test_min_nodes_on_karpenter_is_held_by_a_warm_placeholder_deployment():
    """Karpenter has no minimum: prod's inference pool (min_nodes 1) keeps its node through pause pods."""
    prod = aws_prod()
    warm = prod.one(K8S_DEPLOYMENT, "mlplatform-cluster-karpenter-warm-inference")
    pod = warm.input("spec.template.spec")
    assert warm.input("spec.replicas") == 1
    assert pod["nodeSelector"] == {"mlplatform.io/gpu-pool": "inference"}
    assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in pod["tolerations"]
    # It holds the node without holding a GPU, and never outranks real work.
    assert "nvidia.com/gpu" not in pod["containers"][0]["resources"]["requests"]
    anti = pod["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"][0]
    assert anti["topologyKey"] == "kubernetes.io/hostname"
    priority = prod.one("kubernetes:scheduling.k8s.io/v1:PriorityClass")
    assert pod["priorityClassName"] == priority.input("metadata.name")
    assert priority.input("value") < 0 and priority.input("preemptionPolicy") == "Never"
    # Pools that scale from zero (all of dev's, prod's training pool) get none.
    assert not [d for d in aws_dev().by_type(K8S_DEPLOYMENT) if "warm" in d.name]
    assert [d.name for d in prod.by_type(K8S_DEPLOYMENT) if "warm" in d.name] == [warm.name]


def test_interruption_queue_and_events_are_wired_into_karpenter():
    plan = aws_dev()
    queue = plan.one(AWS_SQS_QUEUE)
    karpenter = release(plan, "karpenter")
    assert karpenter.input("chart") == "oci://public.ecr.aws/karpenter/karpenter"
    assert karpenter.input("version") == "1.11.1"
    assert karpenter.input("values.settings.interruptionQueue") == queue.output("name")
    assert karpenter.input("values.settings.clusterName") == plan.one(AWS_EKS_CLUSTER).input("name")
    patterns = [json.loads(r.input("eventPattern")) for r in plan.by_type(AWS_CLOUDWATCH_EVENT_RULE)]
    assert sorted(p["detail-type"][0] for p in patterns) == [
        "AWS Health Event",
        "EC2 Instance Rebalance Recommendation",
        "EC2 Instance State-change Notification",
        "EC2 Spot Instance Interruption Warning",
    ]
    targets = plan.by_type(AWS_CLOUDWATCH_EVENT_TARGET)
    assert len(targets) == 4 and all(t.input("arn") == queue.output("arn") for t in targets)
    policy = json.loads(plan.one(AWS_SQS_QUEUE_POLICY).input("policy"))
    assert policy["Statement"][0]["Principal"]["Service"] == ["events.amazonaws.com", "sqs.amazonaws.com"]


def test_karpenter_controller_uses_pod_identity_scoped_to_the_cluster():
    plan = aws_dev()
    cluster_name = plan.one(AWS_EKS_CLUSTER).input("name")
    assoc = next(a for a in plan.by_type(AWS_EKS_POD_IDENTITY_ASSOCIATION) if a.input("serviceAccount") == "karpenter")
    assert assoc.input("namespace") == "kube-system" and assoc.input("clusterName") == cluster_name
    role = next(r for r in plan.by_type(AWS_IAM_ROLE) if r.output("arn") == assoc.input("roleArn"))
    trust = json.loads(role.input("assumeRolePolicy"))
    assert trust["Statement"][0]["Principal"] == {"Service": "pods.eks.amazonaws.com"}
    policies = [json.loads(p.input("policy")) for p in plan.by_type(AWS_IAM_ROLE_POLICY) if p.input("role") == role.id]
    text = json.dumps(policies)
    assert f"kubernetes.io/cluster/{cluster_name}" in text
    pass_role = next(s for p in policies for s in p["Statement"] if s.get("Sid") == "AllowPassingInstanceRole")
    node_role = plan.one(AWS_IAM_ROLE, "mlplatform-cluster-karpenter-node")
    assert pass_role["Resource"] == node_role.output("arn")
    node_entry = plan.one(AWS_EKS_ACCESS_ENTRY, "mlplatform-cluster-karpenter-node")
    assert node_entry.input("type") == "EC2_LINUX" and node_entry.input("principalArn") == node_role.output("arn")


def test_imdsv2_required_on_every_node():
    for plan in (aws_dev(), aws_prod()):
        templates = {t.id: t for t in plan.by_type(AWS_EC2_LAUNCH_TEMPLATE)}
        for t in templates.values():
            assert t.input("metadataOptions.httpTokens") == "required"
            assert t.input("metadataOptions.httpPutResponseHopLimit") == 1
        for ng in plan.by_type(AWS_EKS_NODE_GROUP):
            assert ng.input("launchTemplate.id") in templates, f"{ng.name} launches without our template"
        node_class = plan.one(K8S_KARPENTER_EC2_NODE_CLASS)
        assert node_class.input("spec.metadataOptions.httpTokens") == "required"
        assert node_class.input("spec.metadataOptions.httpPutResponseHopLimit") == 1


def test_node_class_uses_al2023_discovery_tags_and_large_encrypted_gp3():
    plan = aws_dev()
    spec = plan.one(K8S_KARPENTER_EC2_NODE_CLASS).input("spec")
    cluster_name = plan.one(AWS_EKS_CLUSTER).input("name")
    assert spec["amiSelectorTerms"] == [{"alias": "al2023@latest"}]
    assert spec["subnetSelectorTerms"] == [{"tags": {"karpenter.sh/discovery": cluster_name}}]
    assert spec["securityGroupSelectorTerms"] == [{"tags": {"karpenter.sh/discovery": cluster_name}}]
    ebs = spec["blockDeviceMappings"][0]["ebs"]
    assert ebs == {"volumeSize": "100Gi", "volumeType": "gp3", "encrypted": True, "deleteOnTermination": True}
    assert spec["role"] == plan.one(AWS_IAM_ROLE, "mlplatform-cluster-karpenter-node").output("name")
    assert cost_tags(plan).items() <= spec["tags"].items(), "instances Karpenter launches carry the cost tags"
    discovery = plan.one(AWS_EC2_TAG)
    assert discovery.input("key") == "karpenter.sh/discovery" and discovery.input("value") == cluster_name


def test_control_plane_settings():
    plan = aws_dev()
    cluster = plan.one(AWS_EKS_CLUSTER)
    assert cluster.input("version") == "1.33"
    assert cluster.input("accessConfig.authenticationMode") == "API"
    # dev keeps the three logs that matter for security; prod adds controller-manager and scheduler
    assert cluster.input("enabledClusterLogTypes") == ["api", "audit", "authenticator"]
    assert aws_prod().one(AWS_EKS_CLUSTER).input("enabledClusterLogTypes") == [
        "api",
        "audit",
        "authenticator",
        "controllerManager",
        "scheduler",
    ]
    assert cluster.input("upgradePolicy.supportType") == "STANDARD"
    key = plan.one(AWS_KMS_KEY, "mlplatform-cluster-secrets")
    assert key.input("enableKeyRotation") is True
    assert cluster.input("encryptionConfig") == {"provider": {"keyArn": key.output("arn")}, "resources": ["secrets"]}
    logs = plan.one(AWS_CLOUDWATCH_LOG_GROUP, "mlplatform-cluster-control-plane")
    assert logs.input("name") == f"/aws/eks/{cluster.input('name')}/cluster" and logs.input("retentionInDays") == 7
    assert logs.urn in cluster.dependencies, "the log group exists before EKS writes to it"
    assert {a.input("addonName") for a in plan.by_type(AWS_EKS_ADDON)} == {
        "vpc-cni",
        "aws-ebs-csi-driver",
        "coredns",
        "kube-proxy",
        "eks-pod-identity-agent",
    }
    admins = plan.by_type(AWS_EKS_ACCESS_POLICY_ASSOCIATION)
    assert [a.input("principalArn") for a in admins] == ["arn:aws:iam::123456789012:role/PlatformAdmin"]
    assert admins[0].input("policyArn").endswith("/AmazonEKSClusterAdminPolicy")


def test_endpoint_access_by_environment():
    dev = aws_dev().one(AWS_EKS_CLUSTER).input("vpcConfig")
    staging = aws_staging().one(AWS_EKS_CLUSTER).input("vpcConfig")
    prod = aws_prod().one(AWS_EKS_CLUSTER).input("vpcConfig")
    # prod: reachable by the deployer (which creates the in-cluster resources) and nobody else.
    assert prod["endpointPublicAccess"] is True and prod["endpointPrivateAccess"] is True
    assert prod["publicAccessCidrs"] == ["198.51.100.0/28", "203.0.113.0/24"]
    assert staging["endpointPublicAccess"] is True and staging["publicAccessCidrs"] == ["203.0.113.0/24"]
    assert dev["endpointPublicAccess"] is True


def test_raises_when_prod_endpoint_is_open_to_everyone_or_unreachable():
    # GIVEN prod without CIDRs (public to 0.0.0.0/0), or a private endpoint with the deployer outside the VPC
    def open_to_all(doc):
        del doc["cluster"]["public_access_cidrs"]

    def private(doc):
        doc["cluster"]["endpoint_public_access"] = False

    # WHEN the platform is planned THEN the spec refuses each before any resource is registered
    with pytest.raises(ConfigError, match=r"cluster\.public_access_cidrs: required in prod"):
        plan_platform(changed(aws_prod_config(), open_to_all))
    with pytest.raises(ConfigError, match=r"cluster\.endpoint_public_access: .*deploy_from_network"):
        plan_platform(changed(aws_prod_config(), private))


def test_private_endpoint_with_an_in_network_deployer_plans_and_passes_preflight():
    # GIVEN the two-phase layout: a private endpoint, deployed from a runner inside the VPC
    def in_vpc(doc):
        doc["cluster"].update(endpoint_public_access=False, deploy_from_network=True)
        del doc["cluster"]["public_access_cidrs"]

    plan = plan_platform(changed(aws_prod_config(), in_vpc))
    # THEN the endpoint is private and preflight accepts the reachability
    assert plan.one(AWS_EKS_CLUSTER).input("vpcConfig.endpointPublicAccess") is False
    assert not [f for f in preflight(plan).findings if f.rule == "api-reachable"]


def test_prod_protects_the_cluster_and_its_key():
    plan = aws_prod()
    cluster = plan.one(AWS_EKS_CLUSTER)
    assert cluster.options["protect"] and cluster.input("deletionProtection") is True
    assert plan.one(AWS_KMS_KEY, "mlplatform-cluster-secrets").options["protect"]
    assert not aws_dev().one(AWS_EKS_CLUSTER).options["protect"]


def test_system_nodes_spot_in_dev_on_demand_in_prod():
    dev = aws_dev().one(AWS_EKS_NODE_GROUP, "mlplatform-cluster-system")
    prod = aws_prod().one(AWS_EKS_NODE_GROUP, "mlplatform-cluster-system")
    assert dev.input("capacityType") == "SPOT" and prod.input("capacityType") == "ON_DEMAND"
    assert dev.input("labels") == {"mlplatform.io/node-role": "system"}
    assert dev.input("amiType") == "AL2023_x86_64_STANDARD"
    assert prod.input("scalingConfig") == {"minSize": 3, "desiredSize": 3, "maxSize": 6}


def test_kubeconfig_is_a_secret_output_and_feeds_the_provider():
    plan = aws_dev()
    assert isinstance(plan.outputs["kubeconfig"], Secret)
    provider = plan.one(PROVIDER_KUBERNETES)
    assert isinstance(provider.inputs["kubeconfig"], Secret)
    config = json.loads(provider.input("kubeconfig"))
    assert config["users"][0]["user"]["exec"]["args"][:2] == ["eks", "get-token"]
    assert config["clusters"][0]["cluster"]["server"] == plan.one(AWS_EKS_CLUSTER).output("endpoint")
    assert provider.input("kubeconfig") not in plan.to_json()
    for r in plan.find(where=lambda r: r.type.startswith("kubernetes:")):
        assert r.provider == provider.urn, f"{r.name} must deploy to this cluster"


def test_nvidia_device_plugin_runs_only_on_gpu_nodes():
    plugin = release(aws_dev(), "nvidia-device-plugin")
    assert plugin.input("version") == "0.17.1"
    assert plugin.input("repositoryOpts.repo") == "https://nvidia.github.io/k8s-device-plugin"
    terms = plugin.input(
        "values.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms"
    )
    assert terms == [{"matchExpressions": [{"key": "mlplatform.io/gpu", "operator": "Exists"}]}]
    assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in plugin.input("values.tolerations")


def assert_taggable_aws_resources_carry_the_cost_tags(plan: Plan) -> None:
    expected = cost_tags(plan)
    untagged = []
    for r in plan.custom_resources():
        arg = tag_argument(r.type)
        if r.package != "aws" or arg is None:
            continue
        tags = r.input(arg) or {}
        if not expected.items() <= tags.items():
            untagged.append(r.name)
    assert not untagged
    checked = [r for r in plan.custom_resources() if r.package == "aws" and tag_argument(r.type)]
    assert len(checked) > 30


@pytest.mark.parametrize("platform", [aws_dev, aws_prod], ids=["dev", "prod"])
def test_every_taggable_aws_resource_carries_the_cost_tags(platform):
    assert_taggable_aws_resources_carry_the_cost_tags(platform())


def test_managed_node_groups_scale_from_zero_with_autoscaler_templates():
    plan = aws_dev_managed_node_groups()
    assert plan.by_type(K8S_KARPENTER_NODE_POOL) == []
    gpu_groups = [ng for ng in plan.by_type(AWS_EKS_NODE_GROUP) if "system" not in ng.name]
    assert {ng.name for ng in gpu_groups} == {"mlplatform-cluster-gpu-inference", "mlplatform-cluster-gpu-experiments"}
    for ng in gpu_groups:
        assert ng.input("scalingConfig.minSize") == 0 and ng.input("scalingConfig.desiredSize") == 0
        assert ng.input("capacityType") == "SPOT"
        assert ng.input("amiType") == "AL2023_x86_64_NVIDIA"
        assert {"key": "nvidia.com/gpu", "value": "true", "effect": "NO_SCHEDULE"} in ng.input("taints")
        assert ng.options["ignore_changes"] == ["scalingConfig.desiredSize"]
    templates = {
        t.input("tag.key"): t.input("tag.value")
        for t in plan.by_type(AWS_AUTOSCALING_TAG)
        if t.name.startswith("mlplatform-cluster-gpu-inference-")
    }
    assert templates["k8s.io/cluster-autoscaler/node-template/label/mlplatform.io/gpu"] == "L4"
    assert templates["k8s.io/cluster-autoscaler/node-template/taint/nvidia.com/gpu"] == "true:NoSchedule"
    assert templates["k8s.io/cluster-autoscaler/node-template/resources/nvidia.com/gpu"] == "1"
    autoscaler = release(plan, "cluster-autoscaler")
    assert autoscaler.input("version") == "9.59.0"
    assert autoscaler.input("values.image.tag") == "v1.33.0"
    assert autoscaler.input("values.autoDiscovery.clusterName") == plan.one(AWS_EKS_CLUSTER).input("name")
    assert autoscaler.input("values.extraArgs.scale-down-unneeded-time") == "5m"


def managed_node_groups(inference: dict) -> Plan:
    """The smallest platform with an L4 pool changed by ``inference`` and a T4 pool, as managed node groups."""
    pools = [{**L4_POOL, **inference}, T4_POOL]
    return plan_platform(aws_config("dev", cluster={"provisioner": "managed-node-groups", "gpu_pools": pools}))


def test_managed_node_groups_fallback_prefers_spot():
    plan = managed_node_groups({"capacity": "spot-with-on-demand-fallback"})
    names = {ng.name: ng for ng in plan.by_type(AWS_EKS_NODE_GROUP)}
    assert names["mlplatform-cluster-gpu-inference-spot"].input("capacityType") == "SPOT"
    assert names["mlplatform-cluster-gpu-inference-on-demand"].input("capacityType") == "ON_DEMAND"
    assert names["mlplatform-cluster-gpu-inference-on-demand"].input("scalingConfig.minSize") == 0
    values = release(plan, "cluster-autoscaler").input("values")
    assert values["extraArgs"]["expander"] == "priority,least-waste"
    assert values["expanderPriorities"] == {"50": [".*-spot-.*"], "10": [".*-on-demand-.*"], "1": [".*"]}


def test_managed_node_groups_hold_one_node_shape_each_and_give_up_on_spot_in_minutes():
    # GIVEN pools as managed node groups, the inference pool listing two L4 shapes
    plan = managed_node_groups({"instance_types": ["g6.xlarge", "g6.2xlarge"], "min_nodes": 1, "max_nodes": 5})
    groups = {
        ng.name.removeprefix("mlplatform-cluster-gpu-"): ng
        for ng in plan.by_type(AWS_EKS_NODE_GROUP)
        if "gpu" in ng.name
    }
    # THEN a group per shape, the pool's ceiling split between them and its warm node on the cheapest
    assert {
        k: (g.input("instanceTypes"), g.input("scalingConfig.minSize"), g.input("scalingConfig.maxSize"))
        for k, g in groups.items()
    } == {
        "inference-g6-xlarge": (["g6.xlarge"], 1, 3),
        "inference-g6-2xlarge": (["g6.2xlarge"], 0, 2),
        "experiments": (["g4dn.xlarge"], 0, 2),  # unlisted: the cheapest shape carrying the GPU
    }
    assert release(plan, "cluster-autoscaler").input("values.extraArgs.max-node-provision-time") == "5m"
    assert not [f for f in preflight(plan).findings if f.rule == "node-group-shapes"]


def test_preflight_finds_a_node_group_that_mixes_shapes():
    plan = copy.deepcopy(aws_dev_managed_node_groups())
    group = next(ng for ng in plan.by_type(AWS_EKS_NODE_GROUP) if ng.name.endswith("-inference"))
    group.inputs["instanceTypes"] = ["g6.xlarge", "g6.4xlarge", "g6.16xlarge"]
    findings = [f for f in preflight(plan).findings if f.rule == "node-group-shapes"]
    assert len(findings) == 1 and "mixes 3 node shapes" in findings[0].message


# --- standalone use and validation ------------------------------------------------------------------------

NETWORK = {
    "vpc_id": "vpc-0123456789abcdef0",
    "private_subnet_ids": ["subnet-0aaaaaaaaaaaaaaaa", "subnet-0bbbbbbbbbbbbbbbb"],
}


def test_standalone_cluster_selects_given_subnets_by_id():
    def program():
        GpuCluster(
            "gpu",
            GpuClusterArgs(
                region="eu-west-1",
                network=NETWORK,
                tags={"team": "ml"},
                cluster=ClusterSpec(gpu_pools=[GpuPoolSpec(name="t4", gpu="T4", max_nodes=2)]),
            ),
        )

    plan = engine.run(program, stack="sandbox", config={"aws:region": "eu-west-1"})
    assert plan.one(AWS_EKS_CLUSTER).input("name") == "gpu-sandbox"
    assert plan.one(K8S_KARPENTER_EC2_NODE_CLASS).input("spec.subnetSelectorTerms") == [
        {"id": s} for s in NETWORK["private_subnet_ids"]
    ]
    assert requirement(plan.one(K8S_KARPENTER_NODE_POOL), "node.kubernetes.io/instance-type")["values"][0].startswith(
        "g4dn."
    )


@pytest.mark.parametrize(
    ("pool", "path", "fragment"),
    [
        ({"name": "p", "gpu": "B200", "max_nodes": 1}, "args.cluster.gpu_pools[0].gpu", "allowed: T4"),
        ({"name": "p", "gpu": "L40S", "max_nodes": 1}, "args.cluster.gpu_pools[0].gpu", "not offered in aws eu-west-1"),
        (
            {"name": "p", "gpu": "T4", "min_nodes": 3, "max_nodes": 2},
            "args.cluster.gpu_pools[0].min_nodes",
            "must be <= max_nodes (2)",
        ),
        ({"name": "p", "gpu": "T4", "max_nodes": 0}, "args.cluster.gpu_pools[0].max_nodes", ">= 1"),
        (
            {"name": "p", "gpu": "A100", "gpus_per_node": 2, "max_nodes": 1},
            "args.cluster.gpu_pools[0].gpus_per_node",
            "allowed: 8",
        ),
    ],
)
def test_raises_when_a_pool_is_impossible(pool, path, fragment):
    with pytest.raises(ConfigError) as info:
        GpuClusterArgs(region="eu-west-1", network=NETWORK, cluster={"gpu_pools": [pool]})
    assert path in info.value.paths()
    assert fragment in str(info.value)
    assert str(info.value).startswith("GpuClusterArgs at ")  # no component call around it: where it was built


def test_raises_when_pool_models_were_built_for_another_region():
    pool = GpuPoolSpec(name="p", gpu="L40S", max_nodes=1)  # fine in us-east-1 ...
    with pytest.raises(ConfigError) as info:  # ... but not in eu-west-1
        GpuClusterArgs(region="eu-west-1", network=NETWORK, cluster=ClusterSpec(gpu_pools=[pool]))
    assert "args.cluster.gpu_pools[0].gpu" in info.value.paths()


def test_a_stack_cluster_is_validated_once_and_again_only_for_another_region():
    # GIVEN the cluster section of a validated AWS stack in us-east-1, with an L40S pool
    spec = parse_platform_spec(aws_config("dev", cluster={"gpu_pools": [{"name": "p", "gpu": "L40S", "max_nodes": 1}]}))
    # WHEN the composition hands it to the component's args for the same region THEN it is not validated again
    args = GpuClusterArgs(region="us-east-1", network=NETWORK, cluster=spec.cluster)
    assert args.cluster is spec.cluster and args.cluster.gpu_pools[0] is spec.cluster.gpu_pools[0]
    # WHEN a library user hands it to args for another region THEN its pools are checked there, with the key path
    with pytest.raises(ConfigError) as info:
        GpuClusterArgs(region="eu-west-1", network=NETWORK, cluster=spec.cluster)
    assert "args.cluster.gpu_pools[0].gpu" in info.value.paths()
    assert "not offered in aws eu-west-1" in str(info.value)


def test_raises_for_bad_cluster_level_args():
    with pytest.raises(ConfigError) as info:
        GpuClusterArgs(region="mars-1", network={"vpc_id": "v"}, ami_alias="ubuntu", imds_hop_limit=3)
    assert {"args.region", "args.network.private_subnet_ids", "args.ami_alias", "args.imds_hop_limit"} <= set(
        info.value.paths()
    )


def test_raises_when_eks_args_carry_gke_only_settings_before_anything_is_registered():
    cluster = {"zones": ["us-central1-a"], "gke_security_group": "gke-security-groups@example.com"}
    with pytest.raises(ConfigError) as info:
        engine.run(lambda: GpuCluster("eks", {"region": "us-east-1", "network": NETWORK, "cluster": cluster}))
    assert info.value.paths() == ["args.cluster.zones", "args.cluster.gke_security_group"]
    assert "args.cluster.zones: only valid when cloud is gcp (EKS nodes use the network's subnets) (got" in str(
        info.value
    )
    assert "['us-central1-a']" in str(info.value)


def test_raises_when_the_private_subnets_are_in_one_zone():
    # GIVEN one private subnet WHEN the cluster is asked for THEN EKS's two-zone rule is reported before anything
    network = {**NETWORK, "private_subnet_ids": ["subnet-0aaaaaaaaaaaaaaaa"]}
    with pytest.raises(ConfigError) as info:
        GpuClusterArgs(region="us-east-1", network=network)
    assert info.value.paths() == ["args.network.private_subnet_ids"]
    assert "at least two Availability Zones" in str(info.value)
