"""MlflowTracking: MLflow on EKS with an RDS PostgreSQL backend and artifacts in the data lake.

- backend store: RDS PostgreSQL in the private subnets, reachable only from the cluster's security group,
  storage encrypted, TLS enforced (``rds.force_ssl``), a generated master password that stays a Pulumi
  secret; dev: a burstable class, single-AZ; prod: multi-AZ, deletion protection, >= 7 days of backups, a
  final snapshot, Performance Insights, ``protect``;
- artifact store: ``s3://<models zone>/mlflow/``, written only by the role bound to MLflow's service account
  (EKS Pod Identity) through ``DataLake.grant_write``;
- the server: :class:`mlplatform.components.k8s.mlflow_server.MlflowServer` (artifact proxying, allowed hosts,
  basic auth).

Example::

    tracking = MlflowTracking("mlflow", MlflowTrackingArgs(
        region="us-east-1", lake=lake, cluster=workloads, network=private_network))
    pulumi.export("tracking_uri", tracking.tracking_uri)
"""

from __future__ import annotations

import re
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_random as random
from pydantic import model_validator

from ..base.cloud import Cloud
from ..base.errors import Problems
from ..base.types import MLPLATFORM_AWS_MLFLOW_TRACKING
from ..base.values import ComponentArgs
from ..config import defaults
from ..config.environment import Environment
from ..config.mlflow import MlflowSpec
from ..k8s.mlflow_server import ADMIN_USERNAME, MlflowServer, MlflowServerArgs
from . import iam
from .data_lake import DataLake
from .load_balancer_controller import alb_annotations
from .placement import PrivateNetwork, WorkloadCluster

DB_NAME = "mlflow"
DB_USER = "mlflow"
DB_PORT = 5432
ARTIFACT_PREFIX = "mlflow/"
_INSTANCE_CLASS = re.compile(r"^db\.[a-z0-9]+\.[a-z0-9]+$")
# Burstable classes are fine for a dev tracking server; production gets steady CPU.
_BURSTABLE = re.compile(r"^db\.t[0-9]")


class MlflowTrackingArgs(ComponentArgs):
    _context_cloud = Cloud.AWS

    region: str
    """AWS region. Required."""
    lake: DataLake
    """Data lake whose models zone holds the artifacts. Required."""
    cluster: WorkloadCluster
    """Cluster the server runs on; its security group is the only one the database admits. Required."""
    network: PrivateNetwork
    """VPC and private subnets for the database. Required."""
    environment: Environment = Environment.DEV
    """prod: multi-AZ, deletion protection, final snapshot, Performance Insights, two replicas. Default: dev."""
    mlflow: MlflowSpec = MlflowSpec()
    """Server and database settings (the stack spec's ``mlflow`` section); what it leaves unset takes the
    environment's default, as in a stack (:mod:`mlplatform.components.config.defaults`). Default: see MlflowSpec."""
    artifacts_zone: str = "models"
    """Lake zone for artifacts (under ``mlflow/``). Default: models."""
    ingress_controller: pulumi.Resource | None = None
    """The resource serving the Ingress (an :class:`AwsLoadBalancerController`'s ``release``); the Ingress
    waits for it.
    Required with mlflow.ingress_host and the alb class."""
    ingress_group: str | None = None
    """ALB group the Ingress joins, so Ingresses of one stack share a load balancer (``alb`` class). Default:
    none (its own ALB)."""
    tags: dict[str, str] = {}
    """Tags on every AWS resource. Default: none."""

    @property
    def database_class(self) -> str:
        """mlflow.database.instance_class, else the environment's (:func:`defaults.mlflow_database_class`)."""
        return self.mlflow.database.instance_class or defaults.mlflow_database_class(Cloud.AWS, self.environment)

    @property
    def backup_retention_days(self) -> int:
        """mlflow.database.backup_retention_days, else the environment's (:func:`defaults.backup_retention_days`)."""
        days = self.mlflow.database.backup_retention_days
        return days if days is not None else defaults.backup_retention_days(self.environment)

    @model_validator(mode="after")
    def _check(self) -> MlflowTrackingArgs:
        p = Problems()
        prod = self.environment is Environment.PROD
        if self.artifacts_zone not in self.lake.zones:
            p.add("artifacts_zone", f"not a zone of the lake; zones: {', '.join(self.lake.zones)}", self.artifacts_zone)
        cls = self.database_class
        if not _INSTANCE_CLASS.match(cls):
            p.add("mlflow.database.instance_class", "must be an RDS instance class such as db.t4g.micro", cls)
        elif prod and _BURSTABLE.match(cls):
            p.add(
                "mlflow.database.instance_class",
                "burstable (db.t*) classes run out of CPU credits under steady load; use db.m7g.large or "
                "larger in prod",
                cls,
            )
        if self.mlflow.ingress_host and self.mlflow.ingress_class in (None, "alb") and self.ingress_controller is None:
            p.add(
                "ingress_controller",
                "required with mlflow.ingress_host and the alb class: nothing else turns the Ingress into a load "
                "balancer (AwsLoadBalancerController)",
                None,
            )
        retention = self.backup_retention_days
        if prod and retention < 7:
            p.add("mlflow.database.backup_retention_days", "must be >= 7 in prod", retention)
        p.raise_if_any()
        return self


