"""Helm charts the platform installs, pinned. Bump deliberately, with the compatibility noted here.

Sources: Karpenter 1.11 supports Kubernetes 1.29-1.35 (karpenter.sh compatibility matrix, endoflife.date);
cluster-autoscaler chart 9.59.0 ships app 1.35.0, and the image is pinned to the cluster's minor version
(the autoscaler's support policy); NVIDIA device plugin 0.17.1; kube-prometheus-stack 82.6.0 (March 2026);
NVIDIA dcgm-exporter chart 3.5.0; JupyterHub (zero-to-jupyterhub) 4.3.3 ships JupyterHub 5.4.4 and needs
Kubernetes 1.32+ (its Chart.yaml kubeVersion); KubeRay operator 1.5.0 (Ray 2.x images, Kubernetes 1.23+), whose
chart installs the ray.io CRDs.
"""

from __future__ import annotations

from .helm import HelmChart

KARPENTER = HelmChart("karpenter", "oci://public.ecr.aws/karpenter", "1.11.1")
NVIDIA_DEVICE_PLUGIN = HelmChart("nvidia-device-plugin", "https://nvidia.github.io/k8s-device-plugin", "0.17.1")
CLUSTER_AUTOSCALER = HelmChart("cluster-autoscaler", "https://kubernetes.github.io/autoscaler", "9.59.0")
KUBE_PROMETHEUS_STACK = HelmChart(
    "kube-prometheus-stack", "https://prometheus-community.github.io/helm-charts", "82.6.0"
)
DCGM_EXPORTER = HelmChart("dcgm-exporter", "https://nvidia.github.io/dcgm-exporter/helm-charts", "3.5.0")

# Placeholder pods that hold warm nodes (Karpenter pools with min_nodes): the upstream pause image.
PAUSE_IMAGE = "registry.k8s.io/pause:3.10"

# cluster-autoscaler must match the cluster's Kubernetes minor version.
CLUSTER_AUTOSCALER_IMAGE_TAGS = {
    "1.31": "v1.31.0",
    "1.32": "v1.32.0",
    "1.33": "v1.33.0",
    "1.34": "v1.34.2",
    "1.35": "v1.35.0",
}
# AWS Load Balancer Controller: chart 1.16.0 ships controller v2.16.0 (eks-charts), for Kubernetes 1.22+.
AWS_LOAD_BALANCER_CONTROLLER = HelmChart("aws-load-balancer-controller", "https://aws.github.io/eks-charts", "1.16.0")

# Notebooks: the hub image of this chart runs JupyterHub 5.4.4, KubeSpawner 7 and jupyterhub-idle-culler 1.4
# (tests load our values with those versions from PyPI).
JUPYTERHUB = HelmChart("jupyterhub", "https://hub.jupyter.org/helm-chart/", "4.3.3")
# KubeRay: the operator Deployment and the RayCluster/RayJob/RayService CRDs (chart crds/ directory).
KUBERAY_OPERATOR = HelmChart("kuberay-operator", "https://ray-project.github.io/kuberay-helm/", "1.5.0")

# On-cluster serving: KServe 0.21 in Knative mode (its CRDs chart, then its resources chart), Knative Serving
# 1.20 through the Knative operator (chart v1.20.0, which can install Serving 1.20 and the two minors before
# it), and cert-manager for KServe's webhook certificates (KServe needs 1.15+).
KSERVE_CRD = HelmChart("kserve-crd", "oci://ghcr.io/kserve/charts", "v0.21.0")
KSERVE_RESOURCES = HelmChart("kserve-resources", "oci://ghcr.io/kserve/charts", "v0.21.0")
KNATIVE_OPERATOR = HelmChart("knative-operator", "https://knative.github.io/operator", "v1.20.0")
KNATIVE_SERVING_VERSION = "1.20"
CERT_MANAGER = HelmChart("cert-manager", "https://charts.jetstack.io", "v1.20.2")
