"""The ``notebooks`` section: JupyterHub's sign-in, profiles, culling and lake access."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import Field, model_validator

from ..base.errors import Problems, spec_error
from ..base.values import AcmCertificateArn, DnsLabel, Duration, Hostname, HttpsUrl, StrictModel, duplicates, matching


class NotebookAuthType(StrEnum):
    DUMMY = "dummy"  # any username with one generated shared password: dev only
    GITHUB = "github"
    OIDC = "oidc"


class NotebookAuthSpec(StrictModel):
    """How people sign in to JupyterHub."""

    type: NotebookAuthType = NotebookAuthType.DUMMY
    """dummy (any username with one generated shared password, output notebooks_password; admin_users sign in
    with notebooks_admin_password; dev only), github (a GitHub OAuth app) or oidc (an OpenID Connect provider:
    Okta, Entra ID, Keycloak, Google). Default: dummy."""
    client_id: str | None = Field(default=None, min_length=1)
    """OAuth client id. Required for github and oidc."""
    client_secret_key: Annotated[
        str, matching(r"^[A-Za-z][A-Za-z0-9_]*$", "a config key name: letters, digits or '_', starting with a letter")
    ] = "notebooksOauthClientSecret"
    """The stack's secret config key (namespace mlplatform) holding the OAuth client secret, set with
    ``pulumi config set --secret mlplatform:<key> ...``. Default: notebooksOauthClientSecret."""
    authorize_url: HttpsUrl | None = None
    """OIDC: the provider's authorization endpoint. Required for oidc."""
    token_url: HttpsUrl | None = None
    """OIDC: the provider's token endpoint. Required for oidc."""
    userdata_url: HttpsUrl | None = None
    """OIDC: the provider's userinfo endpoint. Required for oidc."""
    username_claim: str = "preferred_username"
    """OIDC: the userinfo claim that becomes the JupyterHub username. Default: preferred_username."""
    groups_claim: str = "groups"
    """OIDC: the userinfo claim listing the user's groups. Default: groups."""
    github_organizations: list[str] = []
    """github: organizations (or org:team) whose members may sign in. Default: none."""
    allowed_groups: list[str] = []
    """oidc: groups whose members may sign in. Default: none."""
    allowed_users: list[str] = []
    """Usernames that may sign in. Default: none (github and oidc need organizations, groups or users)."""
    admin_users: list[str] = []
    """Hub administrators. Default: none."""

    @model_validator(mode="after")
    def _check(self) -> NotebookAuthSpec:
        p = Problems()
        if self.type is NotebookAuthType.DUMMY:
            for key in ("client_id", "authorize_url", "token_url", "userdata_url"):
                if getattr(self, key) is not None:
                    p.add(key, "only valid with type github or oidc", getattr(self, key))
        else:
            if self.client_id is None:
                p.add("client_id", f"required with type {self.type}", None)
            allow = self.github_organizations if self.type is NotebookAuthType.GITHUB else self.allowed_groups
            if not allow and not self.allowed_users:
                what = "github_organizations" if self.type is NotebookAuthType.GITHUB else "allowed_groups"
                p.add(
                    what,
                    f"{what} or allowed_users is required: JupyterHub 5 lets nobody in unless told who may sign in",
                    allow,
                )
        if self.type is NotebookAuthType.OIDC:
            for key in ("authorize_url", "token_url", "userdata_url"):
                if getattr(self, key) is None:
                    p.add(key, "required with type oidc (the provider's endpoint)", None)
        elif self.allowed_groups:
            p.add("allowed_groups", "only valid with type oidc", self.allowed_groups)
        if self.type is not NotebookAuthType.GITHUB and self.github_organizations:
            p.add("github_organizations", "only valid with type github", self.github_organizations)
        p.raise_if_any()
        return self


