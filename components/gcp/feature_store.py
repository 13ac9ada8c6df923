"""FeatureStore (GCP): Feast with its registry in the lake (``gs://``), BigQuery or file offline store, and
Firestore in Datastore mode or Memorystore Redis online store.

- registry: ``<features zone>/feast/registry.pb`` in the lake; offline ``bigquery`` gets its own dataset (in
  the lake's location, encrypted like the lake), ``file`` reads parquet from the features zone;
- online ``firestore``: a named Datastore-mode database (point-in-time recovery and delete protection in
  prod); ``redis``: a Memorystore instance on the private services range, AUTH and TLS on (Standard HA in
  prod), its CA certificate shipped next to the config;
- one service account for Feast (apply, materialization, the feature server), bound to the Kubernetes
  service account ``feast`` through Workload Identity, with only: object access to the features zone,
  Datastore access limited to its database by an IAM condition, BigQuery data editing on its dataset and
  job running in the project;
- ``feature_store.yaml`` rendered from the real outputs, as an output and a Secret in the platform namespace;
  the optional feature server runs from it (``mlplatform.components.k8s.feast_server``).

Example::

    from mlplatform.components.gcp import FeatureStore, FeatureStoreArgs

    store = FeatureStore("features", FeatureStoreArgs(project="ml-dev-123", region="us-central1", lake=lake,
                                                      store={"offline_store": "bigquery"}))
    pulumi.export("feature_store_yaml", store.feature_store_yaml)
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_gcp as gcp
import pulumi_kubernetes as k8s
from pydantic import model_validator

from ..base.cloud import Cloud
from ..base.errors import Problems
from ..base.types import MLPLATFORM_GCP_FEATURE_STORE
from ..base.values import ComponentArgs, GcpLabels
from ..config import defaults
from ..config.environment import Environment
from ..config.features import FeatureStoreSpec, OfflineStore, OnlineStore
from ..interfaces import Principal, check_principal
from ..k8s.feast_server import CONFIG_DIR, FeastFeatureServer, FeastServerArgs
from ..templates import render
from . import iam
from .data_lake import DataLake
from .placement import GkeWorkloads, PrivateServices

FEAST_SA = "feast"
CONFIG_SECRET = "feast-feature-store"
REGISTRY_PREFIX = "feast/"
REDIS_CA_FILE = "redis-ca.pem"


class FeatureStoreArgs(ComponentArgs):
    _context_cloud = Cloud.GCP

    project: str
    """GCP project id. Required."""
    region: str
    """Region of the online store. Required."""
    lake: DataLake
    """The data lake holding the registry and the offline data. Required."""
    environment: Environment = Environment.DEV
    """prod protects the online store and runs Redis as Standard HA. Default: dev."""
    store: FeatureStoreSpec = FeatureStoreSpec()
    """Stores, project, feature views, feature server (the stack spec's ``feature_store`` section).
    Default: see FeatureStoreSpec."""
    features_zone: str = "features"
    """Lake zone holding the registry and the offline feature data. Default: features."""
    cluster: GkeWorkloads | None = None
    """Cluster for the config Secret, the Kubernetes service account and the feature server. Default: none."""
    network: PrivateServices | None = None
    """Required when the online store is redis. Default: none."""
    labels: GcpLabels = {}
    """Labels on every resource. Default: none."""

    @model_validator(mode="after")
    def _check(self) -> FeatureStoreArgs:
        p = Problems()
        if self.features_zone not in self.lake.zones:
            p.add("features_zone", f"not a zone of the lake; zones: {', '.join(self.lake.zones)}", self.features_zone)
        online = self.store.online_store or defaults.online_store(Cloud.GCP)
        if online not in (OnlineStore.FIRESTORE, OnlineStore.REDIS):
            p.add("store.online_store", "not available on gcp; allowed: firestore, redis", str(online))
        if self.store.offline_store not in (OfflineStore.FILE, OfflineStore.BIGQUERY):
            p.add("store.offline_store", "not available on gcp; allowed: file, bigquery", str(self.store.offline_store))
        if online is OnlineStore.REDIS and self.network is None:
            p.add("network", "required when store.online_store is redis (Memorystore has a private IP)", None)
        if self.store.feature_server.enabled and self.cluster is None:
            p.add("cluster", "required when store.feature_server.enabled (the server runs on it)", None)
        p.raise_if_any()
        return self


class FeatureStore(pulumi.ComponentResource):
    """Feast registry, stores, identity and config on GCP (type ``mlplatform:gcp:FeatureStore``).

    Outputs: ``feature_store_yaml`` (secret when it holds the Redis AUTH string), ``project``,
    ``registry_path``, ``service_account`` (email), ``online_database`` or ``redis_host``,
    ``bigquery_dataset``, ``server_url`` (when enabled).
    """

    feature_store_yaml: pulumi.Output[str]
    registry_path: pulumi.Output[str]
    project: str
    service_account: pulumi.Output[str]
    online_database: pulumi.Output[str] | None
    redis_host: pulumi.Output[str] | None
    bigquery_dataset: pulumi.Output[str] | None
    server_url: pulumi.Output[str] | None

    def __init__(self, name: str, args: FeatureStoreArgs | dict[str, Any], opts: pulumi.ResourceOptions | None = None):
        args = args if isinstance(args, FeatureStoreArgs) else FeatureStoreArgs(**args)
        super().__init__(MLPLATFORM_GCP_FEATURE_STORE, name, None, opts)
        self.args = args
        self._name = name
        self.config_secret = CONFIG_SECRET  # the Secret holding feature_store.yaml, on the cluster
        self._datastore: pulumi.Output[str] | None = None
        self._dataset: pulumi.Output[str] | None = None
        spec, lake, zone = args.store, args.lake, args.features_zone
        prod = args.environment is Environment.PROD
        online = spec.online_store or defaults.online_store(Cloud.GCP)
        self.project = spec.project or defaults.feast_project(name)
        child = pulumi.ResourceOptions(parent=self)
        self.registry_path = pulumi.Output.concat(lake.zone_urls[zone], REGISTRY_PREFIX, "registry.pb")

        account = iam.service_account(f"{name}-feast", args.project, f"Feast project {self.project}", self)
        self.service_account = account.email
        lake.grant_write(iam.principal(account), zone)

        values: dict[str, pulumi.Input[Any]] = {"registry_path": self.registry_path}
        self.online_database = self.redis_host = self.bigquery_dataset = None
        self._redis_ca: pulumi.Output[str] | None = None
        if online is OnlineStore.FIRESTORE:
            database = gcp.firestore.Database(
                f"{name}-online",
                project=args.project,
                name=f"{name}-{pulumi.get_stack()}"[:63].lower(),
                location_id=args.region,
                type="DATASTORE_MODE",
                concurrency_mode="OPTIMISTIC",
                point_in_time_recovery_enablement="POINT_IN_TIME_RECOVERY_ENABLED"
                if prod
                else "POINT_IN_TIME_RECOVERY_DISABLED",
                delete_protection_state="DELETE_PROTECTION_ENABLED" if prod else "DELETE_PROTECTION_DISABLED",
                deletion_policy="ABANDON" if prod else "DELETE",
                opts=pulumi.ResourceOptions(parent=self, protect=prod),
            )
            self.online_database = database.name
            self._datastore = database.name
            values["datastore_database"] = database.name
            gcp.projects.IAMMember(
                f"{name}-feast-datastore",
                project=args.project,
                role="roles/datastore.user",
                member=account.member,
                condition=gcp.projects.IAMMemberConditionArgs(
                    title="feast online database only",
                    expression=pulumi.Output.concat(
                        'resource.name == "projects/', args.project, "/databases/", database.name, '"'
                    ),
                ),
                opts=child,
            )
        else:
            values["redis"] = self._redis(name, args, prod)
        if spec.offline_store is OfflineStore.BIGQUERY:
            dataset = lake.dataset(f"{name}-offline", f"Feast offline store of {self.project}")
            self.bigquery_dataset = dataset.dataset_id
            self._dataset = dataset.dataset_id
            values["bigquery_dataset"] = dataset.dataset_id
            gcp.bigquery.DatasetIamMember(
                f"{name}-feast-bigquery",
                project=args.project,
                dataset_id=dataset.dataset_id,
                role="roles/bigquery.dataEditor",
                member=account.member,
                opts=child,
            )
            iam.project_roles(f"{name}-feast", args.project, account.member, ["roles/bigquery.jobUser"], self)

        context = {
            "component": f"FeatureStore {name!r}",
            "project": self.project,
            "region": args.region,
            "gcp_project": args.project,
            "online_store": str(online),
            "offline_store": str(spec.offline_store),
        }
        rendered = pulumi.Output.all(**values).apply(
            lambda v: render(
                "feature_store_gcp.yaml.j2",
                **context,
                registry_path=v["registry_path"],
                datastore_database=v.get("datastore_database"),
                redis_connection=v.get("redis"),
                bigquery_dataset=v.get("bigquery_dataset"),
            )
        )
        self.feature_store_yaml = pulumi.Output.secret(rendered) if "redis" in values else rendered

        self.server_url = None
        if args.cluster is not None:
            self._on_cluster(name, args, account)
        self.register_outputs(
            {
                "feature_store_yaml": self.feature_store_yaml,
                "project": self.project,
                "registry_path": self.registry_path,
                "service_account": self.service_account,
                "online_database": self.online_database,
                "redis_host": self.redis_host,
                "bigquery_dataset": self.bigquery_dataset,
                "server_url": self.server_url,
            }
        )

    def grant_read(self, principal: Principal) -> list[pulumi.Resource]:
        """Let ``principal`` (a service account: ``iam.principal(account)``) read features: the Firestore online
        database (Memorystore authenticates with the AUTH string in feature_store.yaml instead) and, with the
        BigQuery offline store, query it. The registry and offline files are in the lake's features zone: grant
        them with ``lake.grant_read``. The grants are named ``<principal name>-feast-*``.

        Example::

            store.grant_read(iam.principal(notebook_account))
        """
        check_principal(f"FeatureStore {self._name!r}", principal, Cloud.GCP)
        name, member = f"{principal.name}-feast", principal.identity
        args, out = self.args, []
        opts = pulumi.ResourceOptions(parent=self)
        if self._datastore is not None:
            out.append(
                gcp.projects.IAMMember(
                    f"{name}-datastore-viewer",
                    project=args.project,
                    role="roles/datastore.viewer",
                    member=member,
                    condition=gcp.projects.IAMMemberConditionArgs(
                        title="feast online database only",
                        expression=pulumi.Output.concat(
                            'resource.name == "projects/', args.project, "/databases/", self._datastore, '"'
                        ),
                    ),
                    opts=opts,
                )
            )
        if self._dataset is not None:
            out.append(
                gcp.bigquery.DatasetIamMember(
                    f"{name}-bigquery-viewer",
                    project=args.project,
                    dataset_id=self._dataset,
                    role="roles/bigquery.dataViewer",
                    member=member,
                    opts=opts,
                )
            )
            out.extend(iam.project_roles(name, args.project, member, ["roles/bigquery.jobUser"], self))
        return out

    def _redis(self, name: str, args: FeatureStoreArgs, prod: bool) -> pulumi.Output[str]:
        network = args.network
        assert network is not None
        instance = gcp.redis.Instance(
            f"{name}-online",
            project=args.project,
            region=args.region,
            tier="STANDARD_HA" if prod else "BASIC",
            memory_size_gb=args.store.redis_memory_gb,
            redis_version="REDIS_7_2",
            authorized_network=network.network,
            connect_mode="PRIVATE_SERVICE_ACCESS",
            auth_enabled=True,
            transit_encryption_mode="SERVER_AUTHENTICATION",
            labels=args.labels,
            opts=pulumi.ResourceOptions(
                parent=self, protect=prod, depends_on=[network.connection] if network.connection is not None else None
            ),
        )
        self.redis_host = instance.host
        self._redis_ca = instance.server_ca_certs.apply(lambda certs: (certs[0].cert or "") if certs else "")
        return pulumi.Output.secret(
            pulumi.Output.format(
                "{0}:{1},ssl=true,ssl_ca_certs={2}/{3},password={4}",
                instance.host,
                instance.port,
                CONFIG_DIR,
                REDIS_CA_FILE,
                instance.auth_string,
            )
        )

    def _on_cluster(self, name: str, args: FeatureStoreArgs, account: gcp.serviceaccount.Account) -> None:
        cluster = args.cluster
        assert cluster is not None
        k8s_opts = pulumi.ResourceOptions(parent=self, provider=cluster.provider)
        ns = cluster.namespace
        data: dict[str, pulumi.Input[str]] = {"feature_store.yaml": self.feature_store_yaml}
        if self._redis_ca is not None:
            data[REDIS_CA_FILE] = self._redis_ca
        secret = k8s.core.v1.Secret(
            f"{name}-config",
            metadata={"name": CONFIG_SECRET, "namespace": ns, "labels": {"app.kubernetes.io/part-of": "mlplatform"}},
            type="Opaque",
            string_data=data,
            opts=k8s_opts,
        )
        k8s.core.v1.ServiceAccount(
            f"{name}-{FEAST_SA}",
            metadata={
                "name": FEAST_SA,
                "namespace": ns,
                "labels": {"app.kubernetes.io/part-of": "mlplatform"},
                "annotations": {iam.WORKLOAD_IDENTITY_ANNOTATION: account.email},
            },
            opts=k8s_opts,
        )
        iam.workload_identity(f"{name}-{FEAST_SA}", account, args.project, ns, FEAST_SA, self)
        server = args.store.feature_server
        if server.enabled:
            fs = FeastFeatureServer(
                f"{name}-server",
                FeastServerArgs(
                    namespace=ns,
                    config_secret=CONFIG_SECRET,
                    service_account=FEAST_SA,
                    replicas=server.replicas,
                    env={"GOOGLE_CLOUD_PROJECT": args.project},
                    labels={"app.kubernetes.io/part-of": "mlplatform"},
                ),
                opts=pulumi.ResourceOptions.merge(k8s_opts, pulumi.ResourceOptions(depends_on=[secret])),
            )
            self.server_url = fs.url
