"""JupyterHub on the cluster (cloud-neutral): the official chart, sized and locked down for a cost-guarded
platform. The cloud components give it a service account bound to a cloud role, the MLflow URL and the Feast
configuration Secret.

- Profiles per GPU pool: each GPU profile selects its pool's nodes, tolerates their taints and asks for
  ``nvidia.com/gpu``, so a GPU server is what wakes a pool from zero; the CPU profile stays on the system nodes.
- Idle culling (jupyterhub-idle-culler, run by the hub): a server with no activity for the timeout is stopped,
  its pod deleted, and the pool removes the now empty node after ``consolidate_after``; a maximum age backs
  it up, since an open browser tab keeps a server active.
- Nothing that keeps a GPU node alive: no user placeholders, no image pullers (their DaemonSets would pull
  multi-GB images onto every node), no user scheduler.
- Home volumes on the cluster's encrypted StorageClass, one per user, sized (and so limited) by
  ``storage_gb``; the hub's database on a 1 GiB volume.
- No cloud load balancer: the proxy Service is ClusterIP; an Ingress (the platform's ALB controller on AWS)
  or ``kubectl port-forward svc/proxy-public`` reaches it.
- User pods: NetworkPolicy egress to the internet and DNS, to the platform services named in ``egress``
  (MLflow, the Ray head), nothing else private; the node's instance metadata (169.254.169.254) is blocked,
  except where Workload Identity serves credentials from it (GKE). EKS Pod Identity's agent listens on
  169.254.170.23, which the internet rule already admits.

Example::

    Notebooks("notebooks", NotebooksArgs(namespace="mlplatform", storage_class="gp3-encrypted",
        profiles=[NotebookProfile(slug="t4", display_name="T4", image=GPU_IMAGE, cpu_guarantee=2, cpu_limit=4,
                                  memory_guarantee_gb=8, memory_limit_gb=12, gpus=1, gpu_model="T4",
                                  pool="experiments")]),
        opts=pulumi.ResourceOptions(provider=cluster.provider))
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random
from pydantic import Field, model_validator

from ..base.errors import Problems
from ..base.labels import GPU_MODEL_LABEL, GPU_RESOURCE, NODE_ROLE_LABEL, POOL_LABEL, SYSTEM_ROLE
from ..base.types import MLPLATFORM_K8S_NOTEBOOKS
from ..base.values import ComponentArgs, DnsLabel, Hostname, StrictModel, duplicates, duration_seconds
from ..config import defaults
from ..config.environment import Environment
from ..interfaces import StrInput
from .charts import JUPYTERHUB
from .feast_server import CONFIG_DIR as FEAST_CONFIG_DIR
from .gpu import GPU_TOLERATION
from .helm import helm_release_args
from .resources import service_account

SERVICE_ACCOUNT = "jupyter-user"
RELEASE = "jupyterhub"
PROXY_SERVICE = "proxy-public"  # the chart's Service in front of the proxy
CHART_USERS_LABEL = "hub.jupyter.org/network-access-hub"


class Authenticator(StrEnum):
    """JupyterHub authenticators by entry-point name (JupyterHub 5 resolves these)."""

    # One generated password for everyone (JupyterHub 5.3+; DummyAuthenticator.password is deprecated): dev only.
    SHARED_PASSWORD = "shared-password"
    GITHUB = "github"
    GENERIC_OAUTH = "generic-oauth"


AUTHENTICATOR_CLASSES = {
    Authenticator.SHARED_PASSWORD: "SharedPasswordAuthenticator",
    Authenticator.GITHUB: "GitHubOAuthenticator",
    Authenticator.GENERIC_OAUTH: "GenericOAuthenticator",
}


class NotebookProfile(StrictModel):
    """One server size on the spawn page, resolved to what the pod asks for."""

    slug: DnsLabel
    """Profile id. Required."""
    display_name: str
    """Shown on the spawn page. Required."""
    image: str
    """Notebook image. Required."""
    cpu_guarantee: float = Field(gt=0)
    """vCPUs requested. Required."""
    cpu_limit: float = Field(gt=0)
    """vCPUs the server may use. Required."""
    memory_guarantee_gb: float = Field(gt=0)
    """GiB requested. Required."""
    memory_limit_gb: float = Field(gt=0)
    """GiB the server may use. Required."""
    gpus: int = Field(default=0, ge=0, le=8)
    """GPUs (``nvidia.com/gpu``). Default: 0."""
    gpu_model: str | None = None
    """GPU model of the pool (selects nodes labelled with it). Required with gpus."""
    pool: DnsLabel | None = None
    """GPU pool whose nodes the server runs on. Required with gpus; none: the system nodes."""
    pool_taints: list[dict[str, str]] = []
    """Extra taints of the pool's nodes (beyond nvidia.com/gpu), tolerated. Default: none."""
    default: bool = False
    """Preselected. Default: false."""

    @model_validator(mode="after")
    def _check(self) -> NotebookProfile:
        p = Problems()
        if self.gpus and (self.pool is None or self.gpu_model is None):
            p.add("pool", "a GPU profile needs its pool and gpu_model", self.pool)
        if self.cpu_limit < self.cpu_guarantee:
            p.add("cpu_limit", f"must be >= cpu_guarantee ({self.cpu_guarantee})", self.cpu_limit)
        if self.memory_limit_gb < self.memory_guarantee_gb:
            p.add(
                "memory_limit_gb", f"must be >= memory_guarantee_gb ({self.memory_guarantee_gb})", self.memory_limit_gb
            )
        p.raise_if_any()
        return self


