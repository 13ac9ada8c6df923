"""The cost model, one resource type at a time, against figures worked out by hand: price x hours x count.

Unit prices are those of the catalog snapshot (components/catalog/data, as of 2025-07-01), us-east-1 unless
a test names another region. A month is 730 hours (2,628,000 seconds).
"""

from __future__ import annotations

import math

import pytest

from mlplatform.components.base.resources import Resource
from mlplatform.components.base.types import (
    AWS_APPAUTOSCALING_TARGET,
    AWS_ATHENA_WORKGROUP,
    AWS_AUTOSCALING_GROUP,
    AWS_CLOUDWATCH_DASHBOARD,
    AWS_CLOUDWATCH_LOG_GROUP,
    AWS_CLOUDWATCH_METRIC_ALARM,
    AWS_DYNAMODB_TABLE,
    AWS_EBS_VOLUME,
    AWS_EC2_EIP,
    AWS_EC2_INSTANCE,
    AWS_EC2_LAUNCH_TEMPLATE,
    AWS_EC2_NAT_GATEWAY,
    AWS_EC2_SECURITY_GROUP,
    AWS_EC2_SUBNET,
    AWS_EC2_VPC_ENDPOINT,
    AWS_EKS_ADDON,
    AWS_EKS_CLUSTER,
    AWS_EKS_NODE_GROUP,
    AWS_ELASTICACHE_REPLICATION_GROUP,
    AWS_IAM_ROLE,
    AWS_KMS_KEY,
    AWS_LB_LOAD_BALANCER,
    AWS_RDS_INSTANCE,
    AWS_S3_BUCKET_V2,
    AWS_S3_BUCKET_VERSIONING,
    AWS_SAGEMAKER_ENDPOINT,
    AWS_SAGEMAKER_ENDPOINT_CONFIGURATION,
    AWS_SECRETSMANAGER_SECRET,
    GCP_CLOUDRUNV2_SERVICE,
    GCP_COMPUTE_INSTANCE,
    GCP_CONTAINER_CLUSTER,
    GCP_CONTAINER_NODE_POOL,
    GCP_SQL_DATABASE_INSTANCE,
    GCP_STORAGE_BUCKET,
    K8S_DEPLOYMENT,
    K8S_INGRESS,
    K8S_KARPENTER_EC2_NODE_CLASS,
    K8S_KARPENTER_NODE_POOL,
    K8S_SERVICE,
    RANDOM_PASSWORD,
)
from mlplatform.components.cost import aws, gcp, kubernetes, workloads
from mlplatform.components.cost.estimate import NOT_ESTIMATED, CostContext
from mlplatform.components.cost.estimators import ESTIMATORS, FREE_TYPES, estimate, estimate_all
from mlplatform.components.cost.usage import UsageAssumptions

H = 730


def cost(type_: str, props: dict, *, region="us-east-1", usage=None, others=(), name="r", rid=None):
    """Estimate one resource in a stack made of it and ``others``."""
    r = Resource(type_, name, props, urn=f"urn:{name}", id=rid)
    ctx = CostContext(region=region, usage=usage or UsageAssumptions())
    return dict((x.name, e) for x, e in estimate_all([r, *others], ctx))[name]


def figures(e):
    return (round(e.idle, 4), round(e.expected, 4), round(e.peak, 4))


def approx(*values):
    return pytest.approx(values, abs=1e-4)


# --- AWS: cluster, network, compute ---------------------------------------------------------------------------


def test_eks_control_plane():
    e = cost(AWS_EKS_CLUSTER, {"version": "1.33"})
    assert figures(e) == approx(730 * 0.10, 730 * 0.10, 730 * 0.10)  # $73.00
    extended = cost(AWS_EKS_CLUSTER, {"upgradePolicy": {"supportType": "EXTENDED"}})
    assert extended.idle == pytest.approx(730 * 0.60)  # $438.00


def test_nat_gateway_hours_then_data():
    e = cost(AWS_EC2_NAT_GATEWAY, {}, usage=UsageAssumptions(nat_gb=200))
    assert figures(e) == approx(730 * 0.045, 730 * 0.045 + 200 * 0.045, 730 * 0.045 + 200 * 0.045)
    eu = cost(AWS_EC2_NAT_GATEWAY, {}, region="eu-west-1", usage=UsageAssumptions(nat_gb=0))
    assert eu.idle == pytest.approx(730 * 0.048)


