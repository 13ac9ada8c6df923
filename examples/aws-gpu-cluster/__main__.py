"""GpuCluster on its own: EKS in an existing VPC, an L4 inference pool and a 4 x A10G training pool, with the
cluster's monthly budget.

Both pools are spot and scale from zero: no GPU node runs until a pod asks for `nvidia.com/gpu`. Spot only
is what dev allows; where the environment's policy allows it (staging), a pool can fall back to on-demand
capacity when spot is short (``capacity="spot-with-on-demand-fallback"``), at on-demand prices. The budget
counts only what carries the program's cost-allocation tag. Plan it offline with
`mlplatform plan --program examples/aws-gpu-cluster --stack dev --cost --check`.
"""

import pulumi

from mlplatform.components.aws import ClusterNetwork, GpuCluster, GpuClusterArgs, Monitoring, MonitoringArgs
from mlplatform.components.config import ClusterSpec, CostTags, Environment, GpuPoolSpec

config = pulumi.Config()
region = pulumi.Config("aws").require("region")
environment = Environment.DEV
# The budget counts what carries this tag: this program's resources, not the rest of the account.
stack = f"{pulumi.get_project()}-{pulumi.get_stack()}"
tags = CostTags(team="ml-research", project="gpu-sandbox", cost_center="cc-7001").as_tags(environment, stack)

cluster = GpuCluster(
    "gpu",
    GpuClusterArgs(
        region=region,
        environment=environment,
        network=ClusterNetwork(
            vpc_id=config.require("vpcId"),
            private_subnet_ids=config.require_object("privateSubnetIds"),
        ),
        cluster=ClusterSpec(
            kubernetes_version="1.33",
            admin_principals=config.get_object("admins") or [],
            gpu_pools=[
                GpuPoolSpec(name="inference", gpu="L4", max_nodes=3),
                GpuPoolSpec(name="training", gpu="A10G", gpus_per_node=4, max_nodes=2, consolidate_after="10m"),
            ],
        ),
        tags=tags,
    ),
)
monitoring = Monitoring(
    "gpu",
    MonitoringArgs(
        region=region,
        environment=environment,
        budget={"monthly_limit_usd": 300},
        monitoring={"alert_emails": [config.require("alertEmail")]},
        stack=stack,
        tags=tags,
    ),
)

pulumi.export("cluster_name", cluster.cluster_name)
pulumi.export("kubeconfig", cluster.kubeconfig)
pulumi.export("gpu_pools", cluster.gpu_pool_names)
