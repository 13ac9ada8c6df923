"""Each preflight rule both ways: the shipped stacks pass, and the defect it exists for is found.

The failing side edits a copy of a shipped stack's Plan back into the shape of the defect (the component
code no longer produces it), so each rule is shown to catch exactly what a real deploy refuses.
"""

from __future__ import annotations

import copy
import json

import pytest

from mlplatform import engine
from mlplatform.plan import Plan, PlanResource
from mlplatform.preflight import preflight
from tests.conftest import ROOT, STACKS, plan_variant, planned


def edited(stack: str) -> Plan:
    plan = copy.deepcopy(planned(stack))
    return Plan(plan.project, plan.stack, plan.resources, plan.outputs, plan.diagnostics, plan.config)


def rules_found(plan: Plan) -> list[str]:
    return sorted({f.rule for f in preflight(plan).findings})


def only(plan: Plan, type_: str, name: str) -> PlanResource:
    return plan.one(type_, name)


@pytest.mark.parametrize("stack", STACKS)
def test_shipped_stacks_pass_preflight(stack):
    report = preflight(planned(stack))
    assert report.ok, [f.message for f in report.findings]
    assert sum(report.checked.values()) > 20, "the rules examined the stack"


# --- workload-grants ----------------------------------------------------------------------------------------


def test_workload_grants_finds_head_bucket_refused_by_a_prefix_only_listing_grant():
    # GIVEN the feature server's grant as it was: listing only with an s3:prefix condition
    plan = edited("dev")
    grant = only(plan, "aws:iam/rolePolicy:RolePolicy", "mlplatform-lake-features-read-mlplatform-features-server")
    policy = json.loads(grant.inputs["policy"])
    policy["Statement"] = [s for s in policy["Statement"] if not s["Sid"].startswith("Head")]
    grant.inputs["policy"] = json.dumps(policy)
    # THEN preflight names the feature server, the call and the reason
    findings = [f for f in preflight(plan).findings if f.rule == "workload-grants"]
    assert len(findings) == 1
    assert "Feast feature server" in findings[0].message and "(HeadBucket)" in findings[0].message
    assert "s3:prefix" in findings[0].reference


def test_workload_grants_pass_with_the_prefix_layout_lake():
    # GIVEN one bucket with a prefix per zone: every Feast and MLflow grant is prefix-scoped
    plan = plan_variant("dev", lambda doc: doc.setdefault("data_lake", {}).update(layout="prefixes"))
    assert "workload-grants" not in rules_found(plan)


def test_workload_grants_finds_feast_lacking_get_bucket_on_gcs():
    plan = edited("gcp-dev")
    plan.resources = [
        r for r in plan.resources if not (r.type.endswith("BucketIAMMember") and r.name.endswith("-bucket-reader"))
    ]
    plan = Plan(plan.project, plan.stack, plan.resources, plan.outputs, plan.diagnostics, plan.config)
    messages = [f.message for f in preflight(plan).findings if f.rule == "workload-grants"]
    assert any("storage.buckets.get" in m and "get_bucket" in m for m in messages)


# --- api-reachable ----------------------------------------------------------------------------------------


def test_api_reachable_finds_a_private_endpoint_behind_a_deployer_outside_the_vpc():
    plan = edited("prod")
    only(plan, "aws:eks/cluster:Cluster", "mlplatform-cluster").inputs["vpcConfig"]["endpointPublicAccess"] = False
    findings = [f for f in preflight(plan).findings if f.rule == "api-reachable"]
    assert len(findings) == 1 and "Kubernetes objects are created through cluster" in findings[0].message


# --- crds-before-custom-resources -------------------------------------------------------------------------


def test_crds_rule_finds_a_node_pool_not_ordered_after_karpenter():
    plan = edited("dev")
    for r in plan.by_type("kubernetes:karpenter.sh/v1:NodePool")[:1]:
        r.dependencies = []
        r.property_dependencies = {}
    findings = [f for f in preflight(plan).findings if f.rule == "crds-before-custom-resources"]
    assert len(findings) == 1 and "karpenter.sh CRDs" in findings[0].message


