"""The endpoints section: serverless limits, real-time variants and their instance types."""

from __future__ import annotations

import pytest

from tests.components.config.documents import Mutation, assert_reported, set_key

REALTIME_VARIANT = {"name": "a", "image": "img", "model_data": "m/model.tar.gz", "instance_type": "ml.m5.large"}

# (id, mutation of the dev document, exact key path reported, a fragment of the message)
BAD: list[tuple[str, Mutation, str, str]] = [
    (
        "serverless memory",
        set_key("endpoints[0].serverless.memory_mb", 1500),
        "endpoints[0].serverless.memory_mb",
        "allowed: 1024, 2048",
    ),
    (
        "serverless concurrency",
        set_key("endpoints[0].serverless.max_concurrency", 500),
        "endpoints[0].serverless.max_concurrency",
        "SageMaker serverless allows at most 200",
    ),
    (
        "provisioned above max",
        set_key("endpoints[0].serverless.provisioned_concurrency", 9),
        "endpoints[0].serverless.provisioned_concurrency",
        "must be <= max_concurrency (5)",
    ),
    (
        "GPU on serverless",
        set_key("endpoints[0].variants[0].instance_type", "ml.g5.xlarge"),
        "endpoints[0].variants[0].instance_type",
        "serverless endpoints cannot use GPUs",
    ),
    (
        "data capture on serverless",
        set_key("endpoints[0].data_capture_percent", 10),
        "endpoints[0].data_capture_percent",
        "use mode: realtime",
    ),
    (
        "all weights zero",
        set_key(
            "endpoints[0]",
            {
                "name": "ab",
                "mode": "realtime",
                "variants": [{**REALTIME_VARIANT, "weight": 0}, {**REALTIME_VARIANT, "name": "b", "weight": 0}],
            },
        ),
        "endpoints[0].variants",
        "weight > 0",
    ),
    (
        "duplicate variant names",
        set_key("endpoints[0]", {"name": "ab", "mode": "realtime", "variants": [REALTIME_VARIANT, REALTIME_VARIANT]}),
        "endpoints[0].variants",
        "repeated: a",
    ),
    (
        "instance type SageMaker does not offer",
        set_key(
            "endpoints[0]",
            {"name": "ab", "mode": "realtime", "variants": [{**REALTIME_VARIANT, "instance_type": "ml.z9.mega"}]},
        ),
        "endpoints[0].variants[0].instance_type",
        "not a SageMaker instance type",
    ),
]


@pytest.mark.parametrize(("mutate", "path", "fragment"), [c[1:] for c in BAD], ids=[c[0] for c in BAD])
def test_raises_with_key_path_value_and_allowed(dev_config, mutate, path, fragment):
    assert_reported(dev_config, mutate, path, fragment)
