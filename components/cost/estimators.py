"""Which estimator prices which resource type: one table built here from the estimator modules' own tables, the
types that cost nothing, and :func:`estimate`.

A type the model does not know is *not estimated* (never silently zero); types that cost nothing are listed in
:data:`FREE_TYPES`. To price a new type, write its estimator in the module of its cloud (or :mod:`.workloads` for
what runs on the cluster) and add it to that module's ``ESTIMATORS``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from ..base.resources import Resource
from ..base.types import (
    AWS_APPAUTOSCALING_POLICY,
    AWS_APPAUTOSCALING_TARGET,
    AWS_AUTOSCALING_TAG,
    AWS_BUDGETS_BUDGET,
    AWS_CLOUDWATCH_EVENT_RULE,
    AWS_CLOUDWATCH_EVENT_TARGET,
    AWS_COSTEXPLORER_ANOMALY_MONITOR,
    AWS_COSTEXPLORER_ANOMALY_SUBSCRIPTION,
    AWS_COSTEXPLORER_COST_ALLOCATION_TAG,
    AWS_EC2_DEFAULT_SECURITY_GROUP,
    AWS_EC2_INTERNET_GATEWAY,
    AWS_EC2_ROUTE,
    AWS_EC2_ROUTE_TABLE,
    AWS_EC2_ROUTE_TABLE_ASSOCIATION,
    AWS_EC2_SECURITY_GROUP,
    AWS_EC2_SUBNET,
    AWS_EC2_TAG,
    AWS_EC2_VPC,
    AWS_EKS_ACCESS_ENTRY,
    AWS_EKS_ACCESS_POLICY_ASSOCIATION,
    AWS_EKS_POD_IDENTITY_ASSOCIATION,
    AWS_ELASTICACHE_SUBNET_GROUP,
    AWS_GLUE_CATALOG_DATABASE,
    AWS_IAM_INSTANCE_PROFILE,
    AWS_IAM_OPEN_ID_CONNECT_PROVIDER,
    AWS_IAM_POLICY,
    AWS_IAM_ROLE,
    AWS_IAM_ROLE_POLICY,
    AWS_IAM_ROLE_POLICY_ATTACHMENT,
    AWS_KMS_ALIAS,
    AWS_RDS_PARAMETER_GROUP,
    AWS_RDS_SUBNET_GROUP,
    AWS_S3_BUCKET_LIFECYCLE_CONFIGURATION,
    AWS_S3_BUCKET_LOGGING,
    AWS_S3_BUCKET_OBJECT_V2,
    AWS_S3_BUCKET_OWNERSHIP_CONTROLS,
    AWS_S3_BUCKET_POLICY,
    AWS_S3_BUCKET_PUBLIC_ACCESS_BLOCK,
    AWS_S3_BUCKET_SERVER_SIDE_ENCRYPTION_CONFIGURATION,
    AWS_S3_BUCKET_VERSIONING,
    AWS_SAGEMAKER_DATA_QUALITY_JOB_DEFINITION,
    AWS_SAGEMAKER_ENDPOINT,
    AWS_SAGEMAKER_MODEL,
    AWS_SNS_TOPIC_POLICY,
    AWS_SNS_TOPIC_SUBSCRIPTION,
    AWS_SQS_QUEUE_POLICY,
    AWS_VPC_SECURITY_GROUP_EGRESS_RULE,
    AWS_VPC_SECURITY_GROUP_INGRESS_RULE,
    GCP_BIGQUERY_DATASET_IAM_MEMBER,
    GCP_BILLING_BUDGET,
    GCP_CLOUDRUNV2_SERVICE_IAM_MEMBER,
    GCP_COMPUTE_FIREWALL,
    GCP_COMPUTE_GLOBAL_ADDRESS,
    GCP_COMPUTE_NETWORK,
    GCP_COMPUTE_ROUTER,
    GCP_COMPUTE_SUBNETWORK,
    GCP_KMS_CRYPTO_KEY_IAM_MEMBER,
    GCP_KMS_KEY_RING,
    GCP_MONITORING_DASHBOARD,
    GCP_MONITORING_NOTIFICATION_CHANNEL,
    GCP_PROJECTS_IAM_MEMBER,
    GCP_PROJECTS_SERVICE,
    GCP_SERVICEACCOUNT_ACCOUNT,
    GCP_SERVICEACCOUNT_IAM_BINDING,
    GCP_SERVICEACCOUNT_IAM_MEMBER,
    GCP_SERVICENETWORKING_CONNECTION,
    GCP_SQL_DATABASE,
    GCP_SQL_USER,
    GCP_STORAGE_BUCKET_IAM_MEMBER,
    GCP_STORAGE_BUCKET_OBJECT,
    GCP_VERTEX_AI_ENDPOINT_IAM_MEMBER,
    PULUMI_DYNAMIC_RESOURCE,
)
from . import aws, gcp, kubernetes, workloads
from .estimate import NOT_ESTIMATED, CostContext, Estimate, Estimator, free


def _merge(*tables: Mapping[str, Estimator]) -> dict[str, Estimator]:
    merged: dict[str, Estimator] = {}
    for table in tables:
        twice = merged.keys() & table.keys()
        if twice:
            raise ValueError(f"priced by two estimators: {sorted(twice)}")
        merged.update(table)
    return merged


ESTIMATORS: dict[str, Estimator] = _merge(aws.ESTIMATORS, gcp.ESTIMATORS, kubernetes.ESTIMATORS, workloads.ESTIMATORS)

FREE_PREFIXES = ("kubernetes:", "random:", "pulumi:providers:", "pulumi:pulumi:", "mlplatform:")

FREE_TYPES = {
    # a few bytes of configuration in the lake (a Triton model's config.pbtxt), within the lake's storage line
    AWS_S3_BUCKET_OBJECT_V2,
    GCP_STORAGE_BUCKET_OBJECT,
    # identity
    AWS_IAM_ROLE,
    AWS_IAM_POLICY,
    AWS_IAM_ROLE_POLICY,
    AWS_IAM_ROLE_POLICY_ATTACHMENT,
    AWS_IAM_INSTANCE_PROFILE,
    AWS_IAM_OPEN_ID_CONNECT_PROVIDER,
    AWS_EKS_ACCESS_ENTRY,
    AWS_EKS_ACCESS_POLICY_ASSOCIATION,
    AWS_EKS_POD_IDENTITY_ASSOCIATION,
    # network plumbing
    AWS_EC2_VPC,
    AWS_EC2_SUBNET,
    AWS_EC2_INTERNET_GATEWAY,
    AWS_EC2_ROUTE_TABLE,
    AWS_EC2_ROUTE_TABLE_ASSOCIATION,
    AWS_EC2_ROUTE,
    AWS_EC2_SECURITY_GROUP,
    AWS_EC2_DEFAULT_SECURITY_GROUP,
    AWS_VPC_SECURITY_GROUP_INGRESS_RULE,
    AWS_VPC_SECURITY_GROUP_EGRESS_RULE,
    AWS_EC2_TAG,
    AWS_AUTOSCALING_TAG,
    # bucket configuration, catalogs, groups, policies
    AWS_S3_BUCKET_POLICY,
    AWS_S3_BUCKET_VERSIONING,
    AWS_S3_BUCKET_PUBLIC_ACCESS_BLOCK,
    AWS_S3_BUCKET_OWNERSHIP_CONTROLS,
    AWS_S3_BUCKET_SERVER_SIDE_ENCRYPTION_CONFIGURATION,
    AWS_S3_BUCKET_LIFECYCLE_CONFIGURATION,
    AWS_S3_BUCKET_LOGGING,
    AWS_GLUE_CATALOG_DATABASE,
    AWS_KMS_ALIAS,
    AWS_SQS_QUEUE_POLICY,
    AWS_SNS_TOPIC_POLICY,
    AWS_SNS_TOPIC_SUBSCRIPTION,
    AWS_CLOUDWATCH_EVENT_RULE,
    AWS_CLOUDWATCH_EVENT_TARGET,
    AWS_RDS_SUBNET_GROUP,
    AWS_RDS_PARAMETER_GROUP,
    AWS_ELASTICACHE_SUBNET_GROUP,
    AWS_APPAUTOSCALING_TARGET,
    AWS_APPAUTOSCALING_POLICY,
    AWS_SAGEMAKER_MODEL,
    AWS_SAGEMAKER_DATA_QUALITY_JOB_DEFINITION,  # its runs are priced on the schedule
    AWS_SAGEMAKER_ENDPOINT,
    AWS_BUDGETS_BUDGET,
    AWS_COSTEXPLORER_ANOMALY_MONITOR,
    AWS_COSTEXPLORER_ANOMALY_SUBSCRIPTION,
    AWS_COSTEXPLORER_COST_ALLOCATION_TAG,
    # gcp plumbing and identity
    GCP_COMPUTE_NETWORK,
    GCP_COMPUTE_SUBNETWORK,
    GCP_COMPUTE_ROUTER,
    GCP_COMPUTE_FIREWALL,
    GCP_COMPUTE_GLOBAL_ADDRESS,
    GCP_SERVICENETWORKING_CONNECTION,
    GCP_SERVICEACCOUNT_ACCOUNT,
    GCP_SERVICEACCOUNT_IAM_MEMBER,
    GCP_SERVICEACCOUNT_IAM_BINDING,
    GCP_PROJECTS_IAM_MEMBER,
    GCP_STORAGE_BUCKET_IAM_MEMBER,
    GCP_KMS_KEY_RING,
    GCP_KMS_CRYPTO_KEY_IAM_MEMBER,
    GCP_SQL_DATABASE,
    GCP_SQL_USER,
    GCP_BILLING_BUDGET,
    GCP_MONITORING_NOTIFICATION_CHANNEL,
    GCP_MONITORING_DASHBOARD,  # Cloud Monitoring dashboards are free
    GCP_CLOUDRUNV2_SERVICE_IAM_MEMBER,
    GCP_PROJECTS_SERVICE,
    GCP_BIGQUERY_DATASET_IAM_MEMBER,
    GCP_VERTEX_AI_ENDPOINT_IAM_MEMBER,
    # Dynamic resources (Vertex model deployments): what they run is priced on their deployment resource pools.
    PULUMI_DYNAMIC_RESOURCE,
}


def estimate(r: Resource, ctx: CostContext) -> Estimate:
    """The monthly cost of one resource: known, free, or not estimated."""
    fn = ESTIMATORS.get(r.type)
    if fn is not None:
        return fn(r, ctx)
    if r.type in FREE_TYPES or r.type.startswith(FREE_PREFIXES):
        return free("no charge of its own")
    return NOT_ESTIMATED


def estimate_all(resources: Iterable[Resource], ctx: CostContext) -> list[tuple[Resource, Estimate]]:
    """Every resource of a stack priced, each read with the others (``ctx.resources`` becomes the stack)."""
    resources = list(resources)
    ctx.resources = resources
    return [(r, estimate(r, ctx)) for r in resources]
