"""GCP Network and GKE GpuCluster on the Plan: ranges, NAT, private cluster, GPU node pools from the catalog."""

from __future__ import annotations

import pytest

from mlplatform import engine
from mlplatform.components.base.errors import ConfigError
from mlplatform.components.base.types import (
    GCP_COMPUTE_GLOBAL_ADDRESS,
    GCP_COMPUTE_NETWORK,
    GCP_COMPUTE_ROUTER_NAT,
    GCP_COMPUTE_SUBNETWORK,
    GCP_CONTAINER_CLUSTER,
    GCP_CONTAINER_NODE_POOL,
    GCP_PROJECTS_IAM_MEMBER,
    GCP_SERVICEACCOUNT_ACCOUNT,
    GCP_SERVICENETWORKING_CONNECTION,
    K8S_CLUSTER_ROLE_BINDING,
)
from mlplatform.components.config import parse_platform_spec
from mlplatform.components.gcp import GkeNetwork, GpuCluster, GpuClusterArgs, Network, NetworkArgs
from mlplatform.components.gcp.network import gke_ranges
from tests.fixtures import changed, gcp_config, gcp_dev, gcp_dev_config, gcp_prod, plan_platform


def test_ranges_split_one_cidr_for_nodes_services_and_pods():
    assert gke_ranges("10.50.0.0/16") == ("10.50.0.0/20", "10.50.16.0/20", "10.50.128.0/17")
    assert gke_ranges("10.0.0.0/20") == ("10.0.0.0/24", "10.0.1.0/24", "10.0.8.0/21")


def test_network_has_private_google_access_nat_and_private_services():
    plan = gcp_dev()
    net = plan.one(GCP_COMPUTE_NETWORK)
    assert net.input("autoCreateSubnetworks") is False
    subnet = plan.one(GCP_COMPUTE_SUBNETWORK)
    assert subnet.input("privateIpGoogleAccess") is True
    assert subnet.input("ipCidrRange") == "10.50.0.0/20"
    assert {r["rangeName"]: r["ipCidrRange"] for r in subnet.input("secondaryIpRanges")} == {
        "pods": "10.50.128.0/17",
        "services": "10.50.16.0/20",
    }
    nat = plan.one(GCP_COMPUTE_ROUTER_NAT)
    assert nat.input("sourceSubnetworkIpRangesToNat") == "ALL_SUBNETWORKS_ALL_IP_RANGES"
    peering = plan.one(GCP_COMPUTE_GLOBAL_ADDRESS)
    assert peering.input("purpose") == "VPC_PEERING"
    assert plan.one(GCP_SERVICENETWORKING_CONNECTION).input("reservedPeeringRanges") == [peering.output("name")]


def test_existing_network_creates_nothing_and_bad_nat_is_rejected():
    def program():
        Network(
            "net",
            NetworkArgs(
                project="ml-dev-123",
                region="us-central1",
                existing={
                    "network": "shared",
                    "subnetwork": "ml",
                    "pods_range_name": "gke-pods",
                    "services_range_name": "gke-svc",
                },
            ),
        )

    plan = engine.run(program)
    assert [r.type for r in plan.custom_resources()] == []
    with pytest.raises(ConfigError, match=r"args\.nat: not available on gcp; allowed: single \(Cloud NAT\), none"):
        NetworkArgs(project="ml-dev-123", region="us-central1", nat="per-az")


