"""Serving: the stack's on-cluster model servers, for AWS and GCP alike (the spec's ``serving`` section).

- KServe in Knative mode with its dependencies (:class:`mlplatform.components.k8s.kserve.KServe`), installed once;
- per server, a :class:`mlplatform.components.k8s.model_server.ModelServer` with its own cloud identity: it reads
  the model's lake prefix (or the external s3:// / gs:// artifact) and nothing else; ``models:/`` models come
  through MLflow;
- for a Triton server, its config.pbtxt written into the model repository in the lake
  (``<model_uri><name>/config.pbtxt``), where training writes the versions;
- with ``request_logging``, one :class:`mlplatform.components.k8s.request_log.RequestLogSink` for the stack,
  writing the raw zone's ``serving-logs/`` prefix; with ``drift``, a
  :class:`mlplatform.components.k8s.drift_monitor.DriftMonitor` per server reading its logs and the reference,
  writing ``drift-reports/<server>/``, alerting through the cluster's Prometheus.

Example (what :class:`mlplatform.components.MlPlatform` does)::

    identity = IdentityContext(cloud="aws", region="us-east-1", lake=lake, cluster_name=cluster.cluster_name)
    Serving("ml-serving", ServingArgs(identity=identity, cluster=cluster, environment="dev",
            serving={"servers": [{"name": "ranker", "runtime": "triton", ...}]}, gpu_pools=spec.cluster.gpu_pools,
            mlflow_tracking_uri=mlflow.tracking_uri))

The section is the stack spec's own (:mod:`mlplatform.components.config.serving`): settings left unset resolve as a
stack
resolves them, and every name it gives (a GPU pool, a lake zone, a model source) is checked as the stack checks it.
"""

from __future__ import annotations

from typing import Any

import pulumi
from pydantic import model_validator

from ..base.cloud import Cloud
from ..base.errors import Problems
from ..base.model_uri import ModelSource, parse_model_uri
from ..base.types import MLPLATFORM_SERVING
from ..base.values import ComponentArgs, duration_seconds
from ..config import defaults
from ..config.cluster import GpuPoolSpec
from ..config.defaults import resolved
from ..config.environment import Environment
from ..config.lake import LakeAccess, zone_roles
from ..config.platform import check_serving
from ..config.serving import ModelServerSpec, ServingSpec
from ..interfaces import AlertSink, Cluster, StrInput
from ..k8s.drift_monitor import DriftMonitor, DriftMonitorArgs
from ..k8s.kserve import KServe, KServeArgs
from ..k8s.model_server import RUNTIME_IMAGES, ModelServer, ModelServerArgs
from ..k8s.request_log import RequestLogSink, RequestLogSinkArgs
from ..k8s.triton import render_config
from .workload_identity import IdentityContext, bind_identity

LOG_PREFIX = "serving-logs/"
REPORT_PREFIX = "drift-reports/"
LOG_SINK_SA = "request-log-sink"


class ServingArgs(ComponentArgs):
    identity: IdentityContext
    """Where the servers' cloud identities live: the cloud, its region or project, the lake their models and logs
    are in, the namespace they run in, the EKS cluster. Required."""
    cluster: Cluster
    """The cluster they run on (its Kubernetes provider). Required."""
    environment: Environment = Environment.DEV
    """dev, staging or prod: the defaults of settings left unset (replicas) and the platform services' replicas.
    Default: dev."""
    serving: ServingSpec = ServingSpec()
    """The model servers (the stack spec's ``serving`` section). Default: none."""
    gpu_pools: list[GpuPoolSpec] = []
    """The cluster's GPU pools, which servers name (the stack spec's ``cluster.gpu_pools``). Default: none."""
    mlflow_tracking_uri: StrInput | None = None
    """MLflow's URL, for models:/ URIs. Default: none (no models:/ URIs)."""
    alerts: AlertSink | None = None
    """The cluster's :class:`ClusterObservability`: drift reports add their alert rules to it. Default: none."""

    @model_validator(mode="after")
    def _check(self) -> ServingArgs:
        p = Problems()
        identity = self.identity
        mlflow = self.mlflow_tracking_uri is not None
        zones = identity.lake.zones
        check_serving(p, self.serving, self.gpu_pools, zones, identity.cloud, mlflow, pools_key="gpu_pools")
        p.raise_if_any()
        return self


def registry_of(image: str) -> str:
    """The registry host of an image reference (docker.io for a bare Docker Hub name)."""
    first = image.split("/", 1)[0]
    return first if "/" in image and ("." in first or ":" in first or first == "localhost") else "docker.io"


