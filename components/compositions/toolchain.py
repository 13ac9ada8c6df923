"""Toolchain: what a data scientist opens first, on the platform's cluster, for AWS and GCP alike.

- ``notebooks``: JupyterHub (:class:`mlplatform.components.k8s.notebooks.Notebooks`) with a profile per GPU pool,
  idle culling, home volumes, MLflow and Feast preset, and the lake through the hub's own cloud identity;
- ``ray``: the KubeRay operator and a RayCluster whose worker groups scale from zero on the GPU pools, spilling
  to the lake (:mod:`mlplatform.components.k8s.ray`);
- ``batch``: scheduled batch inference jobs (:class:`mlplatform.components.k8s.batch_inference.BatchInference`),
  each with a role that reads its input prefix and writes its output prefix.

Each workload gets its own identity (an EKS Pod Identity role,
:class:`mlplatform.components.aws.workload_role.WorkloadRole`, or a GKE Workload Identity service account,
:class:`mlplatform.components.gcp.workload_identity.WorkloadIdentity`) with the lake grants its spec names and
nothing else.

Example (what :class:`mlplatform.components.MlPlatform` does)::

    identity = IdentityContext(cloud="aws", region="us-east-1", lake=lake, cluster_name=cluster.cluster_name)
    Toolchain("ml-tools", ToolchainArgs(identity=identity, cluster=cluster, environment="dev",
              notebooks={"enabled": True}, ray={"enabled": True}, gpu_pools=spec.cluster.gpu_pools,
              mlflow_tracking_uri=mlflow.tracking_uri))

The sections are the stack spec's own (:mod:`mlplatform.components.config`): settings left unset resolve as a stack
resolves
them, and every name they give (a GPU pool, a lake zone) is checked as the stack checks it.
"""

from __future__ import annotations

from typing import Any

import pulumi
from pydantic import model_validator

from ..base.cloud import Cloud
from ..base.errors import Problems
from ..base.types import MLPLATFORM_TOOLCHAIN
from ..base.values import ComponentArgs, duration_seconds
from ..config import defaults
from ..config.batch import BatchJobSpec
from ..config.cluster import GpuPoolSpec
from ..config.defaults import resolved
from ..config.environment import Environment
from ..config.lake import LakeAccess
from ..config.notebooks import NotebookAuthType, NotebookProfileSpec, NotebooksSpec
from ..config.platform import check_toolchain
from ..config.ray import RaySpec
from ..interfaces import AlertSink, Cluster, Features, StrInput
from ..k8s.batch_inference import BatchInference, BatchInferenceArgs
from ..k8s.notebooks import Authenticator, CullSettings, NotebookProfile, Notebooks, NotebooksArgs
from ..k8s.ray import CLIENT_PORT, DASHBOARD_PORT, KubeRayOperator, RayCluster, RayClusterArgs, RayWorkerGroup
from .workload_identity import IdentityContext, bind_identity

NOTEBOOKS_SA = "jupyter-user"
RAY_SA = "ray"
RAY_CLUSTER = "ray"
NOTEBOOK_PREFIX = "notebooks/"
RAY_PREFIX = "ray/"
MLFLOW_PORT = 5000