def test_public_ipv4_and_ebs():
    assert cost(AWS_EC2_EIP, {"domain": "vpc"}).idle == pytest.approx(730 * 0.005)  # $3.65
    assert cost(AWS_EBS_VOLUME, {"size": 100, "type": "gp3"}).idle == pytest.approx(100 * 0.08)
    assert cost(AWS_EBS_VOLUME, {"size": 100, "type": "gp2"}).idle == pytest.approx(100 * 0.10)


def test_ec2_instance_on_demand_and_spot():
    nat = cost(AWS_EC2_INSTANCE, {"instanceType": "t4g.nano", "rootBlockDevice": {"volumeSize": 8}})
    assert figures(nat) == approx(*(3 * [730 * 0.0042 + 8 * 0.08]))  # $3.71
    spot = cost(
        AWS_EC2_INSTANCE,
        {"instanceType": "t3.large", "instanceMarketOptions": {"marketType": "spot"}},
    )
    assert spot.idle == pytest.approx(730 * 0.0832 * (1 - 0.70) + 8 * 0.08)


def test_system_node_group_from_min_desired_and_max():
    props = {
        "instanceTypes": ["t3.large"],
        "capacityType": "SPOT",
        "scalingConfig": {"minSize": 2, "desiredSize": 3, "maxSize": 4},
        "diskSize": 20,
    }
    e = cost(AWS_EKS_NODE_GROUP, props)
    node_month = 730 * 0.0832 * (1 - 0.70) + 20 * 0.08  # spot t3.large + its 20 GB gp3
    assert figures(e) == approx(2 * node_month, 3 * node_month, 4 * node_month)


def test_node_group_disk_from_its_launch_template():
    lt = Resource(
        AWS_EC2_LAUNCH_TEMPLATE,
        "lt",
        {"blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": {"volumeSize": 100}}]},
        id="lt-123",
    )
    props = {
        "instanceTypes": ["m5.large"],
        "scalingConfig": {"minSize": 1, "desiredSize": 1, "maxSize": 1},
        "launchTemplate": {"id": "lt-123", "version": "1"},
    }
    e = cost(AWS_EKS_NODE_GROUP, props, others=[lt])
    assert e.idle == pytest.approx(730 * 0.096 + 100 * 0.08)
    assert cost(AWS_EC2_LAUNCH_TEMPLATE, {}).free


def test_gpu_node_group_scales_from_zero_and_is_priced_by_usage():
    props = {
        "instanceTypes": ["g5.xlarge"],
        "capacityType": "SPOT",
        "scalingConfig": {"minSize": 0, "desiredSize": 0, "maxSize": 2},
        "diskSize": 100,
        "labels": {"mlplatform.io/gpu-pool": "inference"},
    }
    e = cost(AWS_EKS_NODE_GROUP, props, usage=UsageAssumptions(gpu_node_hours={"inference": 100}))
    disk_hour = 100 * 0.08 / 730
    spot_hour = 1.006 * (1 - 0.67) + disk_hour
    assert e.idle == 0
    assert e.expected == pytest.approx(100 * spot_hour)
    assert e.peak == pytest.approx(2 * 730 * (1.006 * (1 - 0.67) + disk_hour))
    assert e.gpu.expected_on_demand == pytest.approx(100 * (1.006 + disk_hour))
    assert e.gpu.always_on_on_demand == pytest.approx(2 * 730 * (1.006 + disk_hour))


def test_gpu_node_group_minimum_runs_all_month():
    props = {
        "instanceTypes": ["g5.xlarge"],
        "capacityType": "ON_DEMAND",
        "scalingConfig": {"minSize": 1, "desiredSize": 1, "maxSize": 3},
        "diskSize": 100,
        "labels": {"mlplatform.io/gpu-pool": "inference"},
    }
    e = cost(AWS_EKS_NODE_GROUP, props, usage=UsageAssumptions(gpu_node_hours={"inference": 100}))
    node_month = 730 * (1.006 + 100 * 0.08 / 730)
    assert (e.idle, e.expected) == approx(node_month, node_month)  # 100 hours fit in the warm node's 730


