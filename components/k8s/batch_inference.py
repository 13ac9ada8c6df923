"""BatchInference (cloud-neutral): a Kubernetes CronJob that scores a lake prefix on a GPU pool and writes
predictions to another, with its own least-privilege cloud role.

Why a CronJob and not a SageMaker batch transform or a Vertex batch prediction: those are API calls that run
once, not resources a stack keeps; what teams deploy and operate is a schedule on capacity they already have.
Here the GPU pool scales from zero for the run and back after it:

- an Indexed Job: ``parallelism`` pods, each reading its shard (``JOB_COMPLETION_INDEX``) of ``INPUT_URL`` and
  writing under ``OUTPUT_URL``; the service account's role may read the input prefix and write the output
  prefix, nothing else;
- spot-safe retries: a pod lost to a spot reclaim or a node drain (the ``DisruptionTarget`` condition) is
  recreated without counting against ``retries``; other failures count;
- ``deadline`` stops a run that hangs, so it cannot hold GPUs; ``concurrencyPolicy: Forbid`` keeps a slow run
  from overlapping the next;
- a failed run raises ``BatchInferenceFailed`` in Prometheus, routed to the stack's alert topic.

Example::

    BatchInference("nightly-scores", BatchInferenceArgs(namespace="mlplatform", schedule="0 2 * * *",
        image="ghcr.io/acme/scorer:1.4", command=["python", "score.py"], pool="inference", gpu_model="L4",
        cpu=2, memory_gb=8, input_url="s3://lake-features/daily/", output_url="s3://lake-curated/scores/"),
        opts=pulumi.ResourceOptions(provider=cluster.provider))
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

import pulumi
import pulumi_kubernetes as k8s
from pydantic import Field

from ..base.labels import GPU_MODEL_LABEL, GPU_RESOURCE, POOL_LABEL
from ..base.types import MLPLATFORM_K8S_BATCH_INFERENCE
from ..base.values import ComponentArgs, CronSchedule, DnsLabel
from ..interfaces import AlertSink, StrInput
from .feast_server import CONFIG_DIR as FEAST_CONFIG_DIR
from .gpu import GPU_TOLERATION
from .resources import cpu_quantity, cron_job_envelope, memory_quantity, service_account

BATCH_LABEL = "mlplatform.io/batch-job"


class BatchInferenceArgs(ComponentArgs):
    namespace: DnsLabel
    """Namespace (must exist). Required."""
    job_name: DnsLabel | None = None
    """Name of the CronJob (its Jobs are <name>-<minutes since the epoch>; at most 52 characters). Default: the
    component name."""
    schedule: CronSchedule
    """Cron schedule, UTC. Required."""
    image: str = Field(min_length=1)
    """Inference image. Required."""
    command: list[str] = Field(min_length=1)
    """Entrypoint and arguments. Required."""
    pool: DnsLabel
    """GPU pool the pods run on. Required."""
    gpu_model: str
    """GPU model of the pool. Required."""
    gpus: int = Field(default=1, ge=1, le=8)
    """GPUs per pod. Default: 1."""
    cpu: float = Field(gt=0)
    """vCPUs requested per pod. Required."""
    memory_gb: float = Field(gt=0)
    """GiB requested per pod (the limit is half as much again). Required."""
    pool_taints: list[dict[str, str]] = []
    """Extra taints of the pool's nodes, tolerated. Default: none."""
    parallelism: int = Field(default=1, ge=1, le=100)
    """Pods per run (shards). Default: 1."""
    retries: int = Field(default=3, ge=0, le=20)
    """Failed pods retried per run. Default: 3."""
    deadline_seconds: int = Field(default=4 * 3600, ge=60)
    """A run is stopped after this long. Default: 14400."""
    input_url: StrInput
    """Lake URL read (``s3://bucket/prefix/``), as INPUT_URL. Required."""
    output_url: StrInput
    """Lake URL written, as OUTPUT_URL. Required."""
    model_uri: str | None = None
    """MODEL_URI for the job (e.g. models:/ranker/Production). Default: none."""
    env: Mapping[str, StrInput] = {}
    """Extra environment; values may be outputs. Default: none."""
    feast_config_secret: str | None = None
    """Secret with feature_store.yaml, mounted at /etc/feast. Default: none."""
    service_account: DnsLabel | None = None
    """Service account of the pods, bound to the job's cloud role. Default: the component name."""
    service_account_annotations: Mapping[str, StrInput] = {}
    """Annotations on it (GKE Workload Identity). Default: none."""
    suspend: bool = False
    """Keep the schedule, start no runs. Default: false."""
    alerts: AlertSink | None = None
    """The cluster's alerts (:class:`ClusterObservability`): the BatchInferenceFailed rule goes to their namespace,
    after their release. Default: none (no alert)."""


