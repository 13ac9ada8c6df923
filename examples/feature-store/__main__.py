"""A data lake and a Feast feature store on their own, without a cluster.

The lake's features zone holds the registry and the offline parquet data; DynamoDB holds online features,
with the declared feature views' tables created here (point-in-time recovery, encryption). The rendered
feature_store.yaml is exported: write it next to your feature definitions and run `feast apply`. The
program's monthly budget counts only what carries its cost-allocation tag.
Plan it offline with `mlplatform plan --program examples/feature-store --stack dev --cost --check`.
"""

import pulumi

from mlplatform.components.aws import DataLake, DataLakeArgs, FeatureStore, FeatureStoreArgs, Monitoring, MonitoringArgs
from mlplatform.components.config import CostTags, Environment

config = pulumi.Config()
region = pulumi.Config("aws").require("region")
environment = Environment.DEV
# The budget counts what carries this tag: this program's resources, not the rest of the account.
stack = f"{pulumi.get_project()}-{pulumi.get_stack()}"
tags = CostTags(team="fraud-ml", project="payments", cost_center="cc-3310").as_tags(environment, stack)

lake = DataLake("lake", DataLakeArgs(region=region, environment=environment, tags=tags))
store = FeatureStore(
    "features",
    FeatureStoreArgs(
        region=region,
        environment=environment,
        lake=lake,
        store={"project": "payments", "feature_views": config.require_object("featureViews")},
        tags=tags,
    ),
)

monitoring = Monitoring(
    "payments",
    MonitoringArgs(
        region=region,
        environment=environment,
        budget={"monthly_limit_usd": 50},
        monitoring={"alert_emails": [config.require("alertEmail")]},
        stack=stack,
        tags=tags,
    ),
)

pulumi.export("feature_store_yaml", store.feature_store_yaml)
pulumi.export("materializer_role_arn", store.materializer_role.arn)
pulumi.export("dvc_remote_url", lake.dvc_remote_url)
