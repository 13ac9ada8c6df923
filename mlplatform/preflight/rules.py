"""Preflight rules: what the clouds and Kubernetes refuse that the mocks accept.

Each rule reads the Plan as a first deploy (and, for names, a later update) would meet it and yields a
:class:`~mlplatform.preflight.core.Finding` naming the resource and the documented behaviour behind it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from components.base.types import (
    AWS_EC2_LAUNCH_TEMPLATE,
    AWS_EKS_ADDON,
    AWS_EKS_CLUSTER,
    AWS_EKS_NODE_GROUP,
    AWS_EKS_POD_IDENTITY_ASSOCIATION,
    AWS_IAM_ROLE,
    AWS_IAM_ROLE_POLICY,
    AWS_KMS_KEY,
    AWS_S3_BUCKET,
    AWS_S3_BUCKET_OBJECT,
    AWS_S3_BUCKET_OBJECT_V2,
    AWS_SAGEMAKER_ENDPOINT_CONFIGURATION,
    AWS_SAGEMAKER_MODEL,
    AWS_SNS_TOPIC,
    GCP_BIGQUERY_DATASET,
    GCP_CLOUDRUNV2_SERVICE,
    GCP_CONTAINER_CLUSTER,
    GCP_KMS_CRYPTO_KEY_IAM_MEMBER,
    GCP_STORAGE_BUCKET,
    GCP_STORAGE_BUCKET_OBJECT,
    GCP_VERTEX_AI_ENDPOINT,
    GCP_VERTEX_AI_ENDPOINT_WITH_MODEL_GARDEN_DEPLOYMENT,
    K8S_CLUSTER_ROLE_BINDING,
    K8S_CUSTOM_RESOURCE_DEFINITION,
    K8S_HELM_RELEASE,
    K8S_INGRESS,
    K8S_KSERVE_INFERENCE_SERVICE,
    K8S_PROMETHEUS_RULE,
    PROVIDER_KUBERNETES,
    PULUMI_DYNAMIC_RESOURCE,
)

from ..plan import PlanResource, reveal
from . import data_plane, serving  # noqa: F401  (serving registers knative-accepts-servers)
from .core import Context, Finding, Phase, iter_k8s, rule
from .scheduling import schedulable, system_node_groups  # noqa: F401  (registers workloads-schedulable)

# Helm charts that install the CRDs of these API groups (their crds/ directories at the pinned versions).
CHART_CRD_GROUPS = {
    "karpenter": {"karpenter.sh", "karpenter.k8s.aws"},
    "kube-prometheus-stack": {"monitoring.coreos.com"},
    "aws-load-balancer-controller": {"elbv2.k8s.aws"},
    "kuberay-operator": {"ray.io"},
    "cert-manager": {"cert-manager.io", "acme.cert-manager.io"},
    "knative-operator": {"operator.knative.dev"},
    "kserve-crd": {"serving.kserve.io"},
}


def _chart_name(release: PlanResource) -> str:
    return str(reveal(release.input("chart")) or "").rsplit("/", 1)[-1]


# --- reachability -----------------------------------------------------------------------------------------


def _cluster_access(ctx: Context, provider: PlanResource) -> tuple[PlanResource, bool, bool] | None:
    """(cluster, public endpoint, deployer declared inside the network) for a Kubernetes provider."""
    for urn in ctx.created_before(provider):
        r = ctx.plan.get(urn)
        if r is None:
            continue
        if r.type == AWS_EKS_CLUSTER:
            public = bool(reveal(r.input("vpcConfig.endpointPublicAccess")))
            return r, public, _deploys_from_network(ctx, r)
        if r.type == GCP_CONTAINER_CLUSTER:
            public = not bool(reveal(r.input("privateClusterConfig.enablePrivateEndpoint")))
            return r, public, _deploys_from_network(ctx, r)
    return None


def _deploys_from_network(ctx: Context, cluster: PlanResource) -> bool:
    comp = ctx.plan.component_of(cluster)
    return bool(comp and reveal(comp.outputs.get("deploy_from_network")))


@rule(
    "api-reachable",
    "Checks whether the deployer can reach every Kubernetes API server the stack creates objects through: a "
    "private-only endpoint is reachable only from inside its network.",
)
def api_reachable(ctx: Context) -> Iterator[Finding]:
    through: dict[str, int] = {}
    for r in iter_k8s(ctx):
        if r.provider:
            through[r.provider] = through.get(r.provider, 0) + 1
    for provider in ctx.of_type(PROVIDER_KUBERNETES):
        ctx.count("api-reachable")
        access = _cluster_access(ctx, provider)
        if access is None or provider.urn not in through:
            continue
        cluster, public, from_network = access
        if not public and not from_network:
            yield Finding(
                "api-reachable",
                Phase.FIRST_DEPLOY,
                provider.urn,
                f"{through[provider.urn]} Kubernetes objects are created through cluster {cluster.name}, whose API "
                "endpoint is private, by a deployer outside its network (just created by this stack): every one "
                "of them times out. Give cluster.public_access_cidrs (the deployer's egress CIDRs) or run the "
                "deploy from inside the network (cluster.deploy_from_network: true).",
                "EKS: a private endpoint resolves and answers only inside the VPC; GKE: enablePrivateEndpoint "
                "leaves no external endpoint",
            )


# --- ordering ---------------------------------------------------------------------------------------------


@rule(
    "crds-before-custom-resources",
    "Checks whether every custom resource waits for the resource that installs its CustomResourceDefinition.",
)
def crds_first(ctx: Context) -> Iterator[Finding]:
    installers: dict[str, list[PlanResource]] = {}
    for rel in ctx.of_type(K8S_HELM_RELEASE):
        for group in CHART_CRD_GROUPS.get(_chart_name(rel), ()):
            installers.setdefault(group, []).append(rel)
    for crd in ctx.of_type(K8S_CUSTOM_RESOURCE_DEFINITION):
        group = str(reveal(crd.input("spec.group")) or "")
        installers.setdefault(group, []).append(crd)
    for r in ctx.custom:
        if not r.type.startswith("kubernetes:") or r.type.count(":") != 2:
            continue
        group = r.type.split(":")[1].rsplit("/", 1)[0]
        # Built-in groups are core, apps, batch, policy and *.k8s.io; helm.sh is the provider's own Release.
        if "." not in group or group.endswith(".k8s.io") or group == "helm.sh":
            continue
        ctx.count("crds-before-custom-resources")
        candidates = installers.get(group, [])
        if not candidates:
            yield Finding(
                "crds-before-custom-resources",
                Phase.FIRST_DEPLOY,
                r.urn,
                f"{r.type.split(':')[-1]} {r.name} needs the {group} CRDs, which nothing in the stack installs.",
                "Kubernetes rejects objects of an unknown kind: 'no matches for kind'",
            )
        elif not any(ctx.waits_for(r, c) for c in candidates):
            yield Finding(
                "crds-before-custom-resources",
                Phase.FIRST_DEPLOY,
                r.urn,
                f"{r.type.split(':')[-1]} {r.name} is not ordered after {candidates[0].name}, which installs the "
                f"{group} CRDs: on a first deploy it races them.",
                "Kubernetes rejects objects of an unknown kind: 'no matches for kind'",
            )


# EKS add-ons that run only DaemonSets (or nothing) need no nodes to become ACTIVE.
_NODELESS_ADDONS = {"vpc-cni", "kube-proxy", "eks-pod-identity-agent"}


@rule(
    "nodes-before-workloads",
    "Checks whether Kubernetes providers and EKS add-ons that wait for pods are ordered after the system "
    "nodes those pods run on.",
)
def nodes_first(ctx: Context) -> Iterator[Finding]:
    system = system_node_groups(ctx)
    system_groups = [g for g in system if g.type == AWS_EKS_NODE_GROUP]
    system_pools = [p for p in system if p.type != AWS_EKS_NODE_GROUP]
    for provider in ctx.of_type(PROVIDER_KUBERNETES):
        access = _cluster_access(ctx, provider)
        if access is None:
            continue
        cluster = access[0]
        nodes = system_groups if cluster.type.startswith("aws:") else system_pools
        ctx.count("nodes-before-workloads")
        if nodes and not any(ctx.waits_for(provider, n) for n in nodes):
            yield Finding(
                "nodes-before-workloads",
                Phase.FIRST_DEPLOY,
                provider.urn,
                f"provider {provider.name} is usable as soon as cluster {cluster.name} exists, before its system "
                f"nodes ({nodes[0].name}); Helm releases waiting for pods (atomic) time out on a cluster with no "
                "nodes.",
                "A new EKS/GKE cluster has no nodes until its node groups/pools are created",
            )
    for addon in ctx.of_type(AWS_EKS_ADDON):
        name = str(reveal(addon.input("addonName")))
        if name in _NODELESS_ADDONS:
            continue
        ctx.count("nodes-before-workloads")
        if system_groups and not any(ctx.waits_for(addon, g) for g in system_groups):
            yield Finding(
                "nodes-before-workloads",
                Phase.FIRST_DEPLOY,
                addon.urn,
                f"EKS add-on {name} runs Deployments but is not ordered after a node group: it stays DEGRADED "
                "and pulumi waits for it until it times out.",
                "EKS add-ons report ACTIVE only when their pods are ready",
            )


# --- grants before use ------------------------------------------------------------------------------------


@rule(
    "grants-before-use",
    "Checks whether resources whose creation needs a grant (a CMEK for GCS or BigQuery, a role's read of a "
    "model artifact) are ordered after that grant.",
)
def grants_first(ctx: Context) -> Iterator[Finding]:
    key_members = ctx.of_type(GCP_KMS_CRYPTO_KEY_IAM_MEMBER)

    def grant_for(key: Any, agent: str) -> list[PlanResource]:
        return [
            m for m in key_members if reveal(m.input("cryptoKeyId")) == key and agent in str(reveal(m.input("member")))
        ]

    checks = [
        (GCP_STORAGE_BUCKET, "encryption.defaultKmsKeyName", "gs-project-accounts", "Cloud Storage"),
        (
            GCP_BIGQUERY_DATASET,
            "defaultEncryptionConfiguration.kmsKeyName",
            "bigquery-encryption",
            "BigQuery",
        ),
    ]
    for type_, path, agent, service in checks:
        for r in ctx.of_type(type_):
            key = reveal(r.input(path))
            if not key:
                continue
            ctx.count("grants-before-use")
            grants = grant_for(key, agent)
            if not grants or not any(ctx.waits_for(r, g) for g in grants):
                yield Finding(
                    "grants-before-use",
                    Phase.FIRST_DEPLOY,
                    r.urn,
                    f"{r.name} is encrypted with {key.rsplit('/', 1)[-1]} but is not ordered after the {service} "
                    "service agent's cryptoKeyEncrypterDecrypter grant on it: creation fails with 403 when it "
                    "wins the race.",
                    f"{service} checks that its service agent can use a CMEK when the resource is created",
                )
    roles = {reveal(r.output("arn")): r for r in ctx.of_type(AWS_IAM_ROLE)}
    policies = ctx.of_type(AWS_IAM_ROLE_POLICY)
    for model in ctx.of_type(AWS_SAGEMAKER_MODEL):
        role = roles.get(reveal(model.input("executionRoleArn")))
        if role is None:
            continue
        ctx.count("grants-before-use")
        name = reveal(role.output("name"))
        grants = [p for p in policies if reveal(p.input("role")) == name and "s3:GetObject" in str(p.input("policy"))]
        if grants and not all(ctx.waits_for(model, g) for g in grants):
            yield Finding(
                "grants-before-use",
                Phase.FIRST_DEPLOY,
                model.urn,
                f"SageMaker model {model.name} is not ordered after its role's artifact grant.",
                "CreateModel validates that the execution role can read ModelDataUrl",
            )


# --- artifacts and referenced objects ----------------------------------------------------------------------


def _served_models_exist(ctx: Context, stack_buckets: dict[Any, PlanResource]) -> Iterator[Finding]:
    """An InferenceService that starts replicas when it is created (initial scale >= 1) must find its model;
    one that starts at zero loads it on the first request, so an empty new lake does not fail the deploy."""
    uploads = [
        (reveal(o.input("bucket")), str(reveal(o.input("key")) or reveal(o.input("name")) or ""))
        for o in ctx.of_type(
            AWS_S3_BUCKET_OBJECT_V2,
            AWS_S3_BUCKET_OBJECT,
            GCP_STORAGE_BUCKET_OBJECT,
        )
    ]
    for isvc in ctx.of_type(K8S_KSERVE_INFERENCE_SERVICE):
        predictor = (reveal(isvc.input("spec")) or {}).get("predictor") or {}
        uri = (predictor.get("model") or {}).get("storageUri")
        if not isinstance(uri, str) or not uri.startswith(("s3://", "gs://")):
            continue
        ctx.count("artifacts-exist")
        initial = (predictor.get("annotations") or {}).get("autoscaling.knative.dev/initial-scale")
        starts = int(initial) if initial is not None else max(1, int(predictor.get("minReplicas") or 0))
        bucket, prefix = data_plane.split_url(uri)
        # The platform writes a Triton model's config.pbtxt; the model file itself comes from training.
        models = [k for b, k in uploads if b == bucket and k.startswith(prefix) and not k.endswith("config.pbtxt")]
        if starts and bucket in stack_buckets and not models:
            yield Finding(
                "artifacts-exist",
                Phase.FIRST_DEPLOY,
                isvc.urn,
                f"InferenceService {isvc.name} starts {starts} replica(s) when created and loads {uri}, in bucket "
                f"{stack_buckets[bucket].name} that this stack creates empty: the revision never becomes ready and "
                "the rollout fails at Knative's progress deadline. Deploy with min_replicas: 0 until training has "
                "written the model, or serve an existing artifact.",
                "Knative marks a revision failed when its first replicas are not ready within progress-deadline",
            )


@rule(
    "artifacts-exist",
    "Checks whether objects a resource needs at creation (a SageMaker model's artifact, a deployed model "
    "behind an endpoint URL) can exist when it is created.",
)
def artifacts_exist(ctx: Context) -> Iterator[Finding]:
    stack_buckets = {reveal(b.output("bucket")): b for b in ctx.of_type(AWS_S3_BUCKET)}
    uploads = {
        (reveal(o.input("bucket")), reveal(o.input("key")))
        for o in ctx.of_type(AWS_S3_BUCKET_OBJECT_V2, AWS_S3_BUCKET_OBJECT)
    }
    for model in ctx.of_type(AWS_SAGEMAKER_MODEL):
        url = reveal(model.input("primaryContainer.modelDataUrl"))
        if not isinstance(url, str) or not url.startswith("s3://"):
            continue
        ctx.count("artifacts-exist")
        bucket, key = data_plane.split_url(url)
        if bucket in stack_buckets and (bucket, key) not in uploads:
            yield Finding(
                "artifacts-exist",
                Phase.FIRST_DEPLOY,
                model.urn,
                f"model {model.name} reads {url}, in bucket {stack_buckets[bucket].name} that this stack creates "
                "empty, and nothing uploads the artifact: CreateModel and the endpoint fail on a first deploy. "
                "Point model_data at an existing s3:// URI, or set the endpoint's enabled: false until the first "
                "model is registered.",
                "SageMaker downloads ModelDataUrl when the endpoint starts; CreateModel checks it is readable",
            )
    stack_gcs = {reveal(b.output("name")): b for b in ctx.of_type(GCP_STORAGE_BUCKET)}
    yield from _served_models_exist(ctx, {**stack_buckets, **stack_gcs})
    # (resource, what loads the model, URI, what fails, documented behaviour) for GCP model loaders
    loaders: list[tuple[PlanResource, str, Any, str, str]] = []
    for svc in ctx.of_type(GCP_CLOUDRUNV2_SERVICE):
        for container in reveal(svc.input("template.containers")) or []:
            env = {e.get("name"): e.get("value") for e in container.get("envs") or []}
            loaders.append(
                (
                    svc,
                    f"Cloud Run service {svc.name} loads its model",
                    env.get("MODEL_URI"),
                    "the revision fails its startup probe and the deploy fails",
                    "Cloud Run routes traffic to a revision only once its container passes the startup probe",
                )
            )
    for deployment in ctx.of_type(PULUMI_DYNAMIC_RESOURCE):
        for v in reveal(deployment.input("variants")) or []:
            loaders.append(
                (
                    deployment,
                    f"Vertex model {v.get('name')} is uploaded",
                    v.get("artifact_uri"),
                    "models.upload fails on a first deploy",
                    "Vertex AI models.upload reads the artifact directory when the model is created",
                )
            )
    for r, who, uri, fails, reference in loaders:
        if not isinstance(uri, str) or not uri.startswith("gs://"):
            continue
        ctx.count("artifacts-exist")
        bucket, _ = data_plane.split_url(uri)
        if bucket in stack_gcs:
            yield Finding(
                "artifacts-exist",
                Phase.FIRST_DEPLOY,
                r.urn,
                f"{who} from {uri}, in bucket {stack_gcs[bucket].name} that this stack creates empty: {fails}. "
                "Point model_data at an existing gs:// URI, or set the endpoint's enabled: false.",
                reference,
            )
    for endpoint in ctx.of_type(GCP_VERTEX_AI_ENDPOINT):
        ctx.count("artifacts-exist")
        comp = ctx.plan.component_of(endpoint)
        deployed = [d for d in ctx.of_type(GCP_VERTEX_AI_ENDPOINT_WITH_MODEL_GARDEN_DEPLOYMENT)]
        if comp is not None and not reveal(comp.outputs.get("deployed_models")) and not deployed:
            yield Finding(
                "artifacts-exist",
                Phase.FIRST_DEPLOY,
                endpoint.urn,
                f"Vertex endpoint {endpoint.name} has no deployed model: its invoke URL answers 400 until the "
                "release pipeline deploys one.",
                "Vertex AI endpoints serve predictions only from deployed models",
            )


# --- names that collide on replace or update --------------------------------------------------------------

# Types whose every input change replaces the resource (ForceNew); with a fixed physical name, Pulumi's
# create-before-delete replacement collides with the old resource.
_IMMUTABLE_NAMED = {
    AWS_SAGEMAKER_MODEL: "name",
    AWS_SAGEMAKER_ENDPOINT_CONFIGURATION: "name",
    AWS_EC2_LAUNCH_TEMPLATE: "name",
}


@rule(
    "names-survive-updates",
    "Checks whether fixed physical names survive the next update: replacements of immutable resources and "
    "Cloud Run revisions.",
)
def names_survive(ctx: Context) -> Iterator[Finding]:
    for type_, prop in _IMMUTABLE_NAMED.items():
        for r in ctx.of_type(type_):
            ctx.count("names-survive-updates")
            if r.input(prop) and not r.options.get("delete_before_replace"):
                yield Finding(
                    "names-survive-updates",
                    Phase.UPDATE,
                    r.urn,
                    f"{r.name} has the fixed name {r.input(prop)!r} and every change replaces it: the replacement "
                    "is created before the old one is deleted and fails with 'already exists'.",
                    "Pulumi replaces create-before-delete unless deleteBeforeReplace is set",
                )
    for svc in ctx.of_type(GCP_CLOUDRUNV2_SERVICE):
        ctx.count("names-survive-updates")
        revision = reveal(svc.input("template.revision"))
        if revision:
            yield Finding(
                "names-survive-updates",
                Phase.UPDATE,
                svc.urn,
                f"Cloud Run service {svc.name} names its revision {revision!r}: the next change to the template "
                "creates a revision with the same name and fails with 409 'revision already exists'.",
                "Cloud Run revisions are immutable and revision names unique per service",
            )


# --- alerts reach someone ---------------------------------------------------------------------------------


_MATCHER = re.compile(r'^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*"?(.*?)"?\s*$')


def _route_matches(route: dict[str, Any], labels: dict[str, str]) -> bool:
    for m in route.get("matchers") or []:
        parsed = _MATCHER.match(m)
        if not parsed:
            return False
        key, op, value = parsed.groups()
        actual = labels.get(key, "")
        ok = {
            "=": actual == value,
            "!=": actual != value,
            "=~": re.fullmatch(value, actual) is not None,
            "!~": re.fullmatch(value, actual) is None,
        }[op]
        if not ok:
            return False
    return True


def route_alert(route: dict[str, Any], labels: dict[str, str]) -> str | None:
    """The receiver Alertmanager picks for an alert: the first matching child route, depth first, else the
    route's own receiver (continue: false, the default)."""
    for child in route.get("routes") or []:
        if _route_matches(child, labels):
            return route_alert({"receiver": route.get("receiver"), **child}, labels)
    return route.get("receiver")


