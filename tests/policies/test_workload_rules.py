"""Rules on workloads that start GPU nodes themselves (notebooks, Ray, batch jobs): each tested both ways."""

from __future__ import annotations

import copy

import pytest

from mlplatform.check import check, load_policy_config
from mlplatform.plan import reveal
from tests.conftest import ROOT, plan_variant, planned
from tests.policies.helpers import messages, res, stack_messages, through_pack

RELEASE = "kubernetes:helm.sh/v3:Release"
DEV = {"allowed_gpus": ["T4", "L4", "A10G"], "environment": "dev"}


def hub(cull: dict | None = None, profiles: list | None = None) -> dict:
    values = {"cull": cull if cull is not None else {"enabled": True, "timeout": 3600, "maxAge": 43200}}
    values["singleuser"] = {"profileList": profiles or []}
    return {"chart": "jupyterhub", "version": "4.3.3", "values": values}


def gpu_profile(slug: str, model: str, gpus: str = "1") -> dict:
    return {
        "display_name": slug,
        "slug": slug,
        "kubespawner_override": {
            "node_selector": {"mlplatform.io/gpu-pool": slug, "mlplatform.io/gpu": model},
            "extra_resource_limits": {"nvidia.com/gpu": gpus},
        },
    }


# --- notebook-culling --------------------------------------------------------------------------------------


def test_notebook_culling_passes_a_hub_that_culls_within_the_limit():
    assert messages("notebook-culling", res(RELEASE, hub()), max_idle_seconds=3600, max_server_age_seconds=43200) == []


def test_notebook_culling_fails_a_hub_that_does_not_cull():
    found = messages("notebook-culling", res(RELEASE, hub({"enabled": False}), name="jupyterhub"))
    assert found == [
        "JupyterHub release 'jupyterhub' must cull idle notebook servers (an open GPU notebook holds its node): got "
        "cull.enabled false."
    ]


def test_notebook_culling_fails_a_timeout_over_the_limit_and_a_missing_maximum_age():
    r = res(RELEASE, hub({"enabled": True, "timeout": 7200, "maxAge": 0}), name="jupyterhub")
    found = messages("notebook-culling", r, max_idle_seconds=3600, max_server_age_seconds=43200)
    assert found == [
        "JupyterHub release 'jupyterhub' must stop idle servers within 3600 s: got cull.timeout 7200.",
        "JupyterHub release 'jupyterhub' must stop servers older than 43200 s even when active (an open browser tab "
        "keeps one active): got cull.maxAge 0.",
    ]
    # The same through the policy object the Pulumi CLI runs.
    assert len(through_pack("notebook-culling", RELEASE, dict(r.props), {"max_idle_seconds": 3600})) == 1


def test_notebook_culling_ignores_other_charts():
    assert messages("notebook-culling", res(RELEASE, {"chart": "kube-prometheus-stack", "values": {}})) == []


# --- gpu-allowlist reads profiles, worker groups and CronJobs ------------------------------------------------


def test_allowlist_passes_notebook_profiles_on_allowed_gpus():
    assert messages("gpu-allowlist", res(RELEASE, hub(profiles=[gpu_profile("t4", "T4")])), **DEV) == []


def test_allowlist_refuses_a_notebook_profile_on_a_gpu_the_environment_refuses():
    r = res(RELEASE, hub(profiles=[gpu_profile("t4", "T4"), gpu_profile("big", "H100", "8")]), name="jupyterhub")
    assert messages("gpu-allowlist", r, **DEV) == [
        "JupyterHub 'jupyterhub' uses profile big (H100) but dev allows T4, L4, A10G."
    ]


def ray_cluster(groups: list[dict], name: str = "ray") -> dict:
    return {
        "apiVersion": "ray.io/v1",
        "kind": "RayCluster",
        "metadata": {"name": name},
        "spec": {"headGroupSpec": {"template": {}}, "workerGroupSpecs": groups},
    }


def worker_group(name: str, pool: str, model: str, high: int, gpus: str = "1", low: int = 0) -> dict:
    return {
        "groupName": name,
        "minReplicas": low,
        "maxReplicas": high,
        "template": {
            "spec": {
                "nodeSelector": {"mlplatform.io/gpu-pool": pool, "mlplatform.io/gpu": model},
                "containers": [{"name": "ray-worker", "resources": {"limits": {"nvidia.com/gpu": gpus}}}],
            }
        },
    }


