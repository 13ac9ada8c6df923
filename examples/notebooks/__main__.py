"""JupyterHub for a team, on a cluster you already have: GitHub sign-in, a CPU profile and a T4 profile on the
cluster's spot GPU pool, idle servers culled after an hour, and the lake readable with no keys.

The hub's user servers run as one Kubernetes service account bound (EKS Pod Identity) to a role that may read
the raw and curated zones and write curated/notebooks/; MLflow is preset. The GPU profile selects the pool's
nodes (labelled mlplatform.io/gpu-pool and mlplatform.io/gpu by the platform's GpuCluster, or by your own node
groups) and tolerates their nvidia.com/gpu taint, so starting one wakes the pool from zero and the culler lets
it go back. The program's monthly budget counts only what carries its cost-allocation tag (the GPU nodes are
the cluster's). Plan it offline with
`mlplatform plan --program examples/notebooks --stack dev --cost --check`; the OAuth client secret is a
secret config value (`pulumi config set --secret notebooks:githubClientSecret ...`).
"""

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from mlplatform.components.aws import DataLake, DataLakeArgs, Monitoring, MonitoringArgs
from mlplatform.components.aws.gpu_cluster import kubeconfig_json
from mlplatform.components.aws.workload_role import WorkloadRole, WorkloadRoleArgs
from mlplatform.components.config import CostTags, Environment, LakeAccess
from mlplatform.components.config.notebooks import NOTEBOOK_GPU_IMAGE, NOTEBOOK_IMAGE
from mlplatform.components.k8s.notebooks import Authenticator, CullSettings, NotebookProfile, Notebooks, NotebooksArgs

config = pulumi.Config()
region = pulumi.Config("aws").require("region")
namespace = "notebooks"
environment = Environment.DEV
# The budget counts what carries this tag: this program's resources, not the rest of the account.
stack = f"{pulumi.get_project()}-{pulumi.get_stack()}"
tags = CostTags(team="research", project="exploration", cost_center="cc-5120").as_tags(environment, stack)

existing = aws.eks.get_cluster(name=config.require("clusterName"))
provider = k8s.Provider(
    "research-eks",
    kubeconfig=pulumi.Output.secret(
        kubeconfig_json(existing.name, existing.endpoint, existing.certificate_authorities[0].data, region)
    ),
)
ns = k8s.core.v1.Namespace("notebooks", metadata={"name": namespace}, opts=pulumi.ResourceOptions(provider=provider))

lake = DataLake(
    "exploration",
    DataLakeArgs(region=region, environment=environment, lake={"zones": ["raw", "curated"]}, tags=tags),
)
role = WorkloadRole(
    "notebook-users",
    WorkloadRoleArgs(
        cluster_name=existing.name,
        namespace=namespace,
        service_account="jupyter-user",
        lake=lake,
        read=[LakeAccess(zone="raw"), LakeAccess(zone="curated")],
        write=[LakeAccess(zone="curated", prefix="notebooks/")],
        description="JupyterHub user servers: read raw and curated, write curated/notebooks/",
        tags=tags,
    ),
)
hub = Notebooks(
    "hub",
    NotebooksArgs(
        namespace=namespace,
        storage_class=config.get("storageClass") or "gp3",
        storage_gb=20,
        profiles=[
            NotebookProfile(
                slug="cpu",
                display_name="CPU",
                image=NOTEBOOK_IMAGE,
                cpu_guarantee=0.5,
                cpu_limit=2,
                memory_guarantee_gb=1,
                memory_limit_gb=4,
                default=True,
            ),
            NotebookProfile(
                slug="t4",
                display_name="1 x T4 (spot)",
                image=NOTEBOOK_GPU_IMAGE,
                cpu_guarantee=2,
                cpu_limit=4,
                memory_guarantee_gb=8,
                memory_limit_gb=12,
                gpus=1,
                gpu_model="T4",
                pool=config.get("gpuPool") or "experiments",
            ),
        ],
        authenticator=Authenticator.GITHUB,
        auth_config={
            "client_id": config.require("githubClientId"),
            "client_secret": config.require_secret("githubClientSecret"),
            "allowed_organizations": [config.require("githubOrganization")],
            "scope": ["read:org"],
        },
        cull=CullSettings(timeout_seconds=3600, every_seconds=300, max_age_seconds=12 * 3600),
        env={"MLFLOW_TRACKING_URI": config.require("mlflowTrackingUri"), "AWS_REGION": region},
        egress=[
            {
                "to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "mlplatform"}}}],
                "ports": [{"port": 5000, "protocol": "TCP"}],
            }
        ],
        ingress_host=config.require("hubHost"),
        ingress_class="nginx",
    ),
    opts=pulumi.ResourceOptions(provider=provider, depends_on=[ns, role.association, *role.grants]),
)

monitoring = Monitoring(
    "exploration",
    MonitoringArgs(
        region=region,
        environment=environment,
        budget={"monthly_limit_usd": 50},
        monitoring={"alert_emails": [config.require("alertEmail")]},
        stack=stack,
        tags=tags,
    ),
)

pulumi.export("hub_url", hub.hub_url)
pulumi.export("role_arn", role.role_arn)
