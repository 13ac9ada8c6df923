"""The Triton model configuration (config.pbtxt) of a served model, from the stack spec's ``triton`` section.

Triton loads a model repository: ``<repository>/<model>/config.pbtxt`` and ``<repository>/<model>/<version>/``
with the model file (model.onnx, model.pt, model.plan, model.savedmodel/, model.py). The platform writes the
config next to where training writes the versions, so the serving contract (tensor names, types, shapes,
batching) is reviewed with the stack and not buried in an artifact.

Example::

    >>> print(render_config("ranker", TritonModelSpec(backend="onnxruntime",
    ...     inputs=[{"name": "features", "data_type": "FP32", "dims": [64]}],
    ...     outputs=[{"name": "score", "data_type": "FP32", "dims": [1]}]), gpu=True))
"""

from __future__ import annotations

from ..config.serving import TritonBackend, TritonModelSpec, TritonTensorSpec

# How the config names each backend: Triton 2.x takes ``backend`` for these, and ``platform`` for TensorRT
# plans and TensorFlow SavedModels.
BACKEND_FIELD = {
    TritonBackend.ONNX: ("backend", "onnxruntime"),
    TritonBackend.PYTORCH: ("backend", "pytorch"),
    TritonBackend.PYTHON: ("backend", "python"),
    TritonBackend.TENSORRT: ("platform", "tensorrt_plan"),
    TritonBackend.TENSORFLOW: ("platform", "tensorflow_savedmodel"),
}
MODEL_FILE = {
    TritonBackend.ONNX: "model.onnx",
    TritonBackend.PYTORCH: "model.pt",
    TritonBackend.PYTHON: "model.py",
    TritonBackend.TENSORRT: "model.plan",
    TritonBackend.TENSORFLOW: "model.savedmodel/",
}


def _tensor(t: TritonTensorSpec) -> str:
    dims = ", ".join(str(d) for d in t.dims)
    return f'  {{\n    name: "{t.name}"\n    data_type: TYPE_{t.data_type}\n    dims: [ {dims} ]\n  }}'


def render_config(model_name: str, spec: TritonModelSpec, gpu: bool) -> str:
    """config.pbtxt (protobuf text format of Triton's ModelConfig) for ``model_name``."""
    field, value = BACKEND_FIELD[spec.backend]
    lines = [
        f'name: "{model_name}"',
        f'{field}: "{value}"',
        f"max_batch_size: {spec.max_batch_size}",
        "input [\n" + ",\n".join(_tensor(t) for t in spec.inputs) + "\n]",
        "output [\n" + ",\n".join(_tensor(t) for t in spec.outputs) + "\n]",
        f"instance_group [\n  {{\n    count: {spec.instances}\n    kind: {'KIND_GPU' if gpu else 'KIND_CPU'}\n  }}\n]",
        # Serve the newest version in the repository: a new one is picked up by the next replica.
        "version_policy: { latest: { num_versions: 1 } }",
    ]
    if spec.dynamic_batching and spec.max_batch_size:
        lines.append(f"dynamic_batching {{\n  max_queue_delay_microseconds: {spec.max_queue_delay_us}\n}}")
    return "\n".join(lines) + "\n"


def repository_layout(model_name: str, spec: TritonModelSpec, version: int = 1) -> dict[str, str]:
    """The files a repository for ``model_name`` holds, relative to its root: what the platform writes (the
    config) and where training puts a version's model file."""
    return {
        f"{model_name}/config.pbtxt": "written by the platform",
        f"{model_name}/{version}/{MODEL_FILE[spec.backend]}": "written by training",
    }


__all__ = ["MODEL_FILE", "render_config", "repository_layout"]
