"""GpuCluster: EKS for GPU workloads, with GPU pools that cost nothing until a GPU pod is pending.

What it stands up:

- the EKS control plane: pinned version, standard support only (extended support costs 6x), API
  authentication with access entries for the admin principals, all control-plane logs into a log group
  with a retention, Kubernetes secrets envelope-encrypted with a KMS key (created, or yours), the API
  endpoint limited to ``public_access_cidrs`` (required in prod) or private with ``deploy_from_network``;
- the EKS add-ons vpc-cni (prefix delegation, for pod density on small system nodes; its network policy agent,
  so NetworkPolicies are enforced), kube-proxy, coredns and eks-pod-identity-agent;
- a small system managed node group (spot outside prod) for the add-ons, Karpenter and platform services,
  IMDSv2 only;
- GPU pools: Karpenter NodePools (default) or managed node groups with cluster-autoscaler; the NVIDIA device
  plugin on GPU nodes only;
- a Kubernetes provider for everything else on the cluster; its kubeconfig is a secret output.

Example::

    from mlplatform.components.aws import GpuCluster, GpuClusterArgs
    from mlplatform.components.config import ClusterSpec, GpuPoolSpec

    cluster = GpuCluster("ml", GpuClusterArgs(
        region="us-east-1",
        network={"vpc_id": "vpc-0abc...", "private_subnet_ids": ["subnet-1...", "subnet-2..."]},
        cluster=ClusterSpec(gpu_pools=[GpuPoolSpec(name="inference", gpu="L4", max_nodes=4)]),
        tags={"team": "ml"},
    ))
    pulumi.export("kubeconfig", cluster.kubeconfig)
"""

from __future__ import annotations

import json
import re
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
from pydantic import Field, field_validator, model_validator

from ..base.cloud import Cloud
from ..base.errors import Problems, spec_error
from ..base.types import MLPLATFORM_AWS_GPU_CLUSTER
from ..base.values import ComponentArgs
from ..catalog import load_catalog
from ..config import defaults
from ..config.cluster import (
    ClusterSpec,
    Provisioner,
    SystemCapacity,
    check_cluster_for_cloud,
    check_endpoint_access,
    endpoint_access,
)
from ..config.environment import Environment
from ..interfaces import StrInput, StrListInput
from ..k8s.gpu import NODE_ROLE_LABEL, SYSTEM_ROLE, NvidiaDevicePlugin
from . import iam
from .gpu_node_groups import ManagedGpuNodeGroups, NodeGroupSettings
from .karpenter import KarpenterProvisioner, KarpenterSettings
from .launch_template import node_launch_template
from .network import KARPENTER_DISCOVERY_TAG

CONTROL_PLANE_LOGS = ["api", "audit", "authenticator", "controllerManager", "scheduler"]
# Outside prod the chatty controller-manager and scheduler logs are left out: log ingestion is billed per GB.
CONTROL_PLANE_LOGS_DEV = ["api", "audit", "authenticator"]
STORAGE_CLASS = "gp3"
_AMI_ALIAS = re.compile(r"^al2023@(latest|v\d{8})$")


class ClusterNetwork(ComponentArgs):
    """Where the cluster runs. Values may be Pulumi outputs (from :class:`mlplatform.components.aws.Network`)."""

    vpc_id: StrInput
    """VPC id. Required."""
    private_subnet_ids: StrListInput
    """Private subnets (two or more zones) for the control plane's interfaces and all nodes. Required."""
    public_subnet_ids: StrListInput | None = None
    """Public subnets, for internet-facing load balancers only. Default: none."""
    subnets_tagged_for_discovery: bool = False
    """True when the private subnets carry ``karpenter.sh/discovery: <cluster name>`` (Network does this):
    Karpenter then selects subnets by that tag; otherwise by id. Default: false."""

    @field_validator("private_subnet_ids")
    @classmethod
    def _two_zones(cls, v: StrListInput) -> StrListInput:
        # An Output's length is known at deploy time only; a list given now is checked now.
        if isinstance(v, list | tuple) and len(v) < 2:
            raise spec_error(
                None,
                "EKS needs subnets in at least two Availability Zones: give two or more private subnets",
                list(v),
            )
        return v


