"""Which resource types accept cost tags (AWS ``tags``) or labels (GCP ``labels``), read from the provider SDKs.

The cost-tag rules (tests and the policy pack) must know whether a resource *could* carry tags, so that a
taggable resource without them is a finding while an IAM policy attachment is not.
"""

from __future__ import annotations

import functools
import importlib
import inspect

from ..base.types import (
    GCP_CONTAINER_NODE_POOL,
    GCP_MONITORING_NOTIFICATION_CHANNEL,
    GCP_SQL_DATABASE_INSTANCE,
    K8S_KARPENTER_EC2_NODE_CLASS,
)

# The argument that holds cost tags, per provider package.
TAG_ARGUMENTS = {"aws": ("tags",), "gcp": ("labels", "resource_labels", "user_labels")}


# Types whose first matching argument is not their cost labels (a notification channel's ``labels`` are its
# settings, such as the email address).
TAG_ARGUMENT_OVERRIDES = {GCP_MONITORING_NOTIFICATION_CHANNEL: "user_labels"}


@functools.cache
def tag_argument(type_token: str) -> str | None:
    """``tags`` for ``aws:s3/bucket:Bucket``, ``labels`` for ``gcp:storage/bucket:Bucket``, None if untaggable."""
    if type_token in TAG_ARGUMENT_OVERRIDES:
        return TAG_ARGUMENT_OVERRIDES[type_token]
    package, _, rest = type_token.partition(":")
    if package not in TAG_ARGUMENTS or "/" not in rest:
        return None
    module_path, _, class_name = rest.partition(":")
    module = module_path.split("/")[0]
    try:
        sdk = importlib.import_module(f"pulumi_{package}.{module}" if module != "index" else f"pulumi_{package}")
        cls = getattr(sdk, class_name)
    except (ImportError, AttributeError):
        return None
    init = getattr(cls, "_internal_init", None)
    if init is None:
        return None
    params = inspect.signature(init).parameters
    return next((name for name in TAG_ARGUMENTS[package] if name in params), None)


# Types whose cost tags are not a top-level argument: the path of the property that holds them (camelCase, as
# the provider receives it). A GKE node pool's VMs carry nodeConfig.resourceLabels (nodeConfig.labels are
# Kubernetes labels); a Karpenter EC2NodeClass tags the instances it launches with spec.tags.
NESTED_TAG_PROPERTIES = {
    GCP_CONTAINER_NODE_POOL: "nodeConfig.resourceLabels",
    GCP_SQL_DATABASE_INSTANCE: "settings.userLabels",
    K8S_KARPENTER_EC2_NODE_CLASS: "spec.tags",
}


def tag_property(type_token: str) -> str | None:
    """Where a resource's cost tags are, as a dotted camelCase property path: ``tags``, ``resourceLabels``,
    ``nodeConfig.resourceLabels``; None if the type cannot carry them."""
    if type_token in NESTED_TAG_PROPERTIES:
        return NESTED_TAG_PROPERTIES[type_token]
    arg = tag_argument(type_token)
    if arg is None:
        return None
    head, *rest = arg.split("_")
    return head + "".join(p.title() for p in rest)


def is_taggable(type_token: str) -> bool:
    return tag_property(type_token) is not None
