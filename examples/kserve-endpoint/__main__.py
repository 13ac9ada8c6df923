"""A Triton model server on a cluster you already have: KServe in Knative mode, from zero on a spot GPU pool.

What it creates: KServe and its dependencies (cert-manager, Knative Serving with Kourier) on the cluster; a lake
with a models zone; the Triton model repository's config.pbtxt (training writes ranker/<version>/model.onnx
beside it); a Pod Identity role that reads only that repository; and the model server: 0 to 4 replicas on the
pool's L4 nodes, 8 in-flight requests per replica, a 30 s timeout, a replica kept 10 minutes after traffic
stops, and the current change rolled out to 20% of requests (the revision that took all traffic keeps the rest);
and the program's monthly budget, which counts only what carries its cost-allocation tag.

From zero the first request waits for a cold start (a GPU node, the ~10 GB Triton image, the model): minutes,
not milliseconds. Set minReplicas to 1 for the sub-100 ms path. Plan it offline with
`mlplatform plan --program examples/kserve-endpoint --stack dev --cost --check`. The pool belongs to the
cluster, not to this program, so the policy check reports its GPU limit as unchecked (advisory) until the
cluster's owner declares it in the policy config (``external-pool-limits.pools``).
"""

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from mlplatform.components.aws import DataLake, DataLakeArgs, Monitoring, MonitoringArgs
from mlplatform.components.aws.gpu_cluster import kubeconfig_json
from mlplatform.components.aws.workload_role import WorkloadRole, WorkloadRoleArgs
from mlplatform.components.config import CostTags, Environment, LakeAccess, TritonModelSpec
from mlplatform.components.k8s.kserve import KServe, KServeArgs
from mlplatform.components.k8s.model_server import ModelServer, ModelServerArgs
from mlplatform.components.k8s.triton import render_config

config = pulumi.Config()
region = pulumi.Config("aws").require("region")
namespace = "models"
environment = Environment.DEV
# The budget counts what carries this tag: this program's resources, not the rest of the account.
stack = f"{pulumi.get_project()}-{pulumi.get_stack()}"
tags = CostTags(team="search", project="ranking", cost_center="cc-6120").as_tags(environment, stack)

existing = aws.eks.get_cluster(name=config.require("clusterName"))
provider = k8s.Provider(
    "search-eks",
    kubeconfig=pulumi.Output.secret(
        kubeconfig_json(existing.name, existing.endpoint, existing.certificate_authorities[0].data, region)
    ),
)
on_cluster = pulumi.ResourceOptions(provider=provider)
ns = k8s.core.v1.Namespace("models", metadata={"name": namespace}, opts=on_cluster)
kserve = KServe("kserve", KServeArgs(registries=["nvcr.io"]), opts=on_cluster)

lake = DataLake(
    "ranking", DataLakeArgs(region=region, environment=environment, lake={"zones": ["raw", "models"]}, tags=tags)
)
model = TritonModelSpec(
    backend="onnxruntime",
    max_batch_size=64,
    inputs=[{"name": "features", "data_type": "FP32", "dims": [64]}],
    outputs=[{"name": "score", "data_type": "FP32", "dims": [1]}],
)
config_object = aws.s3.BucketObjectv2(
    "ranker-config",
    bucket=lake.bucket_names["models"],
    key=pulumi.Output.concat(lake.zone_prefixes["models"], "triton/ranker/config.pbtxt"),
    content=render_config("ranker", model, gpu=True),
    content_type="text/plain",
    tags=tags,
)
role = WorkloadRole(
    "ranker",
    WorkloadRoleArgs(
        cluster_name=existing.name,
        namespace=namespace,
        service_account="ranker",
        lake=lake,
        read=[LakeAccess(zone="models", prefix="triton/")],
        description="Triton ranker: read its model repository",
        tags=tags,
    ),
)
server = ModelServer(
    "ranker",
    ModelServerArgs(
        namespace=namespace,
        runtime="triton",
        storage_uri=pulumi.Output.concat(lake.zone_urls["models"], "triton/"),
        pool=config.get("gpuPool") or "inference",
        gpu_model=config.get("gpuModel") or "L4",
        cpu=2,
        memory_gb=8,
        min_replicas=config.get_int("minReplicas") or 0,
        max_replicas=4,
        concurrency_target=8,
        timeout_seconds=30,
        keep_warm_seconds=600,
        canary_traffic_percent=config.get_int("canaryPercent"),
        service_account_annotations={
            "serving.kserve.io/s3-region": region,
            "serving.kserve.io/s3-endpoint": f"s3.{region}.amazonaws.com",
            "serving.kserve.io/s3-usehttps": "1",
        },
        kserve=kserve.ready,
    ),
    opts=pulumi.ResourceOptions(provider=provider, depends_on=[ns, config_object, role.association, *role.grants]),
)

# Replicas run on the cluster's pool, billed where the pool is; this stack's own spend is the lake and the role.
monitoring = Monitoring(
    "ranking",
    MonitoringArgs(
        region=region,
        environment=environment,
        budget={"monthly_limit_usd": 50},
        monitoring={"alert_emails": [config.require("alertEmail")]},
        stack=stack,
        tags=tags,
    ),
)

pulumi.export("url", server.url)
pulumi.export("model_repository", pulumi.Output.concat(lake.zone_urls["models"], "triton/"))
