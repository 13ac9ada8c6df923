"""Refresh the catalog's AWS instance prices from the AWS Price List API and recent spot price history.

Which prices it rewrites:

- ``aws_ec2.yaml``: the on-demand USD/hour of every instance type in every requested region (Price List
  ``GetProducts``: Linux, shared tenancy, no pre-installed software, capacity status Used), and the spot
  discount of every family (the median over the family's types of ``1 - spot / on-demand``, where spot is
  the median of ``DescribeSpotPriceHistory`` over the last days across the region's zones);
- ``aws_sagemaker.yaml``: the real-time hosting USD/hour of every ``ml.*`` type (``AmazonSageMaker``,
  component Hosting).

The instance types themselves (shape, GPU) are not discovered: adding a type is a reviewed edit of the data
file. A price the API does not return is kept and reported, never dropped: the type may just be missing
from the region today. Service prices (``aws_services.yaml``: NAT, EBS, RDS, ...) are maintained by hand.

The clients are passed in, so tests drive this with botocore's Stubber and the CLI with real credentials::

    import boto3
    from mlplatform.components.catalog.refresh import refresh_aws

    result = refresh_aws(
        pricing=boto3.client("pricing", region_name="us-east-1"),
        ec2_for=lambda region: boto3.client("ec2", region_name=region),
        regions=["us-east-1"],
    )
    for change in result.changes:
        print(change)
"""

from __future__ import annotations

import datetime as dt
import json
import statistics
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .catalog import DATA_DIR, is_aws_region, load_catalog

# The Price List API is served from us-east-1 (and ap-south-1, eu-central-1), whatever region is priced.
PRICING_API_REGION = "us-east-1"
SPOT_HISTORY_DAYS = 7


@dataclass(frozen=True)
class PriceChange:
    """One price that moved: ``aws_ec2 g5.xlarge us-east-1 1.006 -> 1.012``."""

    table: str  # data file stem: aws_ec2, aws_sagemaker
    item: str  # an instance type, or "spot discount <family>"
    region: str
    old: float | None
    new: float

    @property
    def percent(self) -> float | None:
        return None if not self.old else (self.new - self.old) / self.old * 100

    def __str__(self) -> str:
        before = "new" if self.old is None else f"{self.old:g}"
        moved = "" if self.percent is None else f" ({self.percent:+.1f}%)"
        return f"{self.table} {self.item} {self.region}: {before} -> {self.new:g}{moved}"


@dataclass
class RefreshResult:
    as_of: str
    changes: list[PriceChange] = field(default_factory=list)
    unchanged: int = 0
    missing: list[tuple[str, str, str]] = field(default_factory=list)  # (table, item, region): kept as it was
    written: list[Path] = field(default_factory=list)


class RefreshError(ValueError):
    """Bad refresh input (an unknown region); the CLI prints it and exits 2."""


# --- AWS API reads ------------------------------------------------------------------------------------------


def _term_match(**fields: str) -> list[dict[str, str]]:
    return [{"Type": "TERM_MATCH", "Field": k, "Value": v} for k, v in fields.items()]


def _hourly_usd(price_item: str | dict[str, Any]) -> float | None:
    """The on-demand USD per hour in one Price List entry (a JSON document, as a string)."""
    doc = json.loads(price_item) if isinstance(price_item, str) else price_item
    for term in (doc.get("terms", {}).get("OnDemand") or {}).values():
        for dim in (term.get("priceDimensions") or {}).values():
            if str(dim.get("unit", "")).lower().startswith("hr"):
                usd = dim.get("pricePerUnit", {}).get("USD")
                if usd is not None and float(usd) > 0:
                    return float(usd)
    return None


def _products(pricing: Any, service: str, filters: list[dict[str, str]]) -> Iterable[str]:
    for page in pricing.get_paginator("get_products").paginate(
        ServiceCode=service, Filters=filters, FormatVersion="aws_v1"
    ):
        yield from page.get("PriceList", [])


def ec2_on_demand(pricing: Any, instance_type: str, region: str) -> float | None:
    """Linux, shared tenancy, no SQL/other software: the price the catalog's on-demand column means."""
    filters = _term_match(
        instanceType=instance_type,
        regionCode=region,
        operatingSystem="Linux",
        tenancy="Shared",
        preInstalledSw="NA",
        capacitystatus="Used",
        licenseModel="No License required",
    )
    prices = [p for p in (_hourly_usd(item) for item in _products(pricing, "AmazonEC2", filters)) if p]
    return min(prices) if prices else None


def sagemaker_hosting(pricing: Any, instance_type: str, region: str) -> float | None:
    filters = _term_match(instanceName=instance_type, regionCode=region, component="Hosting")
    prices = [p for p in (_hourly_usd(item) for item in _products(pricing, "AmazonSageMaker", filters)) if p]
    return min(prices) if prices else None


