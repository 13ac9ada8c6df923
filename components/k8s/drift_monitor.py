"""DriftMonitor (cloud-neutral): a model server's scheduled drift report, and an alert when it finds drift.

A CronJob on the system nodes runs ``scripts/drift_report.py`` (Evidently's DataDriftPreset) over the requests
the request-log sink wrote for the server in the last window, against a reference dataset in the lake, and
writes report.json and report.html under ``report_url``. Its identity reads the server's log prefix and the
reference, and writes the report prefix: nothing else.

- drift (exit status 3) fails the Job at once (a pod failure policy: no retry of a finding), and
  ``ModelDriftDetected`` fires in Prometheus, routed to the stack's alert topic;
- a crash (exit 1) is retried twice; a spot reclaim or drain is not counted;
- the image is a plain Python image; the pinned requirements (the versions the tests ran the script with) are
  installed when the run starts. Set ``image`` to one with them baked in for clusters without PyPI access.

Example::

    DriftMonitor("ranker-drift", DriftMonitorArgs(namespace="mlplatform", server="ranker", schedule="0 4 * * *",
        log_url="s3://lake-raw/serving-logs/ranker/", reference_url="s3://lake-features/ranker/ref.parquet",
        report_url="s3://lake-raw/drift-reports/ranker/"), opts=pulumi.ResourceOptions(provider=provider))
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

import pulumi
import pulumi_kubernetes as k8s
from pydantic import Field

from ..base.labels import NODE_ROLE_LABEL, SYSTEM_ROLE
from ..base.types import MLPLATFORM_K8S_DRIFT_MONITOR
from ..base.values import ComponentArgs, CronSchedule, DnsLabel
from ..interfaces import AlertSink, StrInput
from .batch_inference import failure_rule
from .request_log import script_files
from .resources import cron_job_envelope, service_account

DRIFT_LABEL = "mlplatform.io/drift-report"
DRIFT_EXIT_CODE = 3
SCRIPT_DIR = "/opt/drift"
DEPS_DIR = "/opt/deps"
PYTHON_IMAGE = "docker.io/library/python:3.11-slim-bookworm"
# What the report needs, at the versions the tests run it with (pyproject's test extra and constraints.txt).
REQUIREMENTS = ("evidently==0.7.23", "pandas==2.3.3", "pyarrow==25.0.1")
CLOUD_REQUIREMENTS = {"s3": "boto3==1.43.117", "gs": "google-cloud-storage==2.19.0"}


class DriftMonitorArgs(ComponentArgs):
    namespace: DnsLabel
    """Namespace (must exist). Required."""
    server: DnsLabel
    """The model server reported on. Required."""
    job_name: DnsLabel | None = None
    """Name of the CronJob (at most 52 characters). Default: <server>-drift."""
    schedule: CronSchedule
    """Cron schedule, UTC. Required."""
    log_url: StrInput
    """The server's request-log prefix (s3://bucket/serving-logs/<server>/). Required."""
    reference_url: StrInput
    """The reference dataset (.parquet, .csv or .jsonl). Required."""
    report_url: StrInput
    """Prefix the reports go under. Required."""
    window_hours: float = Field(default=24, gt=0, le=24 * 31)
    """Hours of requests read. Default: 24."""
    drift_share: float = Field(default=0.5, gt=0, le=1)
    """Share of drifted columns that is drift. Default: 0.5."""
    min_rows: int = Field(default=100, ge=1)
    """Fewer rows: reported, never failed. Default: 100."""
    service_account: DnsLabel | None = None
    """Service account, bound to the identity that reads the logs and reference and writes reports. Default: the
    job name."""
    service_account_annotations: Mapping[str, StrInput] = {}
    """Annotations on it (GKE Workload Identity). Default: none."""
    env: Mapping[str, StrInput] = {}
    """Extra environment (AWS_REGION). Default: none."""
    image: str | None = None
    """An image with the requirements installed. Default: Python 3.11, installing them at start."""
    alerts: AlertSink | None = None
    """The cluster's alerts (:class:`ClusterObservability`): the ModelDriftDetected rule goes to their namespace,
    after their release. Default: none (no alert)."""


def requirements(log_url: str) -> str:
    cloud = CLOUD_REQUIREMENTS["gs" if log_url.startswith("gs://") else "s3"]
    return "\n".join([*REQUIREMENTS, cloud]) + "\n"


