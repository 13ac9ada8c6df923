"""Preflight: what Pulumi must create before what. A custom resource waits for its CRD, a provider and the add-ons
that wait for pods for the system nodes, a resource whose creation needs a grant for that grant."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from mlplatform.components.base.types import (
    AWS_EKS_ADDON,
    AWS_EKS_NODE_GROUP,
    AWS_IAM_ROLE,
    AWS_IAM_ROLE_POLICY,
    AWS_SAGEMAKER_MODEL,
    GCP_BIGQUERY_DATASET,
    GCP_KMS_CRYPTO_KEY_IAM_MEMBER,
    GCP_STORAGE_BUCKET,
    K8S_CUSTOM_RESOURCE_DEFINITION,
    K8S_HELM_RELEASE,
    PROVIDER_KUBERNETES,
)

from ..plan import PlanResource, reveal
from .core import Context, Finding, Phase, chart_name, rule
from .networking import cluster_access
from .scheduling import system_node_groups

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


@rule(
    "crds-before-custom-resources",
    "Checks whether every custom resource waits for the resource that installs its CustomResourceDefinition.",
)
def crds_first(ctx: Context) -> Iterator[Finding]:
    installers: dict[str, list[PlanResource]] = {}
    for rel in ctx.of_type(K8S_HELM_RELEASE):
        for group in CHART_CRD_GROUPS.get(chart_name(rel), ()):
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
        access = cluster_access(ctx, provider)
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
