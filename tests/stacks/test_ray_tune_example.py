"""The ray-tune example (examples/ray-tune): its RayJob validates and runs the example's own tune_job.py."""

from __future__ import annotations

import json

import jsonschema

from mlplatform import engine
from mlplatform.components.base.types import K8S_RAY_JOB
from tests.components.k8s.test_ray import custom_object, validate_pods
from tests.conftest import ROOT
from tests.schemas.kuberay_v1 import SCHEMAS


def test_the_example_rayjob_validates_and_runs_the_examples_own_script():
    # what a RayJob renders is the component's test (tests/components/k8s/test_ray.py); here, the example's choices
    plan = engine.run(ROOT / "examples" / "ray-tune", stack="dev")
    job = custom_object(plan.one(K8S_RAY_JOB))
    jsonschema.validate(job, SCHEMAS["RayJob"])
    validate_pods(job["spec"]["rayClusterSpec"], "1.33")
    assert json.loads(job["spec"]["runtimeEnvYAML"])["pip"] == ["optuna==5.0.0", "mlflow-skinny==3.17.0"]
    script = plan.one("kubernetes:core/v1:ConfigMap").input("data")["tune_job.py"]
    assert script == (ROOT / "examples" / "ray-tune" / "tune_job.py").read_text()
