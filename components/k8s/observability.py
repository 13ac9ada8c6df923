"""Cluster observability (cloud-neutral): Prometheus, the NVIDIA DCGM exporter on GPU nodes, and alert rules
for the expensive failure modes of GPU clusters: idle GPUs (money burning), GPU memory pressure, and spot
capacity being taken away too often.

The DCGM exporter is a DaemonSet limited to GPU nodes; like every DaemonSet it is ignored when Karpenter or
the cluster autoscaler decide a node is empty, so it never keeps a GPU node alive.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s
from pydantic import Field

from ..base.types import MLPLATFORM_K8S_CLUSTER_OBSERVABILITY
from ..base.values import ComponentArgs, DnsLabel
from ..config import defaults
from ..config.environment import Environment
from .charts import DCGM_EXPORTER, KUBE_PROMETHEUS_STACK
from .gpu import GPU_TOLERATION, NODE_ROLE_LABEL, ON_GPU_NODES, SYSTEM_ROLE
from .helm import helm_release_args


class ObservabilityArgs(ComponentArgs):
    namespace: DnsLabel = "monitoring"
    """Namespace for the stack (created here). Default: monitoring."""
    retention_days: int | None = Field(default=None, ge=1, le=90)
    """Prometheus retention in days. Default: as in a stack, 15 with production, else 3
    (:func:`mlplatform.components.config.defaults.prometheus_retention_days`)."""
    production: bool = False
    """Size for production: bigger Prometheus, persistent volume, two Alertmanagers. Default: false."""
    storage_class: str | None = None
    """StorageClass for Prometheus' volume (production). Default: emptyDir (data lost on restart)."""
    gpu_idle_minutes: int = Field(default=30, ge=5, le=720)
    """How long GPUs may sit below 10% utilisation before GPUIdle fires. Default: 30."""
    karpenter: bool = True
    """Scrape Karpenter and alert on frequent spot interruptions. Default: true."""
    alert_receiver: dict[str, Any] | None = None
    """The Alertmanager receiver every alert is routed to (without ``name``), e.g. ``{"sns_configs": [...]}``
    for the stack's SNS topic; values may be Pulumi outputs. Default: none (Alertmanager's null receiver:
    alerts are evaluated but nobody is told)."""
    alertmanager_service_account: DnsLabel = "alertmanager"
    """Service account of Alertmanager, for a cloud identity that may publish (EKS Pod Identity). Default:
    alertmanager."""
    dcgm_exporter: bool = True
    """Run the DCGM exporter and the GPU rules that read it. GKE nodes report GPU duty cycle to Cloud
    Monitoring instead (alerted on there), so GKE turns this off. Default: true."""


def alert_rules(args: ObservabilityArgs) -> list[dict[str, Any]]:
    """PrometheusRule groups: GPU waste, GPU memory pressure and spot churn."""
    gpu = [
        {
            "alert": "GPUIdle",
            # DCGM reports utilisation per GPU; a node whose GPUs all idle is paid for and unused.
            "expr": "max by (Hostname, modelName) (DCGM_FI_DEV_GPU_UTIL) < 10",
            "for": f"{args.gpu_idle_minutes}m",
            "labels": {"severity": "warning", "cost": "true"},
            "annotations": {
                "summary": "GPUs on {{ $labels.Hostname }} ({{ $labels.modelName }}) idle for "
                f"{args.gpu_idle_minutes} minutes: money burning",
                "description": "Utilisation below 10%. Stop the workload holding the GPU, or let the pool scale "
                "to zero.",
            },
        },
        {
            "alert": "GPUMemoryPressure",
            "expr": "max by (Hostname, gpu) (DCGM_FI_DEV_FB_USED / (DCGM_FI_DEV_FB_USED + DCGM_FI_DEV_FB_FREE)) > 0.95",
            "for": "10m",
            "labels": {"severity": "warning"},
            "annotations": {
                "summary": "GPU {{ $labels.gpu }} on {{ $labels.Hostname }} above 95% memory",
                "description": "Out-of-memory errors are next: shrink batches or use a larger GPU.",
            },
        },
    ]
    groups = [{"name": "mlplatform.gpu", "rules": gpu}] if args.dcgm_exporter else []
    if args.karpenter:
        groups.append(
            {
                "name": "mlplatform.spot",
                "rules": [
                    {
                        "alert": "SpotInterruptionsFrequent",
                        "expr": "sum(increase(karpenter_interruption_received_messages_total"
                        '{message_type="spot_interrupted"}[1h])) > 3',
                        "for": "5m",
                        "labels": {"severity": "warning"},
                        "annotations": {
                            "summary": "More than 3 spot interruptions in an hour",
                            "description": "Spot capacity for these instance types is scarce: widen instance_types "
                            "or use spot-with-on-demand-fallback.",
                        },
                    }
                ],
            }
        )
    return groups


RECEIVER = "platform"


def alertmanager_config(receiver: dict[str, Any] | None) -> dict[str, Any] | None:
    """Route every alert to the platform receiver, except the chart's always-firing Watchdog (a dead man's
    switch meant for an external heartbeat, which would page every few minutes)."""
    if receiver is None:
        return None
    return {
        "route": {
            "receiver": RECEIVER,
            "group_by": ["alertname", "namespace"],
            "group_wait": "30s",
            "group_interval": "5m",
            "repeat_interval": "4h",
            "routes": [{"receiver": "null", "matchers": ['alertname = "Watchdog"']}],
        },
        "receivers": [{"name": "null"}, {"name": RECEIVER, **receiver}],
    }


