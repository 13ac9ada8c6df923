"""One owner per default: a component built directly, with a setting left unset, gets the value a stack of the same
cloud and environment resolves for it (both ask mlplatform.components.config.defaults)."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pulumi_kubernetes as k8s
import pytest
import yaml

from mlplatform import engine
from mlplatform.components import aws, gcp
from mlplatform.components.aws.monitoring import MonitoredCluster
from mlplatform.components.aws.placement import PrivateNetwork, WorkloadCluster
from mlplatform.components.base.types import (
    AWS_EC2_INSTANCE,
    AWS_EC2_NAT_GATEWAY,
    AWS_EC2_SUBNET,
    AWS_EKS_ADDON,
    AWS_EKS_CLUSTER,
    AWS_EKS_NODE_GROUP,
    AWS_RDS_INSTANCE,
    GCP_CONTAINER_CLUSTER,
    GCP_CONTAINER_NODE_POOL,
    GCP_SQL_DATABASE_INSTANCE,
    K8S_DEPLOYMENT,
    K8S_HELM_RELEASE,
    K8S_KSERVE_INFERENCE_SERVICE,
    MLPLATFORM_AWS_FEATURE_STORE,
)
from mlplatform.components.base.values import duration_seconds
from mlplatform.components.compositions import IdentityContext, Serving, ServingArgs, Toolchain, ToolchainArgs
from mlplatform.components.config import (
    BatchJobSpec,
    NotebooksSpec,
    PlatformSpec,
    RaySpec,
    ServingSpec,
    parse_platform_spec,
)
from mlplatform.components.config.defaults import resolved
from mlplatform.components.gcp.placement import GkeWorkloads, PrivateServices
from mlplatform.components.k8s.model_server import ModelServer, ModelServerArgs
from mlplatform.components.k8s.notebooks import NotebookProfile, NotebooksArgs
from mlplatform.components.k8s.observability import ClusterObservability, ObservabilityArgs
from mlplatform.plan import Plan
from tests.fixtures import (
    DEPLOYER_CIDR,
    GCP_BILLING_ACCOUNT,
    GCP_PROJECT,
    L4_POOL,
    TAGS,
    aws_config,
    gcp_config,
    with_sections,
)

ENVIRONMENTS = ["dev", "staging", "prod"]
EGRESS = [DEPLOYER_CIDR]  # prod refuses an API endpoint open to everyone
AWS_NETWORK = {
    "vpc_id": "vpc-0123456789abcdef0",
    "private_subnet_ids": ["subnet-0aaaaaaaaaaaaaaaa", "subnet-0bbbbbbbbbbbbbbbb"],
}
GCP_ZONES = ["us-central1-a"]


def stack(cloud: str, environment: str, **sections: Any) -> PlatformSpec:
    """The smallest stack of ``cloud`` and ``environment`` (tests/fixtures.py) with an L4 pool and ``sections``,
    validated and resolved."""
    if cloud == "aws":
        doc = aws_config(environment, cluster={"gpu_pools": [L4_POOL]})
    else:
        doc = gcp_config(environment, cluster={"gpu_pools": [L4_POOL], "zones": GCP_ZONES})
    return parse_platform_spec(with_sections(doc, **sections))


def cluster_args(environment: str, **fields: Any) -> dict[str, Any]:
    """The cluster section of a component built directly: nothing set but what prod requires."""
    return {"public_access_cidrs": EGRESS, **fields} if environment == "prod" else fields


def prometheus_retention(plan: Plan) -> str:
    release = next(r for r in plan.by_type(K8S_HELM_RELEASE) if r.input("name") == "kube-prometheus-stack")
    return release.input("values.prometheus.prometheusSpec.retention")


# --- cluster -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_eks_system_nodes_and_version_are_the_stacks(environment):
    # GIVEN a GpuCluster built directly, its system nodes and version left unset
    def program():
        aws.GpuCluster(
            "gpu",
            aws.GpuClusterArgs(
                region="us-east-1", network=AWS_NETWORK, environment=environment, cluster=cluster_args(environment)
            ),
        )

    plan = engine.run(program)
    # THEN they are what a stack of the same environment resolves
    resolved = stack("aws", environment).cluster
    system = plan.one(AWS_EKS_NODE_GROUP)
    assert system.input("capacityType") == str(resolved.system_nodes.capacity).upper().replace("-", "_")
    assert system.input("instanceTypes") == resolved.system_nodes.instance_types
    assert plan.one(AWS_EKS_CLUSTER).input("version") == resolved.kubernetes_version


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_gke_system_nodes_and_version_are_the_stacks(environment):
    def program():
        gcp.GpuCluster(
            "gpu",
            gcp.GpuClusterArgs(
                project=GCP_PROJECT,
                region="us-central1",
                network=gcp.GkeNetwork(network="n", subnetwork="s"),
                environment=environment,
                cluster=cluster_args(environment, zones=GCP_ZONES),
            ),
        )

    plan = engine.run(program)
    resolved = stack("gcp", environment).cluster
    system = plan.one(GCP_CONTAINER_NODE_POOL, "gpu-system")
    assert system.input("nodeConfig.machineType") == resolved.system_nodes.instance_types[0]
    assert system.input("nodeConfig.spot") is (str(resolved.system_nodes.capacity) == "spot")
    assert plan.one(GCP_CONTAINER_CLUSTER).input("minMasterVersion") == resolved.kubernetes_version


# --- network -------------------------------------------------------------------------------------------------


def test_cloud_nat_is_the_stacks():
    assert gcp.NetworkArgs(project=GCP_PROJECT, region="us-central1").nat is stack("gcp", "dev").network.nat


# --- feature store -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("cloud", ["aws", "gcp"])
def test_online_store_is_the_stacks(cloud):
    def program():
        if cloud == "aws":
            lake = aws.DataLake("lake", aws.DataLakeArgs(region="us-east-1"))
            aws.FeatureStore("features", aws.FeatureStoreArgs(region="us-east-1", lake=lake))
        else:
            lake = gcp.DataLake("lake", gcp.DataLakeArgs(project=GCP_PROJECT, region="us-central1"))
            gcp.FeatureStore("features", gcp.FeatureStoreArgs(project=GCP_PROJECT, region="us-central1", lake=lake))

    plan = engine.run(program)
    feast = yaml.safe_load(str(plan.one(f"mlplatform:{cloud}:FeatureStore").outputs["feature_store_yaml"]))
    # Feast reaches Firestore through its Datastore API
    store = {"dynamodb": "dynamodb", "firestore": "datastore"}[str(stack(cloud, "dev").feature_store.online_store)]
    assert feast["online_store"]["type"] == store


def test_feast_project_is_named_as_the_stack_names_it():
    # GIVEN a FeatureStore built directly with no project, named like a stack's project tag that needs fixing
    def program():
        lake = aws.DataLake("lake", aws.DataLakeArgs(region="us-east-1"))
        aws.FeatureStore("2024-recsys", aws.FeatureStoreArgs(region="us-east-1", lake=lake))

    plan = engine.run(program)
    # THEN its Feast project is the name the stack derives from that tag: a valid Feast name
    resolved = stack("aws", "dev", tags={**TAGS, "project": "2024-recsys"}).feature_store.project
    assert plan.one(MLPLATFORM_AWS_FEATURE_STORE).outputs["project"] == resolved == "p_2024_recsys"


# --- monitoring ----------------------------------------------------------------------------------------------


def aws_monitoring(environment: str) -> aws.Monitoring:
    """AWS Monitoring built directly for ``environment``, with the settings it requires only."""
    return aws.Monitoring(
        "monitoring",
        aws.MonitoringArgs(
            region="us-east-1",
            environment=environment,
            budget={"monthly_limit_usd": 100},
            cluster=MonitoredCluster(cluster_name="c", provider=k8s.Provider("eks")),
        ),
    )


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_prometheus_retention_is_the_stacks(environment):
    def program():
        aws_monitoring(environment)
        gcp.Monitoring(
            "gke-monitoring",
            gcp.MonitoringArgs(
                project=GCP_PROJECT,
                billing_account=GCP_BILLING_ACCOUNT,
                environment=environment,
                budget={"monthly_limit_usd": 100},
                cluster=gcp.MonitoredGkeCluster(cluster_name="c", provider=k8s.Provider("gke")),
            ),
        )

    plan = engine.run(program)
    days = stack("aws", environment).monitoring.prometheus_retention_days
    assert days == stack("gcp", environment).monitoring.prometheus_retention_days
    releases = [r for r in plan.by_type(K8S_HELM_RELEASE) if r.input("name") == "kube-prometheus-stack"]
    assert [r.input("values.prometheus.prometheusSpec.retention") for r in releases] == [f"{days}d"] * 2


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_container_insights_are_the_stacks(environment):
    addons = engine.run(lambda: aws_monitoring(environment)).by_type(AWS_EKS_ADDON)
    insights = [a for a in addons if a.input("addonName") == "amazon-cloudwatch-observability"]
    assert bool(insights) is stack("aws", environment).monitoring.container_insights


@pytest.mark.parametrize("production", [False, True])
def test_observability_retention_is_the_stacks(production):
    plan = engine.run(lambda: ClusterObservability("obs", ObservabilityArgs(production=production)))
    days = stack("aws", "prod" if production else "dev").monitoring.prometheus_retention_days
    assert prometheus_retention(plan) == f"{days}d"


# --- network -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_vpc_zones_and_nat_are_the_stacks(environment):
    plan = engine.run(lambda: aws.Network("net", aws.NetworkArgs(region="us-east-1", environment=environment)))
    network = stack("aws", environment).network
    private = [s for s in plan.by_type(AWS_EC2_SUBNET) if "private" in s.name]
    gateways, instances = plan.by_type(AWS_EC2_NAT_GATEWAY), plan.by_type(AWS_EC2_INSTANCE)
    assert len(private) == network.availability_zones
    nat = {
        "instance": (0, 1),
        "single": (1, 0),
        "per-az": (network.availability_zones, 0),
    }[str(network.nat)]
    assert (len(gateways), len(instances)) == nat


# --- MLflow --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_mlflow_database_and_replicas_are_the_stacks(environment):
    # GIVEN MlflowTracking built directly on each cloud, its database class, backups and replicas left unset
    def program():
        lake = aws.DataLake("lake", aws.DataLakeArgs(region="us-east-1"))
        aws.MlflowTracking(
            "mlflow",
            aws.MlflowTrackingArgs(
                region="us-east-1",
                environment=environment,
                lake=lake,
                cluster=WorkloadCluster(cluster_name="c", provider=k8s.Provider("eks"), security_group_id="sg-1"),
                network=PrivateNetwork(vpc_id="vpc-1", subnet_ids=["subnet-1", "subnet-2"]),
            ),
        )
        gcs = gcp.DataLake("gcs", gcp.DataLakeArgs(project=GCP_PROJECT, region="us-central1"))
        gcp.MlflowTracking(
            "gke-mlflow",
            gcp.MlflowTrackingArgs(
                project=GCP_PROJECT,
                region="us-central1",
                environment=environment,
                lake=gcs,
                cluster=GkeWorkloads(provider=k8s.Provider("gke"), namespace="gke"),
                network=PrivateServices(network="n"),
            ),
        )

    plan = engine.run(program)
    # THEN they are what a stack of the same environment resolves (staging: db.t4g.small, db-g1-small)
    on_aws, on_gcp = stack("aws", environment).mlflow, stack("gcp", environment).mlflow
    rds = plan.one(AWS_RDS_INSTANCE)
    assert rds.input("instanceClass") == on_aws.database.instance_class
    assert rds.input("backupRetentionPeriod") == on_aws.database.backup_retention_days
    sql = plan.one(GCP_SQL_DATABASE_INSTANCE)
    assert sql.input("settings.tier") == on_gcp.database.instance_class
    backups = sql.input("settings.backupConfiguration.backupRetentionSettings.retainedBackups")
    assert backups == on_gcp.database.backup_retention_days
    replicas = {d.input("metadata.namespace"): d.input("spec.replicas") for d in plan.by_type(K8S_DEPLOYMENT)}
    assert replicas == {"mlplatform": on_aws.replicas, "gke": on_gcp.replicas}


# --- toolchain and serving: the whole component, library-built against stack-built --------------------------------

ZONES = ["raw", "models", "curated", "features"]  # neither the curated nor the models zone where position implies it
NOTEBOOKS = {
    "dev": {"enabled": True},
    "staging": {"enabled": True, "auth": {"type": "github", "client_id": "c", "allowed_users": ["alice"]}},
    "prod": {"enabled": True, "auth": {"type": "github", "client_id": "c", "allowed_users": ["alice"]}},
}
HUB = {"ingress_host": "hub.example.com"}
SECRET = "mlplatform:notebooksOauthClientSecret"  # the OAuth client secret of github sign-in
CERTIFICATE = {"certificate_arn": "arn:aws:acm:us-east-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"}
RAY = {"enabled": True}
BATCH = [
    {
        "name": "nightly",
        "schedule": "0 2 * * *",
        "image": "ranker:1",
        "command": ["python", "score.py"],
        "gpu_pool": "inference",
        "input_zone": "features",
        "output_zone": "curated",
        "output_prefix": "scores/",
    }
]
SERVERS = [
    {"name": "llm", "runtime": "vllm", "model_uri": "hf://org/llm", "gpu_pool": "inference"},
    {
        "name": "ranker",
        "runtime": "triton",
        "model_uri": "triton/",
        "triton": {
            "backend": "onnxruntime",
            "inputs": [{"name": "x", "data_type": "FP32", "dims": [4]}],
            "outputs": [{"name": "y", "data_type": "FP32", "dims": [1]}],
        },
    },
    {
        "name": "scorer",
        "runtime": "mlflow",
        "model_uri": "models:/scorer/1",
        "request_logging": True,
        "drift": {"reference": "scorer/reference.parquet"},
    },
]


def notebooks(environment: str) -> dict[str, Any]:
    section = {**NOTEBOOKS[environment]}
    if environment != "dev":
        section.update(HUB, **(CERTIFICATE if environment == "prod" else {}))
    return section


def resources(plan: Plan) -> dict[str, dict[str, Any]]:
    """Every resource by URN, with its dependencies in a stable order (the engine records them as they resolve)."""
    out = {}
    for r in plan:
        record = r.to_dict()
        record["dependencies"] = sorted(record.get("dependencies", []))
        record["property_dependencies"] = {k: sorted(v) for k, v in record.get("property_dependencies", {}).items()}
        out[r.urn] = record
    return out


def composition(spec: PlatformSpec, build: Callable[..., Any], **sections: Any) -> Plan:
    """The Plan of a composition built on ``sections`` with the spec's environment and GPU pools, on a lake of the
    spec's zones (secrets a sign-in needs set)."""

    def program():
        lake = aws.DataLake("lake", aws.DataLakeArgs(region="us-east-1", lake={"zones": ZONES}))
        identity = IdentityContext(cloud="aws", region="us-east-1", lake=lake, cluster_name="c")
        cluster = SimpleNamespace(cluster_name="c", provider=k8s.Provider("k8s"), storage_class="gp3")
        build(
            identity=identity,
            cluster=cluster,
            environment=spec.environment,
            gpu_pools=spec.cluster.gpu_pools,
            **sections,
        )

    return engine.run(
        program,
        config={"mlplatform:notebooksOauthClientSecret": "s"},
        secrets=["mlplatform:notebooksOauthClientSecret"],
    )


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_toolchain_built_on_unresolved_sections_is_the_stacks(environment):
    # GIVEN the stack's resolved notebooks, ray and batch sections, and the same sections as a library user builds
    # them directly, with nothing resolved (cull timeout, write zones, profiles, worker and pod sizes left unset)
    sections = {"notebooks": notebooks(environment), "ray": RAY, "batch": BATCH}
    spec = stack("aws", environment, data_lake={"zones": ZONES}, **sections)
    unresolved = {
        "notebooks": NotebooksSpec.model_validate(sections["notebooks"]),
        "ray": RaySpec.model_validate(RAY),
        "batch": [BatchJobSpec.model_validate(job) for job in BATCH],
    }
    assert unresolved["notebooks"].cull_timeout is None and unresolved["ray"].write_zone is None

    def toolchain(**args: Any) -> Toolchain:
        return Toolchain("tools", ToolchainArgs(**args))

    # WHEN both are built THEN every resource is the same
    stacks = composition(spec, toolchain, notebooks=spec.notebooks, ray=spec.ray, batch=spec.batch)
    assert resources(composition(spec, toolchain, **unresolved)) == resources(stacks)


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_serving_built_on_an_unresolved_section_is_the_stacks(environment):
    spec = stack("aws", environment, data_lake={"zones": ZONES}, serving={"servers": SERVERS})
    unresolved = ServingSpec.model_validate({"servers": SERVERS})
    assert unresolved.servers[0].concurrency_target is None

    def serving(**args: Any) -> Serving:
        return Serving("serving", ServingArgs(mlflow_tracking_uri="http://mlflow", **args))

    stacks = composition(spec, serving, serving=spec.serving)
    assert resources(composition(spec, serving, serving=unresolved)) == resources(stacks)


