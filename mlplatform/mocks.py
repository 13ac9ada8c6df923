"""Realistic provider answers for the offline engine: resource outputs and invokes, table-driven by type token.

A real provider returns computed attributes (ids, ARNs, endpoints, auto-generated names); a component's
``apply`` callbacks read them, so a mock that returns only the inputs leaves those callbacks unexercised or
broken. Each table entry computes the attributes a provider would add for one resource type. Unknown types
still get a deterministic id and echo their inputs.

Ids and suffixes are derived from the URN, so the same program always plans to the same values.

To teach the engine a new type, add a function to :data:`RESOURCE_OUTPUTS` (or :data:`INVOKES`)::

    @resource("aws:foo/bar:Bar")
    def _bar(r: MockRequest) -> dict:
        return {"arn": r.arn("foo", f"bar/{r.physical_name()}")}
"""

from __future__ import annotations

import base64
import hashlib
import json
import string
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pulumi

from mlplatform.components.base.types import (
    AWS_APPAUTOSCALING_POLICY,
    AWS_APPAUTOSCALING_TARGET,
    AWS_ATHENA_WORKGROUP,
    AWS_BUDGETS_BUDGET,
    AWS_CLOUDWATCH_DASHBOARD,
    AWS_CLOUDWATCH_EVENT_RULE,
    AWS_CLOUDWATCH_EVENT_TARGET,
    AWS_CLOUDWATCH_LOG_GROUP,
    AWS_CLOUDWATCH_METRIC_ALARM,
    AWS_COSTEXPLORER_ANOMALY_MONITOR,
    AWS_COSTEXPLORER_ANOMALY_SUBSCRIPTION,
    AWS_DYNAMODB_TABLE,
    AWS_EC2_EIP,
    AWS_EC2_GET_AMI,
    AWS_EC2_INSTANCE,
    AWS_EC2_INTERNET_GATEWAY,
    AWS_EC2_LAUNCH_TEMPLATE,
    AWS_EC2_NAT_GATEWAY,
    AWS_EC2_NETWORK_ACL,
    AWS_EC2_ROUTE_TABLE,
    AWS_EC2_SECURITY_GROUP,
    AWS_EC2_SUBNET,
    AWS_EC2_VPC,
    AWS_EC2_VPC_ENDPOINT,
    AWS_EKS_ACCESS_ENTRY,
    AWS_EKS_ACCESS_POLICY_ASSOCIATION,
    AWS_EKS_ADDON,
    AWS_EKS_CLUSTER,
    AWS_EKS_GET_ADDON_VERSION,
    AWS_EKS_GET_CLUSTER,
    AWS_EKS_NODE_GROUP,
    AWS_EKS_POD_IDENTITY_ASSOCIATION,
    AWS_ELASTICACHE_REPLICATION_GROUP,
    AWS_ELASTICACHE_SUBNET_GROUP,
    AWS_GET_AVAILABILITY_ZONES,
    AWS_GET_CALLER_IDENTITY,
    AWS_GET_PARTITION,
    AWS_GET_REGION,
    AWS_GLUE_CATALOG_DATABASE,
    AWS_IAM_GET_POLICY_DOCUMENT,
    AWS_IAM_INSTANCE_PROFILE,
    AWS_IAM_OPEN_ID_CONNECT_PROVIDER,
    AWS_IAM_POLICY,
    AWS_IAM_ROLE,
    AWS_IAM_ROLE_POLICY,
    AWS_KMS_ALIAS,
    AWS_KMS_KEY,
    AWS_RDS_INSTANCE,
    AWS_RDS_PARAMETER_GROUP,
    AWS_RDS_SUBNET_GROUP,
    AWS_S3_BUCKET,
    AWS_S3_BUCKET_V2,
    AWS_SAGEMAKER_ENDPOINT,
    AWS_SAGEMAKER_ENDPOINT_CONFIGURATION,
    AWS_SAGEMAKER_MODEL,
    AWS_SECRETSMANAGER_SECRET,
    AWS_SNS_TOPIC,
    AWS_SNS_TOPIC_SUBSCRIPTION,
    AWS_SQS_QUEUE,
    AWS_SSM_GET_PARAMETER,
    AWS_VPC_SECURITY_GROUP_EGRESS_RULE,
    AWS_VPC_SECURITY_GROUP_INGRESS_RULE,
    GCP_BIGQUERY_DATASET,
    GCP_BIGQUERY_GET_DEFAULT_SERVICE_ACCOUNT,
    GCP_BILLING_BUDGET,
    GCP_CLOUDRUNV2_SERVICE,
    GCP_COMPUTE_FIREWALL,
    GCP_COMPUTE_GET_ZONES,
    GCP_COMPUTE_GLOBAL_ADDRESS,
    GCP_COMPUTE_NETWORK,
    GCP_COMPUTE_ROUTER,
    GCP_COMPUTE_ROUTER_NAT,
    GCP_COMPUTE_SUBNETWORK,
    GCP_CONTAINER_CLUSTER,
    GCP_CONTAINER_GET_ENGINE_VERSIONS,
    GCP_CONTAINER_NODE_POOL,
    GCP_FIRESTORE_DATABASE,
    GCP_KMS_CRYPTO_KEY,
    GCP_KMS_KEY_RING,
    GCP_MONITORING_ALERT_POLICY,
    GCP_MONITORING_DASHBOARD,
    GCP_MONITORING_NOTIFICATION_CHANNEL,
    GCP_ORGANIZATIONS_GET_CLIENT_CONFIG,
    GCP_ORGANIZATIONS_GET_PROJECT,
    GCP_REDIS_INSTANCE,
    GCP_SERVICEACCOUNT_ACCOUNT,
    GCP_SQL_DATABASE_INSTANCE,
    GCP_STORAGE_BUCKET,
    GCP_STORAGE_GET_PROJECT_SERVICE_ACCOUNT,
    GCP_VERTEX_AI_DEPLOYMENT_RESOURCE_POOL,
    GCP_VERTEX_AI_ENDPOINT,
    K8S_HELM_RELEASE,
    RANDOM_ID,
    RANDOM_PASSWORD,
    RANDOM_PET,
    RANDOM_STRING,
)

ACCOUNT_ID = "123456789012"
DEFAULT_AWS_REGION = "us-east-1"
DEFAULT_GCP_REGION = "us-central1"
DEFAULT_GCP_PROJECT = "mlplatform-mock"

