"""JupyterHub as the platform configures it, proven with the software the chart runs.

GIVEN the jupyterhub release a dev platform plans on AWS and on GCP
WHEN its values are checked against the chart's values schema (tests/schemas/jupyterhub_values.py), handed to the
real KubeSpawner (7.0, as the chart's hub image runs it) the way the chart's jupyterhub_config.py maps them, and
its hub.config to the real authenticators of JupyterHub 5.4 and OAuthenticator 17
THEN every profile's server is a valid pod for the cluster's Kubernetes version that lands on its pool with its
GPUs (or on the system nodes), runs as the workload identity's service account with MLflow and Feast preset;
sign-in admits the generated password and nothing else; OAuth configurations load with no unknown option.
"""

from __future__ import annotations

import asyncio
import copy
import logging

import jsonschema
import kubernetes_validate
import pytest
from traitlets.config import Config

from mlplatform.components.base.labels import GPU_MODEL_LABEL, GPU_RESOURCE, NODE_ROLE_LABEL, POOL_LABEL
from mlplatform.components.base.types import (
    GCP_SERVICEACCOUNT_IAM_MEMBER,
    K8S_HELM_RELEASE,
    K8S_INGRESS,
    MLPLATFORM_AWS_LOAD_BALANCER_CONTROLLER,
)
from mlplatform.components.k8s.notebooks import culler_command
from mlplatform.plan import Plan, Secret, reveal
from tests.conftest import cluster_version
from tests.fixtures import DEPLOYER_CIDR, aws_config, aws_dev, changed, gcp_dev, plan_platform
from tests.schemas.jupyterhub_values import VALUES

HUB = "mlplatform-tools-notebooks"


def hub_values(plan: Plan) -> dict:
    return reveal(plan.one(K8S_HELM_RELEASE, HUB).input("values"))


PLATFORMS = {"aws": aws_dev, "gcp": gcp_dev}


def assert_values_validate_against_the_charts_schema(plan: Plan) -> None:
    values = hub_values(plan)
    jsonschema.validate(values, VALUES)
    # Nothing that would hold a GPU node or pay for a load balancer.
    assert values["proxy"]["service"]["type"] == "ClusterIP"
    assert values["scheduling"]["userPlaceholder"]["enabled"] is False
    assert values["prePuller"]["hook"]["enabled"] is values["prePuller"]["continuous"]["enabled"] is False


@pytest.mark.parametrize("platform", PLATFORMS)
def test_values_validate_against_the_charts_schema(platform):
    assert_values_validate_against_the_charts_schema(PLATFORMS[platform]())


def test_the_schema_refuses_what_the_chart_refuses():
    values = hub_values(aws_dev())
    misspelt = copy.deepcopy(values)
    misspelt["singleuser"]["storage"]["capcity"] = misspelt["singleuser"]["storage"].pop("capacity")
    with pytest.raises(jsonschema.ValidationError, match="capcity"):
        jsonschema.validate(misspelt, VALUES)
    ambiguous = copy.deepcopy(values)
    ambiguous["singleuser"]["networkPolicy"]["egressAllowRules"]["cloudMetadataServer"] = True
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(ambiguous, VALUES)


def spawner_config(values: dict, namespace: str) -> Config:
    """KubeSpawner's configuration from the chart's ``singleuser`` values, as the chart's hub config maps them
    (singleuser.X -> KubeSpawner.x; dynamic storage -> a claim and a volume per user)."""
    single = values["singleuser"]
    storage = single["storage"]
    c = Config()
    ks = c.KubeSpawner
    ks.namespace = namespace
    ks.service_account = single["serviceAccountName"]
    ks.image = f"{single['image']['name']}:{single['image']['tag']}"
    ks.node_selector = single.get("nodeSelector", {})
    ks.cpu_limit, ks.cpu_guarantee = single["cpu"]["limit"], single["cpu"]["guarantee"]
    ks.mem_limit, ks.mem_guarantee = single["memory"]["limit"], single["memory"]["guarantee"]
    ks.environment = single["extraEnv"]
    ks.profile_list = single["profileList"]
    ks.start_timeout = single["startTimeout"]
    ks.storage_pvc_ensure = True
    ks.storage_class = storage["dynamic"]["storageClass"]
    ks.storage_capacity = storage["capacity"]
    ks.pvc_name_template = "claim-{username}{servername}"
    volume = "volume-{username}{servername}"
    ks.volumes = [
        {"name": volume, "persistentVolumeClaim": {"claimName": ks.pvc_name_template}},
        *storage["extraVolumes"],
    ]
    ks.volume_mounts = [{"mountPath": "/home/jovyan", "name": volume}, *storage["extraVolumeMounts"]]
    c.Spawner.default_url = single["defaultUrl"]
    return c