def test_dev_cluster_is_zonal_private_with_workload_identity():
    plan = gcp_dev()
    cluster = plan.one(GCP_CONTAINER_CLUSTER)
    assert cluster.input("location") == "us-central1-a"  # cluster.zones[0]
    gpu = [p for p in plan.by_type(GCP_CONTAINER_NODE_POOL) if p.input("nodeConfig.guestAccelerators")]
    assert gpu and all(p.input("nodeLocations") == ["us-central1-a", "us-central1-b", "us-central1-c"] for p in gpu)
    assert cluster.input("privateClusterConfig.enablePrivateNodes") is True
    assert cluster.input("privateClusterConfig.enablePrivateEndpoint") is False
    assert cluster.input("workloadIdentityConfig.workloadPool") == "ml-platform-dev-4521.svc.id.goog"
    assert cluster.input("releaseChannel.channel") == "REGULAR"
    assert cluster.input("clusterAutoscaling.autoscalingProfile") == "OPTIMIZE_UTILIZATION"
    assert cluster.input("removeDefaultNodePool") is True
    assert cluster.input("deletionProtection") is False
    assert cluster.input("minMasterVersion") == "1.33"
    assert cluster.input("resourceLabels")["cost-center"] == "cc-4521"
    assert cluster.options["protect"] is False


def test_prod_cluster_is_regional_reachable_only_from_authorised_networks_and_protected():
    plan = gcp_prod()
    cluster = plan.one(GCP_CONTAINER_CLUSTER)
    assert cluster.input("location") == "us-central1"
    # The deploy creates in-cluster resources through the endpoint: public, limited to the deployer's CIDRs.
    assert cluster.input("privateClusterConfig.enablePrivateEndpoint") is False
    blocks = cluster.input("masterAuthorizedNetworksConfig.cidrBlocks")
    assert [b["cidrBlock"] for b in blocks] == ["203.0.113.0/24"]
    assert cluster.input("deletionProtection") is True and cluster.options["protect"] is True
    assert cluster.input("releaseChannel.channel") == "STABLE"
    assert cluster.input("clusterAutoscaling.autoscalingProfile") == "BALANCED"


def pools(plan):
    return {r.name.removeprefix("mlplatform-cluster-"): r for r in plan.by_type(GCP_CONTAINER_NODE_POOL)}


def test_gpu_pools_resolve_machine_and_accelerator_and_scale_from_zero_on_spot():
    by_name = pools(gcp_dev())
    assert set(by_name) == {"system", "inference", "experiments"}
    inference, experiments = by_name["inference"], by_name["experiments"]
    # L4 comes bundled on G2 machines; T4 attaches to N1: both cheapest shapes from the catalog.
    assert inference.input("nodeConfig.machineType") == "g2-standard-4"
    assert inference.input("nodeConfig.guestAccelerators")[0]["type"] == "nvidia-l4"
    assert experiments.input("nodeConfig.machineType") == "n1-standard-4"
    assert experiments.input("nodeConfig.guestAccelerators")[0]["type"] == "nvidia-tesla-t4"
    for pool in (inference, experiments):
        acc = pool.input("nodeConfig.guestAccelerators")[0]
        assert acc["count"] == 1 and acc["gpuDriverInstallationConfig"]["gpuDriverVersion"] == "LATEST"
        assert pool.input("nodeConfig.spot") is True
        assert pool.input("autoscaling") == {
            "totalMinNodeCount": 0,
            "totalMaxNodeCount": pool.input("autoscaling.totalMaxNodeCount"),
            "locationPolicy": "ANY",
        }
        assert {"key": "nvidia.com/gpu", "value": "present", "effect": "NO_SCHEDULE"} in pool.input("nodeConfig.taints")
        assert pool.input("nodeConfig.workloadMetadataConfig.mode") == "GKE_METADATA"
        assert pool.input("nodeConfig.resourceLabels")["team"] == "ml-platform"
    assert inference.input("nodeConfig.labels") == {"mlplatform.io/gpu-pool": "inference", "mlplatform.io/gpu": "L4"}
    assert inference.input("autoscaling.totalMaxNodeCount") == 4
    system = by_name["system"]
    assert system.input("nodeConfig.labels") == {"mlplatform.io/node-role": "system"}
    assert system.input("autoscaling.totalMinNodeCount") == 1