# A syntactically valid, self-signed CA certificate body (base64 PEM), as EKS/GKE return in their CA data.
_FAKE_CA_PEM = (
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBszCCAVmgAwIBAgIUMOCKMOCKMOCKMOCKMOCKMOCKMOCKMOcwCgYIKoZIzj0EAwIwFTETMBEGA1UEAwwKa3ViZXJu\n"
    "ZXRlczAeFw0yNjAxMDEwMDAwMDBaFw0zNjAxMDEwMDAwMDBaMBUxEzARBgNVBAMMCmt1YmVybmV0ZXMwWTATBgcqhkjO\n"
    "-----END CERTIFICATE-----\n"
)
FAKE_CA_DATA = base64.b64encode(_FAKE_CA_PEM.encode()).decode()


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()


@dataclass
class MockEnv:
    """Stack-level facts the mocks answer with: account, regions, project."""

    project: str
    stack: str
    aws_region: str = DEFAULT_AWS_REGION
    gcp_region: str = DEFAULT_GCP_REGION
    gcp_project: str = DEFAULT_GCP_PROJECT
    account_id: str = ACCOUNT_ID

    @classmethod
    def from_config(cls, project: str, stack: str, config: dict[str, str]) -> MockEnv:
        return cls(
            project=project,
            stack=stack,
            aws_region=config.get("aws:region") or DEFAULT_AWS_REGION,
            gcp_region=config.get("gcp:region") or DEFAULT_GCP_REGION,
            gcp_project=config.get("gcp:project") or DEFAULT_GCP_PROJECT,
        )


@dataclass
class MockRequest:
    """One resource registration as the mocks see it."""

    type: str
    name: str
    inputs: dict[str, Any]
    env: MockEnv
    urn: str

    def hex(self, n: int, salt: str = "") -> str:
        return _digest(self.urn, salt)[:n]

    def physical_name(self, prop: str = "name", *, lower: bool = False, max_len: int | None = None) -> str:
        """The input ``prop`` when set, else Pulumi's auto-name: logical name + '-' + 7 hex characters."""
        given = self.inputs.get(prop)
        if isinstance(given, str) and given:
            return given
        prefix = self.inputs.get(f"{prop}Prefix")
        base = prefix if isinstance(prefix, str) and prefix else f"{self.name}-"
        name = f"{base}{self.hex(7)}"
        if lower:
            name = name.lower()
        if max_len and len(name) > max_len:
            name = name[: max_len - 8] + "-" + self.hex(7)
        return name

    @property
    def region(self) -> str:
        return self.inputs.get("region") or self.env.aws_region

    def arn(self, service: str, resource: str, *, region: bool = True, account: bool = True) -> str:
        reg = self.region if region else ""
        acct = self.env.account_id if account else ""
        return f"arn:aws:{service}:{reg}:{acct}:{resource}"

    def aws_id(self, prefix: str) -> str:
        return f"{prefix}-{self.hex(17)}"

    @property
    def gcp_project(self) -> str:
        return self.inputs.get("project") or self.env.gcp_project

    @property
    def gcp_region(self) -> str:
        return self.inputs.get("region") or self.inputs.get("location") or self.env.gcp_region

    def gcp_name(self, max_len: int = 63) -> str:
        """The name the program gave, else the auto-name GCP's provider would pick."""
        return self.inputs.get("name") or self.physical_name(lower=True, max_len=max_len)

    def gcp_located(self, collection: str, name: str) -> str:
        """``projects/<p>/locations/<region>/<collection>/<name>``: the id of a regional GCP resource."""
        return f"projects/{self.gcp_project}/locations/{self.gcp_region}/{collection}/{name}"


Computed = Callable[[MockRequest], dict[str, Any]]
RESOURCE_OUTPUTS: dict[str, Computed] = {}
# Output properties whose value is the resource id (the provider's import id), when it is not the URN hash.
ID_PROPERTY: dict[str, str] = {}


def resource(*types: str, id_from: str | None = None) -> Callable[[Computed], Computed]:
    def register(fn: Computed) -> Computed:
        for t in types:
            RESOURCE_OUTPUTS[t] = fn
            if id_from:
                ID_PROPERTY[t] = id_from
        return fn

    return register


# --- AWS: identity, keys, storage --------------------------------------------------------------------------


@resource(AWS_IAM_ROLE, id_from="name")
def _iam_role(r: MockRequest) -> dict:
    name = r.physical_name(max_len=64)
    path = r.inputs.get("path") or "/"
    return {
        "name": name,
        "path": path,
        "arn": r.arn("iam", f"role{path}{name}", region=False),
        "uniqueId": "AROA" + r.hex(17).upper(),
        "createDate": "2026-01-01T00:00:00Z",
    }


@resource(AWS_IAM_POLICY, id_from="arn")
def _iam_policy(r: MockRequest) -> dict:
    name = r.physical_name()
    path = r.inputs.get("path") or "/"
    return {
        "name": name,
        "path": path,
        "arn": r.arn("iam", f"policy{path}{name}", region=False),
        "policyId": "ANPA" + r.hex(17).upper(),
        "attachmentCount": 0,
    }


@resource(AWS_IAM_ROLE_POLICY)
def _iam_role_policy(r: MockRequest) -> dict:
    return {"name": r.physical_name()}


@resource(AWS_IAM_INSTANCE_PROFILE, id_from="name")
def _instance_profile(r: MockRequest) -> dict:
    name = r.physical_name()
    return {
        "name": name,
        "arn": r.arn("iam", f"instance-profile/{name}", region=False),
        "uniqueId": "AIPA" + r.hex(17).upper(),
    }


@resource(AWS_IAM_OPEN_ID_CONNECT_PROVIDER, id_from="arn")
def _oidc_provider(r: MockRequest) -> dict:
    url = str(r.inputs.get("url", "")).removeprefix("https://")
    return {"arn": r.arn("iam", f"oidc-provider/{url}", region=False)}


@resource(AWS_KMS_KEY, id_from="keyId")
def _kms_key(r: MockRequest) -> dict:
    h = r.hex(32)
    key_id = f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"
    return {
        "keyId": key_id,
        "arn": r.arn("kms", f"key/{key_id}"),
        "keyUsage": r.inputs.get("keyUsage", "ENCRYPT_DECRYPT"),
        "enableKeyRotation": r.inputs.get("enableKeyRotation", False),
    }


@resource(AWS_KMS_ALIAS, id_from="name")
def _kms_alias(r: MockRequest) -> dict:
    name = r.physical_name()
    return {
        "name": name,
        "arn": r.arn("kms", name),
        "targetKeyArn": r.arn("kms", f"key/{r.inputs.get('targetKeyId', '')}"),
    }


@resource(AWS_S3_BUCKET, AWS_S3_BUCKET_V2, id_from="bucket")
def _s3_bucket(r: MockRequest) -> dict:
    name = r.physical_name("bucket", lower=True, max_len=63)
    region = r.region
    return {
        "bucket": name,
        "arn": f"arn:aws:s3:::{name}",
        "region": region,
        "bucketDomainName": f"{name}.s3.amazonaws.com",
        "bucketRegionalDomainName": f"{name}.s3.{region}.amazonaws.com",
        "hostedZoneId": "Z3AQBSTGFYJSTF",
    }