def _alertmanager_can_publish(ctx: Context, release: PlanResource, topic_arn: str) -> str | None:
    """None when the Alertmanager's identity may publish to ``topic_arn`` (and use its key); else why not."""
    from .aws_iam import Request

    namespace = str(reveal(release.input("namespace")))
    sa = str(reveal(release.input("values.alertmanager.serviceAccount.name")) or "")
    assoc = [
        a
        for a in ctx.of_type(AWS_EKS_POD_IDENTITY_ASSOCIATION)
        if reveal(a.input("namespace")) == namespace and reveal(a.input("serviceAccount")) == sa
    ]
    if not assoc:
        return f"no Pod Identity association gives service account {namespace}/{sa} an AWS role"
    role_arn = str(reveal(assoc[0].input("roleArn")))
    acct = data_plane.AwsAccount.of(ctx)
    topic = next((t for t in ctx.of_type(AWS_SNS_TOPIC) if reveal(t.output("arn")) == topic_arn), None)
    calls = [Request("sns:Publish", topic_arn, acct.context())]
    key_id = reveal(topic.input("kmsMasterKeyId")) if topic is not None else None
    key = next(
        (k for k in ctx.of_type(AWS_KMS_KEY) if key_id in (reveal(k.output("keyId")), reveal(k.output("arn")))),
        None,
    )
    if key is not None:
        via = acct.context(**{"kms:ViaService": f"sns.{acct.region}.amazonaws.com"})
        calls.append(Request("kms:GenerateDataKey", str(reveal(key.output("arn"))), via))
    for call in calls:
        decision = acct.decide(call, role_arn)
        if decision is None:
            return f"its role {role_arn} is not one of the stack's"
        if not decision.allowed:
            return f"its role is refused {call.action} on {call.resource}: {decision.reason}"
    return None


