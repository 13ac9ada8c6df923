"""Preflight: can the deployer reach the Kubernetes API servers, and is every Ingress served by a controller the
stack installs (with a certificate for an https tracking URI)?"""

from __future__ import annotations

from collections.abc import Iterator

from mlplatform.components.base.types import (
    AWS_EKS_CLUSTER,
    GCP_CONTAINER_CLUSTER,
    K8S_HELM_RELEASE,
    K8S_INGRESS,
    PROVIDER_KUBERNETES,
)

from ..plan import PlanResource, reveal
from .core import Context, Finding, Phase, chart_name, iter_k8s, rule


def cluster_access(ctx: Context, provider: PlanResource) -> tuple[PlanResource, bool, bool] | None:
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
        access = cluster_access(ctx, provider)
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


# IngressClass -> the Helm chart whose controller serves it.
INGRESS_CONTROLLERS = {"alb": "aws-load-balancer-controller", "nginx": "ingress-nginx"}


@rule(
    "ingress-served",
    "Checks whether every Ingress is served by a controller the stack installs (and waits for), and whether an "
    "https tracking URI is backed by a certificate on the load balancer.",
)
def ingress_served(ctx: Context) -> Iterator[Finding]:
    releases = {chart_name(r): r for r in ctx.of_type(K8S_HELM_RELEASE)}
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
