"""The per-resource monthly cost model: resource type + inputs + region + usage -> idle / expected / peak USD.

- idle: everything at its minimum, no traffic (data at rest still costs);
- expected: the usage assumptions (:class:`~components.catalog.usage.UsageAssumptions`);
- peak: everything at its maximum (node pools at their limits, autoscaling at max, serverless concurrency
  saturated). A pool with no upper bound has an *unbounded* peak: a finding, not a number.

The model is pure: it reads a :class:`Resource` (type, name, inputs as the provider receives them, in
camelCase) and a :class:`CostContext` (region, usage, the stack's other resources for lookups such as the
launch template of a node group). The offline Plan and the policy pack both adapt their records to it.
A type the model does not know is *not estimated* (never silently zero); types that cost nothing are listed
in FREE_TYPES.

Example::

    from components.catalog.cost_model import CostContext, Resource, estimate

    e = estimate(Resource("aws:ec2/natGateway:NatGateway", "nat", {}), CostContext(region="us-east-1"))
    e.idle   # 36.5: 730 h x $0.045 + the gateway's public IPv4 address is priced with its EIP
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..base.cloud import Cloud
from ..base.labels import FALLBACK_FOR_LABEL, GPU_RESOURCE, POOL_LABEL, WARM_FOR_LABEL
from ..base.resources import Resource, get, quantity, size_gib
from ..base.types import (
    AWS_ALB_LOAD_BALANCER,
    AWS_APPAUTOSCALING_POLICY,
    AWS_APPAUTOSCALING_TARGET,
    AWS_ATHENA_WORKGROUP,
    AWS_AUTOSCALING_GROUP,
    AWS_AUTOSCALING_TAG,
    AWS_BUDGETS_BUDGET,
    AWS_CLOUDWATCH_DASHBOARD,
    AWS_CLOUDWATCH_EVENT_RULE,
    AWS_CLOUDWATCH_EVENT_TARGET,
    AWS_CLOUDWATCH_LOG_GROUP,
    AWS_CLOUDWATCH_METRIC_ALARM,
    AWS_COSTEXPLORER_ANOMALY_MONITOR,
    AWS_COSTEXPLORER_ANOMALY_SUBSCRIPTION,
    AWS_COSTEXPLORER_COST_ALLOCATION_TAG,
    AWS_DYNAMODB_TABLE,
    AWS_EBS_VOLUME,
    AWS_EC2_DEFAULT_SECURITY_GROUP,
    AWS_EC2_EIP,
    AWS_EC2_INSTANCE,
    AWS_EC2_INTERNET_GATEWAY,
    AWS_EC2_LAUNCH_TEMPLATE,
    AWS_EC2_NAT_GATEWAY,
    AWS_EC2_ROUTE,
    AWS_EC2_ROUTE_TABLE,
    AWS_EC2_ROUTE_TABLE_ASSOCIATION,
    AWS_EC2_SECURITY_GROUP,
    AWS_EC2_SUBNET,
    AWS_EC2_TAG,
    AWS_EC2_VPC,
    AWS_EC2_VPC_ENDPOINT,
    AWS_EKS_ACCESS_ENTRY,
    AWS_EKS_ACCESS_POLICY_ASSOCIATION,
    AWS_EKS_ADDON,
    AWS_EKS_CLUSTER,
    AWS_EKS_NODE_GROUP,
    AWS_EKS_POD_IDENTITY_ASSOCIATION,
    AWS_ELASTICACHE_REPLICATION_GROUP,
    AWS_ELASTICACHE_SUBNET_GROUP,
    AWS_ELB_LOAD_BALANCER,
    AWS_GLUE_CATALOG_DATABASE,
    AWS_IAM_INSTANCE_PROFILE,
    AWS_IAM_OPEN_ID_CONNECT_PROVIDER,
    AWS_IAM_POLICY,
    AWS_IAM_ROLE,
    AWS_IAM_ROLE_POLICY,
    AWS_IAM_ROLE_POLICY_ATTACHMENT,
    AWS_KMS_ALIAS,
    AWS_KMS_KEY,
    AWS_LB_LOAD_BALANCER,
    AWS_RDS_INSTANCE,
    AWS_RDS_PARAMETER_GROUP,
    AWS_RDS_SUBNET_GROUP,
    AWS_S3_BUCKET,
    AWS_S3_BUCKET_LIFECYCLE_CONFIGURATION,
    AWS_S3_BUCKET_LOGGING,
    AWS_S3_BUCKET_OBJECT_V2,
    AWS_S3_BUCKET_OWNERSHIP_CONTROLS,
    AWS_S3_BUCKET_POLICY,
    AWS_S3_BUCKET_PUBLIC_ACCESS_BLOCK,
    AWS_S3_BUCKET_SERVER_SIDE_ENCRYPTION_CONFIGURATION,
    AWS_S3_BUCKET_V2,
    AWS_S3_BUCKET_VERSIONING,
    AWS_SAGEMAKER_DATA_QUALITY_JOB_DEFINITION,
    AWS_SAGEMAKER_ENDPOINT,
    AWS_SAGEMAKER_ENDPOINT_CONFIGURATION,
    AWS_SAGEMAKER_MODEL,
    AWS_SAGEMAKER_MONITORING_SCHEDULE,
    AWS_SECRETSMANAGER_SECRET,
    AWS_SNS_TOPIC,
    AWS_SNS_TOPIC_POLICY,
    AWS_SNS_TOPIC_SUBSCRIPTION,
    AWS_SQS_QUEUE,
    AWS_SQS_QUEUE_POLICY,
    AWS_VPC_SECURITY_GROUP_EGRESS_RULE,
    AWS_VPC_SECURITY_GROUP_INGRESS_RULE,
    GCP_BIGQUERY_DATASET,
    GCP_BIGQUERY_DATASET_IAM_MEMBER,
    GCP_BILLING_BUDGET,
    GCP_CLOUDRUNV2_SERVICE,
    GCP_CLOUDRUNV2_SERVICE_IAM_MEMBER,
    GCP_COMPUTE_FIREWALL,
    GCP_COMPUTE_GLOBAL_ADDRESS,
    GCP_COMPUTE_INSTANCE,
    GCP_COMPUTE_NETWORK,
    GCP_COMPUTE_ROUTER,
    GCP_COMPUTE_ROUTER_NAT,
    GCP_COMPUTE_SUBNETWORK,
    GCP_CONTAINER_CLUSTER,
    GCP_CONTAINER_NODE_POOL,
    GCP_FIRESTORE_DATABASE,
    GCP_KMS_CRYPTO_KEY,
    GCP_KMS_CRYPTO_KEY_IAM_MEMBER,
    GCP_KMS_KEY_RING,
    GCP_MONITORING_ALERT_POLICY,
    GCP_MONITORING_DASHBOARD,
    GCP_MONITORING_NOTIFICATION_CHANNEL,
    GCP_PROJECTS_IAM_MEMBER,
    GCP_PROJECTS_SERVICE,
    GCP_REDIS_INSTANCE,
    GCP_SERVICEACCOUNT_ACCOUNT,
    GCP_SERVICEACCOUNT_IAM_BINDING,
    GCP_SERVICEACCOUNT_IAM_MEMBER,
    GCP_SERVICENETWORKING_CONNECTION,
    GCP_SQL_DATABASE,
    GCP_SQL_DATABASE_INSTANCE,
    GCP_SQL_USER,
    GCP_STORAGE_BUCKET,
    GCP_STORAGE_BUCKET_IAM_MEMBER,
    GCP_STORAGE_BUCKET_OBJECT,
    GCP_VERTEX_AI_DEPLOYMENT_RESOURCE_POOL,
    GCP_VERTEX_AI_ENDPOINT,
    GCP_VERTEX_AI_ENDPOINT_IAM_MEMBER,
    K8S_DEPLOYMENT,
    K8S_INGRESS,
    K8S_KARPENTER_EC2_NODE_CLASS,
    K8S_KARPENTER_NODE_POOL,
    K8S_SERVICE,
    PULUMI_DYNAMIC_RESOURCE,
)
from ..catalog.catalog import HOURS_PER_MONTH, load_catalog, load_service_prices
from .usage import UsageAssumptions

H = HOURS_PER_MONTH
SECONDS_PER_MONTH = H * 3600


@dataclass(frozen=True)
class GpuCost:
    """How a GPU pool's expected cost compares: the same hours on demand, and a naive always-on baseline."""

    pool: str
    expected_on_demand: float
    always_on_on_demand: float
    spot: bool
    # The GPU capacity's part of the line's expected cost, when the line also prices something else (a
    # notebook hub's volumes). None: the whole line is GPU capacity.
    expected: float | None = None

    def actual(self, line_expected: float) -> float:
        return line_expected if self.expected is None else self.expected


