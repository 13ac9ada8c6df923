"""What Google Cloud resources cost: GKE and its node pools, Compute Engine, Cloud NAT, Cloud SQL, Cloud Storage,
Cloud Run, Memorystore, KMS, Monitoring, BigQuery, Firestore and Vertex AI, per resource and month.
"""

from __future__ import annotations

import re

from ..base.cloud import Cloud
from ..base.labels import FALLBACK_FOR_LABEL, GPU_RESOURCE, POOL_LABEL
from ..base.resources import Resource, get, quantity, size_gib
from ..base.types import (
    GCP_BIGQUERY_DATASET,
    GCP_CLOUDRUNV2_SERVICE,
    GCP_COMPUTE_INSTANCE,
    GCP_COMPUTE_ROUTER_NAT,
    GCP_CONTAINER_CLUSTER,
    GCP_CONTAINER_NODE_POOL,
    GCP_FIRESTORE_DATABASE,
    GCP_KMS_CRYPTO_KEY,
    GCP_MONITORING_ALERT_POLICY,
    GCP_REDIS_INSTANCE,
    GCP_SQL_DATABASE_INSTANCE,
    GCP_STORAGE_BUCKET,
    GCP_VERTEX_AI_DEPLOYMENT_RESOURCE_POOL,
    GCP_VERTEX_AI_ENDPOINT,
)
from ..catalog.catalog import load_catalog, load_service_prices
from .estimate import SECONDS_PER_MONTH, CostContext, Estimate, Estimator, GpuCost, H, flat, free, num
from .pricing import (
    gce_node_hourly,
    gcp_price,
)


def _gke(r: Resource, ctx: CostContext) -> Estimate:
    rate = gcp_price("gke.cluster_management_per_hour", ctx.region)
    return flat(
        rate * H,
        f"GKE cluster management {H:.0f} h x ${rate}/h (the free tier may credit one zonal "
        "cluster per billing account)",
    )


def _gke_node_pool(r: Resource, ctx: CostContext) -> Estimate:
    node_config = r.props.get("nodeConfig") or {}
    priced = gce_node_hourly(ctx, node_config)
    if priced is None:
        return Estimate(
            0, 0, 0, f"machine type {node_config.get('machineType')} not priced in {ctx.region}", known=False
        )
    price, label = priced
    zones = len(r.props.get("nodeLocations") or []) or 1
    auto = r.props.get("autoscaling") or {}
    if auto:
        low = num(auto.get("totalMinNodeCount"), num(auto.get("minNodeCount")) * zones)
        high_raw = auto.get("totalMaxNodeCount", None)
        high = num(high_raw) if high_raw is not None else num(auto.get("maxNodeCount")) * zones
    else:
        low = high = num(r.props.get("nodeCount"), num(r.props.get("initialNodeCount"), 1)) * zones
    labels = node_config.get("labels") or {}
    pool = labels.get(POOL_LABEL)
    idle, peak = low * H * price, high * H * price
    if not pool:
        return Estimate(idle, idle, peak, f"{low:g}-{high:g} x {label} {H:.0f} h")
    hours = ctx.usage.gpu_hours(labels.get(FALLBACK_FOR_LABEL) or pool)
    if labels.get(FALLBACK_FOR_LABEL):
        hours *= ctx.usage.on_demand_fallback_fraction
    od = gce_node_hourly(ctx, {**node_config, "spot": False, "preemptible": False})
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


def _gce_instance(r: Resource, ctx: CostContext) -> Estimate:
    node = {
        "machineType": r.props.get("machineType"),
        "spot": get(r.props, "scheduling.provisioningModel") == "SPOT",
        "guestAccelerators": r.props.get("guestAccelerators"),
        "diskSizeGb": get(r.props, "bootDisk.initializeParams.size") or 10,
    }
    priced = gce_node_hourly(ctx, node)
    if priced is None:
        return Estimate(0, 0, 0, f"machine type {node['machineType']} not priced in {ctx.region}", known=False)
    return flat(priced[0] * H, f"{priced[1]} {H:.0f} h")


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


def _cloud_sql(r: Resource, ctx: CostContext) -> Estimate:
    tier = str(get(r.props, "settings.tier"))
    hourly = _cloud_sql_hourly(tier, ctx.region)
    if hourly is None:
        return Estimate(0, 0, 0, f"Cloud SQL tier {tier} not priced", known=False)
    copies = 2 if get(r.props, "settings.availabilityType") == "REGIONAL" else 1
    disk = num(get(r.props, "settings.diskSize"), 10) * gcp_price("cloud_sql_postgres.ssd_per_gb_month", ctx.region)
    total = copies * (hourly * H + disk)
    return flat(total, f"Cloud SQL {tier} x{copies} {H:.0f} h + SSD storage")


def _gcs(r: Resource, ctx: CostContext) -> Estimate:
    gb = ctx.usage.bucket_gb(r.name)
    storage = gb * gcp_price("gcs.standard_per_gb_month", ctx.region)
    requests = ctx.usage.s3_requests_per_month
    req_cost = requests / 5 / 1000 * gcp_price(
        "gcs.class_a_per_thousand", ctx.region
    ) + requests * 4 / 5 / 1000 * gcp_price("gcs.class_b_per_thousand", ctx.region)
    return Estimate(storage, storage + req_cost, storage + req_cost, f"{gb:g} GB at GCS Standard")


