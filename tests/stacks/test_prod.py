"""The prod stack's choices (stacks/Pulumi.prod.yaml): resilient, protected, reachable only by its deployers."""

from __future__ import annotations

from mlplatform.components.base.types import K8S_INGRESS
from tests.components.aws.test_mlflow import mlflow_args
from tests.conftest import planned, stack_document


def test_prod_serves_mlflow_at_the_stack_files_host_only_over_https():
    # prod's replicas and disruption budget are the component's defaults, tested on the prod fixture; here, the host
    plan, host = planned("prod"), stack_document("prod")["mlflow"]["ingress_host"]
    flags, _ = mlflow_args(plan)
    assert host in flags["--allowed-hosts"].split(",")
    assert plan.one(K8S_INGRESS).input("spec.rules")[0]["host"] == host
    assert plan.outputs["mlflow_tracking_uri"] == f"https://{host}"