@resource(AWS_SECRETSMANAGER_SECRET, id_from="arn")
def _secret(r: MockRequest) -> dict:
    name = r.physical_name()
    return {"name": name, "arn": r.arn("secretsmanager", f"secret:{name}-{r.hex(6)}")}


@resource(AWS_DYNAMODB_TABLE, id_from="name")
def _dynamodb_table(r: MockRequest) -> dict:
    name = r.physical_name()
    arn = r.arn("dynamodb", f"table/{name}")
    return {"name": name, "arn": arn, "streamArn": f"{arn}/stream/2026-01-01T00:00:00.000"}


@resource(AWS_GLUE_CATALOG_DATABASE)
def _glue_db(r: MockRequest) -> dict:
    name = r.physical_name()
    return {"name": name, "arn": r.arn("glue", f"database/{name}"), "catalogId": r.env.account_id}


@resource(AWS_ATHENA_WORKGROUP, id_from="name")
def _athena_wg(r: MockRequest) -> dict:
    name = r.physical_name()
    return {"name": name, "arn": r.arn("athena", f"workgroup/{name}")}


# --- AWS: network ------------------------------------------------------------------------------------------


@resource(AWS_EC2_VPC)
def _vpc(r: MockRequest) -> dict:
    vid = r.aws_id("vpc")
    return {
        "__id": vid,
        "arn": r.arn("ec2", f"vpc/{vid}"),
        "defaultSecurityGroupId": r.aws_id("sg"),
        "mainRouteTableId": r.aws_id("rtb"),
        "defaultRouteTableId": r.aws_id("rtb"),
        "defaultNetworkAclId": r.aws_id("acl"),
        "ownerId": r.env.account_id,
    }


def _ec2(prefix: str, kind: str) -> Computed:
    def compute(r: MockRequest) -> dict:
        rid = r.aws_id(prefix)
        return {"__id": rid, "arn": r.arn("ec2", f"{kind}/{rid}"), "ownerId": r.env.account_id}

    return compute


resource(AWS_EC2_SUBNET)(_ec2("subnet", "subnet"))
resource(AWS_EC2_INTERNET_GATEWAY)(_ec2("igw", "internet-gateway"))
resource(AWS_EC2_ROUTE_TABLE)(_ec2("rtb", "route-table"))
resource(AWS_EC2_VPC_ENDPOINT)(_ec2("vpce", "vpc-endpoint"))
resource(AWS_EC2_NETWORK_ACL)(_ec2("acl", "network-acl"))


@resource(AWS_EC2_EIP)
def _eip(r: MockRequest) -> dict:
    n = int(r.hex(4), 16)
    return {
        "__id": r.aws_id("eipalloc"),
        "allocationId": r.aws_id("eipalloc"),
        "publicIp": f"3.{(n >> 8) % 256}.{n % 256}.{(n >> 4) % 250 + 1}",
        "domain": "vpc",
    }


@resource(AWS_EC2_NAT_GATEWAY)
def _nat(r: MockRequest) -> dict:
    return {
        "__id": r.aws_id("nat"),
        "publicIp": "3.0.0.1",
        "privateIp": "10.0.0.10",
        "networkInterfaceId": r.aws_id("eni"),
        "connectivityType": r.inputs.get("connectivityType", "public"),
    }


@resource(AWS_EC2_SECURITY_GROUP)
def _security_group(r: MockRequest) -> dict:
    sid = r.aws_id("sg")
    return {
        "__id": sid,
        "name": r.physical_name(),
        "arn": r.arn("ec2", f"security-group/{sid}"),
        "ownerId": r.env.account_id,
    }


@resource(
    AWS_VPC_SECURITY_GROUP_INGRESS_RULE,
    AWS_VPC_SECURITY_GROUP_EGRESS_RULE,
)
def _sg_rule(r: MockRequest) -> dict:
    rid = r.aws_id("sgr")
    return {"__id": rid, "securityGroupRuleId": rid, "arn": r.arn("ec2", f"security-group-rule/{rid}")}


@resource(AWS_EC2_INSTANCE)
def _ec2_instance(r: MockRequest) -> dict:
    iid = r.aws_id("i")
    n = int(r.hex(4), 16)
    return {
        "__id": iid,
        "arn": r.arn("ec2", f"instance/{iid}"),
        "primaryNetworkInterfaceId": r.aws_id("eni"),
        "privateIp": f"10.0.{n % 250}.{(n >> 8) % 250 + 4}",
        "instanceState": "running",
        "availabilityZone": r.inputs.get("availabilityZone") or f"{r.region}a",
    }


@resource(AWS_EC2_LAUNCH_TEMPLATE)
def _launch_template(r: MockRequest) -> dict:
    lid = r.aws_id("lt")
    return {
        "__id": lid,
        "name": r.physical_name(),
        "arn": r.arn("ec2", f"launch-template/{lid}"),
        "latestVersion": 1,
        "defaultVersion": 1,
    }


# --- AWS: EKS ----------------------------------------------------------------------------------------------


@resource(AWS_EKS_CLUSTER, id_from="name")
def _eks_cluster(r: MockRequest) -> dict:
    name = r.physical_name(max_len=100)
    h = r.hex(32).upper()
    region = r.region
    return {
        "name": name,
        "arn": r.arn("eks", f"cluster/{name}"),
        "endpoint": f"https://{h}.gr7.{region}.eks.amazonaws.com",
        "certificateAuthority": {"data": FAKE_CA_DATA},
        "certificateAuthorities": [{"data": FAKE_CA_DATA}],
        "identities": [{"oidcs": [{"issuer": f"https://oidc.eks.{region}.amazonaws.com/id/{h}"}]}],
        "version": r.inputs.get("version") or "1.33",
        "platformVersion": "eks.1",
        "status": "ACTIVE",
        "clusterId": r.hex(8) + "-" + r.hex(4, "a") + "-" + r.hex(4, "b") + "-" + r.hex(4, "c") + "-" + r.hex(12, "d"),
        "createdAt": "2026-01-01T00:00:00Z",
        "vpcConfig": {
            **(r.inputs.get("vpcConfig") or {}),
            "clusterSecurityGroupId": r.aws_id("sg"),
            "vpcId": r.aws_id("vpc"),
        },
    }


