"""A serverless SageMaker endpoint: nothing runs (or is billed) until a request arrives.

The model artifact comes from the team's model registry bucket (it exists before this stack; the new lake
is empty on a first deploy); its execution role can read only that object. The program's monthly budget
counts only what carries its cost-allocation tag.
Plan it offline with `mlplatform plan --program examples/serverless-endpoint --stack dev --cost --check`.
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
region = pulumi.Config("aws").require("region")
environment = Environment.DEV
# The budget counts what carries this tag: this program's resources, not the rest of the account.
stack = f"{pulumi.get_project()}-{pulumi.get_stack()}"
tags = CostTags(team="growth-ml", project="churn", cost_center="cc-2200").as_tags(environment, stack)

lake = DataLake(
    "models", DataLakeArgs(region=region, environment=environment, lake={"zones": ["raw", "models"]}, tags=tags)
)
endpoint = ModelEndpoint(
    "churn",
    ModelEndpointArgs(
        region=region,
        environment=environment,
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

monitoring = Monitoring(
    "churn",
    MonitoringArgs(
        region=region,
        environment=environment,
        budget={"monthly_limit_usd": 50},
        monitoring={"alert_emails": [config.require("alertEmail")]},
        stack=stack,
        tags=tags,
    ),
)

pulumi.export("invoke_url", endpoint.invoke_url)
pulumi.export("endpoint_name", endpoint.endpoint_name)
