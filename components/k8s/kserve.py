"""KServe in serverless (Knative) mode: what on-cluster model servers stand on.

Why Knative rather than KServe's Standard (raw Deployment) mode with KEDA: the servers scale to zero on GPU pools,
and only Knative answers the request that arrives while a server is at zero (its activator holds the request
while a node, the image and the model come up, instead of the client getting a connection refused); KServe's
canary rollout (``canaryTrafficPercent``, traffic split between the previous and the latest revision) exists
only in Knative mode; and concurrency-based autoscaling is built in, with no metrics adapter to run. The price is
a small control plane on the system nodes (below) and a cold start on the first request after idle, which
``min_replicas: 1`` removes for the sub-100 ms path.

What this installs, in dependency order (each waits for what it needs):

1. cert-manager (jetstack chart, CRDs included): KServe's webhooks get their serving certificates from it;
2. the Knative operator (its chart installs the operator.knative.dev CRDs), then a ``KnativeServing`` with
   Kourier as the ingress (no Istio), its Service a ClusterIP (servers are reached inside the cluster; no load
   balancer is billed), the pod-spec features KServe's predictors need (nodeSelector, tolerations, affinity
   for GPU pools), scale to zero allowed from the first revision (``allow-zero-initial-scale``), a progress
   deadline long enough for a GPU cold start, tag resolution skipped for the registries the servers pull from
   (Knative's controller has no ECR or Artifact Registry credentials), and small requests on its pods;
3. KServe's CRDs chart, then its resources chart in ``Knative`` deployment mode with Istio's virtual host off
   (Kourier routes);
4. a ``ClusterStorageContainer`` that downloads ``models:/`` URIs through MLflow (when MLflow is given).

Helm installs a chart's CRDs on the first install only: when you bump a chart, apply its CRDs first.

Example::

    kserve = KServe("serving", KServeArgs(registries=["nvcr.io"]), opts=pulumi.ResourceOptions(provider=p))
"""

from __future__ import annotations

from importlib import resources
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
from pydantic import Field

from ..base.labels import NODE_ROLE_LABEL, SYSTEM_ROLE
from ..base.types import MLPLATFORM_K8S_KSERVE
from ..base.values import ComponentArgs, DnsLabel
from ..interfaces import StrInput
from .charts import CERT_MANAGER, KNATIVE_OPERATOR, KNATIVE_SERVING_VERSION, KSERVE_CRD, KSERVE_RESOURCES
from .helm import HelmChart, helm_release_args
from .mlflow_server import MLFLOW_IMAGE

KNATIVE_NAMESPACE = "knative-serving"
KOURIER_CLASS = "kourier.ingress.networking.knative.dev"
MLFLOW_STORAGE_CONTAINER = "mlplatform-mlflow-registry"
MLFLOW_READER_SECRET = "mlflow-model-reader"  # a read-only MLflow user's credentials, created by the operator
MLFLOW_URI_PREFIX = "models:/"
ON_SYSTEM_NODES = {NODE_ROLE_LABEL: SYSTEM_ROLE}

# Requests of Knative's pods (KnativeServing workloads overrides): (deployment, container, cpu, memory). The
# upstream defaults (activator 300m) would take a dev system node's spare CPU for a control plane that is idle
# most of the day.
KNATIVE_WORKLOADS = (
    ("activator", "activator", "100m", "64Mi"),
    ("autoscaler", "autoscaler", "50m", "64Mi"),
    ("controller", "controller", "50m", "96Mi"),
    ("webhook", "webhook", "50m", "64Mi"),
    ("net-kourier-controller", "controller", "50m", "64Mi"),
    ("3scale-kourier-gateway", "kourier-gateway", "100m", "64Mi"),
)


