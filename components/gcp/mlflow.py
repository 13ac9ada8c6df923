"""MlflowTracking (GCP): MLflow's backend store in Cloud SQL for PostgreSQL, artifacts in the lake's models
zone, the server on GKE through the same Kubernetes component as on AWS.

- Cloud SQL: private IP only (on the network's private services range, no public address), TLS required,
  automated backups with point-in-time recovery in prod, regional (HA) with deletion protection in prod,
  storage that grows by itself up to five times its size, query insights in prod;
- artifacts: ``<models zone>/mlflow/``, writable by MLflow's own service account only (an IAM condition on the
  prefix when the lake shares one bucket), which the ``mlflow`` Kubernetes service account uses through
  Workload Identity: no keys;
- the server: basic auth with a generated admin password, artifacts proxied, as on AWS.

Example::

    from mlplatform.components.gcp import MlflowTracking, MlflowTrackingArgs

    mlflow = MlflowTracking("mlflow", MlflowTrackingArgs(
        project="ml-dev-123", region="us-central1", lake=lake,
        cluster=GkeWorkloads(provider=cluster.provider), network=PrivateServices(network=net.network_id)))
    pulumi.export("tracking_uri", mlflow.tracking_uri)
"""

from __future__ import annotations

import re
from typing import Any

import pulumi
import pulumi_gcp as gcp
import pulumi_random as random
from pydantic import model_validator

from ..base.cloud import Cloud
from ..base.errors import Problems
from ..base.types import MLPLATFORM_GCP_MLFLOW_TRACKING
from ..base.values import ComponentArgs, GcpLabels
from ..config import defaults
from ..config.environment import Environment
from ..config.mlflow import MlflowSpec
from ..k8s.mlflow_server import ADMIN_USERNAME, MlflowServer, MlflowServerArgs
from . import iam
from .data_lake import DataLake
from .placement import GkeWorkloads, PrivateServices

DB_NAME = "mlflow"
DB_USER = "mlflow"
DB_PORT = 5432
ARTIFACT_PREFIX = "mlflow/"
SERVICE_ACCOUNT = "mlflow"
_TIER = re.compile(r"^db-(f1-micro|g1-small|custom-\d+-\d+|perf-optimized-N-\d+)$")


class MlflowTrackingArgs(ComponentArgs):
    _context_cloud = Cloud.GCP

    project: str
    """GCP project id. Required."""
    region: str
    """Region of the database. Required."""
    lake: DataLake
    """Data lake whose models zone holds the artifacts. Required."""
    cluster: GkeWorkloads
    """Cluster the server runs on. Required."""
    network: PrivateServices
    """Network whose private services range gives the database its address. Required."""
    environment: Environment = Environment.DEV
    """prod: regional (HA) database, deletion protection, point-in-time recovery, two replicas. Default: dev."""
    mlflow: MlflowSpec = MlflowSpec()
    """Server and database settings (the stack spec's ``mlflow`` section); what it leaves unset takes the
    environment's default, as in a stack (:mod:`mlplatform.components.config.defaults`). Default: see MlflowSpec."""
    artifacts_zone: str = "models"
    """Lake zone for artifacts (under ``mlflow/``). Default: models."""
    labels: GcpLabels = {}
    """Labels on the database. Default: none."""

    @property
    def database_tier(self) -> str:
        """mlflow.database.instance_class, else the environment's (:func:`defaults.mlflow_database_class`)."""
        return self.mlflow.database.instance_class or defaults.mlflow_database_class(Cloud.GCP, self.environment)

    @property
    def backup_retention_days(self) -> int:
        """mlflow.database.backup_retention_days, else the environment's (:func:`defaults.backup_retention_days`)."""
        days = self.mlflow.database.backup_retention_days
        return days if days is not None else defaults.backup_retention_days(self.environment)

    @model_validator(mode="after")
    def _check(self) -> MlflowTrackingArgs:
        p = Problems()
        if self.artifacts_zone not in self.lake.zones:
            p.add("artifacts_zone", f"not a zone of the lake; zones: {', '.join(self.lake.zones)}", self.artifacts_zone)
        tier = self.mlflow.database.instance_class
        if tier is not None and not _TIER.match(tier):
            p.add(
                "mlflow.database.instance_class",
                "not a Cloud SQL tier; allowed: db-f1-micro, db-g1-small, db-custom-<vCPUs>-<MB>",
                tier,
            )
        p.raise_if_any()
        return self


