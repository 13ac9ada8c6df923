"""On-cluster serving from the stack spec to the Plan: KServe on Knative, model servers, request logs, drift.

GIVEN a dev platform (a Triton ranker from zero on the spot L4 pool, logging its requests, a nightly drift
report) and a prod platform (a vLLM assistant kept warm, canary rollouts), WHEN they are planned, THEN:
every custom resource validates against the upstream API at the pinned versions (KServe 0.21's types, the
Knative operator's KnativeServing); every Kubernetes object against the Kubernetes 1.33 schemas; the Triton
config the platform writes parses with Triton's own ModelConfig (tritonclient 2.65); each workload's identity
reads and writes exactly its prefixes; and every spec mistake names its key, value and what is allowed.
"""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import jsonschema
import kubernetes_validate
import pulumi_kubernetes as k8s
import pytest
from google.protobuf import text_format
from tritonclient.grpc import model_config_pb2

from mlplatform import engine
from mlplatform.components import gcp
from mlplatform.components.base.errors import ConfigError
from mlplatform.components.base.types import (
    AWS_EKS_POD_IDENTITY_ASSOCIATION,
    AWS_IAM_ROLE_POLICY,
    AWS_S3_BUCKET,
    AWS_S3_BUCKET_OBJECT_V2,
    K8S_CRON_JOB,
    K8S_DEPLOYMENT,
    K8S_HELM_RELEASE,
    K8S_KNATIVE_SERVING,
    K8S_KSERVE_INFERENCE_SERVICE,
    K8S_KSERVE_SERVING_RUNTIME,
    K8S_PROMETHEUS_RULE,
)
from mlplatform.components.compositions import IdentityContext, ServingArgs
from mlplatform.components.config.loader import parse_platform_spec
from mlplatform.components.config.serving import TritonModelSpec
from mlplatform.components.k8s.kserve import KServeArgs, knative_serving_spec, mlflow_storage_container
from mlplatform.components.k8s.model_server import ModelServerArgs, inference_service_spec, serving_runtime_spec
from mlplatform.components.k8s.triton import render_config, repository_layout
from mlplatform.plan import Plan, reveal
from tests.components.compositions.test_toolchain import bucket, s3_access
from tests.components.config.documents import ROOT_KEY, invalid
from tests.fixtures import (
    L4_POOL,
    TRITON_RANKER,
    aws_config,
    aws_dev,
    aws_dev_config,
    aws_prod,
    aws_prod_config,
    aws_smallest,
    gcp_dev_config,
    plan_platform,
    with_sections,
)
from tests.schemas import kserve_api
from tests.schemas.knative_operator import KNATIVE_SERVING_SPEC

K8S_VERSION = "1.33"


def crs(plan: Plan, type_: str) -> list[Any]:
    return plan.by_type(type_)


# --- upstream schemas ----------------------------------------------------------------------------------------


def test_kserve_schema_is_built_from_the_pinned_sdk_and_refuses_what_kserve_would():
    schema = kserve_api.schema(kserve_api.INFERENCE_SERVICE_SPEC)
    predictor = schema["definitions"]["V1beta1PredictorSpec"]["properties"]
    # Knative-mode autoscaling and rollout fields exist at 0.21 under these JSON names.
    assert {"minReplicas", "maxReplicas", "scaleMetric", "scaleTarget", "canaryTrafficPercent", "logger"} <= set(
        predictor
    )
    assert schema["definitions"]["V1beta1ModelSpec"]["required"] == ["modelFormat"]
    # Everything else resolved to a typed schema. UNRESOLVED collects across every schema built in this session: the
    # serving runtime's is built here too, so the answer does not depend on which tests ran before.
    kserve_api.schema(kserve_api.SERVING_RUNTIME_SPEC)
    assert {"ResourceQuantity", "V1alpha1WorkerSpec"} >= kserve_api.UNRESOLVED
    with pytest.raises(jsonschema.ValidationError, match="minReplica"):
        jsonschema.validate({"predictor": {"minReplica": 0, "model": {"modelFormat": {"name": "x"}}}}, schema)
    with pytest.raises(jsonschema.ValidationError, match="modelFormat"):
        jsonschema.validate({"predictor": {"model": {"storageUri": "s3://b/m/"}}}, schema)


