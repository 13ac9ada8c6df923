"""One owner per default: a component built directly, with a setting left unset, gets the value a stack of the same
cloud and environment resolves for it (both ask components.config.defaults)."""

from __future__ import annotations

from typing import Any

import pulumi_kubernetes as k8s
import pytest
import yaml

from components import aws, gcp
from components.aws.monitoring import MonitoredCluster
from components.config import PlatformSpec, parse_platform_spec
from mlplatform import engine
from mlplatform.plan import Plan

ENVIRONMENTS = ["dev", "staging", "prod"]
EGRESS = ["203.0.113.0/24"]  # the deployer's: prod allows no API endpoint open to everyone
TAGS = {"team": "ml", "project": "defaults", "cost_center": "cc-1"}
AWS_NETWORK = {
    "vpc_id": "vpc-0123456789abcdef0",
    "private_subnet_ids": ["subnet-0aaaaaaaaaaaaaaaa", "subnet-0bbbbbbbbbbbbbbbb"],
}
GCP_ZONES = ["us-central1-a"]
RELEASE = "kubernetes:helm.sh/v3:Release"


def stack(cloud: str, environment: str, **sections: Any) -> PlatformSpec:
    """A minimal stack of ``cloud`` and ``environment`` with ``sections``, validated and resolved."""
    doc: dict[str, Any] = {
        "cloud": cloud,
        "environment": environment,
        "tags": TAGS,
        "budget": {"monthly_limit_usd": 500},
        "cluster": {"gpu_pools": [{"name": "inference", "gpu": "L4", "max_nodes": 4}]},
    }
    if cloud == "aws":
        doc["region"] = "us-east-1"
    else:
        doc.update(region="us-central1", gcp_project="ml-test-1234", gcp_billing_account="01A2B3-C4D5E6-F7A8B9")
        doc["cluster"]["zones"] = GCP_ZONES
    if environment == "prod":
        doc["cluster"]["public_access_cidrs"] = EGRESS
    return parse_platform_spec({**doc, **sections})


def cluster_args(environment: str, **fields: Any) -> dict[str, Any]:
    """The cluster section of a component built directly: nothing set but what prod requires."""
    return {"public_access_cidrs": EGRESS, **fields} if environment == "prod" else fields


def prometheus_retention(plan: Plan) -> str:
    release = next(r for r in plan.by_type(RELEASE) if r.input("name") == "kube-prometheus-stack")
    return release.input("values.prometheus.prometheusSpec.retention")


# --- cluster -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_eks_system_nodes_and_version_are_the_stacks(environment):
    # GIVEN a GpuCluster built directly, its system nodes and version left unset
    def program():
        aws.GpuCluster(
            "gpu",
            aws.GpuClusterArgs(
                region="us-east-1", network=AWS_NETWORK, environment=environment, cluster=cluster_args(environment)
            ),
        )

    plan = engine.run(program)
    # THEN they are what a stack of the same environment resolves
    resolved = stack("aws", environment).cluster
    system = plan.one("aws:eks/nodeGroup:NodeGroup")
    assert system.input("capacityType") == str(resolved.system_nodes.capacity).upper().replace("-", "_")
    assert system.input("instanceTypes") == resolved.system_nodes.instance_types
    assert plan.one("aws:eks/cluster:Cluster").input("version") == resolved.kubernetes_version


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_gke_system_nodes_and_version_are_the_stacks(environment):
    def program():
        gcp.GpuCluster(
            "gpu",
            gcp.GpuClusterArgs(
                project="ml-test-1234",
                region="us-central1",
                network=gcp.GkeNetwork(network="n", subnetwork="s"),
                environment=environment,
                cluster=cluster_args(environment, zones=GCP_ZONES),
            ),
        )

    plan = engine.run(program)
    resolved = stack("gcp", environment).cluster
    system = plan.one("gcp:container/nodePool:NodePool", "gpu-system")
    assert system.input("nodeConfig.machineType") == resolved.system_nodes.instance_types[0]
    assert system.input("nodeConfig.spot") is (str(resolved.system_nodes.capacity) == "spot")
    assert plan.one("gcp:container/cluster:Cluster").input("minMasterVersion") == resolved.kubernetes_version


# --- network -------------------------------------------------------------------------------------------------


def test_cloud_nat_is_the_stacks():
    assert gcp.NetworkArgs(project="ml-test-1234", region="us-central1").nat is stack("gcp", "dev").network.nat


# --- feature store -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("cloud", ["aws", "gcp"])
def test_online_store_is_the_stacks(cloud):
    def program():
        if cloud == "aws":
            lake = aws.DataLake("lake", aws.DataLakeArgs(region="us-east-1"))
            aws.FeatureStore("features", aws.FeatureStoreArgs(region="us-east-1", lake=lake))
        else:
            lake = gcp.DataLake("lake", gcp.DataLakeArgs(project="ml-test-1234", region="us-central1"))
            gcp.FeatureStore("features", gcp.FeatureStoreArgs(project="ml-test-1234", region="us-central1", lake=lake))

    plan = engine.run(program)
    feast = yaml.safe_load(str(plan.one(f"mlplatform:{cloud}:FeatureStore").outputs["feature_store_yaml"]))
    # Feast reaches Firestore through its Datastore API
    store = {"dynamodb": "dynamodb", "firestore": "datastore"}[str(stack(cloud, "dev").feature_store.online_store)]
    assert feast["online_store"]["type"] == store


# --- monitoring ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_prometheus_retention_is_the_stacks(environment):
    def program():
        aws.Monitoring(
            "monitoring",
            aws.MonitoringArgs(
                region="us-east-1",
                environment=environment,
                budget={"monthly_limit_usd": 100},
                cluster=MonitoredCluster(cluster_name="c", provider=k8s.Provider("eks")),
            ),
        )
        gcp.Monitoring(
            "gke-monitoring",
            gcp.MonitoringArgs(
                project="ml-test-1234",
                billing_account="01A2B3-C4D5E6-F7A8B9",
                environment=environment,
                budget={"monthly_limit_usd": 100},
                cluster=gcp.MonitoredGkeCluster(cluster_name="c", provider=k8s.Provider("gke")),
            ),
        )

    plan = engine.run(program)
    days = stack("aws", environment).monitoring.prometheus_retention_days
    assert days == stack("gcp", environment).monitoring.prometheus_retention_days
    releases = [r for r in plan.by_type(RELEASE) if r.input("name") == "kube-prometheus-stack"]
    assert [r.input("values.prometheus.prometheusSpec.retention") for r in releases] == [f"{days}d"] * 2