class MlflowTracking(pulumi.ComponentResource):
    """MLflow on GKE with Cloud SQL and GCS artifacts (type ``mlplatform:gcp:MlflowTracking``).

    Outputs: ``tracking_uri``, ``artifact_location``, ``database_connection_name``, ``database_private_ip``,
    ``admin_credentials`` (secret), ``service_account`` (email).
    """

    tracking_uri: pulumi.Output[str]
    artifact_location: pulumi.Output[str]
    database_connection_name: pulumi.Output[str]
    database_private_ip: pulumi.Output[str]
    database_identifier: pulumi.Output[str]
    admin_credentials: pulumi.Output[dict[str, str]]
    service_account: pulumi.Output[str]

    def __init__(
        self, name: str, args: MlflowTrackingArgs | dict[str, Any], opts: pulumi.ResourceOptions | None = None
    ):
        args = args if isinstance(args, MlflowTrackingArgs) else MlflowTrackingArgs(**args)
        super().__init__(MLPLATFORM_GCP_MLFLOW_TRACKING, name, None, opts)
        prod = args.environment is Environment.PROD
        spec, db_spec = args.mlflow, args.mlflow.database
        child = pulumi.ResourceOptions(parent=self)

        password = random.RandomPassword(
            f"{name}-db-password", length=32, special=True, override_special="-_.~", opts=child
        )
        backups = args.backup_retention_days
        depends = [args.network.connection] if args.network.connection is not None else []
        instance = gcp.sql.DatabaseInstance(
            f"{name}-db",
            project=args.project,
            region=args.region,
            database_version=f"POSTGRES_{db_spec.engine_version}",
            settings=gcp.sql.DatabaseInstanceSettingsArgs(
                tier=args.database_tier,
                edition="ENTERPRISE",
                availability_type="REGIONAL" if prod else "ZONAL",
                disk_type="PD_SSD",
                disk_size=db_spec.storage_gb,
                disk_autoresize=True,
                disk_autoresize_limit=max(db_spec.storage_gb * 5, 100),
                ip_configuration=gcp.sql.DatabaseInstanceSettingsIpConfigurationArgs(
                    ipv4_enabled=False,
                    private_network=args.network.network,
                    ssl_mode="ENCRYPTED_ONLY",
                ),
                backup_configuration=gcp.sql.DatabaseInstanceSettingsBackupConfigurationArgs(
                    enabled=backups > 0,
                    point_in_time_recovery_enabled=prod,
                    start_time="03:00",
                    backup_retention_settings=gcp.sql.DatabaseInstanceSettingsBackupConfigurationBackupRetentionSettingsArgs(
                        retained_backups=max(backups, 1)
                    ),
                ),
                insights_config=gcp.sql.DatabaseInstanceSettingsInsightsConfigArgs(query_insights_enabled=True)
                if prod
                else None,
                maintenance_window=gcp.sql.DatabaseInstanceSettingsMaintenanceWindowArgs(day=7, hour=3),
                deletion_protection_enabled=prod,
                user_labels=args.labels,
            ),
            deletion_protection=prod,
            opts=pulumi.ResourceOptions(parent=self, protect=prod, depends_on=depends),
        )
        database = gcp.sql.Database(
            f"{name}-db", project=args.project, instance=instance.name, name=DB_NAME, opts=child
        )
        user = gcp.sql.User(
            f"{name}-db-user",
            project=args.project,
            instance=instance.name,
            name=DB_USER,
            password=password.result,
            # Cloud SQL cannot drop a user that owns objects; the database goes with the instance anyway.
            deletion_policy="ABANDON",
            opts=pulumi.ResourceOptions(parent=self, depends_on=[database]),
        )
        backend_uri = pulumi.Output.secret(
            pulumi.Output.format(
                "postgresql+psycopg2://{0}:{1}@{2}:{3}/{4}?sslmode=require",
                DB_USER,
                password.result,
                instance.private_ip_address,
                DB_PORT,
                DB_NAME,
            )
        )

        account = iam.service_account(f"{name}-artifacts", args.project, f"MLflow server {name}: artifact store", self)
        self.service_account = account.email
        args.lake.grant_write(iam.principal(account), args.artifacts_zone)
        identity = iam.workload_identity(
            f"{name}-artifacts", account, args.project, args.cluster.namespace, SERVICE_ACCOUNT, self
        )
        self.artifact_location = pulumi.Output.concat(args.lake.zone_urls[args.artifacts_zone], ARTIFACT_PREFIX)

        admin = random.RandomPassword(f"{name}-admin-password", length=24, special=False, opts=child)
        flask_key = random.RandomPassword(f"{name}-flask-secret-key", length=48, special=False, opts=child)
        server = MlflowServer(
            f"{name}-server",
            MlflowServerArgs(
                namespace=args.cluster.namespace,
                backend_store_uri=backend_uri,
                artifacts_destination=self.artifact_location,
                admin_password=admin.result,
                flask_secret_key=flask_key.result,
                service_account=SERVICE_ACCOUNT,
                service_account_annotations={iam.WORKLOAD_IDENTITY_ANNOTATION: account.email},
                replicas=spec.replicas or defaults.mlflow_replicas(args.environment),
                ingress_host=spec.ingress_host,
                ingress_class=spec.ingress_class,
                env={"GOOGLE_CLOUD_PROJECT": args.project},
            ),
            opts=pulumi.ResourceOptions(parent=self, provider=args.cluster.provider, depends_on=[user, identity]),
        )
        self.tracking_uri = server.tracking_uri
        self.database_connection_name = instance.connection_name
        self.database_private_ip = instance.private_ip_address
        self.database_identifier = instance.name
        self.admin_credentials = pulumi.Output.secret(
            admin.result.apply(lambda p: {"username": ADMIN_USERNAME, "password": p})
        )
        self.register_outputs(
            {
                "tracking_uri": self.tracking_uri,
                "artifact_location": self.artifact_location,
                "database_connection_name": self.database_connection_name,
                "admin_credentials": self.admin_credentials,
                "service_account": self.service_account,
            }
        )