def assert_serving_custom_resources_validate_against_the_pinned_apis(plan: Plan) -> None:
    isvcs, runtimes = crs(plan, K8S_KSERVE_INFERENCE_SERVICE), crs(plan, K8S_KSERVE_SERVING_RUNTIME)
    assert isvcs and runtimes
    for isvc in isvcs:
        jsonschema.validate(reveal(isvc.input("spec")), kserve_api.schema(kserve_api.INFERENCE_SERVICE_SPEC))
        assert reveal(isvc.input("metadata"))["annotations"] == {"serving.kserve.io/deploymentMode": "Knative"}
    for runtime in runtimes:
        jsonschema.validate(reveal(runtime.input("spec")), kserve_api.schema(kserve_api.SERVING_RUNTIME_SPEC))
    for ks in crs(plan, K8S_KNATIVE_SERVING):
        jsonschema.validate(reveal(ks.input("spec")), KNATIVE_SERVING_SPEC)
    for r in plan.resources:
        if r.type in (K8S_DEPLOYMENT, K8S_CRON_JOB) and "serving" in r.name:
            kind = r.type.rsplit(":", 1)[-1]
            manifest = {
                "apiVersion": "apps/v1" if kind == "Deployment" else "batch/v1",
                "kind": kind,
                "metadata": {"name": "x", "namespace": "mlplatform"},
                "spec": reveal(r.input("spec")),
            }
            kubernetes_validate.validate(manifest, K8S_VERSION, strict=True)


@pytest.mark.parametrize("platform", ["dev", "prod", "gcp-dev"])
def test_every_serving_custom_resource_validates_against_the_pinned_apis(platform):
    plans = {"dev": aws_dev, "prod": aws_prod, "gcp-dev": _gcp_with_a_server}
    assert_serving_custom_resources_validate_against_the_pinned_apis(plans[platform]())


def test_the_mlflow_storage_container_validates_and_handles_only_models_uris():
    spec = mlflow_storage_container("http://mlflow.mlplatform.svc.cluster.local:5000")
    jsonschema.validate(spec, kserve_api.schema(kserve_api.CLUSTER_STORAGE_CONTAINER_SPEC))
    assert spec["supportedUriFormats"] == [{"prefix": "models:/"}]
    container = spec["container"]
    assert container["command"][:2] == ["python", "-c"] and "download_artifacts" in container["command"][2]
    secrets = {e["name"]: e["valueFrom"]["secretKeyRef"] for e in container["env"] if "valueFrom" in e}
    assert secrets["MLFLOW_TRACKING_PASSWORD"] == {"name": "mlflow-model-reader", "key": "password", "optional": True}


# --- Knative and KServe ------------------------------------------------------------------------------------------


def test_knative_lets_gpu_servers_through_scales_to_zero_and_waits_for_gpu_cold_starts():
    spec = knative_serving_spec(KServeArgs(registries=["nvcr.io", "docker.io"], progress_deadline_seconds=1200))
    config = spec["config"]
    assert {k for k, v in config["features"].items() if v == "enabled"} == {
        "kubernetes.podspec-nodeselector",
        "kubernetes.podspec-tolerations",
        "kubernetes.podspec-affinity",
        "kubernetes.podspec-volumes-emptydir",
    }
    assert config["autoscaler"]["allow-zero-initial-scale"] == "true"
    assert config["deployment"]["progress-deadline"] == "1200s"
    assert {"nvcr.io", "docker.io"} <= set(config["deployment"]["registries-skipping-tag-resolving"].split(","))
    assert spec["ingress"] == {"kourier": {"enabled": True, "service-type": "ClusterIP"}}  # no load balancer billed
    assert config["network"] == {"ingress-class": "kourier.ingress.networking.knative.dev"}


