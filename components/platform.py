"""MlPlatform: the composition root that turns a validated PlatformSpec into the components of one stack.

Example (the whole root program)::

    from components import MlPlatform, load_platform_spec

    platform = MlPlatform("mlplatform", load_platform_spec())
"""

from __future__ import annotations

import pulumi

from .aws import ClusterNetwork, GpuCluster, GpuClusterArgs, Network, NetworkArgs
from .catalog import Cloud
from .spec import NatStrategy, PlatformSpec


class MlPlatform(pulumi.ComponentResource):
    """All components of one stack, parented under one component so the Plan and the console group them.

    Each cloud's components are added here as they are built (network, cluster, lake, feature store, MLflow,
    endpoints, monitoring); the spec is validated before this constructor runs, so nothing is registered for
    an invalid stack.
    """

    spec: PlatformSpec
    tags: dict[str, str]

    def __init__(self, name: str, spec: PlatformSpec, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlplatform:index:Platform", name, None, opts)
        self.spec = spec
        self.tags = spec.tag_set(pulumi.get_stack())
        self.outputs: dict[str, pulumi.Input[object]] = {
            "cloud": str(spec.cloud),
            "region": spec.region,
            "environment": str(spec.environment),
            "cost_tags": self.tags,
        }
        if spec.cloud is Cloud.AWS:
            self._build_aws(name, spec)
        self.register_outputs(self.outputs)

    def _build_aws(self, name: str, spec: PlatformSpec) -> None:
        child = pulumi.ResourceOptions(parent=self)
        cluster_name = f"{name}-{pulumi.get_stack()}"
        net = spec.network
        self.network = Network(
            f"{name}-network",
            NetworkArgs(
                region=spec.region,
                cidr=net.cidr,
                availability_zones=net.availability_zones or 2,
                nat=net.nat or NatStrategy.SINGLE,
                cluster_name=cluster_name,
                tags=self.tags,
                existing=net.existing,
            ),
            opts=child,
        )
        self.cluster = GpuCluster(
            f"{name}-cluster",
            GpuClusterArgs(
                region=spec.region,
                environment=spec.environment,
                network=ClusterNetwork(
                    vpc_id=self.network.vpc_id,
                    private_subnet_ids=self.network.private_subnet_ids,
                    public_subnet_ids=self.network.public_subnet_ids,
                    subnets_tagged_for_discovery=net.existing is None,
                ),
                cluster=spec.cluster,
                cluster_name=cluster_name,
                tags=self.tags,
            ),
            opts=child,
        )
        self.outputs.update(
            vpc_id=self.network.vpc_id,
            cluster_name=self.cluster.cluster_name,
            cluster_endpoint=self.cluster.cluster_endpoint,
            oidc_issuer=self.cluster.oidc_issuer,
            kubeconfig=self.cluster.kubeconfig,
            gpu_pools=self.cluster.gpu_pool_names,
        )