@pytest.mark.parametrize("runtime", ["triton", "vllm", "mlflow"])
def test_model_server_concurrency_target_is_the_stacks(runtime):
    def program():
        ModelServer(
            "server",
            ModelServerArgs(namespace="ml", runtime=runtime, storage_uri="s3://b/m/", pool="inference", gpu_model="L4"),
        )

    isvc = engine.run(program).one(K8S_KSERVE_INFERENCE_SERVICE)
    server = {"name": "s", "runtime": runtime, "model_uri": "hf://org/m", "gpu_pool": "inference"}
    if runtime == "triton":
        server.update(model_uri="triton/", triton=SERVERS[1]["triton"])
    if runtime == "mlflow":
        server.update(model_uri="models:/s/1")
    resolved = stack("aws", "dev", serving={"servers": [server]}).serving.servers[0]
    assert isvc.input("spec.predictor.scaleTarget") == resolved.concurrency_target


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_cpu_model_server_size_and_max_replicas_are_the_stacks(environment):
    # GIVEN a stack's CPU server, and the same server built directly with only its replicas floor set
    doc = {"name": "s", "runtime": "mlflow", "model_uri": "models:/s/1"}
    server = stack("aws", environment, serving={"servers": [doc]}).serving.servers[0]
    args = ModelServerArgs(
        namespace="ml", runtime="mlflow", storage_uri="models:/s/1", min_replicas=resolved(server.min_replicas)
    )
    # THEN its size and replicas ceiling are the stack's
    assert (args.cpu, args.memory_gb, args.max_replicas) == (server.cpu, server.memory_gb, server.max_replicas)


NOTEBOOK_SIZE = {"cpu_guarantee": 0.5, "cpu_limit": 1, "memory_guarantee_gb": 1, "memory_limit_gb": 1}


@pytest.mark.parametrize(("environment", "production"), [("dev", False), ("prod", True)])
def test_notebook_culling_is_the_stacks(environment, production):
    # GIVEN a stack's notebooks section, and notebooks built directly for the same environment
    nb = stack("aws", environment, data_lake={"zones": ZONES}, notebooks=notebooks(environment)).notebooks
    profile = NotebookProfile(slug="cpu", display_name="CPU", image="i", **NOTEBOOK_SIZE)
    args = NotebooksArgs(namespace="ml", profiles=[profile], storage_class="gp3", production=production)
    # THEN they are culled after the stack's timeout and maximum age
    max_age = duration_seconds(nb.max_age) if nb.max_age is not None else 0
    assert (args.cull.timeout_seconds, args.cull.max_age_seconds) == (
        duration_seconds(resolved(nb.cull_timeout)),
        max_age,
    )
