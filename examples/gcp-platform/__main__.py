"""An ML platform on GCP, composed from the components rather than from a stack spec.

A team that wants only some of the platform (or its own wiring) imports the GCP components: a network, a
GKE cluster with one spot L4 pool that scales from zero, a lake, a Feast store on Firestore and BigQuery, a
Cloud Run model endpoint on an L4 that costs nothing idle, alerts and a budget.
Plan it offline, with its cost and the policy check of its environment (policies/config/dev.json), with
`mlplatform plan --program examples/gcp-platform --stack dev --cost --check`.
"""

import pulumi
import pulumi_kubernetes as k8s

from mlplatform.components.gcp import (
    DataLake,
    DataLakeArgs,
    FeatureStore,
    FeatureStoreArgs,
    GkeNetwork,
    GkeWorkloads,
    GpuCluster,
    GpuClusterArgs,
    ModelEndpoint,
    ModelEndpointArgs,
    MonitoredGkeCluster,
    Monitoring,
    MonitoringArgs,
    Network,
    NetworkArgs,
    PrivateServices,
)

gcp_config = pulumi.Config("gcp")
config = pulumi.Config()
project, region = gcp_config.require("project"), gcp_config.require("region")
labels = {"team": "vision", "project": "defects", "cost-center": "cc-2231", "environment": "dev"}

net = Network("vision", NetworkArgs(project=project, region=region, cidr="10.70.0.0/16", labels=labels))
cluster = GpuCluster(
    "vision",
    GpuClusterArgs(
        project=project,
        region=region,
        network=GkeNetwork(network=net.network_id, subnetwork=net.subnetwork_self_link),
        cluster={
            "system_nodes": {"min_nodes": 1, "max_nodes": 2},
            "gpu_pools": [{"name": "inference", "gpu": "L4", "max_nodes": 3}],
            # Zones that offer L4 GPUs; the zonal control plane sits in the first.
            "zones": [f"{region}-a", f"{region}-b", f"{region}-c"],
        },
        labels=labels,
    ),
)
namespace = k8s.core.v1.Namespace(
    "vision", metadata={"name": "vision"}, opts=pulumi.ResourceOptions(provider=cluster.provider)
)
lake = DataLake("vision-lake", DataLakeArgs(project=project, region=region, labels=labels))
store = FeatureStore(
    "vision-features",
    FeatureStoreArgs(
        project=project,
        region=region,
        lake=lake,
        store={"project": "defects", "offline_store": "bigquery", "online_store": "firestore"},
        cluster=GkeWorkloads(provider=cluster.provider, namespace="vision"),
        network=PrivateServices(network=net.network_id, connection=net.private_services_connection),
        labels=labels,
    ),
    opts=pulumi.ResourceOptions(depends_on=[namespace]),
)
monitoring = Monitoring(
    "vision-monitoring",
    MonitoringArgs(
        project=project,
        billing_account=config.require("billingAccount"),
        budget={"monthly_limit_usd": 400},
        monitoring={"alert_emails": [config.require("alertEmail")], "prometheus": False},
        stack=pulumi.get_stack(),
        cluster=MonitoredGkeCluster(cluster_name=cluster.cluster_name, provider=cluster.provider),
        endpoints=["detector-dev"],
        labels=labels,
    ),
)
detector = ModelEndpoint(
    "detector",
    ModelEndpointArgs(
        project=project,
        region=region,
        lake=lake,
        endpoint_name="detector-dev",
        endpoint={
            "name": "detector",
            "mode": "serverless",
            "serverless": {"gpu": True, "memory_mb": 16384, "max_concurrency": 4},
            "variants": [
                {
                    "name": "v3",
                    "image": "europe-west4-docker.pkg.dev/vision-ml-dev-2231/models/detector:3",
                    # Published by the training pipeline: it exists before this stack's (empty) lake does.
                    "model_data": "gs://vision-ml-model-registry/detector/v3/",
                }
            ],
        },
        notification_channels=monitoring.notification_channels,
        labels=labels,
    ),
)

pulumi.export("kubeconfig", cluster.kubeconfig)
pulumi.export("gpu_pools", cluster.gpu_pool_names)
pulumi.export("feature_store_yaml", store.feature_store_yaml)
pulumi.export("detector_url", detector.invoke_url)
