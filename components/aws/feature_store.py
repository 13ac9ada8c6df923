"""FeatureStore: Feast on AWS over the data lake, with a DynamoDB or ElastiCache Redis online store.

- registry: ``s3://<features zone>/feast/registry.pb`` in the lake;
- offline store: parquet files in the features zone (Feast's ``file`` store), or Athena through the lake's
  workgroup and the features zone's Glue database;
- online store: DynamoDB (on demand; the tables of declared feature views are created here with point-in-time
  recovery, encryption and, in prod, deletion protection) or ElastiCache Redis (TLS, encryption at rest, an
  auth token that stays secret);
- IAM: a materialization role and a feature-server role, each limited to the registry, the features zone and
  the online tables, bound to Kubernetes service accounts through EKS Pod Identity;
- ``feature_store.yaml`` rendered from these real outputs (an output, and a Kubernetes Secret on the cluster);
- optionally the Feast feature server on the cluster.

Example::

    store = FeatureStore("features", FeatureStoreArgs(region="us-east-1", lake=lake,
                                                      store={"feature_views": ["user_features"]}))
    pulumi.export("feature_store_yaml", store.feature_store_yaml)
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
import pulumi_random as random
from pydantic import model_validator

from ..base.cloud import Cloud
from ..base.errors import Problems
from ..base.types import MLPLATFORM_AWS_FEATURE_STORE
from ..base.values import ComponentArgs
from ..config import defaults
from ..config.environment import Environment
from ..config.features import FeatureStoreSpec, OfflineStore, OnlineStore
from ..interfaces import Principal, check_principal
from ..k8s.feast_server import FeastFeatureServer, FeastServerArgs
from ..templates import render
from . import iam
from .data_lake import DataLake
from .placement import PrivateNetwork, WorkloadCluster

MATERIALIZER_SA = "feast-materializer"
SERVER_SA = "feast-feature-server"
CONFIG_SECRET = "feast-feature-store"
REGISTRY_PREFIX = "feast/"
REDIS_PORT = 6379


class FeatureStoreArgs(ComponentArgs):
    _context_cloud = Cloud.AWS

    region: str
    """AWS region. Required."""
    lake: DataLake
    """The data lake holding the registry and the offline data. Required."""
    environment: Environment = Environment.DEV
    """prod protects the online tables and runs Redis multi-AZ. Default: dev."""
    store: FeatureStoreSpec = FeatureStoreSpec()
    """Stores, project, feature views, feature server (the stack spec's ``feature_store`` section).
    Default: see FeatureStoreSpec."""
    features_zone: str = "features"
    """Lake zone holding the registry and the offline feature data. Default: features."""
    cluster: WorkloadCluster | None = None
    """Cluster for the config Secret, service accounts, Pod Identity and the feature server. Default: none."""
    network: PrivateNetwork | None = None
    """Required when the online store is redis. Default: none."""
    tags: dict[str, str] = {}
    """Tags on every resource (and on tables Feast creates itself). Default: none."""

    @model_validator(mode="after")
    def _check(self) -> FeatureStoreArgs:
        p = Problems()
        if self.features_zone not in self.lake.zones:
            p.add("features_zone", f"not a zone of the lake; zones: {', '.join(self.lake.zones)}", self.features_zone)
        online = self.store.online_store or defaults.online_store(Cloud.AWS)
        if online not in (OnlineStore.DYNAMODB, OnlineStore.REDIS):
            p.add("store.online_store", "not available on aws; allowed: dynamodb, redis", str(online))
        if self.store.offline_store not in (OfflineStore.FILE, OfflineStore.ATHENA):
            p.add("store.offline_store", "not available on aws; allowed: file, athena", str(self.store.offline_store))
        if online is OnlineStore.REDIS and self.network is None:
            p.add("network", "required when store.online_store is redis (the cache lives in private subnets)", None)
        if online is OnlineStore.REDIS and (self.cluster is None or self.cluster.security_group_id is None):
            p.add(
                "cluster.security_group_id",
                "required when store.online_store is redis (only the cluster may connect)",
                None,
            )
        if self.store.feature_server.enabled and self.cluster is None:
            p.add("cluster", "required when store.feature_server.enabled (the server runs on it)", None)
        p.raise_if_any()
        return self


class FeatureStore(pulumi.ComponentResource):
    """Feast registry, stores, roles and config (type ``mlplatform:aws:FeatureStore``).

    Outputs: ``feature_store_yaml`` (secret when it holds the Redis token), ``project``, ``registry_path``,
    ``online_tables``, ``materializer_role_arn``, ``server_role_arn``, ``server_url`` (when enabled).
    """

    feature_store_yaml: pulumi.Output[str]
    registry_path: pulumi.Output[str]
    project: str
    online_tables: list[pulumi.Output[str]]
    materializer_role: aws.iam.Role
    server_role: aws.iam.Role
    server_url: pulumi.Output[str] | None

    def __init__(self, name: str, args: FeatureStoreArgs | dict[str, Any], opts: pulumi.ResourceOptions | None = None):
        args = args if isinstance(args, FeatureStoreArgs) else FeatureStoreArgs(**args)
        super().__init__(MLPLATFORM_AWS_FEATURE_STORE, name, None, opts)
        self.args = args
        self._name = name
        self.config_secret = CONFIG_SECRET  # the Secret holding feature_store.yaml, on the cluster
        spec, lake, zone = args.store, args.lake, args.features_zone
        prod = args.environment is Environment.PROD
        online = spec.online_store or defaults.online_store(Cloud.AWS)
        self.project = spec.project or defaults.feast_project(name)
        account = aws.get_caller_identity().account_id
        keep = pulumi.ResourceOptions(parent=self, protect=prod)
        tables_arn = f"arn:aws:dynamodb:{args.region}:{account}:table/{self.project}.*"

        zone_url = lake.zone_urls[zone]
        self.registry_path = pulumi.Output.concat(zone_url, REGISTRY_PREFIX, "registry.pb")

        # --- online store ---
        self.online_tables = []
        redis_connection: pulumi.Output[str] | None = None
        if online is OnlineStore.DYNAMODB:
            for view in spec.feature_views:
                table = aws.dynamodb.Table(
                    f"{name}-{view}",
                    name=f"{self.project}.{view}",  # Feast's table_name_template: {project}.{table_name}
                    billing_mode="PAY_PER_REQUEST",  # idle tables cost nothing but storage
                    hash_key="entity_id",
                    attributes=[aws.dynamodb.TableAttributeArgs(name="entity_id", type="S")],
                    point_in_time_recovery=aws.dynamodb.TablePointInTimeRecoveryArgs(enabled=True),
                    server_side_encryption=aws.dynamodb.TableServerSideEncryptionArgs(
                        enabled=True, kms_key_arn=lake.key_arn
                    ),
                    deletion_protection_enabled=prod,
                    tags=args.tags,
                    opts=keep,
                )
                self.online_tables.append(table.name)
        else:
            redis_connection = self._redis(name, args, prod)

        # --- roles: one for materialization jobs, one for the feature server ---
        online_write, online_read = self._online_statements(online, tables_arn)
        athena = self._athena_statements(args, account) if spec.offline_store is OfflineStore.ATHENA else []
        self._reader_statements = [*online_read, *athena]
        self.materializer_role = iam.role(
            f"{name}-materializer",
            iam.pod_identity_trust(),
            parent=self,
            tags=args.tags,
            description=f"Feast materialization and apply for project {self.project}",
            inline={"online-store": iam.document(*online_write, *athena)} if online_write or athena else None,
        )
        lake.grant_write(iam.principal(self.materializer_role), zone)
        self.server_role = iam.role(
            f"{name}-server",
            iam.pod_identity_trust(),
            parent=self,
            tags=args.tags,
            description=f"Feast feature server for project {self.project}",
            inline={"online-store": iam.document(*online_read)} if online_read else None,
        )
        lake.grant_read(iam.principal(self.server_role), zone, prefix=REGISTRY_PREFIX)

        # --- feature_store.yaml, from the real outputs ---
        values: dict[str, pulumi.Input[Any]] = {"registry_path": self.registry_path}
        if redis_connection is not None:
            values["redis"] = redis_connection
        if spec.offline_store is OfflineStore.ATHENA:
            values["athena_database"] = lake.glue_databases[zone]
            values["athena_workgroup"] = lake.athena_workgroup
            values["athena_staging"] = lake.athena_results_url
        context = {
            "component": f"FeatureStore {name!r}",
            "project": self.project,
            "region": args.region,
            "online_store": str(online),
            "offline_store": str(spec.offline_store),
            "tags": args.tags,
        }
        rendered = pulumi.Output.all(**values).apply(
            lambda v: render(
                "feature_store.yaml.j2",
                **context,
                registry_path=v["registry_path"],
                redis_connection=v.get("redis"),
                athena_database=v.get("athena_database"),
                athena_workgroup=v.get("athena_workgroup"),
                athena_staging=v.get("athena_staging"),
            )
        )
        self.feature_store_yaml = pulumi.Output.secret(rendered) if redis_connection is not None else rendered

        # --- on the cluster ---
        self.server_url = None
        if args.cluster is not None:
            self._on_cluster(name, args)

        self.register_outputs(
            {
                "feature_store_yaml": self.feature_store_yaml,
                "project": self.project,
                "registry_path": self.registry_path,
                "online_tables": self.online_tables,
                "materializer_role_arn": self.materializer_role.arn,
                "server_role_arn": self.server_role.arn,
                "server_url": self.server_url,
            }
        )

    def grant_read(self, principal: Principal) -> list[aws.iam.RolePolicy]:
        """Let ``principal`` (an IAM role: ``iam.principal(role)``) read features: the online tables (DynamoDB;
        Redis authenticates with its token from feature_store.yaml instead) and, with the Athena offline store,
        query it. The registry and offline files are in the lake's features zone: grant them with
        ``lake.grant_read(principal, features_zone)``.

        Example::

            store.grant_read(iam.principal(notebook_role))
        """
        check_principal(f"FeatureStore {self._name!r}", principal, Cloud.AWS)
        if not self._reader_statements:
            return []
        return [
            aws.iam.RolePolicy(
                f"{self._name}-read-{principal.name}",
                role=principal.identity,
                policy=iam.document(*self._reader_statements),
                opts=pulumi.ResourceOptions(parent=self),
            )
        ]

    @staticmethod
    def _online_statements(online: OnlineStore, tables_arn: str) -> tuple[list[dict], list[dict]]:
        if online is not OnlineStore.DYNAMODB:
            return [], []  # Redis authenticates with its token, not IAM
        read = ["dynamodb:BatchGetItem", "dynamodb:GetItem", "dynamodb:Query", "dynamodb:DescribeTable"]
        # `feast apply` creates tables for views the platform did not, tags them and drops removed ones.
        manage = [
            "dynamodb:CreateTable",
            "dynamodb:DeleteTable",
            "dynamodb:TagResource",
            "dynamodb:UntagResource",
            "dynamodb:ListTagsOfResource",
        ]
        write = ["dynamodb:BatchWriteItem", "dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:UpdateItem"]
        return (
            [{"Sid": "ProjectTables", "Effect": "Allow", "Action": read + write + manage, "Resource": tables_arn}],
            [{"Sid": "ReadProjectTables", "Effect": "Allow", "Action": read, "Resource": tables_arn}],
        )

    @staticmethod
    def _athena_statements(args: FeatureStoreArgs, account: str) -> list[dict]:
        lake, zone, region = args.lake, args.features_zone, args.region
        workgroup_arn = pulumi.Output.concat(f"arn:aws:athena:{region}:{account}:workgroup/", lake.athena_workgroup)
        db = lake.glue_databases[zone]
        statements: list[dict[str, Any]] = [
            {
                "Sid": "QueryThroughWorkgroup",
                "Effect": "Allow",
                "Resource": workgroup_arn,
                "Action": [
                    "athena:StartQueryExecution",
                    "athena:GetQueryExecution",
                    "athena:GetQueryResults",
                    "athena:StopQueryExecution",
                    "athena:GetWorkGroup",
                ],
            },
            {
                "Sid": "FeatureTables",
                "Effect": "Allow",
                "Action": [
                    "glue:GetDatabase",
                    "glue:GetTable",
                    "glue:GetTables",
                    "glue:GetPartitions",
                    "glue:CreateTable",
                    "glue:DeleteTable",
                    "glue:UpdateTable",
                ],
                "Resource": [
                    f"arn:aws:glue:{region}:{account}:catalog",
                    pulumi.Output.concat(f"arn:aws:glue:{region}:{account}:database/", db),
                    pulumi.Output.concat(f"arn:aws:glue:{region}:{account}:table/", db, "/*"),
                ],
            },
            {
                "Sid": "QueryResults",
                "Effect": "Allow",
                "Action": [
                    "s3:GetObject",
                    "s3:PutObject",
                    "s3:ListBucket",
                    "s3:GetBucketLocation",
                    "s3:AbortMultipartUpload",
                ],
                "Resource": [
                    lake.athena_results_bucket_arn,
                    pulumi.Output.concat(lake.athena_results_bucket_arn, "/*"),
                ],
            },
        ]
        if lake.key_arn is not None:
            statements.append(
                {
                    "Sid": "ResultsKey",
                    "Effect": "Allow",
                    "Resource": lake.key_arn,
                    "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                    "Condition": {"StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"}},
                }
            )
        return statements

    def _redis(self, name: str, args: FeatureStoreArgs, prod: bool) -> pulumi.Output[str]:
        child = pulumi.ResourceOptions(parent=self)
        assert args.network is not None and args.cluster is not None  # checked by FeatureStoreArgs
        # ElastiCache auth tokens allow only some punctuation; letters and digits are always accepted.
        token = random.RandomPassword(f"{name}-redis-auth", length=40, special=False, opts=child)
        subnets = aws.elasticache.SubnetGroup(
            f"{name}-redis",
            subnet_ids=args.network.subnet_ids,
            description=f"Feast online store of {name}",
            tags=args.tags,
            opts=child,
        )
        sg = aws.ec2.SecurityGroup(
            f"{name}-redis",
            vpc_id=args.network.vpc_id,
            description="Feast online store: cluster access only",
            tags=args.tags,
            opts=child,
        )
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-redis-from-cluster",
            security_group_id=sg.id,
            referenced_security_group_id=args.cluster.security_group_id,
            ip_protocol="tcp",
            from_port=REDIS_PORT,
            to_port=REDIS_PORT,
            description="Redis from the cluster",
            tags=args.tags,
            opts=child,
        )
        group = aws.elasticache.ReplicationGroup(
            f"{name}-redis",
            description=f"Feast online store of {name}",
            engine="redis",
            engine_version="7.1",
            node_type=args.store.redis_node_type,
            num_cache_clusters=2 if prod else 1,
            automatic_failover_enabled=prod,
            multi_az_enabled=prod,
            port=REDIS_PORT,
            subnet_group_name=subnets.name,
            security_group_ids=[sg.id],
            transit_encryption_enabled=True,
            at_rest_encryption_enabled=True,
            kms_key_id=args.lake.key_arn,
            auth_token=token.result,
            snapshot_retention_limit=7 if prod else 0,
            apply_immediately=not prod,
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self, protect=prod, additional_secret_outputs=["authToken"]),
        )
        return pulumi.Output.secret(
            pulumi.Output.format(
                "{0}:{1},ssl=true,password={2}", group.primary_endpoint_address, REDIS_PORT, token.result
            )
        )

    def _on_cluster(self, name: str, args: FeatureStoreArgs) -> None:
        cluster = args.cluster
        assert cluster is not None
        k8s_opts = pulumi.ResourceOptions(parent=self, provider=cluster.provider)
        ns = cluster.namespace
        secret = k8s.core.v1.Secret(
            f"{name}-config",
            metadata={"name": CONFIG_SECRET, "namespace": ns, "labels": {"app.kubernetes.io/part-of": "mlplatform"}},
            type="Opaque",
            string_data={"feature_store.yaml": self.feature_store_yaml},
            opts=k8s_opts,
        )
        for sa, role in ((MATERIALIZER_SA, self.materializer_role), (SERVER_SA, self.server_role)):
            k8s.core.v1.ServiceAccount(
                f"{name}-{sa}",
                metadata={"name": sa, "namespace": ns, "labels": {"app.kubernetes.io/part-of": "mlplatform"}},
                opts=k8s_opts,
            )
            aws.eks.PodIdentityAssociation(
                f"{name}-{sa}",
                cluster_name=cluster.cluster_name,
                namespace=ns,
                service_account=sa,
                role_arn=role.arn,
                tags=args.tags,
                opts=pulumi.ResourceOptions(parent=self),
            )
        server = args.store.feature_server
        if server.enabled:
            fs = FeastFeatureServer(
                f"{name}-server",
                FeastServerArgs(
                    namespace=ns,
                    config_secret=CONFIG_SECRET,
                    service_account=SERVER_SA,
                    replicas=server.replicas,
                    env={"AWS_REGION": args.region},
                    labels={"app.kubernetes.io/part-of": "mlplatform"},
                ),
                opts=pulumi.ResourceOptions.merge(k8s_opts, pulumi.ResourceOptions(depends_on=[secret])),
            )
            self.server_url = fs.url
