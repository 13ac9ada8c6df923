"""ModelServer (cloud-neutral): one model served by KServe on the cluster's GPU pools, scaling from zero.

- a ``ServingRuntime`` per server, so each server pins its own runtime image: Triton Inference Server (the
  model repository's config.pbtxt decides backend and batching), vLLM's OpenAI-compatible server, or MLflow's
  scoring server (``mlflow models serve``) for a pyfunc model;
- an ``InferenceService`` in Knative mode: ``min_replicas`` to ``max_replicas`` on a named GPU pool (its
  nodeSelector and taints; a spot pool with on-demand fallback keeps serving when spot is gone), autoscaled on
  in-flight requests per replica (``concurrency_target``), a request timeout, ``keep_warm`` before the last
  replica goes, and ``canary_traffic_percent``: a change rolls out to that share while the last revision that
  took all traffic keeps the rest;
- the model comes from ``storage_uri`` (the lake, an object store, ``models:/`` through MLflow, ``hf://``),
  downloaded by KServe's storage initializer with the server's own service account (its cloud identity reads
  only that prefix);
- optionally every request and response is logged (KServe's agent posts CloudEvents to ``logger_url``).

Cold start, from zero: a GPU node (2-4 minutes on EKS/GKE with Karpenter or the autoscaler), the image (a
Triton or vLLM image is 8-15 GB: 1-3 minutes on a fresh node), the model download and load (seconds for a
small ONNX model, minutes for an LLM). Knative's activator holds the first request meanwhile; clients must
allow for it, or keep ``min_replicas: 1``.

Example::

    ModelServer("ranker", ModelServerArgs(namespace="mlplatform", runtime="triton", storage_uri="s3://lake/triton/",
        pool="inference", gpu_model="L4", cpu=2, memory_gb=8, kserve=kserve.ready),
        opts=pulumi.ResourceOptions(provider=cluster.provider))
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
from pydantic import Field, field_validator, model_validator

from ..base.errors import Problems, spec_error
from ..base.labels import GPU_MODEL_LABEL, GPU_RESOURCE, POOL_LABEL
from ..base.types import MLPLATFORM_K8S_MODEL_SERVER
from ..base.values import ComponentArgs, DnsLabel, DnsLabelInput
from ..config import defaults
from ..config.serving import ServingRuntime
from ..interfaces import StrInput
from .gpu import GPU_TOLERATION
from .mlflow_server import MLFLOW_IMAGE
from .resources import cpu_quantity, memory_quantity, service_account

KSERVE_API_VERSION = "serving.kserve.io/v1beta1"
RUNTIME_API_VERSION = "serving.kserve.io/v1alpha1"
SERVER_LABEL = "mlplatform.io/model-server"
HTTP_PORT = 8080

# Runtime images, pinned. Triton 25.12 is release 2.65 (tests parse the rendered config with tritonclient
# 2.65's ModelConfig); vLLM's OpenAI-compatible server; the MLflow image the tracking server runs.
RUNTIME_IMAGES = {
    ServingRuntime.TRITON: "nvcr.io/nvidia/tritonserver:25.12-py3",
    ServingRuntime.VLLM: "docker.io/vllm/vllm-openai:v0.11.0",
    ServingRuntime.MLFLOW: MLFLOW_IMAGE,
}
# Where each runtime says it is ready to answer (Knative routes to a replica only after this passes).
READY_PATHS = {
    ServingRuntime.TRITON: "/v2/health/ready",
    ServingRuntime.VLLM: "/health",
    ServingRuntime.MLFLOW: "/ping",
}


SERVER_NAME_MAX = 40  # Knative appends revision suffixes to the InferenceService name


class ModelServerArgs(ComponentArgs):
    namespace: DnsLabelInput
    """Namespace (must exist; an Output such as ``ns.metadata.name`` waits for it). Required."""
    server_name: DnsLabel | None = None
    """InferenceService name (at most 40 characters: Knative adds revision suffixes). Default: the component
    name."""
    runtime: ServingRuntime
    """triton, vllm or mlflow. Required."""
    storage_uri: StrInput
    """Where the model is: s3://, gs://, models:/, hf:// (for triton, the model repository root). Required."""
    image: str | None = None
    """Runtime image. Default: the pinned image of the runtime."""
    args: list[str] = []
    """Extra runtime arguments. Default: none."""
    env: Mapping[str, StrInput] = {}
    """Environment of the model container. Default: none."""
    pool: DnsLabel | None = None
    """GPU pool the replicas run on. Default: none (CPU, on the system nodes)."""
    gpu_model: str | None = None
    """GPU model of the pool (selects nodes labelled with it). Required with pool."""
    gpus: int = Field(default=1, ge=1, le=8)
    """GPUs per replica (with pool). Default: 1."""
    pool_taints: list[dict[str, str]] = []
    """Extra taints of the pool's nodes, tolerated. Default: none."""
    cpu: float = Field(default=defaults.CPU_SERVER_SIZE[0], gt=0)
    """vCPUs requested per replica. Default: 1, a CPU server's in a stack
    (:data:`mlplatform.components.config.defaults.CPU_SERVER_SIZE`); on a pool a stack sizes it from the pool's
    node, which a library user does not pass: set it."""
    memory_gb: float = Field(default=defaults.CPU_SERVER_SIZE[1], gt=0)
    """GiB per replica (request and limit). Default: 2, a CPU server's in a stack
    (:data:`mlplatform.components.config.defaults.CPU_SERVER_SIZE`); on a pool, set it as for ``cpu``."""
    min_replicas: int = Field(default=0, ge=0)
    """Replicas kept with no traffic (0 scales to zero). Default: 0."""
    max_replicas: int | None = Field(default=None, ge=1)
    """Upper bound. Default: on CPU, a stack's (:func:`mlplatform.components.config.defaults.server_max_replicas`:
    2, or min_replicas if more); on a pool, min_replicas or 1 if 0: a stack bounds it by the pool's GPU limit,
    which a library user does not pass (no stack equivalent)."""
    concurrency_target: int | None = Field(default=None, ge=1)
    """In-flight requests per replica the autoscaler holds. Default: the runtime's, as in a stack: 8 (triton),
    32 (vllm), 4 (mlflow) (:data:`mlplatform.components.config.defaults.CONCURRENCY_TARGET`)."""
    timeout_seconds: int = Field(default=60, ge=1, le=3600)
    """Request timeout. Default: 60."""
    keep_warm_seconds: int = Field(default=300, ge=0, le=86400)
    """How long the last replica stays after traffic stops. Default: 300."""
    canary_traffic_percent: int | None = Field(default=None, ge=1, le=99)
    """Share of traffic the latest revision gets while the previous one keeps the rest. Default: none."""
    service_account: DnsLabel | None = None
    """Service account of the replicas (and the storage initializer). Default: the server name."""
    service_account_annotations: Mapping[str, StrInput] = {}
    """Annotations on it: the cloud identity, KServe's S3 settings. Default: none."""
    logger_url: str | None = None
    """Where KServe's agent posts request and response CloudEvents. Default: none (no request logging)."""
    kserve: pulumi.Resource | None = None
    """What the InferenceService waits for (the KServe release: CRDs and webhooks). Default: none."""

    @field_validator("server_name")
    @classmethod
    def _short_name(cls, v: str | None) -> str | None:
        if v is not None and len(v) > SERVER_NAME_MAX:
            raise spec_error(
                None,
                f"at most {SERVER_NAME_MAX} characters (Knative adds revision suffixes); the default is the "
                "component name",
                v,
            )
        return v

    @model_validator(mode="after")
    def _check(self) -> ModelServerArgs:
        p = Problems()
        if self.max_replicas is None:
            self.max_replicas = (
                defaults.server_max_replicas(None, self.gpus, self.min_replicas)
                if self.pool is None
                else max(1, self.min_replicas)
            )
        if self.min_replicas > self.max_replicas:
            p.add("min_replicas", f"must be <= max_replicas ({self.max_replicas})", self.min_replicas)
        if self.pool is not None and not self.gpu_model:
            p.add("gpu_model", "required with pool: replicas select the pool's nodes by it", self.gpu_model)
        if self.pool is None and self.runtime is ServingRuntime.VLLM:
            p.add("pool", "required for vllm: it serves on GPUs only", None)
        p.raise_if_any()
        return self


