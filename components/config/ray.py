"""The ``ray`` section: the KubeRay operator and a standing RayCluster on the GPU pools."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from ..base.errors import spec_error
from ..base.values import DnsLabel, Duration, StrictModel, duplicates, matching

RAY_VERSION = "2.60.0"


class RayWorkerGroupSpec(StrictModel):
    """Ray workers on one GPU pool, scaled by the Ray autoscaler between min_workers and max_workers."""

    name: DnsLabel
    """Worker group name. Required."""
    gpu_pool: DnsLabel
    """GPU pool (cluster.gpu_pools) the workers run on; they tolerate its taints, so spot reclaims are
    retried by Ray. Required."""
    gpus: int = Field(default=1, ge=1, le=8)
    """GPUs per worker, at most the pool's gpus_per_node. Default: 1."""
    cpu: float | None = Field(default=None, gt=0, le=192)
    """vCPUs per worker (requests = limits). Default: the pool node's share less one for node agents."""
    memory_gb: float | None = Field(default=None, gt=0, le=2048)
    """Memory per worker in GiB (requests = limits). Default: three quarters of the pool node's share."""
    min_workers: int = Field(default=0, ge=0)
    """Workers kept with no work. Default: 0 (scale from zero)."""
    max_workers: int | None = Field(default=None, ge=1)
    """Upper bound. Default: the pool's GPU limit (max_nodes x gpus_per_node) / gpus."""


class RaySpec(StrictModel):
    """The KubeRay operator, and a standing autoscaling RayCluster whose workers scale from zero."""

    enabled: bool = False
    """Install the KubeRay operator. Default: false."""
    cluster: bool = True
    """Run a standing RayCluster (head on the system nodes, workers per GPU pool from zero); false installs the
    operator only, for RayJobs that bring their own cluster. Default: true."""
    version: Annotated[str, matching(r"^\d+\.\d+\.\d+$", "a Ray release such as 2.40.0")] = RAY_VERSION
    """Ray version of the images (rayproject/ray:<version>-py311[-gpu]). Default: 2.60.0."""
    head_cpu: float = Field(default=0.5, gt=0, le=16)
    """vCPUs requested by the head (it runs no tasks: num-cpus 0). Default: 0.5."""
    head_memory_gb: float = Field(default=2, ge=1, le=64)
    """Memory of the head in GiB. Default: 2."""
    worker_groups: list[RayWorkerGroupSpec] | None = None
    """Worker groups. Default: one per GPU pool, 1 GPU per worker, 0 to the pool's GPU limit."""
    idle_timeout: Duration = "5m"
    """How long a worker may sit idle before the autoscaler removes it (its node goes after the pool's
    consolidate_after). Default: 5m."""
    spill_to_lake: bool = True
    """Spill objects that do not fit in memory to the lake (spill_zone, prefix ray/spill/) rather than to the
    node's disk. Default: true."""
    read_zones: list[DnsLabel] | None = None
    """Lake zones Ray jobs may read. Default: all zones."""
    write_zone: DnsLabel | None = None
    """Lake zone whose ray/ prefix Ray jobs write (results, checkpoints, spilled objects). Default: models (else
    the last zone)."""

    @model_validator(mode="after")
    def _check(self) -> RaySpec:
        dup = duplicates([g.name for g in self.worker_groups or []])
        if dup:
            raise spec_error(
                "worker_groups",
                f"worker group names must be unique; repeated: {', '.join(dup)}",
                [g.name for g in self.worker_groups or []],
            )
        return self
