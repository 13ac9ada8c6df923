"""What AWS resources cost: EKS, its node groups and Karpenter NodePools, EC2, databases, storage, SageMaker,
CloudWatch, load balancers and the rest, per resource and month (idle, expected, peak).

- idle: everything at its minimum, no traffic (data at rest still costs);
- expected: the usage assumptions (:class:`~mlplatform.components.cost.usage.UsageAssumptions`);
- peak: everything at its maximum (node pools at their limits, autoscaling at max, serverless concurrency
  saturated). A pool with no upper bound has an *unbounded* peak: a finding, not a number.

Example::

    from mlplatform.components.base.resources import Resource
    from mlplatform.components.base.types import AWS_EC2_NAT_GATEWAY
    from mlplatform.components.cost.estimate import CostContext
    from mlplatform.components.cost.estimators import estimate

    e = estimate(Resource(AWS_EC2_NAT_GATEWAY, "nat"), CostContext(region="us-east-1"))
    e.idle   # 36.5: 730 h x $0.045 + the gateway's public IPv4 address is priced with its EIP
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from ..base.cloud import Cloud
from ..base.labels import CAPACITY_TYPE_LABEL, FALLBACK_FOR_LABEL, GPU_RESOURCE, POOL_LABEL, WARM_FOR_LABEL
from ..base.resources import Resource, get, quantity, size_gib
from ..base.types import (
    AWS_ALB_LOAD_BALANCER,
    AWS_APPAUTOSCALING_TARGET,
    AWS_ATHENA_WORKGROUP,
    AWS_AUTOSCALING_GROUP,
    AWS_CLOUDWATCH_DASHBOARD,
    AWS_CLOUDWATCH_LOG_GROUP,
    AWS_CLOUDWATCH_METRIC_ALARM,
    AWS_DYNAMODB_TABLE,
    AWS_EBS_VOLUME,
    AWS_EC2_EIP,
    AWS_EC2_INSTANCE,
    AWS_EC2_LAUNCH_TEMPLATE,
    AWS_EC2_NAT_GATEWAY,
    AWS_EC2_VPC_ENDPOINT,
    AWS_EKS_ADDON,
    AWS_EKS_CLUSTER,
    AWS_EKS_NODE_GROUP,
    AWS_ELASTICACHE_REPLICATION_GROUP,
    AWS_ELB_LOAD_BALANCER,
    AWS_KMS_KEY,
    AWS_LB_LOAD_BALANCER,
    AWS_RDS_INSTANCE,
    AWS_S3_BUCKET,
    AWS_S3_BUCKET_V2,
    AWS_SAGEMAKER_DATA_QUALITY_JOB_DEFINITION,
    AWS_SAGEMAKER_ENDPOINT,
    AWS_SAGEMAKER_ENDPOINT_CONFIGURATION,
    AWS_SAGEMAKER_MONITORING_SCHEDULE,
    AWS_SECRETSMANAGER_SECRET,
    AWS_SNS_TOPIC,
    AWS_SQS_QUEUE,
    K8S_DEPLOYMENT,
    K8S_KARPENTER_NODE_POOL,
)
from ..catalog.catalog import load_catalog, load_service_prices
from .estimate import NOT_ESTIMATED, SECONDS_PER_MONTH, CostContext, Estimate, Estimator, GpuCost, H, flat, free, num
from .pricing import (
    aws_load_balancer,
    aws_price,
    ec2_hourly,
    launch_template_volume_gb,
    node_class_volume_gb,
)


def _pool_name(labels: Mapping[str, Any] | None) -> str | None:
    return (labels or {}).get(POOL_LABEL)


def _eks(r: Resource, ctx: CostContext) -> Estimate:
    extended = get(r.props, "upgradePolicy.supportType") == "EXTENDED"
    rate = aws_price("eks.extended_support_per_hour" if extended else "eks.control_plane_per_hour", ctx.region)
    return flat(rate * H, f"EKS control plane {'(extended support) ' if extended else ''}{H:.0f} h x ${rate}/h")


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


def _eip(r: Resource, ctx: CostContext) -> Estimate:
    rate = aws_price("vpc.public_ipv4_per_hour", ctx.region)
    return flat(rate * H, f"public IPv4 address {H:.0f} h x ${rate}/h")


def _ebs(r: Resource, ctx: CostContext) -> Estimate:
    size = num(r.props.get("size"), 0)
    kind = r.props.get("type") or "gp3"
    rate = aws_price("ebs.gp2_per_gb_month" if kind == "gp2" else "ebs.gp3_per_gb_month", ctx.region)
    return flat(size * rate, f"EBS {kind} {size:g} GB x ${rate}/GB-month")


def _node_group(r: Resource, ctx: CostContext) -> Estimate:
    types = list(r.props.get("instanceTypes") or ["t3.medium"])
    spot = r.props.get("capacityType") == "SPOT"
    prices = [(t, ec2_hourly(t, ctx.region, spot)) for t in types]
    known = [(t, p) for t, p in prices if p is not None]
    if not known:
        return Estimate(0, 0, 0, f"instance types {types} not in the catalog for {ctx.region}", known=False)
    cheap_type, cheapest = min(known, key=lambda tp: tp[1])
    dear_type, dearest = max(known, key=lambda tp: tp[1])
    volume = launch_template_volume_gb(ctx, get(r.props, "launchTemplate.id")) or num(r.props.get("diskSize"), 20)
    disk = volume * aws_price("ebs.gp3_per_gb_month", ctx.region) / H  # per node-hour
    low, want, high = (num(get(r.props, f"scalingConfig.{k}")) for k in ("minSize", "desiredSize", "maxSize"))
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
    od_cheapest = min(ec2_hourly(t, ctx.region, False) or math.inf for t in types)
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


def _node_pool(r: Resource, ctx: CostContext) -> Estimate:
    spec = r.props.get("spec") or {}
    requirements = get(spec, "template.spec.requirements") or []
    req = {q.get("key"): q for q in requirements}
    types = list(get(req.get("node.kubernetes.io/instance-type") or {}, "values") or [])
    capacity = list(get(req.get(CAPACITY_TYPE_LABEL) or {}, "values") or ["spot", "on-demand"])
    labels = get(spec, "template.metadata.labels") or {}
    pool = _pool_name(labels) or get(r.props, "metadata.name") or r.name
    cat = load_catalog()
    shapes = [cat.machine_type("aws", t) for t in types]
    shapes = [m for m in shapes if m is not None and ctx.region in m.on_demand]
    if not shapes:
        return Estimate(0, 0, 0, f"NodePool {pool}: no instance types the catalog prices in {ctx.region}", known=False)
    disk = node_class_volume_gb(ctx, get(spec, "template.spec.nodeClassRef.name"))
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
                out[target] = out.get(target, 0.0) + num(get(d.props, "spec.replicas"), 1)
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


def _instance(r: Resource, ctx: CostContext) -> Estimate:
    itype = r.props.get("instanceType")
    spot = get(r.props, "instanceMarketOptions.marketType") == "spot"
    price = ec2_hourly(str(itype), ctx.region, spot)
    if price is None:
        return Estimate(0, 0, 0, f"instance type {itype} not in the catalog for {ctx.region}", known=False)
    disk = num(get(r.props, "rootBlockDevice.volumeSize"), 8) * aws_price("ebs.gp3_per_gb_month", ctx.region)
    return flat(price * H + disk, f"{itype} ({'spot' if spot else 'on-demand'}) {H:.0f} h + root volume")


def _asg(r: Resource, ctx: CostContext) -> Estimate:
    template = get(r.props, "launchTemplate.id") or get(
        r.props, "mixedInstancesPolicy.launchTemplate.launchTemplateSpecification.launchTemplateId"
    )
    lts = ctx.with_id(AWS_EC2_LAUNCH_TEMPLATE, template)
    itype = lts[0].props.get("instanceType") if lts else None
    price = ec2_hourly(str(itype), ctx.region, False) if itype else None
    if price is None:
        return Estimate(0, 0, 0, "instance type of the launch template unknown", known=False)
    low, want, high = (num(r.props.get(k)) for k in ("minSize", "desiredCapacity", "maxSize"))
    return Estimate(
        low * H * price, max(low, want) * H * price, high * H * price, f"{low:g}-{high:g} x {itype} on-demand {H:.0f} h"
    )


def _launch_template(r: Resource, ctx: CostContext) -> Estimate:
    return free("a template: its instances are priced with the node group or Auto Scaling group using it")


def _rds(r: Resource, ctx: CostContext) -> Estimate:
    cls = str(r.props.get("instanceClass"))
    hourly = load_service_prices(Cloud.AWS).keyed("rds_postgres.instance_per_hour", cls, ctx.region)
    if hourly is None:
        return Estimate(0, 0, 0, f"RDS class {cls} not in the price table", known=False)
    copies = 2 if r.props.get("multiAz") else 1
    storage_rate = aws_price("rds_postgres.gp3_storage_per_gb_month", ctx.region)
    storage = num(r.props.get("allocatedStorage"), 20)
    max_storage = num(r.props.get("maxAllocatedStorage"), storage) or storage
    base = copies * (hourly * H + storage * storage_rate)
    peak = copies * (hourly * H + max_storage * storage_rate)
    return Estimate(
        base,
        base,
        peak,
        f"{cls} x{copies} {H:.0f} h x ${hourly}/h + {storage:g} GB gp3 (peak: "
        f"{max_storage:g} GB after storage autoscaling)",
    )


def _redis(r: Resource, ctx: CostContext) -> Estimate:
    node = str(r.props.get("nodeType"))
    hourly = load_service_prices(Cloud.AWS).keyed("elasticache_redis.node_per_hour", node, ctx.region)
    if hourly is None:
        return Estimate(0, 0, 0, f"ElastiCache node type {node} not in the price table", known=False)
    n = num(r.props.get("numCacheClusters"), 1) or 1
    return flat(n * hourly * H, f"{n:g} x {node} {H:.0f} h x ${hourly}/h")


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


def _monitoring_schedule(r: Resource, ctx: CostContext) -> Estimate:
    """Model Monitor: runs per month x hours per run on the job definition's processing instance."""
    expression = str(get(r.props, "monitoringScheduleConfig.scheduleConfig.scheduleExpression") or "")
    runs = {"cron(0 * ? * * *)": H, "cron(0 0 ? * * *)": 365 / 12}.get(expression)
    definition = str(get(r.props, "monitoringScheduleConfig.monitoringJobDefinitionName") or "")
    itype, count = None, 1.0
    for d in ctx.find(AWS_SAGEMAKER_DATA_QUALITY_JOB_DEFINITION):
        if d.props.get("name") == definition:
            itype = get(d.props, "jobResources.clusterConfig.instanceType")
            count = num(get(d.props, "jobResources.clusterConfig.instanceCount"), 1)
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
            return num(target.props.get("minCapacity"), initial), num(target.props.get("maxCapacity"), initial)
    return initial, initial


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
            gb = num(serverless.get("memorySizeInMb")) / 1024
            rate = rates.usd_per_gb_second.get(ctx.region, rates.usd_per_gb_second["us-east-1"])
            pc = num(serverless.get("provisionedConcurrency"))
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
            peak += pc_cost + num(serverless.get("maxConcurrency")) * gb * SECONDS_PER_MONTH * rate
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
        initial = num(v.get("initialInstanceCount"), 1)
        low, high = _variant_range(ctx, r, str(v.get("variantName")), initial)
        idle += low * price * H
        expected += initial * price * H
        peak += high * price * H
        notes.append(f"{v.get('variantName')}: {low:g}-{high:g} x {itype} at ${price}/h")
    return Estimate(idle, expected, peak, "; ".join(notes))


