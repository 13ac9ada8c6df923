"""Preflight: identity the cluster must be set up for (RBAC bindings to Google Groups need Google Groups for RBAC on
the GKE cluster)."""

from __future__ import annotations

from collections.abc import Iterator

from mlplatform.components.base.types import GCP_CONTAINER_CLUSTER, K8S_CLUSTER_ROLE_BINDING

from ..plan import reveal
from .core import Context, Finding, Phase, rule


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