@resource(AWS_EKS_NODE_GROUP)
def _eks_node_group(r: MockRequest) -> dict:
    name = r.physical_name("nodeGroupName")
    cluster = r.inputs.get("clusterName", "cluster")
    return {
        "__id": f"{cluster}:{name}",
        "nodeGroupName": name,
        "arn": r.arn("eks", f"nodegroup/{cluster}/{name}/{r.hex(8)}"),
        "status": "ACTIVE",
        "resources": [{"autoscalingGroups": [{"name": f"eks-{name}-{r.hex(8)}"}], "remoteAccessSecurityGroupId": ""}],
        "version": r.inputs.get("version") or "1.33",
    }


@resource(AWS_EKS_ADDON)
def _eks_addon(r: MockRequest) -> dict:
    cluster, addon = r.inputs.get("clusterName", "cluster"), r.inputs.get("addonName", r.name)
    return {
        "__id": f"{cluster}:{addon}",
        "arn": r.arn("eks", f"addon/{cluster}/{addon}/{r.hex(8)}"),
        "addonVersion": r.inputs.get("addonVersion") or "v1.0.0-eksbuild.1",
    }


@resource(AWS_EKS_ACCESS_ENTRY)
def _eks_access_entry(r: MockRequest) -> dict:
    cluster = r.inputs.get("clusterName", "cluster")
    return {
        "__id": f"{cluster}:{r.inputs.get('principalArn', '')}",
        "accessEntryArn": r.arn("eks", f"access-entry/{cluster}/{r.hex(8)}"),
        "type": r.inputs.get("type", "STANDARD"),
        "kubernetesGroups": r.inputs.get("kubernetesGroups", []),
    }


@resource(AWS_EKS_ACCESS_POLICY_ASSOCIATION)
def _eks_access_policy(r: MockRequest) -> dict:
    return {"associatedAt": "2026-01-01T00:00:00Z"}


@resource(AWS_EKS_POD_IDENTITY_ASSOCIATION)
def _eks_pod_identity(r: MockRequest) -> dict:
    aid = "a-" + r.hex(17)
    cluster = r.inputs.get("clusterName", "cluster")
    return {
        "__id": aid,
        "associationId": aid,
        "associationArn": r.arn("eks", f"podidentityassociation/{cluster}/{aid}"),
    }


# --- AWS: messaging, events, monitoring, budgets -----------------------------------------------------------


@resource(AWS_SQS_QUEUE)
def _sqs_queue(r: MockRequest) -> dict:
    name = r.physical_name(max_len=80)
    url = f"https://sqs.{r.region}.amazonaws.com/{r.env.account_id}/{name}"
    return {"__id": url, "name": name, "arn": r.arn("sqs", name), "url": url}


@resource(AWS_SNS_TOPIC, id_from="arn")
def _sns_topic(r: MockRequest) -> dict:
    name = r.physical_name()
    return {"name": name, "arn": r.arn("sns", name), "owner": r.env.account_id}


@resource(AWS_SNS_TOPIC_SUBSCRIPTION, id_from="arn")
def _sns_subscription(r: MockRequest) -> dict:
    return {
        "arn": f"{r.inputs.get('topic', r.arn('sns', 'topic'))}:{r.hex(8)}-{r.hex(4, 'x')}",
        "pendingConfirmation": r.inputs.get("protocol") in ("email", "https"),
    }


@resource(AWS_CLOUDWATCH_EVENT_RULE, id_from="name")
def _event_rule(r: MockRequest) -> dict:
    name = r.physical_name()
    return {"name": name, "arn": r.arn("events", f"rule/{name}")}


@resource(AWS_CLOUDWATCH_EVENT_TARGET)
def _event_target(r: MockRequest) -> dict:
    return {"targetId": r.inputs.get("targetId") or r.physical_name("targetId")}


@resource(AWS_CLOUDWATCH_METRIC_ALARM, id_from="name")
def _alarm(r: MockRequest) -> dict:
    name = r.physical_name()
    return {"name": name, "arn": r.arn("cloudwatch", f"alarm:{name}")}


@resource(AWS_CLOUDWATCH_DASHBOARD)
def _dashboard(r: MockRequest) -> dict:
    name = r.physical_name("dashboardName")
    return {"__id": name, "dashboardName": name, "dashboardArn": r.arn("cloudwatch", f"dashboard/{name}", region=False)}


@resource(AWS_CLOUDWATCH_LOG_GROUP, id_from="name")
def _log_group(r: MockRequest) -> dict:
    name = r.physical_name()
    return {"name": name, "arn": r.arn("logs", f"log-group:{name}")}


@resource(AWS_BUDGETS_BUDGET)
def _budget(r: MockRequest) -> dict:
    name = r.physical_name()
    return {
        "__id": f"{r.env.account_id}:{name}",
        "name": name,
        "arn": f"arn:aws:budgets::{r.env.account_id}:budget/{name}",
        "accountId": r.env.account_id,
    }


@resource(AWS_COSTEXPLORER_ANOMALY_MONITOR, AWS_COSTEXPLORER_ANOMALY_SUBSCRIPTION)
def _anomaly(r: MockRequest) -> dict:
    return {"arn": f"arn:aws:ce::{r.env.account_id}:anomaly/{r.hex(36)}", "name": r.physical_name()}


# --- AWS: databases, caches, SageMaker, autoscaling --------------------------------------------------------


@resource(AWS_RDS_INSTANCE, id_from="identifier")
def _rds_instance(r: MockRequest) -> dict:
    ident = r.physical_name("identifier", lower=True, max_len=63)
    address = f"{ident}.c{r.hex(11)}.{r.region}.rds.amazonaws.com"
    port = int(r.inputs.get("port") or 5432)
    out = {
        "identifier": ident,
        "arn": r.arn("rds", f"db:{ident}"),
        "address": address,
        "endpoint": f"{address}:{port}",
        "port": port,
        "resourceId": "db-" + r.hex(26).upper(),
        "hostedZoneId": "Z2R2ITUGPM61AM",
        "status": "available",
    }
    if r.inputs.get("manageMasterUserPassword"):
        out["masterUserSecrets"] = [
            {
                "secretArn": r.arn("secretsmanager", f"secret:rds!db-{r.hex(8)}-{r.hex(6, 's')}"),
                "secretStatus": "active",
                "kmsKeyId": "",
            }
        ]
    return out


@resource(AWS_RDS_SUBNET_GROUP, AWS_RDS_PARAMETER_GROUP, id_from="name")
def _rds_group(r: MockRequest) -> dict:
    name = r.physical_name(lower=True)
    kind = "subgrp" if "subnetGroup" in r.type else "pg"
    return {"name": name, "arn": r.arn("rds", f"{kind}:{name}")}


