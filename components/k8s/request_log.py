"""RequestLogSink (cloud-neutral): where model servers' logged requests and responses go on their way to the lake.

KServe's agent (a sidecar of each server with ``logger`` set) posts one CloudEvent per request and per response
to this Service; the sink batches them and writes gzipped JSON lines under ``<log_url><server>/dt=.../hour=.../``
with its own cloud identity (write on that prefix only). It runs on the system nodes with the MLflow image
(Python with boto3 and google-cloud-storage) and the program in ``scripts/request_log_sink.py``; it flushes on
SIGTERM, so a rollout or a node drain loses nothing it acknowledged.

Example::

    sink = RequestLogSink("serving-logs", RequestLogSinkArgs(namespace="mlplatform",
        log_url="s3://lake-raw/serving-logs/"), opts=pulumi.ResourceOptions(provider=cluster.provider))
    # sink.url: what each server's logger posts to
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib import resources
from typing import Any, cast

import pulumi
import pulumi_kubernetes as k8s
from pydantic import Field

from ..base.labels import NODE_ROLE_LABEL, SYSTEM_ROLE
from ..base.types import MLPLATFORM_K8S_REQUEST_LOG_SINK
from ..base.values import ComponentArgs, DnsLabel, DnsLabelInput
from ..interfaces import StrInput
from .mlflow_server import MLFLOW_IMAGE
from .resources import service_account

SINK_NAME = "request-log-sink"
SCRIPT_DIR = "/opt/request-log"
PORT = 8080


def script_files(*names: str) -> dict[str, str]:
    """The workload scripts ``names`` (and the lake I/O they import), as ConfigMap data."""
    scripts = resources.files("mlplatform.components.k8s").joinpath("scripts")
    return {name: scripts.joinpath(name).read_text() for name in ("lake_io.py", *names)}


class RequestLogSinkArgs(ComponentArgs):
    namespace: DnsLabelInput
    """Namespace (must exist). Required."""
    log_url: StrInput
    """Lake prefix the logs go under, ending with / (s3://bucket/serving-logs/). Required."""
    replicas: int = Field(default=1, ge=1, le=10)
    """Replicas (2 in production). Default: 1."""
    service_account: DnsLabel = SINK_NAME
    """Service account, bound to the cloud identity that writes the prefix. Default: request-log-sink."""
    service_account_annotations: Mapping[str, StrInput] = {}
    """Annotations on it (GKE Workload Identity). Default: none."""
    env: Mapping[str, StrInput] = {}
    """Extra environment (AWS_REGION). Default: none."""
    flush_seconds: int = Field(default=60, ge=5, le=3600)
    """Longest an event waits in memory before it is written. Default: 60."""
    image: str = MLFLOW_IMAGE
    """Image with Python, boto3 and google-cloud-storage. Default: the pinned MLflow image."""


def sink_deployment_spec(args: RequestLogSinkArgs, log_url: str, config_map: str) -> dict[str, Any]:
    labels = {"app.kubernetes.io/name": SINK_NAME, "app.kubernetes.io/part-of": "mlplatform"}
    env = {**args.env, "LOG_URL": log_url, "PORT": str(PORT), "FLUSH_SECONDS": str(args.flush_seconds)}
    return {
        "replicas": args.replicas,
        "selector": {"matchLabels": labels},
        "template": {
            "metadata": {"labels": labels},
            "spec": {
                "serviceAccountName": args.service_account,
                "nodeSelector": {NODE_ROLE_LABEL: SYSTEM_ROLE},
                "terminationGracePeriodSeconds": 30,
                "containers": [
                    {
                        "name": "sink",
                        "image": args.image,
                        "command": ["python", f"{SCRIPT_DIR}/request_log_sink.py"],
                        "env": [{"name": k, "value": v} for k, v in sorted(env.items())],
                        "ports": [{"name": "http", "containerPort": PORT}],
                        "readinessProbe": {"httpGet": {"path": "/healthz", "port": PORT}, "periodSeconds": 10},
                        "resources": {
                            "requests": {"cpu": "50m", "memory": "160Mi"},
                            "limits": {"memory": "512Mi"},
                        },
                        "volumeMounts": [{"name": "program", "mountPath": SCRIPT_DIR, "readOnly": True}],
                        "securityContext": {
                            "allowPrivilegeEscalation": False,
                            "capabilities": {"drop": ["ALL"]},
                            "readOnlyRootFilesystem": True,
                        },
                    }
                ],
                "volumes": [{"name": "program", "configMap": {"name": config_map}}],
            },
        },
    }


class RequestLogSink(pulumi.ComponentResource):
    """The request-log sink (type ``mlplatform:k8s:RequestLogSink``). Output: ``url`` (the loggers' target)."""

    url: pulumi.Output[str]
    deployment: k8s.apps.v1.Deployment

    def __init__(
        self, name: str, args: RequestLogSinkArgs | dict[str, Any], opts: pulumi.ResourceOptions | None = None
    ):
        args = args if isinstance(args, RequestLogSinkArgs) else RequestLogSinkArgs(**args)
        super().__init__(MLPLATFORM_K8S_REQUEST_LOG_SINK, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        labels = {"app.kubernetes.io/name": SINK_NAME, "app.kubernetes.io/part-of": "mlplatform"}
        account = service_account(
            f"{name}-sa",
            name=args.service_account,
            namespace=args.namespace,
            labels=labels,
            annotations=args.service_account_annotations,
            parent=self,
        )
        program = k8s.core.v1.ConfigMap(
            f"{name}-program",
            metadata=k8s.meta.v1.ObjectMetaArgs(namespace=args.namespace, labels=labels),
            data=script_files("request_log_sink.py"),
            opts=child,
        )
        self.deployment = k8s.apps.v1.Deployment(
            name,
            metadata=k8s.meta.v1.ObjectMetaArgs(name=SINK_NAME, namespace=args.namespace, labels=labels),
            spec=pulumi.Output.all(url=args.log_url, cm=program.metadata.name).apply(
                lambda v: cast(Any, sink_deployment_spec(args, v["url"], v["cm"]))
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[account]),
        )
        k8s.core.v1.Service(
            f"{name}-service",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=SINK_NAME, namespace=args.namespace, labels=labels),
            spec=k8s.core.v1.ServiceSpecArgs(
                selector=labels, ports=[k8s.core.v1.ServicePortArgs(name="http", port=80, target_port=PORT)]
            ),
            opts=child,
        )
        self.url = pulumi.Output.concat("http://", SINK_NAME, ".", args.namespace, ".svc.cluster.local")
        self.register_outputs({"url": self.url})


__all__ = ["RequestLogSink", "RequestLogSinkArgs", "script_files", "sink_deployment_spec"]