def nodepool(name="inference", types=("g5.xlarge", "g5.2xlarge"), capacity=("spot",), limits=None, labels=None):
    spec = {
        "template": {
            "metadata": {"labels": {"mlplatform.io/gpu-pool": name, **(labels or {})}},
            "spec": {
                "nodeClassRef": {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": "gpu"},
                "requirements": [
                    {"key": "node.kubernetes.io/instance-type", "operator": "In", "values": list(types)},
                    {"key": "karpenter.sh/capacity-type", "operator": "In", "values": list(capacity)},
                ],
            },
        }
    }
    if limits is not None:
        spec["limits"] = limits
    return {"metadata": {"name": name}, "spec": spec}


NODE_CLASS = Resource(
    K8S_KARPENTER_EC2_NODE_CLASS,
    "gpu",
    {"metadata": {"name": "gpu"}, "spec": {"blockDeviceMappings": [{"ebs": {"volumeSize": "100Gi"}}]}},
)


def test_karpenter_nodepool_zero_idle_usage_expected_peak_at_its_limits():
    e = cost(
        K8S_KARPENTER_NODE_POOL,
        nodepool(limits={"nvidia.com/gpu": "4", "cpu": "32", "memory": "128Gi"}),
        usage=UsageAssumptions(gpu_node_hours={"inference": 40}),
        others=[NODE_CLASS],
    )
    disk_hour = 100 * 0.08 / 730
    assert e.idle == 0
    assert e.expected == pytest.approx(40 * (1.006 * 0.33 + disk_hour))  # the cheapest allowed spot type
    # Peak: the limits allow 4 x g5.xlarge (4 vCPU) or 4 x g5.2xlarge (8 vCPU); the dearer is priced.
    assert e.peak == pytest.approx(4 * 730 * (1.212 * 0.33 + disk_hour))
    assert not e.unbounded


def test_karpenter_nodepool_cpu_limit_binds_before_the_gpu_limit():
    e = cost(K8S_KARPENTER_NODE_POOL, nodepool(types=("g5.2xlarge",), limits={"nvidia.com/gpu": "8", "cpu": "16"}))
    assert e.peak == pytest.approx(2 * 730 * (1.212 * 0.33 + 20 * 0.08 / 730))  # 16 vCPU / 8 = 2 nodes


def test_karpenter_nodepool_without_limits_is_unbounded_not_a_number():
    e = cost(K8S_KARPENTER_NODE_POOL, nodepool(limits=None), others=[NODE_CLASS])
    assert e.unbounded and math.isinf(e.peak)
    assert "no limits" in e.explanation
    assert e.idle == 0 and e.expected > 0  # idle and expected still known


def test_karpenter_warm_nodes_are_the_idle_cost():
    warm = Resource(
        K8S_DEPLOYMENT,
        "warm",
        {
            "metadata": {"name": "warm-inference", "labels": {"mlplatform.io/warm-for": "inference"}},
            "spec": {"replicas": 1},
        },
    )
    e = cost(K8S_KARPENTER_NODE_POOL, nodepool(limits={"nvidia.com/gpu": "4"}), others=[NODE_CLASS, warm])
    node_hour = 1.006 * 0.33 + 100 * 0.08 / 730
    assert e.idle == pytest.approx(730 * node_hour)
    assert e.expected == pytest.approx(730 * node_hour)  # 40 default hours run on the warm node


def test_spot_with_fallback_pair_shares_the_hours():
    usage = UsageAssumptions(gpu_node_hours={"inference": 100}, on_demand_fallback_fraction=0.1)
    fallback = Resource(
        K8S_KARPENTER_NODE_POOL,
        "inference-on-demand",
        nodepool(
            name="inference",
            capacity=("on-demand",),
            limits={"nvidia.com/gpu": "4"},
            labels={"mlplatform.io/fallback-for": "inference"},
        ),
    )
    spot = cost(
        K8S_KARPENTER_NODE_POOL, nodepool(limits={"nvidia.com/gpu": "4"}), usage=usage, others=[NODE_CLASS, fallback]
    )
    od = cost(
        K8S_KARPENTER_NODE_POOL,
        fallback.props,
        usage=usage,
        others=[NODE_CLASS, Resource(K8S_KARPENTER_NODE_POOL, "inference", nodepool(limits={"nvidia.com/gpu": "4"}))],
        name="inference-on-demand",
    )
    disk_hour = 100 * 0.08 / 730
    assert spot.expected == pytest.approx(90 * (1.006 * 0.33 + disk_hour))
    assert od.expected == pytest.approx(10 * (1.006 + disk_hour))
    assert od.gpu.always_on_on_demand == 0  # the baseline counts the pool once, on the spot side


def test_auto_scaling_group_from_its_launch_template():
    lt = Resource(AWS_EC2_LAUNCH_TEMPLATE, "lt", {"instanceType": "t3.large"}, id="lt-9")
    e = cost(
        AWS_AUTOSCALING_GROUP,
        {"minSize": 1, "desiredCapacity": 2, "maxSize": 3, "launchTemplate": {"id": "lt-9"}},
        others=[lt],
    )
    assert figures(e) == approx(730 * 0.0832, 2 * 730 * 0.0832, 3 * 730 * 0.0832)


# --- AWS: data and serving --------------------------------------------------------------------------------------


def test_rds_class_storage_and_multi_az():
    props = {"instanceClass": "db.t4g.micro", "allocatedStorage": 20, "maxAllocatedStorage": 100}
    single = cost(AWS_RDS_INSTANCE, props)
    assert figures(single) == approx(730 * 0.016 + 20 * 0.115, 730 * 0.016 + 20 * 0.115, 730 * 0.016 + 100 * 0.115)
    multi = cost(AWS_RDS_INSTANCE, {**props, "instanceClass": "db.m7g.large", "multiAz": True})
    assert multi.idle == pytest.approx(2 * (730 * 0.168 + 20 * 0.115))


def test_elasticache_nodes():
    e = cost(AWS_ELASTICACHE_REPLICATION_GROUP, {"nodeType": "cache.t4g.micro", "numCacheClusters": 2})
    assert e.idle == pytest.approx(2 * 730 * 0.016)


def test_dynamodb_on_demand_is_storage_idle_and_requests_expected():
    usage = UsageAssumptions(dynamodb_gb=10, dynamodb_reads_per_month=4_000_000, dynamodb_writes_per_month=2_000_000)
    e = cost(
        AWS_DYNAMODB_TABLE,
        {"billingMode": "PAY_PER_REQUEST", "pointInTimeRecovery": {"enabled": True}},
        usage=usage,
    )
    storage = 10 * 0.25 + 10 * 0.20
    assert e.idle == pytest.approx(storage)
    assert e.expected == pytest.approx(storage + 4 * 0.125 + 2 * 0.625)
    provisioned = cost(AWS_DYNAMODB_TABLE, {"billingMode": "PROVISIONED"})
    assert not provisioned.known


def test_s3_storage_from_usage_by_bucket_suffix():
    usage = UsageAssumptions(s3_gb={"raw": 1000}, s3_requests_per_month=500_000)
    e = cost(AWS_S3_BUCKET_V2, {}, usage=usage, name="ml-lake-raw")
    assert e.idle == pytest.approx(1000 * 0.023)
    assert e.expected == pytest.approx(1000 * 0.023 + 100_000 / 1000 * 0.005 + 400_000 / 1000 * 0.0004)
    other = cost(AWS_S3_BUCKET_V2, {}, usage=usage, name="ml-lake-models")
    assert other.idle == pytest.approx(10 * 0.023)  # default_s3_gb


def test_sagemaker_serverless_costs_nothing_idle():
    config = {
        "name": "ranker-cfg",
        "productionVariants": [
            {"variantName": "current", "serverlessConfig": {"memorySizeInMb": 2048, "maxConcurrency": 5}}
        ],
    }
    endpoint = Resource(AWS_SAGEMAKER_ENDPOINT, "ep", {"name": "ranker", "endpointConfigName": "ranker-cfg"})
    usage = UsageAssumptions(endpoint_requests={"ranker": 1_000_000}, endpoint_duration_ms=200, endpoint_payload_kb=8)
    e = cost(AWS_SAGEMAKER_ENDPOINT_CONFIGURATION, config, usage=usage, others=[endpoint])
    compute = 1_000_000 * 0.2 * 2 * 0.00002  # requests x seconds x GB x $/GB-s = $8.00
    data = 1_000_000 * 8 / 1024**2 * 0.016
    assert e.idle == 0
    assert e.expected == pytest.approx(compute + data)
    assert e.peak == pytest.approx(5 * 2 * 730 * 3600 * 0.00002)  # 5 concurrent all month: $525.60


def test_sagemaker_realtime_variants_follow_autoscaling():
    config = {
        "name": "cfg",
        "productionVariants": [
            {"variantName": "current", "instanceType": "ml.g5.xlarge", "initialInstanceCount": 2},
            {"variantName": "candidate", "instanceType": "ml.g5.xlarge", "initialInstanceCount": 1},
        ],
    }
    endpoint = Resource(AWS_SAGEMAKER_ENDPOINT, "ep", {"name": "ranker", "endpointConfigName": "cfg"})
    target = Resource(
        AWS_APPAUTOSCALING_TARGET,
        "t",
        {"resourceId": "endpoint/ranker/variant/current", "minCapacity": 1, "maxCapacity": 6},
    )
    e = cost(AWS_SAGEMAKER_ENDPOINT_CONFIGURATION, config, others=[endpoint, target])
    hour = 1.408
    assert e.idle == pytest.approx((1 + 1) * 730 * hour)
    assert e.expected == pytest.approx((2 + 1) * 730 * hour)
    assert e.peak == pytest.approx((6 + 1) * 730 * hour)


def test_cloudwatch_kms_secrets_athena():
    assert cost(AWS_CLOUDWATCH_DASHBOARD, {}).idle == 3.00
    assert cost(AWS_CLOUDWATCH_METRIC_ALARM, {"period": 300}).idle == pytest.approx(0.10)
    assert cost(AWS_CLOUDWATCH_METRIC_ALARM, {"period": 10}).idle == pytest.approx(0.30)
    logs = cost(
        AWS_CLOUDWATCH_LOG_GROUP,
        {"retentionInDays": 30},
        usage=UsageAssumptions(idle_log_gb=1, log_gb=10),
    )
    assert figures(logs) == approx(1 * 0.50 + 1 * 0.03, 10 * 0.50 + 10 * 0.03, 10 * 0.50 + 10 * 0.03)
    kms = cost(AWS_KMS_KEY, {}, usage=UsageAssumptions(kms_requests_per_month=100_000))
    assert (kms.idle, kms.expected) == approx(1.00, 1.00 + 10 * 0.03)
    assert cost(AWS_SECRETSMANAGER_SECRET, {}).idle == pytest.approx(0.40)
    athena = cost(AWS_ATHENA_WORKGROUP, {}, usage=UsageAssumptions(athena_tb_scanned=2))
    assert (athena.idle, athena.expected) == approx(0, 2 * 5.00)


def test_container_insights_per_node():
    system = Resource(AWS_EKS_NODE_GROUP, "system", {"scalingConfig": {"minSize": 3, "maxSize": 6}})
    e = cost(AWS_EKS_ADDON, {"addonName": "amazon-cloudwatch-observability"}, others=[system])
    assert e.idle == pytest.approx(3 * 3.00)
    assert cost(AWS_EKS_ADDON, {"addonName": "vpc-cni"}).free


def test_load_balancers_explicit_and_from_kubernetes():
    alb = cost(AWS_LB_LOAD_BALANCER, {"loadBalancerType": "application", "subnets": ["a", "b"]})
    assert alb.idle == pytest.approx(730 * (0.0225 + 2 * 0.005))  # the ALB and its two public addresses
    assert alb.expected == pytest.approx(alb.idle + 730 * 0.008)  # one LCU
    internal_nlb = cost(AWS_LB_LOAD_BALANCER, {"loadBalancerType": "network", "internal": True})
    assert internal_nlb.idle == pytest.approx(730 * 0.0225)
    svc = {"spec": {"type": "LoadBalancer"}, "metadata": {"annotations": {}}}
    assert cost(K8S_SERVICE, svc).idle == pytest.approx(730 * 0.025)  # in-tree: Classic
    assert cost(K8S_SERVICE, {"spec": {"type": "ClusterIP"}}).free
    assert cost(K8S_SERVICE, svc, region="us-central1").idle == pytest.approx(730 * 0.025)
    ingress = {
        "spec": {"ingressClassName": "alb"},
        "metadata": {"annotations": {"alb.ingress.kubernetes.io/group.name": "g"}},
    }
    first = Resource(K8S_INGRESS, "first", ingress, urn="urn:first")
    shared = cost(K8S_INGRESS, ingress, others=[], name="second")
    assert shared.idle == pytest.approx(730 * 0.0225)  # alone in its group: it pays for the ALB
    ctx = CostContext(region="us-east-1")
    second = Resource(K8S_INGRESS, "second", ingress, urn="urn:second")
    results = dict((r.name, e) for r, e in estimate_all([first, second], ctx))
    assert results["first"].idle == pytest.approx(730 * 0.0225) and results["second"].free
    assert cost(K8S_INGRESS, {"spec": {"ingressClassName": "nginx"}}).free


# --- GCP ------------------------------------------------------------------------------------------------------------


def test_gke_cluster_and_gpu_node_pool():
    assert cost(GCP_CONTAINER_CLUSTER, {}, region="us-central1").idle == pytest.approx(730 * 0.10)
    pool = {
        "autoscaling": {"totalMinNodeCount": 0, "totalMaxNodeCount": 3},
        "nodeConfig": {
            "machineType": "n1-standard-4",
            "spot": True,
            "diskSizeGb": 100,
            "guestAccelerators": [{"type": "nvidia-tesla-t4", "count": 1}],
            "labels": {"mlplatform.io/gpu-pool": "train"},
        },
    }
    e = cost(
        GCP_CONTAINER_NODE_POOL,
        pool,
        region="us-central1",
        usage=UsageAssumptions(gpu_node_hours={"train": 50}),
    )
    node_hour = 0.04 + 0.14 + 100 * 0.10 / 730  # spot n1-standard-4 + spot T4 + 100 GB balanced disk
    assert figures(e) == approx(0, 50 * node_hour, 3 * 730 * node_hour)
    assert e.gpu.expected_on_demand == pytest.approx(50 * (0.189999 + 0.35 + 100 * 0.10 / 730))


def test_gce_instance_cloud_sql_gcs_cloud_run():
    vm = cost(
        GCP_COMPUTE_INSTANCE,
        {"machineType": "e2-medium", "bootDisk": {"initializeParams": {"size": 10}}},
        region="us-central1",
    )
    assert vm.idle == pytest.approx(730 * (0.033503 + 10 * 0.10 / 730))
    sql = cost(
        GCP_SQL_DATABASE_INSTANCE,
        {"settings": {"tier": "db-custom-1-3840", "diskSize": 10}},
        region="us-central1",
    )
    assert sql.idle == pytest.approx(730 * (1 * 0.0413 + 3.75 * 0.007) + 10 * 0.17)
    gcs = cost(GCP_STORAGE_BUCKET, {}, region="us-central1", usage=UsageAssumptions(default_s3_gb=500))
    assert gcs.idle == pytest.approx(500 * 0.020)
    run = cost(
        GCP_CLOUDRUNV2_SERVICE,
        {
            "template": {
                "scaling": {"minInstanceCount": 0, "maxInstanceCount": 2},
                "containers": [{"resources": {"limits": {"cpu": "1", "memory": "512Mi"}}}],
            }
        },
        region="us-central1",
        usage=UsageAssumptions(default_endpoint_requests=1_000_000, endpoint_duration_ms=100),
    )
    per_second = 1 * 0.000018 + 0.5 * 0.000002
    assert run.idle == 0
    assert run.expected == pytest.approx(1_000_000 * 0.1 * per_second + 1 * 0.40)
    assert run.peak == pytest.approx(2 * 730 * 3600 * per_second)


# --- free, unknown ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "type_",
    [
        AWS_IAM_ROLE,
        AWS_EC2_SECURITY_GROUP,
        AWS_EC2_SUBNET,
        AWS_S3_BUCKET_VERSIONING,
        AWS_SAGEMAKER_ENDPOINT,
        "kubernetes:core/v1:Namespace",
        RANDOM_PASSWORD,
    ],
)
def test_known_free_types(type_):
    e = estimate(Resource(type_, "r", {}), CostContext(region="us-east-1"))
    assert e.known and e.free


