"""A serverless SageMaker endpoint: nothing runs (or is billed) until a request arrives.

The model artifact comes from the team's model registry bucket (it exists before this stack; the new lake
is empty on a first deploy); its execution role can read only that object.
Plan it offline with `mlplatform plan --program examples/serverless-endpoint --stack dev`.
"""

import pulumi

from mlplatform.components.aws import DataLake, DataLakeArgs, ModelEndpoint, ModelEndpointArgs

config = pulumi.Config()
region = pulumi.Config("aws").require("region")
tags = {"team": "growth-ml", "project": "churn", "cost-center": "cc-2200"}

lake = DataLake("models", DataLakeArgs(region=region, lake={"zones": ["raw", "models"]}, tags=tags))
endpoint = ModelEndpoint(
    "churn",
    ModelEndpointArgs(
        region=region,
        lake=lake,
        endpoint={
            "name": "churn",
            "mode": "serverless",
            "serverless": {"memory_mb": 3072, "max_concurrency": 10},
            "variants": [{"name": "v3", "image": config.require("image"), "model_data": config.require("modelData")}],
        },
        tags=tags,
    ),
)

pulumi.export("invoke_url", endpoint.invoke_url)
pulumi.export("endpoint_name", endpoint.endpoint_name)