# --- nodes-before-workloads -------------------------------------------------------------------------------


def test_nodes_rule_finds_a_gke_provider_usable_before_the_system_pool():
    plan = edited("gcp-dev")
    provider = only(plan, "pulumi:providers:kubernetes", "mlplatform-cluster-k8s")
    system = only(plan, "gcp:container/nodePool:NodePool", "mlplatform-cluster-system")
    provider.dependencies = [d for d in provider.dependencies if d != system.urn]
    assert "nodes-before-workloads" in rules_found(plan)


def test_nodes_rule_finds_container_insights_racing_the_system_nodes():
    plan = edited("prod")
    addon = only(plan, "aws:eks/addon:Addon", "mlplatform-monitoring-container-insights")
    addon.dependencies = []
    findings = [f for f in preflight(plan).findings if f.rule == "nodes-before-workloads"]
    assert [f.resource_name for f in findings] == ["mlplatform-monitoring-container-insights"]


# --- grants-before-use ------------------------------------------------------------------------------------


def test_grants_rule_finds_cmek_buckets_created_before_the_agent_grant():
    plan = edited("gcp-dev")
    bucket = only(plan, "gcp:storage/bucket:Bucket", "mlplatform-lake-raw")
    bucket.dependencies = [d for d in bucket.dependencies if "cryptoKeyIAMMember" not in d]
    findings = [f for f in preflight(plan).findings if f.rule == "grants-before-use"]
    assert [f.resource_name for f in findings] == ["mlplatform-lake-raw"]
    assert "Cloud Storage service agent" in findings[0].message


# --- names-survive-updates --------------------------------------------------------------------------------


def test_names_rule_finds_a_fixed_cloud_run_revision_name():
    plan = edited("gcp-dev")
    only(plan, "gcp:cloudrunv2/service:Service", "mlplatform-endpoint-ranker").inputs["template"]["revision"] = "r-1"
    findings = [f for f in preflight(plan).findings if f.rule == "names-survive-updates"]
    assert len(findings) == 1 and "409" in findings[0].message and str(findings[0].phase) == "update"


def test_names_rule_finds_a_named_immutable_sagemaker_model():
    plan = edited("dev")
    only(plan, "aws:sagemaker/model:Model", "mlplatform-endpoint-ranker-current").inputs["name"] = "ranker"
    assert "names-survive-updates" in rules_found(plan)


# --- physical-names-unique --------------------------------------------------------------------------------


def test_names_rule_accepts_an_endpoint_and_a_server_of_the_same_name():
    """Dev names a SageMaker endpoint and a KServe server both `ranker`: their resources, physical names and
    outputs are their own (endpoint_invoke_urls vs serving_urls), which the rule checks as a deploy would."""
    plan = planned("dev")
    assert "ranker" in plan.outputs["endpoint_invoke_urls"] and "ranker" in plan.outputs["serving_urls"]
    assert "physical-names-unique" not in rules_found(plan)
    assert preflight(plan).checked["physical-names-unique"] > 20


@pytest.mark.parametrize(
    ("stack", "type_", "path"),
    [
        ("dev", "aws:iam/role:Role", ("name",)),
        ("gcp-dev", "gcp:serviceaccount/account:Account", ("accountId",)),
        ("dev", "kubernetes:core/v1:ServiceAccount", ("metadata", "name")),
    ],
)
def test_names_rule_finds_two_resources_given_one_physical_name(stack, type_, path):
    plan = edited(stack)
    first, second = [r for r in plan.resources if r.type == type_][:2]
    if path == ("metadata", "name"):
        second.inputs["metadata"] = {**second.inputs["metadata"], "namespace": first.input("metadata.namespace")}
    target = second.inputs
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = first.input(".".join(path)) or "taken"
    if first.input(".".join(path)) is None:
        first.inputs[path[-1]] = "taken"
    findings = [f for f in preflight(plan).findings if f.rule == "physical-names-unique"]
    assert [f.resource_name for f in findings] == [second.name]
    assert first.name in findings[0].message and "already exists" in findings[0].message