@resource(AWS_ELASTICACHE_REPLICATION_GROUP, id_from="replicationGroupId")
def _redis(r: MockRequest) -> dict:
    rid = r.physical_name("replicationGroupId", lower=True, max_len=40)
    host = f"master.{rid}.{r.hex(6)}.use1.cache.amazonaws.com"
    return {
        "replicationGroupId": rid,
        "arn": r.arn("elasticache", f"replicationgroup:{rid}"),
        "primaryEndpointAddress": host,
        "readerEndpointAddress": host.replace("master.", "replica."),
        "port": r.inputs.get("port") or 6379,
    }


@resource(AWS_ELASTICACHE_SUBNET_GROUP, id_from="name")
def _cache_subnet_group(r: MockRequest) -> dict:
    name = r.physical_name(lower=True)
    return {"name": name, "arn": r.arn("elasticache", f"subnetgroup:{name}")}


@resource(AWS_SAGEMAKER_MODEL, id_from="name")
def _sm_model(r: MockRequest) -> dict:
    name = r.physical_name()
    return {"name": name, "arn": r.arn("sagemaker", f"model/{name}")}


@resource(AWS_SAGEMAKER_ENDPOINT_CONFIGURATION, id_from="name")
def _sm_endpoint_config(r: MockRequest) -> dict:
    name = r.physical_name()
    return {"name": name, "arn": r.arn("sagemaker", f"endpoint-config/{name}")}


@resource(AWS_SAGEMAKER_ENDPOINT, id_from="name")
def _sm_endpoint(r: MockRequest) -> dict:
    name = r.physical_name()
    return {"name": name, "arn": r.arn("sagemaker", f"endpoint/{name}")}


@resource(AWS_APPAUTOSCALING_TARGET)
def _aas_target(r: MockRequest) -> dict:
    return {
        "__id": r.inputs.get("resourceId", r.name),
        "arn": r.arn("application-autoscaling", f"scalable-target/{r.hex(20)}"),
    }


@resource(AWS_APPAUTOSCALING_POLICY, id_from="name")
def _aas_policy(r: MockRequest) -> dict:
    name = r.physical_name()
    return {"name": name, "arn": r.arn("autoscaling", f"scalingPolicy:{r.hex(36)}:resource/{name}"), "alarmArns": []}


# --- GCP ---------------------------------------------------------------------------------------------------


def _gcp_self_link(r: MockRequest, path: str) -> str:
    return f"https://www.googleapis.com/compute/v1/projects/{r.gcp_project}/{path}"


@resource(GCP_COMPUTE_NETWORK)
def _gcp_network(r: MockRequest) -> dict:
    name = r.physical_name(lower=True)
    path = f"global/networks/{name}"
    return {
        "__id": f"projects/{r.gcp_project}/{path}",
        "name": name,
        "project": r.gcp_project,
        "selfLink": _gcp_self_link(r, path),
        "networkId": str(int(r.hex(12), 16)),
    }


@resource(GCP_COMPUTE_SUBNETWORK)
def _gcp_subnetwork(r: MockRequest) -> dict:
    name = r.physical_name(lower=True)
    path = f"regions/{r.gcp_region}/subnetworks/{name}"
    return {
        "__id": f"projects/{r.gcp_project}/{path}",
        "name": name,
        "project": r.gcp_project,
        "region": r.gcp_region,
        "selfLink": _gcp_self_link(r, path),
        "gatewayAddress": "10.10.0.1",
    }


@resource(
    GCP_COMPUTE_ROUTER,
    GCP_COMPUTE_ROUTER_NAT,
    GCP_COMPUTE_FIREWALL,
    GCP_COMPUTE_GLOBAL_ADDRESS,
)
def _gcp_compute_misc(r: MockRequest) -> dict:
    name = r.physical_name(lower=True)
    kind = r.type.rsplit(":", 1)[1].lower() + "s"
    out = {
        "__id": f"projects/{r.gcp_project}/{kind}/{name}",
        "name": name,
        "project": r.gcp_project,
        "selfLink": _gcp_self_link(r, f"global/{kind}/{name}"),
    }
    if r.type == GCP_COMPUTE_GLOBAL_ADDRESS and not r.inputs.get("address"):
        # GCP picks a free block of the requested size for a peering range.
        out["address"] = f"10.{100 + int(r.hex(2), 16) % 100}.0.0"
    return out


@resource(GCP_CONTAINER_CLUSTER)
def _gke_cluster(r: MockRequest) -> dict:
    name = r.physical_name(lower=True, max_len=40)
    location = r.inputs.get("location") or r.gcp_region
    n = int(r.hex(4), 16)
    return {
        "__id": f"projects/{r.gcp_project}/locations/{location}/clusters/{name}",
        "name": name,
        "location": location,
        "project": r.gcp_project,
        "endpoint": f"34.{n % 200 + 20}.{(n >> 8) % 250}.10",
        "masterAuth": {"clusterCaCertificate": FAKE_CA_DATA},
        "selfLink": _gcp_self_link(r, f"zones/{location}/clusters/{name}"),
        "masterVersion": r.inputs.get("minMasterVersion") or "1.33.5-gke.1000000",
        "labelFingerprint": r.hex(8),
    }


@resource(GCP_CONTAINER_NODE_POOL)
def _gke_node_pool(r: MockRequest) -> dict:
    name = r.physical_name(lower=True)
    location = r.inputs.get("location") or r.gcp_region
    return {
        "__id": f"projects/{r.gcp_project}/locations/{location}/clusters/{r.inputs.get('cluster', '')}"
        f"/nodePools/{name}",
        "name": name,
        "instanceGroupUrls": [_gcp_self_link(r, f"zones/{location}-a/instanceGroupManagers/gke-{name}")],
        "version": "1.33.5-gke.1000000",
    }


@resource(GCP_STORAGE_BUCKET)
def _gcs_bucket(r: MockRequest) -> dict:
    name = r.physical_name(lower=True, max_len=63)
    return {
        "__id": name,
        "name": name,
        "url": f"gs://{name}",
        "selfLink": f"https://www.googleapis.com/storage/v1/b/{name}",
        "project": r.gcp_project,
    }


@resource(GCP_SERVICEACCOUNT_ACCOUNT)
def _gcp_service_account(r: MockRequest) -> dict:
    account_id = r.inputs.get("accountId") or r.physical_name("accountId", lower=True, max_len=30)
    email = f"{account_id}@{r.gcp_project}.iam.gserviceaccount.com"
    return {
        "__id": f"projects/{r.gcp_project}/serviceAccounts/{email}",
        "accountId": account_id,
        "email": email,
        "name": f"projects/{r.gcp_project}/serviceAccounts/{email}",
        "uniqueId": str(int(r.hex(15), 16)),
        "member": f"serviceAccount:{email}",
    }