def test_allowlist_refuses_a_ray_worker_group_and_a_cron_job_on_refused_gpus():
    cluster = res(
        "kubernetes:ray.io/v1:RayCluster", ray_cluster([worker_group("a100", "train", "A100", 2)]), name="ray"
    )
    assert messages("gpu-allowlist", cluster, **DEV) == [
        "RayCluster 'ray' uses worker group a100 (A100) but dev allows T4, L4, A10G."
    ]
    job = {
        "spec": {
            "schedule": "0 2 * * *",
            "jobTemplate": {"spec": {"template": worker_group("x", "train", "V100", 1)["template"]}},
        }
    }
    assert messages("gpu-allowlist", res("kubernetes:batch/v1:CronJob", job, name="scores"), **DEV) == [
        "CronJob 'scores' uses pods (V100) but dev allows T4, L4, A10G."
    ]
    ok = res("kubernetes:ray.io/v1:RayCluster", ray_cluster([worker_group("t4", "exp", "T4", 2)]))
    assert messages("gpu-allowlist", ok, **DEV) == []


# --- ray-worker-limits ---------------------------------------------------------------------------------------


def nodepool(pool: str, gpu_limit: str, fallback: bool = False) -> object:
    labels = {"mlplatform.io/gpu-pool": pool}
    if fallback:
        labels["mlplatform.io/fallback-for"] = pool
    spec = {
        "template": {
            "metadata": {"labels": labels},
            "spec": {
                "requirements": [
                    {"key": "node.kubernetes.io/instance-type", "operator": "In", "values": ["g4dn.xlarge"]}
                ]
            },
        },
        "limits": {"nvidia.com/gpu": gpu_limit},
    }
    return res("kubernetes:karpenter.sh/v1:NodePool", {"metadata": {"name": pool}, "spec": spec}, name=pool)


def test_ray_worker_limits_pass_groups_within_their_pools():
    resources = [
        nodepool("exp", "4"),
        nodepool("exp", "4", fallback=True),  # the fallback pool's capacity is not counted twice
        res("kubernetes:ray.io/v1:RayCluster", ray_cluster([worker_group("t4", "exp", "T4", 4)])),
    ]
    assert stack_messages("ray-worker-limits", resources) == []


def test_ray_worker_limits_fail_a_group_beyond_its_pool_or_kept_warm():
    cluster = res(
        "kubernetes:ray.io/v1:RayCluster",
        ray_cluster([worker_group("t4", "exp", "T4", 3, gpus="2", low=1), worker_group("nowhere", "gone", "T4", 1)]),
        name="ray",
    )
    found = [m for m, _ in stack_messages("ray-worker-limits", [nodepool("exp", "4"), cluster])]
    assert found == [
        "RayCluster 'ray' worker group 't4' must stay within pool 'exp''s GPU limit (4): got maxReplicas 3 x 2 GPU(s) "
        "= 6.",
        "RayCluster 'ray' worker group 't4' must scale down to at most 0 idle worker(s): got minReplicas 1.",
        "RayCluster 'ray' worker group 'nowhere' must run on a GPU pool of the stack: got pool 'gone', which none "
        "defines.",
    ]


def test_ray_worker_limits_read_a_rayjobs_own_cluster():
    job = {"spec": {"rayClusterSpec": ray_cluster([worker_group("t4", "exp", "T4", 8)])["spec"]}}
    found = stack_messages(
        "ray-worker-limits", [nodepool("exp", "4"), res("kubernetes:ray.io/v1:RayJob", job, name="sweep")]
    )
    assert [m for m, _ in found] == [
        "RayJob 'sweep' worker group 't4' must stay within pool 'exp''s GPU limit (4): got maxReplicas 8 x 1 GPU(s) "
        "= 8."
    ]


# --- on the shipped stacks ------------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", ["dev", "gcp-dev"])
def test_the_shipped_toolchain_passes_and_turning_culling_off_fails_the_check(stack):
    config = load_policy_config(ROOT / "policies" / "config" / f"{stack}.json")
    assert check(planned(stack), config).mandatory == 0

    def no_culling(doc):
        doc["notebooks"]["idle_culling"] = False

    result = check(plan_variant(stack, no_culling), config)
    assert [v.policy for v in result.violations] == ["notebook-culling"] and result.mandatory == 1


