"""`catalog refresh` against botocore's Stubber: the requests it sends, the prices it derives, the files it writes.

moto implements neither the Price List API nor real spot history, so the AWS responses are stubbed with
documents of the shape the API returns (one JSON string per product, OnDemand terms with price dimensions).
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import boto3
import pytest
import yaml
from botocore.stub import Stubber
from typer.testing import CliRunner

from mlplatform.cli import app
from mlplatform.components.catalog import load_catalog
from mlplatform.components.catalog.catalog import DATA_DIR
from mlplatform.components.catalog.refresh import RefreshError, refresh_aws

TODAY = dt.date(2026, 11, 28)
UNTIL = dt.datetime(2026, 11, 28, tzinfo=dt.UTC)
SINCE = UNTIL - dt.timedelta(days=7)


def product(sku: str, usd: str, unit: str = "Hrs") -> str:
    """One Price List entry as GetProducts returns it: a JSON document in a string."""
    return json.dumps(
        {
            "product": {"sku": sku, "attributes": {"operatingSystem": "Linux", "tenancy": "Shared"}},
            "terms": {
                "OnDemand": {
                    f"{sku}.JRTCKXETXF": {
                        "priceDimensions": {
                            f"{sku}.JRTCKXETXF.6YS6EN2CT7": {"unit": unit, "pricePerUnit": {"USD": usd}}
                        }
                    }
                }
            },
        }
    )


def ec2_filters(itype: str, region: str) -> list[dict[str, str]]:
    fields = {
        "instanceType": itype,
        "regionCode": region,
        "operatingSystem": "Linux",
        "tenancy": "Shared",
        "preInstalledSw": "NA",
        "capacitystatus": "Used",
        "licenseModel": "No License required",
    }
    return [{"Type": "TERM_MATCH", "Field": k, "Value": v} for k, v in fields.items()]


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A copy of the catalog trimmed to three EC2 types and one SageMaker type in us-east-1."""
    for f in DATA_DIR.glob("*.yaml"):
        shutil.copy(f, tmp_path / f.name)
    ec2 = yaml.safe_load((tmp_path / "aws_ec2.yaml").read_text())
    ec2["instance_types"] = {k: ec2["instance_types"][k] for k in ("g5.xlarge", "g5.2xlarge", "t3.large")}
    body = yaml.safe_dump(ec2, sort_keys=False)
    (tmp_path / "aws_ec2.yaml").write_text("# EC2 instance types (header kept across refreshes)\n" + body)
    sm = yaml.safe_load((tmp_path / "aws_sagemaker.yaml").read_text())
    sm["instance_types"] = {"ml.g5.xlarge": sm["instance_types"]["ml.g5.xlarge"]}
    (tmp_path / "aws_sagemaker.yaml").write_text(yaml.safe_dump(sm, sort_keys=False))
    return tmp_path


def spot_record(itype: str, zone: str, price: str) -> dict:
    return {
        "InstanceType": itype,
        "AvailabilityZone": zone,
        "ProductDescription": "Linux/UNIX",
        "SpotPrice": price,
        "Timestamp": UNTIL - dt.timedelta(hours=3),
    }