class NotebookProfileSpec(StrictModel):
    """A server size users pick when they start a notebook."""

    name: DnsLabel
    """Profile slug, a DNS label. Required."""
    display_name: str | None = Field(default=None, min_length=1, max_length=80)
    """Shown on the spawn page. Default: derived from the pool and GPU."""
    gpu_pool: DnsLabel | None = None
    """GPU pool (cluster.gpu_pools) the server runs on, with its GPUs. Default: none (a CPU notebook on the
    system nodes, small and culled like the rest)."""
    gpus: int = Field(default=1, ge=1, le=8)
    """GPUs per server, at most the pool's gpus_per_node (GPU profiles only). Default: 1."""
    cpu: float | None = Field(default=None, gt=0, le=192)
    """Guaranteed vCPUs (the limit is the pool node's share). Default: 0.5 on system nodes; half the pool
    node's share for GPU profiles."""
    memory_gb: float | None = Field(default=None, gt=0, le=2048)
    """Guaranteed memory in GiB. Default: 1 on system nodes; half the pool node's share for GPU profiles."""
    image: str | None = Field(default=None, min_length=1)
    """Notebook image. Default: notebooks.image, or notebooks.gpu_image for GPU profiles."""
    default: bool = False
    """Preselected on the spawn page. Default: the first profile."""


NOTEBOOK_IMAGE = "quay.io/jupyter/scipy-notebook:2024-12-23"
NOTEBOOK_GPU_IMAGE = "quay.io/jupyter/pytorch-notebook:cuda12-2024-12-23"


class NotebooksSpec(StrictModel):
    """JupyterHub on the cluster: profiles per GPU pool, idle culling, per-user volumes, lake access by role."""

    enabled: bool = False
    """Run JupyterHub. Default: false."""
    auth: NotebookAuthSpec = NotebookAuthSpec()
    """Sign-in. Default: dummy (dev only)."""
    profiles: list[NotebookProfileSpec] | None = None
    """Server sizes. Default: cpu (system nodes) and one per GPU pool with 1 GPU."""
    idle_culling: bool = True
    """Stop servers with no activity for cull_timeout, so a GPU notebook left open releases its node (the pool
    then removes the empty node after consolidate_after). Default: true."""
    cull_timeout: Duration | None = None
    """Inactivity after which a server is stopped. Default: 1h in dev, 2h in staging, 8h in prod."""
    cull_every: Duration = "5m"
    """How often the culler looks. Default: 5m."""
    max_age: Duration | None = None
    """Stop servers older than this even when active (an open browser tab keeps a server active). Default: 12h
    in dev, none elsewhere."""
    storage_gb: int = Field(default=10, ge=1, le=1000)
    """Size (and limit) of each user's home volume, on the cluster's encrypted StorageClass. Default: 10."""
    image: str = Field(default=NOTEBOOK_IMAGE, min_length=1)
    """Image of CPU profiles, pinned. Default: quay.io/jupyter/scipy-notebook:2024-12-23."""
    gpu_image: str = Field(default=NOTEBOOK_GPU_IMAGE, min_length=1)
    """Image of GPU profiles, pinned. Default: quay.io/jupyter/pytorch-notebook:cuda12-2024-12-23."""
    read_zones: list[DnsLabel] | None = None
    """Lake zones user servers may read, through the hub's cloud role (no static keys). Default: all zones."""
    write_zone: DnsLabel | None = None
    """Lake zone whose notebooks/ prefix user servers may write. Default: curated (else the first zone)."""
    ingress_host: Hostname | None = None
    """Hostname of an Ingress in front of the hub (served like MLflow's: the ALB controller on AWS, sharing
    MLflow's load balancer; GKE's built-in class on GCP). Required for github and oidc sign-in (the OAuth
    callback). Default: no Ingress (kubectl port-forward svc/proxy-public 8000:80)."""
    certificate_arn: AcmCertificateArn | None = None
    """ACM certificate for ingress_host (AWS): the hub listens on HTTPS only and the OAuth callback is https.
    Required in prod with an Ingress, and for oidc sign-in on AWS. Default: none (HTTP)."""

    @model_validator(mode="after")
    def _check(self) -> NotebooksSpec:
        dup = duplicates([p.name for p in self.profiles or []])
        if dup:
            raise spec_error(
                "profiles",
                f"profile names must be unique; repeated: {', '.join(dup)}",
                [p.name for p in self.profiles or []],
            )
        return self