# --- alerts-routed ----------------------------------------------------------------------------------------


def test_alerts_rule_finds_alerts_going_to_the_null_receiver():
    plan = edited("dev")
    release = only(plan, "kubernetes:helm.sh/v3:Release", "mlplatform-monitoring-cluster-prometheus")
    del release.inputs["values"]["alertmanager"]["config"]
    messages = [f.message for f in preflight(plan).findings if f.rule == "alerts-routed"]
    assert messages and all("nobody is told" in m for m in messages)
    assert any("GPUIdle" in m for m in messages)


def test_alerts_rule_finds_an_alertmanager_that_may_not_publish():
    plan = edited("dev")
    plan.resources = [
        r for r in plan.resources if not (r.type == "aws:iam/rolePolicy:RolePolicy" and "alertmanager" in r.name)
    ]
    plan = Plan(plan.project, plan.stack, plan.resources, plan.outputs, plan.diagnostics, plan.config)
    messages = [f.message for f in preflight(plan).findings if f.rule == "alerts-routed"]
    assert messages and "refused sns:Publish" in messages[0]


# --- gke-group-rbac ---------------------------------------------------------------------------------------


def test_group_rbac_rule_finds_group_bindings_without_google_groups_for_rbac():
    plan = edited("gcp-dev")
    del only(plan, "gcp:container/cluster:Cluster", "mlplatform-cluster").inputs["authenticatorGroupsConfig"]
    findings = [f for f in preflight(plan).findings if f.rule == "gke-group-rbac"]
    assert len(findings) == 1 and "ml-platform-admins@example.com" in findings[0].message


# --- workloads-schedulable --------------------------------------------------------------------------------


def test_schedulable_rule_finds_a_pod_larger_than_a_system_node_and_an_unknown_selector():
    plan = edited("dev")
    mlflow = only(plan, "kubernetes:apps/v1:Deployment", "mlplatform-mlflow-server")
    mlflow.inputs["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"]["memory"] = "32Gi"
    mlflow.inputs["spec"]["template"]["spec"]["nodeSelector"] = {"mlplatform.io/node-role": "system"}
    findings = [f.message for f in preflight(plan).findings if f.rule == "workloads-schedulable"]
    assert any("never schedules" in m for m in findings)
    mlflow.inputs["spec"]["template"]["spec"]["nodeSelector"] = {"node.example.com/pool": "nowhere"}
    findings = [f.message for f in preflight(plan).findings if f.rule == "workloads-schedulable"]
    assert any("which no node group" in m for m in findings)


def test_schedulable_rule_finds_more_requests_than_the_system_nodes_offer():
    plan = edited("dev")
    group = next(g for g in plan.by_type("aws:eks/nodeGroup:NodeGroup") if g.name == "mlplatform-cluster-system")
    group.inputs["scalingConfig"]["minSize"] = 1
    group.inputs["instanceTypes"] = ["t3.medium"]
    findings = [f.message for f in preflight(plan).findings if f.rule == "workloads-schedulable"]
    assert any("after kubelet reservations" in m for m in findings)


def test_schedulable_rule_finds_more_pods_than_the_system_nodes_admit():
    plan = edited("dev")
    mlflow = only(plan, "kubernetes:apps/v1:Deployment", "mlplatform-mlflow-server")
    mlflow.inputs["spec"]["replicas"] = 300
    mlflow.inputs["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"] = {"cpu": "1m", "memory": "1Mi"}
    findings = [f.message for f in preflight(plan).findings if f.rule == "workloads-schedulable"]
    assert any("pods the nodes admit" in m for m in findings)