class CullSettings(StrictModel):
    enabled: bool = True
    """Run jupyterhub-idle-culler. Default: true."""
    timeout_seconds: int | None = Field(default=None, ge=60)
    """Inactivity after which a server is stopped. Default: a stack's for the environment ``production`` stands
    for (:func:`mlplatform.components.config.defaults.cull_timeout`): 8 h in prod, 1 h in dev."""
    every_seconds: int = Field(default=300, ge=30)
    """Culler period. Default: 300."""
    max_age_seconds: int | None = Field(default=None, ge=0)
    """Stop servers older than this even when active (0: never). Default: a stack's for the environment
    ``production`` stands for (:func:`mlplatform.components.config.defaults.notebook_max_age`): 12 h in dev (an
    open tab keeps a server active), never in prod."""


class NotebooksArgs(ComponentArgs):
    namespace: DnsLabel
    """Namespace of the hub and the user servers (must exist). Required."""
    profiles: list[NotebookProfile] = Field(min_length=1)
    """Server sizes. Required."""
    storage_class: str
    """StorageClass of the home and hub volumes (the cluster's encrypted one). Required."""
    storage_gb: int = Field(default=10, ge=1, le=1000)
    """Home volume size per user. Default: 10."""
    authenticator: Authenticator = Authenticator.SHARED_PASSWORD
    """Sign-in. Default: shared-password (a generated password, output ``password``; admins sign in with
    ``admin_password``)."""
    auth_config: dict[str, Any] = {}
    """Traits of the authenticator class (client_id, client_secret, allowed_organizations, ...); values may
    be Pulumi outputs (secrets stay secret). Default: none."""
    allowed_users: list[str] = []
    """Usernames that may sign in. Default: none (shared-password lets anyone with the password in)."""
    admin_users: list[str] = []
    """Hub administrators. Default: none."""
    cull: CullSettings = CullSettings()
    """Idle culling. Default: on, with a stack's timeout and maximum age (see :class:`CullSettings`)."""
    service_account: DnsLabel = SERVICE_ACCOUNT
    """Service account of the user servers, bound to the cloud role that reads the lake. Default: jupyter-user."""
    service_account_annotations: Mapping[str, StrInput] = {}
    """Annotations on it (GKE Workload Identity's ``iam.gke.io/gcp-service-account``). Default: none."""
    env: Mapping[str, StrInput] = {}
    """Environment of every user server (MLFLOW_TRACKING_URI, AWS_REGION, ...); values may be outputs.
    Default: none."""
    feast_config_secret: str | None = None
    """Secret holding feature_store.yaml, mounted at /etc/feast with FEAST_FS_YAML_FILE_PATH set. Default:
    none."""
    egress: list[dict[str, Any]] = []
    """NetworkPolicy egress rules for user servers beyond internet and DNS (platform services they call).
    Default: none."""
    metadata_server: bool = False
    """User servers may reach the node's metadata server: GKE Workload Identity serves credentials there.
    Default: false (blocked with iptables and by NetworkPolicy)."""
    ingress_host: Hostname | None = None
    """Hostname of an Ingress in front of the hub. Default: none."""
    ingress_class: str | None = None
    """IngressClass of that Ingress. Default: the cluster's default."""
    ingress_annotations: dict[str, Any] = {}
    """Annotations for the Ingress controller. Default: none."""
    ingress_controller: pulumi.Resource | None = None
    """The controller's Helm release; the hub's release waits for it. Default: none."""
    ingress_tls: bool = False
    """The Ingress terminates TLS: the hub URL and the OAuth callback are https. Default: false (http)."""
    production: bool = False
    """Size the hub and proxy for more users, and cull as a prod stack does (else as a dev stack). Default:
    false."""

    @model_validator(mode="after")
    def _check(self) -> NotebooksArgs:
        environment = Environment.PROD if self.production else Environment.DEV
        if self.cull.timeout_seconds is None or self.cull.max_age_seconds is None:
            max_age = defaults.notebook_max_age(environment)
            self.cull = self.cull.model_copy(
                update={
                    "timeout_seconds": self.cull.timeout_seconds
                    or duration_seconds(defaults.cull_timeout(environment)),
                    "max_age_seconds": self.cull.max_age_seconds
                    if self.cull.max_age_seconds is not None
                    else (duration_seconds(max_age) if max_age is not None else 0),
                }
            )
        p = Problems()
        slugs = [prof.slug for prof in self.profiles]
        if duplicates(slugs):
            p.add("profiles", f"slugs must be unique; repeated: {', '.join(duplicates(slugs))}", slugs)
        if sum(prof.default for prof in self.profiles) > 1:
            p.add("profiles", "at most one profile may be the default", [s for s in slugs])
        if self.authenticator is not Authenticator.SHARED_PASSWORD and not self.ingress_host:
            p.add(
                "ingress_host",
                f"required with the {self.authenticator} authenticator: the provider redirects to "
                "<ingress_host>/hub/oauth_callback",
                None,
            )
        p.raise_if_any()
        return self


