"""The GPU and price catalog: data integrity, provenance and the query API."""

from __future__ import annotations

import re

import pytest

from mlplatform.components.base.cloud import Cloud
from mlplatform.components.catalog import Purchase, load_catalog
from mlplatform.components.config.cluster import GpuModelName

cat = load_catalog()
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def test_every_price_table_has_a_source_and_an_as_of_date():
    assert {
        "aws.ec2.on_demand",
        "aws.ec2.spot",
        "aws.sagemaker.realtime",
        "aws.sagemaker.serverless",
        "gcp.compute.on_demand",
        "gcp.compute.spot",
    } <= set(cat.sources)
    for name, src in cat.sources.items():
        assert src.source.strip(), name
        assert DATE.match(src.as_of), (name, src.as_of)


def test_spec_gpu_names_are_the_catalog_models():
    assert [g.value for g in GpuModelName] == list(cat.gpus)


@pytest.mark.parametrize("family", ["g4dn", "g5", "g6", "g6e", "p3", "p4d", "p4de", "p5", "p5e"])
def test_required_aws_families_are_present_with_gpus(family):
    types = [mt for mt in cat.aws_instances.values() if mt.family == family]
    assert types, family
    assert all(mt.gpu in cat.gpus and mt.gpus >= 1 for mt in types)


def test_aws_prices_cover_the_three_regions():
    assert set(cat.regions(Cloud.AWS)) == {"us-east-1", "us-west-2", "eu-west-1"}
    g4 = cat.machine_type("aws", "g4dn.xlarge")
    assert g4 is not None and set(g4.on_demand) == {"us-east-1", "us-west-2", "eu-west-1"}
    assert g4.on_demand["us-east-1"] == 0.526


def test_every_offered_type_has_positive_prices_and_spot_is_cheaper():
    for table in (cat.aws_instances, cat.gcp_machines):
        for mt in table.values():
            assert mt.on_demand, mt.name
            for region, price in mt.on_demand.items():
                assert price > 0
                if region in mt.spot:
                    assert 0 < mt.spot[region] < price, (mt.name, region)


def test_offerings_are_cheapest_first_and_exact():
    offers = cat.gpu_offerings("aws", "us-east-1", "L4", 1)
    assert [o.machine_type for o in offers][:2] == ["g6.xlarge", "g6.2xlarge"]
    assert all(o.gpu == "L4" and o.gpus == 1 for o in offers)
    prices = [o.on_demand_usd_hour for o in offers]
    assert prices == sorted(prices)


def test_spot_offerings_sort_by_spot_price_and_save_at_least_60_percent_for_dev_gpus():
    for gpu in ("T4", "L4", "A10G"):
        best = cat.gpu_offerings("aws", "us-east-1", gpu, 1, Purchase.SPOT)[0]
        assert best.spot_usd_hour is not None
        assert best.spot_usd_hour <= 0.4 * best.on_demand_usd_hour, (gpu, best)


def test_multi_gpu_offerings():
    eight = cat.gpu_offerings("aws", "us-east-1", "A100", 8)
    assert [o.machine_type for o in eight] == ["p4d.24xlarge"]
    assert cat.gpu_counts("aws", "us-east-1", "A100") == [8]


def test_region_availability():
    assert "L40S" not in cat.gpu_models_in("aws", "eu-west-1")
    assert "L40S" in cat.gpu_models_in("aws", "us-east-1")
    assert cat.gpu_offerings("aws", "eu-west-1", "H100", 8) == []


def test_gcp_attached_accelerators_price_machine_plus_gpus():
    offers = cat.gpu_offerings("gcp", "us-central1", "T4", 2)
    cheapest = offers[0]
    assert cheapest.machine_type == "n1-standard-4" and cheapest.accelerator_type == "nvidia-tesla-t4"
    assert cheapest.on_demand_usd_hour == pytest.approx(0.189999 + 2 * 0.35)
    # V100 x1 allows at most 12 vCPUs: n1-standard-16 is not an offering
    assert "n1-standard-16" not in {o.machine_type for o in cat.gpu_offerings("gcp", "us-central1", "V100", 1)}


def test_gcp_bundled_gpus():
    l4 = cat.gpu_offerings("gcp", "us-central1", "L4", 1)[0]
    assert l4.machine_type == "g2-standard-4" and l4.accelerator_type == "nvidia-l4"
    assert cat.gpu_offerings("gcp", "europe-west4", "H100", 8)[0].machine_type == "a3-highgpu-8g"


def test_gpu_of_resolves_instance_types():
    assert cat.gpu_of("aws", "p4d.24xlarge") == ("A100", 8)
    assert cat.gpu_of("aws", "ml.g5.xlarge") == ("A10G", 1)
    assert cat.gpu_of("aws", "m5.large") is None
    assert cat.gpu_of("gcp", "n1-standard-8", accelerator_type="nvidia-tesla-v100") == ("V100", 0)
    assert cat.gpu_of("aws", "unknown.type") is None


def test_hourly_price_none_where_not_offered():
    assert cat.hourly_price("aws", "eu-west-1", "g6e.xlarge") is None
    assert cat.hourly_price("aws", "us-east-1", "g6e.xlarge") == 1.861
    spot = cat.hourly_price("aws", "us-east-1", "g6e.xlarge", "spot")
    assert spot is not None and spot < 1.861


def test_sagemaker_serverless_rates():
    rates = cat.sagemaker_serverless
    assert rates.memory_mb == (1024, 2048, 3072, 4096, 5120, 6144)
    assert rates.max_concurrency == 200
    assert rates.usd_per_gb_second["us-east-1"] > 0