def test_a_worker_group_kept_warm_in_dev_fails_the_check():
    def warm(doc):
        doc["ray"]["worker_groups"] = [{"name": "t4", "gpu_pool": "experiments", "min_workers": 1}]

    plan = plan_variant("dev", warm)
    result = check(plan, load_policy_config(ROOT / "policies" / "config" / "dev.json"))
    # A warm T4 worker all month also lifts the idle cost past dev's ceiling.
    assert sorted(v.policy for v in result.violations) == ["ray-worker-limits", "stack-cost-ceiling"]
    spec = reveal(plan.one("kubernetes:ray.io/v1:RayCluster").input("spec"))
    assert copy.deepcopy(spec["workerGroupSpecs"][0]["minReplicas"]) == 1


# --- on-cluster model servers -------------------------------------------------------------------------------------

ISVC = "kubernetes:serving.kserve.io/v1beta1:InferenceService"


def isvc(pool: str | None, model: str, low: int | None, high: int | None, gpus: str = "1") -> dict:
    predictor: dict = {"model": {"modelFormat": {"name": "triton"}, "resources": {"limits": {}}}}
    if low is not None:
        predictor["minReplicas"] = low
    if high is not None:
        predictor["maxReplicas"] = high
    if pool:
        predictor["nodeSelector"] = {"mlplatform.io/gpu-pool": pool, "mlplatform.io/gpu": model}
        predictor["model"]["resources"]["limits"]["nvidia.com/gpu"] = gpus
    return {"spec": {"predictor": predictor}}


def test_serving_scale_to_zero_passes_a_server_from_zero_and_a_warm_cpu_server():
    assert messages("serving-scale-to-zero", res(ISVC, isvc("inf", "L4", 0, 2))) == []
    assert messages("serving-scale-to-zero", res(ISVC, isvc(None, "", 1, 2))) == []  # CPU: system nodes, paid anyway


def test_serving_scale_to_zero_fails_a_warm_gpu_server_and_kserves_default_minimum():
    assert messages("serving-scale-to-zero", res(ISVC, isvc("inf", "L4", 1, 2), name="ranker")) == [
        "InferenceService 'ranker' must scale to 0 replica(s) when idle (a warm GPU replica holds its node all "
        "month): got minReplicas 1."
    ]
    # No minReplicas: KServe keeps one.
    assert len(messages("serving-scale-to-zero", res(ISVC, isvc("inf", "L4", None, 2)))) == 1
    assert messages("serving-scale-to-zero", res(ISVC, isvc("inf", "L4", 1, 2)), max_min_replicas=1) == []
    cpu = res(ISVC, isvc(None, "", 2, 2), name="cpu")
    assert len(messages("serving-scale-to-zero", cpu, include_cpu=True)) == 1


def test_serving_replica_limits_pass_within_the_pool_and_fail_beyond_it_or_unbounded():
    ok = [nodepool("inf", "4"), nodepool("inf", "4", fallback=True), res(ISVC, isvc("inf", "L4", 0, 4))]
    assert stack_messages("serving-replica-limits", ok) == []
    found = [
        m
        for m, _ in stack_messages(
            "serving-replica-limits",
            [
                nodepool("inf", "4"),
                res(ISVC, isvc("inf", "L4", 0, 3, gpus="2"), name="big"),
                res(ISVC, isvc("inf", "L4", 0, None), name="open"),
                res(ISVC, isvc("gone", "L4", 0, 1), name="lost"),
            ],
        )
    ]
    assert found == [
        "InferenceService 'big' must stay within pool 'inf''s GPU limit (4): got maxReplicas 3 x 2 GPU(s) = 6.",
        "InferenceService 'open' must set maxReplicas: got none (Knative scales it without bound).",
        "InferenceService 'lost' must run on a GPU pool of the stack: got pool 'gone', which none defines.",
    ]


def test_allowlist_refuses_a_server_on_a_refused_gpu():
    assert messages("gpu-allowlist", res(ISVC, isvc("big", "H100", 0, 1), name="llm"), **DEV) == [
        "InferenceService 'llm' uses replicas (H100) but dev allows T4, L4, A10G."
    ]


def test_a_warm_server_in_dev_fails_the_check_and_passes_in_prod():
    warm = plan_variant("dev", lambda doc: doc["serving"]["servers"][0].update(min_replicas=1))
    result = check(warm, load_policy_config(ROOT / "policies" / "config" / "dev.json"))
    # A warm L4 replica also lifts dev's idle cost over its $200 ceiling: two guardrails, one cause.
    assert {v.policy for v in result.violations} == {"serving-scale-to-zero", "stack-cost-ceiling"}
    assert check(planned("prod"), load_policy_config(ROOT / "policies" / "config" / "prod.json")).mandatory == 0


