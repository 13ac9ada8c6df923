"""Plan queries and serialisation."""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws
import pytest

from mlplatform import engine
from mlplatform.components.base.types import AWS_S3_BUCKET, AWS_S3_BUCKET_VERSIONING
from mlplatform.plan import PlanQueryError, Secret, lookup, redact


class Pair(pulumi.ComponentResource):
    def __init__(self, name, opts=None):
        super().__init__("test:index:Pair", name, None, opts)
        a = aws.s3.Bucket(f"{name}-a", opts=pulumi.ResourceOptions(parent=self))
        aws.s3.BucketVersioning(
            f"{name}-a",
            bucket=a.id,
            versioning_configuration={"status": "Enabled"},
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({})


@pytest.fixture(scope="module")
def plan():
    def program():
        Pair("x")
        Pair("y")
        aws.sns.Topic("t", tags={"team": "a"})

    return engine.run(program)


def test_find_by_type_name_and_predicate(plan):
    assert len(plan.by_type(AWS_S3_BUCKET)) == 2
    assert plan.one(name="x-a", type=AWS_S3_BUCKET).parent.endswith("::x")
    assert [r.name for r in plan.find(where=lambda r: r.input("tags.team") == "a")] == ["t"]


def test_one_raises_with_the_candidates(plan):
    with pytest.raises(PlanQueryError, match="expected exactly one aws:s3/bucket:Bucket, found 2: x-a, y-a"):
        plan.one(AWS_S3_BUCKET)
    with pytest.raises(PlanQueryError, match="found 0"):
        plan.one(name="nope")


def test_children_descendants_and_components(plan):
    x = plan.one("test:index:Pair", "x")
    assert {r.type for r in plan.children(x)} == {AWS_S3_BUCKET, AWS_S3_BUCKET_VERSIONING}
    assert len(plan.descendants(plan.stack_resource)) == len(plan) - 1
    assert {c.name for c in plan.components()} == {"x", "y"}
    assert plan.count_by_component()["test:index:Pair x"] == 2
    assert plan.count_by_component()["<stack>"] == 1
    assert plan.count_by_type()[AWS_S3_BUCKET] == 2


def test_json_has_the_documented_shape(plan):
    doc = json.loads(plan.to_json())
    assert set(doc) == {"project", "stack", "resources"}
    assert doc["project"] == "test" and doc["stack"] == "dev"
    keys = {"urn", "type", "name", "parent", "custom", "inputs", "outputs", "dependencies", "provider", "options"}
    assert all(set(r) == keys for r in doc["resources"])


def test_lookup_and_redact_helpers():
    value = {"a": [{"b": Secret("s3cr3t")}], "c": 1}
    assert lookup(value, "a[0].b") == "s3cr3t"
    assert lookup(value, "a[3].b", "dflt") == "dflt"
    assert redact(value) == {"a": [{"b": "[secret]"}], "c": 1}
    assert "s3cr3t" not in repr(Secret("s3cr3t"))
