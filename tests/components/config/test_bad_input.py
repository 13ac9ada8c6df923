"""Bad input the stack spec stops before any resource, with the key path, the value and what is allowed: model and
artifact URIs of the other cloud, images an endpoint service cannot pull, settings that only look like the
expected form, and YAML numbers where a version was meant."""

from __future__ import annotations

import pytest

from tests.components.config.documents import ROOT_KEY, assert_reported, invalid, set_key
from tests.fixtures import gcp_dev_config

AWS_BAD = [
    # (id, mutation, key path, fragment of the message)
    (
        "a gs:// artifact on aws",
        set_key("endpoints[0].variants[0].model_data", "gs://recsys-model-registry/ranker/v14/model.tar.gz"),
        "endpoints[0].variants[0].model_data",
        "a gs:// URI is Google Cloud Storage, which SageMaker on aws cannot read; allowed: a key in the models zone",
    ),
    (
        "an https artifact",
        set_key("endpoints[0].variants[0].model_data", "https://example.com/model.tar.gz"),
        "endpoints[0].variants[0].model_data",
        "must be a key in the models zone, such as ranker/v14/model.tar.gz, or the s3:// URI",
    ),
    (
        "an s3:// prefix instead of an object",
        set_key("endpoints[0].variants[0].model_data", "s3://recsys-model-registry/ranker/v14/"),
        "endpoints[0].variants[0].model_data",
        "an s3:// URI must name an object",
    ),
    (
        "an endpoint image outside ECR",
        set_key("endpoints[0].variants[0].image", "docker.io/pytorch/torchserve:latest"),
        "endpoints[0].variants[0].image",
        "SageMaker pulls from Amazon ECR",
    ),
    (
        "a gs:// model for a batch job on aws",
        set_key("batch[0].model_uri", "gs://models/ranker/"),
        "batch[0].model_uri",
        "not an object store of aws: gs:// is GCP storage; use s3:// or a lake key",
    ),
    (
        "a gs:// model for a server on aws",
        set_key("serving.servers[0].model_uri", "gs://models/triton/"),
        "serving.servers[0].model_uri",
        "not an object store of aws: gs:// is GCP storage",
    ),
    (
        "GKE zones on aws",
        set_key("cluster.zones", ["eu-west-1a"]),
        "cluster.zones",
        "only valid when cloud is gcp (EKS nodes use the network's subnets) (got ['eu-west-1a'])",
    ),
    (
        "a region of the catalog's other cloud",
        set_key("region", "europe-west4"),
        "region",
        "not an AWS region in the catalog; allowed: us-east-1, us-west-2, eu-west-1 (got 'europe-west4')",
    ),
    (
        "an unquoted 1.30",
        set_key("cluster.kubernetes_version", 1.3),
        "cluster.kubernetes_version",
        'a YAML number, not a version; write it quoted: "1.30" (got 1.3)',
    ),
    (
        "an unquoted 1.33",
        set_key("cluster.kubernetes_version", 1.33),
        "cluster.kubernetes_version",
        'write it quoted: "1.33"',
    ),
    (
        "a batch prefix without its slash",
        set_key("batch[0].output_prefix", "scores"),
        "batch[0].output_prefix",
        "must be lowercase path segments each ending with /, such as scores/ (got 'scores')",
    ),
    (
        "a drift reference of another format",
        set_key("serving.servers[0].drift.reference", "ranker/reference.xlsx"),
        "serving.servers[0].drift.reference",
        "must be a lowercase key in the lake ending with .parquet, .csv or .jsonl",
    ),
    (
        "a feature view with a dash",
        set_key("feature_store.feature_views", ["user-features"]),
        "feature_store.feature_views[0]",
        "must be a Feast name",
    ),
    (
        "an existing VPC id of another form",
        set_key("network.existing", {"vpc_id": "vpc123", "private_subnet_ids": ["subnet-0a1b2c3d", "subnet-0a1b2c3e"]}),
        "network.existing.vpc_id",
        "must be a VPC id such as vpc-0a1b2c3d (got 'vpc123')",
    ),
]


@pytest.mark.parametrize(("mutate", "path", "fragment"), [c[1:] for c in AWS_BAD], ids=[c[0] for c in AWS_BAD])
def test_aws_stack_refuses_with_key_path_value_and_allowed(dev_config, mutate, path, fragment):
    assert_reported(dev_config, mutate, path, fragment)


GCP_BAD = [
    (
        "an s3:// artifact on gcp",
        set_key("endpoints[0].variants[0].model_data", "s3://recsys-model-registry/ranker/v14/"),
        "endpoints[0].variants[0].model_data",
        "an s3:// URI is Amazon S3, which Vertex AI and Cloud Run on gcp cannot read; allowed: a path in the models",
    ),
    (
        "an endpoint image outside Artifact Registry",
        set_key("endpoints[0].variants[0].image", "docker.io/library/ranker:14"),
        "endpoints[0].variants[0].image",
        "must be an Artifact Registry or Container Registry image",
    ),
    (
        "a zone without its letter",
        set_key("cluster.zones[1]", "us-central1"),
        "cluster.zones[1]",
        "must be a GCP zone: the region and a letter, such as us-central1-a (got 'us-central1')",
    ),
    (
        "a project id with capitals",
        set_key("gcp_project", "ML-Platform"),
        "gcp_project",
        "must be a GCP project id: 6-30 lowercase letters, digits or '-', starting with a letter",
    ),
    (
        "a billing account of another form",
        set_key("gcp_billing_account", "0123-4567"),
        "gcp_billing_account",
        "must be a billing account id: XXXXXX-XXXXXX-XXXXXX (got '0123-4567')",
    ),
    (
        "a region of the catalog's other cloud",
        set_key("region", "us-east-1"),
        "region",
        "not a GCP region in the catalog; allowed:",
    ),
]


@pytest.mark.parametrize(("mutate", "path", "fragment"), [c[1:] for c in GCP_BAD], ids=[c[0] for c in GCP_BAD])
def test_gcp_stack_refuses_with_key_path_value_and_allowed(mutate, path, fragment):
    assert_reported(gcp_dev_config(), mutate, path, fragment)


def test_an_endpoint_image_and_artifact_are_checked_for_the_shadow_variant_too(dev_config):
    endpoint = dev_config["endpoints"][0]
    endpoint["mode"] = "realtime"
    endpoint["variants"][0]["instance_type"] = "ml.m5.large"
    endpoint["shadow_variant"] = {**endpoint["variants"][0], "name": "shadow", "model_data": "gs://b/m.tar.gz"}
    error = invalid(dev_config)
    assert f"{ROOT_KEY}.endpoints[0].shadow_variant.model_data" in error.paths()
