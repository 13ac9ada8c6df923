"""Ray on the cluster (cloud-neutral): the KubeRay operator, RayClusters whose GPU workers scale from zero, and
RayJobs that bring their own cluster and delete it when they finish.

- The head runs on the system nodes and takes no tasks (``num-cpus: 0``); its dashboard and client ports are a
  ClusterIP Service only (``kubectl port-forward svc/<cluster>-head-svc 8265``).
- Each worker group selects one GPU pool's nodes, tolerates their taints and asks for whole GPUs with
  requests equal to limits (Ray schedules by what the pod declares). The Ray autoscaler (in-tree, a sidecar of
  the head) adds workers for pending tasks and removes them after ``idle_timeout``; Karpenter or the cluster
  autoscaler then brings nodes up from zero and removes the empty ones. A reclaimed spot node loses its
  workers: Ray retries their tasks, Ray Tune restores trials from their last checkpoint.
- Objects that do not fit in memory spill to the lake (``RAY_object_spilling_config``, smart_open) through the
  pods' cloud role, not to the node's small root volume.

Example::

    operator = KubeRayOperator("kuberay", opts=pulumi.ResourceOptions(provider=cluster.provider))
    RayCluster("ray", RayClusterArgs(namespace="mlplatform", operator=operator.release,
        worker_groups=[RayWorkerGroup(name="t4", pool="experiments", gpu_model="T4", cpu=3, memory_gb=12)]),
        opts=pulumi.ResourceOptions(provider=cluster.provider))
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
from pydantic import Field, model_validator

from ..base.errors import Problems
from ..base.labels import GPU_MODEL_LABEL, GPU_RESOURCE, NODE_ROLE_LABEL, POOL_LABEL, SYSTEM_ROLE
from ..base.types import MLPLATFORM_K8S_KUBE_RAY_OPERATOR, MLPLATFORM_K8S_RAY_CLUSTER, MLPLATFORM_K8S_RAY_JOB
from ..base.values import ComponentArgs, DnsLabel, StrictModel, duplicates
from ..interfaces import StrInput
from .charts import KUBERAY_OPERATOR
from .feast_server import CONFIG_DIR as FEAST_CONFIG_DIR
from .gpu import GPU_TOLERATION
from .helm import helm_release_args
from .resources import cpu_quantity, memory_quantity, service_account

RAY_API_VERSION = "ray.io/v1"
RAY_VERSION = "2.60.0"
KUBERAY_IMAGE = "quay.io/kuberay/operator"
SERVICE_ACCOUNT = "ray"
DASHBOARD_PORT = 8265
CLIENT_PORT = 10001
GCS_PORT = 6379
HEAD_SERVICE_SUFFIX = "-head-svc"  # KubeRay names the head Service <cluster>-head-svc


def ray_images(version: str) -> tuple[str, str]:
    """(CPU image for the head, GPU image for workers) of a Ray version, Python 3.11 like the platform."""
    return f"rayproject/ray:{version}-py311", f"rayproject/ray:{version}-py311-gpu"


class RayWorkerGroup(StrictModel):
    """A worker group on one GPU pool."""

    name: DnsLabel
    """Group name. Required."""
    pool: DnsLabel
    """GPU pool whose nodes the workers run on. Required."""
    gpu_model: str
    """GPU model of the pool (selects nodes labelled with it). Required."""
    gpus: int = Field(default=1, ge=1, le=8)
    """GPUs per worker. Default: 1."""
    cpu: float = Field(gt=0)
    """vCPUs per worker (requests = limits). Required."""
    memory_gb: float = Field(gt=0)
    """GiB per worker (requests = limits). Required."""
    min_workers: int = Field(default=0, ge=0)
    """Workers kept with no work. Default: 0."""
    max_workers: int = Field(ge=1)
    """Upper bound. Required."""
    pool_taints: list[dict[str, str]] = []
    """Extra taints of the pool's nodes, tolerated. Default: none."""