def spot_prices(ec2: Any, instance_types: Sequence[str], since: dt.datetime, until: dt.datetime) -> dict[str, float]:
    """Median Linux spot price per instance type over the window, across the region's availability zones."""
    seen: dict[str, list[float]] = {}
    pages = ec2.get_paginator("describe_spot_price_history").paginate(
        InstanceTypes=list(instance_types),
        ProductDescriptions=["Linux/UNIX"],
        StartTime=since,
        EndTime=until,
    )
    for page in pages:
        for record in page.get("SpotPriceHistory", []):
            seen.setdefault(record["InstanceType"], []).append(float(record["SpotPrice"]))
    return {t: statistics.median(v) for t, v in seen.items() if v}


# --- the refresh ----------------------------------------------------------------------------------------------


def _header(path: Path) -> str:
    """The comment block at the top of a data file, kept across rewrites."""
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        lines.append(line)
    return "\n".join(lines) + "\n" if lines else ""


def _write(path: Path, doc: dict[str, Any]) -> None:
    body = yaml.safe_dump(doc, sort_keys=False, default_flow_style=False, width=120)
    path.write_text(_header(path) + body, encoding="utf-8")


def _check_regions(regions: Sequence[str] | None, known: Sequence[str]) -> list[str]:
    if not regions:
        return list(known)
    for r in regions:
        if not is_aws_region(r):
            raise RefreshError(f"--region {r!r}: not an AWS region name (such as us-east-1)")
    return list(regions)


def _update(
    result: RefreshResult, table: str, item: str, region: str, prices: dict[str, Any], new: float | None
) -> None:
    old = prices.get(region)
    if new is None:
        if old is not None:
            result.missing.append((table, item, region))
        return
    new = round(new, 6)
    if old is not None and abs(float(old) - new) < 1e-9:
        result.unchanged += 1
        return
    prices[region] = new
    result.changes.append(PriceChange(table, item, region, None if old is None else float(old), new))


def _family(instance_type: str) -> str:
    return instance_type.rsplit(".", 1)[0]


def refresh_aws(
    *,
    pricing: Any,
    ec2_for: Callable[[str], Any],
    regions: Sequence[str] | None = None,
    data_dir: Path = DATA_DIR,
    today: dt.date | None = None,
    spot_days: int = SPOT_HISTORY_DAYS,
    dry_run: bool = False,
) -> RefreshResult:
    """Re-price the AWS instance tables for ``regions`` (default: the regions the catalog lists)."""
    today = today or dt.date.today()
    as_of = today.isoformat()
    result = RefreshResult(as_of=as_of)
    ec2_path, sm_path = data_dir / "aws_ec2.yaml", data_dir / "aws_sagemaker.yaml"
    ec2_doc = yaml.safe_load(ec2_path.read_text(encoding="utf-8"))
    sm_doc = yaml.safe_load(sm_path.read_text(encoding="utf-8"))
    regions = _check_regions(regions, ec2_doc["regions"])

    until = dt.datetime.combine(today, dt.time(), tzinfo=dt.UTC)
    since = until - dt.timedelta(days=spot_days)
    for region in regions:
        types = ec2_doc["instance_types"]
        for name, row in types.items():
            _update(result, "aws_ec2", name, region, row["on_demand"], ec2_on_demand(pricing, name, region))
        offered = [n for n, row in types.items() if region in row["on_demand"]]
        spot = spot_prices(ec2_for(region), offered, since, until) if offered else {}
        by_family: dict[str, list[float]] = {}
        for name in offered:
            if name in spot:
                od = float(types[name]["on_demand"][region])
                by_family.setdefault(_family(name), []).append(max(0.0, 1 - spot[name] / od))
        discounts = ec2_doc.setdefault("spot_discounts", {})
        for family in sorted({_family(n) for n in offered}):
            found = by_family.get(family)
            new = round(statistics.median(found), 2) if found else None
            _update(result, "aws_ec2", f"spot discount {family}", region, discounts.setdefault(family, {}), new)
        for name, row in sm_doc["instance_types"].items():
            _update(result, "aws_sagemaker", name, region, row["on_demand"], sagemaker_hosting(pricing, name, region))
        for doc in (ec2_doc, sm_doc):
            if region not in doc["regions"]:
                doc["regions"].append(region)

    ec2_doc["on_demand"].update(
        source="AWS Price List API (pricing:GetProducts, AmazonEC2: Linux, shared tenancy), via mlplatform "
        "catalog refresh",
        as_of=as_of,
    )
    ec2_doc["spot"].update(
        source=f"EC2 DescribeSpotPriceHistory, Linux/UNIX, median over {spot_days} days and the region's zones, "
        "as a discount per family; spot USD/hour = on-demand x (1 - discount)",
        as_of=as_of,
    )
    sm_doc["realtime"].update(
        source="AWS Price List API (pricing:GetProducts, AmazonSageMaker, component Hosting), via mlplatform "
        "catalog refresh",
        as_of=as_of,
    )
    if not dry_run:
        _write(ec2_path, ec2_doc)
        _write(sm_path, sm_doc)
        result.written = [ec2_path, sm_path]
        load_catalog.cache_clear()  # the next reader sees the new prices
    return result
