"""KubeRay's v1 API (ray.io/v1 RayCluster and RayJob) and the kuberay-operator chart's values, as JSON schema.

Written from the CRDs' openAPIV3Schema at the chart version the platform pins (ray-project/kuberay,
helm-chart/kuberay-operator/crds, from ray-operator/apis/ray/v1/*_types.go), restricted to the fields a
RayCluster or RayJob spec may contain, with additionalProperties false so a misspelt or invented field fails.
The pod templates inside are Kubernetes PodTemplateSpecs: tests validate those with the Kubernetes schemas
(kubernetes-validate), so they are open objects here. The operator chart ships no values schema; its values are
checked against the keys of its values.yaml at that version.
"""

from __future__ import annotations

from typing import Any

STRING = {"type": "string"}
BOOL = {"type": "boolean"}
INT32 = {"type": "integer", "minimum": -(2**31), "maximum": 2**31 - 1}
STRING_MAP = {"type": "object", "additionalProperties": {"type": "string"}}
POD_TEMPLATE = {"type": "object"}  # a corev1.PodTemplateSpec: validated with the Kubernetes schemas
LIST = {"type": "array"}
QUANTITY_MAP = {
    "type": "object",
    "additionalProperties": {"anyOf": [{"type": "integer"}, {"type": "string", "pattern": r"^[0-9.]+[A-Za-z]*$"}]},
}


def obj(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": required or [], "additionalProperties": False}


AUTOSCALER_OPTIONS = obj(
    {
        "resources": obj({"requests": QUANTITY_MAP, "limits": QUANTITY_MAP, "claims": LIST}),
        "image": STRING,
        "imagePullPolicy": STRING,
        "env": LIST,
        "envFrom": LIST,
        "volumeMounts": LIST,
        "securityContext": {"type": "object"},
        "idleTimeoutSeconds": INT32,
        "upscalingMode": {"enum": ["Default", "Aggressive", "Conservative"]},
        "version": {"enum": ["v1", "v2"]},
    }
)
HEAD_GROUP = obj(
    {
        "serviceType": {"enum": ["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"]},
        "headService": {"type": "object"},
        "enableIngress": BOOL,
        "rayStartParams": STRING_MAP,
        "template": POD_TEMPLATE,
    },
    ["template"],
)
WORKER_GROUP = obj(
    {
        "groupName": {"type": "string", "minLength": 1, "maxLength": 63},
        "replicas": {**INT32, "minimum": 0},
        "minReplicas": {**INT32, "minimum": 0},
        "maxReplicas": {**INT32, "minimum": 0},
        "idleTimeoutSeconds": INT32,
        "numOfHosts": {**INT32, "minimum": 1},
        "rayStartParams": STRING_MAP,
        "template": POD_TEMPLATE,
        "scaleStrategy": obj({"workersToDelete": {"type": "array", "items": STRING}}),
        "suspend": BOOL,
    },
    ["groupName", "template"],
)
RAY_CLUSTER_SPEC = obj(
    {
        "headGroupSpec": HEAD_GROUP,
        "workerGroupSpecs": {"type": "array", "items": WORKER_GROUP},
        "rayVersion": STRING,
        "enableInTreeAutoscaling": BOOL,
        "autoscalerOptions": AUTOSCALER_OPTIONS,
        "headServiceAnnotations": STRING_MAP,
        "suspend": BOOL,
        "gcsFaultToleranceOptions": {"type": "object"},
        "managedBy": STRING,
        "authOptions": obj({"mode": {"enum": ["disabled", "token"]}, "enableK8sTokenAuth": BOOL}),
    },
    ["headGroupSpec"],
)
RAY_JOB_SPEC = obj(
    {
        "entrypoint": STRING,
        "runtimeEnvYAML": STRING,
        "jobId": STRING,
        "metadata": STRING_MAP,
        "shutdownAfterJobFinishes": BOOL,
        "ttlSecondsAfterFinished": {**INT32, "minimum": 0},
        "activeDeadlineSeconds": {**INT32, "minimum": 1},
        "backoffLimit": {**INT32, "minimum": 0},
        "rayClusterSpec": RAY_CLUSTER_SPEC,
        "clusterSelector": STRING_MAP,
        "submissionMode": {"enum": ["K8sJobMode", "HTTPMode", "InteractiveMode", "SidecarMode"]},
        "submitterPodTemplate": POD_TEMPLATE,
        "submitterConfig": obj({"backoffLimit": INT32}),
        "entrypointNumCpus": {"type": "number"},
        "entrypointNumGpus": {"type": "number"},
        "entrypointResources": STRING,
        "suspend": BOOL,
        "managedBy": STRING,
        "deletionStrategy": {"type": "object"},
    }
)


def resource(kind: str, spec: dict[str, Any]) -> dict[str, Any]:
    return obj(
        {
            "apiVersion": {"const": "ray.io/v1"},
            "kind": {"const": kind},
            "metadata": {"type": "object"},
            "spec": spec,
        },
        ["apiVersion", "kind", "metadata", "spec"],
    )


SCHEMAS = {"RayCluster": resource("RayCluster", RAY_CLUSTER_SPEC), "RayJob": resource("RayJob", RAY_JOB_SPEC)}

# kuberay-operator chart values (values.yaml keys at the pinned version); nested objects we set are closed.
OPERATOR_VALUES = obj(
    {
        "nameOverride": STRING,
        "fullnameOverride": STRING,
        "componentOverride": STRING,
        "replicas": INT32,
        "image": obj({"repository": STRING, "tag": STRING, "pullPolicy": STRING}),
        "imagePullSecrets": LIST,
        "nodeSelector": STRING_MAP,
        "priorityClassName": STRING,
        "labels": STRING_MAP,
        "annotations": STRING_MAP,
        "affinity": {"type": "object"},
        "tolerations": LIST,
        "serviceAccount": obj({"create": BOOL, "name": STRING}),
        "logging": {"type": "object"},
        "batchScheduler": {"type": "object"},
        "configuration": {"type": "object"},
        "featureGates": LIST,
        "metrics": {"type": "object"},
        "operatorCommand": STRING,
        "leaderElectionEnabled": BOOL,
        "reconcileConcurrency": INT32,
        "kubeClient": {"type": "object"},
        "rbacEnable": BOOL,
        "crNamespacedRbacEnable": BOOL,
        "singleNamespaceInstall": BOOL,
        "watchNamespace": LIST,
        "env": LIST,
        "resources": obj({"requests": QUANTITY_MAP, "limits": QUANTITY_MAP}),
        "livenessProbe": {"type": "object"},
        "readinessProbe": {"type": "object"},
        "podSecurityContext": {"type": "object"},
        "securityContext": {"type": "object"},
        "service": {"type": "object"},
    }
)
