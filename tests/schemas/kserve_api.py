"""KServe's API (serving.kserve.io) at the version the platform pins, as JSON schema, built from the upstream types.

The source is the KServe Python SDK wheel of the same version (``kserve==0.21.0`` on PyPI), whose ``kserve/models``
are generated from the Go API types the CRDs are generated from: each class lists its fields
(``openapi_types``), their JSON names (``attribute_map``), the required ones (setters that refuse ``None``) and
enums (``allowed_values``). The wheel is not installed (its pins conflict with Pulumi's protobuf); ``make``
downloads it next to the virtualenv and this module reads its sources with ``ast``, importing nothing from it.
Kubernetes types inside (``V1Container``, ``V1Toleration``, ...) are resolved the same way from
``kubernetes_asyncio``'s generated models (installed with KubeSpawner), so a misspelt field anywhere in a spec fails,
with ``additionalProperties: false`` at every level.
"""

from __future__ import annotations

import ast
import inspect
import re
import sys
import zipfile
from functools import cache
from pathlib import Path
from typing import Any

KSERVE_VERSION = "0.21.0"
WHEEL = Path(sys.prefix) / "share" / "mlplatform-schemas" / f"kserve-{KSERVE_VERSION}-py3-none-any.whl"
WHEEL_HINT = (
    f"KServe's SDK wheel {WHEEL.name} is missing: run `make test` (it downloads it with pip download --no-deps "
    f"kserve=={KSERVE_VERSION} -d {WHEEL.parent})"
)
PRIMITIVES = {
    "str": {"type": "string"},
    "int": {"type": "integer"},
    "float": {"type": "number"},
    "bool": {"type": "boolean"},
    "object": {},
    "datetime": {"type": "string"},
    "date": {"type": "string"},
    # Referenced by the SDK, serialised as scalars: a resource.Quantity (KServe's metric target), a metav1.Time.
    "V1beta1MetricQuantity": {"type": ["string", "number"]},
    "V1Time": {"type": "string"},
}
# Types neither the SDK nor the Kubernetes client defines (newer than the client): open objects, listed so a
# test can see how few there are.
UNRESOLVED: set[str] = set()
# Kubernetes types serialised as strings or numbers (resource.Quantity, IntOrString).
SPECIAL = {
    "V1ResourceRequirements.limits": {"type": "object", "additionalProperties": {"type": ["string", "integer"]}},
    "V1ResourceRequirements.requests": {"type": "object", "additionalProperties": {"type": ["string", "integer"]}},
    "V1HTTPGetAction.port": {"type": ["string", "integer"]},
    "V1TCPSocketAction.port": {"type": ["string", "integer"]},
    "V1EmptyDirVolumeSource.size_limit": {"type": ["string", "integer"]},
}


def _literal(node: ast.AST) -> Any:
    return ast.literal_eval(node)


def parse_model(source: str, class_name: str) -> dict[str, Any]:
    """(types, names, required, enums) of a generated model class, from its source."""
    tree = ast.parse(source)
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == class_name)
    types: dict[str, str] = {}
    names: dict[str, str] = {}
    required: set[str] = set()
    enums: dict[str, list[Any]] = {}
    for node in cls.body:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            if node.targets[0].id == "openapi_types":
                types = _literal(node.value)
            elif node.targets[0].id == "attribute_map":
                names = _literal(node.value)
        if isinstance(node, ast.FunctionDef) and any(
            isinstance(d, ast.Attribute) and d.attr == "setter" for d in node.decorator_list
        ):
            text = ast.unparse(node)
            if re.search(rf"{node.name} is None:\s*raise ValueError", text):
                required.add(node.name)
            for sub in ast.walk(node):
                if isinstance(sub, ast.Assign) and getattr(sub.targets[0], "id", "") == "allowed_values":
                    enums[node.name] = _literal(sub.value)
    return {"types": types, "names": names, "required": required, "enums": enums}


@cache
def _kserve_sources() -> dict[str, tuple[str, str]]:
    """Class name -> (module source, class name) of every model in the wheel."""
    if not WHEEL.exists():
        raise FileNotFoundError(WHEEL_HINT)
    out = {}
    with zipfile.ZipFile(WHEEL) as wheel:
        for name in wheel.namelist():
            if name.startswith("kserve/models/") and name.endswith(".py") and not name.endswith("__init__.py"):
                source = wheel.read(name).decode()
                for m in re.finditer(r"^class (\w+)\(object\):", source, re.M):
                    out[m.group(1)] = (source, m.group(1))
    return out


@cache
def _model(class_name: str) -> dict[str, Any]:
    kserve = _kserve_sources()
    if class_name in kserve:
        return parse_model(*kserve[class_name])
    import kubernetes_asyncio.client.models as k8s_models

    # The SDK names a few Kubernetes types by their Go package: K8sIoApiAppsV1DeploymentStrategy is
    # V1DeploymentStrategy in the Kubernetes client.
    go = re.fullmatch(r"K8sIoApi[A-Z][a-z]+(V\d+(?:alpha\d+|beta\d+)?)(\w+)", class_name)
    cls = getattr(k8s_models, f"{go.group(1)}{go.group(2)}" if go else class_name, None)
    if cls is None:
        UNRESOLVED.add(class_name)
        return {"types": {}, "names": {}, "required": set(), "enums": {}, "open": True}
    return parse_model(inspect.getsource(inspect.getmodule(cls)), cls.__name__)  # type: ignore[arg-type]


def _schema_of(type_name: str, defs: dict[str, Any]) -> dict[str, Any]:
    if type_name in PRIMITIVES:
        return dict(PRIMITIVES[type_name])
    m = re.fullmatch(r"list\[(.+)\]", type_name)
    if m:
        return {"type": "array", "items": _schema_of(m.group(1), defs)}
    m = re.fullmatch(r"dict\(str, (.+)\)", type_name)
    if m:
        return {"type": "object", "additionalProperties": _schema_of(m.group(1), defs)}
    _define(type_name, defs)
    return {"$ref": f"#/definitions/{type_name}"}


def _define(class_name: str, defs: dict[str, Any]) -> None:
    if class_name in defs:
        return
    defs[class_name] = {}  # placeholder: recursive types
    model = _model(class_name)
    if model.get("open"):
        defs[class_name] = {"type": "object"}
        return
    properties = {}
    for attr, type_name in model["types"].items():
        schema = SPECIAL.get(f"{class_name}.{attr}") or _schema_of(type_name, defs)
        if attr in model["enums"]:
            schema = {**schema, "enum": model["enums"][attr]}
        properties[model["names"][attr]] = schema
    defs[class_name] = {
        "type": "object",
        "properties": properties,
        "required": sorted(model["names"][a] for a in model["required"]),
        "additionalProperties": False,
    }


def schema(class_name: str) -> dict[str, Any]:
    """A JSON schema (draft 7) of one KServe API type, e.g. ``V1beta1InferenceServiceSpec``."""
    defs: dict[str, Any] = {}
    _define(class_name, defs)
    return {"$ref": f"#/definitions/{class_name}", "definitions": defs}


# The specs of the custom resources the platform creates.
INFERENCE_SERVICE_SPEC = "V1beta1InferenceServiceSpec"
SERVING_RUNTIME_SPEC = "V1alpha1ServingRuntimeSpec"
CLUSTER_STORAGE_CONTAINER_SPEC = "V1alpha1StorageContainerSpec"