def spawn_pod(config: Config, profile: str) -> dict:
    from kubernetes_asyncio.client import ApiClient
    from kubespawner import KubeSpawner

    async def build() -> dict:
        spawner = KubeSpawner(config=config, _mock=True)
        spawner.user_options = {"profile": profile}
        await spawner.load_user_options()
        return ApiClient().sanitize_for_serialization(await spawner.get_pod_manifest())

    return asyncio.run(build())


@pytest.mark.parametrize("platform", PLATFORMS)
def test_every_profile_spawns_a_valid_pod_on_its_nodes(platform, offline_kubeconfig):
    # GIVEN the default profiles of a platform with an L4 pool (inference) and a T4 pool (experiments)
    assert_every_profile_spawns_a_valid_pod_on_its_nodes(PLATFORMS[platform]())


def assert_every_profile_spawns_a_valid_pod_on_its_nodes(plan: Plan) -> None:
    """Needs the offline_kubeconfig fixture."""
    from kubespawner import KubeSpawner

    values = hub_values(plan)
    config = spawner_config(values, "mlplatform")
    version = cluster_version(plan)
    profiles = values["singleuser"]["profileList"]
    assert [p["slug"] for p in profiles] == ["cpu", "inference", "experiments"]
    for profile in profiles:
        unknown = [k for k in profile["kubespawner_override"] if not KubeSpawner.class_traits().get(k)]
        assert not unknown, f"overrides KubeSpawner does not know: {unknown}"
        pod = spawn_pod(config, profile["slug"])
        kubernetes_validate.validate(pod, version, strict=True)
        spec = pod["spec"]
        container = spec["containers"][0]
        env = {e["name"]: e.get("value") for e in container["env"]}
        assert spec["serviceAccountName"] == "jupyter-user"
        assert env["MLFLOW_TRACKING_URI"] == "http://mlflow.mlplatform.svc.cluster.local"
        assert env["FEAST_FS_YAML_FILE_PATH"] == "/etc/feast/feature_store.yaml"
        assert any(v.get("secret", {}).get("secretName") == "feast-feature-store" for v in spec["volumes"])
        assert any(v.get("persistentVolumeClaim") for v in spec["volumes"]), "the user's home volume"
        limits = container["resources"]["limits"]
        if profile["slug"] == "cpu":
            assert spec["nodeSelector"] == {NODE_ROLE_LABEL: "system"} and GPU_RESOURCE not in limits
        else:
            assert spec["nodeSelector"] == {
                POOL_LABEL: profile["slug"],
                GPU_MODEL_LABEL: ("L4" if profile["slug"] == "inference" else "T4"),
            }
            assert limits[GPU_RESOURCE] == "1"
            assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in spec["tolerations"]
            assert container["image"].startswith("quay.io/jupyter/pytorch-notebook:cuda12-")


def auth_config(values: dict) -> Config:
    return Config(copy.deepcopy(values["hub"]["config"]))


def test_dev_sign_in_admits_the_generated_password_and_nothing_else(caplog):
    from jupyterhub.authenticators.shared import SharedPasswordAuthenticator

    plan = aws_dev()
    values = hub_values(plan)
    config = auth_config(values)
    assert config.JupyterHub.authenticator_class == "shared-password"
    with caplog.at_level(logging.WARNING):
        auth = SharedPasswordAuthenticator(config=config)
    assert not [r for r in caplog.records if "not recognized" in r.getMessage() or "deprecated" in r.getMessage()]
    password = reveal(plan.outputs["notebooks_password"])
    assert isinstance(plan.outputs["notebooks_password"], Secret) and len(password) >= 8
    ok = asyncio.run(auth.get_authenticated_user(None, {"username": "ada", "password": password}))
    assert ok["name"] == "ada" and not ok["admin"]
    assert asyncio.run(auth.get_authenticated_user(None, {"username": "ada", "password": "guess"})) is None
    assert auth.check_allowed("ada", ok)