def _runtime_container(args: ModelServerArgs, model_name: str) -> dict[str, Any]:
    image = args.image or RUNTIME_IMAGES[args.runtime]
    if args.runtime is ServingRuntime.TRITON:
        command = ["tritonserver"]
        runtime_args = [
            "--model-repository=/mnt/models",
            f"--http-port={HTTP_PORT}",
            "--grpc-port=9000",
            "--allow-grpc=true",
            "--allow-http=true",
            # A model that fails to load fails the replica (and the revision), not just one of its models.
            "--exit-on-error=true",
            "--strict-readiness=true",
        ]
    elif args.runtime is ServingRuntime.VLLM:
        command = ["python3", "-m", "vllm.entrypoints.openai.api_server"]
        runtime_args = ["--model=/mnt/models", f"--served-model-name={model_name}", f"--port={HTTP_PORT}"]
    else:
        command = ["mlflow", "models", "serve"]
        runtime_args = ["--model-uri=/mnt/models", "--env-manager=local", "--host=0.0.0.0", f"--port={HTTP_PORT}"]
    return {
        "name": "kserve-container",
        "image": image,
        "command": command,
        "args": runtime_args,
        "ports": [{"containerPort": HTTP_PORT, "protocol": "TCP"}],
    }


def serving_runtime_spec(args: ModelServerArgs, model_name: str) -> dict[str, Any]:
    """The ServingRuntime's spec: the runtime container; the InferenceService adds resources and scheduling."""
    spec: dict[str, Any] = {
        "supportedModelFormats": [{"name": str(args.runtime), "version": "1", "autoSelect": False}],
        "containers": [_runtime_container(args, model_name)],
    }
    if args.runtime is ServingRuntime.TRITON:
        spec["protocolVersions"] = ["v2", "grpc-v2"]
    return spec