def _cloud_run(r: Resource, ctx: CostContext) -> Estimate:
    template = r.props.get("template") or {}
    scaling = template.get("scaling") or {}
    low, high = num(scaling.get("minInstanceCount"), 0), num(scaling.get("maxInstanceCount"), 100)
    limits = get((template.get("containers") or [{}])[0], "resources.limits") or {}
    cpu = quantity(limits.get("cpu")) or 1.0
    mem = size_gib(limits.get("memory")) or 0.5
    gpus = num(limits.get(GPU_RESOURCE), 0)
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
        requests * ctx.usage.endpoint_duration_ms / 1000 / max(num(template.get("maxInstanceRequestConcurrency"), 1), 1)
    )
    idle = low * SECONDS_PER_MONTH * per_second
    expected = idle + busy * per_second + requests / 1e6 * gcp_price("cloud_run.requests_per_million", ctx.region)
    return Estimate(
        idle,
        expected,
        high * SECONDS_PER_MONTH * per_second,
        f"Cloud Run {low:g}-{high:g} instances of {cpu:g} vCPU/{mem:g} GiB" + (f"/{gpus:g} L4" if gpus else ""),
    )


def _memorystore(r: Resource, ctx: CostContext) -> Estimate:
    gb = num(r.props.get("memorySizeGb"), 1)
    tier = "standard" if r.props.get("tier") == "STANDARD_HA" else "basic"
    rate = gcp_price(f"memorystore_redis.{tier}_per_gb_hour", ctx.region)
    return flat(gb * rate * H, f"Memorystore {tier} {gb:g} GB x ${rate}/GB-h")


def _gcp_kms(r: Resource, ctx: CostContext) -> Estimate:
    return flat(gcp_price("cloud_kms.key_version_per_month", ctx.region), "Cloud KMS key version")


def _gcp_alert(r: Resource, ctx: CostContext) -> Estimate:
    n = len(r.props.get("conditions") or []) or 1
    return flat(n * gcp_price("cloud_monitoring.alert_condition_per_month", ctx.region), f"{n} alert condition(s)")


def _bigquery(r: Resource, ctx: CostContext) -> Estimate:
    gb = ctx.usage.bucket_gb(r.name)
    storage = gb * gcp_price("bigquery.storage_per_gb_month", ctx.region)
    scans = ctx.usage.athena_tb_scanned * gcp_price("bigquery.per_tb_scanned", ctx.region)
    return Estimate(storage, storage + scans, storage + scans, f"{gb:g} GB stored; expected adds queries")


def _firestore(r: Resource, ctx: CostContext) -> Estimate:
    u = ctx.usage
    storage = u.dynamodb_gb * gcp_price("firestore.storage_per_gb_month", ctx.region)
    ops = u.dynamodb_reads_per_month / 1e5 * gcp_price(
        "firestore.reads_per_hundred_thousand", ctx.region
    ) + u.dynamodb_writes_per_month / 1e5 * gcp_price("firestore.writes_per_hundred_thousand", ctx.region)
    return Estimate(storage, storage + ops, storage + ops, "Firestore: storage idle; expected adds reads and writes")


def _vertex_pool(r: Resource, ctx: CostContext) -> Estimate:
    dedicated = r.props.get("dedicatedResources") or {}
    spec = dedicated.get("machineSpec") or {}
    cat = load_catalog()
    mt = cat.machine_type("gcp", str(spec.get("machineType")))
    if mt is None or ctx.region not in mt.on_demand:
        return Estimate(0, 0, 0, f"machine type {spec.get('machineType')} not priced in {ctx.region}", known=False)
    premium = gcp_price("vertex_ai.prediction_node_premium", ctx.region)
    hourly = mt.on_demand[ctx.region] * premium
    low = num(dedicated.get("minReplicaCount"), 1)
    high = num(dedicated.get("maxReplicaCount"), low)
    return Estimate(
        low * H * hourly,
        low * H * hourly,
        high * H * hourly,
        f"Vertex AI {low:g}-{high:g} x {mt.name} at ${hourly:.3f}/h (machine price x {premium} prediction premium)",
    )


def _vertex_endpoint(r: Resource, ctx: CostContext) -> Estimate:
    return free("a Vertex AI endpoint costs nothing until a model is deployed to it (priced with the deployment)")


ESTIMATORS: dict[str, Estimator] = {
    GCP_CONTAINER_CLUSTER: _gke,
    GCP_CONTAINER_NODE_POOL: _gke_node_pool,
    GCP_COMPUTE_INSTANCE: _gce_instance,
    GCP_COMPUTE_ROUTER_NAT: _cloud_nat,
    GCP_SQL_DATABASE_INSTANCE: _cloud_sql,
    GCP_STORAGE_BUCKET: _gcs,
    GCP_CLOUDRUNV2_SERVICE: _cloud_run,
    GCP_REDIS_INSTANCE: _memorystore,
    GCP_KMS_CRYPTO_KEY: _gcp_kms,
    GCP_MONITORING_ALERT_POLICY: _gcp_alert,
    GCP_BIGQUERY_DATASET: _bigquery,
    GCP_FIRESTORE_DATABASE: _firestore,
    GCP_VERTEX_AI_DEPLOYMENT_RESOURCE_POOL: _vertex_pool,
    GCP_VERTEX_AI_ENDPOINT: _vertex_endpoint,
}
