"""Ray on the cluster as the platform configures it, proven against KubeRay's API and with Ray's own code.

GIVEN the RayCluster a dev platform plans on AWS and on GCP, and a RayJob
WHEN they are validated against the KubeRay v1 CRD schema (tests/schemas/kuberay_v1.py) with their pod templates
against the Kubernetes schemas of the cluster's version, and the RayCluster is handed to the Ray autoscaler's own
KubeRay config translation (ray 2.60, the version of the images)
THEN they are valid; the head takes no tasks and lives on the system nodes; every worker group scales from zero
to its pool's GPU limit with whole GPUs and requests equal to limits; idle workers go after the configured
timeout; objects spill to the Ray prefix of the lake.
"""

from __future__ import annotations

import json

import jsonschema
import kubernetes_validate
import pytest

from mlplatform import engine
from mlplatform.components.base.labels import GPU_MODEL_LABEL, GPU_RESOURCE, NODE_ROLE_LABEL, POOL_LABEL
from mlplatform.components.base.types import (
    AWS_EKS_POD_IDENTITY_ASSOCIATION,
    AWS_IAM_ROLE,
    AWS_S3_BUCKET,
    K8S_HELM_RELEASE,
    K8S_RAY_CLUSTER,
    K8S_RAY_JOB,
)
from mlplatform.components.k8s.ray import KubeRayOperator, RayJob, RayJobArgs, RayWorkerGroup
from mlplatform.plan import Plan, PlanResource, reveal
from tests.conftest import cluster_version
from tests.fixtures import aws_dev, gcp_dev
from tests.schemas.kuberay_v1 import OPERATOR_VALUES, SCHEMAS


def custom_object(r: PlanResource) -> dict:
    obj = {k: v for k, v in reveal(r.inputs).items() if k != "__inputs"}
    return obj


def pod_templates(spec: dict) -> list[dict]:
    return [spec["headGroupSpec"]["template"], *(g["template"] for g in spec.get("workerGroupSpecs", []))]


def validate_pods(spec: dict, version: str) -> None:
    for template in pod_templates(spec):
        kubernetes_validate.validate(
            {"apiVersion": "v1", "kind": "PodTemplate", "metadata": {"name": "t"}, "template": template},
            version,
            strict=True,
        )


def assert_ray_cluster_validates_against_the_kuberay_crd_and_kubernetes(plan: Plan) -> None:
    obj = custom_object(plan.one(K8S_RAY_CLUSTER))
    jsonschema.validate(obj, SCHEMAS["RayCluster"])
    validate_pods(obj["spec"], cluster_version(plan))


@pytest.mark.parametrize("platform", [aws_dev, gcp_dev], ids=["aws", "gcp"])
def test_ray_cluster_validates_against_the_kuberay_crd_and_kubernetes(platform):
    assert_ray_cluster_validates_against_the_kuberay_crd_and_kubernetes(platform())


def test_the_schema_refuses_an_invented_field():
    obj = custom_object(aws_dev().one(K8S_RAY_CLUSTER))
    obj["spec"]["workerGroupSpecs"][0]["maxWorkers"] = obj["spec"]["workerGroupSpecs"][0].pop("maxReplicas")
    with pytest.raises(jsonschema.ValidationError, match="maxWorkers"):
        jsonschema.validate(obj, SCHEMAS["RayCluster"])


def test_the_ray_autoscaler_reads_the_cluster_as_intended():
    from ray.autoscaler._private.kuberay.autoscaling_config import _derive_autoscaling_config_from_ray_cr

    obj = custom_object(aws_dev().one(K8S_RAY_CLUSTER))
    config = _derive_autoscaling_config_from_ray_cr(obj)  # Ray validates the config it derives
    types = config["available_node_types"]
    assert types["headgroup"]["resources"]["CPU"] == 0, "the head takes no tasks"
    assert {name: (t["min_workers"], t["max_workers"], t["resources"].get("GPU")) for name, t in types.items()} == {
        "headgroup": (0, 0, None),
        "inference": (0, 4, 1),  # L4 pool: max_nodes 4 x 1 GPU
        "experiments": (0, 2, 1),  # T4 pool: max_nodes 2 x 1 GPU
    }
    assert types["inference"]["resources"]["CPU"] == 3 and types["inference"]["resources"]["memory"] == 12 * 1024**3
    assert config["idle_timeout_minutes"] == 5 and config["max_workers"] == 6