class KServeArgs(ComponentArgs):
    registries: list[str] = []
    """Registries of the servers' images (nvcr.io, an ECR host, ...): Knative pulls them by tag instead of
    resolving the tag to a digest, which its controller cannot do without registry credentials. Default: none."""
    progress_deadline_seconds: int = Field(default=1200, ge=60, le=7200)
    """How long a new revision may take to become ready. Default: 1200 (a GPU node from zero, a large image,
    a model load)."""
    replicas: int = Field(default=1, ge=1, le=3)
    """Replicas of Knative's and KServe's control-plane pods (2 in production). Default: 1."""
    mlflow_tracking_uri: StrInput | None = None
    """MLflow's URL: ``models:/`` URIs are downloaded through it. Default: none (no models:/ support)."""
    knative_namespace: DnsLabel = KNATIVE_NAMESPACE
    """Namespace of Knative Serving. Default: knative-serving."""


def knative_serving_spec(args: KServeArgs) -> dict[str, Any]:
    """The KnativeServing's spec (schema-validated in tests)."""
    registries = sorted({"kind.local", "ko.local", "dev.local", *args.registries})
    return {
        "version": KNATIVE_SERVING_VERSION,
        "high-availability": {"replicas": args.replicas},
        "ingress": {"kourier": {"enabled": True, "service-type": "ClusterIP"}},
        "config": {
            "network": {"ingress-class": KOURIER_CLASS},
            # KServe puts a GPU pool's nodeSelector and tolerations on the predictor pod; Knative rejects both
            # unless these flags are on.
            "features": {
                "kubernetes.podspec-nodeselector": "enabled",
                "kubernetes.podspec-tolerations": "enabled",
                "kubernetes.podspec-affinity": "enabled",
                # /dev/shm for Triton's python backend and vLLM (Knative's default, stated so it stays on).
                "kubernetes.podspec-volumes-emptydir": "enabled",
            },
            "autoscaler": {
                "enable-scale-to-zero": "true",
                # A server at min 0 is created without a pod: no GPU node is started on every deploy, and a
                # model not yet in the lake does not fail the deploy.
                "allow-zero-initial-scale": "true",
                "scale-to-zero-grace-period": "30s",
            },
            "deployment": {
                "progress-deadline": f"{args.progress_deadline_seconds}s",
                "registries-skipping-tag-resolving": ",".join(registries),
            },
        },
        "workloads": [
            {
                "name": deployment,
                "resources": [{"container": container, "requests": {"cpu": cpu, "memory": memory}}],
                "nodeSelector": dict(ON_SYSTEM_NODES),
            }
            for deployment, container, cpu, memory in KNATIVE_WORKLOADS
        ],
    }


def cert_manager_values(args: KServeArgs) -> dict[str, Any]:
    small = {"requests": {"cpu": "10m", "memory": "32Mi"}}
    return {
        "crds": {"enabled": True},
        "replicaCount": args.replicas,
        "nodeSelector": dict(ON_SYSTEM_NODES),
        "resources": {"requests": {"cpu": "10m", "memory": "64Mi"}},
        "webhook": {"replicaCount": args.replicas, "nodeSelector": dict(ON_SYSTEM_NODES), "resources": small},
        "cainjector": {
            "nodeSelector": dict(ON_SYSTEM_NODES),
            "resources": {"requests": {"cpu": "10m", "memory": "64Mi"}},
        },
        "startupapicheck": {"nodeSelector": dict(ON_SYSTEM_NODES)},
    }


def knative_operator_values() -> dict[str, Any]:
    on_system = {"nodeSelector": dict(ON_SYSTEM_NODES)}
    return {"knative_operator": {"knative_operator": dict(on_system), "operator_webhook": dict(on_system)}}


def kserve_values(args: KServeArgs) -> dict[str, Any]:
    return {
        "kserve": {
            "controller": {
                "deploymentMode": "Knative",
                # Kourier, not Istio, routes: KServe must not create Istio VirtualServices.
                "gateway": {"disableIstioVirtualHost": True},
                "nodeSelector": dict(ON_SYSTEM_NODES),
                "resources": {"requests": {"cpu": "100m", "memory": "300Mi"}, "limits": {"memory": "300Mi"}},
            }
        }
    }


def mlflow_download_script() -> str:
    """The storage initializer's program for models:/ URIs (tests run this same text against MLflow)."""
    return resources.files("mlplatform.components.k8s").joinpath("scripts/mlflow_download.py").read_text()