@dataclass(frozen=True)
class Estimate:
    idle: float
    expected: float
    peak: float
    explanation: str
    known: bool = True
    unbounded: bool = False
    gpu: GpuCost | None = None
    # Monthly cost of shared nodes (the system nodes) this workload's requests hold: already in those nodes'
    # line, so reported for attribution and never added to totals.
    node_share: float = 0.0
    # Monthly cost of this workload at its maximum on the dearest capacity its GPU pool may launch: inside the
    # pool's own peak line, so reported and never added to totals.
    pool_peak: float = 0.0

    @property
    def free(self) -> bool:
        return self.known and self.idle == self.expected == self.peak == 0 and not self.unbounded


NOT_ESTIMATED = Estimate(0.0, 0.0, 0.0, "not estimated: the cost model does not know this type", known=False)


def free(reason: str) -> Estimate:
    return Estimate(0.0, 0.0, 0.0, reason)


@dataclass
class CostContext:
    region: str
    usage: UsageAssumptions = field(default_factory=UsageAssumptions)
    resources: list[Resource] = field(default_factory=list)
    _by_type: dict[str, list[Resource]] = field(default_factory=dict, repr=False)
    _memo: dict[str, Any] = field(default_factory=dict, repr=False)
    _indexed: list[Resource] | None = field(default=None, repr=False)

    def _index(self) -> None:
        # Rebuilt whenever `resources` is replaced (estimate_all assigns a new list), so lookups stay cheap.
        if self._indexed is not self.resources:
            self._by_type, self._memo = {}, {}
            for r in self.resources:
                self._by_type.setdefault(r.type, []).append(r)
            self._indexed = self.resources

    def find(self, type_: str, where: Callable[[Resource], bool] | None = None) -> list[Resource]:
        """The stack's resources of a type, optionally filtered."""
        self._index()
        return [r for r in self._by_type.get(type_, ()) if where is None or where(r)]

    def with_id(self, type_: str, rid: Any) -> list[Resource]:
        """Resources of a type whose provider id is ``rid`` (a node group's launch template, ...)."""
        ids = self.memo(f"ids:{type_}", lambda: _group_by_id(self.find(type_)))
        return ids.get(rid, []) if isinstance(rid, str) else []

    def memo(self, key: str, compute: Callable[[], Any]) -> Any:
        """A fact about the whole stack (which pools have a fallback, ...), computed once per resource list."""
        self._index()
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]


def _group_by_id(resources: list[Resource]) -> dict[str, list[Resource]]:
    out: dict[str, list[Resource]] = {}
    for r in resources:
        if r.id:
            out.setdefault(r.id, []).append(r)
    return out


def _num(value: Any, default: float = 0.0) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


def money(x: float) -> str:
    return "unbounded" if math.isinf(x) else f"${x:,.2f}"


# --- estimators, by type -----------------------------------------------------------------------------------

Estimator = Callable[[Resource, CostContext], Estimate]
ESTIMATORS: dict[str, Estimator] = {}


def estimator(*types: str) -> Callable[[Estimator], Estimator]:
    def register(fn: Estimator) -> Estimator:
        for t in types:
            ESTIMATORS[t] = fn
        return fn

    return register


def aws_price(path: str, region: str) -> float:
    return load_service_prices(Cloud.AWS).price(path, region)


def gcp_price(path: str, region: str) -> float:
    return load_service_prices(Cloud.GCP).price(path, region)


def flat(monthly: float, explanation: str) -> Estimate:
    return Estimate(monthly, monthly, monthly, explanation)


@estimator(AWS_EKS_CLUSTER)
def _eks(r: Resource, ctx: CostContext) -> Estimate:
    extended = get(r.props, "upgradePolicy.supportType") == "EXTENDED"
    rate = aws_price("eks.extended_support_per_hour" if extended else "eks.control_plane_per_hour", ctx.region)
    return flat(rate * H, f"EKS control plane {'(extended support) ' if extended else ''}{H:.0f} h x ${rate}/h")


@estimator(AWS_EC2_NAT_GATEWAY)
def _nat(r: Resource, ctx: CostContext) -> Estimate:
    hourly = aws_price("vpc.nat_gateway_per_hour", ctx.region)
    base = hourly * H
    data = ctx.usage.nat_gb * aws_price("vpc.nat_gateway_per_gb", ctx.region)
    return Estimate(
        base,
        base + data,
        base + data,
        f"NAT gateway {H:.0f} h x ${hourly}/h; expected adds {ctx.usage.nat_gb:g} GB processed",
    )


@estimator(AWS_EC2_EIP)
def _eip(r: Resource, ctx: CostContext) -> Estimate:
    rate = aws_price("vpc.public_ipv4_per_hour", ctx.region)
    return flat(rate * H, f"public IPv4 address {H:.0f} h x ${rate}/h")


@estimator(AWS_EBS_VOLUME)
def _ebs(r: Resource, ctx: CostContext) -> Estimate:
    size = _num(r.props.get("size"), 0)
    kind = r.props.get("type") or "gp3"
    rate = aws_price("ebs.gp2_per_gb_month" if kind == "gp2" else "ebs.gp3_per_gb_month", ctx.region)
    return flat(size * rate, f"EBS {kind} {size:g} GB x ${rate}/GB-month")