def test_kserve_installs_in_knative_mode_after_its_crds_cert_manager_and_knative():
    plan = aws_dev()
    releases = {r.input("name"): r for r in plan.by_type(K8S_HELM_RELEASE)}
    kserve = releases["kserve"]
    assert kserve.input("chart") == "oci://ghcr.io/kserve/charts/kserve-resources"
    assert kserve.input("version") == "v0.21.0" and releases["kserve-crd"].input("version") == "v0.21.0"
    controller = kserve.input("values")["kserve"]["controller"]
    assert controller["deploymentMode"] == "Knative" and controller["gateway"] == {"disableIstioVirtualHost": True}
    assert releases["cert-manager"].input("values")["crds"] == {"enabled": True}
    names = {plan.get(u).name for u in kserve.dependencies if plan.get(u)}
    assert {"mlplatform-serving-kserve-kserve-crd", "mlplatform-serving-kserve-cert-manager"} <= names
    assert "mlplatform-serving-kserve-knative-serving" in names
    isvc = plan.one(K8S_KSERVE_INFERENCE_SERVICE)
    assert "mlplatform-serving-kserve-kserve" in {plan.get(u).name for u in isvc.dependencies if plan.get(u)}


# --- model servers -------------------------------------------------------------------------------------------------


def test_the_dev_ranker_scales_from_zero_on_the_spot_l4_pool_and_logs_its_requests():
    plan = aws_dev()
    isvc = reveal(plan.one(K8S_KSERVE_INFERENCE_SERVICE).input("spec"))["predictor"]
    assert (isvc["minReplicas"], isvc["maxReplicas"], isvc["scaleMetric"], isvc["scaleTarget"]) == (
        0,
        2,
        "concurrency",
        8,
    )
    assert isvc["annotations"]["autoscaling.knative.dev/initial-scale"] == "0"  # no GPU node per deploy
    assert isvc["annotations"]["autoscaling.knative.dev/scale-to-zero-pod-retention-period"] == "300s"
    assert isvc["timeout"] == 60
    assert isvc["nodeSelector"] == {"mlplatform.io/gpu-pool": "inference", "mlplatform.io/gpu": "L4"}
    assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in isvc["tolerations"]
    model = isvc["model"]
    assert model["resources"]["limits"]["nvidia.com/gpu"] == "1"
    lake_models = plan.one(AWS_S3_BUCKET, "mlplatform-lake-models").output("bucket")
    assert model["storageUri"] == f"s3://{lake_models}/triton/"
    assert isvc["logger"] == {"mode": "all", "url": "http://request-log-sink.mlplatform.svc.cluster.local"}
    runtime = reveal(plan.one(K8S_KSERVE_SERVING_RUNTIME).input("spec"))["containers"][0]
    assert runtime["image"] == "nvcr.io/nvidia/tritonserver:25.12-py3"
    assert "--model-repository=/mnt/models" in runtime["args"] and "--exit-on-error=true" in runtime["args"]
    sa = plan.one("kubernetes:core/v1:ServiceAccount", "mlplatform-serving-ranker-sa").input("metadata")
    assert sa["annotations"]["serving.kserve.io/s3-region"] == "us-east-1"


def test_the_prod_assistant_stays_warm_and_rolls_changes_out_to_a_canary():
    predictor = reveal(aws_prod().one(K8S_KSERVE_INFERENCE_SERVICE).input("spec"))["predictor"]
    assert (predictor["minReplicas"], predictor["maxReplicas"], predictor["canaryTrafficPercent"]) == (1, 6, 10)
    assert predictor["annotations"]["autoscaling.knative.dev/initial-scale"] == "1"
    assert predictor["model"]["storageUri"] == "hf://Qwen/Qwen2.5-1.5B-Instruct"
    assert predictor["model"]["args"] == ["--max-model-len=8192", "--gpu-memory-utilization=0.9"]
    assert predictor["volumes"][0]["emptyDir"]["medium"] == "Memory"  # /dev/shm for vLLM's workers


