"""The ``serving`` section: model servers on the cluster (KServe on Knative), Triton configs, drift reports."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import Field, field_validator, model_validator

from ..base.errors import spec_error
from ..base.values import CronSchedule, DnsLabel, Duration, StrictModel, duplicates, matching


class ServingRuntime(StrEnum):
    TRITON = "triton"
    VLLM = "vllm"
    MLFLOW = "mlflow"


class TritonBackend(StrEnum):
    ONNX = "onnxruntime"
    PYTORCH = "pytorch"
    TENSORFLOW = "tensorflow"
    TENSORRT = "tensorrt"
    PYTHON = "python"


class TritonDataType(StrEnum):
    BOOL = "BOOL"
    UINT8 = "UINT8"
    INT8 = "INT8"
    INT16 = "INT16"
    INT32 = "INT32"
    INT64 = "INT64"
    FP16 = "FP16"
    BF16 = "BF16"
    FP32 = "FP32"
    FP64 = "FP64"
    STRING = "STRING"


class TritonTensorSpec(StrictModel):
    """An input or output tensor of a Triton model (config.pbtxt), without the batch dimension."""

    name: Annotated[
        str,
        matching(
            r"^[A-Za-z_][A-Za-z0-9_.:-]{0,127}$",
            "a tensor name: up to 128 letters, digits, '_', '.', ':' or '-', starting with a letter or '_'",
        ),
    ]
    """Tensor name as the model file declares it. Required."""
    data_type: TritonDataType
    """Element type: BOOL, UINT8, INT8, INT16, INT32, INT64, FP16, BF16, FP32, FP64 or STRING. Required."""
    dims: list[int] = Field(min_length=1, max_length=8)
    """Shape without the batch dimension; -1 for a variable dimension. Required."""

    @field_validator("dims")
    @classmethod
    def _dims(cls, v: list[int]) -> list[int]:
        if any(d == 0 or d < -1 for d in v):
            raise spec_error(None, "each dimension is -1 (variable) or a positive size", v)
        return v


class TritonModelSpec(StrictModel):
    """The Triton model configuration the platform renders to config.pbtxt in the model repository."""

    backend: TritonBackend
    """onnxruntime, pytorch, tensorflow, tensorrt or python. Required."""
    inputs: list[TritonTensorSpec] = Field(min_length=1)
    """Input tensors. Required."""
    outputs: list[TritonTensorSpec] = Field(min_length=1)
    """Output tensors. Required."""
    max_batch_size: int = Field(default=8, ge=0, le=4096)
    """Largest batch Triton forms (0: the model takes no batch dimension). Default: 8."""
    dynamic_batching: bool = True
    """Let Triton batch concurrent requests (needs max_batch_size > 0). Default: true."""
    max_queue_delay_us: int = Field(default=2000, ge=0, le=1_000_000)
    """How long a request may wait for a batch to fill, in microseconds. Default: 2000."""
    instances: int = Field(default=1, ge=1, le=16)
    """Model instances per GPU (or per server on CPU). Default: 1."""


class DriftSpec(StrictModel):
    """A scheduled drift report: the last window of logged requests against a reference dataset in the lake."""

    reference: Annotated[
        str,
        matching(
            r"^([a-z0-9][a-z0-9._-]*/)*[a-z0-9][a-z0-9._-]*\.(parquet|csv|jsonl)$",
            "a lowercase key in the lake ending with .parquet, .csv or .jsonl, such as ranker/reference.parquet",
        ),
    ]
    """Reference dataset (the training features): a .parquet, .csv or .jsonl key in reference_zone. Required."""
    reference_zone: DnsLabel | None = None
    """Lake zone holding the reference. Default: features (else the first zone)."""
    schedule: CronSchedule = "0 4 * * *"
    """When the report runs, cron in UTC. Default: '0 4 * * *' (04:00 daily)."""
    window: Duration = "24h"
    """How far back logged requests are read. Default: 24h."""
    drift_share: float = Field(default=0.5, gt=0, le=1)
    """Share of drifted feature columns that makes the dataset drifted: the run fails and alerts. Default: 0.5."""
    min_rows: int = Field(default=100, ge=1)
    """Fewer logged requests than this: the report is written but never fails. Default: 100."""


class ModelServerSpec(StrictModel):
    """A model served on the cluster's own nodes by KServe: scales from zero, splits traffic on rollout."""

    name: DnsLabel = Field(max_length=40)
    """Server (InferenceService) name; Knative adds revision suffixes, hence at most 40 characters. Required."""
    runtime: ServingRuntime
    """triton (Triton Inference Server), vllm (OpenAI-compatible LLM server) or mlflow (an MLflow pyfunc
    model behind ``mlflow models serve``). Required."""
    model_uri: str = Field(min_length=1)
    """A prefix in the lake's models zone (ranker/v14/), an s3:// or gs:// URI, models:/<name>/<version> or
    models:/<name>@<alias> (MLflow registry), or hf://<org>/<model> (vllm). For triton, the model repository:
    the platform writes <model_uri>/<name>/config.pbtxt, training writes <model_uri>/<name>/<version>/. Required."""
    gpu_pool: DnsLabel | None = None
    """GPU pool (cluster.gpu_pools) the replicas run on; spot pools with on-demand fallback keep serving when
    spot capacity is gone. Required for vllm; without it the server runs on CPU (system nodes). Default: none."""
    gpus: int = Field(default=1, ge=1, le=8)
    """GPUs per replica, at most the pool's gpus_per_node. Default: 1."""
    cpu: float | None = Field(default=None, gt=0, le=192)
    """vCPUs requested per replica. Default: half the pool node's share (1 on CPU)."""
    memory_gb: float | None = Field(default=None, gt=0, le=2048)
    """Memory per replica in GiB. Default: half the pool node's share (2 on CPU)."""
    min_replicas: int | None = Field(default=None, ge=0, le=100)
    """Replicas kept with no traffic. 0 scales to zero: $0 idle, and the first request after idle waits for a
    cold start (node, image, model). 1 keeps a replica warm for sub-100 ms answers. Default: 1 in prod, else 0."""
    max_replicas: int | None = Field(default=None, ge=1, le=1000)
    """Upper bound; replicas x gpus must fit the pool's GPU limit. Default: the pool's GPU limit / gpus, at
    most 4 (2 on CPU)."""
    concurrency_target: int | None = Field(default=None, ge=1, le=1000)
    """In-flight requests per replica the autoscaler holds (Knative concurrency target). Default: 8 (triton),
    32 (vllm), 4 (mlflow)."""
    timeout: Duration = "60s"
    """Longest a request may take before the server answers 504. Default: 60s."""
    keep_warm: Duration = "5m"
    """How long the last replica stays after traffic stops before scaling to zero (GPU minutes traded for
    fewer cold starts). Default: 5m."""
    canary_traffic_percent: int | None = Field(default=None, ge=1, le=99)
    """Roll a change of this server out to this share of traffic: the new revision gets it, the last revision
    that took all traffic keeps the rest, until this is removed (promote) or the change is reverted. Default:
    none (a change takes all traffic once ready)."""
    image: str | None = Field(default=None, min_length=1)
    """Runtime image, pinned. Default: the platform's pinned image for the runtime."""
    args: list[str] = []
    """Extra runtime arguments (e.g. --max-model-len=8192 for vllm). Default: none."""
    env: dict[str, str] = {}
    """Extra environment. Default: none."""
    triton: TritonModelSpec | None = None
    """Triton model configuration, rendered to config.pbtxt. Required for triton."""
    request_logging: bool = False
    """Log every request and response (CloudEvents from KServe's agent) to the lake: raw zone,
    serving-logs/<name>/. Default: false."""
    drift: DriftSpec | None = None
    """A scheduled drift report over the logged requests (needs request_logging). Default: none."""


class ServingSpec(StrictModel):
    """On-cluster model serving: KServe in serverless mode on Knative (with its Kourier gateway)."""

    servers: list[ModelServerSpec] = []
    """Model servers. Default: none (nothing is installed)."""
    progress_deadline: Duration = "20m"
    """How long a new revision may take to become ready (a GPU node from zero, the image pull and the model
    load) before Knative gives up on it. Default: 20m."""

    @model_validator(mode="after")
    def _check(self) -> ServingSpec:
        dup = duplicates([s.name for s in self.servers])
        if dup:
            raise spec_error(
                "servers", f"server names must be unique; repeated: {', '.join(dup)}", [s.name for s in self.servers]
            )
        return self