class ToolchainArgs(ComponentArgs):
    identity: IdentityContext
    """Where the workloads' cloud identities live: the cloud, its region or project, the lake they are granted, the
    namespace they run in, the EKS cluster. Required."""
    cluster: Cluster
    """The cluster they run on: its Kubernetes provider, and its StorageClass for home volumes. Required."""
    environment: Environment = Environment.DEV
    """dev, staging or prod: the defaults of settings left unset (cull timeout, maximum age) and the hub's
    production settings. Default: dev."""
    notebooks: NotebooksSpec = NotebooksSpec()
    """JupyterHub (the stack spec's ``notebooks`` section). Default: off."""
    ray: RaySpec = RaySpec()
    """KubeRay and a RayCluster (the stack spec's ``ray`` section). Default: off."""
    batch: list[BatchJobSpec] = []
    """Scheduled batch inference jobs (the stack spec's ``batch`` section). Default: none."""
    gpu_pools: list[GpuPoolSpec] = []
    """The cluster's GPU pools, which profiles, worker groups and jobs name (the stack spec's
    ``cluster.gpu_pools``). Default: none."""
    feature_store: Features | None = None
    """The stack's FeatureStore: its config Secret is mounted and its online store readable. Default: none."""
    mlflow_tracking_uri: StrInput | None = None
    """MLflow's URL, preset as MLFLOW_TRACKING_URI. Default: none (MLflow off)."""
    mlflow_pod_labels: dict[str, str] = {"app.kubernetes.io/name": "mlflow"}
    """Labels of MLflow's pods, which user servers may reach on port 5000. Default: app.kubernetes.io/name=mlflow."""
    private_egress: list[dict[str, Any]] = []
    """NetworkPolicy egress rules to private services user servers need (a Redis online store). Default: none."""
    hub_ingress_class: str | None = None
    """IngressClass of the hub's Ingress. Default: the cluster's default."""
    hub_ingress_annotations: dict[str, Any] = {}
    """Annotations of the hub's Ingress. Default: none."""
    ingress_controller: pulumi.Resource | None = None
    """The Ingress controller's release, which the hub waits for. Default: none."""
    alerts: AlertSink | None = None
    """The cluster's :class:`ClusterObservability`: batch jobs add their failure rules to it. Default: none."""

    @model_validator(mode="after")
    def _check(self) -> ToolchainArgs:
        p = Problems()
        identity = self.identity
        check_toolchain(
            p,
            self.notebooks,
            self.ray,
            self.batch,
            self.gpu_pools,
            identity.lake.zones,
            identity.cloud,
            self.environment,
            pools_key="gpu_pools",
        )
        p.raise_if_any()
        return self


def _pool(pools: list[GpuPoolSpec], name: str) -> GpuPoolSpec:
    pool = next((pool for pool in pools if pool.name == name), None)
    assert pool is not None, name  # the args validated every pool name
    return pool


def resolved_sections(args: ToolchainArgs) -> tuple[NotebooksSpec, RaySpec, list[BatchJobSpec]]:
    """The notebooks, ray and batch sections with every setting left unset resolved as a stack resolves it, by the
    same functions (:mod:`mlplatform.components.config.defaults`); copies, so the caller's sections are never changed.
    Sections a stack loaded are resolved already: their copies are equal to them."""
    zones, pools = list(args.identity.lake.zones), list(args.gpu_pools)
    cloud, region = args.identity.cloud, args.identity.region
    notebooks, ray = args.notebooks.model_copy(deep=True), args.ray.model_copy(deep=True)
    batch = [job.model_copy(deep=True) for job in args.batch]
    defaults.resolve_notebooks(notebooks, args.environment, zones, pools, cloud, region)
    defaults.resolve_ray(ray, zones, pools, cloud, region)
    defaults.resolve_batch(batch, pools, cloud, region)
    return notebooks, ray, batch


def notebook_profile(args: ToolchainArgs, prof: NotebookProfileSpec) -> NotebookProfile:
    """A resolved spec profile as its pods ask for it: the guarantee from the spec, the limit the node's share."""
    cpu, memory = resolved(prof.cpu), resolved(prof.memory_gb)
    if prof.gpu_pool is None:
        return NotebookProfile(
            slug=prof.name,
            display_name=resolved(prof.display_name),
            image=resolved(prof.image),
            cpu_guarantee=cpu,
            cpu_limit=max(cpu, 2),
            memory_guarantee_gb=memory,
            memory_limit_gb=max(memory, 4),
            default=prof.default,
        )
    pool = _pool(args.gpu_pools, prof.gpu_pool)
    vcpu, node_memory = pool.node_share(args.identity.cloud, args.identity.region, prof.gpus)
    return NotebookProfile(
        slug=prof.name,
        display_name=resolved(prof.display_name),
        image=resolved(prof.image),
        cpu_guarantee=cpu,
        cpu_limit=max(cpu, vcpu),
        memory_guarantee_gb=memory,
        memory_limit_gb=max(memory, float(int(node_memory * 0.8))),
        gpus=prof.gpus,
        gpu_model=str(pool.gpu),
        pool=pool.name,
        pool_taints=pool.extra_tolerations(),
        default=prof.default,
    )