@pytest.mark.parametrize("runtime", ["triton", "vllm", "mlflow"])
def test_each_runtime_serves_on_the_port_knative_probes(runtime):
    args = ModelServerArgs(
        namespace="ml",
        server_name="m",
        runtime=runtime,
        storage_uri="s3://b/m/",
        pool="inference",
        gpu_model="L4",
    )
    container = serving_runtime_spec(args, "m")["containers"][0]
    spec = inference_service_spec(args, "m-rt", "s3://b/m/")
    jsonschema.validate(spec, kserve_api.schema(kserve_api.INFERENCE_SERVICE_SPEC))
    probe = spec["predictor"]["model"]["readinessProbe"]["httpGet"]
    assert container["ports"] == [{"containerPort": 8080, "protocol": "TCP"}] and probe["port"] == 8080
    assert any("8080" in a for a in container["args"])


# --- Triton --------------------------------------------------------------------------------------------------------


def test_the_triton_config_the_platform_writes_is_a_valid_triton_model_config():
    plan = aws_dev()
    obj = plan.one(AWS_S3_BUCKET_OBJECT_V2)
    assert obj.input("key") == "triton/ranker/config.pbtxt"
    config = text_format.Parse(obj.input("content"), model_config_pb2.ModelConfig())
    assert (config.name, config.backend, config.max_batch_size) == ("ranker", "onnxruntime", 64)
    assert [(t.name, model_config_pb2.DataType.Name(t.data_type), list(t.dims)) for t in config.input] == [
        ("features", "TYPE_FP32", [64])
    ]
    assert [(t.name, list(t.dims)) for t in config.output] == [("score", [1])]
    assert config.instance_group[0].kind == model_config_pb2.ModelInstanceGroup.KIND_GPU
    assert config.dynamic_batching.max_queue_delay_microseconds == 2000
    assert config.version_policy.latest.num_versions == 1


@pytest.mark.parametrize("backend", ["onnxruntime", "pytorch", "tensorflow", "tensorrt", "python"])
def test_every_backend_renders_a_config_triton_parses(backend):
    spec = TritonModelSpec(
        backend=backend,
        max_batch_size=0,
        dynamic_batching=False,
        inputs=[
            {"name": "input_ids", "data_type": "INT64", "dims": [-1]},
            {"name": "mask", "data_type": "BOOL", "dims": [-1]},
        ],
        outputs=[{"name": "logits", "data_type": "FP16", "dims": [-1, 32000]}],
    )
    config = text_format.Parse(render_config("lm", spec, gpu=False), model_config_pb2.ModelConfig())
    assert config.max_batch_size == 0 and not config.HasField("dynamic_batching")
    assert config.instance_group[0].kind == model_config_pb2.ModelInstanceGroup.KIND_CPU
    assert (config.backend or config.platform) and list(config.output[0].dims) == [-1, 32000]
    layout = repository_layout("lm", spec)
    assert "lm/config.pbtxt" in layout and any(k.startswith("lm/1/model") for k in layout)


# --- identities ------------------------------------------------------------------------------------------------------


def test_each_serving_workload_reads_and_writes_only_its_prefixes():
    plan = aws_dev()
    reads, writes = s3_access(plan, "mlplatform-serving-ranker-identity")
    assert reads == {f"{bucket(plan, 'models')}/triton/*"} and writes == set()
    reads, writes = s3_access(plan, "mlplatform-serving-log-sink-identity")
    assert writes == {f"{bucket(plan, 'raw')}/serving-logs/*"}
    reads, writes = s3_access(plan, "mlplatform-serving-ranker-drift-identity")
    assert reads == {
        f"{bucket(plan, 'raw')}/serving-logs/ranker/*",
        f"{bucket(plan, 'features')}/ranker/*",
        f"{bucket(plan, 'raw')}/drift-reports/ranker/*",
    }
    assert writes == {f"{bucket(plan, 'raw')}/drift-reports/ranker/*"}
    associations = {a.input("serviceAccount") for a in plan.by_type(AWS_EKS_POD_IDENTITY_ASSOCIATION)}
    assert {"ranker", "request-log-sink", "ranker-drift"} <= associations