def _dashboard(r: Resource, ctx: CostContext) -> Estimate:
    return flat(aws_price("cloudwatch.dashboard_per_month", ctx.region), "CloudWatch dashboard (free tier not applied)")


def _alarm(r: Resource, ctx: CostContext) -> Estimate:
    high_res = num(r.props.get("period"), 300) < 60
    rate = aws_price(
        "cloudwatch.high_resolution_alarm_per_month" if high_res else "cloudwatch.alarm_per_month", ctx.region
    )
    return flat(rate, f"CloudWatch alarm ({'high' if high_res else 'standard'} resolution)")


def _log_group(r: Resource, ctx: CostContext) -> Estimate:
    ingest = aws_price("cloudwatch.log_ingestion_per_gb", ctx.region)
    days = num(r.props.get("retentionInDays"), 0)
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


def _kms(r: Resource, ctx: CostContext) -> Estimate:
    key = aws_price("kms.key_per_month", ctx.region)
    requests = ctx.usage.kms_requests_per_month / 10_000 * aws_price("kms.requests_per_ten_thousand", ctx.region)
    return Estimate(key, key + requests, key + requests, "KMS key $1/month; expected adds requests")


def _secret(r: Resource, ctx: CostContext) -> Estimate:
    return flat(aws_price("secrets_manager.secret_per_month", ctx.region), "Secrets Manager secret")


