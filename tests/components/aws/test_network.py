"""Network: zones, NAT strategy, subnet tags, the S3 endpoint, and bring-your-own VPC."""

from __future__ import annotations

import ipaddress

import pytest

from mlplatform import engine
from mlplatform.components.aws import Network, NetworkArgs
from mlplatform.components.aws.network import subnet_ranges
from mlplatform.components.base.errors import ConfigError
from mlplatform.components.base.types import (
    AWS_EC2_DEFAULT_SECURITY_GROUP,
    AWS_EC2_EIP,
    AWS_EC2_INSTANCE,
    AWS_EC2_NAT_GATEWAY,
    AWS_EC2_ROUTE_TABLE,
    AWS_EC2_SUBNET,
    AWS_EC2_VPC_ENDPOINT,
    AWS_EKS_CLUSTER,
    MLPLATFORM_AWS_NETWORK,
)
from tests.fixtures import aws_prod, aws_smallest, aws_staging


def test_dev_has_two_zones_and_one_nat_instance():
    plan = aws_smallest()
    subnets = plan.by_type(AWS_EC2_SUBNET)
    assert len(subnets) == 4
    assert {s.input("availabilityZone") for s in subnets} == {"us-east-1a", "us-east-1b"}
    assert plan.by_type(AWS_EC2_NAT_GATEWAY) == [], (
        "dev egresses through a NAT instance, a fifth of a NAT gateway's price"
    )
    nat = plan.one(AWS_EC2_INSTANCE)
    assert nat.input("instanceType") == "t4g.nano" and nat.input("sourceDestCheck") is False
    assert nat.input("metadataOptions.httpTokens") == "required"
    assert "masquerade" in nat.input("userData") and "net.ipv4.ip_forward = 1" in nat.input("userData")
    public = {s.id for s in subnets if "-public-" in s.name}
    assert nat.input("subnetId") in public
    assert plan.one(AWS_EC2_EIP).input("instance") == nat.id
    private_rts = [r for r in plan.by_type(AWS_EC2_ROUTE_TABLE) if "private" in r.name]
    assert len(private_rts) == 2
    eni = nat.output("primaryNetworkInterfaceId")
    assert all(rt.input("routes") == [{"cidrBlock": "0.0.0.0/0", "networkInterfaceId": eni}] for rt in private_rts)


def test_staging_has_one_nat_gateway_for_all_zones():
    plan = aws_staging()
    assert len(plan.by_type(AWS_EC2_NAT_GATEWAY)) == 1
    nat_id = plan.one(AWS_EC2_NAT_GATEWAY).id
    private_rts = [r for r in plan.by_type(AWS_EC2_ROUTE_TABLE) if "private" in r.name]
    assert len(private_rts) == 2
    assert all(rt.input("routes")[0]["natGatewayId"] == nat_id for rt in private_rts)
    assert plan.by_type(AWS_EC2_INSTANCE) == []


def test_prod_has_three_zones_and_a_nat_per_zone():
    plan = aws_prod()
    assert {s.input("availabilityZone") for s in plan.by_type(AWS_EC2_SUBNET)} == {
        "us-west-2a",
        "us-west-2b",
        "us-west-2c",
    }
    nats = plan.by_type(AWS_EC2_NAT_GATEWAY)
    assert len(nats) == 3
    nat_ids = {n.id for n in nats}
    routes = {rt.input("routes")[0]["natGatewayId"] for rt in plan.by_type(AWS_EC2_ROUTE_TABLE) if "private" in rt.name}
    assert routes == nat_ids, "each zone's private route table uses its own zone's NAT gateway"


def test_subnets_carry_discovery_tags():
    plan = aws_smallest()
    cluster = plan.one(AWS_EKS_CLUSTER).input("name")
    for s in plan.by_type(AWS_EC2_SUBNET):
        tags = s.input("tags")
        assert tags[f"kubernetes.io/cluster/{cluster}"] == "shared"
        assert s.input("mapPublicIpOnLaunch") is False
        if "-public-" in s.name:
            assert tags["kubernetes.io/role/elb"] == "1" and "karpenter.sh/discovery" not in tags
        else:
            assert tags["kubernetes.io/role/internal-elb"] == "1"
            assert tags["karpenter.sh/discovery"] == cluster


def test_s3_gateway_endpoint_serves_every_route_table():
    plan = aws_prod()
    endpoint = plan.one(AWS_EC2_VPC_ENDPOINT)
    assert endpoint.input("vpcEndpointType") == "Gateway"
    assert endpoint.input("serviceName") == "com.amazonaws.us-west-2.s3"
    assert set(endpoint.input("routeTableIds")) == {rt.id for rt in plan.by_type(AWS_EC2_ROUTE_TABLE)}


def test_default_security_group_is_locked_down():
    sg = aws_smallest().one(AWS_EC2_DEFAULT_SECURITY_GROUP)
    assert not sg.input("ingress") and not sg.input("egress")


@pytest.mark.parametrize(("cidr", "zones"), [("10.0.0.0/16", 2), ("10.40.0.0/16", 6), ("172.16.0.0/20", 3)])
def test_subnet_ranges_fit_and_never_overlap(cidr, zones):
    private, public = subnet_ranges(cidr, zones)
    nets = [ipaddress.IPv4Network(n) for n in private + public]
    vpc = ipaddress.IPv4Network(cidr)
    assert all(n.subnet_of(vpc) for n in nets)
    assert not any(a.overlaps(b) for i, a in enumerate(nets) for b in nets[i + 1 :])
    assert all(n.prefixlen <= 28 for n in nets), "AWS subnets are /28 or larger"


def test_nat_none_creates_no_nat_and_per_az_overrides_dev():
    def program(nat):
        return lambda: Network("n", NetworkArgs(region="us-east-1", nat=nat, availability_zones=3))

    assert engine.run(program("none")).by_type(AWS_EC2_NAT_GATEWAY) == []
    assert len(engine.run(program("per-az")).by_type(AWS_EC2_NAT_GATEWAY)) == 3


def test_existing_network_creates_nothing():
    def program():
        Network(
            "n",
            NetworkArgs(
                region="us-east-1",
                existing={
                    "vpc_id": "vpc-0123456789abcdef0",
                    "private_subnet_ids": ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"],
                },
            ),
        )

    plan = engine.run(program)
    assert plan.custom_resources() == []
    assert plan.one(MLPLATFORM_AWS_NETWORK).outputs["vpc_id"] == "vpc-0123456789abcdef0"


def test_raises_when_args_are_invalid():
    with pytest.raises(ConfigError) as info:
        NetworkArgs(region="us-east-1", cidr="10.0.0.0/8", availability_zones=1, nat="sometimes")
    assert set(info.value.paths()) == {"args.cidr", "args.availability_zones", "args.nat"}


@pytest.mark.parametrize("bad", ["t3.nano", "m5.large", "t4g"])
def test_nat_instance_type_must_be_arm64(bad):
    with pytest.raises(ConfigError, match=r"nat_instance_type.*Graviton"):
        NetworkArgs(region="us-east-1", nat="instance", nat_instance_type=bad)