@pytest.mark.parametrize(
    ("example", "stack"),
    sorted((p.parent.name, p.stem.removeprefix("Pulumi.")) for p in (ROOT / "examples").glob("*/Pulumi.*.yaml")),
)
def test_shipped_examples_pass_preflight(example, stack):
    report = preflight(engine.run(ROOT / "examples" / example, stack=stack))
    assert report.ok, [f.message for f in report.findings]


# --- the toolchain: notebooks, Ray, batch jobs ------------------------------------------------------------


def test_crds_rule_finds_a_ray_cluster_racing_the_kuberay_operator():
    plan = edited("dev")
    cluster = plan.one("kubernetes:ray.io/v1:RayCluster")
    operator = plan.one("kubernetes:helm.sh/v3:Release", "mlplatform-tools-kuberay")
    cluster.dependencies = [d for d in cluster.dependencies if d != operator.urn]
    findings = [f for f in preflight(plan).findings if f.rule == "crds-before-custom-resources"]
    assert len(findings) == 1 and "ray.io CRDs" in findings[0].message


def test_schedulable_rule_finds_a_gpu_profile_no_node_of_its_pool_can_hold():
    plan = edited("dev")
    release = only(plan, "kubernetes:helm.sh/v3:Release", "mlplatform-tools-notebooks")
    profile = next(p for p in release.inputs["values"]["singleuser"]["profileList"] if p["slug"] == "experiments")
    profile["kubespawner_override"]["mem_guarantee"] = "300G"  # T4 nodes top out at g4dn.16xlarge's 256 GiB
    findings = [f.message for f in preflight(plan).findings if f.rule == "workloads-schedulable"]
    assert len(findings) == 1 and "profile experiments" in findings[0] and "largest: g4dn.16xlarge" in findings[0]


def test_schedulable_rule_finds_a_ray_worker_without_the_gpu_toleration():
    plan = edited("dev")
    spec = plan.one("kubernetes:ray.io/v1:RayCluster").inputs["spec"]
    spec["workerGroupSpecs"][1]["template"]["spec"]["tolerations"] = []
    findings = [f.message for f in preflight(plan).findings if f.rule == "workloads-schedulable"]
    assert findings == [
        "RayCluster mlplatform-tools-ray worker group experiments selects GPU nodes but does not tolerate their "
        "nvidia.com/gpu taint: it stays Pending and no node is provisioned for it."
    ]


def test_schedulable_rule_counts_the_hub_and_the_ray_head_on_the_system_nodes():
    # Two t3.medium system nodes hold the platform without the toolchain; the hub and the Ray head tip them over.
    def small_system(doc):
        doc["cluster"]["system_nodes"] = {"instance_types": ["t3.medium"], "min_nodes": 2}

    def without(doc):
        small_system(doc)
        doc["notebooks"] = {"enabled": False}
        doc["ray"] = {"enabled": False}

    assert "workloads-schedulable" not in rules_found(plan_variant("dev", without))
    findings = [f.message for f in preflight(plan_variant("dev", small_system)).findings]
    assert any("the system pods request" in m for m in findings)


def test_workload_grants_find_a_batch_job_that_may_not_write_its_output():
    plan = edited("dev")
    plan.resources = [
        r
        for r in plan.resources
        if not (
            r.type == "aws:iam/rolePolicy:RolePolicy"
            and r.name.startswith("mlplatform-lake-curated-write-mlplatform-tools-batch")
        )
    ]
    plan = Plan(plan.project, plan.stack, plan.resources, plan.outputs, plan.diagnostics, plan.config)
    findings = [f.message for f in preflight(plan).findings if f.rule == "workload-grants"]
    assert findings and all("workload mlplatform-tools-batch-nightly-scores-identity" in m for m in findings)
    assert any("s3:PutObject" in m and "/scores/part-0.parquet" in m for m in findings)