def _ec2_price(itype: str, region: str, spot: bool) -> float | None:
    return load_catalog().hourly_price("aws", region, itype, "spot" if spot else "on-demand")


def _volume_gb_from_template(ctx: CostContext, template_id: Any) -> float | None:
    for lt in ctx.with_id(AWS_EC2_LAUNCH_TEMPLATE, template_id):
        for bdm in lt.props.get("blockDeviceMappings") or []:
            size = get(bdm, "ebs.volumeSize")
            if size is not None:
                return _num(size)
    return None


def _pool_name(labels: Mapping[str, Any] | None) -> str | None:
    return (labels or {}).get(POOL_LABEL)


@estimator(AWS_EKS_NODE_GROUP)
def _node_group(r: Resource, ctx: CostContext) -> Estimate:
    types = list(r.props.get("instanceTypes") or ["t3.medium"])
    spot = r.props.get("capacityType") == "SPOT"
    prices = [(t, _ec2_price(t, ctx.region, spot)) for t in types]
    known = [(t, p) for t, p in prices if p is not None]
    if not known:
        return Estimate(0, 0, 0, f"instance types {types} not in the catalog for {ctx.region}", known=False)
    cheap_type, cheapest = min(known, key=lambda tp: tp[1])
    dear_type, dearest = max(known, key=lambda tp: tp[1])
    volume = _volume_gb_from_template(ctx, get(r.props, "launchTemplate.id")) or _num(r.props.get("diskSize"), 20)
    disk = volume * aws_price("ebs.gp3_per_gb_month", ctx.region) / H  # per node-hour
    low, want, high = (_num(get(r.props, f"scalingConfig.{k}")) for k in ("minSize", "desiredSize", "maxSize"))
    pool = _pool_name(r.props.get("labels"))
    idle = low * H * (cheapest + disk)
    peak = high * H * (dearest + disk)
    buy = "spot" if spot else "on-demand"
    if pool is None:
        expected = max(low, want) * H * (cheapest + disk)
        priced = cheap_type if cheap_type == dear_type else f"{cheap_type} (cheapest; peak at {dear_type})"
        return Estimate(
            idle, expected, peak, f"{low:g}-{high:g} x {priced} {buy} at ${cheapest:.4f}/h, {volume:g} GB gp3 each"
        )
    hours = ctx.usage.gpu_hours(pool)
    if (r.props.get("labels") or {}).get(FALLBACK_FOR_LABEL):
        hours *= ctx.usage.on_demand_fallback_fraction
    hours = max(hours, low * H)  # the minimum runs all month, and the work runs on it
    expected = hours * (cheapest + disk)
    od_cheapest = min(_ec2_price(t, ctx.region, False) or math.inf for t in types)
    gpu = GpuCost(
        pool=pool,
        expected_on_demand=hours * (od_cheapest + disk),
        always_on_on_demand=high * H * (od_cheapest + disk),
        spot=spot,
    )
    return Estimate(
        idle,
        expected,
        peak,
        f"GPU pool {pool}: {low:g}-{high:g} nodes ({buy}); expected {hours:g} node-h at ${cheapest:.3f}/h",
        gpu=gpu,
    )


def _node_class_volume(ctx: CostContext, name: str | None) -> float:
    for nc in ctx.find(K8S_KARPENTER_EC2_NODE_CLASS, lambda n: get(n.props, "metadata.name") == name):
        for bdm in get(nc.props, "spec.blockDeviceMappings") or []:
            size = size_gib(get(bdm, "ebs.volumeSize"))
            if size:
                return size
    return 20.0