def test_an_unknown_type_is_not_estimated_never_zero():
    e = estimate(Resource("aws:redshift/cluster:Cluster", "r", {}), CostContext(region="us-east-1"))
    assert e is NOT_ESTIMATED and not e.known
    interface = Resource(AWS_EC2_VPC_ENDPOINT, "r", {"vpcEndpointType": "Interface"})
    assert not estimate(interface, CostContext(region="us-east-1")).known
    gateway = Resource(AWS_EC2_VPC_ENDPOINT, "r", {"vpcEndpointType": "Gateway"})
    assert estimate(gateway, CostContext(region="us-east-1")).free


def test_an_instance_type_the_catalog_lacks_is_not_estimated():
    e = cost(AWS_EC2_INSTANCE, {"instanceType": "x2iedn.32xlarge"})
    assert not e.known and "x2iedn.32xlarge" in e.explanation


def test_every_priced_type_has_one_estimator_listed_by_its_module():
    tables = [aws.ESTIMATORS, gcp.ESTIMATORS, kubernetes.ESTIMATORS, workloads.ESTIMATORS]
    assert sum(len(t) for t in tables) == len(ESTIMATORS)  # no type in two modules' tables
    assert not set(ESTIMATORS) & FREE_TYPES  # a priced type is never also listed free