def test_a_model_in_an_external_bucket_is_read_by_that_prefix_only():
    server = {**TRITON_RANKER, "model_uri": "s3://recsys-model-registry/triton/", "request_logging": False}
    del server["drift"]
    plan = plan_platform(aws_config("dev", cluster={"gpu_pools": [L4_POOL]}, serving={"servers": [server]}))
    statements = [
        st
        for p in plan.by_type(AWS_IAM_ROLE_POLICY)
        if p.name == "mlplatform-serving-ranker-identity-external-read"
        for st in json.loads(p.input("policy"))["Statement"]
    ]
    assert {st["Resource"] for st in statements} == {
        "arn:aws:s3:::recsys-model-registry",
        "arn:aws:s3:::recsys-model-registry/triton/*",
    }
    assert not plan.find(AWS_S3_BUCKET_OBJECT_V2)  # the repository is the registry's own


def test_the_drift_job_fails_fast_on_drift_retries_crashes_and_alerts():
    plan = aws_dev()
    cron = reveal(plan.one(K8S_CRON_JOB, "mlplatform-serving-ranker-drift").input("spec"))
    job = cron["jobTemplate"]["spec"]
    rules = job["podFailurePolicy"]["rules"]
    assert rules[0] == {
        "action": "FailJob",
        "onExitCodes": {"containerName": "drift-report", "operator": "In", "values": [3]},
    }
    assert job["backoffLimit"] == 2 and cron["schedule"] == "0 4 * * *"
    env = {e["name"]: e["value"] for e in job["template"]["spec"]["containers"][0]["env"]}
    assert env["REFERENCE_URL"].endswith("/ranker/reference.parquet") and env["WINDOW_HOURS"] == "24"
    program = plan.find("kubernetes:core/v1:ConfigMap", "mlplatform-serving-ranker-drift-program")[0].input("data")
    assert "evidently==0.7.23" in program["requirements.txt"] and "boto3==" in program["requirements.txt"]
    rule = plan.one(K8S_PROMETHEUS_RULE, "mlplatform-serving-ranker-drift-alert")
    alert = rule.input("spec")["groups"][0]["rules"][0]
    assert alert["alert"] == "ModelDriftDetected" and 'job_name=~"ranker-drift-[0-9]+"' in alert["expr"]


def test_no_servers_install_nothing():
    plan = aws_smallest()
    assert not plan.find(K8S_KSERVE_INFERENCE_SERVICE) and not any(
        r.input("name") == "kserve" for r in plan.by_type(K8S_HELM_RELEASE)
    )


def _gcp_with_a_server() -> Plan:
    server = {
        "name": "ranker",
        "runtime": "mlflow",
        "model_uri": "models:/ranker@champion",
        "request_logging": True,
        "drift": {"reference": "ranker/reference.csv"},
    }
    return plan_platform(with_sections(gcp_dev_config(), serving={"servers": [server]}), stack="gcp-dev")