def test_spot_with_fallback_adds_an_on_demand_pool_from_zero():
    by_name = pools(gcp_prod())
    spot, fallback = by_name["inference"], by_name["inference-on-demand"]
    assert spot.input("nodeConfig.spot") is True and spot.input("autoscaling.totalMinNodeCount") == 1
    assert fallback.input("nodeConfig.spot") is False and fallback.input("autoscaling.totalMinNodeCount") == 0
    assert fallback.input("nodeConfig.labels")["mlplatform.io/fallback-for"] == "inference"


def test_nodes_run_as_a_least_privilege_service_account():
    plan = gcp_dev()
    account = plan.one(GCP_SERVICEACCOUNT_ACCOUNT, "mlplatform-cluster-nodes")
    roles = {
        r.input("role") for r in plan.by_type(GCP_PROJECTS_IAM_MEMBER) if r.input("member") == account.output("member")
    }
    assert roles == {
        "roles/logging.logWriter",
        "roles/monitoring.metricWriter",
        "roles/monitoring.viewer",
        "roles/stackdriver.resourceMetadata.writer",
        "roles/autoscaling.metricsWriter",
        "roles/artifactregistry.reader",
    }
    for pool in plan.by_type(GCP_CONTAINER_NODE_POOL):
        assert pool.input("nodeConfig.serviceAccount") == account.output("email")