@rule(
    "alerts-routed",
    "Checks whether every Prometheus alert the stack defines is routed by Alertmanager to a receiver that "
    "notifies someone, and whether Alertmanager's identity may publish there.",
)
def alerts_routed(ctx: Context) -> Iterator[Finding]:
    alerts = [
        {"alertname": r.get("alert", ""), **(r.get("labels") or {})}
        for pr in ctx.of_type(K8S_PROMETHEUS_RULE)
        for g in reveal(pr.input("spec.groups")) or []
        for r in g.get("rules") or []
        if r.get("alert")
    ]
    if not alerts:
        return
    for rel in ctx.of_type(K8S_HELM_RELEASE):
        if _chart_name(rel) != "kube-prometheus-stack":
            continue
        config = reveal(rel.input("values.alertmanager.config")) or {}
        route = config.get("route") or {"receiver": "null"}
        receivers = {r.get("name"): r for r in config.get("receivers") or []}
        for alert in alerts:
            ctx.count("alerts-routed")
            name = route_alert(route, alert)
            target = receivers.get(name) or {}
            if not any(k.endswith("_configs") and target.get(k) for k in target):
                yield Finding(
                    "alerts-routed",
                    Phase.FIRST_DEPLOY,
                    rel.urn,
                    f"alert {alert['alertname']} is routed to receiver {name or 'null'!r}, which has no notification "
                    "config: nobody is told.",
                    "kube-prometheus-stack's default Alertmanager config routes everything to the 'null' receiver",
                )
                continue
            for sns in target.get("sns_configs") or []:
                memo_key = ("can-publish", rel.urn, str(sns.get("topic_arn")))
                if memo_key not in ctx.memo:
                    ctx.memo[memo_key] = _alertmanager_can_publish(ctx, rel, str(sns.get("topic_arn")))
                why = ctx.memo[memo_key]
                if why:
                    yield Finding(
                        "alerts-routed",
                        Phase.FIRST_DEPLOY,
                        rel.urn,
                        f"alert {alert['alertname']} goes to SNS topic {sns.get('topic_arn')}, but Alertmanager "
                        f"cannot publish: {why}.",
                        "Alertmanager's SNS receiver signs with the pod's AWS credentials (SigV4)",
                    )