class GpuClusterArgs(ComponentArgs):
    _context_cloud = Cloud.AWS

    region: str
    """AWS region; must be one the catalog prices (GPU types are resolved for it). Required."""
    network: ClusterNetwork
    """VPC and subnets. Required."""
    environment: Environment = Environment.DEV
    """dev, staging or prod: prod requires public_access_cidrs (or a private endpoint) and protects the cluster
    and key. Default: dev."""
    cluster: ClusterSpec = ClusterSpec()
    """Version, endpoint access, admins, system nodes and GPU pools (the stack spec's ``cluster`` section).
    Default: see ClusterSpec."""
    cluster_name: str | None = Field(default=None, pattern=r"^[0-9A-Za-z][A-Za-z0-9\-_]{0,99}$")
    """EKS cluster name (also the discovery tag value). Default: ``<component name>-<stack>``."""
    tags: dict[str, str] = {}
    """Cost and ownership tags for every taggable resource and every node. Default: none."""
    log_retention_days: int | None = Field(default=None, ge=1, le=3653)
    """Control-plane log retention. Default: 90 in prod, else 7."""
    gpu_node_volume_gib: int = Field(default=100, ge=20, le=16384)
    """Root volume of GPU nodes (CUDA images and weights are large). Default: 100."""
    system_node_volume_gib: int = Field(default=30, ge=20, le=1024)
    """Root volume of system nodes. Default: 30."""
    imds_hop_limit: int = Field(default=1, ge=1, le=2)
    """IMDSv2 hop limit on nodes: 1 keeps pods away from node credentials. Default: 1."""
    ami_alias: str = "al2023@latest"
    """Karpenter AMI alias for GPU nodes (al2023@latest or al2023@vYYYYMMDD to pin). Default: al2023@latest."""
    karpenter_replicas: int | None = Field(default=None, ge=1, le=3)
    """Karpenter controller replicas. Default: 2 in prod, else 1."""

    @field_validator("region")
    @classmethod
    def _known_region(cls, v: str) -> str:
        regions = load_catalog().regions(Cloud.AWS)
        if v not in regions:
            raise spec_error(None, f"not an AWS region in the catalog; allowed: {', '.join(regions)}", v)
        return v

    @model_validator(mode="after")
    def _reachable_and_for_eks(self) -> GpuClusterArgs:
        p = Problems()
        check_cluster_for_cloud(p, self.cluster, Cloud.AWS, self.region, zonal=False)
        check_endpoint_access(p, self.cluster, self.environment is Environment.PROD)
        p.raise_if_any()
        return self

    @field_validator("ami_alias")
    @classmethod
    def _alias(cls, v: str) -> str:
        if not _AMI_ALIAS.match(v):
            raise spec_error(None, "must be al2023@latest or al2023@vYYYYMMDD", v)
        return v


def kubeconfig_json(name: str, endpoint: str, ca_data: str, region: str) -> str:
    """A kubeconfig that authenticates with ``aws eks get-token`` (no long-lived credentials in it)."""
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": name, "cluster": {"server": endpoint, "certificate-authority-data": ca_data}}],
            "contexts": [{"name": name, "context": {"cluster": name, "user": name}}],
            "current-context": name,
            "users": [
                {
                    "name": name,
                    "user": {
                        "exec": {
                            "apiVersion": "client.authentication.k8s.io/v1beta1",
                            "command": "aws",
                            "args": [
                                "eks",
                                "get-token",
                                "--cluster-name",
                                name,
                                "--region",
                                region,
                                "--output",
                                "json",
                            ],
                        }
                    },
                }
            ],
        }
    )


