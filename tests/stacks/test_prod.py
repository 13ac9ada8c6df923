"""The prod stack's choices (stacks/Pulumi.prod.yaml): resilient, protected, reachable only by its deployers."""

from __future__ import annotations

from mlplatform.components.base.types import K8S_DEPLOYMENT, K8S_INGRESS
from tests.components.aws.test_mlflow import mlflow_args
from tests.conftest import planned


def test_prod_runs_two_mlflow_replicas_behind_an_ingress():
    plan = planned("prod")
    flags, _ = mlflow_args(plan)
    assert "mlflow.ml.example.com" in flags["--allowed-hosts"].split(",")
    deployment = next(d for d in plan.by_type(K8S_DEPLOYMENT) if d.input("metadata.name") == "mlflow")
    assert deployment.input("spec.replicas") == 2
    pdb = next(
        p for p in plan.by_type("kubernetes:policy/v1:PodDisruptionBudget") if p.input("metadata.name") == "mlflow"
    )
    assert pdb.input("spec.minAvailable") == 1
    ingress = plan.one(K8S_INGRESS)
    assert ingress.input("spec.rules")[0]["host"] == "mlflow.ml.example.com"
    assert plan.outputs["mlflow_tracking_uri"] == "https://mlflow.ml.example.com"
