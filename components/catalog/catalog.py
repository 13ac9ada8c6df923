"""The GPU and price catalog: typed access to the data files in ``data/``.

Every price carries its source and as-of date (:class:`PriceSource`). The catalog answers the questions the
components, the cost model and the policy pack ask: which instance types carry N GPUs of a model in a region
(cheapest first), what a type costs on demand or on spot, and which GPU an instance type carries.

Example::

    from mlplatform.components.catalog import load_catalog

    cat = load_catalog()
    best = cat.gpu_offerings("aws", "us-east-1", "L4", gpus_per_node=1, purchase="spot")[0]
    print(best.machine_type, best.spot_usd_hour)
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml

from ..base.cloud import Cloud

DATA_DIR = Path(__file__).parent / "data"

# Hours in an average month (8,760 h / 12), the convention of AWS and GCP price calculators.
HOURS_PER_MONTH = 730.0

_AWS_REGION = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-\d$")


def is_aws_region(region: str) -> bool:
    """``us-east-1``, ``us-gov-west-1``: an AWS region's name (GCP's are ``us-central1``)."""
    return bool(_AWS_REGION.match(region))


# Vertex AI's accelerator enum for each catalog GPU model (Vertex names GPUs differently from GKE and GCE).
VERTEX_ACCELERATORS = {
    "T4": "NVIDIA_TESLA_T4",
    "L4": "NVIDIA_L4",
    "V100": "NVIDIA_TESLA_V100",
    "A100": "NVIDIA_TESLA_A100",
    "A100-80GB": "NVIDIA_A100_80GB",
    "H100": "NVIDIA_H100_80GB",
    "H200": "NVIDIA_H200_141GB",
}


class Purchase(StrEnum):
    """How capacity is bought: the price list a figure comes from."""

    ON_DEMAND = "on-demand"
    SPOT = "spot"


class CatalogError(LookupError):
    """A catalog lookup for something the catalog does not hold."""


@dataclass(frozen=True)
class PriceSource:
    """Where a table of prices came from and when it was true."""

    source: str
    as_of: str


@dataclass(frozen=True)
class GpuModel:
    name: str
    memory_gib: int
    architecture: str
    tier: str  # inference | training | frontier


@dataclass(frozen=True)
class MachineType:
    """An instance or machine type: its shape, bundled GPUs and hourly prices per region."""

    cloud: Cloud
    name: str
    vcpu: int
    memory_gib: float
    gpu: str | None
    gpus: int
    on_demand: Mapping[str, float]
    spot: Mapping[str, float]

    @property
    def family(self) -> str:
        """``g5`` for ``g5.xlarge``, ``ml.g5`` for ``ml.g5.xlarge``, ``n1`` for ``n1-standard-4``."""
        if self.cloud is Cloud.AWS:
            return self.name.rsplit(".", 1)[0]
        return self.name.split("-", 1)[0]

    def offered_in(self, region: str) -> bool:
        return region in self.on_demand


@dataclass(frozen=True)
class Accelerator:
    """A GPU that is attached to a general-purpose machine (GCP N1 + T4/V100)."""

    name: str
    gpu: str
    machine_series: str
    max_vcpus_by_count: Mapping[int, int]
    on_demand: Mapping[str, float]
    spot: Mapping[str, float]


@dataclass(frozen=True)
class Offering:
    """A way to get ``gpus`` GPUs of model ``gpu`` on one node in one region, with its hourly prices."""

    cloud: Cloud
    region: str
    machine_type: str
    gpu: str
    gpus: int
    vcpu: int
    memory_gib: float
    on_demand_usd_hour: float
    spot_usd_hour: float | None
    accelerator_type: str | None = None  # GCP: the accelerator name the node pool must request

    def usd_hour(self, purchase: Purchase | str) -> float:
        """The hourly price for ``purchase``; spot falls back to on-demand when no spot price is known."""
        if Purchase(purchase) is Purchase.SPOT and self.spot_usd_hour is not None:
            return self.spot_usd_hour
        return self.on_demand_usd_hour


@dataclass(frozen=True)
class Shape:
    """A node shape the catalog prices in a region (``catalog show``): its GPUs, size and hourly prices.

    ``service`` is ``ec2``, ``sagemaker`` (an ``ml.`` hosting type) or ``gce``; ``accelerator_type`` names a GPU
    attached to a GCP N1 machine (the shape is then the machine plus the accelerator).
    """

    cloud: Cloud
    service: str
    region: str
    shape: str
    gpu: str | None
    gpus: int
    vcpu: int
    memory_gib: float
    on_demand_usd_hour: float
    spot_usd_hour: float | None
    accelerator_type: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "cloud": str(self.cloud),
            "service": self.service,
            "region": self.region,
            "shape": self.shape,
            "gpu": self.gpu,
            "gpus": self.gpus,
            "vcpu": self.vcpu,
            "memory_gib": self.memory_gib,
            "on_demand_usd_hour": self.on_demand_usd_hour,
            "spot_usd_hour": self.spot_usd_hour,
            "accelerator_type": self.accelerator_type,
        }


@dataclass(frozen=True)
class SageMakerServerlessRates:
    usd_per_gb_second: Mapping[str, float]
    provisioned_usd_per_gb_second: Mapping[str, float]
    usd_per_gb_processed: Mapping[str, float]
    memory_mb: tuple[int, ...]
    max_concurrency: int
    source: PriceSource


@dataclass(frozen=True)
class Catalog:
    """All catalog data, loaded once (:func:`load_catalog`)."""

    gpus: Mapping[str, GpuModel]
    aws_instances: Mapping[str, MachineType]
    sagemaker_instances: Mapping[str, MachineType]
    sagemaker_serverless: SageMakerServerlessRates
    gcp_machines: Mapping[str, MachineType]
    gcp_accelerators: Mapping[str, Accelerator]
    gcp_bundled_accelerators: Mapping[str, str]
    kubernetes_versions: Mapping[str, tuple[str, ...]]
    default_kubernetes_version: str
    region_lists: Mapping[Cloud, tuple[str, ...]]
    sources: Mapping[str, PriceSource] = field(default_factory=dict)

    # --- lookups -------------------------------------------------------------------------------------------

    def gpu(self, name: str) -> GpuModel:
        try:
            return self.gpus[name]
        except KeyError:
            raise CatalogError(f"unknown GPU model {name!r}; known: {', '.join(self.gpus)}") from None

    def regions(self, cloud: Cloud | str) -> tuple[str, ...]:
        return self.region_lists[Cloud(cloud)]

    def machine_type(self, cloud: Cloud | str, name: str) -> MachineType | None:
        """An EC2 instance type (``g5.xlarge``) or a GCE machine type (``g2-standard-4``); None if unknown."""
        table = self.aws_instances if Cloud(cloud) is Cloud.AWS else self.gcp_machines
        return table.get(name)

    def sagemaker_instance(self, name: str) -> MachineType | None:
        return self.sagemaker_instances.get(name)

    def hourly_price(
        self, cloud: Cloud | str, region: str, name: str, purchase: Purchase | str = Purchase.ON_DEMAND
    ) -> float | None:
        """USD/hour of a machine type in a region, or None when the region does not offer it."""
        mt = self.machine_type(cloud, name) or (self.sagemaker_instance(name) if Cloud(cloud) is Cloud.AWS else None)
        if mt is None or region not in mt.on_demand:
            return None
        if Purchase(purchase) is Purchase.SPOT:
            return mt.spot.get(region, mt.on_demand[region])
        return mt.on_demand[region]

    def gpu_of(self, cloud: Cloud | str, name: str, accelerator_type: str | None = None) -> tuple[str, int] | None:
        """(GPU model, count) a machine carries, or None for a CPU machine or an unknown type.

        On GCP an N1 machine carries no GPU itself: pass the node's ``accelerator_type`` to resolve it.
        SageMaker ``ml.*`` types resolve too.
        """
        if accelerator_type:
            acc = self.gcp_accelerators.get(accelerator_type)
            if acc is not None:
                return acc.gpu, 0
            for gpu, acc_name in self.gcp_bundled_accelerators.items():
                if acc_name == accelerator_type:
                    return gpu, 0
        mt = self.machine_type(cloud, name) or (self.sagemaker_instance(name) if Cloud(cloud) is Cloud.AWS else None)
        if mt is None or mt.gpu is None:
            return None
        return mt.gpu, mt.gpus

    def gpu_offerings(
        self,
        cloud: Cloud | str,
        region: str,
        gpu: str,
        gpus_per_node: int,
        purchase: Purchase | str = Purchase.ON_DEMAND,
    ) -> list[Offering]:
        """Every node shape with exactly ``gpus_per_node`` GPUs of ``gpu`` in ``region``, cheapest first."""
        cloud = Cloud(cloud)
        found: list[Offering] = []
        machines = self.aws_instances if cloud is Cloud.AWS else self.gcp_machines
        for mt in machines.values():
            if mt.gpu == gpu and mt.gpus == gpus_per_node and region in mt.on_demand:
                found.append(
                    Offering(
                        cloud=cloud,
                        region=region,
                        machine_type=mt.name,
                        gpu=gpu,
                        gpus=gpus_per_node,
                        vcpu=mt.vcpu,
                        memory_gib=mt.memory_gib,
                        on_demand_usd_hour=mt.on_demand[region],
                        spot_usd_hour=mt.spot.get(region),
                        accelerator_type=self.gcp_bundled_accelerators.get(gpu) if cloud is Cloud.GCP else None,
                    )
                )
        if cloud is Cloud.GCP:
            found.extend(self._attached_offerings(region, gpu, gpus_per_node))
        return sorted(found, key=lambda o: (o.usd_hour(purchase), o.machine_type))

    def _attached_offerings(self, region: str, gpu: str, count: int) -> list[Offering]:
        out = []
        for acc in self.gcp_accelerators.values():
            if acc.gpu != gpu or count not in acc.max_vcpus_by_count or region not in acc.on_demand:
                continue
            for mt in self.gcp_machines.values():
                if mt.family != acc.machine_series or mt.gpu or region not in mt.on_demand:
                    continue
                if mt.vcpu > acc.max_vcpus_by_count[count]:
                    continue
                spot = None
                if region in mt.spot and region in acc.spot:
                    spot = mt.spot[region] + count * acc.spot[region]
                out.append(
                    Offering(
                        cloud=Cloud.GCP,
                        region=region,
                        machine_type=mt.name,
                        gpu=gpu,
                        gpus=count,
                        vcpu=mt.vcpu,
                        memory_gib=mt.memory_gib,
                        on_demand_usd_hour=round(mt.on_demand[region] + count * acc.on_demand[region], 6),
                        spot_usd_hour=round(spot, 6) if spot is not None else None,
                        accelerator_type=acc.name,
                    )
                )
        return out

    def gpu_counts(self, cloud: Cloud | str, region: str, gpu: str) -> list[int]:
        """The per-node GPU counts available for ``gpu`` in ``region`` (empty: the region does not offer it)."""
        counts = set()
        machines = self.aws_instances if Cloud(cloud) is Cloud.AWS else self.gcp_machines
        for mt in machines.values():
            if mt.gpu == gpu and region in mt.on_demand:
                counts.add(mt.gpus)
        if Cloud(cloud) is Cloud.GCP:
            for acc in self.gcp_accelerators.values():
                if acc.gpu == gpu and region in acc.on_demand:
                    counts.update(acc.max_vcpus_by_count)
        return sorted(counts)

    def shapes(self, cloud: Cloud | str, region: str | None = None, gpu: str | None = None) -> list[Shape]:
        """Every shape the catalog prices on ``cloud``, per region, optionally only in ``region`` and only with
        GPU model ``gpu`` (``"none"``: CPU shapes only); by region, then GPU, then on-demand price."""
        cloud = Cloud(cloud)
        tables: list[tuple[str, Mapping[str, MachineType]]] = (
            [("ec2", self.aws_instances), ("sagemaker", self.sagemaker_instances)]
            if cloud is Cloud.AWS
            else [("gce", self.gcp_machines)]
        )
        found: list[Shape] = []
        for service, table in tables:
            for mt in table.values():
                for r, price in mt.on_demand.items():
                    found.append(
                        Shape(
                            cloud, service, r, mt.name, mt.gpu, mt.gpus, mt.vcpu, mt.memory_gib, price, mt.spot.get(r)
                        )
                    )
        if cloud is Cloud.GCP:
            for acc in self.gcp_accelerators.values():
                for r in acc.on_demand:
                    for count in acc.max_vcpus_by_count:
                        for o in self._attached_offerings(r, acc.gpu, count):
                            if o.accelerator_type != acc.name:
                                continue
                            found.append(
                                Shape(
                                    cloud,
                                    "gce",
                                    r,
                                    f"{o.machine_type} + {count} x {acc.name}",
                                    acc.gpu,
                                    count,
                                    o.vcpu,
                                    o.memory_gib,
                                    o.on_demand_usd_hour,
                                    o.spot_usd_hour,
                                    acc.name,
                                )
                            )
        if region is not None:
            found = [s for s in found if s.region == region]
        if gpu is not None:
            found = [s for s in found if (s.gpu or "none") == gpu]
        order = list(self.gpus)
        return sorted(
            set(found),
            key=lambda s: (
                s.region,
                order.index(s.gpu) if s.gpu in order else -1,
                s.gpus,
                s.on_demand_usd_hour,
                s.shape,
            ),
        )

    def gpu_models_in(self, cloud: Cloud | str, region: str) -> list[str]:
        """GPU models offered in a region, in catalog order."""
        return [g for g in self.gpus if self.gpu_counts(cloud, region, g)]


# --- loading -------------------------------------------------------------------------------------------------


# libyaml's loader when PyYAML was built with it: the catalog loads in a tenth of the time.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _read(name: str, data_dir: Path) -> dict[str, Any]:
    with open(data_dir / name, encoding="utf-8") as fh:
        return yaml.load(fh, Loader=_LOADER)


def _source(doc: Mapping[str, Any]) -> PriceSource:
    return PriceSource(source=str(doc["source"]), as_of=str(doc["as_of"]))


def _machines(cloud: Cloud, table: Mapping[str, Any], spot_discounts: Mapping[str, Any] | None) -> dict:
    out: dict[str, MachineType] = {}
    for name, row in table.items():
        on_demand = {str(r): float(p) for r, p in row["on_demand"].items()}
        if "spot" in row:
            spot = {str(r): float(p) for r, p in row["spot"].items()}
        else:
            family = name.rsplit(".", 1)[0]
            discounts = (spot_discounts or {}).get(family, {})
            spot = {r: round(p * (1 - float(discounts[r])), 6) for r, p in on_demand.items() if r in discounts}
        out[name] = MachineType(
            cloud=cloud,
            name=name,
            vcpu=int(row["vcpu"]),
            memory_gib=float(row["memory_gib"]),
            gpu=row.get("gpu"),
            gpus=int(row.get("gpus", 0)),
            on_demand=on_demand,
            spot=spot,
        )
    return out


@functools.cache
def load_catalog(data_dir: Path | None = None) -> Catalog:
    """Load (once per process and directory) the catalog from its data files."""
    data_dir = data_dir or DATA_DIR
    gpus_doc = _read("gpus.yaml", data_dir)
    ec2 = _read("aws_ec2.yaml", data_dir)
    sm = _read("aws_sagemaker.yaml", data_dir)
    gce = _read("gcp_compute.yaml", data_dir)
    k8s = _read("kubernetes.yaml", data_dir)

    serverless = sm["serverless"]
    return Catalog(
        gpus={
            name: GpuModel(name, int(m["memory_gib"]), str(m["architecture"]), str(m["tier"]))
            for name, m in gpus_doc["models"].items()
        },
        aws_instances=_machines(Cloud.AWS, ec2["instance_types"], ec2.get("spot_discounts")),
        sagemaker_instances=_machines(Cloud.AWS, sm["instance_types"], None),
        sagemaker_serverless=SageMakerServerlessRates(
            usd_per_gb_second=serverless["usd_per_gb_second"],
            provisioned_usd_per_gb_second=serverless["provisioned_usd_per_gb_second"],
            usd_per_gb_processed=serverless["usd_per_gb_processed"],
            memory_mb=tuple(int(m) for m in serverless["memory_mb"]),
            max_concurrency=int(serverless["max_concurrency"]),
            source=_source(serverless),
        ),
        gcp_machines=_machines(Cloud.GCP, gce["machine_types"], None),
        gcp_accelerators={
            name: Accelerator(
                name=name,
                gpu=a["gpu"],
                machine_series=a["machine_series"],
                max_vcpus_by_count={int(k): int(v) for k, v in a["max_vcpus_by_count"].items()},
                on_demand={str(r): float(p) for r, p in a["on_demand"].items()},
                spot={str(r): float(p) for r, p in a["spot"].items()},
            )
            for name, a in gce["attachable_accelerators"].items()
        },
        gcp_bundled_accelerators=dict(gce["bundled_accelerator_types"]),
        kubernetes_versions={"eks": tuple(k8s["eks"]), "gke": tuple(k8s["gke"])},
        default_kubernetes_version=str(k8s["default"]),
        region_lists={Cloud.AWS: tuple(ec2["regions"]), Cloud.GCP: tuple(gce["regions"])},
        sources={
            "gpus": _source(gpus_doc),
            "aws.ec2.on_demand": _source(ec2["on_demand"]),
            "aws.ec2.spot": _source(ec2["spot"]),
            "aws.sagemaker.realtime": _source(sm["realtime"]),
            "aws.sagemaker.serverless": _source(serverless),
            "gcp.compute.on_demand": _source(gce["on_demand"]),
            "gcp.compute.spot": _source(gce["spot"]),
            "kubernetes": _source(k8s),
        },
    )


@dataclass(frozen=True)
class ServicePrices:
    """Unit prices of a cloud's services (``aws_services.yaml``, ``gcp_services.yaml``)."""

    cloud: Cloud
    table: Mapping[str, Any]
    source: PriceSource
    home_region: str  # regions a price does not name cost what the home region costs

    def price(self, path: str, region: str | None = None) -> float:
        """``price("vpc.nat_gateway_per_hour", "eu-west-1")``; per-region entries fall back to the home region."""
        node: Any = self.table
        for part in path.split("."):
            try:
                node = node[part]
            except (KeyError, TypeError):
                raise CatalogError(f"no {self.cloud} service price {path!r}") from None
        if isinstance(node, Mapping):
            node = node.get(region or self.home_region, node.get(self.home_region))
        if not isinstance(node, int | float):
            raise CatalogError(f"no {self.cloud} service price {path!r} for {region}")
        return float(node)

    def keyed(self, path: str, key: str, region: str | None = None) -> float | None:
        """A price keyed by a name that contains dots (``db.t4g.micro``); None when the table lacks the key."""
        node: Any = self.table
        for part in path.split("."):
            node = node.get(part, {}) if isinstance(node, Mapping) else {}
        entry = node.get(key) if isinstance(node, Mapping) else None
        if entry is None:
            return None
        if isinstance(entry, Mapping):
            entry = entry.get(region or self.home_region, entry.get(self.home_region))
        return float(entry) if isinstance(entry, int | float) else None

    def has(self, path: str) -> bool:
        try:
            self.price(path)
        except CatalogError:
            return False
        return True