def _gib(value: float) -> str:
    """KubeSpawner's byte specification (K/M/G/T are powers of 1024)."""
    mib = round(value * 1024)
    return f"{mib // 1024}G" if mib % 1024 == 0 else f"{mib}M"


def profile_entry(profile: NotebookProfile) -> dict[str, Any]:
    """A KubeSpawner ``profile_list`` entry: its overrides set the pod's image, size, node and GPUs."""
    override: dict[str, Any] = {
        "image": profile.image,
        "cpu_guarantee": profile.cpu_guarantee,
        "cpu_limit": profile.cpu_limit,
        "mem_guarantee": _gib(profile.memory_guarantee_gb),
        "mem_limit": _gib(profile.memory_limit_gb),
    }
    if profile.gpus:
        override["node_selector"] = {POOL_LABEL: profile.pool, GPU_MODEL_LABEL: profile.gpu_model}
        override["tolerations"] = [GPU_TOLERATION, *profile.pool_taints]
        override["extra_resource_limits"] = {GPU_RESOURCE: str(profile.gpus)}
        override["extra_resource_guarantees"] = {GPU_RESOURCE: str(profile.gpus)}
    else:
        override["node_selector"] = {NODE_ROLE_LABEL: SYSTEM_ROLE}
    return {
        "display_name": profile.display_name,
        "slug": profile.slug,
        "description": (
            f"{profile.gpus} x {profile.gpu_model}, {profile.cpu_guarantee:g}-{profile.cpu_limit:g} vCPU, "
            f"{profile.memory_guarantee_gb:g}-{profile.memory_limit_gb:g} GiB; starts a node of the {profile.pool} "
            "pool (a few minutes from zero), stopped when idle"
            if profile.gpus
            else f"{profile.cpu_guarantee:g}-{profile.cpu_limit:g} vCPU, {profile.memory_guarantee_gb:g}-"
            f"{profile.memory_limit_gb:g} GiB on the system nodes, stopped when idle"
        ),
        "default": profile.default,
        "kubespawner_override": override,
    }


