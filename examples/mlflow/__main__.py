"""MLflow on a cluster you already have: look the cluster up, add a lake for artifacts and MlflowTracking.

The cluster's endpoint, CA and security group come from `aws.eks.get_cluster`; MLflow runs in its own
namespace, its database admits only the cluster's security group, and its artifacts go to the lake's models
zone through a Pod Identity role; the program's monthly budget counts only what carries its cost-allocation
tag. Plan it offline with `mlplatform plan --program examples/mlflow --stack dev --cost --check`.
"""

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from mlplatform.components.aws import (
    DataLake,
    DataLakeArgs,
    MlflowTracking,
    MlflowTrackingArgs,
    Monitoring,
    MonitoringArgs,
    PrivateNetwork,
    WorkloadCluster,
)
from mlplatform.components.aws.gpu_cluster import kubeconfig_json
from mlplatform.components.config import CostTags, Environment

config = pulumi.Config()
region = pulumi.Config("aws").require("region")
environment = Environment.DEV
# The budget counts what carries this tag: this program's resources, not the rest of the account.
stack = f"{pulumi.get_project()}-{pulumi.get_stack()}"
tags = CostTags(team="research", project="experiments", cost_center="cc-5120").as_tags(environment, stack)

existing = aws.eks.get_cluster(name=config.require("clusterName"))
provider = k8s.Provider(
    "research-eks",
    kubeconfig=pulumi.Output.secret(
        kubeconfig_json(existing.name, existing.endpoint, existing.certificate_authorities[0].data, region)
    ),
)
namespace = k8s.core.v1.Namespace("mlflow", metadata={"name": "mlflow"}, opts=pulumi.ResourceOptions(provider=provider))

lake = DataLake(
    "experiments",
    DataLakeArgs(region=region, environment=environment, lake={"zones": ["raw", "models"]}, tags=tags),
)
tracking = MlflowTracking(
    "mlflow",
    MlflowTrackingArgs(
        region=region,
        environment=environment,
        lake=lake,
        cluster=WorkloadCluster(
            cluster_name=existing.name,
            provider=provider,
            namespace="mlflow",
            security_group_id=existing.vpc_config.cluster_security_group_id,
        ),
        network=PrivateNetwork(vpc_id=config.require("vpcId"), subnet_ids=config.require_object("privateSubnetIds")),
        tags=tags,
    ),
    opts=pulumi.ResourceOptions(depends_on=[namespace]),
)

monitoring = Monitoring(
    "experiments",
    MonitoringArgs(
        region=region,
        environment=environment,
        budget={"monthly_limit_usd": 50},
        monitoring={"alert_emails": [config.require("alertEmail")]},
        stack=stack,
        tags=tags,
    ),
)

pulumi.export("tracking_uri", tracking.tracking_uri)
pulumi.export("artifact_location", tracking.artifact_location)
pulumi.export("admin_credentials", tracking.admin_credentials)