def inference_service_spec(args: ModelServerArgs, runtime_name: str, storage_uri: str) -> dict[str, Any]:
    """The InferenceService's spec (validated in tests against KServe's API types at the pinned version)."""
    requests: dict[str, str] = {"cpu": cpu_quantity(args.cpu), "memory": memory_quantity(args.memory_gb)}
    limits: dict[str, str] = {"memory": memory_quantity(args.memory_gb)}
    if args.pool is not None:
        requests[GPU_RESOURCE] = limits[GPU_RESOURCE] = str(args.gpus)
    model: dict[str, Any] = {
        "modelFormat": {"name": str(args.runtime)},
        "runtime": runtime_name,
        "storageUri": storage_uri,
        "resources": {"requests": requests, "limits": limits},
        "readinessProbe": {
            "httpGet": {"path": READY_PATHS[args.runtime], "port": HTTP_PORT},
            "periodSeconds": 5,
            "failureThreshold": 3,
        },
        "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}},
    }
    if args.args:
        model["args"] = list(args.args)
    if args.env:
        model["env"] = [{"name": k, "value": v} for k, v in sorted(args.env.items())]
    predictor: dict[str, Any] = {
        "minReplicas": args.min_replicas,
        "maxReplicas": args.max_replicas,
        "scaleMetric": "concurrency",
        "scaleTarget": args.concurrency_target or defaults.concurrency_target(args.runtime),
        "timeout": args.timeout_seconds,
        "serviceAccountName": args.service_account or args.server_name,
        "annotations": {
            # A server at min 0 starts with no replica (Knative's allow-zero-initial-scale): no GPU node per deploy.
            "autoscaling.knative.dev/initial-scale": str(args.min_replicas),
            "autoscaling.knative.dev/scale-to-zero-pod-retention-period": f"{args.keep_warm_seconds}s",
        },
        "model": model,
    }
    if args.canary_traffic_percent is not None:
        predictor["canaryTrafficPercent"] = args.canary_traffic_percent
    if args.pool is not None:
        predictor["nodeSelector"] = {POOL_LABEL: args.pool, GPU_MODEL_LABEL: args.gpu_model}
        predictor["tolerations"] = [GPU_TOLERATION, *args.pool_taints]
    if args.runtime in (ServingRuntime.TRITON, ServingRuntime.VLLM):
        # Triton's python backend and vLLM's workers exchange tensors through /dev/shm (64 MiB by default).
        predictor["volumes"] = [{"name": "dshm", "emptyDir": {"medium": "Memory", "sizeLimit": "2Gi"}}]
        model["volumeMounts"] = [{"name": "dshm", "mountPath": "/dev/shm"}]
    if args.logger_url:
        predictor["logger"] = {"mode": "all", "url": args.logger_url}
    return {"predictor": predictor}


