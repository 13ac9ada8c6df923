"""The ``endpoints`` section: serverless and real-time model endpoints (SageMaker, Cloud Run, Vertex AI)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field, ValidationInfo, model_validator

from ..base.cloud import Cloud
from ..base.errors import Problems
from ..base.values import DnsLabel, Duration, StrictModel, duplicates, duration_seconds, matching
from ..catalog import load_catalog
from .context import where

# What SageMaker and Vertex AI / Cloud Run can pull and read; the stack spec and both ModelEndpoint args check
# variants with the same function (variant_problems), before anything is registered.
ECR_IMAGE = re.compile(
    r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com/(?P<repo>[a-z0-9][a-z0-9._/-]*)"
    r"(:[\w.-]+|@sha256:[0-9a-f]{64})$"
)
S3_ARTIFACT = re.compile(r"^s3://(?P<bucket>[a-z0-9][a-z0-9.-]{1,61}[a-z0-9])/(?P<key>[^\s]*[^/\s])$")
GCS_PREFIX = re.compile(r"^gs://[a-z0-9][a-z0-9._-]{1,61}[a-z0-9](/[^\s]*)?$")
GCP_IMAGE_HOSTS = ("docker.pkg.dev", "gcr.io")


class EndpointMode(StrEnum):
    SERVERLESS = "serverless"
    REALTIME = "realtime"


class ServerlessSpec(StrictModel):
    memory_mb: int = 2048
    """Memory: 1024 to 6144 in steps of 1024 on AWS; 512 to 32768 in steps of 512 on GCP (at least 16384
    with a GPU). Default: 2048."""
    max_concurrency: int = Field(default=5, ge=1, le=1000)
    """Concurrent requests across instances (AWS: 1-200). Default: 5."""
    provisioned_concurrency: int | None = Field(default=None, ge=1, le=200)
    """Pre-warmed concurrency (<= max_concurrency; it is billed while idle). On GCP, minimum instances.
    Default: none."""
    gpu: bool = False
    """One NVIDIA L4 per instance (GCP Cloud Run; 4 vCPU, at least 16384 MB). Default: false."""
    concurrency_per_instance: int | None = Field(default=None, ge=1, le=1000)
    """Requests one instance serves at once (GCP Cloud Run). Default: 1 with a GPU, else 4."""

    @model_validator(mode="after")
    def _check(self, info: ValidationInfo) -> ServerlessSpec:
        p = Problems()
        cloud, _ = where(info)
        pc = self.provisioned_concurrency
        if cloud is Cloud.GCP:
            if self.memory_mb % 512 or not 512 <= self.memory_mb <= 32768:
                p.add("memory_mb", "not allowed on gcp; allowed: 512 to 32768 in steps of 512", self.memory_mb)
            elif self.gpu and self.memory_mb < 16384:
                p.add("memory_mb", "a Cloud Run GPU instance needs at least 16384 MB", self.memory_mb)
            if self.concurrency_per_instance is None:
                self.concurrency_per_instance = self.instance_concurrency()
        else:
            if self.memory_mb not in range(1024, 6145, 1024):
                p.add("memory_mb", "not allowed; allowed: 1024, 2048, 3072, 4096, 5120, 6144", self.memory_mb)
            if self.max_concurrency > 200:
                p.add("max_concurrency", "SageMaker serverless allows at most 200", self.max_concurrency)
            if self.gpu:
                p.add("gpu", "SageMaker serverless endpoints cannot use GPUs; use mode: realtime", self.gpu)
            if self.concurrency_per_instance is not None:
                p.add("concurrency_per_instance", "only valid on gcp (Cloud Run)", self.concurrency_per_instance)
        if pc is not None and pc > self.max_concurrency:
            p.add("provisioned_concurrency", f"must be <= max_concurrency ({self.max_concurrency})", pc)
        p.raise_if_any()
        return self

    def instance_concurrency(self) -> int:
        """Requests one Cloud Run instance serves at once: concurrency_per_instance, else 1 with a GPU (a model on
        the GPU serves one) and 4 without."""
        if self.concurrency_per_instance is not None:
            return self.concurrency_per_instance
        return 1 if self.gpu else 4


class VariantSpec(StrictModel):
    """A production variant of a real-time endpoint: one model on one instance type."""

    name: DnsLabel
    """Variant name. Required."""
    image: str = Field(min_length=1)
    """Inference container image URI. Required."""
    model_data: str = Field(min_length=1)
    """Model artifact: a key in the lake's models zone (e.g. ranker/v3/model.tar.gz), which must exist before
    the endpoint is created (not on a first deploy: the new lake is empty), or the s3:// (AWS) / gs:// (GCP)
    URI of an existing artifact. Required."""
    instance_type: str | None = None
    """Instance type (real-time only): a SageMaker type such as ml.g5.xlarge (AWS), or a Compute Engine
    machine type such as g2-standard-4 for Vertex AI (GCP). Required in real-time mode."""
    initial_count: int = Field(default=1, ge=1, le=100)
    """Instances at creation. Default: 1."""
    weight: float = Field(default=1.0, ge=0)
    """Relative traffic weight. Default: 1."""
    min_count: int | None = Field(default=None, ge=1)
    """Autoscaling minimum. Default: initial_count."""
    max_count: int | None = Field(default=None, ge=1, le=100)
    """Autoscaling maximum. Default: initial_count (no autoscaling)."""
    revision: DnsLabel | None = None
    """GCP serverless only: the existing Cloud Run revision serving this variant, for every variant but the last
    (the last is the revision this deployment creates; Cloud Run names it, see the endpoint's
    ``latest_revision`` output). Default: none."""

    def count_range(self) -> tuple[int, int]:
        """(min_count, max_count) with their default, initial_count."""
        return self.min_count or self.initial_count, self.max_count or self.initial_count


class AutoscalingSpec(StrictModel):
    """Target tracking on invocations per instance, for real-time variants whose max_count > min_count."""

    target_invocations_per_instance: int = Field(default=100, ge=1, le=100_000)
    """Invocations per instance per minute to hold. Default: 100."""
    scale_in_cooldown_seconds: int = Field(default=300, ge=0, le=3600)
    """Wait after a scale-in before the next. Default: 300."""
    scale_out_cooldown_seconds: int = Field(default=60, ge=0, le=3600)
    """Wait after a scale-out before the next. Default: 60."""


class ModelMonitorSpec(StrictModel):
    """SageMaker Model Monitor (data quality) over a real-time endpoint's captured requests."""

    schedule: Literal["hourly", "daily"] = "daily"
    """hourly or daily. Default: daily."""
    instance_type: Annotated[
        str, matching(r"^ml\.[a-z0-9]+\.[a-z0-9]+$", "a SageMaker processing instance type such as ml.m5.large")
    ] = "ml.m5.large"
    """Processing instance of each monitoring run (billed per run). Default: ml.m5.large."""
    max_runtime: Duration = "30m"
    """A run that takes longer is stopped (at most 1h for an hourly schedule). Default: 30m."""


