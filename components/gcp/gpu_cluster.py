"""GpuCluster (GCP): a private GKE cluster with a small system node pool and one autoscaled node pool per GPU
pool, spot by default and scaling from zero.

- the cluster: zonal outside production (one control plane in ``cluster.zones[0]``, no regional fee for
  replicas), regional in production; a release channel; Workload Identity; private nodes (egress through
  Cloud NAT), the API endpoint public with authorised networks (required in prod) or private with deploy_from_network;
  VPC-native ranges from the Network;
  Dataplane V2; shielded nodes; GKE cost allocation on; an autoscaling profile that removes idle nodes
  quickly (optimize-utilization) outside production;
- nodes run as a dedicated service account with only the logging, monitoring and registry roles nodes need,
  and the GKE metadata server hides it from pods;
- GPU node pools: machine type and accelerator resolved from the catalog (cheapest shape carrying the pool's
  GPUs), spot VMs per ``capacity`` (an on-demand ``<pool>-on-demand`` pool, starting at zero, where spot may
  fall back), autoscaling from ``min_nodes`` to ``max_nodes`` across ``cluster.zones`` (the zones that offer
  the GPU) with location policy ANY (any of them with capacity, which is what spot GPUs need), the NVIDIA
  driver installed by GKE, taint ``nvidia.com/gpu=present:NoSchedule``, pool and GPU labels, cost labels on the VMs;
- cluster admins get the Kubernetes cluster-admin role through RBAC and ``container.clusterViewer`` on the
  project (to fetch credentials), not project-wide container admin.

Example::

    from mlplatform.components.gcp import GkeNetwork, GpuCluster, GpuClusterArgs

    cluster = GpuCluster("ml", GpuClusterArgs(
        project="ml-dev-123", region="us-central1",
        network=GkeNetwork(network=net.network_id, subnetwork=net.subnetwork_self_link,
                           pods_range_name="pods", services_range_name="services"),
        cluster={"gpu_pools": [{"name": "inference", "gpu": "L4", "max_nodes": 4}]},
    ))
"""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_gcp as gcp
import pulumi_kubernetes as k8s
from pydantic import Field, field_validator, model_validator

from ..base.cloud import Cloud
from ..base.errors import Problems, spec_error
from ..base.labels import FALLBACK_FOR_LABEL, GPU_MODEL_LABEL, GPU_TAINT_KEY, NODE_ROLE_LABEL, POOL_LABEL, SYSTEM_ROLE
from ..base.types import MLPLATFORM_GCP_GPU_CLUSTER
from ..base.values import Cidr, ComponentArgs, GcpLabels, StrictModel
from ..catalog import load_catalog
from ..config import defaults
from ..config.cluster import (
    Capacity,
    ClusterSpec,
    GpuPoolSpec,
    SystemCapacity,
    check_cluster_for_cloud,
    check_endpoint_access,
    endpoint_access,
)
from ..config.environment import Environment
from ..interfaces import StrInput
from . import iam

STORAGE_CLASS = "standard-rwo"  # GKE's default: pd-balanced, encrypted, WaitForFirstConsumer
NODE_ROLES = [
    "roles/logging.logWriter",
    "roles/monitoring.metricWriter",
    "roles/monitoring.viewer",
    "roles/stackdriver.resourceMetadata.writer",
    "roles/autoscaling.metricsWriter",
    "roles/artifactregistry.reader",
]
_TAINT_EFFECTS = {"NoSchedule": "NO_SCHEDULE", "PreferNoSchedule": "PREFER_NO_SCHEDULE", "NoExecute": "NO_EXECUTE"}


class GkeNetwork(StrictModel):
    """Where the cluster's nodes, pods and services get their addresses (the Network component's outputs)."""

    model_config = {"arbitrary_types_allowed": True}

    network: StrInput
    """Network id or self link. Required."""
    subnetwork: StrInput
    """Subnetwork self link in the cluster's region. Required."""
    pods_range_name: str = "pods"
    """Secondary range for pods. Default: pods."""
    services_range_name: str = "services"
    """Secondary range for services. Default: services."""