@estimator(K8S_KARPENTER_NODE_POOL)
def _node_pool(r: Resource, ctx: CostContext) -> Estimate:
    spec = r.props.get("spec") or {}
    requirements = get(spec, "template.spec.requirements") or []
    req = {q.get("key"): q for q in requirements}
    types = list(get(req.get("node.kubernetes.io/instance-type") or {}, "values") or [])
    capacity = list(get(req.get("karpenter.sh/capacity-type") or {}, "values") or ["spot", "on-demand"])
    labels = get(spec, "template.metadata.labels") or {}
    pool = _pool_name(labels) or get(r.props, "metadata.name") or r.name
    cat = load_catalog()
    shapes = [cat.machine_type("aws", t) for t in types]
    shapes = [m for m in shapes if m is not None and ctx.region in m.on_demand]
    if not shapes:
        return Estimate(0, 0, 0, f"NodePool {pool}: no instance types the catalog prices in {ctx.region}", known=False)
    disk = _node_class_volume(ctx, get(spec, "template.spec.nodeClassRef.name"))
    disk_hourly = disk * aws_price("ebs.gp3_per_gb_month", ctx.region) / H
    only_spot = capacity == ["spot"]

    def node_price(m, spot: bool) -> float:
        return (m.spot.get(ctx.region, m.on_demand[ctx.region]) if spot else m.on_demand[ctx.region]) + disk_hourly

    cheapest = min(node_price(m, only_spot) for m in shapes)
    limits = spec.get("limits") or {}
    gpus, cpu, mem = quantity(limits.get(GPU_RESOURCE)), quantity(limits.get("cpu")), size_gib(limits.get("memory"))
    fallback = bool(labels.get(FALLBACK_FOR_LABEL))
    hours = ctx.usage.gpu_hours(labels.get(FALLBACK_FOR_LABEL) or pool)
    hours *= (
        ctx.usage.on_demand_fallback_fraction
        if fallback
        else (1 - ctx.usage.on_demand_fallback_fraction if _has_fallback(ctx, pool) else 1)
    )
    warm = 0.0 if fallback else _warm_nodes(ctx, pool)
    idle = warm * H * cheapest
    hours = max(hours, warm * H)  # warm nodes run all month, and the work runs on them
    expected = hours * cheapest
    od_cheapest = min(node_price(m, False) for m in shapes)
    if gpus is None and cpu is None and mem is None:
        return Estimate(
            idle,
            expected,
            math.inf,
            f"NodePool {pool}: no limits, so no upper bound on nodes",
            unbounded=True,
            gpu=GpuCost(pool, hours * od_cheapest, math.inf, only_spot),
        )

    def max_nodes(m) -> float:
        bounds = []
        if gpus is not None and m.gpus:
            bounds.append(gpus // m.gpus)
        if cpu is not None:
            bounds.append(cpu // m.vcpu)
        if mem is not None:
            bounds.append(mem // m.memory_gib)
        return min(bounds) if bounds else math.inf

    worst = max(shapes, key=lambda m: max_nodes(m) * node_price(m, only_spot))
    n = max_nodes(worst)
    peak = n * H * node_price(worst, only_spot)
    buy = "spot" if only_spot else "on-demand" if capacity == ["on-demand"] else "spot or on-demand"
    cheap_od = min(shapes, key=lambda m: node_price(m, False))
    always_on = 0.0 if fallback else max_nodes(cheap_od) * H * node_price(cheap_od, False)
    gpu = GpuCost(pool=pool, expected_on_demand=hours * od_cheapest, always_on_on_demand=always_on, spot=only_spot)
    return Estimate(
        idle,
        expected,
        peak,
        f"NodePool {pool} ({buy}): {warm:g} warm node(s) idle; expected {hours:g} node-h at ${cheapest:.3f}/h; peak "
        f"{n:g} x {worst.name} within limits",
        gpu=gpu,
    )


def _warm_nodes(ctx: CostContext, pool: str) -> float:
    """Nodes a pool keeps with no work: the replicas of the placeholder Deployment labelled for it."""

    def by_pool() -> dict[str, float]:
        out: dict[str, float] = {}
        for d in ctx.find(K8S_DEPLOYMENT):
            target = (get(d.props, "metadata.labels") or {}).get(WARM_FOR_LABEL)
            if target:
                out[target] = out.get(target, 0.0) + _num(get(d.props, "spec.replicas"), 1)
        return out

    return ctx.memo("warm-nodes", by_pool).get(pool, 0.0)


def _has_fallback(ctx: CostContext, pool: str) -> bool:
    """Whether an on-demand fallback NodePool backs this pool (it then takes a share of the hours)."""
    backed = ctx.memo(
        "fallback-for",
        lambda: {
            (get(r.props, "spec.template.metadata.labels") or {}).get(FALLBACK_FOR_LABEL)
            for r in ctx.find(K8S_KARPENTER_NODE_POOL)
        },
    )
    return pool in backed


@estimator(AWS_EC2_INSTANCE)
def _instance(r: Resource, ctx: CostContext) -> Estimate:
    itype = r.props.get("instanceType")
    spot = get(r.props, "instanceMarketOptions.marketType") == "spot"
    price = _ec2_price(str(itype), ctx.region, spot)
    if price is None:
        return Estimate(0, 0, 0, f"instance type {itype} not in the catalog for {ctx.region}", known=False)
    disk = _num(get(r.props, "rootBlockDevice.volumeSize"), 8) * aws_price("ebs.gp3_per_gb_month", ctx.region)
    return flat(price * H + disk, f"{itype} ({'spot' if spot else 'on-demand'}) {H:.0f} h + root volume")


@estimator(AWS_AUTOSCALING_GROUP)
def _asg(r: Resource, ctx: CostContext) -> Estimate:
    template = get(r.props, "launchTemplate.id") or get(
        r.props, "mixedInstancesPolicy.launchTemplate.launchTemplateSpecification.launchTemplateId"
    )
    lts = ctx.with_id(AWS_EC2_LAUNCH_TEMPLATE, template)
    itype = lts[0].props.get("instanceType") if lts else None
    price = _ec2_price(str(itype), ctx.region, False) if itype else None
    if price is None:
        return Estimate(0, 0, 0, "instance type of the launch template unknown", known=False)
    low, want, high = (_num(r.props.get(k)) for k in ("minSize", "desiredCapacity", "maxSize"))
    return Estimate(
        low * H * price, max(low, want) * H * price, high * H * price, f"{low:g}-{high:g} x {itype} on-demand {H:.0f} h"
    )


@estimator(AWS_EC2_LAUNCH_TEMPLATE)
def _launch_template(r: Resource, ctx: CostContext) -> Estimate:
    return free("a template: its instances are priced with the node group or Auto Scaling group using it")


@estimator(AWS_RDS_INSTANCE)
def _rds(r: Resource, ctx: CostContext) -> Estimate:
    cls = str(r.props.get("instanceClass"))
    hourly = load_service_prices(Cloud.AWS).keyed("rds_postgres.instance_per_hour", cls, ctx.region)
    if hourly is None:
        return Estimate(0, 0, 0, f"RDS class {cls} not in the price table", known=False)
    copies = 2 if r.props.get("multiAz") else 1
    storage_rate = aws_price("rds_postgres.gp3_storage_per_gb_month", ctx.region)
    storage = _num(r.props.get("allocatedStorage"), 20)
    max_storage = _num(r.props.get("maxAllocatedStorage"), storage) or storage
    base = copies * (hourly * H + storage * storage_rate)
    peak = copies * (hourly * H + max_storage * storage_rate)
    return Estimate(
        base,
        base,
        peak,
        f"{cls} x{copies} {H:.0f} h x ${hourly}/h + {storage:g} GB gp3 (peak: "
        f"{max_storage:g} GB after storage autoscaling)",
    )


@estimator(AWS_ELASTICACHE_REPLICATION_GROUP)
def _redis(r: Resource, ctx: CostContext) -> Estimate:
    node = str(r.props.get("nodeType"))
    hourly = load_service_prices(Cloud.AWS).keyed("elasticache_redis.node_per_hour", node, ctx.region)
    if hourly is None:
        return Estimate(0, 0, 0, f"ElastiCache node type {node} not in the price table", known=False)
    n = _num(r.props.get("numCacheClusters"), 1) or 1
    return flat(n * hourly * H, f"{n:g} x {node} {H:.0f} h x ${hourly}/h")


@estimator(AWS_DYNAMODB_TABLE)
def _dynamodb(r: Resource, ctx: CostContext) -> Estimate:
    u = ctx.usage
    gb = u.dynamodb_gb
    storage = gb * aws_price("dynamodb.storage_per_gb_month", ctx.region)
    if get(r.props, "pointInTimeRecovery.enabled"):
        storage += gb * aws_price("dynamodb.pitr_per_gb_month", ctx.region)
    if r.props.get("billingMode") == "PROVISIONED":
        return Estimate(0, 0, 0, "provisioned-capacity tables are not modelled", known=False)
    requests = u.dynamodb_reads_per_month / 1e6 * aws_price(
        "dynamodb.read_request_per_million", ctx.region
    ) + u.dynamodb_writes_per_month / 1e6 * aws_price("dynamodb.write_request_per_million", ctx.region)
    return Estimate(
        storage,
        storage + requests,
        storage + requests,
        f"on demand: {gb:g} GB stored (with PITR) idle; expected adds {u.dynamodb_reads_per_month:,.0f} "
        f"reads and {u.dynamodb_writes_per_month:,.0f} writes",
    )


@estimator(AWS_S3_BUCKET, AWS_S3_BUCKET_V2)
def _s3(r: Resource, ctx: CostContext) -> Estimate:
    gb = ctx.usage.bucket_gb(r.name)
    storage = gb * aws_price("s3.standard_per_gb_month", ctx.region)
    requests = ctx.usage.s3_requests_per_month
    req_cost = requests / 5 / 1000 * aws_price("s3.put_per_thousand", ctx.region) + requests * 4 / 5 / 1000 * aws_price(
        "s3.get_per_thousand", ctx.region
    )
    return Estimate(
        storage,
        storage + req_cost,
        storage + req_cost,
        f"{gb:g} GB at S3 Standard (lifecycle tiering lowers it); expected adds {requests:,.0f} requests",
    )


def _sagemaker_price(itype: str, region: str) -> float | None:
    mt = load_catalog().sagemaker_instance(itype)
    return mt.on_demand.get(region) if mt else None


@estimator(AWS_SAGEMAKER_MONITORING_SCHEDULE)
def _monitoring_schedule(r: Resource, ctx: CostContext) -> Estimate:
    """Model Monitor: runs per month x hours per run on the job definition's processing instance."""
    expression = str(get(r.props, "monitoringScheduleConfig.scheduleConfig.scheduleExpression") or "")
    runs = {"cron(0 * ? * * *)": H, "cron(0 0 ? * * *)": 365 / 12}.get(expression)
    definition = str(get(r.props, "monitoringScheduleConfig.monitoringJobDefinitionName") or "")
    itype, count = None, 1.0
    for d in ctx.find(AWS_SAGEMAKER_DATA_QUALITY_JOB_DEFINITION):
        if d.props.get("name") == definition:
            itype = get(d.props, "jobResources.clusterConfig.instanceType")
            count = _num(get(d.props, "jobResources.clusterConfig.instanceCount"), 1)
    price = _sagemaker_price(str(itype), ctx.region) if itype else None
    if runs is None or price is None:
        return Estimate(0, 0, 0, f"monitoring schedule {expression!r} on {itype} not priced", known=False)
    hours = runs * ctx.usage.model_monitor_run_hours * count
    cost = hours * price
    return Estimate(
        cost,
        cost,
        cost,
        f"Model Monitor: {runs:.0f} runs/month x {ctx.usage.model_monitor_run_hours:g} h on {count:g} x {itype} "
        f"(${price:.3f}/h, the catalog's SageMaker rate); it runs whether or not the endpoint has traffic",
    )


def _variant_range(ctx: CostContext, config: Resource, variant: str, initial: float) -> tuple[float, float]:
    endpoints = [
        e.props.get("name")
        for e in ctx.find(
            AWS_SAGEMAKER_ENDPOINT,
            lambda e: e.props.get("endpointConfigName") in (config.props.get("name"), config.id),
        )
    ]
    for target in ctx.find(AWS_APPAUTOSCALING_TARGET):
        rid = str(target.props.get("resourceId") or "")
        if any(rid == f"endpoint/{e}/variant/{variant}" for e in endpoints if e):
            return _num(target.props.get("minCapacity"), initial), _num(target.props.get("maxCapacity"), initial)
    return initial, initial


@estimator(AWS_SAGEMAKER_ENDPOINT_CONFIGURATION)
def _sagemaker_config(r: Resource, ctx: CostContext) -> Estimate:
    variants = list(r.props.get("productionVariants") or []) + list(r.props.get("shadowProductionVariants") or [])
    cat = load_catalog()
    rates = cat.sagemaker_serverless
    idle = expected = peak = 0.0
    notes = []
    endpoints = [
        e.props.get("name")
        for e in ctx.find(
            AWS_SAGEMAKER_ENDPOINT,
            lambda e: e.props.get("endpointConfigName") in (r.props.get("name"), r.id),
        )
    ]
    requests = (
        ctx.usage.requests(str(endpoints[0])) if endpoints and endpoints[0] else ctx.usage.default_endpoint_requests
    )
    for v in variants:
        serverless = v.get("serverlessConfig")
        if serverless:
            gb = _num(serverless.get("memorySizeInMb")) / 1024
            rate = rates.usd_per_gb_second.get(ctx.region, rates.usd_per_gb_second["us-east-1"])
            pc = _num(serverless.get("provisionedConcurrency"))
            pc_cost = (
                pc
                * gb
                * SECONDS_PER_MONTH
                * rates.provisioned_usd_per_gb_second.get(ctx.region, rates.provisioned_usd_per_gb_second["us-east-1"])
            )
            compute = requests * ctx.usage.endpoint_duration_ms / 1000 * gb * rate
            data = (
                requests * ctx.usage.endpoint_payload_kb / 1024**2 * rates.usd_per_gb_processed.get(ctx.region, 0.016)
            )
            idle += pc_cost
            expected += pc_cost + compute + data
            peak += pc_cost + _num(serverless.get("maxConcurrency")) * gb * SECONDS_PER_MONTH * rate
            notes.append(
                f"{v.get('variantName')}: serverless {gb:g} GB, $0 idle"
                + (f" + {pc:g} provisioned" if pc else "")
                + f"; {requests:,.0f} requests expected"
            )
            continue
        itype = str(v.get("instanceType"))
        price = _sagemaker_price(itype, ctx.region)
        if price is None:
            return Estimate(0, 0, 0, f"SageMaker instance type {itype} not priced in {ctx.region}", known=False)
        initial = _num(v.get("initialInstanceCount"), 1)
        low, high = _variant_range(ctx, r, str(v.get("variantName")), initial)
        idle += low * price * H
        expected += initial * price * H
        peak += high * price * H
        notes.append(f"{v.get('variantName')}: {low:g}-{high:g} x {itype} at ${price}/h")
    return Estimate(idle, expected, peak, "; ".join(notes))


@estimator(AWS_CLOUDWATCH_DASHBOARD)
def _dashboard(r: Resource, ctx: CostContext) -> Estimate:
    return flat(aws_price("cloudwatch.dashboard_per_month", ctx.region), "CloudWatch dashboard (free tier not applied)")


@estimator(AWS_CLOUDWATCH_METRIC_ALARM)
def _alarm(r: Resource, ctx: CostContext) -> Estimate:
    high_res = _num(r.props.get("period"), 300) < 60
    rate = aws_price(
        "cloudwatch.high_resolution_alarm_per_month" if high_res else "cloudwatch.alarm_per_month", ctx.region
    )
    return flat(rate, f"CloudWatch alarm ({'high' if high_res else 'standard'} resolution)")


@estimator(AWS_CLOUDWATCH_LOG_GROUP)
def _log_group(r: Resource, ctx: CostContext) -> Estimate:
    ingest = aws_price("cloudwatch.log_ingestion_per_gb", ctx.region)
    days = _num(r.props.get("retentionInDays"), 0)
    store = aws_price("cloudwatch.log_storage_per_gb_month", ctx.region)

    def month(gb: float) -> float:
        kept = gb * (days / 30 if days else 12)  # without retention, a year of logs is a fair guess
        return gb * ingest + kept * store

    return Estimate(
        month(ctx.usage.idle_log_gb),
        month(ctx.usage.log_gb),
        month(ctx.usage.log_gb),
        f"log ingestion {ctx.usage.idle_log_gb:g} GB idle / {ctx.usage.log_gb:g} GB expected at ${ingest}/GB,"
        f" retention {days:g} days"
        if days
        else "log ingestion; no retention set",
    )


@estimator(AWS_KMS_KEY)
def _kms(r: Resource, ctx: CostContext) -> Estimate:
    key = aws_price("kms.key_per_month", ctx.region)
    requests = ctx.usage.kms_requests_per_month / 10_000 * aws_price("kms.requests_per_ten_thousand", ctx.region)
    return Estimate(key, key + requests, key + requests, "KMS key $1/month; expected adds requests")


@estimator(AWS_SECRETSMANAGER_SECRET)
def _secret(r: Resource, ctx: CostContext) -> Estimate:
    return flat(aws_price("secrets_manager.secret_per_month", ctx.region), "Secrets Manager secret")


@estimator(AWS_ATHENA_WORKGROUP)
def _athena(r: Resource, ctx: CostContext) -> Estimate:
    tb = ctx.usage.athena_tb_scanned
    cutoff = _num(get(r.props, "configuration.bytesScannedCutoffPerQuery"), 0)
    return Estimate(
        0,
        tb * aws_price("athena.per_tb_scanned", ctx.region),
        tb * aws_price("athena.per_tb_scanned", ctx.region),
        f"{tb:g} TB scanned per month expected" + (f"; queries capped at {cutoff / 1024**3:g} GB" if cutoff else ""),
    )


@estimator(AWS_SQS_QUEUE)
def _sqs(r: Resource, ctx: CostContext) -> Estimate:
    return free("SQS: a long-polling consumer stays inside the free million requests per month")


@estimator(AWS_SNS_TOPIC)
def _sns(r: Resource, ctx: CostContext) -> Estimate:
    return free("SNS: alert volume stays inside the free million publishes per month")


@estimator(AWS_EKS_ADDON)
def _addon(r: Resource, ctx: CostContext) -> Estimate:
    if r.props.get("addonName") != "amazon-cloudwatch-observability":
        return free("EKS add-ons cost nothing beyond the nodes they run on")
    per_node = aws_price("cloudwatch.container_insights_per_node_month", ctx.region)
    groups = ctx.find(AWS_EKS_NODE_GROUP, lambda g: _pool_name(g.props.get("labels")) is None)
    nodes = sum(_num(get(g.props, "scalingConfig.minSize")) for g in groups)
    pools = _gpu_pools(ctx)
    warm = sum(_warm_nodes(ctx, p) for p in pools)
    gpu_nodes = sum(max(ctx.usage.gpu_hours(p), _warm_nodes(ctx, p) * H) for p in pools) / H
    return Estimate(
        (nodes + warm) * per_node,
        (nodes + gpu_nodes) * per_node,
        (nodes + gpu_nodes) * per_node,
        f"Container Insights ~${per_node}/node-month for {nodes:g} system nodes"
        + (f" and {warm:g} warm GPU node(s)" if warm else "")
        + " (+ GPU node-hours expected)",
    )


def _gpu_pools(ctx: CostContext) -> list[str]:
    pools = {
        (get(r.props, "spec.template.metadata.labels") or {}).get(POOL_LABEL) for r in ctx.find(K8S_KARPENTER_NODE_POOL)
    }
    pools |= {_pool_name(r.props.get("labels")) for r in ctx.find(AWS_EKS_NODE_GROUP)}
    return sorted(p for p in pools if p)


# --- load balancers, explicit or asked for by Kubernetes --------------------------------------------------

_AWS_REGION = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-\d$")


def is_aws_region(region: str) -> bool:
    return bool(_AWS_REGION.match(region))


def _aws_load_balancer(kind: str, ctx: CostContext, public_ips: int, what: str) -> Estimate:
    hourly = aws_price(f"elb.{kind}_per_hour", ctx.region)
    idle = (hourly + public_ips * aws_price("vpc.public_ipv4_per_hour", ctx.region)) * H
    if kind == "clb":
        return flat(idle, f"{what}: Classic Load Balancer {H:.0f} h x ${hourly}/h")
    lcu = aws_price(f"elb.{kind}_lcu_per_hour", ctx.region)
    return Estimate(
        idle,
        idle + lcu * H,  # one capacity unit around the clock: a lightly used balancer
        idle + lcu * H,
        f"{what}: {kind.upper()} {H:.0f} h x ${hourly}/h"
        + (f" + {public_ips} public IPv4" if public_ips else "")
        + "; expected adds one capacity unit",
    )


@estimator(AWS_LB_LOAD_BALANCER, AWS_ALB_LOAD_BALANCER)
def _elbv2(r: Resource, ctx: CostContext) -> Estimate:
    kind = {"network": "nlb", "gateway": "nlb"}.get(str(r.props.get("loadBalancerType") or "application"), "alb")
    internal = bool(r.props.get("internal"))
    zones = len(r.props.get("subnets") or r.props.get("subnetMappings") or []) or 2
    return _aws_load_balancer(kind, ctx, 0 if internal else zones, "load balancer")


@estimator(AWS_ELB_LOAD_BALANCER)
def _classic_elb(r: Resource, ctx: CostContext) -> Estimate:
    return _aws_load_balancer("clb", ctx, 0, "load balancer")


def _forwarding_rule(ctx: CostContext, what: str) -> Estimate:
    rate = gcp_price("load_balancing.forwarding_rule_per_hour", ctx.region)
    return flat(rate * H, f"{what}: a forwarding rule {H:.0f} h x ${rate}/h")


@estimator(K8S_SERVICE)
def _k8s_service(r: Resource, ctx: CostContext) -> Estimate:
    if get(r.props, "spec.type") != "LoadBalancer":
        return free("a cluster-internal Service costs nothing")
    if not is_aws_region(ctx.region):
        return _forwarding_rule(ctx, "Service type LoadBalancer")
    annotations = get(r.props, "metadata.annotations") or {}
    lb_type = annotations.get("service.beta.kubernetes.io/aws-load-balancer-type")
    # The AWS Load Balancer Controller makes an NLB for `external`/`nlb`; the in-tree provider a Classic one.
    kind = "nlb" if lb_type in ("external", "nlb", "nlb-ip") else "clb"
    scheme = annotations.get("service.beta.kubernetes.io/aws-load-balancer-scheme", "internet-facing")
    ips = 2 if kind == "nlb" and scheme == "internet-facing" else 0
    return _aws_load_balancer(kind, ctx, ips, "Service type LoadBalancer")


def _ingress_class(r: Resource) -> str | None:
    return get(r.props, "spec.ingressClassName") or (get(r.props, "metadata.annotations") or {}).get(
        "kubernetes.io/ingress.class"
    )


def _alb_group(r: Resource) -> str | None:
    return (get(r.props, "metadata.annotations") or {}).get("alb.ingress.kubernetes.io/group.name")


@estimator(K8S_INGRESS)
def _k8s_ingress(r: Resource, ctx: CostContext) -> Estimate:
    cls = _ingress_class(r)
    annotations = get(r.props, "metadata.annotations") or {}
    if is_aws_region(ctx.region) and cls == "alb":
        group = _alb_group(r)
        if group:  # Ingresses of one group share an ALB: price it on the first of them only
            members = ctx.find(r.type, lambda i: _ingress_class(i) == "alb" and _alb_group(i) == group)
            if members and (members[0].urn, members[0].name) != (r.urn, r.name):
                return free(f"shares the ALB of Ingress group {group}")
        scheme = annotations.get("alb.ingress.kubernetes.io/scheme", "internal")
        return _aws_load_balancer("alb", ctx, 2 if scheme == "internet-facing" else 0, "Ingress (alb)")
    if not is_aws_region(ctx.region) and cls in (None, "gce", "gce-internal"):
        return _forwarding_rule(ctx, "Ingress (GCE load balancer)")
    return free(f"served by the {cls or 'default'} ingress controller, whose own Service is priced")


# --- GCP ---------------------------------------------------------------------------------------------------


@estimator(GCP_CONTAINER_CLUSTER)
def _gke(r: Resource, ctx: CostContext) -> Estimate:
    rate = gcp_price("gke.cluster_management_per_hour", ctx.region)
    return flat(
        rate * H,
        f"GKE cluster management {H:.0f} h x ${rate}/h (the free tier may credit one zonal "
        "cluster per billing account)",
    )


def _gce_node_price(ctx: CostContext, node_config: Mapping[str, Any]) -> tuple[float, str] | None:
    cat = load_catalog()
    machine = str(node_config.get("machineType") or "e2-medium")
    spot = bool(node_config.get("spot") or node_config.get("preemptible"))
    mt = cat.machine_type("gcp", machine)
    if mt is None or ctx.region not in mt.on_demand:
        return None
    price = mt.spot.get(ctx.region, mt.on_demand[ctx.region]) if spot else mt.on_demand[ctx.region]
    for acc in node_config.get("guestAccelerators") or []:
        a = cat.gcp_accelerators.get(str(acc.get("type")))
        if a is not None:  # bundled accelerators (g2, a2, a3) are in the machine price already
            table = a.spot if spot else a.on_demand
            price += _num(acc.get("count"), 1) * table.get(ctx.region, a.on_demand.get(ctx.region, 0))
    disk_gb = _num(node_config.get("diskSizeGb"), 100)
    disk_rate = gcp_price(
        "persistent_disk.ssd_per_gb_month"
        if node_config.get("diskType") == "pd-ssd"
        else "persistent_disk.balanced_per_gb_month",
        ctx.region,
    )
    return price + disk_gb * disk_rate / H, f"{machine}{' (spot)' if spot else ''}"


@estimator(GCP_CONTAINER_NODE_POOL)
def _gke_node_pool(r: Resource, ctx: CostContext) -> Estimate:
    node_config = r.props.get("nodeConfig") or {}
    priced = _gce_node_price(ctx, node_config)
    if priced is None:
        return Estimate(
            0, 0, 0, f"machine type {node_config.get('machineType')} not priced in {ctx.region}", known=False
        )
    price, label = priced
    zones = len(r.props.get("nodeLocations") or []) or 1
    auto = r.props.get("autoscaling") or {}
    if auto:
        low = _num(auto.get("totalMinNodeCount"), _num(auto.get("minNodeCount")) * zones)
        high_raw = auto.get("totalMaxNodeCount", None)
        high = _num(high_raw) if high_raw is not None else _num(auto.get("maxNodeCount")) * zones
    else:
        low = high = _num(r.props.get("nodeCount"), _num(r.props.get("initialNodeCount"), 1)) * zones
    labels = node_config.get("labels") or {}
    pool = labels.get(POOL_LABEL)
    idle, peak = low * H * price, high * H * price
    if not pool:
        return Estimate(idle, idle, peak, f"{low:g}-{high:g} x {label} {H:.0f} h")
    hours = ctx.usage.gpu_hours(labels.get(FALLBACK_FOR_LABEL) or pool)
    if labels.get(FALLBACK_FOR_LABEL):
        hours *= ctx.usage.on_demand_fallback_fraction
    od = _gce_node_price(ctx, {**node_config, "spot": False, "preemptible": False})
    od_price = od[0] if od else price
    gpu = GpuCost(
        pool,
        low * H * od_price + hours * od_price,
        0.0 if labels.get(FALLBACK_FOR_LABEL) else high * H * od_price,
        bool(node_config.get("spot") or node_config.get("preemptible")),
    )
    return Estimate(
        idle,
        idle + hours * price,
        peak,
        f"GPU pool {pool}: {low:g}-{high:g} x {label}; expected {hours:g} node-h",
        gpu=gpu,
    )


@estimator(GCP_COMPUTE_INSTANCE)
def _gce_instance(r: Resource, ctx: CostContext) -> Estimate:
    node = {
        "machineType": r.props.get("machineType"),
        "spot": get(r.props, "scheduling.provisioningModel") == "SPOT",
        "guestAccelerators": r.props.get("guestAccelerators"),
        "diskSizeGb": get(r.props, "bootDisk.initializeParams.size") or 10,
    }
    priced = _gce_node_price(ctx, node)
    if priced is None:
        return Estimate(0, 0, 0, f"machine type {node['machineType']} not priced in {ctx.region}", known=False)
    return flat(priced[0] * H, f"{priced[1]} {H:.0f} h")


@estimator(GCP_COMPUTE_ROUTER_NAT)
def _cloud_nat(r: Resource, ctx: CostContext) -> Estimate:
    per_vm = gcp_price("cloud_nat.gateway_per_vm_hour", ctx.region)
    cap = gcp_price("cloud_nat.gateway_max_per_hour", ctx.region)
    data = ctx.usage.nat_gb * gcp_price("cloud_nat.per_gb", ctx.region)
    vms = 2  # the system node pool's minimum
    return Estimate(
        min(vms * per_vm, cap) * H,
        min(vms * per_vm, cap) * H + data,
        cap * H + data,
        f"Cloud NAT ${per_vm}/VM-h (capped at ${cap}/h) + {ctx.usage.nat_gb:g} GB processed expected",
    )


def _cloud_sql_hourly(tier: str, region: str) -> float | None:
    prices = load_service_prices(Cloud.GCP)
    fixed = prices.keyed("cloud_sql_postgres.instance_per_hour", tier, region)
    if fixed is not None:
        return fixed
    match = re.match(r"^db-(?:custom|perf-optimized-N|standard)-(\d+)-(\d+)$", tier)
    if not match:
        return None
    vcpu, mem_mb = int(match.group(1)), int(match.group(2))
    return vcpu * prices.price("cloud_sql_postgres.vcpu_per_hour", region) + mem_mb / 1024 * prices.price(
        "cloud_sql_postgres.memory_gb_per_hour", region
    )


@estimator(GCP_SQL_DATABASE_INSTANCE)
def _cloud_sql(r: Resource, ctx: CostContext) -> Estimate:
    tier = str(get(r.props, "settings.tier"))
    hourly = _cloud_sql_hourly(tier, ctx.region)
    if hourly is None:
        return Estimate(0, 0, 0, f"Cloud SQL tier {tier} not priced", known=False)
    copies = 2 if get(r.props, "settings.availabilityType") == "REGIONAL" else 1
    disk = _num(get(r.props, "settings.diskSize"), 10) * gcp_price("cloud_sql_postgres.ssd_per_gb_month", ctx.region)
    total = copies * (hourly * H + disk)
    return flat(total, f"Cloud SQL {tier} x{copies} {H:.0f} h + SSD storage")


@estimator(GCP_STORAGE_BUCKET)
def _gcs(r: Resource, ctx: CostContext) -> Estimate:
    gb = ctx.usage.bucket_gb(r.name)
    storage = gb * gcp_price("gcs.standard_per_gb_month", ctx.region)
    requests = ctx.usage.s3_requests_per_month
    req_cost = requests / 5 / 1000 * gcp_price(
        "gcs.class_a_per_thousand", ctx.region
    ) + requests * 4 / 5 / 1000 * gcp_price("gcs.class_b_per_thousand", ctx.region)
    return Estimate(storage, storage + req_cost, storage + req_cost, f"{gb:g} GB at GCS Standard")


@estimator(GCP_CLOUDRUNV2_SERVICE)
def _cloud_run(r: Resource, ctx: CostContext) -> Estimate:
    template = r.props.get("template") or {}
    scaling = template.get("scaling") or {}
    low, high = _num(scaling.get("minInstanceCount"), 0), _num(scaling.get("maxInstanceCount"), 100)
    limits = get((template.get("containers") or [{}])[0], "resources.limits") or {}
    cpu = quantity(limits.get("cpu")) or 1.0
    mem = size_gib(limits.get("memory")) or 0.5
    gpus = _num(limits.get(GPU_RESOURCE), 0)
    per_second = (
        cpu * gcp_price("cloud_run.vcpu_per_second", ctx.region)
        + mem * gcp_price("cloud_run.memory_gib_per_second", ctx.region)
        + gpus * gcp_price("cloud_run.l4_gpu_per_second", ctx.region)
    )
    service = str(r.props.get("name") or r.name)
    listed = {k: v for k, v in ctx.usage.cloud_run_requests.items() if service == k or service.startswith(f"{k}-")}
    # A service not listed under cloud_run_requests takes its endpoint's requests (the same key as on AWS).
    requests = next(iter(listed.values())) if listed else ctx.usage.requests(service)
    busy = (
        requests
        * ctx.usage.endpoint_duration_ms
        / 1000
        / max(_num(template.get("maxInstanceRequestConcurrency"), 1), 1)
    )
    idle = low * SECONDS_PER_MONTH * per_second
    expected = idle + busy * per_second + requests / 1e6 * gcp_price("cloud_run.requests_per_million", ctx.region)
    return Estimate(
        idle,
        expected,
        high * SECONDS_PER_MONTH * per_second,
        f"Cloud Run {low:g}-{high:g} instances of {cpu:g} vCPU/{mem:g} GiB" + (f"/{gpus:g} L4" if gpus else ""),
    )


@estimator(GCP_REDIS_INSTANCE)
def _memorystore(r: Resource, ctx: CostContext) -> Estimate:
    gb = _num(r.props.get("memorySizeGb"), 1)
    tier = "standard" if r.props.get("tier") == "STANDARD_HA" else "basic"
    rate = gcp_price(f"memorystore_redis.{tier}_per_gb_hour", ctx.region)
    return flat(gb * rate * H, f"Memorystore {tier} {gb:g} GB x ${rate}/GB-h")


@estimator(GCP_KMS_CRYPTO_KEY)
def _gcp_kms(r: Resource, ctx: CostContext) -> Estimate:
    return flat(gcp_price("cloud_kms.key_version_per_month", ctx.region), "Cloud KMS key version")


@estimator(GCP_MONITORING_ALERT_POLICY)
def _gcp_alert(r: Resource, ctx: CostContext) -> Estimate:
    n = len(r.props.get("conditions") or []) or 1
    return flat(n * gcp_price("cloud_monitoring.alert_condition_per_month", ctx.region), f"{n} alert condition(s)")


@estimator(GCP_BIGQUERY_DATASET)
def _bigquery(r: Resource, ctx: CostContext) -> Estimate:
    gb = ctx.usage.bucket_gb(r.name)
    storage = gb * gcp_price("bigquery.storage_per_gb_month", ctx.region)
    scans = ctx.usage.athena_tb_scanned * gcp_price("bigquery.per_tb_scanned", ctx.region)
    return Estimate(storage, storage + scans, storage + scans, f"{gb:g} GB stored; expected adds queries")


@estimator(GCP_FIRESTORE_DATABASE)
def _firestore(r: Resource, ctx: CostContext) -> Estimate:
    u = ctx.usage
    storage = u.dynamodb_gb * gcp_price("firestore.storage_per_gb_month", ctx.region)
    ops = u.dynamodb_reads_per_month / 1e5 * gcp_price(
        "firestore.reads_per_hundred_thousand", ctx.region
    ) + u.dynamodb_writes_per_month / 1e5 * gcp_price("firestore.writes_per_hundred_thousand", ctx.region)
    return Estimate(storage, storage + ops, storage + ops, "Firestore: storage idle; expected adds reads and writes")


@estimator(GCP_VERTEX_AI_DEPLOYMENT_RESOURCE_POOL)
def _vertex_pool(r: Resource, ctx: CostContext) -> Estimate:
    dedicated = r.props.get("dedicatedResources") or {}
    spec = dedicated.get("machineSpec") or {}
    cat = load_catalog()
    mt = cat.machine_type("gcp", str(spec.get("machineType")))
    if mt is None or ctx.region not in mt.on_demand:
        return Estimate(0, 0, 0, f"machine type {spec.get('machineType')} not priced in {ctx.region}", known=False)
    premium = gcp_price("vertex_ai.prediction_node_premium", ctx.region)
    hourly = mt.on_demand[ctx.region] * premium
    low = _num(dedicated.get("minReplicaCount"), 1)
    high = _num(dedicated.get("maxReplicaCount"), low)
    return Estimate(
        low * H * hourly,
        low * H * hourly,
        high * H * hourly,
        f"Vertex AI {low:g}-{high:g} x {mt.name} at ${hourly:.3f}/h (machine price x {premium} prediction premium)",
    )


@estimator(GCP_VERTEX_AI_ENDPOINT)
def _vertex_endpoint(r: Resource, ctx: CostContext) -> Estimate:
    return free("a Vertex AI endpoint costs nothing until a model is deployed to it (priced with the deployment)")


# --- free and unknown ----------------------------------------------------------------------------------------

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
# Gateway endpoints are free; interface endpoints are billed, and are not modelled.


def estimate(r: Resource, ctx: CostContext) -> Estimate:
    """The monthly cost of one resource: known, free, or not estimated."""
    fn = ESTIMATORS.get(r.type)
    if fn is not None:
        return fn(r, ctx)
    if r.type == AWS_EC2_VPC_ENDPOINT:
        if r.props.get("vpcEndpointType", "Gateway") == "Gateway":
            return free("gateway VPC endpoints are free")
        return NOT_ESTIMATED
    if r.type in FREE_TYPES or r.type.startswith(FREE_PREFIXES):
        return free("no charge of its own")
    return NOT_ESTIMATED


def estimate_all(resources: Iterable[Resource], ctx: CostContext) -> list[tuple[Resource, Estimate]]:
    resources = list(resources)
    ctx.resources = resources
    return [(r, estimate(r, ctx)) for r in resources]


# Estimators of workloads on the cluster (notebooks, Ray, batch jobs) register themselves.
from . import workloads  # noqa: E402, F401