class MlflowTracking(pulumi.ComponentResource):
    """MLflow tracking on AWS (type ``mlplatform:aws:MlflowTracking``).

    Outputs: ``tracking_uri``, ``artifact_location``, ``database_endpoint``, ``admin_credentials`` (secret:
    ``{"username", "password"}``), ``artifact_role_arn``.
    """

    tracking_uri: pulumi.Output[str]
    artifact_location: pulumi.Output[str]
    database_endpoint: pulumi.Output[str]
    admin_credentials: pulumi.Output[dict[str, str]]
    database_identifier: pulumi.Output[str]
    artifact_role: aws.iam.Role

    def __init__(
        self, name: str, args: MlflowTrackingArgs | dict[str, Any], opts: pulumi.ResourceOptions | None = None
    ):
        args = args if isinstance(args, MlflowTrackingArgs) else MlflowTrackingArgs(**args)
        super().__init__(MLPLATFORM_AWS_MLFLOW_TRACKING, name, None, opts)
        prod = args.environment is Environment.PROD
        spec, db_spec = args.mlflow, args.mlflow.database
        child = pulumi.ResourceOptions(parent=self)
        tags = args.tags

        # --- the database ---
        password = random.RandomPassword(
            f"{name}-db-password", length=32, special=True, override_special="-_.~", opts=child
        )
        subnets = aws.rds.SubnetGroup(
            f"{name}-db",
            subnet_ids=args.network.subnet_ids,
            description=f"MLflow backend store of {name}",
            tags=tags,
            opts=child,
        )
        sg = aws.ec2.SecurityGroup(
            f"{name}-db",
            vpc_id=args.network.vpc_id,
            description="MLflow backend store: cluster access only",
            tags=tags,
            opts=child,
        )
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-db-from-cluster",
            security_group_id=sg.id,
            referenced_security_group_id=args.cluster.security_group_id,
            ip_protocol="tcp",
            from_port=DB_PORT,
            to_port=DB_PORT,
            description="PostgreSQL from the cluster's nodes and pods",
            tags=tags,
            opts=child,
        )
        major = db_spec.engine_version
        params = aws.rds.ParameterGroup(
            f"{name}-db",
            family=f"postgres{major}",
            description=f"MLflow backend store of {name}: TLS only",
            parameters=[aws.rds.ParameterGroupParameterArgs(name="rds.force_ssl", value="1")],
            tags=tags,
            opts=child,
        )
        database = aws.rds.Instance(
            f"{name}-db",
            engine="postgres",
            engine_version=major,
            auto_minor_version_upgrade=True,
            instance_class=args.database_class,
            allocated_storage=db_spec.storage_gb,
            max_allocated_storage=max(db_spec.storage_gb * 5, 100),
            storage_type="gp3",
            storage_encrypted=True,
            kms_key_id=args.lake.key_arn,
            db_name=DB_NAME,
            username=DB_USER,
            password=password.result,
            port=DB_PORT,
            db_subnet_group_name=subnets.name,
            vpc_security_group_ids=[sg.id],
            parameter_group_name=params.name,
            publicly_accessible=False,
            multi_az=prod,
            backup_retention_period=args.backup_retention_days,
            copy_tags_to_snapshot=True,
            deletion_protection=prod,
            skip_final_snapshot=not prod,
            final_snapshot_identifier=f"{name}-{pulumi.get_stack()}-final" if prod else None,
            performance_insights_enabled=prod,
            performance_insights_retention_period=7 if prod else None,
            apply_immediately=not prod,
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, protect=prod, additional_secret_outputs=["password"]),
        )
        # psycopg2 is named explicitly: SQLAlchemy 2.1 defaults postgresql:// to psycopg 3. The -full image
        # ships both; naming one keeps the server's driver independent of SQLAlchemy's default.
        backend_uri = pulumi.Output.secret(
            pulumi.Output.format(
                "postgresql+psycopg2://{0}:{1}@{2}:{3}/{4}?sslmode=require",
                DB_USER,
                password.result,
                database.address,
                DB_PORT,
                DB_NAME,
            )
        )

        # --- artifacts: a prefix of the models zone, writable only by MLflow's service account ---
        service_account = "mlflow"
        self.artifact_role, identity = iam.pod_identity_role(
            f"{name}-artifacts",
            cluster_name=args.cluster.cluster_name,
            namespace=args.cluster.namespace,
            service_account=service_account,
            parent=self,
            tags=tags,
            description=f"MLflow server {name}: artifact store in the data lake",
        )
        args.lake.grant_write(iam.principal(self.artifact_role), args.artifacts_zone, prefix=ARTIFACT_PREFIX)
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
                service_account=service_account,
                replicas=spec.replicas or defaults.mlflow_replicas(args.environment),
                ingress_host=spec.ingress_host,
                ingress_class=spec.ingress_class or ("alb" if spec.ingress_host else None),
                ingress_annotations=alb_annotations(
                    str(spec.ingress_scheme), spec.certificate_arn, "/health", tags, group=args.ingress_group
                )
                if spec.ingress_class in (None, "alb")
                else {},
                ingress_tls=spec.certificate_arn is not None,
                ingress_controller=args.ingress_controller,
                env={"AWS_REGION": args.region, "AWS_DEFAULT_REGION": args.region},
            ),
            opts=pulumi.ResourceOptions(
                parent=self,
                provider=args.cluster.provider,
                depends_on=[database, identity],
            ),
        )
        self.ingress_address = server.ingress_address
        self.tracking_uri = server.tracking_uri
        self.database_endpoint = database.endpoint
        self.database_identifier = database.identifier
        self.admin_credentials = pulumi.Output.secret(
            admin.result.apply(lambda p: {"username": ADMIN_USERNAME, "password": p})
        )
        self.register_outputs(
            {
                "tracking_uri": self.tracking_uri,
                "artifact_location": self.artifact_location,
                "database_endpoint": self.database_endpoint,
                "admin_credentials": self.admin_credentials,
                "artifact_role_arn": self.artifact_role.arn,
                "ingress_address": self.ingress_address,
            }
        )
