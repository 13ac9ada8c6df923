"""The Knative operator's KnativeServing (operator.knative.dev/v1beta1) spec, as JSON schema.

Written from the operator's API types at the chart version the platform pins (knative/operator,
pkg/apis/operator/base: CommonSpec, WorkloadOverride, ResourceRequirementsOverride, HighAvailability, and the
ingress configurations), restricted to what a KnativeServing may hold, with additionalProperties false so a
misspelt or invented field fails. Kubernetes types inside (tolerations, affinity, env) are open objects here.
"""

from __future__ import annotations

from typing import Any

STRING = {"type": "string"}
BOOL = {"type": "boolean"}
INT32 = {"type": "integer", "minimum": -(2**31), "maximum": 2**31 - 1}
STRING_MAP = {"type": "object", "additionalProperties": STRING}
QUANTITY_MAP = {"type": "object", "additionalProperties": {"type": ["string", "integer"]}}
OPEN = {"type": "object"}


def obj(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": required or [], "additionalProperties": False}


def array(items: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": items}


RESOURCES_OVERRIDE = obj(
    {"container": STRING, "requests": QUANTITY_MAP, "limits": QUANTITY_MAP, "claims": array(OPEN)}, ["container"]
)
PROBE_OVERRIDE = obj(
    {
        "container": STRING,
        "initialDelaySeconds": INT32,
        "timeoutSeconds": INT32,
        "periodSeconds": INT32,
        "successThreshold": INT32,
        "failureThreshold": INT32,
        "terminationGracePeriodSeconds": {"type": "integer"},
    },
    ["container"],
)
WORKLOAD_OVERRIDE = obj(
    {
        "name": STRING,
        "labels": STRING_MAP,
        "annotations": STRING_MAP,
        "replicas": INT32,
        "nodeSelector": STRING_MAP,
        "tolerations": array(OPEN),
        "affinity": OPEN,
        "topologySpreadConstraints": array(OPEN),
        "hostNetwork": BOOL,
        "resources": array(RESOURCES_OVERRIDE),
        "env": array(obj({"container": STRING, "envVars": array(OPEN)}, ["container"])),
        "readinessProbes": array(PROBE_OVERRIDE),
        "livenessProbes": array(PROBE_OVERRIDE),
        "version": STRING,
    },
    ["name"],
)
KOURIER = obj(
    {
        "enabled": BOOL,
        "service-type": {"enum": ["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"]},
        "service-load-balancer-ip": STRING,
        "http-port": INT32,
        "https-port": INT32,
        "bootstrap-configmap": STRING,
    }
)
ENABLED = obj({"enabled": BOOL})
KNATIVE_SERVING_SPEC = obj(
    {
        "version": STRING,
        "config": {"type": "object", "additionalProperties": STRING_MAP},
        "registry": obj({"default": STRING, "override": STRING_MAP, "imagePullSecrets": array(OPEN)}),
        "resources": array(RESOURCES_OVERRIDE),
        "deployments": array(WORKLOAD_OVERRIDE),
        "workloads": array(WORKLOAD_OVERRIDE),
        "services": array(
            obj({"name": STRING, "labels": STRING_MAP, "annotations": STRING_MAP, "selector": STRING_MAP}, ["name"])
        ),
        "manifests": array(obj({"URL": STRING}, ["URL"])),
        "additionalManifests": array(obj({"URL": STRING}, ["URL"])),
        "high-availability": obj({"replicas": {**INT32, "minimum": 1}}, ["replicas"]),
        "podDisruptionBudgets": array(OPEN),
        "controller-custom-certs": obj({"type": {"enum": ["ConfigMap", "Secret"]}, "name": STRING}, ["type", "name"]),
        "ingress": obj({"istio": OPEN, "kourier": KOURIER, "contour": ENABLED, "gateway-api": ENABLED}),
        "security": OPEN,
        "clusterProfileRef": obj({"name": STRING, "namespace": STRING}, ["name", "namespace"]),
    }
)