@functools.cache
def load_service_prices(cloud: Cloud | str, data_dir: Path | None = None) -> ServicePrices:
    cloud = Cloud(cloud)
    doc = _read(f"{cloud}_services.yaml", data_dir or DATA_DIR)
    table = {k: v for k, v in doc.items() if k not in ("source", "as_of")}
    home = "us-east-1" if cloud is Cloud.AWS else "us-central1"
    return ServicePrices(cloud=cloud, table=table, source=_source(doc), home_region=home)


# --- how old the prices are ----------------------------------------------------------------------------------

PRICE_MAX_AGE_MONTHS = 6
"""Prices older than this many months are reported as stale (cloud list prices move a few times a year)."""


def price_sources(data_dir: Path | None = None) -> dict[str, PriceSource]:
    """Every price table the cost model reads, by name (``aws.ec2.on_demand``, ``gcp.services``, ...), with its
    source and as-of date; the non-price tables (GPU models, Kubernetes versions) are left out."""
    out = {k: s for k, s in load_catalog(data_dir).sources.items() if k.startswith(("aws.", "gcp."))}
    for cloud in Cloud:
        out[f"{cloud}.services"] = load_service_prices(cloud, data_dir).source
    return out


def prices_as_of(data_dir: Path | None = None) -> str:
    """The as-of date (ISO) of the oldest price table: the date every estimate can claim."""
    return min(s.as_of for s in price_sources(data_dir).values())


def _months_later(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):  # the same day of the month, or the month's last day
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")  # pragma: no cover


def stale_prices_warning(
    today: date | None = None, data_dir: Path | None = None, max_age_months: int = PRICE_MAX_AGE_MONTHS
) -> str | None:
    """A one-line warning when the oldest price table is older than ``max_age_months`` (default: 6) on
    ``today`` (default: the system date); None while the prices are recent enough."""
    today = today or date.today()
    as_of = prices_as_of(data_dir)
    if _months_later(date.fromisoformat(as_of), max_age_months) >= today:
        return None
    age = (today - date.fromisoformat(as_of)).days
    return (
        f"catalog prices are from {as_of} ({age} days old, over {max_age_months} months): estimates may be off; "
        "refresh with `mlplatform catalog refresh --cloud aws` (GCP: edit components/catalog/data/gcp_*.yaml), "
        "see `mlplatform catalog show`"
    )