class GpuClusterArgs(ComponentArgs):
    _context_cloud = Cloud.GCP

    project: str
    """GCP project id. Required."""
    region: str
    """Region; must be one the catalog prices (GPU machine types are resolved for it). Required."""
    network: GkeNetwork
    """Network, subnetwork and secondary ranges. Required."""
    environment: Environment = Environment.DEV
    """dev, staging or prod: prod makes the cluster regional with deletion protection and requires authorised networks.
    Default: dev."""
    cluster: ClusterSpec = ClusterSpec()
    """Version, endpoint access, admins, system nodes and GPU pools (the stack spec's ``cluster`` section).
    Default: see ClusterSpec."""
    cluster_name: str | None = Field(default=None, pattern=r"^[a-z]([-a-z0-9]{0,38}[a-z0-9])?$")
    """GKE cluster name. Default: ``<component name>-<stack>``."""
    zonal: bool | None = None
    """A zonal control plane (in ``cluster.zones[0]``) instead of a regional one. Default: zonal outside prod,
    regional in prod."""
    release_channel: str | None = Field(default=None, pattern=r"^(RAPID|REGULAR|STABLE|EXTENDED)$")
    """GKE release channel. Default: STABLE in prod, else REGULAR."""
    master_ipv4_cidr: Cidr = "172.16.0.0/28"
    """The control plane's private /28 (must not overlap the network). Default: 172.16.0.0/28."""
    gpu_node_disk_gb: int = Field(default=100, ge=20, le=65536)
    """Boot disk of GPU nodes (CUDA images and weights are large). Default: 100."""
    system_node_disk_gb: int = Field(default=50, ge=20, le=65536)
    """Boot disk of system nodes. Default: 50."""
    labels: GcpLabels = {}
    """Cost labels on the cluster and on every node VM. Default: none."""

    @property
    def is_zonal(self) -> bool:
        return self.zonal if self.zonal is not None else defaults.gke_zonal(self.environment)

    @model_validator(mode="after")
    def _placement_and_reachability(self) -> GpuClusterArgs:
        p = Problems()
        check_cluster_for_cloud(p, self.cluster, Cloud.GCP, self.region, self.is_zonal)
        check_endpoint_access(p, self.cluster, self.environment is Environment.PROD)
        p.raise_if_any()
        return self

    @field_validator("region")
    @classmethod
    def _known_region(cls, v: str) -> str:
        regions = load_catalog().regions("gcp")
        if v not in regions:
            raise spec_error(None, f"not a GCP region in the catalog; allowed: {', '.join(regions)}", v)
        return v


def kubeconfig_json(name: str, endpoint: str, ca_data: str) -> str:
    """A kubeconfig that authenticates with gke-gcloud-auth-plugin (no long-lived credentials in it)."""
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {"name": name, "cluster": {"server": f"https://{endpoint}", "certificate-authority-data": ca_data}}
            ],
            "contexts": [{"name": name, "context": {"cluster": name, "user": name}}],
            "current-context": name,
            "users": [
                {
                    "name": name,
                    "user": {
                        "exec": {
                            "apiVersion": "client.authentication.k8s.io/v1beta1",
                            "command": "gke-gcloud-auth-plugin",
                            "installHint": "gcloud components install gke-gcloud-auth-plugin",
                            "provideClusterInfo": True,
                        }
                    },
                }
            ],
        }
    )


def gpu_pool_plans(region: str, pools: list[GpuPoolSpec]) -> list[dict[str, Any]]:
    """One entry per GKE node pool: name, machine type, accelerator, spot, labels, taints, scaling."""
    plans = []
    for pool in pools:
        chosen = pool.node_shapes(Cloud.GCP, region)[0]  # a node pool has one machine type
        variants = {
            Capacity.SPOT: [(pool.name, True, pool.min_nodes)],
            Capacity.ON_DEMAND: [(pool.name, False, pool.min_nodes)],
            # The on-demand pool starts at zero: the autoscaler grows it only when spot capacity is short.
            Capacity.SPOT_WITH_ON_DEMAND_FALLBACK: [
                (pool.name, True, pool.min_nodes),
                (f"{pool.name}-on-demand", False, 0),
            ],
        }[pool.capacity]
        for node_pool, spot, minimum in variants:
            labels = {POOL_LABEL: pool.name, GPU_MODEL_LABEL: str(pool.gpu), **pool.labels}
            if node_pool != pool.name:
                labels[FALLBACK_FOR_LABEL] = pool.name
            taints = [{"key": GPU_TAINT_KEY, "value": "present", "effect": "NO_SCHEDULE"}] + [
                {"key": t.key, "value": t.value, "effect": _TAINT_EFFECTS[str(t.effect)]} for t in pool.taints
            ]
            plans.append(
                {
                    "name": node_pool,
                    "pool": pool,
                    "machine_type": chosen.machine_type,
                    "accelerator": chosen.accelerator_type,
                    "count": pool.gpus_per_node,
                    "spot": spot,
                    "labels": labels,
                    "taints": taints,
                    "min": minimum,
                    "max": pool.max_nodes,
                }
            )
    return plans