def _athena(r: Resource, ctx: CostContext) -> Estimate:
    tb = ctx.usage.athena_tb_scanned
    cutoff = num(get(r.props, "configuration.bytesScannedCutoffPerQuery"), 0)
    return Estimate(
        0,
        tb * aws_price("athena.per_tb_scanned", ctx.region),
        tb * aws_price("athena.per_tb_scanned", ctx.region),
        f"{tb:g} TB scanned per month expected" + (f"; queries capped at {cutoff / 1024**3:g} GB" if cutoff else ""),
    )


def _sqs(r: Resource, ctx: CostContext) -> Estimate:
    return free("SQS: a long-polling consumer stays inside the free million requests per month")


def _sns(r: Resource, ctx: CostContext) -> Estimate:
    return free("SNS: alert volume stays inside the free million publishes per month")


def _addon(r: Resource, ctx: CostContext) -> Estimate:
    if r.props.get("addonName") != "amazon-cloudwatch-observability":
        return free("EKS add-ons cost nothing beyond the nodes they run on")
    per_node = aws_price("cloudwatch.container_insights_per_node_month", ctx.region)
    groups = ctx.find(AWS_EKS_NODE_GROUP, lambda g: _pool_name(g.props.get("labels")) is None)
    nodes = sum(num(get(g.props, "scalingConfig.minSize")) for g in groups)
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


