"""The ``batch`` section: scheduled batch inference jobs on the GPU pools."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from ..base.values import CronSchedule, DnsLabel, Duration, LakePrefix, StrictModel, matching


class BatchJobSpec(StrictModel):
    """A scheduled batch inference job: reads a lake prefix, writes predictions to another, on a GPU pool."""

    name: DnsLabel
    """Job name (the CronJob's). Required."""
    schedule: CronSchedule
    """Cron schedule in UTC, e.g. '0 2 * * *' (02:00 daily). Required."""
    image: str = Field(min_length=1)
    """Inference image, pinned. Required."""
    command: list[str] = Field(min_length=1)
    """Entrypoint and arguments; the job reads INPUT_URL and writes OUTPUT_URL (environment). Required."""
    gpu_pool: DnsLabel
    """GPU pool (cluster.gpu_pools) the pods run on (spot pools: a reclaimed pod is retried, not counted as
    a failure). Required."""
    gpus: int = Field(default=1, ge=1, le=8)
    """GPUs per pod, at most the pool's gpus_per_node. Default: 1."""
    cpu: float | None = Field(default=None, gt=0, le=192)
    """vCPUs requested per pod. Default: half the pool node's share."""
    memory_gb: float | None = Field(default=None, gt=0, le=2048)
    """Memory requested per pod in GiB. Default: half the pool node's share."""
    parallelism: int = Field(default=1, ge=1, le=100)
    """Pods per run, each given its shard in JOB_COMPLETION_INDEX (an Indexed Job). Default: 1."""
    retries: int = Field(default=3, ge=0, le=20)
    """Failed pods retried per run (spot reclaims do not count). Default: 3."""
    deadline: Duration = "4h"
    """A run that takes longer is stopped, so a stuck job cannot hold GPUs. Default: 4h."""
    input_zone: DnsLabel
    """Lake zone read. Required."""
    input_prefix: LakePrefix = ""
    """Prefix read within input_zone (ends with /). Default: the whole zone."""
    output_zone: DnsLabel
    """Lake zone written. Required."""
    output_prefix: Annotated[
        str, matching(r"^([a-z0-9][a-z0-9._-]*/)+$", "lowercase path segments each ending with /, such as scores/")
    ]
    """Prefix written within output_zone (ends with /); the job's role may write nothing else. Required."""
    model_uri: str | None = Field(default=None, min_length=1)
    """Model to load, e.g. models:/ranker/Production (through MLflow's artifact proxy). Default: none."""
    env: dict[str, str] = {}
    """Extra environment. Default: none."""
    suspend: bool = False
    """Keep the schedule but start no runs. Default: false."""