class GpuCluster(pulumi.ComponentResource):
    """A GKE cluster with scale-from-zero GPU node pools (type ``mlplatform:gcp:GpuCluster``).

    Outputs: ``cluster_name``, ``cluster_location``, ``cluster_endpoint``, ``kubeconfig`` (secret),
    ``node_service_account`` (email), ``workload_pool``, ``provider`` (a Kubernetes provider for this
    cluster), ``gpu_pool_names``.
    """

    cluster_name: pulumi.Output[str]
    cluster_location: pulumi.Output[str]
    cluster_endpoint: pulumi.Output[str]
    kubeconfig: pulumi.Output[str]
    node_service_account: pulumi.Output[str]
    workload_pool: str
    provider: k8s.Provider
    gpu_pool_names: list[str]
    storage_class: str

    def __init__(self, name: str, args: GpuClusterArgs | dict[str, Any], opts: pulumi.ResourceOptions | None = None):
        args = args if isinstance(args, GpuClusterArgs) else GpuClusterArgs(**args)
        super().__init__(MLPLATFORM_GCP_GPU_CLUSTER, name, None, opts)
        self.args = args
        spec = args.cluster
        prod = args.environment is Environment.PROD
        zonal = args.is_zonal
        zones = list(spec.zones)
        location = zones[0] if zonal else args.region
        public, _ = endpoint_access(spec)
        cluster_name = args.cluster_name or f"{name}-{pulumi.get_stack()}"[:40].rstrip("-")
        version = spec.kubernetes_version or defaults.kubernetes_version()
        labels = dict(args.labels)
        self.workload_pool = f"{args.project}.svc.id.goog"
        child = pulumi.ResourceOptions(parent=self)

        nodes = iam.service_account(f"{name}-nodes", args.project, f"GKE nodes of {cluster_name}", self)
        iam.project_roles(f"{name}-nodes", args.project, nodes.member, NODE_ROLES, self)

        authorized = (
            gcp.container.ClusterMasterAuthorizedNetworksConfigArgs(
                cidr_blocks=[
                    gcp.container.ClusterMasterAuthorizedNetworksConfigCidrBlockArgs(
                        cidr_block=c, display_name=f"allowed-{i}"
                    )
                    for i, c in enumerate(spec.public_access_cidrs)
                ],
                gcp_public_cidrs_access_enabled=False,
            )
            if spec.public_access_cidrs or not public
            else None
        )
        cluster = gcp.container.Cluster(
            name,
            name=cluster_name,
            project=args.project,
            location=location,
            description=f"mlplatform GPU cluster ({args.environment})",
            min_master_version=version,
            release_channel=gcp.container.ClusterReleaseChannelArgs(
                channel=args.release_channel or defaults.gke_release_channel(args.environment)
            ),
            network=args.network.network,
            subnetwork=args.network.subnetwork,
            networking_mode="VPC_NATIVE",
            ip_allocation_policy=gcp.container.ClusterIpAllocationPolicyArgs(
                cluster_secondary_range_name=args.network.pods_range_name,
                services_secondary_range_name=args.network.services_range_name,
            ),
            private_cluster_config=gcp.container.ClusterPrivateClusterConfigArgs(
                enable_private_nodes=True,
                enable_private_endpoint=not public,
                master_ipv4_cidr_block=args.master_ipv4_cidr,
            ),
            master_authorized_networks_config=authorized,
            # The default pool is replaced by the pools below (GKE requires one at creation).
            remove_default_node_pool=True,
            initial_node_count=1,
            workload_identity_config=gcp.container.ClusterWorkloadIdentityConfigArgs(workload_pool=self.workload_pool),
            # Google Groups for RBAC: without it GKE never puts group membership in requests, so RBAC bindings
            # to group: admins grant nothing.
            authenticator_groups_config=gcp.container.ClusterAuthenticatorGroupsConfigArgs(
                security_group=spec.gke_security_group
            )
            if spec.gke_security_group
            else None,
            datapath_provider="ADVANCED_DATAPATH",
            enable_shielded_nodes=True,
            cluster_autoscaling=gcp.container.ClusterClusterAutoscalingArgs(
                # Node auto-provisioning off: only the declared pools exist. The profile decides how fast empty
                # nodes go: optimize-utilization removes them in minutes, which is what GPUs need outside prod.
                enabled=False,
                autoscaling_profile="BALANCED" if prod else "OPTIMIZE_UTILIZATION",
            ),
            addons_config=gcp.container.ClusterAddonsConfigArgs(
                http_load_balancing=gcp.container.ClusterAddonsConfigHttpLoadBalancingArgs(disabled=False),
                gce_persistent_disk_csi_driver_config=gcp.container.ClusterAddonsConfigGcePersistentDiskCsiDriverConfigArgs(
                    enabled=True
                ),
                # Model weights straight from the lake's buckets, mounted as files.
                gcs_fuse_csi_driver_config=gcp.container.ClusterAddonsConfigGcsFuseCsiDriverConfigArgs(enabled=True),
            ),
            logging_config=gcp.container.ClusterLoggingConfigArgs(
                enable_components=["SYSTEM_COMPONENTS", "WORKLOADS"] if prod else ["SYSTEM_COMPONENTS"]
            ),
            monitoring_config=gcp.container.ClusterMonitoringConfigArgs(enable_components=["SYSTEM_COMPONENTS"]),
            # Per-namespace cost allocation in the billing export.
            cost_management_config=gcp.container.ClusterCostManagementConfigArgs(enabled=True),
            maintenance_policy=gcp.container.ClusterMaintenancePolicyArgs(
                daily_maintenance_window=gcp.container.ClusterMaintenancePolicyDailyMaintenanceWindowArgs(
                    start_time="03:00"
                )
            ),
            resource_labels=labels,
            deletion_protection=prod,
            opts=pulumi.ResourceOptions(parent=self, protect=prod, depends_on=[nodes]),
        )

        def node_config(machine_type: str, spot: bool, disk_gb: int, node_labels: dict, **extra: Any):
            return gcp.container.NodePoolNodeConfigArgs(
                machine_type=machine_type,
                spot=spot,
                disk_size_gb=disk_gb,
                disk_type="pd-balanced",
                image_type="COS_CONTAINERD",
                service_account=nodes.email,
                oauth_scopes=["https://www.googleapis.com/auth/cloud-platform"],
                labels=node_labels,
                resource_labels=labels,
                metadata={"disable-legacy-endpoints": "true"},
                # Pods see the GKE metadata server, never the node's service account.
                workload_metadata_config=gcp.container.NodePoolNodeConfigWorkloadMetadataConfigArgs(
                    mode="GKE_METADATA"
                ),
                shielded_instance_config=gcp.container.NodePoolNodeConfigShieldedInstanceConfigArgs(
                    enable_secure_boot=True, enable_integrity_monitoring=True
                ),
                **extra,
            )

        system = spec.system_nodes
        system_pool = gcp.container.NodePool(
            f"{name}-system",
            project=args.project,
            cluster=cluster.name,
            location=location,
            initial_node_count=system.min_nodes,
            autoscaling=gcp.container.NodePoolAutoscalingArgs(
                total_min_node_count=system.min_nodes, total_max_node_count=system.max_nodes, location_policy="BALANCED"
            ),
            node_config=node_config(
                (system.instance_types or defaults.system_instance_types(Cloud.GCP))[0],
                (system.capacity or defaults.system_capacity(args.environment)) is SystemCapacity.SPOT,
                args.system_node_disk_gb,
                {NODE_ROLE_LABEL: SYSTEM_ROLE},
            ),
            management=gcp.container.NodePoolManagementArgs(auto_repair=True, auto_upgrade=True),
            upgrade_settings=gcp.container.NodePoolUpgradeSettingsArgs(max_surge=1, max_unavailable=0),
            opts=child,
        )

        self.gpu_pool_names = []
        for plan in gpu_pool_plans(args.region, spec.gpu_pools):
            gcp.container.NodePool(
                f"{name}-{plan['name']}",
                project=args.project,
                cluster=cluster.name,
                location=location,
                initial_node_count=plan["min"],
                # Only zones that offer the GPU (a regional pool defaults to every zone, and creation fails where
                # the accelerator is not offered); the autoscaler picks any of them with capacity.
                node_locations=zones,
                autoscaling=gcp.container.NodePoolAutoscalingArgs(
                    total_min_node_count=plan["min"], total_max_node_count=plan["max"], location_policy="ANY"
                ),
                node_config=node_config(
                    plan["machine_type"],
                    plan["spot"],
                    args.gpu_node_disk_gb,
                    plan["labels"],
                    guest_accelerators=[
                        gcp.container.NodePoolNodeConfigGuestAcceleratorArgs(
                            type=plan["accelerator"],
                            count=plan["count"],
                            gpu_driver_installation_config=gcp.container.NodePoolNodeConfigGuestAcceleratorGpuDriverInstallationConfigArgs(
                                gpu_driver_version="LATEST"
                            ),
                        )
                    ],
                    taints=[gcp.container.NodePoolNodeConfigTaintArgs(**t) for t in plan["taints"]],
                ),
                management=gcp.container.NodePoolManagementArgs(auto_repair=True, auto_upgrade=True),
                # The autoscaler owns the size; a later `pulumi up` must not reset it.
                opts=pulumi.ResourceOptions(parent=self, ignore_changes=["initialNodeCount"]),
            )
            self.gpu_pool_names.append(plan["name"])

        self.cluster_name = cluster.name
        self.cluster_location = cluster.location
        self.cluster_endpoint = cluster.endpoint
        self.node_service_account = nodes.email
        self.kubeconfig = pulumi.Output.secret(
            pulumi.Output.all(cluster.name, cluster.endpoint, cluster.master_auth.cluster_ca_certificate).apply(
                lambda a: kubeconfig_json(a[0], a[1], a[2] or "")
            )
        )
        # Everything on the cluster goes through this provider; it waits for the system pool, or Helm releases
        # that wait for their pods (atomic) race a cluster with no nodes.
        self.provider = k8s.Provider(
            f"{name}-k8s",
            kubeconfig=self.kubeconfig,
            enable_server_side_apply=True,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[system_pool]),
        )
        self.system_nodes = system_pool
        self.storage_class = STORAGE_CLASS

        if spec.admin_principals:
            for i, member in enumerate(spec.admin_principals):
                gcp.projects.IAMMember(
                    f"{name}-admin-{i}",
                    project=args.project,
                    role="roles/container.clusterViewer",
                    member=member,
                    opts=child,
                )
            kind, _, who = zip(*(m.partition(":") for m in spec.admin_principals), strict=True)
            k8s.rbac.v1.ClusterRoleBinding(
                f"{name}-admins",
                metadata={"name": "mlplatform-admins"},
                role_ref=k8s.rbac.v1.RoleRefArgs(
                    api_group="rbac.authorization.k8s.io", kind="ClusterRole", name="cluster-admin"
                ),
                subjects=[
                    k8s.rbac.v1.SubjectArgs(
                        api_group="rbac.authorization.k8s.io", kind="Group" if k == "group" else "User", name=w
                    )
                    for k, w in zip(kind, who, strict=True)
                ],
                opts=pulumi.ResourceOptions(parent=self, provider=self.provider),
            )

        self.register_outputs(
            {
                "cluster_name": self.cluster_name,
                "cluster_location": self.cluster_location,
                "cluster_endpoint": self.cluster_endpoint,
                "kubeconfig": self.kubeconfig,
                "node_service_account": self.node_service_account,
                "gpu_pool_names": self.gpu_pool_names,
                # Read by `mlplatform preflight`: whether the deployer reaches a private-only endpoint.
                "deploy_from_network": spec.deploy_from_network,
            }
        )
