"""On-cluster serving: what Knative refuses of a model server, and whether a cold start fits its deadline.

- Knative validates every revision against its feature flags (``config-features``): a pod spec with a
  nodeSelector, tolerations, affinity or an emptyDir volume is rejected unless the flag is ``enabled``, so a
  GPU server's revision is never created;
- a revision whose replicas are not ready within ``progress-deadline`` is marked failed: from zero that is a
  GPU node, the image pull and the model load.
"""

from __future__ import annotations

from collections.abc import Iterator

from mlplatform.components.base.labels import GPU_RESOURCE
from mlplatform.components.base.types import (
    K8S_KNATIVE_SERVING,
    K8S_KSERVE_INFERENCE_SERVICE,
    K8S_KSERVE_SERVING_RUNTIME,
)
from mlplatform.components.base.values import duration_seconds

from ..plan import reveal
from .core import Context, Finding, Phase, rule

# Pod-spec fields of a predictor, and the config-features flag that lets Knative accept each.
FEATURE_FLAGS = {
    "nodeSelector": "kubernetes.podspec-nodeselector",
    "tolerations": "kubernetes.podspec-tolerations",
    "affinity": "kubernetes.podspec-affinity",
}
EMPTYDIR_FLAG = "kubernetes.podspec-volumes-emptydir"
# A cold start from zero, in seconds: a GPU node (Karpenter or the autoscaler, instance boot, node ready, device
# plugin) and the model load, plus the image pull at ~100 MB/s onto a fresh node for the runtime's image size.
NODE_FROM_ZERO_S = 240
MODEL_LOAD_S = 120
IMAGE_PULL_S = {"tritonserver": 150, "vllm-openai": 120, "mlflow": 40}
DEFAULT_PULL_S = 90
KNATIVE_DEFAULT_DEADLINE_S = 600


def _seconds(value: object) -> int | None:
    try:
        return duration_seconds(str(value))
    except (KeyError, ValueError):
        return None


def _runtime_image(ctx: Context, namespace: str | None, runtime: str | None) -> str:
    for sr in ctx.of_type(K8S_KSERVE_SERVING_RUNTIME):
        meta = reveal(sr.input("metadata")) or {}
        if meta.get("name") == runtime and meta.get("namespace") == namespace:
            containers = (reveal(sr.input("spec")) or {}).get("containers") or [{}]
            return str(containers[0].get("image") or "")
    return ""


@rule(
    "knative-accepts-servers",
    "Checks whether Knative's feature flags let each model server's pod spec through (GPU pools need "
    "nodeSelector and tolerations; shared memory an emptyDir), and whether a cold start from zero fits the "
    "progress deadline.",
)
def knative_accepts_servers(ctx: Context) -> Iterator[Finding]:
    servings = ctx.of_type(K8S_KNATIVE_SERVING)
    config = ((reveal(servings[0].input("spec")) or {}).get("config") or {}) if servings else {}
    features = config.get("features") or {}
    deadline = _seconds((config.get("deployment") or {}).get("progress-deadline")) or KNATIVE_DEFAULT_DEADLINE_S
    for isvc in ctx.of_type(K8S_KSERVE_INFERENCE_SERVICE):
        predictor = (reveal(isvc.input("spec")) or {}).get("predictor") or {}
        model = predictor.get("model") or {}
        ctx.count("knative-accepts-servers")
        needed = [flag for field, flag in FEATURE_FLAGS.items() if predictor.get(field)]
        if any("emptyDir" in v for v in predictor.get("volumes") or []):
            needed.append(EMPTYDIR_FLAG)
        off = [flag for flag in needed if features.get(flag) != "enabled" and flag != EMPTYDIR_FLAG]
        if EMPTYDIR_FLAG in needed and features.get(EMPTYDIR_FLAG) == "disabled":
            off.append(EMPTYDIR_FLAG)  # enabled by Knative's default
        if off:
            yield Finding(
                "knative-accepts-servers",
                Phase.FIRST_DEPLOY,
                isvc.urn,
                f"InferenceService {isvc.name} sets {', '.join(f for f, flag in FEATURE_FLAGS.items() if flag in off)}"
                f"{' and an emptyDir' if EMPTYDIR_FLAG in off else ''}, which Knative rejects unless "
                f"{', '.join(off)} is enabled in the KnativeServing's config.features: its revision is never "
                "created.",
                "Knative Serving validates revisions against config-features; gated pod-spec fields are refused",
            )
        if not (model.get("resources") or {}).get("limits", {}).get(GPU_RESOURCE):
            continue
        image = _runtime_image(ctx, (reveal(isvc.input("metadata")) or {}).get("namespace"), model.get("runtime"))
        pull = next((s for name, s in IMAGE_PULL_S.items() if name in image), DEFAULT_PULL_S)
        cold = NODE_FROM_ZERO_S + pull + MODEL_LOAD_S
        if deadline < cold:
            yield Finding(
                "knative-accepts-servers",
                Phase.FIRST_DEPLOY,
                isvc.urn,
                f"InferenceService {isvc.name} runs on a GPU pool that starts from zero: a cold start takes about "
                f"{cold // 60} min (node ~{NODE_FROM_ZERO_S // 60} min, image ~{pull // 60} min, model load), more "
                f"than Knative's progress deadline of {deadline // 60} min, so a new revision is marked failed "
                "before its first replica is ready. Raise serving.progress_deadline.",
                "Knative fails a revision whose replicas are not ready within progress-deadline (default 600s)",
            )


__all__ = ["knative_accepts_servers"]