# --- on a cluster outside the stack (a program deploying onto an existing cluster) --------------------------------


def on_existing_cluster() -> list:
    """A stack with no nodes of its own: a model server and a Ray job on another cluster's pools."""
    job = {"spec": {"rayClusterSpec": ray_cluster([worker_group("t4", "experiments", "T4", 4, low=1)])["spec"]}}
    return [
        res(ISVC, isvc("inference", "L4", 0, 4), name="ranker"),
        res(ISVC, isvc("inference", "L4", 0, None), name="open"),
        res(ISVC, isvc(None, "", 0, 2), name="cpu"),
        res("kubernetes:ray.io/v1:RayJob", job, name="tune"),
    ]


def test_workload_rules_leave_an_existing_clusters_pool_to_external_pool_limits():
    # GIVEN workloads on pools the stack does not define, and no nodes of its own
    # WHEN the workload rules run
    serving = [m for m, _ in stack_messages("serving-replica-limits", on_existing_cluster())]
    ray = [m for m, _ in stack_messages("ray-worker-limits", on_existing_cluster())]
    # THEN what is knowable without the pool is still reported, and the pool is not called a mistake
    assert serving == ["InferenceService 'open' must set maxReplicas: got none (Knative scales it without bound)."]
    assert ray == ["RayJob 'tune' worker group 't4' must scale down to at most 0 idle worker(s): got minReplicas 1."]


def test_external_pool_limits_report_every_workload_on_an_undeclared_pool():
    found = [m for m, _ in stack_messages("external-pool-limits", on_existing_cluster())]
    assert found == [
        "InferenceService 'ranker' must run on a GPU pool whose limit is known: got pool 'inference' of a cluster "
        "outside the stack, which the policy config does not declare (maxReplicas 4 x 1 GPU(s) = 4 unchecked); "
        "declare its GPU limit in external-pool-limits.pools.",
        "RayJob 'tune' worker group 't4' must run on a GPU pool whose limit is known: got pool 'experiments' of a "
        "cluster outside the stack, which the policy config does not declare (maxReplicas 4 x 1 GPU(s) = 4 "
        "unchecked); declare its GPU limit in external-pool-limits.pools.",
    ]


def test_external_pool_limits_judge_workloads_against_the_declared_pools():
    within = stack_messages("external-pool-limits", on_existing_cluster(), pools={"inference": 4, "experiments": 8})
    assert within == []
    found = [
        m
        for m, _ in stack_messages(
            "external-pool-limits", on_existing_cluster(), pools={"inference": 2, "experiments": 2}
        )
    ]
    assert found == [
        "InferenceService 'ranker' must stay within pool 'inference''s GPU limit (2, declared in the policy config): "
        "got maxReplicas 4 x 1 GPU(s) = 4.",
        "RayJob 'tune' worker group 't4' must stay within pool 'experiments''s GPU limit (2, declared in the policy "
        "config): got maxReplicas 4 x 1 GPU(s) = 4.",
    ]


def test_external_pool_limits_leave_a_stack_with_its_own_nodes_to_the_workload_rules():
    # The same-stack case: the pool rules judge it (a pool none defines stays their mandatory finding).
    resources = [nodepool("inf", "4"), *on_existing_cluster()]
    assert stack_messages("external-pool-limits", resources) == []
    assert (
        "InferenceService 'ranker' must run on a GPU pool of the stack: got pool 'inference', which none defines."
        in [m for m, _ in stack_messages("serving-replica-limits", resources)]
    )


def test_an_undeclared_external_pool_is_advisory_in_every_shipped_config_and_mandatory_when_a_team_says_so():
    from mlplatform.check import resolve_config
    from mlplatform.policies.pack import POLICIES

    for path in sorted((ROOT / "policies" / "config").glob("*.json")):
        resolved = resolve_config(POLICIES, load_policy_config(path))["external-pool-limits"]
        assert resolved.level.value == "advisory" and resolved.settings["pools"] == {}, path.name
    strict = {"external-pool-limits": {"enforcementLevel": "mandatory", "pools": {"inference": 8}}}
    assert resolve_config(POLICIES, strict)["external-pool-limits"].level.value == "mandatory"