# --- ingresses are served ----------------------------------------------------------------------------------

# IngressClass -> the Helm chart whose controller serves it.
INGRESS_CONTROLLERS = {"alb": "aws-load-balancer-controller", "nginx": "ingress-nginx"}


@rule(
    "ingress-served",
    "Checks whether every Ingress is served by a controller the stack installs (and waits for), and whether an "
    "https tracking URI is backed by a certificate on the load balancer.",
)
def ingress_served(ctx: Context) -> Iterator[Finding]:
    releases = {_chart_name(r): r for r in ctx.of_type(K8S_HELM_RELEASE)}
    gke = bool(ctx.of_type(GCP_CONTAINER_CLUSTER))
    for ing in ctx.of_type(K8S_INGRESS):
        ctx.count("ingress-served")
        cls = reveal(ing.input("spec.ingressClassName"))
        annotations = reveal(ing.input("metadata.annotations")) or {}
        if cls is None and gke:
            continue  # GKE's built-in controller serves Ingresses without a class
        chart = INGRESS_CONTROLLERS.get(str(cls))
        if chart is None:
            if cls is None:
                yield Finding(
                    "ingress-served",
                    Phase.FIRST_DEPLOY,
                    ing.urn,
                    f"Ingress {ing.name} names no IngressClass and EKS has no default controller: it never gets an "
                    "address and Pulumi's await fails after 10 minutes.",
                    "EKS ships no Ingress controller; Pulumi waits for an Ingress's load balancer address",
                )
            continue  # a class whose controller the user runs
        release = releases.get(chart)
        if release is None or not ctx.waits_for(ing, release):
            yield Finding(
                "ingress-served",
                Phase.FIRST_DEPLOY,
                ing.urn,
                f"Ingress {ing.name} (class {cls}) is "
                + ("not ordered after" if release is not None else "served by nothing in the stack: no")
                + f" the {chart} release: it gets no address and Pulumi's await fails after 10 minutes.",
                "Pulumi waits for an Ingress's load balancer address; only a controller assigns one",
            )
        if cls == "alb" and '"HTTPS"' not in str(annotations.get("alb.ingress.kubernetes.io/listen-ports", "")):
            exported = [
                v for k, v in reveal(ctx.plan.outputs).items() if k.endswith("tracking_uri") and isinstance(v, str)
            ]
            if any(v.startswith("https://") for v in exported):
                yield Finding(
                    "ingress-served",
                    Phase.FIRST_DEPLOY,
                    ing.urn,
                    f"Ingress {ing.name} listens on HTTP only, yet the stack exports an https:// tracking URI.",
                    "An ALB serves HTTPS only on a listener with a certificate",
                )