class GpuCluster(pulumi.ComponentResource):
    """An EKS cluster with scale-from-zero GPU pools (type ``mlplatform:aws:GpuCluster``).

    Outputs: ``cluster_name``, ``cluster_endpoint``, ``oidc_issuer``, ``kubeconfig`` (secret),
    ``node_role_arn`` (the GPU nodes' role), ``provider`` (a Kubernetes provider for this cluster),
    ``gpu_pool_names``.
    """

    cluster_name: pulumi.Output[str]
    cluster_endpoint: pulumi.Output[str]
    oidc_issuer: pulumi.Output[str]
    kubeconfig: pulumi.Output[str]
    node_role_arn: pulumi.Output[str]
    cluster_security_group_id: pulumi.Output[str]
    provider: k8s.Provider
    gpu_pool_names: list[str]
    storage_class: str

    def __init__(self, name: str, args: GpuClusterArgs | dict[str, Any], opts: pulumi.ResourceOptions | None = None):
        args = args if isinstance(args, GpuClusterArgs) else GpuClusterArgs(**args)
        super().__init__(MLPLATFORM_AWS_GPU_CLUSTER, name, None, opts)
        self.args = args
        spec = args.cluster
        prod = args.environment is Environment.PROD
        version = spec.kubernetes_version or defaults.kubernetes_version()
        public, cidrs = endpoint_access(spec)
        cluster_name = args.cluster_name or f"{name}-{pulumi.get_stack()}"
        tags = dict(args.tags)
        child = pulumi.ResourceOptions(parent=self)
        # Losing the cluster or its key in production means losing every workload's state and secrets.
        keep = pulumi.ResourceOptions(parent=self, protect=prod)
        account_id = aws.get_caller_identity().account_id

        cluster_role = iam.role(
            f"{name}-cluster",
            iam.service_trust("eks.amazonaws.com", tag_session=True),
            parent=self,
            tags=tags,
            description=f"EKS control plane of {cluster_name}",
            managed_policies=(iam.EKS_CLUSTER_POLICY,),
        )
        if spec.kms_key_arn:
            key_arn: pulumi.Input[str] = spec.kms_key_arn
        else:
            key = aws.kms.Key(
                f"{name}-secrets",
                description=f"Envelope encryption of Kubernetes secrets in {cluster_name}",
                enable_key_rotation=True,
                deletion_window_in_days=30 if prod else 7,
                tags=tags,
                opts=keep,
            )
            aws.kms.Alias(f"{name}-secrets", name=f"alias/{cluster_name}-secrets", target_key_id=key.key_id, opts=child)
            key_arn = key.arn
        # EKS creates this group on first log write, without a retention; creating it first sets one.
        logs = aws.cloudwatch.LogGroup(
            f"{name}-control-plane",
            name=f"/aws/eks/{cluster_name}/cluster",
            retention_in_days=args.log_retention_days or defaults.control_plane_log_retention_days(args.environment),
            tags=tags,
            opts=child,
        )
        cluster = aws.eks.Cluster(
            name,
            name=cluster_name,
            version=version,
            role_arn=cluster_role.arn,
            vpc_config=aws.eks.ClusterVpcConfigArgs(
                subnet_ids=args.network.private_subnet_ids,
                endpoint_private_access=True,
                endpoint_public_access=public,
                public_access_cidrs=cidrs if public else None,
            ),
            access_config=aws.eks.ClusterAccessConfigArgs(
                authentication_mode="API", bootstrap_cluster_creator_admin_permissions=True
            ),
            # The add-ons below are managed as EKS add-ons; EKS must not also install unmanaged copies.
            bootstrap_self_managed_addons=False,
            enabled_cluster_log_types=CONTROL_PLANE_LOGS if prod else CONTROL_PLANE_LOGS_DEV,
            encryption_config=aws.eks.ClusterEncryptionConfigArgs(
                provider=aws.eks.ClusterEncryptionConfigProviderArgs(key_arn=key_arn), resources=["secrets"]
            ),
            upgrade_policy=aws.eks.ClusterUpgradePolicyArgs(support_type="STANDARD"),
            deletion_protection=prod,
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, protect=prod, depends_on=[logs]),
        )
        sg_id = cluster.vpc_config.apply(lambda c: c.cluster_security_group_id or "")
        # Karpenter finds the node security group by this tag; EKS-managed nodes already use the same group.
        aws.ec2.Tag(
            f"{name}-node-sg-discovery", resource_id=sg_id, key=KARPENTER_DISCOVERY_TAG, value=cluster_name, opts=child
        )

        for i, principal in enumerate(spec.admin_principals):
            entry = aws.eks.AccessEntry(
                f"{name}-admin-{i}",
                cluster_name=cluster.name,
                principal_arn=principal,
                type="STANDARD",
                tags=tags,
                opts=child,
            )
            aws.eks.AccessPolicyAssociation(
                f"{name}-admin-{i}",
                cluster_name=cluster.name,
                principal_arn=principal,
                policy_arn=iam.EKS_CLUSTER_ADMIN_ACCESS_POLICY,
                access_scope=aws.eks.AccessPolicyAssociationAccessScopeArgs(type="cluster"),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[entry]),
            )

        def addon(
            addon_name: str,
            depends: list[pulumi.Resource] | None = None,
            config: dict | None = None,
            identities: list[aws.eks.AddonPodIdentityAssociationArgs] | None = None,
        ):
            return aws.eks.Addon(
                f"{name}-{addon_name}",
                cluster_name=cluster.name,
                addon_name=addon_name,
                addon_version=aws.eks.get_addon_version(
                    addon_name=addon_name, kubernetes_version=version, region=args.region
                ).version,
                resolve_conflicts_on_create="OVERWRITE",
                resolve_conflicts_on_update="OVERWRITE",
                configuration_values=json.dumps(config) if config else None,
                pod_identity_associations=identities,
                tags=tags,
                opts=pulumi.ResourceOptions(parent=self, depends_on=depends or []),
            )

        # Prefix delegation: ~110 pods on a t3.large instead of 35, so two small system nodes are enough. The
        # network policy agent makes NetworkPolicies (the notebook servers' egress rules) enforced, not decorative.
        vpc_cni = addon(
            "vpc-cni",
            config={
                "env": {"ENABLE_PREFIX_DELEGATION": "true", "WARM_PREFIX_TARGET": "1"},
                "enableNetworkPolicy": "true",
            },
        )
        kube_proxy = addon("kube-proxy")
        pod_identity = addon("eks-pod-identity-agent")

        system_role = iam.role(
            f"{name}-system-node",
            iam.service_trust("ec2.amazonaws.com"),
            parent=self,
            tags=tags,
            description=f"System nodes of {cluster_name}",
            managed_policies=iam.NODE_POLICIES,
        )
        system_template = node_launch_template(
            f"{name}-system",
            volume_gib=args.system_node_volume_gib,
            hop_limit=args.imds_hop_limit,
            tags=tags,
            parent=self,
        )
        nodes = spec.system_nodes
        capacity = nodes.capacity or defaults.system_capacity(args.environment)
        system = aws.eks.NodeGroup(
            f"{name}-system",
            cluster_name=cluster.name,
            node_group_name_prefix="system-",
            node_role_arn=system_role.arn,
            subnet_ids=args.network.private_subnet_ids,
            ami_type="AL2023_x86_64_STANDARD",
            capacity_type="SPOT" if capacity is SystemCapacity.SPOT else "ON_DEMAND",
            instance_types=nodes.instance_types or defaults.system_instance_types(Cloud.AWS),
            scaling_config=aws.eks.NodeGroupScalingConfigArgs(
                min_size=nodes.min_nodes, desired_size=nodes.min_nodes, max_size=nodes.max_nodes
            ),
            update_config=aws.eks.NodeGroupUpdateConfigArgs(max_unavailable=1),
            launch_template=aws.eks.NodeGroupLaunchTemplateArgs(
                id=system_template.id, version=system_template.latest_version.apply(str)
            ),
            labels={NODE_ROLE_LABEL: SYSTEM_ROLE},
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[vpc_cni, kube_proxy]),
        )
        self.system_nodes = system
        coredns = addon("coredns", depends=[system])
        # Persistent volumes (Prometheus in prod, notebooks): the EBS CSI driver, with its own role.
        ebs_role = iam.role(
            f"{name}-ebs-csi",
            iam.pod_identity_trust(),
            parent=self,
            tags=tags,
            description=f"EBS CSI driver of {cluster_name}",
            managed_policies=(iam.EBS_CSI_DRIVER_POLICY,),
        )
        ebs = addon(
            "aws-ebs-csi-driver",
            depends=[system, pod_identity],
            identities=[
                aws.eks.AddonPodIdentityAssociationArgs(role_arn=ebs_role.arn, service_account="ebs-csi-controller-sa")
            ],
        )

        self.kubeconfig = pulumi.Output.secret(
            pulumi.Output.all(cluster.name, cluster.endpoint, cluster.certificate_authority.data).apply(
                lambda a: kubeconfig_json(a[0], a[1], a[2] or "", args.region)
            )
        )
        self.provider = k8s.Provider(
            f"{name}-k8s",
            kubeconfig=self.kubeconfig,
            enable_server_side_apply=True,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[system, coredns, pod_identity]),
        )

        # The default StorageClass: encrypted gp3, provisioned in the zone of the pod that claims it.
        k8s.storage.v1.StorageClass(
            f"{name}-gp3",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=STORAGE_CLASS, annotations={"storageclass.kubernetes.io/is-default-class": "true"}
            ),
            provisioner="ebs.csi.aws.com",
            parameters={"type": "gp3", "encrypted": "true"},
            volume_binding_mode="WaitForFirstConsumer",
            reclaim_policy="Retain" if prod else "Delete",
            allow_volume_expansion=True,
            opts=pulumi.ResourceOptions(parent=self, provider=self.provider, depends_on=[ebs]),
        )
        self.storage_class = STORAGE_CLASS

        discovery_terms: pulumi.Input[list[dict[str, Any]]]
        if args.network.subnets_tagged_for_discovery:
            discovery_terms = [{"tags": {KARPENTER_DISCOVERY_TAG: cluster_name}}]
        else:
            discovery_terms = pulumi.Output.from_input(args.network.private_subnet_ids).apply(
                lambda ids: [{"id": i} for i in ids]
            )
        if spec.provisioner is Provisioner.KARPENTER:
            karpenter = KarpenterProvisioner(
                f"{name}-karpenter",
                KarpenterSettings(
                    cluster_name=cluster_name,
                    cluster_arn=cluster.arn,
                    region=args.region,
                    account_id=account_id,
                    pools=list(spec.gpu_pools),
                    subnet_selector_terms=discovery_terms,
                    tags=tags,
                    node_volume_gib=args.gpu_node_volume_gib,
                    imds_hop_limit=args.imds_hop_limit,
                    ami_alias=args.ami_alias,
                    replicas=args.karpenter_replicas or defaults.service_replicas(args.environment),
                    provider=self.provider,
                ),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[cluster, system]),
            )
            self.node_role_arn = karpenter.node_role.arn
            self.gpu_pool_names = list(karpenter.node_pools)
        else:
            groups = ManagedGpuNodeGroups(
                f"{name}-gpu",
                NodeGroupSettings(
                    cluster_name=cluster_name,
                    kubernetes_version=version,
                    region=args.region,
                    account_id=account_id,
                    pools=list(spec.gpu_pools),
                    subnet_ids=args.network.private_subnet_ids,
                    node_role_arn=system_role.arn,
                    tags=tags,
                    node_volume_gib=args.gpu_node_volume_gib,
                    imds_hop_limit=args.imds_hop_limit,
                    provider=self.provider,
                ),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[cluster, system]),
            )
            self.node_role_arn = system_role.arn
            self.gpu_pool_names = list(groups.node_groups)
        NvidiaDevicePlugin(f"{name}-nvidia", opts=pulumi.ResourceOptions(parent=self, provider=self.provider))

        self.cluster = cluster
        self.cluster_name = cluster.name
        self.cluster_endpoint = cluster.endpoint
        self.cluster_security_group_id = sg_id
        self.oidc_issuer = cluster.identities.apply(lambda ids: ids[0].oidcs[0].issuer if ids else "")  # type: ignore[index]
        self.register_outputs(
            {
                "cluster_name": self.cluster_name,
                "cluster_endpoint": self.cluster_endpoint,
                "oidc_issuer": self.oidc_issuer,
                "kubeconfig": self.kubeconfig,
                "node_role_arn": self.node_role_arn,
                "gpu_pool_names": self.gpu_pool_names,
                # Read by `mlplatform preflight`: whether the deployer reaches a private-only endpoint.
                "deploy_from_network": spec.deploy_from_network,
            }
        )
