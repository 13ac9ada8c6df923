"""The gcp-dev stack and a prod variant of it, planned once per session."""

from __future__ import annotations

import functools

from mlplatform.plan import Plan
from tests.conftest import plan_variant, planned


def gcp_dev() -> Plan:
    return planned("gcp-dev")


@functools.cache
def gcp_prod() -> Plan:
    """gcp-dev as production: regional cluster, HA database, protection, Redis online store, Vertex A/B."""

    def to_prod(doc):
        doc["environment"] = "prod"
        doc["cluster"]["public_access_cidrs"] = ["203.0.113.0/24"]  # the deployer's egress
        doc["cluster"]["gpu_pools"][0].update(capacity="spot-with-on-demand-fallback", min_nodes=1, max_nodes=8)
        doc["feature_store"].update(online_store="redis", redis_memory_gb=5, feature_server={"enabled": True})
        doc["notebooks"]["enabled"] = False  # dummy sign-in is dev only; prod notebooks are tested on their own
        doc["endpoints"].append(
            {
                "name": "scorer",
                "mode": "realtime",
                "variants": [
                    {
                        "name": "a",
                        "image": "us-docker.pkg.dev/p/m/scorer:1",
                        "model_data": "scorer/1/",
                        "instance_type": "g2-standard-8",
                        "min_count": 1,
                        "max_count": 3,
                        "weight": 3,
                    },
                    {
                        "name": "b",
                        "image": "us-docker.pkg.dev/p/m/scorer:2",
                        "model_data": "scorer/2/",
                        "instance_type": "n1-standard-4",
                        "weight": 1,
                    },
                ],
            }
        )

    return plan_variant("gcp-dev", to_prod)