@resource(GCP_SQL_DATABASE_INSTANCE)
def _cloud_sql(r: MockRequest) -> dict:
    name = r.physical_name(lower=True)
    region = r.inputs.get("region") or r.gcp_region
    return {
        "__id": name,
        "name": name,
        "connectionName": f"{r.gcp_project}:{region}:{name}",
        "privateIpAddress": "10.20.0.3",
        "publicIpAddress": "",
        "selfLink": f"https://sqladmin.googleapis.com/sql/v1beta4/projects/{r.gcp_project}/instances/{name}",
        "ipAddresses": [{"ipAddress": "10.20.0.3", "type": "PRIVATE"}],
        "serviceAccountEmailAddress": f"p{r.hex(10)}@gcp-sa-cloud-sql.iam.gserviceaccount.com",
    }


@resource(GCP_CLOUDRUNV2_SERVICE)
def _cloud_run(r: MockRequest) -> dict:
    name = r.physical_name(lower=True)
    location = r.inputs.get("location") or r.gcp_region
    return {
        "__id": f"projects/{r.gcp_project}/locations/{location}/services/{name}",
        "name": name,
        "uri": f"https://{name}-{r.hex(10)}-uc.a.run.app",
        "uid": r.hex(32),
        "latestReadyRevision": f"{name}-00001-abc",
    }


@resource(GCP_BIGQUERY_DATASET)
def _bq_dataset(r: MockRequest) -> dict:
    ds = r.inputs.get("datasetId") or r.physical_name("datasetId").replace("-", "_")
    return {
        "__id": f"projects/{r.gcp_project}/datasets/{ds}",
        "datasetId": ds,
        "project": r.gcp_project,
        "selfLink": f"https://bigquery.googleapis.com/bigquery/v2/projects/{r.gcp_project}/datasets/{ds}",
    }


@resource(GCP_KMS_KEY_RING)
def _gcp_key_ring(r: MockRequest) -> dict:
    name = r.gcp_name()
    return {"__id": r.gcp_located("keyRings", name), "name": name}


@resource(GCP_KMS_CRYPTO_KEY)
def _gcp_crypto_key(r: MockRequest) -> dict:
    name = r.gcp_name()
    ring = r.inputs.get("keyRing") or r.gcp_located("keyRings", "ring")
    return {"__id": f"{ring}/cryptoKeys/{name}", "name": name}


@resource(GCP_REDIS_INSTANCE)
def _memorystore(r: MockRequest) -> dict:
    name = r.gcp_name(max_len=40)
    return {
        "__id": r.gcp_located("instances", name),
        "name": name,
        "host": f"10.30.{int(r.hex(2), 16) % 250}.{int(r.hex(2, 'h'), 16) % 250 + 3}",
        "port": 6378 if r.inputs.get("transitEncryptionMode") == "SERVER_AUTHENTICATION" else 6379,
        "authString": r.hex(36, "auth"),
        "serverCaCerts": [{"cert": "-----BEGIN CERTIFICATE-----\nMOCK\n-----END CERTIFICATE-----\n"}],
        "currentLocationId": f"{r.gcp_region}-a",
    }


@resource(GCP_FIRESTORE_DATABASE)
def _firestore_db(r: MockRequest) -> dict:
    name = r.gcp_name()
    return {"__id": f"projects/{r.gcp_project}/databases/{name}", "name": name, "uid": r.hex(32)}


@resource(GCP_VERTEX_AI_ENDPOINT)
def _vertex_endpoint(r: MockRequest) -> dict:
    name = r.inputs.get("name") or str(int(r.hex(9), 16))  # Vertex endpoint ids are numeric
    return {
        "__id": r.gcp_located("endpoints", name),
        "name": name,
        "dedicatedEndpointDns": f"{name}.{r.gcp_region}-{r.hex(8)}.prediction.vertexai.goog",
    }


@resource(GCP_VERTEX_AI_DEPLOYMENT_RESOURCE_POOL)
def _vertex_pool(r: MockRequest) -> dict:
    name = r.gcp_name()
    return {"__id": r.gcp_located("deploymentResourcePools", name), "name": name}


@resource(GCP_MONITORING_DASHBOARD)
def _gcp_dashboard(r: MockRequest) -> dict:
    return {"__id": f"projects/{int(r.hex(11), 16)}/dashboards/{r.hex(8)}-{r.hex(4, 'd')}"}


@resource(GCP_MONITORING_NOTIFICATION_CHANNEL, GCP_MONITORING_ALERT_POLICY)
def _gcp_monitoring(r: MockRequest) -> dict:
    kind = "notificationChannels" if "notification" in r.type else "alertPolicies"
    name = f"projects/{r.gcp_project}/{kind}/{int(r.hex(15), 16)}"
    return {"__id": name, "name": name}


@resource(GCP_BILLING_BUDGET)
def _gcp_budget(r: MockRequest) -> dict:
    name = f"billingAccounts/{r.inputs.get('billingAccount', '000000-000000-000000')}/budgets/{r.hex(36)}"
    return {"__id": name, "name": name}


# --- Kubernetes, Helm, random ------------------------------------------------------------------------------

_CLUSTER_SCOPED = {
    "Namespace",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "StorageClass",
    "PriorityClass",
    "NodePool",
    "EC2NodeClass",
    "PersistentVolume",
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
    "RuntimeClass",
}


def _kubernetes(r: MockRequest) -> dict:
    kind = r.type.rsplit(":", 1)[1]
    meta = dict(r.inputs.get("metadata") or {})
    meta.setdefault("name", f"{r.name}-{r.hex(8)}")
    if kind not in _CLUSTER_SCOPED:
        meta.setdefault("namespace", "default")
    meta.update(
        uid=f"{r.hex(8)}-{r.hex(4, 'u')}-{r.hex(4, 'v')}-{r.hex(4, 'w')}-{r.hex(12, 'x')}",
        resourceVersion=str(int(r.hex(5), 16)),
        generation=1,
        creationTimestamp="2026-01-01T00:00:00Z",
    )
    ns = meta.get("namespace")
    out: dict[str, Any] = {"metadata": meta, "__id": f"{ns}/{meta['name']}" if ns else meta["name"]}
    if kind == "Service":
        spec = dict(r.inputs.get("spec") or {})
        spec.setdefault("clusterIP", f"172.20.{int(r.hex(2), 16)}.{int(r.hex(2, 's'), 16) % 250 + 1}")
        out["spec"] = spec
    if kind == "Ingress":
        # What the controller writes once the load balancer exists (Pulumi's await waits for it).
        annotations = meta.get("annotations") or {}
        scheme = "internal-" if annotations.get("alb.ingress.kubernetes.io/scheme", "internal") == "internal" else ""
        host = f"{scheme}k8s-{meta.get('namespace', 'default')[:8]}-{r.hex(10)}.{r.region}.elb.amazonaws.com"
        out["status"] = {"loadBalancer": {"ingress": [{"hostname": host}]}}
    return out