def stubbed_clients():
    pricing = boto3.client("pricing", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    ec2 = boto3.client("ec2", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    return pricing, Stubber(pricing), ec2, Stubber(ec2)


def test_refresh_reprices_on_demand_spot_and_sagemaker(data_dir: Path):
    pricing, p_stub, ec2, e_stub = stubbed_clients()
    # On demand: g5.xlarge moved from 1.006 to 1.100; g5.2xlarge answers on a second page; t3.large unchanged.
    p_stub.add_response(
        "get_products",
        {"PriceList": [product("G5X", "1.1000000000")], "FormatVersion": "aws_v1"},
        {"ServiceCode": "AmazonEC2", "Filters": ec2_filters("g5.xlarge", "us-east-1"), "FormatVersion": "aws_v1"},
    )
    p_stub.add_response(
        "get_products",
        {"PriceList": [], "NextToken": "page-2", "FormatVersion": "aws_v1"},
        {"ServiceCode": "AmazonEC2", "Filters": ec2_filters("g5.2xlarge", "us-east-1"), "FormatVersion": "aws_v1"},
    )
    p_stub.add_response(
        "get_products",
        {"PriceList": [product("G52X", "1.2120000000")], "FormatVersion": "aws_v1"},
        {
            "ServiceCode": "AmazonEC2",
            "Filters": ec2_filters("g5.2xlarge", "us-east-1"),
            "FormatVersion": "aws_v1",
            "NextToken": "page-2",
        },
    )
    p_stub.add_response(
        "get_products",
        {"PriceList": [product("T3L", "0.0832000000")], "FormatVersion": "aws_v1"},
        {"ServiceCode": "AmazonEC2", "Filters": ec2_filters("t3.large", "us-east-1"), "FormatVersion": "aws_v1"},
    )
    # SageMaker: a zero-priced dimension (free tier) is ignored, the hourly one is taken.
    p_stub.add_response(
        "get_products",
        {"PriceList": [product("SMF", "0.0000000000"), product("SMG5", "1.4500000000")], "FormatVersion": "aws_v1"},
        {
            "ServiceCode": "AmazonSageMaker",
            "Filters": [
                {"Type": "TERM_MATCH", "Field": "instanceName", "Value": "ml.g5.xlarge"},
                {"Type": "TERM_MATCH", "Field": "regionCode", "Value": "us-east-1"},
                {"Type": "TERM_MATCH", "Field": "component", "Value": "Hosting"},
            ],
            "FormatVersion": "aws_v1",
        },
    )
    # Spot, two pages: g5.xlarge at 0.33/0.35/0.40 (median 0.35), g5.2xlarge at 0.3636, t3.large absent.
    spot_params = {
        "InstanceTypes": ["g5.xlarge", "g5.2xlarge", "t3.large"],
        "ProductDescriptions": ["Linux/UNIX"],
        "StartTime": SINCE,
        "EndTime": UNTIL,
    }
    e_stub.add_response(
        "describe_spot_price_history",
        {
            "SpotPriceHistory": [
                spot_record("g5.xlarge", "us-east-1a", "0.330000"),
                spot_record("g5.xlarge", "us-east-1b", "0.400000"),
            ],
            "NextToken": "more",
        },
        spot_params,
    )
    e_stub.add_response(
        "describe_spot_price_history",
        {
            "SpotPriceHistory": [
                spot_record("g5.xlarge", "us-east-1c", "0.350000"),
                spot_record("g5.2xlarge", "us-east-1a", "0.363600"),
            ]
        },
        {**spot_params, "NextToken": "more"},
    )
    with p_stub, e_stub:
        result = refresh_aws(
            pricing=pricing, ec2_for=lambda region: ec2, regions=["us-east-1"], data_dir=data_dir, today=TODAY
        )
    p_stub.assert_no_pending_responses()
    e_stub.assert_no_pending_responses()

    moved = {(c.table, c.item): (c.old, c.new) for c in result.changes}
    assert moved[("aws_ec2", "g5.xlarge")] == (1.006, 1.1)
    assert ("aws_ec2", "g5.2xlarge") not in moved  # 1.212 before and after (found on the second page)
    assert ("aws_ec2", "t3.large") not in moved  # 0.0832 before and after
    assert result.unchanged == 2
    assert moved[("aws_sagemaker", "ml.g5.xlarge")] == (1.408, 1.45)
    # g5 discount: median of 1 - 0.35/1.1 = 0.6818 and 1 - 0.3636/1.212 = 0.70, i.e. 0.6909 -> 0.69.
    assert moved[("aws_ec2", "spot discount g5")] == (0.67, 0.69)
    # t3 had no spot history this week: its discount is kept and reported, never dropped.
    assert ("aws_ec2", "spot discount t3", "us-east-1") in result.missing

    ec2_text = (data_dir / "aws_ec2.yaml").read_text()
    assert ec2_text.startswith("# EC2 instance types (header kept across refreshes)\n")
    doc = yaml.safe_load(ec2_text)
    assert doc["on_demand"]["as_of"] == doc["spot"]["as_of"] == "2026-11-28"
    assert "Price List API" in doc["on_demand"]["source"]
    assert doc["spot_discounts"]["t3"]["us-east-1"] == 0.7
    assert doc["instance_types"]["g5.xlarge"]["on_demand"] == {"us-east-1": 1.1, "us-west-2": 1.006, "eu-west-1": 1.123}

    cat = load_catalog(data_dir)
    assert cat.hourly_price("aws", "us-east-1", "g5.xlarge", "on-demand") == 1.1
    assert cat.hourly_price("aws", "us-east-1", "g5.xlarge", "spot") == pytest.approx(1.1 * (1 - 0.69))
    assert cat.sagemaker_instance("ml.g5.xlarge").on_demand["us-east-1"] == 1.45
    assert cat.sources["aws.ec2.on_demand"].as_of == "2026-11-28"


def test_dry_run_writes_nothing(data_dir: Path):
    before = {f.name: f.read_text() for f in data_dir.glob("*.yaml")}
    pricing, p_stub, ec2, e_stub = stubbed_clients()
    for _ in range(4):  # three EC2 types and one SageMaker type, none found
        p_stub.add_response("get_products", {"PriceList": [], "FormatVersion": "aws_v1"})
    e_stub.add_response("describe_spot_price_history", {"SpotPriceHistory": []})
    with p_stub, e_stub:
        result = refresh_aws(
            pricing=pricing, ec2_for=lambda r: ec2, regions=["us-east-1"], data_dir=data_dir, dry_run=True
        )
    assert result.changes == [] and result.written == []
    assert len(result.missing) == 4 + 2  # every price kept: 3 + 1 instance prices, g5 and t3 discounts
    assert {f.name: f.read_text() for f in data_dir.glob("*.yaml")} == before


def test_a_new_region_is_added_with_what_the_api_offers(data_dir: Path):
    pricing, p_stub, ec2, e_stub = stubbed_clients()
    p_stub.add_response("get_products", {"PriceList": [product("A", "1.3")], "FormatVersion": "aws_v1"})
    p_stub.add_response("get_products", {"PriceList": [], "FormatVersion": "aws_v1"})  # g5.2xlarge not offered
    p_stub.add_response("get_products", {"PriceList": [product("C", "0.1")], "FormatVersion": "aws_v1"})
    p_stub.add_response("get_products", {"PriceList": [], "FormatVersion": "aws_v1"})
    e_stub.add_response(
        "describe_spot_price_history",
        {"SpotPriceHistory": [spot_record("g5.xlarge", "ap-south-1a", "0.52")]},
        {
            "InstanceTypes": ["g5.xlarge", "t3.large"],
            "ProductDescriptions": ["Linux/UNIX"],
            "StartTime": SINCE,
            "EndTime": UNTIL,
        },
    )
    with p_stub, e_stub:
        result = refresh_aws(
            pricing=pricing, ec2_for=lambda r: ec2, regions=["ap-south-1"], data_dir=data_dir, today=TODAY
        )
    doc = yaml.safe_load((data_dir / "aws_ec2.yaml").read_text())
    assert "ap-south-1" in doc["regions"]
    assert doc["instance_types"]["g5.xlarge"]["on_demand"]["ap-south-1"] == 1.3
    assert "ap-south-1" not in doc["instance_types"]["g5.2xlarge"]["on_demand"]
    assert doc["spot_discounts"]["g5"]["ap-south-1"] == 0.6  # 1 - 0.52 / 1.3
    assert all(c.old is None for c in result.changes)


def test_refresh_rejects_a_malformed_region(data_dir: Path):
    with pytest.raises(RefreshError, match="us_east_1"):
        refresh_aws(pricing=None, ec2_for=lambda r: None, regions=["us_east_1"], data_dir=data_dir)


# --- the command ---------------------------------------------------------------------------------------------

runner = CliRunner()


def test_refresh_without_credentials_is_exit_2(monkeypatch, tmp_path):
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    result = runner.invoke(app, ["catalog", "refresh", "--cloud", "aws"])
    assert result.exit_code == 2
    assert "no AWS credentials" in result.output and "Traceback" not in result.output


def test_refresh_of_gcp_says_what_is_allowed():
    result = runner.invoke(app, ["catalog", "refresh", "--cloud", "gcp"])
    assert result.exit_code == 2 and "allowed: aws" in result.output


def test_refresh_bad_region_is_exit_2(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    result = runner.invoke(app, ["catalog", "refresh", "--cloud", "aws", "--region", "Mars"])
    assert result.exit_code == 2 and "--region 'Mars'" in result.output
