"""Ray Tune on a cluster you already have: the KubeRay operator and a RayJob that searches hyper-parameters
with Optuna on spot T4 workers from zero, logging every trial to MLflow.

The job brings its own RayCluster (head on the system nodes, a T4 worker group scaled 0-4 by the Ray
autoscaler) and deletes it when it finishes; its results and checkpoints, and any objects that do not fit in
memory, go to the lake's models zone under ray/, through a Pod Identity role that may write nothing else. The
entrypoint is ``tune_job.py`` beside this file, the same script the integration tests run against a real
MLflow server. The program's monthly budget counts only what carries its cost-allocation tag (the GPU nodes
are the cluster's). Plan it offline with
`mlplatform plan --program examples/ray-tune --stack dev --cost --check`; the policy check reports the
pool's GPU limit as unchecked (advisory) until the cluster's owner declares it in the policy config
(``external-pool-limits.pools``).
"""

from pathlib import Path

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from mlplatform.components.aws import DataLake, DataLakeArgs, Monitoring, MonitoringArgs
from mlplatform.components.aws.gpu_cluster import kubeconfig_json
from mlplatform.components.aws.workload_role import WorkloadRole, WorkloadRoleArgs
from mlplatform.components.config import CostTags, Environment, LakeAccess
from mlplatform.components.k8s.ray import KubeRayOperator, RayJob, RayJobArgs, RayWorkerGroup

config = pulumi.Config()
region = pulumi.Config("aws").require("region")
namespace = config.get("namespace") or "ml-experiments"
environment = Environment.DEV
# The budget counts what carries this tag: this program's resources, not the rest of the account.
stack = f"{pulumi.get_project()}-{pulumi.get_stack()}"
tags = CostTags(team="research", project="ranking", cost_center="cc-5120").as_tags(environment, stack)

existing = aws.eks.get_cluster(name=config.require("clusterName"))
provider = k8s.Provider(
    "research-eks",
    kubeconfig=pulumi.Output.secret(
        kubeconfig_json(existing.name, existing.endpoint, existing.certificate_authorities[0].data, region)
    ),
)
on_cluster = pulumi.ResourceOptions(provider=provider)
ns = k8s.core.v1.Namespace("experiments", metadata={"name": namespace}, opts=on_cluster)

lake = DataLake(
    "ranking",
    DataLakeArgs(region=region, environment=environment, lake={"zones": ["features", "models"]}, tags=tags),
)
role = WorkloadRole(
    "tune",
    WorkloadRoleArgs(
        cluster_name=existing.name,
        namespace=namespace,
        service_account="ray-tune",
        lake=lake,
        read=[LakeAccess(zone="features")],
        write=[LakeAccess(zone="models", prefix="ray/")],
        description="Ray Tune sweeps: read features, write ray/ results and spilled objects",
        tags=tags,
    ),
)
operator = KubeRayOperator("kuberay", opts=on_cluster)
results = pulumi.Output.concat(lake.zone_urls["models"], "ray/")
job = RayJob(
    "tune",
    RayJobArgs(
        namespace=namespace,
        cluster_name="ranker-sweep",
        operator=operator.release,
        service_account="ray-tune",
        entrypoint_script=(Path(__file__).parent / "tune_job.py").read_text(),
        script_name="tune_job.py",
        # The Ray image has NumPy and pandas; the job adds the searcher and the MLflow client.
        pip=["optuna==5.0.0", "mlflow-skinny==3.17.0"],
        job_env={"TUNE_NUM_SAMPLES": "24", "TUNE_MAX_CONCURRENT": "4", "MLFLOW_EXPERIMENT": "ranker-sweep"},
        env={
            "MLFLOW_TRACKING_URI": config.require("mlflowTrackingUri"),
            "RAY_RESULTS_URL": pulumi.Output.concat(results, "results"),
            "AWS_REGION": region,
        },
        # An MLflow user for the sweeps: kubectl -n <namespace> create secret generic mlflow-credentials ...
        secret_env={
            "MLFLOW_TRACKING_USERNAME": ("mlflow-credentials", "username"),
            "MLFLOW_TRACKING_PASSWORD": ("mlflow-credentials", "password"),
        },
        spill_url=pulumi.Output.concat(results, "spill"),
        worker_groups=[
            RayWorkerGroup(
                name="t4", pool="experiments", gpu_model="T4", gpus=1, cpu=3, memory_gb=12, min_workers=0, max_workers=4
            )
        ],
        active_deadline_seconds=3 * 3600,
    ),
    opts=pulumi.ResourceOptions(provider=provider, depends_on=[ns, role.association, *role.grants]),
)

monitoring = Monitoring(
    "ranking",
    MonitoringArgs(
        region=region,
        environment=environment,
        budget={"monthly_limit_usd": 50},
        monitoring={"alert_emails": [config.require("alertEmail")]},
        stack=stack,
        tags=tags,
    ),
)

pulumi.export("job_name", job.job_name)
pulumi.export("results_url", results)
pulumi.export("role_arn", role.role_arn)