def test_admins_get_cluster_admin_through_rbac_not_project_admin():
    plan = gcp_dev()
    binding = plan.one(K8S_CLUSTER_ROLE_BINDING)
    assert binding.input("roleRef.name") == "cluster-admin"
    assert binding.input("subjects") == [
        {"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "ml-platform-admins@example.com"}
    ]
    grants = [r for r in plan.by_type(GCP_PROJECTS_IAM_MEMBER) if r.input("member").startswith("group:")]
    assert [g.input("role") for g in grants] == ["roles/container.clusterViewer"]


def test_kubeconfig_uses_the_gke_auth_plugin_and_is_secret():
    import json

    from mlplatform.plan import Secret, reveal

    plan = gcp_dev()
    assert isinstance(plan.outputs["kubeconfig"], Secret)
    config = json.loads(reveal(plan.outputs["kubeconfig"]))
    assert config["users"][0]["user"]["exec"]["command"] == "gke-gcloud-auth-plugin"
    assert config["clusters"][0]["cluster"]["server"].startswith("https://")


@pytest.mark.parametrize(
    "pool,path,fragment",
    [
        (
            {"name": "big", "gpu": "H200", "max_nodes": 1},
            "args.cluster.gpu_pools[0].gpu",
            "not offered in gcp us-central1",
        ),
        (
            {"name": "t4", "gpu": "T4", "gpus_per_node": 3, "max_nodes": 1},
            "args.cluster.gpu_pools[0].gpus_per_node",
            "allowed: 1, 2, 4",
        ),
        (
            {"name": "l4", "gpu": "L4", "max_nodes": 1, "instance_types": ["n1-standard-4"]},
            "args.cluster.gpu_pools[0].instance_types[0]",
            "allowed: g2-standard",
        ),
    ],
)
def test_raises_when_a_gpu_pool_is_impossible_on_gcp(pool, path, fragment):
    with pytest.raises(ConfigError) as info:
        GpuClusterArgs(
            project="ml-dev-123",
            region="us-central1",
            network=GkeNetwork(network="n", subnetwork="s"),
            cluster={"gpu_pools": [pool]},
        )
    assert path in info.value.paths() and fragment in str(info.value)


def test_standalone_cluster_component():
    def program():
        GpuCluster(
            "solo",
            GpuClusterArgs(
                project="ml-dev-123",
                region="europe-west4",
                network=GkeNetwork(
                    network="projects/p/global/networks/n", subnetwork="projects/p/regions/europe-west4/subnetworks/s"
                ),
                cluster={
                    "gpu_pools": [{"name": "train", "gpu": "A100", "capacity": "on-demand", "max_nodes": 2}],
                    "zones": ["europe-west4-b"],
                },
                labels={"team": "ml"},
            ),
        )

    plan = engine.run(program)
    pool = plan.one(GCP_CONTAINER_NODE_POOL, "solo-train")
    assert pool.input("nodeConfig.machineType").startswith("a2-")
    assert pool.input("nodeConfig.spot") is False
    # the zone the user says offers the GPU, not a guessed <region>-a
    assert plan.one(GCP_CONTAINER_CLUSTER).input("location") == "europe-west4-b"
    assert pool.input("nodeLocations") == ["europe-west4-b"]


def test_raises_when_gpu_pools_on_gke_name_no_zones():
    with pytest.raises(ConfigError, match=r"cluster\.zones: required on gcp with GPU pools"):
        plan_platform(changed(gcp_dev_config(), lambda doc: doc["cluster"].pop("zones")))
    with pytest.raises(ConfigError, match=r"cluster\.zones\[0\]: must be a zone of the stack's region us-central1"):
        plan_platform(changed(gcp_dev_config(), lambda doc: doc["cluster"].update(zones=["europe-west4-a"])))


def test_a_zonal_cluster_needs_a_zone_from_the_stack_file_and_from_component_args_alike():
    # GIVEN no zones and no GPU pools: a zonal control plane (the default outside prod) still needs its zone
    message = "cluster.zones: required for a zonal cluster (the default outside prod): its control plane's zone"
    # WHEN a stack file says so THEN the stack spec reports it at its key path, before anything is registered
    with pytest.raises(ConfigError) as stack:
        parse_platform_spec(gcp_config("dev"), "stacks/Pulumi.dev.yaml")
    assert stack.value.paths() == ["mlplatform:platform.cluster.zones"] and message in str(stack.value)
    # WHEN a library user builds the args so THEN the same rule reports it at the args' key path
    args = {"project": "ml-dev-123", "region": "us-central1", "network": GkeNetwork(network="n", subnetwork="s")}
    with pytest.raises(ConfigError) as library:
        GpuClusterArgs(**args)
    assert library.value.paths() == ["args.cluster.zones"] and message in str(library.value)
    # a regional control plane (prod's default, or zonal: false) needs none
    assert parse_platform_spec(gcp_config("prod")).cluster.zones == []
    assert GpuClusterArgs(**args, zonal=False).cluster.zones == []


def test_a_stack_cluster_given_to_the_component_is_not_validated_again():
    # GIVEN the cluster section of a validated GCP stack
    spec = parse_platform_spec(gcp_dev_config())
    # WHEN the composition hands it to the component's args for the same project region
    args = GpuClusterArgs(
        project="ml-dev-123", region=spec.region, network=GkeNetwork(network="n", subnetwork="s"), cluster=spec.cluster
    )
    # THEN the args hold the section itself: its pools were checked against the catalog once, by the stack spec
    assert args.cluster is spec.cluster
    assert args.cluster.gpu_pools[0] is spec.cluster.gpu_pools[0]


def test_raises_when_gke_args_carry_aws_only_settings_before_anything_is_registered():
    cluster = {
        "kms_key_arn": "arn:aws:kms:us-east-1:123456789012:key/0b7c1a2e-3d4f-4a5b-9c6d-7e8f9a0b1c2d",
        "provisioner": "managed-node-groups",
        "zones": ["us-east1-b"],
    }
    args = {"project": "ml-dev-123", "region": "us-central1", "network": {"network": "n", "subnetwork": "s"}}
    with pytest.raises(ConfigError) as info:
        engine.run(lambda: GpuCluster("gke", {**args, "cluster": cluster}))
    assert info.value.paths() == ["args.cluster.kms_key_arn", "args.cluster.zones[0]", "args.cluster.provisioner"]
    message = str(info.value)
    assert "args.cluster.kms_key_arn: an AWS KMS key is not valid on gcp" in message
    assert "args.cluster.zones[0]: must be a zone of the stack's region us-central1 (got 'us-east1-b')" in message
    assert "args.cluster.provisioner: AWS only; GKE scales node pools with its own autoscaler" in message