class Toolchain(pulumi.ComponentResource):
    """Notebooks, Ray and batch inference of one stack (type ``mlplatform:index:Toolchain``).

    Outputs: ``notebooks_url``, ``notebooks_password`` (secret; dummy sign-in only), ``ray_dashboard_url``,
    ``ray_client_address``, ``batch_jobs``.
    """

    notebooks: Notebooks | None
    ray: RayCluster | None
    ray_operator: KubeRayOperator | None
    batch_jobs: list[BatchInference]

    def __init__(self, name: str, args: ToolchainArgs | dict[str, Any], opts: pulumi.ResourceOptions | None = None):
        args = args if isinstance(args, ToolchainArgs) else ToolchainArgs(**args)
        super().__init__(MLPLATFORM_TOOLCHAIN, name, None, opts)
        self.args = args
        self.notebooks_spec, self.ray_spec, self.batch_specs = resolved_sections(args)
        self.identity = args.identity
        on_cluster = pulumi.ResourceOptions(parent=self, provider=args.cluster.provider)
        self.outputs: dict[str, Any] = {}
        self.notebooks = self._notebooks(name, on_cluster) if args.notebooks.enabled else None
        self.ray_operator, self.ray = self._ray(name, on_cluster) if args.ray.enabled else (None, None)
        self.batch_jobs = [self._batch_job(name, job, on_cluster) for job in self.batch_specs]
        if self.batch_jobs:
            self.outputs["batch_jobs"] = [job.cron_job_name for job in self.batch_jobs]
        self.register_outputs(self.outputs)

    # --- identities ------------------------------------------------------------------------------------------

    def _identity(
        self, name: str, service_account: str, read: list[LakeAccess], write: list[LakeAccess], feast: bool, what: str
    ) -> tuple[dict[str, Any], list[pulumi.Resource]]:
        """(service account annotations, what the pods must wait for) of a workload's cloud identity."""
        store = self.args.feature_store if feast else None
        return bind_identity(
            self.identity,
            name,
            service_account,
            read=read,
            write=write,
            description=what,
            parent=self,
            feature_store=store,
        )

    def _feast_config_secret(self) -> str | None:
        store = self.args.feature_store
        return store.config_secret if store is not None else None

    def _env(self) -> dict[str, Any]:
        env: dict[str, Any] = {}
        if self.args.mlflow_tracking_uri is not None:
            env["MLFLOW_TRACKING_URI"] = self.args.mlflow_tracking_uri
        return {**env, **self.identity.sdk_env()}

    def _lake_user_identity(
        self, name: str, service_account: str, read_zones: list[str] | None, write: LakeAccess, what: str
    ) -> tuple[dict[str, Any], list[pulumi.Resource]]:
        """The identity of an interactive workload (notebooks, Ray): it reads ``read_zones`` (default: every zone of
        the lake), writes its own prefix, and reads the online store when the stack has one."""
        read = [LakeAccess(zone=z) for z in (read_zones or self.identity.lake.zones)]
        return self._identity(name, service_account, read, [write], self.args.feature_store is not None, what)

    # --- notebooks ------------------------------------------------------------------------------------------

    def _notebooks(self, name: str, opts: pulumi.ResourceOptions) -> Notebooks:
        args = self.args
        nb = self.notebooks_spec
        write_zone = resolved(nb.write_zone)
        annotations, depends = self._lake_user_identity(
            f"{name}-notebooks-identity",
            NOTEBOOKS_SA,
            nb.read_zones,
            LakeAccess(zone=write_zone, prefix=NOTEBOOK_PREFIX),
            "JupyterHub user servers: read the lake, write notebooks/",
        )
        egress = list(args.private_egress)
        if args.mlflow_tracking_uri is not None:
            egress.append(
                {
                    "to": [{"podSelector": {"matchLabels": dict(args.mlflow_pod_labels)}}],
                    "ports": [{"port": MLFLOW_PORT, "protocol": "TCP"}],
                }
            )
        if args.ray.enabled and args.ray.cluster:
            egress.append(
                {
                    "to": [{"podSelector": {"matchLabels": {"ray.io/node-type": "head"}}}],
                    "ports": [{"port": DASHBOARD_PORT, "protocol": "TCP"}, {"port": CLIENT_PORT, "protocol": "TCP"}],
                }
            )
        auth = nb.auth
        authenticator, auth_config = self._auth(auth)
        notebooks = Notebooks(
            f"{name}-notebooks",
            NotebooksArgs(
                namespace=self.identity.namespace,
                profiles=[notebook_profile(args, p) for p in resolved(nb.profiles)],
                storage_class=args.cluster.storage_class,
                storage_gb=nb.storage_gb,
                authenticator=authenticator,
                auth_config=auth_config,
                allowed_users=auth.allowed_users,
                admin_users=auth.admin_users,
                cull=CullSettings(
                    enabled=nb.idle_culling,
                    timeout_seconds=duration_seconds(resolved(nb.cull_timeout)),
                    every_seconds=duration_seconds(nb.cull_every),
                    max_age_seconds=duration_seconds(nb.max_age) if nb.max_age else 0,
                ),
                service_account=NOTEBOOKS_SA,
                service_account_annotations=annotations,
                env=self._env(),
                feast_config_secret=self._feast_config_secret(),
                egress=egress,
                metadata_server=self.identity.cloud is Cloud.GCP,
                ingress_host=nb.ingress_host,
                ingress_class=args.hub_ingress_class,
                ingress_annotations=args.hub_ingress_annotations,
                ingress_controller=args.ingress_controller,
                ingress_tls=nb.certificate_arn is not None,
                production=args.environment is Environment.PROD,
            ),
            opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=depends)),
        )
        self.outputs["notebooks_url"] = notebooks.hub_url
        if notebooks.password is not None:
            self.outputs["notebooks_password"] = notebooks.password
        if notebooks.admin_password is not None:
            self.outputs["notebooks_admin_password"] = notebooks.admin_password
        return notebooks

    def _auth(self, auth) -> tuple[Authenticator, dict[str, Any]]:
        if auth.type is NotebookAuthType.DUMMY:
            return Authenticator.SHARED_PASSWORD, {}
        secret = pulumi.Config("mlplatform").get_secret(auth.client_secret_key)
        if secret is None:
            from ..base.errors import ConfigError, Problem

            raise ConfigError(
                [
                    Problem(
                        f"mlplatform:{auth.client_secret_key}",
                        "is not set; the OAuth client secret of notebooks.auth: pulumi config set --secret "
                        f"mlplatform:{auth.client_secret_key} <secret>",
                        has_value=False,
                    )
                ],
                source=f"stack {pulumi.get_stack()}",
            )
        if auth.type is NotebookAuthType.GITHUB:
            config: dict[str, Any] = {"client_id": auth.client_id, "client_secret": secret, "scope": ["read:org"]}
            if auth.github_organizations:
                config["allowed_organizations"] = list(auth.github_organizations)
            return Authenticator.GITHUB, config
        config = {
            "client_id": auth.client_id,
            "client_secret": secret,
            "authorize_url": auth.authorize_url,
            "token_url": auth.token_url,
            "userdata_url": auth.userdata_url,
            "username_claim": auth.username_claim,
            "scope": ["openid", "profile", "email"],
            "login_service": "single sign-on",
        }
        if auth.allowed_groups:
            config["allowed_groups"] = list(auth.allowed_groups)
            config["manage_groups"] = True
            config["auth_state_groups_key"] = f"oauth_user.{auth.groups_claim}"
        return Authenticator.GENERIC_OAUTH, config

    # --- Ray ------------------------------------------------------------------------------------------------

    def _ray(self, name: str, opts: pulumi.ResourceOptions) -> tuple[KubeRayOperator, RayCluster | None]:
        args = self.args
        ray = self.ray_spec
        operator = KubeRayOperator(f"{name}-kuberay", opts=opts)
        if not ray.cluster:
            return operator, None
        write_zone = resolved(ray.write_zone)
        annotations, depends = self._lake_user_identity(
            f"{name}-ray-identity",
            RAY_SA,
            ray.read_zones,
            LakeAccess(zone=write_zone, prefix=RAY_PREFIX),
            "Ray head and workers: read the lake, write ray/ (results, checkpoints, spilled objects)",
        )
        groups = []
        for g in resolved(ray.worker_groups):
            pool = _pool(args.gpu_pools, g.gpu_pool)
            groups.append(
                RayWorkerGroup(
                    name=g.name,
                    pool=pool.name,
                    gpu_model=str(pool.gpu),
                    gpus=g.gpus,
                    cpu=resolved(g.cpu),
                    memory_gb=resolved(g.memory_gb),
                    min_workers=g.min_workers,
                    max_workers=resolved(g.max_workers),
                    pool_taints=pool.extra_tolerations(),
                )
            )
        spill = (
            pulumi.Output.concat(self.identity.lake.zone_urls[write_zone], RAY_PREFIX, "spill")
            if ray.spill_to_lake
            else None
        )
        cluster = RayCluster(
            f"{name}-ray",
            RayClusterArgs(
                namespace=self.identity.namespace,
                cluster_name=RAY_CLUSTER,
                operator=operator.release,
                worker_groups=groups,
                version=ray.version,
                head_cpu=ray.head_cpu,
                head_memory_gb=ray.head_memory_gb,
                idle_timeout_seconds=duration_seconds(ray.idle_timeout),
                service_account=RAY_SA,
                service_account_annotations=annotations,
                spill_url=spill,
                env=self._env(),
                feast_config_secret=self._feast_config_secret(),
            ),
            opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=depends)),
        )
        self.outputs.update(ray_dashboard_url=cluster.dashboard_url, ray_client_address=cluster.client_address)
        return operator, cluster

    # --- batch ----------------------------------------------------------------------------------------------

    def _batch_job(self, name: str, job: BatchJobSpec, opts: pulumi.ResourceOptions) -> BatchInference:
        args, lake = self.args, self.identity.lake
        pool = _pool(args.gpu_pools, job.gpu_pool)
        annotations, depends = self._identity(
            f"{name}-batch-{job.name}-identity",
            job.name,
            [LakeAccess(zone=job.input_zone, prefix=job.input_prefix)],
            [LakeAccess(zone=job.output_zone, prefix=job.output_prefix)],
            False,
            f"Batch inference {job.name}: read {job.input_zone}/{job.input_prefix}, write "
            f"{job.output_zone}/{job.output_prefix}",
        )
        env = {**self._env(), **job.env}
        return BatchInference(
            f"{name}-batch-{job.name}",
            BatchInferenceArgs(
                namespace=self.identity.namespace,
                job_name=job.name,
                schedule=job.schedule,
                image=job.image,
                command=job.command,
                pool=pool.name,
                gpu_model=str(pool.gpu),
                gpus=job.gpus,
                cpu=resolved(job.cpu),
                memory_gb=resolved(job.memory_gb),
                pool_taints=pool.extra_tolerations(),
                parallelism=job.parallelism,
                retries=job.retries,
                deadline_seconds=duration_seconds(job.deadline),
                input_url=pulumi.Output.concat(lake.zone_urls[job.input_zone], job.input_prefix),
                output_url=pulumi.Output.concat(lake.zone_urls[job.output_zone], job.output_prefix),
                model_uri=job.model_uri,
                env=env,
                service_account=job.name,
                service_account_annotations=annotations,
                suspend=job.suspend,
                alerts=args.alerts,
            ),
            opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=depends)),
        )