class ModelServer(pulumi.ComponentResource):
    """An on-cluster model server (type ``mlplatform:k8s:ModelServer``).

    Outputs: ``server_name``, ``url`` (inside the cluster: the predictor's Knative route, through Kourier).
    """

    server_name: pulumi.Output[str]
    url: pulumi.Output[str]

    def __init__(self, name: str, args: ModelServerArgs | dict[str, Any], opts: pulumi.ResourceOptions | None = None):
        args = args if isinstance(args, ModelServerArgs) else ModelServerArgs(**args)
        if args.server_name is None:
            # Validated again with the name resolved, before anything is registered (model_copy would skip the
            # checks a component name too long for Knative fails).
            args = ModelServerArgs(**{**dict(args), "server_name": name})
        super().__init__(MLPLATFORM_K8S_MODEL_SERVER, name, None, opts)
        server = args.server_name or name
        labels = {"app.kubernetes.io/part-of": "mlplatform", SERVER_LABEL: server}
        account_name = args.service_account or server
        account = service_account(
            f"{name}-sa",
            name=account_name,
            namespace=args.namespace,
            labels=labels,
            annotations=args.service_account_annotations,
            parent=self,
        )
        waits = [args.kserve] if args.kserve is not None else []
        runtime_name = f"{server}-{args.runtime}"
        runtime = k8s.apiextensions.CustomResource(
            f"{name}-runtime",
            api_version=RUNTIME_API_VERSION,
            kind="ServingRuntime",
            metadata={"name": runtime_name, "namespace": args.namespace, "labels": labels},
            spec=serving_runtime_spec(args, server),
            opts=pulumi.ResourceOptions(parent=self, depends_on=waits),
        )
        k8s.apiextensions.CustomResource(
            name,
            api_version=KSERVE_API_VERSION,
            kind="InferenceService",
            metadata={
                "name": server,
                "namespace": args.namespace,
                "labels": labels,
                "annotations": {"serving.kserve.io/deploymentMode": "Knative"},
            },
            spec=pulumi.Output.from_input(args.storage_uri).apply(
                lambda uri: inference_service_spec(args, runtime_name, uri)
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[account, runtime, *waits]),
        )
        self.server_name = pulumi.Output.from_input(server)
        self.url = pulumi.Output.concat("http://", server, "-predictor.", args.namespace, ".svc.cluster.local")
        self.register_outputs({"server_name": self.server_name, "url": self.url})


__all__ = ["RUNTIME_IMAGES", "ModelServer", "ModelServerArgs", "inference_service_spec", "serving_runtime_spec"]
