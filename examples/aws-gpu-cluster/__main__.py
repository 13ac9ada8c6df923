"""GpuCluster on its own: EKS in an existing VPC, an L4 inference pool and a 4 x A10G training pool.

Both pools are spot and scale from zero: no GPU node runs until a pod asks for `nvidia.com/gpu`. Training
falls back to on-demand capacity when spot is short. Plan it offline with
`mlplatform plan --program examples/aws-gpu-cluster --stack dev`.
"""

import pulumi

from mlplatform.components.aws import ClusterNetwork, GpuCluster, GpuClusterArgs
from mlplatform.components.config import ClusterSpec, GpuPoolSpec

config = pulumi.Config()
cluster = GpuCluster(
    "gpu",
    GpuClusterArgs(
        region=pulumi.Config("aws").require("region"),
        network=ClusterNetwork(
            vpc_id=config.require("vpcId"),
            private_subnet_ids=config.require_object("privateSubnetIds"),
        ),
        cluster=ClusterSpec(
            kubernetes_version="1.33",
            admin_principals=config.get_object("admins") or [],
            gpu_pools=[
                GpuPoolSpec(name="inference", gpu="L4", max_nodes=3),
                GpuPoolSpec(
                    name="training",
                    gpu="A10G",
                    gpus_per_node=4,
                    max_nodes=2,
                    capacity="spot-with-on-demand-fallback",
                    consolidate_after="10m",
                ),
            ],
        ),
        tags={"team": "ml-research", "project": "gpu-sandbox", "cost-center": "cc-7001"},
    ),
)

pulumi.export("cluster_name", cluster.cluster_name)
pulumi.export("kubeconfig", cluster.kubeconfig)
pulumi.export("gpu_pools", cluster.gpu_pool_names)
