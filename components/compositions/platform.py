"""MlPlatform: the composition root that turns a validated PlatformSpec into the components of one stack.

Example (the whole root program)::

    from mlplatform.components import MlPlatform, load_platform_spec

    platform = MlPlatform("mlplatform", load_platform_spec())
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pulumi
import pulumi_kubernetes as k8s

from ..aws import (
    AwsLoadBalancerController,
    AwsLoadBalancerControllerArgs,
    ClusterNetwork,
    DataLake,
    DataLakeArgs,
    FeatureStore,
    FeatureStoreArgs,
    GpuCluster,
    GpuClusterArgs,
    MlflowTracking,
    MlflowTrackingArgs,
    ModelEndpoint,
    ModelEndpointArgs,
    Monitoring,
    MonitoringArgs,
    Network,
    NetworkArgs,
    PrivateNetwork,
    WorkloadCluster,
)
from ..aws.load_balancer_controller import alb_annotations
from ..aws.monitoring import DashboardEndpoint, MonitoredCluster
from ..base.cloud import Cloud
from ..base.types import MLPLATFORM_PLATFORM
from ..config import defaults
from ..config.cluster import Provisioner
from ..config.endpoints import EndpointMode
from ..config.features import OnlineStore
from ..config.lake import zone_roles
from ..config.platform import PlatformSpec
from ..interfaces import Features, StrInput
from .serving import Serving, ServingArgs
from .toolchain import Toolchain, ToolchainArgs
from .workload_identity import IdentityContext

if TYPE_CHECKING:
    from .. import gcp

PLATFORM_NAMESPACE = "mlplatform"


class MlPlatform(pulumi.ComponentResource):
    """All components of one stack, parented under one component so the Plan and the console group them.

    Each cloud's components are added here as they are built (network, cluster, lake, feature store, MLflow,
    endpoints, monitoring); the spec is validated before this constructor runs, so nothing is registered for
    an invalid stack.
    """

    spec: PlatformSpec
    tags: dict[str, str]
    feature_store: Features | None
    """The stack's feature store; none when the spec disables it."""

    def __init__(self, name: str, spec: PlatformSpec, opts: pulumi.ResourceOptions | None = None):
        super().__init__(MLPLATFORM_PLATFORM, name, None, opts)
        self.spec = spec
        self.tags = spec.tag_set(pulumi.get_stack())
        self.feature_store = None
        self.outputs: dict[str, pulumi.Input[object]] = {
            "cloud": str(spec.cloud),
            "region": spec.region,
            "environment": str(spec.environment),
            "cost_tags": self.tags,
        }
        if spec.cloud is Cloud.AWS:
            self._build_aws(name, spec)
        else:
            self._build_gcp(name, spec)
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
                environment=spec.environment,
                availability_zones=net.availability_zones,
                nat=net.nat,
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
        self.namespace = self._namespace(name)
        workloads = WorkloadCluster(
            cluster_name=self.cluster.cluster_name,
            provider=self.cluster.provider,
            namespace=PLATFORM_NAMESPACE,
            security_group_id=self.cluster.cluster_security_group_id,
        )
        self.lake = DataLake(
            f"{name}-lake",
            DataLakeArgs(region=spec.region, environment=spec.environment, lake=spec.data_lake, tags=self.tags),
            opts=child,
        )
        zones = zone_roles(self.lake.zones)
        self.outputs.update(
            lake_buckets=self.lake.bucket_names,
            dvc_remote_url=self.lake.dvc_remote_url,
            athena_workgroup=self.lake.athena_workgroup,
        )
        online_tables: list[pulumi.Output[str]] = []
        if spec.feature_store.enabled:
            feature_store = FeatureStore(
                f"{name}-features",
                FeatureStoreArgs(
                    region=spec.region,
                    environment=spec.environment,
                    lake=self.lake,
                    store=spec.feature_store,
                    features_zone=zones["features"],
                    cluster=workloads,
                    network=PrivateNetwork(vpc_id=self.network.vpc_id, subnet_ids=self.network.private_subnet_ids),
                    tags=self.tags,
                ),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[self.namespace]),
            )
            self.feature_store = feature_store
            online_tables = list(feature_store.online_tables)
            self.outputs.update(feature_store_yaml=feature_store.feature_store_yaml)
        # One ALB controller serves every alb Ingress of the stack (MLflow's, the hub's); when both exist they
        # join one ALB group and share a load balancer.
        mlflow_alb = spec.mlflow.enabled and spec.mlflow.ingress_host and spec.mlflow.ingress_class in (None, "alb")
        hub_alb = spec.notebooks.enabled and spec.notebooks.ingress_host is not None
        controller = None
        if mlflow_alb or hub_alb:
            controller = AwsLoadBalancerController(
                f"{name}-alb-controller",
                AwsLoadBalancerControllerArgs(
                    cluster_name=self.cluster.cluster_name,
                    vpc_id=self.network.vpc_id,
                    region=spec.region,
                    tags=self.tags,
                ),
                opts=pulumi.ResourceOptions(parent=self, provider=self.cluster.provider),
            )
        alb_group = f"{name}-{pulumi.get_stack()}"[:63] if mlflow_alb and hub_alb else None
        if spec.mlflow.enabled:
            self.mlflow = MlflowTracking(
                f"{name}-mlflow",
                MlflowTrackingArgs(
                    region=spec.region,
                    environment=spec.environment,
                    lake=self.lake,
                    cluster=workloads,
                    network=PrivateNetwork(vpc_id=self.network.vpc_id, subnet_ids=self.network.private_subnet_ids),
                    mlflow=spec.mlflow,
                    artifacts_zone=zones["models"],
                    ingress_controller=controller.release if controller else None,
                    ingress_group=alb_group,
                    tags=self.tags,
                ),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[self.namespace]),
            )
            if self.mlflow.ingress_address is not None:
                self.outputs.update(mlflow_ingress_address=self.mlflow.ingress_address)
            self._mlflow_outputs(self.mlflow)
        # Endpoint names are fixed up front so the dashboard can chart them before they exist. Disabled endpoints
        # (no model yet) get nothing.
        endpoints = [e for e in spec.endpoints if e.enabled]
        endpoint_names = {e.name: f"{e.name}-{pulumi.get_stack()}" for e in endpoints}
        self.monitoring = Monitoring(
            f"{name}-monitoring",
            MonitoringArgs(
                region=spec.region,
                environment=spec.environment,
                monitoring=spec.monitoring,
                budget=spec.budget,
                endpoints=[
                    DashboardEndpoint(
                        name=endpoint_names[e.name],
                        variants=[v.name for v in e.variants],
                        serverless=e.mode is EndpointMode.SERVERLESS,
                    )
                    for e in endpoints
                ],
                cluster=MonitoredCluster(
                    cluster_name=self.cluster.cluster_name,
                    provider=self.cluster.provider,
                    gpu_pools=[p.name for p in spec.cluster.gpu_pools],
                    karpenter=spec.cluster.provisioner is Provisioner.KARPENTER,
                    storage_class=self.cluster.storage_class,
                    nodes=self.cluster.system_nodes,
                ),
                databases=[self.mlflow.database_identifier] if spec.mlflow.enabled else [],
                tables=online_tables,
                tags=self.tags,
            ),
            opts=child,
        )
        self.endpoints = [
            ModelEndpoint(
                f"{name}-endpoint-{e.name}",
                ModelEndpointArgs(
                    region=spec.region,
                    environment=spec.environment,
                    endpoint=e,
                    lake=self.lake,
                    endpoint_name=endpoint_names[e.name],
                    models_zone=zones["models"],
                    capture_zone=zones["raw"],
                    alarm_topic_arn=self.monitoring.alert_topic_arn,
                    latency_p99_ms=spec.monitoring.endpoint_latency_p99_ms,
                    tags=self.tags,
                ),
                opts=child,
            )
            for e in endpoints
        ]
        self.outputs.update(
            alert_topic_arn=self.monitoring.alert_topic_arn,
            dashboard_name=self.monitoring.dashboard_name,
            endpoint_invoke_urls={e.name: ep.invoke_url for e, ep in zip(endpoints, self.endpoints, strict=True)},
        )
        nb = spec.notebooks
        # One identity context for every workload identity of the stack (notebooks, Ray, jobs, servers).
        identity = IdentityContext.of(spec, self.lake, PLATFORM_NAMESPACE, self.cluster.cluster_name, self.tags)
        self._build_toolchain(
            name,
            spec,
            identity,
            # ElastiCache answers on a private address in the VPC.
            redis=(net.cidr, 6379),
            hub_ingress_class="alb" if hub_alb else None,
            hub_ingress_annotations=alb_annotations(
                str(spec.mlflow.ingress_scheme), nb.certificate_arn, "/hub/health", self.tags, group=alb_group
            )
            if hub_alb
            else {},
            ingress_controller=controller.release if controller else None,
        )
        self._build_serving(name, spec, identity)
        self.outputs.update(
            vpc_id=self.network.vpc_id,
            cluster_name=self.cluster.cluster_name,
            cluster_endpoint=self.cluster.cluster_endpoint,
            oidc_issuer=self.cluster.oidc_issuer,
            kubeconfig=self.cluster.kubeconfig,
            gpu_pools=self.cluster.gpu_pool_names,
        )

    def _namespace(self, name: str) -> k8s.core.v1.Namespace:
        """The one namespace the platform's own services (MLflow, Feast) run in, on the stack's cluster."""
        return k8s.core.v1.Namespace(
            f"{name}-namespace",
            metadata={"name": PLATFORM_NAMESPACE, "labels": {"app.kubernetes.io/part-of": "mlplatform"}},
            opts=pulumi.ResourceOptions(parent=self, provider=self.cluster.provider),
        )

    def _mlflow_outputs(self, mlflow: MlflowTracking | gcp.MlflowTracking) -> None:
        self.outputs.update(
            mlflow_tracking_uri=mlflow.tracking_uri,
            mlflow_artifact_location=mlflow.artifact_location,
            mlflow_admin_credentials=mlflow.admin_credentials,
        )

    def _build_toolchain(
        self,
        name: str,
        spec: PlatformSpec,
        identity: IdentityContext,
        redis: tuple[StrInput, int] | None,
        hub_ingress_class: str | None = None,
        hub_ingress_annotations: dict[str, Any] | None = None,
        ingress_controller: pulumi.Resource | None = None,
    ) -> None:
        """Notebooks, Ray and batch jobs, when the spec asks for any, after the namespace exists. ``redis``:
        (CIDR, port) where a Redis online store answers; the hub's Ingress settings on AWS."""
        if not (spec.notebooks.enabled or spec.ray.enabled or spec.batch):
            return
        store = self.feature_store
        egress = []
        if store is not None and spec.feature_store.online_store is OnlineStore.REDIS and redis is not None:
            cidr, port = redis  # user servers may reach that port only, no other private address
            egress.append({"to": [{"ipBlock": {"cidr": cidr}}], "ports": [{"port": port, "protocol": "TCP"}]})
        self.toolchain = Toolchain(
            f"{name}-tools",
            ToolchainArgs(
                identity=identity,
                cluster=self.cluster,
                environment=spec.environment,
                notebooks=spec.notebooks,
                ray=spec.ray,
                batch=spec.batch,
                gpu_pools=spec.cluster.gpu_pools,
                feature_store=store,
                mlflow_tracking_uri=self.mlflow.tracking_uri if spec.mlflow.enabled else None,
                private_egress=egress,
                hub_ingress_class=hub_ingress_class,
                hub_ingress_annotations=hub_ingress_annotations or {},
                ingress_controller=ingress_controller,
                alerts=self.monitoring.observability,
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.namespace]),
        )
        self.outputs.update(self.toolchain.outputs)

    def _build_serving(self, name: str, spec: PlatformSpec, identity: IdentityContext) -> None:
        """KServe and the model servers, when the spec has any, after the namespace exists."""
        if not spec.serving.servers:
            return
        self.serving = Serving(
            f"{name}-serving",
            ServingArgs(
                identity=identity,
                cluster=self.cluster,
                environment=spec.environment,
                serving=spec.serving,
                gpu_pools=spec.cluster.gpu_pools,
                mlflow_tracking_uri=self.mlflow.tracking_uri if spec.mlflow.enabled else None,
                alerts=self.monitoring.observability,
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.namespace]),
        )
        self.outputs.update(self.serving.outputs)

    def _build_gcp(self, name: str, spec: PlatformSpec) -> None:
        """The same platform on GKE, GCS/BigQuery, Firestore or Memorystore, Cloud SQL and Cloud Run/Vertex AI."""
        from .. import gcp

        child = pulumi.ResourceOptions(parent=self)
        project = spec.gcp_project or ""
        stack = pulumi.get_stack()
        labels = dict(self.tags)  # the spec rejects tag values GCP labels cannot hold
        net = spec.network
        self.network = gcp.Network(
            f"{name}-network",
            gcp.NetworkArgs(
                project=project,
                region=spec.region,
                cidr=net.cidr,
                nat=net.nat or defaults.nat(Cloud.GCP, spec.environment),
                labels=labels,
                existing=net.gcp_existing,
            ),
            opts=child,
        )
        self.cluster = gcp.GpuCluster(
            f"{name}-cluster",
            gcp.GpuClusterArgs(
                project=project,
                region=spec.region,
                network=gcp.GkeNetwork(
                    network=self.network.network_id,
                    subnetwork=self.network.subnetwork_self_link,
                    pods_range_name=self.network.pods_range_name,
                    services_range_name=self.network.services_range_name,
                ),
                environment=spec.environment,
                cluster=spec.cluster,
                cluster_name=f"{name}-{stack}"[:40].rstrip("-"),
                labels=labels,
            ),
            opts=child,
        )
        self.namespace = self._namespace(name)
        workloads = gcp.GkeWorkloads(provider=self.cluster.provider, namespace=PLATFORM_NAMESPACE)
        private = gcp.PrivateServices(
            network=self.network.network_id, connection=self.network.private_services_connection
        )
        self.lake = gcp.DataLake(
            f"{name}-lake",
            gcp.DataLakeArgs(
                project=project, region=spec.region, environment=spec.environment, lake=spec.data_lake, labels=labels
            ),
            opts=child,
        )
        zones = zone_roles(self.lake.zones)
        self.outputs.update(
            lake_buckets=self.lake.bucket_names,
            dvc_remote_url=self.lake.dvc_remote_url,
            bigquery_datasets=self.lake.bigquery_datasets,
        )
        if spec.feature_store.enabled:
            self.feature_store = gcp.FeatureStore(
                f"{name}-features",
                gcp.FeatureStoreArgs(
                    project=project,
                    region=spec.region,
                    environment=spec.environment,
                    lake=self.lake,
                    store=spec.feature_store,
                    features_zone=zones["features"],
                    cluster=workloads,
                    network=private,
                    labels=labels,
                ),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[self.namespace]),
            )
            self.outputs.update(feature_store_yaml=self.feature_store.feature_store_yaml)
        databases = []
        if spec.mlflow.enabled:
            self.mlflow = gcp.MlflowTracking(
                f"{name}-mlflow",
                gcp.MlflowTrackingArgs(
                    project=project,
                    region=spec.region,
                    environment=spec.environment,
                    lake=self.lake,
                    cluster=workloads,
                    network=private,
                    mlflow=spec.mlflow,
                    artifacts_zone=zones["models"],
                    labels=labels,
                ),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[self.namespace]),
            )
            databases.append(self.mlflow.database_identifier)
            self._mlflow_outputs(self.mlflow)
        endpoints = [e for e in spec.endpoints if e.enabled]
        endpoint_names = {e.name: f"{e.name}-{stack}"[:49].rstrip("-") for e in endpoints}
        self.monitoring = gcp.Monitoring(
            f"{name}-monitoring",
            gcp.MonitoringArgs(
                project=project,
                billing_account=spec.gcp_billing_account or "",
                budget=spec.budget,
                monitoring=spec.monitoring,
                environment=spec.environment,
                stack=stack,
                cluster=gcp.MonitoredGkeCluster(
                    cluster_name=self.cluster.cluster_name,
                    provider=self.cluster.provider,
                    gpu_pools=[p.name for p in spec.cluster.gpu_pools],
                    storage_class=self.cluster.storage_class,
                ),
                endpoints=[endpoint_names[e.name] for e in endpoints if e.mode is EndpointMode.SERVERLESS],
                databases=databases,
                labels=labels,
            ),
            opts=child,
        )
        self.endpoints = [
            gcp.ModelEndpoint(
                f"{name}-endpoint-{e.name}",
                gcp.ModelEndpointArgs(
                    project=project,
                    region=spec.region,
                    endpoint=e,
                    lake=self.lake,
                    endpoint_name=endpoint_names[e.name],
                    models_zone=zones["models"],
                    notification_channels=self.monitoring.notification_channels,
                    latency_p99_ms=spec.monitoring.endpoint_latency_p99_ms,
                    environment=spec.environment,
                    labels=labels,
                ),
                opts=child,
            )
            for e in endpoints
        ]
        services = self.network.private_services_cidr
        # Memorystore answers on an address of the private services range (6378 with TLS).
        identity = IdentityContext.of(spec, self.lake, PLATFORM_NAMESPACE, None, labels)
        self._build_toolchain(name, spec, identity, redis=(services, 6378) if services is not None else None)
        self._build_serving(name, spec, identity)
        self.outputs.update(
            notification_channels=self.monitoring.notification_channels,
            dashboard_id=self.monitoring.dashboard_id,
            endpoint_invoke_urls={e.name: ep.invoke_url for e, ep in zip(endpoints, self.endpoints, strict=True)},
            network_id=self.network.network_id,
            cluster_name=self.cluster.cluster_name,
            cluster_endpoint=self.cluster.cluster_endpoint,
            kubeconfig=self.cluster.kubeconfig,
            gpu_pools=self.cluster.gpu_pool_names,
        )