def _check_realtime_variant(
    p: Problems, path: str, v: VariantSpec, allowed: Sequence[str], kind: str, examples: str
) -> None:
    """Add to ``p`` what a realtime variant at ``path`` gets wrong on either cloud: an instance type that is missing
    or not one of ``allowed`` (a ``kind``, e.g. ``examples``), counts out of their range."""
    if v.instance_type is None:
        p.add(f"{path}.instance_type", f"required in realtime mode; e.g. {examples}", None)
    elif v.instance_type not in allowed:
        p.add(f"{path}.instance_type", f"not a {kind} in the catalog; allowed: {', '.join(allowed)}", v.instance_type)
    lo, hi = v.count_range()
    if lo > hi:
        p.add(f"{path}.min_count", f"must be <= max_count ({hi})", lo)
    if not lo <= v.initial_count <= hi:
        p.add(f"{path}.initial_count", f"must be between min_count ({lo}) and max_count ({hi})", v.initial_count)


class EndpointSpec(StrictModel):
    name: DnsLabel
    """Endpoint name. Required."""
    enabled: bool = True
    """false creates nothing for the endpoint yet: for a stack whose first model is not trained or registered,
    since an endpoint cannot start without its artifact. Default: true."""
    mode: EndpointMode = EndpointMode.SERVERLESS
    """serverless (scales to zero) or realtime (instances, A/B variants). Default: serverless."""
    serverless: ServerlessSpec | None = None
    """Serverless settings (serverless mode). Default: see ServerlessSpec."""
    variants: list[VariantSpec] = Field(min_length=1)
    """Production variants; exactly one in serverless mode on AWS. On GCP serverless variants are Cloud Run
    revisions split by weight: the last is deployed as the new revision, the others name revisions of
    earlier deployments (``revision``). Required."""
    shadow_variant: VariantSpec | None = None
    """A variant that receives a copy of traffic without answering (real-time only). Default: none."""
    data_capture_percent: int | None = Field(default=None, ge=1, le=100)
    """Capture this percentage of requests to the lake (real-time only). Default: off."""
    monitor: ModelMonitorSpec | None = None
    """Model Monitor data-quality schedule over the captured requests (real-time with data capture, AWS):
    baseline statistics.json and constraints.json in the lake's models zone under
    model-monitor/<endpoint>/baseline/, reports under model-monitor/<endpoint>/reports/; violations and
    failed runs alert the stack's topic. Default: none."""
    autoscaling: AutoscalingSpec = AutoscalingSpec()
    """Target tracking for real-time variants. Default: see AutoscalingSpec."""
    latency_p99_ms: int | None = Field(default=None, ge=1)
    """Model latency p99 alarm threshold. Default: monitoring.endpoint_latency_p99_ms."""

    @model_validator(mode="after")
    def _check(self, info: ValidationInfo) -> EndpointSpec:
        p = Problems()
        hint = "; use mode: realtime for that"
        cat = load_catalog()
        cloud, region = where(info)
        if cloud is not Cloud.GCP:
            for where_, v in [(f"variants[{i}]", v) for i, v in enumerate(self.variants)] + (
                [("shadow_variant", self.shadow_variant)] if self.shadow_variant else []
            ):
                if v.revision is not None:
                    p.add(f"{where_}.revision", "only valid for Cloud Run (mode: serverless on gcp)", v.revision)
        if cloud is Cloud.GCP:
            self._check_gcp(p)
        elif self.mode is EndpointMode.SERVERLESS:
            if self.serverless is None:
                self.serverless = ServerlessSpec()
            if len(self.variants) != 1:
                p.add(
                    "variants", f"serverless endpoints allow exactly one production variant{hint}", len(self.variants)
                )
            if self.shadow_variant is not None:
                p.add("shadow_variant", f"serverless endpoints do not support shadow variants{hint}", "set")
            if self.data_capture_percent is not None:
                p.add(
                    "data_capture_percent",
                    f"serverless endpoints do not support data capture{hint}",
                    self.data_capture_percent,
                )
            for i, v in enumerate(self.variants):
                if v.instance_type is not None:
                    mt = cat.sagemaker_instance(v.instance_type)
                    gpu = (
                        f"; {v.instance_type} has a GPU, and serverless endpoints cannot use GPUs"
                        if (mt and mt.gpu)
                        else ""
                    )
                    p.add(
                        f"variants[{i}].instance_type",
                        f"serverless endpoints take no instance type{gpu}{hint}",
                        v.instance_type,
                    )
        else:
            if self.serverless is not None:
                p.add("serverless", "only valid with mode: serverless", "set")
            variants = [*self.variants, *([self.shadow_variant] if self.shadow_variant else [])]
            for i, v in enumerate(variants):
                path = f"variants[{i}]" if i < len(self.variants) else "shadow_variant"
                _check_realtime_variant(
                    p, path, v, list(cat.sagemaker_instances), "SageMaker instance type", "ml.m5.large, ml.g5.xlarge"
                )
                if v.instance_type is not None and region is not None:
                    offered = hosting_problem(region, v.instance_type)
                    if offered:
                        p.add(f"{path}.instance_type", offered, v.instance_type)
            if sum(v.weight for v in self.variants) <= 0:
                p.add("variants", "at least one variant needs a weight > 0", [v.weight for v in self.variants])
        if self.monitor is not None:
            if cloud is Cloud.GCP:
                p.add("monitor", "SageMaker Model Monitor is AWS only", "set")
            elif self.mode is not EndpointMode.REALTIME or self.data_capture_percent is None:
                p.add("monitor", "needs mode: realtime and data_capture_percent: it analyses captured requests", "set")
            elif self.monitor.schedule == "hourly" and duration_seconds(self.monitor.max_runtime) > 3600:
                p.add("monitor.max_runtime", "at most 1h for an hourly schedule", self.monitor.max_runtime)
        if cloud is not None:
            for path, v in self.variants_with_paths():
                for key, message, value in variant_problems(cloud, v):
                    p.add(f"{path}.{key}", message, value)
        names = [v.name for v in self.variants] + ([self.shadow_variant.name] if self.shadow_variant else [])
        dup = duplicates(names)
        if dup:
            p.add("variants", f"variant names must be unique; repeated: {', '.join(dup)}", names)
        p.raise_if_any()
        return self

    def variants_with_paths(self) -> list[tuple[str, VariantSpec]]:
        """Every variant with its key path under the endpoint: ``variants[i]``, then ``shadow_variant``."""
        out = [(f"variants[{i}]", v) for i, v in enumerate(self.variants)]
        if self.shadow_variant is not None:
            out.append(("shadow_variant", self.shadow_variant))
        return out

    def _check_gcp(self, p: Problems) -> None:
        """Cloud Run (serverless: revisions split by weight) or Vertex AI (realtime: dedicated replicas)."""
        cat = load_catalog()
        if self.shadow_variant is not None:
            p.add("shadow_variant", "not available on gcp", "set")
        if self.data_capture_percent is not None:
            p.add(
                "data_capture_percent", "not available on gcp (use request-response logging)", self.data_capture_percent
            )
        if sum(v.weight for v in self.variants) <= 0:
            p.add("variants", "at least one variant needs a weight > 0", [v.weight for v in self.variants])
        if self.mode is EndpointMode.SERVERLESS:
            if self.serverless is None:
                self.serverless = ServerlessSpec.model_validate({}, context={"cloud": "gcp"})
            last = len(self.variants) - 1
            for i, v in enumerate(self.variants):
                if v.instance_type is not None:
                    p.add(
                        f"variants[{i}].instance_type",
                        "Cloud Run takes no instance type; use mode: realtime",
                        v.instance_type,
                    )
                # Revisions are immutable and their names unique: earlier variants name the revision that
                # serves them; the new one is named by Cloud Run, so a later change never collides.
                if i < last and v.revision is None:
                    p.add(
                        f"variants[{i}].revision",
                        "required for every variant but the last: the existing Cloud Run revision serving it "
                        "(gcloud run revisions list)",
                        None,
                    )
                if i == last and v.revision is not None:
                    p.add(
                        f"variants[{i}].revision",
                        "not allowed on the last variant: this deployment creates that revision and Cloud Run names it",
                        v.revision,
                    )
            return
        if self.serverless is not None:
            p.add("serverless", "only valid with mode: serverless", "set")
        for i, v in enumerate(self.variants):
            if v.revision is not None:
                p.add(f"variants[{i}].revision", "only valid for Cloud Run (mode: serverless on gcp)", v.revision)
        machines = sorted(cat.gcp_machines)
        for i, v in enumerate(self.variants):
            _check_realtime_variant(p, f"variants[{i}]", v, machines, "machine type", "n1-standard-4, g2-standard-8")


