"""What Kubernetes objects cost of their own: a Service of type LoadBalancer or an Ingress asks the cloud for a
load balancer (an NLB, ALB or Classic one on AWS, a forwarding rule on GCP); every other object runs on nodes that
are priced with their pools.
"""

from __future__ import annotations

from ..base.resources import Resource, get
from ..base.types import K8S_INGRESS, K8S_SERVICE
from ..catalog.catalog import is_aws_region
from .estimate import CostContext, Estimate, Estimator, H, flat, free
from .pricing import (
    aws_load_balancer,
    gcp_price,
)


def _forwarding_rule(ctx: CostContext, what: str) -> Estimate:
    rate = gcp_price("load_balancing.forwarding_rule_per_hour", ctx.region)
    return flat(rate * H, f"{what}: a forwarding rule {H:.0f} h x ${rate}/h")


def _k8s_service(r: Resource, ctx: CostContext) -> Estimate:
    if get(r.props, "spec.type") != "LoadBalancer":
        return free("a cluster-internal Service costs nothing")
    if not is_aws_region(ctx.region):
        return _forwarding_rule(ctx, "Service type LoadBalancer")
    annotations = get(r.props, "metadata.annotations") or {}
    lb_type = annotations.get("service.beta.kubernetes.io/aws-load-balancer-type")
    # The AWS Load Balancer Controller makes an NLB for `external`/`nlb`; the in-tree provider a Classic one.
    kind = "nlb" if lb_type in ("external", "nlb", "nlb-ip") else "clb"
    scheme = annotations.get("service.beta.kubernetes.io/aws-load-balancer-scheme", "internet-facing")
    ips = 2 if kind == "nlb" and scheme == "internet-facing" else 0
    return aws_load_balancer(kind, ctx, ips, "Service type LoadBalancer")


def _ingress_class(r: Resource) -> str | None:
    return get(r.props, "spec.ingressClassName") or (get(r.props, "metadata.annotations") or {}).get(
        "kubernetes.io/ingress.class"
    )


def _alb_group(r: Resource) -> str | None:
    return (get(r.props, "metadata.annotations") or {}).get("alb.ingress.kubernetes.io/group.name")


def _k8s_ingress(r: Resource, ctx: CostContext) -> Estimate:
    cls = _ingress_class(r)
    annotations = get(r.props, "metadata.annotations") or {}
    if is_aws_region(ctx.region) and cls == "alb":
        group = _alb_group(r)
        if group:  # Ingresses of one group share an ALB: price it on the first of them only
            members = ctx.find(r.type, lambda i: _ingress_class(i) == "alb" and _alb_group(i) == group)
            if members and (members[0].urn, members[0].name) != (r.urn, r.name):
                return free(f"shares the ALB of Ingress group {group}")
        scheme = annotations.get("alb.ingress.kubernetes.io/scheme", "internal")
        return aws_load_balancer("alb", ctx, 2 if scheme == "internet-facing" else 0, "Ingress (alb)")
    if not is_aws_region(ctx.region) and cls in (None, "gce", "gce-internal"):
        return _forwarding_rule(ctx, "Ingress (GCE load balancer)")
    return free(f"served by the {cls or 'default'} ingress controller, whose own Service is priced")


ESTIMATORS: dict[str, Estimator] = {
    K8S_SERVICE: _k8s_service,
    K8S_INGRESS: _k8s_ingress,
}
