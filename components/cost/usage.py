"""Usage assumptions behind the *expected* monthly cost: GPU hours, requests, stored data, traffic.

Idle cost assumes no traffic and everything at its minimum; peak assumes everything at its maximum; expected
applies these assumptions. A stack's assumptions live in ``stacks/usage.<stack>.yaml`` (every key optional;
unknown keys are errors); the defaults below describe a small team's month.

Example ``stacks/usage.dev.yaml``::

    gpu_node_hours: {inference: 60, experiments: 20}
    endpoint_requests: {ranker: 300000}
    s3_gb: {raw: 200, curated: 50}
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import Field

from ..base.errors import ConfigError, Problem, validate
from ..base.values import StrictModel


class UsageAssumptions(StrictModel):
    gpu_node_hours: dict[str, float] = {}
    """GPU node-hours per month per pool name, warm nodes included (never fewer than min_nodes x 730). Default:
    none listed (default_gpu_node_hours applies)."""
    default_gpu_node_hours: float = Field(default=40, ge=0)
    """Node-hours per month of a pool not listed: one node for a working week. Default: 40."""
    on_demand_fallback_fraction: float = Field(default=0.1, ge=0, le=1)
    """Share of a spot-with-fallback pool's hours that land on on-demand capacity. Default: 0.1."""
    nat_gb: float = Field(default=50, ge=0)
    """GB per month through each NAT gateway (data processing). Default: 50."""
    s3_gb: dict[str, float] = {}
    """GB stored per lake zone or bucket name suffix (raw, curated, ...). Default: none listed."""
    default_s3_gb: float = Field(default=10, ge=0)
    """GB stored in a bucket not listed. Default: 10."""
    s3_requests_per_month: float = Field(default=1_000_000, ge=0)
    """PUT/LIST plus GET requests per bucket per month (priced as one fifth PUT). Default: 1,000,000."""
    endpoint_requests: dict[str, float] = {}
    """Requests per month per endpoint name. Default: none listed (default_endpoint_requests applies)."""
    default_endpoint_requests: float = Field(default=100_000, ge=0)
    """Requests per month of an endpoint not listed. Default: 100,000."""
    endpoint_duration_ms: float = Field(default=100, ge=0)
    """Average inference duration on serverless endpoints. Default: 100."""
    endpoint_payload_kb: float = Field(default=4, ge=0)
    """Average request plus response size. Default: 4."""
    dynamodb_reads_per_month: float = Field(default=1_000_000, ge=0)
    """Online-store reads per table per month. Default: 1,000,000."""
    dynamodb_writes_per_month: float = Field(default=500_000, ge=0)
    """Online-store writes (materialization) per table per month. Default: 500,000."""
    dynamodb_gb: float = Field(default=1, ge=0)
    """GB stored per table. Default: 1."""
    log_gb: float = Field(default=3, ge=0)
    """GB ingested per log group per month with normal activity. Default: 3."""
    idle_log_gb: float = Field(default=1, ge=0)
    """GB ingested per log group per month on an idle platform (controllers still call the API). Default: 1."""
    athena_tb_scanned: float = Field(default=0.05, ge=0)
    """TB scanned per Athena workgroup per month. Default: 0.05."""
    cloud_run_requests: dict[str, float] = {}
    """Requests per month per Cloud Run service name (or name prefix). Default: none listed (the endpoint's
    endpoint_requests applies, then default_endpoint_requests)."""
    kms_requests_per_month: float = Field(default=20_000, ge=0)
    """Requests per key per month (S3 bucket keys keep this low). Default: 20,000."""
    notebook_users: float = Field(default=5, ge=0)
    """People with a notebook home volume (it exists while they are away). Default: 5."""
    notebook_hours: dict[str, float] = {}
    """Active hours per month per notebook profile (GPU profiles cost their pool's node; GPU node-hours in
    gpu_node_hours exclude them). Default: none listed (default_notebook_hours applies)."""
    default_notebook_hours: float = Field(default=20, ge=0)
    """Active hours per month of a profile not listed. Default: 20."""
    notebook_session_hours: float = Field(default=3, gt=0)
    """Average length of one notebook session. Default: 3."""
    notebook_abandoned_fraction: float = Field(default=0.5, ge=0, le=1)
    """Share of sessions closed with the browser tab, the server left running until the culler stops it.
    Default: 0.5."""
    notebook_forgotten_hours: float = Field(default=48, ge=0)
    """How long a server left running lasts when nothing culls it (until someone notices; a weekend).
    Default: 48."""
    ray_worker_hours: dict[str, float] = {}
    """Worker-hours per month per Ray worker group (not in gpu_node_hours). Default: none listed
    (default_ray_worker_hours applies)."""
    default_ray_worker_hours: float = Field(default=10, ge=0)
    """Worker-hours per month of a worker group not listed. Default: 10."""
    batch_run_hours: dict[str, float] = {}
    """Hours one run of a batch job takes, per job name (its pods, each). Default: none listed
    (default_batch_run_hours applies)."""
    default_batch_run_hours: float = Field(default=1, ge=0)
    """Hours per run of a batch job not listed. Default: 1."""
    model_server_busy_hours: dict[str, float] = {}
    """Replica-hours per month a model server runs beyond its min_replicas (traffic, plus keep_warm after it),
    per server name. Default: none listed (default_model_server_busy_hours applies)."""
    default_model_server_busy_hours: float = Field(default=20, ge=0)
    """Busy replica-hours per month of a server not listed. Default: 20."""
    model_monitor_run_hours: float = Field(default=0.25, ge=0)
    """Hours one SageMaker Model Monitor run takes on its processing instance. Default: 0.25."""

    def gpu_hours(self, pool: str) -> float:
        return self.gpu_node_hours.get(pool, self.default_gpu_node_hours)

    def requests(self, endpoint: str) -> float:
        """Requests of an endpoint, matched by exact name or by the spec name a stack suffix was added to."""
        for key, value in self.endpoint_requests.items():
            if endpoint == key or endpoint.startswith(f"{key}-"):
                return value
        return self.default_endpoint_requests

    def bucket_gb(self, bucket: str) -> float:
        for key, value in self.s3_gb.items():
            if bucket == key or bucket.endswith(f"-{key}"):
                return value
        return self.default_s3_gb


def usage_file(stacks_dir: Path, stack: str) -> Path:
    return stacks_dir / f"usage.{stack}.yaml"


def load_usage(path: Path | None) -> UsageAssumptions:
    """Assumptions from a YAML file (missing file: the defaults); raises ConfigError naming the file and key."""
    if path is None or not path.exists():
        return UsageAssumptions()
    try:
        doc: Any = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise ConfigError([Problem("", f"not valid YAML: {exc}", has_value=False)], source=str(path)) from None
    return validate(UsageAssumptions, doc, source=str(path))