def hub_config(args: NotebooksArgs, password: Any = None, admin_password: Any = None) -> dict[str, Any]:
    """``hub.config``: traitlets configuration the chart hands to JupyterHub as is."""
    cls = AUTHENTICATOR_CLASSES[args.authenticator]
    config: dict[str, Any] = {
        "JupyterHub": {"authenticator_class": str(args.authenticator)},
        "Authenticator": {"admin_users": list(args.admin_users)},
        cls: dict(args.auth_config),
    }
    if args.allowed_users:
        config["Authenticator"]["allowed_users"] = list(args.allowed_users)
    if args.authenticator is Authenticator.SHARED_PASSWORD:
        # JupyterHub 5 admits nobody unless told who may sign in; the shared password is the gate.
        config["Authenticator"]["allow_all"] = True
        config[cls]["user_password"] = password
        if args.admin_users:
            config[cls]["admin_password"] = admin_password
    else:
        scheme = "https" if args.ingress_tls else "http"
        config[cls]["oauth_callback_url"] = f"{scheme}://{args.ingress_host}/hub/oauth_callback"
    return config


def user_network_policy(args: NotebooksArgs) -> dict[str, Any]:
    """Egress of user servers: internet and cluster DNS always; private addresses only as ``egress`` lists
    them; the metadata server only for Workload Identity."""
    return {
        "enabled": True,
        "egressAllowRules": {
            "cloudMetadataServer": args.metadata_server,
            "dnsPortsCloudMetadataServer": args.metadata_server,
            "dnsPortsKubeSystemNamespace": True,
            "dnsPortsPrivateIPs": True,
            "nonPrivateIPs": True,
            "privateIPs": False,
        },
        "egress": list(args.egress),
    }


def jupyterhub_values(args: NotebooksArgs, password: Any = None, admin_password: Any = None) -> dict[str, Any]:
    """Values of the jupyterhub chart (validated against its values schema in tests)."""
    system = {NODE_ROLE_LABEL: SYSTEM_ROLE}
    env = dict(args.env)
    volumes: list[dict[str, Any]] = []
    mounts: list[dict[str, Any]] = []
    if args.feast_config_secret:
        env["FEAST_FS_YAML_FILE_PATH"] = f"{FEAST_CONFIG_DIR}/feature_store.yaml"
        volumes.append({"name": "feast-config", "secret": {"secretName": args.feast_config_secret}})
        mounts.append({"name": "feast-config", "mountPath": FEAST_CONFIG_DIR, "readOnly": True})
    big = args.production
    image, _, tag = args.profiles[0].image.rpartition(":")
    values: dict[str, Any] = {
        "hub": {
            "config": hub_config(args, password, admin_password),
            "nodeSelector": system,
            "resources": {
                "requests": {"cpu": "200m" if big else "100m", "memory": "512Mi" if big else "256Mi"},
                "limits": {"memory": "2Gi" if big else "1Gi"},
            },
            "db": {"type": "sqlite-pvc", "pvc": {"storage": "1Gi", "storageClassName": args.storage_class}},
            "networkPolicy": {"enabled": True},
        },
        "proxy": {
            "service": {"type": "ClusterIP"},  # an Ingress or a port-forward reaches it; no load balancer to pay
            "https": {"enabled": False},  # TLS ends at the Ingress
            "chp": {
                "nodeSelector": system,
                "resources": {
                    "requests": {"cpu": "100m" if big else "50m", "memory": "256Mi" if big else "128Mi"},
                    "limits": {"memory": "512Mi" if big else "256Mi"},
                },
                "networkPolicy": {"enabled": True},
            },
        },
        "singleuser": {
            "serviceAccountName": args.service_account,
            "image": {"name": image, "tag": tag},
            # No nodeSelector here: KubeSpawner merges a profile's node_selector into it, so a GPU profile would
            # also demand the system role and match no node. Each profile says where it runs.
            "cpu": {"guarantee": 0.5, "limit": 2},
            "memory": {"guarantee": "1G", "limit": "4G"},
            "storage": {
                "type": "dynamic",
                "capacity": f"{args.storage_gb}Gi",
                "dynamic": {"storageClass": args.storage_class},
                "extraVolumes": volumes,
                "extraVolumeMounts": mounts,
            },
            "extraEnv": env,
            "profileList": [profile_entry(p) for p in args.profiles],
            "networkPolicy": user_network_policy(args),
            "cloudMetadata": {"blockWithIptables": not args.metadata_server},
            # A GPU server may wait for a node from zero and a multi-GB image pull.
            "startTimeout": 900,
            "defaultUrl": "/lab",
        },
        # Nothing may hold a GPU node: placeholders and image pullers would, and Karpenter (or the cluster
        # autoscaler) already packs pods onto nodes.
        "scheduling": {
            "userScheduler": {"enabled": False},
            "podPriority": {"enabled": False},
            "userPlaceholder": {"enabled": False},
            "corePods": {"nodeAffinity": {"matchNodePurpose": "ignore"}},
            "userPods": {"nodeAffinity": {"matchNodePurpose": "ignore"}},
        },
        "prePuller": {"hook": {"enabled": False}, "continuous": {"enabled": False}},
        "cull": {
            "enabled": args.cull.enabled,
            "timeout": args.cull.timeout_seconds,
            "every": args.cull.every_seconds,
            "maxAge": args.cull.max_age_seconds,
            "users": False,
        },
    }
    if args.ingress_host:
        ingress: dict[str, Any] = {
            "enabled": True,
            "hosts": [args.ingress_host],
            "annotations": dict(args.ingress_annotations),
        }
        if args.ingress_class:
            ingress["ingressClassName"] = args.ingress_class
        values["ingress"] = ingress
    return values