def test_gcp_serves_an_mlflow_model_through_the_registry_on_cpu():
    plan = _gcp_with_a_server()
    predictor = reveal(plan.one(K8S_KSERVE_INFERENCE_SERVICE).input("spec"))["predictor"]
    assert predictor["model"]["storageUri"] == "models:/ranker@champion"
    assert "nodeSelector" not in predictor and "nvidia.com/gpu" not in predictor["model"]["resources"]["limits"]
    assert plan.one("kubernetes:serving.kserve.io/v1alpha1:ClusterStorageContainer")
    drift = reveal(plan.one(K8S_CRON_JOB, "mlplatform-serving-ranker-drift").input("spec"))
    env = {e["name"]: e["value"] for e in drift["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["LOG_URL"].startswith("gs://") and env["REFERENCE_URL"].endswith("/ranker/reference.csv")


# --- spec ------------------------------------------------------------------------------------------------------------


def _server(**changes: Any):
    def apply(doc: dict) -> None:
        server = doc["serving"]["servers"][0]
        for key, value in changes.items():
            if value is None:
                server.pop(key, None)
            else:
                server[key] = value

    return apply


BAD = [
    (
        "a gs:// model on aws",
        _server(model_uri="gs://models-bucket/ranker/"),
        "model_uri",
        "not an object store of aws",
    ),
    ("a model URI of no known form", _server(model_uri="ftp://x/y"), "model_uri", "models:/<name>/<version>"),
    ("an hf:// model on triton", _server(model_uri="hf://org/model"), "model_uri", "served by the vllm runtime"),
    ("a Triton repository that is a file", _server(model_uri="triton/model.onnx"), "model_uri", "ending with /"),
    ("triton without its model config", _server(triton=None), "triton", "inputs and outputs"),
    ("vllm off the GPUs", _server(runtime="vllm", triton=None, gpu_pool=None), "gpu_pool", "GPUs only"),
    ("more replicas than the pool holds", _server(max_replicas=9), "max_replicas", "GPU limit (4"),
    ("a pool that does not exist", _server(gpu_pool="h100s"), "gpu_pool", "pools: inference, experiments"),
    ("drift without request logs", _server(request_logging=False), "drift", "needs request_logging"),
    ("a canary of 100%", _server(canary_traffic_percent=100), "canary_traffic_percent", "must be <= 99"),
    ("min above max", _server(min_replicas=3, max_replicas=2), "min_replicas", "must be <= max_replicas (2)"),
]


@pytest.mark.parametrize(("mutate", "path", "fragment"), [c[1:] for c in BAD], ids=[c[0] for c in BAD])
def test_serving_mistakes_name_the_key_value_and_what_is_allowed(mutate, path, fragment):
    doc = aws_dev_config()
    mutate(doc)
    error = invalid(doc)
    full = f"{ROOT_KEY}.serving.servers[0].{path}"
    assert full in error.paths(), f"{full} not in {error.paths()}\n{error}"
    line = next(line for line in str(error).splitlines() if f"{full}:" in line)
    assert fragment in line, line


def test_defaults_scale_to_zero_outside_prod_and_keep_one_warm_in_prod():
    dev = parse_platform_spec(aws_dev_config()).serving.servers[0]
    assert (dev.min_replicas, dev.max_replicas, dev.concurrency_target, dev.cpu, dev.memory_gb) == (0, 2, 8, 2, 8)
    prod = parse_platform_spec(aws_prod_config()).serving.servers[0]
    assert (prod.min_replicas, prod.concurrency_target) == (1, 32)


# --- serving built directly ---------------------------------------------------------------------------------


def test_serving_args_take_the_section_and_check_it_as_the_stack_does():
    errors: list[ConfigError] = []

    def program():
        lake = gcp.DataLake("lake", gcp.DataLakeArgs(project="ml-test-1234", region="us-central1"))
        identity = IdentityContext(cloud="gcp", region="us-central1", lake=lake, gcp_project="ml-test-1234")
        cluster = SimpleNamespace(cluster_name="c", provider=k8s.Provider("k8s"), storage_class="standard-rwo")
        servers = [
            {"name": "ranker", "runtime": "mlflow", "model_uri": "models:/ranker/1"},
            {"name": "chat", "runtime": "vllm", "model_uri": "s3://models/chat/", "gpu_pool": "inference"},
        ]
        with pytest.raises(ConfigError) as info:
            ServingArgs(identity=identity, cluster=cluster, serving={"servers": servers})
        errors.append(info.value)

    engine.run(program)
    assert errors[0].paths() == [
        "args.serving.servers[0].model_uri",
        "args.serving.servers[1].model_uri",
        "args.serving.servers[1].gpu_pool",
    ]
    message = str(errors[0])
    assert "a models:/ URI needs mlflow.enabled" in message and "not an object store of gcp" in message
    assert "not a GPU pool of gpu_pools; pools: none (got 'inference')" in message