# --- GKE RBAC for groups ----------------------------------------------------------------------------------


@rule(
    "gke-group-rbac",
    "Checks whether RBAC bindings to Google Groups on GKE have Google Groups for RBAC enabled on the cluster.",
)
def gke_groups(ctx: Context) -> Iterator[Finding]:
    clusters = ctx.of_type(GCP_CONTAINER_CLUSTER)
    if not clusters:
        return
    enabled = any(reveal(c.input("authenticatorGroupsConfig.securityGroup")) for c in clusters)
    for b in ctx.of_type(K8S_CLUSTER_ROLE_BINDING):
        ctx.count("gke-group-rbac")
        groups = [s for s in reveal(b.input("subjects")) or [] if s.get("kind") == "Group"]
        if groups and not enabled:
            yield Finding(
                "gke-group-rbac",
                Phase.FIRST_DEPLOY,
                b.urn,
                f"{b.name} binds Google Group(s) {', '.join(g['name'] for g in groups)}, but no cluster sets "
                "authenticator_groups_config: GKE never puts group membership in the request, so they get no rights.",
                "GKE: Google Groups for RBAC needs the gke-security-groups group configured on the cluster",
            )


# --- node group shapes ------------------------------------------------------------------------------------


@rule(
    "node-group-shapes",
    "Checks whether each autoscaled managed node group has one node shape (cluster-autoscaler simulates a "
    "group from a single template node).",
)
def node_group_shapes(ctx: Context) -> Iterator[Finding]:
    from components.catalog import load_catalog

    cat = load_catalog()
    for g in ctx.of_type(AWS_EKS_NODE_GROUP):
        tags = reveal(g.input("tags")) or {}
        if not any(k.startswith("k8s.io/cluster-autoscaler/") for k in tags):
            continue
        ctx.count("node-group-shapes")
        shapes = set()
        for t in reveal(g.input("instanceTypes")) or []:
            m = cat.machine_type("aws", t)
            if m is not None:
                shapes.add((m.vcpu, m.memory_gib, m.gpus))
        if len(shapes) > 1:
            yield Finding(
                "node-group-shapes",
                Phase.FIRST_DEPLOY,
                g.urn,
                f"node group {g.name} mixes {len(shapes)} node shapes "
                f"({', '.join(sorted(reveal(g.input('instanceTypes'))))}): cluster-autoscaler plans with one of "
                "them and over- or under-provisions.",
                "cluster-autoscaler FAQ: instance types in a node group must have the same CPU, memory and GPUs",
            )