# --- on-cluster serving -----------------------------------------------------------------------------------------

ISVC = "kubernetes:serving.kserve.io/v1beta1:InferenceService"


def test_knative_rule_finds_a_gpu_server_knative_would_refuse():
    plan = edited("dev")
    serving = plan.one("kubernetes:operator.knative.dev/v1beta1:KnativeServing")
    serving.inputs["spec"]["config"]["features"].pop("kubernetes.podspec-tolerations")
    findings = [f.message for f in preflight(plan).findings if f.rule == "knative-accepts-servers"]
    assert len(findings) == 1 and "kubernetes.podspec-tolerations" in findings[0] and "never created" in findings[0]


def test_knative_rule_finds_a_progress_deadline_shorter_than_a_gpu_cold_start():
    plan = edited("dev")
    serving = plan.one("kubernetes:operator.knative.dev/v1beta1:KnativeServing")
    serving.inputs["spec"]["config"]["deployment"]["progress-deadline"] = "300s"
    findings = [f.message for f in preflight(plan).findings if f.rule == "knative-accepts-servers"]
    # Triton from zero: node ~4 min + image ~2.5 min + load 2 min, against 5 minutes.
    assert len(findings) == 1 and "about 8 min" in findings[0] and "5 min" in findings[0]


def test_artifacts_rule_finds_a_warm_server_whose_model_is_in_the_new_lake():
    warm = plan_variant("dev", lambda doc: doc["serving"]["servers"][0].update(min_replicas=1))
    findings = [f for f in preflight(warm).findings if f.rule == "artifacts-exist"]
    assert len(findings) == 1 and "starts 1 replica(s) when created" in findings[0].message
    # From zero nothing loads at deploy time, and a model from outside the stack exists already.
    assert "artifacts-exist" not in rules_found(planned("dev"))
    external = plan_variant(
        "dev",
        lambda doc: doc["serving"]["servers"][0].update(min_replicas=1, model_uri="s3://recsys-model-registry/triton/"),
    )
    assert "artifacts-exist" not in rules_found(external)


def test_crds_rule_finds_an_inference_service_racing_kserve():
    plan = edited("dev")
    isvc = plan.one(ISVC)
    crd = plan.one("kubernetes:helm.sh/v3:Release", "mlplatform-serving-kserve-kserve-crd")
    runtime = plan.one("kubernetes:serving.kserve.io/v1alpha1:ServingRuntime")
    kserve = plan.one("kubernetes:helm.sh/v3:Release", "mlplatform-serving-kserve-kserve")
    drop = {crd.urn, kserve.urn, runtime.urn}
    isvc.dependencies = [d for d in isvc.dependencies if d not in drop]
    findings = [f for f in preflight(plan).findings if f.rule == "crds-before-custom-resources"]
    assert len(findings) == 1 and "serving.kserve.io CRDs" in findings[0].message


def test_schedulable_rule_counts_knative_and_kserve_on_the_system_nodes():
    def requested_cpu(plan: Plan) -> int:
        group = next(g for g in plan.by_type("aws:eks/nodeGroup:NodeGroup") if g.name == "mlplatform-cluster-system")
        group.inputs["scalingConfig"]["minSize"] = 1
        group.inputs["instanceTypes"] = ["t3.medium"]  # too small either way: the finding states the requests
        message = next(f.message for f in preflight(plan).findings if "the system pods request" in f.message)
        return int(message.split("request ")[1].split("m CPU")[0])

    with_serving = requested_cpu(edited("dev"))
    without = requested_cpu(copy.deepcopy(plan_variant("dev", lambda doc: doc.pop("serving"))))
    # Knative's six workloads (our requests), its operator and webhook, cert-manager's three, KServe's controller,
    # and the request-log sink.
    assert with_serving - without == (100 + 50 + 50 + 50 + 50 + 100) + 200 + 30 + 100 + 50
