"""GCP role permissions and IAM conditions as Cloud Storage evaluates them."""

from __future__ import annotations

import pytest

from mlplatform.preflight.gcp_iam import Binding, GcsRequest, UnsupportedCondition, allowed, condition_holds

MEMBER = "serviceAccount:feast@p.iam.gserviceaccount.com"
PREFIX = 'resource.name.startsWith("projects/_/buckets/lake/objects/features/")'


def test_prefix_condition_grants_objects_under_it_but_never_the_bucket_itself():
    binding = Binding("roles/storage.objectViewer", MEMBER, "lake", PREFIX)
    assert allowed(GcsRequest("storage.objects.get", "lake", "features/x.parquet"), MEMBER, [binding])
    assert not allowed(GcsRequest("storage.objects.get", "lake", "raw/x.parquet"), MEMBER, [binding])
    # listing is evaluated against the bucket: the object-prefix condition does not match it
    assert not allowed(GcsRequest("storage.objects.list", "lake"), MEMBER, [binding])


def test_object_roles_lack_bucket_metadata_which_legacy_bucket_reader_has():
    user = Binding("roles/storage.objectUser", MEMBER, "lake")
    get_bucket = GcsRequest("storage.buckets.get", "lake")
    assert not allowed(get_bucket, MEMBER, [user])
    assert allowed(get_bucket, MEMBER, [user, Binding("roles/storage.legacyBucketReader", MEMBER, "lake")])


def test_conditions_combine_with_and_or_and_parentheses():
    obj = GcsRequest("storage.objects.get", "lake", "features/a")
    expr = f'({PREFIX} || resource.type == "storage.googleapis.com/Bucket") && resource.name.startsWith("projects/")'
    assert condition_holds(expr, obj)
    assert condition_holds(expr, GcsRequest("storage.objects.list", "lake"))
    assert not condition_holds(PREFIX, GcsRequest("storage.objects.get", "lake", "models/a"))


def test_raises_on_a_condition_it_cannot_evaluate():
    with pytest.raises(UnsupportedCondition):
        condition_holds("request.time < timestamp('2030-01-01T00:00:00Z')", GcsRequest("storage.objects.get", "b", "k"))