class RayClusterArgs(ComponentArgs):
    namespace: DnsLabel
    """Namespace (must exist). Required."""
    cluster_name: DnsLabel | None = None
    """Name of the RayCluster (or RayJob) object; its head Service is <name>-head-svc. Default: the component
    name."""
    operator: pulumi.Resource
    """The KubeRay operator's Helm release: it installs the ray.io CRDs, so the cluster waits for it. Required."""
    worker_groups: list[RayWorkerGroup] = []
    """Worker groups. Default: none (a head only)."""
    version: str = Field(default=RAY_VERSION, pattern=r"^\d+\.\d+\.\d+$")
    """Ray version of the images. Default: 2.60.0."""
    head_cpu: float = Field(default=0.5, gt=0)
    """vCPUs requested by the head. Default: 0.5."""
    head_memory_gb: float = Field(default=2, ge=1)
    """GiB of the head (request and limit). Default: 2."""
    idle_timeout_seconds: int = Field(default=300, ge=30)
    """Idle time before the autoscaler removes a worker. Default: 300."""
    service_account: DnsLabel = SERVICE_ACCOUNT
    """Service account of head and workers, bound to the cloud role that reads the lake. Default: ray."""
    service_account_annotations: Mapping[str, StrInput] = {}
    """Annotations on it (GKE Workload Identity). Default: none."""
    spill_url: StrInput | None = None
    """Lake URL objects spill to (``s3://bucket/ray/spill``). Default: the node's disk."""
    env: Mapping[str, StrInput] = {}
    """Environment of every Ray container (MLFLOW_TRACKING_URI, AWS_REGION, ...). Default: none."""
    secret_env: dict[str, tuple[str, str]] = {}
    """Environment from Secrets, variable -> (secret name, key), e.g. MLflow credentials
    ``{"MLFLOW_TRACKING_PASSWORD": ("mlflow-credentials", "password")}``. Default: none."""
    feast_config_secret: str | None = None
    """Secret with feature_store.yaml, mounted at /etc/feast. Default: none."""

    @model_validator(mode="after")
    def _check(self) -> RayClusterArgs:
        p = Problems()
        names = [g.name for g in self.worker_groups]
        if duplicates(names):
            p.add("worker_groups", f"group names must be unique; repeated: {', '.join(duplicates(names))}", names)
        for i, g in enumerate(self.worker_groups):
            if g.min_workers > g.max_workers:
                p.add(f"worker_groups[{i}].min_workers", f"must be <= max_workers ({g.max_workers})", g.min_workers)
        p.raise_if_any()
        return self


