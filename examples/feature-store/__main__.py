"""A data lake and a Feast feature store on their own, without a cluster.

The lake's features zone holds the registry and the offline parquet data; DynamoDB holds online features,
with the declared feature views' tables created here (point-in-time recovery, encryption). The rendered
feature_store.yaml is exported: write it next to your feature definitions and run `feast apply`.
Plan it offline with `mlplatform plan --program examples/feature-store --stack dev`.
"""

import pulumi

from mlplatform.components.aws import DataLake, DataLakeArgs, FeatureStore, FeatureStoreArgs

config = pulumi.Config()
region = pulumi.Config("aws").require("region")
tags = {"team": "fraud-ml", "project": "payments", "cost-center": "cc-3310"}

lake = DataLake("lake", DataLakeArgs(region=region, tags=tags))
store = FeatureStore(
    "features",
    FeatureStoreArgs(
        region=region,
        lake=lake,
        store={"project": "payments", "feature_views": config.require_object("featureViews")},
        tags=tags,
    ),
)

pulumi.export("feature_store_yaml", store.feature_store_yaml)
pulumi.export("materializer_role_arn", store.materializer_role.arn)
pulumi.export("dvc_remote_url", lake.dvc_remote_url)
