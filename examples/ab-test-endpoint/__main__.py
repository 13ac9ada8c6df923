"""An A/B test on a real-time endpoint: 80% of traffic to the current model, 20% to the candidate, a shadow
copy to the next candidate, 5% of requests captured to the lake, and each variant scaling on invocations.

An A/B test splits live traffic, so this is a production stack (``prod``, checked with the prod policy): GPU
instances kept warm and up to four per variant, which dev refuses, and the lake protected from deletion. The
budget counts only what carries the program's cost-allocation tag. Plan and check it offline with
`mlplatform plan --program examples/ab-test-endpoint --stack prod --cost --check`.
"""

import pulumi

from mlplatform.components.aws import (
    DataLake,
    DataLakeArgs,
    ModelEndpoint,
    ModelEndpointArgs,
    Monitoring,
    MonitoringArgs,
)
from mlplatform.components.config import CostTags, Environment

config = pulumi.Config()
image = config.require("image")
# Artifacts come from the training pipeline's registry bucket: they exist before this stack does.
registry = "s3://ranking-model-registry"
region = pulumi.Config("aws").require("region")
environment = Environment.PROD
# The budget counts what carries this tag: this program's resources, not the rest of the account.
stack = f"{pulumi.get_project()}-{pulumi.get_stack()}"
tags = CostTags(team="search-ml", project="ranking", cost_center="cc-4100").as_tags(environment, stack)

lake = DataLake("ranking", DataLakeArgs(region=region, environment=environment, tags=tags))
endpoint = ModelEndpoint(
    "ranker",
    ModelEndpointArgs(
        region=region,
        environment=environment,
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

monitoring = Monitoring(
    "ranking",
    MonitoringArgs(
        region=region,
        environment=environment,
        budget={"monthly_limit_usd": 5000},
        monitoring={"alert_emails": [config.require("alertEmail")]},
        stack=stack,
        tags=tags,
    ),
)

pulumi.export("invoke_url", endpoint.invoke_url)
pulumi.export("variants", endpoint.variant_names)