def oauth_plan(kind: str) -> Plan:
    def change(doc):
        doc["notebooks"]["ingress_host"] = "notebooks.ml.example.com"
        doc["notebooks"]["auth"] = (
            {"type": "github", "client_id": "Iv1.abc", "github_organizations": ["acme-ml"], "admin_users": ["ada"]}
            if kind == "github"
            else {
                "type": "oidc",
                "client_id": "jupyterhub",
                "authorize_url": "https://login.example.com/oauth2/v1/authorize",
                "token_url": "https://login.example.com/oauth2/v1/token",
                "userdata_url": "https://login.example.com/oauth2/v1/userinfo",
                "allowed_groups": ["ml-engineers"],
            }
        )
        if kind == "oidc":
            doc["notebooks"]["certificate_arn"] = (
                "arn:aws:acm:us-east-1:123456789012:certificate/0b7c1a2e-3d4f-4a5b-9c6d-7e8f9a0b1c2d"
            )

    return plan_platform(
        changed(aws_config("dev", notebooks={"enabled": True}), change),
        config={"mlplatform:notebooksOauthClientSecret": "s3cr3t-from-the-idp"},
        secrets=("mlplatform:notebooksOauthClientSecret",),
    )


@pytest.mark.parametrize("kind", ["github", "oidc"])
def test_oauth_sign_in_loads_into_the_real_authenticator(kind, caplog):
    from oauthenticator.generic import GenericOAuthenticator
    from oauthenticator.github import GitHubOAuthenticator

    plan = oauth_plan(kind)
    values = hub_values(plan)
    config = auth_config(values)
    cls = GitHubOAuthenticator if kind == "github" else GenericOAuthenticator
    assert config.JupyterHub.authenticator_class == ("github" if kind == "github" else "generic-oauth")
    with caplog.at_level(logging.WARNING):
        auth = cls(config=config)
    assert not [r for r in caplog.records if "not recognized" in r.getMessage()]
    assert auth.client_secret == "s3cr3t-from-the-idp"
    release = plan.one(K8S_HELM_RELEASE, HUB)
    assert isinstance(release.inputs["values"]["hub"]["config"][cls.__name__]["client_secret"], Secret)
    if kind == "github":
        assert auth.allowed_organizations == {"acme-ml"} and auth.admin_users == {"ada"}
        assert auth.oauth_callback_url == "http://notebooks.ml.example.com/hub/oauth_callback"
    else:
        assert auth.allowed_groups == {"ml-engineers"} and auth.manage_groups
        assert auth.oauth_callback_url == "https://notebooks.ml.example.com/hub/oauth_callback"
        assert auth.token_url == "https://login.example.com/oauth2/v1/token"
    assert "notebooks_password" not in plan.outputs


def test_a_missing_oauth_secret_is_a_config_error_naming_the_key():
    from mlplatform.components.base.errors import ConfigError

    notebooks = {
        "enabled": True,
        "ingress_host": "notebooks.ml.example.com",
        "auth": {"type": "github", "client_id": "Iv1.abc", "github_organizations": ["acme-ml"]},
    }
    with pytest.raises(ConfigError, match=r"mlplatform:notebooksOauthClientSecret.*pulumi config set --secret"):
        plan_platform(aws_config("dev", notebooks=notebooks))


def test_the_hub_shares_mlflows_load_balancer_when_both_have_an_ingress():
    plan = plan_platform(
        aws_config(
            "dev",
            mlflow={"ingress_host": "mlflow.ml.example.com"},
            notebooks={"enabled": True, "ingress_host": "notebooks.ml.example.com"},
        )
    )
    values = hub_values(plan)
    mlflow = plan.one(K8S_INGRESS)
    group = mlflow.input("metadata.annotations")["alb.ingress.kubernetes.io/group.name"]
    assert values["ingress"]["annotations"]["alb.ingress.kubernetes.io/group.name"] == group
    assert values["ingress"]["ingressClassName"] == "alb" and values["ingress"]["hosts"] == ["notebooks.ml.example.com"]
    assert values["ingress"]["annotations"]["alb.ingress.kubernetes.io/healthcheck-path"] == "/hub/health"
    assert plan.outputs["notebooks_url"] == "http://notebooks.ml.example.com"
    assert len(plan.by_type(MLPLATFORM_AWS_LOAD_BALANCER_CONTROLLER)) == 1