def cron_job_spec(name: str, args: BatchInferenceArgs, service_account: str, env: dict[str, Any]) -> dict[str, Any]:
    """The CronJob's spec (schema-validated in tests); ``env`` holds the resolved lake URLs."""
    labels = {"app.kubernetes.io/part-of": "mlplatform", BATCH_LABEL: name}
    variables = {**env, **({"MODEL_URI": args.model_uri} if args.model_uri else {})}
    volumes, mounts = [], []
    if args.feast_config_secret:
        variables["FEAST_FS_YAML_FILE_PATH"] = f"{FEAST_CONFIG_DIR}/feature_store.yaml"
        volumes.append({"name": "feast-config", "secret": {"secretName": args.feast_config_secret}})
        mounts.append({"name": "feast-config", "mountPath": FEAST_CONFIG_DIR, "readOnly": True})
    container: dict[str, Any] = {
        "name": "inference",
        "image": args.image,
        "command": list(args.command),
        "env": [{"name": k, "value": v} for k, v in sorted(variables.items())],
        "resources": {
            "requests": {
                "cpu": cpu_quantity(args.cpu),
                "memory": memory_quantity(args.memory_gb),
                GPU_RESOURCE: str(args.gpus),
            },
            "limits": {"memory": memory_quantity(args.memory_gb * 1.5), GPU_RESOURCE: str(args.gpus)},
        },
        "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}},
    }
    if mounts:
        container["volumeMounts"] = mounts
    pod: dict[str, Any] = {
        "restartPolicy": "Never",  # a pod failure policy needs it; the Job makes new pods instead
        "serviceAccountName": service_account,
        "nodeSelector": {POOL_LABEL: args.pool, GPU_MODEL_LABEL: args.gpu_model},
        "tolerations": [GPU_TOLERATION, *args.pool_taints],
        "terminationGracePeriodSeconds": 60,
        "containers": [container],
    }
    if volumes:
        pod["volumes"] = volumes
    return cron_job_envelope(
        args.schedule,
        {
            "completionMode": "Indexed",
            "completions": args.parallelism,
            "parallelism": args.parallelism,
            "backoffLimit": args.retries,
            "activeDeadlineSeconds": args.deadline_seconds,
            "ttlSecondsAfterFinished": 86400,
            # Spot reclaims and drains mark the pod DisruptionTarget: retry it without spending a retry.
            "podFailurePolicy": {
                "rules": [{"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget", "status": "True"}]}]
            },
            "template": {"metadata": {"labels": labels}, "spec": pod},
        },
        labels,
        suspend=args.suspend,
    )


def failure_rule(
    name: str,
    namespace: str,
    alert: str = "BatchInferenceFailed",
    summary: str | None = None,
    description: str | None = None,
    label: str = BATCH_LABEL,
) -> dict[str, Any]:
    """PrometheusRule group: a run of the CronJob ``name`` ended Failed (retries or deadline exhausted)."""
    return {
        "name": f"mlplatform.jobs.{name}",
        "rules": [
            {
                "alert": alert,
                # Jobs a CronJob creates are named <cronjob>-<minutes since the epoch>.
                "expr": f'max by (namespace, job_name) (kube_job_failed{{namespace="{namespace}", '
                f'job_name=~"{name}-[0-9]+", condition="true"}}) == 1',
                "labels": {"severity": "warning", "cron_job": name},
                "annotations": {
                    "summary": summary or f"Batch inference {name} failed in {namespace}",
                    "description": description
                    or "A run ended Failed (retries or its deadline exhausted): kubectl -n "
                    f"{namespace} get jobs -l {label}={name}; its predictions are missing.",
                },
            }
        ],
    }


class BatchInference(pulumi.ComponentResource):
    """A scheduled batch inference job (type ``mlplatform:k8s:BatchInference``). Output: ``cron_job_name``."""

    cron_job_name: pulumi.Output[str]

    def __init__(
        self, name: str, args: BatchInferenceArgs | dict[str, Any], opts: pulumi.ResourceOptions | None = None
    ):
        args = args if isinstance(args, BatchInferenceArgs) else BatchInferenceArgs(**args)
        super().__init__(MLPLATFORM_K8S_BATCH_INFERENCE, name, None, opts)
        job_name = args.job_name or name
        labels = {"app.kubernetes.io/part-of": "mlplatform", BATCH_LABEL: job_name}
        account_name = args.service_account or job_name
        account = service_account(
            f"{name}-sa",
            name=account_name,
            namespace=args.namespace,
            labels=labels,
            annotations=args.service_account_annotations,
            parent=self,
        )
        env = pulumi.Output.all(input=args.input_url, output=args.output_url, extra=args.env).apply(
            lambda v: {**v["extra"], "INPUT_URL": v["input"], "OUTPUT_URL": v["output"]}
        )
        k8s.batch.v1.CronJob(
            name,
            metadata=k8s.meta.v1.ObjectMetaArgs(name=job_name, namespace=args.namespace, labels=labels),
            spec=env.apply(lambda e: cast(Any, cron_job_spec(job_name, args, account_name, e))),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[account]),
        )
        if args.alerts is not None:
            k8s.apiextensions.CustomResource(
                f"{name}-alert",
                api_version="monitoring.coreos.com/v1",
                kind="PrometheusRule",
                metadata={"name": f"batch-{job_name}", "namespace": args.alerts.namespace, "labels": labels},
                spec={"groups": [failure_rule(job_name, args.namespace)]},
                opts=pulumi.ResourceOptions(parent=self, depends_on=[args.alerts.release]),
            )
        self.cron_job_name = pulumi.Output.from_input(job_name)
        self.register_outputs({"cron_job_name": self.cron_job_name})