class Serving(pulumi.ComponentResource):
    """KServe and the stack's model servers (type ``mlplatform:index:Serving``). Output: ``serving_urls``."""

    kserve: KServe
    servers: list[ModelServer]
    log_sink: RequestLogSink | None
    drift_monitors: list[DriftMonitor]

    def __init__(self, name: str, args: ServingArgs | dict[str, Any], opts: pulumi.ResourceOptions | None = None):
        args = args if isinstance(args, ServingArgs) else ServingArgs(**args)
        super().__init__(MLPLATFORM_SERVING, name, None, opts)
        self.args = args
        self.identity = identity = args.identity
        # The serving section as a stack resolves it, by the same functions (a copy: the caller's is unchanged).
        self.serving_spec = args.serving.model_copy(deep=True)
        defaults.resolve_serving(
            self.serving_spec,
            args.environment,
            list(identity.lake.zones),
            list(args.gpu_pools),
            identity.cloud,
            identity.region,
        )
        servers = self.serving_spec.servers
        self.zones = zone_roles(identity.lake.zones)
        on_cluster = pulumi.ResourceOptions(parent=self, provider=args.cluster.provider)
        mlflow = any(parse_model_uri(s.model_uri).kind is ModelSource.MLFLOW for s in servers)
        self.kserve = KServe(
            f"{name}-kserve",
            KServeArgs(
                registries=sorted({registry_of(s.image or RUNTIME_IMAGES[s.runtime]) for s in servers}),
                progress_deadline_seconds=duration_seconds(args.serving.progress_deadline),
                replicas=defaults.service_replicas(args.environment),
                mlflow_tracking_uri=args.mlflow_tracking_uri if mlflow else None,
            ),
            opts=on_cluster,
        )
        self.log_sink = self._log_sink(name, on_cluster) if any(s.request_logging for s in servers) else None
        self.servers = [self._server(name, server, on_cluster) for server in servers]
        self.drift_monitors = [self._drift(name, s, on_cluster) for s in servers if s.drift is not None]
        self.outputs: dict[str, Any] = {
            "serving_urls": {s.name: server.url for s, server in zip(servers, self.servers, strict=True)}
        }
        self.register_outputs(self.outputs)

    def _log_sink(self, name: str, opts: pulumi.ResourceOptions) -> RequestLogSink:
        args = self.args
        raw = self.zones["raw"]
        annotations, depends = bind_identity(
            self.identity,
            f"{name}-log-sink-identity",
            LOG_SINK_SA,
            read=[],
            write=[LakeAccess(zone=raw, prefix=LOG_PREFIX)],
            description=f"Request-log sink: write {raw}/{LOG_PREFIX}",
            parent=self,
        )
        return RequestLogSink(
            f"{name}-log-sink",
            RequestLogSinkArgs(
                namespace=self.identity.namespace,
                log_url=pulumi.Output.concat(self.identity.lake.zone_urls[raw], LOG_PREFIX),
                replicas=defaults.service_replicas(args.environment),
                service_account=LOG_SINK_SA,
                service_account_annotations=annotations,
                env=self.identity.sdk_env(),
            ),
            opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=depends)),
        )

    def _server(self, name: str, server: ModelServerSpec, opts: pulumi.ResourceOptions) -> ModelServer:
        args, identity = self.args, self.identity
        source = parse_model_uri(server.model_uri)
        models = self.zones["models"]
        read: list[LakeAccess] = []
        external: list[str] = []
        storage_uri: StrInput = server.model_uri
        if source.kind is ModelSource.LAKE:
            read = [LakeAccess(zone=models, prefix=source.lake_prefix)]
            storage_uri = pulumi.Output.concat(identity.lake.zone_urls[models], server.model_uri)
        elif source.kind in (ModelSource.S3, ModelSource.GCS):
            external = [server.model_uri]
        annotations, depends = bind_identity(
            self.identity,
            f"{name}-{server.name}-identity",
            server.name,
            read=read,
            write=[],
            external_reads=external,
            description=f"Model server {server.name}: read its model ({server.model_uri})",
            parent=self,
        )
        if identity.cloud is Cloud.AWS:
            # KServe's storage initializer takes its S3 settings from the service account's annotations; the
            # credentials come from Pod Identity.
            annotations = {
                **annotations,
                "serving.kserve.io/s3-region": identity.region,
                "serving.kserve.io/s3-endpoint": f"s3.{identity.region}.amazonaws.com",
                "serving.kserve.io/s3-usehttps": "1",
            }
        if server.triton is not None and source.kind is ModelSource.LAKE:
            depends = [*depends, self._triton_config(name, server, models)]
        pool = next((p for p in args.gpu_pools if p.name == server.gpu_pool), None)
        return ModelServer(
            f"{name}-{server.name}",
            ModelServerArgs(
                namespace=self.identity.namespace,
                server_name=server.name,
                runtime=server.runtime,
                storage_uri=storage_uri,
                image=server.image,
                args=server.args,
                env={**self.identity.sdk_env(), **server.env},
                pool=pool.name if pool else None,
                gpu_model=str(pool.gpu) if pool else None,
                gpus=server.gpus,
                pool_taints=pool.extra_tolerations() if pool else [],
                cpu=resolved(server.cpu),
                memory_gb=resolved(server.memory_gb),
                min_replicas=resolved(server.min_replicas),
                max_replicas=resolved(server.max_replicas),
                concurrency_target=resolved(server.concurrency_target),
                timeout_seconds=duration_seconds(server.timeout),
                keep_warm_seconds=duration_seconds(server.keep_warm),
                canary_traffic_percent=server.canary_traffic_percent,
                service_account=server.name,
                service_account_annotations=annotations,
                logger_url=f"http://{LOG_SINK_SA}.{identity.namespace}.svc.cluster.local"
                if server.request_logging
                else None,
                kserve=self.kserve.ready,
            ),
            opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=depends)),
        )

    def _triton_config(self, name: str, server: ModelServerSpec, zone: str) -> pulumi.Resource:
        """config.pbtxt in the lake's model repository, next to the versions training writes."""
        assert server.triton is not None
        lake = self.identity.lake
        key = pulumi.Output.concat(lake.zone_prefixes[zone], server.model_uri, server.name, "/config.pbtxt")
        content = render_config(server.name, server.triton, gpu=server.gpu_pool is not None)
        child = pulumi.ResourceOptions(parent=self)
        if self.identity.cloud is Cloud.AWS:
            import pulumi_aws as aws

            return aws.s3.BucketObjectv2(
                f"{name}-{server.name}-triton-config",
                bucket=lake.bucket_names[zone],
                key=key,
                content=content,
                content_type="text/plain",
                tags=self.identity.tags,
                opts=child,
            )
        import pulumi_gcp as gcp

        return gcp.storage.BucketObject(
            f"{name}-{server.name}-triton-config",
            bucket=lake.bucket_names[zone],
            name=key,
            content=content,
            content_type="text/plain",
            opts=child,
        )

    def _drift(self, name: str, server: ModelServerSpec, opts: pulumi.ResourceOptions) -> DriftMonitor:
        args = self.args
        drift = server.drift
        assert drift is not None
        raw, ref_zone = self.zones["raw"], resolved(drift.reference_zone)
        job = f"{server.name}-drift"
        ref_dir, _, _ = drift.reference.rpartition("/")
        annotations, depends = bind_identity(
            self.identity,
            f"{name}-{job}-identity",
            job,
            read=(
                [
                    LakeAccess(zone=raw, prefix=f"{LOG_PREFIX}{server.name}/"),
                    LakeAccess(zone=ref_zone, prefix=f"{ref_dir}/" if ref_dir else ""),
                ]
                if ref_zone != raw
                else [LakeAccess(zone=raw)]  # one grant per zone: the logs and the reference are both in it
            ),
            write=[LakeAccess(zone=raw, prefix=f"{REPORT_PREFIX}{server.name}/")],
            description=f"Drift report of {server.name}: read its request logs and reference, write its reports",
            parent=self,
        )
        return DriftMonitor(
            f"{name}-{job}",
            DriftMonitorArgs(
                namespace=self.identity.namespace,
                server=server.name,
                job_name=job,
                schedule=drift.schedule,
                log_url=pulumi.Output.concat(self.identity.lake.zone_urls[raw], LOG_PREFIX, server.name, "/"),
                reference_url=pulumi.Output.concat(self.identity.lake.zone_urls[ref_zone], drift.reference),
                report_url=pulumi.Output.concat(self.identity.lake.zone_urls[raw], REPORT_PREFIX, server.name, "/"),
                window_hours=duration_seconds(drift.window) / 3600,
                drift_share=drift.drift_share,
                min_rows=drift.min_rows,
                service_account=job,
                service_account_annotations=annotations,
                env=self.identity.sdk_env(),
                alerts=args.alerts,
            ),
            opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=depends)),
        )


__all__ = ["Serving", "ServingArgs", "registry_of"]