def _env(args: RayClusterArgs, spill_url: str | None) -> list[dict[str, Any]]:
    env = dict(args.env)
    if spill_url:
        # The raylet reads RAY_<config> variables; workers also receive the head's setting through the GCS.
        env["RAY_object_spilling_config"] = json.dumps({"type": "smart_open", "params": {"uri": spill_url}})
    if args.feast_config_secret:
        env["FEAST_FS_YAML_FILE_PATH"] = f"{FEAST_CONFIG_DIR}/feature_store.yaml"
    plain = [{"name": k, "value": v} for k, v in sorted(env.items())]
    return plain + [
        {"name": k, "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}}
        for k, (secret, key) in sorted(args.secret_env.items())
    ]


def _volumes(args: RayClusterArgs) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(volumes, mounts): /tmp/ray on an emptyDir (Ray's logs and sockets), and the Feast config."""
    volumes: list[dict[str, Any]] = [{"name": "ray-logs", "emptyDir": {}}]
    mounts: list[dict[str, Any]] = [{"name": "ray-logs", "mountPath": "/tmp/ray"}]
    if args.feast_config_secret:
        volumes.append({"name": "feast-config", "secret": {"secretName": args.feast_config_secret}})
        mounts.append({"name": "feast-config", "mountPath": FEAST_CONFIG_DIR, "readOnly": True})
    return volumes, mounts


def head_group_spec(args: RayClusterArgs, spill_url: str | None, extra: dict[str, Any] | None = None) -> dict:
    cpu_image, _ = ray_images(args.version)
    volumes, mounts = _volumes(args)
    memory = memory_quantity(args.head_memory_gb)
    container = {
        "name": "ray-head",
        "image": cpu_image,
        "ports": [
            {"name": "gcs", "containerPort": GCS_PORT},
            {"name": "dashboard", "containerPort": DASHBOARD_PORT},
            {"name": "client", "containerPort": CLIENT_PORT},
        ],
        "env": _env(args, spill_url),
        "resources": {"requests": {"cpu": cpu_quantity(args.head_cpu), "memory": memory}, "limits": {"memory": memory}},
        "volumeMounts": mounts + list((extra or {}).get("mounts", [])),
    }
    return {
        # The head schedules no tasks: GPU and CPU work goes to workers, which the autoscaler can remove.
        "rayStartParams": {"num-cpus": "0", "dashboard-host": "0.0.0.0"},
        "serviceType": "ClusterIP",
        "enableIngress": False,
        "template": {
            "metadata": {"labels": {"app.kubernetes.io/part-of": "mlplatform"}},
            "spec": {
                "serviceAccountName": args.service_account,
                "nodeSelector": {NODE_ROLE_LABEL: SYSTEM_ROLE},
                "containers": [container],
                "volumes": volumes + list((extra or {}).get("volumes", [])),
            },
        },
    }


def worker_group_spec(args: RayClusterArgs, group: RayWorkerGroup, spill_url: str | None) -> dict:
    _, gpu_image = ray_images(args.version)
    volumes, mounts = _volumes(args)
    resources = {
        "cpu": cpu_quantity(group.cpu),
        "memory": memory_quantity(group.memory_gb),
        GPU_RESOURCE: str(group.gpus),
    }
    return {
        "groupName": group.name,
        "replicas": group.min_workers,
        "minReplicas": group.min_workers,
        "maxReplicas": group.max_workers,
        "rayStartParams": {},
        "template": {
            "metadata": {"labels": {"app.kubernetes.io/part-of": "mlplatform", POOL_LABEL: group.pool}},
            "spec": {
                "serviceAccountName": args.service_account,
                "nodeSelector": {POOL_LABEL: group.pool, GPU_MODEL_LABEL: group.gpu_model},
                "tolerations": [GPU_TOLERATION, *group.pool_taints],
                # A spot reclaim gives two minutes' notice: let Ray move what it can before the pod goes.
                "terminationGracePeriodSeconds": 90,
                "containers": [
                    {
                        "name": "ray-worker",
                        "image": gpu_image,
                        "env": _env(args, spill_url),
                        "resources": {"requests": dict(resources), "limits": dict(resources)},
                        "volumeMounts": mounts,
                    }
                ],
                "volumes": volumes,
            },
        },
    }


def ray_cluster_spec(args: RayClusterArgs, spill_url: str | None, head_extra: dict[str, Any] | None = None) -> dict:
    """The ``spec`` of a RayCluster (and a RayJob's ``rayClusterSpec``): validated against the KubeRay CRD
    schema in tests, and turned into the Ray autoscaler's configuration by Ray's own code."""
    return {
        "rayVersion": args.version,
        "enableInTreeAutoscaling": True,
        "autoscalerOptions": {
            "upscalingMode": "Default",
            "idleTimeoutSeconds": args.idle_timeout_seconds,
            "resources": {"requests": {"cpu": "100m", "memory": "512Mi"}, "limits": {"memory": "512Mi"}},
        },
        "headGroupSpec": head_group_spec(args, spill_url, head_extra),
        "workerGroupSpecs": [worker_group_spec(args, g, spill_url) for g in args.worker_groups],
    }


def operator_values() -> dict[str, Any]:
    return {
        "image": {"repository": KUBERAY_IMAGE, "tag": f"v{KUBERAY_OPERATOR.version}"},
        "nodeSelector": {NODE_ROLE_LABEL: SYSTEM_ROLE},
        "resources": {"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"memory": "512Mi"}},
    }


class KubeRayOperator(pulumi.ComponentResource):
    """The KubeRay operator and the ray.io CRDs (type ``mlplatform:k8s:KubeRayOperator``).

    Helm installs a chart's CRDs on the first install only: when you bump the chart, apply its CRDs first
    (``kubectl apply --server-side -f crds/``).
    """

    release: k8s.helm.v3.Release

    def __init__(self, name: str, namespace: str = "kuberay-system", opts: pulumi.ResourceOptions | None = None):
        super().__init__(MLPLATFORM_K8S_KUBE_RAY_OPERATOR, name, None, opts)
        self.release = k8s.helm.v3.Release(
            name,
            k8s.helm.v3.ReleaseArgs(
                name="kuberay-operator",
                create_namespace=True,
                **helm_release_args(KUBERAY_OPERATOR, namespace, operator_values()),
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"release_name": self.release.name})


def _service_account(name: str, args: RayClusterArgs, parent: pulumi.Resource) -> k8s.core.v1.ServiceAccount:
    return service_account(
        name,
        name=args.service_account,
        namespace=args.namespace,
        labels={"app.kubernetes.io/part-of": "mlplatform", "app.kubernetes.io/component": "ray"},
        annotations=args.service_account_annotations,
        parent=parent,
    )


class RayCluster(pulumi.ComponentResource):
    """A standing RayCluster (type ``mlplatform:k8s:RayCluster``).

    Outputs: ``cluster_name``, ``dashboard_url`` and ``client_address`` (inside the cluster).
    """

    cluster_name: pulumi.Output[str]
    dashboard_url: pulumi.Output[str]
    client_address: pulumi.Output[str]

    def __init__(self, name: str, args: RayClusterArgs | dict[str, Any], opts: pulumi.ResourceOptions | None = None):
        args = args if isinstance(args, RayClusterArgs) else RayClusterArgs(**args)
        super().__init__(MLPLATFORM_K8S_RAY_CLUSTER, name, None, opts)
        account = _service_account(f"{name}-sa", args, self)
        spill = pulumi.Output.from_input(args.spill_url) if args.spill_url is not None else pulumi.Output.from_input("")
        object_name = args.cluster_name or name
        k8s.apiextensions.CustomResource(
            name,
            api_version=RAY_API_VERSION,
            kind="RayCluster",
            metadata={
                "name": object_name,
                "namespace": args.namespace,
                "labels": {"app.kubernetes.io/part-of": "mlplatform"},
            },
            spec=spill.apply(lambda url: ray_cluster_spec(args, url or None)),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[account, args.operator]),
        )
        head = f"{object_name}{HEAD_SERVICE_SUFFIX}.{args.namespace}.svc.cluster.local"
        self.cluster_name = pulumi.Output.from_input(object_name)
        self.dashboard_url = pulumi.Output.from_input(f"http://{head}:{DASHBOARD_PORT}")
        self.client_address = pulumi.Output.from_input(f"ray://{head}:{CLIENT_PORT}")
        self.register_outputs(
            {
                "cluster_name": self.cluster_name,
                "dashboard_url": self.dashboard_url,
                "client_address": self.client_address,
            }
        )


class RayJobArgs(RayClusterArgs):
    entrypoint_script: str = Field(min_length=1)
    """Python source of the job's driver, mounted on the head and run as ``python <script_name>``. Required."""
    script_name: str = Field(default="job.py", pattern=r"^[A-Za-z0-9_.-]+\.py$")
    """File name of the script. Default: job.py."""
    pip: list[str] = []
    """Packages the job installs at start (Ray runtime environment). Default: none."""
    job_env: dict[str, str] = {}
    """Environment of the job's driver and tasks (runtime environment env_vars). Default: none."""
    active_deadline_seconds: int = Field(default=6 * 3600, ge=60)
    """The job, its cluster and its GPUs are stopped after this long. Default: 6 h."""
    ttl_seconds_after_finished: int = Field(default=600, ge=0)
    """How long the finished job's cluster stays for inspection before it is deleted. Default: 600."""
    backoff_limit: int = Field(default=1, ge=0, le=10)
    """New attempts of a failed job (each with a new cluster). Default: 1."""


JOB_DIR = "/home/ray/jobs"


def ray_job_spec(args: RayJobArgs, spill_url: str | None, config_map: str) -> dict[str, Any]:
    """The ``spec`` of a RayJob: its own autoscaling cluster, deleted when the job ends."""
    runtime_env: dict[str, Any] = {}
    if args.pip:
        runtime_env["pip"] = list(args.pip)
    if args.job_env:
        runtime_env["env_vars"] = dict(args.job_env)
    head_extra = {
        "volumes": [{"name": "job", "configMap": {"name": config_map}}],
        "mounts": [{"name": "job", "mountPath": JOB_DIR, "readOnly": True}],
    }
    spec: dict[str, Any] = {
        "entrypoint": f"python {JOB_DIR}/{args.script_name}",
        "submissionMode": "K8sJobMode",
        "shutdownAfterJobFinishes": True,
        "ttlSecondsAfterFinished": args.ttl_seconds_after_finished,
        "activeDeadlineSeconds": args.active_deadline_seconds,
        "backoffLimit": args.backoff_limit,
        "rayClusterSpec": ray_cluster_spec(args, spill_url, head_extra),
    }
    if runtime_env:
        spec["runtimeEnvYAML"] = json.dumps(runtime_env, sort_keys=True)  # JSON is YAML
    return spec


class RayJob(pulumi.ComponentResource):
    """A RayJob with its script in a ConfigMap (type ``mlplatform:k8s:RayJob``). Output: ``job_name``."""

    job_name: pulumi.Output[str]

    def __init__(self, name: str, args: RayJobArgs | dict[str, Any], opts: pulumi.ResourceOptions | None = None):
        args = args if isinstance(args, RayJobArgs) else RayJobArgs(**args)
        super().__init__(MLPLATFORM_K8S_RAY_JOB, name, None, opts)
        account = _service_account(f"{name}-sa", args, self)
        object_name = args.cluster_name or name
        config_map = f"{object_name}-script"
        script = k8s.core.v1.ConfigMap(
            f"{name}-script",
            metadata={
                "name": config_map,
                "namespace": args.namespace,
                "labels": {"app.kubernetes.io/part-of": "mlplatform"},
            },
            data={args.script_name: args.entrypoint_script},
            opts=pulumi.ResourceOptions(parent=self),
        )
        spill = pulumi.Output.from_input(args.spill_url) if args.spill_url is not None else pulumi.Output.from_input("")
        k8s.apiextensions.CustomResource(
            name,
            api_version=RAY_API_VERSION,
            kind="RayJob",
            metadata={
                "name": object_name,
                "namespace": args.namespace,
                "labels": {"app.kubernetes.io/part-of": "mlplatform"},
            },
            spec=spill.apply(lambda url: ray_job_spec(args, url or None, config_map)),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[account, script, args.operator]),
        )
        self.job_name = pulumi.Output.from_input(object_name)
        self.register_outputs({"job_name": self.job_name})