def culler_command(cull: dict[str, Any]) -> list[str]:
    """The idle culler the chart starts as a hub service, from its ``cull`` values (the chart's
    jupyterhub_config.py: every set value becomes the flag of the same meaning)."""
    cmd = ["python3", "-m", "jupyterhub_idle_culler", "--url=http://localhost:8081/hub/api"]
    if cull.get("timeout"):
        cmd.append(f"--timeout={cull['timeout']}")
    if cull.get("every"):
        cmd.append(f"--cull-every={cull['every']}")
    if cull.get("concurrency"):
        cmd.append(f"--concurrency={cull['concurrency']}")
    if cull.get("users"):
        cmd.append("--cull-users")
    if cull.get("removeNamedServers"):
        cmd.append("--remove-named-servers")
    if cull.get("maxAge"):
        cmd.append(f"--max-age={cull['maxAge']}")
    return cmd


class Notebooks(pulumi.ComponentResource):
    """JupyterHub (type ``mlplatform:k8s:Notebooks``).

    Outputs: ``hub_url`` (in the cluster, or the Ingress URL), ``password`` and ``admin_password`` (secrets;
    shared-password sign-in only), ``release_name``.
    """

    hub_url: pulumi.Output[str]
    password: pulumi.Output[str] | None
    admin_password: pulumi.Output[str] | None
    release: k8s.helm.v3.Release

    def __init__(self, name: str, args: NotebooksArgs | dict[str, Any], opts: pulumi.ResourceOptions | None = None):
        args = args if isinstance(args, NotebooksArgs) else NotebooksArgs(**args)
        super().__init__(MLPLATFORM_K8S_NOTEBOOKS, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.password = self.admin_password = None
        if args.authenticator is Authenticator.SHARED_PASSWORD:
            generated = random.RandomPassword(f"{name}-password", length=24, special=False, opts=child)
            self.password = pulumi.Output.secret(generated.result)
            if args.admin_users:  # the authenticator wants 32 characters or more, unlike the users' password
                admin = random.RandomPassword(f"{name}-admin-password", length=40, special=False, opts=child)
                self.admin_password = pulumi.Output.secret(admin.result)
        account = service_account(
            f"{name}-users",
            name=args.service_account,
            namespace=args.namespace,
            labels={"app.kubernetes.io/part-of": "mlplatform", "app.kubernetes.io/component": "notebooks"},
            annotations=args.service_account_annotations,
            parent=self,
        )
        depends: list[pulumi.Resource] = [account]
        if args.ingress_controller is not None:
            depends.append(args.ingress_controller)
        self.release = k8s.helm.v3.Release(
            name,
            k8s.helm.v3.ReleaseArgs(
                name=RELEASE,
                **helm_release_args(
                    JUPYTERHUB, args.namespace, jupyterhub_values(args, self.password, self.admin_password)
                ),
                # A first install waits for the hub's volume and image; the default 5 minutes is tight.
                timeout=900,
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=depends),
        )
        self.hub_url = pulumi.Output.from_input(
            f"{'https' if args.ingress_tls else 'http'}://{args.ingress_host}"
            if args.ingress_host
            else f"http://{PROXY_SERVICE}.{args.namespace}.svc.cluster.local"
        )
        self.register_outputs(
            {
                "hub_url": self.hub_url,
                "password": self.password,
                "admin_password": self.admin_password,
                "release_name": self.release.name,
            }
        )
