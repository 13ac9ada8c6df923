"""An A/B test on a real-time endpoint: 80% of traffic to the current model, 20% to the candidate, a shadow
copy to the next candidate, 5% of requests captured to the lake, and each variant scaling on invocations.
Plan it offline with `mlplatform plan --program examples/ab-test-endpoint --stack dev`.
"""

import pulumi

from mlplatform.components.aws import DataLake, DataLakeArgs, ModelEndpoint, ModelEndpointArgs

image = pulumi.Config().require("image")
# Artifacts come from the training pipeline's registry bucket: they exist before this stack does.
registry = "s3://ranking-model-registry"
region = pulumi.Config("aws").require("region")
tags = {"team": "search-ml", "project": "ranking", "cost-center": "cc-4100"}

lake = DataLake("ranking", DataLakeArgs(region=region, tags=tags))
endpoint = ModelEndpoint(
    "ranker",
    ModelEndpointArgs(
        region=region,
        lake=lake,
        endpoint={
            "name": "ranker",
            "mode": "realtime",
            "data_capture_percent": 5,
            "autoscaling": {"target_invocations_per_instance": 200},
            "variants": [
                {
                    "name": "current",
                    "image": image,
                    "model_data": f"{registry}/ranker/v7/model.tar.gz",
                    "instance_type": "ml.g5.xlarge",
                    "initial_count": 2,
                    "min_count": 1,
                    "max_count": 4,
                    "weight": 80,
                },
                {
                    "name": "candidate",
                    "image": image,
                    "model_data": f"{registry}/ranker/v8/model.tar.gz",
                    "instance_type": "ml.g5.xlarge",
                    "initial_count": 1,
                    "max_count": 2,
                    "weight": 20,
                },
            ],
            "shadow_variant": {
                "name": "next",
                "image": image,
                "model_data": f"{registry}/ranker/v9/model.tar.gz",
                "instance_type": "ml.g5.xlarge",
            },
        },
        tags=tags,
    ),
)

pulumi.export("invoke_url", endpoint.invoke_url)
pulumi.export("variants", endpoint.variant_names)