def drift_cron_job_spec(args: DriftMonitorArgs, job_name: str, urls: dict[str, str], config_map: str) -> dict:
    """The CronJob's spec (schema-validated in tests); ``urls``: the resolved log, reference and report URLs."""
    labels = {"app.kubernetes.io/part-of": "mlplatform", DRIFT_LABEL: args.server}
    env = {
        **args.env,
        "LOG_URL": urls["log"],
        "REFERENCE_URL": urls["reference"],
        "REPORT_URL": urls["report"],
        "WINDOW_HOURS": f"{args.window_hours:g}",
        "DRIFT_SHARE": f"{args.drift_share:g}",
        "MIN_ROWS": str(args.min_rows),
    }
    run = f"python {SCRIPT_DIR}/drift_report.py"
    if args.image is None:
        env["PYTHONPATH"] = DEPS_DIR
        run = f"pip install --quiet --no-cache-dir --target {DEPS_DIR} -r {SCRIPT_DIR}/requirements.txt && {run}"
    container: dict[str, Any] = {
        "name": "drift-report",
        "image": args.image or PYTHON_IMAGE,
        "command": ["sh", "-c", run],
        "env": [{"name": k, "value": v} for k, v in sorted(env.items())],
        "resources": {"requests": {"cpu": "250m", "memory": "1Gi"}, "limits": {"memory": "2Gi"}},
        "volumeMounts": [
            {"name": "program", "mountPath": SCRIPT_DIR, "readOnly": True},
            {"name": "deps", "mountPath": DEPS_DIR},
            {"name": "tmp", "mountPath": "/tmp"},
        ],
        "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}},
    }
    return cron_job_envelope(
        args.schedule,
        {
            "backoffLimit": 2,
            "activeDeadlineSeconds": 3600,
            "ttlSecondsAfterFinished": 7 * 86400,
            "podFailurePolicy": {
                "rules": [
                    # Drift is a finding, not a fault: fail the run now, and alert.
                    {
                        "action": "FailJob",
                        "onExitCodes": {
                            "containerName": "drift-report",
                            "operator": "In",
                            "values": [DRIFT_EXIT_CODE],
                        },
                    },
                    {"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget", "status": "True"}]},
                ]
            },
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "restartPolicy": "Never",
                    "serviceAccountName": args.service_account or job_name,
                    "nodeSelector": {NODE_ROLE_LABEL: SYSTEM_ROLE},
                    "containers": [container],
                    "volumes": [
                        {"name": "program", "configMap": {"name": config_map}},
                        {"name": "deps", "emptyDir": {"sizeLimit": "2Gi"}},
                        {"name": "tmp", "emptyDir": {}},
                    ],
                },
            },
        },
        labels,
    )


class DriftMonitor(pulumi.ComponentResource):
    """A scheduled drift report with its alert (type ``mlplatform:k8s:DriftMonitor``). Output: ``cron_job_name``."""

    cron_job_name: pulumi.Output[str]

    def __init__(self, name: str, args: DriftMonitorArgs | dict[str, Any], opts: pulumi.ResourceOptions | None = None):
        args = args if isinstance(args, DriftMonitorArgs) else DriftMonitorArgs(**args)
        super().__init__(MLPLATFORM_K8S_DRIFT_MONITOR, name, None, opts)
        job_name = args.job_name or f"{args.server}-drift"
        labels = {"app.kubernetes.io/part-of": "mlplatform", DRIFT_LABEL: args.server}
        child = pulumi.ResourceOptions(parent=self)
        account = service_account(
            f"{name}-sa",
            name=args.service_account or job_name,
            namespace=args.namespace,
            labels=labels,
            annotations=args.service_account_annotations,
            parent=self,
        )
        urls = pulumi.Output.all(log=args.log_url, reference=args.reference_url, report=args.report_url)
        program = k8s.core.v1.ConfigMap(
            f"{name}-program",
            metadata=k8s.meta.v1.ObjectMetaArgs(namespace=args.namespace, labels=labels),
            data=urls.apply(lambda u: {**script_files("drift_report.py"), "requirements.txt": requirements(u["log"])}),
            opts=child,
        )
        k8s.batch.v1.CronJob(
            name,
            metadata=k8s.meta.v1.ObjectMetaArgs(name=job_name, namespace=args.namespace, labels=labels),
            spec=pulumi.Output.all(urls=urls, cm=program.metadata.name).apply(
                lambda v: cast(Any, drift_cron_job_spec(args, job_name, v["urls"], v["cm"]))
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[account]),
        )
        if args.alerts is not None:
            k8s.apiextensions.CustomResource(
                f"{name}-alert",
                api_version="monitoring.coreos.com/v1",
                kind="PrometheusRule",
                metadata={"name": job_name, "namespace": args.alerts.namespace, "labels": labels},
                spec={
                    "groups": [
                        failure_rule(
                            job_name,
                            args.namespace,
                            alert="ModelDriftDetected",
                            summary=f"Model server {args.server}: drift report failed or found drift",
                            description=f"The drift report of {args.server} found drift (or could not run): see "
                            f"the newest report under its report prefix and kubectl -n {args.namespace} logs "
                            f"job/<job> ({DRIFT_LABEL}={args.server}).",
                            label=DRIFT_LABEL,
                        )
                    ]
                },
                opts=pulumi.ResourceOptions(parent=self, depends_on=[args.alerts.release]),
            )
        self.cron_job_name = pulumi.Output.from_input(job_name)
        self.register_outputs({"cron_job_name": self.cron_job_name})


__all__ = ["DriftMonitor", "DriftMonitorArgs", "drift_cron_job_spec", "requirements"]