def variant_problems(cloud: Cloud, variant: VariantSpec, models_zone: str = "models") -> list[tuple[str, str, str]]:
    """(field, message, value) for what ``cloud``'s endpoint service cannot use in ``variant``: an image it cannot
    pull (SageMaker: Amazon ECR; Vertex AI and Cloud Run: Artifact Registry or Container Registry) and model data
    it cannot read (another cloud's object store, a URI of another scheme, the wrong shape). ``models_zone`` is the
    lake zone a key without a scheme names."""
    out: list[tuple[str, str, str]] = []
    image, data = variant.image, variant.model_data
    if cloud is Cloud.AWS:
        if not ECR_IMAGE.match(image):
            out.append(
                (
                    "image",
                    "SageMaker pulls from Amazon ECR: expected "
                    "<account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag>",
                    image,
                )
            )
        key_example = (
            f"a key in the {models_zone} zone, such as ranker/v14/model.tar.gz, or the s3:// URI of an existing "
            "artifact"
        )
        if data.startswith("s3://"):
            if not S3_ARTIFACT.match(data):
                out.append(
                    (
                        "model_data",
                        "an s3:// URI must name an object, such as s3://model-registry/ranker/v14/model.tar.gz",
                        data,
                    )
                )
        elif data.startswith("gs://"):
            out.append(
                (
                    "model_data",
                    "a gs:// URI is Google Cloud Storage, which SageMaker on aws cannot read; allowed: " + key_example,
                    data,
                )
            )
        elif data.startswith("/") or "://" in data or data.endswith("/"):
            out.append(("model_data", "must be " + key_example, data))
        return out
    if not image.split("/", 1)[0].endswith(GCP_IMAGE_HOSTS):
        out.append(
            (
                "image",
                "must be an Artifact Registry or Container Registry image (<region>-docker.pkg.dev/... or gcr.io/...)",
                image,
            )
        )
    prefix_example = f"a path in the {models_zone} zone, such as ranker/v14/, or the gs:// URI of an existing artifact"
    if data.startswith("gs://"):
        if not GCS_PREFIX.match(data):
            out.append(("model_data", "a gs:// URI is gs://<bucket>/<path>", data))
    elif data.startswith("s3://"):
        out.append(
            (
                "model_data",
                "an s3:// URI is Amazon S3, which Vertex AI and Cloud Run on gcp cannot read; allowed: "
                + prefix_example,
                data,
            )
        )
    elif data.startswith("/") or "://" in data:
        out.append(("model_data", f"must be {prefix_example}", data))
    return out


def hosting_problem(region: str, instance_type: str) -> str | None:
    """Why SageMaker cannot host a real-time variant on ``instance_type`` in ``region`` (a catalog type it does
    not offer there), or None."""
    cat = load_catalog()
    machine = cat.sagemaker_instance(instance_type)
    if machine is None or region in machine.on_demand:
        return None
    offered = sorted(n for n, m in cat.sagemaker_instances.items() if region in m.on_demand)
    return f"not offered for hosting in {region}; allowed: {', '.join(offered)}"