def _helm_release(r: MockRequest) -> dict:
    name = r.inputs.get("name") or r.physical_name(lower=True, max_len=53)
    ns = r.inputs.get("namespace") or "default"
    chart = r.inputs.get("chart", "")
    return {
        "__id": f"{ns}/{name}",
        "name": name,
        "namespace": ns,
        "status": {
            "name": name,
            "namespace": ns,
            "chart": chart,
            "version": r.inputs.get("version", ""),
            "appVersion": r.inputs.get("version", ""),
            "status": "deployed",
            "revision": 1,
        },
    }


_ALPHANUM = string.ascii_letters + string.digits


def _random_chars(r: MockRequest, length: int, special: bool) -> str:
    alphabet = _ALPHANUM + ("!#$%&*()-_=+[]{}<>:?" if special else "")
    digest = hashlib.sha256(r.urn.encode()).digest() * (length // 32 + 1)
    return "".join(alphabet[b % len(alphabet)] for b in digest[:length])


@resource(RANDOM_PASSWORD, RANDOM_STRING)
def _random_string(r: MockRequest) -> dict:
    length = int(r.inputs.get("length") or 16)
    special = bool(r.inputs.get("special", True)) and r.inputs.get("overrideSpecial") != ""
    result = _random_chars(r, length, special)
    out: dict[str, Any] = {"result": result}
    if r.type.endswith("RandomPassword"):
        out["bcryptHash"] = "$2a$10$" + base64.b64encode(hashlib.sha256(result.encode()).digest()).decode()[:53]
    return out


@resource(RANDOM_ID)
def _random_id(r: MockRequest) -> dict:
    n = int(r.inputs.get("byteLength") or 8)
    raw = hashlib.sha256(r.urn.encode()).digest()[:n]
    return {
        "hex": raw.hex(),
        "b64Url": base64.urlsafe_b64encode(raw).decode().rstrip("="),
        "b64Std": base64.b64encode(raw).decode(),
        "dec": str(int.from_bytes(raw, "big")),
    }


@resource(RANDOM_PET)
def _random_pet(r: MockRequest) -> dict:
    return {"__id": f"{r.name}-{r.hex(6)}"}


def outputs_for(req: MockRequest) -> tuple[str, dict[str, Any]]:
    """(id, state) for a resource registration: inputs, plus what its provider would compute."""
    state = dict(req.inputs)
    if req.type.startswith("kubernetes:"):
        computed = _helm_release(req) if req.type == K8S_HELM_RELEASE else _kubernetes(req)
    elif req.type.startswith("pulumi:providers:"):
        computed = {"__id": f"{req.hex(8)}-{req.hex(4, 'p')}-{req.hex(4, 'q')}-{req.hex(4, 'r')}-{req.hex(12, 's')}"}
    else:
        fn = RESOURCE_OUTPUTS.get(req.type)
        computed = fn(req) if fn else {}
    rid = computed.pop("__id", None)
    state.update(computed)
    if rid is None:
        prop = ID_PROPERTY.get(req.type)
        rid = str(state[prop]) if prop and state.get(prop) else f"{req.name}-{req.hex(8)}"
    if req.type.startswith("aws:") and "tags" in state:
        state["tagsAll"] = dict(state.get("tags") or {})
    return rid, state


# --- invokes -----------------------------------------------------------------------------------------------

Invoke = Callable[[dict[str, Any], MockEnv], dict[str, Any]]
INVOKES: dict[str, Invoke] = {}


def invoke(*tokens: str) -> Callable[[Invoke], Invoke]:
    def register(fn: Invoke) -> Invoke:
        for t in tokens:
            INVOKES[t] = fn
        return fn

    return register


@invoke(AWS_GET_CALLER_IDENTITY)
def _caller_identity(args: dict, env: MockEnv) -> dict:
    return {
        "accountId": env.account_id,
        "arn": f"arn:aws:iam::{env.account_id}:user/mlplatform-mock",
        "userId": "AIDAMOCKMOCKMOCKMOCK",
        "id": env.account_id,
    }


@invoke(AWS_GET_REGION)
def _region(args: dict, env: MockEnv) -> dict:
    region = args.get("region") or args.get("name") or env.aws_region
    return {
        "name": region,
        "region": region,
        "id": region,
        "endpoint": f"ec2.{region}.amazonaws.com",
        "description": region,
    }


@invoke(AWS_GET_PARTITION)
def _partition(args: dict, env: MockEnv) -> dict:
    return {"partition": "aws", "dnsSuffix": "amazonaws.com", "reverseDnsPrefix": "com.amazonaws", "id": "aws"}


@invoke(AWS_GET_AVAILABILITY_ZONES)
def _azs(args: dict, env: MockEnv) -> dict:
    region = args.get("region") or env.aws_region
    short = "".join(p[0] for p in region.split("-")[:2]) + region.split("-")[-1]
    names = [f"{region}{s}" for s in "abcd"]
    return {
        "names": names,
        "zoneIds": [f"{short}-az{i}" for i in range(1, 5)],
        "state": "available",
        "id": region,
        "groupNames": [region],
    }


@invoke(AWS_EC2_GET_AMI)
def _ami(args: dict, env: MockEnv) -> dict:
    h = _digest(json.dumps(args, sort_keys=True, default=str))
    return {
        "id": f"ami-{h[:17]}",
        "imageId": f"ami-{h[:17]}",
        "arn": f"arn:aws:ec2:{env.aws_region}::image/ami-{h[:17]}",
        "name": "amazon-eks-node-al2023-x86_64-standard-1.33-v20260101",
        "architecture": "x86_64",
        "ownerId": "602401143452",
        "rootDeviceName": "/dev/xvda",
    }


@invoke(AWS_SSM_GET_PARAMETER)
def _ssm_parameter(args: dict, env: MockEnv) -> dict:
    name = args.get("name", "")
    value = f"ami-{_digest(name)[:17]}" if "ami" in name or "image_id" in name else f"mock-value-of-{name}"
    return {
        "name": name,
        "value": value,
        "insecureValue": value,
        "type": "String",
        "version": 1,
        "id": name,
        "arn": f"arn:aws:ssm:{env.aws_region}:{env.account_id}:parameter{name}",
    }


@invoke(AWS_EKS_GET_CLUSTER)
def _get_eks_cluster(args: dict, env: MockEnv) -> dict:
    name = args.get("name", "cluster")
    h = _digest(name)[:32].upper()
    return {
        "name": name,
        "id": name,
        "arn": f"arn:aws:eks:{env.aws_region}:{env.account_id}:cluster/{name}",
        "endpoint": f"https://{h}.gr7.{env.aws_region}.eks.amazonaws.com",
        "version": "1.33",
        "status": "ACTIVE",
        "certificateAuthorities": [{"data": FAKE_CA_DATA}],
        "identities": [{"oidcs": [{"issuer": f"https://oidc.eks.{env.aws_region}.amazonaws.com/id/{h}"}]}],
        "vpcConfig": {
            "vpcId": f"vpc-{h[:17].lower()}",
            "clusterSecurityGroupId": f"sg-{h[:17].lower()}",
            "subnetIds": [],
            "securityGroupIds": [],
            "endpointPrivateAccess": True,
            "endpointPublicAccess": False,
            "publicAccessCidrs": [],
        },
        "accessConfigs": [{"authenticationMode": "API"}],
        "roleArn": f"arn:aws:iam::{env.account_id}:role/{name}-cluster",
    }


@invoke(AWS_EKS_GET_ADDON_VERSION)
def _addon_version(args: dict, env: MockEnv) -> dict:
    return {"version": "v1.0.0-eksbuild.1", "addonName": args.get("addonName"), "id": args.get("addonName")}


@invoke(AWS_IAM_GET_POLICY_DOCUMENT)
def _policy_document(args: dict, env: MockEnv) -> dict:
    """Renders the document the way the provider does, so policies built with get_policy_document are real JSON."""
    statements = []
    for st in args.get("statements") or []:
        out: dict[str, Any] = {}
        if st.get("sid"):
            out["Sid"] = st["sid"]
        out["Effect"] = st.get("effect", "Allow")
        for key, field in (
            ("actions", "Action"),
            ("notActions", "NotAction"),
            ("resources", "Resource"),
            ("notResources", "NotResource"),
        ):
            if st.get(key):
                vals = sorted(st[key])
                out[field] = vals[0] if len(vals) == 1 else vals
        for key, field in (("principals", "Principal"), ("notPrincipals", "NotPrincipal")):
            if st.get(key):
                principal: dict[str, Any] = {}
                for p in st[key]:
                    ids = p.get("identifiers", [])
                    principal[p["type"]] = ids[0] if len(ids) == 1 else ids
                out[field] = principal
        if st.get("conditions"):
            cond: dict[str, dict[str, Any]] = {}
            for c in st["conditions"]:
                vals = c.get("values", [])
                cond.setdefault(c["test"], {})[c["variable"]] = vals[0] if len(vals) == 1 else vals
            out["Condition"] = cond
        statements.append(out)
    doc = {"Version": args.get("version", "2012-10-17"), "Statement": statements}
    text = json.dumps(doc, indent=2)
    return {"json": text, "minifiedJson": json.dumps(doc, separators=(",", ":")), "id": _digest(text)[:10]}


@invoke(GCP_ORGANIZATIONS_GET_PROJECT)
def _gcp_project(args: dict, env: MockEnv) -> dict:
    project = args.get("projectId") or env.gcp_project
    number = str(int(_digest(project)[:11], 16))
    return {"projectId": project, "number": number, "name": project, "id": f"projects/{project}"}


@invoke(GCP_ORGANIZATIONS_GET_CLIENT_CONFIG)
def _gcp_client_config(args: dict, env: MockEnv) -> dict:
    return {
        "project": env.gcp_project,
        "region": env.gcp_region,
        "zone": f"{env.gcp_region}-a",
        "accessToken": "mock-access-token",
        "id": "client-config",
    }


@invoke(GCP_STORAGE_GET_PROJECT_SERVICE_ACCOUNT)
def _gcs_agent(args: dict, env: MockEnv) -> dict:
    number = str(int(_digest(args.get("project") or env.gcp_project)[:11], 16))
    email = f"service-{number}@gs-project-accounts.iam.gserviceaccount.com"
    return {"emailAddress": email, "member": f"serviceAccount:{email}", "id": email}


@invoke(GCP_BIGQUERY_GET_DEFAULT_SERVICE_ACCOUNT)
def _bigquery_agent(args: dict, env: MockEnv) -> dict:
    number = str(int(_digest(args.get("project") or env.gcp_project)[:11], 16))
    email = f"bq-{number}@bigquery-encryption.iam.gserviceaccount.com"
    return {"email": email, "member": f"serviceAccount:{email}", "id": email}


@invoke(GCP_COMPUTE_GET_ZONES)
def _gcp_zones(args: dict, env: MockEnv) -> dict:
    region = args.get("region") or env.gcp_region
    return {"names": [f"{region}-{z}" for z in "abcf"], "region": region, "project": env.gcp_project, "id": region}


@invoke(GCP_CONTAINER_GET_ENGINE_VERSIONS)
def _gke_versions(args: dict, env: MockEnv) -> dict:
    versions = ["1.35.1-gke.1000000", "1.34.3-gke.1000000", "1.33.5-gke.1000000", "1.32.9-gke.1000000"]
    prefix = args.get("versionPrefix") or ""
    matching = [v for v in versions if v.startswith(prefix)] or versions
    return {
        "latestMasterVersion": matching[0],
        "latestNodeVersion": matching[0],
        "validMasterVersions": matching,
        "validNodeVersions": matching,
        "defaultClusterVersion": matching[0],
        "releaseChannelDefaultVersion": {"REGULAR": matching[0], "STABLE": matching[-1]},
        "id": env.gcp_region,
    }


def invoke_result(token: str, args: dict[str, Any], env: MockEnv) -> dict[str, Any]:
    """What the provider would answer; unknown invokes echo their arguments."""
    fn = INVOKES.get(token)
    return fn(args, env) if fn else dict(args)


class ResourceArgsWithUrn(pulumi.runtime.MockResourceArgs):
    """The SDK's mock arguments with the resource's URN (the SDK leaves it out), from which ids are derived."""

    def __init__(self, urn: str, **kwargs: Any):
        super().__init__(**kwargs)
        self.urn = urn


class PlatformMocks(pulumi.runtime.Mocks):
    """``pulumi.runtime.Mocks`` answering from the tables above. Subclass to override single types."""

    def __init__(self, env: MockEnv):
        self.env = env

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        # URN is not part of MockResourceArgs; the engine's monitor passes ResourceArgsWithUrn.
        urn = args.urn if isinstance(args, ResourceArgsWithUrn) else f"{args.typ}::{args.name}"
        return outputs_for(MockRequest(args.typ, args.name, dict(args.inputs or {}), self.env, urn))

    def call(self, args: pulumi.runtime.MockCallArgs):
        return invoke_result(args.token, dict(args.args or {}), self.env), []