def prometheus_values(args: ObservabilityArgs) -> dict[str, Any]:
    on_system = {"nodeSelector": {NODE_ROLE_LABEL: SYSTEM_ROLE}}
    # What a stack keeps: production sizing stands for prod; dev and staging keep the same.
    environment = Environment.PROD if args.production else Environment.DEV
    resources = (
        {"requests": {"cpu": "500m", "memory": "2Gi"}, "limits": {"memory": "4Gi"}}
        if args.production
        else {"requests": {"cpu": "100m", "memory": "512Mi"}, "limits": {"memory": "1Gi"}}
    )
    spec: dict[str, Any] = {
        "retention": f"{args.retention_days or defaults.prometheus_retention_days(environment)}d",
        "resources": resources,
        # Pick up ServiceMonitors and rules from every namespace, not only those labelled for this release.
        "serviceMonitorSelectorNilUsesHelmValues": False,
        "podMonitorSelectorNilUsesHelmValues": False,
        "ruleSelectorNilUsesHelmValues": False,
        **on_system,
    }
    if args.production and args.storage_class:
        spec["storageSpec"] = {
            "volumeClaimTemplate": {
                "spec": {
                    "storageClassName": args.storage_class,
                    "accessModes": ["ReadWriteOnce"],
                    "resources": {"requests": {"storage": "50Gi"}},
                }
            }
        }
    return {
        "prometheus": {"prometheusSpec": spec},
        "alertmanager": {
            "alertmanagerSpec": {"replicas": 2 if args.production else 1, **on_system},
            "serviceAccount": {"create": True, "name": args.alertmanager_service_account},
            **({"config": alertmanager_config(args.alert_receiver)} if args.alert_receiver is not None else {}),
        },
        "prometheusOperator": on_system,
        "kube-state-metrics": on_system,
        "grafana": {"enabled": args.production, **on_system},
        # EKS runs the control plane: there is nothing to scrape there.
        "kubeControllerManager": {"enabled": False},
        "kubeScheduler": {"enabled": False},
        "kubeEtcd": {"enabled": False},
        "kubeProxy": {"enabled": False},
    }


def dcgm_values() -> dict[str, Any]:
    return {
        "affinity": ON_GPU_NODES,
        "tolerations": [GPU_TOLERATION],
        "serviceMonitor": {"enabled": True, "interval": "30s"},
        "resources": {"requests": {"cpu": "50m", "memory": "128Mi"}, "limits": {"memory": "512Mi"}},
    }


class ClusterObservability(pulumi.ComponentResource):
    """Prometheus, DCGM exporter and GPU alert rules (type ``mlplatform:k8s:ClusterObservability``).

    ``release`` (kube-prometheus-stack) installs the monitoring.coreos.com CRDs: other components' rules
    (PrometheusRule in ``namespace``) wait for it.
    """

    release: k8s.helm.v3.Release
    namespace: str

    def __init__(self, name: str, args: ObservabilityArgs | dict[str, Any], opts: pulumi.ResourceOptions | None = None):
        args = args if isinstance(args, ObservabilityArgs) else ObservabilityArgs(**args)
        super().__init__(MLPLATFORM_K8S_CLUSTER_OBSERVABILITY, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        ns = k8s.core.v1.Namespace(
            f"{name}-namespace",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=args.namespace, labels={"app.kubernetes.io/part-of": "mlplatform"}
            ),
            opts=child,
        )
        after_ns = pulumi.ResourceOptions(parent=self, depends_on=[ns])
        self.namespace = args.namespace
        stack = self.release = k8s.helm.v3.Release(
            f"{name}-prometheus",
            k8s.helm.v3.ReleaseArgs(
                name="kube-prometheus-stack",
                **helm_release_args(KUBE_PROMETHEUS_STACK, args.namespace, prometheus_values(args)),
            ),
            opts=after_ns,
        )
        after_crds = pulumi.ResourceOptions(parent=self, depends_on=[stack])
        if args.dcgm_exporter:
            k8s.helm.v3.Release(
                f"{name}-dcgm",
                k8s.helm.v3.ReleaseArgs(
                    name="dcgm-exporter", **helm_release_args(DCGM_EXPORTER, args.namespace, dcgm_values())
                ),
                opts=after_crds,
            )
        rules = alert_rules(args)
        if rules:
            k8s.apiextensions.CustomResource(
                f"{name}-gpu-rules",
                api_version="monitoring.coreos.com/v1",
                kind="PrometheusRule",
                metadata={"name": "mlplatform-gpu", "namespace": args.namespace},
                spec={"groups": rules},
                opts=after_crds,
            )
        if args.karpenter:
            k8s.apiextensions.CustomResource(
                f"{name}-karpenter",
                api_version="monitoring.coreos.com/v1",
                kind="ServiceMonitor",
                metadata={"name": "karpenter", "namespace": args.namespace},
                spec={
                    "namespaceSelector": {"matchNames": ["kube-system"]},
                    "selector": {"matchLabels": {"app.kubernetes.io/name": "karpenter"}},
                    "endpoints": [{"port": "http-metrics", "interval": "30s"}],
                },
                opts=after_crds,
            )
        self.register_outputs({"namespace": args.namespace})
