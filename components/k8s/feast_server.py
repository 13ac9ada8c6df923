"""The Feast feature server on Kubernetes: Deployment, Service and PodDisruptionBudget (cloud-neutral).

The server reads ``feature_store.yaml`` from a Secret the feature-store component writes, and reaches the
registry and online store through the service account's cloud identity (EKS Pod Identity or GKE Workload
Identity), so no credentials are mounted.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s
from pydantic import Field

from ..base.types import MLPLATFORM_K8S_FEAST_FEATURE_SERVER
from ..base.values import ComponentArgs, DnsLabel, DnsLabelInput

FEAST_IMAGE = "feastdev/feature-server:0.67.0"  # matches the feast SDK the platform renders configs for
PORT = 6566
CONFIG_DIR = "/etc/feast"


class FeastServerArgs(ComponentArgs):
    namespace: DnsLabelInput
    """Namespace to run in. Required."""
    config_secret: DnsLabel
    """Secret holding ``feature_store.yaml``. Required."""
    service_account: DnsLabel
    """Service account bound to the server's cloud role. Required."""
    replicas: int = Field(default=1, ge=1, le=20)
    """Replicas. Default: 1."""
    image: str = FEAST_IMAGE
    """Feature server image, pinned. Default: feastdev/feature-server:0.67.0."""
    env: dict[str, str] = {}
    """Extra environment (e.g. AWS_REGION). Default: none."""
    labels: dict[str, str] = {}
    """Extra labels on every object. Default: none."""


def feast_server_manifests(name: str, args: FeastServerArgs) -> dict[str, Any]:
    """The Deployment, Service and PodDisruptionBudget specs (plain dicts, validated against the schemas)."""
    labels = {"app.kubernetes.io/name": "feast-feature-server", "app.kubernetes.io/instance": name, **args.labels}
    selector = {"app.kubernetes.io/name": "feast-feature-server", "app.kubernetes.io/instance": name}
    container = {
        "name": "feature-server",
        "image": args.image,
        "command": [
            "feast",
            "--chdir",
            CONFIG_DIR,
            "serve",
            "--host",
            "0.0.0.0",
            "--port",
            str(PORT),
            "--no-access-log",
        ],
        "ports": [{"name": "http", "containerPort": PORT, "protocol": "TCP"}],
        "env": [{"name": k, "value": v} for k, v in sorted(args.env.items())],
        "volumeMounts": [{"name": "config", "mountPath": CONFIG_DIR, "readOnly": True}],
        "readinessProbe": {
            "httpGet": {"path": "/health", "port": "http"},
            "periodSeconds": 10,
            "timeoutSeconds": 5,
            "failureThreshold": 3,
        },
        # The registry loads on start: give it time before liveness restarts the pod.
        "livenessProbe": {
            "httpGet": {"path": "/health", "port": "http"},
            "initialDelaySeconds": 30,
            "periodSeconds": 20,
            "timeoutSeconds": 5,
            "failureThreshold": 3,
        },
        "resources": {"requests": {"cpu": "250m", "memory": "512Mi"}, "limits": {"memory": "1Gi"}},
        "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}},
    }
    deployment = {
        "replicas": args.replicas,
        "selector": {"matchLabels": selector},
        "template": {
            "metadata": {"labels": labels},
            "spec": {
                "serviceAccountName": args.service_account,
                "containers": [container],
                "volumes": [{"name": "config", "secret": {"secretName": args.config_secret}}],
                "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
                "topologySpreadConstraints": [
                    {
                        "maxSkew": 1,
                        "topologyKey": "topology.kubernetes.io/zone",
                        "whenUnsatisfiable": "ScheduleAnyway",
                        "labelSelector": {"matchLabels": selector},
                    }
                ],
            },
        },
    }
    service = {"selector": selector, "ports": [{"name": "http", "port": 80, "targetPort": "http"}]}
    pdb = {"maxUnavailable": 1, "selector": {"matchLabels": selector}}
    return {"labels": labels, "deployment": deployment, "service": service, "pdb": pdb}


class FeastFeatureServer(pulumi.ComponentResource):
    """Feast's online feature server (type ``mlplatform:k8s:FeastFeatureServer``). Output: ``url``."""

    url: pulumi.Output[str]

    def __init__(self, name: str, args: FeastServerArgs | dict[str, Any], opts: pulumi.ResourceOptions | None = None):
        args = args if isinstance(args, FeastServerArgs) else FeastServerArgs(**args)
        super().__init__(MLPLATFORM_K8S_FEAST_FEATURE_SERVER, name, None, opts)
        m = feast_server_manifests(name, args)
        child = pulumi.ResourceOptions(parent=self)
        meta = k8s.meta.v1.ObjectMetaArgs(name=name, namespace=args.namespace, labels=m["labels"])
        k8s.apps.v1.Deployment(name, metadata=meta, spec=m["deployment"], opts=child)
        service = k8s.core.v1.Service(name, metadata=meta, spec=m["service"], opts=child)
        k8s.policy.v1.PodDisruptionBudget(name, metadata=meta, spec=m["pdb"], opts=child)
        self.url = pulumi.Output.concat("http://", service.metadata.name, ".", args.namespace, ".svc.cluster.local")
        self.register_outputs({"url": self.url})