def test_culling_defaults_per_environment_become_the_cullers_flags():
    # prod: 8 h of inactivity and no maximum age (the culler's 0)
    notebooks = {
        "enabled": True,
        "auth": {"type": "github", "client_id": "Iv1.abc", "allowed_users": ["ada"]},
        "ingress_host": "notebooks.ml.example.com",
        "certificate_arn": "arn:aws:acm:us-east-1:123456789012:certificate/0b7c1a2e-3d4f-4a5b-9c6d-7e8f9a0b1c2d",
    }
    plan = plan_platform(
        aws_config("prod", cluster={"public_access_cidrs": [DEPLOYER_CIDR]}, notebooks=notebooks),
        config={"mlplatform:notebooksOauthClientSecret": "s3cr3t-from-the-idp"},
        secrets=("mlplatform:notebooksOauthClientSecret",),
    )
    prod = hub_values(plan)["cull"]
    assert prod == {"enabled": True, "timeout": 28800, "every": 300, "maxAge": 0, "users": False}
    assert "--timeout=28800" in culler_command(prod) and not any(
        f.startswith("--max-age") for f in culler_command(prod)
    )
    values = hub_values(aws_dev())
    assert values["cull"] == {"enabled": True, "timeout": 3600, "every": 300, "maxAge": 43200, "users": False}
    assert culler_command(values["cull"]) == [
        "python3",
        "-m",
        "jupyterhub_idle_culler",
        "--url=http://localhost:8081/hub/api",
        "--timeout=3600",
        "--cull-every=300",
        "--max-age=43200",
    ]


def test_user_servers_reach_mlflow_and_the_ray_head_and_no_other_private_address():
    policy = hub_values(aws_dev())["singleuser"]["networkPolicy"]
    assert policy["egressAllowRules"]["privateIPs"] is False and policy["egressAllowRules"]["nonPrivateIPs"] is True
    targets = {
        (tuple(sorted(rule["to"][0]["podSelector"]["matchLabels"].items())), tuple(p["port"] for p in rule["ports"]))
        for rule in policy["egress"]
    }
    assert targets == {
        ((("app.kubernetes.io/name", "mlflow"),), (5000,)),
        ((("ray.io/node-type", "head"),), (8265, 10001)),
    }


def test_gke_user_servers_get_workload_identity_through_the_metadata_server():
    plan = gcp_dev()
    single = hub_values(plan)["singleuser"]
    assert single["cloudMetadata"]["blockWithIptables"] is False
    assert single["networkPolicy"]["egressAllowRules"]["cloudMetadataServer"] is True
    account = next(
        s for s in plan.by_type("kubernetes:core/v1:ServiceAccount") if s.input("metadata.name") == "jupyter-user"
    )
    email = account.input("metadata.annotations")["iam.gke.io/gcp-service-account"]
    binding = next(
        b for b in plan.by_type(GCP_SERVICEACCOUNT_IAM_MEMBER) if "[mlplatform/jupyter-user]" in b.input("member")
    )
    assert binding.input("role") == "roles/iam.workloadIdentityUser" and email.endswith(".iam.gserviceaccount.com")
    # AWS keeps the node's metadata (and its role) out of reach; Pod Identity has its own address.
    aws = hub_values(aws_dev())["singleuser"]
    assert aws["cloudMetadata"]["blockWithIptables"] is True


def test_jupyterhubs_own_config_loader_takes_the_hub_config_and_the_culler_service(tmp_path, caplog):
    """The chart applies hub.config to JupyterHub's traitlets config and adds the culler as a hub service;
    JupyterHub 5.4 loads that configuration file, resolves the authenticator and knows every option."""
    import json as _json

    from jupyterhub.app import JupyterHub
    from jupyterhub.authenticators.shared import SharedPasswordAuthenticator

    values = hub_values(aws_dev())
    (tmp_path / "values.json").write_text(_json.dumps(values))
    config_file = tmp_path / "jupyterhub_config.py"
    config_file.write_text(
        "import json, pathlib\n"
        "c = get_config()  # noqa: F821\n"
        "values = json.loads((pathlib.Path(__file__).parent / 'values.json').read_text())\n"
        "for section, traits in values['hub']['config'].items():\n"
        "    for trait, value in traits.items():\n"
        "        setattr(c[section], trait, value)\n"
        f"c.JupyterHub.services = [{{'name': 'cull-idle', 'command': {culler_command(values['cull'])!r}}}]\n"
    )
    with caplog.at_level(logging.WARNING):
        app = JupyterHub()
        app.load_config_file(str(config_file))
        app.update_config(app.config)
    assert not [r for r in caplog.records if "not recognized" in r.getMessage()]
    assert app.authenticator_class is SharedPasswordAuthenticator
    assert app.services == [{"name": "cull-idle", "command": culler_command(values["cull"])}]
    assert app.config.SharedPasswordAuthenticator.user_password == reveal(aws_dev().outputs["notebooks_password"])
