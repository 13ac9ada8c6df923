"""The IAM evaluator against the documented evaluation logic, conditions included."""

from __future__ import annotations

import pytest

from mlplatform.preflight.aws_iam import Request, UnsupportedPolicy, condition_holds, evaluate

BUCKET = "arn:aws:s3:::lake"


def doc(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


PREFIX_LIST = {
    "Effect": "Allow",
    "Action": "s3:ListBucket",
    "Resource": BUCKET,
    "Condition": {"StringLike": {"s3:prefix": ["feast/", "feast/*"]}},
}


def test_prefix_condition_refuses_head_bucket_which_carries_no_prefix():
    # GIVEN a listing grant scoped by s3:prefix WHEN HeadBucket (no s3:prefix in the context) is evaluated
    decision = evaluate(Request("s3:ListBucket", BUCKET), [doc(PREFIX_LIST)])
    # THEN it is implicitly denied, and a listing under the prefix is allowed
    assert not decision.allowed and "implicitly denied" in decision.reason
    assert evaluate(Request("s3:ListBucket", BUCKET, {"s3:prefix": "feast/x"}), [doc(PREFIX_LIST)]).allowed
    assert not evaluate(Request("s3:ListBucket", BUCKET, {"s3:prefix": "other/"}), [doc(PREFIX_LIST)]).allowed


def test_null_condition_allows_head_bucket_only_without_a_prefix():
    head = {
        "Effect": "Allow",
        "Action": "s3:ListBucket",
        "Resource": BUCKET,
        "Condition": {"Null": {"s3:prefix": "true"}},
    }
    assert evaluate(Request("s3:ListBucket", BUCKET), [doc(head)]).allowed
    assert not evaluate(Request("s3:ListBucket", BUCKET, {"s3:prefix": "raw/"}), [doc(head)]).allowed


def test_explicit_deny_in_a_bucket_policy_wins_over_an_identity_allow():
    allow = {"Effect": "Allow", "Action": "s3:*", "Resource": f"{BUCKET}/*"}
    tls = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [BUCKET, f"{BUCKET}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    plain = Request("s3:GetObject", f"{BUCKET}/k", {"aws:SecureTransport": False})
    over_tls = Request("s3:GetObject", f"{BUCKET}/k", {"aws:SecureTransport": True})
    assert not evaluate(plain, [doc(allow)], [doc(tls)], principal="arn:aws:iam::1:role/r").allowed
    assert evaluate(over_tls, [doc(allow)], [doc(tls)], principal="arn:aws:iam::1:role/r").allowed


@pytest.mark.parametrize(
    ("condition", "context", "holds"),
    [
        ({"StringNotEquals": {"aws:RequestedRegion": "us-east-1"}}, {}, True),  # negated, key absent: true
        ({"StringEquals": {"aws:RequestedRegion": "us-east-1"}}, {}, False),  # positive, key absent: false
        ({"StringEqualsIfExists": {"ec2:InstanceType": "t3.large"}}, {}, True),
        ({"StringEqualsIfExists": {"ec2:InstanceType": "t3.large"}}, {"ec2:InstanceType": "p5.48xlarge"}, False),
        ({"ForAllValues:StringEquals": {"aws:TagKeys": ["a", "b"]}}, {"aws:TagKeys": ["a"]}, True),
        ({"ForAllValues:StringEquals": {"aws:TagKeys": ["a", "b"]}}, {"aws:TagKeys": ["a", "c"]}, False),
        ({"ForAnyValue:StringEquals": {"aws:TagKeys": ["a"]}}, {}, False),
        ({"StringEquals": {"kms:ViaService": ["s3.us-east-1.amazonaws.com", "x"]}}, {"kms:viaservice": "x"}, True),
        (
            {"ArnLike": {"aws:SourceArn": "arn:aws:sns:*:123456789012:*"}},
            {"aws:SourceArn": "arn:aws:sns:us-east-1:123456789012:t"},
            True,
        ),
        ({"NumericLessThan": {"s3:max-keys": "10"}}, {"s3:max-keys": "5"}, True),
        ({"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, {"aws:SourceIp": "203.0.113.9"}, True),
        ({"StringLike": {"s3:prefix": "a/*"}, "Bool": {"aws:SecureTransport": "true"}}, {"s3:prefix": "a/b"}, False),
    ],
)
def test_condition_operators_follow_the_documented_semantics(condition, context, holds):
    assert condition_holds(condition, context) is holds


def test_action_matching_is_case_insensitive_and_resources_are_not():
    allow = {"Effect": "Allow", "Action": "S3:Get*", "Resource": "arn:aws:s3:::Lake/*"}
    assert evaluate(Request("s3:GetObject", "arn:aws:s3:::Lake/k"), [doc(allow)]).allowed
    assert not evaluate(Request("s3:GetObject", "arn:aws:s3:::lake/k"), [doc(allow)]).allowed
    not_action = {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}
    assert evaluate(Request("s3:GetObject", "x"), [doc(not_action)]).allowed
    assert not evaluate(Request("iam:PassRole", "x"), [doc(not_action)]).allowed


def test_raises_when_a_policy_uses_an_operator_it_cannot_evaluate():
    policy = doc(
        {
            "Effect": "Allow",
            "Action": "*",
            "Resource": "*",
            "Condition": {"DateLessThan": {"aws:CurrentTime": "2030-01-01"}},
        }
    )
    with pytest.raises(UnsupportedPolicy, match="DateLessThan"):
        evaluate(Request("s3:GetObject", "x"), [policy])