def _elbv2(r: Resource, ctx: CostContext) -> Estimate:
    kind = {"network": "nlb", "gateway": "nlb"}.get(str(r.props.get("loadBalancerType") or "application"), "alb")
    internal = bool(r.props.get("internal"))
    zones = len(r.props.get("subnets") or r.props.get("subnetMappings") or []) or 2
    return aws_load_balancer(kind, ctx, 0 if internal else zones, "load balancer")


def _classic_elb(r: Resource, ctx: CostContext) -> Estimate:
    return aws_load_balancer("clb", ctx, 0, "load balancer")


def _vpc_endpoint(r: Resource, ctx: CostContext) -> Estimate:
    # Gateway endpoints are free; interface endpoints are billed, and are not modelled.
    if r.props.get("vpcEndpointType", "Gateway") == "Gateway":
        return free("gateway VPC endpoints are free")
    return NOT_ESTIMATED


ESTIMATORS: dict[str, Estimator] = {
    AWS_EKS_CLUSTER: _eks,
    AWS_EC2_NAT_GATEWAY: _nat,
    AWS_EC2_EIP: _eip,
    AWS_EBS_VOLUME: _ebs,
    AWS_EKS_NODE_GROUP: _node_group,
    K8S_KARPENTER_NODE_POOL: _node_pool,
    AWS_EC2_INSTANCE: _instance,
    AWS_AUTOSCALING_GROUP: _asg,
    AWS_EC2_LAUNCH_TEMPLATE: _launch_template,
    AWS_RDS_INSTANCE: _rds,
    AWS_ELASTICACHE_REPLICATION_GROUP: _redis,
    AWS_DYNAMODB_TABLE: _dynamodb,
    AWS_S3_BUCKET: _s3,
    AWS_S3_BUCKET_V2: _s3,
    AWS_SAGEMAKER_MONITORING_SCHEDULE: _monitoring_schedule,
    AWS_SAGEMAKER_ENDPOINT_CONFIGURATION: _sagemaker_config,
    AWS_CLOUDWATCH_DASHBOARD: _dashboard,
    AWS_CLOUDWATCH_METRIC_ALARM: _alarm,
    AWS_CLOUDWATCH_LOG_GROUP: _log_group,
    AWS_KMS_KEY: _kms,
    AWS_SECRETSMANAGER_SECRET: _secret,
    AWS_ATHENA_WORKGROUP: _athena,
    AWS_SQS_QUEUE: _sqs,
    AWS_SNS_TOPIC: _sns,
    AWS_EKS_ADDON: _addon,
    AWS_LB_LOAD_BALANCER: _elbv2,
    AWS_ALB_LOAD_BALANCER: _elbv2,
    AWS_ELB_LOAD_BALANCER: _classic_elb,
    AWS_EC2_VPC_ENDPOINT: _vpc_endpoint,
}