def mlflow_storage_container(tracking_uri: str) -> dict[str, Any]:
    """A ClusterStorageContainer: KServe runs it as the predictor's init container for models:/ URIs, with the
    URI and /mnt/models as its arguments."""
    optional = {"name": MLFLOW_READER_SECRET, "optional": True}
    return {
        "container": {
            "name": "storage-initializer",
            "image": MLFLOW_IMAGE,
            "command": ["python", "-c", mlflow_download_script()],
            "env": [
                {"name": "MLFLOW_TRACKING_URI", "value": tracking_uri},
                {"name": "MLFLOW_TRACKING_USERNAME", "valueFrom": {"secretKeyRef": {**optional, "key": "username"}}},
                {"name": "MLFLOW_TRACKING_PASSWORD", "valueFrom": {"secretKeyRef": {**optional, "key": "password"}}},
            ],
            "resources": {"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"memory": "1Gi"}},
        },
        "supportedUriFormats": [{"prefix": MLFLOW_URI_PREFIX}],
        "workloadType": "initContainer",
    }


class KServe(pulumi.ComponentResource):
    """cert-manager, Knative Serving with Kourier, and KServe (type ``mlplatform:k8s:KServe``).

    ``ready`` is what an InferenceService must wait for (the KServe release: CRDs, webhooks, controller).
    """

    ready: pulumi.Resource
    knative_serving: k8s.apiextensions.CustomResource

    def __init__(
        self, name: str, args: KServeArgs | dict[str, Any] | None = None, opts: pulumi.ResourceOptions | None = None
    ):
        args = args if isinstance(args, KServeArgs) else KServeArgs(**(args or {}))
        super().__init__(MLPLATFORM_K8S_KSERVE, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        def release(
            release_name: str,
            chart: HelmChart,
            namespace: str,
            values: dict,
            depends_on: list | None = None,
            timeout: int | None = None,
        ) -> k8s.helm.v3.Release:
            return k8s.helm.v3.Release(
                f"{name}-{release_name}",
                k8s.helm.v3.ReleaseArgs(
                    name=release_name,
                    create_namespace=True,
                    timeout=timeout,
                    **helm_release_args(chart, namespace, values),
                ),
                opts=pulumi.ResourceOptions(parent=self, depends_on=depends_on),
            )

        cert_manager = release("cert-manager", CERT_MANAGER, "cert-manager", cert_manager_values(args))
        operator = release("knative-operator", KNATIVE_OPERATOR, "knative-operator", knative_operator_values())
        namespace = k8s.core.v1.Namespace(
            f"{name}-knative-namespace",
            metadata={"name": args.knative_namespace, "labels": {"app.kubernetes.io/part-of": "mlplatform"}},
            opts=child,
        )
        self.knative_serving = k8s.apiextensions.CustomResource(
            f"{name}-knative-serving",
            api_version="operator.knative.dev/v1beta1",
            kind="KnativeServing",
            metadata={"name": "knative-serving", "namespace": args.knative_namespace},
            spec=knative_serving_spec(args),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[operator, namespace]),
        )
        crds = release("kserve-crd", KSERVE_CRD, "kserve", {})
        # Its webhook certificate comes from cert-manager first: the default 5 minutes is tight.
        self.ready = release(
            "kserve",
            KSERVE_RESOURCES,
            "kserve",
            kserve_values(args),
            timeout=900,
            depends_on=[crds, cert_manager, self.knative_serving],
        )
        if args.mlflow_tracking_uri is not None:
            k8s.apiextensions.CustomResource(
                f"{name}-mlflow-storage",
                api_version="serving.kserve.io/v1alpha1",
                kind="ClusterStorageContainer",
                metadata={"name": MLFLOW_STORAGE_CONTAINER, "labels": {"app.kubernetes.io/part-of": "mlplatform"}},
                spec=pulumi.Output.from_input(args.mlflow_tracking_uri).apply(mlflow_storage_container),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[crds]),
            )
        self.register_outputs({"knative_namespace": args.knative_namespace})


__all__ = ["KServe", "KServeArgs", "knative_serving_spec", "kserve_values", "mlflow_storage_container"]
