"""Environment defaults: what a stack gets for every setting it leaves unset."""

from __future__ import annotations

from mlplatform.components.config import Capacity, NatStrategy, parse_platform_spec
from tests.fixtures import aws_prod_config


def test_dev_defaults_are_cheap(dev_config):
    spec = parse_platform_spec(dev_config)
    assert spec.network.nat is NatStrategy.INSTANCE
    assert spec.network.availability_zones == 2
    assert spec.cluster.endpoint_public_access is True
    assert str(spec.cluster.system_nodes.capacity) == "spot"
    assert all(p.min_nodes == 0 and p.capacity is Capacity.SPOT for p in spec.cluster.gpu_pools)
    assert spec.mlflow.database.instance_class == "db.t4g.micro"
    assert spec.mlflow.replicas == 1


def test_prod_defaults_are_resilient():
    spec = parse_platform_spec(aws_prod_config())
    assert spec.network.nat is NatStrategy.PER_AZ
    assert spec.network.availability_zones == 3
    # Public, but only to the deployer's and admins' egress: the same deploy creates in-cluster resources.
    assert spec.cluster.endpoint_public_access is True
    assert spec.cluster.public_access_cidrs and "0.0.0.0/0" not in spec.cluster.public_access_cidrs
    assert str(spec.cluster.system_nodes.capacity) == "on-demand"
    assert spec.mlflow.replicas == 2
    assert spec.mlflow.database.backup_retention_days == 14