def test_head_on_system_nodes_workers_on_their_pools_with_whole_gpus():
    spec = custom_object(aws_dev().one(K8S_RAY_CLUSTER))["spec"]
    head = spec["headGroupSpec"]
    assert head["serviceType"] == "ClusterIP" and head["enableIngress"] is False  # the dashboard stays internal
    assert head["template"]["spec"]["nodeSelector"] == {NODE_ROLE_LABEL: "system"}
    assert head["rayStartParams"]["num-cpus"] == "0"
    for group in spec["workerGroupSpecs"]:
        pod = group["template"]["spec"]
        resources = pod["containers"][0]["resources"]
        assert resources["requests"] == resources["limits"] and resources["limits"][GPU_RESOURCE] == "1"
        assert pod["nodeSelector"] == {
            POOL_LABEL: group["groupName"],
            GPU_MODEL_LABEL: pod["nodeSelector"][GPU_MODEL_LABEL],
        }
        assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in pod["tolerations"]
        assert group["minReplicas"] == group["replicas"] == 0
        assert pod["serviceAccountName"] == "ray"


def test_objects_spill_to_the_ray_prefix_of_the_lake():
    plan = aws_dev()
    spec = custom_object(plan.one(K8S_RAY_CLUSTER))["spec"]
    models = plan.one(AWS_S3_BUCKET, "mlplatform-lake-models").output("bucket")
    for template in pod_templates(spec):
        env = {e["name"]: e.get("value") for e in template["spec"]["containers"][0]["env"]}
        spill = json.loads(env["RAY_object_spilling_config"])
        assert spill == {"type": "smart_open", "params": {"uri": f"s3://{models}/ray/spill"}}
    role = plan.one(AWS_IAM_ROLE, "mlplatform-tools-ray-identity")
    association = next(a for a in plan.by_type(AWS_EKS_POD_IDENTITY_ASSOCIATION) if a.input("serviceAccount") == "ray")
    assert association.input("roleArn") == role.output("arn") and association.input("namespace") == "mlplatform"


def test_operator_values_are_the_charts_and_it_runs_on_system_nodes():
    release = aws_dev().one(K8S_HELM_RELEASE, "mlplatform-tools-kuberay")
    values = reveal(release.input("values"))
    jsonschema.validate(values, OPERATOR_VALUES)
    assert values["image"]["tag"] == f"v{release.input('version')}"
    assert values["nodeSelector"] == {NODE_ROLE_LABEL: "system"}
    assert release.input("chart") == "kuberay-operator" and release.input("createNamespace") is True


SCRIPT = "import ray\n\nray.init()\n"


def test_a_rayjob_validates_and_brings_its_own_cluster():
    # GIVEN a RayJob running a script with extra packages, a secret in its environment and a T4 worker group
    def program():
        operator = KubeRayOperator("kuberay")
        RayJob(
            "tune",
            RayJobArgs(
                namespace="ml-experiments",
                operator=operator.release,
                entrypoint_script=SCRIPT,
                script_name="tune_job.py",
                pip=["optuna==5.0.0", "mlflow-skinny==3.17.0"],
                secret_env={"MLFLOW_TRACKING_PASSWORD": ("mlflow-credentials", "password")},
                spill_url="s3://lake-models/ray/spill",
                worker_groups=[
                    RayWorkerGroup(name="t4", pool="experiments", gpu_model="T4", cpu=3, memory_gb=12, max_workers=4)
                ],
            ),
        )

    plan = engine.run(program)
    # THEN it validates against KubeRay's CRD and Kubernetes, and runs the script on a cluster it deletes after
    job = custom_object(plan.one(K8S_RAY_JOB))
    jsonschema.validate(job, SCHEMAS["RayJob"])
    spec = job["spec"]
    validate_pods(spec["rayClusterSpec"], "1.33")
    assert spec["entrypoint"] == "python /home/ray/jobs/tune_job.py" and spec["shutdownAfterJobFinishes"] is True
    assert json.loads(spec["runtimeEnvYAML"])["pip"] == ["optuna==5.0.0", "mlflow-skinny==3.17.0"]
    assert plan.one("kubernetes:core/v1:ConfigMap").input("data")["tune_job.py"] == SCRIPT
    head = spec["rayClusterSpec"]["headGroupSpec"]["template"]["spec"]
    env = {e["name"]: e for e in head["containers"][0]["env"]}
    assert env["MLFLOW_TRACKING_PASSWORD"]["valueFrom"]["secretKeyRef"] == {
        "name": "mlflow-credentials",
        "key": "password",
    }
    assert {"name": "job", "mountPath": "/home/ray/jobs", "readOnly": True} in head["containers"][0]["volumeMounts"]
