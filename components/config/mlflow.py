"""The ``mlflow`` section: the tracking server, its Ingress and its database."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field, model_validator

from ..base.errors import spec_error
from ..base.values import AcmCertificateArn, DnsLabel, Hostname, StrictModel


class IngressScheme(StrEnum):
    INTERNAL = "internal"
    INTERNET_FACING = "internet-facing"


class DatabaseSpec(StrictModel):
    instance_class: str | None = None
    """Database instance class. Default: db.t4g.micro (dev), db.t4g.small (staging), db.m7g.large (prod) on
    AWS; db-f1-micro / db-g1-small / db-custom-2-7680 on GCP."""
    engine_version: str = "16"
    """PostgreSQL major version. Default: 16; allowed: 14, 15, 16, 17."""
    storage_gb: int = Field(default=20, ge=20, le=16384)
    """Allocated storage in GB. Default: 20."""
    backup_retention_days: int | None = Field(default=None, ge=0, le=35)
    """Automated backup retention. Default: 7 in prod, else 1."""

    @model_validator(mode="after")
    def _check(self) -> DatabaseSpec:
        if self.engine_version not in ("14", "15", "16", "17"):
            raise spec_error("engine_version", "not allowed; allowed: 14, 15, 16, 17", self.engine_version)
        return self


class MlflowSpec(StrictModel):
    enabled: bool = True
    """Run MLflow tracking. Default: true."""
    replicas: int | None = Field(default=None, ge=1, le=10)
    """Server replicas. Default: 2 in prod, else 1."""
    ingress_host: Hostname | None = None
    """Hostname for an Ingress (you point its DNS record at the load balancer, output
    ``mlflow_ingress_address``). On AWS the platform installs the AWS Load Balancer Controller for it.
    Default: no Ingress (cluster-internal service only)."""
    ingress_class: DnsLabel | None = None
    """IngressClass for that Ingress: alb (AWS, installed by the platform) or a class whose controller you run
    (e.g. nginx). Default: alb on AWS, GKE's built-in class on GCP."""
    ingress_scheme: IngressScheme = IngressScheme.INTERNAL
    """internal (reachable from the VPC and what peers with it) or internet-facing. Default: internal."""
    certificate_arn: AcmCertificateArn | None = None
    """ACM certificate for ingress_host (AWS, alb): the load balancer listens on HTTPS only and tracking_uri
    is https://. Required in prod with an Ingress. Default: none (HTTP; tracking_uri is http://)."""
    database: DatabaseSpec = DatabaseSpec()
    """Backend database. Default: see DatabaseSpec."""
