"""Every IAM policy document the platform creates passes the parliament IAM linter with no findings.

Exceptions, by name:
- actions newer than parliament's data (UNKNOWN_ACTION for those listed in NEWER_THAN_LINTER);
- trust policies, which by definition have a Principal and no Resource: parliament lints identity policies and
  reports MALFORMED for that, so trust policies are checked for exactly that one finding and nothing else;
- RESOURCE_STAR in a KMS key policy: there "Resource": "*" means "this key" (the only form AWS accepts);
- RESOURCE_MISMATCH for an action that needs several resource types (ec2:RunInstances needs an image, subnet,
  security group, instance and network interface) when the policy grants them in separate statements with
  different conditions, as Karpenter's scoped policy does. Parliament checks one statement at a time; the test
  accepts the finding only if the document's statements together cover every resource type it names.
"""

from __future__ import annotations

import fnmatch
import json

import pytest
from parliament import analyze_policy_string

from mlplatform.components.base.types import (
    AWS_IAM_POLICY,
    AWS_IAM_ROLE,
    AWS_IAM_ROLE_POLICY,
    AWS_KMS_KEY,
    AWS_S3_BUCKET_POLICY,
    AWS_SNS_TOPIC_POLICY,
    AWS_SQS_QUEUE_POLICY,
)
from mlplatform.plan import Plan, reveal
from tests.fixtures import aws_dev, aws_dev_managed_node_groups, aws_prod, aws_staging

# Actions AWS added after parliament's bundled IAM definitions (parliament 1.6.x); checked by hand against the
# AWS Service Authorization Reference. Empty today: every action we use is known to the linter.
NEWER_THAN_LINTER: set[str] = set()

POLICY_INPUTS = {
    AWS_IAM_ROLE: "assumeRolePolicy",
    AWS_IAM_ROLE_POLICY: "policy",
    AWS_IAM_POLICY: "policy",
    AWS_SQS_QUEUE_POLICY: "policy",
    AWS_S3_BUCKET_POLICY: "policy",
    AWS_KMS_KEY: "policy",
    AWS_SNS_TOPIC_POLICY: "policy",
}


def documents(plan: Plan):
    for r in plan.custom_resources():
        prop = POLICY_INPUTS.get(r.type)
        if prop and r.input(prop):
            yield r, prop, reveal(r.input(prop))


def findings(doc: str) -> list:
    return [
        f
        for f in analyze_policy_string(doc).findings
        if not (f.issue == "UNKNOWN_ACTION" and _actions(f) <= NEWER_THAN_LINTER)
        and not (f.issue == "RESOURCE_MISMATCH" and _covered_across_statements(json.loads(doc), f.detail))
    ]


def _covered_across_statements(doc: dict, mismatches: list[dict]) -> bool:
    """True when, for every (action, required resource format), some statement granting that action has a
    resource of that format."""
    statements = doc["Statement"]
    for need in mismatches:
        grants = [
            st for st in statements if st.get("Effect") == "Allow" and need["action"] in _as_list(st.get("Action"))
        ]
        resources = [res for st in grants for res in _as_list(st.get("Resource"))]
        if not any(fnmatch.fnmatchcase(res.replace("*", "x"), need["required_format"]) for res in resources):
            return False
    return True


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value] if value is not None else []


def _actions(finding) -> set[str]:
    detail = finding.detail
    return set(detail) if isinstance(detail, list) else {str(detail)}


def assert_every_policy_document_passes_the_linter(plan: Plan) -> None:
    checked = 0
    for r, prop, doc in documents(plan):
        json.loads(doc)  # real JSON, not a Python repr
        got = findings(doc)
        if r.type == AWS_KMS_KEY:
            got = [f for f in got if f.issue != "RESOURCE_STAR"]
        if prop == "assumeRolePolicy":
            assert [f.issue for f in got] == ["MALFORMED"], (r.name, [(f.issue, f.detail) for f in got])
            assert "neither Resource nor NotResource" in got[0].detail
        else:
            assert not got, (r.name, [(f.issue, f.detail) for f in got])
        checked += 1
    assert checked >= 4, "the cluster, node and controller roles at least"


PLATFORMS = {
    "dev": aws_dev,
    "staging": aws_staging,
    "prod": aws_prod,
    "dev+managed-node-groups": aws_dev_managed_node_groups,
}


@pytest.mark.parametrize("label", PLATFORMS)
def test_every_policy_document_passes_the_linter(label):
    assert_every_policy_document_passes_the_linter(PLATFORMS[label]())


def test_the_linter_would_catch_a_bad_policy():
    bad = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": "s3:GetObjekt", "Resource": "arn:aws:s3:::b/*"},
                {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"},
            ],
        }
    )
    issues = {f.issue for f in findings(bad)}
    assert {"UNKNOWN_ACTION", "RESOURCE_STAR"} <= issues


def test_trust_policies_name_only_the_expected_services():
    services = set()
    for _, prop, doc in documents(aws_dev()):
        if prop == "assumeRolePolicy":
            for statement in json.loads(doc)["Statement"]:
                principal = statement["Principal"]["Service"]
                services.update([principal] if isinstance(principal, str) else principal)
    assert services == {"eks.amazonaws.com", "ec2.amazonaws.com", "pods.eks.amazonaws.com", "sagemaker.amazonaws.com"}
