"""Cloud-neutral GPU conventions and the NVIDIA device plugin.

Every GPU node carries the ``nvidia.com/gpu`` NoSchedule taint (only pods that ask for GPUs land there) and
the pool and GPU-model labels below; GPU add-ons select those labels and tolerate that taint, and are
DaemonSets, which Karpenter and the cluster autoscaler ignore when deciding a node is empty, so they never
keep an idle GPU node alive.
"""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from ..base.labels import GPU_MODEL_LABEL, GPU_RESOURCE, GPU_TAINT_KEY, NODE_ROLE_LABEL, POOL_LABEL, SYSTEM_ROLE
from ..base.types import MLPLATFORM_K8S_NVIDIA_DEVICE_PLUGIN
from .charts import NVIDIA_DEVICE_PLUGIN
from .helm import helm_release_args

__all__ = [
    "GPU_MODEL_LABEL",
    "GPU_RESOURCE",
    "GPU_TAINT_KEY",
    "GPU_TOLERATION",
    "NODE_ROLE_LABEL",
    "ON_GPU_NODES",
    "POOL_LABEL",
    "SYSTEM_ROLE",
    "NvidiaDevicePlugin",
]

GPU_TOLERATION = {"key": GPU_TAINT_KEY, "operator": "Exists", "effect": "NoSchedule"}
ON_GPU_NODES = {
    "nodeAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [{"matchExpressions": [{"key": GPU_MODEL_LABEL, "operator": "Exists"}]}]
        }
    }
}


class NvidiaDevicePlugin(pulumi.ComponentResource):
    """The NVIDIA device plugin DaemonSet, scheduled only on GPU nodes; advertises ``nvidia.com/gpu``.

    Example::

        NvidiaDevicePlugin("nvidia", opts=pulumi.ResourceOptions(provider=cluster.provider))
    """

    def __init__(self, name: str, namespace: str = "kube-system", opts: pulumi.ResourceOptions | None = None):
        super().__init__(MLPLATFORM_K8S_NVIDIA_DEVICE_PLUGIN, name, None, opts)
        values = {
            # The chart's default affinity needs node-feature-discovery labels; GPU nodes here carry ours.
            "affinity": ON_GPU_NODES,
            "tolerations": [GPU_TOLERATION, {"key": "CriticalAddonsOnly", "operator": "Exists"}],
            "priorityClassName": "system-node-critical",
            "gfd": {"enabled": False},
            "nfd": {"enabled": False},
            "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"memory": "256Mi"}},
        }
        self.release = k8s.helm.v3.Release(
            name,
            k8s.helm.v3.ReleaseArgs(**helm_release_args(NVIDIA_DEVICE_PLUGIN, namespace, values)),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"release_name": self.release.name})
